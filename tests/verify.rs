//! Artifacts verify with our `verify` and with independent implementations;
//! any tampering makes `verify` fail and name the component.

mod common;

use std::path::PathBuf;

use common::*;
use serde_json::Value;

const SAMPLES: [&str; 3] = [
    "npm-webapp.cdx16.json",
    "pypi-flask-django-env.cdx16.json",
    "cargo-cli.cargo-sbom.spdx23.json",
];

/// Enrich a sample into a fresh directory; returns (dir, output path).
fn enriched(sample: &str) -> (Temp, PathBuf) {
    let tmp = Temp::new();
    tmp.copy_in(&repo().join("sample-sboms").join(sample), sample);
    let o = tacos(tmp.path(), &["enrich", sample, "-o", "out.json"]);
    assert_ok(&o);
    let out = tmp.join("out.json");
    (tmp, out)
}

fn artifacts(tmp: &Temp) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(tmp.join("tacos-attestations"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".tacos.dsse.json"))
        .collect();
    v.sort();
    v
}

fn verify(tmp: &Temp, args: &[&str]) -> std::process::Output {
    let mut all = vec!["verify", "out.json"];
    all.extend_from_slice(args);
    tacos(tmp.path(), &all)
}

#[test]
fn every_artifact_verifies_with_ours_and_with_independent_implementations() {
    for sample in SAMPLES {
        let (tmp, _) = enriched(sample);
        let key = tmp.join(".tacos-config/signing.pub");
        let o = verify(&tmp, &["--key", key.to_str().unwrap()]);
        assert_ok(&o);
        assert!(
            stderr(&o).contains("TACOS references verified"),
            "{}",
            stderr(&o)
        );

        // securesystemslib (DSSE) + in-toto-attestation (Statement), on every artifact.
        let files = artifacts(&tmp);
        assert!(!files.is_empty());
        let runs: Vec<Vec<String>> = files
            .iter()
            .map(|f| {
                vec![
                    f.to_string_lossy().into_owned(),
                    key.to_string_lossy().into_owned(),
                ]
            })
            .collect();
        for (f, (code, text)) in files.iter().zip(judge_batch("verify-dsse.py", &runs, &[])) {
            assert_eq!(code, 0, "{}: {text}", f.display());
            assert!(text.contains("VERIFIED"), "{text}");
        }
        // sigstore-js, on a few (one Node process each).
        for f in files.iter().step_by(files.len().div_ceil(5)) {
            let (code, text) = judge(
                "verify-bundle.mjs",
                &[f.to_str().unwrap(), key.to_str().unwrap()],
            );
            assert_eq!(code, 0, "{}: {text}", f.display());
        }
        // Every predicate is a valid TACOS statement by the shipped schema.
        let schema = repo().join("src/tacos/schema/tacos-statement-1.1.schema.json");
        let mut predicates = Vec::new();
        for (i, f) in files.iter().enumerate() {
            let env: Value = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
            let payload = base64_decode(env["payload"].as_str().unwrap());
            let st: Value = serde_json::from_slice(&payload).unwrap();
            assert_eq!(
                st["predicateType"],
                "urn:tacos-sbom:predicate:tacos-statement:v1.1"
            );
            assert_eq!(st["subject"][0]["name"], st["predicate"]["PURL"]);
            let p = tmp.join(&format!("predicate-{i}.json"));
            std::fs::write(&p, st["predicate"].to_string()).unwrap();
            predicates.push(p);
        }
        let (code, text) = check_jsonschema(&schema, &predicates);
        assert_eq!(
            code, 0,
            "{sample}: statements do not match the schema: {text}"
        );
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

/// The reference the output holds for a component, found by its PURL.
fn reference_of(out: &Value, purl_contains: &str) -> (String, String) {
    for c in out["components"].as_array().unwrap() {
        if c["purl"]
            .as_str()
            .is_some_and(|p| p.contains(purl_contains))
        {
            for r in c["externalReferences"].as_array().unwrap() {
                if r["type"] == "attestation" {
                    return (
                        r["url"].as_str().unwrap().to_string(),
                        r["hashes"][0]["content"].as_str().unwrap().to_string(),
                    );
                }
            }
        }
    }
    panic!("no reference for {purl_contains}");
}

#[test]
fn a_flipped_byte_in_an_artifact_fails_naming_the_component() {
    let (tmp, out) = enriched("pypi-flask-django-env.cdx16.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let (url, _) = reference_of(&doc, "pkg:pypi/urllib3");
    // Every byte position matters; try a few spread over the file.
    let path = tmp.join(&url);
    let original = std::fs::read(&path).unwrap();
    for pos in [
        0,
        original.len() / 3,
        original.len() / 2,
        original.len() - 2,
    ] {
        let mut bytes = original.clone();
        bytes[pos] ^= 0x01;
        std::fs::write(&path, &bytes).unwrap();
        let o = verify(&tmp, &[]);
        assert_eq!(o.status.code(), Some(1), "byte {pos}: {}", stdout(&o));
        let text = stdout(&o);
        assert!(
            text.contains("pkg:pypi/urllib3@1.26.4"),
            "byte {pos}: {text}"
        );
        assert!(text.contains("SHA-256 mismatch"), "{text}");
        assert_eq!(text.lines().count(), 1, "only that component fails: {text}");
    }
    std::fs::write(&path, &original).unwrap();
    assert_ok(&verify(&tmp, &["--allow-unauthenticated"]));
}

#[test]
fn a_flipped_digest_in_the_sbom_fails_naming_the_component() {
    let (tmp, out) = enriched("pypi-flask-django-env.cdx16.json");
    let text = std::fs::read_to_string(&out).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let (_, digest) = reference_of(&doc, "pkg:pypi/jinja2");
    let mut flipped = digest.clone().into_bytes();
    flipped[10] = if flipped[10] == b'0' { b'1' } else { b'0' };
    let flipped = String::from_utf8(flipped).unwrap();
    std::fs::write(&out, text.replace(&digest, &flipped)).unwrap();
    let o = verify(&tmp, &[]);
    assert_eq!(o.status.code(), Some(1));
    let msg = stdout(&o);
    assert!(
        msg.contains("pkg:pypi/jinja2@2.11.2") && msg.contains("SHA-256 mismatch"),
        "{msg}"
    );
}

#[test]
fn a_valid_artifact_of_another_package_fails_on_the_subject() {
    let (tmp, out) = enriched("pypi-flask-django-env.cdx16.json");
    let text = std::fs::read_to_string(&out).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let (flask_url, flask_digest) = reference_of(&doc, "pkg:pypi/flask@");
    let (click_url, click_digest) = reference_of(&doc, "pkg:pypi/click");
    // Point flask's reference at click's (validly signed) artifact.
    let swapped = text
        .replace(&flask_url, &click_url)
        .replace(&flask_digest, &click_digest);
    std::fs::write(&out, swapped).unwrap();
    let o = verify(&tmp, &[]);
    assert_eq!(o.status.code(), Some(1));
    let msg = stdout(&o);
    assert!(msg.contains("subject is pkg:pypi/click@"), "{msg}");
    assert!(msg.contains("the component is pkg:pypi/flask@"), "{msg}");
}

#[test]
fn the_wrong_key_or_a_missing_artifact_fails() {
    let (tmp, out) = enriched("pypi-flask-django-env.cdx16.json");
    let o = tacos(tmp.path(), &["keygen", "--out", "other"]);
    assert_ok(&o);
    let o = verify(&tmp, &["--key", "other.pub"]);
    assert_eq!(o.status.code(), Some(1));
    let failures = stdout(&o);
    assert!(failures.lines().count() >= 20, "{failures}");
    assert!(
        failures
            .lines()
            .all(|l| l.contains("signature does not verify")),
        "{failures}"
    );

    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let (url, _) = reference_of(&doc, "pkg:pypi/werkzeug");
    std::fs::remove_file(tmp.join(&url)).unwrap();
    let o = verify(&tmp, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("pkg:pypi/werkzeug@1.0.1"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn an_sbom_without_references_does_not_pass() {
    let tmp = Temp::new();
    tmp.copy_in(
        &repo().join("sample-sboms/pypi-flask-django-env.cdx16.json"),
        "out.json",
    );
    let o = verify(&tmp, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("no TACOS references"), "{}", stdout(&o));
}

#[test]
fn references_cannot_make_verify_read_outside_the_sbom_directory() {
    let (tmp, out) = enriched("pypi-flask-django-env.cdx16.json");
    let text = std::fs::read_to_string(&out).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let (url, _) = reference_of(&doc, "pkg:pypi/click");
    std::fs::write(&out, text.replace(&url, "../../../../etc/passwd")).unwrap();
    let o = verify(&tmp, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("points outside the SBOM's directory"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn base_url_references_verify_against_a_local_copy() {
    let tmp = Temp::new();
    let sample = "pypi-flask-django-env.cdx16.json";
    tmp.copy_in(&repo().join("sample-sboms").join(sample), sample);
    let o = tacos(
        tmp.path(),
        &[
            "enrich",
            sample,
            "-o",
            "out.json",
            "--base-url",
            "https://attest.example.invalid/tacos/v1",
        ],
    );
    assert_ok(&o);
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.join("out.json")).unwrap()).unwrap();
    let (url, _) = reference_of(&doc, "pkg:pypi/click");
    assert!(
        url.starts_with("https://attest.example.invalid/tacos/v1/pypi_click@"),
        "{url}"
    );
    let o = verify(&tmp, &[]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "remote artifacts need a local copy"
    );
    assert_ok(&verify(
        &tmp,
        &[
            "--attestations-dir",
            "tacos-attestations",
            "--allow-unauthenticated",
        ],
    ));
}

#[test]
fn keys_from_keygen_and_cosign_sign_verifiable_artifacts() {
    let sample = "pypi-flask-django-env.cdx16.json";
    // Ed25519 from keygen.
    let tmp = Temp::new();
    tmp.copy_in(&repo().join("sample-sboms").join(sample), sample);
    assert_ok(&tacos(
        tmp.path(),
        &["keygen", "--out", "ed", "--algorithm", "ed25519"],
    ));
    assert_ok(&tacos(
        tmp.path(),
        &["enrich", sample, "-o", "out.json", "--key", "ed.key"],
    ));
    assert_ok(&verify(&tmp, &["--key", "ed.pub"]));
    let art = artifacts(&tmp)[0].clone();
    let (code, text) = judge(
        "verify-dsse.py",
        &[art.to_str().unwrap(), tmp.join("ed.pub").to_str().unwrap()],
    );
    assert_eq!(code, 0, "{text}");

    // A cosign-format encrypted key, password from COSIGN_PASSWORD.
    let tmp = Temp::new();
    tmp.copy_in(&repo().join("sample-sboms").join(sample), sample);
    let key = repo().join("tests/data/keys/cosign.key");
    let o = tacos_env(
        tmp.path(),
        &[
            "enrich",
            sample,
            "-o",
            "out.json",
            "--key",
            key.to_str().unwrap(),
        ],
        &[("COSIGN_PASSWORD", "tacos-test-password")],
    );
    assert_ok(&o);
    let cosign_pub = repo().join("tests/data/keys/cosign.pub");
    assert_ok(&verify(&tmp, &["--key", cosign_pub.to_str().unwrap()]));
}

const OWN_KEY: &str = ".tacos-config/signing.pub";

/// Issue 8, item 8: an attacker who can write beside the artifacts replaces
/// them and the public key there. Without --key, `verify -q` used to exit 0
/// and print nothing.
#[test]
fn without_a_key_the_signer_is_unproven_even_when_quiet() {
    let sample = "pypi-flask-django-env.cdx16.json";
    let (tmp, _) = enriched(sample);
    assert_ok(&tacos(tmp.path(), &["keygen", "--out", "attacker"]));
    // The attacker re-signs everything with their own key, into the same place.
    assert_ok(&tacos(
        tmp.path(),
        &["enrich", sample, "-o", "out.json", "--key", "attacker.key"],
    ));

    let o = tacos(tmp.path(), &["-q", "verify", "out.json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("signer not proven"), "{err}");
    assert!(err.contains("--allow-unauthenticated"), "{err}");
    assert_eq!(stdout(&o), "", "no component failed");

    // Accepting integrity only is a decision, and still says what it means.
    let o = tacos(
        tmp.path(),
        &["-q", "verify", "out.json", "--allow-unauthenticated"],
    );
    assert_ok(&o);
    assert!(stderr(&o).contains("signer not proven"), "{}", stderr(&o));

    // The key obtained apart from the artifacts tells the truth.
    let o = tacos(tmp.path(), &["-q", "verify", "out.json", "--key", OWN_KEY]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("signature does not verify"),
        "{}",
        stdout(&o)
    );
    assert!(!stderr(&o).contains("signer not proven"));

    // `package` refuses the same, and takes the same flag.
    let o = tacos(tmp.path(), &["package", "out.json", "-o", "b.tar.gz"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(!tmp.join("b.tar.gz").exists());
    let o = tacos(
        tmp.path(),
        &[
            "package",
            "out.json",
            "-o",
            "b.tar.gz",
            "--allow-unauthenticated",
        ],
    );
    assert_ok(&o);
}

/// Remove the TACOS reference of the component whose PURL contains `purl`.
fn drop_reference(path: &std::path::Path, purl: &str) {
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let component = doc["components"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["purl"].as_str().is_some_and(|p| p.contains(purl)))
        .unwrap();
    component["externalReferences"]
        .as_array_mut()
        .unwrap()
        .retain(|r| r["type"] != "attestation");
    std::fs::write(path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
}

/// Issue 8, item 8: a component whose reference was removed passed with a
/// note, and `package` bundled it.
#[test]
fn a_component_with_a_purl_and_no_reference_fails_unless_allowed() {
    let (tmp, out) = enriched("pypi-flask-django-env.cdx16.json");
    drop_reference(&out, "pkg:pypi/jinja2");
    let o = verify(&tmp, &["--key", OWN_KEY]);
    assert_eq!(o.status.code(), Some(1));
    let fails = stdout(&o);
    assert!(
        fails.contains("pkg:pypi/jinja2@2.11.2") && fails.contains("no TACOS reference"),
        "{fails}"
    );
    assert_eq!(fails.lines().count(), 1, "{fails}");

    let o = verify(&tmp, &["--key", OWN_KEY, "--allow-missing"]);
    assert_ok(&o);
    assert!(
        stderr(&o).contains("1 component with a package URL without a TACOS reference"),
        "{}",
        stderr(&o)
    );

    let o = tacos(
        tmp.path(),
        &["package", "out.json", "-o", "b.tar.gz", "--key", OWN_KEY],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no TACOS reference"), "{}", stderr(&o));
    assert!(!tmp.join("b.tar.gz").exists());
    let o = tacos(
        tmp.path(),
        &[
            "package",
            "out.json",
            "-o",
            "b.tar.gz",
            "--key",
            OWN_KEY,
            "--allow-missing",
        ],
    );
    assert_ok(&o);
}

/// Issue 8, item 8: real SBOMs whose components have no PURL (a CBOM, a VEX
/// document) get only the application report; `enrich && verify` failed on
/// them with "no TACOS references" beside "1 of 1 TACOS references verified".
#[test]
fn an_sbom_whose_only_reference_is_the_application_report_verifies() {
    for src in [
        "sbom/cyclonedx/bom-examples/CBOM/Protocol/bom.json",
        "sbom/cyclonedx/bom-examples/VEX/CISA-Use-Cases/Case-2/vex.json",
    ] {
        let tmp = Temp::new();
        tmp.copy_in(&fixture(src), "in.json");
        assert_ok(&tacos(tmp.path(), &["enrich", "in.json", "-o", "out.json"]));
        let o = verify(&tmp, &["--key", OWN_KEY]);
        assert_ok(&o);
        let err = stderr(&o);
        assert!(err.contains("no component was attested"), "{src}: {err}");
        assert!(err.contains("1 of 1 TACOS references verified"), "{err}");
    }
}

/// Issue 8, item 8: in SPDX the artifact digest is in the reference comment,
/// after the PURL; a PURL that carries a digest of its own (an OCI image by
/// digest, a checksum qualifier) made `verify` take the PURL's.
#[test]
fn spdx_digests_are_read_where_this_tool_wrote_them() {
    let tmp = Temp::new();
    let image = "a".repeat(64);
    let checksum = "c".repeat(64);
    let doc = serde_json::json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "images",
        "documentNamespace": "https://example.invalid/spdx/images",
        "creationInfo": {"created": "2026-11-23T00:00:00Z", "creators": ["Tool: hand-written"]},
        "documentDescribes": ["SPDXRef-app"],
        "packages": [
            {"SPDXID": "SPDXRef-app", "name": "app", "downloadLocation": "NOASSERTION"},
            {"SPDXID": "SPDXRef-image", "name": "debian", "versionInfo": format!("sha256:{image}"),
             "downloadLocation": "NOASSERTION",
             "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                "referenceLocator": format!("pkg:oci/debian@sha256%3A{image}?repository_url=registry.example/library/debian")}]},
            {"SPDXID": "SPDXRef-archive", "name": "x", "versionInfo": "1",
             "downloadLocation": "NOASSERTION",
             "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                "referenceLocator": format!("pkg:generic/x@1?checksum=sha256:{checksum}")}]}
        ],
        "relationships": [
            {"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": "SPDXRef-app"}
        ]
    });
    std::fs::write(
        tmp.join("in.json"),
        serde_json::to_string_pretty(&doc).unwrap(),
    )
    .unwrap();
    assert_ok(&tacos(tmp.path(), &["enrich", "in.json", "-o", "out.json"]));
    let text = std::fs::read_to_string(tmp.join("out.json")).unwrap();
    assert!(text.contains(&image) && text.contains(&checksum));
    let o = verify(&tmp, &["--key", OWN_KEY]);
    assert_ok(&o);
    assert!(
        stderr(&o).contains("3 of 3 TACOS references verified"),
        "{}",
        stderr(&o)
    );
}

/// Issue 8, item 8: CycloneDX references carry the digest twice (hashes and
/// comment); the comment's was never compared.
#[test]
fn a_cyclonedx_comment_digest_that_disagrees_with_hashes_fails() {
    let (tmp, out) = enriched("pypi-flask-django-env.cdx16.json");
    let text = std::fs::read_to_string(&out).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let (_, digest) = reference_of(&doc, "pkg:pypi/click");
    let other = "0".repeat(64);
    let altered = text.replace(&format!("sha256:{digest}"), &format!("sha256:{other}"));
    assert_ne!(altered, text);
    std::fs::write(&out, altered).unwrap();
    let o = verify(&tmp, &["--key", OWN_KEY]);
    assert_eq!(o.status.code(), Some(1));
    let fails = stdout(&o);
    assert!(
        fails.contains("pkg:pypi/click@") && fails.contains("its comment records"),
        "{fails}"
    );
    assert_eq!(fails.lines().count(), 1, "{fails}");
}
