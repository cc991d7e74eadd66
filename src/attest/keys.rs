//! Signing and verification keys for attestations: ECDSA P-256 and Ed25519.
//!
//! Private keys are read from PEM: PKCS#8 (`PRIVATE KEY`), SEC1 (`EC PRIVATE KEY`) and the
//! password-encrypted cosign/sigstore layout. Public keys are read and written as SPKI
//! (`PUBLIC KEY`). A key id is the lowercase hex SHA-256 of the SPKI DER, so it is the same for a
//! private key and its `.pub` file.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_PAD_INDIFFERENT;
use crypto_secretbox::XSalsa20Poly1305;
use crypto_secretbox::aead::{Aead, KeyInit};
use p256::elliptic_curve::Generate;
use p256::pkcs8::der::asn1::ObjectIdentifier;
use p256::pkcs8::der::{Decode, Reader, SliceReader, TagMode, TagNumber};
use p256::pkcs8::{
    AlgorithmIdentifierRef, EncodePrivateKey, EncodePublicKey, PrivateKeyInfoRef,
    SubjectPublicKeyInfoRef,
};
use serde::Deserialize;
use sha2::{Digest, Sha256};

const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// Refuse scrypt parameters whose work (128 × r × N × p bytes mixed) exceeds this: cosign's
/// keys need 64 MiB (N = 65536, r = 8, p = 1). A key file cannot make a run spend a gigabyte of
/// memory or minutes of CPU before the password is even checked.
const SCRYPT_MAX_WORK: u64 = 256 << 20;
/// scrypt's N for keys this tool encrypts: cosign's own (2^15).
const COSIGN_SCRYPT_LOG_N: u8 = 15;

/// The signature algorithms this tool signs and verifies with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyAlgorithm {
    /// ECDSA over NIST P-256 with SHA-256; signatures are ASN.1 DER.
    EcdsaP256,
    /// PureEdDSA over edwards25519; signatures are 64 raw bytes.
    Ed25519,
}

impl KeyAlgorithm {
    /// The name used on the command line and in messages.
    pub const fn as_str(self) -> &'static str {
        match self {
            KeyAlgorithm::EcdsaP256 => "ecdsa-p256",
            KeyAlgorithm::Ed25519 => "ed25519",
        }
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for KeyAlgorithm {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s.trim();
        if name.eq_ignore_ascii_case("ecdsa-p256") {
            Ok(KeyAlgorithm::EcdsaP256)
        } else if name.eq_ignore_ascii_case("ed25519") {
            Ok(KeyAlgorithm::Ed25519)
        } else {
            Err(KeyError::UnknownAlgorithm(name.to_owned()))
        }
    }
}

/// Why a key could not be read, or why a signature did not verify.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key text is not PEM; pass a file with a -----BEGIN ... KEY----- block")]
    NotPem,
    #[error(
        "got a public key where a private key is needed; pass the private key, not the .pub file"
    )]
    PublicKeyGiven,
    #[error("got a private key where a public key is needed; pass the .pub file (SPKI PUBLIC KEY)")]
    PrivateKeyGiven,
    #[error(
        "got a certificate, not a key; extract its public key with `openssl x509 -pubkey -noout -in CERT`"
    )]
    CertificateGiven,
    #[error("not a key: the PEM block is `{0}`; pass a PRIVATE KEY or PUBLIC KEY PEM file")]
    NotAKey(String),
    #[error(
        "unsupported key type {0}; use an ECDSA P-256 or Ed25519 key, e.g. `openssl genpkey -algorithm ed25519`"
    )]
    UnsupportedKeyType(String),
    #[error(
        "password-encrypted {0} keys are not supported; decrypt with `openssl pkey -in KEY -out plain.pem`, or re-encrypt it with `cosign import-key-pair --key plain.pem`"
    )]
    OpenSslEncrypted(&'static str),
    #[error(
        "unsupported key encryption ({0}); only cosign keys (scrypt + nacl/secretbox) can be decrypted"
    )]
    UnsupportedEncryption(String),
    #[error("key is encrypted; supply the password it was created with")]
    PasswordRequired,
    #[error(
        "wrong password for the encrypted key (or the key file was altered); check the password"
    )]
    WrongPassword,
    #[error("corrupt key: {0}; re-export or regenerate the key")]
    Corrupt(String),
    #[error("unknown key algorithm `{0}`; use ecdsa-p256 or ed25519")]
    UnknownAlgorithm(String),
    #[error("malformed signature: {0}")]
    MalformedSignature(String),
    #[error("signature does not match; the data changed or a different key signed it")]
    SignatureMismatch,
}

/// A private key that signs. Cheap to share across threads; signing needs only `&self`.
#[derive(Clone)]
pub struct SigningKey {
    inner: SigningInner,
    public: PublicKey,
}

#[derive(Clone)]
enum SigningInner {
    P256(p256::ecdsa::SigningKey),
    Ed25519(ed25519_dalek::SigningKey),
}

impl SigningKey {
    /// A new random key from the operating system's random number generator.
    ///
    /// # Panics
    /// If the operating system cannot provide randomness.
    pub fn generate(alg: KeyAlgorithm) -> SigningKey {
        match alg {
            KeyAlgorithm::EcdsaP256 => {
                let key = p256::ecdsa::SigningKey::try_generate()
                    .expect("operating system random number generator failed");
                SigningKey::from_inner(SigningInner::P256(key))
            }
            KeyAlgorithm::Ed25519 => {
                let mut secret = [0u8; 32];
                getrandom::fill(&mut secret)
                    .expect("operating system random number generator failed");
                let key = ed25519_dalek::SigningKey::from_bytes(&secret);
                secret.fill(0);
                SigningKey::from_inner(SigningInner::Ed25519(key))
            }
        }
    }

    /// Read a private key from PEM text.
    ///
    /// Accepts PKCS#8 `PRIVATE KEY` (P-256 or Ed25519), SEC1 `EC PRIVATE KEY` (P-256), and the
    /// cosign/sigstore `ENCRYPTED COSIGN PRIVATE KEY` / `ENCRYPTED SIGSTORE PRIVATE KEY` layout,
    /// which needs `password` (an empty password is a valid password).
    pub fn from_pem(text: &str, password: Option<&[u8]>) -> Result<SigningKey, KeyError> {
        let block = first_key_block(text)?;
        match block.tag() {
            "PRIVATE KEY" => signing_key_from_pkcs8(block.contents()),
            "EC PRIVATE KEY" => {
                reject_legacy_encryption(&block)?;
                signing_key_from_sec1(block.contents())
            }
            "ENCRYPTED COSIGN PRIVATE KEY" | "ENCRYPTED SIGSTORE PRIVATE KEY" => {
                let pkcs8 = decrypt_cosign(block.contents(), password)?;
                signing_key_from_pkcs8(&pkcs8)
            }
            "ENCRYPTED PRIVATE KEY" => Err(KeyError::OpenSslEncrypted("PKCS#8")),
            "RSA PRIVATE KEY" => Err(KeyError::UnsupportedKeyType("RSA".into())),
            "DSA PRIVATE KEY" => Err(KeyError::UnsupportedKeyType("DSA".into())),
            "OPENSSH PRIVATE KEY" => Err(KeyError::UnsupportedKeyType(
                "OpenSSH private key format".into(),
            )),
            "PUBLIC KEY" | "RSA PUBLIC KEY" => Err(KeyError::PublicKeyGiven),
            "CERTIFICATE" => Err(KeyError::CertificateGiven),
            other => Err(KeyError::NotAKey(other.to_owned())),
        }
    }

    pub fn algorithm(&self) -> KeyAlgorithm {
        self.public.algorithm()
    }

    /// The key in cosign's encrypted layout (`ENCRYPTED SIGSTORE PRIVATE KEY`),
    /// as `cosign generate-key-pair` writes it: PKCS#8 DER sealed with NaCl
    /// secretbox (XSalsa20-Poly1305) under scrypt(password, 32-byte salt,
    /// N = 32768, r = 8, p = 1), the body compact JSON. The inverse of what
    /// [`SigningKey::from_pem`] reads, so cosign and this tool share key files.
    pub fn to_cosign_pem(&self, password: &[u8]) -> String {
        self.to_cosign_pem_with(password, COSIGN_SCRYPT_LOG_N)
    }

    fn to_cosign_pem_with(&self, password: &[u8], log_n: u8) -> String {
        let der = pem::parse(self.to_pkcs8_pem())
            .expect("our own PEM parses")
            .into_contents();
        let mut salt = [0u8; 32];
        let mut nonce = [0u8; 24];
        getrandom::fill(&mut salt).expect("the system random source works");
        getrandom::fill(&mut nonce).expect("the system random source works");
        let (r, p) = (8u32, 1u32);
        let mut key = [0u8; 32];
        scrypt::scrypt(
            password,
            &salt,
            &scrypt::Params::new(log_n, r, p).expect("valid scrypt parameters"),
            &mut key,
        )
        .expect("a 32-byte scrypt output length is always valid");
        let cipher = XSalsa20Poly1305::new(&key.into());
        key.fill(0);
        let ciphertext = cipher
            .encrypt(&nonce.into(), der.as_slice())
            .expect("sealing in memory cannot fail");
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        // Key order and compactness as Go's encoding/json writes cosign's struct.
        let body = format!(
            r#"{{"kdf":{{"name":"scrypt","params":{{"N":{},"r":{r},"p":{p}}},"salt":"{}"}},"cipher":{{"name":"nacl/secretbox","nonce":"{}"}},"ciphertext":"{}"}}"#,
            1u64 << log_n,
            b64(&salt),
            b64(&nonce),
            b64(&ciphertext)
        );
        encode_pem("ENCRYPTED SIGSTORE PRIVATE KEY", body.as_bytes())
    }

    /// The key as unencrypted PKCS#8 PEM (`PRIVATE KEY`), readable by OpenSSL, pyca and Go.
    pub fn to_pkcs8_pem(&self) -> String {
        let der = match &self.inner {
            SigningInner::P256(key) => key.to_pkcs8_der(),
            // Version 1 (no embedded public key), as `openssl genpkey` and Go write it.
            SigningInner::Ed25519(key) => ed25519_dalek::pkcs8::KeypairBytes {
                secret_key: key.to_bytes(),
                public_key: None,
            }
            .to_pkcs8_der(),
        }
        .expect("encoding a valid key as PKCS#8 cannot fail");
        encode_pem("PRIVATE KEY", der.as_bytes())
    }

    /// An owned copy of the public half.
    pub fn public_key(&self) -> PublicKey {
        self.public.clone()
    }

    /// The public half, borrowed (its key id and SPKI are computed once, at load).
    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    /// Sign `message`: ECDSA P-256 with SHA-256 as ASN.1 DER, or Ed25519 as 64 raw bytes.
    pub fn sign_bytes(&self, message: &[u8]) -> Vec<u8> {
        match &self.inner {
            SigningInner::P256(key) => {
                let sig = super::ecdsa::sign_digest(key, &Sha256::digest(message).into());
                sig.to_der().as_bytes().to_vec()
            }
            SigningInner::Ed25519(key) => ed25519_dalek::Signer::sign(key, message)
                .to_bytes()
                .to_vec(),
        }
    }

    /// Sign the concatenation of `parts` without making it, where the
    /// algorithm hashes the message first (ECDSA P-256 with SHA-256): the
    /// same signature as `sign_bytes` of the concatenation. `None` for
    /// Ed25519, which needs the whole message.
    pub fn sign_parts(&self, parts: &[&[u8]]) -> Option<Vec<u8>> {
        let written = self.sign_streamed(&mut |w| parts.iter().try_for_each(|p| w.write_all(p)))?;
        Some(written.expect("hashing slices cannot fail"))
    }

    /// `sign_parts` with the message written by `feed` into the hash, so a
    /// message of tens of megabytes is never held. `None` for Ed25519;
    /// `feed`'s error, if it fails, instead of a signature.
    pub fn sign_streamed(
        &self,
        feed: &mut dyn FnMut(&mut dyn std::io::Write) -> std::io::Result<()>,
    ) -> Option<std::io::Result<Vec<u8>>> {
        match &self.inner {
            SigningInner::P256(key) => {
                let mut digest = Sha256::new();
                Some(feed(&mut DigestWriter(&mut digest)).map(|()| {
                    let sig = super::ecdsa::sign_digest(key, &digest.finalize().into());
                    sig.to_der().as_bytes().to_vec()
                }))
            }
            SigningInner::Ed25519(_) => None,
        }
    }

    fn from_inner(inner: SigningInner) -> SigningKey {
        let public = match &inner {
            SigningInner::P256(key) => {
                PublicKey::from_inner(PublicInner::P256(*key.verifying_key()))
            }
            SigningInner::Ed25519(key) => {
                PublicKey::from_inner(PublicInner::Ed25519(key.verifying_key()))
            }
        };
        SigningKey { inner, public }
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("algorithm", &self.algorithm())
            .field("key_id", &self.public.key_id)
            .finish_non_exhaustive()
    }
}

/// A public key that verifies signatures.
#[derive(Clone)]
pub struct PublicKey {
    inner: PublicInner,
    spki_der: Vec<u8>,
    key_id: String,
}

#[derive(Clone)]
enum PublicInner {
    P256(p256::ecdsa::VerifyingKey),
    Ed25519(ed25519_dalek::VerifyingKey),
}

impl PublicKey {
    /// Read an SPKI `PUBLIC KEY` PEM (what `cosign generate-key-pair` writes as `cosign.pub`).
    pub fn from_pem(text: &str) -> Result<PublicKey, KeyError> {
        let block = first_key_block(text)?;
        match block.tag() {
            "PUBLIC KEY" => public_key_from_spki(block.contents()),
            "RSA PUBLIC KEY" => Err(KeyError::UnsupportedKeyType("RSA".into())),
            "CERTIFICATE" => Err(KeyError::CertificateGiven),
            tag if tag.ends_with("PRIVATE KEY") => Err(KeyError::PrivateKeyGiven),
            other => Err(KeyError::NotAKey(other.to_owned())),
        }
    }

    pub fn to_spki_pem(&self) -> String {
        encode_pem("PUBLIC KEY", &self.spki_der)
    }

    /// Lowercase hex SHA-256 of the SPKI DER.
    pub fn key_id(&self) -> String {
        self.key_id.clone()
    }

    pub fn algorithm(&self) -> KeyAlgorithm {
        match self.inner {
            PublicInner::P256(_) => KeyAlgorithm::EcdsaP256,
            PublicInner::Ed25519(_) => KeyAlgorithm::Ed25519,
        }
    }

    /// Check `signature` over `message`.
    ///
    /// P-256: ECDSA with SHA-256, signature in ASN.1 DER; high-S signatures are accepted because
    /// OpenSSL and other signers produce them. Ed25519: 64 raw bytes, strict verification.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        match &self.inner {
            PublicInner::P256(key) => {
                p256::ecdsa::signature::Verifier::verify(key, message, &p256_der(signature)?)
                    .map_err(|_| KeyError::SignatureMismatch)
            }
            PublicInner::Ed25519(key) => {
                let sig = ed25519_dalek::Signature::from_slice(signature).map_err(|_| {
                    KeyError::MalformedSignature(format!(
                        "Ed25519 signature must be 64 bytes, got {}; re-sign with an Ed25519 key",
                        signature.len()
                    ))
                })?;
                key.verify_strict(message, &sig)
                    .map_err(|_| KeyError::SignatureMismatch)
            }
        }
    }

    /// `verify` of `parts` one after the other, never joined: P-256 hashes
    /// them as they come (the same check as `verify`), so a report's PAE
    /// message of tens of megabytes is not built. `None` for Ed25519,
    /// whose strict check takes the message whole.
    pub fn verify_parts(&self, parts: &[&[u8]], signature: &[u8]) -> Option<Result<(), KeyError>> {
        match &self.inner {
            PublicInner::P256(key) => Some(p256_der(signature).and_then(|sig| {
                p256::ecdsa::signature::MultipartVerifier::multipart_verify(key, parts, &sig)
                    .map_err(|_| KeyError::SignatureMismatch)
            })),
            PublicInner::Ed25519(_) => None,
        }
    }

    fn from_inner(inner: PublicInner) -> PublicKey {
        let spki_der = match &inner {
            PublicInner::P256(key) => key.to_public_key_der(),
            PublicInner::Ed25519(key) => key.to_public_key_der(),
        }
        .expect("encoding a valid public key as SPKI cannot fail")
        .into_vec();
        let key_id = to_hex(&Sha256::digest(&spki_der));
        PublicKey {
            inner,
            spki_der,
            key_id,
        }
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.spki_der == other.spki_der
    }
}

impl Eq for PublicKey {}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("algorithm", &self.algorithm())
            .field("key_id", &self.key_id)
            .finish()
    }
}

/// The first PEM block that holds a key. OpenSSL may put an `EC PARAMETERS` block first.
fn first_key_block(text: &str) -> Result<pem::Pem, KeyError> {
    if !text.contains("-----BEGIN ") {
        return Err(KeyError::NotPem);
    }
    let blocks = pem::parse_many(text)
        .map_err(|e| KeyError::Corrupt(format!("PEM block cannot be decoded ({e})")))?;
    blocks
        .into_iter()
        .find(|b| b.tag() != "EC PARAMETERS")
        .ok_or(KeyError::NotPem)
}

/// Traditional OpenSSL encryption puts `Proc-Type: 4,ENCRYPTED` headers in the block.
fn reject_legacy_encryption(block: &pem::Pem) -> Result<(), KeyError> {
    match block.headers().get("Proc-Type") {
        Some(value) if value.contains("ENCRYPTED") => {
            Err(KeyError::OpenSslEncrypted("traditional OpenSSL PEM"))
        }
        _ => Ok(()),
    }
}

fn encode_pem(label: &str, der: &[u8]) -> String {
    pem::encode_config(
        &pem::Pem::new(label, der),
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    )
}

fn to_hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

/// Map an algorithm identifier (from PKCS#8 or SPKI) to a supported algorithm.
fn classify(alg: &AlgorithmIdentifierRef<'_>) -> Result<KeyAlgorithm, KeyError> {
    if alg.oid == OID_ED25519 {
        return Ok(KeyAlgorithm::Ed25519);
    }
    if alg.oid == OID_EC_PUBLIC_KEY {
        return match alg.parameters_oid() {
            Ok(curve) if curve == OID_P256 => Ok(KeyAlgorithm::EcdsaP256),
            Ok(curve) => Err(KeyError::UnsupportedKeyType(curve_name(curve))),
            Err(_) => Err(KeyError::Corrupt("EC key has no named curve".into())),
        };
    }
    Err(KeyError::UnsupportedKeyType(algorithm_name(alg.oid)))
}

fn curve_name(oid: ObjectIdentifier) -> String {
    match oid.to_string().as_str() {
        "1.3.132.0.34" => "ECDSA P-384".into(),
        "1.3.132.0.35" => "ECDSA P-521".into(),
        "1.3.132.0.10" => "ECDSA secp256k1".into(),
        other => format!("ECDSA on curve {other}"),
    }
}

fn algorithm_name(oid: ObjectIdentifier) -> String {
    match oid.to_string().as_str() {
        "1.2.840.113549.1.1.1" => "RSA".into(),
        "1.2.840.113549.1.1.10" => "RSA-PSS".into(),
        "1.2.840.10040.4.1" => "DSA".into(),
        "1.3.101.113" => "Ed448".into(),
        "1.3.101.110" => "X25519".into(),
        "1.3.101.111" => "X448".into(),
        other => format!("with algorithm OID {other}"),
    }
}

fn signing_key_from_pkcs8(der: &[u8]) -> Result<SigningKey, KeyError> {
    let info = PrivateKeyInfoRef::from_der(der)
        .map_err(|e| KeyError::Corrupt(format!("not a PKCS#8 private key ({e})")))?;
    let inner = match classify(&info.algorithm)? {
        KeyAlgorithm::EcdsaP256 => p256::ecdsa::SigningKey::try_from(info)
            .map(SigningInner::P256)
            .map_err(|e| KeyError::Corrupt(format!("invalid P-256 private key ({e})")))?,
        KeyAlgorithm::Ed25519 => ed25519_dalek::SigningKey::try_from(info)
            .map(SigningInner::Ed25519)
            .map_err(|e| KeyError::Corrupt(format!("invalid Ed25519 private key ({e})")))?,
    };
    Ok(SigningKey::from_inner(inner))
}

fn signing_key_from_sec1(der: &[u8]) -> Result<SigningKey, KeyError> {
    if let Some(curve) = sec1_curve(der)?
        && curve != OID_P256
    {
        return Err(KeyError::UnsupportedKeyType(curve_name(curve)));
    }
    let secret = p256::SecretKey::from_sec1_der(der)
        .map_err(|e| KeyError::Corrupt(format!("invalid SEC1 EC private key ({e})")))?;
    Ok(SigningKey::from_inner(SigningInner::P256(secret.into())))
}

/// The named curve of a SEC1 `ECPrivateKey`, if it names one:
/// `SEQUENCE { version, privateKey OCTET STRING, [0] parameters OPTIONAL, [1] publicKey OPTIONAL }`.
fn sec1_curve(der: &[u8]) -> Result<Option<ObjectIdentifier>, KeyError> {
    let parse = || -> Result<Option<ObjectIdentifier>, p256::pkcs8::der::Error> {
        let mut reader = SliceReader::new(der)?;
        reader.sequence(|r| {
            r.tlv_bytes()?; // version
            r.tlv_bytes()?; // privateKey
            let curve = r.context_specific::<ObjectIdentifier>(TagNumber(0), TagMode::Explicit)?;
            while !r.is_finished() {
                r.tlv_bytes()?;
            }
            Ok(curve)
        })
    };
    parse().map_err(|e| KeyError::Corrupt(format!("not a SEC1 EC private key ({e})")))
}

fn public_key_from_spki(der: &[u8]) -> Result<PublicKey, KeyError> {
    let spki = SubjectPublicKeyInfoRef::from_der(der)
        .map_err(|e| KeyError::Corrupt(format!("not an SPKI public key ({e})")))?;
    let inner = match classify(&spki.algorithm)? {
        KeyAlgorithm::EcdsaP256 => p256::ecdsa::VerifyingKey::try_from(spki)
            .map(PublicInner::P256)
            .map_err(|e| KeyError::Corrupt(format!("invalid P-256 public key ({e})")))?,
        KeyAlgorithm::Ed25519 => ed25519_dalek::VerifyingKey::try_from(spki)
            .map(PublicInner::Ed25519)
            .map_err(|e| KeyError::Corrupt(format!("invalid Ed25519 public key ({e})")))?,
    };
    Ok(PublicKey::from_inner(inner))
}

/// The JSON body of a cosign/sigstore encrypted key (all byte strings standard base64).
#[derive(Deserialize)]
struct CosignEncrypted {
    kdf: CosignKdf,
    cipher: CosignCipher,
    ciphertext: String,
}

#[derive(Deserialize)]
struct CosignKdf {
    name: String,
    params: ScryptParams,
    salt: String,
}

#[derive(Deserialize)]
struct ScryptParams {
    #[serde(rename = "N", alias = "n")]
    n: u64,
    r: u32,
    p: u32,
}

#[derive(Deserialize)]
struct CosignCipher {
    name: String,
    nonce: String,
}

/// Decrypt a cosign key body: key = scrypt(password, salt, N, r, p) (32 bytes), then
/// NaCl secretbox (XSalsa20-Poly1305) open; the plaintext is PKCS#8 DER.
fn decrypt_cosign(body: &[u8], password: Option<&[u8]>) -> Result<Vec<u8>, KeyError> {
    let doc: CosignEncrypted = serde_json::from_slice(body).map_err(|e| {
        KeyError::Corrupt(format!(
            "encrypted key body is not cosign's JSON layout ({e})"
        ))
    })?;
    if doc.kdf.name != "scrypt" {
        return Err(KeyError::UnsupportedEncryption(format!(
            "kdf {}",
            doc.kdf.name
        )));
    }
    if doc.cipher.name != "nacl/secretbox" {
        return Err(KeyError::UnsupportedEncryption(format!(
            "cipher {}",
            doc.cipher.name
        )));
    }
    let ScryptParams { n, r, p } = doc.kdf.params;
    let work = u64::from(r)
        .saturating_mul(128)
        .saturating_mul(n)
        .saturating_mul(u64::from(p));
    if !n.is_power_of_two() || n < 2 || r == 0 || p == 0 || p > 16 || work > SCRYPT_MAX_WORK {
        return Err(KeyError::UnsupportedEncryption(format!(
            "scrypt N={n} r={r} p={p} is out of range"
        )));
    }
    let decode = |field: &str, value: &str| {
        STANDARD_PAD_INDIFFERENT
            .decode(value)
            .map_err(|_| KeyError::Corrupt(format!("encrypted key {field} is not base64")))
    };
    let salt = decode("salt", &doc.kdf.salt)?;
    let nonce: [u8; 24] = decode("nonce", &doc.cipher.nonce)?
        .try_into()
        .map_err(|_| KeyError::Corrupt("encrypted key nonce is not 24 bytes".into()))?;
    let ciphertext = decode("ciphertext", &doc.ciphertext)?;
    let password = password.ok_or(KeyError::PasswordRequired)?;

    let params = scrypt::Params::new(n.trailing_zeros() as u8, r, p).map_err(|_| {
        KeyError::UnsupportedEncryption(format!("scrypt N={n} r={r} p={p} is invalid"))
    })?;
    let mut key = [0u8; 32];
    scrypt::scrypt(password, &salt, &params, &mut key)
        .expect("a 32-byte scrypt output length is always valid");
    let cipher = XSalsa20Poly1305::new(&key.into());
    key.fill(0);
    cipher
        .decrypt(&nonce.into(), ciphertext.as_slice())
        .map_err(|_| KeyError::WrongPassword)
}

/// Writes into a SHA-256 being computed.
struct DigestWriter<'a>(&'a mut sha2::Sha256);

impl std::io::Write for DigestWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        sha2::Digest::update(self.0, buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// An ECDSA P-256 signature in ASN.1 DER, as DSSE and cosign carry it.
fn p256_der(signature: &[u8]) -> Result<p256::ecdsa::Signature, KeyError> {
    p256::ecdsa::Signature::from_der(signature).map_err(|_| {
        KeyError::MalformedSignature(if signature.len() == 64 {
            "ECDSA signature is 64 raw bytes (r||s), not ASN.1 DER; re-sign with DER encoding"
                .into()
        } else {
            format!(
                "ECDSA signature ({} bytes) is not ASN.1 DER; re-sign with a P-256 key",
                signature.len()
            )
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Verifying in parts is verifying the joined message, wherever it is
    /// split: the same answer for a good signature, a changed byte and a
    /// signature that is not DER. Ed25519 is not verified in parts.
    #[test]
    fn verifying_in_parts_is_verifying_the_whole() {
        let key = SigningKey::generate(KeyAlgorithm::EcdsaP256);
        let message = b"DSSEv1 28 application/vnd.in-toto+json 5 hello".as_slice();
        let sig = key.sign_bytes(message);
        let public = key.public();
        for at in [0, 7, 42, message.len()] {
            let (a, b) = message.split_at(at);
            assert!(public.verify_parts(&[a, b], &sig).unwrap().is_ok(), "{at}");
        }
        let (a, _) = message.split_at(42);
        assert!(matches!(
            public.verify_parts(&[a, b"hellp"], &sig),
            Some(Err(KeyError::SignatureMismatch))
        ));
        assert!(matches!(
            public.verify(&[a, b"hellp"].concat(), &sig),
            Err(KeyError::SignatureMismatch)
        ));
        assert!(matches!(
            public.verify_parts(&[message], &sig[..10]),
            Some(Err(KeyError::MalformedSignature(_)))
        ));
        let ed = SigningKey::generate(KeyAlgorithm::Ed25519);
        let ed_sig = ed.sign_bytes(message);
        assert!(ed.public().verify_parts(&[message], &ed_sig).is_none());
        assert!(ed.public().verify(message, &ed_sig).is_ok());
    }

    fn both() -> [KeyAlgorithm; 2] {
        [KeyAlgorithm::EcdsaP256, KeyAlgorithm::Ed25519]
    }

    #[test]
    fn algorithm_names_round_trip() {
        for alg in both() {
            assert_eq!(alg.to_string().parse::<KeyAlgorithm>().unwrap(), alg);
        }
        assert_eq!(KeyAlgorithm::EcdsaP256.to_string(), "ecdsa-p256");
        assert_eq!(KeyAlgorithm::Ed25519.to_string(), "ed25519");
        assert!(matches!(
            "rsa".parse::<KeyAlgorithm>(),
            Err(KeyError::UnknownAlgorithm(name)) if name == "rsa"
        ));
    }

    #[test]
    fn keys_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<SigningKey>();
        check::<PublicKey>();
    }

    #[test]
    fn sign_and_verify_round_trip() {
        for alg in both() {
            let key = SigningKey::generate(alg);
            assert_eq!(key.algorithm(), alg);
            let sig = key.sign_bytes(b"hello");
            let public = key.public_key();
            public.verify(b"hello", &sig).unwrap();
            assert!(matches!(
                public.verify(b"hellO", &sig),
                Err(KeyError::SignatureMismatch)
            ));
        }
    }

    #[test]
    fn signature_encodings() {
        let p256 = SigningKey::generate(KeyAlgorithm::EcdsaP256);
        let sig = p256.sign_bytes(b"m");
        assert_eq!(sig[0], 0x30, "P-256 signatures are DER SEQUENCEs");
        assert!((8..=72).contains(&sig.len()));
        let ed = SigningKey::generate(KeyAlgorithm::Ed25519);
        assert_eq!(ed.sign_bytes(b"m").len(), 64);
    }

    #[test]
    fn raw_ecdsa_signature_is_diagnosed() {
        let key = SigningKey::generate(KeyAlgorithm::EcdsaP256);
        let der = key.sign_bytes(b"m");
        let raw = p256::ecdsa::Signature::from_der(&der).unwrap().to_bytes();
        let err = key.public().verify(b"m", &raw).unwrap_err();
        assert!(matches!(err, KeyError::MalformedSignature(_)));
        assert!(err.to_string().contains("raw bytes (r||s)"), "{err}");
    }

    #[test]
    fn high_s_p256_signature_is_accepted() {
        use p256::elliptic_curve::scalar::IsHigh;
        let key = SigningKey::generate(KeyAlgorithm::EcdsaP256);
        let der = key.sign_bytes(b"payload");
        let sig = p256::ecdsa::Signature::from_der(&der).unwrap();
        let (r, s) = sig.split_scalars();
        let flipped = p256::ecdsa::Signature::from_scalars(*r, -*s).unwrap();
        let flipped_der = flipped.to_der();
        let public = key.public();
        public.verify(b"payload", &der).unwrap();
        public.verify(b"payload", flipped_der.as_bytes()).unwrap();
        // And in parts, as DSSE envelopes are checked.
        for d in [&der[..], flipped_der.as_bytes()] {
            public.verify_parts(&[b"pay", b"load"], d).unwrap().unwrap();
        }
        // Exactly one of s and n-s is high, so a high-S signature was checked above.
        let high = [sig.s(), flipped.s()]
            .iter()
            .filter(|s| bool::from(s.is_high()))
            .count();
        assert_eq!(high, 1);
    }

    #[test]
    fn wrong_key_and_wrong_algorithm_fail() {
        for alg in both() {
            let key = SigningKey::generate(alg);
            let sig = key.sign_bytes(b"m");
            let other = SigningKey::generate(alg).public_key();
            assert!(matches!(
                other.verify(b"m", &sig),
                Err(KeyError::SignatureMismatch)
            ));
        }
        let ed_sig = SigningKey::generate(KeyAlgorithm::Ed25519).sign_bytes(b"m");
        let p256 = SigningKey::generate(KeyAlgorithm::EcdsaP256).public_key();
        assert!(p256.verify(b"m", &ed_sig).is_err());
    }

    #[test]
    fn pem_round_trips_keep_the_key_id() {
        for alg in both() {
            let key = SigningKey::generate(alg);
            let pem = key.to_pkcs8_pem();
            assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
            assert!(pem.ends_with("-----END PRIVATE KEY-----\n"));
            assert!(!pem.contains('\r'));
            let again = SigningKey::from_pem(&pem, None).unwrap();
            assert_eq!(again.public_key(), key.public_key());
            assert_eq!(again.to_pkcs8_pem(), pem);

            let public_pem = key.public_key().to_spki_pem();
            assert!(public_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
            let public = PublicKey::from_pem(&public_pem).unwrap();
            assert_eq!(public, key.public_key());
            assert_eq!(public.key_id(), key.public_key().key_id());
            assert_eq!(public.algorithm(), alg);
            assert_eq!(public.to_spki_pem(), public_pem);
        }
    }

    #[test]
    fn key_id_is_sha256_of_spki_der() {
        let key = SigningKey::generate(KeyAlgorithm::Ed25519);
        let public = key.public_key();
        let der = pem::parse(public.to_spki_pem()).unwrap().into_contents();
        assert_eq!(public.key_id(), to_hex(&Sha256::digest(&der)));
        assert_eq!(public.key_id().len(), 64);
        assert!(
            public
                .key_id()
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert_eq!(public.key_id(), key.public().key_id());
    }

    // Known key: the SPKI below is fixed, so its id must never change between releases.
    const ED25519_PUB: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEA8uLrwGu2u4sDKUs/+5tD+P21OGXPVg3fzHrODtwnImI=
-----END PUBLIC KEY-----
";

    #[test]
    fn key_id_is_stable() {
        let public = PublicKey::from_pem(ED25519_PUB).unwrap();
        // `openssl pkey -pubin -outform DER | sha256sum` of the same key.
        assert_eq!(
            public.key_id(),
            "5dfea0ab02f85ec2469896352c478ef03830b7eb1385989b5aa431347939f39e"
        );
    }

    // The keys below were generated for these tests with OpenSSL 3.0 (see tests/data/README.md).

    // `openssl ecparam -name prime256v1 -genkey` (SEC1, with an EC PARAMETERS block first).
    const P256_SEC1: &str = "-----BEGIN EC PARAMETERS-----
BggqhkjOPQMBBw==
-----END EC PARAMETERS-----
-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIJNV+VJDMV6SMGmaSEFk7AVQ3+ugcRCa/vt8A+M+eQpGoAoGCCqGSM49
AwEHoUQDQgAErnXsIYdarX9j4Kqf8W1u+hJ1WiOJzMyObf98mzaeb1b7JN4SsNxV
QMjytnIWU2wOqnFWTklqrboSgVgcd7oJjw==
-----END EC PRIVATE KEY-----
";

    #[test]
    fn reads_sec1_p256() {
        let key = SigningKey::from_pem(P256_SEC1, None).unwrap();
        assert_eq!(key.algorithm(), KeyAlgorithm::EcdsaP256);
        let sig = key.sign_bytes(b"m");
        key.public().verify(b"m", &sig).unwrap();
    }

    // `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384`
    const P384_PKCS8: &str = "-----BEGIN PRIVATE KEY-----
MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDBPTVA/6B0lsi1+NTym
uVqvIqIOu/r+JtbLu7jdx8gLhB92pR4Vg+YwZYpy5KZ4qrahZANiAATZbY3XciXZ
dPB0VTd62SONG6GuoG+vdf3nvOZ0WT0Guxbx7kUdWLbr2p7iCrA4VRR8bm3L/jGA
28d0PMeowCNIbl9Gcrdjy7wUwxAsK30LhWFBqWuJBaEt3sWVzE41xYE=
-----END PRIVATE KEY-----
";

    // `openssl ecparam -name secp384r1 -genkey -noout`
    const P384_SEC1: &str = "-----BEGIN EC PRIVATE KEY-----
MIGkAgEBBDAfxDlOSg8OnjzXnsqWIVQ4yQP0GXF+zwEuKTflL0mkrNh+MwRcRNTi
HjmRPSfSXuOgBwYFK4EEACKhZANiAATwbRJIpSZWKnXH8l3zjqGv0ZomNr51el4C
WGfptIvjxu+d8sabNqGTwzVAC56TR4FiD0i6gWZVACxVd9maGWzEdEmQt6NCG/4m
ygD3HVV88UwePd4XX0PUJL82BJfy2SQ=
-----END EC PRIVATE KEY-----
";

    // `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024`
    const RSA_PKCS8: &str = "-----BEGIN PRIVATE KEY-----
MIICdgIBADANBgkqhkiG9w0BAQEFAASCAmAwggJcAgEAAoGBANZcFJeI1jzwH2iS
jHQQRzpS/GD69riU9RCjsPdpCEcUbxMjHQraqZIXrMBskaAinhlohSIPv3bHiWx1
xEU8py7GX1I5C/ZUoHdAeuEI4e51vvGd5oEey8VFH2c1wT0fa+7irB//jVSTZ+Vt
P074gVjU4rsxY2HNLzUQPWf08Cx1AgMBAAECgYBeOB789DJmmozTpAaERVtpcWxp
HCYxv5dv9uMj/FCdHYgs+zQavz3lbu6Jra7cmhqvxFcwP4fCp7XprGHWpPA+OqnT
tm8farRM3Ew77BN+529AoYnT/znPQp/xCZGfCz2P2VHLtPRrLrMI7PX2npGKU+H3
1Y/jnTsDoAf4LsX1iQJBAPnx1/EmFFSq2H/4gklxlggcDZsVyKYzDp3YuiuBj8Uu
KLJ6ZvjgJMYtHAGcGjeEwgPLP+sxPf3Wfdp/0zb2I8sCQQDbjYnrcpVuQAa5mmqe
PfcJLQMuAJKRQDrV2etcPBTTVKhR6jDVnnNngbVstr5WlvLx5mjq8jtMHW54GEMw
I2i/AkBCDhArwwyMc7pT17FXB5XG/uL5oYAtrECopqZM6Si9y70lrgOYsmQFm9ZS
9pZXJdbAee6ikZj4hL8uB6oiVFqRAkArEYDUpw2ZKwYmspvnntAvBJ1zELmvtKHW
AYGh/kc3jYvXRdF+li6dR1yHjvGXmtTdjw1VyV7Id52MAXZsowWRAkEApT5GqALy
h7Nc5EQF4oqza6J2vns5Bqzsx7cXfl9gJvTOF+D5LyR5Ke3qa3m3ud/oXxBbiYTW
zA6/ULLY7hNGSA==
-----END PRIVATE KEY-----
";

    // `openssl genpkey -algorithm ed25519 | openssl pkcs8 -topk8 -v2 aes-256-cbc -passout pass:x`
    const ENCRYPTED_PKCS8: &str = "-----BEGIN ENCRYPTED PRIVATE KEY-----
MIGbMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAiMJdDGEmdb2AICCAAw
DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEL/kN9fR/viajQLWZG9NYykEQEKN
aaemlg/epSNvdLQkPkGmhzw9RjAccwElGJg8za70f8ikn09it6/JMFibVoBWTYMw
zoB4hq1j9GhAR2p93vQ=
-----END ENCRYPTED PRIVATE KEY-----
";

    #[test]
    fn unsupported_keys_say_what_they_are() {
        for (pem, expected) in [
            (P384_PKCS8, "ECDSA P-384"),
            (P384_SEC1, "ECDSA P-384"),
            (RSA_PKCS8, "RSA"),
        ] {
            match SigningKey::from_pem(pem, None) {
                Err(KeyError::UnsupportedKeyType(kind)) => assert_eq!(kind, expected),
                other => panic!("expected UnsupportedKeyType({expected}), got {other:?}"),
            }
        }
    }

    #[test]
    fn encrypted_pkcs8_explains_how_to_convert() {
        let err = SigningKey::from_pem(ENCRYPTED_PKCS8, Some(b"x")).unwrap_err();
        assert!(matches!(err, KeyError::OpenSslEncrypted("PKCS#8")));
        let message = err.to_string();
        assert!(message.contains("openssl pkey"), "{message}");
    }

    #[test]
    fn not_pem_and_wrong_kind_of_block() {
        assert!(matches!(
            SigningKey::from_pem("just some text", None),
            Err(KeyError::NotPem)
        ));
        assert!(matches!(PublicKey::from_pem(""), Err(KeyError::NotPem)));
        assert!(matches!(
            SigningKey::from_pem(ED25519_PUB, None),
            Err(KeyError::PublicKeyGiven)
        ));
        let private = SigningKey::generate(KeyAlgorithm::Ed25519).to_pkcs8_pem();
        assert!(matches!(
            PublicKey::from_pem(&private),
            Err(KeyError::PrivateKeyGiven)
        ));
        let cert = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(matches!(
            PublicKey::from_pem(cert),
            Err(KeyError::CertificateGiven)
        ));
    }

    #[test]
    fn corrupt_keys_are_reported_as_corrupt() {
        let garbage = "-----BEGIN PRIVATE KEY-----\nAAECAwQF\n-----END PRIVATE KEY-----\n";
        assert!(matches!(
            SigningKey::from_pem(garbage, None),
            Err(KeyError::Corrupt(_))
        ));
        let bad_base64 = "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n";
        assert!(matches!(
            PublicKey::from_pem(bad_base64),
            Err(KeyError::Corrupt(_))
        ));
        let bad_json = encode_pem("ENCRYPTED SIGSTORE PRIVATE KEY", b"{\"kdf\": 1}");
        assert!(matches!(
            SigningKey::from_pem(&bad_json, Some(b"pw")),
            Err(KeyError::Corrupt(_))
        ));
    }

    /// Encrypt `pkcs8` the way cosign does, with cheap scrypt parameters (N = 2^10) so the test
    /// is fast. The real cosign-format keys in tests/data are checked by an integration test.
    fn cosign_encrypt(pkcs8: &[u8], password: &[u8]) -> String {
        let salt = [7u8; 32];
        let nonce = [9u8; 24];
        let mut key = [0u8; 32];
        scrypt::scrypt(
            password,
            &salt,
            &scrypt::Params::new(10, 8, 1).unwrap(),
            &mut key,
        )
        .unwrap();
        let ciphertext = XSalsa20Poly1305::new(&key.into())
            .encrypt(&nonce.into(), pkcs8)
            .unwrap();
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        let body = serde_json::json!({
            "kdf": {"name": "scrypt", "params": {"N": 1024, "r": 8, "p": 1}, "salt": b64(&salt)},
            "cipher": {"name": "nacl/secretbox", "nonce": b64(&nonce)},
            "ciphertext": b64(&ciphertext),
        });
        encode_pem(
            "ENCRYPTED SIGSTORE PRIVATE KEY",
            body.to_string().as_bytes(),
        )
    }

    #[test]
    fn cosign_layout_decrypts_and_rejects_bad_passwords() {
        for alg in both() {
            let key = SigningKey::generate(alg);
            let der = pem::parse(key.to_pkcs8_pem()).unwrap().into_contents();
            let encrypted = cosign_encrypt(&der, b"secret");
            let loaded = SigningKey::from_pem(&encrypted, Some(b"secret")).unwrap();
            assert_eq!(loaded.public_key(), key.public_key());
            assert!(matches!(
                SigningKey::from_pem(&encrypted, Some(b"wrong")),
                Err(KeyError::WrongPassword)
            ));
            assert!(matches!(
                SigningKey::from_pem(&encrypted, None),
                Err(KeyError::PasswordRequired)
            ));
        }
    }

    /// The writer is the reader's inverse, with cosign's own parameters
    /// and layout (the label cosign 2.x writes, compact JSON, N = 2^15).
    #[test]
    fn cosign_keys_written_here_read_back_with_the_password_only() {
        for alg in both() {
            let key = SigningKey::generate(alg);
            let pem_text = key.to_cosign_pem(b"pw");
            assert!(pem_text.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
            let body: serde_json::Value =
                serde_json::from_slice(pem::parse(&pem_text).unwrap().contents()).unwrap();
            assert_eq!(body["kdf"]["params"]["N"], 32768);
            assert_eq!(body["cipher"]["name"], "nacl/secretbox");
            let back = SigningKey::from_pem(&pem_text, Some(b"pw")).unwrap();
            assert_eq!(back.public_key(), key.public_key());
            assert!(matches!(
                SigningKey::from_pem(&pem_text, Some(b"other")),
                Err(KeyError::WrongPassword)
            ));
            // Fresh salt and nonce each time.
            assert_ne!(pem_text, key.to_cosign_pem(b"pw"));
        }
    }

    #[test]
    fn cosign_empty_password_is_a_password() {
        let key = SigningKey::generate(KeyAlgorithm::EcdsaP256);
        let der = pem::parse(key.to_pkcs8_pem()).unwrap().into_contents();
        let encrypted = cosign_encrypt(&der, b"");
        let loaded = SigningKey::from_pem(&encrypted, Some(b"")).unwrap();
        assert_eq!(loaded.public_key(), key.public_key());
    }

    #[test]
    fn cosign_scrypt_parameters_are_bounded_before_any_work() {
        // 1 GiB of memory (N = 2^20, r = 8) was accepted and run, and p multiplied the time.
        for (n, r, p) in [(1u64 << 20, 8, 1), (1 << 16, 8, 16), (1 << 18, 8, 2)] {
            let body = format!(
                r#"{{"kdf":{{"name":"scrypt","params":{{"N":{n},"r":{r},"p":{p}}},"salt":""}},"cipher":{{"name":"nacl/secretbox","nonce":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}},"ciphertext":""}}"#
            );
            let pem = encode_pem("ENCRYPTED COSIGN PRIVATE KEY", body.as_bytes());
            let started = std::time::Instant::now();
            let err = SigningKey::from_pem(&pem, Some(b"x")).unwrap_err();
            assert!(
                matches!(err, KeyError::UnsupportedEncryption(ref m) if m.contains("out of range")),
                "N={n} r={r} p={p}: {err}"
            );
            assert!(started.elapsed() < std::time::Duration::from_millis(100));
        }
    }

    #[test]
    fn cosign_unknown_kdf_is_unsupported() {
        let body = br#"{"kdf":{"name":"argon2","params":{"N":2,"r":1,"p":1},"salt":""},"cipher":{"name":"nacl/secretbox","nonce":""},"ciphertext":""}"#;
        let pem = encode_pem("ENCRYPTED COSIGN PRIVATE KEY", body);
        assert!(matches!(
            SigningKey::from_pem(&pem, Some(b"x")),
            Err(KeyError::UnsupportedEncryption(_))
        ));
    }

    #[test]
    fn error_messages_are_one_lowercase_line() {
        let errors = [
            KeyError::NotPem,
            KeyError::PublicKeyGiven,
            KeyError::PrivateKeyGiven,
            KeyError::CertificateGiven,
            KeyError::NotAKey("X".into()),
            KeyError::UnsupportedKeyType("RSA".into()),
            KeyError::OpenSslEncrypted("PKCS#8"),
            KeyError::UnsupportedEncryption("kdf x".into()),
            KeyError::PasswordRequired,
            KeyError::WrongPassword,
            KeyError::Corrupt("x".into()),
            KeyError::UnknownAlgorithm("x".into()),
            KeyError::MalformedSignature("x".into()),
            KeyError::SignatureMismatch,
        ];
        for err in errors {
            let m = err.to_string();
            assert!(!m.contains('\n') && !m.ends_with('.'), "{m}");
            assert!(m.starts_with(|c: char| c.is_ascii_lowercase()), "{m}");
        }
    }
}
