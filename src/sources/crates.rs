//! crates.io: the sparse index (`config.json`, one file per crate of
//! newline-delimited JSON) and the web API (`/api/v1/crates/{name}`,
//! `/owners`). The index is authoritative for versions, yanks and
//! dependencies; the API adds repository, licenses, times and owners
//! ([`package`] puts the two together).

use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use url::Url;

use super::Lookup;
use super::adapter::{Adapter, Malformed, Question};
use super::http::Service;
use super::hub::Sources;
use super::json::{self, kind, quoted};
use super::model::{
    Account, AnswerGap, Dependency, DependencyKind, Flag, Maintainers, RegistryPackage, Release,
};

/// The sparse index, asked one crate at a time.
pub const INDEX: Adapter = Adapter::online(Service::CratesIndex);

/// The web API, at the address the index names (or one configured).
pub const API: Adapter = Adapter::online(Service::CratesApi);

/// A crate's index file, by its name.
pub struct IndexFile;

impl Question for IndexFile {
    const ADAPTER: &'static Adapter = &INDEX;
    type Key = String;
    type Value = RegistryPackage;

    fn path(name: &String) -> String {
        index_path(name)
    }

    fn parse(body: &[u8], name: &String) -> Result<RegistryPackage, Malformed> {
        parse_index(body, name)
    }
}

/// The index's `config.json`: (download URL template, API base).
pub struct IndexConfig;

impl Question for IndexConfig {
    const ADAPTER: &'static Adapter = &INDEX;
    type Key = ();
    type Value = (Option<String>, Option<String>);

    fn path(_: &()) -> String {
        "config.json".into()
    }

    fn parse(body: &[u8], _: &()) -> Result<Self::Value, Malformed> {
        parse_index_config(body)
    }
}

/// The API's answer about a crate, by its name.
pub struct ApiAnswer;

impl Question for ApiAnswer {
    const ADAPTER: &'static Adapter = &API;
    type Key = String;
    type Value = CratesApiCrate;

    fn path(name: &String) -> String {
        api_crate_path(name)
    }

    fn parse(body: &[u8], name: &String) -> Result<CratesApiCrate, Malformed> {
        parse_api_crate(body, name)
    }
}

/// A crate's owners, by its name.
pub struct Owners;

impl Question for Owners {
    const ADAPTER: &'static Adapter = &API;
    type Key = String;
    type Value = Maintainers;

    fn path(name: &String) -> String {
        api_owners_path(name)
    }

    fn parse(body: &[u8], _: &String) -> Result<Maintainers, Malformed> {
        parse_owners(body)
    }
}

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
/// version record of that crate, a version listed twice, or a dependency
/// of a kind the index does not write makes the whole answer malformed.
pub fn parse_index(bytes: &[u8], requested: &str) -> Result<RegistryPackage, Malformed> {
    read_index(bytes, requested).map_err(|why| INDEX.malformed(why))
}

fn read_index(bytes: &[u8], requested: &str) -> Result<RegistryPackage, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8".to_string())?;
    let mut pkg = RegistryPackage::default();
    let mut seen = std::collections::HashSet::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let l: IndexLine =
            json::parse_into(line.as_bytes()).map_err(|e| format!("line {}: {e}", i + 1))?;
        if !l.name.eq_ignore_ascii_case(requested) {
            return Err(format!(
                "line {} is about {}, not {}",
                i + 1,
                quoted(&l.name),
                quoted(requested)
            ));
        }
        let Ok(version) = ::semver::Version::parse(&l.vers) else {
            return Err(format!(
                "line {}: {} is not a SemVer version",
                i + 1,
                quoted(&l.vers)
            ));
        };
        // crates.io takes a version once (build metadata aside); a second
        // line for it leaves which is yanked, and what it depends on, open.
        if !seen.insert((version.major, version.minor, version.patch, version.pre)) {
            return Err(format!(
                "line {}: version {} is listed twice",
                i + 1,
                quoted(&l.vers)
            ));
        }
        let published = match &l.pubtime {
            Some(t) => Some(OffsetDateTime::parse(t, &Rfc3339).map_err(|_| {
                format!(
                    "line {}: `pubtime` {} is not an RFC 3339 time",
                    i + 1,
                    quoted(t)
                )
            })?),
            None => None,
        };
        let mut features = l.features;
        features.extend(l.features2.unwrap_or_default());
        let mut deps = Vec::new();
        for d in l.deps {
            let kind = match (d.kind.as_deref(), d.optional) {
                (Some("dev"), _) => DependencyKind::Dev,
                (Some("build"), _) => DependencyKind::Build,
                (None | Some("normal"), true) => DependencyKind::Optional,
                (None | Some("normal"), false) => DependencyKind::Normal,
                (Some(other), _) => {
                    return Err(format!(
                        "line {}: a dependency of kind {}",
                        i + 1,
                        quoted(other)
                    ));
                }
            };
            let real = d.package.clone().unwrap_or_else(|| d.name.clone());
            deps.push(Dependency {
                alias: Some(d.name),
                name: real,
                requirement: d.req,
                kind,
                condition: d.target,
                features: d.features,
                default_features: d.default_features,
            });
        }
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
            dependencies: Some(deps),
            features: Some(features),
            funding: None,
            // The index's `cksum` is SHA-256; no provenance is read here.
            sha512: None,
            attestations_listed: false,
            file: None,
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
pub fn parse_index_config(bytes: &[u8]) -> Result<(Option<String>, Option<String>), Malformed> {
    let v = json::parse(bytes).map_err(|e| INDEX.malformed(format!("crates index config: {e}")))?;
    let text = |key: &str| match v.get(key) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => {
            Err(INDEX.malformed(format!("crates index config: `{key}` is {}", kind(other))))
        }
    };
    Ok((text("dl")?, text("api")?))
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

/// The API's answer about `requested`: its versions each once, their
/// times RFC 3339 (they can stand in for the index's).
pub fn parse_api_crate(bytes: &[u8], requested: &str) -> Result<CratesApiCrate, Malformed> {
    read_api_crate(bytes, requested).map_err(|why| API.malformed(why))
}

fn read_api_crate(bytes: &[u8], requested: &str) -> Result<CratesApiCrate, String> {
    let c: CratesApiCrate = json::parse_into(bytes).map_err(|e| e.to_string())?;
    match &c.krate.name {
        Some(n) if n.eq_ignore_ascii_case(requested) => {}
        other => {
            return Err(format!(
                "the answer is about {}, not {}",
                other.as_deref().map_or("no crate".to_string(), quoted),
                quoted(requested)
            ));
        }
    }
    let mut seen = std::collections::HashSet::new();
    for v in &c.versions {
        if !seen.insert(v.num.as_str()) {
            return Err(format!("version {} is listed twice", quoted(&v.num)));
        }
        if let Some(t) = &v.created_at
            && OffsetDateTime::parse(t, &Rfc3339).is_err()
        {
            return Err(format!(
                "version {} was created at {}, not an RFC 3339 time",
                quoted(&v.num),
                quoted(t)
            ));
        }
    }
    if let Some(t) = &c.krate.updated_at
        && OffsetDateTime::parse(t, &Rfc3339).is_err()
    {
        return Err(format!(
            "`updated_at` {} is not an RFC 3339 time",
            quoted(t)
        ));
    }
    Ok(c)
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
/// publish) as the organisation. Each owner must be a user or a team, as
/// crates.io writes them, and listed once (logins compared without case,
/// as GitHub compares them).
pub fn parse_owners(bytes: &[u8]) -> Result<Maintainers, Malformed> {
    read_owners(bytes).map_err(|why| API.malformed(why))
}

fn read_owners(bytes: &[u8]) -> Result<Maintainers, String> {
    let v = json::parse(bytes).map_err(|e| e.to_string())?;
    let users = v
        .get("users")
        .and_then(|u| u.as_array())
        .ok_or("no `users` list")?;
    let mut m = Maintainers::default();
    let mut logins = std::collections::HashSet::new();
    for u in users {
        let login = u
            .get("login")
            .and_then(|l| l.as_str())
            .ok_or("an owner without a login")?;
        if !logins.insert(login.to_ascii_lowercase()) {
            return Err(format!("the owner {} is listed twice", quoted(login)));
        }
        match u.get("kind").and_then(|k| k.as_str()) {
            // Team logins look like `github:org:team`.
            Some("team") if login.starts_with("github:") => {
                m.organisation = Some(login.to_string())
            }
            Some("user") if is_github_login(login) => m.accounts.push(Account::named(login)),
            Some(k @ ("user" | "team")) => {
                return Err(format!(
                    "a {k} owner named {}, not as crates.io names one",
                    quoted(login)
                ));
            }
            Some(other) => return Err(format!("an owner of kind {}", quoted(other))),
            None => return Err(format!("the owner {} has no kind", quoted(login))),
        }
    }
    Ok(m)
}

/// A GitHub login: letters, digits and hyphens (crates.io users sign in
/// with GitHub).
fn is_github_login(l: &str) -> bool {
    !l.is_empty()
        && l.len() <= 39
        && l.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A crate's listing: the index, with what the web API adds
/// (repository, licenses, owners). Without the API those stay unknown.
pub async fn package(sources: &Sources, name: &str) -> Lookup<RegistryPackage> {
    let mut index = sources.ask::<IndexFile>(name.to_string()).await;
    if let Lookup::Found(found) = &mut index {
        add_from_api(sources, name, &mut found.value).await;
    }
    index
}

async fn add_from_api(sources: &Sources, name: &str, pkg: &mut RegistryPackage) {
    let Some(api) = api_base(sources).await else {
        pkg.details_missing = Some(AnswerGap {
            why: format!(
                "no {} is configured or named by the index, so nothing was asked about {name}",
                API.service
            ),
            transient: false,
        });
        return;
    };
    let krate = sources.ask_at::<ApiAnswer>(&api, name.to_string()).await;
    match &krate {
        Lookup::Found(found) => found.value.merge_into(pkg),
        // The index lists the crate: the API's 404 is a missing answer
        // (a mirror that serves no API, say), not a crate without data.
        Lookup::NotFound { url, .. } => {
            sources.client().note_failed(
                API.service,
                url,
                format!("HTTP 404 for {name}, which the index lists"),
            );
            pkg.details_missing = Some(AnswerGap {
                why: format!("the {} answered 404 for {name}", API.service),
                transient: false,
            });
        }
        Lookup::Malformed { reason, .. } => {
            pkg.details_missing = Some(AnswerGap {
                why: reason.clone(),
                transient: true,
            })
        }
        Lookup::Unavailable { reason, .. } => {
            pkg.details_missing = Some(AnswerGap {
                why: format!("the {} gave no answer for {name} ({reason})", API.service),
                transient: true,
            });
        }
        Lookup::NotApplicable { why, .. } => {
            pkg.details_missing = Some(AnswerGap {
                why: why.clone(),
                transient: false,
            })
        }
    }
    let owners = sources.ask_at::<Owners>(&api, name.to_string()).await;
    if let Some(o) = owners.value() {
        pkg.maintainers = Some(o.clone());
    }
    // The index already holds the crate's release times (`pubtime`).
}

/// The web API: as configured, else where the index's `config.json` says,
/// if that is on the index's host or a domain above it (a registry's index
/// is commonly served from a subdomain of its API's host; cargo trusts
/// `config.json` further, with its tokens).
async fn api_base(sources: &Sources) -> Option<Url> {
    if let Ok(u) = sources.base(API.service) {
        return Some(u.clone());
    }
    let index = sources.base(INDEX.service).ok()?.clone();
    let config = sources.ask::<IndexConfig>(()).await;
    let api = config.value()?.1.clone()?;
    let mut url = Url::parse(&api).ok()?;
    if !url.path().ends_with('/') {
        let p = format!("{}/", url.path());
        url.set_path(&p);
    }
    api_host_trusted(&index, &url).then_some(url)
}

/// Whether the API at `api` may be asked for the index at `index`: the
/// same scheme, and the same host or a parent domain of the index's host
/// (of two labels at least, so never a bare top-level domain).
fn api_host_trusted(index: &Url, api: &Url) -> bool {
    let (Some(i), Some(a)) = (index.host_str(), api.host_str()) else {
        return false;
    };
    let (i, a) = (i.to_ascii_lowercase(), a.to_ascii_lowercase());
    let parent = a.contains('.')
        && matches!(index.host(), Some(url::Host::Domain(_)))
        && i.strip_suffix(a.as_str()).is_some_and(|p| p.ends_with('.'));
    index.scheme() == api.scheme() && (i == a || parent)
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
    fn the_api_may_be_on_the_index_host_or_a_domain_above_it() {
        let u = |s: &str| Url::parse(s).unwrap();
        let index = u("https://index.registry.example/");
        assert!(api_host_trusted(&index, &u("https://registry.example/")));
        assert!(api_host_trusted(
            &index,
            &u("https://index.registry.example/api/")
        ));
        assert!(api_host_trusted(
            &u("http://127.0.0.1:9/i/"),
            &u("http://127.0.0.1:9/a/")
        ));
        // Elsewhere, a bare top-level domain, a look-alike or another scheme: no.
        assert!(!api_host_trusted(&index, &u("https://other.example/")));
        assert!(!api_host_trusted(&index, &u("https://example/")));
        assert!(!api_host_trusted(&index, &u("https://xregistry.example/")));
        assert!(!api_host_trusted(&index, &u("http://registry.example/")));
        assert!(!api_host_trusted(
            &u("http://10.0.0.1/"),
            &u("http://0.0.1/")
        ));
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
            br#"{"users":[{"login":"a","kind":"user"},{"login":"b","kind":"user"},{"login":"github:org:t","kind":"team"}]}"#,
        )
        .unwrap();
        assert_eq!(o.people(), vec!["a", "b"]);
        assert_eq!(o.organisation.as_deref(), Some("github:org:t"));
    }

    #[test]
    fn odd_index_lines_are_malformed() {
        let chrono =
            String::from_utf8(fixture(&format!("crates/index/{}", index_path("chrono")))).unwrap();
        let last = chrono.lines().last().unwrap();
        let cases = [
            (
                "a version twice",
                format!(
                    "{chrono}{}\n",
                    last.replace("\"yanked\": false", "\"yanked\": true")
                ),
                "listed twice",
            ),
            (
                "a version twice, once with build metadata",
                format!(
                    "{chrono}{}\n",
                    last.replace("\"vers\": \"0.4.45\"", "\"vers\": \"0.4.45+b\"")
                ),
                "listed twice",
            ),
            (
                "a kind the index does not write",
                chrono.replacen("\"kind\": \"normal\"", "\"kind\": \"runtime\"", 1),
                "of kind \"runtime\"",
            ),
            (
                "a key twice",
                chrono.replacen(
                    "{\"name\": \"chrono\", ",
                    "{\"yanked\": true, \"name\": \"chrono\", ",
                    1,
                ),
                "yanked",
            ),
            (
                "a feature map with a key twice",
                chrono.replacen(
                    "\"features\": {",
                    "\"features\": {\"x\": [], \"x\": [\"y\"], ",
                    1,
                ),
                "twice",
            ),
            (
                "a time that is not RFC 3339",
                chrono.replacen("\"pubtime\": \"", "\"pubtime\": \"on ", 1),
                "not an RFC 3339 time",
            ),
        ];
        for (label, text, why) in cases {
            assert_ne!(text, chrono, "{label}");
            let e = parse_index(text.as_bytes(), "chrono").unwrap_err();
            assert!(e.why.contains(why), "{label}: {e}");
        }
        // Every recorded index file is accepted.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/registry/crates/index");
        let mut stack = vec![dir.clone()];
        let mut n = 0;
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.file_name().is_some_and(|f| f != "config.json") {
                    let name = p.file_name().unwrap().to_string_lossy().into_owned();
                    let name = name.strip_suffix(".gz").unwrap_or(&name).to_string();
                    let rel = p
                        .strip_prefix(dir.parent().unwrap().parent().unwrap())
                        .unwrap();
                    let rel = rel.to_string_lossy();
                    let bytes = fixture(rel.strip_suffix(".gz").unwrap_or(&rel));
                    if let Err(e) = parse_index(&bytes, &name) {
                        panic!("{rel}: {e}");
                    }
                    n += 1;
                }
            }
        }
        assert!(n > 20, "{n}");
    }

    #[test]
    fn odd_api_answers_are_malformed() {
        let owners = |users: &str| parse_owners(format!("{{\"users\": {users}}}").as_bytes());
        for (label, users, why) in [
            (
                "the same login twice",
                r#"[{"login": "a", "kind": "user"}, {"login": "A", "kind": "user"}]"#,
                "listed twice",
            ),
            (
                "a kind crates.io does not write",
                r#"[{"login": "a", "kind": "user"}, {"login": "b", "kind": "group"}]"#,
                "of kind",
            ),
            (
                "no kind",
                r#"[{"login": "a", "kind": "user"}, {"login": "b"}]"#,
                "no kind",
            ),
            (
                "an invisible character",
                "[{\"login\": \"a\", \"kind\": \"user\"}, {\"login\": \"a\\u200b\", \"kind\": \"user\"}]",
                "not as crates.io",
            ),
            (
                "a team that is not GitHub's",
                r#"[{"login": "t", "kind": "team"}]"#,
                "not as crates.io",
            ),
            (
                "a login that is a number",
                r#"[{"login": 1, "kind": "user"}]"#,
                "without a login",
            ),
        ] {
            let e = owners(users)
                .err()
                .unwrap_or_else(|| panic!("{label}: accepted"));
            assert!(e.why.contains(why), "{label}: {e}");
        }
        let time = String::from_utf8(fixture("crates-api-examples/time.json")).unwrap();
        let v: serde_json::Value = serde_json::from_str(&time).unwrap();
        let first = v["versions"][0]["num"].as_str().unwrap().to_string();
        let mut twice = v.clone();
        twice["versions"][1]["num"] = first.clone().into();
        assert!(
            parse_api_crate(twice.to_string().as_bytes(), "time")
                .unwrap_err()
                .why
                .contains("twice")
        );
        let mut bad_time = v.clone();
        bad_time["versions"][0]["created_at"] = "yesterday".into();
        assert!(
            parse_api_crate(bad_time.to_string().as_bytes(), "time")
                .unwrap_err()
                .why
                .contains("RFC 3339")
        );
        assert!(parse_api_crate(&fixture("crates-api-examples/regex.json"), "regex").is_ok());
        assert!(parse_index_config(br#"{"dl": "https://x/dl", "api": 5}"#).is_err());
        assert_eq!(
            parse_index_config(br#"{"dl": "https://x/dl"}"#).unwrap(),
            (Some("https://x/dl".into()), None)
        );
    }
}
