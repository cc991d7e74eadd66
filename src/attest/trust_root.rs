//! A Sigstore `trusted_root.json` (protobuf-specs `TrustedRoot`, in its
//! JSON form): the certificate authorities (Fulcio) a signing certificate
//! must chain to, the transparency logs (Rekor) and certificate
//! transparency logs whose keys sign what a bundle says was logged, and the
//! timestamp authorities whose timestamps are believed. Each is checked
//! readable when the root is read, so nothing half-read is trusted. Pure
//! but for [`read_trusted_root`] and [`read_timestamp_authorities`], which
//! read the file and name it in their messages.
//!
//! [`public_good`] is the public-good instance's root as sigstore-python
//! 4.5.1 ships it (`sigstore/_store/https%3A%2F%2Ftuf-repo-cdn.sigstore.dev/trusted_root.json`,
//! Apache-2.0; the same bytes as `tests/fixtures/sigstore/public-good-trusted-root.json`):
//! what keyless verification uses when no root is given. Sigstore's clients
//! refresh theirs over TUF; this one is as current as the build, so a
//! bundle from a log or CA added later fails (never passes wrongly).

use base64::Engine;
use serde::Deserialize;
use thiserror::Error;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::rfc3161::{self, TimestampAuthority};
use super::x509::{SubjectKey, X509Error};

/// What a trusted root's media type starts with (`+json;version=0.1` and
/// `.v0.2+json` both occur).
const MEDIA_TYPE_PREFIX: &str = "application/vnd.dev.sigstore.trustedroot";
/// The most entries of each kind a root may name (the public-good root
/// names two of each).
const MAX_AUTHORITIES: usize = 64;
const MAX_CHAIN: usize = 16;
/// Longest value quoted from the file in a message.
const MAX_QUOTED: usize = 80;

#[derive(Debug, Error)]
pub enum TrustRootError {
    #[error("trusted root: not a Sigstore trusted root: {0}")]
    Json(#[from] serde_json::Error),
    #[error("trusted root: media type {0} is not a Sigstore trusted root's")]
    MediaType(String),
    #[error("trusted root: more than {MAX_AUTHORITIES} {0}")]
    TooMany(&'static str),
    #[error("trusted root: timestampAuthorities[{index}]: {problem}")]
    Authority {
        index: usize,
        #[source]
        problem: AuthorityProblem,
    },
    /// An entry of `certificateAuthorities`, `tlogs` or `ctlogs`.
    #[error("trusted root: {list}[{index}]: {problem}")]
    Entry {
        list: &'static str,
        index: usize,
        /// Boxed: the other variants are small.
        #[source]
        problem: Box<AuthorityProblem>,
    },
}

/// What is wrong with one entry of a trusted root.
#[derive(Debug, thiserror::Error)]
pub enum AuthorityProblem {
    #[error("certChain has no certificates")]
    NoCertificates,
    #[error("certChain has more than {MAX_CHAIN} certificates")]
    TooManyCertificates,
    #[error("certChain.certificates[{0}].rawBytes is not base64")]
    NotBase64(usize),
    #[error("certChain.certificates[{index}] is not a certificate ({source})")]
    NotCertificate {
        index: usize,
        source: rfc3161::TimestampError,
    },
    #[error("{field} {text} is not an RFC 3339 time")]
    Time { field: &'static str, text: String },
    #[error("validFor ends before it starts")]
    EndsBeforeStart,
    #[error("{0} is missing")]
    Missing(&'static str),
    #[error("{0} is not base64")]
    FieldNotBase64(&'static str),
    #[error("hashAlgorithm {0} is not one this tool reads (SHA2_256)")]
    HashAlgorithm(String),
    #[error("publicKey.rawBytes is not a public key ({0})")]
    NotPublicKey(X509Error),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TrustedRootJson {
    media_type: String,
    #[serde(default)]
    certificate_authorities: Vec<AuthorityJson>,
    #[serde(default)]
    tlogs: Vec<LogJson>,
    #[serde(default)]
    ctlogs: Vec<LogJson>,
    #[serde(default)]
    timestamp_authorities: Vec<AuthorityJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthorityJson {
    #[serde(default)]
    subject: Option<SubjectJson>,
    #[serde(default)]
    uri: Option<String>,
    cert_chain: CertChainJson,
    valid_for: TimeRangeJson,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SubjectJson {
    #[serde(default)]
    organization: Option<String>,
    #[serde(default)]
    common_name: Option<String>,
}

#[derive(Deserialize)]
struct CertChainJson {
    certificates: Vec<CertJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CertJson {
    raw_bytes: String,
}

#[derive(Deserialize)]
struct TimeRangeJson {
    #[serde(default)]
    start: Option<String>,
    #[serde(default)]
    end: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogJson {
    #[serde(default)]
    base_url: Option<String>,
    #[serde(default)]
    hash_algorithm: Option<String>,
    #[serde(default)]
    public_key: Option<PublicKeyJson>,
    #[serde(default)]
    log_id: Option<LogIdJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PublicKeyJson {
    #[serde(default)]
    raw_bytes: Option<String>,
    #[serde(default)]
    key_details: Option<String>,
    #[serde(default)]
    valid_for: Option<TimeRangeJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogIdJson {
    key_id: String,
}

fn quoted(text: &str) -> String {
    let short: String = text.chars().take(MAX_QUOTED).collect();
    format!("{:?}", crate::term::escape(&short))
}

/// A value from the file as messages show it: cut short, escaped.
fn shown(text: &str) -> String {
    let short: String = text.chars().take(MAX_QUOTED).collect();
    crate::term::escape(&short).into_owned()
}

/// Everything a trusted root names, each entry checked readable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedRoot {
    /// Fulcio: who may issue signing certificates.
    pub certificate_authorities: Vec<CertificateAuthority>,
    /// Rekor: whose signed entry timestamps and checkpoints are believed.
    pub tlogs: Vec<LogKey>,
    /// Certificate transparency logs: whose SCTs are believed.
    pub ctlogs: Vec<LogKey>,
    /// RFC 3161 timestamp authorities.
    pub timestamp_authorities: Vec<TimestampAuthority>,
    /// Logs (Rekor or CT) left out because their key is of a kind this
    /// tool does not verify with (RSA): `baseUrl (keyDetails)`. Trusting
    /// fewer keys can only make less verify, never more.
    pub unread_logs: Vec<String>,
}

/// A certificate authority a trusted root names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateAuthority {
    /// How messages name it (its subject's common name or organization, or
    /// its URI).
    pub name: String,
    pub uri: Option<String>,
    /// DER certificates: intermediates first, the root (the anchor) last.
    pub chain: Vec<Vec<u8>>,
    pub valid_from: OffsetDateTime,
    /// Open-ended when absent.
    pub valid_until: Option<OffsetDateTime>,
}

/// A transparency log (or certificate transparency log) a trusted root
/// names: its key, and the id entries name it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogKey {
    /// `baseUrl` (credentials removed), how messages name it.
    pub base_url: String,
    /// `logId.keyId`, as entries and SCTs name the log.
    pub log_id: Vec<u8>,
    pub key: SubjectKey,
    /// `publicKey.keyDetails` as written (`PKIX_ECDSA_P256_SHA_256`...).
    pub key_details: String,
    pub valid_from: OffsetDateTime,
    /// Open-ended when absent.
    pub valid_until: Option<OffsetDateTime>,
}

impl LogKey {
    /// Whether the key was trusted at `t` (its `validFor`, end inclusive).
    pub fn valid_at(&self, t: OffsetDateTime) -> bool {
        self.valid_from <= t && self.valid_until.is_none_or(|end| t <= end)
    }
}

impl CertificateAuthority {
    /// Whether the authority was trusted at `t` (its `validFor`, end
    /// inclusive).
    pub fn valid_at(&self, t: OffsetDateTime) -> bool {
        self.valid_from <= t && self.valid_until.is_none_or(|end| t <= end)
    }
}

/// The largest trusted root read: the public-good instance's is ~10 KB.
const MAX_TRUSTED_ROOT_BYTES: u64 = 4 << 20;

/// The embedded public-good trusted root's text (see the module's note).
pub const PUBLIC_GOOD: &str = include_str!("trusted_root.public-good.json");
/// How messages name [`PUBLIC_GOOD`].
pub const PUBLIC_GOOD_NAME: &str =
    "the public-good trusted root built into tacos-sbom (sigstore-python 4.5.1's)";

/// The embedded public-good trusted root, read as any given root is.
pub fn public_good() -> TrustedRoot {
    // A unit test reads it; it is part of the build, not outside input.
    trusted_root(PUBLIC_GOOD).expect("the embedded public-good trusted root reads")
}

/// A trusted root file that cannot serve: unreadable, not text, not a
/// trusted root, or naming no timestamp authority (no timestamp could
/// verify against it).
#[derive(Debug, thiserror::Error)]
pub enum TrustRootFileError {
    #[error("{}: cannot read the trusted root: {source}", path.display())]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{}: trusted root: not UTF-8 text", path.display())]
    NotText { path: std::path::PathBuf },
    #[error("{}: {source}", path.display())]
    Invalid {
        path: std::path::PathBuf,
        source: TrustRootError,
    },
    #[error(
        "{}: trusted root: names no timestamp authorities, so no timestamp could verify against it",
        path.display()
    )]
    NoAuthorities { path: std::path::PathBuf },
    #[error(
        "{}: trusted root: names no certificate authorities, so no signing certificate could verify against it",
        path.display()
    )]
    NoCertificateAuthorities { path: std::path::PathBuf },
}

/// The text of the trusted root in `path` (a regular file, at most 4 MiB).
fn read_text(path: &std::path::Path) -> Result<String, TrustRootFileError> {
    let bytes = crate::fsutil::read_regular(path, MAX_TRUSTED_ROOT_BYTES).map_err(|source| {
        TrustRootFileError::Read {
            path: path.to_path_buf(),
            source,
        }
    })?;
    String::from_utf8(bytes).map_err(|_| TrustRootFileError::NotText {
        path: path.to_path_buf(),
    })
}

/// The timestamp authorities of the trusted root in `path`, read once (a
/// regular file, at most 4 MiB) before anything is verified.
pub fn read_timestamp_authorities(
    path: &std::path::Path,
) -> Result<Vec<TimestampAuthority>, TrustRootFileError> {
    let text = read_text(path)?;
    let authorities =
        timestamp_authorities(&text).map_err(|source| TrustRootFileError::Invalid {
            path: path.to_path_buf(),
            source,
        })?;
    if authorities.is_empty() {
        return Err(TrustRootFileError::NoAuthorities {
            path: path.to_path_buf(),
        });
    }
    Ok(authorities)
}

/// The whole trusted root in `path`, read once (a regular file, at most 4
/// MiB) before anything is verified: for keyless bundles, so it must name
/// a certificate authority.
pub fn read_trusted_root(path: &std::path::Path) -> Result<TrustedRoot, TrustRootFileError> {
    let text = read_text(path)?;
    let root = trusted_root(&text).map_err(|source| TrustRootFileError::Invalid {
        path: path.to_path_buf(),
        source,
    })?;
    if root.certificate_authorities.is_empty() {
        return Err(TrustRootFileError::NoCertificateAuthorities {
            path: path.to_path_buf(),
        });
    }
    Ok(root)
}

/// The timestamp authorities a trusted root names, each checked readable:
/// certificates base64 DER (leaf first), `validFor.start` and optional
/// `validFor.end` RFC 3339 times. The root's other lists are not read.
pub fn timestamp_authorities(json: &str) -> Result<Vec<TimestampAuthority>, TrustRootError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Only {
        media_type: String,
        #[serde(default)]
        timestamp_authorities: Vec<AuthorityJson>,
    }
    let root: Only = serde_json::from_str(json)?;
    check_media_type(&root.media_type)?;
    tsas(root.timestamp_authorities)
}

/// Everything a trusted root names, each entry checked readable: the
/// certificate authorities' and timestamp authorities' chains (base64
/// DER), the logs' keys (base64 DER SubjectPublicKeyInfo) and ids, and
/// every `validFor` (RFC 3339; a start is required, an end optional).
pub fn trusted_root(json: &str) -> Result<TrustedRoot, TrustRootError> {
    let root: TrustedRootJson = serde_json::from_str(json)?;
    check_media_type(&root.media_type)?;
    for (list, n) in [
        ("certificateAuthorities", root.certificate_authorities.len()),
        ("tlogs", root.tlogs.len()),
        ("ctlogs", root.ctlogs.len()),
    ] {
        if n > MAX_AUTHORITIES {
            return Err(TrustRootError::TooMany(list));
        }
    }
    let entry = |list| {
        move |(index, problem): (usize, AuthorityProblem)| TrustRootError::Entry {
            list,
            index,
            problem: Box::new(problem),
        }
    };
    let certificate_authorities = root
        .certificate_authorities
        .into_iter()
        .enumerate()
        .map(|(index, a)| certificate_authority(a).map_err(|p| (index, p)))
        .collect::<Result<_, _>>()
        .map_err(entry("certificateAuthorities"))?;
    let mut unread_logs = Vec::new();
    let mut logs = |logs: Vec<LogJson>, list| {
        let mut keys = Vec::with_capacity(logs.len());
        for (index, l) in logs.into_iter().enumerate() {
            // Real roots still list retired RSA logs (staging's first CT
            // log): skipped by name, while any other unreadable key is an
            // error.
            let details = l.public_key.as_ref().and_then(|k| k.key_details.as_deref());
            if let Some(d) = details.filter(|d| d.contains("RSA")) {
                let url = l.base_url.as_deref().unwrap_or("(no baseUrl)");
                unread_logs.push(format!(
                    "{} ({})",
                    shown(&crate::redact::redact_text(url)),
                    shown(d)
                ));
                continue;
            }
            keys.push(log_key(l).map_err(|p| entry(list)((index, p)))?);
        }
        Ok::<_, TrustRootError>(keys)
    };
    let tlogs = logs(root.tlogs, "tlogs")?;
    let ctlogs = logs(root.ctlogs, "ctlogs")?;
    Ok(TrustedRoot {
        certificate_authorities,
        tlogs,
        ctlogs,
        timestamp_authorities: tsas(root.timestamp_authorities)?,
        unread_logs,
    })
}

fn check_media_type(media_type: &str) -> Result<(), TrustRootError> {
    if media_type.starts_with(MEDIA_TYPE_PREFIX) {
        Ok(())
    } else {
        Err(TrustRootError::MediaType(quoted(media_type)))
    }
}

fn tsas(list: Vec<AuthorityJson>) -> Result<Vec<TimestampAuthority>, TrustRootError> {
    if list.len() > MAX_AUTHORITIES {
        return Err(TrustRootError::TooMany("timestamp authorities"));
    }
    list.into_iter()
        .enumerate()
        .map(|(index, a)| {
            authority(a).map_err(|problem| TrustRootError::Authority { index, problem })
        })
        .collect()
}

fn time(field: &'static str, text: &str) -> Result<OffsetDateTime, AuthorityProblem> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|_| AuthorityProblem::Time {
        field,
        text: quoted(text),
    })
}

/// A `validFor`: its start (required) and end (optional, after the start).
fn range(
    r: &TimeRangeJson,
    start: &'static str,
    end: &'static str,
) -> Result<(OffsetDateTime, Option<OffsetDateTime>), AuthorityProblem> {
    let from = time(
        start,
        r.start.as_deref().ok_or(AuthorityProblem::Missing(start))?,
    )?;
    let until = r.end.as_deref().map(|e| time(end, e)).transpose()?;
    if until.is_some_and(|until| until <= from) {
        return Err(AuthorityProblem::EndsBeforeStart);
    }
    Ok((from, until))
}

/// A certificate chain, each certificate checked readable.
fn chain(certs: &[CertJson]) -> Result<Vec<Vec<u8>>, AuthorityProblem> {
    if certs.is_empty() {
        return Err(AuthorityProblem::NoCertificates);
    }
    if certs.len() > MAX_CHAIN {
        return Err(AuthorityProblem::TooManyCertificates);
    }
    let mut chain = Vec::with_capacity(certs.len());
    for (i, c) in certs.iter().enumerate() {
        let der = base64::engine::general_purpose::STANDARD
            .decode(c.raw_bytes.trim())
            .map_err(|_| AuthorityProblem::NotBase64(i))?;
        rfc3161::check_certificate(&der)
            .map_err(|source| AuthorityProblem::NotCertificate { index: i, source })?;
        chain.push(der);
    }
    Ok(chain)
}

/// How messages name an authority: its subject's CN or O, else its URI.
fn authority_name(subject: Option<SubjectJson>, uri: Option<&str>, unnamed: &str) -> String {
    let subject = subject.unwrap_or(SubjectJson {
        organization: None,
        common_name: None,
    });
    let name = subject
        .common_name
        .filter(|s| !s.is_empty())
        .or(subject.organization.filter(|s| !s.is_empty()))
        .or(uri.map(crate::redact::redact_text))
        .unwrap_or_else(|| unnamed.into());
    shown(&name)
}

fn authority(a: AuthorityJson) -> Result<TimestampAuthority, AuthorityProblem> {
    let chain = chain(&a.cert_chain.certificates)?;
    let (valid_from, valid_until) = range(&a.valid_for, "validFor.start", "validFor.end")?;
    Ok(TimestampAuthority {
        name: authority_name(a.subject, a.uri.as_deref(), "(unnamed timestamp authority)"),
        uri: a.uri.map(|u| crate::redact::redact_text(&u)),
        chain,
        valid_from,
        valid_until,
    })
}

fn certificate_authority(a: AuthorityJson) -> Result<CertificateAuthority, AuthorityProblem> {
    let chain = chain(&a.cert_chain.certificates)?;
    let (valid_from, valid_until) = range(&a.valid_for, "validFor.start", "validFor.end")?;
    Ok(CertificateAuthority {
        name: authority_name(
            a.subject,
            a.uri.as_deref(),
            "(unnamed certificate authority)",
        ),
        uri: a.uri.map(|u| crate::redact::redact_text(&u)),
        chain,
        valid_from,
        valid_until,
    })
}

fn log_key(l: LogJson) -> Result<LogKey, AuthorityProblem> {
    let b64 = |field, text: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| AuthorityProblem::FieldNotBase64(field))
    };
    let key_json = l.public_key.ok_or(AuthorityProblem::Missing("publicKey"))?;
    let raw = key_json
        .raw_bytes
        .as_deref()
        .ok_or(AuthorityProblem::Missing("publicKey.rawBytes"))?;
    let key = SubjectKey::from_spki(&b64("publicKey.rawBytes", raw)?)
        .map_err(AuthorityProblem::NotPublicKey)?;
    let log_id = b64(
        "logId.keyId",
        &l.log_id
            .ok_or(AuthorityProblem::Missing("logId.keyId"))?
            .key_id,
    )?;
    if log_id.is_empty() {
        return Err(AuthorityProblem::Missing("logId.keyId"));
    }
    let valid_for = key_json
        .valid_for
        .as_ref()
        .ok_or(AuthorityProblem::Missing("publicKey.validFor"))?;
    let (valid_from, valid_until) = range(
        valid_for,
        "publicKey.validFor.start",
        "publicKey.validFor.end",
    )?;
    // Only what is signed with the key's own hash is read; another hash
    // named here would be a root this reader misunderstands.
    if let Some(h) = l.hash_algorithm.as_deref()
        && !matches!(h, "SHA2_256" | "HASH_ALGORITHM_UNSPECIFIED")
    {
        return Err(AuthorityProblem::HashAlgorithm(quoted(h)));
    }
    // As written, unless it holds credentials (redacting reparses it).
    let base_url = l.base_url.as_deref().unwrap_or("(no baseUrl)");
    let base_url = match base_url.contains('@') {
        true => crate::redact::redact_text(base_url),
        false => base_url.to_owned(),
    };
    Ok(LogKey {
        base_url: shown(&base_url),
        log_id,
        key,
        key_details: shown(key_json.key_details.as_deref().unwrap_or("")),
        valid_from,
        valid_until,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(authorities: &str) -> String {
        format!(
            r#"{{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":[],"certificateAuthorities":[],"ctlogs":[],"timestampAuthorities":[{authorities}]}}"#
        )
    }

    #[test]
    fn the_built_in_public_good_root_reads_whole() {
        let r = public_good();
        assert_eq!(r.certificate_authorities.len(), 2);
        assert_eq!(r.tlogs.len(), 2);
        assert_eq!(r.ctlogs.len(), 2);
        assert_eq!(r.timestamp_authorities.len(), 1);
    }

    #[test]
    fn an_empty_root_has_no_authorities() {
        assert!(timestamp_authorities(&root("")).unwrap().is_empty());
        assert_eq!(trusted_root(&root("")).unwrap(), TrustedRoot::default());
    }

    #[test]
    fn bad_roots_are_named() {
        let e = timestamp_authorities(r#"{"mediaType":"text/plain"}"#).unwrap_err();
        assert!(e.to_string().contains("\"text/plain\""), "{e}");
        let e = timestamp_authorities("[1]").unwrap_err();
        assert!(matches!(e, TrustRootError::Json(_)), "{e}");
        let e = timestamp_authorities(&root(
            r#"{"certChain":{"certificates":[{"rawBytes":"!!"}]},"validFor":{"start":"2020-01-01T00:00:00Z"}}"#,
        ))
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "trusted root: timestampAuthorities[0]: certChain.certificates[0].rawBytes is not base64"
        );
        let e = timestamp_authorities(&root(
            r#"{"certChain":{"certificates":[{"rawBytes":"MAA="}]},"validFor":{"start":"2020-01-01T00:00:00Z"}}"#,
        ))
        .unwrap_err();
        assert!(e.to_string().contains("is not a certificate"), "{e}");
        let e = timestamp_authorities(&root(
            r#"{"certChain":{"certificates":[]},"validFor":{"start":"2020-01-01T00:00:00Z"}}"#,
        ))
        .unwrap_err();
        assert!(e.to_string().contains("no certificates"), "{e}");
    }

    fn with_log(list: &str, log: &str) -> Result<TrustedRoot, TrustRootError> {
        trusted_root(&format!(
            r#"{{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","{list}":[{log}]}}"#
        ))
    }

    /// A P-256 SubjectPublicKeyInfo (the public-good Rekor key).
    const REKOR_KEY: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2G2Y+2tabdTV5BcGiBIx0a9fAFwrkBbmLSGtks4L3qX6yYY0zufBnhC8Ur/iy55GhWP/9A/bY2LhC30M9+RYtw==";

    #[test]
    fn logs_are_read_with_their_keys_ids_and_windows() {
        let good = format!(
            r#"{{"baseUrl":"https://rekor.example","hashAlgorithm":"SHA2_256","publicKey":{{"rawBytes":"{REKOR_KEY}","keyDetails":"PKIX_ECDSA_P256_SHA_256","validFor":{{"start":"2021-01-12T11:53:27Z","end":"2030-01-01T00:00:00Z"}}}},"logId":{{"keyId":"wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0="}}}}"#
        );
        for list in ["tlogs", "ctlogs"] {
            let root = with_log(list, &good).unwrap();
            let log = if list == "tlogs" {
                &root.tlogs[0]
            } else {
                &root.ctlogs[0]
            };
            assert_eq!(log.base_url, "https://rekor.example");
            assert_eq!(log.log_id.len(), 32);
            assert_eq!(log.key_details, "PKIX_ECDSA_P256_SHA_256");
            assert!(log.valid_at(log.valid_from));
            assert!(log.valid_at(log.valid_until.unwrap()));
            assert!(!log.valid_at(log.valid_from - time::Duration::SECOND));
        }
        for (edit, says) in [
            (
                good.replace(r#""start":"2021-01-12T11:53:27Z","#, ""),
                "publicKey.validFor.start is missing",
            ),
            (
                good.replace(REKOR_KEY, "MAA="),
                "publicKey.rawBytes is not a public key",
            ),
            (
                good.replace(REKOR_KEY, "!"),
                "publicKey.rawBytes is not base64",
            ),
            (
                good.replace("wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=", ""),
                "logId.keyId is missing",
            ),
            (good.replace("SHA2_256\"", "SHA2_384\""), "hashAlgorithm"),
            (
                good.replace("2030-01-01", "2020-01-01"),
                "ends before it starts",
            ),
        ] {
            let e = with_log("tlogs", &edit).unwrap_err().to_string();
            assert!(
                e.starts_with("trusted root: tlogs[0]: ") && e.contains(says),
                "{says}: {e}"
            );
        }
    }

    #[test]
    fn certificate_authorities_need_a_readable_chain_and_a_window() {
        let e = with_log(
            "certificateAuthorities",
            r#"{"certChain":{"certificates":[]},"validFor":{"start":"2020-01-01T00:00:00Z"}}"#,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "trusted root: certificateAuthorities[0]: certChain has no certificates"
        );
        let many = vec![r#"{"certChain":{"certificates":[]},"validFor":{}}"#; MAX_AUTHORITIES + 1];
        let e = with_log("certificateAuthorities", &many.join(",")).unwrap_err();
        assert!(
            matches!(e, TrustRootError::TooMany("certificateAuthorities")),
            "{e}"
        );
    }
}
