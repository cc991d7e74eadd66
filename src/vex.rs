//! VEX: what someone says about a vulnerability in a component — "not
//! affected, because…", "fixed", "under investigation" — read from
//! CycloneDX `vulnerabilities[].analysis` (in the SBOM itself, or a
//! separate CycloneDX VEX document) and OpenVEX 0.2.0 documents.
//!
//! Read strictly: an unknown state, an unknown justification, an OpenVEX
//! `not_affected` with neither justification nor impact statement (the
//! spec requires one), a time that is not RFC 3339 — each refuses the
//! document, naming the statement. A statement is kept with the components
//! it names (CycloneDX `affects[].ref` resolved to a PURL; OpenVEX products
//! and their subcomponents) and is applied to nothing else: never to the
//! same vulnerability in another package. Where several statements speak
//! of one vulnerability in one component, the latest wins (OpenVEX's rule);
//! equally late ones that disagree leave it open.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::purl::Purl;

/// A VEX file is a page to a few megabytes of JSON.
pub const MAX_VEX_BYTES: u64 = 64 * 1024 * 1024;
/// More statements than this in one document is not a VEX document.
const MAX_STATEMENTS: usize = 1_000_000;

/// What a statement says of the vulnerability in the component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    // Closing: the finding is answered.
    NotAffected,
    FalsePositive,
    Fixed,
    Resolved,
    ResolvedWithPedigree,
    // Open: the finding stands.
    Affected,
    Exploitable,
    InTriage,
    UnderInvestigation,
}

impl Status {
    /// Whether it answers the finding, taking it out of the policy's
    /// failures (the application's view only).
    pub fn closes(self) -> bool {
        matches!(
            self,
            Status::NotAffected
                | Status::FalsePositive
                | Status::Fixed
                | Status::Resolved
                | Status::ResolvedWithPedigree
        )
    }

    /// As the document wrote it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotAffected => "not_affected",
            Status::FalsePositive => "false_positive",
            Status::Fixed => "fixed",
            Status::Resolved => "resolved",
            Status::ResolvedWithPedigree => "resolved_with_pedigree",
            Status::Affected => "affected",
            Status::Exploitable => "exploitable",
            Status::InTriage => "in_triage",
            Status::UnderInvestigation => "under_investigation",
        }
    }
}

const CDX_STATES: [(&str, Status); 6] = [
    ("resolved", Status::Resolved),
    ("resolved_with_pedigree", Status::ResolvedWithPedigree),
    ("exploitable", Status::Exploitable),
    ("in_triage", Status::InTriage),
    ("false_positive", Status::FalsePositive),
    ("not_affected", Status::NotAffected),
];
const CDX_JUSTIFICATIONS: [&str; 9] = [
    "code_not_present",
    "code_not_reachable",
    "requires_configuration",
    "requires_dependency",
    "requires_environment",
    "protected_by_compiler",
    "protected_at_runtime",
    "protected_at_perimeter",
    "protected_by_mitigating_control",
];
const OPENVEX_STATUSES: [(&str, Status); 4] = [
    ("not_affected", Status::NotAffected),
    ("affected", Status::Affected),
    ("fixed", Status::Fixed),
    ("under_investigation", Status::UnderInvestigation),
];
const OPENVEX_JUSTIFICATIONS: [&str; 5] = [
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
];
const OPENVEX_CONTEXT: &str = "https://openvex.dev/ns/v0.2.0";

/// One statement about one vulnerability in the components it names.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// The vulnerability's id as written, then its aliases.
    pub ids: Vec<String>,
    /// The components it is about (a PURL without a version names every
    /// version of that package).
    pub components: Vec<Purl>,
    pub status: Status,
    pub justification: Option<String>,
    /// The impact or action statement, or CycloneDX's `detail`.
    pub detail: Option<String>,
    /// Who says so: the document's author, as it names them.
    pub author: Option<String>,
    /// When (the statement's time, else its document's).
    pub time: Option<OffsetDateTime>,
    /// Where it was read: `FILE statements[3]` or `FILE vulnerabilities[2]`.
    pub origin: String,
}

/// Why a VEX document cannot be used, naming the file and the statement.
#[derive(Debug, thiserror::Error)]
pub enum VexError {
    #[error("{path}: cannot read the VEX document: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a VEX document: {why}")]
    NotVex { path: String, why: String },
    #[error("{path}: {at}: {why}")]
    Invalid {
        path: String,
        at: String,
        why: String,
    },
}

/// What reading a document left unapplied, one line each (a reference
/// that names no component, a version range not read).
pub type Notes = Vec<String>;

/// Read the VEX document at `path`: OpenVEX 0.2.0 (by its `@context`) or a
/// CycloneDX document with `vulnerabilities` (by `bomFormat`). A CycloneDX
/// `affects[].ref` is resolved by `resolve` (a BOM-Link into the SBOM being
/// reported on), else against the document's own components.
pub fn read_file(
    path: &Path,
    resolve: &dyn Fn(&str) -> Option<String>,
) -> Result<(Vec<Statement>, Notes), VexError> {
    let shown = path.display().to_string();
    let bytes =
        crate::fsutil::read_regular(path, MAX_VEX_BYTES).map_err(|source| VexError::Read {
            path: shown.clone(),
            source,
        })?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| VexError::NotVex {
        path: shown.clone(),
        why: format!("not JSON ({e})"),
    })?;
    if value.get("@context").is_some() {
        return openvex(&shown, &value).map(|s| (s, Vec::new()));
    }
    if value.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        let own = bom_refs(&value);
        let both = |r: &str| resolve(r).or_else(|| own.get(r).cloned());
        return cyclonedx(&shown, &value, &both);
    }
    Err(VexError::NotVex {
        path: shown,
        why: "neither an OpenVEX document (no @context) nor a CycloneDX one (no bomFormat)".into(),
    })
}

/// A CycloneDX document's `bom-ref` → PURL, its components nested too.
pub fn bom_refs(doc: &Value) -> BTreeMap<String, String> {
    fn walk(list: Option<&Value>, out: &mut BTreeMap<String, String>, depth: usize) {
        let Some(items) = list.and_then(Value::as_array) else {
            return;
        };
        for c in items {
            if let (Some(r), Some(p)) = (
                c.get("bom-ref").and_then(Value::as_str),
                c.get("purl").and_then(Value::as_str),
            ) {
                out.insert(r.to_string(), p.to_string());
            }
            // Deeper than this is not a component tree.
            if depth < 64 {
                walk(c.get("components"), out, depth + 1);
            }
        }
    }
    let mut out = BTreeMap::new();
    if let Some(m) = doc.pointer("/metadata/component") {
        walk(Some(&Value::Array(vec![m.clone()])), &mut out, 0);
    }
    walk(doc.get("components"), &mut out, 0);
    out
}

fn time_of(
    path: &str,
    at: &str,
    field: &str,
    v: Option<&Value>,
) -> Result<Option<OffsetDateTime>, VexError> {
    let Some(v) = v else { return Ok(None) };
    let text = v.as_str().ok_or_else(|| VexError::Invalid {
        path: path.into(),
        at: at.into(),
        why: format!("{field} is not a string"),
    })?;
    OffsetDateTime::parse(text, &Rfc3339)
        .map(Some)
        .map_err(|_| VexError::Invalid {
            path: path.into(),
            at: at.into(),
            why: format!("{field} {} is not an RFC 3339 time", quoted(text)),
        })
}

fn quoted(s: &str) -> String {
    let short: String = s.chars().take(80).collect();
    format!("{:?}", crate::term::escape(&short))
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string)
}

/// A state as the document writes it, one of `table`'s; refused in words
/// (`{field} "x" is not {expected}`) otherwise.
fn enumerated(
    table: &[(&str, Status)],
    value: Option<&Value>,
    field: &str,
    expected: &str,
) -> Result<Status, String> {
    let written = value.and_then(Value::as_str).unwrap_or("");
    table
        .iter()
        .find(|(n, _)| *n == written)
        .map(|(_, st)| *st)
        .ok_or_else(|| format!("{field} {} is not {expected}", quoted(written)))
}

/// The statement's justification, when it gives one, one of `allowed`.
fn justification(
    at: &Value,
    allowed: &[&str],
    field: &str,
    expected: &str,
) -> Result<Option<String>, String> {
    let key = field.rsplit('.').next().unwrap_or(field);
    match text(at, key) {
        Some(j) if !allowed.contains(&j.as_str()) => {
            Err(format!("{field} {} is not {expected}", quoted(&j)))
        }
        j => Ok(j),
    }
}

/// The statements of an OpenVEX 0.2.0 document.
pub fn openvex(path: &str, doc: &Value) -> Result<Vec<Statement>, VexError> {
    let context = doc.get("@context").and_then(Value::as_str).unwrap_or("");
    if context.trim_end_matches('/') != OPENVEX_CONTEXT {
        return Err(VexError::NotVex {
            path: path.into(),
            why: format!(
                "@context {} is not OpenVEX 0.2.0 ({OPENVEX_CONTEXT})",
                quoted(context)
            ),
        });
    }
    let author = text(doc, "author");
    let doc_time = time_of(path, "the document", "timestamp", doc.get("timestamp"))?;
    let doc_updated = time_of(
        path,
        "the document",
        "last_updated",
        doc.get("last_updated"),
    )?;
    let list = doc
        .get("statements")
        .and_then(Value::as_array)
        .ok_or_else(|| VexError::NotVex {
            path: path.into(),
            why: "it has no statements list".into(),
        })?;
    if list.len() > MAX_STATEMENTS {
        return Err(VexError::NotVex {
            path: path.into(),
            why: format!("more than {MAX_STATEMENTS} statements"),
        });
    }
    let mut out = Vec::with_capacity(list.len());
    for (i, s) in list.iter().enumerate() {
        let at = format!("statements[{i}]");
        let bad = |why: String| VexError::Invalid {
            path: path.into(),
            at: at.clone(),
            why,
        };
        let vuln = s.get("vulnerability").unwrap_or(&Value::Null);
        let name = text(vuln, "name").ok_or_else(|| bad("vulnerability.name is missing".into()))?;
        let mut ids = vec![name];
        ids.extend(strings(vuln.get("aliases")));
        let status = enumerated(
            &OPENVEX_STATUSES,
            s.get("status"),
            "status",
            "one of not_affected, affected, fixed, under_investigation",
        )
        .map_err(bad)?;
        let justification = justification(
            s,
            &OPENVEX_JUSTIFICATIONS,
            "justification",
            "one of OpenVEX's five",
        )
        .map_err(bad)?;
        let impact = text(s, "impact_statement");
        if status == Status::NotAffected && justification.is_none() && impact.is_none() {
            return Err(bad(
                "not_affected without a justification or an impact statement (OpenVEX requires one)"
                    .into(),
            ));
        }
        let products = s
            .get("products")
            .and_then(Value::as_array)
            .filter(|p| !p.is_empty())
            .ok_or_else(|| bad("it names no products".into()))?;
        let mut components = Vec::new();
        for (j, p) in products.iter().enumerate() {
            let mut named = Vec::new();
            // A product's subcomponents are where the vulnerability is; the
            // product alone names itself.
            let subs = p.get("subcomponents").and_then(Value::as_array);
            match subs.filter(|s| !s.is_empty()) {
                Some(subs) => named.extend(subs.iter().filter_map(product_purl)),
                None => named.extend(product_purl(p)),
            }
            if named.is_empty() {
                return Err(bad(format!(
                    "products[{j}] names no component by package URL (@id or identifiers.purl)"
                )));
            }
            for n in named {
                components.push(Purl::parse(&n).map_err(|e| {
                    bad(format!(
                        "products[{j}]: {} is not a package URL: {e}",
                        quoted(&n)
                    ))
                })?);
            }
        }
        let time = time_of(path, &at, "last_updated", s.get("last_updated"))?
            .or(time_of(path, &at, "timestamp", s.get("timestamp"))?)
            .or(doc_updated)
            .or(doc_time);
        out.push(Statement {
            ids,
            components,
            status,
            justification,
            detail: impact.or_else(|| text(s, "action_statement")),
            author: author.clone(),
            time,
            origin: format!("{path} {at}"),
        });
    }
    Ok(out)
}

/// A product's (or subcomponent's) package URL: its `@id` when that is
/// one, else `identifiers.purl`.
fn product_purl(p: &Value) -> Option<String> {
    let id = p.get("@id").and_then(Value::as_str);
    id.filter(|i| i.starts_with("pkg:"))
        .map(str::to_string)
        .or_else(|| {
            p.pointer("/identifiers/purl")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
}

/// The statements of a CycloneDX document's `vulnerabilities` (only those
/// with an `analysis`: the others are findings, not statements), each
/// `affects[].ref` resolved to a PURL by `resolve` (a bom-ref of the
/// document, a BOM-Link) or taken as one.
pub fn cyclonedx(
    path: &str,
    doc: &Value,
    resolve: &dyn Fn(&str) -> Option<String>,
) -> Result<(Vec<Statement>, Notes), VexError> {
    let Some(list) = doc.get("vulnerabilities").and_then(Value::as_array) else {
        return Ok((Vec::new(), Vec::new()));
    };
    if list.len() > MAX_STATEMENTS {
        return Err(VexError::NotVex {
            path: path.into(),
            why: format!("more than {MAX_STATEMENTS} vulnerabilities"),
        });
    }
    let author = cdx_author(doc);
    let doc_time = time_of(
        path,
        "metadata",
        "timestamp",
        doc.pointer("/metadata/timestamp"),
    )?;
    let mut out = Vec::new();
    let mut notes = Vec::new();
    for (i, v) in list.iter().enumerate() {
        let Some(analysis) = v.get("analysis").filter(|a| a.get("state").is_some()) else {
            continue;
        };
        let at = format!("vulnerabilities[{i}]");
        let bad = |why: String| VexError::Invalid {
            path: path.into(),
            at: at.clone(),
            why,
        };
        let id = text(v, "id").ok_or_else(|| bad("it has no id".into()))?;
        let mut ids = vec![id];
        // References name the same vulnerability elsewhere (a GHSA for a CVE).
        if let Some(refs) = v.get("references").and_then(Value::as_array) {
            ids.extend(refs.iter().filter_map(|r| text(r, "id")));
        }
        let status = enumerated(
            &CDX_STATES,
            analysis.get("state"),
            "analysis.state",
            "a CycloneDX state",
        )
        .map_err(bad)?;
        let justification = justification(
            analysis,
            &CDX_JUSTIFICATIONS,
            "analysis.justification",
            "a CycloneDX justification",
        )
        .map_err(bad)?;
        let mut components = Vec::new();
        for (j, a) in v
            .get("affects")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let Some(r) = a.get("ref").and_then(Value::as_str) else {
                return Err(bad(format!("affects[{j}] has no ref")));
            };
            let purl = if r.starts_with("pkg:") {
                Some(r.to_string())
            } else {
                resolve(r)
            };
            let Some(purl) = purl else {
                notes.push(format!(
                    "{path} {at}: affects[{j}] ref {} names no component with a package URL here; not applied",
                    quoted(r)
                ));
                continue;
            };
            let Ok(parsed) = Purl::parse(&purl) else {
                notes.push(format!(
                    "{path} {at}: affects[{j}] names {}, not a valid package URL; not applied",
                    quoted(&purl)
                ));
                continue;
            };
            // `versions` narrows the statement to the versions listed; a
            // range is not read, so such an entry is not applied.
            match a.get("versions").and_then(Value::as_array) {
                None => components.push(parsed),
                Some(vs) => {
                    for ver in vs {
                        match ver.get("version").and_then(Value::as_str) {
                            Some(exact) => match parsed.with_version(exact) {
                                Ok(p) => components.push(p),
                                Err(_) => notes.push(format!(
                                    "{path} {at}: affects[{j}] version {} does not make a package URL; not applied",
                                    quoted(exact)
                                )),
                            },
                            None => notes.push(format!(
                                "{path} {at}: affects[{j}] gives a version range, which is not read; not applied"
                            )),
                        }
                    }
                }
            }
        }
        let time = time_of(
            path,
            &at,
            "analysis.lastUpdated",
            analysis.get("lastUpdated"),
        )?
        .or(time_of(
            path,
            &at,
            "analysis.firstIssued",
            analysis.get("firstIssued"),
        )?)
        .or(time_of(path, &at, "updated", v.get("updated"))?)
        .or(doc_time);
        out.push(Statement {
            ids,
            components,
            status,
            justification,
            detail: text(analysis, "detail"),
            author: author.clone(),
            time,
            origin: format!("{path} {at}"),
        });
    }
    Ok((out, notes))
}

/// Who a CycloneDX document says made it: its authors' names, else its
/// manufacturer's or supplier's.
fn cdx_author(doc: &Value) -> Option<String> {
    let names: Vec<String> = doc
        .pointer("/metadata/authors")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|x| text(x, "name")).collect())
        .unwrap_or_default();
    if !names.is_empty() {
        return Some(names.join(", "));
    }
    [
        "/metadata/manufacturer",
        "/metadata/supplier",
        "/metadata/manufacture",
    ]
    .iter()
    .find_map(|p| doc.pointer(p).and_then(|m| text(m, "name")))
}

/// Whether a statement naming `named` is about `component`: the same
/// package; the same version when it names one; each qualifier and the
/// subpath it names, the same.
pub fn names(named: &Purl, component: &Purl) -> bool {
    named.ty() == component.ty()
        && named.namespace() == component.namespace()
        && named.name() == component.name()
        && named
            .version()
            .is_none_or(|v| Some(v) == component.version())
        && named
            .qualifiers()
            .iter()
            .all(|(k, v)| component.qualifiers().get(k) == Some(v))
        && named
            .subpath()
            .is_none_or(|s| Some(s) == component.subpath())
}

/// What the statements say of one vulnerability in one component.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision<'a> {
    /// The statement that stands (the latest).
    pub statement: &'a Statement,
    /// Equally late statements that disagree: then the finding stays open
    /// and this says why.
    pub conflict: Option<String>,
}

impl Decision<'_> {
    /// Whether the finding is answered: the latest statement closes it and
    /// no equally late one keeps it open.
    pub fn closes(&self) -> bool {
        self.statement.status.closes() && self.conflict.is_none()
    }
}

/// Every statement read, for one application.
#[derive(Debug, Clone, Default)]
pub struct Vex {
    statements: Vec<Statement>,
    pub notes: Notes,
    /// Statements by each id they name (lowercase), made on first use: a
    /// finding looks only at the statements about it, however many a
    /// document holds.
    index: std::sync::OnceLock<std::collections::HashMap<String, Vec<usize>>>,
}

impl Vex {
    pub fn new(statements: Vec<Statement>, notes: Notes) -> Vex {
        Vex {
            statements,
            notes,
            index: Default::default(),
        }
    }

    /// More statements (and notes) read.
    pub fn add(&mut self, statements: Vec<Statement>, notes: Notes) {
        self.statements.extend(statements);
        self.notes.extend(notes);
        self.index = Default::default();
    }

    /// Another application document's statements and notes, after these.
    pub fn merge(&mut self, other: Vex) {
        self.add(other.statements, other.notes);
    }

    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    fn index(&self) -> &std::collections::HashMap<String, Vec<usize>> {
        self.index.get_or_init(|| {
            let mut index: std::collections::HashMap<String, Vec<usize>> = Default::default();
            for (n, s) in self.statements.iter().enumerate() {
                let mut ids: Vec<String> = s.ids.iter().map(|i| i.to_ascii_lowercase()).collect();
                ids.sort();
                ids.dedup();
                for i in ids {
                    index.entry(i).or_default().push(n);
                }
            }
            index
        })
    }

    /// What is said of the vulnerability known by `ids` (an id and its
    /// aliases) in `component`: only statements naming this component and
    /// one of these ids count; the latest wins.
    pub fn decide(&self, component: &Purl, ids: &[String]) -> Option<Decision<'_>> {
        let index = self.index();
        let mut which: Vec<usize> = ids
            .iter()
            .filter_map(|i| index.get(&i.to_ascii_lowercase()))
            .flatten()
            .copied()
            .collect();
        // Document order, each once.
        which.sort_unstable();
        which.dedup();
        let mut about: Vec<&Statement> = which
            .into_iter()
            .map(|n| &self.statements[n])
            .filter(|s| s.components.iter().any(|c| names(c, component)))
            .collect();
        // Undated statements count as oldest; among equals, document order.
        about.sort_by_key(|s| s.time);
        let latest = *about.last()?;
        let rivals: Vec<&&Statement> = about
            .iter()
            .filter(|s| s.time == latest.time && s.status.closes() != latest.status.closes())
            .collect();
        let conflict = (!rivals.is_empty()).then(|| {
            format!(
                "{} says {} and {} says {}, neither later",
                latest.origin,
                latest.status.as_str(),
                rivals[0].origin,
                rivals[0].status.as_str()
            )
        });
        // Of equally late statements that disagree, the open one stands.
        let statement = match (&conflict, latest.status.closes()) {
            (Some(_), true) => *rivals[0],
            _ => latest,
        };
        Some(Decision {
            statement,
            conflict,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(s: &str) -> Purl {
        Purl::parse(s).unwrap()
    }

    fn openvex_doc(statements: Value) -> Value {
        json!({
            "@context": "https://openvex.dev/ns/v0.2.0",
            "@id": "https://example.test/vex-1",
            "author": "Example Security",
            "timestamp": "2026-01-01T00:00:00Z",
            "version": 1,
            "statements": statements
        })
    }

    #[test]
    fn openvex_statements_are_read_with_their_scope() {
        let doc = openvex_doc(json!([
            {"vulnerability": {"name": "CVE-2026-1", "aliases": ["GHSA-aaaa-bbbb-cccc"]},
             "products": [{"@id": "pkg:oci/app@sha256%3Aabc",
                           "subcomponents": [{"@id": "pkg:npm/left-pad@1.3.0"}]}],
             "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"},
            {"vulnerability": {"name": "CVE-2026-2"},
             "products": [{"@id": "pkg:npm/lodash@4.17.20"}],
             "status": "under_investigation",
             "timestamp": "2026-02-01T00:00:00Z"}
        ]));
        let s = openvex("v.json", &doc).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].ids, ["CVE-2026-1", "GHSA-aaaa-bbbb-cccc"]);
        // The subcomponent, not the product, is what it is about.
        assert_eq!(s[0].components, [p("pkg:npm/left-pad@1.3.0")]);
        assert_eq!(s[0].author.as_deref(), Some("Example Security"));
        assert_eq!(s[0].origin, "v.json statements[0]");
        assert_eq!(s[1].components, [p("pkg:npm/lodash@4.17.20")]);
        assert_eq!(
            s[1].time,
            Some(time::macros::datetime!(2026-02-01 00:00 UTC))
        );
    }

    #[test]
    fn openvex_documents_that_break_the_spec_are_refused_naming_the_statement() {
        let one = |s: Value| {
            openvex("v.json", &openvex_doc(json!([s])))
                .unwrap_err()
                .to_string()
        };
        let base = json!({"vulnerability": {"name": "CVE-2026-1"},
                          "products": [{"@id": "pkg:npm/a@1"}], "status": "not_affected"});
        let e = one(base.clone());
        assert_eq!(
            e,
            "v.json: statements[0]: not_affected without a justification or an impact statement (OpenVEX requires one)"
        );
        let mut s = base.clone();
        s["impact_statement"] = json!("the function is never called");
        assert!(openvex("v.json", &openvex_doc(json!([s]))).is_ok());
        let mut s = base.clone();
        s["status"] = json!("not_affected_at_all");
        assert!(one(s).contains("status \"not_affected_at_all\" is not one of"));
        let mut s = base.clone();
        s["justification"] = json!("trust_me");
        assert!(one(s).contains("justification \"trust_me\" is not one of OpenVEX's five"));
        let mut s = base.clone();
        s["justification"] = json!("component_not_present");
        s["products"] = json!([]);
        assert!(one(s).contains("names no products"));
        let mut s = base.clone();
        s["justification"] = json!("component_not_present");
        s["products"] = json!([{"@id": "https://example.test/not-a-purl"}]);
        assert!(one(s).contains("names no component by package URL"));
        let mut s = base.clone();
        s["justification"] = json!("component_not_present");
        s["timestamp"] = json!("yesterday");
        assert!(one(s).contains("timestamp \"yesterday\" is not an RFC 3339 time"));
        let mut d = openvex_doc(json!([]));
        d["@context"] = json!("https://openvex.dev/ns/v0.0.1");
        assert!(
            openvex("v.json", &d)
                .unwrap_err()
                .to_string()
                .contains("is not OpenVEX 0.2.0")
        );
    }

    fn cdx(vulns: Value) -> Value {
        json!({
            "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
            "metadata": {"timestamp": "2026-01-01T00:00:00Z", "authors": [{"name": "App Team"}]},
            "components": [
                {"bom-ref": "a", "name": "a", "purl": "pkg:npm/a@1.0.0"},
                {"bom-ref": "b", "name": "b", "purl": "pkg:npm/b@2.0.0",
                 "components": [{"bom-ref": "b-inner", "name": "c", "purl": "pkg:npm/c@3.0.0"}]}
            ],
            "vulnerabilities": vulns
        })
    }

    #[test]
    fn cyclonedx_analyses_are_scoped_by_their_affects() {
        let doc = cdx(json!([
            {"id": "CVE-2026-1", "references": [{"id": "GHSA-aaaa-bbbb-cccc"}],
             "analysis": {"state": "not_affected", "justification": "code_not_reachable",
                          "detail": "never called", "lastUpdated": "2026-03-01T00:00:00Z"},
             "affects": [{"ref": "a"}, {"ref": "b-inner"}, {"ref": "nowhere"}]},
            {"id": "CVE-2026-2", "affects": [{"ref": "a"}]},
            {"id": "CVE-2026-3", "analysis": {"state": "in_triage"},
             "affects": [{"ref": "b", "versions": [{"version": "2.0.0"}, {"range": "vers:npm/<2"}]}]}
        ]));
        let refs = bom_refs(&doc);
        let (s, notes) = cyclonedx("bom.json", &doc, &|r| refs.get(r).cloned()).unwrap();
        // The finding without an analysis is not a statement.
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].ids, ["CVE-2026-1", "GHSA-aaaa-bbbb-cccc"]);
        assert_eq!(
            s[0].components,
            [p("pkg:npm/a@1.0.0"), p("pkg:npm/c@3.0.0")]
        );
        assert_eq!(s[0].author.as_deref(), Some("App Team"));
        assert_eq!(s[0].detail.as_deref(), Some("never called"));
        assert_eq!(
            s[0].time,
            Some(time::macros::datetime!(2026-03-01 00:00 UTC))
        );
        assert_eq!(s[1].components, [p("pkg:npm/b@2.0.0")]);
        assert_eq!(
            s[1].time,
            Some(time::macros::datetime!(2026-01-01 00:00 UTC))
        );
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(
            notes[0].contains("ref \"nowhere\" names no component"),
            "{notes:?}"
        );
        assert!(
            notes[1].contains("version range, which is not read"),
            "{notes:?}"
        );

        let bad = cdx(json!([{"id": "CVE-1", "analysis": {"state": "fine"}, "affects": []}]));
        let e = cyclonedx("bom.json", &bad, &|_| None)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "bom.json: vulnerabilities[0]: analysis.state \"fine\" is not a CycloneDX state"
        );
        let bad = cdx(json!([{"id": "CVE-1",
            "analysis": {"state": "not_affected", "justification": "because"}, "affects": []}]));
        assert!(
            cyclonedx("bom.json", &bad, &|_| None)
                .unwrap_err()
                .to_string()
                .contains("is not a CycloneDX justification")
        );
    }

    fn statement(id: &str, on: &str, status: Status, at: Option<&str>, origin: &str) -> Statement {
        Statement {
            ids: vec![id.into()],
            components: vec![p(on)],
            status,
            justification: None,
            detail: None,
            author: None,
            time: at.map(|t| OffsetDateTime::parse(t, &Rfc3339).unwrap()),
            origin: origin.into(),
        }
    }

    #[test]
    fn a_statement_applies_only_to_the_component_it_names() {
        let vex = Vex::new(
            vec![statement(
                "CVE-1",
                "pkg:npm/a@1.0.0",
                Status::NotAffected,
                None,
                "x",
            )],
            vec![],
        );
        let ids = ["CVE-1".to_string()];
        assert!(vex.decide(&p("pkg:npm/a@1.0.0"), &ids).unwrap().closes());
        // The same vulnerability in another package, or another version.
        assert!(vex.decide(&p("pkg:npm/b@1.0.0"), &ids).is_none());
        assert!(vex.decide(&p("pkg:npm/a@1.0.1"), &ids).is_none());
        assert!(vex.decide(&p("pkg:pypi/a@1.0.0"), &ids).is_none());
        // Another vulnerability in the same package.
        assert!(
            vex.decide(&p("pkg:npm/a@1.0.0"), &["CVE-2".into()])
                .is_none()
        );
        // Known by an alias.
        assert!(
            vex.decide(&p("pkg:npm/a@1.0.0"), &["GHSA-x".into(), "cve-1".into()])
                .is_some()
        );
        // A statement without a version names every version; qualifiers it
        // names must be there.
        assert!(names(&p("pkg:npm/a"), &p("pkg:npm/a@9")));
        assert!(names(
            &p("pkg:deb/debian/curl?arch=amd64"),
            &p("pkg:deb/debian/curl@8?arch=amd64&distro=bookworm")
        ));
        assert!(!names(
            &p("pkg:deb/debian/curl?arch=arm64"),
            &p("pkg:deb/debian/curl@8?arch=amd64")
        ));
    }

    #[test]
    fn the_latest_statement_wins_and_equal_ones_that_disagree_stay_open() {
        let on = "pkg:npm/a@1.0.0";
        let ids = ["CVE-1".to_string()];
        let vex = |s: Vec<Statement>| Vex::new(s, vec![]);
        let v = vex(vec![
            statement(
                "CVE-1",
                on,
                Status::UnderInvestigation,
                Some("2026-01-01T00:00:00Z"),
                "first",
            ),
            statement(
                "CVE-1",
                on,
                Status::NotAffected,
                Some("2026-02-01T00:00:00Z"),
                "second",
            ),
        ]);
        let d = v.decide(&p(on), &ids).unwrap();
        assert_eq!(d.statement.origin, "second");
        assert!(d.closes());
        let v = vex(vec![
            statement(
                "CVE-1",
                on,
                Status::NotAffected,
                Some("2026-02-01T00:00:00Z"),
                "first",
            ),
            statement(
                "CVE-1",
                on,
                Status::Affected,
                Some("2026-03-01T00:00:00Z"),
                "second",
            ),
        ]);
        assert!(!v.decide(&p(on), &ids).unwrap().closes());
        // Undated is oldest.
        let v = vex(vec![
            statement(
                "CVE-1",
                on,
                Status::Fixed,
                Some("2026-02-01T00:00:00Z"),
                "dated",
            ),
            statement("CVE-1", on, Status::InTriage, None, "undated"),
        ]);
        assert_eq!(v.decide(&p(on), &ids).unwrap().statement.origin, "dated");
        // Equally late and disagreeing: open, saying why.
        let v = vex(vec![
            statement(
                "CVE-1",
                on,
                Status::NotAffected,
                Some("2026-02-01T00:00:00Z"),
                "one",
            ),
            statement(
                "CVE-1",
                on,
                Status::Exploitable,
                Some("2026-02-01T00:00:00Z"),
                "two",
            ),
        ]);
        let d = v.decide(&p(on), &ids).unwrap();
        assert!(!d.closes());
        assert_eq!(d.statement.origin, "two");
        assert!(d.conflict.unwrap().contains("neither later"));
    }
}
