//! PyPI JSON API: `GET /pypi/{name}/json`.
//!
//! Only the newest release (`info`) carries license, dependencies and links;
//! other releases have just their files (upload times, yanked flags).

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::model::{Dependency, DependencyKind, Flag, Funding, RegistryPackage, Release};
use super::osv_record::normalize_name;
use super::{model::Ecosystem, npm, repo_url};

pub fn project_path(name: &str) -> String {
    let safe: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    format!("/pypi/{safe}/json")
}

pub fn parse_project(bytes: &[u8]) -> Result<RegistryPackage, String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("PyPI project: {e}"))?;
    let info = v
        .get("info")
        .and_then(Value::as_object)
        .ok_or("PyPI project: no info object")?;
    let current = info
        .get("version")
        .and_then(Value::as_str)
        .map(str::to_string);
    let str_of = |k: &str| {
        info.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let classifiers: Vec<String> = info
        .get("classifiers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.as_str().map(str::to_string))
        .collect();
    let mut links: Vec<(String, String)> = info
        .get("project_urls")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(k, u)| u.as_str().map(|u| (k.clone(), u.to_string())))
        .collect();
    if let Some(h) = str_of("home_page") {
        links.push(("Homepage".into(), h.to_string()));
    }
    let repository = links
        .iter()
        .find(|(k, _)| {
            let k = k.to_ascii_lowercase();
            ["source", "source code", "repository", "code", "github"].contains(&k.as_str())
        })
        .or_else(|| {
            links
                .iter()
                .find(|(_, u)| u.contains("github.com/") || u.contains("gitlab.com/"))
        })
        .map(|(_, u)| u.clone())
        .filter(|u| repo_url::normalize(u).is_some());
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
    let license = str_of("license_expression")
        .map(str::to_string)
        .or_else(|| {
            str_of("license")
                .filter(|l| l.len() <= 100 && !l.contains('\n'))
                .map(str::to_string)
        })
        .or_else(|| {
            let ls: Vec<&String> = classifiers
                .iter()
                .filter(|c| c.starts_with("License :: "))
                .collect();
            (ls.len() == 1).then(|| ls[0].clone())
        });
    let dependencies: Vec<Dependency> = info
        .get("requires_dist")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_str().and_then(requirement))
        .collect();
    let mut releases = Vec::new();
    for (ver, files) in v
        .get("releases")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let files = files.as_array().map(Vec::as_slice).unwrap_or_default();
        let yanked = if files.is_empty() {
            Flag::Unknown
        } else if files
            .iter()
            .all(|f| f.get("yanked") == Some(&Value::Bool(true)))
        {
            let reason = files[0]
                .get("yanked_reason")
                .and_then(Value::as_str)
                .unwrap_or("yanked");
            Flag::Yes(if reason.is_empty() {
                "yanked".into()
            } else {
                reason.to_string()
            })
        } else {
            Flag::No
        };
        let published = files
            .iter()
            .filter_map(|f| f.get("upload_time_iso_8601").and_then(Value::as_str))
            .filter_map(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
            .min();
        let is_current = current.as_deref() == Some(ver.as_str());
        releases.push(Release {
            version: ver.clone(),
            published,
            yanked,
            // PyPI has no deprecation of releases (yanking is its withdrawal).
            deprecated: Flag::No,
            license: if is_current { license.clone() } else { None },
            repository: if is_current { repository.clone() } else { None },
            dependencies: if is_current {
                Some(dependencies.clone())
            } else {
                None
            },
            funding: if is_current {
                Some(funding.clone())
            } else {
                None
            },
        });
    }
    let maintainers = v
        .get("ownership")
        .and_then(|o| o.get("roles"))
        .and_then(Value::as_array)
        .filter(|r| !r.is_empty())
        .map(|r| {
            r.iter()
                .filter_map(|x| x.get("user").and_then(Value::as_str).map(str::to_string))
                .collect()
        });
    Ok(RegistryPackage {
        name: str_of("name").unwrap_or_default().to_string(),
        removed: false,
        latest_tag: current,
        maintainers,
        repository,
        links,
        funding: Some(funding),
        classifiers,
        modified: None,
        times_trustworthy: true,
        releases,
    })
}

/// A `requires_dist` entry: `name[extra] (>=1) ; marker`.
fn requirement(s: &str) -> Option<Dependency> {
    let (spec, marker) = s.split_once(';').unwrap_or((s, ""));
    let spec = spec.trim();
    let end = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(spec.len());
    let name = &spec[..end];
    if name.is_empty() {
        return None;
    }
    let rest = spec[end..].trim();
    let rest = if rest.starts_with('[') {
        rest.split_once(']').map(|(_, r)| r).unwrap_or("")
    } else {
        rest
    };
    Some(Dependency {
        name: normalize_name(Ecosystem::PyPi, name),
        requirement: rest
            .trim()
            .trim_start_matches('(')
            .trim_end_matches(')')
            .trim()
            .to_string(),
        kind: if marker.contains("extra") {
            DependencyKind::Optional
        } else {
            DependencyKind::Normal
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let u = parse_project(&fixture("urllib3")).unwrap();
        assert_eq!(u.latest_tag.as_deref(), Some("2.8.0"));
        assert_eq!(u.maintainers.as_ref().unwrap().len(), 3);
        let latest = u.releases.iter().find(|r| r.version == "2.8.0").unwrap();
        assert_eq!(latest.license.as_deref(), Some("MIT"));
        assert!(latest.published.is_some());
        assert!(u.releases.iter().any(|r| r.version == "1.26.4"));
        let d = parse_project(&fixture("Django")).unwrap();
        assert_eq!(d.maintainers, None, "organization-owned, no roles listed");
        assert!(
            d.funding
                .as_ref()
                .unwrap()
                .iter()
                .any(|f| f.url.contains("djangoproject"))
        );
        let r = parse_project(&fixture("requests")).unwrap();
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
        assert!(parse_project(b"{}").is_err());
    }

    #[test]
    fn reads_requirements() {
        let d = requirement("charset_normalizer<4,>=2 ; extra == \"x\"").unwrap();
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
}
