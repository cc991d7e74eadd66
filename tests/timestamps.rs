//! RFC 3161 timestamps over DSSE signatures (issue 22, item 2): tokens from
//! a real timestamp authority (OpenSSL's `ts -reply` on loopback,
//! tests/support/tsa.rs) fetched by the client (`sources::tsa`), verified
//! by `attest::rfc3161` against a `trusted_root.json`
//! (`attest::trust_root`), and the same bundle judged by sigstore-js
//! (tests/conformance/verify-bundle-timestamped.mjs).

#[path = "support/tsa.rs"]
mod tsa;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use tacos_sbom::attest::dsse::{Envelope, INTOTO_PAYLOAD_TYPE, sign_envelope};
use tacos_sbom::attest::keys::{KeyAlgorithm, SigningKey};
use tacos_sbom::attest::rfc3161::der::{self, Der};
use tacos_sbom::attest::rfc3161::{
    TimestampAuthority, TimestampError, TimestampRequest, parse_response, verify_signed_timestamp,
};
use tacos_sbom::attest::trust_root::timestamp_authorities;
use tacos_sbom::config::Network;
use tacos_sbom::sources::tsa::TsaClient;
use time::OffsetDateTime;
use tsa::{Answer, RootEntry, TestTsa, trusted_root};
use url::Url;

const STATEMENT: &str = concat!(
    r#"{"_type":"https://in-toto.io/Statement/v1","#,
    r#""subject":[{"name":"pkg:npm/lodash@4.17.21","digest":{"sha256":"#,
    r#""6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b"}}],"#,
    r#""predicateType":"https://example.invalid/test/v1","predicate":{"a":1}}"#
);

fn signed(key: &SigningKey) -> (Envelope, Vec<u8>) {
    let env = sign_envelope(key, INTOTO_PAYLOAD_TYPE, STATEMENT.as_bytes()).unwrap();
    let sig = STANDARD.decode(&env.signatures[0].sig).unwrap();
    (env, sig)
}

fn client(url: &str) -> TsaClient {
    TsaClient::new(Url::parse(url).unwrap(), &Network::default()).unwrap()
}

async fn stamp(tsa: &TestTsa, signature: &[u8]) -> Vec<u8> {
    client(&tsa.url).timestamp(signature).await.unwrap()
}

fn authorities(entries: &[RootEntry<'_>]) -> Vec<TimestampAuthority> {
    timestamp_authorities(&trusted_root(entries)).unwrap()
}

#[tokio::test]
async fn a_token_from_the_test_authority_verifies_against_the_root() {
    let tsa = TestTsa::start("Test TSA");
    let (_, sig) = signed(&SigningKey::generate(KeyAlgorithm::EcdsaP256));
    let before = OffsetDateTime::now_utc() - time::Duration::seconds(5);
    let token = stamp(&tsa, &sig).await;
    assert_eq!(tsa.requests(), 1);
    let got =
        verify_signed_timestamp(&token, &sig, &authorities(&[RootEntry::of(&tsa)]), None).unwrap();
    assert_eq!(got.authority, "Test TSA");
    assert_eq!(got.policy, "1.2.3.4.1");
    assert!(
        got.gen_time >= before
            && got.gen_time <= OffsetDateTime::now_utc() + time::Duration::seconds(5)
    );
}

#[tokio::test]
async fn another_signature_is_not_what_was_stamped() {
    let tsa = TestTsa::start("Test TSA");
    let key = SigningKey::generate(KeyAlgorithm::EcdsaP256);
    let (_, sig) = signed(&key);
    let token = stamp(&tsa, &sig).await;
    let (_, other) = signed(&SigningKey::generate(KeyAlgorithm::EcdsaP256));
    let e = verify_signed_timestamp(&token, &other, &authorities(&[RootEntry::of(&tsa)]), None)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "timestamp: message imprint does not match the signature"
    );
}

#[tokio::test]
async fn an_authority_not_in_the_root_is_not_trusted() {
    let trusted = TestTsa::start("Test TSA");
    let other = TestTsa::start("Test TSA");
    let (_, sig) = signed(&SigningKey::generate(KeyAlgorithm::EcdsaP256));
    let token = stamp(&other, &sig).await;
    for root in [authorities(&[RootEntry::of(&trusted)]), authorities(&[])] {
        let e = verify_signed_timestamp(&token, &sig, &root, None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "timestamp: the signer is not a trusted timestamp authority"
        );
    }
    // The same token passes once its authority is in the root, after another.
    verify_signed_timestamp(
        &token,
        &sig,
        &authorities(&[RootEntry::of(&trusted), RootEntry::of(&other)]),
        None,
    )
    .unwrap();
}

#[tokio::test]
async fn a_tampered_token_fails() {
    let tsa = TestTsa::start("Test TSA");
    let (_, sig) = signed(&SigningKey::generate(KeyAlgorithm::EcdsaP256));
    let token = stamp(&tsa, &sig).await;
    let root = authorities(&[RootEntry::of(&tsa)]);
    verify_signed_timestamp(&token, &sig, &root, None).unwrap();

    // A byte of the TSTInfo: inside its message imprint, which holds
    // SHA-256 of the signature. The signed digest of the TSTInfo catches it.
    let imprint = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &sig);
    let at = token
        .windows(32)
        .position(|w| w == imprint.as_ref())
        .expect("the token holds the imprint");
    let mut changed = token.clone();
    changed[at + 5] ^= 0x01;
    let e = verify_signed_timestamp(&changed, &sig, &root, None).unwrap_err();
    assert_eq!(
        e.to_string(),
        "timestamp: the signed message digest does not match the timestamp's content"
    );

    // The last byte of the token is the last byte of the signer's ECDSA
    // signature (OpenSSL adds no unsigned attributes).
    let mut changed = token.clone();
    *changed.last_mut().unwrap() ^= 0x01;
    let e = verify_signed_timestamp(&changed, &sig, &root, None).unwrap_err();
    assert_eq!(
        e.to_string(),
        "timestamp: the signature over the timestamp does not verify with the signer's key"
    );
}

#[tokio::test]
async fn an_authority_outside_its_valid_window_fails() {
    let tsa = TestTsa::start("Test TSA");
    let (_, sig) = signed(&SigningKey::generate(KeyAlgorithm::EcdsaP256));
    let token = stamp(&tsa, &sig).await;
    let ended = RootEntry {
        start: "2020-01-01T00:00:00Z",
        end: Some("2021-01-01T00:00:00Z"),
        ..RootEntry::of(&tsa)
    };
    let e = verify_signed_timestamp(&token, &sig, &authorities(&[ended]), None).unwrap_err();
    assert!(
        matches!(e, TimestampError::OutsideAuthorityWindow { .. }),
        "{e}"
    );
    let text = e.to_string();
    assert!(
        text.starts_with("timestamp: the authority Test TSA was not trusted at the time stamped")
            && text.contains("until 2021-01-01T00:00:00Z"),
        "{text}"
    );
    let not_yet = RootEntry {
        start: "2999-01-01T00:00:00Z",
        end: None,
        ..RootEntry::of(&tsa)
    };
    let e = verify_signed_timestamp(&token, &sig, &authorities(&[not_yet]), None).unwrap_err();
    assert!(
        matches!(e, TimestampError::OutsideAuthorityWindow { .. }),
        "{e}"
    );
}

/// The TSTInfo (eContent) of a signed timestamp, read with the library's
/// DER reader.
fn tst_info_of(response: &[u8]) -> Vec<u8> {
    let mut r = Der::new(der::single(response, der::SEQUENCE).unwrap().value);
    r.expect(der::SEQUENCE).unwrap();
    let mut ci = r.enter(der::SEQUENCE).unwrap();
    ci.oid().unwrap();
    let mut sd = ci
        .enter(der::context(0))
        .unwrap()
        .enter(der::SEQUENCE)
        .unwrap();
    sd.integer().unwrap();
    sd.expect(der::SET).unwrap();
    let mut encap = sd.enter(der::SEQUENCE).unwrap();
    encap.oid().unwrap();
    let mut econtent = encap.enter(der::context(0)).unwrap();
    econtent.value(der::OCTET_STRING).unwrap().to_vec()
}

/// A granted `TimeStampResp` around a token.
fn granted(token: &[u8]) -> Vec<u8> {
    let status = der::tlv(der::SEQUENCE, &der::uint(0));
    der::tlv(der::SEQUENCE, &[status, token.to_vec()].concat())
}

#[tokio::test]
async fn a_leaf_without_the_timestamping_usage_fails() {
    let tsa = TestTsa::start("Test TSA");
    let (_, sig) = signed(&SigningKey::generate(KeyAlgorithm::EcdsaP256));
    let tst_info = tst_info_of(&stamp(&tsa, &sig).await);
    // OpenSSL's TSA will not sign with a leaf lacking the usage, so the
    // same TSTInfo is signed by `openssl cms` with the leaf's twin (same
    // key, issuer and serial, no EKU), which the token carries and the
    // root names.
    let twin = RootEntry {
        chain: vec![tsa.leaf_without_eku_der.clone(), tsa.root_der.clone()],
        ..RootEntry::of(&tsa)
    };
    let without = granted(&tsa.cms_sign(&tst_info, false));
    let e = verify_signed_timestamp(&without, &sig, &authorities(&[twin]), None).unwrap_err();
    assert_eq!(
        e.to_string(),
        "timestamp: the signing certificate Test TSA is not for timestamping (it needs a critical extended key usage of timeStamping only)"
    );
    // The same construction with the real leaf verifies: the usage is what
    // failed above.
    let with = granted(&tsa.cms_sign(&tst_info, true));
    verify_signed_timestamp(&with, &sig, &authorities(&[RootEntry::of(&tsa)]), None).unwrap();
}

#[tokio::test]
async fn a_rejection_names_the_status_and_the_failure() {
    // This authority takes only SHA-512 imprints; ours are SHA-256.
    let tsa = TestTsa::start_with("Picky TSA", "sha512", Answer::OpenSsl);
    let e = client(&tsa.url).timestamp(b"sig").await.unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "timestamp authority {}: timestamp: the authority refused the request (status 2 rejection, failure badAlg: Message digest algorithm is not supported.)",
            tsa.url
        )
    );
    // The same answer read directly, without HTTP.
    let answer = tsa.reply(&TimestampRequest::new(b"sig").der);
    assert!(matches!(
        parse_response(&answer, None),
        Err(TimestampError::Refused { .. })
    ));
}

#[tokio::test]
async fn an_answer_for_another_request_is_refused() {
    let tsa = TestTsa::start("Test TSA");
    let asked = TimestampRequest::with_nonce(b"sig", 7);
    let answer = tsa.reply(&TimestampRequest::with_nonce(b"sig", 8).der);
    assert!(matches!(
        parse_response(&answer, Some(&asked)),
        Err(TimestampError::NonceMismatch)
    ));
    let answer = tsa.reply(&TimestampRequest::with_nonce(b"other", 7).der);
    assert!(matches!(
        parse_response(&answer, Some(&asked)),
        Err(TimestampError::ImprintMismatch)
    ));
    let answer = tsa.reply(&asked.der);
    let token = parse_response(&answer, Some(&asked)).unwrap();
    let root = authorities(&[RootEntry::of(&tsa)]);
    verify_signed_timestamp(&token, b"sig", &root, Some(7)).unwrap();
    assert!(matches!(
        verify_signed_timestamp(&token, b"sig", &root, Some(8)),
        Err(TimestampError::NonceMismatch)
    ));
}

#[tokio::test]
async fn the_client_bounds_answers_and_redirects_and_redacts_its_url() {
    let huge = TestTsa::start_with("Huge", "sha256", Answer::Huge(100_000));
    let e = client(&huge.url).timestamp(b"sig").await.unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "timestamp authority {}: the answer is larger than 65536 bytes",
            huge.url
        )
    );
    let away = TestTsa::start_with(
        "Away",
        "sha256",
        Answer::Redirect("http://localhost:9/tsr".into()),
    );
    let e = client(&away.url).timestamp(b"sig").await.unwrap_err();
    assert!(
        e.to_string().contains("redirect to another host refused"),
        "{e}"
    );
    // Nothing listens on a port just released: the message names the
    // service and the URL without its credentials.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://user:hunter2@127.0.0.1:{port}/tsr?token=s3cret");
    let e = client(&url).timestamp(b"sig").await.unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("timestamp authority http://127.0.0.1:{port}/tsr?token=REDACTED: cannot connect")
    );
}

// ---- the independent judge ---------------------------------------------------

fn judge(bundle: &Path, public: &Path, root: &Path) -> Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/conformance/verify-bundle-timestamped.mjs");
    let out = Command::new("node")
        .arg(&script)
        .args([bundle, public, root])
        .output()
        .expect("node runs");
    if out.status.code() == Some(2) {
        panic!(
            "{} could not run; run tests/conformance/INSTALL.sh or set CONFORMANCE_HOME\n{}",
            script.display(),
            describe(&out)
        );
    }
    out
}

fn describe(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A Sigstore bundle v0.3 around `env`, written by hand from the spec (not
/// by the tool), with one RFC 3161 timestamp.
fn bundle_json(env: &Envelope, hint: &str, token: &[u8]) -> String {
    serde_json::to_string_pretty(&serde_json::json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "publicKey": { "hint": hint },
            "tlogEntries": [],
            "timestampVerificationData": {
                "rfc3161Timestamps": [ { "signedTimestamp": STANDARD.encode(token) } ]
            }
        },
        "dsseEnvelope": env,
    }))
    .unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[tokio::test]
async fn sigstore_js_judges_timestamped_bundles_as_we_do() {
    let tsa = TestTsa::start("Test TSA");
    let stranger = TestTsa::start("Test TSA");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = SigningKey::generate(KeyAlgorithm::EcdsaP256);
    let (env, sig) = signed(&key);
    let token = stamp(&tsa, &sig).await;
    let public = write(d, "pub.pem", &key.public().to_spki_pem());
    let root_text = trusted_root(&[RootEntry::of(&tsa)]);
    let root = write(d, "trusted_root.json", &root_text);
    let good = write(
        d,
        "good.json",
        &bundle_json(&env, &key.public().key_id(), &token),
    );

    let out = judge(&good, &public, &root);
    assert!(out.status.success(), "{}", describe(&out));
    let ours = timestamp_authorities(&root_text).unwrap();
    verify_signed_timestamp(&token, &sig, &ours, None).unwrap();

    // A root naming only another authority.
    let strangers_root = write(
        d,
        "strangers_root.json",
        &trusted_root(&[RootEntry::of(&stranger)]),
    );
    let out = judge(&good, &public, &strangers_root);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        verify_signed_timestamp(
            &token,
            &sig,
            &timestamp_authorities(&std::fs::read_to_string(&strangers_root).unwrap()).unwrap(),
            None
        )
        .is_err()
    );

    // The same statement signed by another key, valid on its own, carrying
    // the first signature's timestamp.
    let key2 = SigningKey::generate(KeyAlgorithm::EcdsaP256);
    let (env2, sig2) = signed(&key2);
    let public2 = write(d, "pub2.pem", &key2.public().to_spki_pem());
    let swapped = write(
        d,
        "swapped.json",
        &bundle_json(&env2, &key2.public().key_id(), &token),
    );
    let out = judge(&swapped, &public2, &root);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(matches!(
        verify_signed_timestamp(&token, &sig2, &ours, None),
        Err(TimestampError::ImprintMismatch)
    ));

    // And the swapped bundle with its own timestamp passes: the judge
    // failed on the timestamp, not on the envelope.
    let token2 = stamp(&tsa, &sig2).await;
    let fixed = write(
        d,
        "fixed.json",
        &bundle_json(&env2, &key2.public().key_id(), &token2),
    );
    let out = judge(&fixed, &public2, &root);
    assert!(out.status.success(), "{}", describe(&out));
}
