//! A Sigstore `trusted_root.json` (protobuf-specs `TrustedRoot`, in its
//! JSON form) read for what timestamps are checked against: its
//! `timestampAuthorities`. Pure: the caller reads the file and names it in
//! the message.

use base64::Engine;
use serde::Deserialize;
use thiserror::Error;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::rfc3161::{self, TimestampAuthority};

/// What a trusted root's media type starts with (`+json;version=0.1` and
/// `.v0.2+json` both occur).
const MEDIA_TYPE_PREFIX: &str = "application/vnd.dev.sigstore.trustedroot";
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
    #[error("trusted root: more than {MAX_AUTHORITIES} timestamp authorities")]
    TooMany,
    #[error("trusted root: timestampAuthorities[{index}]: {problem}")]
    Authority {
        index: usize,
        #[source]
        problem: AuthorityProblem,
    },
}

/// What is wrong with one timestamp authority of a trusted root.
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
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TrustedRootJson {
    media_type: String,
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
    start: String,
    #[serde(default)]
    end: Option<String>,
}

fn quoted(text: &str) -> String {
    let short: String = text.chars().take(MAX_QUOTED).collect();
    format!("{:?}", crate::term::escape(&short))
}

/// The largest trusted root read: the public-good instance's is ~10 KB.
const MAX_TRUSTED_ROOT_BYTES: u64 = 4 << 20;

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
}

/// The timestamp authorities of the trusted root in `path`, read once (a
/// regular file, at most 4 MiB) before anything is verified.
pub fn read_timestamp_authorities(
    path: &std::path::Path,
) -> Result<Vec<TimestampAuthority>, TrustRootFileError> {
    let path_buf = || path.to_path_buf();
    let bytes = crate::fsutil::read_regular(path, MAX_TRUSTED_ROOT_BYTES).map_err(|source| {
        TrustRootFileError::Read {
            path: path_buf(),
            source,
        }
    })?;
    let text =
        String::from_utf8(bytes).map_err(|_| TrustRootFileError::NotText { path: path_buf() })?;
    let authorities =
        timestamp_authorities(&text).map_err(|source| TrustRootFileError::Invalid {
            path: path_buf(),
            source,
        })?;
    if authorities.is_empty() {
        return Err(TrustRootFileError::NoAuthorities { path: path_buf() });
    }
    Ok(authorities)
}

/// The timestamp authorities a trusted root names, each checked readable:
/// certificates base64 DER (leaf first), `validFor.start` and optional
/// `validFor.end` RFC 3339 times.
pub fn timestamp_authorities(json: &str) -> Result<Vec<TimestampAuthority>, TrustRootError> {
    let root: TrustedRootJson = serde_json::from_str(json)?;
    if !root.media_type.starts_with(MEDIA_TYPE_PREFIX) {
        return Err(TrustRootError::MediaType(quoted(&root.media_type)));
    }
    if root.timestamp_authorities.len() > MAX_AUTHORITIES {
        return Err(TrustRootError::TooMany);
    }
    root.timestamp_authorities
        .into_iter()
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

fn authority(a: AuthorityJson) -> Result<TimestampAuthority, AuthorityProblem> {
    let certs = a.cert_chain.certificates;
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
    let valid_from = time("validFor.start", &a.valid_for.start)?;
    let valid_until = a
        .valid_for
        .end
        .as_deref()
        .map(|e| time("validFor.end", e))
        .transpose()?;
    if valid_until.is_some_and(|end| end <= valid_from) {
        return Err(AuthorityProblem::EndsBeforeStart);
    }
    let subject = a.subject.unwrap_or(SubjectJson {
        organization: None,
        common_name: None,
    });
    let name = subject
        .common_name
        .filter(|s| !s.is_empty())
        .or(subject.organization.filter(|s| !s.is_empty()))
        .or(a.uri.clone())
        .unwrap_or_else(|| "(unnamed timestamp authority)".into());
    let name: String = name.chars().take(MAX_QUOTED).collect();
    Ok(TimestampAuthority {
        name: crate::term::escape(&name).into_owned(),
        uri: a.uri.map(|u| crate::redact::redact_text(&u)),
        chain,
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
    fn an_empty_root_has_no_authorities() {
        assert!(timestamp_authorities(&root("")).unwrap().is_empty());
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
}
