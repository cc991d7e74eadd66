//! SPDX 2.2 and 2.3 tag-value, read and written line by line.
//!
//! The document is a list of `Tag: value` entries (a value may be a
//! multi-line `<text>...</text>`), comments (`#`) and blank lines. Entries
//! are read with their byte spans; changes are whole lines spliced in, or
//! values replaced, so every other line comes out as it came in.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use super::splice::Edit;
use super::{
    Changes, Component, ComponentId, FoundReference, Hash, Limits, Reference, Role, SbomError,
    SpdxVersion, label_for, normalize_alg, sha256_in_comment, shown, spdx,
};

/// One `Tag: value` entry.
#[derive(Debug, Clone)]
struct Entry {
    tag: String,
    /// The value, `<text>` markers removed.
    value: String,
    /// Start of the entry's first line.
    start: usize,
    /// Where the value is (inside `<text>` markers, if any).
    value_start: usize,
    value_end: usize,
    /// Just after the entry's last line, its line end included.
    end: usize,
    /// 1-based line number of the entry's first line.
    line: usize,
}

/// Tags that start an element: each closes the package before it.
const SECTION_STARTS: &[&str] = &["PackageName", "FileName", "SnippetSPDXID", "LicenseID"];

/// Tags that belong to the package information section. References are
/// written after the last of these, before files, relationships or
/// annotations that follow the package.
const PACKAGE_TAGS: &[&str] = &[
    "PackageName",
    "SPDXID",
    "PackageVersion",
    "PackageFileName",
    "PackageSupplier",
    "PackageOriginator",
    "PackageDownloadLocation",
    "FilesAnalyzed",
    "PackageVerificationCode",
    "PackageChecksum",
    "PackageHomePage",
    "PackageSourceInfo",
    "PackageLicenseConcluded",
    "PackageLicenseInfoFromFiles",
    "PackageLicenseDeclared",
    "PackageLicenseComments",
    "PackageCopyrightText",
    "PackageSummary",
    "PackageDescription",
    "PackageComment",
    "ExternalRef",
    "ExternalRefComment",
    "PackageAttributionText",
    "PrimaryPackagePurpose",
    "ReleaseDate",
    "BuiltDate",
    "ValidUntilDate",
];

#[derive(Debug)]
struct Package {
    /// Indices into `entries`: the section, from `PackageName` on.
    first: usize,
    last: usize,
}

#[derive(Debug)]
pub struct Document {
    text: String,
    entries: Vec<Entry>,
    packages: Vec<Package>,
    version: SpdxVersion,
}

fn malformed(path: &Path, line: usize, why: impl Into<String>) -> SbomError {
    SbomError::Malformed {
        path: path.to_path_buf(),
        at: format!("line {line}"),
        why: why.into(),
    }
}

/// Whether the text reads as tag-value: its first entry line is a tag.
/// Lines are split at a CR alone too, so that a file with old Mac OS line
/// ends is recognized, and then refused for them by name.
pub(super) fn looks_like(text: &str) -> bool {
    text.split(['\n', '\r'])
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .take(50)
        .any(|l| l.starts_with("SPDXVersion:"))
}

impl Document {
    pub fn parse(path: &Path, text: String, limits: &Limits) -> Result<Document, SbomError> {
        let entries = read_entries(path, &text)?;
        let version_entry = entries
            .iter()
            .find(|e| e.tag == "SPDXVersion")
            .ok_or_else(|| malformed(path, 1, "no SPDXVersion line"))?;
        let version = match version_entry.value.as_str() {
            "SPDX-2.2" => SpdxVersion::V2_2,
            "SPDX-2.3" => SpdxVersion::V2_3,
            other => {
                return Err(SbomError::Unsupported {
                    path: path.to_path_buf(),
                    what: format!("SPDX tag-value of version {:?}", shown(other)),
                    fix: "tacos-sbom reads SPDX 2.2 and 2.3".into(),
                });
            }
        };
        let mut packages = Vec::new();
        let mut open: Option<usize> = None;
        for (i, e) in entries.iter().enumerate() {
            if SECTION_STARTS.contains(&e.tag.as_str()) {
                if let Some(first) = open.take() {
                    packages.push(Package { first, last: i - 1 });
                }
                if e.tag == "PackageName" {
                    open = Some(i);
                }
            }
        }
        if let Some(first) = open {
            packages.push(Package {
                first,
                last: entries.len() - 1,
            });
        }
        let doc = Document {
            text,
            entries,
            packages,
            version,
        };
        doc.check(path, limits)?;
        Ok(doc)
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn version(&self) -> SpdxVersion {
        self.version
    }

    /// Check what the tool reads: every package has one SPDXID, no SPDXID is
    /// used twice, references and checksums have their fields, values are
    /// within the size limit.
    fn check(&self, path: &Path, limits: &Limits) -> Result<(), SbomError> {
        if self.packages.len() > limits.max_components {
            return Err(SbomError::TooManyComponents {
                path: path.to_path_buf(),
                limit: limits.max_components,
            });
        }
        for e in &self.entries {
            let read = matches!(
                e.tag.as_str(),
                "SPDXID"
                    | "PackageName"
                    | "PackageVersion"
                    | "PackageChecksum"
                    | "ExternalRef"
                    | "ExternalRefComment"
                    | "Relationship"
                    | "DocumentNamespace"
                    | "DocumentName"
                    | "Creator"
            );
            if read && e.value.len() > limits.max_string_bytes {
                return Err(SbomError::ValueTooLong {
                    path: path.to_path_buf(),
                    at: format!("line {} ({})", e.line, e.tag),
                    size: e.value.len(),
                    limit: limits.max_string_bytes,
                });
            }
            match e.tag.as_str() {
                "ExternalRef" if e.value.split_whitespace().count() < 3 => {
                    return Err(malformed(
                        path,
                        e.line,
                        format!(
                            "ExternalRef needs a category, a type and a locator; found {:?}",
                            shown(&e.value)
                        ),
                    ));
                }
                "PackageChecksum" if !e.value.contains(':') => {
                    return Err(malformed(
                        path,
                        e.line,
                        format!(
                            "PackageChecksum needs `ALGORITHM: value`; found {:?}",
                            shown(&e.value)
                        ),
                    ));
                }
                _ => {}
            }
        }
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for e in self.entries.iter().filter(|e| e.tag == "SPDXID") {
            if let Some(first) = seen.insert(e.value.as_str(), e.line) {
                return Err(malformed(
                    path,
                    e.line,
                    format!(
                        "the SPDXID {:?} is also used on line {first}; each element needs its own",
                        shown(&e.value)
                    ),
                ));
            }
        }
        for p in &self.packages {
            let section = &self.entries[p.first..=p.last];
            let ids = section
                .iter()
                .take_while(|e| e.tag != "FileName")
                .filter(|e| e.tag == "SPDXID")
                .count();
            if ids == 0 {
                return Err(malformed(
                    path,
                    self.entries[p.first].line,
                    format!(
                        "the package {:?} has no SPDXID",
                        shown(&self.entries[p.first].value)
                    ),
                ));
            }
        }
        Ok(())
    }

    fn section(&self, p: &Package) -> &[Entry] {
        &self.entries[p.first..=p.last]
    }

    fn value<'a>(&'a self, p: &Package, tag: &str) -> Option<&'a str> {
        self.section(p)
            .iter()
            .find(|e| e.tag == tag)
            .map(|e| e.value.as_str())
    }

    fn document_id(&self) -> &str {
        self.entries
            .iter()
            .take_while(|e| !SECTION_STARTS.contains(&e.tag.as_str()))
            .find(|e| e.tag == "SPDXID")
            .map_or("SPDXRef-DOCUMENT", |e| e.value.as_str())
    }

    /// SPDXIDs of the elements the document describes.
    fn described(&self) -> HashSet<&str> {
        let doc_id = self.document_id();
        let mut out = HashSet::new();
        for e in self.entries.iter().filter(|e| e.tag == "Relationship") {
            let mut parts = e.value.split_whitespace();
            let (Some(from), Some(kind), Some(to)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            match kind {
                "DESCRIBES" if from == doc_id => out.insert(to),
                "DESCRIBED_BY" if to == doc_id => out.insert(from),
                _ => false,
            };
        }
        out
    }

    fn package_id<'a>(&'a self, p: &Package) -> Option<&'a str> {
        self.value(p, "SPDXID")
    }

    pub fn components(&self) -> Vec<Component> {
        let subjects = self.described();
        self.packages
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let id = self.package_id(p);
                let role = match id {
                    Some(id) if subjects.contains(id) => Role::Subject,
                    _ => Role::Dependency,
                };
                let name = self.value(p, "PackageName").map(str::to_string);
                let version = self.value(p, "PackageVersion").map(str::to_string);
                let hashes = self
                    .section(p)
                    .iter()
                    .filter(|e| e.tag == "PackageChecksum")
                    .filter_map(|e| {
                        let (alg, hex) = e.value.split_once(':')?;
                        Some(Hash {
                            alg: normalize_alg(alg.trim()),
                            hex: hex.trim().to_ascii_lowercase(),
                        })
                    })
                    .collect();
                let purl = self
                    .section(p)
                    .iter()
                    .filter(|e| e.tag == "ExternalRef")
                    .find_map(|e| {
                        let mut f = e.value.split_whitespace();
                        let (cat, ty, loc) = (f.next()?, f.next()?, f.next()?);
                        ((cat == "PACKAGE-MANAGER" || cat == "PACKAGE_MANAGER") && ty == "purl")
                            .then(|| loc.to_string())
                    });
                Component {
                    id: ComponentId(i),
                    role,
                    label: label_for(id.map(Into::into), name.as_deref(), version.as_deref(), i),
                    purl,
                    bom_ref: None,
                    name,
                    version,
                    hashes,
                }
            })
            .collect()
    }

    pub fn subject_name(&self) -> Option<String> {
        if let Some(i) = self.described_package_index() {
            let p = &self.packages[i];
            let name = self.value(p, "PackageName")?;
            return Some(match self.value(p, "PackageVersion") {
                Some(v) if !v.is_empty() => format!("{name}@{v}"),
                _ => name.to_string(),
            });
        }
        self.entries
            .iter()
            .find(|e| e.tag == "DocumentName")
            .map(|e| e.value.clone())
    }

    pub fn described_package_index(&self) -> Option<usize> {
        let subjects = self.described();
        self.packages
            .iter()
            .position(|p| self.package_id(p).is_some_and(|id| subjects.contains(id)))
    }

    /// This tool's references in a package: the `ExternalRef` entry index,
    /// the index of its `ExternalRefComment` (if it follows), and the found
    /// reference.
    fn ours(
        &self,
        p: &Package,
        reference_type: &str,
    ) -> Vec<(usize, Option<usize>, FoundReference)> {
        let mut out = Vec::new();
        for i in p.first..=p.last {
            let e = &self.entries[i];
            if e.tag != "ExternalRef" {
                continue;
            }
            let mut f = e.value.split_whitespace();
            let (Some("OTHER"), Some(ty), Some(loc)) = (f.next(), f.next(), f.next()) else {
                continue;
            };
            if ty != reference_type {
                continue;
            }
            let comment =
                (i < p.last && self.entries[i + 1].tag == "ExternalRefComment").then_some(i + 1);
            out.push((
                i,
                comment,
                FoundReference {
                    url: loc.to_string(),
                    sha256: comment.and_then(|c| sha256_in_comment(&self.entries[c].value)),
                    comment_sha256: None,
                },
            ));
        }
        out
    }

    pub fn found_references(&self, reference_type: &str) -> Vec<(ComponentId, FoundReference)> {
        self.packages
            .iter()
            .enumerate()
            .flat_map(|(i, p)| {
                self.ours(p, reference_type)
                    .into_iter()
                    .map(move |(_, _, f)| (ComponentId(i), f))
            })
            .collect()
    }

    pub fn found_document_references(&self, reference_type: &str) -> Vec<FoundReference> {
        let Some(i) = self.described_package_index() else {
            return Vec::new();
        };
        self.ours(&self.packages[i], reference_type)
            .into_iter()
            .map(|(_, _, f)| f)
            .collect()
    }

    fn newline(&self) -> &'static str {
        if self.text.contains("\r\n") {
            "\r\n"
        } else {
            "\n"
        }
    }

    /// The place just after entry `i`, and the line end to write first:
    /// none after a whole line; the file's last line may have none, or end
    /// in a CR alone (read as a line end), which needs only its LF, since
    /// a CR before a CRLF would be a CR alone inside a line.
    fn after(&self, i: usize) -> (usize, &'static str) {
        let e = &self.entries[i];
        let before = &self.text[..e.end];
        let lead = if before.ends_with('\n') {
            ""
        } else if before.ends_with('\r') {
            "\n"
        } else {
            self.newline()
        };
        (e.end, lead)
    }

    pub fn enrich(&self, ch: &Changes<'_>) -> Vec<Edit> {
        let nl = self.newline();
        let mut edits = Vec::new();
        let lines = |r: &Reference, ty: &str| {
            // The digest has no field of its own in SPDX 2; it goes in the
            // comment, where `sha256_in_comment` finds it again.
            format!(
                "ExternalRef: OTHER {ty} {}{nl}ExternalRefComment: <text>{}</text>{nl}",
                one_token(&r.url),
                r.comment.replace("</text>", "< /text>")
            )
        };
        let mut by_package: BTreeMap<usize, Vec<(&Reference, &str)>> = BTreeMap::new();
        for (id, r) in &ch.component_refs {
            by_package
                .entry(id.0)
                .or_default()
                .push((r, ch.spdx_reference_type));
        }
        if let Some(i) = self.described_package_index() {
            for r in &ch.document_refs {
                by_package
                    .entry(i)
                    .or_default()
                    .push((r, ch.spdx_document_reference_type));
            }
        }
        for (index, refs) in by_package {
            let Some(p) = self.packages.get(index) else {
                continue;
            };
            let mut types: Vec<&str> = refs.iter().map(|(_, t)| *t).collect();
            types.dedup();
            let mut old: Vec<(usize, Option<usize>)> = types
                .iter()
                .flat_map(|t| self.ours(p, t))
                .map(|(i, c, _)| (i, c))
                .collect();
            old.sort();
            let mut new = refs.iter().map(|(r, t)| lines(r, t));
            for (i, comment) in &old {
                let end = self.entries[comment.unwrap_or(*i)].end;
                let text = new.next().unwrap_or_default();
                edits.push(Edit::replace(self.entries[*i].start, end, text));
            }
            let rest: String = new.collect();
            if !rest.is_empty() {
                let anchor = (p.first..=p.last)
                    .rev()
                    .find(|&i| PACKAGE_TAGS.contains(&self.entries[i].tag.as_str()))
                    .unwrap_or(p.first);
                let (at, lead) = self.after(anchor);
                // A file that ends without a line end keeps ending so.
                let text = match lead {
                    "" => rest,
                    lead => format!("{lead}{}", rest.strip_suffix(nl).unwrap_or(&rest)),
                };
                // After an edit that ends at the same place, never inside it.
                edits.push(Edit::insert(at, text));
            }
        }
        self.update_creation_info(ch, nl, &mut edits);
        edits
    }

    fn update_creation_info(&self, ch: &Changes<'_>, nl: &str, edits: &mut Vec<Edit>) {
        let header_end = self
            .entries
            .iter()
            .position(|e| SECTION_STARTS.contains(&e.tag.as_str()))
            .unwrap_or(self.entries.len());
        let header = &self.entries[..header_end];
        let creator = format!("Tool: {}-{}", ch.tool.name, ch.tool.version);
        let prefix = format!("Tool: {}-", ch.tool.name);
        let find = |tag: &str| header.iter().rposition(|e| e.tag == tag);
        match header
            .iter()
            .position(|e| e.tag == "Creator" && e.value.starts_with(&prefix))
        {
            Some(i) => {
                let e = &header[i];
                edits.push(Edit::replace(e.value_start, e.value_end, creator));
            }
            None => {
                let anchor = find("Creator")
                    .or_else(|| find("Created"))
                    .or_else(|| header_end.checked_sub(1));
                if let Some(i) = anchor {
                    let (at, lead) = self.after(i);
                    edits.push(Edit::insert(at, format!("{lead}Creator: {creator}{nl}")));
                }
            }
        }
        if let Some(i) = find("Created") {
            let e = &header[i];
            edits.push(Edit::replace(
                e.value_start,
                e.value_end,
                spdx::created(ch.now),
            ));
        }
        if let Some(i) = find("DocumentNamespace") {
            let e = &header[i];
            edits.push(Edit::replace(
                e.value_start,
                e.value_end,
                spdx::new_namespace(&e.value, &self.text, ch),
            ));
        }
    }
}

/// A locator as the one token `ExternalRef` takes: whitespace (a line end
/// would end the entry and start a line of the reader's choosing) is
/// percent-encoded, which changes no valid URL, since none holds any.
fn one_token(url: &str) -> std::borrow::Cow<'_, str> {
    if !url.contains(char::is_whitespace) {
        return url.into();
    }
    crate::percent::encode(url, char::is_whitespace).into()
}

/// A CR not followed by LF, outside a `<text>` value. Tag-value lines end in
/// LF or CRLF; old Mac OS ended them in CR alone. Such a file is refused by
/// name, with the conversion: read as before, a CR ran one line on into the
/// next, and the error quoted the whole file as its first line.
fn lone_cr(path: &Path, text: &str, line: usize) -> SbomError {
    let why = match text.contains('\n') {
        false => {
            "the file ends its lines with a carriage return (CR) alone, as old Mac OS did; SPDX tag-value lines end in LF or CRLF: convert them, e.g. with `tr '\\r' '\\n' < IN > OUT`"
        }
        true => {
            "a carriage return (CR) that is not followed by a line feed (LF); SPDX tag-value lines end in LF or CRLF, and a CR alone inside a line is read as neither"
        }
    };
    malformed(path, line, why)
}

/// Read every `Tag: value` entry with its span.
fn read_entries(path: &Path, text: &str) -> Result<Vec<Entry>, SbomError> {
    let mut entries = Vec::new();
    let mut pos = 0;
    let mut line_no = 0;
    while pos < text.len() {
        line_no += 1;
        let line_end = text[pos..].find('\n').map_or(text.len(), |i| pos + i + 1);
        let line = &text[pos..line_end];
        let content = line.strip_suffix('\n').unwrap_or(line);
        let content = content.strip_suffix('\r').unwrap_or(content);
        let trimmed = content.trim();
        let cr = content.find('\r');
        if trimmed.is_empty() || trimmed.starts_with('#') {
            if cr.is_some() {
                return Err(lone_cr(path, text, line_no));
            }
            pos = line_end;
            continue;
        }
        let Some(colon) = content.find(':') else {
            return Err(malformed(
                path,
                line_no,
                format!("expected `Tag: value`, found {:?}", shown(trimmed)),
            ));
        };
        let tag = content[..colon].trim();
        if tag.is_empty() || !tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(malformed(
                path,
                line_no,
                format!("expected `Tag: value`, found {:?}", shown(trimmed)),
            ));
        }
        let after = pos + colon + 1;
        let lead = text[after..].len() - text[after..].trim_start_matches([' ', '\t']).len();
        let value_at = after + lead;
        let text_value = text[value_at..].starts_with("<text>");
        // A CR inside a <text> value is part of it; anywhere else it ends a
        // line that this reader would otherwise run on into the next.
        if cr.is_some_and(|at| !text_value || pos + at < value_at) {
            return Err(lone_cr(path, text, line_no));
        }
        if text_value {
            let inner = value_at + "<text>".len();
            let Some(close) = text[inner..].find("</text>") else {
                return Err(malformed(
                    path,
                    line_no,
                    format!(
                        "the <text> value of {} is not closed (is the file truncated?)",
                        shown(tag)
                    ),
                ));
            };
            let value_end = inner + close;
            let end = text[value_end..]
                .find('\n')
                .map_or(text.len(), |i| value_end + i + 1);
            let first_line = line_no;
            line_no += text[pos..value_end].matches('\n').count();
            // The line ends with the value: what follows it would be lost.
            let rest = &text[value_end + "</text>".len()..end];
            let rest = rest.strip_suffix('\n').unwrap_or(rest);
            let rest = rest.strip_suffix('\r').unwrap_or(rest);
            if rest.contains('\r') {
                return Err(lone_cr(path, text, line_no));
            }
            if !rest.trim_matches([' ', '\t']).is_empty() {
                return Err(malformed(
                    path,
                    line_no,
                    format!(
                        "the line goes on after the </text> that ends the value of {}: found {:?}; an entry ends with its line",
                        shown(tag),
                        shown(rest.trim_matches([' ', '\t']))
                    ),
                ));
            }
            entries.push(Entry {
                tag: tag.to_string(),
                value: text[inner..value_end].to_string(),
                start: pos,
                value_start: inner,
                value_end,
                end,
                line: first_line,
            });
            pos = end;
        } else {
            let value_end = pos + content.len();
            let value = text[value_at..value_end].trim_end();
            entries.push(Entry {
                tag: tag.to_string(),
                value: value.to_string(),
                start: pos,
                value_start: value_at,
                value_end: value_at + value.len(),
                end: line_end,
                line: line_no,
            });
            pos = line_end;
        }
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT\n\
                        DocumentName: d\nDocumentNamespace: https://example.com/d\n\
                        Creator: Tool: t\nCreated: 2024-01-01T00:00:00Z\n\n";

    fn parse(text: &str) -> Result<Document, String> {
        Document::parse(Path::new("in.spdx"), text.to_string(), &Limits::default())
            .map_err(|e| e.to_string())
    }

    /// Found by the fuzz campaign: a CRLF file whose last line ends in a CR
    /// alone (no LF) was read, and references added after that line were
    /// written after a CRLF, leaving a CR alone inside a line: the output
    /// did not read back. Only the missing LF is written now.
    #[test]
    fn a_last_line_ending_in_a_cr_alone_gets_its_lf_not_another_crlf() {
        for tail in [
            "PackageName: p\r\nSPDXID: SPDXRef-p\r\nExternalRef: PACKAGE-MANAGER purl pkg:npm/p@1\r",
            "PackageName: p\nSPDXID: SPDXRef-p\nPackageComment: <text>a\r\nb</text>\nExternalRef: PACKAGE-MANAGER purl pkg:npm/p@1\r",
            "PackageName: p\nSPDXID: SPDXRef-p\nExternalRef: PACKAGE-MANAGER purl pkg:npm/p@1\r",
        ] {
            let text = format!("{HEAD}{tail}");
            let doc = parse(&text).unwrap();
            let tool = crate::sbom::Tool {
                vendor: "v".into(),
                name: "t".into(),
                version: "1".into(),
            };
            let reference = crate::sbom::Reference {
                url: "a.json".into(),
                sha256: "0".repeat(64),
                comment: "c".into(),
            };
            let changes = crate::sbom::Changes {
                vulnerabilities: Vec::new(),
                component_refs: vec![(crate::sbom::ComponentId(0), reference.clone())],
                document_refs: vec![],
                document_marker: "m",
                spdx_document_reference_type: "r",
                tool: &tool,
                root_members: Vec::new(),
                marker: "m",
                spdx_reference_type: "tacos-attestation",
                cdx_reference_type: "attestation",
                now: time::OffsetDateTime::UNIX_EPOCH,
            };
            let out =
                crate::sbom::splice::Edited::new(&text, doc.enrich(&changes)).to_string_lossless();
            assert!(!out.contains("\r\r"), "{out:?}");
            parse(&out).unwrap_or_else(|e| panic!("{e}: {out:?}"));
        }
    }

    /// Issue 19: a file with CR-only line ends read as one line, and the
    /// refusal quoted all of it. It is now refused as such, briefly; a CR
    /// alone anywhere outside a `<text>` value is refused too, since it ran
    /// its line on into the next one.
    #[test]
    fn lone_carriage_returns_are_refused_by_name() {
        let package = "PackageName: p\nSPDXID: SPDXRef-p\nPackageDownloadLocation: NOASSERTION\n";
        let mac = format!("{HEAD}{}", package.repeat(50_000)).replace('\n', "\r");
        assert!(looks_like(&mac));
        let e = parse(&mac).unwrap_err();
        assert_eq!(
            e,
            "in.spdx: line 1: the file ends its lines with a carriage return (CR) alone, as old Mac OS did; SPDX tag-value lines end in LF or CRLF: convert them, e.g. with `tr '\\r' '\\n' < IN > OUT`"
        );
        assert!(looks_like(&format!("# made on a Mac\r{mac}")));
        for (doc, line) in [
            (format!("{HEAD}PackageName: p\rSPDXID: SPDXRef-x\n"), 9),
            (format!("{HEAD}# note\rPackageName: p\n"), 9),
            (format!("{HEAD}\r \n"), 9),
            (format!("{HEAD}\rPackageName: p\n"), 9),
            (format!("{HEAD}PackageName: p\r\r\n"), 9),
            (
                format!("{HEAD}PackageComment: <text>a\nb</text>\rPackageName: q\n"),
                10,
            ),
        ] {
            let e = parse(&doc).unwrap_err();
            assert_eq!(
                e,
                format!(
                    "in.spdx: line {line}: a carriage return (CR) that is not followed by a line feed (LF); SPDX tag-value lines end in LF or CRLF, and a CR alone inside a line is read as neither"
                ),
                "{doc:?}"
            );
        }
        // Inside a <text> value a CR is the value's own; CRLF is a line end.
        let ok = format!(
            "{}PackageName: p\r\nSPDXID: SPDXRef-p\r\nPackageComment: <text>a\rb</text>\r\n",
            HEAD.replace('\n', "\r\n")
        );
        let d = parse(&ok).unwrap();
        let comment = d
            .entries
            .iter()
            .find(|e| e.tag == "PackageComment")
            .unwrap();
        assert_eq!(comment.value, "a\rb");
    }

    /// What follows `</text>` on its line was silently dropped.
    #[test]
    fn nothing_may_follow_a_text_value_on_its_line() {
        let e = parse(&format!(
            "{HEAD}PackageName: p\nPackageComment: <text>a</text> SPDXID: SPDXRef-p\n"
        ))
        .unwrap_err();
        assert_eq!(
            e,
            "in.spdx: line 10: the line goes on after the </text> that ends the value of PackageComment: found \"SPDXID: SPDXRef-p\"; an entry ends with its line"
        );
        assert!(
            parse(&format!(
                "{HEAD}PackageName: p\nSPDXID: SPDXRef-p\nPackageComment: <text>a</text> \t\n"
            ))
            .is_ok()
        );
    }

    /// Issue 19: every value quoted from a tag-value file is shortened.
    #[test]
    fn refusals_quote_values_shortened() {
        let long = "v".repeat(60_000);
        let tag = "T".repeat(1 << 20);
        for (doc, expect) in [
            (format!("SPDXVersion: {long}\n"), "version \"vvv"),
            (
                format!("{HEAD}{long}\n"),
                "expected `Tag: value`, found \"vvv",
            ),
            (format!("{HEAD}{tag}: <text>x\n"), "the <text> value of TTT"),
            (
                format!("{HEAD}PackageName: p\nSPDXID: SPDXRef-p\nExternalRef: {long}\n"),
                "ExternalRef needs a category, a type and a locator; found \"vvv",
            ),
            (
                format!("{HEAD}PackageName: p\nSPDXID: SPDXRef-p\nPackageChecksum: {long}\n"),
                "PackageChecksum needs `ALGORITHM: value`; found \"vvv",
            ),
            (
                format!(
                    "{HEAD}PackageName: p\nSPDXID: SPDXRef-{long}\nPackageName: q\nSPDXID: SPDXRef-{long}\n"
                ),
                "the SPDXID \"SPDXRef-vvv",
            ),
            (format!("{HEAD}PackageName: {long}\n"), "the package \"vvv"),
            (
                format!("{HEAD}PackageName: p\nPackageComment: <text>a</text>{long}\n"),
                "the line goes on after the </text>",
            ),
        ] {
            let e = parse(&doc).unwrap_err();
            assert!(e.contains(expect), "{expect}: {}", &e[..e.len().min(500)]);
            assert!(
                e.contains(" bytes)"),
                "{expect}: {}",
                &e[..e.len().min(500)]
            );
            assert!(e.len() < 1_000, "{expect}: {} bytes", e.len());
        }
    }
}
