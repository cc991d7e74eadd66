//! Bad and hostile input: exit code 2, a message naming the file and the
//! problem, no panic, no output file, nothing written outside the
//! attestations directory.

mod common;

use std::io::Write;

use common::*;

/// Run `enrich` on `name` (already in `tmp`) and check the failure contract.
#[track_caller]
fn refused(tmp: &Temp, args: &[&str], expect_in_message: &[&str]) -> String {
    let before = tmp.files();
    let o = tacos(tmp.path(), args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "stderr:\n{err}");
    assert!(!err.contains("panicked"), "{err}");
    for e in expect_in_message {
        assert!(err.contains(e), "expected {e:?} in:\n{err}");
    }
    let after: Vec<String> = tmp
        .files()
        .into_iter()
        .filter(|f| !f.starts_with(".tacos-config/") && !f.starts_with(".cache/"))
        .collect();
    let before: Vec<String> = before
        .into_iter()
        .filter(|f| !f.starts_with(".tacos-config/"))
        .collect();
    assert_eq!(after, before, "no file may be written:\n{err}");
    err
}

fn write(tmp: &Temp, name: &str, bytes: &[u8]) {
    std::fs::write(tmp.join(name), bytes).unwrap();
}

#[test]
fn empty_file() {
    let tmp = Temp::new();
    write(&tmp, "empty.json", b"");
    refused(
        &tmp,
        &["enrich", "empty.json"],
        &["empty.json: the file is empty"],
    );
}

#[test]
fn truncated_json() {
    let tmp = Temp::new();
    let full = std::fs::read(repo().join("sample-sboms/pypi-flask-django-env.cdx16.json")).unwrap();
    write(&tmp, "cut.json", &full[..full.len() / 2]);
    refused(
        &tmp,
        &["enrich", "cut.json"],
        &["cut.json: invalid JSON at line", "truncated"],
    );
}

#[test]
fn json_that_is_not_an_sbom() {
    let tmp = Temp::new();
    tmp.copy_in(
        &fixture("api/scorecard/github.com_ossf_scorecard.2025-11-15.json"),
        "scorecard.json",
    );
    refused(
        &tmp,
        &["enrich", "scorecard.json"],
        &["scorecard.json: not an SBOM", "bomFormat"],
    );
}

#[test]
fn two_hundred_megabytes_of_binary_garbage() {
    let tmp = Temp::new();
    let mut f = std::io::BufWriter::new(std::fs::File::create(tmp.join("garbage.json")).unwrap());
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut block = vec![0u8; 1 << 20];
    for _ in 0..200 {
        for b in block.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        f.write_all(&block).unwrap();
    }
    f.flush().unwrap();
    drop(f);
    refused(
        &tmp,
        &["enrich", "garbage.json"],
        &["garbage.json: not a text file"],
    );
}

#[test]
fn nesting_ten_thousand_levels_deep() {
    let tmp = Temp::new();
    let mut doc =
        String::from(r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": "#);
    for _ in 0..10_000 {
        doc.push_str(r#"[{"type": "library", "name": "x", "components": "#);
    }
    doc.push_str("[]");
    for _ in 0..10_000 {
        doc.push_str("}]");
    }
    doc.push('}');
    write(&tmp, "deep.json", doc.as_bytes());
    refused(
        &tmp,
        &["enrich", "deep.json"],
        &["deep.json: invalid JSON", "nesting deeper than 512 levels"],
    );
}

#[test]
fn a_purl_with_a_path_traversal_name() {
    let tmp = Temp::new();
    for (i, purl) in [
        "pkg:npm/..%2F..%2Fetc",
        "pkg:generic/%2E%2E/%2E%2E/passwd@1",
        "pkg:npm/%2E%2E@1",
    ]
    .iter()
    .enumerate()
    {
        let doc = serde_json::json!({
            "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
            "components": [
                {"type": "library", "name": "ok", "version": "1.0.0", "purl": "pkg:npm/left-pad@1.3.0"},
                {"type": "library", "name": "evil", "version": "1.0.0", "purl": purl}
            ]
        });
        let name = format!("evil{i}.json");
        write(&tmp, &name, doc.to_string().as_bytes());
        refused(
            &tmp,
            &["enrich", &name],
            &[&name, "component evil", "path-traversal"],
        );
    }
}

#[test]
fn a_base_url_that_is_not_a_url() {
    let tmp = Temp::new();
    tmp.copy_in(
        &repo().join("sample-sboms/pypi-flask-django-env.cdx16.json"),
        "in.json",
    );
    for bad in [
        "not a url",
        "attestations/",
        "mailto:someone@example.invalid",
        "https://x.invalid/a?b=c",
    ] {
        refused(
            &tmp,
            &["enrich", "in.json", "--base-url", bad],
            &["--base-url", bad],
        );
    }
}

#[test]
fn an_unreadable_key() {
    let tmp = Temp::new();
    tmp.copy_in(
        &repo().join("sample-sboms/pypi-flask-django-env.cdx16.json"),
        "in.json",
    );
    refused(
        &tmp,
        &["enrich", "in.json", "--key", "missing.key"],
        &["missing.key: cannot read the signing key"],
    );
    std::fs::create_dir(tmp.join("dir.key")).unwrap();
    refused(
        &tmp,
        &["enrich", "in.json", "--key", "dir.key"],
        &["dir.key: cannot read the signing key"],
    );
    write(&tmp, "binary.key", &[0, 159, 146, 150]);
    refused(
        &tmp,
        &["enrich", "in.json", "--key", "binary.key"],
        &["binary.key: not a PEM key file"],
    );
    write(&tmp, "text.key", b"hello\n");
    refused(
        &tmp,
        &["enrich", "in.json", "--key", "text.key"],
        &["text.key:"],
    );
}

#[test]
fn a_key_of_the_wrong_type() {
    let tmp = Temp::new();
    tmp.copy_in(
        &repo().join("sample-sboms/pypi-flask-django-env.cdx16.json"),
        "in.json",
    );
    // A public key where the private key belongs.
    let public = repo().join("tests/data/keys/cosign.pub");
    let err = refused(
        &tmp,
        &["enrich", "in.json", "--key", public.to_str().unwrap()],
        &["cosign.pub:"],
    );
    assert!(err.to_lowercase().contains("public key"), "{err}");
    // An RSA key.
    let o = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(tmp.join("rsa.key"))
        .output()
        .unwrap();
    assert!(o.status.success());
    let err = refused(
        &tmp,
        &["enrich", "in.json", "--key", "rsa.key"],
        &["rsa.key:"],
    );
    assert!(err.contains("RSA"), "{err}");
    // An encrypted cosign key without its password.
    let enc = repo().join("tests/data/keys/cosign.key");
    let err = refused(
        &tmp,
        &["enrich", "in.json", "--key", enc.to_str().unwrap()],
        &["cosign.key:"],
    );
    assert!(
        err.contains("COSIGN_PASSWORD") || err.contains("password"),
        "{err}"
    );
}

#[test]
fn unsupported_formats_are_refused_by_content_whatever_their_name() {
    let tmp = Temp::new();
    for (src, name, what) in [
        (
            "sbom/cyclonedx/bom-examples/SBOM/laravel-7.12.0/bom.1.1.xml",
            "a.json",
            "CycloneDX 1.1 XML is not supported; tacos-sbom reads CycloneDX 1.2 and later",
        ),
        (
            "sbom/spdx/tools-python/SPDXYAMLExample-v2.3.spdx.yaml",
            "b.json",
            "SPDX YAML is not supported; convert it",
        ),
        (
            "sbom/spdx/tools-python/SPDXRdfExample-v2.3.spdx.rdf.xml",
            "c.json",
            "SPDX RDF/XML is not supported; convert it",
        ),
    ] {
        tmp.copy_in(&fixture(src), name);
        refused(&tmp, &["enrich", name], &[name, what]);
    }
}

#[test]
fn one_bad_input_does_not_stop_the_others() {
    let tmp = Temp::new();
    tmp.copy_in(
        &repo().join("sample-sboms/pypi-flask-django-env.cdx16.json"),
        "good.json",
    );
    write(&tmp, "bad.json", b"{");
    let o = tacos(
        tmp.path(),
        &["enrich", "good.json", "bad.json", "-o", "out"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("bad.json: invalid JSON"),
        "{}",
        stderr(&o)
    );
    assert!(tmp.join("out/good.tacos.json").exists());
    assert!(!tmp.join("out/bad.tacos.json").exists());
}

#[test]
fn a_component_without_or_with_an_invalid_purl_is_reported_and_the_run_goes_on() {
    let tmp = Temp::new();
    let doc = serde_json::json!({
        "bomFormat": "CycloneDX", "specVersion": "1.4", "version": 3,
        "components": [
            {"type": "library", "name": "left-pad", "version": "1.3.0", "purl": "pkg:npm/left-pad"},
            {"type": "library", "name": "nopurl", "version": "1"},
            {"type": "library", "name": "broken", "version": "1", "purl": "npm/broken@1"},
            {"type": "library", "name": "cargo-ns", "version": "1", "purl": "pkg:cargo/ns/name@1"}
        ]
    });
    write(&tmp, "in.json", doc.to_string().as_bytes());
    let o = tacos(tmp.path(), &["enrich", "in.json"]);
    assert_ok(&o);
    let err = stderr(&o);
    assert!(
        err.contains("skipped nopurl@1 in in.json: no package URL"),
        "{err}"
    );
    assert!(
        err.contains("skipped broken@1 in in.json: invalid package URL \"npm/broken@1\""),
        "{err}"
    );
    assert!(err.contains("skipped cargo-ns"), "{err}");
    assert!(
        err.contains("4 components, 3 with PURL, 1 reference written, 3 skipped"),
        "{err}"
    );
    // The PURL without a version took the component's.
    let out = std::fs::read_to_string(tmp.join("in.tacos.json")).unwrap();
    assert!(
        out.contains("TACOS attestation for pkg:npm/left-pad@1.3.0"),
        "{out}"
    );
}

/// Issue 8, item 3: a `--base-url` with credentials was written into every
/// reference of the SBOM. Refused, and the secret is not echoed.
#[test]
fn a_base_url_with_credentials_is_refused_without_showing_them() {
    let tmp = Temp::new();
    tmp.copy_in(
        &repo().join("sample-sboms/pypi-flask-django-env.cdx16.json"),
        "in.json",
    );
    for url in [
        "https://deploy:s3cr3t-pw@attest.example.invalid/tacos/",
        "https://ghp_s3cr3t@attest.example.invalid/tacos/",
        "https://attest.example.invalid/tacos/?token=s3cr3t",
        "https://attest.example.invalid/tacos/?X-Amz-Signature=s3cr3t",
        "https://u:s3cr3t@attest .example.invalid/",
    ] {
        let err = refused(
            &tmp,
            &["enrich", "in.json", "--base-url", url],
            &["--base-url"],
        );
        assert!(!err.contains("s3cr3t"), "the secret is shown: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let err = refused(
        &tmp,
        &[
            "enrich",
            "in.json",
            "--base-url",
            "https://deploy:s3cr3t-pw@attest.example.invalid/tacos/",
        ],
        &["carries credentials"],
    );
    assert!(err.contains("attest.example.invalid/tacos/"), "{err}");
}

/// A directory nobody can create files in, root included (`chattr +i`
/// where the file system has it, else mode 0555); `None` where neither holds
/// (then the test has nothing to show).
struct ReadOnlyDir(std::path::PathBuf);

impl ReadOnlyDir {
    fn make(path: std::path::PathBuf) -> Option<ReadOnlyDir> {
        std::fs::create_dir_all(&path).unwrap();
        let immutable = std::process::Command::new("chattr")
            .arg("+i")
            .arg(&path)
            .output()
            .is_ok_and(|o| o.status.success());
        if !immutable {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o555)).unwrap();
        }
        let dir = ReadOnlyDir(path);
        let probe = dir.0.join("probe");
        if std::fs::write(&probe, "x").is_ok() {
            let _ = std::fs::remove_file(&probe);
            eprintln!("cannot make a read-only directory here; skipping");
            return None;
        }
        Some(dir)
    }
}

impl Drop for ReadOnlyDir {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::process::Command::new("chattr")
            .arg("-i")
            .arg(&self.0)
            .output();
        let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o755));
    }
}

/// Issue 8, item 6: a read-only output directory was noticed only after the
/// artifacts, the report and the key were written.
#[test]
fn a_read_only_output_place_stops_the_run_before_anything_is_written() {
    let tmp = Temp::new();
    tmp.copy_in(
        &repo().join("sample-sboms/pypi-flask-django-env.cdx16.json"),
        "in.json",
    );
    let Some(_ro) = ReadOnlyDir::make(tmp.join("ro")) else {
        return;
    };
    for args in [
        // The output's directory is read-only, the artifacts' is not.
        &[
            "enrich",
            "in.json",
            "-o",
            "ro/out.json",
            "--attestations-dir",
            "att",
        ][..],
        // The artifacts' directory would be created inside a read-only one.
        &[
            "enrich",
            "in.json",
            "-o",
            "out.json",
            "--attestations-dir",
            "ro/att",
        ][..],
        // The default: artifacts beside the output, in a read-only place.
        &["enrich", "in.json", "-o", "ro/sub/out.json"][..],
    ] {
        let err = refused(
            &tmp,
            args,
            &["ro", "cannot write here", "nothing was written"],
        );
        assert!(
            !tmp.join(".tacos-config").exists(),
            "no key is created for a run that cannot write: {err}"
        );
    }
}

/// Issue 8, item 1: a run that fails after signing (here the SBOM layer
/// panicked while writing; however it fails) left
/// `tacos-attestations/tacos-sbom.pub` behind. Signing that fails half-way
/// takes back the artifacts already written.
#[test]
fn a_signing_failure_half_way_takes_back_what_was_written() {
    use tacos_sbom::enrich;
    let tmp = Temp::new();
    let input = tmp.copy_in(
        &repo().join("sample-sboms/pypi-flask-django-env.cdx16.json"),
        "in.json",
    );
    let opts = library_options(
        enrich::Output::File(tmp.join("out/out.json")),
        tmp.join("att"),
        tacos_sbom::config::Layout::Files,
    );
    let plan = enrich::plan(
        &[enrich::Input {
            path: input,
            root: None,
        }],
        &opts,
        &Quiet,
    )
    .unwrap();
    plan.check_outputs(&opts, &Default::default()).unwrap();
    let signer = FailingAfter {
        key: tacos_sbom::attest::SigningKey::generate(tacos_sbom::attest::KeyAlgorithm::Ed25519),
        left: 5.into(),
    };
    let err = enrich::execute(plan, Default::default(), &opts, &signer, &Quiet).unwrap_err();
    assert!(
        err.to_string().contains("signing service went away"),
        "{err}"
    );
    assert_eq!(tmp.files(), vec!["in.json".to_string()]);
    assert!(!tmp.join("att").exists() && !tmp.join("out").exists());
}

/// The application report of a single SBOM is signed while its packages
/// are: when the packages then fail, the report already written is taken
/// back with everything else.
#[test]
fn a_report_signed_before_the_packages_fail_is_taken_back() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use tacos_sbom::enrich;
    /// Signs the report; fails every package, but only once the report is
    /// written (its signature is the last step before its file is).
    struct ReportOnly {
        key: tacos_sbom::attest::SigningKey,
        report_signed: AtomicBool,
    }
    impl tacos_sbom::attest::Signer for ReportOnly {
        fn key_id(&self) -> String {
            self.key.public().key_id()
        }
        fn public_key_pem(&self) -> Option<String> {
            Some(self.key.public().to_spki_pem())
        }
        fn sign(&self, message: &[u8]) -> Result<Vec<u8>, tacos_sbom::attest::dsse::SignError> {
            let report = tacos_sbom::attest::REPORT_PREDICATE_TYPE.as_bytes();
            if message.windows(report.len()).any(|w| w == report) {
                self.report_signed.store(true, Ordering::SeqCst);
                return Ok(self.key.sign_bytes(message));
            }
            let waited = std::time::Instant::now();
            while !self.report_signed.load(Ordering::SeqCst)
                && waited.elapsed() < std::time::Duration::from_secs(20)
            {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            // Give the report's file time to be written and renamed.
            std::thread::sleep(std::time::Duration::from_millis(300));
            Err(tacos_sbom::attest::dsse::SignError::Failed(
                "the signing service went away".into(),
            ))
        }
    }
    for layout in [
        tacos_sbom::config::Layout::Files,
        tacos_sbom::config::Layout::Bundle,
    ] {
        let tmp = Temp::new();
        let input = tmp.copy_in(
            &repo().join("sample-sboms/pypi-flask-django-env.cdx16.json"),
            "in.json",
        );
        let opts = library_options(
            enrich::Output::File(tmp.join("out/out.json")),
            tmp.join("att"),
            layout,
        );
        let input = enrich::Input {
            path: input,
            root: None,
        };
        let plan = enrich::plan(std::slice::from_ref(&input), &opts, &Quiet).unwrap();
        plan.check_outputs(&opts, &Default::default()).unwrap();
        let signer = ReportOnly {
            key: tacos_sbom::attest::SigningKey::generate(
                tacos_sbom::attest::KeyAlgorithm::Ed25519,
            ),
            report_signed: false.into(),
        };
        let err = enrich::execute(plan, Default::default(), &opts, &signer, &Quiet).unwrap_err();
        assert!(
            err.to_string().contains("signing service went away"),
            "{err}"
        );
        assert!(signer.report_signed.load(Ordering::SeqCst));
        assert_eq!(tmp.files(), vec!["in.json".to_string()], "{layout:?}");
        assert!(!tmp.join("att").exists() && !tmp.join("out").exists());
    }
}

/// Issue 8, item 7: raw escape sequences in SBOM names and PURLs (and file
/// names) reached the terminal.
#[test]
fn control_characters_from_input_never_reach_the_terminal() {
    let tmp = Temp::new();
    let evil = "\u{1b}]0;owned\u{7}\u{1b}[2J\u{1b}[1A\rOK \u{9b}31m\u{202e}";
    let doc = serde_json::json!({
        "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
        "components": [
            {"type": "library", "name": format!("left-pad{evil}"), "version": "1.3.0", "purl": "pkg:npm/left-pad@1.3.0"},
            {"type": "library", "name": format!("nopurl{evil}"), "version": "1"},
            {"type": "library", "name": "broken", "version": "1", "purl": format!("npm/broken{evil}@1")}
        ]
    });
    let name = "in\u{1b}[31m.json";
    write(&tmp, name, doc.to_string().as_bytes());
    let o = tacos(tmp.path(), &["enrich", name, "-o", "out.json"]);
    assert_ok(&o);
    let raw = |b: &[u8]| {
        let t = String::from_utf8_lossy(b);
        t.chars()
            .find(|c| (c.is_control() && *c != '\n' && *c != '\t') || *c == '\u{202e}')
    };
    assert_eq!(raw(&o.stderr), None, "{:?}", stderr(&o));
    assert!(
        stderr(&o).contains("nopurl\\x1b]0;owned\\x07"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("in\\x1b[31m.json"), "{}", stderr(&o));

    // FAIL lines on stdout too: the component's artifact goes missing.
    for e in std::fs::read_dir(tmp.join("tacos-attestations")).unwrap() {
        let p = e.unwrap().path();
        if p.to_string_lossy().contains("left-pad") {
            std::fs::remove_file(p).unwrap();
        }
    }
    let o = tacos(
        tmp.path(),
        &["verify", "out.json", "--key", ".tacos-config/signing.pub"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("FAIL out.json: left-pad\\x1b]0;owned"),
        "{}",
        stdout(&o)
    );
    assert_eq!(raw(&o.stdout), None, "{:?}", stdout(&o));
    assert_eq!(raw(&o.stderr), None, "{:?}", stderr(&o));
}

/// An output that is a symbolic link to nothing is refused, and nothing is
/// left written. Since the outputs are checked where a link points, it is
/// refused before any artifact is written; before, when the SBOM was
/// written, and the artifacts were taken back.
#[cfg(unix)]
#[test]
fn an_output_link_to_nothing_is_refused_before_anything_is_written() {
    let tmp = Temp::new();
    tmp.copy_in(
        &repo().join("sample-sboms/pypi-flask-django-env.cdx16.json"),
        "in.json",
    );
    std::os::unix::fs::symlink("missing/out.json", tmp.join("out.json")).unwrap();
    refused(
        &tmp,
        &["enrich", "in.json", "-o", "out.json", "--ephemeral-key"],
        &["out.json", "symbolic link to nothing"],
    );
}
