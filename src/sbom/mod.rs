//! SBOM documents: format detection, lossless reading and writing, listing
//! components, and adding external references.
//!
//! This module knows nothing of TACOS. It is given references to add (a URL,
//! a SHA-256 and a comment) and a marker that identifies references it added
//! before, so that enriching a document twice replaces rather than duplicates.

mod cyclonedx;
pub mod json;
mod spdx;

use std::borrow::Cow;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use time::OffsetDateTime;

pub use json::{Edited, ParseError};

/// Inputs larger than this are refused before they are read.
pub const MAX_INPUT_BYTES: u64 = 1 << 30;

#[derive(Debug, thiserror::Error)]
pub enum SbomError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: the file is empty")]
    Empty { path: PathBuf },
    #[error("{path}: the file is {size} bytes, over the {limit}-byte limit for an SBOM")]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    #[error("{path}: not a text file ({why}); expected a CycloneDX or SPDX JSON SBOM")]
    NotText { path: PathBuf, why: &'static str },
    #[error("{path}: {source}")]
    InvalidJson {
        path: PathBuf,
        #[source]
        source: ParseError,
    },
    #[error("{path}: not an SBOM: {why}")]
    NotAnSbom { path: PathBuf, why: String },
    #[error("{path}: {what} is not supported yet; convert it to {instead} first")]
    Unsupported {
        path: PathBuf,
        what: String,
        instead: &'static str,
    },
}

impl SbomError {
    pub fn path(&self) -> &Path {
        match self {
            SbomError::Io { path, .. }
            | SbomError::Empty { path }
            | SbomError::TooLarge { path, .. }
            | SbomError::NotText { path, .. }
            | SbomError::InvalidJson { path, .. }
            | SbomError::NotAnSbom { path, .. }
            | SbomError::Unsupported { path, .. } => path,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CdxVersion {
    V1_2,
    V1_3,
    V1_4,
    V1_5,
    V1_6,
    V1_7,
}

impl CdxVersion {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "1.2" => Self::V1_2,
            "1.3" => Self::V1_3,
            "1.4" => Self::V1_4,
            "1.5" => Self::V1_5,
            "1.6" => Self::V1_6,
            "1.7" => Self::V1_7,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1_2 => "1.2",
            Self::V1_3 => "1.3",
            Self::V1_4 => "1.4",
            Self::V1_5 => "1.5",
            Self::V1_6 => "1.6",
            Self::V1_7 => "1.7",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpdxVersion {
    V2_2,
    V2_3,
}

impl SpdxVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V2_2 => "SPDX-2.2",
            Self::V2_3 => "SPDX-2.3",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    CycloneDxJson(CdxVersion),
    SpdxJson(SpdxVersion),
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Format::CycloneDxJson(v) => write!(f, "CycloneDX {} JSON", v.as_str()),
            Format::SpdxJson(v) => write!(f, "{} JSON", v.as_str()),
        }
    }
}

/// Position of a component in the document's traversal order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ComponentId(pub usize);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// What the SBOM describes: CycloneDX `metadata.component`, the package(s)
    /// an SPDX document DESCRIBES.
    Subject,
    /// Everything else.
    Dependency,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hash {
    /// Lowercase, without dashes: `sha256`, `sha512`, `sha1`, `md5`, ...
    pub alg: String,
    /// Lowercase hex.
    pub hex: String,
}

#[derive(Debug, Clone)]
pub struct Component {
    pub id: ComponentId,
    pub role: Role,
    /// CycloneDX `group/name`, SPDX `name`.
    pub name: Option<String>,
    pub version: Option<String>,
    /// The package URL exactly as the document writes it.
    pub purl: Option<String>,
    pub hashes: Vec<Hash>,
    /// A short handle for messages: bom-ref or SPDXID, else name@version.
    pub label: String,
    /// CycloneDX `bom-ref`, which other parts of the BOM link to.
    pub bom_ref: Option<String>,
}

/// A reference this tool adds, and how its earlier references are recognized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub url: String,
    pub sha256: String,
    pub comment: String,
}

/// A reference found in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundReference {
    pub url: String,
    /// From the reference's hashes, else from `sha256:<hex>` in its comment.
    pub sha256: Option<String>,
    /// The digest repeated in the comment, which `verify` holds to `sha256`.
    pub comment_sha256: Option<String>,
}

/// What to tell a document about the tool that changed it.
#[derive(Debug, Clone)]
pub struct Tool {
    pub vendor: String,
    pub name: String,
    pub version: String,
}

/// Everything `enrich` changes in one document.
#[derive(Debug, Clone)]
pub struct Changes<'a> {
    pub component_refs: Vec<(ComponentId, Reference)>,
    /// References about the document as a whole: CycloneDX BOM-level
    /// `externalReferences`; SPDX: on the package the document describes.
    pub document_refs: Vec<Reference>,
    /// Comment prefix of this tool's document-level references.
    pub document_marker: &'a str,
    /// SPDX `referenceType` of this tool's document-level references.
    pub spdx_document_reference_type: &'a str,
    pub tool: &'a Tool,
    /// Top-level members to set (CycloneDX `declarations`/`definitions`),
    /// replacing a member of that name.
    pub root_members: Vec<(String, serde_json::Value)>,
    /// A comment prefix that identifies references this tool wrote.
    pub marker: &'a str,
    /// SPDX `referenceType` of the references this tool writes.
    pub spdx_reference_type: &'a str,
    /// CycloneDX reference type for 1.5 and later (earlier versions use `other`).
    pub cdx_reference_type: &'a str,
    pub now: OffsetDateTime,
}

/// A parsed SBOM that can be written back with changes.
#[derive(Debug)]
pub struct Sbom {
    path: PathBuf,
    format: Format,
    doc: json::Document,
}

impl Sbom {
    /// Read and detect an SBOM. The format comes from the content, not the name.
    pub fn read(path: &Path) -> Result<Sbom, SbomError> {
        let io = |source| SbomError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let meta = file.metadata().map_err(io)?;
        if meta.is_dir() {
            return Err(SbomError::NotAnSbom {
                path: path.to_path_buf(),
                why: "it is a directory".into(),
            });
        }
        if meta.len() > MAX_INPUT_BYTES {
            return Err(SbomError::TooLarge {
                path: path.to_path_buf(),
                size: meta.len(),
                limit: MAX_INPUT_BYTES,
            });
        }
        // Look at the start before reading the rest, so that a large binary
        // file is refused at once.
        let mut head = Vec::with_capacity(8192);
        let mut file = file;
        (&mut file).take(8192).read_to_end(&mut head).map_err(io)?;
        sniff_text(path, &head)?;
        let mut bytes = head;
        bytes.reserve(meta.len() as usize);
        file.take(MAX_INPUT_BYTES)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        Sbom::from_bytes(path, bytes)
    }

    /// Detect and parse an SBOM from bytes; `path` is used in messages.
    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<Sbom, SbomError> {
        sniff_text(path, &bytes)?;
        let text = String::from_utf8(bytes).map_err(|_| SbomError::NotText {
            path: path.to_path_buf(),
            why: "it is not valid UTF-8",
        })?;
        let start = text.trim_start_matches(['\u{FEFF}', ' ', '\t', '\r', '\n']);
        match start.as_bytes().first() {
            None => Err(SbomError::Empty {
                path: path.to_path_buf(),
            }),
            Some(b'{' | b'[') => Sbom::from_json(path, text),
            Some(b'<') => Err(refuse_xml(path, start)),
            _ if looks_like_tag_value(start) => Err(SbomError::Unsupported {
                path: path.to_path_buf(),
                what: "SPDX tag-value".into(),
                instead: "SPDX 2.3 JSON (for example with `pyspdxtools -i IN -o OUT.spdx.json`)",
            }),
            _ => Err(SbomError::NotAnSbom {
                path: path.to_path_buf(),
                why: "it is neither JSON, XML nor SPDX tag-value".into(),
            }),
        }
    }

    fn from_json(path: &Path, text: String) -> Result<Sbom, SbomError> {
        let doc = json::Document::parse(text).map_err(|source| SbomError::InvalidJson {
            path: path.to_path_buf(),
            source,
        })?;
        let not_sbom = |why: &str| SbomError::NotAnSbom {
            path: path.to_path_buf(),
            why: why.to_string(),
        };
        let root = doc.root();
        if !root.is_object() {
            return Err(not_sbom("the top level is not a JSON object"));
        }
        let format = if let Some(bom_format) = doc.get_str(root, "bomFormat") {
            if bom_format != "CycloneDX" {
                return Err(not_sbom(&format!(
                    "bomFormat is {bom_format:?}, expected \"CycloneDX\""
                )));
            }
            let spec = doc.get_str(root, "specVersion").unwrap_or_default();
            match CdxVersion::parse(&spec) {
                Some(v) => Format::CycloneDxJson(v),
                None => {
                    return Err(SbomError::Unsupported {
                        path: path.to_path_buf(),
                        what: format!("CycloneDX specVersion {spec:?}"),
                        instead: "CycloneDX 1.2 to 1.7 JSON",
                    });
                }
            }
        } else if let Some(spdx) = doc.get_str(root, "spdxVersion") {
            match spdx.as_ref() {
                "SPDX-2.2" => Format::SpdxJson(SpdxVersion::V2_2),
                "SPDX-2.3" => Format::SpdxJson(SpdxVersion::V2_3),
                other if other.starts_with("SPDX-3") => return Err(refuse_spdx3(path)),
                other => {
                    return Err(SbomError::Unsupported {
                        path: path.to_path_buf(),
                        what: format!("spdxVersion {other:?}"),
                        instead: "SPDX 2.2 or 2.3 JSON",
                    });
                }
            }
        } else if is_spdx3(&doc) {
            return Err(refuse_spdx3(path));
        } else {
            return Err(not_sbom(
                "it has neither \"bomFormat\" (CycloneDX) nor \"spdxVersion\" (SPDX)",
            ));
        };
        Ok(Sbom {
            path: path.to_path_buf(),
            format,
            doc,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn format(&self) -> Format {
        self.format
    }

    pub fn text(&self) -> &str {
        self.doc.text()
    }

    /// Every component at every nesting depth, the subject(s) included and
    /// marked, in document order.
    pub fn components(&self) -> Vec<Component> {
        match self.format {
            Format::CycloneDxJson(_) => cyclonedx::components(&self.doc),
            Format::SpdxJson(_) => spdx::components(&self.doc),
        }
    }

    /// A name for the document's subject, for reports: its name and version,
    /// or the document name.
    pub fn subject_name(&self) -> Option<String> {
        match self.format {
            Format::CycloneDxJson(_) => cyclonedx::subject_name(&self.doc),
            Format::SpdxJson(_) => spdx::subject_name(&self.doc),
        }
    }

    /// References this tool wrote (recognized by `marker`), per component.
    pub fn found_references(
        &self,
        marker: &str,
        spdx_reference_type: &str,
    ) -> Vec<(ComponentId, FoundReference)> {
        match self.format {
            Format::CycloneDxJson(_) => cyclonedx::found_references(&self.doc, marker),
            Format::SpdxJson(_) => spdx::found_references(&self.doc, spdx_reference_type),
        }
    }

    /// Document-level references this tool wrote.
    pub fn found_document_references(
        &self,
        marker: &str,
        spdx_reference_type: &str,
    ) -> Vec<FoundReference> {
        match self.format {
            Format::CycloneDxJson(_) => cyclonedx::found_document_references(&self.doc, marker),
            Format::SpdxJson(_) => spdx::found_document_references(&self.doc, spdx_reference_type),
        }
    }

    /// Whether a document-level reference has a place: always in CycloneDX;
    /// in SPDX only when the document describes a package.
    pub fn can_hold_document_reference(&self) -> bool {
        match self.format {
            Format::CycloneDxJson(_) => true,
            Format::SpdxJson(_) => spdx::described_package_index(&self.doc).is_some(),
        }
    }

    /// The subject's package URL, if it has one.
    pub fn subject_purl(&self) -> Option<String> {
        self.components()
            .into_iter()
            .find(|c| c.role == Role::Subject)
            .and_then(|c| c.purl)
    }

    /// The source text of a top-level member, if the document has one.
    pub fn root_member_text(&self, key: &str) -> Option<&str> {
        self.doc.root().get(key).map(|n| self.doc.raw(n))
    }

    /// The document with `changes` applied; untouched bytes are copied through.
    pub fn enrich(&self, changes: &Changes<'_>) -> Edited<'_> {
        match self.format {
            Format::CycloneDxJson(v) => cyclonedx::enrich(&self.doc, v, changes),
            Format::SpdxJson(_) => spdx::enrich(&self.doc, changes),
        }
    }
}

fn sniff_text(path: &Path, head: &[u8]) -> Result<(), SbomError> {
    let not_text = |why| SbomError::NotText {
        path: path.to_path_buf(),
        why,
    };
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Err(not_text(
            "it is UTF-16; convert it to UTF-8, e.g. with `iconv -f UTF-16 -t UTF-8`",
        ));
    }
    if head.contains(&0) {
        return Err(not_text("it contains NUL bytes, so it is binary"));
    }
    // The head may end inside a multi-byte character; only an error before
    // the last 3 bytes means the data is not UTF-8.
    if let Err(e) = std::str::from_utf8(head)
        && (e.error_len().is_some() || head.len() - e.valid_up_to() > 3)
    {
        return Err(not_text("it is not valid UTF-8"));
    }
    Ok(())
}

fn refuse_xml(path: &Path, start: &str) -> SbomError {
    let head: String = start.chars().take(4096).collect();
    if head.contains("cyclonedx.org/schema/bom") {
        SbomError::Unsupported {
            path: path.to_path_buf(),
            what: "CycloneDX XML".into(),
            instead: "CycloneDX JSON (for example with `cyclonedx convert --output-format json`)",
        }
    } else if head.contains("spdx.org/rdf") {
        SbomError::Unsupported {
            path: path.to_path_buf(),
            what: "SPDX RDF/XML".into(),
            instead: "SPDX 2.3 JSON",
        }
    } else {
        SbomError::NotAnSbom {
            path: path.to_path_buf(),
            why: "it is XML but not a CycloneDX BOM".into(),
        }
    }
}

fn refuse_spdx3(path: &Path) -> SbomError {
    SbomError::Unsupported {
        path: path.to_path_buf(),
        what: "SPDX 3 JSON-LD".into(),
        instead: "SPDX 2.3 JSON",
    }
}

fn is_spdx3(doc: &json::Document) -> bool {
    let Some(ctx) = doc.root().get("@context") else {
        return false;
    };
    let mentions = |n: &json::Node| doc.str(n).is_some_and(|s| s.contains("spdx.org/rdf/3"));
    mentions(ctx) || ctx.items().iter().any(mentions)
}

fn looks_like_tag_value(text: &str) -> bool {
    text.lines()
        .take(50)
        .any(|l| l.trim_start().starts_with("SPDXVersion:"))
}

/// Normalize a hash algorithm name: `SHA-256` and `SHA256` become `sha256`.
fn normalize_alg(alg: &str) -> String {
    alg.chars()
        .filter(|c| *c != '-' && *c != '_')
        .collect::<String>()
        .to_ascii_lowercase()
}

/// `sha256:<64 hex>` in free text, as this tool writes it in comments.
/// The artifact digest at the position this tool writes it: the end of its
/// reference comment (`...; sha256:<hex>`). Only there: the comment names the
/// PURL first, and a PURL may carry digests of its own
/// (`pkg:oci/x@sha256:...`, `?checksum=sha256:...`).
fn sha256_in_comment(comment: &str) -> Option<String> {
    let comment = comment.trim_end();
    let comment = comment.strip_suffix('.').unwrap_or(comment);
    let at = comment.rfind("sha256:")?;
    let hex = &comment[at + 7..];
    let before = comment[..at].trim_end_matches(' ');
    let marked = before.is_empty() || before.ends_with(';');
    (marked && hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| hex.to_ascii_lowercase())
}

fn label_for(
    handle: Option<Cow<'_, str>>,
    name: Option<&str>,
    version: Option<&str>,
    id: usize,
) -> String {
    if let Some(h) = handle.filter(|h| !h.is_empty()) {
        return h.into_owned();
    }
    match (name, version) {
        (Some(n), Some(v)) => format!("{n}@{v}"),
        (Some(n), None) => n.to_string(),
        _ => format!("component #{}", id + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(bytes: &[u8]) -> String {
        Sbom::from_bytes(Path::new("in.json"), bytes.to_vec())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn refuses_bad_input_with_the_file_and_the_problem() {
        assert_eq!(err(b""), "in.json: the file is empty");
        assert_eq!(err(b"  \n"), "in.json: the file is empty");
        assert!(
            err(b"{\"bomFormat\": \"CycloneDX\", ").starts_with("in.json: invalid JSON at line 1")
        );
        assert_eq!(
            err(b"{\"name\": 1}"),
            "in.json: not an SBOM: it has neither \"bomFormat\" (CycloneDX) nor \"spdxVersion\" (SPDX)"
        );
        assert!(err(b"\x00\x01garbage").contains("binary"));
        assert!(err(b"\xff\xfe{\x00").contains("UTF-16"));
        assert!(err(b"\xc3\x28 not utf8").contains("not valid UTF-8"));
        assert!(err(b"[1,2]").contains("top level is not a JSON object"));
        assert!(err(b"hello").contains("neither JSON, XML nor SPDX tag-value"));
    }

    #[test]
    fn refuses_unsupported_formats_by_content() {
        assert!(
            err(b"<?xml version=\"1.0\"?><bom xmlns=\"http://cyclonedx.org/schema/bom/1.4\"/>")
                .contains("CycloneDX XML is not supported yet")
        );
        assert!(
            err(b"SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n")
                .contains("SPDX tag-value is not supported yet")
        );
        assert!(err(b"{\"@context\": \"https://spdx.org/rdf/3.0.1/spdx-context.jsonld\", \"@graph\": []}")
            .contains("SPDX 3 JSON-LD is not supported yet"));
        assert!(
            err(b"{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"2.0\"}")
                .contains("specVersion \"2.0\"")
        );
    }

    #[test]
    fn finds_sha256_in_comments() {
        let hex = "ab".repeat(32);
        assert_eq!(
            sha256_in_comment(&format!("TACOS; sha256:{hex}.")),
            Some(hex.clone())
        );
        assert_eq!(sha256_in_comment("sha256:abc"), None);
        // The PURL's own digests come first; the artifact's is the marked last one.
        let other = "b".repeat(64);
        assert_eq!(
            sha256_in_comment(&format!(
                "TACOS attestation for pkg:oci/x@sha256:{other}?checksum=sha256:{other} (...); sha256:{hex}"
            )),
            Some(hex.clone())
        );
        assert_eq!(
            sha256_in_comment(&format!(
                "TACOS attestation for pkg:generic/x?checksum=sha256:{other}"
            )),
            None
        );
    }
}
