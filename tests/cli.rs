//! The commands as a user runs them.

mod common;

use common::*;
use serde_json::Value;

fn sample(tmp: &Temp, name: &str) -> std::path::PathBuf {
    tmp.copy_in(&repo().join("sample-sboms").join(name), name)
}

#[test]
fn enrich_defaults_write_beside_the_input_and_say_where() {
    let tmp = Temp::new();
    sample(&tmp, "cargo-cli.cargo-sbom.spdx23.json");
    let o = tacos(tmp.path(), &["enrich", "cargo-cli.cargo-sbom.spdx23.json"]);
    assert_ok(&o);
    let err = stderr(&o);
    assert!(err.contains("created a new signing key"), "{err}");
    assert!(
        err.contains("-> cargo-cli.cargo-sbom.tacos.spdx23.json"),
        "{err}"
    );
    assert!(err.contains("tacos-attestations"), "{err}");
    assert!(err.contains("public key:"), "{err}");
    assert!(tmp.join("tacos-attestations/tacos-sbom.pub").exists());
    // A second run reuses the key it created.
    let o = tacos(tmp.path(), &["enrich", "cargo-cli.cargo-sbom.spdx23.json"]);
    assert_ok(&o);
    assert!(
        stderr(&o).contains("signing with the default key"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("(0 written,"), "{}", stderr(&o));
}

#[test]
fn enrich_never_overwrites_its_input_unless_asked_and_then_atomically() {
    let tmp = Temp::new();
    let input = sample(&tmp, "pypi-flask-django-env.cdx16.json");
    let original = std::fs::read(&input).unwrap();
    let o = tacos(
        tmp.path(),
        &[
            "enrich",
            "pypi-flask-django-env.cdx16.json",
            "-o",
            "pypi-flask-django-env.cdx16.json",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("would overwrite the input"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(&input).unwrap(), original);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&input, std::fs::Permissions::from_mode(0o640)).unwrap();
    }
    let o = tacos(
        tmp.path(),
        &["enrich", "--in-place", "pypi-flask-django-env.cdx16.json"],
    );
    assert_ok(&o);
    let after = std::fs::read_to_string(&input).unwrap();
    assert!(after.contains("TACOS attestation"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&input).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640, "in-place keeps the file's permissions");
    }
    // No temporary files left behind.
    assert!(
        tmp.files().iter().all(|f| !f.contains(".tmp-")),
        "{:?}",
        tmp.files()
    );
    // Re-enriching an output by its derived name would overwrite it.
    let o = tacos(
        tmp.path(),
        &[
            "enrich",
            "pypi-flask-django-env.cdx16.json",
            "-o",
            "x.tacos.json",
        ],
    );
    assert_ok(&o);
    let o = tacos(tmp.path(), &["enrich", "x.tacos.json"]);
    assert_eq!(o.status.code(), Some(2));
}

fn distinct_packages(summary: &str) -> usize {
    summary
        .lines()
        .find_map(|l| l.split_once(" distinct packages"))
        .and_then(|(n, _)| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no package count in:\n{summary}"))
}

#[test]
fn several_inputs_share_one_pass_over_distinct_packages() {
    let tmp = Temp::new();
    tmp.copy_in(&fixture("sbom/generated/npm-webapp.cdx16.json"), "a.json");
    tmp.copy_in(
        &fixture("sbom/generated/npm-webapp.npm-sbom.spdx23.json"),
        "b.json",
    );
    let single = |name: &str| {
        let t = Temp::new();
        t.copy_in(&tmp.join(name), name);
        let o = tacos(t.path(), &["enrich", name]);
        assert_ok(&o);
        distinct_packages(&stderr(&o))
    };
    let (a, b) = (single("a.json"), single("b.json"));
    let o = tacos(tmp.path(), &["enrich", "a.json", "b.json", "-o", "out"]);
    assert_ok(&o);
    let both = distinct_packages(&stderr(&o));
    assert!(
        both < a + b,
        "shared packages are assessed once: {both} vs {a} + {b}"
    );
    assert!(both >= a.max(b));
    assert!(tmp.join("out/a.tacos.json").exists() && tmp.join("out/b.tacos.json").exists());
    assert_ok(&tacos(
        tmp.path(),
        &[
            "verify",
            "out/a.tacos.json",
            "out/b.tacos.json",
            "--key",
            ".tacos-config/signing.pub",
        ],
    ));
}

#[test]
fn releases_in_use_span_every_input() {
    let tmp = Temp::new();
    let doc = |v: &str| {
        serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
            "components": [{"type": "library", "name": "lodash", "version": v, "purl": format!("pkg:npm/lodash@{v}")}]})
        .to_string()
    };
    std::fs::write(tmp.join("a.json"), doc("4.17.15")).unwrap();
    std::fs::write(tmp.join("b.json"), doc("4.17.21")).unwrap();
    assert_ok(&tacos(
        tmp.path(),
        &["enrich", "a.json", "b.json", "-o", "out"],
    ));
    let art = std::fs::read_dir(tmp.join("out/tacos-attestations"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("lodash@4.17.15"))
        .unwrap();
    let env: Value = serde_json::from_slice(&std::fs::read(art).unwrap()).unwrap();
    use base64::Engine;
    let payload = base64::engine::general_purpose::STANDARD
        .decode(env["payload"].as_str().unwrap())
        .unwrap();
    let st: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(
        st["predicate"]["ReleasesInUse"],
        serde_json::json!(["4.17.15", "4.17.21"])
    );
    assert_eq!(st["subject"][0]["name"], "pkg:npm/lodash@4.17.15");
}

#[test]
fn a_directory_input_takes_its_sboms_and_skips_other_json() {
    let tmp = Temp::new();
    std::fs::create_dir(tmp.join("sboms")).unwrap();
    tmp.copy_in(
        &repo().join("sample-sboms/pypi-flask-django-env.cdx16.json"),
        "sboms/py.json",
    );
    tmp.copy_in(
        &repo().join("sample-sboms/cargo-cli.cargo-sbom.spdx23.json"),
        "sboms/cargo.spdx.json",
    );
    std::fs::write(tmp.join("sboms/package.json"), r#"{"name": "x"}"#).unwrap();
    let o = tacos(tmp.path(), &["enrich", "sboms"]);
    assert_ok(&o);
    let err = stderr(&o);
    assert!(
        err.contains("skipped sboms/package.json: not an SBOM"),
        "{err}"
    );
    assert!(tmp.join("sboms/py.tacos.json").exists());
    assert!(tmp.join("sboms/cargo.tacos.spdx.json").exists());
    // Running again does not pick up its own outputs.
    let o = tacos(tmp.path(), &["enrich", "sboms", "--in-place"]);
    assert_ok(&o);
    assert!(!stderr(&o).contains("tacos.tacos"));
}

#[test]
fn quiet_prints_nothing_on_success() {
    let tmp = Temp::new();
    sample(&tmp, "pypi-flask-django-env.cdx16.json");
    let o = tacos(
        tmp.path(),
        &["-q", "enrich", "pypi-flask-django-env.cdx16.json"],
    );
    assert_ok(&o);
    assert_eq!(stderr(&o), "");
    assert_eq!(stdout(&o), "");
}

#[test]
fn keygen_writes_a_private_key_only_its_owner_can_read() {
    let tmp = Temp::new();
    let o = tacos(tmp.path(), &["keygen", "--out", "k"]);
    assert_ok(&o);
    let private = std::fs::read_to_string(tmp.join("k.key")).unwrap();
    assert!(private.starts_with("-----BEGIN PRIVATE KEY-----"));
    let public = std::fs::read_to_string(tmp.join("k.pub")).unwrap();
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(tmp.join("k.key"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
    }
    // openssl reads both.
    let o = std::process::Command::new("openssl")
        .args(["pkey", "-noout", "-in"])
        .arg(tmp.join("k.key"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = tacos(tmp.path(), &["keygen", "--out", "k"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("exists; pass --force"),
        "{}",
        stderr(&o)
    );
    assert_ok(&tacos(tmp.path(), &["keygen", "--out", "k", "--force"]));
}

#[test]
fn assess_prints_statements_that_match_the_schema() {
    let tmp = Temp::new();
    let o = tacos(
        tmp.path(),
        &[
            "assess",
            "pkg:npm/%40babel/core@7.24.0",
            "pkg:pypi/Django_REST@3.0",
        ],
    );
    assert_ok(&o);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v[0]["PURL"], "pkg:npm/%40babel/core@7.24.0");
    assert_eq!(v[0]["PackageName"], "@babel/core");
    assert_eq!(v[1]["PURL"], "pkg:pypi/django-rest@3.0");
    for (i, s) in v.as_array().unwrap().iter().enumerate() {
        let p = tmp.join(&format!("s{i}.json"));
        std::fs::write(&p, s.to_string()).unwrap();
        let (code, text) = check_jsonschema(
            &repo().join("src/tacos/schema/tacos-statement-1.1.schema.json"),
            &[p],
        );
        assert_eq!(code, 0, "{text}");
    }
    let o = tacos(tmp.path(), &["assess", "not-a-purl"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("\"not-a-purl\": invalid package URL"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn schema_prints_the_shipped_schemas() {
    let tmp = Temp::new();
    for which in ["statement", "report"] {
        let o = tacos(tmp.path(), &["schema", which]);
        assert_ok(&o);
        let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
        assert!(v["$schema"].as_str().unwrap().contains("json-schema.org"));
    }
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let tmp = Temp::new();
    let o = tacos(tmp.path(), &["enrich"]);
    assert_eq!(o.status.code(), Some(2));
    let o = tacos(tmp.path(), &["frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
    let o = tacos(tmp.path(), &["--help"]);
    assert_ok(&o);
    assert!(stdout(&o).contains("Exit codes"));
    let o = tacos(tmp.path(), &["enrich", "--help"]);
    assert_ok(&o);
    for flag in [
        "--output",
        "--in-place",
        "--attestations-dir",
        "--base-url",
        "--key",
    ] {
        assert!(stdout(&o).contains(flag), "{flag}");
    }
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Issue 8, item 2: keys and the directories made for them are never more
/// open than their owner, whatever the umask says (under umask 000 a key
/// directory used to come out 0777).
#[cfg(unix)]
#[test]
fn key_files_and_key_directories_are_owner_only_under_any_umask() {
    let tmp = Temp::new();
    let o = tacos_umask(tmp.path(), "000", &["keygen", "--out", "keys/ci/k"]);
    assert_ok(&o);
    assert_eq!(mode(&tmp.join("keys/ci/k.key")), 0o600);
    assert_eq!(mode(&tmp.join("keys")), 0o700);
    assert_eq!(mode(&tmp.join("keys/ci")), 0o700);

    // The default key, created on first use in a fresh config directory.
    sample(&tmp, "pypi-flask-django-env.cdx16.json");
    let o = tacos_umask(
        tmp.path(),
        "000",
        &["enrich", "pypi-flask-django-env.cdx16.json"],
    );
    assert_ok(&o);
    assert!(stderr(&o).contains("created a new signing key"));
    assert_eq!(mode(&tmp.join(".tacos-config")), 0o700);
    assert_eq!(mode(&tmp.join(".tacos-config/signing.key")), 0o600);
    assert!(
        tmp.files().iter().all(|f| !f.contains(".tmp-")),
        "{:?}",
        tmp.files()
    );
}

/// Issue 8, item 2: a failed key write left `.NAME.tmp-*` holding the whole
/// private key.
#[test]
fn a_failed_key_write_leaves_no_temporary_copy_of_the_key() {
    let tmp = Temp::new();
    // The private key's name is taken by a directory: the final rename fails.
    std::fs::create_dir(tmp.join("k.key")).unwrap();
    let o = tacos(tmp.path(), &["keygen", "--out", "k", "--force"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("k.key"), "{}", stderr(&o));
    let left: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        left.iter().all(|n| !n.contains(".tmp-")),
        "temporary key files left: {left:?}"
    );
    assert!(!tmp.join("k.pub").exists(), "{left:?}");
}

/// Found when `report -o /dev/null` left a regular file where /dev/null had
/// been (the output was renamed over it). A named pipe stands in for the
/// device: the output goes through it, it stays a pipe, and the artifacts go
/// to the working directory, not beside the pipe. An output that is a
/// symbolic link is written through, the link kept; one to the input is
/// refused as the input itself is.
#[cfg(unix)]
#[test]
fn outputs_that_are_pipes_or_links_are_written_through_not_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let tmp = Temp::new();
    sample(&tmp, "npm-webapp.cdx16.json");
    std::fs::create_dir(tmp.join("dev")).unwrap();
    let pipe = tmp.join("dev/pipe");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&pipe)
            .status()
            .unwrap()
            .success()
    );
    let reader = {
        let pipe = pipe.clone();
        std::thread::spawn(move || std::fs::read(pipe).unwrap())
    };
    let o = tacos(
        tmp.path(),
        &[
            "enrich",
            "npm-webapp.cdx16.json",
            "-o",
            "dev/pipe",
            "--offline",
            "--ephemeral-key",
        ],
    );
    assert_ok(&o);
    // Before waiting for the reader, which a replaced pipe would leave blocked.
    assert!(
        std::fs::symlink_metadata(&pipe)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    let sbom: Value = serde_json::from_slice(&reader.join().unwrap()).unwrap();
    assert_eq!(sbom["components"].as_array().unwrap().len(), 288);
    assert!(tmp.join("tacos-attestations").is_dir());
    assert!(!tmp.join("dev/tacos-attestations").exists());

    std::os::unix::fs::symlink("real.json", tmp.join("link.json")).unwrap();
    std::fs::write(tmp.join("real.json"), b"old").unwrap();
    let o = tacos(
        tmp.path(),
        &[
            "enrich",
            "npm-webapp.cdx16.json",
            "-o",
            "link.json",
            "--offline",
            "--ephemeral-key",
        ],
    );
    assert_ok(&o);
    assert!(
        std::fs::symlink_metadata(tmp.join("link.json"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let written: Value =
        serde_json::from_slice(&std::fs::read(tmp.join("real.json")).unwrap()).unwrap();
    assert_eq!(written["bomFormat"], "CycloneDX");

    std::os::unix::fs::symlink("npm-webapp.cdx16.json", tmp.join("input-link.json")).unwrap();
    let input = std::fs::read(tmp.join("npm-webapp.cdx16.json")).unwrap();
    let o = tacos(
        tmp.path(),
        &[
            "enrich",
            "npm-webapp.cdx16.json",
            "-o",
            "input-link.json",
            "--offline",
            "--ephemeral-key",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("would overwrite the input"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read(tmp.join("npm-webapp.cdx16.json")).unwrap(),
        input
    );
}
