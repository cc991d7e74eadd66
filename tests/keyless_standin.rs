//! The keyless stand-ins (tests/conformance/sigstore-standin.mjs: Fulcio by
//! `@sigstore/mock`, a Rekor v1 log of our own) proven with sigstore-js
//! alone, before our own signer relies on them: what `@sigstore/sign`
//! signs against them, `@sigstore/verify` accepts for the right identity
//! and issuer, and refuses for another identity, another issuer, a log
//! entry for another artifact, an expired certificate and a SET from an
//! unknown key, each for the reason the fault gives. An email token is
//! certified for its email; a timestamp from the OpenSSL authority of
//! support/tsa.rs counts under the merged trusted root. The stand-ins refuse
//! what the real services refuse (a bad proof of possession, another
//! audience, an unverified email, an envelope its verifier did not sign).

mod common;
#[path = "support/sigstore.rs"]
mod sigstore;
#[path = "support/tsa.rs"]
mod tsa;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sigstore::{Options, SigstoreStandin, identity_token};
use tsa::{RootEntry, TestTsa};

const IDENTITY: &str = "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main";
const ISSUER: &str = "https://issuer.test";

fn statement(tmp: &Temp, name: &str) -> PathBuf {
    let path = tmp.join(&format!("{name}.statement.json"));
    let digest = hex::encode(Sha256::digest(name.as_bytes()));
    let body = json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{ "name": name, "digest": { "sha256": digest } }],
        "predicateType": "https://example.test/predicate/v1",
        "predicate": {},
    });
    std::fs::write(&path, body.to_string()).unwrap();
    path
}

/// sign-keyless.mjs on a fresh statement: (exit code, what it said, bundle path).
fn try_sign(
    tmp: &Temp,
    s: &SigstoreStandin,
    name: &str,
    token: &str,
    tsa: Option<&str>,
) -> (i32, String, PathBuf) {
    let input = statement(tmp, name);
    let out = tmp.join(&format!("{name}.sigstore.json"));
    let mut args = vec![
        input.to_str().unwrap(),
        out.to_str().unwrap(),
        "--fulcio",
        &s.fulcio_url,
        "--rekor",
        &s.rekor_url,
        "--token",
        token,
    ];
    if let Some(url) = tsa {
        args.extend(["--tsa", url]);
    }
    let (code, text) = judge("sign-keyless.mjs", &args);
    (code, text, out)
}

#[track_caller]
fn sign(tmp: &Temp, s: &SigstoreStandin, name: &str, tsa: Option<&str>) -> PathBuf {
    let (code, text, out) = try_sign(
        tmp,
        s,
        name,
        &identity_token(IDENTITY, ISSUER, json!({})),
        tsa,
    );
    assert_eq!(
        code,
        0,
        "sign-keyless.mjs failed:\n{text}\nstand-in:\n{}",
        s.log()
    );
    out
}

/// verify-bundle-keyless.mjs: (exit code, what it said). Exit 2 (could not
/// run) fails the test here.
#[track_caller]
fn verify(
    bundle: &Path,
    root: &str,
    identity: &str,
    issuer: &str,
    timestamps: u32,
) -> (i32, String) {
    let dir = bundle.parent().unwrap();
    let root_path = dir.join(format!(
        "root-{}.json",
        hex::encode(&Sha256::digest(root)[..6])
    ));
    std::fs::write(&root_path, root).unwrap();
    let n = timestamps.to_string();
    let (code, text) = judge(
        "verify-bundle-keyless.mjs",
        &[
            bundle.to_str().unwrap(),
            root_path.to_str().unwrap(),
            "--certificate-identity",
            identity,
            "--certificate-oidc-issuer",
            issuer,
            "--timestamps",
            &n,
        ],
    );
    assert!(
        code == 0 || code == 1,
        "verify-bundle-keyless.mjs could not run (exit {code}):\n{text}"
    );
    (code, text)
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Go's pem.Encode of a certificate: Rekor's canonical verifier.
fn cert_pem(der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

/// One HTTP/1.1 request on loopback: (status, body).
fn http(url: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let host = url.strip_prefix("http://").unwrap();
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer[9..12].parse().unwrap();
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (status, body.to_string())
}

/// The bundle sigstore-js made verifies, and what the log holds is Rekor's
/// own canonical dsse 0.0.1 body for its envelope, byte for byte.
#[test]
fn what_sigstore_js_signs_against_the_standins_verifies() {
    let tmp = Temp::new();
    let s = SigstoreStandin::start(Options::default());
    let bundle = sign(&tmp, &s, "first", None);
    let root = s.trusted_root_json(&[]);

    let (code, text) = verify(&bundle, &root, IDENTITY, ISSUER, 1);
    assert_eq!(code, 0, "{text}\nstand-in:\n{}", s.log());
    assert!(
        text.contains(&format!("VERIFIED: identity {IDENTITY}, issuer {ISSUER}")),
        "{text}"
    );
    assert!(
        s.log().contains(&format!(
            "fulcio POST /api/v2/signingCert 201 sub={IDENTITY}"
        )),
        "{}",
        s.log()
    );

    let b = read_json(&bundle);
    assert_eq!(
        b["mediaType"],
        "application/vnd.dev.sigstore.bundle.v0.3+json"
    );
    let cert = STANDARD
        .decode(
            b["verificationMaterial"]["certificate"]["rawBytes"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    let envelope = &b["dsseEnvelope"];
    let payload = STANDARD
        .decode(envelope["payload"].as_str().unwrap())
        .unwrap();
    let entry = &b["verificationMaterial"]["tlogEntries"][0];
    assert_eq!(
        entry["kindVersion"],
        json!({ "kind": "dsse", "version": "0.0.1" })
    );
    // Protobuf JSON leaves a zero out: the first entry has no logIndex.
    assert_eq!(entry["logIndex"].as_str().unwrap_or("0"), "0");
    let body = String::from_utf8(
        STANDARD
            .decode(entry["canonicalizedBody"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    let parsed: Value = serde_json::from_str(&body).unwrap();
    let envelope_hash = parsed["spec"]["envelopeHash"]["value"].as_str().unwrap();
    assert_eq!(envelope_hash.len(), 64, "{body}");
    let expected = format!(
        r#"{{"apiVersion":"0.0.1","kind":"dsse","spec":{{"envelopeHash":{{"algorithm":"sha256","value":"{envelope_hash}"}},"payloadHash":{{"algorithm":"sha256","value":"{}"}},"signatures":[{{"signature":"{}","verifier":"{}"}}]}}}}"#,
        hex::encode(Sha256::digest(&payload)),
        envelope["signatures"][0]["sig"].as_str().unwrap(),
        STANDARD.encode(cert_pem(&cert)),
    );
    assert_eq!(body, expected);
    let checkpoint = entry["inclusionProof"]["checkpoint"]["envelope"]
        .as_str()
        .unwrap();
    let host = s.rekor_url.strip_prefix("http://").unwrap();
    assert!(
        checkpoint.starts_with(&format!("{host} - ")),
        "{checkpoint}"
    );
    assert!(
        checkpoint.contains(&format!("\n\n\u{2014} {host} ")),
        "{checkpoint}"
    );
}

/// Later entries carry real audit paths (RFC 6962), and sigstore-js
/// follows each to the root its checkpoint signs.
#[test]
fn entries_deeper_in_the_tree_verify_by_their_audit_paths() {
    let tmp = Temp::new();
    let s = SigstoreStandin::start(Options::default());
    let root = s.trusted_root_json(&[]);
    let bundles: Vec<PathBuf> = (0..5)
        .map(|i| sign(&tmp, &s, &format!("artifact-{i}"), None))
        .collect();
    for (i, bundle) in bundles.iter().enumerate() {
        let (code, text) = verify(bundle, &root, IDENTITY, ISSUER, 1);
        assert_eq!(code, 0, "bundle {i}: {text}");
        let proof = &read_json(bundle)["verificationMaterial"]["tlogEntries"][0]["inclusionProof"];
        assert_eq!(proof["logIndex"].as_str().unwrap_or("0"), i.to_string());
        assert_eq!(proof["treeSize"], (i + 1).to_string());
    }
    // Leaf 4 of 5: the path is the root of the first four leaves alone.
    let last = read_json(&bundles[4]);
    assert_eq!(
        last["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["hashes"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Leaf 3 of 4: its neighbour (leaf 2), then the node over leaves 0 and 1.
    let fourth = read_json(&bundles[3]);
    assert_eq!(
        fourth["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["hashes"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let (status, log) = http(&s.rekor_url, "GET", "/api/v1/log", "");
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_str::<Value>(&log).unwrap()["treeSize"], 5);
}

#[test]
fn another_identity_is_refused() {
    let tmp = Temp::new();
    let s = SigstoreStandin::start(Options::default());
    let bundle = sign(&tmp, &s, "first", None);
    let other = "https://github.com/acme/app/.github/workflows/other.yml@refs/heads/main";
    let (code, text) = verify(&bundle, &s.trusted_root_json(&[]), other, ISSUER, 1);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("UNTRUSTED_SIGNER_ERROR: certificate identity error"),
        "{text}"
    );
    assert!(text.contains(&format!("got {IDENTITY}")), "{text}");
    // A prefix is not the identity: the match is exact.
    let (code, text) = verify(
        &bundle,
        &s.trusted_root_json(&[]),
        &IDENTITY[..IDENTITY.len() - 1],
        ISSUER,
        1,
    );
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("certificate identity error"), "{text}");
}

#[test]
fn another_issuer_is_refused() {
    let tmp = Temp::new();
    let s = SigstoreStandin::start(Options::default());
    let bundle = sign(&tmp, &s, "first", None);
    let (code, text) = verify(
        &bundle,
        &s.trusted_root_json(&[]),
        IDENTITY,
        "https://other.test",
        1,
    );
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains(&format!(
            "UNTRUSTED_SIGNER_ERROR: invalid certificate extension - expected issuer=https://other.test, got issuer={ISSUER}"
        )),
        "{text}"
    );
}

/// The log answers with another artifact's entry: its proof and SET are
/// genuine, its body names another signature.
#[test]
fn a_log_entry_for_another_artifact_is_refused() {
    let tmp = Temp::new();
    let s = SigstoreStandin::start(Options {
        rekor_wrong_body: true,
        ..Options::default()
    });
    let bundle = sign(&tmp, &s, "first", None);
    let body: Value =
        read_json(&bundle)["verificationMaterial"]["tlogEntries"][0]["canonicalizedBody"]
            .as_str()
            .map(|b| serde_json::from_slice(&STANDARD.decode(b).unwrap()).unwrap())
            .unwrap();
    let verifier = body["spec"]["signatures"][0]["verifier"].as_str().unwrap();
    let verifier = String::from_utf8(STANDARD.decode(verifier).unwrap()).unwrap();
    assert!(
        verifier.starts_with("-----BEGIN PUBLIC KEY-----"),
        "the decoy is signed by a key of its own: {body}"
    );
    let (code, text) = verify(&bundle, &s.trusted_root_json(&[]), IDENTITY, ISSUER, 1);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("TLOG_BODY_ERROR: tlog entry signature mismatch"),
        "{text}"
    );
}

/// A certificate issued in 2020 (valid ten minutes) for a signature the
/// log integrated now.
#[test]
fn an_expired_certificate_is_refused() {
    let tmp = Temp::new();
    let s = SigstoreStandin::start(Options {
        fulcio_clock: Some("2020-01-01T00:00:00Z".into()),
        ..Options::default()
    });
    let bundle = sign(&tmp, &s, "first", None);
    let (code, text) = verify(&bundle, &s.trusted_root_json(&[]), IDENTITY, ISSUER, 1);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains(
            "CERTIFICATE_ERROR: Failed to verify certificate chain (certificate is not valid or expired at the specified date)"
        ),
        "{text}"
    );
}

#[test]
fn a_set_from_an_unknown_key_is_refused() {
    let tmp = Temp::new();
    let s = SigstoreStandin::start(Options {
        rekor_bad_set: true,
        ..Options::default()
    });
    let bundle = sign(&tmp, &s, "first", None);
    let (code, text) = verify(&bundle, &s.trusted_root_json(&[]), IDENTITY, ISSUER, 1);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("TLOG_INCLUSION_PROMISE_ERROR: inclusion promise could not be verified"),
        "{text}"
    );
}

/// Fulcio certifies a verified email rather than the subject, and refuses
/// an unverified one.
#[test]
fn an_email_token_is_certified_for_its_verified_email() {
    let tmp = Temp::new();
    let s = SigstoreStandin::start(Options::default());
    let email = "dev@example.test";
    let token = identity_token(
        "1234567",
        ISSUER,
        json!({ "email": email, "email_verified": true }),
    );
    let (code, text, bundle) = try_sign(&tmp, &s, "mailed", &token, None);
    assert_eq!(code, 0, "{text}\n{}", s.log());
    let (code, text) = verify(&bundle, &s.trusted_root_json(&[]), email, ISSUER, 1);
    assert_eq!(code, 0, "{text}");

    // sigstore-js will not send an unverified email (Fulcio's own refusal
    // is in the_standins_refuse_what_the_services_refuse).
    let token = identity_token(
        "1234567",
        ISSUER,
        json!({ "email": email, "email_verified": false }),
    );
    let (code, text, _) = try_sign(&tmp, &s, "unverified", &token, None);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("JWT email not verified by issuer"), "{text}");
}

/// A timestamp from the OpenSSL authority of tests/support/tsa.rs, with the
/// trusted root that names it, counts as a second verified time; without
/// that authority in the root the bundle fails.
#[test]
fn an_rfc3161_timestamp_from_the_test_authority_counts() {
    let tmp = Temp::new();
    let s = SigstoreStandin::start(Options::default());
    let authority = TestTsa::start("Test TSA");
    let bundle = sign(&tmp, &s, "stamped", Some(&authority.url));
    assert_eq!(authority.requests(), 1);
    let b = read_json(&bundle);
    assert_eq!(
        b["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let root = s.trusted_root_json(&[RootEntry::of(&authority)]);
    let (code, text) = verify(&bundle, &root, IDENTITY, ISSUER, 2);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("timestampAuthorities=1"), "{text}");

    let (code, text) = verify(&bundle, &s.trusted_root_json(&[]), IDENTITY, ISSUER, 2);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("TIMESTAMP_ERROR"), "{text}");
}

/// What Fulcio and Rekor refuse, the stand-ins refuse: a proof of
/// possession over something else than the token's subject, a token for
/// another audience, an unverified email, an envelope its verifier did not
/// sign, a kind the log does not take. A sound request gets Fulcio's
/// answer shape.
#[test]
fn the_standins_refuse_what_the_services_refuse() {
    use p256::ecdsa::signature::Signer;
    use p256::elliptic_curve::Generate;
    use p256::pkcs8::{EncodePublicKey, LineEnding};

    let tmp = Temp::new();
    let s = SigstoreStandin::start(Options::default());
    let key = p256::ecdsa::SigningKey::generate();
    let public = key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let request = |token: &str, proven: &str| {
        let proof: p256::ecdsa::Signature = key.sign(proven.as_bytes());
        json!({
            "credentials": { "oidcIdentityToken": token },
            "publicKeyRequest": {
                "publicKey": { "algorithm": "ECDSA", "content": public },
                "proofOfPossession": STANDARD.encode(proof.to_der().as_bytes()),
            },
        })
        .to_string()
    };
    let token = identity_token(IDENTITY, ISSUER, json!({}));

    let (status, body) = http(
        &s.fulcio_url,
        "POST",
        "/api/v2/signingCert",
        &request(&token, "someone else"),
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("proof of possession"), "{body}");

    let elsewhere = identity_token(IDENTITY, ISSUER, json!({ "aud": "elsewhere" }));
    let (status, body) = http(
        &s.fulcio_url,
        "POST",
        "/api/v2/signingCert",
        &request(&elsewhere, IDENTITY),
    );
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("audience"), "{body}");

    let email = "dev@example.test";
    let unverified = identity_token(IDENTITY, ISSUER, json!({ "email": email }));
    let (status, body) = http(
        &s.fulcio_url,
        "POST",
        "/api/v2/signingCert",
        &request(&unverified, email),
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("email is not verified"), "{body}");

    let (status, body) = http(
        &s.fulcio_url,
        "POST",
        "/api/v2/signingCert",
        &request(&token, IDENTITY),
    );
    assert_eq!(status, 201, "{body}");
    let chain = &serde_json::from_str::<Value>(&body).unwrap()["signedCertificateEmbeddedSct"]["chain"]
        ["certificates"];
    assert_eq!(chain.as_array().unwrap().len(), 2, "{body}");
    assert!(
        chain[0]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );

    // A real envelope and certificate, from a sigstore-js signing, with its
    // payload changed: the signature no longer covers it.
    let b = read_json(&sign(&tmp, &s, "first", None));
    let cert = STANDARD
        .decode(
            b["verificationMaterial"]["certificate"]["rawBytes"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    let mut envelope = b["dsseEnvelope"].clone();
    envelope["payload"] = STANDARD.encode(b"{}").into();
    let proposed = |kind: &str, envelope: &Value| {
        json!({
            "apiVersion": "0.0.1",
            "kind": kind,
            "spec": { "proposedContent": {
                "envelope": envelope.to_string(),
                "verifiers": [STANDARD.encode(cert_pem(&cert))],
            } },
        })
        .to_string()
    };
    let (status, body) = http(
        &s.rekor_url,
        "POST",
        "/api/v1/log/entries",
        &proposed("dsse", &envelope),
    );
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("all signatures must have a key that verifies it"),
        "{body}"
    );

    let (status, body) = http(
        &s.rekor_url,
        "POST",
        "/api/v1/log/entries",
        &proposed("hashedrekord", &b["dsseEnvelope"]),
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("this log takes dsse 0.0.1"), "{body}");

    // The untouched envelope again (a new entry, unless serialized to the
    // very bytes sigstore-js sent); then the same request twice is Rekor's
    // 409, naming the entry, which GET answers.
    let again = proposed("dsse", &b["dsseEnvelope"]);
    let (status, body) = http(&s.rekor_url, "POST", "/api/v1/log/entries", &again);
    assert!(status == 201 || status == 409, "{status} {body}");
    let (status, body) = http(&s.rekor_url, "POST", "/api/v1/log/entries", &again);
    assert_eq!(status, 409, "{body}");
    let uuid = body.split("UUID ").nth(1).unwrap().trim_end_matches("\"}");
    let (status, body) = http(
        &s.rekor_url,
        "GET",
        &format!("/api/v1/log/entries/{uuid}"),
        "",
    );
    assert_eq!(status, 200, "{body}");
    assert!(
        serde_json::from_str::<Value>(&body).unwrap()[uuid]["body"].is_string(),
        "{body}"
    );
}
