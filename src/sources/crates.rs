//! crates.io: the sparse index (`config.json`, one file per crate of
//! newline-delimited JSON) and the web API (`/api/v1/crates/{name}`,
//! `/owners`). The index is authoritative for versions, yanks and
//! dependencies; the API adds repository, licenses, times and owners.

use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::model::{Dependency, DependencyKind, Flag, Maintainers, RegistryPackage, Release};

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
    #[serde(default)]
    features: std::collections::BTreeMap<String, Vec<String>>,
    /// Features using `dep:`/`?` syntax (index format v2) live here.
    #[serde(default)]
    features2: Option<std::collections::BTreeMap<String, Vec<String>>>,
    /// When the version was published (the index carries it since 2024,
    /// backfilled for older versions).
    #[serde(default)]
    pubtime: Option<String>,
}

#[derive(Deserialize)]
struct IndexDep {
    name: String,
    req: String,
    #[serde(default)]
    features: Vec<String>,
    #[serde(default)]
    optional: bool,
    #[serde(default = "yes")]
    default_features: bool,
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    /// The real crate name when the dependency is renamed.
    #[serde(default)]
    package: Option<String>,
}

fn yes() -> bool {
    true
}

/// An index file for `requested`, every line checked: a line that is not a
/// version record of that crate makes the whole answer malformed.
pub fn parse_index(bytes: &[u8], requested: &str) -> Result<RegistryPackage, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8".to_string())?;
    let mut pkg = RegistryPackage::default();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let l: IndexLine =
            serde_json::from_str(line).map_err(|e| format!("line {}: {e}", i + 1))?;
        if !l.name.eq_ignore_ascii_case(requested) {
            return Err(format!(
                "line {} is about {:?}, not {requested:?}",
                i + 1,
                l.name
            ));
        }
        if ::semver::Version::parse(&l.vers).is_err() {
            return Err(format!(
                "line {}: {:?} is not a SemVer version",
                i + 1,
                l.vers
            ));
        }
        let published =
            match &l.pubtime {
                Some(t) => Some(OffsetDateTime::parse(t, &Rfc3339).map_err(|_| {
                    format!("line {}: `pubtime` {t:?} is not an RFC 3339 time", i + 1)
                })?),
                None => None,
            };
        let mut features = l.features;
        features.extend(l.features2.unwrap_or_default());
        pkg.name = l.name;
        pkg.releases.push(Release {
            version: l.vers,
            published,
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
                    .map(|d| {
                        let real = d.package.clone().unwrap_or_else(|| d.name.clone());
                        Dependency {
                            alias: Some(d.name),
                            name: real,
                            requirement: d.req,
                            kind: match (d.kind.as_deref(), d.optional) {
                                (Some("dev"), _) => DependencyKind::Dev,
                                (Some("build"), _) => DependencyKind::Build,
                                (_, true) => DependencyKind::Optional,
                                _ => DependencyKind::Normal,
                            },
                            condition: d.target,
                            features: d.features,
                            default_features: d.default_features,
                        }
                    })
                    .collect(),
            ),
            features: Some(features),
            funding: None,
        });
    }
    if pkg.releases.is_empty() {
        return Err("no versions".into());
    }
    // Publish times are the registry's own when every version has one.
    pkg.times_trustworthy = pkg.releases.iter().all(|r| r.published.is_some());
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
    pub name: Option<String>,
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

pub fn parse_api_crate(bytes: &[u8], requested: &str) -> Result<CratesApiCrate, String> {
    let c: CratesApiCrate =
        serde_json::from_slice(bytes).map_err(|e| format!("not the documented shape: {e}"))?;
    match &c.krate.name {
        Some(n) if n.eq_ignore_ascii_case(requested) => Ok(c),
        other => Err(format!("the answer is about {other:?}, not {requested:?}")),
    }
}

impl CratesApiCrate {
    /// Fill in what the index lacks: repository, licenses, and publish times
    /// where the index has none. API times are used only when the answer
    /// knows every version the index lists (a stale answer would make an
    /// active crate look inactive).
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
                if complete && r.published.is_none() {
                    r.published = v
                        .created_at
                        .as_deref()
                        .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok());
                }
            }
        }
        pkg.times_trustworthy = pkg.releases.iter().all(|r| r.published.is_some());
        if complete {
            pkg.modified = self
                .krate
                .updated_at
                .as_deref()
                .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok());
        }
    }
}

/// `/owners`: user logins, and a team (which hides how many people can
/// publish) as the organisation.
pub fn parse_owners(bytes: &[u8]) -> Result<Maintainers, String> {
    let v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    let users = v
        .get("users")
        .and_then(|u| u.as_array())
        .ok_or("no `users` list")?;
    let mut m = Maintainers::default();
    for u in users {
        let login = u
            .get("login")
            .and_then(|l| l.as_str())
            .ok_or("an owner without a login")?;
        match u.get("kind").and_then(|k| k.as_str()) {
            Some("team") => m.organisation = Some(login.to_string()),
            // Team logins look like `github:org:team`.
            _ if login.starts_with("github:") => m.organisation = Some(login.to_string()),
            _ => m.accounts.push(login.to_string()),
        }
    }
    Ok(m)
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
        let mut chrono = parse_index(
            &fixture(&format!("crates/index/{}", index_path("chrono"))),
            "chrono",
        )
        .unwrap();
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
        assert!(
            chrono.times_trustworthy,
            "the index carries pubtime for every version"
        );
        // The recorded API answer for `time` is old: its times do not replace
        // the index's, so it does not make the current crate look inactive.
        let mut time = parse_index(
            &fixture(&format!("crates/index/{}", index_path("time"))),
            "time",
        )
        .unwrap();
        let api = parse_api_crate(&fixture("crates-api-examples/time.json"), "time").unwrap();
        assert!(parse_api_crate(&fixture("crates-api-examples/time.json"), "regex").is_err());
        api.merge_into(&mut time);
        assert_eq!(
            time.repository.as_deref(),
            Some("https://github.com/rust-lang/time")
        );
        assert!(time.times_trustworthy);
        let newest = time
            .releases
            .iter()
            .filter_map(|r| r.published)
            .max()
            .unwrap();
        assert!(newest.year() >= 2024, "{newest}");
        let old = time
            .releases
            .iter()
            .find(|r| r.version == "0.1.40")
            .unwrap();
        assert_eq!(old.license.as_deref(), Some("MIT/Apache-2.0"));
        chrono.name.clear();
        assert!(parse_index(b"", "x").is_err());
        assert!(
            parse_index(
                &fixture(&format!("crates/index/{}", index_path("log"))),
                "chrono"
            )
            .is_err()
        );
        assert!(parse_index(b"{\"name\":\"x\",\"vers\":1}", "x").is_err());
        let o = parse_owners(
            br#"{"users":[{"login":"a"},{"login":"A"},{"login":"github:org:t","kind":"team"}]}"#,
        )
        .unwrap();
        assert_eq!(o.people(), vec!["a"]);
        assert_eq!(o.organisation.as_deref(), Some("github:org:t"));
    }
}
