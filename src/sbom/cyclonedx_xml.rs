//! CycloneDX XML, spec 1.2 to 1.7.
//!
//! Read through the span-keeping XML layer; written by splicing new elements
//! into the original bytes, in the document's namespace prefix, indentation
//! and line ends, and at the place the official XSD's sequences require.

use std::path::Path;

use super::splice::Edit;
use super::xml::{self, Document, Element, XML_WS};
use super::{
    CdxVersion, Changes, Component, ComponentId, FoundReference, Hash, Limits, Reference, Role,
    SbomError, label_for, normalize_alg, sha256_in_comment, shown,
};

const NS_PREFIX: &str = "http://cyclonedx.org/schema/bom/";

/// The CycloneDX version named by a root namespace, or why it is refused.
pub(super) fn version(path: &Path, doc: &Document) -> Result<CdxVersion, SbomError> {
    let v = doc.namespace.strip_prefix(NS_PREFIX).unwrap_or_default();
    if let Some(v) = CdxVersion::parse(v) {
        return Ok(v);
    }
    let fix = match v {
        "1.0" | "1.1" => "tacos-sbom reads CycloneDX 1.2 and later (1.2 added the metadata that names the SBOM's subject and tools); upgrade it, e.g. with `cyclonedx convert --input-file IN --output-file OUT.xml --output-format xml --output-version v1_6`".to_string(),
        _ => "tacos-sbom reads CycloneDX 1.2 to 1.7".to_string(),
    };
    Err(SbomError::Unsupported {
        path: path.to_path_buf(),
        what: match v.is_empty() {
            true => "CycloneDX XML of an unknown version".to_string(),
            false => format!("CycloneDX {} XML", shown(v)),
        },
        fix,
    })
}

fn malformed(path: &Path, doc: &Document, el: &Element, why: String) -> SbomError {
    let (line, column) = xml::line_col(doc.text(), el.start);
    SbomError::Malformed {
        path: path.to_path_buf(),
        at: format!("line {line}, column {column} (<{}>)", shown(&el.qname)),
        why,
    }
}

/// Check the elements this module reads: text where text is read, within
/// the size limit; a `version` that is an integer; the component count.
pub(super) fn check(path: &Path, doc: &Document, limits: &Limits) -> Result<(), SbomError> {
    let root = doc.root();
    if &*root.local != "bom" {
        return Err(malformed(
            path,
            doc,
            root,
            format!(
                "the root element is <{}>, expected <bom>",
                shown(&root.qname)
            ),
        ));
    }
    if let Some(v) = root.attr("version")
        && v.value.trim_matches(XML_WS).parse::<u64>().is_err()
    {
        return Err(malformed(
            path,
            doc,
            root,
            format!(
                "the version attribute is {:?}, expected an integer",
                shown(&v.value)
            ),
        ));
    }
    let mut count = 0usize;
    let text_field = |el: &Element, local: &str| -> Result<(), SbomError> {
        for child in el.children_named(local) {
            if !child.leaf {
                return Err(malformed(
                    path,
                    doc,
                    child,
                    format!(
                        "<{}> has child elements; expected text",
                        shown(&child.qname)
                    ),
                ));
            }
            if child.content_len() > limits.max_string_bytes {
                return Err(SbomError::ValueTooLong {
                    path: path.to_path_buf(),
                    at: {
                        let (l, c) = xml::line_col(doc.text(), child.start);
                        format!("line {l}, column {c} (<{}>)", shown(&child.qname))
                    },
                    size: child.content_len(),
                    limit: limits.max_string_bytes,
                });
            }
        }
        Ok(())
    };
    let references = |el: &Element| -> Result<(), SbomError> {
        for list in el.children_named("externalReferences") {
            for r in list.children_named("reference") {
                text_field(r, "url")?;
                text_field(r, "comment")?;
                for hashes in r.children_named("hashes") {
                    text_field(hashes, "hash")?;
                }
            }
        }
        Ok(())
    };
    let mut stack: Vec<&Element> = component_elements(doc)
        .into_iter()
        .map(|(e, _)| e)
        .collect();
    while let Some(c) = stack.pop() {
        count += 1;
        if count > limits.max_components {
            return Err(SbomError::TooManyComponents {
                path: path.to_path_buf(),
                limit: limits.max_components,
            });
        }
        for f in ["name", "group", "version", "purl"] {
            text_field(c, f)?;
        }
        for hashes in c.children_named("hashes") {
            text_field(hashes, "hash")?;
        }
        references(c)?;
    }
    references(root)?;
    if let Some(tools) = root.child("metadata").and_then(|m| m.child("tools")) {
        text_field(tools, "name")?;
        for t in tools.children_named("tool") {
            text_field(t, "name")?;
        }
        for list in tools.children_named("components") {
            for t in list.children_named("component") {
                text_field(t, "name")?;
            }
        }
    }
    Ok(())
}

/// Components in traversal order: the subject (`metadata/component`) and
/// its sub-components first, then `components` at every depth.
fn component_elements(doc: &Document) -> Vec<(&Element, Role)> {
    fn walk<'a>(list: Option<&'a Element>, out: &mut Vec<(&'a Element, Role)>) {
        let Some(list) = list else { return };
        for c in list.children_named("component") {
            out.push((c, Role::Dependency));
            walk(c.child("components"), out);
        }
    }
    let root = doc.root();
    let mut out = Vec::new();
    if let Some(subject) = root.child("metadata").and_then(|m| m.child("component")) {
        out.push((subject, Role::Subject));
        walk(subject.child("components"), &mut out);
    }
    walk(root.child("components"), &mut out);
    out
}

pub(super) fn components(doc: &Document) -> Vec<Component> {
    component_elements(doc)
        .into_iter()
        .enumerate()
        .map(|(i, (el, role))| {
            let name = doc.child_text(el, "name").map(|name| {
                match doc.child_text(el, "group").filter(|g| !g.is_empty()) {
                    Some(group) => format!("{group}/{name}"),
                    None => name,
                }
            });
            let version = doc.child_text(el, "version");
            let hashes = el
                .children_named("hashes")
                .flat_map(|h| h.children_named("hash"))
                .filter_map(|h| {
                    Some(Hash {
                        alg: normalize_alg(&h.attr("alg")?.value),
                        hex: doc.text_of(h)?.trim_matches(XML_WS).to_ascii_lowercase(),
                    })
                })
                .collect();
            let bom_ref = el.attr("bom-ref").map(|a| a.value.clone());
            Component {
                id: ComponentId(i),
                role,
                label: label_for(
                    bom_ref.as_deref().map(Into::into),
                    name.as_deref(),
                    version.as_deref(),
                    i,
                ),
                purl: doc.child_text(el, "purl"),
                bom_ref,
                name,
                version,
                hashes,
            }
        })
        .collect()
}

pub(super) fn subject_name(doc: &Document) -> Option<String> {
    let root = doc.root();
    let Some(subject) = root.child("metadata").and_then(|m| m.child("component")) else {
        return root.attr("serialNumber").map(|a| a.value.clone());
    };
    let name = doc.child_text(subject, "name")?;
    Some(match doc.child_text(subject, "version") {
        Some(v) if !v.is_empty() => format!("{name}@{v}"),
        _ => name,
    })
}

fn is_ours(doc: &Document, reference: &Element, marker: &str) -> bool {
    doc.child_text(reference, "comment")
        .is_some_and(|c| c.starts_with(marker))
}

fn references_in(el: &Element) -> impl Iterator<Item = &Element> {
    el.children_named("externalReferences")
        .flat_map(|l| l.children_named("reference"))
}

fn found_in(doc: &Document, el: &Element, marker: &str) -> Vec<FoundReference> {
    references_in(el)
        .filter(|r| is_ours(doc, r, marker))
        .map(|r| {
            let from_hashes = r
                .children_named("hashes")
                .flat_map(|h| h.children_named("hash"))
                .find(|h| {
                    h.attr("alg")
                        .is_some_and(|a| normalize_alg(&a.value) == "sha256")
                })
                .and_then(|h| doc.text_of(h))
                .map(|t| t.trim_matches(XML_WS).to_ascii_lowercase());
            let comment_sha256 = doc
                .child_text(r, "comment")
                .and_then(|c| sha256_in_comment(&c));
            FoundReference {
                url: doc.child_text(r, "url").unwrap_or_default(),
                sha256: from_hashes.or_else(|| comment_sha256.clone()),
                comment_sha256,
            }
        })
        .collect()
}

pub(super) fn found_references(doc: &Document, marker: &str) -> Vec<(ComponentId, FoundReference)> {
    component_elements(doc)
        .into_iter()
        .enumerate()
        .flat_map(|(i, (el, _))| {
            found_in(doc, el, marker)
                .into_iter()
                .map(move |f| (ComponentId(i), f))
        })
        .collect()
}

pub(super) fn found_document_references(doc: &Document, marker: &str) -> Vec<FoundReference> {
    found_in(doc, doc.root(), marker)
}

// ---- writing ---------------------------------------------------------------

/// An element to write: a name in the CycloneDX namespace, attributes, and
/// text or children.
struct New {
    name: &'static str,
    attrs: Vec<(&'static str, String)>,
    text: Option<String>,
    children: Vec<New>,
}

impl New {
    fn text(name: &'static str, text: impl Into<String>) -> New {
        New {
            name,
            attrs: Vec::new(),
            text: Some(text.into()),
            children: Vec::new(),
        }
    }

    fn parent(name: &'static str, children: Vec<New>) -> New {
        New {
            name,
            attrs: Vec::new(),
            text: None,
            children,
        }
    }

    fn attr(mut self, name: &'static str, value: impl Into<String>) -> New {
        self.attrs.push((name, value.into()));
        self
    }
}

/// How the document lays out its elements.
struct Layout {
    newline: &'static str,
    /// One level of indentation; `None` when the document is on one line.
    unit: Option<String>,
}

impl Layout {
    fn detect(doc: &Document) -> Layout {
        let text = doc.text();
        let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
        let root = doc.root();
        let unit = match root.children.first() {
            Some(first) => match line_indent(text, first.start) {
                Some(child) => {
                    let base = line_indent(text, root.start).unwrap_or("");
                    let u = child.strip_prefix(base).unwrap_or(child);
                    Some(if u.is_empty() {
                        "  ".to_string()
                    } else {
                        u.to_string()
                    })
                }
                None => None,
            },
            None => text.contains('\n').then(|| "  ".to_string()),
        };
        Layout { newline, unit }
    }

    fn render(&self, el: &New, prefix: &str, indent: &str, out: &mut String) {
        out.push('<');
        out.push_str(prefix);
        out.push_str(el.name);
        for (k, v) in &el.attrs {
            out.push_str(&format!(" {k}=\"{}\"", xml::escape_attr(v)));
        }
        out.push('>');
        if let Some(t) = &el.text {
            out.push_str(&xml::escape_text(t));
        } else {
            let inner = self.deeper(indent);
            for c in &el.children {
                self.break_line(&inner, out);
                self.render(c, prefix, &inner, out);
            }
            self.break_line(indent, out);
        }
        out.push_str("</");
        out.push_str(prefix);
        out.push_str(el.name);
        out.push('>');
    }

    fn deeper(&self, indent: &str) -> String {
        match &self.unit {
            Some(u) => format!("{indent}{u}"),
            None => String::new(),
        }
    }

    fn break_line(&self, indent: &str, out: &mut String) {
        if self.unit.is_some() {
            out.push_str(self.newline);
            out.push_str(indent);
        }
    }
}

/// The indentation of the line `offset` is on, if only whitespace precedes
/// it there. Only the blanks just before `offset` are looked at: searching
/// back for the line's start would, in a document on one line, read all of
/// it again for every element written into it.
fn line_indent(text: &str, offset: usize) -> Option<&str> {
    let before = &text[..offset];
    let line_start = before.trim_end_matches([' ', '\t']).len();
    (line_start == 0 || before.as_bytes()[line_start - 1] == b'\n').then(|| &before[line_start..])
}

/// Additions to an empty element (`<x/>`), written as one replacement.
struct Fill {
    tag_close: usize,
    head_end: usize,
    qname: String,
    indent: String,
    items: Vec<(usize, String)>,
}

struct Editor<'d> {
    doc: &'d Document,
    layout: Layout,
    prefix: String,
    edits: Vec<Edit>,
    /// Insertions at one offset, with the schema rank that orders them.
    inserts: Vec<(usize, usize, String)>,
    fills: Vec<Fill>,
}

impl<'d> Editor<'d> {
    fn new(doc: &'d Document) -> Self {
        let prefix = doc
            .root()
            .prefix()
            .map(|p| format!("{p}:"))
            .unwrap_or_default();
        Editor {
            doc,
            layout: Layout::detect(doc),
            prefix,
            edits: Vec::new(),
            inserts: Vec::new(),
            fills: Vec::new(),
        }
    }

    fn indent_of(&self, el: &Element) -> String {
        line_indent(self.doc.text(), el.start)
            .unwrap_or("")
            .to_string()
    }

    fn children_indent(&self, parent: &Element) -> String {
        match parent.children.first() {
            Some(c) => line_indent(self.doc.text(), c.start)
                .map(str::to_string)
                .unwrap_or_else(|| self.layout.deeper(&self.indent_of(parent))),
            None => self.layout.deeper(&self.indent_of(parent)),
        }
    }

    fn rendered(&self, el: &New, indent: &str) -> String {
        let mut out = String::new();
        self.layout.render(el, &self.prefix, indent, &mut out);
        out
    }

    /// Add `el` as a child of `parent`, after `after` (or first). `rank`
    /// orders additions at the same place by the schema's sequence.
    fn add_child(&mut self, parent: &Element, after: Option<&Element>, rank: usize, el: &New) {
        let indent = self.children_indent(parent);
        let body = self.rendered(el, &indent);
        if parent.empty {
            let fill_indent = self.indent_of(parent);
            let item = {
                let mut s = String::new();
                self.layout.break_line(&indent, &mut s);
                s.push_str(&body);
                s
            };
            match self
                .fills
                .iter_mut()
                .find(|f| f.head_end == parent.head_end)
            {
                Some(f) => f.items.push((rank, item)),
                None => {
                    let tag = &self.doc.text()[parent.start..parent.head_end];
                    let slash = tag.rfind('/').expect("an empty tag ends in />");
                    self.fills.push(Fill {
                        tag_close: parent.start + slash,
                        head_end: parent.head_end,
                        qname: parent.qname.to_string(),
                        indent: fill_indent,
                        items: vec![(rank, item)],
                    });
                }
            }
            return;
        }
        let at = after.map_or(parent.head_end, |a| a.end);
        let mut text = String::new();
        self.layout.break_line(&indent, &mut text);
        text.push_str(&body);
        self.inserts.push((at, rank, text));
    }

    /// Add `el` to `parent` after the last child whose name is one of
    /// `before` (the elements the schema puts first), or first.
    fn add_in_order(&mut self, parent: &Element, before: &[&str], rank: usize, el: &New) {
        let after = parent
            .children
            .iter()
            .rfind(|c| c.in_ns && before.contains(&&*c.local));
        self.add_child(parent, after, rank, el);
    }

    fn replace(&mut self, old: &Element, el: &New) {
        let indent = self.indent_of(old);
        let body = self.rendered(el, &indent);
        self.edits.push(Edit::replace(old.start, old.end, body));
    }

    /// Remove an element with the whitespace before it.
    fn remove(&mut self, el: &Element) {
        let text = self.doc.text();
        let ws = text[..el.start].trim_end_matches(XML_WS).len();
        self.edits.push(Edit::replace(ws, el.end, String::new()));
    }

    fn set_attr(&mut self, el: &Element, name: &str, value: &str) {
        match el.attr(name) {
            Some(a) => self.edits.push(Edit::replace(
                a.value_start,
                a.value_end,
                xml::escape_attr(value),
            )),
            None => {
                let at = el
                    .attrs
                    .last()
                    .map_or(el.start + 1 + el.qname.len(), |a| a.value_end + 1);
                self.edits.push(Edit::insert(
                    at,
                    format!(" {name}=\"{}\"", xml::escape_attr(value)),
                ));
            }
        }
    }

    fn finish(mut self) -> Vec<Edit> {
        self.inserts.sort_by_key(|(at, rank, _)| (*at, *rank));
        for (at, _, text) in std::mem::take(&mut self.inserts) {
            self.edits.push(Edit::insert(at, text));
        }
        for mut fill in std::mem::take(&mut self.fills) {
            fill.items.sort_by_key(|(rank, _)| *rank);
            let mut body = String::from(">");
            for (_, item) in &fill.items {
                body.push_str(item);
            }
            self.layout.break_line(&fill.indent, &mut body);
            body.push_str(&format!("</{}>", fill.qname));
            self.edits
                .push(Edit::replace(fill.tag_close, fill.head_end, body));
        }
        self.edits
    }
}

/// Children of a component that the 1.2-1.7 XSDs put before
/// `externalReferences`.
const BEFORE_COMPONENT_REFS: &[&str] = &[
    "supplier",
    "manufacturer",
    "authors",
    "author",
    "publisher",
    "group",
    "name",
    "version",
    "versionRange",
    "description",
    "scope",
    "hashes",
    "licenses",
    "copyright",
    "patentAssertions",
    "cpe",
    "purl",
    "omniborId",
    "swhid",
    "swid",
    "modified",
    "pedigree",
];
/// Children of `bom` before `externalReferences`, and before `metadata`.
const BEFORE_BOM_REFS: &[&str] = &["metadata", "components", "services"];
/// Children of `bom` before `vulnerabilities` (1.4 and later).
const BEFORE_VULNERABILITIES: &[&str] = &[
    "metadata",
    "components",
    "services",
    "externalReferences",
    "dependencies",
    "compositions",
    "properties",
];
/// Children of `metadata` before `tools`.
const BEFORE_TOOLS: &[&str] = &["timestamp", "lifecycles"];

fn reference_element(r: &Reference, version: CdxVersion, modern_type: &str) -> New {
    let ty = if version >= CdxVersion::V1_5 {
        modern_type
    } else {
        // No `attestation` type before 1.5.
        "other"
    };
    let mut children = vec![New::text("url", &r.url), New::text("comment", &r.comment)];
    // Hashes on external references arrived in 1.3; 1.2 keeps the digest in
    // the comment only.
    if version >= CdxVersion::V1_3 {
        children.push(New::parent(
            "hashes",
            vec![New::text("hash", &r.sha256).attr("alg", "SHA-256")],
        ));
    }
    New::parent("reference", children).attr("type", ty)
}

/// A `vulnerability` element from the JSON entry the writer was given
/// (`id`, `source`, `references`, `affects`), in the schema's order.
fn vulnerability_element(v: &serde_json::Value) -> New {
    let s = |x: &serde_json::Value| x.as_str().unwrap_or_default().to_string();
    let source = |x: &serde_json::Value| {
        New::parent(
            "source",
            vec![
                New::text("name", s(&x["name"])),
                New::text("url", s(&x["url"])),
            ],
        )
    };
    let mut children = vec![New::text("id", s(&v["id"])), source(&v["source"])];
    if let Some(refs) = v["references"].as_array() {
        children.push(New::parent(
            "references",
            refs.iter()
                .map(|r| {
                    New::parent(
                        "reference",
                        vec![New::text("id", s(&r["id"])), source(&r["source"])],
                    )
                })
                .collect(),
        ));
    }
    let targets = v["affects"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    children.push(New::parent(
        "affects",
        targets
            .iter()
            .map(|a| New::parent("target", vec![New::text("ref", s(&a["ref"]))]))
            .collect(),
    ));
    New::parent("vulnerability", children)
}

/// The parts of a CycloneDX XML document a VEX reader needs, in the shape
/// of CycloneDX JSON: `metadata` (timestamp, authors), every component's
/// `bom-ref` and `purl`, and each `vulnerability`'s id, references,
/// analysis and affects (with exact versions or ranges). Nothing else.
pub(super) fn vex_json(doc: &Document) -> serde_json::Value {
    use serde_json::{Map, Value, json};
    let text = |el: &Element, local: &str| doc.child_text(el, local);
    let root = doc.root();
    let mut metadata = Map::new();
    if let Some(m) = root.child("metadata") {
        if let Some(t) = text(m, "timestamp") {
            metadata.insert("timestamp".into(), json!(t));
        }
        if let Some(a) = m.child("authors") {
            let names: Vec<Value> = a
                .children_named("author")
                .filter_map(|x| text(x, "name"))
                .map(|n| json!({"name": n}))
                .collect();
            metadata.insert("authors".into(), Value::Array(names));
        }
    }
    let components: Vec<Value> = component_elements(doc)
        .into_iter()
        .filter_map(|(el, _)| {
            let r = el.attr("bom-ref")?.value.to_string();
            let purl = text(el, "purl")?;
            Some(json!({"bom-ref": r, "purl": purl}))
        })
        .collect();
    let mut vulnerabilities = Vec::new();
    for v in root
        .child("vulnerabilities")
        .map(|l| l.children_named("vulnerability").collect::<Vec<_>>())
        .unwrap_or_default()
    {
        let mut out = Map::new();
        if let Some(id) = text(v, "id") {
            out.insert("id".into(), json!(id));
        }
        if let Some(refs) = v.child("references") {
            let ids: Vec<Value> = refs
                .children_named("reference")
                .filter_map(|r| text(r, "id"))
                .map(|i| json!({"id": i}))
                .collect();
            out.insert("references".into(), Value::Array(ids));
        }
        if let Some(a) = v.child("analysis") {
            let mut analysis = Map::new();
            for key in [
                "state",
                "justification",
                "detail",
                "firstIssued",
                "lastUpdated",
            ] {
                if let Some(t) = text(a, key) {
                    analysis.insert(key.into(), json!(t));
                }
            }
            out.insert("analysis".into(), Value::Object(analysis));
        }
        if let Some(affects) = v.child("affects") {
            let targets: Vec<Value> = affects
                .children_named("target")
                .map(|t| {
                    let mut target = Map::new();
                    if let Some(r) = text(t, "ref") {
                        target.insert("ref".into(), json!(r));
                    }
                    if let Some(vs) = t.child("versions") {
                        let versions: Vec<Value> = vs
                            .children_named("version")
                            .map(|x| match (text(x, "version"), text(x, "range")) {
                                (Some(exact), _) => json!({"version": exact}),
                                (None, Some(range)) => json!({"range": range}),
                                (None, None) => json!({}),
                            })
                            .collect();
                        target.insert("versions".into(), Value::Array(versions));
                    }
                    Value::Object(target)
                })
                .collect();
            out.insert("affects".into(), Value::Array(targets));
        }
        vulnerabilities.push(Value::Object(out));
    }
    let mut out = json!({
        "bomFormat": "CycloneDX",
        "metadata": metadata,
        "components": components,
        "vulnerabilities": vulnerabilities,
    });
    // What a BOM-Link names this document by.
    if let Some(serial) = root.attr("serialNumber") {
        out["serialNumber"] = json!(serial.value.trim_matches(XML_WS));
    }
    if let Some(v) = root
        .attr("version")
        .and_then(|v| v.value.trim_matches(XML_WS).parse::<u64>().ok())
    {
        out["version"] = json!(v);
    }
    out
}

/// Put `reference` into `el`'s external references, replacing this tool's
/// earlier ones there.
fn upsert_reference(
    ed: &mut Editor<'_>,
    el: &Element,
    reference: New,
    marker: &str,
    before: &[&str],
    rank: usize,
) {
    let doc = ed.doc;
    match el.child("externalReferences") {
        Some(list) => {
            let ours: Vec<&Element> = list
                .children_named("reference")
                .filter(|r| is_ours(doc, r, marker))
                .collect();
            match ours.split_first() {
                Some((first, rest)) => {
                    ed.replace(first, &reference);
                    for r in rest {
                        ed.remove(r);
                    }
                }
                None => {
                    let last = list.children.iter().rfind(|c| c.in_ns);
                    ed.add_child(list, last, 0, &reference);
                }
            }
        }
        None => ed.add_in_order(
            el,
            before,
            rank,
            &New::parent("externalReferences", vec![reference]),
        ),
    }
}

pub(super) fn enrich(doc: &Document, version: CdxVersion, ch: &Changes<'_>) -> Vec<Edit> {
    let mut ed = Editor::new(doc);
    let elements = component_elements(doc);
    for (id, r) in &ch.component_refs {
        if let Some((el, _)) = elements.get(id.0) {
            let new = reference_element(r, version, ch.cdx_reference_type);
            upsert_reference(&mut ed, el, new, ch.marker, BEFORE_COMPONENT_REFS, 0);
        }
    }
    let root = doc.root();
    for r in &ch.document_refs {
        let new = reference_element(r, version, ch.cdx_reference_type);
        upsert_reference(&mut ed, root, new, ch.document_marker, BEFORE_BOM_REFS, 3);
    }
    if version >= CdxVersion::V1_4 && !ch.vulnerabilities.is_empty() {
        let items: Vec<New> = ch
            .vulnerabilities
            .iter()
            .map(vulnerability_element)
            .collect();
        match root.child("vulnerabilities") {
            Some(list) => {
                let last = list.children.iter().rfind(|c| c.in_ns);
                for (rank, el) in items.iter().enumerate() {
                    ed.add_child(list, last, rank, el);
                }
            }
            None => ed.add_in_order(
                root,
                BEFORE_VULNERABILITIES,
                4,
                &New::parent("vulnerabilities", items),
            ),
        }
    }
    let next = root
        .attr("version")
        .and_then(|v| v.value.trim_matches(XML_WS).parse::<u64>().ok())
        .unwrap_or(1)
        .saturating_add(1);
    ed.set_attr(root, "version", &next.to_string());
    add_tool(&mut ed, root, version, ch);
    ed.finish()
}

fn add_tool(ed: &mut Editor<'_>, root: &Element, version: CdxVersion, ch: &Changes<'_>) {
    let tool = ch.tool;
    let legacy = || {
        New::parent(
            "tool",
            vec![
                New::text("vendor", &tool.vendor),
                New::text("name", &tool.name),
                New::text("version", &tool.version),
            ],
        )
    };
    let component = || {
        New::parent(
            "component",
            vec![
                New::text("name", &tool.name),
                New::text("version", &tool.version),
            ],
        )
        .attr("type", "application")
    };
    let modern = version >= CdxVersion::V1_5;
    let fresh_tools = || {
        if modern {
            New::parent("tools", vec![New::parent("components", vec![component()])])
        } else {
            New::parent("tools", vec![legacy()])
        }
    };
    let Some(metadata) = root.child("metadata") else {
        ed.add_child(root, None, 0, &New::parent("metadata", vec![fresh_tools()]));
        return;
    };
    let Some(tools) = metadata.child("tools") else {
        ed.add_in_order(metadata, BEFORE_TOOLS, 0, &fresh_tools());
        return;
    };
    let doc = ed.doc;
    let named_ours = |el: &&Element| doc.child_text(el, "name").is_some_and(|n| n == tool.name);
    let legacy_form = tools.child("tool").is_some() || !modern;
    if legacy_form {
        match tools.children_named("tool").find(named_ours) {
            Some(old) => ed.replace(old, &legacy()),
            None => {
                let last = tools.children_named("tool").last();
                ed.add_child(tools, last, 0, &legacy());
            }
        }
        return;
    }
    match tools.child("components") {
        Some(list) => match list.children_named("component").find(named_ours) {
            Some(old) => ed.replace(old, &component()),
            None => {
                let last = list.children_named("component").last();
                ed.add_child(list, last, 0, &component());
            }
        },
        // `components` comes before `services`.
        None => ed.add_child(
            tools,
            None,
            0,
            &New::parent("components", vec![component()]),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `line_indent` looks back only over blanks (a one-line document of
    /// 20,000 components took 3.5 s to enrich, 0.15 s since); what it finds
    /// is what a search back for the line's start found.
    #[test]
    fn line_indent_is_the_blanks_from_the_line_start() {
        let text = "<a>\n  <b/>\n\t <c/><d/>\n<e/>x <f/>";
        let at = |s: &str| text.find(s).unwrap();
        assert_eq!(line_indent(text, 0), Some(""));
        assert_eq!(line_indent(text, at("<b/>")), Some("  "));
        assert_eq!(line_indent(text, at("<c/>")), Some("\t "));
        assert_eq!(line_indent(text, at("<d/>")), None);
        assert_eq!(line_indent(text, at("<e/>")), Some(""));
        assert_eq!(line_indent(text, at("<f/>")), None);
        assert_eq!(line_indent("  <a/>", 2), Some("  "));
    }
}
