//! Keyless Sigstore bundles verified the way `cosign verify-attestation`
//! and sigstore-js verify them: the signing certificate chains to a
//! certificate authority of a trusted root and names the expected identity
//! and OIDC issuer; the DSSE signature verifies with its key; the envelope
//! was entered in a transparency log the root trusts (the entry matches the
//! envelope and the certificate, its signed entry timestamp and its
//! inclusion proof and checkpoint verify); a certificate transparency log
//! the root trusts saw the certificate (an SCT); and the signature was made
//! while the certificate was valid, as proven by a log's signed time or an
//! RFC 3161 timestamp.
//!
//! Pure but for reading the clock ([`verify`]; [`verify_at`] takes the
//! time). Every count a bundle controls is bounded before work is done on
//! it (the reader in [`super::sigstore`] bounds the lists; here the SCTs,
//! the checkpoint's lines and the proof's length).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::dsse;
use super::rfc3161::der::{self, Der};
use super::rfc3161::{self, TimestampError};
use super::sigstore::{self, BundleError, KeylessContents, LogEntry, LogProof};
use super::trust_root::{CertificateAuthority, LogKey, TrustedRoot};
use super::x509::{self, Certificate, SubjectKey, X509Error, name_text, parse_certificate};
use super::{
    INTOTO_PAYLOAD_TYPE, PREDICATE_TYPE, REPORT_PREDICATE_TYPE, Statement, VerifiedReport,
    VerifyError,
};

// Object identifiers, as their DER content bytes.
/// Fulcio's OIDC issuer, v1: the extension's value is the issuer's bytes.
const OID_FULCIO_ISSUER_V1: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01, 0x01];
/// Fulcio's OIDC issuer, v2: a DER UTF8String.
const OID_FULCIO_ISSUER_V2: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01, 0x08];
/// Fulcio's claims about a CI run: GitHub Workflow SHA and Repository
/// (v1, raw text), SourceRepositoryURI and Digest (v2, UTF8String).
const OID_FULCIO_GITHUB_WORKFLOW_SHA: &[u8] =
    &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01, 0x03];
const OID_FULCIO_GITHUB_WORKFLOW_REPOSITORY: &[u8] =
    &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01, 0x05];
const OID_FULCIO_SOURCE_REPOSITORY_URI: &[u8] =
    &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01, 0x0c];
const OID_FULCIO_SOURCE_REPOSITORY_DIGEST: &[u8] =
    &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01, 0x0d];
/// Fulcio's otherName subject alternative name (a username).
const OID_FULCIO_OTHERNAME: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01, 0x07];
/// RFC 6962's embedded SCT list.
const OID_SCT_LIST: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02];
const OID_KP_CODE_SIGNING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03];
const OID_ANY_EXTENDED_KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x25, 0x00];

/// Key usage bits, as `x509::Certificate::key_usage` holds them.
const KU_DIGITAL_SIGNATURE: u16 = 0x8000;
const KU_KEY_CERT_SIGN: u16 = 0x0400;

/// How far in the future a log may say an entry was made (clocks differ).
const MAX_CLOCK_SKEW: time::Duration = time::Duration::minutes(5);
/// SCTs a certificate may carry: one per log it was sent to.
const MAX_SCTS: usize = 16;
/// The longest checkpoint read, and its most signature lines.
const MAX_CHECKPOINT_BYTES: usize = 16 << 10;
const MAX_CHECKPOINT_SIGNATURES: usize = 16;
/// Longest value quoted from a bundle in a message.
const MAX_QUOTED: usize = 200;

/// What an identity or issuer must be: exactly a value, or a match of a
/// pattern over the whole value.
#[derive(Debug, Clone)]
pub enum Matcher {
    Exact(String),
    /// The pattern as given, and compiled anchored at both ends.
    Pattern {
        given: String,
        regex: regex::Regex,
    },
}

impl Matcher {
    /// A pattern (Rust `regex` syntax) that must match the whole value:
    /// `^(?:PATTERN)$`, so `https://github.com/org/` does not match
    /// `https://github.com/org/repo` by a prefix, nor an attacker's URL
    /// that merely contains it.
    pub fn pattern(given: &str) -> Result<Matcher, regex::Error> {
        let regex = regex::Regex::new(&format!("^(?:{given})$"))?;
        Ok(Matcher::Pattern {
            given: given.to_owned(),
            regex,
        })
    }

    /// The value required, when it is one exactly.
    pub fn exact(&self) -> Option<&str> {
        match self {
            Matcher::Exact(want) => Some(want),
            Matcher::Pattern { .. } => None,
        }
    }

    /// The pattern as given (not anchored), when it is one.
    pub fn pattern_text(&self) -> Option<&str> {
        match self {
            Matcher::Exact(_) => None,
            Matcher::Pattern { given, .. } => Some(given),
        }
    }

    pub fn matches(&self, value: &str) -> bool {
        match self {
            Matcher::Exact(want) => want == value,
            Matcher::Pattern { regex, .. } => regex.is_match(value),
        }
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Matcher::Exact(want) => write!(f, "{:?}", shown(want)),
            Matcher::Pattern { given, .. } => {
                write!(f, "a value matching {:?} (whole)", shown(given))
            }
        }
    }
}

/// Who must have signed: the certificate's subject alternative name (URI,
/// email, or Fulcio's otherName) and the OIDC issuer Fulcio recorded.
#[derive(Debug, Clone)]
pub struct Identity {
    pub subject: Matcher,
    pub issuer: Matcher,
}

/// What proved when the signature was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeSource {
    /// A transparency log's signed entry timestamp (its `integratedTime`).
    TransparencyLog { log: String, index: u64 },
    /// An RFC 3161 timestamp.
    Timestamp { authority: String },
}

impl fmt::Display for TimeSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeSource::TransparencyLog { log, index } => {
                write!(f, "transparency log {log}, entry {index}")
            }
            TimeSource::Timestamp { authority } => write!(f, "timestamp authority {authority}"),
        }
    }
}

/// A time the signature is proven to have existed at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvenTime {
    pub time: OffsetDateTime,
    pub source: TimeSource,
}

/// A transparency-log entry that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    /// The log's `baseUrl`.
    pub log: String,
    pub index: u64,
    /// Whether its inclusion proof and checkpoint verified (besides, or
    /// instead of, its signed entry timestamp).
    pub proof_verified: bool,
}

/// What a keyless bundle was verified to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The certificate's identity (its subject alternative name), escaped.
    pub identity: String,
    /// The OIDC issuer the certificate records, escaped.
    pub issuer: String,
    /// The certificate authority of the trusted root it chains to.
    pub authority: String,
    /// Every proven time, each inside the certificate's validity; at least
    /// one.
    pub times: Vec<ProvenTime>,
    pub log_entries: Vec<Logged>,
    /// SCTs that verified against the root's certificate transparency logs.
    pub scts: usize,
    /// What Fulcio recorded about the CI run that signed, when it did.
    pub build: BuildClaims,
}

/// The claims Fulcio writes into a certificate for a CI identity, as it
/// wrote them (verified with the certificate; empty for a person's
/// identity). Newer certificates carry the `Source*` extensions
/// (1.3.6.1.4.1.57264.1.12 and .13); older GitHub ones only the `GitHub
/// Workflow *` ones (.5 and .3), which name the repository as
/// `owner/repo`. Values that are not UTF-8 or run long are left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildClaims {
    /// SourceRepositoryURI: the repository the run was for.
    pub source_repository_uri: Option<String>,
    /// SourceRepositoryDigest: the commit it built.
    pub source_repository_digest: Option<String>,
    /// GitHub Workflow Repository (deprecated): `owner/repo`.
    pub github_workflow_repository: Option<String>,
    /// GitHub Workflow SHA (deprecated): the commit.
    pub github_workflow_sha: Option<String>,
}

impl Verified {
    /// The earliest proven time: when the signature was made, at the latest.
    pub fn signed_at(&self) -> &ProvenTime {
        self.times
            .iter()
            .min_by_key(|t| t.time)
            .expect("a verified bundle has a proven time")
    }
}

/// Why a keyless bundle does not verify. Values from the bundle are cut
/// short and escaped.
#[derive(Debug, thiserror::Error)]
pub enum KeylessError {
    #[error(
        "a bare DSSE envelope carries no certificate: keyless verification needs a Sigstore bundle"
    )]
    NotBundle,
    #[error(transparent)]
    Bundle(#[from] BundleError),
    #[error("the signing certificate: {0}")]
    Certificate(X509Error),
    #[error("the signing certificate is a CA certificate, not a signer's")]
    CertificateIsCa,
    #[error("the signing certificate is not for code signing (no codeSigning extended key usage)")]
    NotCodeSigning,
    #[error("the signing certificate's key usage does not allow digital signatures")]
    NoDigitalSignature,
    #[error("{which} certificate {subject} has an unknown critical extension {oid}")]
    UnknownCriticalExtension {
        which: &'static str,
        subject: String,
        oid: String,
    },
    #[error(
        "the signing certificate (issued by {issuer}) does not chain to a certificate authority of the trusted root"
    )]
    UntrustedCertificate { issuer: String },
    #[error("the certificate authority {authority} has a certificate {subject} {problem}")]
    BadAuthority {
        authority: String,
        subject: String,
        problem: &'static str,
    },
    #[error(
        "the signing certificate names no identity (no URI, email or Fulcio otherName subject alternative name)"
    )]
    NoIdentity,
    #[error("the signing certificate's identity is {found:?}, but {expected} was expected")]
    IdentityMismatch { expected: String, found: String },
    #[error(
        "the signing certificate records no OIDC issuer (extension 1.3.6.1.4.1.57264.1.8 or .1.1)"
    )]
    NoIssuer,
    #[error("the signing certificate's OIDC issuer is {found:?}, but {expected} was expected")]
    IssuerMismatch { expected: String, found: String },
    #[error(
        "the DSSE envelope holds {0} signatures; a Sigstore bundle's envelope holds exactly one"
    )]
    Signatures(usize),
    #[error("the DSSE envelope's {0} is not base64")]
    Base64(&'static str),
    #[error("payload type is {0:?}, expected {INTOTO_PAYLOAD_TYPE:?}")]
    PayloadType(String),
    #[error("the DSSE signature does not verify with the signing certificate's key ({0})")]
    Signature(X509Error),
    #[error(
        "the bundle has no transparency-log entry: a keyless signature must be logged (as cosign requires)"
    )]
    NoLogEntry,
    #[error("tlogEntries[{index}]: {problem}")]
    LogEntry { index: usize, problem: LogProblem },
    #[error("rfc3161Timestamps[{index}]: {source}")]
    Timestamp {
        index: usize,
        #[source]
        source: TimestampError,
    },
    #[error(
        "no verified time inside the certificate's validity: neither a transparency log's signed entry timestamp nor an RFC 3161 timestamp proves when it signed"
    )]
    NoVerifiedTime,
    #[error(
        "the signature's time {time} ({by}) is outside the signing certificate's validity ({not_before} to {not_after})"
    )]
    OutsideValidity {
        time: String,
        by: TimeSource,
        not_before: String,
        not_after: String,
    },
    #[error(
        "at {time} ({by}) no certificate authority of the trusted root that issued the signing certificate was trusted, or its chain was not valid"
    )]
    AuthorityNotValidAt { time: String, by: TimeSource },
    #[error("SCT: {0}")]
    Sct(SctProblem),
    #[error(transparent)]
    Statement(#[from] VerifyError),
}

/// Why a transparency-log entry does not stand.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogProblem {
    #[error("log {0} is not a transparency log of the trusted root")]
    UnknownLog(String),
    #[error("the key of log {log} was not trusted at the entry's time {time}")]
    LogNotValidAt { log: String, time: String },
    #[error("entry {log} {index} appears twice")]
    Duplicate { log: String, index: u64 },
    #[error(
        "entry kind {kind} {version} is not one this tool reads (dsse 0.0.1, intoto 0.0.2, hashedrekord 0.0.2)"
    )]
    UnsupportedKind { kind: String, version: String },
    #[error("the entry says {said}, its body is {found}")]
    KindMismatch { said: String, found: String },
    #[error("the canonicalized body {0}")]
    Body(&'static str),
    #[error("the canonicalized body has no {0}")]
    BodyMissing(&'static str),
    #[error("the canonicalized body's {0} is not base64")]
    BodyBase64(&'static str),
    #[error("the logged signature is not the envelope's")]
    SignatureMismatch,
    #[error("the logged verifier is not the signing certificate")]
    VerifierMismatch,
    #[error("the logged payload hash is {logged}, the envelope's payload hashes to {actual}")]
    PayloadHashMismatch { logged: String, actual: String },
    #[error(
        "the logged digest is {logged}, the envelope's pre-authentication encoding hashes to {actual}"
    )]
    PaeDigestMismatch { logged: String, actual: String },
    #[error(
        "neither a signed entry timestamp nor an inclusion proof: nothing proves it was logged"
    )]
    NoInclusion,
    #[error("no inclusion proof (a bundle of v0.2 and later needs one)")]
    NoProof,
    #[error("no signed entry timestamp (a bundle of v0.1 needs one)")]
    NoPromise,
    #[error("the signed entry timestamp does not verify with the key of log {0}")]
    BadSet(String),
    #[error("the log says it was made at {0}, in the future")]
    InFuture(String),
    #[error("the inclusion proof: {0}")]
    Proof(&'static str),
    #[error(
        "the inclusion proof's audit path leads to root hash {computed}, not the proof's {given}"
    )]
    RootMismatch { computed: String, given: String },
    #[error("the checkpoint: {0}")]
    Checkpoint(&'static str),
    #[error("the checkpoint is not signed by log {0}")]
    CheckpointSignature(String),
    #[error("the entry's time {time} is outside the signing certificate's validity")]
    OutsideValidity { time: String },
}

/// Why no SCT stands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SctProblem {
    #[error("the signing certificate carries no signed certificate timestamp")]
    None,
    #[error("the signing certificate's SCT list is malformed ({0})")]
    Malformed(&'static str),
    #[error("the signing certificate carries more than {MAX_SCTS} SCTs")]
    TooMany,
    #[error(
        "none of the signing certificate's {0} SCTs verifies against a certificate transparency log of the trusted root"
    )]
    NoneVerified(usize),
    #[error("the signing certificate has no issuer in the trusted root to check its SCT with")]
    NoIssuer,
}

/// A value from a bundle as messages show it: cut short, escaped.
fn shown(text: &str) -> String {
    let short: String = text.chars().take(MAX_QUOTED).collect();
    crate::term::escape(&short).into_owned()
}

fn rfc3339(t: OffsetDateTime) -> String {
    x509::rfc3339(t)
}

/// Verify a keyless Sigstore bundle (DSSE) against `root`, now.
pub fn verify(
    bundle: &[u8],
    root: &TrustedRoot,
    identity: &Identity,
) -> Result<(Verified, Vec<u8>), KeylessError> {
    verify_at(bundle, root, identity, OffsetDateTime::now_utc())
}

/// [`verify`] as of `now` (which only bounds how far in the future a log
/// may date an entry). Returns what was verified and the envelope's
/// payload (of any payload type: the caller checks what it holds).
pub fn verify_at(
    bundle: &[u8],
    root: &TrustedRoot,
    identity: &Identity,
    now: OffsetDateTime,
) -> Result<(Verified, Vec<u8>), KeylessError> {
    let contents = sigstore::keyless_contents(bundle)?;
    verify_contents(&contents, root, identity, now)
}

fn verify_contents(
    c: &KeylessContents,
    root: &TrustedRoot,
    identity: &Identity,
    now: OffsetDateTime,
) -> Result<(Verified, Vec<u8>), KeylessError> {
    // The certificate, and who issued it.
    let leaf = parse_certificate(&c.certificate).map_err(KeylessError::Certificate)?;
    check_leaf(&leaf)?;
    let cas = parsed_authorities(root)?;
    let mut chains: Vec<(&CertificateAuthority, Vec<&Certificate<'_>>)> = cas
        .iter()
        .filter_map(|(ca, certs)| {
            let anchor = certs.last()?;
            let pool: Vec<&Certificate<'_>> = certs.iter().collect();
            x509::chain_to(&leaf, anchor, &pool).map(|chain| (*ca, chain))
        })
        .collect();
    if chains.is_empty() {
        return Err(KeylessError::UntrustedCertificate {
            issuer: name_text(leaf.issuer),
        });
    }
    // An authority whose own certificates do not qualify is no authority;
    // another that does may still stand.
    let mut unfit = None;
    chains.retain(|(ca, chain)| match check_authority_chain(ca, &chain[1..]) {
        Ok(()) => true,
        Err(e) => {
            unfit.get_or_insert(e);
            false
        }
    });
    if let (true, Some(e)) = (chains.is_empty(), unfit) {
        return Err(e);
    }

    // Who it names.
    let found_identity = subject_alt_name(&leaf)?.ok_or(KeylessError::NoIdentity)?;
    if !identity.subject.matches(&found_identity) {
        return Err(KeylessError::IdentityMismatch {
            expected: identity.subject.to_string(),
            found: shown(&found_identity),
        });
    }
    let found_issuer = oidc_issuer(&leaf)?.ok_or(KeylessError::NoIssuer)?;
    if !identity.issuer.matches(&found_issuer) {
        return Err(KeylessError::IssuerMismatch {
            expected: identity.issuer.to_string(),
            found: shown(&found_issuer),
        });
    }

    // What it signed.
    let [signature] = c.envelope.signatures.as_slice() else {
        return Err(KeylessError::Signatures(c.envelope.signatures.len()));
    };
    let sig = dsse::decode_base64(&signature.sig).ok_or(KeylessError::Base64("signature"))?;
    let payload = c
        .envelope
        .payload_bytes()
        .map_err(|_| KeylessError::Base64("payload"))?;
    let key = SubjectKey::of(&leaf);
    let pae = dsse::pae(&c.envelope.payload_type, &payload);
    key.verify(&pae, &sig).map_err(KeylessError::Signature)?;

    // Where it was logged, and when.
    if c.tlog_entries.is_empty() {
        return Err(KeylessError::NoLogEntry);
    }
    let signed = Signed {
        sig: &sig,
        payload_hash: Sha256::digest(&payload).into(),
        pae_digest: Sha256::digest(&pae).into(),
    };
    let mut times = Vec::new();
    let mut log_entries = Vec::new();
    for (index, entry) in c.tlog_entries.iter().enumerate() {
        let at = |problem| KeylessError::LogEntry { index, problem };
        if c.tlog_entries[..index]
            .iter()
            .any(|e| e.log_id == entry.log_id && e.log_index == entry.log_index)
        {
            return Err(at(LogProblem::Duplicate {
                log: hex::encode(&entry.log_id),
                index: entry.log_index,
            }));
        }
        let checked = check_entry(entry, c.minor_version, &signed, &leaf, root, now).map_err(at)?;
        if let Some(t) = checked.set_time {
            times.push(t);
        }
        log_entries.push(checked.logged);
    }
    for (index, token) in c.rfc3161_timestamps.iter().enumerate() {
        let stamped =
            rfc3161::verify_signed_timestamp(token, &sig, &root.timestamp_authorities, None)
                .map_err(|source| KeylessError::Timestamp { index, source })?;
        times.push(ProvenTime {
            time: stamped.gen_time,
            source: TimeSource::Timestamp {
                authority: stamped.authority,
            },
        });
    }
    if times.is_empty() {
        return Err(KeylessError::NoVerifiedTime);
    }
    // Every proven time inside the certificate's validity, and an
    // authority that issued it trusted then, its chain valid then (the
    // "hybrid model" of the Sigstore client spec).
    let mut authority = None;
    for t in &times {
        if !leaf.valid_at(t.time) {
            return Err(KeylessError::OutsideValidity {
                time: rfc3339(t.time),
                by: t.source.clone(),
                not_before: rfc3339(leaf.not_before),
                not_after: rfc3339(leaf.not_after),
            });
        }
        let trusted = chains
            .iter()
            .find(|(ca, chain)| ca.valid_at(t.time) && chain.iter().all(|c| c.valid_at(t.time)))
            .ok_or_else(|| KeylessError::AuthorityNotValidAt {
                time: rfc3339(t.time),
                by: t.source.clone(),
            })?;
        authority.get_or_insert(trusted);
    }
    let (ca, chain) = authority.expect("at least one time was checked");

    // That a certificate transparency log saw the certificate.
    let scts = verify_scts(&leaf, chain.get(1).copied(), root)?;

    Ok((
        Verified {
            identity: shown(&found_identity),
            issuer: shown(&found_issuer),
            authority: ca.name.clone(),
            times,
            log_entries,
            scts,
            build: build_claims(&leaf),
        },
        payload,
    ))
}

/// The longest claim kept: a repository URI or a commit is far shorter.
const MAX_CLAIM: usize = 1024;

/// [`BuildClaims`] from the verified leaf.
fn build_claims(leaf: &Certificate<'_>) -> BuildClaims {
    // The v2 extensions hold a DER UTF8String; the v1 ones the raw text.
    let v2 = |oid: &[u8]| {
        let ext = leaf.extension(oid)?;
        let s = der::single(ext.value, 0x0c).ok()?;
        claim(s.value)
    };
    let v1 = |oid: &[u8]| claim(leaf.extension(oid)?.value);
    BuildClaims {
        source_repository_uri: v2(OID_FULCIO_SOURCE_REPOSITORY_URI),
        source_repository_digest: v2(OID_FULCIO_SOURCE_REPOSITORY_DIGEST),
        github_workflow_repository: v1(OID_FULCIO_GITHUB_WORKFLOW_REPOSITORY),
        github_workflow_sha: v1(OID_FULCIO_GITHUB_WORKFLOW_SHA),
    }
}

fn claim(bytes: &[u8]) -> Option<String> {
    if bytes.len() > MAX_CLAIM {
        return None;
    }
    String::from_utf8(bytes.to_vec()).ok()
}

/// The leaf's own constraints: a signer's certificate for code signing,
/// with nothing critical this reader does not understand.
fn check_leaf(leaf: &Certificate<'_>) -> Result<(), KeylessError> {
    if leaf.is_ca {
        return Err(KeylessError::CertificateIsCa);
    }
    if leaf
        .key_usage
        .is_some_and(|ku| ku & KU_DIGITAL_SIGNATURE == 0)
    {
        return Err(KeylessError::NoDigitalSignature);
    }
    match &leaf.eku {
        Some((_, usages)) if usages.contains(&OID_KP_CODE_SIGNING) => {}
        _ => return Err(KeylessError::NotCodeSigning),
    }
    if let Some(oid) = leaf.unknown_critical {
        return Err(KeylessError::UnknownCriticalExtension {
            which: "the signing",
            subject: name_text(leaf.subject),
            oid: der::oid_text(oid),
        });
    }
    Ok(())
}

/// Each certificate authority of the root with its certificates parsed
/// (they were checked readable when the root was read).
fn parsed_authorities(
    root: &TrustedRoot,
) -> Result<Vec<(&CertificateAuthority, Vec<Certificate<'_>>)>, KeylessError> {
    root.certificate_authorities
        .iter()
        .map(|ca| {
            let certs = ca
                .chain
                .iter()
                .map(|c| parse_certificate(c))
                .collect::<Result<Vec<_>, _>>()
                .map_err(KeylessError::Certificate)?;
            Ok((ca, certs))
        })
        .collect()
}

/// An authority's certificates above the leaf: CAs that may sign
/// certificates, for code signing if they say what for, with nothing
/// critical this reader does not understand.
fn check_authority_chain(
    ca: &CertificateAuthority,
    chain: &[&Certificate<'_>],
) -> Result<(), KeylessError> {
    for cert in chain {
        let bad = |problem| KeylessError::BadAuthority {
            authority: ca.name.clone(),
            subject: name_text(cert.subject),
            problem,
        };
        if cert.key_usage.is_some_and(|ku| ku & KU_KEY_CERT_SIGN == 0) {
            return Err(bad("whose key usage does not allow signing certificates"));
        }
        if let Some((_, usages)) = &cert.eku
            && !usages
                .iter()
                .any(|u| *u == OID_KP_CODE_SIGNING || *u == OID_ANY_EXTENDED_KEY_USAGE)
        {
            return Err(bad("that is not for code signing"));
        }
        if let Some(oid) = cert.unknown_critical {
            return Err(KeylessError::UnknownCriticalExtension {
                which: "the authority's",
                subject: name_text(cert.subject),
                oid: der::oid_text(oid),
            });
        }
    }
    Ok(())
}

/// The identity a certificate names, as sigstore-go reads it: its first
/// URI, else its first email, else Fulcio's otherName.
pub(crate) fn subject_alt_name(cert: &Certificate<'_>) -> Result<Option<String>, KeylessError> {
    let Some(names) = cert.san else {
        return Ok(None);
    };
    let m = x509::malformed("subject alternative name");
    let bad = |e| KeylessError::Certificate(m(e));
    let text = |bytes: &[u8]| {
        String::from_utf8(bytes.to_vec()).map_err(|_| {
            KeylessError::Certificate(X509Error::Unsupported(
                "a subject alternative name that is not UTF-8".into(),
            ))
        })
    };
    let (mut uri, mut email, mut other) = (None, None, None);
    let mut d = Der::new(names);
    while !d.is_empty() {
        let name = d.read().map_err(bad)?;
        match name.tag {
            0x86 if uri.is_none() => uri = Some(text(name.value)?),
            0x81 if email.is_none() => email = Some(text(name.value)?),
            0xa0 if other.is_none() => {
                let mut o = Der::new(name.value);
                let oid = o.oid().map_err(bad)?;
                let mut explicit = o.enter(der::context(0)).map_err(bad)?;
                o.finish().map_err(bad)?;
                let value = explicit.read().map_err(bad)?;
                explicit.finish().map_err(bad)?;
                if oid == OID_FULCIO_OTHERNAME && value.tag == 0x0c {
                    other = Some(text(value.value)?);
                }
            }
            _ => {}
        }
    }
    Ok(uri.or(email).or(other))
}

/// The OIDC issuer Fulcio recorded: the v2 extension (a DER UTF8String),
/// else the v1 one (the issuer's bytes as they are).
fn oidc_issuer(cert: &Certificate<'_>) -> Result<Option<String>, KeylessError> {
    let text = |bytes: &[u8]| {
        String::from_utf8(bytes.to_vec()).map_err(|_| {
            KeylessError::Certificate(X509Error::Unsupported(
                "an OIDC issuer that is not UTF-8".into(),
            ))
        })
    };
    if let Some(ext) = cert.extension(OID_FULCIO_ISSUER_V2) {
        let value = der::single(ext.value, 0x0c)
            .map_err(|e| KeylessError::Certificate(x509::malformed("OIDC issuer extension")(e)))?;
        return text(value.value).map(Some);
    }
    cert.extension(OID_FULCIO_ISSUER_V1)
        .map(|ext| text(ext.value))
        .transpose()
}

/// What a log entry that verified gives.
struct CheckedEntry {
    logged: Logged,
    /// Its integrated time, when a signed entry timestamp vouches for it.
    set_time: Option<ProvenTime>,
}

/// What the envelope's one signature signed, as log entries name it.
struct Signed<'a> {
    sig: &'a [u8],
    /// SHA-256 of the payload (`dsse` 0.0.1, `intoto` 0.0.2).
    payload_hash: [u8; 32],
    /// SHA-256 of the pre-authentication encoding (`hashedrekord` 0.0.2,
    /// how a Rekor v2 log holds a DSSE envelope).
    pae_digest: [u8; 32],
}

fn check_entry(
    entry: &LogEntry,
    minor_version: u8,
    signed: &Signed<'_>,
    leaf: &Certificate<'_>,
    root: &TrustedRoot,
    now: OffsetDateTime,
) -> Result<CheckedEntry, LogProblem> {
    let log = root
        .tlogs
        .iter()
        .find(|l| l.log_id == entry.log_id)
        .ok_or_else(|| LogProblem::UnknownLog(hex::encode(&entry.log_id)))?;
    // What the log says was logged is this envelope, signed by this
    // certificate.
    check_body(entry, signed, leaf)?;

    let integrated = (entry.integrated_time != 0)
        .then(|| OffsetDateTime::from_unix_timestamp(entry.integrated_time))
        .transpose()
        .map_err(|_| LogProblem::InFuture(entry.integrated_time.to_string()))?;
    if let Some(t) = integrated {
        if t > now + MAX_CLOCK_SKEW {
            return Err(LogProblem::InFuture(rfc3339(t)));
        }
        if !log.valid_at(t) {
            return Err(LogProblem::LogNotValidAt {
                log: log.base_url.clone(),
                time: rfc3339(t),
            });
        }
        // Even unsigned (an inclusion proof alone), a time outside the
        // certificate is a contradiction, as sigstore-go holds.
        if !leaf.valid_at(t) {
            return Err(LogProblem::OutsideValidity { time: rfc3339(t) });
        }
    }
    match (
        minor_version,
        &entry.signed_entry_timestamp,
        &entry.inclusion_proof,
    ) {
        (_, None, None) => return Err(LogProblem::NoInclusion),
        (1, None, _) => return Err(LogProblem::NoPromise),
        (2.., _, None) => return Err(LogProblem::NoProof),
        _ => {}
    }
    let mut set_time = None;
    if let Some(set) = &entry.signed_entry_timestamp {
        let t = integrated.ok_or(LogProblem::BadSet(log.base_url.clone()))?;
        let signed = format!(
            r#"{{"body":"{}","integratedTime":{},"logID":"{}","logIndex":{}}}"#,
            STANDARD.encode(&entry.canonicalized_body),
            entry.integrated_time,
            hex::encode(&entry.log_id),
            entry.log_index
        );
        log.key
            .verify(signed.as_bytes(), set)
            .map_err(|_| LogProblem::BadSet(log.base_url.clone()))?;
        set_time = Some(ProvenTime {
            time: t,
            source: TimeSource::TransparencyLog {
                log: log.base_url.clone(),
                index: entry.log_index,
            },
        });
    }
    let proof_verified = match &entry.inclusion_proof {
        Some(proof) => {
            check_inclusion(&entry.canonicalized_body, proof)?;
            check_checkpoint(proof, log)?;
            true
        }
        None => false,
    };
    Ok(CheckedEntry {
        logged: Logged {
            log: log.base_url.clone(),
            index: entry.log_index,
            proof_verified,
        },
        set_time,
    })
}

/// The entry's body names this envelope's signature, payload and signer:
/// `dsse` 0.0.1 (what Rekor v1 makes of a DSSE envelope today), `intoto`
/// 0.0.2 (what it made before), or `hashedrekord` 0.0.2 over the digest of
/// the envelope's pre-authentication encoding (how Rekor v2 logs one). The
/// payload type is in neither v1 body: the signature over the PAE, checked
/// before, binds it.
fn check_body(
    entry: &LogEntry,
    signed: &Signed<'_>,
    leaf: &Certificate<'_>,
) -> Result<(), LogProblem> {
    let body: Value = serde_json::from_slice(&entry.canonicalized_body)
        .map_err(|_| LogProblem::Body("is not JSON"))?;
    let (kind, version) = (
        body["kind"].as_str().unwrap_or_default(),
        body["apiVersion"].as_str().unwrap_or_default(),
    );
    if kind != entry.kind || version != entry.version {
        return Err(LogProblem::KindMismatch {
            said: shown(&format!("{} {}", entry.kind, entry.version)),
            found: shown(&format!("{kind} {version}")),
        });
    }
    let spec = &body["spec"];
    if (kind, version) == ("hashedrekord", "0.0.2") {
        return check_hashedrekord_v2(&spec["hashedRekordV002"], signed, leaf);
    }
    let (logged_sig, verifier, hash) = match (kind, version) {
        ("dsse", "0.0.1") => {
            let sigs = spec["signatures"]
                .as_array()
                .ok_or(LogProblem::Body("has no spec.signatures"))?;
            let [one] = sigs.as_slice() else {
                return Err(LogProblem::Body("does not hold exactly one signature"));
            };
            let logged = b64(&one["signature"], "signature")?;
            (
                logged,
                b64(&one["verifier"], "verifier")?,
                &spec["payloadHash"],
            )
        }
        ("intoto", "0.0.2") => {
            let content = &spec["content"];
            let sigs = content["envelope"]["signatures"]
                .as_array()
                .ok_or(LogProblem::Body("has no spec.content.envelope.signatures"))?;
            let [one] = sigs.as_slice() else {
                return Err(LogProblem::Body("does not hold exactly one signature"));
            };
            // intoto 0.0.2 holds the signature base64 twice over; one
            // that is not is not the envelope's.
            let once = b64(&one["sig"], "signature")?;
            let logged = STANDARD
                .decode(&once)
                .map_err(|_| LogProblem::SignatureMismatch)?;
            (
                logged,
                b64(&one["publicKey"], "publicKey")?,
                &content["payloadHash"],
            )
        }
        _ => {
            return Err(LogProblem::UnsupportedKind {
                kind: shown(kind),
                version: shown(version),
            });
        }
    };
    if logged_sig != signed.sig {
        return Err(LogProblem::SignatureMismatch);
    }
    let pem = ::pem::parse(&verifier).map_err(|_| LogProblem::Body("verifier is not PEM"))?;
    if pem.tag() != "CERTIFICATE" || pem.contents() != leaf.raw {
        return Err(LogProblem::VerifierMismatch);
    }
    if hash["algorithm"].as_str() != Some("sha256") {
        return Err(LogProblem::Body("payloadHash is not sha256"));
    }
    let logged = hash["value"].as_str().unwrap_or_default();
    let actual = hex::encode(signed.payload_hash);
    if !logged.eq_ignore_ascii_case(&actual) {
        return Err(LogProblem::PayloadHashMismatch {
            logged: shown(logged),
            actual,
        });
    }
    Ok(())
}

/// A `hashedrekord` 0.0.2 body (Rekor v2, protobuf JSON): `data` is the
/// SHA-256 of the PAE, base64; `signature.content` the signature, base64;
/// `signature.verifier.x509Certificate.rawBytes` the signing certificate,
/// base64 DER (a bare `publicKey` verifier names no identity).
fn check_hashedrekord_v2(
    spec: &Value,
    signed: &Signed<'_>,
    leaf: &Certificate<'_>,
) -> Result<(), LogProblem> {
    if !spec.is_object() {
        return Err(LogProblem::Body("has no spec.hashedRekordV002"));
    }
    let signature = &spec["signature"];
    if b64(&signature["content"], "signature.content")? != signed.sig {
        return Err(LogProblem::SignatureMismatch);
    }
    let cert = &signature["verifier"]["x509Certificate"]["rawBytes"];
    if cert.is_null() {
        return Err(LogProblem::VerifierMismatch);
    }
    if b64(cert, "signature.verifier.x509Certificate.rawBytes")? != leaf.raw {
        return Err(LogProblem::VerifierMismatch);
    }
    let data = &spec["data"];
    if data["algorithm"].as_str() != Some("SHA2_256") {
        return Err(LogProblem::Body("data is not a SHA2_256 digest"));
    }
    let logged = b64(&data["digest"], "data.digest")?;
    if logged != signed.pae_digest {
        return Err(LogProblem::PaeDigestMismatch {
            logged: shown(&hex::encode(&logged)),
            actual: hex::encode(signed.pae_digest),
        });
    }
    Ok(())
}

fn b64(value: &Value, what: &'static str) -> Result<Vec<u8>, LogProblem> {
    let text = value.as_str().ok_or(LogProblem::BodyMissing(what))?;
    STANDARD
        .decode(text)
        .map_err(|_| LogProblem::BodyBase64(what))
}

/// RFC 6962's hash of a leaf and of two children.
fn leaf_hash(body: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(body);
    h.finalize().into()
}

fn node_hash(left: &[u8], right: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root an inclusion proof leads to from `body` (RFC 9162 2.1.3.2):
/// the audit path must have exactly as many hashes as the leaf's place
/// needs, each 32 bytes (at most 64, bounded when read).
pub(crate) fn proof_root(
    body: &[u8],
    index: u64,
    size: u64,
    hashes: &[Vec<u8>],
) -> Result<[u8; 32], LogProblem> {
    if index >= size {
        return Err(LogProblem::Proof("the leaf index is not inside the tree"));
    }
    let inner = (64 - (index ^ (size - 1)).leading_zeros()) as usize;
    let border = index.checked_shr(inner as u32).unwrap_or(0).count_ones() as usize;
    if hashes.len() != inner + border {
        return Err(LogProblem::Proof(
            "the audit path has not as many hashes as the tree needs",
        ));
    }
    if hashes.iter().any(|h| h.len() != 32) {
        return Err(LogProblem::Proof("a hash is not 32 bytes"));
    }
    let mut h = leaf_hash(body);
    for (i, p) in hashes[..inner].iter().enumerate() {
        h = if (index >> i) & 1 == 1 {
            node_hash(p, &h)
        } else {
            node_hash(&h, p)
        };
    }
    for p in &hashes[inner..] {
        h = node_hash(p, &h);
    }
    Ok(h)
}

fn check_inclusion(body: &[u8], proof: &LogProof) -> Result<(), LogProblem> {
    let computed = proof_root(body, proof.log_index, proof.tree_size, &proof.hashes)?;
    if computed.as_slice() != proof.root_hash.as_slice() {
        return Err(LogProblem::RootMismatch {
            computed: hex::encode(computed),
            given: shown(&hex::encode(&proof.root_hash)),
        });
    }
    Ok(())
}

/// The checkpoint (a signed note: origin, tree size, root hash, optional
/// lines, a blank line, then `— NAME BASE64(KEYHINT‖SIGNATURE)` lines) is
/// signed by the log's key and commits to the proof's tree size and root.
fn check_checkpoint(proof: &LogProof, log: &LogKey) -> Result<(), LogProblem> {
    let text = proof.checkpoint.as_str();
    if text.len() > MAX_CHECKPOINT_BYTES {
        return Err(LogProblem::Checkpoint("is too long"));
    }
    let split = text.find("\n\n").ok_or(LogProblem::Checkpoint(
        "has no blank line before its signatures",
    ))?;
    let (note, signatures) = (&text[..=split], &text[split + 2..]);
    let mut lines = note.lines();
    let (Some(_origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next()) else {
        return Err(LogProblem::Checkpoint("has fewer than three lines"));
    };
    let size: u64 = size
        .parse()
        .ok()
        .filter(|_| size.bytes().all(|b| b.is_ascii_digit()))
        .ok_or(LogProblem::Checkpoint("tree size is not a number"))?;
    let root = STANDARD
        .decode(root)
        .map_err(|_| LogProblem::Checkpoint("root hash is not base64"))?;
    if size != proof.tree_size {
        return Err(LogProblem::Checkpoint(
            "is for another tree size than the inclusion proof's",
        ));
    }
    if root != proof.root_hash {
        return Err(LogProblem::Checkpoint(
            "names another root hash than the inclusion proof's",
        ));
    }
    let hint = log.log_id.get(..4).unwrap_or_default();
    let mut signed = false;
    for (n, line) in signatures.lines().enumerate() {
        if n == MAX_CHECKPOINT_SIGNATURES {
            return Err(LogProblem::Checkpoint("has too many signature lines"));
        }
        let Some((name, sig)) = line
            .strip_prefix("\u{2014} ")
            .and_then(|rest| rest.split_once(' '))
        else {
            continue;
        };
        let Ok(bytes) = STANDARD.decode(sig) else {
            continue;
        };
        // The key hint picks the key; the name must be the log's (as
        // sigstore-js has it: part of its URL).
        if bytes.len() > 4
            && &bytes[..4] == hint
            && !name.is_empty()
            && log.base_url.contains(name)
            && log.key.verify(note.as_bytes(), &bytes[4..]).is_ok()
        {
            signed = true;
            break;
        }
    }
    if !signed {
        return Err(LogProblem::CheckpointSignature(log.base_url.clone()));
    }
    Ok(())
}

/// Verify the SCTs embedded in the signing certificate (RFC 6962 3.3)
/// against the root's certificate transparency logs: at least one must
/// verify, over the precertificate (the certificate's TBS without its SCT
/// list) and its issuer's key hash. Returns how many verified.
fn verify_scts(
    leaf: &Certificate<'_>,
    issuer: Option<&Certificate<'_>>,
    root: &TrustedRoot,
) -> Result<usize, KeylessError> {
    let sct = |p| KeylessError::Sct(p);
    let ext = leaf.extension(OID_SCT_LIST).ok_or(sct(SctProblem::None))?;
    let issuer = issuer.ok_or(sct(SctProblem::NoIssuer))?;
    let list = der::single(ext.value, der::OCTET_STRING)
        .map_err(|_| sct(SctProblem::Malformed("not an OCTET STRING")))?
        .value;
    let scts = tls_list(list).ok_or(sct(SctProblem::Malformed("bad list length")))?;
    if scts.is_empty() {
        return Err(sct(SctProblem::None));
    }
    if scts.len() > MAX_SCTS {
        return Err(sct(SctProblem::TooMany));
    }
    let tbs = precertificate_tbs(leaf.tbs, ext.raw).ok_or(sct(SctProblem::Malformed(
        "the certificate cannot be read back",
    )))?;
    let issuer_key_hash = Sha256::digest(issuer.spki);
    let mut verified: Vec<&[u8]> = Vec::new();
    for one in &scts {
        let Some(parsed) = parse_sct(one) else {
            return Err(sct(SctProblem::Malformed("an SCT does not parse")));
        };
        let Some(log) = root.ctlogs.iter().find(|l| l.log_id == parsed.log_id) else {
            continue;
        };
        let Some(when) =
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(parsed.timestamp) * 1_000_000)
                .ok()
        else {
            continue;
        };
        // A hash other than SHA-256 (4) is not what CT logs sign with.
        if !log.valid_at(when) || parsed.hash != 4 || verified.contains(&parsed.log_id) {
            continue;
        }
        let mut signed = Vec::with_capacity(tbs.len() + 64);
        signed.extend_from_slice(&[0, 0]); // v1, certificate_timestamp
        signed.extend_from_slice(&parsed.timestamp.to_be_bytes());
        signed.extend_from_slice(&[0, 1]); // precert_entry
        signed.extend_from_slice(&issuer_key_hash);
        let len = u32::try_from(tbs.len()).ok().filter(|n| *n < 1 << 24);
        let Some(len) = len else {
            continue;
        };
        signed.extend_from_slice(&len.to_be_bytes()[1..]);
        signed.extend_from_slice(&tbs);
        signed.extend_from_slice(&(parsed.extensions.len() as u16).to_be_bytes());
        signed.extend_from_slice(parsed.extensions);
        if log.key.verify(&signed, parsed.signature).is_ok() {
            verified.push(parsed.log_id);
        }
    }
    if verified.is_empty() {
        return Err(sct(SctProblem::NoneVerified(scts.len())));
    }
    Ok(verified.len())
}

/// A TLS vector of 16-bit-length-prefixed items, itself 16-bit-length
/// prefixed (an SCT list).
fn tls_list(bytes: &[u8]) -> Option<Vec<&[u8]>> {
    let (len, mut rest) = take16(bytes)?;
    if usize::from(len) != rest.len() {
        return None;
    }
    let mut out = Vec::new();
    while !rest.is_empty() {
        if out.len() > MAX_SCTS {
            break;
        }
        let (n, after) = take16(rest)?;
        let n = usize::from(n);
        if after.len() < n {
            return None;
        }
        out.push(&after[..n]);
        rest = &after[n..];
    }
    Some(out)
}

fn take16(bytes: &[u8]) -> Option<(u16, &[u8])> {
    let (head, rest) = bytes.split_at_checked(2)?;
    Some((u16::from_be_bytes([head[0], head[1]]), rest))
}

struct Sct<'a> {
    log_id: &'a [u8],
    timestamp: u64,
    extensions: &'a [u8],
    hash: u8,
    signature: &'a [u8],
}

fn parse_sct(bytes: &[u8]) -> Option<Sct<'_>> {
    let (&version, rest) = bytes.split_first()?;
    if version != 0 {
        return None;
    }
    let (log_id, rest) = rest.split_at_checked(32)?;
    let (ts, rest) = rest.split_at_checked(8)?;
    let timestamp = u64::from_be_bytes(ts.try_into().ok()?);
    let (n, rest) = take16(rest)?;
    let (extensions, rest) = rest.split_at_checked(usize::from(n))?;
    let (&hash, rest) = rest.split_first()?;
    let (_sig_alg, rest) = rest.split_first()?;
    let (n, rest) = take16(rest)?;
    if rest.len() != usize::from(n) {
        return None;
    }
    Some(Sct {
        log_id,
        timestamp,
        extensions,
        hash,
        signature: rest,
    })
}

/// The TBSCertificate the CT log signed: the certificate's, without the
/// extension `sct_ext` (the whole Extension, as written), re-encoded.
fn precertificate_tbs(tbs: &[u8], sct_ext: &[u8]) -> Option<Vec<u8>> {
    let outer = der::single(tbs, der::SEQUENCE).ok()?;
    let mut fields = Der::new(outer.value);
    let mut out = Vec::with_capacity(tbs.len());
    while !fields.is_empty() {
        let field = fields.read().ok()?;
        if field.tag != der::context(3) {
            out.extend_from_slice(field.raw);
            continue;
        }
        let list = der::single(field.value, der::SEQUENCE).ok()?;
        let mut exts = Der::new(list.value);
        let mut kept = Vec::with_capacity(list.value.len());
        while !exts.is_empty() {
            let ext = exts.read().ok()?;
            if ext.raw != sct_ext {
                kept.extend_from_slice(ext.raw);
            }
        }
        out.extend(der::tlv(der::context(3), &der::tlv(der::SEQUENCE, &kept)));
    }
    Some(der::tlv(der::SEQUENCE, &out))
}

// ---------------------------------------------------------------------------
// Attestations

/// What a keyless artifact was verified to hold: a TACOS statement, and
/// who signed it when.
#[derive(Debug)]
pub struct KeylessArtifact {
    pub statement: Statement<Value>,
    pub signer: Verified,
}

/// The in-toto envelope of a keyless bundle, verified.
fn verified_payload(
    bytes: &[u8],
    root: &TrustedRoot,
    identity: &Identity,
) -> Result<(Verified, Vec<u8>), KeylessError> {
    if sigstore::shape(bytes) != sigstore::Shape::Bundle {
        return Err(KeylessError::NotBundle);
    }
    let contents = sigstore::keyless_contents(bytes)?;
    if contents.envelope.payload_type != INTOTO_PAYLOAD_TYPE {
        return Err(KeylessError::PayloadType(shown(
            &contents.envelope.payload_type,
        )));
    }
    verify_contents(&contents, root, identity, OffsetDateTime::now_utc())
}

/// A package's artifact, keyless: [`verify`], then an in-toto Statement v1
/// of the TACOS predicate type (which package it names is the caller's
/// check).
pub fn verify_artifact(
    bytes: &[u8],
    root: &TrustedRoot,
    identity: &Identity,
) -> Result<KeylessArtifact, KeylessError> {
    let (signer, payload) = verified_payload(bytes, root, identity)?;
    let statement: Statement<Value> =
        serde_json::from_slice(&payload).map_err(|e| VerifyError::NotStatement(e.to_string()))?;
    super::check_frame(&statement, PREDICATE_TYPE)?;
    Ok(KeylessArtifact { statement, signer })
}

/// An application report's artifact, keyless: [`verify`], then an in-toto
/// Statement v1 of the report predicate type, its predicate left unbuilt.
pub fn verify_report_artifact(
    bytes: Vec<u8>,
    root: &TrustedRoot,
    identity: &Identity,
) -> Result<(VerifiedReport, Verified), KeylessError> {
    let (signer, payload) = verified_payload(&bytes, root, identity)?;
    drop(bytes);
    let statement: Statement<serde::de::IgnoredAny> =
        serde_json::from_slice(&payload).map_err(|e| VerifyError::NotStatement(e.to_string()))?;
    super::check_frame(&statement, REPORT_PREDICATE_TYPE)?;
    Ok((
        VerifiedReport {
            payload,
            stamps: Default::default(),
        },
        signer,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oid_constants_are_the_named_arcs() {
        for (oid, dotted) in [
            (OID_FULCIO_ISSUER_V1, "1.3.6.1.4.1.57264.1.1"),
            (OID_FULCIO_ISSUER_V2, "1.3.6.1.4.1.57264.1.8"),
            (OID_FULCIO_OTHERNAME, "1.3.6.1.4.1.57264.1.7"),
            (OID_SCT_LIST, "1.3.6.1.4.1.11129.2.4.2"),
            (OID_KP_CODE_SIGNING, "1.3.6.1.5.5.7.3.3"),
            (OID_ANY_EXTENDED_KEY_USAGE, "2.5.29.37.0"),
        ] {
            assert_eq!(der::oid_text(oid), dotted);
        }
    }

    #[test]
    fn patterns_match_the_whole_value() {
        let m = Matcher::pattern("https://github.com/org/.*").unwrap();
        assert!(m.matches("https://github.com/org/repo/.github/workflows/x.yml@refs/heads/main"));
        assert!(!m.matches("https://evil.example/?https://github.com/org/x"));
        let m = Matcher::pattern("https://github.com/org/").unwrap();
        assert!(!m.matches("https://github.com/org/repo"));
        // An alternation is anchored as a whole, not only its ends.
        let m = Matcher::pattern("a|b").unwrap();
        assert!(m.matches("a") && m.matches("b") && !m.matches("ab") && !m.matches("xa"));
        assert!(Matcher::pattern("(").is_err());
        assert_eq!(
            Matcher::Exact("x\u{1b}y".into()).to_string(),
            format!("{:?}", crate::term::escape("x\u{1b}y"))
        );
    }

    /// RFC 9162's proof over trees built here: every leaf of every tree
    /// up to 20 leaves leads back to the root, and any change does not.
    #[test]
    fn inclusion_proofs_lead_to_the_root() {
        fn root_of(leaves: &[[u8; 32]]) -> [u8; 32] {
            if leaves.len() == 1 {
                return leaves[0];
            }
            let k = leaves.len().next_power_of_two() / 2;
            node_hash(&root_of(&leaves[..k]), &root_of(&leaves[k..]))
        }
        fn path(leaves: &[[u8; 32]], m: usize) -> Vec<Vec<u8>> {
            if leaves.len() == 1 {
                return vec![];
            }
            let k = leaves.len().next_power_of_two() / 2;
            if m < k {
                let mut p = path(&leaves[..k], m);
                p.push(root_of(&leaves[k..]).to_vec());
                p
            } else {
                let mut p = path(&leaves[k..], m - k);
                p.push(root_of(&leaves[..k]).to_vec());
                p
            }
        }
        for n in 1..=20u64 {
            let bodies: Vec<Vec<u8>> = (0..n).map(|i| format!("entry {i}").into_bytes()).collect();
            let leaves: Vec<[u8; 32]> = bodies.iter().map(|b| leaf_hash(b)).collect();
            let root = root_of(&leaves);
            for m in 0..n {
                let p = path(&leaves, m as usize);
                assert_eq!(proof_root(&bodies[m as usize], m, n, &p).unwrap(), root);
                if let Some(first) = p.first() {
                    let mut bad = p.clone();
                    bad[0][0] ^= 1;
                    assert_ne!(proof_root(&bodies[m as usize], m, n, &bad).unwrap(), root);
                    assert_ne!(first, &root.to_vec());
                }
                let mut longer = p.clone();
                longer.push(vec![0; 32]);
                assert!(proof_root(&bodies[m as usize], m, n, &longer).is_err());
            }
            assert!(proof_root(b"x", n, n, &[]).is_err());
        }
        // The largest tree and index the types allow are arithmetic, not panics.
        assert!(proof_root(b"x", u64::MAX - 1, u64::MAX, &[]).is_err());
        assert!(proof_root(b"x", 0, 0, &[]).is_err());
    }

    /// A keyless bundle's members, as the reader takes them: a minimal
    /// one, then each edit.
    fn read(edit: impl FnOnce(&mut Value)) -> Result<KeylessContents, BundleError> {
        let mut v = serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.1",
            "verificationMaterial": {
                "x509CertificateChain": {"certificates": [{"rawBytes": "AQID"}, {"rawBytes": "BAUG"}]},
                "tlogEntries": [{
                    "logIndex": "7",
                    "logId": {"keyId": "AAAA"},
                    "kindVersion": {"kind": "dsse", "version": "0.0.1"},
                    "integratedTime": 1700000000,
                    "inclusionPromise": {"signedEntryTimestamp": "AAAA"},
                    "canonicalizedBody": "e30="
                }]
            },
            "dsseEnvelope": {"payload": "e30=", "payloadType": "x", "signatures": []}
        });
        edit(&mut v);
        sigstore::keyless_contents(v.to_string().as_bytes())
    }

    #[test]
    fn keyless_bundles_are_read_in_every_version_and_spelling() {
        let c = read(|_| {}).unwrap();
        assert_eq!(c.minor_version, 1);
        // The leaf is the chain's first; the rest is never used.
        assert_eq!(c.certificate, [1, 2, 3]);
        let e = &c.tlog_entries[0];
        assert_eq!((e.log_index, e.integrated_time), (7, 1_700_000_000));
        assert_eq!(e.canonicalized_body, b"{}");
        assert!(e.inclusion_proof.is_none());
        // protobuf's own field names; v0.3's single certificate.
        let c = read(|v| {
            v["mediaType"] = "application/vnd.dev.sigstore.bundle.v0.3+json".into();
            let vm = v["verificationMaterial"].as_object_mut().unwrap();
            vm.remove("x509CertificateChain");
            vm.insert(
                "certificate".into(),
                serde_json::json!({"raw_bytes": "BwgJ"}),
            );
            let entries = vm.remove("tlogEntries").unwrap();
            vm.insert("tlog_entries".into(), entries);
        })
        .unwrap();
        assert_eq!((c.minor_version, c.certificate), (3, vec![7, 8, 9]));
        assert_eq!(c.tlog_entries.len(), 1);
    }

    #[test]
    fn keyless_bundles_that_are_not_are_named() {
        let both = read(|v| {
            v["verificationMaterial"]["certificate"] = serde_json::json!({"rawBytes": "AQID"})
        })
        .unwrap_err();
        assert!(matches!(both, BundleError::Certificate(_)), "{both}");
        let empty = read(|v| {
            v["verificationMaterial"]["x509CertificateChain"]["certificates"] =
                serde_json::json!([])
        })
        .unwrap_err();
        assert_eq!(
            empty,
            BundleError::Certificate("x509CertificateChain is empty")
        );
        let e =
            read(|v| v["verificationMaterial"]["tlogEntries"][0]["integratedTime"] = "-5".into())
                .unwrap_err();
        assert!(e.to_string().contains("integratedTime is negative"), "{e}");
        for bad in ["7a", "", "+7", "99999999999999999999"] {
            let e = read(|v| v["verificationMaterial"]["tlogEntries"][0]["logIndex"] = bad.into())
                .unwrap_err();
            assert!(matches!(e, BundleError::Json(_)), "{bad}: {e}");
        }
        let e = read(|v| {
            v["verificationMaterial"]["tlogEntries"][0]
                .as_object_mut()
                .unwrap()
                .remove("canonicalizedBody");
        })
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("tlogEntries[0]: canonicalizedBody is missing"),
            "{e}"
        );
        let e = read(|v| {
            v["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.4".into()
        })
        .unwrap_err();
        assert!(matches!(e, BundleError::MediaType(_)), "{e}");
    }

    /// A key-signed bundle is read as before: its log entries are not
    /// looked into, whatever they hold.
    #[test]
    fn key_signed_bundles_read_past_their_log_entries() {
        let v = serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {"publicKey": {"hint": "k"}, "tlogEntries": [{"logIndex": "x"}]},
            "dsseEnvelope": {"payload": "e30=", "payloadType": "x", "signatures": []}
        });
        sigstore::contents(v.to_string().as_bytes()).unwrap();
        // and v0.1 media types stay keyless-only.
        let mut v = v;
        v["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.1".into();
        assert!(matches!(
            sigstore::contents(v.to_string().as_bytes()),
            Err(BundleError::MediaType(_))
        ));
    }

    #[test]
    fn sct_lists_are_read_strictly() {
        assert_eq!(tls_list(&[0, 0]).unwrap().len(), 0);
        assert!(tls_list(&[0, 3, 0, 1]).is_none());
        assert!(tls_list(&[0, 3, 0, 2, 9]).is_none());
        assert_eq!(tls_list(&[0, 3, 0, 1, 9]).unwrap(), [&[9u8][..]]);
        assert!(parse_sct(&[1; 60]).is_none());
        assert!(parse_sct(&[]).is_none());
    }
}
