//! Keyless verification (`attest::keyless`, `verify --certificate-identity`).
//!
//! Two kinds of evidence. Bundles that are not ours: a real public-good
//! keyless DSSE bundle with the public-good trusted root, and the
//! sigstore-conformance suite's keyless in-toto bundles with its custom
//! root, and its DSSE bundles logged to staging's Rekor v2 with the staging
//! root (tests/fixtures/sigstore/MANIFEST.md names their origins), checked
//! offline, whole and then altered one part at a time. And bundles made
//! here by a small test PKI (a CA, a CT log, a Rekor-shaped log, all keys
//! made for the run) around TACOS statements that `enrich` signed, so the
//! `verify` command can be run end to end; sigstore-js judges those too, so
//! they are known good apart from our verifier.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tacos_sbom::attest::keyless::{self, Identity, KeylessError, LogProblem, Matcher, TimeSource};
use tacos_sbom::attest::rfc3161::der;
use tacos_sbom::attest::sigstore::{BundleError, EntryProblem};
use tacos_sbom::attest::trust_root::{self, TrustedRoot};
use tacos_sbom::attest::{KeyAlgorithm, Signer, SigningKey};
use time::OffsetDateTime;

const BEACON: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ACTIONS: &str = "https://token.actions.githubusercontent.com";

fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(repo().join("tests/fixtures/sigstore").join(name)).unwrap()
}

fn fixture_json(name: &str) -> Value {
    serde_json::from_slice(&fixture_bytes(name)).unwrap()
}

fn root_of(v: &Value) -> TrustedRoot {
    trust_root::trusted_root(&v.to_string()).unwrap()
}

fn public_good_root() -> TrustedRoot {
    root_of(&fixture_json("public-good-trusted-root.json"))
}

fn conformance_root() -> TrustedRoot {
    root_of(&fixture_json("conformance-custom-trusted-root.json"))
}

fn exactly(subject: &str, issuer: &str) -> Identity {
    Identity {
        subject: Matcher::Exact(subject.into()),
        issuer: Matcher::Exact(issuer.into()),
    }
}

fn beacon() -> Identity {
    exactly(BEACON, ACTIONS)
}

/// A recorded bundle, edited.
fn fixture_with(name: &str, edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v = fixture_json(name);
    edit(&mut v);
    serde_json::to_vec(&v).unwrap()
}

/// The public-good bundle, edited.
fn public_good_with(edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    fixture_with("public-good-dsse.sigstore.json", edit)
}

fn verify_pg(bytes: &[u8]) -> Result<keyless::Verified, KeylessError> {
    keyless::verify(bytes, &public_good_root(), &beacon()).map(|(v, _)| v)
}

fn entry(v: &mut Value) -> &mut Value {
    &mut v["verificationMaterial"]["tlogEntries"][0]
}

fn b64_edit(value: &mut Value, edit: impl FnOnce(&mut Vec<u8>)) {
    let mut bytes = STANDARD.decode(value.as_str().unwrap()).unwrap();
    edit(&mut bytes);
    *value = json!(STANDARD.encode(bytes));
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

// ---------------------------------------------------------------------------
// Real bundles

/// A real public-good keyless DSSE bundle (sigstore-conformance's, signed
/// by its GitHub Actions beacon on 2024-12-16) verifies offline against the
/// public-good root with its real identity and issuer: the chain to
/// Fulcio's intermediate and root, the SCT from the 2022 CT log, the Rekor
/// entry's SET (its time the proof), inclusion proof and checkpoint.
#[test]
fn a_public_good_bundle_verifies_offline_with_its_identity() {
    // The root built into the tool is the same as the fixture's.
    keyless::verify(
        &fixture_bytes("public-good-dsse.sigstore.json"),
        &tacos_sbom::attest::trust_root::public_good(),
        &beacon(),
    )
    .unwrap();
    let (v, payload) = keyless::verify(
        &fixture_bytes("public-good-dsse.sigstore.json"),
        &public_good_root(),
        &beacon(),
    )
    .unwrap();
    assert_eq!(v.identity, BEACON);
    assert_eq!(v.issuer, ACTIONS);
    assert_eq!(v.authority, "sigstore");
    assert_eq!(v.scts, 1);
    let at = v.signed_at();
    assert_eq!(rfc3339(at.time), "2024-12-16T18:42:56Z");
    assert_eq!(
        at.source,
        TimeSource::TransparencyLog {
            log: "https://rekor.sigstore.dev".into(),
            index: 155690850
        }
    );
    assert_eq!(v.log_entries.len(), 1);
    assert!(v.log_entries[0].proof_verified);
    let statement: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(statement["subject"][0]["name"], "a.txt");
    // As patterns over the whole value, too.
    let patterns = Identity {
        subject: Matcher::pattern(
            r"https://github\.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.*",
        )
        .unwrap(),
        issuer: Matcher::pattern(r"https://token\.actions\.githubusercontent\.com").unwrap(),
    };
    keyless::verify(
        &fixture_bytes("public-good-dsse.sigstore.json"),
        &public_good_root(),
        &patterns,
    )
    .unwrap();
}

#[test]
fn another_identity_fails_naming_both() {
    let other = "https://github.com/someone/else/.github/workflows/x.yml@refs/heads/main";
    let e = keyless::verify(
        &fixture_bytes("public-good-dsse.sigstore.json"),
        &public_good_root(),
        &exactly(other, ACTIONS),
    )
    .unwrap_err();
    assert!(matches!(e, KeylessError::IdentityMismatch { .. }), "{e}");
    let text = e.to_string();
    assert!(text.contains(other) && text.contains(BEACON), "{text}");
    // A pattern that matches only a part is no match.
    let prefix = Identity {
        subject: Matcher::pattern("https://github.com/sigstore-conformance/").unwrap(),
        issuer: Matcher::Exact(ACTIONS.into()),
    };
    let e = keyless::verify(
        &fixture_bytes("public-good-dsse.sigstore.json"),
        &public_good_root(),
        &prefix,
    )
    .unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("matching \"https://github.com/sigstore-conformance/\"")
            && text.contains(BEACON),
        "{text}"
    );
}

#[test]
fn another_issuer_fails_naming_both() {
    let e = keyless::verify(
        &fixture_bytes("public-good-dsse.sigstore.json"),
        &public_good_root(),
        &exactly(BEACON, "https://accounts.google.com"),
    )
    .unwrap_err();
    assert!(matches!(e, KeylessError::IssuerMismatch { .. }), "{e}");
    let text = e.to_string();
    assert!(
        text.contains("https://accounts.google.com") && text.contains(ACTIONS),
        "{text}"
    );
}

#[test]
fn a_changed_payload_fails() {
    let bytes = public_good_with(|v| {
        b64_edit(&mut v["dsseEnvelope"]["payload"], |p| {
            let at = p.len() / 2;
            p[at] ^= 1;
        })
    });
    assert!(matches!(
        verify_pg(&bytes).unwrap_err(),
        KeylessError::Signature(_)
    ));
    // The payload type is signed too.
    let bytes = public_good_with(|v| v["dsseEnvelope"]["payloadType"] = json!("text/plain"));
    assert!(matches!(
        verify_pg(&bytes).unwrap_err(),
        KeylessError::Signature(_)
    ));
}

/// Another valid signature by the same key over the same payload
/// (sigstore-conformance's dsse-mismatch-sig) is not the one logged; a
/// signature that does not verify (dsse-invalid-sig) fails before.
#[test]
fn a_swapped_signature_fails() {
    let e = verify_pg(&fixture_bytes(
        "public-good-dsse-mismatch-sig.sigstore.json",
    ))
    .unwrap_err();
    assert!(
        matches!(
            &e,
            KeylessError::LogEntry {
                problem: LogProblem::SignatureMismatch,
                ..
            }
        ),
        "{e}"
    );
    let e = verify_pg(&fixture_bytes("public-good-dsse-invalid-sig.sigstore.json")).unwrap_err();
    assert!(matches!(e, KeylessError::Signature(_)), "{e}");
    // The envelope of one bundle with the material of another.
    let other = fixture_json("public-good-dsse-mismatch-envelope.sigstore.json");
    let bytes = public_good_with(|v| v["dsseEnvelope"] = other["dsseEnvelope"].clone());
    assert!(verify_pg(&bytes).is_err());
}

/// The log entry of another artifact (sigstore-conformance's
/// dsse-mismatch-envelope: a genuine entry, SET and proof intact) does not
/// vouch for this envelope; nor does this entry's body with its payload
/// hash changed.
#[test]
fn a_changed_canonicalized_body_fails() {
    let e = verify_pg(&fixture_bytes(
        "public-good-dsse-mismatch-envelope.sigstore.json",
    ))
    .unwrap_err();
    assert!(matches!(e, KeylessError::LogEntry { .. }), "{e}");
    let other = fixture_json("public-good-dsse-mismatch-envelope.sigstore.json");
    let bytes = public_good_with(|v| {
        entry(v)["canonicalizedBody"] =
            other["verificationMaterial"]["tlogEntries"][0]["canonicalizedBody"].clone()
    });
    let e = verify_pg(&bytes).unwrap_err();
    assert!(
        matches!(
            &e,
            KeylessError::LogEntry {
                problem: LogProblem::SignatureMismatch,
                ..
            }
        ),
        "{e}"
    );
    let bytes = public_good_with(|v| {
        b64_edit(&mut entry(v)["canonicalizedBody"], |body| {
            let text = String::from_utf8(body.clone()).unwrap();
            let mut b: Value = serde_json::from_str(&text).unwrap();
            b["spec"]["payloadHash"]["value"] = json!("00".repeat(32));
            *body = serde_json::to_vec(&b).unwrap();
        })
    });
    let e = verify_pg(&bytes).unwrap_err();
    assert!(
        matches!(
            &e,
            KeylessError::LogEntry {
                problem: LogProblem::PayloadHashMismatch { .. },
                ..
            }
        ),
        "{e}"
    );
    // A body of another kind than the entry says.
    let bytes = public_good_with(|v| entry(v)["kindVersion"]["kind"] = json!("intoto"));
    let e = verify_pg(&bytes).unwrap_err();
    assert!(e.to_string().contains("its body is dsse 0.0.1"), "{e}");
}

#[test]
fn a_broken_inclusion_proof_fails() {
    let bytes = public_good_with(|v| {
        b64_edit(&mut entry(v)["inclusionProof"]["hashes"][3], |h| {
            h[7] ^= 0x40
        })
    });
    let e = verify_pg(&bytes).unwrap_err();
    assert!(
        matches!(
            &e,
            KeylessError::LogEntry {
                problem: LogProblem::RootMismatch { .. },
                ..
            }
        ),
        "{e}"
    );
    // A hash left out, or the leaf moved.
    let bytes = public_good_with(|v| {
        entry(v)["inclusionProof"]["hashes"]
            .as_array_mut()
            .unwrap()
            .pop();
    });
    assert!(
        verify_pg(&bytes)
            .unwrap_err()
            .to_string()
            .contains("audit path")
    );
    let bytes = public_good_with(|v| entry(v)["inclusionProof"]["logIndex"] = json!("33786587"));
    assert!(verify_pg(&bytes).is_err());
}

#[test]
fn a_checkpoint_must_be_the_logs_and_name_the_proofs_root() {
    let ckpt = |v: &Value| {
        v["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]["envelope"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let original = ckpt(&fixture_json("public-good-dsse.sigstore.json"));
    // Its signature broken.
    let bytes = public_good_with(|v| {
        let (note, sig) = original.split_once("\n\n").unwrap();
        let (head, b64) = sig.trim_end().rsplit_once(' ').unwrap();
        let mut raw = STANDARD.decode(b64).unwrap();
        let n = raw.len();
        raw[n - 3] ^= 1;
        entry(v)["inclusionProof"]["checkpoint"]["envelope"] =
            json!(format!("{note}\n\n{head} {}\n", STANDARD.encode(raw)));
    });
    let e = verify_pg(&bytes).unwrap_err();
    assert!(
        matches!(
            &e,
            KeylessError::LogEntry {
                problem: LogProblem::CheckpointSignature(_),
                ..
            }
        ),
        "{e}"
    );
    // Another tree size than the proof's.
    let bytes = public_good_with(|v| entry(v)["inclusionProof"]["treeSize"] = json!("33786590"));
    assert!(verify_pg(&bytes).is_err());
}

#[test]
fn a_set_with_a_byte_flipped_fails() {
    let bytes = public_good_with(|v| {
        b64_edit(
            &mut entry(v)["inclusionPromise"]["signedEntryTimestamp"],
            |s| s[20] ^= 1,
        )
    });
    let e = verify_pg(&bytes).unwrap_err();
    assert!(
        matches!(
            &e,
            KeylessError::LogEntry {
                problem: LogProblem::BadSet(_),
                ..
            }
        ),
        "{e}"
    );
    // The time the SET signs, moved.
    let bytes = public_good_with(|v| entry(v)["integratedTime"] = json!("1734374577"));
    assert!(matches!(
        verify_pg(&bytes).unwrap_err(),
        KeylessError::LogEntry {
            problem: LogProblem::BadSet(_),
            ..
        }
    ));
}

#[test]
fn a_root_without_its_ca_or_logs_fails() {
    let mut root = fixture_json("public-good-trusted-root.json");
    root["certificateAuthorities"]
        .as_array_mut()
        .unwrap()
        .remove(1);
    let e = keyless::verify(
        &fixture_bytes("public-good-dsse.sigstore.json"),
        &root_of(&root),
        &beacon(),
    )
    .unwrap_err();
    assert!(
        matches!(e, KeylessError::UntrustedCertificate { .. }),
        "{e}"
    );
    assert!(e.to_string().contains("sigstore-intermediate"), "{e}");

    let mut root = fixture_json("public-good-trusted-root.json");
    root["tlogs"] = json!([]);
    let e = keyless::verify(
        &fixture_bytes("public-good-dsse.sigstore.json"),
        &root_of(&root),
        &beacon(),
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("is not a transparency log of the trusted root"),
        "{e}"
    );

    let mut root = fixture_json("public-good-trusted-root.json");
    root["ctlogs"] = json!([]);
    let e = keyless::verify(
        &fixture_bytes("public-good-dsse.sigstore.json"),
        &root_of(&root),
        &beacon(),
    )
    .unwrap_err();
    assert!(matches!(e, KeylessError::Sct(_)), "{e}");

    // The CA trusted only from after the signature.
    let mut root = fixture_json("public-good-trusted-root.json");
    root["certificateAuthorities"][1]["validFor"]["start"] = json!("2025-01-01T00:00:00Z");
    let e = keyless::verify(
        &fixture_bytes("public-good-dsse.sigstore.json"),
        &root_of(&root),
        &beacon(),
    )
    .unwrap_err();
    assert!(matches!(e, KeylessError::AuthorityNotValidAt { .. }), "{e}");
}

/// sigstore-conformance's keyless in-toto bundles (v0.2: an
/// `x509CertificateChain`, an `intoto` 0.0.2 entry, an RFC 3161 timestamp)
/// with its custom root: the good one verifies with both times proven; a
/// time outside the certificate's validity, from the log or from the
/// timestamp, fails; so does a v0.2 entry without an inclusion proof and
/// an entry for another artifact.
#[test]
fn conformance_bundles_with_their_custom_root() {
    let root = conformance_root();
    let run = |name: &str| {
        keyless::verify(
            &fixture_bytes(&format!("conformance-{name}.sigstore.json")),
            &root,
            &beacon(),
        )
    };
    let (v, _) = run("intoto-with-custom-trust-root").unwrap();
    assert_eq!(v.times.len(), 2, "{v:?}");
    assert!(
        v.times
            .iter()
            .any(|t| matches!(t.source, TimeSource::Timestamp { .. }))
    );
    assert!(
        v.times
            .iter()
            .any(|t| matches!(t.source, TimeSource::TransparencyLog { .. }))
    );
    for name in [
        "intoto-expired-certificate",
        "intoto-set-outside-signing-cert-validity",
    ] {
        let e = run(name).unwrap_err();
        assert!(
            matches!(
                &e,
                KeylessError::LogEntry {
                    problem: LogProblem::OutsideValidity { .. },
                    ..
                }
            ),
            "{name}: {e}"
        );
    }
    let e = run("intoto-tsa-timestamp-outside-cert-validity").unwrap_err();
    assert!(matches!(e, KeylessError::OutsideValidity { .. }), "{e}");
    assert!(e.to_string().contains("timestamp authority"), "{e}");
    let e = run("intoto-missing-inclusion-proof").unwrap_err();
    assert!(
        matches!(
            &e,
            KeylessError::LogEntry {
                problem: LogProblem::NoProof,
                ..
            }
        ),
        "{e}"
    );
    let e = run("intoto-log-entry-mismatch").unwrap_err();
    assert!(matches!(e, KeylessError::LogEntry { .. }), "{e}");
    // The public-good root does not vouch for them, nor the other way round.
    assert!(
        keyless::verify(
            &fixture_bytes("conformance-intoto-with-custom-trust-root.sigstore.json"),
            &public_good_root(),
            &beacon()
        )
        .is_err()
    );
    assert!(
        keyless::verify(
            &fixture_bytes("public-good-dsse.sigstore.json"),
            &root,
            &beacon()
        )
        .is_err()
    );
}

fn staging_root() -> TrustedRoot {
    root_of(&fixture_json("staging-trusted-root.json"))
}

fn staging_with(edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    fixture_with("staging-rekor2-dsse-happy-path.sigstore.json", edit)
}

fn verify_staging(bytes: &[u8]) -> Result<keyless::Verified, KeylessError> {
    keyless::verify(bytes, &staging_root(), &beacon()).map(|(v, _)| v)
}

fn log_problem(e: &KeylessError) -> Option<&LogProblem> {
    match e {
        KeylessError::LogEntry { problem, .. } => Some(problem),
        _ => None,
    }
}

/// Rekor v2: sigstore-conformance's DSSE bundle logged to the staging
/// instance's Rekor v2 log as `hashedrekord` 0.0.2 over the digest of the
/// envelope's PAE. It has no signed entry timestamp and no integrated
/// time: the inclusion proof, the checkpoint signed with the log's Ed25519
/// key (witness cosignatures beside it) and the RFC 3161 timestamp prove
/// it. Upstream's three negative cases fail, each for its own reason.
#[test]
fn rekor_v2_bundles_verify_and_their_negative_cases_fail() {
    let (v, payload) = keyless::verify(
        &fixture_bytes("staging-rekor2-dsse-happy-path.sigstore.json"),
        &staging_root(),
        &beacon(),
    )
    .unwrap();
    assert!(payload.starts_with(br#"{"_type":"https://in-toto.io/Statement/v1""#));
    assert_eq!(v.identity, BEACON);
    // The staging root still lists a retired RSA CT log: left out, named.
    assert_eq!(
        staging_root().unread_logs,
        ["https://ctfe.sigstage.dev/test (PKCS1_RSA_PKCS1V5)"]
    );
    assert_eq!(v.log_entries.len(), 1);
    let logged = &v.log_entries[0];
    assert_eq!(logged.log, "https://log2025-alpha3.rekor.sigstage.dev");
    assert_eq!(logged.index, 4026478);
    assert!(logged.proof_verified);
    // The timestamp is the only time: a Rekor v2 entry carries none.
    assert_eq!(v.times.len(), 1, "{v:?}");
    assert!(matches!(v.times[0].source, TimeSource::Timestamp { .. }));

    // Upstream's negative cases.
    let e = verify_staging(&fixture_bytes(
        "staging-rekor2-dsse-invalid-sig.sigstore.json",
    ))
    .unwrap_err();
    assert!(matches!(e, KeylessError::Signature(_)), "{e}");
    // (The swapped envelope brings its own signature, which the entry
    // does not hold; that is checked before the digest, which the altered
    // copies below reach.)
    let e = verify_staging(&fixture_bytes(
        "staging-rekor2-dsse-mismatch-envelope.sigstore.json",
    ))
    .unwrap_err();
    assert!(
        matches!(log_problem(&e), Some(LogProblem::SignatureMismatch)),
        "{e}"
    );
    let e = verify_staging(&fixture_bytes(
        "staging-rekor2-dsse-mismatch-sig.sigstore.json",
    ))
    .unwrap_err();
    assert!(
        matches!(log_problem(&e), Some(LogProblem::SignatureMismatch)),
        "{e}"
    );

    // sigstore-js 4.x (on node 22) agrees on all four.
    let dir = repo().join("tests/fixtures/sigstore");
    for (name, ok) in [
        ("happy-path", true),
        ("invalid-sig", false),
        ("mismatch-envelope", false),
        ("mismatch-sig", false),
    ] {
        let bundle = dir.join(format!("staging-rekor2-dsse-{name}.sigstore.json"));
        let (code, said) = judge_node22(
            "verify-bundle-keyless.mjs",
            &[
                bundle.to_str().unwrap(),
                dir.join("staging-trusted-root.json").to_str().unwrap(),
                "--certificate-identity",
                BEACON,
                "--certificate-oidc-issuer",
                ACTIONS,
            ],
        );
        assert_eq!(code, if ok { 0 } else { 1 }, "{name}: {said}");
        assert!(said.contains("@sigstore/verify 4."), "{said}");
    }

    // Not against a root without that log, nor with another identity.
    let e = keyless::verify(
        &fixture_bytes("staging-rekor2-dsse-happy-path.sigstore.json"),
        &public_good_root(),
        &beacon(),
    )
    .unwrap_err();
    assert!(
        matches!(e, KeylessError::UntrustedCertificate { .. }),
        "{e}"
    );
    let e = keyless::verify(
        &fixture_bytes("staging-rekor2-dsse-happy-path.sigstore.json"),
        &staging_root(),
        &exactly(
            "https://github.com/other/repo/.github/workflows/x.yml@refs/heads/main",
            ACTIONS,
        ),
    )
    .unwrap_err();
    assert!(matches!(e, KeylessError::IdentityMismatch { .. }), "{e}");
}

/// The Rekor v2 bundle altered one part at a time, in the ways upstream's
/// message-signature cases alter theirs: each fails and names what failed.
#[test]
fn rekor_v2_bundles_altered_fail() {
    // No timestamp: nothing proves when it was signed (the log gives no
    // time).
    let e = verify_staging(&staging_with(|v| {
        v["verificationMaterial"]
            .as_object_mut()
            .unwrap()
            .remove("timestampVerificationData");
    }))
    .unwrap_err();
    assert!(matches!(e, KeylessError::NoVerifiedTime), "{e}");
    // No inclusion proof: nothing proves it was logged.
    let e = verify_staging(&staging_with(|v| {
        entry(v).as_object_mut().unwrap().remove("inclusionProof");
    }))
    .unwrap_err();
    assert!(
        matches!(log_problem(&e), Some(LogProblem::NoInclusion)),
        "{e}"
    );
    // The logged body's hashedRekordV002 spec, edited.
    let with_spec = |edit: fn(&mut Value)| {
        verify_staging(&staging_with(|v| {
            let body = &mut entry(v)["canonicalizedBody"];
            let mut text: Value =
                serde_json::from_slice(&STANDARD.decode(body.as_str().unwrap()).unwrap()).unwrap();
            edit(&mut text["spec"]["hashedRekordV002"]);
            *body = json!(STANDARD.encode(text.to_string()));
        }))
        .unwrap_err()
    };
    // The logged digest changed (the body's, so the proof fails too; the
    // body is checked first).
    let e = with_spec(|spec| b64_edit(&mut spec["data"]["digest"], |d| d[0] ^= 1));
    assert!(
        matches!(log_problem(&e), Some(LogProblem::PaeDigestMismatch { .. })),
        "{e}"
    );
    // Another verifier logged (the certificate's last byte altered).
    let e = with_spec(|spec| {
        let cert = &mut spec["signature"]["verifier"]["x509Certificate"]["rawBytes"];
        b64_edit(cert, |d| *d.last_mut().unwrap() ^= 1)
    });
    assert!(
        matches!(log_problem(&e), Some(LogProblem::VerifierMismatch)),
        "{e}"
    );
    // A bare public key as the verifier names no identity.
    let e = with_spec(|spec| {
        spec["signature"]["verifier"] = json!({"publicKey": {"rawBytes": "AAAA"}})
    });
    assert!(
        matches!(log_problem(&e), Some(LogProblem::VerifierMismatch)),
        "{e}"
    );
    // A digest algorithm other than SHA-256.
    let e = with_spec(|spec| spec["data"]["algorithm"] = json!("SHA2_384"));
    assert!(matches!(log_problem(&e), Some(LogProblem::Body(_))), "{e}");
    // The checkpoint: the log's signature line removed (witnesses alone do
    // not stand for the log), or its signature flipped.
    let ckpt = |v: &mut Value| -> String {
        entry(v)["inclusionProof"]["checkpoint"]["envelope"]
            .as_str()
            .unwrap()
            .to_string()
    };
    for edit in [
        (|c: String| {
            c.lines()
                .filter(|l| !l.starts_with("\u{2014} log2025-alpha3"))
                .map(|l| format!("{l}\n"))
                .collect::<String>()
        }) as fn(String) -> String,
        |c: String| c.replacen("09OnDHwV", "09OnDHwW", 1),
    ] {
        let e = verify_staging(&staging_with(|v| {
            let changed = edit(ckpt(v));
            entry(v)["inclusionProof"]["checkpoint"]["envelope"] = json!(changed);
        }))
        .unwrap_err();
        assert!(
            matches!(log_problem(&e), Some(LogProblem::CheckpointSignature(_))),
            "{e}"
        );
    }
    // An integrated time the log never signed cannot be slipped in as a
    // time source: only the timestamp's time is taken.
    // (2026-05-13T19:25:00Z, inside the certificate's ten minutes.)
    let v = verify_staging(&staging_with(|v| {
        entry(v)["integratedTime"] = json!("1778700300")
    }))
    .unwrap();
    assert_eq!(v.times.len(), 1, "{v:?}");
    assert!(matches!(v.times[0].source, TimeSource::Timestamp { .. }));
}

/// What is not a keyless DSSE bundle is named as such.
#[test]
fn only_keyless_dsse_bundles_are_read() {
    let bytes = public_good_with(|v| {
        let vm = v["verificationMaterial"].as_object_mut().unwrap();
        vm.remove("certificate");
        vm.insert("publicKey".into(), json!({"hint": "k"}));
    });
    assert!(matches!(
        verify_pg(&bytes).unwrap_err(),
        KeylessError::Bundle(BundleError::NotCertificate("a publicKey"))
    ));
    let bytes = public_good_with(|v| {
        v["verificationMaterial"]["tlogEntries"] = json!([]);
    });
    assert!(matches!(
        verify_pg(&bytes).unwrap_err(),
        KeylessError::NoLogEntry
    ));
    let bytes = public_good_with(|v| {
        v["mediaType"] = json!("application/vnd.dev.sigstore.bundle.v0.9+json")
    });
    assert!(matches!(
        verify_pg(&bytes).unwrap_err(),
        KeylessError::Bundle(BundleError::MediaType(_))
    ));
    // A bare envelope, to the artifact check.
    let envelope = fixture_json("public-good-dsse.sigstore.json")["dsseEnvelope"].to_string();
    let e =
        keyless::verify_artifact(envelope.as_bytes(), &public_good_root(), &beacon()).unwrap_err();
    assert!(matches!(e, KeylessError::NotBundle), "{e}");
    // The real bundle's statement is SLSA provenance, not TACOS.
    let e = keyless::verify_artifact(
        &fixture_bytes("public-good-dsse.sigstore.json"),
        &public_good_root(),
        &beacon(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("predicate type"), "{e}");
}

#[track_caller]
fn refused_quickly(bytes: &[u8], says: impl Fn(&KeylessError) -> bool) {
    let start = Instant::now();
    let e = verify_pg(bytes).unwrap_err();
    let took = start.elapsed();
    assert!(says(&e), "{e}");
    assert!(took < Duration::from_secs(2), "took {took:?}: {e}");
}

/// Hostile bundles: lists far past any need are refused before their
/// elements are built, fast.
#[test]
fn hostile_bundles_are_refused_quickly() {
    let hash = json!(STANDARD.encode([7u8; 32]));
    refused_quickly(
        &public_good_with(|v| entry(v)["inclusionProof"]["hashes"] = json!(vec![hash; 10_000])),
        |e| {
            matches!(
                e,
                KeylessError::Bundle(BundleError::Entry {
                    problem: EntryProblem::TooManyHashes,
                    ..
                })
            )
        },
    );
    let good = fixture_json("public-good-dsse.sigstore.json");
    let cert = good["verificationMaterial"]["certificate"].clone();
    refused_quickly(
        &public_good_with(|v| {
            let vm = v["verificationMaterial"].as_object_mut().unwrap();
            vm.remove("certificate");
            vm.insert(
                "x509CertificateChain".into(),
                json!({"certificates": vec![cert; 10_000]}),
            );
            v["mediaType"] = json!("application/vnd.dev.sigstore.bundle+json;version=0.2");
        }),
        |e| matches!(e, KeylessError::Bundle(BundleError::Certificate(_))),
    );
    let one = good["verificationMaterial"]["tlogEntries"][0].clone();
    refused_quickly(
        &public_good_with(|v| entry_list(v, vec![one.clone(); 10_000])),
        |e| matches!(e, KeylessError::Bundle(BundleError::TooManyEntries)),
    );
    refused_quickly(
        &public_good_with(|v| {
            v["verificationMaterial"]["timestampVerificationData"] =
                json!({"rfc3161Timestamps": vec![json!({"signedTimestamp": "MAA="}); 10_000]})
        }),
        |e| matches!(e, KeylessError::Bundle(BundleError::TooManyTimestamps)),
    );
    // The same entry twice is one entry counted twice: refused.
    refused_quickly(
        &public_good_with(|v| entry_list(v, vec![one.clone(); 2])),
        |e| {
            matches!(
                e,
                KeylessError::LogEntry {
                    problem: LogProblem::Duplicate { .. },
                    ..
                }
            )
        },
    );
    // A negative log index, and a checkpoint of a megabyte.
    refused_quickly(
        &public_good_with(|v| entry(v)["logIndex"] = json!("-1")),
        |e| {
            matches!(
                e,
                KeylessError::Bundle(BundleError::Entry {
                    problem: EntryProblem::Negative("logIndex"),
                    ..
                })
            )
        },
    );
    refused_quickly(
        &public_good_with(|v| {
            entry(v)["inclusionProof"]["checkpoint"]["envelope"] = json!("x\n".repeat(1 << 19))
        }),
        |e| e.to_string().contains("checkpoint"),
    );
}

fn entry_list(v: &mut Value, entries: Vec<Value>) {
    v["verificationMaterial"]["tlogEntries"] = json!(entries);
}

// ---------------------------------------------------------------------------
// A test PKI: a CA (root and intermediate), a CT log and a Rekor-shaped log,
// every key made for the run.

mod pki {
    use super::*;

    const CN: &[u8] = &[0x55, 0x04, 0x03];
    const O: &[u8] = &[0x55, 0x04, 0x0a];
    const ECDSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
    const BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x13];
    const KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x0f];
    const EXT_KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x25];
    const SAN: &[u8] = &[0x55, 0x1d, 0x11];
    const CODE_SIGNING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03];
    const ISSUER_V2: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01, 0x08];
    const SCT_LIST: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02];

    pub const REKOR: &str = "https://rekor.test";
    pub const MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

    fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
        der::tlv(der::SEQUENCE, &parts.concat())
    }

    fn oid(bytes: &[u8]) -> Vec<u8> {
        der::tlv(der::OID, bytes)
    }

    fn name(cn: &str) -> Vec<u8> {
        let atv =
            |o: &[u8], v: &str| der::tlv(der::SET, &seq(&[oid(o), der::tlv(0x0c, v.as_bytes())]));
        seq(&[atv(O, "tacos-test"), atv(CN, cn)])
    }

    fn utc(t: OffsetDateTime) -> Vec<u8> {
        let f = time::macros::format_description!(
            "[year repr:last_two][month][day][hour][minute][second]Z"
        );
        der::tlv(der::UTC_TIME, t.format(&f).unwrap().as_bytes())
    }

    fn ext(id: &[u8], critical: bool, value: Vec<u8>) -> Vec<u8> {
        let mut parts = vec![oid(id)];
        if critical {
            parts.push(der::tlv(der::BOOLEAN, &[0xff]));
        }
        parts.push(der::tlv(der::OCTET_STRING, &value));
        seq(&parts)
    }

    pub fn spki(key: &SigningKey) -> Vec<u8> {
        pem::parse(key.public().to_spki_pem())
            .unwrap()
            .contents()
            .to_vec()
    }

    fn sign(key: &SigningKey, message: &[u8]) -> Vec<u8> {
        Signer::sign(key, message).unwrap()
    }

    #[allow(clippy::too_many_arguments)]
    fn tbs(
        serial: u64,
        issuer: &[u8],
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
        subject: &[u8],
        spki: &[u8],
        exts: &[Vec<u8>],
    ) -> Vec<u8> {
        seq(&[
            der::tlv(der::context(0), &der::uint(2)),
            der::uint(serial),
            seq(&[oid(ECDSA_SHA256)]),
            issuer.to_vec(),
            seq(&[utc(not_before), utc(not_after)]),
            subject.to_vec(),
            spki.to_vec(),
            der::tlv(der::context(3), &seq(exts)),
        ])
    }

    fn certificate(tbs: Vec<u8>, issuer_key: &SigningKey) -> Vec<u8> {
        let sig = sign(issuer_key, &tbs);
        let mut bits = vec![0u8];
        bits.extend(sig);
        seq(&[
            tbs,
            seq(&[oid(ECDSA_SHA256)]),
            der::tlv(der::BIT_STRING, &bits),
        ])
    }

    fn ca_extensions() -> Vec<Vec<u8>> {
        vec![
            ext(
                BASIC_CONSTRAINTS,
                true,
                seq(&[der::tlv(der::BOOLEAN, &[0xff])]),
            ),
            // keyCertSign
            ext(KEY_USAGE, true, der::tlv(der::BIT_STRING, &[0x02, 0x04])),
        ]
    }

    pub struct Pki {
        pub root: Vec<u8>,
        inter_key: SigningKey,
        pub inter: Vec<u8>,
        ct_key: SigningKey,
        rekor_key: SigningKey,
    }

    /// What a leaf certificate says.
    pub struct Leaf<'a> {
        pub uri: &'a str,
        pub issuer: &'a str,
        pub not_before: OffsetDateTime,
        pub not_after: OffsetDateTime,
    }

    fn key() -> SigningKey {
        SigningKey::generate(KeyAlgorithm::EcdsaP256)
    }

    pub fn log_id(key: &SigningKey) -> Vec<u8> {
        Sha256::digest(spki(key)).to_vec()
    }

    impl Pki {
        pub fn new() -> Pki {
            let (root_key, inter_key) = (key(), key());
            let long = (
                OffsetDateTime::from_unix_timestamp(1_577_836_800).unwrap(), // 2020
                OffsetDateTime::from_unix_timestamp(2_208_988_800).unwrap(), // 2040
            );
            let root = certificate(
                tbs(
                    1,
                    &name("test root"),
                    long.0,
                    long.1,
                    &name("test root"),
                    &spki(&root_key),
                    &ca_extensions(),
                ),
                &root_key,
            );
            let mut exts = ca_extensions();
            exts.push(ext(EXT_KEY_USAGE, false, seq(&[oid(CODE_SIGNING)])));
            let inter = certificate(
                tbs(
                    2,
                    &name("test root"),
                    long.0,
                    long.1,
                    &name("test intermediate"),
                    &spki(&inter_key),
                    &exts,
                ),
                &root_key,
            );
            Pki {
                root,
                inter_key,
                inter,
                ct_key: key(),
                rekor_key: key(),
            }
        }

        /// A Fulcio-shaped signing certificate for `key`, with an SCT from
        /// the CT log over its precertificate.
        pub fn leaf(&self, key: &SigningKey, l: &Leaf<'_>) -> Vec<u8> {
            let uri = der::tlv(0x86, l.uri.as_bytes());
            let exts = vec![
                ext(KEY_USAGE, true, der::tlv(der::BIT_STRING, &[0x07, 0x80])),
                ext(EXT_KEY_USAGE, false, seq(&[oid(CODE_SIGNING)])),
                ext(SAN, true, seq(&[uri])),
                ext(ISSUER_V2, false, der::tlv(0x0c, l.issuer.as_bytes())),
            ];
            let serial =
                u64::from_be_bytes(Sha256::digest(spki(key))[..8].try_into().unwrap()) >> 1;
            let subject = seq(&[]);
            let issuer = name("test intermediate");
            let pre = tbs(
                serial,
                &issuer,
                l.not_before,
                l.not_after,
                &subject,
                &spki(key),
                &exts,
            );
            // RFC 6962 3.2: the SCT signs the precertificate's TBS and the
            // issuer's key hash.
            let ts = (l.not_before.unix_timestamp() as u64) * 1000;
            let mut signed = vec![0u8, 0];
            signed.extend(ts.to_be_bytes());
            signed.extend([0, 1]);
            signed.extend(Sha256::digest(spki(&self.inter_key)));
            signed.extend(&(pre.len() as u32).to_be_bytes()[1..]);
            signed.extend(&pre);
            signed.extend([0, 0]);
            let sig = sign(&self.ct_key, &signed);
            let mut sct = vec![0u8];
            sct.extend(log_id(&self.ct_key));
            sct.extend(ts.to_be_bytes());
            sct.extend([0, 0, 4, 3]);
            sct.extend((sig.len() as u16).to_be_bytes());
            sct.extend(sig);
            let mut list = ((sct.len() + 2) as u16).to_be_bytes().to_vec();
            list.extend((sct.len() as u16).to_be_bytes());
            list.extend(sct);
            let mut with_sct = exts.clone();
            with_sct.push(ext(SCT_LIST, false, der::tlv(der::OCTET_STRING, &list)));
            certificate(
                tbs(
                    serial,
                    &issuer,
                    l.not_before,
                    l.not_after,
                    &subject,
                    &spki(key),
                    &with_sct,
                ),
                &self.inter_key,
            )
        }

        /// A keyless bundle v0.3 of `payload` signed by `key` (certified by
        /// `leaf`), entered in the test log at `integrated_time`: a dsse
        /// 0.0.1 entry, its SET, and an inclusion proof in a tree of three
        /// with a signed checkpoint.
        pub fn bundle(
            &self,
            key: &SigningKey,
            leaf: &[u8],
            payload_type: &str,
            payload: &[u8],
            integrated_time: i64,
        ) -> Value {
            let pae = tacos_sbom::attest::dsse::pae(payload_type, payload);
            let sig = sign(key, &pae);
            let leaf_pem = pem::encode(&pem::Pem::new("CERTIFICATE", leaf.to_vec()));
            let body = json!({
                "apiVersion": "0.0.1",
                "kind": "dsse",
                "spec": {
                    "envelopeHash": {"algorithm": "sha256", "value": hex::encode(Sha256::digest(payload))},
                    "payloadHash": {"algorithm": "sha256", "value": hex::encode(Sha256::digest(payload))},
                    "signatures": [{
                        "signature": STANDARD.encode(&sig),
                        "verifier": STANDARD.encode(leaf_pem),
                    }],
                },
            })
            .to_string();
            let id = log_id(&self.rekor_key);
            let index = 1u64;
            let set_payload = format!(
                r#"{{"body":"{}","integratedTime":{integrated_time},"logID":"{}","logIndex":{index}}}"#,
                STANDARD.encode(&body),
                hex::encode(&id)
            );
            let set = sign(&self.rekor_key, set_payload.as_bytes());
            let leaf_hash = |b: &[u8]| {
                let mut h = Sha256::new();
                h.update([0u8]);
                h.update(b);
                h.finalize().to_vec()
            };
            let node = |l: &[u8], r: &[u8]| {
                let mut h = Sha256::new();
                h.update([1u8]);
                h.update(l);
                h.update(r);
                h.finalize().to_vec()
            };
            let (l0, l1, l2) = (
                leaf_hash(b"another entry"),
                leaf_hash(body.as_bytes()),
                leaf_hash(b"a third entry"),
            );
            let root = node(&node(&l0, &l1), &l2);
            let note = format!("rekor.test - 42\n3\n{}\n", STANDARD.encode(&root));
            let mut signed = id[..4].to_vec();
            signed.extend(sign(&self.rekor_key, note.as_bytes()));
            let checkpoint = format!("{note}\n\u{2014} rekor.test {}\n", STANDARD.encode(signed));
            json!({
                "mediaType": MEDIA_TYPE,
                "verificationMaterial": {
                    "certificate": {"rawBytes": STANDARD.encode(leaf)},
                    "tlogEntries": [{
                        "logIndex": index.to_string(),
                        "logId": {"keyId": STANDARD.encode(&id)},
                        "kindVersion": {"kind": "dsse", "version": "0.0.1"},
                        "integratedTime": integrated_time.to_string(),
                        "inclusionPromise": {"signedEntryTimestamp": STANDARD.encode(set)},
                        "inclusionProof": {
                            "logIndex": index.to_string(),
                            "rootHash": STANDARD.encode(&root),
                            "treeSize": "3",
                            "hashes": [STANDARD.encode(&l0), STANDARD.encode(&l2)],
                            "checkpoint": {"envelope": checkpoint},
                        },
                        "canonicalizedBody": STANDARD.encode(&body),
                    }],
                },
                "dsseEnvelope": {
                    "payload": STANDARD.encode(payload),
                    "payloadType": payload_type,
                    "signatures": [{"sig": STANDARD.encode(&sig), "keyid": ""}],
                },
            })
        }

        /// The trusted root naming the CA, the CT log and the log.
        pub fn trusted_root(&self) -> Value {
            let start = json!({"start": "2020-01-01T00:00:00Z"});
            let log = |key: &SigningKey, url: &str| {
                json!({
                    "baseUrl": url,
                    "hashAlgorithm": "SHA2_256",
                    "publicKey": {
                        "rawBytes": STANDARD.encode(spki(key)),
                        "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                        "validFor": start,
                    },
                    "logId": {"keyId": STANDARD.encode(log_id(key))},
                })
            };
            json!({
                "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
                "tlogs": [log(&self.rekor_key, REKOR)],
                "certificateAuthorities": [{
                    "subject": {"organization": "tacos-test", "commonName": "test fulcio"},
                    "uri": "https://fulcio.test",
                    "certChain": {"certificates": [
                        {"rawBytes": STANDARD.encode(&self.inter)},
                        {"rawBytes": STANDARD.encode(&self.root)},
                    ]},
                    "validFor": start,
                }],
                "ctlogs": [log(&self.ct_key, "https://ctfe.test")],
                "timestampAuthorities": [],
            })
        }
    }
}

use pki::{Leaf, Pki};

const SIGNER: &str =
    "https://github.com/tacos-test/app/.github/workflows/release.yml@refs/tags/v1.0.0";
const ISSUER: &str = "https://token.test";

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// A signer's key and certificate, valid from `from` for ten minutes.
fn signer(pki: &Pki, from: OffsetDateTime) -> (SigningKey, Vec<u8>) {
    let key = SigningKey::generate(KeyAlgorithm::EcdsaP256);
    let leaf = pki.leaf(
        &key,
        &Leaf {
            uri: SIGNER,
            issuer: ISSUER,
            not_before: from,
            not_after: from + time::Duration::minutes(10),
        },
    );
    (key, leaf)
}

/// The test PKI's bundles verify, with the log's time; a certificate whose
/// validity ended before the log's time does not; its bundle made by
/// another PKI (same names, other keys) does not either.
#[test]
fn the_test_pki_bundles_verify_and_times_are_held_to_the_certificate() {
    let pki = Pki::new();
    let root = root_of(&pki.trusted_root());
    let id = exactly(SIGNER, ISSUER);
    let start = now() - time::Duration::minutes(1);
    let (key, leaf) = signer(&pki, start);
    let b = pki.bundle(
        &key,
        &leaf,
        "application/vnd.in-toto+json",
        b"{}",
        now().unix_timestamp(),
    );
    let (v, _) = keyless::verify(&serde_json::to_vec(&b).unwrap(), &root, &id).unwrap();
    assert_eq!(v.identity, SIGNER);
    assert_eq!(v.authority, "test fulcio");
    assert_eq!(v.scts, 1);

    // Logged two hours after the certificate ended: its SET is genuine,
    // its time outside.
    let (key, leaf) = signer(&pki, now() - time::Duration::hours(3));
    let b = pki.bundle(
        &key,
        &leaf,
        "application/vnd.in-toto+json",
        b"{}",
        now().unix_timestamp(),
    );
    let e = keyless::verify(&serde_json::to_vec(&b).unwrap(), &root, &id).unwrap_err();
    assert!(
        matches!(
            &e,
            KeylessError::LogEntry {
                problem: LogProblem::OutsideValidity { .. },
                ..
            }
        ),
        "{e}"
    );
    // Logged in the future.
    let (key, leaf) = signer(&pki, now() + time::Duration::hours(1));
    let b = pki.bundle(
        &key,
        &leaf,
        "application/vnd.in-toto+json",
        b"{}",
        (now() + time::Duration::hours(1)).unix_timestamp() + 60,
    );
    let e = keyless::verify(&serde_json::to_vec(&b).unwrap(), &root, &id).unwrap_err();
    assert!(e.to_string().contains("in the future"), "{e}");

    let other = Pki::new();
    let (key, leaf) = signer(&other, start);
    let b = other.bundle(
        &key,
        &leaf,
        "application/vnd.in-toto+json",
        b"{}",
        now().unix_timestamp(),
    );
    let e = keyless::verify(&serde_json::to_vec(&b).unwrap(), &root, &id).unwrap_err();
    assert!(
        matches!(e, KeylessError::UntrustedCertificate { .. }),
        "{e}"
    );
}

// ---------------------------------------------------------------------------
// The verify command

const KEY: &str = ".tacos-config/signing.pub";
const PYPI: &str = "pypi-flask-django-env.cdx16.json";
const ROOT: &str = "root.json";
/// The PyPI sample's 23 packages and its application report.
const REFERENCES: usize = 24;

/// One artifact enrich wrote: a file, or a line of a JSON Lines file.
struct Artifact {
    path: PathBuf,
    line: Option<usize>,
}

impl Artifact {
    fn bytes(&self) -> Vec<u8> {
        let text = std::fs::read(&self.path).unwrap();
        match self.line {
            None => text,
            Some(n) => text.split(|&b| b == b'\n').nth(n - 1).unwrap().to_vec(),
        }
    }

    /// Put `bytes` in its place, and the SBOM's digest of it with them.
    fn replace(&self, sbom: &Path, bytes: &[u8]) {
        let before = self.bytes();
        match self.line {
            None => std::fs::write(&self.path, bytes).unwrap(),
            Some(n) => {
                let text = std::fs::read(&self.path).unwrap();
                let mut lines: Vec<Vec<u8>> =
                    text.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
                lines[n - 1] = bytes.to_vec();
                std::fs::write(&self.path, lines.join(&b'\n')).unwrap();
            }
        }
        let text = std::fs::read_to_string(sbom).unwrap();
        let (old, new) = (
            hex::encode(Sha256::digest(&before)),
            hex::encode(Sha256::digest(bytes)),
        );
        assert!(text.contains(&old));
        std::fs::write(sbom, text.replace(&old, &new)).unwrap();
    }
}

/// Every Sigstore bundle in `att`: the files, then each line of the JSON
/// Lines files.
fn artifacts(att: &Path) -> Vec<Artifact> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(att)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let name = path.to_string_lossy().into_owned();
        if name.ends_with(".sigstore.json") {
            out.push(Artifact { path, line: None });
        } else if name.ends_with(".sigstore.jsonl") {
            let lines = std::fs::read_to_string(&path).unwrap().lines().count();
            for n in 1..=lines {
                out.push(Artifact {
                    path: path.clone(),
                    line: Some(n),
                });
            }
        }
    }
    assert_eq!(out.len(), REFERENCES, "{}", att.display());
    out
}

/// Enrich the sample as key-signed bundles in `layout`, then sign every
/// statement again keyless by the test PKI (one certificate for the run,
/// as a keyless signer has), each bundle in its artifact's place and the
/// SBOM's digests brought up to date; the trusted root at ROOT.
fn keyless_sbom(tmp: &Temp, pki: &Pki, out: &str, att: &str, layout: &str) -> Vec<Artifact> {
    enrich_sample_offline(
        tmp,
        PYPI,
        out,
        att,
        &["--envelope", "bundle", "--layout", layout],
    );
    let (key, leaf) = signer(pki, now() - time::Duration::minutes(1));
    let all = artifacts(&tmp.join(att));
    for a in &all {
        let v: Value = serde_json::from_slice(&a.bytes()).unwrap();
        let envelope = &v["dsseEnvelope"];
        let payload = STANDARD
            .decode(envelope["payload"].as_str().unwrap())
            .unwrap();
        let payload_type = envelope["payloadType"].as_str().unwrap();
        let b = pki.bundle(&key, &leaf, payload_type, &payload, now().unix_timestamp());
        let bytes = match a.line {
            None => serde_json::to_vec_pretty(&b).unwrap(),
            Some(_) => serde_json::to_vec(&b).unwrap(),
        };
        a.replace(&tmp.join(out), &bytes);
    }
    std::fs::write(tmp.join(ROOT), pki.trusted_root().to_string()).unwrap();
    all
}

fn verify(tmp: &Temp, sbom: &str, extra: &[&str]) -> Output {
    let mut args = vec!["verify", sbom];
    args.extend_from_slice(extra);
    tacos(tmp.path(), &args)
}

fn said(o: &Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

const IDENTITY_FLAGS: [&str; 6] = [
    "--certificate-identity",
    SIGNER,
    "--certificate-oidc-issuer",
    ISSUER,
    "--trusted-root",
    ROOT,
];

/// Both layouts: every reference verifies by the signer's identity; the
/// summary names the identity, the issuer and how the times were proven,
/// -v each artifact, and the JSON each artifact's identity, issuer and
/// time source. sigstore-js accepts a bundle the same run made, against
/// the same root.
#[test]
fn verify_checks_keyless_bundles_by_identity_in_both_layouts() {
    let tmp = Temp::new();
    let pki = Pki::new();
    for layout in ["files", "bundle"] {
        let out = format!("out-{layout}.json");
        let att = format!("att-{layout}");
        let all = keyless_sbom(&tmp, &pki, &out, &att, layout);
        let o = verify(&tmp, &out, &IDENTITY_FLAGS);
        assert_ok(&o);
        let text = said(&o);
        assert!(
            text.contains(&format!(
                "{REFERENCES} of {REFERENCES} TACOS references verified"
            )) && text.contains(&format!(
                "{REFERENCES} artifacts signed keyless by {SIGNER} (OIDC issuer {ISSUER}); signing times proven by {REFERENCES} transparency-log entries, each inside its certificate's validity"
            )),
            "{layout}: {text}"
        );
        assert!(!text.contains("signer not proven"), "{text}");

        let mut args = IDENTITY_FLAGS.to_vec();
        args.push("-v");
        let o = verify(&tmp, &out, &args);
        assert_ok(&o);
        let lines = stderr(&o)
            .lines()
            .filter(|l| l.starts_with("ok ") && l.contains("signed keyless by"))
            .count();
        assert_eq!(lines, REFERENCES, "{}", stderr(&o));
        assert!(stderr(&o).contains("transparency log https://rekor.test, entry 1"));

        let mut args = IDENTITY_FLAGS.to_vec();
        args.extend(["-f", "json"]);
        let o = verify(&tmp, &out, &args);
        assert_ok(&o);
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        let r = &v["results"][0];
        assert_eq!(r["passed"], true);
        assert_eq!(r["signerProven"], true);
        assert_eq!(r["keyless"]["certificateIdentity"], SIGNER);
        assert_eq!(r["keyless"]["certificateOidcIssuer"], ISSUER);
        let arts = r["keyless"]["artifacts"].as_array().unwrap();
        assert_eq!(arts.len(), REFERENCES);
        for a in arts {
            assert_eq!(a["identity"], SIGNER);
            assert_eq!(a["issuer"], ISSUER);
            assert_eq!(a["certificateAuthority"], "test fulcio");
            assert_eq!(a["times"][0]["source"], "transparency-log");
            assert_eq!(a["times"][0]["log"], "https://rekor.test");
            assert_eq!(a["tlogEntries"][0]["inclusionProofVerified"], true);
            assert_eq!(a["scts"], 1);
        }

        // The independent judge, on one bundle of this run.
        let judged = tmp.join(&format!("judged-{layout}.sigstore.json"));
        std::fs::write(&judged, all[0].bytes()).unwrap();
        let (c, t) = judge(
            "verify-bundle-keyless.mjs",
            &[
                judged.to_str().unwrap(),
                tmp.join(ROOT).to_str().unwrap(),
                "--certificate-identity",
                SIGNER,
                "--certificate-oidc-issuer",
                ISSUER,
            ],
        );
        assert_eq!(c, 0, "sigstore-js refused the test PKI's bundle:\n{t}");
    }
}

#[test]
fn another_identity_issuer_or_pattern_fails_naming_both() {
    let tmp = Temp::new();
    let pki = Pki::new();
    keyless_sbom(&tmp, &pki, "out.json", "att", "files");
    let other = "https://github.com/someone/else/.github/workflows/x.yml@refs/heads/main";
    let o = verify(
        &tmp,
        "out.json",
        &[
            "--certificate-identity",
            other,
            "--certificate-oidc-issuer",
            ISSUER,
            "--trusted-root",
            ROOT,
        ],
    );
    assert_eq!(code(&o), 1, "{}", said(&o));
    let printed = stdout(&o);
    let fails: Vec<&str> = printed.lines().filter(|l| l.starts_with("FAIL ")).collect();
    assert_eq!(fails.len(), REFERENCES, "{}", said(&o));
    assert!(
        fails
            .iter()
            .all(|l| l.contains(other) && l.contains(SIGNER)),
        "{fails:#?}"
    );

    let o = verify(
        &tmp,
        "out.json",
        &[
            "--certificate-identity",
            SIGNER,
            "--certificate-oidc-issuer",
            "https://token.other",
            "--trusted-root",
            ROOT,
        ],
    );
    assert_eq!(code(&o), 1);
    assert!(
        stdout(&o).contains("https://token.other") && stdout(&o).contains(ISSUER),
        "{}",
        said(&o)
    );

    // Patterns match the whole value.
    let o = verify(
        &tmp,
        "out.json",
        &[
            "--certificate-identity-regexp",
            r"https://github\.com/tacos-test/app/.*@refs/tags/v.*",
            "--certificate-oidc-issuer-regexp",
            r"https://token\.(test|example)",
            "--trusted-root",
            ROOT,
        ],
    );
    assert_ok(&o);
    let o = verify(
        &tmp,
        "out.json",
        &[
            "--certificate-identity-regexp",
            r"https://github\.com/tacos-test/",
            "--certificate-oidc-issuer",
            ISSUER,
            "--trusted-root",
            ROOT,
            "-f",
            "json",
        ],
    );
    assert_eq!(code(&o), 1);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v["results"][0]["keyless"]["certificateIdentityRegexp"],
        r"https://github\.com/tacos-test/"
    );
    assert_eq!(
        v["results"][0]["failures"].as_array().unwrap().len(),
        REFERENCES
    );
}

/// A keyless SBOM checked with --key says to use the identity flags; a
/// key-signed one checked by identity says to use --key.
#[test]
fn the_wrong_mode_says_which_flags_to_use() {
    let tmp = Temp::new();
    let pki = Pki::new();
    keyless_sbom(&tmp, &pki, "out.json", "att", "files");
    let o = verify(&tmp, "out.json", &["--key", KEY]);
    assert_eq!(code(&o), 1, "{}", said(&o));
    assert!(
        stdout(&o).contains("--certificate-identity") && stdout(&o).contains("not with a key"),
        "{}",
        said(&o)
    );

    // Without --key and without a key beside them (a keyless run writes
    // none), the same.
    std::fs::remove_file(tmp.join("att/tacos-sbom.pub")).unwrap();
    let o = verify(&tmp, "out.json", &[]);
    assert_eq!(code(&o), 1, "{}", said(&o));
    let fails = stdout(&o);
    assert_eq!(
        fails
            .lines()
            .filter(|l| l.starts_with("FAIL ") && l.contains("--certificate-identity"))
            .count(),
        REFERENCES,
        "{}",
        said(&o)
    );

    enrich_sample_offline(
        &tmp,
        PYPI,
        "keyed.json",
        "att-keyed",
        &["--envelope", "bundle"],
    );
    let o = verify(&tmp, "keyed.json", &IDENTITY_FLAGS);
    assert_eq!(code(&o), 1, "{}", said(&o));
    assert!(stdout(&o).contains("(--key)"), "{}", said(&o));
    // A bare DSSE envelope has no certificate at all.
    enrich_sample_offline(&tmp, PYPI, "bare.json", "att-bare", &[]);
    let o = verify(&tmp, "bare.json", &IDENTITY_FLAGS);
    assert_eq!(code(&o), 1, "{}", said(&o));
    assert!(
        stdout(&o).contains("carries no certificate"),
        "{}",
        said(&o)
    );
}

/// Usage: the identity flags need each other and --trusted-root, and not
/// --key; a pattern must compile; the root must name a CA. Each is exit 2
/// before anything is verified.
#[test]
fn keyless_usage_errors_are_exit_2() {
    let tmp = Temp::new();
    let pki = Pki::new();
    keyless_sbom(&tmp, &pki, "out.json", "att", "files");
    // No --trusted-root is not a usage error: the built-in public-good
    // root is used, which does not trust this test PKI, and says so.
    let o = verify(
        &tmp,
        "out.json",
        &[
            "--certificate-identity",
            SIGNER,
            "--certificate-oidc-issuer",
            ISSUER,
        ],
    );
    assert_eq!(code(&o), 1, "{}", said(&o));
    assert!(said(&o).contains("FAIL"), "{}", said(&o));
    assert!(
        said(&o).contains("does not chain to a certificate authority of the trusted root")
            && said(&o).contains(
                "no artifact verified as signed keyless against the public-good trusted root built into tacos-sbom"
            ),
        "{}",
        said(&o)
    );
    for (args, says) in [
        (
            vec![
                "--certificate-identity",
                SIGNER,
                "--certificate-oidc-issuer",
                ISSUER,
                "--trusted-root",
                ROOT,
                "--key",
                KEY,
            ],
            "--key",
        ),
        (
            vec!["--certificate-identity", SIGNER, "--trusted-root", ROOT],
            "--certificate-oidc-issuer",
        ),
        (
            vec!["--certificate-oidc-issuer", ISSUER, "--trusted-root", ROOT],
            "--certificate-identity",
        ),
        (
            vec![
                "--certificate-identity-regexp",
                "(",
                "--certificate-oidc-issuer",
                ISSUER,
                "--trusted-root",
                ROOT,
            ],
            "not a regular expression",
        ),
        (
            vec![
                "--certificate-identity",
                SIGNER,
                "--certificate-identity-regexp",
                ".*",
                "--certificate-oidc-issuer",
                ISSUER,
                "--trusted-root",
                ROOT,
            ],
            "--certificate-identity-regexp",
        ),
    ] {
        let o = verify(&tmp, "out.json", &args);
        assert_eq!(code(&o), 2, "{args:?}: {}", said(&o));
        assert!(stderr(&o).contains(says), "{args:?}: {}", said(&o));
    }
    let mut root = pki.trusted_root();
    root["certificateAuthorities"] = json!([]);
    std::fs::write(tmp.join("no-ca.json"), root.to_string()).unwrap();
    let o = verify(
        &tmp,
        "out.json",
        &[
            "--certificate-identity",
            SIGNER,
            "--certificate-oidc-issuer",
            ISSUER,
            "--trusted-root",
            "no-ca.json",
        ],
    );
    assert_eq!(code(&o), 2, "{}", said(&o));
    assert!(
        stderr(&o).contains("names no certificate authorities"),
        "{}",
        said(&o)
    );
}
