//! crates.io: the sparse index (`config.json`, one file per crate of
//! newline-delimited JSON) and the web API (`/api/v1/crates/{name}`,
//! `/owners`). The index is authoritative for versions, yanks and
//! dependencies; the API adds repository, licenses, times and owners.

use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::model::{Dependency, DependencyKind, Flag, RegistryPackage, Release};

/// The index path: `1/a`, `2/ab`, `3/a/abc`, `ab/cd/abcd...`, lowercased.
pub fn index_path(name: &str) -> String {
    let n: String = name
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect();
    match n.len() {
        0 => "-/invalid".into(),
        1 => format!("1/{n}"),
        2 => format!("2/{n}"),
        3 => format!("3/{}/{n}", &n[..1]),
        _ => format!("{}/{}/{n}", &n[..2], &n[2..4]),
    }
}

#[derive(Deserialize)]
struct IndexLine {
    name: String,
    vers: String,
    #[serde(default)]
    deps: Vec<IndexDep>,
    #[serde(default)]
    yanked: bool,
}

#[derive(Deserialize)]
struct IndexDep {
    name: String,
    #[serde(default)]
    req: String,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    kind: Option<String>,
    /// The real crate name when the dependency is renamed.
    #[serde(default)]
    package: Option<String>,
}

pub fn parse_index(bytes: &[u8]) -> Result<RegistryPackage, String> {
    let text =
        std::str::from_utf8(bytes).map_err(|_| "crates index file: not UTF-8".to_string())?;
    let mut pkg = RegistryPackage {
        // Times, licenses and repository come only from the web API.
        times_trustworthy: false,
        ..RegistryPackage::default()
    };
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let l: IndexLine =
            serde_json::from_str(line).map_err(|e| format!("crates index line {}: {e}", i + 1))?;
        pkg.name = l.name;
        pkg.releases.push(Release {
            version: l.vers,
            published: None,
            yanked: if l.yanked {
                Flag::Yes("yanked".into())
            } else {
                Flag::No
            },
            // crates.io has no deprecation flag; yanking is its withdrawal.
            deprecated: Flag::No,
            license: None,
            repository: None,
            dependencies: Some(
                l.deps
                    .into_iter()
                    .map(|d| Dependency {
                        name: d.package.unwrap_or(d.name),
                        requirement: d.req,
                        kind: match (d.kind.as_deref(), d.optional) {
                            (Some("dev"), _) => DependencyKind::Dev,
                            (Some("build"), _) => DependencyKind::Build,
                            (_, true) => DependencyKind::Optional,
                            _ => DependencyKind::Normal,
                        },
                    })
                    .collect(),
            ),
            funding: None,
        });
    }
    if pkg.releases.is_empty() {
        return Err("crates index file: no versions".into());
    }
    Ok(pkg)
}

/// `config.json` of a sparse index: (download URL template, API base).
pub fn parse_index_config(bytes: &[u8]) -> Result<(Option<String>, Option<String>), String> {
    let v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("crates index config: {e}"))?;
    Ok((
        v.get("dl").and_then(|x| x.as_str()).map(str::to_string),
        v.get("api").and_then(|x| x.as_str()).map(str::to_string),
    ))
}

pub fn api_crate_path(name: &str) -> String {
    format!(
        "api/v1/crates/{}",
        index_path(name).rsplit('/').next().unwrap_or_default()
    )
}

pub fn api_owners_path(name: &str) -> String {
    format!("{}/owners", api_crate_path(name))
}

#[derive(Debug, Clone, Deserialize)]
pub struct CratesApiCrate {
    #[serde(rename = "crate")]
    pub krate: ApiCrate,
    #[serde(default)]
    pub versions: Vec<ApiVersion>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ApiCrate {
    #[serde(default)]
    pub repository: Option<String>,
    #[serde(default)]
    pub homepage: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ApiVersion {
    pub num: String,
    #[serde(default)]
    pub license: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub yanked: bool,
}

pub fn parse_api_crate(bytes: &[u8]) -> Result<CratesApiCrate, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("crates.io API crate: {e}"))
}

impl CratesApiCrate {
    /// Fill in what the index lacks. Publish times are trusted only when the
    /// answer knows every version the index lists (a stale answer would make
    /// an active crate look inactive).
    pub fn merge_into(&self, pkg: &mut RegistryPackage) {
        pkg.repository = self.krate.repository.clone().or(pkg.repository.take());
        if let Some(h) = &self.krate.homepage {
            pkg.links.push(("homepage".into(), h.clone()));
        }
        let complete = pkg
            .releases
            .iter()
            .all(|r| self.versions.iter().any(|v| v.num == r.version));
        for r in &mut pkg.releases {
            if let Some(v) = self.versions.iter().find(|v| v.num == r.version) {
                r.license = v.license.clone().or(r.license.take());
                r.repository = self.krate.repository.clone();
                if complete {
                    r.published = v
                        .created_at
                        .as_deref()
                        .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok());
                }
            }
        }
        pkg.times_trustworthy = complete;
        if complete {
            pkg.modified = self
                .krate
                .updated_at
                .as_deref()
                .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok());
        }
    }
}

/// `/owners`: user logins and team names.
pub fn parse_owners(bytes: &[u8]) -> Result<Vec<String>, String> {
    let v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("crates.io owners: {e}"))?;
    let users = v
        .get("users")
        .and_then(|u| u.as_array())
        .ok_or("crates.io owners: no users list")?;
    Ok(users
        .iter()
        .filter_map(|u| u.get("login").and_then(|l| l.as_str()).map(str::to_string))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(rel: &str) -> Vec<u8> {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/registry")
            .join(rel);
        if p.exists() {
            return std::fs::read(p).unwrap();
        }
        std::process::Command::new("gzip")
            .arg("-dc")
            .arg(format!("{}.gz", p.display()))
            .output()
            .unwrap()
            .stdout
    }

    #[test]
    fn index_paths() {
        assert_eq!(index_path("a"), "1/a");
        assert_eq!(index_path("h2"), "2/h2");
        assert_eq!(index_path("log"), "3/l/log");
        assert_eq!(index_path("Serde_json"), "se/rd/serde_json");
        assert_eq!(index_path("../x"), "1/x");
    }

    #[test]
    fn parses_index_files_and_merges_the_api() {
        let mut chrono =
            parse_index(&fixture(&format!("crates/index/{}", index_path("chrono")))).unwrap();
        assert!(chrono.releases.iter().any(|r| r.version == "0.4.19"));
        assert!(chrono.releases.iter().any(|r| r.yanked.is_yes()));
        let deps = chrono
            .releases
            .last()
            .unwrap()
            .dependencies
            .clone()
            .unwrap();
        assert!(deps.iter().any(|d| d.kind == DependencyKind::Dev));
        assert!(!chrono.times_trustworthy);
        // The recorded API answer for `time` is old: it does not make the
        // current crate look inactive.
        let mut time =
            parse_index(&fixture(&format!("crates/index/{}", index_path("time")))).unwrap();
        let api = parse_api_crate(&fixture("crates-api-examples/time.json")).unwrap();
        api.merge_into(&mut time);
        assert_eq!(
            time.repository.as_deref(),
            Some("https://github.com/rust-lang/time")
        );
        assert!(!time.times_trustworthy);
        let old = time
            .releases
            .iter()
            .find(|r| r.version == "0.1.40")
            .unwrap();
        assert_eq!(old.license.as_deref(), Some("MIT/Apache-2.0"));
        chrono.name.clear();
        assert!(parse_index(b"").is_err());
        assert_eq!(
            parse_owners(br#"{"users":[{"login":"a"},{"login":"b"}]}"#).unwrap(),
            vec!["a", "b"]
        );
    }
}
