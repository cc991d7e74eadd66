//! Shared test support: the real binary in a fresh directory, the fixtures
//! in `tests/fixtures`, and the independent checkers in `tests/conformance`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Nothing listens on the discard port of loopback: connections are refused.
pub const CLOSED: &str = "http://127.0.0.1:9";

/// A fixed "now" for reproducible output.
pub const EPOCH: &str = "1795392000"; // 2026-11-23T00:00:00Z

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The recorded fixtures (real SBOMs, registry answers, OSV records), each
/// with its origin and license in `tests/fixtures/MANIFEST.md`.
pub fn fixtures() -> PathBuf {
    repo().join("tests/fixtures")
}

pub fn fixture(rel: &str) -> PathBuf {
    fixtures().join(rel)
}

/// Every JSON SBOM fixture (CycloneDX and SPDX 2.x), relative to fixtures/sbom.
pub fn json_sbom_fixtures() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![fixture("sbom")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json")
                && !p.to_string_lossy().contains("spdx3")
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

pub struct Temp(tempfile::TempDir);

impl Temp {
    pub fn new() -> Temp {
        Temp(
            tempfile::Builder::new()
                .prefix("tacos-test-")
                .tempdir()
                .unwrap(),
        )
    }
    pub fn path(&self) -> &Path {
        self.0.path()
    }
    pub fn join(&self, p: &str) -> PathBuf {
        self.0.path().join(p)
    }
    /// Copy a file in and return its new path.
    pub fn copy_in(&self, src: &Path, name: &str) -> PathBuf {
        let dst = self.join(name);
        std::fs::copy(src, &dst).unwrap();
        let mut perm = std::fs::metadata(&dst).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perm.set_readonly(false);
        std::fs::set_permissions(&dst, perm).unwrap();
        dst
    }
    /// Every file below the directory, relative to it, sorted.
    pub fn files(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![self.path().to_path_buf()];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.push(
                        p.strip_prefix(self.path())
                            .unwrap()
                            .to_string_lossy()
                            .into_owned(),
                    );
                }
            }
        }
        out.sort();
        out
    }
}

/// The real binary, run in `cwd` with a private config directory (so the
/// default key is created there) and a fixed clock.
pub fn tacos(cwd: &Path, args: &[&str]) -> Output {
    tacos_env(cwd, args, &[])
}

pub fn tacos_env(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    command(
        Command::new(env!("CARGO_BIN_EXE_tacos-sbom")),
        cwd,
        args,
        env,
    )
    .output()
    .expect("the binary runs")
}

/// The real binary run by `sh` after `umask MASK`, so that the modes of the
/// files and directories it creates show what it asked for.
pub fn tacos_umask(cwd: &Path, mask: &str, args: &[&str]) -> Output {
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg(format!("umask {mask} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_tacos-sbom"));
    command(sh, cwd, args, &[])
        .output()
        .expect("the binary runs")
}

/// `cmd` set up as the tests run the binary: in `cwd`, with a private config
/// directory, a fixed clock and every service on a closed port.
fn command(mut cmd: Command, cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    cmd.current_dir(cwd)
        .args(args)
        .env("TACOS_SBOM_CONFIG_DIR", cwd.join(".tacos-config"))
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .env("XDG_CACHE_HOME", cwd.join(".cache"))
        .env_remove("TACOS_SIGNING_KEY")
        .env_remove("COSIGN_PASSWORD")
        // CI runs these tests with CI=true; a test that wants CI sets it.
        .env_remove("CI");
    // No test reaches the internet: every service points at a closed
    // loopback port unless the test gives a server.
    for var in [
        "TACOS_DEPSDEV_URL",
        "TACOS_OSV_URL",
        "TACOS_SCORECARD_URL",
        "TACOS_NPM_REGISTRY_URL",
        "TACOS_PYPI_URL",
        "TACOS_CRATES_INDEX_URL",
        "TACOS_CRATES_API_URL",
        "TACOS_GITHUB_API_URL",
        "TACOS_TIDELIFT_URL",
    ] {
        cmd.env(var, CLOSED);
    }
    for (k, v) in env {
        if v.is_empty() {
            cmd.env_remove(k);
        } else {
            cmd.env(k, v);
        }
    }
    cmd
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[track_caller]
pub fn assert_ok(o: &Output) {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        stdout(o),
        stderr(o)
    );
}

// ---- independent checkers -------------------------------------------------

pub fn conformance() -> PathBuf {
    repo().join("tests/conformance")
}

fn conformance_python() -> PathBuf {
    let home = std::env::var_os("CONFORMANCE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".tools/conformance"));
    let py = home.join("venv/bin/python");
    assert!(
        py.exists(),
        "the independent checkers are not installed ({}): run tests/conformance/INSTALL.sh (the README's test command does)",
        py.display()
    );
    py
}

/// Run one of the conformance scripts unchanged over many inputs in one
/// process (`tests/support/run_judge.py`); each inner list is one invocation's
/// arguments. Returns (exit code, output) per invocation.
/// Two processes share the work, one per core.
pub fn judge_batch(
    script: &str,
    runs: &[Vec<String>],
    skip_formats: &[&str],
) -> Vec<(i32, String)> {
    let py = conformance_python();
    let half = runs.len().div_ceil(2).max(1);
    let children: Vec<_> = runs
        .chunks(half)
        .map(|part| {
            let spec = serde_json::json!({
                "script": conformance().join(script),
                "skip_formats": skip_formats,
                "runs": part,
            });
            let spec_file = tempfile::NamedTempFile::new().unwrap();
            std::fs::write(spec_file.path(), spec.to_string()).unwrap();
            let child = Command::new(&py)
                .arg(repo().join("tests/support/run_judge.py"))
                .arg(spec_file.path())
                .env("_CONFORMANCE_REEXEC", "1")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            (spec_file, child)
        })
        .collect();
    let mut results = Vec::new();
    for (_spec, child) in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "run_judge.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let part: Vec<(i32, String)> = serde_json::from_slice(&out.stdout).unwrap();
        results.extend(part);
    }
    assert_eq!(results.len(), runs.len());
    results
}

/// Run a conformance script as a command.
pub fn judge(script: &str, args: &[&str]) -> (i32, String) {
    let path = conformance().join(script);
    let mut cmd = if script.ends_with(".mjs") {
        let mut c = Command::new("node");
        c.arg(&path);
        c
    } else if script.ends_with(".sh") {
        let mut c = Command::new("bash");
        c.arg(&path);
        c
    } else {
        let mut c = Command::new(conformance_python());
        c.arg(&path);
        c
    };
    let out = cmd.args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// `check-jsonschema` from the checkers' environment, over many instances.
pub fn check_jsonschema(schema: &Path, instances: &[PathBuf]) -> (i32, String) {
    let bin = conformance_python()
        .parent()
        .unwrap()
        .join("check-jsonschema");
    let mut text = String::new();
    for chunk in instances.chunks(200) {
        let out = Command::new(&bin)
            .arg("--schemafile")
            .arg(schema)
            .args(chunk)
            .output()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&out.stdout));
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        if !out.status.success() {
            return (out.status.code().unwrap_or(-1), text);
        }
    }
    (0, text)
}

// ---- lossless comparison, on serde_json (not the tool's own parser) -------

pub const MARKER: &str = "TACOS attestation";

/// Raw JSON tokens (strings with their escapes, numbers as written), for
/// checking that no lexeme was rewritten.
pub fn raw_tokens(text: &str) -> Vec<&str> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                let start = i;
                i += 1;
                while b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                out.push(&text[start..i]);
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < b.len() && matches!(b[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    i += 1;
                }
                out.push(&text[start..i]);
            }
            _ => i += 1,
        }
    }
    out
}
