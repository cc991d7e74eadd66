//! npm release provenance end to end: the real SLSA provenance npm keeps
//! for `sigstore@0.4.0` (a Sigstore bundle from the public-good instance,
//! recorded in npm's pacote test fixtures) served by the registry stand-in
//! beside the real packument, verified offline against the built-in
//! public-good trusted root. sigstore-js judges the same bundle first
//! (tests/conformance/verify-npm-provenance.mjs). Then every way it must
//! not count: a tampered bundle, another release's bundle, a registry
//! digest it does not name, a declared repository it contradicts, and
//! answers that are not npm's shape.

mod common;
#[path = "support/server.rs"]
mod server;

use base64::Engine;
use common::*;
use serde_json::{Value, json};
use server::{Fault, FixtureServer};

const RELEASE: &str = "pkg:npm/sigstore@0.4.0";
const WORKFLOW: &str =
    "https://github.com/sigstore/sigstore-js/.github/workflows/publish.yml@refs/tags/v0.4.0";
const REPOSITORY: &str = "https://github.com/sigstore/sigstore-js";
const COMMIT: &str = "8a2ee2fd20dda58ffa4a8d808a65cb1e04711c03";
const ATTESTATIONS: &str = "/npm/-/npm/v1/attestations/sigstore@0.4.0";

fn attestations() -> Value {
    serde_json::from_slice(&std::fs::read(fixture("provenance/npm/sigstore@0.4.0.json")).unwrap())
        .unwrap()
}

/// The recorded packument, with the `dist.attestations` pointer the npm
/// registry writes for a release published with provenance (this
/// machine's mirror strips it; its shape is the one npm's pacote tests
/// record for sigstore@0.4.0) on 0.4.0 and 1.0.0.
fn packument() -> Value {
    let mut p: Value =
        serde_json::from_slice(&std::fs::read(fixture("registry/npm/sigstore.json")).unwrap())
            .unwrap();
    for v in ["0.4.0", "1.0.0"] {
        p["versions"][v]["dist"]["attestations"] = json!({
            "url": format!("https://npm-registry.example/-/npm/v1/attestations/sigstore@{v}"),
            "provenance": {"predicateType": "https://slsa.dev/provenance/v0.2"},
        });
    }
    p
}

/// The fixture server with the packument above.
fn registry() -> FixtureServer {
    let srv = FixtureServer::start(&fixtures());
    serve(&srv, "/npm/sigstore", packument().to_string().into_bytes());
    srv
}

fn serve(srv: &FixtureServer, path: &str, body: Vec<u8>) {
    let exact = format!("{path}$");
    srv.clear_fault(&exact);
    srv.fault(&exact, Fault::Body { status: 200, body });
}

/// `assess` of `purl` against the stand-ins, with a cache of its own.
fn assess(srv: &FixtureServer, tmp: &Temp, purl: &str) -> Value {
    let env = srv.env();
    let env_ref: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let cache = tempfile::tempdir_in(tmp.path()).unwrap();
    let o = tacos_env(
        tmp.path(),
        &[
            "assess",
            purl,
            "--cache-dir",
            cache.path().to_str().unwrap(),
        ],
        &env_ref,
    );
    assert_ok(&o);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    v[0].clone()
}

fn repository_evidence(s: &Value) -> &Value {
    &s["Evidence"]["UpstreamRepositoryURL"]
}

#[test]
fn sigstore_js_verifies_the_recorded_provenance_and_refuses_a_tampered_one() {
    let tmp = Temp::new();
    let integrity = packument()["versions"]["0.4.0"]["dist"]["integrity"]
        .as_str()
        .unwrap()
        .to_string();
    let root = fixture("sigstore/public-good-trusted-root.json");
    let judge_it = |answer: &Value| {
        let p = tmp.join("answer.json");
        std::fs::write(&p, answer.to_string()).unwrap();
        judge(
            "verify-npm-provenance.mjs",
            &[
                p.to_str().unwrap(),
                root.to_str().unwrap(),
                RELEASE,
                &integrity,
            ],
        )
    };
    let (code, said) = judge_it(&attestations());
    assert_eq!(code, 0, "{said}");
    assert!(
        said.contains(WORKFLOW) && said.contains(REPOSITORY),
        "{said}"
    );

    let (code, said) = judge_it(&tampered());
    assert_eq!(code, 1, "a tampered bundle must fail the judge too: {said}");
}

/// The recorded answer with one character of the signed statement changed.
fn tampered() -> Value {
    let mut a = attestations();
    let env = &mut a["attestations"][0]["bundle"]["dsseEnvelope"];
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut payload = b64.decode(env["payload"].as_str().unwrap()).unwrap();
    let text = String::from_utf8(payload.clone()).unwrap();
    let at = text.find("refs/tags/v0.4.0").unwrap();
    payload[at + "refs/tags/v".len()] = b'9';
    env["payload"] = b64.encode(&payload).into();
    a
}

#[test]
fn a_verified_provenance_confirms_the_declared_repository() {
    let srv = registry();
    let tmp = Temp::new();
    let s = assess(&srv, &tmp, RELEASE);
    assert_eq!(s["UpstreamRepositoryURL"], REPOSITORY, "{s}");
    let e = repository_evidence(&s);
    assert_eq!(e["ReasonCode"], "observed", "{e}");
    let reason = e["Reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!(
            "confirmed by the verified provenance of release 0.4.0: built from {REPOSITORY} at commit {COMMIT} by {WORKFLOW}"
        )),
        "{reason}"
    );
    assert!(reason.contains("entry 10960845"), "{reason}");
    let p = &e["Observed"]["provenance"];
    assert_eq!(p["verified"], true, "{p}");
    assert_eq!(p["sourceRepository"], REPOSITORY);
    assert_eq!(p["commit"], COMMIT);
    assert_eq!(p["signedAt"], "2023-01-11T17:31:52Z");
    assert!(
        p["attestations"].as_str().unwrap().ends_with(ATTESTATIONS),
        "{p}"
    );
    // The attested-only field a provenance might be mistaken for stays so.
    assert_eq!(s["DocumentedBuildPractices"], "NOASSERTION");
    // No registry-wide rule is known for npm: nothing is added.
    let mfa = s["Evidence"]["PackageManagerMFAEnabled"]["Reason"]
        .as_str()
        .unwrap();
    assert!(!mfa.contains("context"), "{mfa}");
}

/// As the mirror serves it (no `dist.attestations`), the release has no
/// attestations to ask about: none is asked for, and nothing is said.
#[test]
fn a_release_without_the_pointer_is_not_asked_about() {
    let srv = FixtureServer::start(&fixtures());
    let tmp = Temp::new();
    let s = assess(&srv, &tmp, RELEASE);
    assert_eq!(s["UpstreamRepositoryURL"], REPOSITORY, "{s}");
    let e = repository_evidence(&s);
    assert!(e["Observed"].get("provenance").is_none(), "{e}");
    assert_eq!(srv.hits_under("/npm/-/npm/v1/attestations/"), 0);
}

#[test]
fn a_provenance_that_proves_nothing_leaves_the_declaration_alone_and_says_why() {
    let srv = registry();
    let tmp = Temp::new();
    type SetUp<'a> = Box<dyn Fn() + 'a>;
    let cases: Vec<(&str, SetUp, &str)> = vec![
        (
            "tampered",
            Box::new(|| serve(&srv, ATTESTATIONS, tampered().to_string().into_bytes())),
            "its signature does not verify",
        ),
        (
            "another release's provenance",
            Box::new(|| {
                srv.clear_fault(&format!("{ATTESTATIONS}$"));
                serve(
                    &srv,
                    "/npm/-/npm/v1/attestations/sigstore@1.0.0",
                    attestations().to_string().into_bytes(),
                )
            }),
            "its subject is not sigstore@1.0.0",
        ),
        (
            "a tarball digest it does not name",
            Box::new(|| {
                let mut p = packument();
                let other = p["versions"]["1.0.0"]["dist"]["integrity"].clone();
                p["versions"]["0.4.0"]["dist"]["integrity"] = other;
                serve(&srv, "/npm/sigstore", p.to_string().into_bytes());
            }),
            "its subject's SHA-512 is not the one the registry records",
        ),
        (
            "no digest to tie it to",
            Box::new(|| {
                let mut p = packument();
                p["versions"]["0.4.0"]["dist"]
                    .as_object_mut()
                    .unwrap()
                    .remove("integrity");
                serve(&srv, "/npm/sigstore", p.to_string().into_bytes());
            }),
            "the registry records no SHA-512",
        ),
    ];
    for (case, set_up, says) in cases {
        set_up();
        let purl = if case.contains("another release") {
            "pkg:npm/sigstore@1.0.0"
        } else {
            RELEASE
        };
        let s = assess(&srv, &tmp, purl);
        // The declaration stands on the registry's answer, as before.
        assert_eq!(s["UpstreamRepositoryURL"], REPOSITORY, "{case}: {s}");
        let e = repository_evidence(&s);
        let reason = e["Reason"].as_str().unwrap();
        assert!(
            reason.contains("provenance proves nothing"),
            "{case}: {reason}"
        );
        assert!(reason.contains(says), "{case}: {reason}");
        assert_eq!(
            e["Observed"]["provenance"]["verified"], "NOASSERTION",
            "{case}: {e}"
        );
        assert!(!reason.contains("confirmed"), "{case}: {reason}");
        serve(&srv, "/npm/sigstore", packument().to_string().into_bytes());
    }
}

#[test]
fn a_provenance_naming_another_repository_is_a_conflict_and_unvalidates_it() {
    let srv = registry();
    let tmp = Temp::new();
    // A packument that claims a famous repository it was not built from
    // (borrowing its Scorecard): the signed provenance says otherwise.
    let mut p = packument();
    let claimed = json!({"type": "git", "url": "git+https://github.com/ossf/scorecard.git"});
    p["repository"] = claimed.clone();
    for (_, v) in p["versions"].as_object_mut().unwrap() {
        v["repository"] = claimed.clone();
    }
    serve(&srv, "/npm/sigstore", p.to_string().into_bytes());
    let s = assess(&srv, &tmp, RELEASE);
    assert_eq!(s["UpstreamRepositoryURL"], "NOASSERTION", "{s}");
    let e = repository_evidence(&s);
    assert_eq!(e["ReasonCode"], "conflict", "{e}");
    let reason = e["Reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!(
            "the verified provenance of release 0.4.0 says it was built from {REPOSITORY}"
        )) && reason.contains("not from the declared repository"),
        "{reason}"
    );
    // Nothing is taken from the claimed repository: Scorecard is not asked.
    let sc = &s["Evidence"]["CodeReviewPractice"];
    assert!(
        sc["Reason"].as_str().unwrap().contains("names https://github.com/sigstore/sigstore-js, not the declared https://github.com/ossf/scorecard"),
        "{sc}"
    );
    assert_eq!(srv.hits("/scorecard/projects/github.com/ossf/scorecard"), 0);
}

#[test]
fn answers_not_in_npm_s_shape_are_malformed_and_decide_nothing() {
    let srv = registry();
    let tmp = Temp::new();
    let mut two = attestations();
    let first = two["attestations"][0].clone();
    two["attestations"].as_array_mut().unwrap().push(first);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("not JSON", b"<html>upstream error</html>".to_vec()),
        ("no list", br#"{"attestations": {}}"#.to_vec()),
        ("a bundle that is a string", br#"{"attestations": [{"predicateType": "https://slsa.dev/provenance/v1", "bundle": "x"}]}"#.to_vec()),
        ("two provenances", two.to_string().into_bytes()),
        ("over the size limit", {
            let mut b = br#"{"attestations": [], "pad": ""#.to_vec();
            b.extend(std::iter::repeat_n(b'x', 600 * 1024));
            b.extend(br#""}"#);
            b
        }),
    ];
    for (case, body) in cases {
        serve(&srv, ATTESTATIONS, body);
        let s = assess(&srv, &tmp, RELEASE);
        assert_eq!(s["UpstreamRepositoryURL"], REPOSITORY, "{case}: {s}");
        let e = repository_evidence(&s);
        assert!(e["Observed"].get("provenance").is_none(), "{case}: {e}");
        assert!(
            !e["Reason"].as_str().unwrap().contains("provenance"),
            "{case}: {e}"
        );
    }
}

// PyPI: the real PEP 740 provenance of sigstore-3.6.1.tar.gz and of
// pypi_attestations-0.0.19.tar.gz (recorded in pypi-attestations' test
// assets), served by the index stand-in's integrity API beside the real
// project answers.

const PYPI_RELEASE: &str = "pkg:pypi/sigstore@3.6.1";
const PYPI_REPOSITORY: &str = "https://github.com/sigstore/sigstore-python";
const PYPI_WORKFLOW: &str =
    "https://github.com/sigstore/sigstore-python/.github/workflows/release.yml@refs/tags/v3.6.1";
const PYPI_SDIST_SHA256: &str = "ee60fdc9236fd6709271ad53b44027461360c3fde155d2af15482e4c451ff865";

#[test]
fn sigstore_python_verifies_the_recorded_pypi_provenance() {
    let root = fixture("sigstore/public-good-trusted-root.json");
    let prov = fixture("provenance/pypi/sigstore-3.6.1.tar.gz.provenance");
    // The digest the registry lists for the file is the one judged.
    let project: Value =
        serde_json::from_slice(&std::fs::read(fixture("registry/pypi/sigstore.json")).unwrap())
            .unwrap();
    let listed = project["releases"]["3.6.1"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["filename"] == "sigstore-3.6.1.tar.gz")
        .unwrap()["digests"]["sha256"]
        .clone();
    assert_eq!(listed, PYPI_SDIST_SHA256);
    let (code, said) = judge(
        "verify-pypi-provenance.py",
        &[
            prov.to_str().unwrap(),
            root.to_str().unwrap(),
            "sigstore-3.6.1.tar.gz",
            PYPI_SDIST_SHA256,
            PYPI_WORKFLOW,
        ],
    );
    assert_eq!(code, 0, "{said}");
    assert!(said.contains(PYPI_REPOSITORY), "{said}");
    // Another file's digest fails the judge as it fails the tool.
    let (code, said) = judge(
        "verify-pypi-provenance.py",
        &[
            prov.to_str().unwrap(),
            root.to_str().unwrap(),
            "sigstore-3.6.1.tar.gz",
            &"0".repeat(64),
            PYPI_WORKFLOW,
        ],
    );
    assert_eq!(code, 1, "{said}");
}

#[test]
fn a_verified_pypi_publish_attestation_confirms_the_declared_repository() {
    let srv = FixtureServer::start(&fixtures());
    let tmp = Temp::new();
    let s = assess(&srv, &tmp, PYPI_RELEASE);
    assert_eq!(s["UpstreamRepositoryURL"], PYPI_REPOSITORY, "{s}");
    let e = repository_evidence(&s);
    let reason = e["Reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!(
            "confirmed by the verified provenance of release 3.6.1: published from {PYPI_REPOSITORY} at commit 896cfe13105495e6dc6f8faf23e1007da35edeeb by {PYPI_WORKFLOW}"
        )),
        "{reason}"
    );
    let p = &e["Observed"]["provenance"];
    assert_eq!(p["verified"], true, "{p}");
    assert_eq!(p["claim"], "published");
    // PyPI's account-wide 2FA rule is context beside the attested-only
    // field, never its value; a publish attestation is no MFA evidence.
    assert_eq!(s["PackageManagerMFAEnabled"], "NOASSERTION");
    let mfa = &s["Evidence"]["PackageManagerMFAEnabled"];
    assert_eq!(mfa["ReasonCode"], "attested-only", "{mfa}");
    assert!(
        mfa["Reason"]
            .as_str()
            .unwrap()
            .contains("context, not an attestation: PyPI requires every account to have two-factor authentication"),
        "{mfa}"
    );
    assert!(
        p["attestations"]
            .as_str()
            .unwrap()
            .ends_with("/integrity/sigstore/3.6.1/sigstore-3.6.1.tar.gz/provenance"),
        "{p}"
    );

    // The same attestation served for the release's other file (the
    // wheel, were it the one asked about) names another file: nothing.
    let mut project: Value =
        serde_json::from_slice(&std::fs::read(fixture("registry/pypi/sigstore.json")).unwrap())
            .unwrap();
    let files = project["releases"]["3.6.1"].as_array_mut().unwrap();
    files.retain(|f| f["packagetype"] != "sdist");
    let wheel = files[0]["filename"].as_str().unwrap().to_string();
    serve(
        &srv,
        "/pypi/pypi/sigstore/json",
        project.to_string().into_bytes(),
    );
    serve(
        &srv,
        &format!("/pypi/integrity/sigstore/3.6.1/{wheel}/provenance"),
        std::fs::read(fixture("provenance/pypi/sigstore-3.6.1.tar.gz.provenance")).unwrap(),
    );
    let s = assess(&srv, &tmp, PYPI_RELEASE);
    let reason = repository_evidence(&s)["Reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        reason.contains(&format!("its subject is not sigstore@3.6.1's file {wheel}")),
        "{reason}"
    );
    assert_eq!(s["UpstreamRepositoryURL"], PYPI_REPOSITORY);
}

/// pypi-attestations moved from trailofbits to the pypi organisation after
/// 0.0.19: the project now declares the new repository, the release's
/// attestation names the old one. A move and a false claim look the same
/// from here, so it is a conflict, never a value — and the reason shows
/// both repositories for a person to judge.
#[test]
fn a_repository_transferred_since_the_release_is_a_conflict_with_both_named() {
    let srv = FixtureServer::start(&fixtures());
    let tmp = Temp::new();
    let s = assess(&srv, &tmp, "pkg:pypi/pypi-attestations@0.0.19");
    assert_eq!(s["UpstreamRepositoryURL"], "NOASSERTION", "{s}");
    let e = repository_evidence(&s);
    assert_eq!(e["ReasonCode"], "conflict", "{e}");
    let reason = e["Reason"].as_str().unwrap();
    assert!(
        reason.contains("https://github.com/pypi/pypi-attestations")
            && reason.contains(
                "the verified provenance of release 0.0.19 says it was published from https://github.com/trailofbits/pypi-attestations"
            ),
        "{reason}"
    );
}
