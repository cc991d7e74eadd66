//! deps.dev API v3: GetPackage, GetVersion, GetDependencies, GetProject.

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::model::{
    DepsDevPackage, DepsDevProject, DepsDevVersion, DepsDevVersionSummary, GraphNode,
};

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

pub fn project_path(id: &str) -> String {
    format!("v3/projects/{}", enc(id))
}

fn time_of(v: &Value) -> Option<OffsetDateTime> {
    v.as_str()
        .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
}

fn json(bytes: &[u8], what: &str) -> Result<Value, String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("deps.dev {what}: {e}"))?;
    if !v.is_object() {
        return Err(format!("deps.dev {what}: not a JSON object"));
    }
    Ok(v)
}

pub fn parse_package(bytes: &[u8]) -> Result<DepsDevPackage, String> {
    let v = json(bytes, "package")?;
    let versions = v
        .get("versions")
        .and_then(Value::as_array)
        .ok_or("deps.dev package: no versions")?;
    Ok(DepsDevPackage {
        versions: versions
            .iter()
            .filter_map(|x| {
                Some(DepsDevVersionSummary {
                    version: x.get("versionKey")?.get("version")?.as_str()?.to_string(),
                    published: x.get("publishedAt").and_then(time_of),
                    is_default: x.get("isDefault").and_then(Value::as_bool).unwrap_or(false),
                    // Protocol-buffer JSON leaves false values out.
                    is_deprecated: x
                        .get("isDeprecated")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                })
            })
            .collect(),
    })
}

pub fn parse_version(bytes: &[u8]) -> Result<DepsDevVersion, String> {
    let v = json(bytes, "version")?;
    let version = v
        .get("versionKey")
        .and_then(|k| k.get("version"))
        .and_then(Value::as_str)
        .ok_or("deps.dev version: no versionKey")?
        .to_string();
    let strings = |key: &str, inner: Option<&str>| -> Vec<String> {
        v.get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|x| match inner {
                Some(i) => x.get(i).and_then(Value::as_str),
                None => x.as_str(),
            })
            .map(str::to_string)
            .collect()
    };
    let non_empty = |key: &str| {
        v.get(key)
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
    };
    Ok(DepsDevVersion {
        version,
        published: v.get("publishedAt").and_then(time_of),
        is_default: v.get("isDefault").and_then(Value::as_bool),
        is_deprecated: v.get("isDeprecated").and_then(Value::as_bool),
        deprecated_reason: v
            .get("deprecatedReason")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        licenses: strings("licenses", None),
        advisory_ids: strings("advisoryKeys", Some("id")),
        links: v
            .get("links")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|l| {
                Some((
                    l.get("label")?.as_str()?.to_string(),
                    l.get("url")?.as_str()?.to_string(),
                ))
            })
            .collect(),
        related_projects: v
            .get("relatedProjects")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| {
                Some((
                    p.get("projectKey")?.get("id")?.as_str()?.to_string(),
                    p.get("relationType")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                ))
            })
            .collect(),
        has_attestations: non_empty("attestations"),
        has_slsa_provenance: non_empty("slsaProvenances"),
    })
}

pub fn parse_dependencies(bytes: &[u8]) -> Result<Vec<GraphNode>, String> {
    let v = json(bytes, "dependencies")?;
    let nodes = v
        .get("nodes")
        .and_then(Value::as_array)
        .ok_or("deps.dev dependencies: no nodes")?;
    if let Some(err) = v
        .get("error")
        .and_then(Value::as_str)
        .filter(|e| !e.is_empty())
    {
        return Err(format!("deps.dev could not resolve the graph: {err}"));
    }
    nodes
        .iter()
        .map(|n| {
            let k = n
                .get("versionKey")
                .ok_or("deps.dev dependencies: node without versionKey")?;
            Ok(GraphNode {
                name: k
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                version: k
                    .get("version")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                relation: n
                    .get("relation")
                    .and_then(Value::as_str)
                    .unwrap_or("INDIRECT")
                    .to_string(),
            })
        })
        .collect()
}

pub fn parse_project(bytes: &[u8]) -> Result<DepsDevProject, String> {
    let v = json(bytes, "project")?;
    Ok(DepsDevProject {
        id: v
            .get("projectKey")
            .and_then(|k| k.get("id"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        scorecard: v
            .get("scorecard")
            .and_then(|s| super::scorecard::parse_value(s).ok()),
        oss_fuzz_line_coverage: v.get("ossFuzz").and_then(|o| {
            let lines = o.get("lineCount")?.as_f64()?;
            let covered = o.get("lineCoverCount")?.as_f64()?;
            (lines > 0.0).then(|| covered / lines)
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_recorded_version() {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/api/depsdev/npm-lodash-4.17.20.getversion.json");
        let v = parse_version(&std::fs::read(p).unwrap()).unwrap();
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
        assert!(parse_version(b"[]").is_err());
    }
}
