//! Sigstore bundles (v0.3) around our DSSE envelopes: what cosign,
//! sigstore-js and the other Sigstore verifiers read. Members follow the
//! protobuf-specs JSON mapping (camelCase), and empty optional members are
//! left out as protobuf's JSON writers leave them out.
//!
//! Key-signed bundles (`verificationMaterial.publicKey`, whose `hint` is the
//! key id the DSSE signature carries) are read by [`contents`]: their
//! transparency-log entries are read past, unchecked, and their RFC 3161
//! timestamps kept for the caller to check against a trusted root. Keyless
//! bundles (a Fulcio certificate, log entries) are read by
//! [`keyless_contents`], decoded and bounded, for `keyless` to verify.

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
    verification_material: Material<'a>,
    #[serde(rename = "dsseEnvelope")]
    dsse_envelope: &'a Envelope,
}

/// Who signed: a key named by its hint, or (keyless) the signer's
/// certificate, DER.
#[derive(Debug, Clone, Copy)]
pub enum Signed<'a> {
    Key { hint: &'a str },
    Certificate { der: &'a [u8] },
}

/// What a bundle carries beside the envelope to make its signature
/// verifiable: RFC 3161 timestamps (DER) over the signature, and
/// transparency-log entries for the envelope.
#[derive(Debug, Clone, Copy, Default)]
pub struct Witnesses<'a> {
    pub rfc3161_timestamps: &'a [&'a [u8]],
    pub tlog_entries: &'a [TlogEntry],
}

#[derive(Serialize)]
struct Material<'a> {
    #[serde(rename = "publicKey", skip_serializing_if = "Option::is_none")]
    public_key: Option<Hint>,
    #[serde(skip_serializing_if = "Option::is_none")]
    certificate: Option<RawBytes>,
    /// Left out when empty, as key-signed bundles have always been written.
    #[serde(
        rename = "tlogEntries",
        skip_serializing_if = "<[TlogEntry]>::is_empty"
    )]
    tlog_entries: &'a [TlogEntry],
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
struct RawBytes {
    #[serde(rename = "rawBytes")]
    raw_bytes: String,
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

/// A transparency-log entry as a bundle holds it (protobuf-specs
/// `TransparencyLogEntry`; 64-bit integers as decimal strings, bytes as
/// standard base64, as its JSON mapping writes them).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TlogEntry {
    #[serde(rename = "logIndex")]
    pub log_index: String,
    #[serde(rename = "logId")]
    pub log_id: LogId,
    #[serde(rename = "kindVersion")]
    pub kind_version: KindVersion,
    /// None for a Rekor v2 entry, which has no time of its own.
    #[serde(rename = "integratedTime", skip_serializing_if = "Option::is_none")]
    pub integrated_time: Option<String>,
    #[serde(rename = "inclusionPromise", skip_serializing_if = "Option::is_none")]
    pub inclusion_promise: Option<InclusionPromise>,
    #[serde(rename = "inclusionProof")]
    pub inclusion_proof: InclusionProof,
    #[serde(rename = "canonicalizedBody")]
    pub canonicalized_body: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogId {
    #[serde(rename = "keyId")]
    pub key_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KindVersion {
    pub kind: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InclusionPromise {
    #[serde(rename = "signedEntryTimestamp")]
    pub signed_entry_timestamp: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InclusionProof {
    #[serde(rename = "logIndex")]
    pub log_index: String,
    #[serde(rename = "rootHash")]
    pub root_hash: String,
    #[serde(rename = "treeSize")]
    pub tree_size: String,
    pub hashes: Vec<String>,
    pub checkpoint: Checkpoint,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Checkpoint {
    pub envelope: String,
}

impl<'a> Bundle<'a> {
    /// A bundle of `envelope` signed as `signed` says, with the witnesses
    /// given (each member left out when there are none).
    pub fn new(envelope: &'a Envelope, signed: Signed<'_>, witnesses: Witnesses<'a>) -> Bundle<'a> {
        let stamps = witnesses.rfc3161_timestamps;
        let timestamps = (!stamps.is_empty()).then(|| TimestampData {
            rfc3161: stamps
                .iter()
                .map(|der| SignedTimestamp {
                    signed_timestamp: STANDARD.encode(der),
                })
                .collect(),
        });
        let (public_key, certificate) = match signed {
            Signed::Key { hint } => (
                Some(Hint {
                    hint: hint.to_owned(),
                }),
                None,
            ),
            Signed::Certificate { der } => (
                None,
                Some(RawBytes {
                    raw_bytes: STANDARD.encode(der),
                }),
            ),
        };
        Bundle {
            media_type: MEDIA_TYPE,
            verification_material: Material {
                public_key,
                certificate,
                tlog_entries: witnesses.tlog_entries,
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
        "the Sigstore bundle's verificationMaterial is {0}, not a publicKey: a keyless bundle is verified by its signer's identity (--certificate-identity, --certificate-oidc-issuer and --trusted-root), not with a key"
    )]
    NotPublicKey(&'static str),
    #[error(
        "the Sigstore bundle's verificationMaterial is {0}, not a certificate: a key-signed bundle is verified with its key (--key), not by an identity"
    )]
    NotCertificate(&'static str),
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
    #[error("the Sigstore bundle's {0}")]
    Certificate(&'static str),
    #[error(
        "the Sigstore bundle carries more than {MAX_TLOG_ENTRIES} transparency-log entries; refusing to read them"
    )]
    TooManyEntries,
    #[error("the Sigstore bundle's tlogEntries[{index}]: {problem}")]
    Entry { index: usize, problem: EntryProblem },
}

/// What is wrong with one transparency-log entry of a bundle.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryProblem {
    #[error("{0} is missing")]
    Missing(&'static str),
    #[error("{0} is not standard base64")]
    Base64(&'static str),
    #[error("{0} is negative")]
    Negative(&'static str),
    #[error("inclusionProof.hashes has more than {MAX_PROOF_HASHES} hashes; refusing to read them")]
    TooManyHashes,
}

/// The most RFC 3161 timestamps a bundle may carry: a signature needs one
/// or two; more is a document made to make the verifier work.
pub const MAX_TIMESTAMPS: usize = 32;
/// The most transparency-log entries a bundle may carry (a signature is
/// logged once or twice).
pub const MAX_TLOG_ENTRIES: usize = 8;
/// The most hashes an inclusion proof may hold: a tree of 2^64 entries
/// needs 64.
pub const MAX_PROOF_HASHES: usize = 64;
/// The most certificates an `x509CertificateChain` may hold.
pub const MAX_CHAIN_CERTIFICATES: usize = 16;

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

type Raw = Option<Box<serde_json::value::RawValue>>;

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

/// Timestamps are kept for the caller; the certificate and the log entries
/// are kept unread (checked JSON) until a keyless reader asks for them, so a
/// key-signed bundle is read as it always was.
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
    certificate: Raw,
    #[serde(
        rename = "x509CertificateChain",
        alias = "x509_certificate_chain",
        default
    )]
    chain: Raw,
    #[serde(rename = "tlogEntries", alias = "tlog_entries", default)]
    tlog_entries: Raw,
}

#[derive(Deserialize)]
struct TimestampDataIn {
    #[serde(rename = "rfc3161Timestamps", alias = "rfc3161_timestamps", default)]
    rfc3161: Capped<SignedTimestampIn, MAX_TIMESTAMPS>,
}

#[derive(Deserialize)]
struct SignedTimestampIn {
    #[serde(rename = "signedTimestamp", alias = "signed_timestamp", default)]
    signed_timestamp: String,
}

/// An array read element by element, and refused past `N` (`None`) before
/// the rest is built: the rest is skipped unbuilt.
struct Capped<T, const N: usize>(Option<Vec<T>>);

impl<T, const N: usize> Default for Capped<T, N> {
    fn default() -> Self {
        Capped(Some(Vec::new()))
    }
}

impl<'de, T: Deserialize<'de>, const N: usize> Deserialize<'de> for Capped<T, N> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Capped<T, N>, D::Error> {
        struct Visit<T, const N: usize>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>, const N: usize> serde::de::Visitor<'de> for Visit<T, N> {
            type Value = Capped<T, N>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                write!(f, "an array of at most {N} elements")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Capped<T, N>, A::Error> {
                let mut out = Vec::new();
                while out.len() < N {
                    match seq.next_element::<T>()? {
                        Some(t) => out.push(t),
                        None => return Ok(Capped(Some(out))),
                    }
                }
                let mut over = false;
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
                    over = true;
                }
                Ok(Capped((!over).then_some(out)))
            }
        }
        d.deserialize_seq(Visit::<T, N>(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
struct RawBytesIn {
    #[serde(rename = "rawBytes", alias = "raw_bytes", default)]
    raw_bytes: Option<String>,
}

#[derive(Deserialize)]
struct ChainIn {
    #[serde(default)]
    certificates: Capped<RawBytesIn, MAX_CHAIN_CERTIFICATES>,
}

#[derive(Deserialize)]
struct LogEntryIn {
    #[serde(rename = "logIndex", alias = "log_index", default)]
    log_index: Option<Int64>,
    #[serde(rename = "logId", alias = "log_id", default)]
    log_id: Option<LogIdIn>,
    #[serde(rename = "kindVersion", alias = "kind_version", default)]
    kind_version: Option<KindVersionIn>,
    #[serde(rename = "integratedTime", alias = "integrated_time", default)]
    integrated_time: Option<Int64>,
    #[serde(rename = "inclusionPromise", alias = "inclusion_promise", default)]
    inclusion_promise: Option<PromiseIn>,
    #[serde(rename = "inclusionProof", alias = "inclusion_proof", default)]
    inclusion_proof: Option<ProofIn>,
    #[serde(rename = "canonicalizedBody", alias = "canonicalized_body", default)]
    canonicalized_body: Option<String>,
}

#[derive(Deserialize)]
struct LogIdIn {
    #[serde(rename = "keyId", alias = "key_id", default)]
    key_id: Option<String>,
}

#[derive(Deserialize)]
struct KindVersionIn {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    version: String,
}

#[derive(Deserialize)]
struct PromiseIn {
    #[serde(
        rename = "signedEntryTimestamp",
        alias = "signed_entry_timestamp",
        default
    )]
    signed_entry_timestamp: Option<String>,
}

#[derive(Deserialize)]
struct ProofIn {
    #[serde(rename = "logIndex", alias = "log_index", default)]
    log_index: Option<Int64>,
    #[serde(rename = "rootHash", alias = "root_hash", default)]
    root_hash: Option<String>,
    #[serde(rename = "treeSize", alias = "tree_size", default)]
    tree_size: Option<Int64>,
    #[serde(default)]
    hashes: Capped<String, MAX_PROOF_HASHES>,
    #[serde(default)]
    checkpoint: Option<CheckpointIn>,
}

#[derive(Deserialize)]
struct CheckpointIn {
    #[serde(default)]
    envelope: Option<String>,
}

/// A protobuf int64 in its JSON mapping: a decimal string (as written),
/// or a number (as readers also take).
struct Int64(i64);

impl<'de> Deserialize<'de> for Int64 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Int64, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = Int64;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a 64-bit integer, as a decimal string or a number")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Int64, E> {
                Ok(Int64(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Int64, E> {
                i64::try_from(v)
                    .map(Int64)
                    .map_err(|_| E::custom("an integer past 64 bits"))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Int64, E> {
                let plain = !v.is_empty()
                    && v.len() <= 20
                    && v.strip_prefix('-')
                        .unwrap_or(v)
                        .bytes()
                        .all(|b| b.is_ascii_digit());
                match v.parse::<i64>() {
                    Ok(n) if plain => Ok(Int64(n)),
                    _ => Err(E::custom(format!("{:?} is not a 64-bit integer", cut(v)))),
                }
            }
        }
        d.deserialize_any(Visit)
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

/// What a keyless Sigstore bundle holds, decoded, none of it yet checked.
#[derive(Debug, Clone, PartialEq)]
pub struct KeylessContents {
    /// The bundle format's minor version (1, 2 or 3): from 0.2 on, every
    /// log entry must carry an inclusion proof.
    pub minor_version: u8,
    pub envelope: Envelope,
    /// The signing (leaf) certificate, DER: `certificate`, or the first of
    /// `x509CertificateChain` (the others are never trusted: the chain is
    /// the trusted root's).
    pub certificate: Vec<u8>,
    pub tlog_entries: Vec<LogEntry>,
    /// Each `rfc3161Timestamps[].signedTimestamp`, DER.
    pub rfc3161_timestamps: Vec<Vec<u8>>,
}

/// A transparency-log entry of a bundle, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub log_index: u64,
    /// `logId.keyId`: which log (its key's id).
    pub log_id: Vec<u8>,
    pub kind: String,
    pub version: String,
    /// Seconds since the epoch; 0 when not given.
    pub integrated_time: i64,
    /// `inclusionPromise.signedEntryTimestamp`.
    pub signed_entry_timestamp: Option<Vec<u8>>,
    pub inclusion_proof: Option<LogProof>,
    pub canonicalized_body: Vec<u8>,
}

/// An inclusion proof and the checkpoint it leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogProof {
    pub log_index: u64,
    pub root_hash: Vec<u8>,
    pub tree_size: u64,
    /// The audit path, leaf side first.
    pub hashes: Vec<Vec<u8>>,
    /// The signed note, as written.
    pub checkpoint: String,
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

/// The media types read: v0.3 for key-signed bundles (what this tool
/// writes), and v0.1 to v0.3 for keyless ones (what Sigstore clients have
/// written), with their minor version.
const MEDIA_TYPE_V01: &str = "application/vnd.dev.sigstore.bundle+json;version=0.1";
const MEDIA_TYPE_V02: &str = "application/vnd.dev.sigstore.bundle+json;version=0.2";

/// A bundle's members, checked to be a DSSE bundle of a media type read
/// (its minor version returned): what key-signed and keyless bundles share.
fn read(bytes: &[u8], keyless: bool) -> Result<(BundleIn, MaterialIn, u8), BundleError> {
    let mut bundle: BundleIn =
        serde_json::from_slice(bytes).map_err(|e| BundleError::Json(cut(&e.to_string())))?;
    if bundle.payload_type.is_some() || bundle.payload.is_some() || bundle.signatures.is_some() {
        return Err(BundleError::Ambiguous);
    }
    let minor = match bundle.media_type.as_deref() {
        None => return Err(BundleError::NoMediaType),
        Some(MEDIA_TYPE | MEDIA_TYPE_V03_OLD) => 3,
        Some(MEDIA_TYPE_V02) if keyless => 2,
        Some(MEDIA_TYPE_V01) if keyless => 1,
        Some(other) => return Err(BundleError::MediaType(cut(other))),
    };
    if bundle.message_signature.is_some() {
        return Err(BundleError::MessageSignature);
    }
    let material = bundle
        .verification_material
        .take()
        .ok_or(BundleError::NoMaterial)?;
    Ok((bundle, material, minor))
}

/// The timestamps of a bundle's material, decoded.
fn decoded_timestamps(material: Option<TimestampDataIn>) -> Result<Vec<Vec<u8>>, BundleError> {
    let tokens = match material {
        None => Vec::new(),
        Some(TimestampDataIn {
            rfc3161: Capped(None),
        }) => return Err(BundleError::TooManyTimestamps),
        Some(TimestampDataIn {
            rfc3161: Capped(Some(v)),
        }) => v,
    };
    tokens
        .iter()
        .enumerate()
        .map(|(i, t)| {
            STANDARD
                .decode(&t.signed_timestamp)
                .map_err(|_| BundleError::TimestampBase64(i))
        })
        .collect()
}

/// The envelope and timestamps of a key-signed Sigstore bundle, read once.
pub fn contents(bytes: &[u8]) -> Result<Contents, BundleError> {
    let (bundle, material, _) = read(bytes, false)?;
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
    let rfc3161_timestamps = decoded_timestamps(material.timestamps)?;
    Ok(Contents {
        envelope,
        rfc3161_timestamps,
    })
}

/// What names the signer of a keyless bundle (`"a certificate"` or `"an
/// x509CertificateChain"`), when `bytes` are one: for saying so when a
/// keyless bundle is met where a key was expected.
pub fn keyless_material(bytes: &[u8]) -> Option<&'static str> {
    if shape(bytes) != Shape::Bundle {
        return None;
    }
    let (_, material, _) = read(bytes, true).ok()?;
    match (&material.certificate, &material.chain) {
        (Some(_), _) => Some("a certificate"),
        (None, Some(_)) => Some("an x509CertificateChain"),
        (None, None) => None,
    }
}

/// The envelope, signing certificate, log entries and timestamps of a
/// keyless Sigstore bundle (v0.1 to v0.3), read once and decoded; every
/// list bounded before it is built. Nothing is verified here.
pub fn keyless_contents(bytes: &[u8]) -> Result<KeylessContents, BundleError> {
    let (bundle, material, minor_version) = read(bytes, true)?;
    let raw_certificate = match (&material.certificate, &material.chain) {
        (Some(_), Some(_)) => {
            return Err(BundleError::Certificate(
                "verificationMaterial has both a certificate and an x509CertificateChain",
            ));
        }
        (Some(c), None) => {
            serde_json::from_str::<RawBytesIn>(c.get())
                .map_err(|e| BundleError::Json(cut(&e.to_string())))?
                .raw_bytes
        }
        (None, Some(c)) => {
            let chain: ChainIn = serde_json::from_str(c.get())
                .map_err(|e| BundleError::Json(cut(&e.to_string())))?;
            let certificates = chain.certificates.0.ok_or(BundleError::Certificate(
                "x509CertificateChain holds more certificates than any chain needs",
            ))?;
            certificates
                .into_iter()
                .next()
                .ok_or(BundleError::Certificate("x509CertificateChain is empty"))?
                .raw_bytes
        }
        (None, None) if material.public_key.is_some() => {
            return Err(BundleError::NotCertificate("a publicKey"));
        }
        (None, None) => return Err(BundleError::NotCertificate("empty")),
    };
    let certificate = raw_certificate
        .filter(|b| !b.is_empty())
        .ok_or(BundleError::Certificate("certificate has no rawBytes"))
        .and_then(|b| {
            STANDARD.decode(b).map_err(|_| {
                BundleError::Certificate("certificate rawBytes is not standard base64")
            })
        })?;
    let envelope = bundle.dsse_envelope.ok_or(BundleError::NoEnvelope)?;
    let tlog_entries = match &material.tlog_entries {
        None => Vec::new(),
        Some(raw) => {
            let entries: Capped<LogEntryIn, MAX_TLOG_ENTRIES> = serde_json::from_str(raw.get())
                .map_err(|e| BundleError::Json(cut(&e.to_string())))?;
            entries
                .0
                .ok_or(BundleError::TooManyEntries)?
                .into_iter()
                .enumerate()
                .map(|(index, e)| {
                    log_entry(e).map_err(|problem| BundleError::Entry { index, problem })
                })
                .collect::<Result<_, _>>()?
        }
    };
    let rfc3161_timestamps = decoded_timestamps(material.timestamps)?;
    Ok(KeylessContents {
        minor_version,
        envelope,
        certificate,
        tlog_entries,
        rfc3161_timestamps,
    })
}

fn log_entry(e: LogEntryIn) -> Result<LogEntry, EntryProblem> {
    let b64 = |field, text: Option<String>| {
        let text = text.ok_or(EntryProblem::Missing(field))?;
        STANDARD
            .decode(text)
            .map_err(|_| EntryProblem::Base64(field))
    };
    let unsigned = |field, n: Option<Int64>| match n {
        None => Err(EntryProblem::Missing(field)),
        Some(Int64(n)) => u64::try_from(n).map_err(|_| EntryProblem::Negative(field)),
    };
    let kind_version = e.kind_version.ok_or(EntryProblem::Missing("kindVersion"))?;
    let inclusion_proof = match e.inclusion_proof {
        None => None,
        Some(p) => {
            let hashes = p.hashes.0.ok_or(EntryProblem::TooManyHashes)?;
            Some(LogProof {
                log_index: unsigned("inclusionProof.logIndex", p.log_index)?,
                root_hash: b64("inclusionProof.rootHash", p.root_hash)?,
                tree_size: unsigned("inclusionProof.treeSize", p.tree_size)?,
                hashes: hashes
                    .into_iter()
                    .map(|h| b64("inclusionProof.hashes[]", Some(h)))
                    .collect::<Result<_, _>>()?,
                checkpoint: p
                    .checkpoint
                    .and_then(|c| c.envelope)
                    .filter(|c| !c.is_empty())
                    .ok_or(EntryProblem::Missing("inclusionProof.checkpoint.envelope"))?,
            })
        }
    };
    let integrated_time = match e.integrated_time {
        None => 0,
        Some(Int64(n)) if n < 0 => return Err(EntryProblem::Negative("integratedTime")),
        Some(Int64(n)) => n,
    };
    Ok(LogEntry {
        log_index: unsigned("logIndex", e.log_index)?,
        log_id: b64("logId.keyId", e.log_id.and_then(|l| l.key_id))?,
        kind: kind_version.kind,
        version: kind_version.version,
        integrated_time,
        signed_entry_timestamp: e
            .inclusion_promise
            .map(|p| {
                b64(
                    "inclusionPromise.signedEntryTimestamp",
                    p.signed_entry_timestamp,
                )
            })
            .transpose()?,
        inclusion_proof,
        canonicalized_body: b64("canonicalizedBody", e.canonicalized_body)?,
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
        let text =
            Bundle::new(&env, Signed::Key { hint: &id }, Witnesses::default()).to_json_pretty();
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
        let line =
            Bundle::new(&env, Signed::Key { hint: &id }, Witnesses::default()).to_json_line();
        assert!(!line.contains(&b'\n'));
        assert_eq!(serde_json::from_slice::<Value>(&line).unwrap(), v);
        assert_eq!(envelope(&line).unwrap(), env);
    }

    /// Timestamp tokens go, base64, where Sigstore verifiers look for them.
    #[test]
    fn timestamps_are_written_when_given() {
        let (_, env) = signed();
        let text = Bundle::new(
            &env,
            Signed::Key { hint: "k" },
            Witnesses {
                rfc3161_timestamps: &[b"\x30\x03\x02\x01\x00", b"x"],
                ..Default::default()
            },
        )
        .to_json_pretty();
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
        let text = Bundle::new(
            &env,
            Signed::Key { hint: "k" },
            Witnesses {
                rfc3161_timestamps: &tokens,
                ..Default::default()
            },
        )
        .to_json_pretty();
        let got = contents(text.as_bytes()).unwrap();
        assert_eq!(got.envelope, env);
        assert_eq!(got.rfc3161_timestamps, tokens.map(<[u8]>::to_vec));
        assert_eq!(
            timestamps(text.as_bytes()).unwrap(),
            tokens.map(<[u8]>::to_vec)
        );
        let bare =
            Bundle::new(&env, Signed::Key { hint: "k" }, Witnesses::default()).to_json_line();
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
        let good = serde_json::to_value(Bundle::new(
            &env,
            Signed::Key { hint: "k" },
            Witnesses::default(),
        ))
        .unwrap();
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
            shape(
                &Bundle::new(&env, Signed::Key { hint: "k" }, Witnesses::default()).to_json_line()
            ),
            Shape::Bundle
        );
        assert_eq!(shape(env.to_json_pretty().as_bytes()), Shape::Other);
        assert_eq!(shape(br#"{"media_type":"x"}"#), Shape::Bundle);
        for other in [&b"[]"[..], b"", b"{", br#"{"payload":{"mediaType":1}}"#] {
            assert_eq!(shape(other), Shape::Other);
        }
    }
}
