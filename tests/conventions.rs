//! Unix and CI conventions, through the real binary: `-` for stdin and
//! stdout, closed pipes, did-you-mean for every enumerated value, JSON and
//! SARIF outputs, keys in CI, completions, the man page, exit codes in
//! --help, and `doctor`. Stdout and stderr are compared apart, with temp
//! paths and key ids filtered.

mod common;
#[path = "support/server.rs"]
mod server;

use std::io::{BufRead, Write};
use std::process::{Command, Stdio};

use common::*;
use serde_json::Value;

const PYPI: &str = "pypi-flask-django-env.cdx16.json";

fn sample(tmp: &Temp, name: &str) -> std::path::PathBuf {
    tmp.copy_in(&repo().join("sample-sboms").join(name), name)
}

/// Output with the run's temp dir and key ids replaced by placeholders.
fn filtered(tmp: &Temp, text: &str) -> String {
    let mut out = text.replace(&tmp.path().display().to_string(), "[TMP]");
    // 16 or 64 hex digits: key ids and digests.
    let mut cleaned = String::new();
    let mut run = String::new();
    for c in out.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_hexdigit() && !c.is_ascii_uppercase() {
            run.push(c);
            continue;
        }
        if run.len() == 16 || run.len() == 64 {
            cleaned.push_str("[HEX]");
        } else {
            cleaned.push_str(&run);
        }
        run.clear();
        cleaned.push(c);
    }
    cleaned.pop();
    out = cleaned;
    out
}

/// The real binary with stdin from `input`.
fn tacos_stdin(
    tmp: &Temp,
    args: &[&str],
    input: &[u8],
    env: &[(&str, &str)],
) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tacos-sbom"));
    cmd.current_dir(tmp.path())
        .args(args)
        .env("TACOS_SBOM_CONFIG_DIR", tmp.join(".tacos-config"))
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .env("XDG_CACHE_HOME", tmp.join(".cache"))
        .env_remove("TACOS_SIGNING_KEY")
        .env_remove("COSIGN_PASSWORD")
        .env_remove("CI");
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
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn dash_is_stdin_and_stdout_and_everything_else_goes_to_stderr() {
    let tmp = Temp::new();
    let bytes = std::fs::read(repo().join("sample-sboms").join(PYPI)).unwrap();
    let o = tacos_stdin(&tmp, &["enrich", "-", "-o", "-"], &bytes, &[]);
    assert_ok(&o);
    let out: Value = serde_json::from_slice(&o.stdout).expect("stdout is the enriched SBOM alone");
    assert_eq!(out["components"].as_array().unwrap().len(), 23);
    let err = stderr(&o);
    assert!(err.contains("23 distinct packages"), "{err}");
    assert!(tmp.join("tacos-attestations/tacos-sbom.pub").exists());
    // The references point at the artifacts from the working directory.
    let url = out["components"][0]["externalReferences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "attestation")
        .unwrap()["url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(url.starts_with("tacos-attestations/"), "{url}");
    std::fs::write(tmp.join("out.json"), &o.stdout).unwrap();
    let o = tacos(
        tmp.path(),
        &["verify", "out.json", "--key", ".tacos-config/signing.pub"],
    );
    assert_ok(&o);
    // Input from stdin without -o goes to stdout too; verify and report read stdin.
    let o = tacos_stdin(&tmp, &["-q", "enrich", "-"], &bytes, &[]);
    assert_ok(&o);
    assert!(serde_json::from_slice::<Value>(&o.stdout).is_ok());
    let enriched = std::fs::read(tmp.join("out.json")).unwrap();
    let o = tacos_stdin(
        &tmp,
        &["verify", "-", "--key", ".tacos-config/signing.pub"],
        &enriched,
        &[],
    );
    assert_ok(&o);
    let o = tacos_stdin(&tmp, &["report", "-", "-f", "json"], &enriched, &[]);
    assert_ok(&o);
    let summary: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(summary["packages"], 23);
    // - with another input is refused.
    let o = tacos(tmp.path(), &["enrich", "-", PYPI]);
    assert_eq!(o.status.code(), Some(2));
}

/// Issue 10: `verify ... | head -1` panicked on the closed pipe (exit 101).
#[test]
fn a_closed_pipe_ends_quietly_and_keeps_the_exit_code() {
    let tmp = Temp::new();
    tmp.copy_in(
        &fixture("sbom/generated/npm-large-react-scripts.cdx15.json"),
        "big.json",
    );
    assert_ok(&tacos(
        tmp.path(),
        &["-q", "enrich", "big.json", "-o", "out.json"],
    ));
    // Every artifact gone: one FAIL line per component, far more than a pipe holds.
    std::fs::remove_dir_all(tmp.join("tacos-attestations")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tacos-sbom"))
        .current_dir(tmp.path())
        .args(["verify", "out.json", "--allow-unauthenticated"])
        .env_remove("CI")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // The reader is gone now (like `head -1`).
    assert!(first.starts_with("FAIL out.json"), "{first}");
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        out.status.code(),
        Some(1),
        "the check failed, and says so: {err}"
    );
    // And through a real shell pipeline.
    let sh = Command::new("bash")
        .current_dir(tmp.path())
        .arg("-c")
        .arg(format!(
            "set -o pipefail; '{}' report out.json -f md 2>/dev/null | head -1 >/dev/null; echo $?",
            env!("CARGO_BIN_EXE_tacos-sbom")
        ))
        .env_remove("CI")
        .output()
        .unwrap();
    assert_ne!(String::from_utf8_lossy(&sh.stdout).trim(), "101");
}

/// Issue 10: `--fail-on MultipleMaintainers=false` (or `=Flase`,
/// `PackageStatus=deprecated`) matched nothing and the gate passed.
#[test]
fn a_misspelled_policy_value_is_refused_not_ignored() {
    let tmp = Temp::new();
    sample(&tmp, PYPI);
    for (rule, meant) in [
        ("MultipleMaintainers=false", "\"False\""),
        ("FixedVulnerabilities=Flase", "\"False\""),
        ("PackageStatus=deprecated", "\"Deprecated\""),
    ] {
        let o = tacos(
            tmp.path(),
            &["enrich", PYPI, "-o", "x.json", "--fail-on", rule],
        );
        assert_eq!(o.status.code(), Some(2), "{rule}: {}", stderr(&o));
        assert_eq!(stdout(&o), "");
        assert!(
            stderr(&o).contains(&format!("did you mean {meant}?")),
            "{rule}: {}",
            stderr(&o)
        );
        assert!(
            !tmp.join("x.json").exists(),
            "refused before anything is written"
        );
    }
    // The config file is checked the same way.
    std::fs::write(
        tmp.join("strict.toml"),
        "[policy]\nfail_on = [\"FixedVulnerabilities=false\"]\n",
    )
    .unwrap();
    let o = tacos(tmp.path(), &["enrich", PYPI, "-c", "strict.toml"]);
    assert_eq!(o.status.code(), Some(2));
    // Formats and algorithms too, case included.
    let o = tacos(tmp.path(), &["report", "x.json", "-f", "JSON"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        filtered(&tmp, &stderr(&o)).lines().next().unwrap(),
        "error: \"JSON\" is not a valid value for --format <FORMAT> (valid: md, html, json, sarif); did you mean \"json\"?"
    );
    let o = tacos(tmp.path(), &["keygen", "-a", "ed2559"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("did you mean \"ed25519\"?"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn enrich_and_verify_speak_json_and_policy_speaks_sarif() {
    let srv = server::FixtureServer::start(&fixtures());
    let tmp = Temp::new();
    sample(&tmp, PYPI);
    let env: Vec<(String, String)> = srv.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let o = tacos_env(
        tmp.path(),
        &[
            "enrich",
            PYPI,
            "-o",
            "out.json",
            "-f",
            "json",
            "--fail-on",
            "FixedVulnerabilities=False",
            "--cache-dir",
            "cache",
        ],
        &env,
    );
    let summary: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(summary["exitCode"], o.status.code().unwrap());
    assert_eq!(summary["packages"], 23);
    let violations = summary["policy"]["violations"].as_array().unwrap();
    assert_eq!(
        o.status.code(),
        Some(if violations.is_empty() { 0 } else { 1 })
    );
    assert!(
        violations
            .iter()
            .all(|v| v["kind"] == "fail-on" && v["purl"].is_string())
    );

    let o = tacos(tmp.path(), &["verify", "out.json", "-f", "json"]);
    assert_eq!(o.status.code(), Some(1), "no --key: signer not proven");
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["results"][0]["verified"], 24);
    assert_eq!(v["results"][0]["signerProven"], false);
    assert!(stderr(&o).contains("signer not proven"));

    let o = tacos(
        tmp.path(),
        &[
            "report",
            "out.json",
            "-f",
            "sarif",
            "-o",
            "policy.sarif",
            "--fail-on",
            "FixedVulnerabilities=True",
            "--fail-on",
            "MultipleMaintainers=False",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.join("policy.sarif")).unwrap()).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    let urllib3 = results
        .iter()
        .find(|r| r["properties"]["purl"] == "pkg:pypi/urllib3@1.26.4")
        .unwrap();
    let line = urllib3["locations"][0]["physicalLocation"]["region"]["startLine"]
        .as_u64()
        .unwrap() as usize;
    let text = std::fs::read_to_string(tmp.join("out.json")).unwrap();
    assert!(
        text.lines().nth(line - 1).unwrap().contains("urllib3"),
        "line {line}"
    );
    // Valid by the official SARIF 2.1.0 schema.
    let (code, text) = check_jsonschema(
        &repo().join("tests/conformance/sarif-2.1.0-schema.json"),
        &[tmp.join("policy.sarif")],
    );
    assert_eq!(code, 0, "{text}");
}

#[test]
fn require_sources_fails_after_writing_when_a_registry_has_no_source() {
    let tmp = Temp::new();
    sample(&tmp, PYPI);
    let empty = tmp.join("empty-path");
    std::fs::create_dir(&empty).unwrap();
    let env = [
        ("TACOS_PYPI_URL", ""),
        ("PIP_INDEX_URL", ""),
        ("PIP_CONFIG_FILE", "/nonexistent"),
        ("PATH", empty.to_str().unwrap()),
    ];
    let o = tacos_env(tmp.path(), &["enrich", PYPI, "-o", "out.json"], &env);
    assert_ok(&o);
    assert_eq!(stderr(&o).matches("got no data from the PyPI").count(), 1);
    let o = tacos_env(
        tmp.path(),
        &["enrich", PYPI, "-o", "out.json", "--require-sources"],
        &env,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(tmp.join("out.json").exists());
    assert!(
        stderr(&o).contains("POLICY 23 packages got no data from the PyPI"),
        "{}",
        stderr(&o)
    );
    std::fs::write(
        tmp.join("tacos-sbom.toml"),
        "[policy]\nrequire_sources = true\n",
    )
    .unwrap();
    let o = tacos_env(tmp.path(), &["assess", "pkg:pypi/flask@1.1.2"], &env);
    assert_eq!(o.status.code(), Some(1));
    assert!(serde_json::from_str::<Value>(&stdout(&o)).is_ok());
}

#[test]
fn in_ci_a_key_must_be_given_or_declared_throwaway() {
    let tmp = Temp::new();
    sample(&tmp, PYPI);
    let o = tacos_env(tmp.path(), &["enrich", PYPI], &[("CI", "true")]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "");
    let err = stderr(&o);
    assert!(
        err.contains("CI is set and no signing key was given"),
        "{err}"
    );
    assert!(err.contains("--ephemeral-key"), "{err}");
    assert!(!tmp.join(".tacos-config").exists(), "no key was made");
    assert!(!tmp.join("tacos-attestations").exists());
    let o = tacos_env(
        tmp.path(),
        &["enrich", PYPI, "--ephemeral-key"],
        &[("CI", "true")],
    );
    assert_ok(&o);
    assert!(stderr(&o).contains("throwaway key"), "{}", stderr(&o));
    assert!(
        !tmp.join(".tacos-config").exists(),
        "the throwaway key is not saved"
    );
    // A key from keygen, encrypted as cosign does, signs in CI.
    let o = tacos_env(
        tmp.path(),
        &["keygen", "-o", "ci", "-f", "cosign"],
        &[("COSIGN_PASSWORD", "s3cret")],
    );
    assert_ok(&o);
    let private = std::fs::read_to_string(tmp.join("ci.key")).unwrap();
    assert!(private.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"));
    let o = tacos_env(
        tmp.path(),
        &["enrich", PYPI, "-o", "signed.json", "--key", "ci.key"],
        &[("CI", "true"), ("COSIGN_PASSWORD", "s3cret")],
    );
    assert_ok(&o);
    assert_ok(&tacos(
        tmp.path(),
        &["verify", "signed.json", "--key", "ci.pub"],
    ));
    // Without the password, cosign keygen says what is missing.
    let o = tacos(tmp.path(), &["keygen", "-o", "other", "-f", "cosign"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("COSIGN_PASSWORD"), "{}", stderr(&o));
    // The old --out still works.
    assert_ok(&tacos(tmp.path(), &["keygen", "--out", "old"]));
    assert!(tmp.join("old.key").exists() && tmp.join("old.pub").exists());
}

#[test]
fn every_help_lists_the_exit_codes() {
    let tmp = Temp::new();
    for cmd in [
        "enrich",
        "verify",
        "assess",
        "report",
        "package",
        "keygen",
        "doctor",
        "completions",
        "man",
        "schema",
    ] {
        let o = tacos(tmp.path(), &[cmd, "--help"]);
        assert_ok(&o);
        let help = stdout(&o);
        assert!(help.contains("Exit codes: 0"), "{cmd}: {help}");
        assert!(help.contains("2 bad usage"), "{cmd}: {help}");
    }
    for cmd in ["enrich", "verify", "report", "package", "assess"] {
        let help = stdout(&tacos(tmp.path(), &[cmd, "--help"]));
        assert!(help.contains("; 1 "), "{cmd}: {help}");
    }
}

/// The bash completion, sourced into a real bash, completes a subcommand's
/// flags and values for the hyphenated binary name.
#[test]
fn bash_completion_completes_past_the_subcommand() {
    let tmp = Temp::new();
    let o = tacos(tmp.path(), &["completions", "bash"]);
    assert_ok(&o);
    std::fs::write(tmp.join("c.bash"), stdout(&o)).unwrap();
    let script = r#"
source ./c.bash
comp() {
  COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMPREPLY=()
  local fn; fn=$(complete -p tacos-sbom | sed -E 's/.*-F ([^ ]+).*/\1/')
  "$fn" tacos-sbom "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
  echo "${COMPREPLY[*]}"
}
comp tacos-sbom enr
comp tacos-sbom enrich --atte
comp tacos-sbom report -f ""
comp tacos-sbom keygen --algorithm ""
"#;
    let out = Command::new("bash")
        .current_dir(tmp.path())
        .arg("-c")
        .arg(script)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "enrich\n--attestations-dir\nmd html json sarif\necdsa-p256 ed25519\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let o = tacos(tmp.path(), &["completions", shell]);
        assert_ok(&o);
        assert!(stdout(&o).contains("enrich"), "{shell}");
    }
}

#[test]
fn the_man_page_renders_from_the_definitions() {
    let tmp = Temp::new();
    let o = tacos(tmp.path(), &["man"]);
    assert_ok(&o);
    let page = stdout(&o);
    assert!(
        page.starts_with(".ie") || page.contains(".TH tacos-sbom"),
        "{page}"
    );
    for word in ["enrich", "verify", "doctor", "\\-\\-quiet"] {
        assert!(page.contains(word), "{word}");
    }
    if Command::new("man").arg("--version").output().is_ok() {
        std::fs::write(tmp.join("tacos-sbom.1"), &page).unwrap();
        let shown = Command::new("man")
            .arg("-l")
            .arg(tmp.join("tacos-sbom.1"))
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "100")
            .output()
            .unwrap();
        assert!(shown.status.success());
        assert!(String::from_utf8_lossy(&shown.stdout).contains("TACOS"));
    }
}

#[test]
fn doctor_shows_where_everything_comes_from_and_asks_no_service() {
    let srv = server::FixtureServer::start(&fixtures());
    let tmp = Temp::new();
    let env: Vec<(String, String)> = srv.env();
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    env.push(("TACOS_PYPI_URL", ""));
    env.push(("PIP_INDEX_URL", "http://127.0.0.1:9/simple"));
    let o = tacos_env(tmp.path(), &["doctor"], &env);
    assert_ok(&o);
    let text = filtered(&tmp, &stdout(&o));
    assert!(
        text.starts_with("config file: none (tacos-sbom.toml not found"),
        "{text}"
    );
    assert!(text.contains("TACOS_OSV_URL"), "{text}");
    assert!(text.contains("PIP_INDEX_URL"), "{text}");
    assert!(text.contains("cache: [TMP]/.cache/tacos-sbom"), "{text}");
    assert!(
        text.contains("signing key: [TMP]/.tacos-config/signing.key (from the default key"),
        "{text}"
    );
    assert_eq!(stderr(&o), "");
    let o = tacos_env(tmp.path(), &["doctor", "-f", "json"], &[("CI", "1")]);
    assert_ok(&o);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["ci"], true);
    assert!(v["signingKey"].is_null());
    assert!(v["endpoints"].as_array().unwrap().len() >= 8);
    assert!(v["githubTokenFrom"].is_null(), "{v}");
    assert!(
        text.contains("GitHub token: none (GitHub answers 60 requests an hour"),
        "{text}"
    );
    // A token is named by where it came from, never shown.
    let o = tacos_env(
        tmp.path(),
        &["doctor"],
        &[("GITHUB_TOKEN", "ghp-doctor-secret-0412")],
    );
    assert_ok(&o);
    assert!(
        stdout(&o).contains("GitHub token: set (from GITHUB_TOKEN"),
        "{}",
        stdout(&o)
    );
    assert!(!stdout(&o).contains("ghp-doctor-secret-0412"));
    assert_eq!(srv.total(), 0, "doctor asked a service");
    assert!(!tmp.join(".tacos-config").exists(), "doctor created a key");
}

#[test]
fn messages_count_in_words() {
    let tmp = Temp::new();
    let doc = serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
        "components": [
            {"type": "library", "name": "lodash", "version": "4.17.21", "purl": "pkg:npm/lodash@4.17.21"},
            {"type": "library", "name": "a"}, {"type": "library", "name": "b"}]});
    std::fs::write(tmp.join("one.json"), doc.to_string()).unwrap();
    let o = tacos(tmp.path(), &["enrich", "one.json", "-o", "out.json"]);
    assert_ok(&o);
    let err = filtered(&tmp, &stderr(&o));
    assert!(err.contains("looking up 1 package\n"), "{err}");
    assert!(
        err.contains("checking 1 version for known vulnerabilities"),
        "{err}"
    );
    assert!(
        err.contains("  skipped 2 components in one.json: no package URL\n"),
        "{err}"
    );
    assert!(err.contains("1 distinct package; 1 artifact in"), "{err}");
    assert!(!err.contains("(s)"), "{err}");
    let o = tacos(tmp.path(), &["-v", "enrich", "one.json", "-o", "out.json"]);
    assert!(stderr(&o).contains("  skipped a in one.json: no package URL"));
}
