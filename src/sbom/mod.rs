//! SBOM documents: format detection, lossless reading and writing, listing
//! components, and adding external references.
//!
//! This module knows nothing of TACOS. It is given references to add (a URL,
//! a SHA-256 and a comment) and a marker that identifies references it added
//! before, so that enriching a document twice replaces rather than duplicates.
//!
//! Formats: CycloneDX 1.2-1.7 JSON (`cyclonedx`) and XML (`cyclonedx_xml`),
//! SPDX 2.2/2.3 JSON (`spdx`) and tag-value (`tagvalue`), SPDX 3.0 JSON-LD
//! (`spdx3`); each in UTF-8 (with or without a byte-order mark) or UTF-16
//! with a byte-order mark (`text`). Every format is read into spans over its
//! text and written by splicing (`splice`), so what is not changed is copied
//! through byte for byte.

mod check;
mod cyclonedx;
mod cyclonedx_xml;
mod input;
pub mod json;
mod spdx;
mod spdx3;
mod splice;
mod tagvalue;
mod text;
mod xml;

pub use input::{STDIO, input_bytes, read_sbom, read_sbom_with};

use std::borrow::Cow;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use time::OffsetDateTime;

pub use json::ParseError;
pub use splice::Edited;
pub use text::Encoding;

/// Inputs larger than this are refused before they are read, unless a lower
/// limit is configured.
pub const MAX_INPUT_BYTES: u64 = 1 << 30;
/// Most components (packages) one document may list.
pub const MAX_COMPONENTS: usize = 200_000;
/// Longest value the tool reads from a document (a name, version, PURL,
/// reference URL or comment), in bytes as written.
pub const MAX_STRING_BYTES: usize = 64 << 10;

/// Bounds on what one document may ask of the reader, so that memory stays
/// within a small multiple of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_input_bytes: u64,
    pub max_components: usize,
    pub max_string_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: MAX_INPUT_BYTES,
            max_components: MAX_COMPONENTS,
            max_string_bytes: MAX_STRING_BYTES,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SbomError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", empty(path))]
    Empty { path: PathBuf },
    #[error("{path}: the file is {size} bytes, over the {limit}-byte limit for an SBOM")]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    #[error("{path}: not a text file ({why}); expected a CycloneDX or SPDX SBOM")]
    NotText { path: PathBuf, why: String },
    #[error("{path}: {source}")]
    InvalidJson {
        path: PathBuf,
        #[source]
        source: ParseError,
    },
    #[error("{path}: invalid XML at line {line}, column {column}: {message}")]
    InvalidXml {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: not an SBOM: {why}")]
    NotAnSbom { path: PathBuf, why: String },
    #[error("{path}: {what} is not supported; {fix}")]
    Unsupported {
        path: PathBuf,
        what: String,
        fix: String,
    },
    #[error("{path}: {at} is {found}; expected {expected}")]
    WrongType {
        path: PathBuf,
        /// Where: a JSON path such as `$.components[3].externalReferences`.
        at: String,
        found: &'static str,
        expected: &'static str,
    },
    #[error(
        "{path}: {at} is {size} bytes long, over the {limit}-byte limit for a value the tool reads"
    )]
    ValueTooLong {
        path: PathBuf,
        at: String,
        size: usize,
        limit: usize,
    },
    #[error("{path}: more than {limit} components; split the SBOM")]
    TooManyComponents { path: PathBuf, limit: usize },
    #[error("{path}: {at}: {why}")]
    Malformed {
        path: PathBuf,
        at: String,
        why: String,
    },
}

/// An empty input, named as a person knows it: `-` is no file, and "-: the
/// file is empty" reads as if a file called `-` were meant.
fn empty(path: &Path) -> String {
    if path == Path::new(input::STDIO) {
        "standard input is empty".into()
    } else {
        format!("{}: the file is empty", path.display())
    }
}

impl SbomError {
    pub fn path(&self) -> &Path {
        match self {
            SbomError::Io { path, .. }
            | SbomError::Empty { path }
            | SbomError::TooLarge { path, .. }
            | SbomError::NotText { path, .. }
            | SbomError::InvalidJson { path, .. }
            | SbomError::InvalidXml { path, .. }
            | SbomError::NotAnSbom { path, .. }
            | SbomError::Unsupported { path, .. }
            | SbomError::WrongType { path, .. }
            | SbomError::ValueTooLong { path, .. }
            | SbomError::TooManyComponents { path, .. }
            | SbomError::Malformed { path, .. } => path,
        }
    }
}

/// Most characters of one value from the input that a message quotes.
const SHOWN_CHARS: usize = 200;

/// A value from the input (a line, a value, a name) as an error message
/// quotes it: at most `SHOWN_CHARS` characters, then its length in bytes, so
/// that a hostile document cannot make a message of megabytes (a 9 MB "line").
/// `{}` shows the text, `{:?}` shows it quoted and escaped. Control characters
/// are the terminal's business (`term::escape`), like everything printed.
#[derive(Clone, Copy)]
struct Shown<'a>(&'a str);

fn shown(s: &str) -> Shown<'_> {
    Shown(s)
}

impl<'a> Shown<'a> {
    /// The part shown, and what follows it: nothing, or the length.
    fn parts(self) -> (&'a str, Option<usize>) {
        match self.0.char_indices().nth(SHOWN_CHARS) {
            Some((cut, _)) => (&self.0[..cut], Some(self.0.len())),
            None => (self.0, None),
        }
    }
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.parts() {
            (head, Some(len)) => write!(f, "{head}... ({len} bytes)"),
            (head, None) => f.write_str(head),
        }
    }
}

impl fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.parts() {
            (head, Some(len)) => write!(f, "{head:?}... ({len} bytes)"),
            (head, None) => write!(f, "{head:?}"),
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
pub enum Spdx3Version {
    V3_0_0,
    V3_0_1,
}

impl Spdx3Version {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V3_0_0 => "3.0.0",
            Self::V3_0_1 => "3.0.1",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    CycloneDxJson(CdxVersion),
    CycloneDxXml(CdxVersion),
    SpdxJson(SpdxVersion),
    SpdxTagValue(SpdxVersion),
    Spdx3Json(Spdx3Version),
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Format::CycloneDxJson(v) => write!(f, "CycloneDX {} JSON", v.as_str()),
            Format::CycloneDxXml(v) => write!(f, "CycloneDX {} XML", v.as_str()),
            Format::SpdxJson(v) => write!(f, "{} JSON", v.as_str()),
            Format::SpdxTagValue(v) => write!(f, "{} tag-value", v.as_str()),
            Format::Spdx3Json(v) => write!(f, "SPDX {} JSON-LD", v.as_str()),
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
    /// CycloneDX `vulnerabilities[]` entries to add after those the
    /// document has (JSON, 1.4 and later; other formats ignore them).
    pub vulnerabilities: Vec<serde_json::Value>,
    /// A comment prefix that identifies references this tool wrote.
    pub marker: &'a str,
    /// SPDX `referenceType` of the references this tool writes.
    pub spdx_reference_type: &'a str,
    /// CycloneDX reference type for 1.5 and later (earlier versions use `other`).
    pub cdx_reference_type: &'a str,
    pub now: OffsetDateTime,
}

/// What a CycloneDX document's `vulnerabilities` already record: each
/// entry's ids (its id and its references' ids), and the entries affecting
/// each `bom-ref`. Kept as lists, not as every (id, ref) pair, so an entry
/// naming thousands of both costs their sum, not their product.
#[derive(Debug, Default)]
pub struct RecordedVulnerabilities {
    entries: Vec<Vec<String>>,
    by_ref: std::collections::HashMap<String, Vec<usize>>,
}

impl RecordedVulnerabilities {
    fn add<'a>(&mut self, ids: &[&str], refs: impl Iterator<Item = &'a str>) {
        let n = self.entries.len();
        self.entries
            .push(ids.iter().map(|i| i.to_ascii_lowercase()).collect());
        for r in refs {
            let at = self.by_ref.entry(r.to_string()).or_default();
            if at.last() != Some(&n) {
                at.push(n);
            }
        }
    }

    /// Whether an entry affecting `bom_ref` names one of `ids`.
    pub fn records(&self, ids: &[String], bom_ref: &str) -> bool {
        self.by_ref.get(bom_ref).is_some_and(|entries| {
            entries.iter().any(|&e| {
                self.entries[e]
                    .iter()
                    .any(|known| ids.iter().any(|i| i.eq_ignore_ascii_case(known)))
            })
        })
    }
}

/// A parsed document, in the layer its format is read with.
#[derive(Debug)]
enum Body {
    /// CycloneDX JSON, SPDX 2 JSON, SPDX 3 JSON-LD.
    Json(json::Document),
    Xml(xml::Document),
    TagValue(tagvalue::Document),
}

/// A parsed SBOM that can be written back with changes.
#[derive(Debug)]
pub struct Sbom {
    path: PathBuf,
    format: Format,
    encoding: Encoding,
    body: Body,
}

impl Sbom {
    /// Read and detect an SBOM. The format comes from the content, not the name.
    pub fn read(path: &Path) -> Result<Sbom, SbomError> {
        Sbom::read_with(path, &Limits::default())
    }

    /// Read and detect an SBOM within `limits`.
    pub fn read_with(path: &Path, limits: &Limits) -> Result<Sbom, SbomError> {
        let bytes = Sbom::read_bytes(path, limits)?;
        Sbom::from_bytes_with(path, bytes, limits)
    }

    /// The bytes of a file that may be an SBOM, within `limits`: refused
    /// before reading the whole of it when it is too large, a directory, or
    /// plainly a binary format or an encoding the tool does not read.
    pub fn read_bytes(path: &Path, limits: &Limits) -> Result<Vec<u8>, SbomError> {
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
        if meta.len() > limits.max_input_bytes {
            return Err(SbomError::TooLarge {
                path: path.to_path_buf(),
                size: meta.len(),
                limit: limits.max_input_bytes,
            });
        }
        // Look at the start before reading the rest, so that a large binary
        // file is refused at once.
        let mut head = Vec::with_capacity(8192);
        let mut file = file;
        (&mut file).take(8192).read_to_end(&mut head).map_err(io)?;
        if let Some(refusal) = refuse_binary_format(path, &head) {
            return Err(refusal);
        }
        text::sniff(path, &head)?;
        let mut bytes = head;
        bytes.reserve(meta.len() as usize);
        // One byte over the limit is enough to know the file grew past it.
        file.take((limits.max_input_bytes + 1).saturating_sub(bytes.len() as u64))
            .read_to_end(&mut bytes)
            .map_err(io)?;
        Ok(bytes)
    }

    /// Detect and parse an SBOM from bytes; `path` is used in messages.
    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<Sbom, SbomError> {
        Sbom::from_bytes_with(path, bytes, &Limits::default())
    }

    /// Detect and parse an SBOM from bytes within `limits`.
    pub fn from_bytes_with(
        path: &Path,
        bytes: Vec<u8>,
        limits: &Limits,
    ) -> Result<Sbom, SbomError> {
        if bytes.len() as u64 > limits.max_input_bytes {
            return Err(SbomError::TooLarge {
                path: path.to_path_buf(),
                size: bytes.len() as u64,
                limit: limits.max_input_bytes,
            });
        }
        if let Some(refusal) = refuse_binary_format(path, &bytes) {
            return Err(refusal);
        }
        let (text, encoding) = text::decode(path, bytes)?;
        let start = text.trim_start_matches([' ', '\t', '\r', '\n']);
        let (format, body) = match start.as_bytes().first() {
            None => {
                return Err(SbomError::Empty {
                    path: path.to_path_buf(),
                });
            }
            Some(b'{' | b'[') => Sbom::from_json(path, text, limits)?,
            Some(b'<') => Sbom::from_xml(path, text, encoding, limits)?,
            _ if tagvalue::looks_like(start) => {
                let doc = tagvalue::Document::parse(path, text, limits)?;
                (Format::SpdxTagValue(doc.version()), Body::TagValue(doc))
            }
            _ if looks_like_spdx_yaml(start) => {
                return Err(SbomError::Unsupported {
                    path: path.to_path_buf(),
                    what: "SPDX YAML".into(),
                    fix: convert_spdx(encoding),
                });
            }
            _ => {
                return Err(SbomError::NotAnSbom {
                    path: path.to_path_buf(),
                    why: "it is neither JSON, XML nor SPDX tag-value".into(),
                });
            }
        };
        Ok(Sbom {
            path: path.to_path_buf(),
            format,
            encoding,
            body,
        })
    }

    fn from_json(path: &Path, text: String, limits: &Limits) -> Result<(Format, Body), SbomError> {
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
        let mut checker = check::Checker::new(&doc, path, limits);
        let format = if let Some(bom_format) =
            checker.member(root, "bomFormat", check::Want::String)?
        {
            let bom_format = doc.str(bom_format).unwrap_or_default();
            if bom_format != "CycloneDX" {
                return Err(not_sbom(&format!(
                    "bomFormat is {:?}, expected \"CycloneDX\"",
                    shown(&bom_format)
                )));
            }
            let spec = checker
                .member(root, "specVersion", check::Want::String)?
                .and_then(|n| doc.str(n))
                .unwrap_or_default();
            match CdxVersion::parse(&spec) {
                Some(v) => Format::CycloneDxJson(v),
                None => {
                    return Err(SbomError::Unsupported {
                        path: path.to_path_buf(),
                        what: format!("CycloneDX specVersion {:?}", shown(&spec)),
                        fix: "tacos-sbom reads CycloneDX 1.2 to 1.7".into(),
                    });
                }
            }
        } else if let Some(v) = checker.member(root, "spdxVersion", check::Want::String)? {
            match doc.str(v).unwrap_or_default().as_ref() {
                "SPDX-2.2" => Format::SpdxJson(SpdxVersion::V2_2),
                "SPDX-2.3" => Format::SpdxJson(SpdxVersion::V2_3),
                other => {
                    return Err(SbomError::Unsupported {
                        path: path.to_path_buf(),
                        what: format!("spdxVersion {:?}", shown(other)),
                        fix: "tacos-sbom reads SPDX 2.2 and 2.3 (JSON and tag-value) and SPDX 3.0 JSON-LD".into(),
                    });
                }
            }
        } else if spdx3::is_spdx3(&doc) {
            let v = spdx3::version(&doc).unwrap_or_default();
            let version = match v.as_str() {
                "3.0.0" => Spdx3Version::V3_0_0,
                "3.0.1" => Spdx3Version::V3_0_1,
                _ => {
                    return Err(SbomError::Unsupported {
                        path: path.to_path_buf(),
                        what: format!("SPDX {} JSON-LD", shown(&v)),
                        fix: "tacos-sbom reads SPDX 3.0.0 and 3.0.1".into(),
                    });
                }
            };
            checker.member(root, "@graph", check::Want::Array)?;
            Format::Spdx3Json(version)
        } else {
            return Err(not_sbom(
                "it has neither \"bomFormat\" (CycloneDX), \"spdxVersion\" (SPDX 2) nor an SPDX 3 \"@context\"",
            ));
        };
        match format {
            Format::CycloneDxJson(_) => cyclonedx::check(&mut checker)?,
            Format::SpdxJson(_) => spdx::check(&mut checker)?,
            _ => spdx3::check(&mut checker)?,
        }
        drop(checker);
        Ok((format, Body::Json(doc)))
    }

    fn from_xml(
        path: &Path,
        text: String,
        encoding: Encoding,
        limits: &Limits,
    ) -> Result<(Format, Body), SbomError> {
        if let Some(refusal) = refuse_spdx_xml(path, &text, encoding) {
            return Err(refusal);
        }
        let doc = xml::Document::parse(path, text)?;
        check_declared_encoding(path, &doc, encoding)?;
        if !doc
            .namespace
            .starts_with("http://cyclonedx.org/schema/bom/")
        {
            return Err(SbomError::NotAnSbom {
                path: path.to_path_buf(),
                why: format!(
                    "it is XML, but its root element <{}> is not in a CycloneDX namespace",
                    shown(&doc.root().qname)
                ),
            });
        }
        let version = cyclonedx_xml::version(path, &doc)?;
        cyclonedx_xml::check(path, &doc, limits)?;
        Ok((Format::CycloneDxXml(version), Body::Xml(doc)))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// The encoding the document came in, and is written back in.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// The document's text, decoded (without a byte-order mark).
    pub fn text(&self) -> &str {
        match &self.body {
            Body::Json(d) => d.text(),
            Body::Xml(d) => d.text(),
            Body::TagValue(d) => d.text(),
        }
    }

    /// The document's bytes as they were read: its text in its encoding.
    /// Decoding gives back the same bytes (it refuses what it could not:
    /// unpaired surrogates, invalid UTF-8), so a step that needs the bytes
    /// again (a digest, a copy) need not read the input twice.
    pub fn bytes(&self) -> Vec<u8> {
        let text = self.text();
        let mut out = Vec::with_capacity(text.len() + 3);
        Edited::new(text, Vec::new())
            .in_encoding(self.encoding)
            .write_to(&mut out)
            .expect("writing to memory does not fail");
        out
    }

    /// Every component at every nesting depth, the subject(s) included and
    /// marked, in document order.
    pub fn components(&self) -> Vec<Component> {
        match (&self.body, self.format) {
            (Body::Json(d), Format::CycloneDxJson(_)) => cyclonedx::components(d),
            (Body::Json(d), Format::SpdxJson(_)) => spdx::components(d),
            (Body::Json(d), _) => spdx3::components(d),
            (Body::Xml(d), _) => cyclonedx_xml::components(d),
            (Body::TagValue(d), _) => d.components(),
        }
    }

    /// A name for the document's subject, for reports: its name and version,
    /// or the document name.
    pub fn subject_name(&self) -> Option<String> {
        match (&self.body, self.format) {
            (Body::Json(d), Format::CycloneDxJson(_)) => cyclonedx::subject_name(d),
            (Body::Json(d), Format::SpdxJson(_)) => spdx::subject_name(d),
            (Body::Json(d), _) => spdx3::subject_name(d),
            (Body::Xml(d), _) => cyclonedx_xml::subject_name(d),
            (Body::TagValue(d), _) => d.subject_name(),
        }
    }

    /// References this tool wrote, per component: recognized by the comment
    /// prefix `marker` (CycloneDX, SPDX 3) or the SPDX 2 reference type.
    pub fn found_references(
        &self,
        marker: &str,
        spdx_reference_type: &str,
    ) -> Vec<(ComponentId, FoundReference)> {
        match (&self.body, self.format) {
            (Body::Json(d), Format::CycloneDxJson(_)) => cyclonedx::found_references(d, marker),
            (Body::Json(d), Format::SpdxJson(_)) => spdx::found_references(d, spdx_reference_type),
            (Body::Json(d), _) => spdx3::found_references(d, marker),
            (Body::Xml(d), _) => cyclonedx_xml::found_references(d, marker),
            (Body::TagValue(d), _) => d.found_references(spdx_reference_type),
        }
    }

    /// Document-level references this tool wrote.
    pub fn found_document_references(
        &self,
        marker: &str,
        spdx_reference_type: &str,
    ) -> Vec<FoundReference> {
        match (&self.body, self.format) {
            (Body::Json(d), Format::CycloneDxJson(_)) => {
                cyclonedx::found_document_references(d, marker)
            }
            (Body::Json(d), Format::SpdxJson(_)) => {
                spdx::found_document_references(d, spdx_reference_type)
            }
            (Body::Json(d), _) => spdx3::found_document_references(d, marker),
            (Body::Xml(d), _) => cyclonedx_xml::found_document_references(d, marker),
            (Body::TagValue(d), _) => d.found_document_references(spdx_reference_type),
        }
    }

    /// Whether a document-level reference has a place: always in CycloneDX;
    /// in SPDX only when the document describes a package.
    pub fn can_hold_document_reference(&self) -> bool {
        match (&self.body, self.format) {
            (_, Format::CycloneDxJson(_) | Format::CycloneDxXml(_)) => true,
            (Body::Json(d), Format::SpdxJson(_)) => spdx::described_package_index(d).is_some(),
            (Body::Json(d), _) => spdx3::described_package_index(d).is_some(),
            (Body::TagValue(d), _) => d.described_package_index().is_some(),
            (Body::Xml(_), _) => false,
        }
    }

    /// The subject's package URL, if it has one.
    pub fn subject_purl(&self) -> Option<String> {
        self.components()
            .into_iter()
            .find(|c| c.role == Role::Subject)
            .and_then(|c| c.purl)
    }

    /// The source text of a top-level JSON member, if the document is JSON
    /// and has one.
    pub fn root_member_text(&self, key: &str) -> Option<&str> {
        match &self.body {
            Body::Json(d) => d.root().get(key).map(|n| d.raw(n)),
            _ => None,
        }
    }

    /// A CycloneDX XML document's metadata, components and vulnerabilities
    /// in the shape of CycloneDX JSON (for a VEX reader); None for other
    /// formats.
    pub fn cyclonedx_xml_vex(&self) -> Option<serde_json::Value> {
        match (&self.body, self.format) {
            (Body::Xml(d), Format::CycloneDxXml(_)) => Some(cyclonedx_xml::vex_json(d)),
            _ => None,
        }
    }

    /// What a CycloneDX document's `vulnerabilities` already record (JSON
    /// or XML; nothing for other formats).
    pub fn recorded_vulnerabilities(&self) -> RecordedVulnerabilities {
        let mut out = RecordedVulnerabilities::default();
        match (&self.body, self.format) {
            (Body::Json(d), Format::CycloneDxJson(_)) => {
                let list: Vec<serde_json::Value> = d
                    .root()
                    .get("vulnerabilities")
                    .and_then(|n| serde_json::from_str(d.raw(n)).ok())
                    .unwrap_or_default();
                for v in &list {
                    let mut ids: Vec<&str> = v["id"].as_str().into_iter().collect();
                    if let Some(refs) = v["references"].as_array() {
                        ids.extend(refs.iter().filter_map(|r| r["id"].as_str()));
                    }
                    let affects = v["affects"]
                        .as_array()
                        .map(Vec::as_slice)
                        .unwrap_or_default();
                    out.add(&ids, affects.iter().filter_map(|a| a["ref"].as_str()));
                }
            }
            (Body::Xml(d), Format::CycloneDxXml(_)) => {
                let text = |el: Option<&xml::Element>| el.and_then(|e| d.text_of(e));
                let Some(list) = d.root().child("vulnerabilities") else {
                    return out;
                };
                for v in list.children_named("vulnerability") {
                    let mut ids: Vec<String> = text(v.child("id")).into_iter().collect();
                    if let Some(refs) = v.child("references") {
                        ids.extend(
                            refs.children_named("reference")
                                .filter_map(|r| text(r.child("id"))),
                        );
                    }
                    let targets: Vec<String> = v
                        .child("affects")
                        .map(|a| {
                            a.children_named("target")
                                .filter_map(|t| text(t.child("ref")))
                                .collect()
                        })
                        .unwrap_or_default();
                    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
                    out.add(&ids, targets.iter().map(String::as_str));
                }
            }
            _ => {}
        }
        out
    }

    /// The document with `changes` applied, in its own encoding; untouched
    /// bytes are copied through.
    pub fn enrich(&self, changes: &Changes<'_>) -> Edited<'_> {
        let edited = match (&self.body, self.format) {
            (Body::Json(d), Format::CycloneDxJson(v)) => cyclonedx::enrich(d, v, changes),
            (Body::Json(d), Format::SpdxJson(_)) => spdx::enrich(d, changes),
            (Body::Json(d), _) => spdx3::enrich(d, changes),
            (Body::Xml(d), Format::CycloneDxXml(v)) => {
                Edited::new(d.text(), cyclonedx_xml::enrich(d, v, changes))
            }
            (Body::Xml(d), _) => Edited::new(d.text(), Vec::new()),
            (Body::TagValue(d), _) => Edited::new(d.text(), d.enrich(changes)),
        };
        edited.in_encoding(self.encoding)
    }
}

/// How to turn the SPDX serializations tacos-sbom does not read into one it
/// does. spdx-tools picks its reader by the file extension, and reads UTF-8
/// only.
fn convert_spdx(encoding: Encoding) -> String {
    let first = match encoding.is_utf16() {
        true => "first convert it to UTF-8 (`iconv -f UTF-16 -t UTF-8 IN > IN8`), then ",
        false => "",
    };
    format!(
        "{first}convert it to SPDX JSON or tag-value, e.g. with spdx-tools: `pyspdxtools -i IN -o OUT.spdx.json` (it reads YAML from .yaml/.yml, XML from .xml and RDF/XML from .rdf/.rdf.xml files)"
    )
}

/// CycloneDX protobuf (the `Bom` message starts with field 1, the spec
/// version string "1.x"), recognised before the text checks call it binary.
fn refuse_binary_format(path: &Path, head: &[u8]) -> Option<SbomError> {
    let protobuf = head.len() >= 5
        && head[0] == 0x0A
        && (3..=4).contains(&head[1])
        && head[2] == b'1'
        && head[3] == b'.'
        && head[4].is_ascii_digit();
    protobuf.then(|| SbomError::Unsupported {
        path: path.to_path_buf(),
        what: "CycloneDX protobuf".into(),
        fix: "convert it to CycloneDX JSON or XML, e.g. with the CycloneDX CLI: `cyclonedx convert --input-file IN --input-format protobuf --output-file OUT.cdx.json --output-format json`".into(),
    })
}

/// SPDX's XML and RDF/XML serializations, told apart from CycloneDX XML by
/// the start of the document.
fn refuse_spdx_xml(path: &Path, text: &str, encoding: Encoding) -> Option<SbomError> {
    let head: String = text.chars().take(4096).collect();
    let what = if head.contains("spdx.org/rdf/terms") && head.contains("RDF") {
        "SPDX RDF/XML"
    } else if (head.contains("<Document>") || head.contains("<SpdxDocument"))
        && head.contains("spdxVersion")
    {
        "SPDX XML"
    } else {
        return None;
    };
    Some(SbomError::Unsupported {
        path: path.to_path_buf(),
        what: what.into(),
        fix: convert_spdx(encoding),
    })
}

/// An XML declaration that names an encoding other than the one the bytes
/// are in. XML makes this a fatal error (XML 1.0, 4.3.3), and expat, for one,
/// refuses it; reading such a file by its byte-order mark alone would also
/// write back a file whose declaration still lies about its bytes. No
/// declared encoding is fine: a byte-order mark or UTF-8 needs none.
fn check_declared_encoding(
    path: &Path,
    doc: &xml::Document,
    encoding: Encoding,
) -> Result<(), SbomError> {
    let Some(declared) = &doc.declared_encoding else {
        return Ok(());
    };
    let name = declared.to_ascii_uppercase();
    let utf8 = matches!(name.as_str(), "UTF-8" | "UTF8");
    let utf16 = matches!(name.as_str(), "UTF-16" | "UTF16");
    let agrees = match encoding {
        Encoding::Utf8 | Encoding::Utf8Bom => utf8,
        Encoding::Utf16Le => utf16 || name == "UTF-16LE",
        Encoding::Utf16Be => utf16 || name == "UTF-16BE",
    };
    if agrees {
        return Ok(());
    }
    let declared = shown(declared);
    let fix = if encoding.is_utf16() {
        let and = match utf8 {
            true => "",
            false => ", and correct the declaration to UTF-8",
        };
        format!("convert it to UTF-8, e.g. with `iconv -f UTF-16 -t UTF-8 IN > OUT`{and}")
    } else if utf16 {
        "correct the declaration to UTF-8, or convert the file to UTF-16 with a byte-order mark, e.g. with `iconv -f UTF-8 -t UTF-16 IN > OUT`".to_string()
    } else if name.starts_with("UTF-16") {
        // `iconv -t UTF-16LE` writes no byte-order mark, which is refused.
        "correct the declaration to UTF-8".to_string()
    } else {
        format!(
            "convert it, e.g. with `iconv -f {declared} -t UTF-8 IN > OUT`, and correct the declaration to UTF-8"
        )
    };
    let bom = match encoding {
        Encoding::Utf8 | Encoding::Utf8Bom => "",
        Encoding::Utf16Le => " (it starts with the byte-order mark FF FE)",
        Encoding::Utf16Be => " (it starts with the byte-order mark FE FF)",
    };
    Err(SbomError::NotText {
        path: path.to_path_buf(),
        why: format!(
            "the XML declaration names the encoding {declared}, but the file is {}{bom}; tacos-sbom reads UTF-8 and UTF-16 with a byte-order mark, declared as such or not at all: {fix}",
            encoding.name()
        ),
    })
}

/// SPDX YAML: a top-level `spdxVersion:` key (tag-value writes `SPDXVersion:`).
fn looks_like_spdx_yaml(text: &str) -> bool {
    text.lines().take(200).any(|l| {
        let l = l.trim_start_matches("- ").trim_start();
        let key = l.trim_start_matches(['"', '\'']);
        key.starts_with("spdxVersion") && key.contains(':')
    })
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
        let stdin = Sbom::from_bytes(Path::new("-"), b" \n".to_vec()).unwrap_err();
        assert_eq!(stdin.to_string(), "standard input is empty");
        assert!(
            err(b"{\"bomFormat\": \"CycloneDX\", ").starts_with("in.json: invalid JSON at line 1")
        );
        assert_eq!(
            err(b"{\"name\": 1}"),
            "in.json: not an SBOM: it has neither \"bomFormat\" (CycloneDX), \"spdxVersion\" (SPDX 2) nor an SPDX 3 \"@context\""
        );
        assert!(err(b"\x00\x01garbage").contains("binary"));
        assert!(err(b"\xc3\x28 not utf8").contains("not valid UTF-8"));
        assert!(err(b"[1,2]").contains("top level is not a JSON object"));
        assert!(err(b"hello").contains("neither JSON, XML nor SPDX tag-value"));
    }

    /// Issue 8, item 4: every field read has its JSON type checked.
    #[test]
    fn wrong_json_types_name_the_path_and_the_type_found() {
        let cdx = |body: &str| {
            err(format!(r#"{{"bomFormat": "CycloneDX", "specVersion": "1.5", {body}}}"#).as_bytes())
        };
        for (body, want) in [
            (
                r#""components": {}"#,
                "$.components is an object; expected an array",
            ),
            (
                r#""components": "x""#,
                "$.components is a string; expected an array",
            ),
            (
                r#""components": 3"#,
                "$.components is a number; expected an array",
            ),
            (
                r#""components": null"#,
                "$.components is null; expected an array",
            ),
            (
                r#""components": [{"name": "a"}, 7]"#,
                "$.components[1] is a number; expected an object",
            ),
            (
                r#""components": [{"name": "a", "externalReferences": {}}]"#,
                "$.components[0].externalReferences is an object; expected an array",
            ),
            (
                r#""components": [{"name": "a", "purl": 5}]"#,
                "$.components[0].purl is a number; expected a string",
            ),
            (
                r#""components": [{"name": "a", "hashes": {"alg": "SHA-1"}}]"#,
                "$.components[0].hashes is an object; expected an array",
            ),
            (
                r#""components": [{"name": "a", "components": [{"bom-ref": []}]}]"#,
                "$.components[0].components[0][\"bom-ref\"] is an array; expected a string",
            ),
            (
                r#""version": "2""#,
                "$.version is a string; expected an integer",
            ),
            (
                r#""version": 1.5"#,
                "$.version is a number with a fraction or exponent; expected an integer",
            ),
            (
                r#""metadata": []"#,
                "$.metadata is an array; expected an object",
            ),
            (
                r#""metadata": {"tools": "x"}"#,
                "$.metadata.tools is a string; expected an array or an object",
            ),
        ] {
            assert_eq!(cdx(body), format!("in.json: {want}"), "{body}");
        }
        assert_eq!(
            err(br#"{"bomFormat": "CycloneDX", "specVersion": 1.6}"#),
            "in.json: $.specVersion is a number; expected a string"
        );
        assert_eq!(
            err(br#"{"bomFormat": ["CycloneDX"]}"#),
            "in.json: $.bomFormat is an array; expected a string"
        );
        let spdx = |body: &str| err(format!(r#"{{"spdxVersion": "SPDX-2.3", {body}}}"#).as_bytes());
        for (body, want) in [
            (
                r#""packages": {}"#,
                "$.packages is an object; expected an array",
            ),
            (
                r#""packages": null"#,
                "$.packages is null; expected an array",
            ),
            (
                r#""packages": [{"externalRefs": [{"referenceLocator": false}]}]"#,
                "$.packages[0].externalRefs[0].referenceLocator is a boolean; expected a string",
            ),
            (
                r#""creationInfo": {"creators": "Tool: x"}"#,
                "$.creationInfo.creators is a string; expected an array",
            ),
            (
                r#""documentDescribes": [1]"#,
                "$.documentDescribes[0] is a number; expected a string",
            ),
        ] {
            assert_eq!(spdx(body), format!("in.json: {want}"), "{body}");
        }
        assert_eq!(
            err(br#"{"spdxVersion": 2.3}"#),
            "in.json: $.spdxVersion is a number; expected a string"
        );
    }

    #[test]
    fn bounds_strings_and_component_counts() {
        let long = "a".repeat(MAX_STRING_BYTES + 1);
        let e = err(format!(
            r#"{{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [{{"purl": "{long}"}}]}}"#
        )
        .as_bytes());
        assert!(
            e.starts_with(
                "in.json: $.components[0].purl is 65537 bytes long, over the 65536-byte limit"
            ),
            "{e}"
        );
        let limits = Limits {
            max_components: 2,
            ..Limits::default()
        };
        let doc = br#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [{"name": "a", "components": [{"name": "b"}, {"name": "c"}]}]}"#;
        let e = Sbom::from_bytes_with(Path::new("in.json"), doc.to_vec(), &limits)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "in.json: more than 2 components; split the SBOM");
        let limits = Limits {
            max_input_bytes: 10,
            ..Limits::default()
        };
        let e = Sbom::from_bytes_with(Path::new("in.json"), doc.to_vec(), &limits)
            .unwrap_err()
            .to_string();
        assert!(e.contains("over the 10-byte limit"), "{e}");
    }

    /// Found by the fuzz campaign (fuzz/src/__fuzz__/sbom_reader/crashes/
    /// tagvalue-url-with-line-end.fuzzer.spdx): a reference URL with a line
    /// end split the tag-value `ExternalRef` line, and the written file did
    /// not read back. The tool's own URLs hold no whitespace; the writer no
    /// longer relies on that.
    #[test]
    fn a_tag_value_reference_stays_one_entry_whatever_its_url() {
        let doc = "SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT\n\
                   DocumentName: d\nDocumentNamespace: https://example.com/d\n\
                   Creator: Tool: t\nCreated: 2024-01-01T00:00:00Z\n\n\
                   PackageName: p\nSPDXID: SPDXRef-p\nPackageDownloadLocation: NOASSERTION\n";
        let sbom = Sbom::from_bytes(Path::new("in.spdx"), doc.as_bytes().to_vec()).unwrap();
        let components = sbom.components();
        let tool = Tool {
            vendor: "v".into(),
            name: "t".into(),
            version: "1".into(),
        };
        let url = "a b\nPackageName: injected\r\n\tc.json";
        let changes = Changes {
            vulnerabilities: Vec::new(),
            component_refs: vec![(
                components[0].id,
                Reference {
                    url: url.into(),
                    sha256: "0".repeat(64),
                    comment: format!("TACOS attestation; sha256:{}", "0".repeat(64)),
                },
            )],
            document_refs: Vec::new(),
            document_marker: "TACOS report",
            spdx_document_reference_type: "tacos-report",
            tool: &tool,
            root_members: Vec::new(),
            marker: "TACOS attestation",
            spdx_reference_type: "tacos-attestation",
            cdx_reference_type: "attestation",
            now: OffsetDateTime::UNIX_EPOCH,
        };
        let mut out = Vec::new();
        sbom.enrich(&changes).write_to(&mut out).unwrap();
        let again = Sbom::from_bytes(Path::new("out.spdx"), out).unwrap();
        assert_eq!(again.components().len(), 1);
        let found = again.found_references("TACOS attestation", "tacos-attestation");
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].1.url,
            "a%20b%0APackageName:%20injected%0D%0A%09c.json"
        );
    }

    #[test]
    fn refuses_unsupported_formats_by_content() {
        assert!(
            err(b"<?xml version=\"1.0\"?><bom xmlns=\"http://cyclonedx.org/schema/bom/1.1\"/>")
                .contains(
                    "CycloneDX 1.1 XML is not supported; tacos-sbom reads CycloneDX 1.2 and later"
                )
        );
        assert!(
            err(b"{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"2.0\"}")
                .contains("specVersion \"2.0\"")
        );
        assert!(
            err(b"---\nSPDXID: \"SPDXRef-DOCUMENT\"\nspdxVersion: \"SPDX-2.3\"\n")
                .contains("SPDX YAML is not supported; convert it")
        );
        assert!(
            err(b"<?xml version='1.0'?>\n<Document>\n  <SPDXID>SPDXRef-DOCUMENT</SPDXID>\n  <spdxVersion>SPDX-2.3</spdxVersion></Document>")
                .contains("SPDX XML is not supported; convert it")
        );
        assert!(
            err(b"<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns:spdx=\"http://spdx.org/rdf/terms#\"/>")
                .contains("SPDX RDF/XML is not supported")
        );
        assert!(
            err(b"\x0a\x031.6\x10\x01\x1a\x2durn:uuid:").contains(
                "CycloneDX protobuf is not supported; convert it to CycloneDX JSON or XML"
            )
        );
        assert!(
            err(
                b"{\"@context\": \"https://spdx.org/rdf/3.1/spdx-context.jsonld\", \"@graph\": []}"
            )
            .contains("SPDX 3.1 JSON-LD is not supported")
        );
        assert!(err(b"SPDXVersion: SPDX-2.1\n").contains("SPDX tag-value of version \"SPDX-2.1\""));
        assert!(err(b"<html><body/></html>").contains("not in a CycloneDX namespace"));
        assert!(
            err(b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><bom xmlns=\"http://cyclonedx.org/schema/bom/1.4\"/>")
                .contains("names the encoding ISO-8859-1")
        );
    }

    /// `Sbom::bytes` stands in for reading the input again (the digest in
    /// a report, the copy in a bundle), so it must give back every byte:
    /// every fixture and sample, in every encoding the tool reads.
    #[test]
    fn the_bytes_of_a_document_are_the_bytes_it_was_read_from() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut stack = vec![root.join("tests/fixtures/sbom"), root.join("sample-sboms")];
        let mut read = 0;
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = e.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let bytes = std::fs::read(&path).unwrap();
                let mut variants = vec![bytes.clone()];
                if let Ok(text) = std::str::from_utf8(&bytes) {
                    let text = text.trim_start_matches('\u{FEFF}');
                    variants.push([b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat());
                    // An XML declaration naming UTF-8 is refused in UTF-16.
                    if !text.contains("encoding=") {
                        variants.push(utf16(text, true));
                        variants.push(utf16(text, false));
                    }
                }
                for v in variants {
                    if let Ok(sbom) = Sbom::from_bytes(&path, v.clone()) {
                        assert!(
                            sbom.bytes() == v,
                            "{} ({:?})",
                            path.display(),
                            sbom.encoding()
                        );
                        read += 1;
                    }
                }
            }
        }
        assert!(read > 100, "only {read} documents read");
    }

    fn utf16(text: &str, le: bool) -> Vec<u8> {
        let bom: &[u8] = if le { b"\xFF\xFE" } else { b"\xFE\xFF" };
        let units = text.encode_utf16().flat_map(move |u| match le {
            true => u.to_le_bytes(),
            false => u.to_be_bytes(),
        });
        bom.iter().copied().chain(units).collect()
    }

    /// Issue 19: a UTF-16 file whose XML declaration names UTF-8 was read by
    /// its byte-order mark; XML makes the mismatch a fatal error, and the
    /// README says it is refused. Each byte order against each declaration.
    #[test]
    fn an_xml_declaration_must_name_the_encoding_of_the_bytes() {
        let doc = |encoding: &str| {
            let decl = match encoding {
                "" => String::new(),
                e => format!(" encoding=\"{e}\""),
            };
            format!(
                "<?xml version=\"1.0\"{decl}?>\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.5\" version=\"1\"/>\n"
            )
        };
        let read =
            |bytes: Vec<u8>| Sbom::from_bytes(Path::new("in.xml"), bytes).map(|s| s.encoding());
        let utf8_bom = |t: &str| [b"\xEF\xBB\xBF".as_slice(), t.as_bytes()].concat();
        for (declared, le, be, utf8) in [
            ("", true, true, true),
            ("UTF-8", false, false, true),
            ("utf-8", false, false, true),
            ("UTF8", false, false, true),
            ("UTF-16", true, true, false),
            ("utf-16", true, true, false),
            ("UTF-16LE", true, false, false),
            ("UTF-16BE", false, true, false),
            ("ISO-8859-1", false, false, false),
            ("US-ASCII", false, false, false),
        ] {
            let text = doc(declared);
            assert_eq!(read(utf16(&text, true)).is_ok(), le, "UTF-16LE, {declared}");
            assert_eq!(
                read(utf16(&text, false)).is_ok(),
                be,
                "UTF-16BE, {declared}"
            );
            assert_eq!(
                read(text.clone().into_bytes()).is_ok(),
                utf8,
                "UTF-8, {declared}"
            );
            assert_eq!(read(utf8_bom(&text)).is_ok(), utf8, "UTF-8 BOM, {declared}");
        }
        assert_eq!(
            err(&utf16(&doc("UTF-8"), true)),
            "in.json: not a text file (the XML declaration names the encoding UTF-8, but the file is UTF-16LE (it starts with the byte-order mark FF FE); tacos-sbom reads UTF-8 and UTF-16 with a byte-order mark, declared as such or not at all: convert it to UTF-8, e.g. with `iconv -f UTF-16 -t UTF-8 IN > OUT`); expected a CycloneDX or SPDX SBOM"
        );
        assert!(
            err(&utf16(&doc("ISO-8859-1"), false)).contains(
                "names the encoding ISO-8859-1, but the file is UTF-16BE (it starts with the byte-order mark FE FF); tacos-sbom reads UTF-8 and UTF-16 with a byte-order mark, declared as such or not at all: convert it to UTF-8, e.g. with `iconv -f UTF-16 -t UTF-8 IN > OUT`, and correct the declaration to UTF-8"
            )
        );
        assert!(
            err(&utf8_bom(&doc("UTF-16"))).contains(
                "names the encoding UTF-16, but the file is UTF-8 with a byte-order mark; tacos-sbom reads UTF-8 and UTF-16 with a byte-order mark, declared as such or not at all: correct the declaration to UTF-8, or convert the file to UTF-16 with a byte-order mark, e.g. with `iconv -f UTF-8 -t UTF-16 IN > OUT`"
            )
        );
        assert!(err(doc("UTF-16BE").as_bytes()).ends_with(
            "but the file is UTF-8; tacos-sbom reads UTF-8 and UTF-16 with a byte-order mark, declared as such or not at all: correct the declaration to UTF-8); expected a CycloneDX or SPDX SBOM"
        ));
        let e = err(doc(&"X".repeat(1 << 20)).as_bytes());
        assert!(
            e.contains("names the encoding XXX") && e.len() < 1_500,
            "{e}"
        );
    }

    #[test]
    fn shown_values_are_bounded() {
        assert_eq!(shown("abc").to_string(), "abc");
        assert_eq!(format!("{:?}", shown("a\"b\n")), "\"a\\\"b\\n\"");
        let long = "é".repeat(1_000);
        assert_eq!(
            shown(&long).to_string(),
            format!("{}... (2000 bytes)", "é".repeat(200))
        );
        assert_eq!(
            format!("{:?}", shown(&long)),
            format!("\"{}\"... (2000 bytes)", "é".repeat(200))
        );
        assert_eq!(shown(&"x".repeat(200)).to_string(), "x".repeat(200));
    }

    /// Issue 19: every value the top-level checks quote is shortened.
    #[test]
    fn refusals_quote_values_shortened() {
        let long = "9".repeat(60_000);
        for (doc, expect) in [
            (
                format!(r#"{{"bomFormat": "{long}"}}"#),
                "bomFormat is \"999",
            ),
            (
                format!(r#"{{"bomFormat": "CycloneDX", "specVersion": "{long}"}}"#),
                "CycloneDX specVersion \"999",
            ),
            (
                format!(r#"{{"spdxVersion": "{long}"}}"#),
                "spdxVersion \"999",
            ),
            (
                format!(r#"{{"@context": "https://spdx.org/rdf/3{long}/x", "@graph": []}}"#),
                "SPDX 3999",
            ),
            (
                format!("SPDXVersion: {long}\n"),
                "tag-value of version \"999",
            ),
            (
                format!(
                    "<?xml version=\"1.0\"?><bom xmlns=\"http://cyclonedx.org/schema/bom/{long}\"/>"
                ),
                "CycloneDX 999",
            ),
            (format!("<b{long}/>"), "root element <b999"),
            (
                format!("<bom xmlns=\"http://cyclonedx.org/schema/bom/1.5\" version=\"{long}\"/>"),
                "the version attribute is \"999",
            ),
        ] {
            let e = err(doc.as_bytes());
            assert!(e.contains(expect), "{expect}: {}", &e[..e.len().min(500)]);
            assert!(e.contains("... (600"), "{}", &e[..e.len().min(500)]);
            assert!(e.len() < 1_000, "{expect}: {} bytes", e.len());
        }
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
