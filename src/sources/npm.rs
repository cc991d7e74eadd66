//! npm registry packuments (`GET /{name}`, scoped names as `@scope%2Fname`).
//!
//! Mirrors may strip `maintainers`, `deprecated` notices and real publish
//! times; a packument without `maintainers` is treated as such a sanitized
//! answer, and what it cannot show stays unknown.

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::model::{
    Dependency, DependencyKind, Flag, Funding, Maintainers, RegistryPackage, Release,
};
use super::repo_url;

pub fn packument_path(name: &str) -> String {
    match name.strip_prefix('@').and_then(|n| n.split_once('/')) {
        Some((scope, rest)) => format!("/@{scope}%2F{rest}"),
        None => format!("/{name}"),
    }
}

/// Read a packument for `requested`, checking its shape at the boundary.
/// What is malformed as a whole (not an object, another package's name,
/// `versions` or `maintainers` of the wrong type) is an error; what one
/// release writes oddly (package.json is free-form, and old releases are)
/// leaves that fact unknown for that release, never "none".
pub fn parse_packument(bytes: &[u8], requested: &str) -> Result<RegistryPackage, String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    let obj = v.as_object().ok_or("not a JSON object")?;
    if obj.contains_key("error") && !obj.contains_key("versions") {
        return Err(format!("an error answer: {}", obj["error"]));
    }
    let name = match obj.get("name") {
        Some(Value::String(n)) => n.clone(),
        Some(other) => return Err(format!("`name` is {}, not a string", kind(other))),
        None => return Err("no `name`".into()),
    };
    if name != requested {
        return Err(format!("the answer is about {name:?}, not {requested:?}"));
    }
    let times = match obj.get("time") {
        None => None,
        Some(Value::Object(t)) => Some(t),
        Some(other) => return Err(format!("`time` is {}, not an object", kind(other))),
    };
    let unpublished = times.is_some_and(|t| t.contains_key("unpublished"));
    let versions = match obj.get("versions") {
        Some(Value::Object(m)) => Some(m),
        Some(other) => return Err(format!("`versions` is {}, not an object", kind(other))),
        // A package unpublished from the registry keeps only its `time`.
        None if unpublished => None,
        None => return Err("no `versions`".into()),
    };
    let maintainers = match obj.get("maintainers") {
        None => None,
        Some(Value::Array(list)) => {
            let mut accounts = Vec::new();
            for m in list {
                match m.get("name").and_then(Value::as_str).or_else(|| m.as_str()) {
                    Some(n) => accounts.push(n.to_string()),
                    None => return Err("a `maintainers` entry without a name".into()),
                }
            }
            Some(Maintainers {
                accounts,
                organisation: None,
            })
        }
        Some(other) => return Err(format!("`maintainers` is {}, not a list", kind(other))),
    };
    let latest_tag = match obj.get("dist-tags") {
        None => None,
        Some(Value::Object(t)) => match t.get("latest") {
            None => None,
            Some(Value::String(l)) => Some(l.clone()),
            Some(other) => return Err(format!("`dist-tags.latest` is {}", kind(other))),
        },
        Some(other) => return Err(format!("`dist-tags` is {}, not an object", kind(other))),
    };
    // The full registry answer carries maintainers; mirrors that strip them
    // also strip deprecation notices and real publish times.
    let genuine = maintainers.is_some();
    let trustworthy = genuine && times.is_some_and(|t| t.contains_key("created"));
    let time_of = |v: &str| {
        times
            .and_then(|t| t.get(v))
            .and_then(Value::as_str)
            .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
    };
    let mut releases = Vec::new();
    for (ver, meta) in versions.into_iter().flatten() {
        let Some(meta) = meta.as_object() else {
            return Err(format!("release {ver:?} is {}, not an object", kind(meta)));
        };
        if let Some(Value::String(inner)) = meta.get("version")
            && inner != ver
        {
            return Err(format!("release {ver:?} says it is version {inner:?}"));
        }
        releases.push(Release {
            version: ver.clone(),
            published: if trustworthy { time_of(ver) } else { None },
            // npm has no yanking: a release is there or unpublished.
            yanked: Flag::No,
            deprecated: match meta.get("deprecated") {
                Some(Value::String(m)) if !m.is_empty() => Flag::Yes(m.clone()),
                // npm itself reads any truthy value as deprecated.
                Some(Value::Bool(true)) => Flag::Yes("deprecated (no message)".into()),
                Some(Value::String(_)) | Some(Value::Bool(false)) => Flag::No,
                Some(_) => Flag::Unknown,
                None if genuine => Flag::No,
                None => Flag::Unknown,
            },
            license: license(meta),
            repository: meta.get("repository").and_then(repo_url::from_npm_field),
            dependencies: dependencies(meta),
            features: None,
            funding: meta.get("funding").map(funding),
        });
    }
    let links = ["homepage"]
        .iter()
        .filter_map(|k| {
            obj.get(*k)
                .and_then(Value::as_str)
                .map(|u| (k.to_string(), u.to_string()))
        })
        .chain(
            obj.get("bugs")
                .and_then(|b| b.get("url"))
                .and_then(Value::as_str)
                .map(|u| ("bugs".to_string(), u.to_string())),
        )
        .collect();
    Ok(RegistryPackage {
        name,
        removed: releases.is_empty(),
        latest_tag,
        maintainers,
        repository: obj.get("repository").and_then(repo_url::from_npm_field),
        links,
        funding: None,
        classifiers: vec![],
        modified: if trustworthy {
            time_of("modified")
        } else {
            None
        },
        times_trustworthy: trustworthy,
        releases,
    })
}

/// A JSON value's type, for messages.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn license(meta: &serde_json::Map<String, Value>) -> Option<String> {
    match meta.get("license") {
        Some(Value::String(s)) => return Some(s.clone()),
        Some(Value::Object(o)) => return o.get("type").and_then(Value::as_str).map(str::to_string),
        _ => {}
    }
    // The legacy `licenses` list: only a single entry is unambiguous.
    match meta
        .get("licenses")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    {
        Some([one]) => one
            .get("type")
            .and_then(Value::as_str)
            .or_else(|| one.as_str())
            .map(str::to_string),
        _ => None,
    }
}

/// A release's dependencies; `None` when any list is written in a form npm
/// does not read as name → range (a string, a list, a non-string range):
/// then what the release installs is unknown.
fn dependencies(meta: &serde_json::Map<String, Value>) -> Option<Vec<Dependency>> {
    let optional_peers: Vec<&str> = meta
        .get("peerDependenciesMeta")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter(|(_, v)| v.get("optional") == Some(&Value::Bool(true)))
                .map(|(k, _)| k.as_str())
                .collect()
        })
        .unwrap_or_default();
    let mut out: Vec<Dependency> = Vec::new();
    for (key, kind) in [
        ("dependencies", DependencyKind::Normal),
        ("optionalDependencies", DependencyKind::Optional),
        ("peerDependencies", DependencyKind::Peer),
        ("devDependencies", DependencyKind::Dev),
    ] {
        let map = match meta.get(key) {
            None | Some(Value::Null) => continue,
            Some(Value::Object(m)) => m,
            // Dev dependencies are never installed with the package; an odd
            // form there changes nothing.
            Some(_) if kind == DependencyKind::Dev => continue,
            Some(_) => return None,
        };
        for (name, req) in map {
            let req = match req {
                Value::String(r) => r.clone(),
                _ if kind == DependencyKind::Dev => continue,
                _ => return None,
            };
            // An optional dependency is also listed under dependencies.
            if kind == DependencyKind::Optional {
                out.retain(|d| d.name != *name);
            }
            let kind = if kind == DependencyKind::Peer && optional_peers.contains(&name.as_str()) {
                DependencyKind::PeerOptional
            } else {
                kind
            };
            out.push(Dependency::new(name.clone(), req, kind));
        }
    }
    Some(out)
}

fn funding(v: &Value) -> Vec<Funding> {
    match v {
        Value::String(u) => vec![funding_entry(None, u)],
        Value::Object(o) => o
            .get("url")
            .and_then(Value::as_str)
            .map(|u| vec![funding_entry(o.get("type").and_then(Value::as_str), u)])
            .unwrap_or_default(),
        Value::Array(a) => a.iter().flat_map(funding).collect(),
        _ => vec![],
    }
}

pub(crate) fn funding_entry(declared: Option<&str>, url: &str) -> Funding {
    let host = url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .unwrap_or_default();
    let path = url.to_ascii_lowercase();
    let kind = if host.ends_with("tidelift.com") {
        Some("tidelift")
    } else if host == "github.com" && path.contains("/sponsors/") {
        Some("github")
    } else if host.ends_with("opencollective.com") {
        Some("opencollective")
    } else if host.ends_with("patreon.com") {
        Some("patreon")
    } else if host.ends_with("liberapay.com") {
        Some("liberapay")
    } else if host == "ko-fi.com" {
        Some("ko-fi")
    } else if host.ends_with("buymeacoffee.com") {
        Some("buymeacoffee")
    } else {
        None
    };
    Funding {
        kind: kind
            .map(str::to_string)
            .or_else(|| declared.map(|d| d.to_ascii_lowercase())),
        url: url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(rel: &str) -> Vec<u8> {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/registry")
            .join(rel);
        if rel.ends_with(".gz") {
            let out = std::process::Command::new("gzip")
                .arg("-dc")
                .arg(&p)
                .output()
                .unwrap();
            return out.stdout;
        }
        std::fs::read(p).unwrap()
    }

    #[test]
    fn a_sanitized_mirror_answer_leaves_what_it_strips_unknown() {
        let p = parse_packument(&fixture("npm/lodash.json"), "lodash").unwrap();
        assert_eq!(p.latest_tag.as_deref(), Some("4.18.1"));
        assert_eq!(p.maintainers, None);
        assert!(!p.times_trustworthy);
        let r = p.releases.iter().find(|r| r.version == "4.17.15").unwrap();
        assert_eq!(r.deprecated, Flag::Unknown);
        assert_eq!(r.published, None);
        assert_eq!(r.license.as_deref(), Some("MIT"));
        let latest = p.releases.iter().find(|r| r.version == "4.18.1").unwrap();
        assert_eq!(
            latest
                .repository
                .as_deref()
                .and_then(repo_url::normalize)
                .as_deref(),
            Some("https://github.com/lodash/lodash")
        );
    }

    #[test]
    fn a_complete_answer_has_maintainers_times_and_deprecations() {
        let p = parse_packument(&fixture("npm-complete-examples/lodash.json"), "lodash").unwrap();
        assert!(p.maintainers.as_ref().unwrap().people().len() >= 2);
        assert!(p.times_trustworthy);
        assert!(p.releases.iter().all(|r| r.deprecated != Flag::Unknown));
        assert!(p.releases.iter().any(|r| r.published.is_some()));
    }

    #[test]
    fn removed_packages_and_scoped_paths() {
        assert!(
            parse_packument(&fixture("npm/flatmap-stream.json"), "flatmap-stream")
                .unwrap()
                .removed
        );
        let babel = parse_packument(&fixture("npm/@babel__core.json.gz"), "@babel/core").unwrap();
        assert!(babel.releases.len() > 100);
        assert_eq!(packument_path("@babel/core"), "/@babel%2Fcore");
        assert_eq!(packument_path("lodash"), "/lodash");
        assert!(parse_packument(b"[1]", "x").is_err());
    }

    #[test]
    fn wrong_shapes_are_malformed_or_unknown_never_none() {
        let ok = |t: &str| parse_packument(t.as_bytes(), "x");
        // Another package's answer, or no release list at all.
        assert!(
            ok(r#"{"name": "y", "versions": {}}"#)
                .unwrap_err()
                .contains("\"y\"")
        );
        assert!(
            ok(r#"{"name": "x"}"#)
                .unwrap_err()
                .contains("no `versions`")
        );
        assert!(ok(r#"{"name": "x", "versions": []}"#).is_err());
        assert!(ok(r#"{"name": "x", "versions": {}, "maintainers": "bob"}"#).is_err());
        // Unpublished: the registry keeps only its `time`.
        assert!(
            ok(r#"{"name": "x", "time": {"unpublished": {"time": "2020-01-01T00:00:00Z"}}}"#)
                .unwrap()
                .removed
        );
        // A boolean deprecation is a deprecation, as npm reads it.
        let p = ok(r#"{"name": "x", "maintainers": [{"name": "a"}], "versions": {"1.0.0": {"deprecated": true}}}"#).unwrap();
        assert!(p.releases[0].deprecated.is_yes());
        // Dependencies as a string or a list: unknown, not "none".
        for deps in [r#""a""#, r#"["a"]"#, r#"{"a": 1}"#] {
            let t =
                format!(r#"{{"name": "x", "versions": {{"1.0.0": {{"dependencies": {deps}}}}}}}"#);
            assert_eq!(ok(&t).unwrap().releases[0].dependencies, None, "{deps}");
        }
        let p = ok(r#"{"name": "x", "versions": {"1.0.0": {"peerDependencies": {"p": "1", "q": "2"}, "peerDependenciesMeta": {"q": {"optional": true}}}}}"#).unwrap();
        let d = p.releases[0].dependencies.clone().unwrap();
        assert_eq!(d[0].kind, DependencyKind::Peer);
        assert_eq!(d[1].kind, DependencyKind::PeerOptional);
    }
}
