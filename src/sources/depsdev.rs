//! deps.dev API v3: GetPackage, GetVersion, GetDependencies, and v3alpha's
//! GetVersionBatch (many GetVersion answers in one, paginated), each answer
//! checked at the boundary (shape, and that it is about what was asked).

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::json::{self as strict, kind, quoted};
use super::model::{DepsDevPackage, DepsDevVersion, DepsDevVersionSummary, GraphNode};

/// deps.dev wants every character outside the unreserved set encoded, so a
/// name like `@scope/name` becomes `%40scope%2Fname`.
fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn package_path(system: &str, name: &str) -> String {
    format!("v3/systems/{}/packages/{}", enc(system), enc(name))
}

pub fn version_path(system: &str, name: &str, version: &str) -> String {
    format!("{}/versions/{}", package_path(system, name), enc(version))
}

pub fn dependencies_path(system: &str, name: &str, version: &str) -> String {
    format!("{}:dependencies", version_path(system, name, version))
}

/// GetVersionBatch, relative to the deps.dev base URL.
pub const VERSION_BATCH_PATH: &str = "v3alpha/versionbatch";

/// The most requests deps.dev takes in one batch.
pub const MAX_BATCH: usize = 5000;

/// A version as deps.dev names it: (system, name, version).
pub type VersionKey = (String, String, String);

/// The body of one GetVersionBatch call (every page repeats the requests).
pub fn batch_body(keys: &[VersionKey], page_token: Option<&str>) -> Vec<u8> {
    let requests: Vec<Value> = keys
        .iter()
        .map(|(s, n, v)| serde_json::json!({"versionKey": {"system": s, "name": n, "version": v}}))
        .collect();
    let mut body = serde_json::json!({ "requests": requests });
    if let Some(t) = page_token {
        body["pageToken"] = Value::String(t.to_string());
    }
    body.to_string().into_bytes()
}

/// One page of a GetVersionBatch answer.
#[derive(Debug, Default)]
pub struct BatchPage {
    /// The versions deps.dev knows, each with its own JSON (the shape of a
    /// GetVersion answer), as asked.
    pub found: Vec<(VersionKey, DepsDevVersion, Vec<u8>)>,
    /// Versions it answered without a `version`: not known to it, or not
    /// answered; the caller asks GetVersion, whose 404 is definite.
    pub unanswered: Vec<VersionKey>,
    pub next_page_token: Option<String>,
}

/// Check a page against the requests: every response must be about a
/// version that was asked, and its version about that same version.
pub fn parse_batch(
    bytes: &[u8],
    asked: &std::collections::HashSet<VersionKey>,
) -> Result<BatchPage, String> {
    let o = json(bytes)?;
    let mut page = BatchPage::default();
    for r in list(&o, "responses")? {
        let r = r.as_object().ok_or("a response that is not an object")?;
        let k = r
            .get("request")
            .and_then(|q| q.get("versionKey"))
            .and_then(Value::as_object)
            .ok_or("a response without `request.versionKey`")?;
        let field = |f: &str| -> Result<String, String> {
            k.get(f)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| format!("a response whose request has no `versionKey.{f}`"))
        };
        let key = (field("system")?, field("name")?, field("version")?);
        if !asked.contains(&key) {
            return Err(format!("a response about {key:?}, which was not asked"));
        }
        match r.get("version") {
            None | Some(Value::Null) => page.unanswered.push(key),
            Some(Value::Object(v)) => {
                let parsed = version_from(v, &key.1, &key.2)?;
                let raw = serde_json::to_vec(v).expect("a JSON value serializes");
                page.found.push((key, parsed, raw));
            }
            Some(other) => return Err(format!("`version` is {}", kind(other))),
        }
    }
    page.next_page_token = match o.get("nextPageToken") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) if t.is_empty() => None,
        Some(Value::String(t)) => Some(t.clone()),
        Some(other) => return Err(format!("`nextPageToken` is {}", kind(other))),
    };
    Ok(page)
}

type Obj = serde_json::Map<String, Value>;

fn json(bytes: &[u8]) -> Result<Obj, String> {
    match strict::parse(bytes)? {
        Value::Object(o) => Ok(o),
        other => Err(format!("{}, not an object", kind(&other))),
    }
}

fn opt_bool(o: &Obj, key: &str) -> Result<Option<bool>, String> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(format!("`{key}` is {}", kind(other))),
    }
}

fn opt_time(o: &Obj, key: &str) -> Result<Option<OffsetDateTime>, String> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(t)) => OffsetDateTime::parse(t, &Rfc3339)
            .map(Some)
            .map_err(|_| format!("`{key}` {} is not an RFC 3339 time", quoted(t))),
        Some(other) => Err(format!("`{key}` is {}", kind(other))),
    }
}

fn list<'a>(o: &'a Obj, key: &str) -> Result<&'a [Value], String> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(other) => Err(format!("`{key}` is {}, not a list", kind(other))),
    }
}

/// `versionKey`'s name and version, checked to be what was asked.
fn version_key(o: &Obj, name: &str, version: Option<&str>) -> Result<(String, String), String> {
    let k = o
        .get("versionKey")
        .and_then(Value::as_object)
        .ok_or("no `versionKey` object")?;
    let n = k
        .get("name")
        .and_then(Value::as_str)
        .ok_or("no `versionKey.name`")?;
    let v = k
        .get("version")
        .and_then(Value::as_str)
        .ok_or("no `versionKey.version`")?;
    if !same_name(n, name) {
        return Err(format!(
            "the answer is about {}, not {}",
            quoted(n),
            quoted(name)
        ));
    }
    if let Some(want) = version
        && v != want
    {
        return Err(format!(
            "the answer is about version {}, not {}",
            quoted(v),
            quoted(want)
        ));
    }
    Ok((n.to_string(), v.to_string()))
}

/// deps.dev spells names as each system does; PyPI's are normalized.
fn same_name(a: &str, b: &str) -> bool {
    use super::osv_record::normalize_name;
    use crate::purl::Ecosystem;
    a == b || normalize_name(Ecosystem::PyPi, a) == normalize_name(Ecosystem::PyPi, b)
}

/// GetPackage: every version once, at most one of them the default.
pub fn parse_package(bytes: &[u8], name: &str) -> Result<DepsDevPackage, String> {
    let v = json(bytes)?;
    match v.get("packageKey").map(|k| k.get("name")) {
        None => {}
        Some(Some(Value::String(k))) if same_name(k, name) => {}
        Some(Some(Value::String(k))) => {
            return Err(format!(
                "the answer is about {}, not {}",
                quoted(k),
                quoted(name)
            ));
        }
        Some(_) => return Err("`packageKey` without a name".into()),
    }
    let versions = match v.get("versions") {
        Some(Value::Array(a)) => a,
        Some(other) => return Err(format!("`versions` is {}", kind(other))),
        None => return Err("no `versions`".into()),
    };
    let mut out: Vec<DepsDevVersionSummary> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for x in versions {
        let x = x.as_object().ok_or("a version that is not an object")?;
        let (_, version) = version_key(x, name, None)?;
        // Listed twice, a version could be both deprecated and not.
        if !seen.insert(version.clone()) {
            return Err(format!("version {} is listed twice", quoted(&version)));
        }
        out.push(DepsDevVersionSummary {
            version,
            published: opt_time(x, "publishedAt")?,
            is_default: opt_bool(x, "isDefault")?.unwrap_or(false),
            // Protocol-buffer JSON leaves false values out.
            is_deprecated: opt_bool(x, "isDeprecated")?.unwrap_or(false),
        });
    }
    if out.iter().filter(|v| v.is_default).count() > 1 {
        return Err("more than one version is the default".into());
    }
    Ok(DepsDevPackage { versions: out })
}

pub fn parse_version(bytes: &[u8], name: &str, version: &str) -> Result<DepsDevVersion, String> {
    version_from(&json(bytes)?, name, version)
}

fn version_from(v: &Obj, name: &str, version: &str) -> Result<DepsDevVersion, String> {
    let (_, version) = version_key(v, name, Some(version))?;
    let strings = |key: &str, inner: Option<&str>| -> Result<Vec<String>, String> {
        list(v, key)?
            .iter()
            .map(|x| {
                match inner {
                    Some(i) => x.get(i).and_then(Value::as_str),
                    None => x.as_str(),
                }
                .map(str::to_string)
                .ok_or_else(|| format!("an entry of `{key}` is not as documented"))
            })
            .collect()
    };
    let mut links = Vec::new();
    for l in list(v, "links")? {
        match (
            l.get("label").and_then(Value::as_str),
            l.get("url").and_then(Value::as_str),
        ) {
            (Some(a), Some(b)) => links.push((a.to_string(), b.to_string())),
            _ => return Err("a link without a label or url".into()),
        }
    }
    let mut related_projects = Vec::new();
    for p in list(v, "relatedProjects")? {
        let id = p
            .get("projectKey")
            .and_then(|k| k.get("id"))
            .and_then(Value::as_str)
            .ok_or("a related project without an id")?;
        let rel = p
            .get("relationType")
            .and_then(Value::as_str)
            .unwrap_or_default();
        related_projects.push((id.to_string(), rel.to_string()));
    }
    Ok(DepsDevVersion {
        version,
        published: opt_time(v, "publishedAt")?,
        is_default: opt_bool(v, "isDefault")?,
        is_deprecated: opt_bool(v, "isDeprecated")?,
        deprecated_reason: match v.get("deprecatedReason") {
            None | Some(Value::Null) => None,
            Some(Value::String(r)) => Some(r.clone()).filter(|r| !r.is_empty()),
            Some(other) => return Err(format!("`deprecatedReason` is {}", kind(other))),
        },
        licenses: strings("licenses", None)?,
        advisory_ids: strings("advisoryKeys", Some("id"))?,
        links,
        related_projects,
        has_attestations: !list(v, "attestations")?.is_empty(),
        has_slsa_provenance: !list(v, "slsaProvenances")?.is_empty(),
    })
}

/// deps.dev's resolved graph for one version. The first node must be the
/// version asked about; a graph deps.dev could not fully resolve comes with
/// its error, which the caller records as partial coverage.
pub fn parse_dependencies(
    bytes: &[u8],
    name: &str,
    version: &str,
) -> Result<(Vec<GraphNode>, Option<String>), String> {
    let v = json(bytes)?;
    let nodes = match v.get("nodes") {
        Some(Value::Array(a)) => a,
        Some(other) => return Err(format!("`nodes` is {}", kind(other))),
        None => return Err("no `nodes`".into()),
    };
    let mut out = Vec::new();
    let mut node_errors = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        let n = n.as_object().ok_or("a node that is not an object")?;
        let k = n
            .get("versionKey")
            .and_then(Value::as_object)
            .ok_or("a node without versionKey")?;
        let node_name = k
            .get("name")
            .and_then(Value::as_str)
            .ok_or("a node without a name")?;
        let node_version = k
            .get("version")
            .and_then(Value::as_str)
            .ok_or("a node without a version")?;
        let relation = match n.get("relation").and_then(Value::as_str) {
            Some(r @ ("SELF" | "DIRECT" | "INDIRECT")) => r,
            Some(other) => return Err(format!("a node's relation is {}", quoted(other))),
            None => return Err("a node without a relation".into()),
        };
        if i == 0 && (relation != "SELF" || !same_name(node_name, name) || node_version != version)
        {
            return Err(format!(
                "the graph starts at {}@{} ({relation}), not {}@{}",
                quoted(node_name),
                quoted(node_version),
                quoted(name),
                quoted(version)
            ));
        }
        // One graph, one root.
        if i > 0 && relation == "SELF" {
            return Err(format!(
                "a second root, {}@{}",
                quoted(node_name),
                quoted(node_version)
            ));
        }
        // A node's own errors (an unresolved requirement) make the graph as
        // a whole uncertain.
        for e in list(n, "errors")? {
            if let Some(e) = e.as_str().filter(|e| !e.is_empty()) {
                node_errors.push(format!("{node_name}@{node_version}: {e}"));
            }
        }
        out.push(GraphNode {
            name: node_name.to_string(),
            version: node_version.to_string(),
            relation: relation.to_string(),
            bundled: opt_bool(n, "bundled")?.unwrap_or(false),
        });
    }
    if out.is_empty() {
        return Err("the graph has no nodes, not even the version asked about".into());
    }
    match v.get("error") {
        None | Some(Value::Null) => {}
        Some(Value::String(e)) if e.is_empty() => {}
        Some(Value::String(e)) => node_errors.insert(0, e.clone()),
        Some(other) => return Err(format!("`error` is {}", kind(other))),
    }
    let error = (!node_errors.is_empty()).then(|| node_errors.join("; "));
    Ok((out, error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_recorded_version() {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/api/depsdev/npm-lodash-4.17.20.getversion.json");
        let bytes = std::fs::read(p).unwrap();
        assert!(parse_version(&bytes, "lodash", "4.17.21").is_err());
        assert!(parse_version(&bytes, "underscore", "4.17.20").is_err());
        let v = parse_version(&bytes, "lodash", "4.17.20").unwrap();
        assert_eq!(v.version, "4.17.20");
        assert_eq!(v.advisory_ids.len(), 5);
        assert_eq!(v.licenses, vec!["MIT"]);
        assert_eq!(v.is_deprecated, Some(false));
        assert!(
            v.links
                .iter()
                .any(|(l, u)| l == "SOURCE_REPO" && u.contains("lodash/lodash"))
        );
        assert!(
            v.related_projects
                .iter()
                .any(|(id, _)| id == "github.com/lodash/lodash")
        );
        assert_eq!(
            version_path("NPM", "@babel/core", "7.0.0"),
            "v3/systems/NPM/packages/%40babel%2Fcore/versions/7.0.0"
        );
        assert!(parse_version(b"[]", "x", "1").is_err());
        assert!(parse_dependencies(br#"{"nodes": []}"#, "x", "1").is_err());
        let g = br#"{"nodes": [{"versionKey": {"name": "x", "version": "1"}, "relation": "SELF"},
                              {"versionKey": {"name": "y", "version": "2"}, "relation": "DIRECT"}],
                   "error": "could not resolve z"}"#;
        let (nodes, err) = parse_dependencies(g, "x", "1").unwrap();
        assert_eq!(nodes.len(), 2);
        assert_eq!(err.as_deref(), Some("could not resolve z"));
    }

    #[test]
    fn odd_package_and_graph_answers_are_malformed() {
        let version = |v: &str, extra: &str| {
            format!(
                r#"{{"versionKey": {{"system": "MAVEN", "name": "g:a", "version": "{v}"}}{extra}}}"#
            )
        };
        let package = |versions: &[String]| {
            format!(
                r#"{{"packageKey": {{"system": "MAVEN", "name": "g:a"}}, "versions": [{}]}}"#,
                versions.join(", ")
            )
        };
        let healthy = package(&[version("1.0", ""), version("2.0", r#", "isDefault": true"#)]);
        let p = parse_package(healthy.as_bytes(), "g:a").unwrap();
        assert_eq!(p.versions.len(), 2);
        for (label, text, why) in [
            (
                "a version twice",
                package(&[
                    version("1.0", ""),
                    version("1.0", r#", "isDeprecated": true"#),
                ]),
                "listed twice",
            ),
            (
                "two defaults",
                package(&[
                    version("1.0", r#", "isDefault": true"#),
                    version("2.0", r#", "isDefault": true"#),
                ]),
                "default",
            ),
            (
                "a key twice",
                healthy.replacen("{", r#"{"versions": [], "#, 1),
                "twice",
            ),
            (
                "a package key without a name",
                healthy.replace(r#""name": "g:a"}, "versions""#, r#""name": 1}, "versions""#),
                "without a name",
            ),
            (
                "a time that is not RFC 3339",
                package(&[version("1.0", r#", "publishedAt": "2026-01-01""#)]),
                "RFC 3339",
            ),
        ] {
            let e = parse_package(text.as_bytes(), "g:a")
                .err()
                .unwrap_or_else(|| panic!("{label}: accepted"));
            assert!(e.contains(why), "{label}: {e}");
        }
        let g = br#"{"nodes": [{"versionKey": {"name": "x", "version": "1"}, "relation": "SELF"},
                              {"versionKey": {"name": "y", "version": "2"}, "relation": "SELF"}]}"#;
        assert!(
            parse_dependencies(g, "x", "1")
                .unwrap_err()
                .contains("second root")
        );
        let g = br#"{"nodes": [{"versionKey": {"name": "x", "version": "1"}}]}"#;
        assert!(
            parse_dependencies(g, "x", "1")
                .unwrap_err()
                .contains("without a relation")
        );
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/api/depsdev/npm-lodash-4.17.20.getversion.json");
        let mut v: Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
        v["deprecatedReason"] = serde_json::json!(["no"]);
        assert!(parse_version(v.to_string().as_bytes(), "lodash", "4.17.20").is_err());
    }

    #[test]
    fn a_batch_answer_is_checked_against_what_was_asked() {
        let asked: std::collections::HashSet<VersionKey> = [
            ("NPM".into(), "a".into(), "1.0.0".into()),
            ("NPM".into(), "b".into(), "2.0.0".into()),
        ]
        .into_iter()
        .collect();
        let ok = br#"{"responses": [
            {"request": {"versionKey": {"system": "NPM", "name": "a", "version": "1.0.0"}},
             "version": {"versionKey": {"system": "NPM", "name": "a", "version": "1.0.0"}, "licenses": ["MIT"]}},
            {"request": {"versionKey": {"system": "NPM", "name": "b", "version": "2.0.0"}}}],
            "nextPageToken": "t2"}"#;
        let p = parse_batch(ok, &asked).unwrap();
        assert_eq!(p.found.len(), 1);
        assert_eq!(p.found[0].1.licenses, vec!["MIT"]);
        assert_eq!(
            p.unanswered,
            vec![("NPM".into(), "b".into(), "2.0.0".into())]
        );
        assert_eq!(p.next_page_token.as_deref(), Some("t2"));
        // About something not asked; a version that is another's; a bad token.
        let other = br#"{"responses": [{"request": {"versionKey": {"system": "NPM", "name": "c", "version": "1"}}}]}"#;
        assert!(parse_batch(other, &asked).is_err());
        let swapped = br#"{"responses": [
            {"request": {"versionKey": {"system": "NPM", "name": "a", "version": "1.0.0"}},
             "version": {"versionKey": {"system": "NPM", "name": "a", "version": "9.9.9"}}}]}"#;
        assert!(parse_batch(swapped, &asked).is_err());
        assert!(parse_batch(br#"{"responses": [], "nextPageToken": 3}"#, &asked).is_err());
        assert!(parse_batch(br#"{"responses": {}}"#, &asked).is_err());
        assert!(parse_batch(br#"[]"#, &asked).is_err());
    }
}
