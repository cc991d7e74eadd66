//! Where an output SBOM finds the artifacts: the URL of each, under a base
//! URL or relative to the SBOM, and the base URL itself, refused when it
//! would publish a secret.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use url::Url;

use crate::attest::Sha256Hex;
use crate::fsutil;

/// A base URL (`--base-url`) that cannot prefix the references.
#[derive(Debug, thiserror::Error)]
pub enum BaseUrlError {
    #[error(
        "--base-url {shown} is not a URL ({source}); give an absolute URL such as https://example.com/attestations/"
    )]
    NotAUrl {
        /// The value, or a note that it is not shown: an unparsable URL
        /// cannot be redacted, and may hold a secret.
        shown: String,
        #[source]
        source: url::ParseError,
    },
    #[error(
        "--base-url {shown} carries credentials (user name, password or a secret query parameter); \
         reference URLs are written into the SBOM, which is shared: give the URL readers use, without credentials"
    )]
    Credentials { shown: String },
    #[error("--base-url {shown} must be an http, https or file URL that can hold paths")]
    NotAPlace { shown: String },
    #[error("--base-url {shown} must not have a query or fragment")]
    QueryOrFragment { shown: String },
}

/// The base URL the references are written under: absolute, http(s) or
/// file, without credentials (it is written into every reference of an
/// SBOM that is shared), a query or a fragment.
pub fn base_url(s: &str) -> Result<Url, BaseUrlError> {
    let url = Url::parse(s).map_err(|source| BaseUrlError::NotAUrl {
        // An unparsable URL cannot be redacted; never echo what may hold a secret.
        shown: if s.contains(['@', '?', '#']) {
            "(not shown: it may hold credentials)".to_string()
        } else {
            format!("{s:?}")
        },
        source,
    })?;
    // The redaction every message uses (redact::redact) decides what
    // counts as a secret; the base URL is written into every reference.
    let shown = crate::redact::redact(&url);
    if !url.username().is_empty() || url.password().is_some() || shown != url.as_str() {
        return Err(BaseUrlError::Credentials { shown });
    }
    if !matches!(url.scheme(), "https" | "http" | "file") || url.cannot_be_a_base() {
        return Err(BaseUrlError::NotAPlace { shown });
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(BaseUrlError::QueryOrFragment { shown });
    }
    Ok(url)
}

/// Where one package's envelope went: its file, and in a bundle its line.
#[derive(Debug, Clone)]
pub(super) struct Placement {
    pub(super) file: String,
    /// The line (from 1) of a bundle that holds the envelope.
    pub(super) line: Option<usize>,
    /// SHA-256 of the file, or of the line (without its line end).
    pub(super) sha256: Sha256Hex,
}

/// Where each package's artifact went, by canonical PURL.
pub(super) type Placed = HashMap<String, Placement>;

/// Where one output SBOM finds the artifacts: under a base URL, or by a path
/// relative to the SBOM's own directory. That directory is resolved once:
/// resolving a path costs a system call per component, and a run links
/// thousands of artifacts.
pub(super) enum Links<'a> {
    Base(String),
    Relative { from: PathBuf, dir: &'a Path },
}

impl<'a> Links<'a> {
    pub(super) fn new(dir: &'a Path, output: &Path, base: Option<&Url>) -> Links<'a> {
        if let Some(base) = base {
            let mut s = base.as_str().to_string();
            if !s.ends_with('/') {
                s.push('/');
            }
            return Links::Base(s);
        }
        let from = output
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(|p| fsutil::absolute(p).unwrap_or_else(|_| p.to_path_buf()))
            .unwrap_or_else(|| fsutil::absolute(Path::new(".")).unwrap_or_default());
        Links::Relative { from, dir }
    }

    /// The URL of an artifact file.
    pub(super) fn url(&self, file_name: &str) -> String {
        match self {
            Links::Base(base) => format!("{base}{file_name}"),
            Links::Relative { from, dir } => fsutil::relative_path(from, &dir.join(file_name))
                .components()
                .map(|c| encode_segment(&c.as_os_str().to_string_lossy()))
                .collect::<Vec<_>>()
                .join("/"),
        }
    }

    /// The URL of a package's envelope: its file's, and in a bundle `#L<line>`.
    pub(super) fn placement(&self, p: &Placement) -> String {
        let mut url = self.url(&p.file);
        if let Some(line) = p.line {
            url.push_str(&format!("#L{line}"));
        }
        url
    }
}

/// Percent-encode a path segment for use in a relative URL.
fn encode_segment(s: &str) -> String {
    crate::percent::encode(s, |c| !crate::percent::is_pchar(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A base URL is refused when it would publish a secret, or cannot
    /// prefix a path; an unparsable one is not echoed if it may hold one.
    #[test]
    fn base_urls_that_would_publish_a_secret_or_hold_no_path_are_refused() {
        let refused = |s: &str| base_url(s).unwrap_err().to_string();
        assert!(refused("https://u:p@example.test/att/").contains("carries credentials"));
        assert!(!refused("https://u:p@example.test/att/").contains("u:p"));
        assert!(refused("ftp://example.test/att/").contains("must be an http, https or file URL"));
        assert!(
            refused("example.test/att?token=s3cret")
                .contains("(not shown: it may hold credentials)")
        );
        assert!(refused("https://example.test/att/?v=1").contains("must not have a query"));
        assert!(refused("not a url").starts_with("--base-url \"not a url\" is not a URL"));
        let ok = base_url("https://example.test/att").unwrap();
        assert_eq!(ok.as_str(), "https://example.test/att");
    }

    /// Artifact links from an SBOM: relative to the SBOM's directory (which
    /// need not exist yet), percent-encoded, or under a base URL with or
    /// without its final slash.
    #[test]
    fn links_are_relative_to_the_sbom_s_directory_or_under_the_base() {
        let root = tempfile::tempdir().unwrap();
        let root = fsutil::absolute(root.path()).unwrap();
        let dir = root.join("att");
        std::fs::create_dir(&dir).unwrap();
        let placement = |line| Placement {
            file: "npm_a b@1.json".into(),
            line,
            sha256: Sha256Hex::of(b""),
        };

        let beside = Links::new(&dir, &dir.join("a.json"), None);
        assert_eq!(beside.url("x.json"), "x.json");
        assert_eq!(beside.url(""), "");
        let below = Links::new(&dir, &root.join("out/deeper/a.json"), None);
        assert_eq!(below.url(""), "../../att");
        assert_eq!(
            below.placement(&placement(None)),
            "../../att/npm_a%20b@1.json"
        );
        assert_eq!(
            below.placement(&placement(Some(7))),
            "../../att/npm_a%20b@1.json#L7"
        );
        for base in ["https://example.test/att", "https://example.test/att/"] {
            let base = Url::parse(base).unwrap();
            let links = Links::new(&dir, &root.join("a.json"), Some(&base));
            assert_eq!(links.url("r.json"), "https://example.test/att/r.json");
        }
    }
}
