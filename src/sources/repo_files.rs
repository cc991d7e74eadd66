//! Files in a repository on GitHub, through its contents API (`GET
//! /repos/{owner}/{repo}/contents/{path}`, the default branch): the
//! adapter the Security Insights file (`insights`) and the maintainers'
//! self-attestation are read through. An answer is GitHub's documented
//! shape for a file: `type` file, the path asked, `size` bytes of base64
//! `content`, each checked before anything in it is read. A 401, 403 or
//! 429 (GitHub's rate limits) is no answer this time.

use base64::Engine;
use serde::Deserialize;

use super::adapter::{Adapter, Malformed, Question};
use super::http::Service;
use super::json::quoted;

/// GitHub's REST API, asked one file at a time.
pub const ADAPTER: Adapter = Adapter::online(Service::GitHub);

/// Where the maintainers publish their self-attestation (`attest-self`).
pub const SELF_ATTESTATION_PATH: &str = ".tacos/self-attestation.sigstore.json";
/// The largest self-attestation read (one statement, one certificate).
pub const MAX_SELF_ATTESTATION: usize = 1024 * 1024;
/// Where maintainers who sign with a key commit its public half.
pub const SELF_ATTESTATION_KEY_PATH: &str = ".tacos/self-attestation.pub";
/// A PEM public key is well under this.
pub const MAX_KEY: usize = 16 * 1024;

/// A file's bytes and where a person can see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoFile {
    pub bytes: Vec<u8>,
    /// The file's page on the code host, as the API names it (https only).
    pub html_url: Option<String>,
}

/// The API path of `place` in `repo` (`github.com/owner/repo`).
pub fn path(repo: &str, place: &str) -> String {
    let owner_repo = repo.strip_prefix("github.com/").unwrap_or(repo);
    format!("repos/{owner_repo}/contents/{place}")
}

/// Whether a status is GitHub's "not now" (authentication, rate limits).
pub fn unavailable(status: u16) -> bool {
    matches!(status, 401 | 403 | 429)
}

#[derive(Deserialize)]
struct Contents {
    #[serde(rename = "type")]
    kind: String,
    path: String,
    size: u64,
    encoding: Option<String>,
    content: Option<String>,
    html_url: Option<String>,
}

/// Why GitHub's answer is not the file asked for (the reason evidence quotes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ContentsError(pub String);

/// GitHub's answer for the file at `place`, checked, at most `max` bytes.
pub fn decode(body: &[u8], place: &str, max: usize) -> Result<RepoFile, ContentsError> {
    read(body, place, max).map_err(ContentsError)
}

fn read(body: &[u8], place: &str, max: usize) -> Result<RepoFile, String> {
    let c: Contents = serde_json::from_slice(body)
        .map_err(|e| format!("not GitHub's contents answer for a file: {e}"))?;
    if c.kind != "file" {
        return Err(format!("{place} is a {}, not a file", quoted(&c.kind)));
    }
    if c.path != place {
        return Err(format!(
            "the answer is for {}, not {place}",
            quoted(&c.path)
        ));
    }
    if c.size > max as u64 {
        return Err(format!(
            "{place} is {} bytes, over the {max}-byte limit",
            c.size
        ));
    }
    if c.encoding.as_deref() != Some("base64") {
        return Err(format!(
            "the content is not base64 (encoding {})",
            quoted(c.encoding.as_deref().unwrap_or("none"))
        ));
    }
    let packed: String = c
        .content
        .unwrap_or_default()
        .chars()
        .filter(|ch| !ch.is_ascii_whitespace())
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(packed)
        .map_err(|e| format!("the content is not base64: {e}"))?;
    if bytes.len() as u64 != c.size {
        return Err(format!(
            "the content is {} bytes, the answer says {}",
            bytes.len(),
            c.size
        ));
    }
    let html_url = c
        .html_url
        .filter(|u| u.starts_with("https://") && !u.chars().any(char::is_whitespace));
    Ok(RepoFile { bytes, html_url })
}

/// The maintainers' self-attestation in a repository (`github.com/owner/repo`).
pub struct SelfAttestation;

impl Question for SelfAttestation {
    const ADAPTER: &'static Adapter = &ADAPTER;
    type Key = String;
    type Value = RepoFile;

    fn path(repo: &String) -> String {
        path(repo, SELF_ATTESTATION_PATH)
    }

    fn parse(body: &[u8], _repo: &String) -> Result<RepoFile, Malformed> {
        decode(body, SELF_ATTESTATION_PATH, MAX_SELF_ATTESTATION)
            .map_err(|why| ADAPTER.malformed(why.0))
    }

    fn unavailable(status: u16) -> bool {
        unavailable(status)
    }
}

/// The public key a key-signed self-attestation is checked with, committed
/// beside it in the repository.
pub struct SelfAttestationKey;

impl Question for SelfAttestationKey {
    const ADAPTER: &'static Adapter = &ADAPTER;
    type Key = String;
    type Value = RepoFile;

    fn path(repo: &String) -> String {
        path(repo, SELF_ATTESTATION_KEY_PATH)
    }

    fn parse(body: &[u8], _repo: &String) -> Result<RepoFile, Malformed> {
        decode(body, SELF_ATTESTATION_KEY_PATH, MAX_KEY).map_err(|why| ADAPTER.malformed(why.0))
    }

    fn unavailable(status: u16) -> bool {
        unavailable(status)
    }
}
