//! npm registry packuments (`GET /{name}`, scoped names as `@scope%2Fname`).
//!
//! Mirrors may strip `maintainers`, `deprecated` notices and real publish
//! times; a packument without `maintainers` is treated as such a sanitized
//! answer, and what it cannot show stays unknown.

use std::collections::HashMap;

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::adapter::{Adapter, Malformed, Question};
use super::http::Service;
use super::json::{self, kind, quoted};
use super::model::{
    Account, Dependency, DependencyKind, Flag, Funding, Maintainers, ProvenanceBundle,
    RegistryPackage, Release, ReleaseAttestations,
};
use super::repo_url;

/// The npm registry, asked one package at a time.
pub const ADAPTER: Adapter = Adapter::online(Service::Npm);

/// A package's packument, by its name.
pub struct Packument;

impl Question for Packument {
    const ADAPTER: &'static Adapter = &ADAPTER;
    type Key = String;
    type Value = RegistryPackage;

    fn path(name: &String) -> String {
        packument_path(name)
    }

    fn parse(body: &[u8], name: &String) -> Result<RegistryPackage, Malformed> {
        parse_packument(body, name)
    }
}

/// The attestations npm keeps for one release, by (name, version): `GET
/// /-/npm/v1/attestations/{name}@{version}`, the path the registry writes
/// into `dist.attestations.url`, asked of the configured registry (a
/// mirror may strip that pointer, and no other host is ever followed). A
/// 404 is "none kept here".
pub struct Attestations;

/// The largest attestations answer read: two bundles of a few kilobytes
/// each are what npm keeps for a release.
pub const MAX_ATTESTATIONS: usize = 512 * 1024;

/// The predicate types of the SLSA provenance npm keeps.
pub const SLSA_PROVENANCE: [&str; 2] = [
    "https://slsa.dev/provenance/v0.2",
    "https://slsa.dev/provenance/v1",
];

impl Question for Attestations {
    const ADAPTER: &'static Adapter = &ADAPTER;
    type Key = (String, String);
    type Value = ReleaseAttestations;

    fn path((name, version): &(String, String)) -> String {
        let encoded =
            crate::percent::encode(version, |c| !(crate::percent::is_unreserved(c) || c == '+'));
        format!("/-/npm/v1/attestations{}@{encoded}", packument_path(name))
    }

    fn parse(body: &[u8], _key: &(String, String)) -> Result<ReleaseAttestations, Malformed> {
        read_attestations(body).map_err(|why| ADAPTER.malformed(why.0))
    }
}

/// Read an attestations answer: `{"attestations": [{"predicateType",
/// "bundle"}]}`, at most one SLSA provenance among them.
/// Why npm's attestations answer is not one (the reason evidence quotes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AttestationsError(pub String);

/// Npm's attestations answer, checked at the boundary.
pub fn read_attestations(body: &[u8]) -> Result<ReleaseAttestations, AttestationsError> {
    read_attestations_text(body).map_err(AttestationsError)
}

fn read_attestations_text(body: &[u8]) -> Result<ReleaseAttestations, String> {
    if body.len() > MAX_ATTESTATIONS {
        return Err(format!(
            "the attestations answer is {} bytes, over the {MAX_ATTESTATIONS}-byte limit",
            body.len()
        ));
    }
    let v: Value = json::parse(body).map_err(|e| e.to_string())?;
    let list = match v.get("attestations") {
        Some(Value::Array(list)) => list,
        Some(other) => return Err(format!("`attestations` is {}, not a list", kind(other))),
        None => return Err("no `attestations` list".into()),
    };
    let mut provenance = None;
    for a in list {
        let ty = match a.get("predicateType") {
            Some(Value::String(t)) => t,
            Some(other) => return Err(format!("a `predicateType` is {}", kind(other))),
            None => return Err("an attestation without a `predicateType`".into()),
        };
        if !SLSA_PROVENANCE.contains(&ty.as_str()) {
            continue;
        }
        let bundle = match a.get("bundle") {
            Some(b @ Value::Object(_)) => b,
            Some(other) => return Err(format!("the provenance `bundle` is {}", kind(other))),
            None => return Err("the provenance has no `bundle`".into()),
        };
        if provenance.is_some() {
            // Two would leave which one speaks for the release to chance.
            return Err("two SLSA provenance attestations for one release".into());
        }
        provenance = Some(ProvenanceBundle {
            predicate_type: Some(ty.clone()),
            bundle: serde_json::to_vec(bundle).map_err(|e| e.to_string())?,
        });
    }
    Ok(ReleaseAttestations {
        bundles: provenance.into_iter().collect(),
    })
}

pub fn packument_path(name: &str) -> String {
    match name.strip_prefix('@').and_then(|n| n.split_once('/')) {
        Some((scope, rest)) => format!("/@{scope}%2F{rest}"),
        None => format!("/{name}"),
    }
}

/// Read a packument for `requested`, checking its shape at the boundary.
/// What the registry itself writes must be as it writes it, or the whole
/// answer is malformed: `name`, `versions`, `dist-tags`, every `time`
/// (RFC 3339), `maintainers` (each account once, by a name npm could have
/// given it) and each release's `deprecated` (a message). What a release's
/// package.json says in a form npm does not write today (old releases
/// wrote `dependencies` as a list) leaves that fact unknown for that
/// release, never "none"; a form no release was ever published with (a
/// string or a number where a map belongs) is a malformed answer.
pub fn parse_packument(bytes: &[u8], requested: &str) -> Result<RegistryPackage, Malformed> {
    read_packument(bytes, requested).map_err(|why| ADAPTER.malformed(why))
}

fn read_packument(bytes: &[u8], requested: &str) -> Result<RegistryPackage, String> {
    let v: Value = json::parse(bytes).map_err(|e| e.to_string())?;
    let obj = v.as_object().ok_or("not a JSON object")?;
    if obj.contains_key("error") && !obj.contains_key("versions") {
        let e = match &obj["error"] {
            Value::String(e) => quoted(e),
            other => kind(other).to_string(),
        };
        return Err(format!("an error answer: {e}"));
    }
    let name = match obj.get("name") {
        Some(Value::String(n)) => n.clone(),
        Some(other) => return Err(format!("`name` is {}, not a string", kind(other))),
        None => return Err("no `name`".into()),
    };
    if name != requested {
        return Err(format!(
            "the answer is about {}, not {}",
            quoted(&name),
            quoted(requested)
        ));
    }
    let times = match obj.get("time") {
        None => None,
        Some(Value::Object(t)) => Some(times(t)?),
        Some(other) => return Err(format!("`time` is {}, not an object", kind(other))),
    };
    let unpublished = times.as_ref().is_some_and(|t| t.unpublished);
    let versions = match obj.get("versions") {
        Some(Value::Object(m)) => Some(m),
        Some(other) => return Err(format!("`versions` is {}, not an object", kind(other))),
        // A package unpublished from the registry keeps only its `time`.
        None if unpublished => None,
        None => return Err("no `versions`".into()),
    };
    let maintainers = match obj.get("maintainers") {
        None => None,
        Some(Value::Array(list)) => Some(maintainers(list)?),
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
    let trustworthy = genuine && times.as_ref().is_some_and(|t| t.at.contains_key("created"));
    let time_of = |v: &str| times.as_ref().and_then(|t| t.at.get(v).copied());
    let mut releases = Vec::new();
    for (ver, meta) in versions.into_iter().flatten() {
        let Some(meta) = meta.as_object() else {
            return Err(format!(
                "release {} is {}, not an object",
                quoted(ver),
                kind(meta)
            ));
        };
        match meta.get("version") {
            None => {}
            Some(Value::String(inner)) if inner == ver => {}
            Some(Value::String(inner)) => {
                return Err(format!(
                    "release {} says it is version {}",
                    quoted(ver),
                    quoted(inner)
                ));
            }
            Some(other) => {
                return Err(format!(
                    "the `version` of release {} is {}",
                    quoted(ver),
                    kind(other)
                ));
            }
        }
        // npm writes a deprecation as its message (`npm deprecate`), and an
        // empty one for none; another type is not npm's.
        let deprecated = match meta.get("deprecated") {
            Some(Value::String(m)) if !m.is_empty() => Flag::Yes(m.clone()),
            Some(Value::String(_)) => Flag::No,
            Some(other) => {
                return Err(format!(
                    "`deprecated` of release {} is {}, not a message",
                    quoted(ver),
                    kind(other)
                ));
            }
            None if genuine => Flag::No,
            None => Flag::Unknown,
        };
        releases.push(Release {
            version: ver.clone(),
            published: if trustworthy { time_of(ver) } else { None },
            // npm has no yanking: a release is there or unpublished.
            yanked: Flag::No,
            deprecated,
            license: license(meta),
            repository: meta.get("repository").and_then(repo_url::from_npm_field),
            dependencies: dependencies(meta)
                .map_err(|e| format!("release {}: {e}", quoted(ver)))?,
            features: None,
            funding: meta.get("funding").map(funding),
            sha512: meta
                .get("dist")
                .and_then(|d| d.get("integrity"))
                .and_then(Value::as_str)
                .and_then(sha512_of_integrity),
            attestations_listed: meta
                .get("dist")
                .and_then(|d| d.get("attestations"))
                .and_then(|a| a.get("url"))
                .is_some_and(Value::is_string),
            file: None,
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
        // One answer holds all the listing has.
        details_missing: None,
        releases,
    })
}

/// The SHA-512 in a Subresource Integrity string (`sha512-<base64>`,
/// possibly among other hashes, space-separated); `None` without one.
pub fn sha512_of_integrity(sri: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    sri.split_ascii_whitespace()
        .filter_map(|h| h.strip_prefix("sha512-"))
        // An SRI hash may carry `?options` after the digest.
        .map(|b64| b64.split('?').next().unwrap_or(b64))
        .find_map(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .filter(|d| d.len() == 64)
}

/// A packument's `time`: when the package was created and modified and
/// each release published, all RFC 3339, and whether it was unpublished.
struct Times {
    at: HashMap<String, OffsetDateTime>,
    unpublished: bool,
}

fn times(t: &serde_json::Map<String, Value>) -> Result<Times, String> {
    let mut at = HashMap::new();
    let mut unpublished = false;
    for (k, v) in t {
        match (k.as_str(), v) {
            // What the registry keeps of an unpublished package.
            ("unpublished", Value::Object(_)) => unpublished = true,
            (_, Value::String(s)) => match OffsetDateTime::parse(s, &Rfc3339) {
                Ok(when) => {
                    at.insert(k.clone(), when);
                }
                Err(_) => {
                    return Err(format!(
                        "`time` of {} is {}, not an RFC 3339 time",
                        quoted(k),
                        quoted(s)
                    ));
                }
            },
            (_, other) => {
                return Err(format!(
                    "`time` of {} is {}, not an RFC 3339 time",
                    quoted(k),
                    kind(other)
                ));
            }
        }
    }
    Ok(Times { at, unpublished })
}

/// The registry's list of accounts that can publish: objects with the
/// account's name and address, each account once. A name npm could not
/// have given an account (empty, blanks, invisible or other characters a
/// URL must escape) would let one person be counted as two.
fn maintainers(list: &[Value]) -> Result<Maintainers, String> {
    let mut accounts: Vec<Account> = Vec::new();
    let mut names = std::collections::HashSet::new();
    for m in list {
        let Some(m) = m.as_object() else {
            return Err(format!(
                "a `maintainers` entry is {}, not an object",
                kind(m)
            ));
        };
        let name = match m.get("name") {
            Some(Value::String(n)) if is_npm_user_name(n) => n.clone(),
            Some(Value::String(n)) => {
                return Err(format!(
                    "a maintainer named {}, which is not an npm user name",
                    quoted(n)
                ));
            }
            Some(other) => return Err(format!("a maintainer's name is {}", kind(other))),
            None => return Err("a `maintainers` entry without a name".into()),
        };
        let email = match m.get("email") {
            None => None,
            Some(Value::String(e)) => Some(e.clone()),
            Some(other) => return Err(format!("a maintainer's email is {}", kind(other))),
        };
        if !names.insert(name.to_ascii_lowercase()) {
            return Err(format!("the maintainer {} is listed twice", quoted(&name)));
        }
        accounts.push(Account { name, email });
    }
    Ok(Maintainers {
        accounts,
        organisation: None,
    })
}

/// Whether npm could have given an account this name: what its user-name
/// rules allow (characters a URL carries unescaped, at most 214 of them),
/// with the upper case that old accounts kept.
fn is_npm_user_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 214
        && n.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~!*'()".contains(&b))
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

/// A release's dependencies. `Ok(None)` when a list is written as a JSON
/// list (as releases published before npm normalized package.json were):
/// what such a release installs is unknown, not "nothing". A string, a
/// number, `null` or a range that is not a string is no form npm ever
/// published: an error.
fn dependencies(meta: &serde_json::Map<String, Value>) -> Result<Option<Vec<Dependency>>, String> {
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
    let mut optional = std::collections::HashSet::new();
    let mut unknown = false;
    for (key, kind) in [
        ("dependencies", DependencyKind::Normal),
        ("optionalDependencies", DependencyKind::Optional),
        ("peerDependencies", DependencyKind::Peer),
        ("devDependencies", DependencyKind::Dev),
    ] {
        let map = match meta.get(key) {
            None => continue,
            Some(Value::Object(m)) => m,
            // Dev dependencies are never installed with the package; an odd
            // form there changes nothing.
            Some(_) if kind == DependencyKind::Dev => continue,
            Some(Value::Array(_)) => {
                unknown = true;
                continue;
            }
            Some(other) => return Err(format!("`{key}` is {}, not a map", json::kind(other))),
        };
        for (name, req) in map {
            let req = match req {
                Value::String(r) => r.clone(),
                _ if kind == DependencyKind::Dev => continue,
                other => {
                    return Err(format!(
                        "the range of {} in `{key}` is {}, not a string",
                        quoted(name),
                        json::kind(other)
                    ));
                }
            };
            // An optional dependency is also listed under dependencies.
            if kind == DependencyKind::Optional {
                optional.insert(name.as_str());
            }
            let kind = if kind == DependencyKind::Peer && optional_peers.contains(&name.as_str()) {
                DependencyKind::PeerOptional
            } else {
                kind
            };
            out.push(Dependency::new(name.clone(), req, kind));
        }
    }
    out.retain(|d| d.kind != DependencyKind::Normal || !optional.contains(d.name.as_str()));
    Ok((!unknown).then_some(out))
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
    use base64::Engine;

    /// A change to an answer, for a table of odd shapes.
    type Change = Box<dyn FnOnce(&mut Value)>;

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
                .why
                .contains("\"y\"")
        );
        assert!(
            ok(r#"{"name": "x"}"#)
                .unwrap_err()
                .why
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
        // Old releases wrote their dependencies as a list: unknown, not "none".
        let t = r#"{"name": "x", "versions": {"1.0.0": {"dependencies": []}}}"#;
        assert_eq!(ok(t).unwrap().releases[0].dependencies, None);
        let p = ok(r#"{"name": "x", "versions": {"1.0.0": {"peerDependencies": {"p": "1", "q": "2"}, "peerDependenciesMeta": {"q": {"optional": true}}}}}"#).unwrap();
        let d = p.releases[0].dependencies.clone().unwrap();
        assert_eq!(d[0].kind, DependencyKind::Peer);
        assert_eq!(d[1].kind, DependencyKind::PeerOptional);
        // An optional dependency is listed under dependencies too: once.
        let t = r#"{"name": "x", "versions": {"1.0.0": {"dependencies": {"a": "1", "b": "1"}, "optionalDependencies": {"a": "1"}}}}"#;
        let d = ok(t).unwrap().releases[0].dependencies.clone().unwrap();
        assert_eq!(
            d.iter()
                .map(|d| (d.name.as_str(), d.kind))
                .collect::<Vec<_>>(),
            [
                ("b", DependencyKind::Normal),
                ("a", DependencyKind::Optional)
            ]
        );
        // Odd forms of devDependencies change nothing that is installed.
        let t = r#"{"name": "x", "versions": {"1.0.0": {"devDependencies": "a", "dependencies": {"b": "1"}}}}"#;
        assert_eq!(
            ok(t).unwrap().releases[0]
                .dependencies
                .clone()
                .unwrap()
                .len(),
            1
        );
    }

    /// A complete packument (maintainers, times) with one change.
    fn complete(change: impl FnOnce(&mut Value)) -> Result<RegistryPackage, Malformed> {
        let mut v = serde_json::json!({
            "name": "x",
            "dist-tags": {"latest": "2.0.0"},
            "maintainers": [{"name": "alice", "email": "a@example.com"}, {"name": "bob", "email": "b@example.com"}],
            "versions": {"1.0.0": {"version": "1.0.0"}, "2.0.0": {"version": "2.0.0", "dependencies": {"y": "^1"}}},
            "time": {"created": "2026-01-01T00:00:00.000Z", "modified": "2026-02-01T00:00:00.000Z",
                     "1.0.0": "2026-01-01T00:00:00.000Z", "2.0.0": "2026-02-01T00:00:00.000Z"},
        });
        change(&mut v);
        parse_packument(v.to_string().as_bytes(), "x")
    }

    #[test]
    fn odd_shapes_of_what_the_registry_writes_are_malformed() {
        let healthy = complete(|_| {}).unwrap();
        assert_eq!(healthy.maintainers.as_ref().unwrap().people().len(), 2);
        assert!(healthy.times_trustworthy);
        let cases: Vec<(&str, Change, &str)> = vec![
            (
                "the same maintainer twice",
                Box::new(|v| v["maintainers"][1]["name"] = "Alice".into()),
                "listed twice",
            ),
            (
                "an invisible character",
                Box::new(|v| v["maintainers"][1]["name"] = "alice\u{200b}".into()),
                "not an npm user name",
            ),
            (
                "an empty name",
                Box::new(|v| v["maintainers"][1]["name"] = "".into()),
                "not an npm user name",
            ),
            (
                "a blank in a name",
                Box::new(|v| v["maintainers"][1]["name"] = "alice ".into()),
                "not an npm user name",
            ),
            (
                "a bare string",
                Box::new(|v| v["maintainers"][1] = "bob".into()),
                "not an object",
            ),
            (
                "a name that is a number",
                Box::new(|v| v["maintainers"][1]["name"] = 7.into()),
                "name is a number",
            ),
            (
                "an email that is a list",
                Box::new(|v| v["maintainers"][1]["email"] = serde_json::json!([])),
                "email is a list",
            ),
            (
                "a date without a time",
                Box::new(|v| v["time"]["2.0.0"] = "2026-02-01".into()),
                "not an RFC 3339 time",
            ),
            (
                "a time in words",
                Box::new(|v| v["time"]["2.0.0"] = "last tuesday".into()),
                "not an RFC 3339 time",
            ),
            (
                "`created` a number",
                Box::new(|v| v["time"]["created"] = 1767225600.into()),
                "not an RFC 3339 time",
            ),
            (
                "`modified` null",
                Box::new(|v| v["time"]["modified"] = Value::Null),
                "not an RFC 3339 time",
            ),
            (
                "`unpublished` a string",
                Box::new(|v| v["time"]["unpublished"] = "yes".into()),
                "not an RFC 3339 time",
            ),
            (
                "`deprecated: true`",
                Box::new(|v| v["versions"]["2.0.0"]["deprecated"] = true.into()),
                "not a message",
            ),
            (
                "`deprecated: false`",
                Box::new(|v| v["versions"]["2.0.0"]["deprecated"] = false.into()),
                "not a message",
            ),
            (
                "`deprecated: null`",
                Box::new(|v| v["versions"]["2.0.0"]["deprecated"] = Value::Null),
                "not a message",
            ),
            (
                "`dependencies` a string",
                Box::new(|v| v["versions"]["2.0.0"]["dependencies"] = "y".into()),
                "not a map",
            ),
            (
                "`dependencies` null",
                Box::new(|v| v["versions"]["2.0.0"]["dependencies"] = Value::Null),
                "not a map",
            ),
            (
                "`optionalDependencies` a number",
                Box::new(|v| v["versions"]["2.0.0"]["optionalDependencies"] = 1.into()),
                "not a map",
            ),
            (
                "a range that is a number",
                Box::new(|v| v["versions"]["2.0.0"]["dependencies"]["y"] = 1.into()),
                "not a string",
            ),
            (
                "a peer range that is null",
                Box::new(|v| {
                    v["versions"]["2.0.0"]["peerDependencies"] = serde_json::json!({"z": null})
                }),
                "not a string",
            ),
            (
                "a `version` that is a number",
                Box::new(|v| v["versions"]["2.0.0"]["version"] = 2.into()),
                "is a number",
            ),
        ];
        for (label, change, why) in cases {
            let e = complete(change)
                .err()
                .unwrap_or_else(|| panic!("{label}: accepted"));
            assert!(e.why.contains(why), "{label}: {e}");
        }
        // `deprecated: ""` is npm's "no longer deprecated".
        let p = complete(|v| v["versions"]["2.0.0"]["deprecated"] = "".into()).unwrap();
        assert_eq!(p.release("2.0.0").unwrap().deprecated, Flag::No);
        let p = complete(|v| v["versions"]["2.0.0"]["deprecated"] = "use y".into()).unwrap();
        assert!(p.release("2.0.0").unwrap().deprecated.is_yes());
        // Two accounts with one address are one person, not two.
        let p = complete(|v| v["maintainers"][1]["email"] = "A@example.com".into()).unwrap();
        assert_eq!(p.maintainers.unwrap().people(), vec!["alice"]);
        // Old accounts kept upper case; a time a version no longer has is kept.
        let p = complete(|v| {
            v["maintainers"][1]["name"] = "Bob.Old".into();
            v["time"]["0.9.0"] = "2025-01-01T00:00:00Z".into();
        })
        .unwrap();
        assert_eq!(p.maintainers.unwrap().people().len(), 2);
    }

    #[test]
    fn a_key_named_twice_is_malformed() {
        let t = r#"{"name": "x", "maintainers": [{"name": "a"}], "versions": {}, "maintainers": [{"name": "a"}, {"name": "b"}]}"#;
        assert!(
            parse_packument(t.as_bytes(), "x")
                .unwrap_err()
                .why
                .contains("twice")
        );
    }

    #[test]
    fn every_recorded_packument_is_accepted() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/registry");
        let mut n = 0;
        for sub in ["npm", "npm-complete-examples"] {
            for e in std::fs::read_dir(dir.join(sub)).unwrap() {
                let name = e.unwrap().file_name().to_string_lossy().into_owned();
                let Some(stem) = name.strip_suffix(".json.gz").or(name.strip_suffix(".json"))
                else {
                    continue;
                };
                let bytes = fixture(&format!("{sub}/{name}"));
                let package = stem.replace("__", "/");
                if let Err(e) = parse_packument(&bytes, &package) {
                    panic!("{sub}/{name}: {e}");
                }
                n += 1;
            }
        }
        assert!(n > 30, "{n}");
    }
    #[test]
    fn a_release_s_sha512_comes_from_its_integrity_only() {
        let sigstore = parse_packument(&fixture("npm/sigstore.json"), "sigstore").unwrap();
        let d = sigstore.release("0.4.0").unwrap().sha512.clone().unwrap();
        assert_eq!(hex::encode(&d[..8]), "282c0c5fa936d264");
        // The mirror strips the attestations pointer; the registry writes it.
        assert!(!sigstore.release("0.4.0").unwrap().attestations_listed);
        let mut v: Value = serde_json::from_slice(&fixture("npm/sigstore.json")).unwrap();
        v["versions"]["0.4.0"]["dist"]["attestations"] =
            serde_json::json!({"url": "https://r.example/-/npm/v1/attestations/sigstore@0.4.0"});
        let listed = parse_packument(&serde_json::to_vec(&v).unwrap(), "sigstore").unwrap();
        assert!(listed.release("0.4.0").unwrap().attestations_listed);
        assert!(!listed.release("1.0.0").unwrap().attestations_listed);
        // SRI with options and a second algorithm; anything else is none.
        let b64 = base64::engine::general_purpose::STANDARD.encode([7u8; 64]);
        assert_eq!(
            sha512_of_integrity(&format!("sha1-abc sha512-{b64}?x")),
            Some(vec![7u8; 64])
        );
        for bad in ["sha1-abc", "sha512-", "sha512-!!", "sha512-AAAA", ""] {
            assert_eq!(sha512_of_integrity(bad), None, "{bad}");
        }
    }

    #[test]
    fn attestation_answers_keep_the_one_slsa_provenance_or_are_malformed() {
        let path = Attestations::path(&("@scope/pkg".into(), "1.0.0+build".into()));
        assert_eq!(path, "/-/npm/v1/attestations/@scope%2Fpkg@1.0.0+build");
        let recorded = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/provenance/npm/sigstore@0.4.0.json"),
        )
        .unwrap();
        let a = read_attestations(&recorded).unwrap();
        assert_eq!(a.bundles.len(), 1);
        let p = &a.bundles[0];
        assert_eq!(
            p.predicate_type.as_deref(),
            Some("https://slsa.dev/provenance/v0.2")
        );
        assert!(p.bundle.starts_with(b"{"));
        let publish_only = br#"{"attestations": [{"predicateType": "https://github.com/npm/attestation/tree/main/specs/publish/v0.1", "bundle": {}}]}"#;
        assert!(read_attestations(publish_only).unwrap().bundles.is_empty());
        for (bad, says) in [
            (&b"[]"[..], "no `attestations`"),
            (br#"{"attestations": 1}"#, "not a list"),
            (
                br#"{"attestations": [{"bundle": {}}]}"#,
                "without a `predicateType`",
            ),
            (
                br#"{"attestations": [{"predicateType": "https://slsa.dev/provenance/v1"}]}"#,
                "no `bundle`",
            ),
            (br#"{"attestations": [], "attestations": []}"#, "twice"),
        ] {
            let why = read_attestations(bad).unwrap_err().0;
            assert!(why.contains(says), "{why}");
        }
    }
}
