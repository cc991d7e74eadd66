//! SPDX 3.0 JSON-LD, over the span-keeping JSON layer.
//!
//! Packages are the `software_Package` elements of `@graph` (and the AI and
//! dataset packages, which are packages too). The reference is an
//! `ExternalRef` of type `secureSoftwareAttestation` on the package. SPDX 3.0
//! gives an `ExternalRef` no integrity field (only elements and
//! `ExternalMap`s have `verifiedUsing`), so the digest goes in its comment,
//! as in SPDX 2. The tool becomes a `Tool` element named in the document's
//! `CreationInfo.createdUsing`.

use std::collections::HashSet;

use serde_json::{Value, json};

use super::check::{Checker, Want};
use super::json::{Document, Editor, Node};
use super::splice::Edited;
use super::{
    Changes, Component, ComponentId, FoundReference, Hash, Reference, Role, SbomError, label_for,
    normalize_alg, sha256_in_comment, spdx,
};

/// The reference type this tool writes (SPDX 3.0 `ExternalRefType`).
pub const REFERENCE_TYPE: &str = "secureSoftwareAttestation";
/// This tool's `Tool` element IDs start with this.
const TOOL_ID_PREFIX: &str = "urn:tacos-sbom:tool:";

/// Whether a JSON document is SPDX 3 JSON-LD: its `@context` names the
/// SPDX 3 model.
pub(super) fn is_spdx3(doc: &Document) -> bool {
    let Some(ctx) = doc.root().get("@context") else {
        return false;
    };
    let mentions = |n: &Node| doc.str(n).is_some_and(|s| s.contains("spdx.org/rdf/3"));
    mentions(ctx) || ctx.items().iter().any(mentions)
}

/// The SPDX 3 version of the document, from its `@context`.
pub(super) fn version(doc: &Document) -> Option<String> {
    let ctx = doc.root().get("@context")?;
    let urls: Vec<String> = std::iter::once(ctx)
        .chain(ctx.items())
        .filter_map(|n| doc.str(n).map(|s| s.into_owned()))
        .collect();
    urls.iter().find_map(|u| {
        let rest = &u[u.find("spdx.org/rdf/")? + "spdx.org/rdf/".len()..];
        Some(rest.split('/').next()?.to_string())
    })
}

fn graph(doc: &Document) -> &[Node] {
    doc.root()
        .get("@graph")
        .map(Node::items)
        .unwrap_or_default()
}

fn type_of<'d>(doc: &'d Document, el: &Node) -> Option<std::borrow::Cow<'d, str>> {
    doc.get_str(el, "type").or_else(|| doc.get_str(el, "@type"))
}

fn is_package(doc: &Document, el: &Node) -> bool {
    type_of(doc, el).is_some_and(|t| {
        let t = t.rsplit(['/', '_']).next().unwrap_or(&t).to_string();
        matches!(t.as_str(), "Package" | "AIPackage" | "DatasetPackage")
    })
}

fn is_type(doc: &Document, el: &Node, name: &str) -> bool {
    type_of(doc, el).is_some_and(|t| t == name || t.ends_with(&format!("/{name}")))
}

/// The ID an element reference names: an IRI string, or an inline element's.
fn ref_id(doc: &Document, n: &Node) -> Option<String> {
    doc.str(n)
        .map(|s| s.into_owned())
        .or_else(|| doc.get_str(n, "spdxId").map(|s| s.into_owned()))
        .or_else(|| doc.get_str(n, "@id").map(|s| s.into_owned()))
}

fn id_of(doc: &Document, el: &Node) -> Option<String> {
    doc.get_str(el, "spdxId")
        .or_else(|| doc.get_str(el, "@id"))
        .map(|s| s.into_owned())
}

pub(super) fn check(c: &mut Checker<'_>) -> Result<(), SbomError> {
    let root = c.doc().root();
    c.each(root, "@graph", Want::Object, |c, el| {
        c.strings(el, &["type", "@type", "spdxId", "@id", "name"])?;
        c.member(el, "creationInfo", Want::StringOrObject)?;
        let doc = c.doc();
        if is_package(doc, el) {
            c.count_component()?;
            c.strings(el, &["software_packageUrl", "software_packageVersion"])?;
            c.each(el, "externalIdentifier", Want::Object, |c, x| {
                c.strings(x, &["externalIdentifierType", "identifier"])
            })?;
            c.each(el, "verifiedUsing", Want::Object, |c, x| {
                c.strings(x, &["algorithm", "hashValue"])
            })?;
            c.each(el, "externalRef", Want::Object, |c, x| {
                c.strings(x, &["externalRefType", "comment"])?;
                c.each(x, "locator", Want::String, |_, _| Ok(()))
            })?;
        }
        c.each(el, "rootElement", Want::StringOrObject, |_, _| Ok(()))?;
        if is_type(doc, el, "Relationship") || is_type(doc, el, "LifecycleScopedRelationship") {
            c.strings(el, &["relationshipType"])?;
            c.member(el, "from", Want::StringOrObject)?;
            c.each(el, "to", Want::StringOrObject, |_, _| Ok(()))?;
        }
        if is_type(doc, el, "CreationInfo") {
            c.strings(el, &["created", "specVersion"])?;
            c.each(el, "createdUsing", Want::StringOrObject, |_, _| Ok(()))?;
        }
        Ok(())
    })
}

/// IDs of what the document is about: the root elements of its
/// `SpdxDocument` and `software_Sbom` elements, and what they `describes`.
fn described(doc: &Document) -> HashSet<String> {
    let mut collections = HashSet::new();
    let mut out = HashSet::new();
    for el in graph(doc) {
        if is_type(doc, el, "SpdxDocument") || is_type(doc, el, "software_Sbom") {
            if let Some(id) = id_of(doc, el) {
                collections.insert(id);
            }
            for r in el.get("rootElement").map(Node::items).unwrap_or_default() {
                out.extend(ref_id(doc, r));
            }
        }
    }
    for el in graph(doc) {
        if doc.get_str(el, "relationshipType").as_deref() == Some("describes")
            && el
                .get("from")
                .and_then(|f| ref_id(doc, f))
                .is_some_and(|f| collections.contains(&f))
        {
            for t in el.get("to").map(Node::items).unwrap_or_default() {
                out.extend(ref_id(doc, t));
            }
        }
    }
    out
}

fn packages(doc: &Document) -> Vec<&Node> {
    graph(doc).iter().filter(|el| is_package(doc, el)).collect()
}

fn purl_of(doc: &Document, el: &Node) -> Option<String> {
    if let Some(p) = doc.get_str(el, "software_packageUrl") {
        return Some(p.into_owned());
    }
    el.get("externalIdentifier")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .find(|x| doc.get_str(x, "externalIdentifierType").as_deref() == Some("packageUrl"))
        .and_then(|x| doc.get_str(x, "identifier"))
        .map(|s| s.into_owned())
}

pub(super) fn components(doc: &Document) -> Vec<Component> {
    let subjects = described(doc);
    packages(doc)
        .into_iter()
        .enumerate()
        .map(|(i, el)| {
            let id = id_of(doc, el);
            let role = match &id {
                Some(id) if subjects.contains(id) => Role::Subject,
                _ => Role::Dependency,
            };
            let name = doc.get_str(el, "name").map(|s| s.into_owned());
            let version = doc
                .get_str(el, "software_packageVersion")
                .map(|s| s.into_owned());
            let hashes = el
                .get("verifiedUsing")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                // A PackageVerificationCode is a digest of the package's
                // files, not of the package: only `Hash`es name it.
                .filter(|h| type_of(doc, h).is_none_or(|t| t == "Hash"))
                .filter_map(|h| {
                    Some(Hash {
                        alg: normalize_alg(&doc.get_str(h, "algorithm")?),
                        hex: doc.get_str(h, "hashValue")?.to_ascii_lowercase(),
                    })
                })
                .collect();
            Component {
                id: ComponentId(i),
                role,
                label: label_for(
                    id.as_deref().map(Into::into),
                    name.as_deref(),
                    version.as_deref(),
                    i,
                ),
                purl: purl_of(doc, el),
                bom_ref: None,
                name,
                version,
                hashes,
            }
        })
        .collect()
}

pub(super) fn described_package_index(doc: &Document) -> Option<usize> {
    let subjects = described(doc);
    packages(doc)
        .iter()
        .position(|el| id_of(doc, el).is_some_and(|id| subjects.contains(&id)))
}

pub(super) fn subject_name(doc: &Document) -> Option<String> {
    let pkgs = packages(doc);
    if let Some(p) = described_package_index(doc).map(|i| pkgs[i]) {
        let name = doc.get_str(p, "name")?;
        return Some(match doc.get_str(p, "software_packageVersion") {
            Some(v) if !v.is_empty() => format!("{name}@{v}"),
            _ => name.into_owned(),
        });
    }
    graph(doc)
        .iter()
        .find(|el| is_type(doc, el, "SpdxDocument"))
        .and_then(|el| doc.get_str(el, "name"))
        .map(|s| s.into_owned())
}

fn is_ours(doc: &Document, r: &Node, marker: &str) -> bool {
    doc.get_str(r, "externalRefType").as_deref() == Some(REFERENCE_TYPE)
        && doc
            .get_str(r, "comment")
            .is_some_and(|c| c.starts_with(marker))
}

fn found_in(doc: &Document, el: &Node, marker: &str) -> Vec<FoundReference> {
    el.get("externalRef")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter(|r| is_ours(doc, r, marker))
        .map(|r| FoundReference {
            url: r
                .get("locator")
                .and_then(|l| l.items().first())
                .and_then(|n| doc.str(n))
                .unwrap_or_default()
                .into_owned(),
            // SPDX 3 references have no digest field: the comment is the
            // only place, so there is nothing to hold it to.
            sha256: doc
                .get_str(r, "comment")
                .and_then(|c| sha256_in_comment(&c)),
            comment_sha256: None,
        })
        .collect()
}

pub(super) fn found_references(doc: &Document, marker: &str) -> Vec<(ComponentId, FoundReference)> {
    packages(doc)
        .into_iter()
        .enumerate()
        .flat_map(|(i, el)| {
            found_in(doc, el, marker)
                .into_iter()
                .map(move |f| (ComponentId(i), f))
        })
        .collect()
}

pub(super) fn found_document_references(doc: &Document, marker: &str) -> Vec<FoundReference> {
    match described_package_index(doc) {
        Some(i) => found_in(doc, packages(doc)[i], marker),
        None => Vec::new(),
    }
}

fn reference_json(r: &Reference) -> Value {
    json!({
        "type": "ExternalRef",
        "externalRefType": REFERENCE_TYPE,
        "locator": [r.url],
        "comment": r.comment,
    })
}

pub(super) fn enrich<'d>(doc: &'d Document, ch: &Changes<'_>) -> Edited<'d> {
    let mut ed = Editor::new(doc);
    let pkgs = packages(doc);
    let mut by_package: std::collections::BTreeMap<usize, Vec<(&Reference, &str)>> =
        std::collections::BTreeMap::new();
    for (id, r) in &ch.component_refs {
        by_package.entry(id.0).or_default().push((r, ch.marker));
    }
    if let Some(i) = described_package_index(doc) {
        for r in &ch.document_refs {
            by_package
                .entry(i)
                .or_default()
                .push((r, ch.document_marker));
        }
    }
    for (index, refs) in by_package {
        let Some(el) = pkgs.get(index) else { continue };
        let values: Vec<Value> = refs.iter().map(|(r, _)| reference_json(r)).collect();
        ed.upsert_items(el, "externalRef", values, |r| {
            refs.iter().any(|(_, m)| is_ours(doc, r, m))
        });
    }
    add_tool(&mut ed, doc, ch);
    ed.finish()
}

/// The `CreationInfo` of the document: the one its `SpdxDocument` element
/// names (a blank node in `@graph`, or inline), else the first in `@graph`.
fn document_creation_info(doc: &Document) -> Option<(&Node, Option<String>)> {
    let g = graph(doc);
    let by_id = |id: &str| {
        g.iter()
            .find(|el| is_type(doc, el, "CreationInfo") && id_of(doc, el).as_deref() == Some(id))
    };
    if let Some(d) = g.iter().find(|el| is_type(doc, el, "SpdxDocument"))
        && let Some(ci) = d.get("creationInfo")
    {
        if ci.is_object() {
            return Some((ci, None));
        }
        if let Some(id) = doc.str(ci)
            && let Some(node) = by_id(&id)
        {
            return Some((node, Some(id.into_owned())));
        }
    }
    g.iter()
        .find(|el| is_type(doc, el, "CreationInfo"))
        .map(|n| (n, id_of(doc, n)))
}

fn add_tool(ed: &mut Editor<'_>, doc: &Document, ch: &Changes<'_>) {
    let Some((info, info_id)) = document_creation_info(doc) else {
        // Without a CreationInfo there is nothing a Tool element could cite.
        return;
    };
    let tool_id = format!("{TOOL_ID_PREFIX}{}-{}", ch.tool.name, ch.tool.version);
    let created = spdx::created(ch.now);
    // The tool element cites the document's CreationInfo; an inline one has
    // no ID to cite, so the tool gets its own copy with the new time.
    let tool_info = match &info_id {
        Some(id) => json!(id),
        None => {
            let mut v = json!({"type": "CreationInfo"});
            for key in ["specVersion", "createdBy"] {
                if let Some(n) = info.get(key)
                    && let Ok(x) = serde_json::from_str::<Value>(doc.raw(n))
                {
                    v[key] = x;
                }
            }
            v["created"] = json!(created);
            v
        }
    };
    let tool = json!({
        "type": "Tool",
        "spdxId": tool_id,
        "creationInfo": tool_info,
        "name": format!("{}-{}", ch.tool.name, ch.tool.version),
    });
    let g = graph(doc);
    let old_tool = g.iter().find(|el| {
        is_type(doc, el, "Tool") && id_of(doc, el).is_some_and(|id| id.starts_with(TOOL_ID_PREFIX))
    });
    match (old_tool, doc.root().get("@graph")) {
        (Some(old), _) => ed.replace(old, &tool),
        (None, Some(list)) => ed.append_item(list, &tool),
        (None, None) => {}
    }
    match info.get("createdUsing") {
        Some(list) => {
            let ours = list
                .items()
                .iter()
                .position(|n| ref_id(doc, n).is_some_and(|id| id.starts_with(TOOL_ID_PREFIX)));
            match ours {
                Some(i) => ed.replace(&list.items()[i], &json!(tool_id)),
                None => ed.append_item(list, &json!(tool_id)),
            }
        }
        None => ed.append_member(info, "createdUsing", &json!([tool_id])),
    }
    match info.get("created") {
        Some(n) => ed.replace(n, &json!(created)),
        None => ed.append_member(info, "created", &json!(created)),
    }
}
