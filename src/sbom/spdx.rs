//! SPDX 2.2 and 2.3 JSON.

use std::collections::HashSet;

use serde_json::json;
use sha2::{Digest, Sha256};
use time::macros::format_description;

use super::check::{Checker, Want};
use super::json::{Document, Editor, Node};
use super::splice::Edited;
use super::{
    Changes, Component, ComponentId, FoundReference, Hash, Reference, Role, SbomError, label_for,
    normalize_alg, sha256_in_comment,
};

/// Check the type of every field this module reads, so that a wrong one is
/// refused instead of read as absent.
pub(super) fn check(c: &mut Checker<'_>) -> Result<(), SbomError> {
    let root = c.doc().root();
    c.strings(root, &["SPDXID", "name", "documentNamespace"])?;
    c.each(root, "documentDescribes", Want::String, |_, _| Ok(()))?;
    if let Some(info) = c.member(root, "creationInfo", Want::Object)? {
        c.within("creationInfo", |c| {
            c.strings(info, &["created"])?;
            c.each(info, "creators", Want::String, |_, _| Ok(()))
        })?;
    }
    c.each(root, "packages", Want::Object, |c, p| {
        c.count_component()?;
        c.strings(p, &["SPDXID", "name", "versionInfo"])?;
        c.each(p, "checksums", Want::Object, |c, h| {
            c.strings(h, &["algorithm", "checksumValue"])
        })?;
        c.each(p, "externalRefs", Want::Object, |c, r| {
            c.strings(
                r,
                &[
                    "referenceCategory",
                    "referenceType",
                    "referenceLocator",
                    "comment",
                ],
            )
        })
    })?;
    c.each(root, "relationships", Want::Object, |c, r| {
        c.strings(
            r,
            &["spdxElementId", "relationshipType", "relatedSpdxElement"],
        )
    })
}

/// SPDXIDs of the elements the document describes.
fn described(doc: &Document) -> HashSet<String> {
    let root = doc.root();
    let mut ids: HashSet<String> = root
        .get("documentDescribes")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(|n| doc.str(n).map(|s| s.into_owned()))
        .collect();
    let document_id = doc
        .get_str(root, "SPDXID")
        .map(|s| s.into_owned())
        .unwrap_or_else(|| "SPDXRef-DOCUMENT".into());
    for rel in root
        .get("relationships")
        .map(Node::items)
        .unwrap_or_default()
    {
        let (Some(from), Some(kind), Some(to)) = (
            doc.get_str(rel, "spdxElementId"),
            doc.get_str(rel, "relationshipType"),
            doc.get_str(rel, "relatedSpdxElement"),
        ) else {
            continue;
        };
        match kind.as_ref() {
            "DESCRIBES" if from == document_id => ids.insert(to.into_owned()),
            "DESCRIBED_BY" if to == document_id => ids.insert(from.into_owned()),
            _ => false,
        };
    }
    ids
}

fn package_nodes(doc: &Document) -> &[Node] {
    doc.root()
        .get("packages")
        .map(Node::items)
        .unwrap_or_default()
}

fn purl_of(doc: &Document, package: &Node) -> Option<String> {
    package
        .get("externalRefs")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .find(|r| {
            doc.get_str(r, "referenceCategory")
                .is_some_and(|c| c == "PACKAGE-MANAGER" || c == "PACKAGE_MANAGER")
                && doc.get_str(r, "referenceType").is_some_and(|t| t == "purl")
        })
        .and_then(|r| doc.get_str(r, "referenceLocator"))
        .map(|s| s.into_owned())
}

pub(super) fn components(doc: &Document) -> Vec<Component> {
    let subjects = described(doc);
    package_nodes(doc)
        .iter()
        .enumerate()
        .map(|(i, node)| {
            let spdx_id = doc.get_str(node, "SPDXID");
            let role = match &spdx_id {
                Some(id) if subjects.contains(id.as_ref()) => Role::Subject,
                _ => Role::Dependency,
            };
            let name = doc.get_str(node, "name").map(|s| s.into_owned());
            let version = doc.get_str(node, "versionInfo").map(|s| s.into_owned());
            let hashes = node
                .get("checksums")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .filter_map(|c| {
                    Some(Hash {
                        alg: normalize_alg(&doc.get_str(c, "algorithm")?),
                        hex: doc.get_str(c, "checksumValue")?.to_ascii_lowercase(),
                    })
                })
                .collect();
            Component {
                id: ComponentId(i),
                role,
                label: label_for(spdx_id, name.as_deref(), version.as_deref(), i),
                purl: purl_of(doc, node),
                bom_ref: None,
                name,
                version,
                hashes,
            }
        })
        .collect()
}

pub(super) fn subject_name(doc: &Document) -> Option<String> {
    let subjects = described(doc);
    let described_package = package_nodes(doc).iter().find(|p| {
        doc.get_str(p, "SPDXID")
            .is_some_and(|id| subjects.contains(id.as_ref()))
    });
    if let Some(p) = described_package {
        let name = doc.get_str(p, "name")?;
        return Some(match doc.get_str(p, "versionInfo") {
            Some(v) if !v.is_empty() => format!("{name}@{v}"),
            _ => name.into_owned(),
        });
    }
    doc.get_str(doc.root(), "name").map(|s| s.into_owned())
}

fn is_ours(doc: &Document, reference: &Node, reference_type: &str) -> bool {
    doc.get_str(reference, "referenceCategory")
        .is_some_and(|c| c == "OTHER")
        && doc
            .get_str(reference, "referenceType")
            .is_some_and(|t| t == reference_type)
}

/// The index of the first package the document describes.
pub(super) fn described_package_index(doc: &Document) -> Option<usize> {
    let subjects = described(doc);
    package_nodes(doc).iter().position(|p| {
        doc.get_str(p, "SPDXID")
            .is_some_and(|id| subjects.contains(id.as_ref()))
    })
}

pub(super) fn found_document_references(
    doc: &Document,
    reference_type: &str,
) -> Vec<FoundReference> {
    let Some(i) = described_package_index(doc) else {
        return Vec::new();
    };
    found_references(doc, reference_type)
        .into_iter()
        .filter(|(id, _)| id.0 == i)
        .map(|(_, f)| f)
        .collect()
}

pub(super) fn found_references(
    doc: &Document,
    reference_type: &str,
) -> Vec<(ComponentId, FoundReference)> {
    let mut out = Vec::new();
    for (i, node) in package_nodes(doc).iter().enumerate() {
        for r in node
            .get("externalRefs")
            .map(Node::items)
            .unwrap_or_default()
        {
            if is_ours(doc, r, reference_type) {
                out.push((
                    ComponentId(i),
                    FoundReference {
                        url: doc
                            .get_str(r, "referenceLocator")
                            .unwrap_or_default()
                            .into_owned(),
                        sha256: doc
                            .get_str(r, "comment")
                            .and_then(|c| sha256_in_comment(&c)),
                        comment_sha256: None,
                    },
                ));
            }
        }
    }
    out
}

pub(super) fn enrich<'d>(doc: &'d Document, ch: &Changes<'_>) -> Edited<'d> {
    let mut ed = Editor::new(doc);
    let packages = package_nodes(doc);
    let document_target = described_package_index(doc);
    let refs = ch
        .component_refs
        .iter()
        .map(|(id, r)| (id.0, r, ch.spdx_reference_type))
        .chain(document_target.into_iter().flat_map(|i| {
            ch.document_refs
                .iter()
                .map(move |r| (i, r, ch.spdx_document_reference_type))
        }));
    let mut by_package: std::collections::BTreeMap<usize, Vec<(&Reference, &str)>> =
        std::collections::BTreeMap::new();
    for (i, r, ty) in refs {
        by_package.entry(i).or_default().push((r, ty));
    }
    for (index, refs) in by_package {
        let Some(node) = packages.get(index) else {
            continue;
        };
        upsert_spdx_refs(&mut ed, doc, node, &refs);
    }
    let root = doc.root();
    if let Some(info) = root.get("creationInfo").filter(|n| n.is_object()) {
        update_creation_info(&mut ed, doc, info, ch);
    }
    if let Some(ns) = root.get("documentNamespace")
        && let Some(old) = doc.str(ns)
    {
        ed.replace(ns, &json!(new_namespace(&old, doc.text(), ch)));
    }
    ed.finish()
}

/// Put this tool's references on one package, replacing its earlier ones of
/// the same types, all in one edit of the package's list.
fn upsert_spdx_refs(ed: &mut Editor<'_>, doc: &Document, node: &Node, refs: &[(&Reference, &str)]) {
    let values: Vec<serde_json::Value> = refs
        .iter()
        .map(|(r, ty)| {
            // SPDX external references have no hash field; the digest goes in
            // the comment, where `sha256_in_comment` finds it again.
            json!({
                "referenceCategory": "OTHER",
                "referenceType": ty,
                "referenceLocator": r.url,
                "comment": r.comment,
            })
        })
        .collect();
    let types: Vec<&str> = refs.iter().map(|(_, t)| *t).collect();
    ed.upsert_items(node, "externalRefs", values, |r| {
        types.iter().any(|t| is_ours(doc, r, t))
    });
}

fn update_creation_info(ed: &mut Editor<'_>, doc: &Document, info: &Node, ch: &Changes<'_>) {
    let creator = format!("Tool: {}-{}", ch.tool.name, ch.tool.version);
    let prefix = format!("Tool: {}-", ch.tool.name);
    match info.get("creators") {
        Some(list) if list.is_array() => {
            let ours = list
                .items()
                .iter()
                .position(|c| doc.str(c).is_some_and(|s| s.starts_with(&prefix)));
            match ours {
                Some(i) => ed.replace(&list.items()[i], &json!(creator)),
                None => ed.append_item(list, &json!(creator)),
            }
        }
        Some(_) => {}
        None => ed.append_member(info, "creators", &json!([creator])),
    }
    let created = created(ch.now);
    match info.get("created") {
        Some(node) => ed.replace(node, &json!(created)),
        None => ed.append_member(info, "created", &json!(created)),
    }
}

/// A creation time as SPDX writes it. spdx-tools wants seconds precision,
/// no fraction.
pub(super) fn created(now: time::OffsetDateTime) -> String {
    now.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    ))
    .expect("a UTC time formats")
}

/// A changed document is a new document, so it gets a new namespace: the old
/// one (without an earlier suffix of ours) plus a UUID derived from the input
/// and the time, so that the same run on the same input gives the same name.
pub(super) fn new_namespace(old: &str, input: &str, ch: &Changes<'_>) -> String {
    let marker = format!("/{}/", ch.tool.name);
    let base = match old.rfind(&marker) {
        Some(i) => &old[..i],
        None => old.trim_end_matches('/'),
    };
    let mut h = Sha256::new();
    h.update(input.as_bytes());
    h.update(ch.now.unix_timestamp().to_be_bytes());
    for (id, r) in &ch.component_refs {
        h.update(id.0.to_be_bytes());
        h.update(r.sha256.as_bytes());
    }
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    // RFC 9562 version 8 (custom), variant 10.
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{base}{marker}{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}
