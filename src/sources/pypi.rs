//! PyPI JSON API: `GET /pypi/{name}/json`.
//!
//! Only the newest release (`info`) carries license, dependencies and links;
//! other releases have just their files (upload times, yanked flags).

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::adapter::{Adapter, Malformed, Question};
use super::http::Service;
use super::json::{self, kind, quoted};
use super::model::{
    Account, Dependency, DependencyKind, Flag, Funding, Maintainers, ProvenanceBundle,
    RegistryPackage, Release, ReleaseAttestations, ReleaseFile,
};
use super::osv_record::normalize_name;
use super::{npm, repo_url};
use crate::purl::Ecosystem;

/// PyPI's JSON API, asked one project (or release) at a time.
pub const ADAPTER: Adapter = Adapter::online(Service::PyPi);

/// A project: its releases, and the newest release's metadata.
pub struct Project;

impl Question for Project {
    const ADAPTER: &'static Adapter = &ADAPTER;
    type Key = String;
    type Value = RegistryPackage;

    fn path(name: &String) -> String {
        project_path(name)
    }

    fn parse(body: &[u8], name: &String) -> Result<RegistryPackage, Malformed> {
        parse_project(body, name)
    }
}

/// One release's dependencies, by (project, version).
pub struct ReleaseDependencies;

impl Question for ReleaseDependencies {
    const ADAPTER: &'static Adapter = &ADAPTER;
    type Key = (String, String);
    type Value = Option<Vec<Dependency>>;

    fn path((name, version): &(String, String)) -> String {
        release_path(name, version)
    }

    fn parse(body: &[u8], (name, version): &(String, String)) -> Result<Self::Value, Malformed> {
        parse_release(body, name, version)
    }
}

/// A release file's attestations (PEP 740), by (project, version,
/// filename): `GET /integrity/{project}/{version}/{filename}/provenance`,
/// on the configured index. A 404 is "none kept".
pub struct Provenance;

/// The largest provenance answer read: a few attestations of a few
/// kilobytes each.
pub const MAX_PROVENANCE: usize = 512 * 1024;
/// The most attestations read from one answer.
const MAX_ATTESTATIONS: usize = 16;

impl Question for Provenance {
    const ADAPTER: &'static Adapter = &ADAPTER;
    type Key = (String, String, String);
    type Value = ReleaseAttestations;

    fn path((name, version, file): &(String, String, String)) -> String {
        let seg = |s: &str| crate::percent::encode(s, |c| !crate::percent::is_unreserved(c));
        format!(
            "/integrity/{}/{}/{}/provenance",
            seg(&normalize_name(Ecosystem::PyPi, name)),
            seg(version),
            seg(file)
        )
    }

    fn parse(
        body: &[u8],
        _key: &(String, String, String),
    ) -> Result<ReleaseAttestations, Malformed> {
        read_provenance(body).map_err(|why| ADAPTER.malformed(why.0))
    }
}

/// Read a PEP 740 provenance object: `{"version": 1,
/// "attestation_bundles": [{"publisher", "attestations": [...]}]}`, each
/// attestation (`version` 1: `verification_material` {`certificate`,
/// `transparency_entries`}, `envelope` {`statement`, `signature`}) put
/// into the Sigstore bundle (v0.3) it is a form of. Nothing is verified
/// here.
/// Why PyPI's provenance answer is not one (the reason evidence quotes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ProvenanceAnswerError(pub String);

/// PyPI's provenance answer, checked at the boundary.
pub fn read_provenance(body: &[u8]) -> Result<ReleaseAttestations, ProvenanceAnswerError> {
    read_provenance_text(body).map_err(ProvenanceAnswerError)
}

fn read_provenance_text(body: &[u8]) -> Result<ReleaseAttestations, String> {
    if body.len() > MAX_PROVENANCE {
        return Err(format!(
            "the provenance answer is {} bytes, over the {MAX_PROVENANCE}-byte limit",
            body.len()
        ));
    }
    let v: Value = json::parse(body).map_err(|e| e.to_string())?;
    if v.get("version") != Some(&Value::from(1)) {
        return Err("not a version 1 provenance object".into());
    }
    let groups = v
        .get("attestation_bundles")
        .and_then(Value::as_array)
        .ok_or("no `attestation_bundles` list")?;
    let mut bundles = Vec::new();
    for g in groups {
        let list = g
            .get("attestations")
            .and_then(Value::as_array)
            .ok_or("an attestation bundle without an `attestations` list")?;
        for a in list {
            if bundles.len() == MAX_ATTESTATIONS {
                return Err(format!("more than {MAX_ATTESTATIONS} attestations"));
            }
            bundles.push(as_sigstore_bundle(a)?);
        }
    }
    Ok(ReleaseAttestations { bundles })
}

fn as_sigstore_bundle(a: &Value) -> Result<ProvenanceBundle, String> {
    if a.get("version") != Some(&Value::from(1)) {
        return Err("an attestation that is not version 1".into());
    }
    let text = |v: Option<&Value>, what: &str| {
        v.and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| format!("an attestation without its {what}"))
    };
    let vm = a.get("verification_material");
    let certificate = text(vm.and_then(|m| m.get("certificate")), "certificate")?;
    let entries = vm
        .and_then(|m| m.get("transparency_entries"))
        .filter(|e| e.is_array())
        .ok_or("an attestation without its transparency entries")?;
    let env = a.get("envelope");
    let statement = text(env.and_then(|e| e.get("statement")), "statement")?;
    let signature = text(env.and_then(|e| e.get("signature")), "signature")?;
    let bundle = serde_json::json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "certificate": {"rawBytes": certificate},
            "tlogEntries": entries,
        },
        "dsseEnvelope": {
            "payload": statement,
            "payloadType": "application/vnd.in-toto+json",
            "signatures": [{"sig": signature}],
        },
    });
    Ok(ProvenanceBundle {
        predicate_type: None,
        bundle: serde_json::to_vec(&bundle).map_err(|e| e.to_string())?,
    })
}

/// A file's name and SHA-256 as the JSON API lists them.
fn release_file(f: &serde_json::Map<String, Value>) -> Option<ReleaseFile> {
    let filename = f.get("filename")?.as_str()?;
    let hex_digest = f.get("digests")?.get("sha256")?.as_str()?;
    let sha256 = hex::decode(hex_digest).ok().filter(|d| d.len() == 32)?;
    // A name that could walk a path is no file of a release.
    if filename.is_empty() || filename.contains(['/', '\\']) || filename.starts_with('.') {
        return None;
    }
    Some(ReleaseFile {
        filename: filename.to_string(),
        sha256,
    })
}

pub fn project_path(name: &str) -> String {
    let safe: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    format!("/pypi/{safe}/json")
}

/// `/pypi/{name}/{version}/json`: one release's metadata.
pub fn release_path(name: &str, version: &str) -> String {
    let safe = |x: &str| -> String {
        x.chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+' | '!'))
            .collect()
    };
    format!("/pypi/{}/{}/json", safe(name), safe(version))
}

type Obj = serde_json::Map<String, Value>;

fn field<'a>(o: &'a Obj, key: &str) -> Option<&'a Value> {
    o.get(key).filter(|v| !v.is_null())
}

fn opt_str<'a>(o: &'a Obj, key: &str) -> Result<Option<&'a str>, String> {
    match field(o, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(other) => Err(format!("`info.{key}` is {}, not a string", kind(other))),
    }
}

/// The `info` object, checked to be about `requested`.
fn info<'a>(v: &'a Value, requested: &str) -> Result<&'a Obj, String> {
    let info = match v.get("info") {
        Some(Value::Object(i)) => i,
        Some(other) => return Err(format!("`info` is {}, not an object", kind(other))),
        None => return Err("no `info` object".into()),
    };
    let name = opt_str(info, "name")?.ok_or("no `info.name`")?;
    if normalize_name(Ecosystem::PyPi, name) != normalize_name(Ecosystem::PyPi, requested) {
        return Err(format!(
            "the answer is about {}, not {}",
            quoted(name),
            quoted(requested)
        ));
    }
    Ok(info)
}

/// What a release's metadata says it depends on. PyPI writes
/// `requires_dist: null` for a release that declares none (the recorded
/// answers of certifi and luigi do), never an empty list: `[]` is not
/// PyPI's answer, and would read as "depends on nothing". `null` is "none"
/// only when the metadata is new enough to say so (core metadata 2.2 lists
/// its dynamic fields, and Requires-Dist is not among them); otherwise the
/// dependencies may live in a setup.py the index never saw, and they are
/// unknown.
fn requires_dist(info: &Obj) -> Result<Option<Vec<Dependency>>, String> {
    match field(info, "requires_dist") {
        Some(Value::Array(items)) if items.is_empty() => {
            Err("`requires_dist` is an empty list (PyPI writes null for none)".into())
        }
        Some(Value::Array(items)) => {
            let mut out = Vec::new();
            for r in items {
                let r = r
                    .as_str()
                    .ok_or_else(|| format!("a `requires_dist` entry is {}", kind(r)))?;
                out.push(
                    requirement(r)
                        .ok_or_else(|| format!("unreadable requirement {}", quoted(r)))?,
                );
            }
            Ok(Some(out))
        }
        Some(other) => Err(format!("`requires_dist` is {}, not a list", kind(other))),
        None => {
            let dynamic = match field(info, "dynamic") {
                Some(Value::Array(d)) => Some(d),
                Some(other) => {
                    return Err(format!("`dynamic` is {}, not a list", kind(other)));
                }
                None => None,
            };
            let declared_static = dynamic.is_some_and(|d| {
                !d.iter().any(|x| {
                    x.as_str()
                        .is_some_and(|x| x.eq_ignore_ascii_case("requires-dist"))
                })
            });
            Ok(declared_static.then(Vec::new))
        }
    }
}

/// Read a project answer for `requested`, checking its shape at the boundary.
pub fn parse_project(bytes: &[u8], requested: &str) -> Result<RegistryPackage, Malformed> {
    read_project(bytes, requested).map_err(|why| ADAPTER.malformed(why))
}

fn read_project(bytes: &[u8], requested: &str) -> Result<RegistryPackage, String> {
    let v: Value = json::parse(bytes).map_err(|e| e.to_string())?;
    let info = info(&v, requested)?;
    let current = opt_str(info, "version")?
        .ok_or("no `info.version`")?
        .to_string();
    let str_of = |k: &str| -> Result<Option<&str>, String> {
        Ok(opt_str(info, k)?.map(str::trim).filter(|s| !s.is_empty()))
    };
    // A license can be read from the classifiers, and a repository from the
    // links: an entry left out would change what they say.
    let classifiers: Vec<String> = match field(info, "classifiers") {
        None => vec![],
        Some(Value::Array(c)) => c
            .iter()
            .map(|c| {
                c.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("a classifier is {}", kind(c)))
            })
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(format!("`classifiers` is {}", kind(other))),
    };
    let mut links: Vec<(String, String)> = match field(info, "project_urls") {
        None => vec![],
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, u)| {
                u.as_str()
                    .map(|u| (k.clone(), u.to_string()))
                    .ok_or_else(|| format!("the project URL {} is {}", quoted(k), kind(u)))
            })
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(format!("`project_urls` is {}", kind(other))),
    };
    if let Some(h) = str_of("home_page")? {
        links.push(("Homepage".into(), h.to_string()));
    }
    // Only a link labelled as the source is the repository; a homepage that
    // happens to point at a code host may be anyone's.
    let repository = links
        .iter()
        .filter(|(k, _)| repo_url::is_source_label(k))
        .find_map(|(_, u)| repo_url::repository(u).map(|_| u.clone()));
    let funding: Vec<Funding> = links
        .iter()
        .filter(|(k, _)| {
            let k = k.to_ascii_lowercase();
            [
                "funding",
                "donate",
                "donation",
                "sponsor",
                "sponsors",
                "tidelift",
                "open collective",
                "github sponsors",
            ]
            .iter()
            .any(|w| k == *w || k.starts_with(w))
        })
        .map(|(_, u)| npm::funding_entry(None, u))
        .collect();
    let license = str_of("license_expression")?
        .map(str::to_string)
        .or(str_of("license")?
            .filter(|l| l.len() <= 100 && !l.contains('\n'))
            .map(str::to_string))
        .or_else(|| {
            let ls: Vec<&String> = classifiers
                .iter()
                .filter(|c| c.starts_with("License :: "))
                .collect();
            (ls.len() == 1).then(|| ls[0].clone())
        });
    let dependencies = requires_dist(info)?;
    let files_of = match v.get("releases") {
        Some(Value::Object(m)) => m,
        Some(other) => return Err(format!("`releases` is {}, not an object", kind(other))),
        None => return Err("no `releases`".into()),
    };
    let mut releases = Vec::new();
    for (ver, files) in files_of {
        let files = files.as_array().ok_or_else(|| {
            format!(
                "the files of {} are {}, not a list",
                quoted(ver),
                kind(files)
            )
        })?;
        let mut yanked_all = !files.is_empty();
        let mut reason = None;
        let mut published: Option<OffsetDateTime> = None;
        let mut attested: Option<ReleaseFile> = None;
        for f in files {
            let f = f
                .as_object()
                .ok_or_else(|| format!("a file of {} is not an object", quoted(ver)))?;
            // The file whose attestations are read: the source
            // distribution, else the first listed; a file without a
            // readable name and SHA-256 is none.
            let sdist = f.get("packagetype").and_then(Value::as_str) == Some("sdist");
            if (attested.is_none() || sdist)
                && let Some(file) = release_file(f)
            {
                attested = Some(file);
            }
            match f.get("yanked") {
                Some(Value::Bool(true)) => {
                    if reason.is_none() {
                        reason = f
                            .get("yanked_reason")
                            .and_then(Value::as_str)
                            .map(str::to_string);
                    }
                }
                Some(Value::Bool(false)) | None => yanked_all = false,
                Some(other) => {
                    return Err(format!(
                        "`yanked` of a file of {} is {}",
                        quoted(ver),
                        kind(other)
                    ));
                }
            }
            // PyPI writes every file's upload time in RFC 3339; answers in
            // its older form have none (the release's time is then unknown).
            match f.get("upload_time_iso_8601") {
                None => {}
                Some(Value::String(s)) => {
                    let t = OffsetDateTime::parse(s, &Rfc3339).map_err(|_| {
                        format!(
                            "a file of {} was uploaded at {}, not an RFC 3339 time",
                            quoted(ver),
                            quoted(s)
                        )
                    })?;
                    published = Some(published.map_or(t, |p| p.min(t)));
                }
                Some(other) => {
                    return Err(format!(
                        "the upload time of a file of {} is {}",
                        quoted(ver),
                        kind(other)
                    ));
                }
            }
        }
        let yanked = if files.is_empty() {
            // Nothing to install: pip never picks a version without files.
            Flag::Yes("no files to install".into())
        } else if yanked_all {
            Flag::Yes(
                reason
                    .filter(|r| !r.is_empty())
                    .unwrap_or_else(|| "yanked".into()),
            )
        } else {
            Flag::No
        };
        let is_current = current == *ver;
        releases.push(Release {
            version: ver.clone(),
            published,
            yanked,
            // PyPI has no deprecation of releases (yanking is its withdrawal).
            deprecated: Flag::No,
            license: if is_current { license.clone() } else { None },
            repository: if is_current { repository.clone() } else { None },
            dependencies: if is_current {
                dependencies.clone()
            } else {
                None
            },
            features: None,
            funding: if is_current {
                Some(funding.clone())
            } else {
                None
            },
            sha512: None,
            attestations_listed: false,
            file: attested,
        });
    }
    let maintainers = match v.get("ownership") {
        None | Some(Value::Null) => None,
        Some(Value::Object(o)) => {
            let organisation = match o.get("organization") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(other) => {
                    return Err(format!("`ownership.organization` is {}", kind(other)));
                }
            };
            let roles = match o.get("roles") {
                Some(Value::Array(r)) => r,
                _ => return Err("`ownership.roles` is not a list".into()),
            };
            let mut accounts: Vec<Account> = Vec::new();
            let mut names = std::collections::HashSet::new();
            for r in roles {
                let user = match r.get("user") {
                    Some(Value::String(u)) if is_pypi_user_name(u) => u,
                    Some(Value::String(u)) => {
                        return Err(format!(
                            "an owner named {}, which is not a PyPI user name",
                            quoted(u)
                        ));
                    }
                    _ => return Err("an `ownership.roles` entry without a user".into()),
                };
                // PyPI gives a user one role in a project, and compares
                // user names without case.
                if !names.insert(user.to_ascii_lowercase()) {
                    return Err(format!("the owner {} is listed twice", quoted(user)));
                }
                accounts.push(Account::named(user.clone()));
            }
            // An organisation with no listed roles says nothing about who
            // publishes beyond "its members".
            (!accounts.is_empty() || organisation.is_some()).then_some(Maintainers {
                accounts,
                organisation,
            })
        }
        Some(other) => return Err(format!("`ownership` is {}", kind(other))),
    };
    Ok(RegistryPackage {
        name: opt_str(info, "name")?.unwrap_or_default().to_string(),
        removed: releases.is_empty(),
        latest_tag: Some(current),
        maintainers,
        repository,
        links,
        funding: Some(funding),
        classifiers,
        modified: None,
        // Upload times are PyPI's own; a file without one leaves its
        // release's time unknown (`published: None`).
        times_trustworthy: true,
        // One answer holds all the listing has.
        details_missing: None,
        releases,
    })
}

/// Whether PyPI could have given a user this name: letters, digits, `.`,
/// `_` and `-`, beginning and ending with a letter or digit, at most 50.
fn is_pypi_user_name(u: &str) -> bool {
    let b = u.as_bytes();
    !b.is_empty()
        && b.len() <= 50
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"._-".contains(c))
}

/// A release answer (`/pypi/{name}/{version}/json`): its dependencies, for
/// resolving a version other than the newest.
pub fn parse_release(
    bytes: &[u8],
    requested: &str,
    version: &str,
) -> Result<Option<Vec<Dependency>>, Malformed> {
    read_release(bytes, requested, version).map_err(|why| ADAPTER.malformed(why))
}

fn read_release(
    bytes: &[u8],
    requested: &str,
    version: &str,
) -> Result<Option<Vec<Dependency>>, String> {
    let v: Value = json::parse(bytes).map_err(|e| e.to_string())?;
    let info = info(&v, requested)?;
    match opt_str(info, "version")? {
        Some(x) if x == version => {}
        other => {
            return Err(format!(
                "the answer is about version {}, not {}",
                other.map_or("none".to_string(), quoted),
                quoted(version)
            ));
        }
    }
    requires_dist(info)
}

/// A `requires_dist` entry (PEP 508): `name[extra] (>=1) ; marker`. The
/// whole string is kept for the resolver; a requirement behind an extra is
/// optional (a default install does not ask for extras).
fn requirement(s: &str) -> Option<Dependency> {
    let (spec, marker) = match s.split_once(';') {
        Some((a, b)) => (a, Some(b.trim().to_string())),
        None => (s, None),
    };
    let spec = spec.trim();
    let end = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(spec.len());
    let name = &spec[..end];
    if name.is_empty() {
        return None;
    }
    let rest = spec[end..].trim();
    let (features, rest) = match rest.strip_prefix('[') {
        Some(r) => {
            let (extras, after) = r.split_once(']')?;
            (
                extras
                    .split(',')
                    .map(|e| normalize_name(Ecosystem::PyPi, e.trim()))
                    .filter(|e| !e.is_empty())
                    .collect(),
                after.trim(),
            )
        }
        None => (Vec::new(), rest),
    };
    let behind_extra = marker.as_deref().is_some_and(|m| m.contains("extra"));
    Some(Dependency {
        name: normalize_name(Ecosystem::PyPi, name),
        requirement: rest
            .trim_start_matches('(')
            .trim_end_matches(')')
            .trim()
            .to_string(),
        kind: if behind_extra {
            DependencyKind::Optional
        } else {
            DependencyKind::Normal
        },
        condition: marker,
        features,
        default_features: true,
        alias: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A change to an answer, for a table of odd shapes.
    type Change = Box<dyn FnOnce(&mut Value)>;

    fn fixture(name: &str) -> Vec<u8> {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/registry/pypi");
        let plain = dir.join(format!("{name}.json"));
        if plain.exists() {
            return std::fs::read(plain).unwrap();
        }
        std::process::Command::new("gzip")
            .arg("-dc")
            .arg(dir.join(format!("{name}.json.gz")))
            .output()
            .unwrap()
            .stdout
    }

    #[test]
    fn parses_real_projects() {
        let u = parse_project(&fixture("urllib3"), "urllib3").unwrap();
        assert_eq!(u.latest_tag.as_deref(), Some("2.8.0"));
        assert_eq!(u.maintainers.as_ref().unwrap().people().len(), 3);
        let latest = u.releases.iter().find(|r| r.version == "2.8.0").unwrap();
        assert_eq!(latest.license.as_deref(), Some("MIT"));
        assert!(latest.published.is_some());
        assert!(u.releases.iter().any(|r| r.version == "1.26.4"));
        let d = parse_project(&fixture("Django"), "django").unwrap();
        let m = d.maintainers.as_ref().unwrap();
        assert!(m.people().is_empty(), "organization-owned, no roles listed");
        assert_eq!(m.organisation.as_deref(), Some("django"));
        assert!(
            d.funding
                .as_ref()
                .unwrap()
                .iter()
                .any(|f| f.url.contains("djangoproject"))
        );
        let r = parse_project(&fixture("requests"), "requests").unwrap();
        let deps = r
            .releases
            .iter()
            .find(|x| Some(&x.version) == r.latest_tag.as_ref())
            .unwrap()
            .dependencies
            .clone()
            .unwrap();
        assert!(
            deps.iter()
                .any(|d| d.name == "urllib3" && d.kind == DependencyKind::Normal),
            "{deps:?}"
        );
        assert!(deps.iter().any(|d| d.kind == DependencyKind::Optional));
        assert!(parse_project(b"{}", "x").is_err());
        assert!(parse_project(&fixture("urllib3"), "requests").is_err());
    }

    #[test]
    fn missing_dependency_metadata_is_unknown_unless_declared_static() {
        // luigi 3.6.0 installs tornado and python-daemon from setup.py; its
        // metadata has no Requires-Dist.
        let luigi = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/registry/pypi-examples/pypi_response_luigi.json"),
        )
        .unwrap();
        let p = parse_project(&luigi, "luigi").unwrap();
        let latest = p.release(p.latest_tag.as_deref().unwrap()).unwrap();
        assert_eq!(latest.dependencies, None);
        // certifi's metadata lists its dynamic fields and Requires-Dist is
        // not one: it has none.
        let c = parse_project(&fixture("certifi"), "certifi").unwrap();
        assert_eq!(
            c.release(c.latest_tag.as_deref().unwrap())
                .unwrap()
                .dependencies,
            Some(vec![])
        );
        let bad =
            r#"{"info": {"name": "x", "version": "1", "requires_dist": "a>1"}, "releases": {}}"#;
        assert!(parse_project(bad.as_bytes(), "x").is_err());
    }

    /// urllib3's recorded answer with one change.
    fn urllib3(change: impl FnOnce(&mut Value)) -> Result<RegistryPackage, Malformed> {
        let mut v: Value = serde_json::from_slice(&fixture("urllib3")).unwrap();
        change(&mut v);
        parse_project(v.to_string().as_bytes(), "urllib3")
    }

    #[test]
    fn odd_shapes_are_malformed() {
        assert!(urllib3(|_| {}).is_ok());
        let cases: Vec<(&str, Change, &str)> = vec![
            (
                "`requires_dist: []`",
                Box::new(|v| v["info"]["requires_dist"] = serde_json::json!([])),
                "empty list",
            ),
            (
                "a requirement that is a number",
                Box::new(|v| v["info"]["requires_dist"][0] = 1.into()),
                "entry is a number",
            ),
            (
                "an owner twice",
                Box::new(|v| v["ownership"]["roles"][1]["user"] = "shazow".into()),
                "listed twice",
            ),
            (
                "an owner in another case",
                Box::new(|v| v["ownership"]["roles"][1]["user"] = "SHAZOW".into()),
                "listed twice",
            ),
            (
                "an invisible character",
                Box::new(|v| v["ownership"]["roles"][1]["user"] = "shazow\u{200b}".into()),
                "not a PyPI user name",
            ),
            (
                "an empty user",
                Box::new(|v| v["ownership"]["roles"][1]["user"] = "".into()),
                "not a PyPI user name",
            ),
            (
                "a user that is a number",
                Box::new(|v| v["ownership"]["roles"][1]["user"] = 1.into()),
                "without a user",
            ),
            (
                "an upload time with a blank",
                Box::new(|v| {
                    v["releases"]["2.8.0"][0]["upload_time_iso_8601"] = "2026-09-15 19:29:36".into()
                }),
                "not an RFC 3339 time",
            ),
            (
                "an upload time that is null",
                Box::new(|v| v["releases"]["2.8.0"][0]["upload_time_iso_8601"] = Value::Null),
                "is null",
            ),
            (
                "a classifier that is a number",
                Box::new(|v| v["info"]["classifiers"][0] = 7.into()),
                "a classifier is a number",
            ),
            (
                "a project URL that is a list",
                Box::new(|v| v["info"]["project_urls"]["Code"] = serde_json::json!([])),
                "is a list",
            ),
        ];
        for (label, change, why) in cases {
            let e = urllib3(change)
                .err()
                .unwrap_or_else(|| panic!("{label}: accepted"));
            assert!(e.why.contains(why), "{label}: {e}");
        }
        // The older form of the answer has no ISO upload times at all.
        let pendulum = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/registry/pypi-examples/pypi_response_pendulum.json"),
        )
        .unwrap();
        assert!(parse_project(&pendulum, "pendulum").is_ok());
        // A key twice: which `ownership` is the answer?
        let text = String::from_utf8(fixture("urllib3")).unwrap();
        let twice = format!("{{\"ownership\": null, {}", &text[1..]);
        assert!(
            parse_project(twice.as_bytes(), "urllib3")
                .unwrap_err()
                .why
                .contains("twice")
        );
    }

    #[test]
    fn every_recorded_project_is_accepted() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/registry/pypi");
        let mut n = 0;
        for e in std::fs::read_dir(&dir).unwrap() {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            let Some(stem) = name.strip_suffix(".json.gz").or(name.strip_suffix(".json")) else {
                continue;
            };
            if let Err(e) = parse_project(&fixture(stem), stem) {
                panic!("{name}: {e}");
            }
            n += 1;
        }
        assert!(n > 20, "{n}");
    }

    #[test]
    fn reads_requirements() {
        let d = requirement("charset_normalizer<4,>=2 ; extra == \"x\"").unwrap();
        assert_eq!(d.condition.as_deref(), Some("extra == \"x\""));
        assert_eq!(
            (d.name.as_str(), d.requirement.as_str(), d.kind),
            ("charset-normalizer", "<4,>=2", DependencyKind::Optional)
        );
        let d = requirement("idna (<4,>=2.5)").unwrap();
        assert_eq!(
            (d.name.as_str(), d.requirement.as_str()),
            ("idna", "<4,>=2.5")
        );
    }
    #[test]
    fn pep_740_provenance_becomes_sigstore_bundles_or_is_malformed() {
        let path = Provenance::path(&(
            "Pypi_Attestations".into(),
            "0.0.19".into(),
            "pypi_attestations-0.0.19.tar.gz".into(),
        ));
        assert_eq!(
            path,
            "/integrity/pypi-attestations/0.0.19/pypi_attestations-0.0.19.tar.gz/provenance"
        );
        let recorded = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/provenance/pypi/pypi_attestations-0.0.19.tar.gz.provenance"),
        )
        .unwrap();
        let a = read_provenance(&recorded).unwrap();
        assert_eq!(a.bundles.len(), 1);
        let b: Value = serde_json::from_slice(&a.bundles[0].bundle).unwrap();
        assert_eq!(
            b["mediaType"],
            "application/vnd.dev.sigstore.bundle.v0.3+json"
        );
        assert!(b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"].is_object());
        let mut v: Value = serde_json::from_slice(&recorded).unwrap();
        let att = v["attestation_bundles"][0]["attestations"][0].clone();
        v["attestation_bundles"][0]["attestations"] = Value::Array(vec![att; 17]);
        let too_many = serde_json::to_vec(&v).unwrap();
        for (bad, says) in [
            (&b"{}"[..], "not a version 1"),
            (br#"{"version": 1}"#, "no `attestation_bundles`"),
            (
                br#"{"version": 1, "attestation_bundles": [{}]}"#,
                "without an `attestations`",
            ),
            (
                br#"{"version": 1, "attestation_bundles": [{"attestations": [{"version": 1}]}]}"#,
                "without its certificate",
            ),
            (&too_many[..], "more than 16"),
        ] {
            let why = read_provenance(bad).unwrap_err().0;
            assert!(why.contains(says), "{why}");
        }
    }

    #[test]
    fn the_attested_file_is_the_sdist_else_the_first_with_a_digest() {
        let project = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/registry/pypi/sigstore.json"),
        )
        .unwrap();
        let p = parse_project(&project, "sigstore").unwrap();
        let f = p.release("3.6.1").unwrap().file.clone().unwrap();
        assert_eq!(f.filename, "sigstore-3.6.1.tar.gz");
        assert_eq!(hex::encode(&f.sha256[..4]), "ee60fdc9");
        let mut f = serde_json::Map::new();
        f.insert("filename".into(), "../x.tar.gz".into());
        f.insert(
            "digests".into(),
            serde_json::json!({"sha256": "00".repeat(32)}),
        );
        assert_eq!(release_file(&f), None);
    }
}
