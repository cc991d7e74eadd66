//! CycloneDX JSON, spec 1.2 to 1.7.

use serde_json::{Value, json};

use super::check::{Checker, Want};
use super::json::{Document, Editor, Kind, Node};
use super::splice::Edited;
use super::{
    CdxVersion, Changes, Component, ComponentId, FoundReference, Hash, Reference, Role, SbomError,
    label_for, normalize_alg, sha256_in_comment,
};

/// Check the type of every field this module reads, so that a wrong one is
/// refused instead of read as absent.
pub(super) fn check(c: &mut Checker<'_>) -> Result<(), SbomError> {
    let root = c.doc().root();
    c.member(root, "version", Want::Integer)?;
    c.strings(root, &["serialNumber"])?;
    if let Some(metadata) = c.member(root, "metadata", Want::Object)? {
        c.within("metadata", |c| {
            if let Some(subject) = c.member(metadata, "component", Want::Object)? {
                c.within("component", |c| check_component(c, subject))?;
            }
            match c.member(metadata, "tools", Want::ArrayOrObject)? {
                Some(tools) if tools.is_array() => {
                    c.each(metadata, "tools", Want::Object, |c, t| {
                        c.strings(t, &["name"])
                    })
                }
                Some(tools) => c.within("tools", |c| {
                    c.each(tools, "components", Want::Object, |c, t| {
                        c.strings(t, &["name"])
                    })
                }),
                None => Ok(()),
            }
        })?;
    }
    c.each(root, "components", Want::Object, check_component)?;
    c.each(root, "externalReferences", Want::Object, check_reference)
}

fn check_component<'a>(c: &mut Checker<'a>, node: &'a Node) -> Result<(), SbomError> {
    c.count_component()?;
    c.strings(node, &["name", "group", "version", "purl", "bom-ref"])?;
    c.each(node, "hashes", Want::Object, check_hash)?;
    c.each(node, "externalReferences", Want::Object, check_reference)?;
    c.each(node, "components", Want::Object, check_component)
}

fn check_reference<'a>(c: &mut Checker<'a>, node: &'a Node) -> Result<(), SbomError> {
    c.strings(node, &["type", "url", "comment"])?;
    c.each(node, "hashes", Want::Object, check_hash)
}

fn check_hash<'a>(c: &mut Checker<'a>, node: &'a Node) -> Result<(), SbomError> {
    c.strings(node, &["alg", "content"])
}

/// Components in traversal order: the subject (`metadata.component`) and its
/// sub-components first, then `components` at every depth.
fn component_nodes(doc: &Document) -> Vec<(&Node, Role)> {
    fn walk<'a>(list: Option<&'a Node>, out: &mut Vec<(&'a Node, Role)>) {
        for item in list.map(Node::items).unwrap_or_default() {
            if item.is_object() {
                out.push((item, Role::Dependency));
                walk(item.get("components"), out);
            }
        }
    }
    let root = doc.root();
    let mut out = Vec::new();
    if let Some(subject) = root.get("metadata").and_then(|m| m.get("component"))
        && subject.is_object()
    {
        out.push((subject, Role::Subject));
        walk(subject.get("components"), &mut out);
    }
    walk(root.get("components"), &mut out);
    out
}

pub(super) fn components(doc: &Document) -> Vec<Component> {
    component_nodes(doc)
        .into_iter()
        .enumerate()
        .map(|(i, (node, role))| {
            let name = doc.get_str(node, "name").map(|name| {
                match doc.get_str(node, "group").filter(|g| !g.is_empty()) {
                    Some(group) => format!("{group}/{name}"),
                    None => name.into_owned(),
                }
            });
            let version = doc.get_str(node, "version").map(|v| v.into_owned());
            let hashes = node
                .get("hashes")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .filter_map(|h| {
                    Some(Hash {
                        alg: normalize_alg(&doc.get_str(h, "alg")?),
                        hex: doc.get_str(h, "content")?.to_ascii_lowercase(),
                    })
                })
                .collect();
            Component {
                id: ComponentId(i),
                role,
                label: label_for(
                    doc.get_str(node, "bom-ref"),
                    name.as_deref(),
                    version.as_deref(),
                    i,
                ),
                purl: doc.get_str(node, "purl").map(|p| p.into_owned()),
                bom_ref: doc.get_str(node, "bom-ref").map(|p| p.into_owned()),
                name,
                version,
                hashes,
            }
        })
        .collect()
}

pub(super) fn subject_name(doc: &Document) -> Option<String> {
    let Some(subject) = doc.root().get("metadata").and_then(|m| m.get("component")) else {
        return doc
            .get_str(doc.root(), "serialNumber")
            .map(|s| s.into_owned());
    };
    let name = doc.get_str(subject, "name")?;
    Some(match doc.get_str(subject, "version") {
        Some(v) if !v.is_empty() => format!("{name}@{v}"),
        _ => name.into_owned(),
    })
}

fn is_ours(doc: &Document, reference: &Node, marker: &str) -> bool {
    doc.get_str(reference, "comment")
        .is_some_and(|c| c.starts_with(marker))
}

fn found_in(doc: &Document, node: &Node, marker: &str) -> Vec<FoundReference> {
    let mut out = Vec::new();
    for r in node
        .get("externalReferences")
        .map(Node::items)
        .unwrap_or_default()
    {
        if !is_ours(doc, r, marker) {
            continue;
        }
        let from_hashes = r
            .get("hashes")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .find(|h| {
                doc.get_str(h, "alg")
                    .is_some_and(|a| normalize_alg(&a) == "sha256")
            })
            .and_then(|h| doc.get_str(h, "content"))
            .map(|c| c.to_ascii_lowercase());
        let comment_sha256 = doc
            .get_str(r, "comment")
            .and_then(|c| sha256_in_comment(&c));
        out.push(FoundReference {
            url: doc.get_str(r, "url").unwrap_or_default().into_owned(),
            sha256: from_hashes.or_else(|| comment_sha256.clone()),
            comment_sha256,
        });
    }
    out
}

pub(super) fn found_document_references(doc: &Document, marker: &str) -> Vec<FoundReference> {
    found_in(doc, doc.root(), marker)
}

pub(super) fn found_references(doc: &Document, marker: &str) -> Vec<(ComponentId, FoundReference)> {
    component_nodes(doc)
        .into_iter()
        .enumerate()
        .flat_map(|(i, (node, _))| {
            found_in(doc, node, marker)
                .into_iter()
                .map(move |f| (ComponentId(i), f))
        })
        .collect()
}

fn reference_json(r: &Reference, version: CdxVersion, modern_type: &str) -> Value {
    let ty = if version >= CdxVersion::V1_5 {
        modern_type
    } else {
        // No `attestation` type before 1.5.
        "other"
    };
    let mut v = json!({"type": ty, "url": r.url, "comment": r.comment});
    // Hashes on external references arrived in 1.3; 1.2 keeps the digest in
    // the comment only.
    if version >= CdxVersion::V1_3 {
        v["hashes"] = json!([{"alg": "SHA-256", "content": r.sha256}]);
    }
    v
}

/// Put `value` into `node`'s `externalReferences`, replacing this tool's
/// earlier references there.
fn upsert_reference(ed: &mut Editor<'_>, doc: &Document, node: &Node, value: &Value, marker: &str) {
    ed.upsert_items(node, "externalReferences", vec![value.clone()], |r| {
        is_ours(doc, r, marker)
    });
}

pub(super) fn enrich<'d>(doc: &'d Document, version: CdxVersion, ch: &Changes<'_>) -> Edited<'d> {
    let mut ed = Editor::new(doc);
    let nodes = component_nodes(doc);
    for (id, reference) in &ch.component_refs {
        if let Some((node, _)) = nodes.get(id.0) {
            let value = reference_json(reference, version, ch.cdx_reference_type);
            upsert_reference(&mut ed, doc, node, &value, ch.marker);
        }
    }
    let root = doc.root();
    for r in &ch.document_refs {
        let value = reference_json(r, version, ch.cdx_reference_type);
        upsert_reference(&mut ed, doc, root, &value, ch.document_marker);
    }
    for (key, value) in &ch.root_members {
        match root.get(key) {
            Some(node) => ed.replace(node, value),
            None => ed.append_member(root, key, value),
        }
    }
    if version >= CdxVersion::V1_4 && !ch.vulnerabilities.is_empty() {
        match root.get("vulnerabilities") {
            Some(list) if list.is_array() => {
                for v in &ch.vulnerabilities {
                    ed.append_item(list, v);
                }
            }
            Some(_) => {}
            None => ed.append_member(root, "vulnerabilities", &json!(ch.vulnerabilities)),
        }
    }
    bump_version(&mut ed, doc, root);
    add_tool(&mut ed, doc, root, version, ch);
    ed.finish()
}

fn bump_version(ed: &mut Editor<'_>, doc: &Document, root: &Node) {
    match root.get("version") {
        Some(v) if matches!(v.kind, Kind::Number) => {
            if let Ok(n) = doc.raw(v).parse::<u64>() {
                ed.replace_raw(v, (n.saturating_add(1)).to_string());
            }
        }
        Some(_) => {}
        // Absent means 1.
        None => ed.append_member(root, "version", &json!(2)),
    }
}

fn add_tool(
    ed: &mut Editor<'_>,
    doc: &Document,
    root: &Node,
    version: CdxVersion,
    ch: &Changes<'_>,
) {
    let tool = ch.tool;
    let legacy = json!({"vendor": tool.vendor, "name": tool.name, "version": tool.version});
    let component = json!({"type": "application", "name": tool.name, "version": tool.version});
    let fresh = if version >= CdxVersion::V1_5 {
        json!({"components": [component]})
    } else {
        json!([legacy])
    };
    let Some(metadata) = root.get("metadata") else {
        ed.append_member(root, "metadata", &json!({"tools": fresh}));
        return;
    };
    if !metadata.is_object() {
        return;
    }
    let upsert = |ed: &mut Editor<'_>, list: &Node, value: &Value| {
        let same = list
            .items()
            .iter()
            .position(|t| doc.get_str(t, "name").is_some_and(|n| n == tool.name));
        match same {
            Some(i) => ed.replace(&list.items()[i], value),
            None => ed.append_item(list, value),
        }
    };
    match metadata.get("tools") {
        None => ed.append_member(metadata, "tools", &fresh),
        Some(list) if list.is_array() => upsert(ed, list, &legacy),
        Some(tools) if tools.is_object() => match tools.get("components") {
            Some(list) if list.is_array() => upsert(ed, list, &component),
            None => ed.append_member(tools, "components", &json!([component])),
            Some(_) => {}
        },
        Some(_) => {}
    }
}
