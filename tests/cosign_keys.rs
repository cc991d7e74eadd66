//! Encrypted keys in the cosign/sigstore layout, written by an independent implementation
//! (tests/data/make-cosign-key.py: Python hashlib.scrypt + PyNaCl + pyca/cryptography).

use tacos_sbom::attest::dsse::{INTOTO_PAYLOAD_TYPE, sign_envelope};
use tacos_sbom::attest::keys::{KeyAlgorithm, KeyError, PublicKey, SigningKey};

const PASSWORD: &[u8] = b"tacos-test-password";

fn data(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/keys")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn check_decrypts(stem: &str, label: &str, alg: KeyAlgorithm) {
    let text = data(&format!("{stem}.key"));
    assert!(text.starts_with(&format!("-----BEGIN {label}-----")));
    let key = SigningKey::from_pem(&text, Some(PASSWORD)).unwrap();
    let public = PublicKey::from_pem(&data(&format!("{stem}.pub"))).unwrap();
    assert_eq!(key.algorithm(), alg);
    assert_eq!(key.public_key(), public);
    assert_eq!(key.public_key().key_id(), public.key_id());
    let env = sign_envelope(&key, INTOTO_PAYLOAD_TYPE, b"{}").unwrap();
    assert_eq!(env.verify(&public).unwrap(), b"{}");
}

fn check_rejects_bad_passwords(stem: &str) {
    let text = data(&format!("{stem}.key"));
    let wrong = SigningKey::from_pem(&text, Some(b"not-the-password")).unwrap_err();
    assert!(matches!(wrong, KeyError::WrongPassword), "{wrong:?}");
    let empty = SigningKey::from_pem(&text, Some(b"")).unwrap_err();
    assert!(matches!(empty, KeyError::WrongPassword), "{empty:?}");
    let missing = SigningKey::from_pem(&text, None).unwrap_err();
    assert!(matches!(missing, KeyError::PasswordRequired), "{missing:?}");
}

#[test]
fn sigstore_label_p256_key_decrypts() {
    check_decrypts(
        "cosign",
        "ENCRYPTED SIGSTORE PRIVATE KEY",
        KeyAlgorithm::EcdsaP256,
    );
}

#[test]
fn sigstore_label_p256_key_rejects_bad_passwords() {
    check_rejects_bad_passwords("cosign");
}

#[test]
fn legacy_cosign_label_key_decrypts() {
    check_decrypts(
        "cosign-legacy",
        "ENCRYPTED COSIGN PRIVATE KEY",
        KeyAlgorithm::EcdsaP256,
    );
    check_rejects_bad_passwords("cosign-legacy");
}

#[test]
fn ed25519_key_decrypts() {
    check_decrypts(
        "cosign-ed25519",
        "ENCRYPTED SIGSTORE PRIVATE KEY",
        KeyAlgorithm::Ed25519,
    );
}

#[test]
fn public_file_is_not_a_private_key() {
    let err = SigningKey::from_pem(&data("cosign.pub"), Some(PASSWORD)).unwrap_err();
    assert!(matches!(err, KeyError::PublicKeyGiven), "{err:?}");
    let err = PublicKey::from_pem(&data("cosign.key")).unwrap_err();
    assert!(matches!(err, KeyError::PrivateKeyGiven), "{err:?}");
}

#[test]
fn altered_ciphertext_is_rejected() {
    let text = data("cosign.key");
    let block = pem::parse(&text).unwrap();
    let mut doc: serde_json::Value = serde_json::from_slice(block.contents()).unwrap();
    let ct = doc["ciphertext"].as_str().unwrap().to_owned();
    // Change one base64 character in the middle of the ciphertext.
    let mid = ct.len() / 2;
    let swapped = if &ct[mid..=mid] == "A" { "B" } else { "A" };
    doc["ciphertext"] = format!("{}{}{}", &ct[..mid], swapped, &ct[mid + 1..]).into();
    let altered = pem::encode(&pem::Pem::new(block.tag(), doc.to_string().into_bytes()));
    let err = SigningKey::from_pem(&altered, Some(PASSWORD)).unwrap_err();
    assert!(matches!(err, KeyError::WrongPassword), "{err:?}");
}
