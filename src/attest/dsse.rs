//! DSSE v1 envelopes: sign a payload (usually an in-toto Statement) and verify it.
//!
//! What is signed is the pre-authentication encoding (PAE) of the payload type and the raw
//! payload bytes, never the base64 text. Envelopes are written with standard padded base64 and an
//! always-present `keyid`, the form every verifier we test against accepts.

use std::io::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::{
    STANDARD, STANDARD_PAD_INDIFFERENT, URL_SAFE_PAD_INDIFFERENT,
};
use serde::{Deserialize, Serialize};

use super::keys::{KeyError, PublicKey, SigningKey};

/// The payload type of an in-toto Statement.
pub const INTOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// `"DSSEv1" SP LEN(type) SP type SP LEN(payload) SP payload`, lengths in bytes as ASCII decimal.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = pae_header(payload_type, payload.len());
    out.reserve_exact(payload.len());
    out.extend_from_slice(payload);
    out
}

/// The PAE up to the payload.
fn pae_header(payload_type: &str, payload_len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload_type.len() + 32);
    // Writing to a Vec cannot fail.
    let _ = write!(
        out,
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload_len
    );
    out
}

/// Something that signs DSSE PAE bytes: a local key, or a keyless signer's
/// key made for the run and certified by Fulcio.
pub trait Signer: Send + Sync {
    /// The id written into the envelope's `keyid` (may be empty).
    fn key_id(&self) -> String;
    /// The SPKI PEM of the verifying key, when the signer has a fixed one.
    fn public_key_pem(&self) -> Option<String>;
    /// The signer's certificate (DER) when it is one (keyless): a Sigstore
    /// bundle then names it instead of a key.
    fn certificate(&self) -> Option<&[u8]> {
        None
    }
    /// Sign `message`: ECDSA P-256 as ASN.1 DER, Ed25519 as 64 raw bytes.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError>;
    /// Sign the PAE of `payload`: the same signature as `sign(&pae(..))`.
    /// A signer that hashes the message first may do so without copying a
    /// payload of tens of megabytes (an application report) into the PAE.
    fn sign_pae(&self, payload_type: &str, payload: &[u8]) -> Result<Vec<u8>, SignError> {
        self.sign(&pae(payload_type, payload))
    }
    /// Sign the PAE of a payload written by `payload` (the same signature
    /// as `sign_pae` of its bytes). A signer that hashes first never holds
    /// the payload; the others are given it whole.
    fn sign_pae_replayed(
        &self,
        payload_type: &str,
        payload: &dyn Replay,
    ) -> Result<Vec<u8>, SignError> {
        sign_buffered(self, payload_type, payload)
    }
}

/// A payload too large to keep (an application report: tens of megabytes)
/// written again each time it is needed, the same bytes every time.
pub trait Replay {
    fn payload_len(&self) -> usize;
    fn replay(&self, out: &mut dyn std::io::Write) -> std::io::Result<()>;
}

fn sign_buffered<S: Signer + ?Sized>(
    signer: &S,
    payload_type: &str,
    payload: &dyn Replay,
) -> Result<Vec<u8>, SignError> {
    let mut bytes = Vec::with_capacity(payload.payload_len());
    payload.replay(&mut bytes).map_err(SignError::Payload)?;
    signer.sign_pae(payload_type, &bytes)
}

impl Signer for SigningKey {
    fn key_id(&self) -> String {
        self.public().key_id()
    }

    fn public_key_pem(&self) -> Option<String> {
        Some(self.public().to_spki_pem())
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        Ok(self.sign_bytes(message))
    }

    fn sign_pae(&self, payload_type: &str, payload: &[u8]) -> Result<Vec<u8>, SignError> {
        let header = pae_header(payload_type, payload.len());
        match self.sign_parts(&[&header, payload]) {
            Some(sig) => Ok(sig),
            None => self.sign(&pae(payload_type, payload)),
        }
    }

    fn sign_pae_replayed(
        &self,
        payload_type: &str,
        payload: &dyn Replay,
    ) -> Result<Vec<u8>, SignError> {
        let header = pae_header(payload_type, payload.payload_len());
        match self.sign_streamed(&mut |w| {
            // JSON comes in small writes; hashing likes large ones.
            let mut w = std::io::BufWriter::with_capacity(64 * 1024, w);
            w.write_all(&header)?;
            payload.replay(&mut w)?;
            w.flush()
        }) {
            Some(signed) => signed.map_err(SignError::Payload),
            None => sign_buffered(self, payload_type, payload),
        }
    }
}

/// Why signing failed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A remote or hardware signer failed; the message says what to do.
    #[error("signing failed: {0}")]
    Failed(String),
    #[error("cannot write the payload to sign: {0}")]
    Payload(std::io::Error),
}

/// Why an envelope could not be read or verified.
#[derive(Debug, thiserror::Error)]
pub enum DsseError {
    #[error("envelope is not valid DSSE JSON ({0}); pass a DSSE envelope file")]
    Json(String),
    #[error("envelope has no signatures; sign it before verifying")]
    NoSignatures,
    #[error("envelope {field} is not valid base64; the envelope is damaged, re-create it")]
    Base64 { field: String },
    #[error(
        "no signature has key id {expected} (found: {found}); verify with the key that signed the envelope"
    )]
    KeyIdMismatch { expected: String, found: String },
    #[error("{field} is malformed: {source}")]
    MalformedSignature { field: String, source: KeyError },
    #[error(
        "signature does not match (checked {checked}); the payload changed or a different key signed it"
    )]
    SignatureMismatch { checked: usize },
}

/// A DSSE envelope as JSON: `{"payloadType", "payload", "signatures": [{"keyid", "sig"}]}`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// Standard base64 (padded) of the payload bytes.
    pub payload: String,
    #[serde(default)]
    pub signatures: Vec<EnvelopeSignature>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct EnvelopeSignature {
    /// Always written, possibly empty: securesystemslib cannot read a signature without it.
    #[serde(default)]
    pub keyid: String,
    /// Standard base64 (padded) of the signature bytes.
    pub sig: String,
}

/// Sign `payload` as one DSSE signature by `signer`.
pub fn sign_envelope(
    signer: &dyn Signer,
    payload_type: &str,
    payload: &[u8],
) -> Result<Envelope, SignError> {
    let sig = signer.sign_pae(payload_type, payload)?;
    Ok(Envelope {
        payload_type: payload_type.to_owned(),
        payload: STANDARD.encode(payload),
        signatures: vec![EnvelopeSignature {
            keyid: signer.key_id(),
            sig: STANDARD.encode(sig),
        }],
    })
}

impl Envelope {
    /// Parse an envelope; unknown fields are ignored.
    pub fn from_json(text: &str) -> Result<Envelope, DsseError> {
        serde_json::from_str(text).map_err(|e| DsseError::Json(e.to_string()))
    }

    /// The decoded payload. Accepts standard or URL-safe base64, with or without padding.
    pub fn payload_bytes(&self) -> Result<Vec<u8>, DsseError> {
        decode_base64(&self.payload).ok_or_else(|| DsseError::Base64 {
            field: "payload".into(),
        })
    }

    /// Verify with `key`; returns the payload if at least one signature verifies over the PAE.
    ///
    /// Signatures whose `keyid` is set and differs from `key.key_id()` are skipped. An empty
    /// `keyid` is tried, as DSSE allows it.
    pub fn verify(&self, key: &PublicKey) -> Result<Vec<u8>, DsseError> {
        if self.signatures.is_empty() {
            return Err(DsseError::NoSignatures);
        }
        let payload = self.payload_bytes()?;
        let header = pae_header(&self.payload_type, payload.len());
        // Built only for a key that cannot take the PAE in parts.
        let mut whole: Option<Vec<u8>> = None;
        let key_id = key.key_id();

        let mut checked = 0;
        let mut mismatched = false;
        let mut first_error = None;
        for (index, signature) in self.signatures.iter().enumerate() {
            if !signature.keyid.is_empty() && !signature.keyid.eq_ignore_ascii_case(&key_id) {
                continue;
            }
            checked += 1;
            let field = format!("signatures[{index}].sig");
            let Some(sig) = decode_base64(&signature.sig) else {
                first_error.get_or_insert(DsseError::Base64 { field });
                continue;
            };
            let verified = key
                .verify_parts(&[&header, &payload], &sig)
                .unwrap_or_else(|| {
                    key.verify(
                        whole.get_or_insert_with(|| pae(&self.payload_type, &payload)),
                        &sig,
                    )
                });
            match verified {
                Ok(()) => return Ok(payload),
                Err(KeyError::SignatureMismatch) => mismatched = true,
                Err(source) => {
                    first_error.get_or_insert(DsseError::MalformedSignature { field, source });
                }
            }
        }

        if checked == 0 {
            let found: Vec<&str> = self.signatures.iter().map(|s| s.keyid.as_str()).collect();
            return Err(DsseError::KeyIdMismatch {
                expected: key_id,
                found: found.join(", "),
            });
        }
        match first_error {
            Some(err) if !mismatched => Err(err),
            _ => Err(DsseError::SignatureMismatch { checked }),
        }
    }

    /// Two-space indented JSON with a trailing newline.
    pub fn to_json_pretty(&self) -> String {
        let mut text =
            serde_json::to_string_pretty(self).expect("an envelope of strings always serializes");
        text.push('\n');
        text
    }
}

pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    STANDARD_PAD_INDIFFERENT
        .decode(text)
        .or_else(|_| URL_SAFE_PAD_INDIFFERENT.decode(text))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::super::keys::KeyAlgorithm;
    use super::*;

    const STATEMENT: &str = r#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"x","digest":{"sha256":"00"}}],"predicateType":"https://example.invalid/p/v1","predicate":{"a":1}}"#;

    fn both() -> [KeyAlgorithm; 2] {
        [KeyAlgorithm::EcdsaP256, KeyAlgorithm::Ed25519]
    }

    #[test]
    fn pae_matches_the_spec_example() {
        // The worked example in the DSSE v1 protocol description.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ".to_vec());
    }

    #[test]
    fn pae_counts_bytes_not_characters() {
        assert_eq!(
            pae("ü", "é".as_bytes()),
            "DSSEv1 2 ü 2 é".as_bytes().to_vec()
        );
        let prefix = format!("DSSEv1 28 {INTOTO_PAYLOAD_TYPE} {} ", STATEMENT.len());
        assert!(pae(INTOTO_PAYLOAD_TYPE, STATEMENT.as_bytes()).starts_with(prefix.as_bytes()));
    }

    #[test]
    fn sign_and_verify_round_trip() {
        for alg in both() {
            let key = SigningKey::generate(alg);
            let env = sign_envelope(&key, INTOTO_PAYLOAD_TYPE, STATEMENT.as_bytes()).unwrap();
            assert_eq!(env.signatures.len(), 1);
            assert_eq!(env.signatures[0].keyid, key.public().key_id());
            assert_eq!(env.verify(&key.public_key()).unwrap(), STATEMENT.as_bytes());
            let parsed = Envelope::from_json(&env.to_json_pretty()).unwrap();
            assert_eq!(parsed, env);
            assert_eq!(
                parsed.verify(&key.public_key()).unwrap(),
                STATEMENT.as_bytes()
            );
        }
    }

    /// Signing the PAE in parts gives the signature of the whole PAE.
    #[test]
    fn signing_the_pae_in_parts_is_signing_the_pae() {
        for alg in both() {
            let key = SigningKey::generate(alg);
            for payload in [&b""[..], b"abc", STATEMENT.as_bytes()] {
                assert_eq!(
                    key.sign_pae(INTOTO_PAYLOAD_TYPE, payload).unwrap(),
                    key.sign(&pae(INTOTO_PAYLOAD_TYPE, payload)).unwrap()
                );
            }
        }
    }

    #[test]
    fn signature_is_over_pae() {
        for alg in both() {
            let key = SigningKey::generate(alg);
            let env = sign_envelope(&key, INTOTO_PAYLOAD_TYPE, b"abc").unwrap();
            let sig = STANDARD.decode(&env.signatures[0].sig).unwrap();
            key.public()
                .verify(&pae(INTOTO_PAYLOAD_TYPE, b"abc"), &sig)
                .unwrap();
            assert!(key.public().verify(b"abc", &sig).is_err());
        }
    }

    #[test]
    fn flipped_payload_byte_fails() {
        for alg in both() {
            let key = SigningKey::generate(alg);
            let mut env = sign_envelope(&key, INTOTO_PAYLOAD_TYPE, STATEMENT.as_bytes()).unwrap();
            let mut payload = env.payload_bytes().unwrap();
            payload[10] ^= 0x01;
            env.payload = STANDARD.encode(&payload);
            assert!(matches!(
                env.verify(&key.public_key()),
                Err(DsseError::SignatureMismatch { checked: 1 })
            ));
        }
    }

    #[test]
    fn changed_payload_type_fails() {
        let key = SigningKey::generate(KeyAlgorithm::Ed25519);
        let mut env = sign_envelope(&key, INTOTO_PAYLOAD_TYPE, b"x").unwrap();
        env.payload_type = "application/json".into();
        assert!(env.verify(&key.public_key()).is_err());
    }

    #[test]
    fn flipped_signature_fails() {
        for alg in both() {
            let key = SigningKey::generate(alg);
            let mut env = sign_envelope(&key, INTOTO_PAYLOAD_TYPE, STATEMENT.as_bytes()).unwrap();
            let mut sig = STANDARD.decode(&env.signatures[0].sig).unwrap();
            let last = sig.len() - 1;
            sig[last] ^= 0x01;
            env.signatures[0].sig = STANDARD.encode(&sig);
            assert!(env.verify(&key.public_key()).is_err(), "{alg}");
        }
    }

    #[test]
    fn wrong_key_fails_with_key_id_mismatch() {
        for alg in both() {
            let key = SigningKey::generate(alg);
            let other = SigningKey::generate(alg).public_key();
            let mut env = sign_envelope(&key, INTOTO_PAYLOAD_TYPE, b"x").unwrap();
            match env.verify(&other) {
                Err(DsseError::KeyIdMismatch { expected, found }) => {
                    assert_eq!(expected, other.key_id());
                    assert_eq!(found, key.public().key_id());
                }
                res => panic!("expected KeyIdMismatch, got {res:?}"),
            }
            // Without a keyid the signature itself is checked, and fails.
            env.signatures[0].keyid.clear();
            assert!(matches!(
                env.verify(&other),
                Err(DsseError::SignatureMismatch { checked: 1 })
            ));
            assert_eq!(env.verify(&key.public_key()).unwrap(), b"x");
        }
    }

    #[test]
    fn one_good_signature_among_several_is_enough() {
        let key = SigningKey::generate(KeyAlgorithm::EcdsaP256);
        let other = SigningKey::generate(KeyAlgorithm::Ed25519);
        let mut env = sign_envelope(&other, INTOTO_PAYLOAD_TYPE, b"x").unwrap();
        env.signatures[0].keyid.clear();
        let good = sign_envelope(&key, INTOTO_PAYLOAD_TYPE, b"x").unwrap();
        env.signatures.extend(good.signatures);
        assert_eq!(env.verify(&key.public_key()).unwrap(), b"x");
    }

    #[test]
    fn no_signatures_and_bad_base64_are_reported() {
        let key = SigningKey::generate(KeyAlgorithm::Ed25519);
        let mut env = sign_envelope(&key, INTOTO_PAYLOAD_TYPE, b"x").unwrap();
        let saved = env.signatures.clone();
        env.signatures.clear();
        assert!(matches!(
            env.verify(&key.public_key()),
            Err(DsseError::NoSignatures)
        ));

        env.signatures = saved.clone();
        env.signatures[0].sig = "not base64!".into();
        match env.verify(&key.public_key()) {
            Err(DsseError::Base64 { field }) => assert_eq!(field, "signatures[0].sig"),
            res => panic!("expected Base64, got {res:?}"),
        }

        env.signatures = saved;
        env.payload = "%%%".into();
        assert!(matches!(
            env.payload_bytes(),
            Err(DsseError::Base64 { field }) if field == "payload"
        ));
    }

    #[test]
    fn raw_ecdsa_signature_is_malformed() {
        let key = SigningKey::generate(KeyAlgorithm::EcdsaP256);
        let mut env = sign_envelope(&key, INTOTO_PAYLOAD_TYPE, b"x").unwrap();
        let der = STANDARD.decode(&env.signatures[0].sig).unwrap();
        let raw = p256::ecdsa::Signature::from_der(&der).unwrap().to_bytes();
        env.signatures[0].sig = STANDARD.encode(raw);
        let err = env.verify(&key.public_key()).unwrap_err();
        assert!(matches!(err, DsseError::MalformedSignature { .. }), "{err}");
        assert!(err.to_string().contains("not ASN.1 DER"), "{err}");
    }

    #[test]
    fn payload_accepts_unpadded_and_url_safe_base64() {
        let bytes: Vec<u8> = (0u8..=255).collect();
        let std = STANDARD.encode(&bytes);
        assert!(std.contains('+') && std.contains('/') && std.ends_with('='));
        for text in [
            std.clone(),
            std.trim_end_matches('=').to_owned(),
            base64::engine::general_purpose::URL_SAFE.encode(&bytes),
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes),
        ] {
            let env = Envelope {
                payload_type: INTOTO_PAYLOAD_TYPE.into(),
                payload: text,
                signatures: vec![],
            };
            assert_eq!(env.payload_bytes().unwrap(), bytes);
        }
    }

    #[test]
    fn json_shape() {
        let key = SigningKey::generate(KeyAlgorithm::Ed25519);
        let mut env = sign_envelope(&key, INTOTO_PAYLOAD_TYPE, b"hi").unwrap();
        env.signatures[0].keyid.clear();
        let text = env.to_json_pretty();
        assert!(text.ends_with("}\n") && !text.ends_with("\n\n"));
        assert!(text.contains("\n  \"payloadType\": \"application/vnd.in-toto+json\",\n"));
        assert!(text.contains("\"payload\": \"aGk=\""), "{text}");
        assert!(
            text.contains("\"keyid\": \"\""),
            "empty keyid is still written"
        );
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 3);
    }

    #[test]
    fn reading_ignores_unknown_fields_and_missing_keyid() {
        let text = r#"{"payload":"aGk=","payloadType":"t","extra":1,
            "signatures":[{"sig":"AAAA","other":true}]}"#;
        let env = Envelope::from_json(text).unwrap();
        assert_eq!(env.signatures[0].keyid, "");
        assert_eq!(env.payload_bytes().unwrap(), b"hi");
        assert!(matches!(Envelope::from_json("[]"), Err(DsseError::Json(_))));
    }

    #[test]
    fn signer_trait_object_and_threads() {
        let key = std::sync::Arc::new(SigningKey::generate(KeyAlgorithm::EcdsaP256));
        let signer: &dyn Signer = key.as_ref();
        assert_eq!(signer.public_key_pem().unwrap(), key.public().to_spki_pem());
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let key = key.clone();
                std::thread::spawn(move || {
                    let payload = format!("payload {i}");
                    let env = sign_envelope(key.as_ref(), INTOTO_PAYLOAD_TYPE, payload.as_bytes())
                        .unwrap();
                    env.verify(&key.public_key()).unwrap()
                })
            })
            .collect();
        for (i, h) in handles.into_iter().enumerate() {
            assert_eq!(h.join().unwrap(), format!("payload {i}").into_bytes());
        }
    }

    #[test]
    fn error_messages_are_one_lowercase_line() {
        let errors = [
            DsseError::Json("x".into()),
            DsseError::NoSignatures,
            DsseError::Base64 {
                field: "payload".into(),
            },
            DsseError::KeyIdMismatch {
                expected: "a".into(),
                found: "b".into(),
            },
            DsseError::SignatureMismatch { checked: 1 },
        ];
        for err in errors {
            let m = err.to_string();
            assert!(!m.contains('\n') && !m.ends_with('.'), "{m}");
            assert!(m.starts_with(|c: char| c.is_ascii_lowercase()), "{m}");
        }
    }
}
