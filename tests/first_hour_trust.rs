//! A new user's first hour, on trust and outputs (issue 21): the "check
//! with:" hint names the signer's own key, never the copy beside the
//! artifacts; that copy given as --key proves nothing and is said so; every
//! command that writes creates the folder it writes into; enriched outputs
//! are named by one rule; small messages say what they mean.

mod common;

use common::*;
use serde_json::Value;

const SAMPLE: &str = "npm-webapp.cdx16.json";
const COPY: &str = "out/tacos-attestations/tacos-sbom.pub";

/// Enrich the npm sample into `out/x.json` with `extra` arguments.
fn enriched(extra: &[&str]) -> (Temp, std::process::Output) {
    let tmp = Temp::new();
    tmp.copy_in(&repo().join("sample-sboms").join(SAMPLE), SAMPLE);
    let mut args = vec!["enrich", SAMPLE, "-o", "out/x.json"];
    args.extend_from_slice(extra);
    let o = tacos(tmp.path(), &args);
    assert_ok(&o);
    (tmp, o)
}

fn check_hint(o: &std::process::Output) -> String {
    let out = format!("{}{}", stdout(o), stderr(o));
    out.lines()
        .find(|l| l.starts_with("check with:"))
        .unwrap_or_else(|| panic!("no check hint in:\n{out}"))
        .to_string()
}

/// With the default key, the hint names the default key's public half.
#[test]
fn the_check_hint_names_the_default_key_s_public_half() {
    let (tmp, o) = enriched(&[]);
    let hint = check_hint(&o);
    let public = tmp.join(".tacos-config/signing.pub");
    assert!(
        hint.ends_with(&format!("--key {}", public.display())),
        "{hint}"
    );
    assert!(!hint.contains("tacos-sbom.pub"), "{hint}");
    // And what it names does prove the signer.
    assert_ok(&tacos(
        tmp.path(),
        &["verify", "out/x.json", "--key", public.to_str().unwrap()],
    ));
}

/// With --key NAME.key, the hint names NAME.pub (as keygen writes it).
#[test]
fn the_check_hint_names_the_given_key_s_public_half() {
    let tmp = Temp::new();
    tmp.copy_in(&repo().join("sample-sboms").join(SAMPLE), SAMPLE);
    assert_ok(&tacos(tmp.path(), &["keygen", "-o", "keys/signer"]));
    let o = tacos(
        tmp.path(),
        &[
            "enrich",
            SAMPLE,
            "-o",
            "out/x.json",
            "--key",
            "keys/signer.key",
        ],
    );
    assert_ok(&o);
    let hint = check_hint(&o);
    assert!(hint.ends_with("--key keys/signer.pub"), "{hint}");
}

/// A key without its public half beside it: the hint says how to get one,
/// and never offers the copy beside the artifacts as the key.
#[test]
fn without_the_public_half_the_hint_says_how_to_get_it() {
    let tmp = Temp::new();
    tmp.copy_in(&repo().join("sample-sboms").join(SAMPLE), SAMPLE);
    assert_ok(&tacos(tmp.path(), &["keygen", "-o", "signer"]));
    std::fs::remove_file(tmp.join("signer.pub")).unwrap();
    let o = tacos(
        tmp.path(),
        &["enrich", SAMPLE, "-o", "out/x.json", "--key", "signer.key"],
    );
    assert_ok(&o);
    let hint = check_hint(&o);
    assert!(!hint.contains(&format!("--key {COPY}")), "{hint}");
    assert!(!hint.contains("--key /"), "{hint}");
    assert!(hint.contains("public half of signer.key"), "{hint}");
    assert!(
        hint.contains("openssl pkey -in signer.key -pubout"),
        "{hint}"
    );
}

/// verify, report and package given the copy shipped beside the artifacts:
/// the signatures check, the signer is not proven, and each says so.
#[test]
fn the_copy_beside_the_artifacts_given_as_key_proves_no_signer() {
    let (tmp, _) = enriched(&[]);
    let said = "the given key is the copy shipped with the artifacts";

    let o = tacos(tmp.path(), &["verify", "out/x.json", "--key", COPY]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains(said), "{}", stderr(&o));
    assert!(stderr(&o).contains("signer not proven"), "{}", stderr(&o));
    let o = tacos(
        tmp.path(),
        &["verify", "out/x.json", "--key", COPY, "-f", "json"],
    );
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["results"][0]["signerProven"], false);
    // Accepted on purpose, it is still unproven.
    let o = tacos(
        tmp.path(),
        &[
            "verify",
            "out/x.json",
            "--key",
            COPY,
            "--allow-unauthenticated",
        ],
    );
    assert_ok(&o);
    assert!(stderr(&o).contains(said), "{}", stderr(&o));

    let o = tacos(tmp.path(), &["report", "out/x.json", "--key", COPY]);
    let md = stdout(&o);
    assert!(!md.contains("with the given key"), "{md}");
    assert!(md.contains("intact, signer not proven"), "{md}");
    assert!(md.contains(said), "{md}");
    let o = tacos(
        tmp.path(),
        &["report", "out/x.json", "--key", COPY, "-f", "json"],
    );
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["provenance"]["signer_proven"], false, "{v}");

    let o = tacos(
        tmp.path(),
        &["package", "out/x.json", "-o", "b.tar.gz", "--key", COPY],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains(said), "{}", stderr(&o));
    assert!(!tmp.join("b.tar.gz").exists());

    // The signer's own key, with the same bytes, proves the signer.
    let own = tmp.join(".tacos-config/signing.pub");
    assert_eq!(
        std::fs::read(&own).unwrap(),
        std::fs::read(tmp.join(COPY)).unwrap()
    );
    let o = tacos(
        tmp.path(),
        &["report", "out/x.json", "--key", own.to_str().unwrap()],
    );
    assert!(
        stdout(&o).contains("signatures (with the given key)"),
        "{}",
        stdout(&o)
    );
}

/// Every command that writes a file makes the folder it writes into, as
/// enrich and keygen do; when it cannot, the error names the output and the
/// step, not a bare "No such file or directory" that reads as a missing input.
#[test]
fn every_command_that_writes_makes_the_missing_folder() {
    let (tmp, _) = enriched(&[]);
    let own = tmp.join(".tacos-config/signing.pub");
    let own = own.to_str().unwrap();
    for (format, out) in [
        ("md", "new/a/summary.md"),
        ("html", "new/b/summary.html"),
        ("json", "new/c/summary.json"),
        ("sarif", "new/d/results.sarif"),
    ] {
        let o = tacos(
            tmp.path(),
            &[
                "report",
                "out/x.json",
                "-f",
                format,
                "-o",
                out,
                "--key",
                own,
            ],
        );
        assert_eq!(o.status.code(), Some(0), "{out}: {}", stderr(&o));
        assert!(tmp.join(out).is_file(), "{out}");
    }
    let o = tacos(
        tmp.path(),
        &[
            "package",
            "out/x.json",
            "-o",
            "new/e/b.tar.gz",
            "--key",
            own,
        ],
    );
    assert_ok(&o);
    assert!(tmp.join("new/e/b.tar.gz").is_file());
    assert_ok(&tacos(tmp.path(), &["keygen", "-o", "new/f/k"]));
    assert!(tmp.join("new/f/k.pub").is_file());

    // A folder that cannot be made: the output and the step are named.
    std::fs::write(tmp.join("plain"), "a file, not a folder").unwrap();
    let o = tacos(
        tmp.path(),
        &["report", "out/x.json", "-o", "plain/s.md", "--key", own],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("plain/s.md: cannot create the folder plain"),
        "{}",
        stderr(&o)
    );
    let o = tacos(
        tmp.path(),
        &[
            "package",
            "out/x.json",
            "-o",
            "plain/b.tar.gz",
            "--key",
            own,
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("plain/b.tar.gz: cannot create the folder plain"),
        "{}",
        stderr(&o)
    );
}

/// One naming rule for every format, and `enrich --help` states it.
#[test]
fn enriched_outputs_are_named_by_one_rule_the_help_states() {
    let tmp = Temp::new();
    tmp.copy_in(&repo().join("sample-sboms").join(SAMPLE), SAMPLE);
    let o = tacos(tmp.path(), &["enrich", SAMPLE]);
    assert_ok(&o);
    let top: Vec<String> = tmp
        .files()
        .into_iter()
        .filter(|f| !f.contains('/'))
        .collect();
    assert!(
        top.iter().any(|f| f == "npm-webapp.tacos.cdx16.json"),
        "{top:?}"
    );
    // As a person reads it, whatever the terminal's width wrapped.
    let help = stdout(&tacos(tmp.path(), &["enrich", "--help"]))
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(!help.contains("NAME.tacos.json"), "{help}");
    assert!(
        help.contains("bom.cdx16.json -> bom.tacos.cdx16.json"),
        "{help}"
    );
    assert!(help.contains("sbom.spdx -> sbom.tacos.spdx"), "{help}");
}

/// An SBOM moved without its attestations folder: one line with the count
/// and --attestations-dir, not a line per reference (-v lists each).
#[test]
fn a_moved_sbom_gets_one_line_suggesting_the_attestations_dir() {
    let (tmp, _) = enriched(&[]);
    std::fs::create_dir(tmp.join("moved")).unwrap();
    std::fs::copy(tmp.join("out/x.json"), tmp.join("moved/x.json")).unwrap();
    let own = tmp.join(".tacos-config/signing.pub");
    let own = own.to_str().unwrap();
    let o = tacos(tmp.path(), &["verify", "moved/x.json", "--key", own]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let fails: Vec<&str> = out.lines().filter(|l| l.starts_with("FAIL")).collect();
    assert_eq!(fails.len(), 1, "{fails:?}");
    assert!(fails[0].contains("346 artifacts not found"), "{}", fails[0]);
    assert!(fails[0].contains("--attestations-dir"), "{}", fails[0]);
    let o = tacos(tmp.path(), &["-v", "verify", "moved/x.json", "--key", own]);
    let all = format!("{}{}", stdout(&o), stderr(&o));
    assert!(all.lines().filter(|l| l.starts_with("FAIL")).count() > 300);
    let o = tacos(tmp.path(), &["report", "moved/x.json", "--key", own]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains("--attestations-dir"), "{}", stderr(&o));
    let o = tacos(
        tmp.path(),
        &["package", "moved/x.json", "-o", "b.tar.gz", "--key", own],
    );
    assert_eq!(o.status.code(), Some(1));
    let fails = stderr(&o).lines().filter(|l| l.starts_with("FAIL")).count();
    assert_eq!(fails, 1, "{}", stderr(&o));
}

/// A report on an SBOM that names no application, titled by its serial
/// number, says that it is one.
#[test]
fn a_report_titled_by_serial_number_says_the_sbom_is_unnamed() {
    let tmp = Temp::new();
    let sbom = r#"{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
        "serialNumber":"urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "components":[{"type":"library","name":"ms","version":"2.1.3","purl":"pkg:npm/ms@2.1.3"}]}"#;
    std::fs::write(tmp.join("bom.json"), sbom).unwrap();
    assert_ok(&tacos(
        tmp.path(),
        &["enrich", "bom.json", "-o", "out.json"],
    ));
    let own = tmp.join(".tacos-config/signing.pub");
    let o = tacos(
        tmp.path(),
        &["report", "out.json", "--key", own.to_str().unwrap()],
    );
    assert!(
        stdout(&o).starts_with(
            "# TACOS assessment: unnamed SBOM urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"
        ),
        "{}",
        stdout(&o)
    );
    // The JSON keeps the name the signed report has: a program reading it
    // matches it against the artifact, not a title for people.
    let o = tacos(
        tmp.path(),
        &[
            "report",
            "out.json",
            "--key",
            own.to_str().unwrap(),
            "-f",
            "json",
        ],
    );
    let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        j["application"], "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "{j:#}"
    );
}
