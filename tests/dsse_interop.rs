//! Interoperability with independent DSSE implementations (tests/conformance):
//! securesystemslib (`verify-dsse.py`), sigstore-js (`verify-bundle.mjs`) and a
//! pyca/cryptography signer (`sign-dsse.py`).
//!
//! The checkers are installed by `tests/conformance/INSTALL.sh` into
//! `.tools/conformance`; these tests fail with that hint when they are missing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tacos_sbom::attest::dsse::{DsseError, Envelope, INTOTO_PAYLOAD_TYPE, sign_envelope};
use tacos_sbom::attest::keys::{KeyAlgorithm, KeyError, PublicKey, SigningKey};

const STATEMENT: &str = concat!(
    r#"{"_type":"https://in-toto.io/Statement/v1","#,
    r#""subject":[{"name":"pkg:npm/lodash@4.17.21","digest":{"sha256":"#,
    r#""6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b"}}],"#,
    r#""predicateType":"https://example.invalid/test/v1","predicate":{"a":1}}"#
);

fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance")
}

fn run(program: &str, script: &str, args: &[&Path]) -> Output {
    let script = conformance_dir().join(script);
    assert!(
        script.is_file(),
        "{} is missing from this checkout",
        script.display()
    );
    let output = Command::new(program)
        .arg(&script)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} {}: {e}", script.display()));
    if output.status.code() == Some(2) {
        panic!(
            "{} could not run (exit 2); run tests/conformance/INSTALL.sh\n{}{}",
            script.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    output
}

fn describe(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn verify_dsse_py(envelope: &Path, public: &Path) -> Output {
    run("python3", "verify-dsse.py", &[envelope, public])
}

fn verify_bundle_mjs(envelope: &Path, public: &Path) -> Output {
    run("node", "verify-bundle.mjs", &[envelope, public])
}

/// Sign with our code and write `env.json` and `pub.pem` into `dir`.
fn write_ours(dir: &Path, alg: KeyAlgorithm) -> (PathBuf, PathBuf, Envelope) {
    let key = SigningKey::generate(alg);
    let env = sign_envelope(&key, INTOTO_PAYLOAD_TYPE, STATEMENT.as_bytes()).unwrap();
    let env_path = dir.join("env.json");
    let pub_path = dir.join("pub.pem");
    std::fs::write(&env_path, env.to_json_pretty()).unwrap();
    std::fs::write(&pub_path, key.public().to_spki_pem()).unwrap();
    (env_path, pub_path, env)
}

#[test]
fn securesystemslib_verifies_our_envelopes() {
    for alg in [KeyAlgorithm::EcdsaP256, KeyAlgorithm::Ed25519] {
        let dir = tempfile::tempdir().unwrap();
        let (env_path, pub_path, mut env) = write_ours(dir.path(), alg);
        let out = verify_dsse_py(&env_path, &pub_path);
        assert!(out.status.success(), "{alg}: {}", describe(&out));

        // The checker really checks: one changed payload byte must fail.
        let mut payload = env.payload_bytes().unwrap();
        payload[20] ^= 0x01;
        env.payload = base64_std(&payload);
        std::fs::write(&env_path, env.to_json_pretty()).unwrap();
        let out = verify_dsse_py(&env_path, &pub_path);
        assert_eq!(out.status.code(), Some(1), "{alg}: {}", describe(&out));
    }
}

#[test]
fn sigstore_js_verifies_our_envelopes() {
    for alg in [KeyAlgorithm::EcdsaP256, KeyAlgorithm::Ed25519] {
        let dir = tempfile::tempdir().unwrap();
        let (env_path, pub_path, _) = write_ours(dir.path(), alg);
        let out = verify_bundle_mjs(&env_path, &pub_path);
        assert!(out.status.success(), "{alg}: {}", describe(&out));

        // A different key must fail.
        let other = SigningKey::generate(alg).public().to_spki_pem();
        std::fs::write(&pub_path, other).unwrap();
        let out = verify_bundle_mjs(&env_path, &pub_path);
        assert_eq!(out.status.code(), Some(1), "{alg}: {}", describe(&out));
    }
}

/// Sign `STATEMENT` with `sign-dsse.py` (pyca/cryptography) and read the envelope back.
fn sign_with_python(dir: &Path, key_pem: &str, extra: &[&str]) -> Envelope {
    let key_path = dir.join("key.pem");
    let payload_path = dir.join("statement.json");
    let env_path = dir.join("py-env.json");
    std::fs::write(&key_path, key_pem).unwrap();
    std::fs::write(&payload_path, STATEMENT).unwrap();
    let script = conformance_dir().join("sign-dsse.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg("--key")
        .arg(&key_path)
        .arg("--payload")
        .arg(&payload_path)
        .args(extra)
        .arg("-o")
        .arg(&env_path)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "sign-dsse.py {extra:?}: {}",
        describe(&out)
    );
    Envelope::from_json(&std::fs::read_to_string(&env_path).unwrap()).unwrap()
}

#[test]
fn we_verify_envelopes_signed_by_pyca() {
    for alg in [KeyAlgorithm::EcdsaP256, KeyAlgorithm::Ed25519] {
        let dir = tempfile::tempdir().unwrap();
        let key = SigningKey::generate(alg);
        let public = PublicKey::from_pem(&key.public().to_spki_pem()).unwrap();
        let key_pem = key.to_pkcs8_pem();

        // keyid "" (the default), the key's id, URL-safe and unpadded base64 all verify.
        // P-256 signatures from OpenSSL are high-S about half the time; a few rounds cover it.
        let keyid = public.key_id();
        let variants: [&[&str]; 4] = [
            &[],
            &["--keyid", &keyid],
            &["--b64", "url"],
            &["--b64", "std-nopad"],
        ];
        for extra in variants {
            let rounds = if alg == KeyAlgorithm::EcdsaP256 && extra.is_empty() {
                4
            } else {
                1
            };
            for _ in 0..rounds {
                let env = sign_with_python(dir.path(), &key_pem, extra);
                assert_eq!(env.payload_type, INTOTO_PAYLOAD_TYPE);
                let payload = env
                    .verify(&public)
                    .unwrap_or_else(|e| panic!("{alg} {extra:?}: {e}"));
                assert_eq!(payload, STATEMENT.as_bytes());
            }
        }

        let tampered = sign_with_python(dir.path(), &key_pem, &["--tamper-payload"]);
        assert!(
            matches!(
                tampered.verify(&public),
                Err(DsseError::SignatureMismatch { .. })
            ),
            "{alg}"
        );

        let other = SigningKey::generate(alg).public_key();
        let env = sign_with_python(dir.path(), &key_pem, &[]);
        assert!(env.verify(&other).is_err(), "{alg}");
    }
}

#[test]
fn raw_ecdsa_signature_from_pyca_is_rejected_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let key = SigningKey::generate(KeyAlgorithm::EcdsaP256);
    let env = sign_with_python(dir.path(), &key.to_pkcs8_pem(), &["--sig-encoding", "raw"]);
    match env.verify(&key.public_key()) {
        Err(DsseError::MalformedSignature {
            source: KeyError::MalformedSignature(reason),
            ..
        }) => assert!(reason.contains("not ASN.1 DER"), "{reason}"),
        other => panic!("expected a malformed-signature error, got {other:?}"),
    }
}

fn base64_std(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
