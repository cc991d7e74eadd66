//! Sigstore bundles (v0.3) around our DSSE envelopes: what cosign,
//! sigstore-js and the other Sigstore verifiers read. Members follow the
//! protobuf-specs JSON mapping (camelCase), and empty optional members are
//! left out as protobuf's JSON writers leave them out.
//!
//! Only key-signed bundles are written and read here: `verificationMaterial`
//! is a `publicKey` whose `hint` is the key id the DSSE signature carries.
//! Transparency-log entries are read past, unchecked. RFC 3161 timestamps
//! are read ([`contents`]) for the caller to check against a trusted root.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use super::dsse::Envelope;

/// The media type of a Sigstore bundle v0.3, as written.
pub const MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// The spelling of v0.3 that early clients wrote; read, never written.
const MEDIA_TYPE_V03_OLD: &str = "application/vnd.dev.sigstore.bundle+json;version=0.3";

/// A Sigstore bundle around one signed DSSE envelope.
#[derive(Serialize)]
pub struct Bundle<'a> {
    #[serde(rename = "mediaType")]
    media_type: &'static str,
    #[serde(rename = "verificationMaterial")]
    verification_material: Material,
    #[serde(rename = "dsseEnvelope")]
    dsse_envelope: &'a Envelope,
}

#[derive(Serialize)]
struct Material {
    #[serde(rename = "publicKey")]
    public_key: Hint,
    #[serde(
        rename = "timestampVerificationData",
        skip_serializing_if = "Option::is_none"
    )]
    timestamps: Option<TimestampData>,
}

#[derive(Serialize)]
struct Hint {
    #[serde(skip_serializing_if = "String::is_empty")]
    hint: String,
}

#[derive(Serialize)]
struct TimestampData {
    #[serde(rename = "rfc3161Timestamps")]
    rfc3161: Vec<SignedTimestamp>,
}

#[derive(Serialize)]
struct SignedTimestamp {
    /// Standard base64 of the DER `TimeStampResponse`/token.
    #[serde(rename = "signedTimestamp")]
    signed_timestamp: String,
}

impl<'a> Bundle<'a> {
    /// A bundle of `envelope`, naming the key by `hint` (the key id of its
    /// signature), with the RFC 3161 timestamp tokens (DER) given over its
    /// signature, if any: `timestampVerificationData` is left out without.
    pub fn new(envelope: &'a Envelope, hint: &str, rfc3161_timestamps: &[&[u8]]) -> Bundle<'a> {
        let timestamps = (!rfc3161_timestamps.is_empty()).then(|| TimestampData {
            rfc3161: rfc3161_timestamps
                .iter()
                .map(|der| SignedTimestamp {
                    signed_timestamp: STANDARD.encode(der),
                })
                .collect(),
        });
        Bundle {
            media_type: MEDIA_TYPE,
            verification_material: Material {
                public_key: Hint {
                    hint: hint.to_owned(),
                },
                timestamps,
            },
            dsse_envelope: envelope,
        }
    }

    /// Two-space indented JSON with a trailing newline, like a `.dsse.json`.
    pub fn to_json_pretty(&self) -> String {
        let mut text =
            serde_json::to_string_pretty(self).expect("a bundle of strings always serializes");
        text.push('\n');
        text
    }

    /// Compact JSON, for a line of a JSON Lines file.
    pub fn to_json_line(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a bundle of strings always serializes")
    }
}

/// Why a document that is a Sigstore bundle is not one this tool reads.
/// Values quoted from it are cut short.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BundleError {
    #[error("not a Sigstore bundle this tool reads: {0}")]
    Json(String),
    #[error("the Sigstore bundle names no mediaType")]
    NoMediaType,
    #[error(
        "the Sigstore bundle's media type {0:?} is not one this tool reads (expected {MEDIA_TYPE:?})"
    )]
    MediaType(String),
    #[error(
        "the Sigstore bundle holds a messageSignature, not a DSSE envelope: it signs a file, not an in-toto attestation"
    )]
    MessageSignature,
    #[error("the Sigstore bundle holds no dsseEnvelope")]
    NoEnvelope,
    #[error("the Sigstore bundle has no verificationMaterial")]
    NoMaterial,
    #[error(
        "the Sigstore bundle's verificationMaterial is {0}, not a publicKey: a keyless bundle cannot be checked with a key"
    )]
    NotPublicKey(&'static str),
    #[error(
        "the Sigstore bundle carries more than {MAX_TIMESTAMPS} RFC 3161 timestamps; refusing to read them"
    )]
    TooManyTimestamps,
    #[error("the Sigstore bundle's rfc3161Timestamps[{0}].signedTimestamp is not standard base64")]
    TimestampBase64(usize),
    #[error(
        "the document has both a bare DSSE envelope's members (payloadType, payload, signatures) and a Sigstore bundle's; it is neither"
    )]
    Ambiguous,
}

/// The most RFC 3161 timestamps a bundle may carry: a signature needs one
/// or two; more is a document made to make the verifier work.
pub const MAX_TIMESTAMPS: usize = 32;

/// Top-level members that make a document a Sigstore bundle (in protobuf's
/// JSON mapping, a reader takes the field's own name as well).
const BUNDLE_MEMBERS: [&str; 8] = [
    "mediaType",
    "media_type",
    "dsseEnvelope",
    "dsse_envelope",
    "messageSignature",
    "message_signature",
    "verificationMaterial",
    "verification_material",
];

/// What a JSON document is, told by its top-level members alone (every
/// value is skipped unbuilt: a report's envelope holds tens of megabytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A Sigstore bundle (a member only a bundle has).
    Bundle,
    /// Anything else: read as a bare DSSE envelope, which says what is wrong.
    Other,
}

/// The shape of `bytes`; JSON that is not an object is `Other`.
pub fn shape(bytes: &[u8]) -> Shape {
    match serde_json::from_slice::<std::collections::BTreeMap<String, serde::de::IgnoredAny>>(bytes)
    {
        // One with a bare envelope's members too is read as a bundle, and
        // refused there as ambiguous.
        Ok(members) if BUNDLE_MEMBERS.iter().any(|m| members.contains_key(*m)) => Shape::Bundle,
        _ => Shape::Other,
    }
}

#[derive(Deserialize)]
struct BundleIn {
    #[serde(rename = "mediaType", alias = "media_type", default)]
    media_type: Option<String>,
    #[serde(
        rename = "verificationMaterial",
        alias = "verification_material",
        default
    )]
    verification_material: Option<MaterialIn>,
    #[serde(rename = "dsseEnvelope", alias = "dsse_envelope", default)]
    dsse_envelope: Option<Envelope>,
    #[serde(rename = "messageSignature", alias = "message_signature", default)]
    message_signature: Option<serde::de::IgnoredAny>,
    #[serde(rename = "payloadType", default)]
    payload_type: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    payload: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    signatures: Option<serde::de::IgnoredAny>,
}

/// `tlogEntries` are skipped; timestamps are kept for the caller.
#[derive(Deserialize)]
struct MaterialIn {
    #[serde(
        rename = "timestampVerificationData",
        alias = "timestamp_verification_data",
        default
    )]
    timestamps: Option<TimestampDataIn>,
    #[serde(rename = "publicKey", alias = "public_key", default)]
    public_key: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    certificate: Option<serde::de::IgnoredAny>,
    #[serde(
        rename = "x509CertificateChain",
        alias = "x509_certificate_chain",
        default
    )]
    chain: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct TimestampDataIn {
    #[serde(rename = "rfc3161Timestamps", alias = "rfc3161_timestamps", default)]
    rfc3161: Bounded,
}

#[derive(Deserialize)]
struct SignedTimestampIn {
    #[serde(rename = "signedTimestamp", alias = "signed_timestamp", default)]
    signed_timestamp: String,
}

/// `rfc3161Timestamps`, read element by element and refused past
/// [`MAX_TIMESTAMPS`] (`None`) before the rest is built.
#[derive(Default)]
struct Bounded(Option<Vec<SignedTimestampIn>>);

impl<'de> Deserialize<'de> for Bounded {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Bounded, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Bounded;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an array of signed timestamps")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Bounded, A::Error> {
                let mut out = Vec::new();
                while let Some(t) = seq.next_element::<SignedTimestampIn>()? {
                    if out.len() == MAX_TIMESTAMPS {
                        return Ok(Bounded(None));
                    }
                    out.push(t);
                }
                Ok(Bounded(Some(out)))
            }
        }
        d.deserialize_seq(Visit)
    }
}

/// What a key-signed Sigstore bundle holds that this tool checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Contents {
    /// The DSSE envelope (its signature not yet checked).
    pub envelope: Envelope,
    /// Each `rfc3161Timestamps[].signedTimestamp`, decoded (DER, not yet
    /// checked), in order.
    pub rfc3161_timestamps: Vec<Vec<u8>>,
}

/// The DSSE envelope of a key-signed Sigstore bundle (its signature not
/// yet checked).
pub fn envelope(bytes: &[u8]) -> Result<Envelope, BundleError> {
    contents(bytes).map(|c| c.envelope)
}

/// The RFC 3161 timestamps a key-signed Sigstore bundle carries (DER,
/// unchecked): none when it has no `timestampVerificationData`.
pub fn timestamps(bytes: &[u8]) -> Result<Vec<Vec<u8>>, BundleError> {
    contents(bytes).map(|c| c.rfc3161_timestamps)
}

/// The envelope and timestamps of a key-signed Sigstore bundle, read once.
pub fn contents(bytes: &[u8]) -> Result<Contents, BundleError> {
    let bundle: BundleIn =
        serde_json::from_slice(bytes).map_err(|e| BundleError::Json(cut(&e.to_string())))?;
    if bundle.payload_type.is_some() || bundle.payload.is_some() || bundle.signatures.is_some() {
        return Err(BundleError::Ambiguous);
    }
    match bundle.media_type.as_deref() {
        None => return Err(BundleError::NoMediaType),
        Some(MEDIA_TYPE | MEDIA_TYPE_V03_OLD) => {}
        Some(other) => return Err(BundleError::MediaType(cut(other))),
    }
    if bundle.message_signature.is_some() {
        return Err(BundleError::MessageSignature);
    }
    let material = bundle
        .verification_material
        .ok_or(BundleError::NoMaterial)?;
    if material.certificate.is_some() {
        return Err(BundleError::NotPublicKey("a certificate"));
    }
    if material.chain.is_some() {
        return Err(BundleError::NotPublicKey("an x509CertificateChain"));
    }
    if material.public_key.is_none() {
        return Err(BundleError::NotPublicKey("empty"));
    }
    let envelope = bundle.dsse_envelope.ok_or(BundleError::NoEnvelope)?;
    let tokens = match material.timestamps {
        None => Vec::new(),
        Some(TimestampDataIn {
            rfc3161: Bounded(None),
        }) => {
            return Err(BundleError::TooManyTimestamps);
        }
        Some(TimestampDataIn {
            rfc3161: Bounded(Some(v)),
        }) => v,
    };
    let rfc3161_timestamps = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| {
            STANDARD
                .decode(&t.signed_timestamp)
                .map_err(|_| BundleError::TimestampBase64(i))
        })
        .collect::<Result<_, _>>()?;
    Ok(Contents {
        envelope,
        rfc3161_timestamps,
    })
}

/// At most 100 characters of a value from the input.
fn cut(s: &str) -> String {
    match s.char_indices().nth(100) {
        Some((at, _)) => format!("{}...", &s[..at]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::dsse::{INTOTO_PAYLOAD_TYPE, sign_envelope};
    use super::super::keys::{KeyAlgorithm, SigningKey};
    use super::*;
    use serde_json::{Value, json};

    fn signed() -> (SigningKey, Envelope) {
        let key = SigningKey::generate(KeyAlgorithm::EcdsaP256);
        let env = sign_envelope(&key, INTOTO_PAYLOAD_TYPE, b"{}").unwrap();
        (key, env)
    }

    /// The members protobuf-specs names, camelCase; nothing empty written.
    #[test]
    fn a_bundle_has_the_v03_shape_and_no_empty_members() {
        let (key, env) = signed();
        let id = key.public().key_id();
        let text = Bundle::new(&env, &id, &[]).to_json_pretty();
        assert!(text.ends_with("}\n"));
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            v,
            json!({
                "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
                "verificationMaterial": {"publicKey": {"hint": id}},
                "dsseEnvelope": serde_json::to_value(&env).unwrap(),
            })
        );
        let line = Bundle::new(&env, &id, &[]).to_json_line();
        assert!(!line.contains(&b'\n'));
        assert_eq!(serde_json::from_slice::<Value>(&line).unwrap(), v);
        assert_eq!(envelope(&line).unwrap(), env);
    }

    /// Timestamp tokens go, base64, where Sigstore verifiers look for them.
    #[test]
    fn timestamps_are_written_when_given() {
        let (_, env) = signed();
        let text = Bundle::new(&env, "k", &[b"\x30\x03\x02\x01\x00", b"x"]).to_json_pretty();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            v["verificationMaterial"]["timestampVerificationData"],
            json!({"rfc3161Timestamps": [{"signedTimestamp": "MAMCAQA="}, {"signedTimestamp": "eA=="}]})
        );
        assert_eq!(envelope(text.as_bytes()).unwrap(), env);
    }

    /// The timestamps written are the timestamps read; bad base64 and more
    /// than the bound are refused, and a bundle without any reads as none.
    #[test]
    fn timestamps_are_read_back_bounded() {
        let (_, env) = signed();
        let tokens: [&[u8]; 2] = [b"\x30\x03\x02\x01\x00", b"x"];
        let text = Bundle::new(&env, "k", &tokens).to_json_pretty();
        let got = contents(text.as_bytes()).unwrap();
        assert_eq!(got.envelope, env);
        assert_eq!(got.rfc3161_timestamps, tokens.map(<[u8]>::to_vec));
        assert_eq!(
            timestamps(text.as_bytes()).unwrap(),
            tokens.map(<[u8]>::to_vec)
        );
        let bare = Bundle::new(&env, "k", &[]).to_json_line();
        assert!(timestamps(&bare).unwrap().is_empty());
        let mut v: Value = serde_json::from_str(&text).unwrap();
        v["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][1]["signedTimestamp"] =
            json!("not base64!");
        assert_eq!(
            timestamps(v.to_string().as_bytes()).unwrap_err(),
            BundleError::TimestampBase64(1)
        );
        let many = |n: usize| {
            let mut v: Value = serde_json::from_str(&text).unwrap();
            v["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"] =
                json!(vec![json!({"signedTimestamp": "eA=="}); n]);
            timestamps(v.to_string().as_bytes())
        };
        assert_eq!(many(MAX_TIMESTAMPS).unwrap().len(), MAX_TIMESTAMPS);
        assert_eq!(
            many(MAX_TIMESTAMPS + 1).unwrap_err(),
            BundleError::TooManyTimestamps
        );
        // The field's own name, as protobuf's JSON readers take it.
        let mut v: Value = serde_json::from_slice(&bare).unwrap();
        v["verification_material"] = v["verificationMaterial"].take();
        v.as_object_mut().unwrap().remove("verificationMaterial");
        v["verification_material"]["timestamp_verification_data"] =
            json!({"rfc3161_timestamps": [{"signed_timestamp": "eA=="}]});
        assert_eq!(
            timestamps(v.to_string().as_bytes()).unwrap(),
            [b"x".to_vec()]
        );
    }

    #[test]
    fn only_key_signed_dsse_bundles_of_v03_are_read() {
        let (_, env) = signed();
        let good = serde_json::to_value(Bundle::new(&env, "k", &[])).unwrap();
        let with = |edit: &dyn Fn(&mut Value)| {
            let mut v = good.clone();
            edit(&mut v);
            envelope(v.to_string().as_bytes())
        };
        assert_eq!(with(&|_| {}).unwrap(), env);
        assert_eq!(
            with(&|v| v["mediaType"] = json!(MEDIA_TYPE_V03_OLD)).unwrap(),
            env
        );
        let e = with(&|v| v["mediaType"] = json!("application/vnd.dev.sigstore.bundle.v0.9+json"))
            .unwrap_err();
        assert!(matches!(e, BundleError::MediaType(_)), "{e}");
        let e = with(&|v| v["mediaType"] = json!("x".repeat(10_000))).unwrap_err();
        assert!(e.to_string().len() < 300, "bounded: {e}");
        assert_eq!(
            with(&|v| {
                v.as_object_mut().unwrap().remove("mediaType");
            })
            .unwrap_err(),
            BundleError::NoMediaType
        );
        assert_eq!(
            with(&|v| v["messageSignature"] = json!({"signature": "AA=="})).unwrap_err(),
            BundleError::MessageSignature
        );
        assert_eq!(
            with(&|v| v["verificationMaterial"] = json!({"certificate": {"rawBytes": "AA=="}}))
                .unwrap_err(),
            BundleError::NotPublicKey("a certificate")
        );
        assert_eq!(
            with(&|v| v["verificationMaterial"]["x509CertificateChain"] =
                json!({"certificates": []}))
            .unwrap_err(),
            BundleError::NotPublicKey("an x509CertificateChain")
        );
        assert_eq!(
            with(&|v| v["verificationMaterial"] = json!({})).unwrap_err(),
            BundleError::NotPublicKey("empty")
        );
        assert_eq!(
            with(&|v| {
                v.as_object_mut().unwrap().remove("dsseEnvelope");
            })
            .unwrap_err(),
            BundleError::NoEnvelope
        );
        assert_eq!(
            with(&|v| v["payloadType"] = json!(INTOTO_PAYLOAD_TYPE)).unwrap_err(),
            BundleError::Ambiguous
        );
        assert!(matches!(
            envelope(br#"{"mediaType":"a","mediaType":"b"}"#),
            Err(BundleError::Json(_))
        ));
    }

    #[test]
    fn the_shape_is_told_by_top_level_members() {
        let (_, env) = signed();
        assert_eq!(
            shape(&Bundle::new(&env, "k", &[]).to_json_line()),
            Shape::Bundle
        );
        assert_eq!(shape(env.to_json_pretty().as_bytes()), Shape::Other);
        assert_eq!(shape(br#"{"media_type":"x"}"#), Shape::Bundle);
        for other in [&b"[]"[..], b"", b"{", br#"{"payload":{"mediaType":1}}"#] {
            assert_eq!(shape(other), Shape::Other);
        }
    }
}
