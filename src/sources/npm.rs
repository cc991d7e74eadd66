//! npm registry packuments (`GET /{name}`, scoped names as `@scope%2Fname`).
//!
//! Mirrors may strip `maintainers`, `deprecated` notices and real publish
//! times; a packument without `maintainers` is treated as such a sanitized
//! answer, and what it cannot show stays unknown.

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::model::{Dependency, DependencyKind, Flag, Funding, RegistryPackage, Release};
use super::repo_url;

pub fn packument_path(name: &str) -> String {
    match name.strip_prefix('@').and_then(|n| n.split_once('/')) {
        Some((scope, rest)) => format!("/@{scope}%2F{rest}"),
        None => format!("/{name}"),
    }
}

pub fn parse_packument(bytes: &[u8]) -> Result<RegistryPackage, String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("npm packument: {e}"))?;
    let obj = v.as_object().ok_or("npm packument: not a JSON object")?;
    if obj.contains_key("error") && !obj.contains_key("versions") {
        return Err(format!("npm packument: error answer {}", obj["error"]));
    }
    let versions = obj.get("versions").and_then(Value::as_object);
    let genuine = obj.contains_key("maintainers");
    let times = obj.get("time").and_then(Value::as_object);
    let trustworthy = genuine && times.is_some_and(|t| t.contains_key("created"));
    let time_of = |v: &str| {
        times
            .and_then(|t| t.get(v))
            .and_then(Value::as_str)
            .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
    };
    let mut releases = Vec::new();
    for (ver, meta) in versions.into_iter().flatten() {
        releases.push(Release {
            version: ver.clone(),
            published: if trustworthy { time_of(ver) } else { None },
            // npm has no yanking: a release is there or unpublished.
            yanked: Flag::No,
            deprecated: match meta.get("deprecated") {
                Some(Value::String(m)) if !m.is_empty() => Flag::Yes(m.clone()),
                _ if genuine => Flag::No,
                _ => Flag::Unknown,
            },
            license: license(meta),
            repository: meta.get("repository").and_then(repo_url::from_npm_field),
            dependencies: Some(dependencies(meta)),
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
        name: obj
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        removed: releases.is_empty(),
        latest_tag: obj
            .get("dist-tags")
            .and_then(|d| d.get("latest"))
            .and_then(Value::as_str)
            .map(str::to_string),
        maintainers: if genuine {
            obj.get("maintainers").and_then(Value::as_array).map(|m| {
                m.iter()
                    .filter_map(|x| {
                        x.get("name")
                            .and_then(Value::as_str)
                            .or_else(|| x.as_str())
                            .map(str::to_string)
                    })
                    .collect()
            })
        } else {
            None
        },
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

fn license(meta: &Value) -> Option<String> {
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

fn dependencies(meta: &Value) -> Vec<Dependency> {
    let mut out = Vec::new();
    for (key, kind) in [
        ("dependencies", DependencyKind::Normal),
        ("optionalDependencies", DependencyKind::Optional),
        ("peerDependencies", DependencyKind::Peer),
        ("devDependencies", DependencyKind::Dev),
    ] {
        for (name, req) in meta
            .get(key)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            // An optional dependency is also listed under dependencies.
            if kind == DependencyKind::Optional {
                out.retain(|d: &Dependency| d.name != *name);
            }
            out.push(Dependency {
                name: name.clone(),
                requirement: req.as_str().unwrap_or_default().to_string(),
                kind,
            });
        }
    }
    out
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
        let p = parse_packument(&fixture("npm/lodash.json")).unwrap();
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
        let p = parse_packument(&fixture("npm-complete-examples/lodash.json")).unwrap();
        assert!(p.maintainers.as_ref().unwrap().len() >= 2);
        assert!(p.times_trustworthy);
        assert!(p.releases.iter().all(|r| r.deprecated != Flag::Unknown));
        assert!(p.releases.iter().any(|r| r.published.is_some()));
    }

    #[test]
    fn removed_packages_and_scoped_paths() {
        assert!(
            parse_packument(&fixture("npm/flatmap-stream.json"))
                .unwrap()
                .removed
        );
        let babel = parse_packument(&fixture("npm/@babel__core.json.gz")).unwrap();
        assert!(babel.releases.len() > 100);
        assert_eq!(packument_path("@babel/core"), "/@babel%2Fcore");
        assert_eq!(packument_path("lodash"), "/lodash");
        assert!(parse_packument(b"[1]").is_err());
    }
}
