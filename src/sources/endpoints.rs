//! Where each service lives: flag, environment variable, config file, then
//! a default. Services that are not package registries have built-in
//! defaults; registries take theirs from the ecosystem's own client settings
//! (npm's registry setting, pip's index-url, the index cargo would use),
//! which is also what users behind a mirror need, or stay unconfigured.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use url::Url;

use super::http::Service;
use super::json;
use crate::config::Config;

/// Built-in endpoints of the services that are not package registries.
const DEPSDEV_DEFAULT: &str = "https://api.deps.dev";
const OSV_DEFAULT: &str = "https://api.osv.dev";
const SCORECARD_DEFAULT: &str = "https://api.securityscorecards.dev";
const GITHUB_DEFAULT: &str = "https://api.github.com";
const TIDELIFT_DEFAULT: &str = "https://api.tidelift.com";

/// A resolved endpoint, or why there is none.
#[derive(Debug, Clone)]
pub enum Endpoint {
    Url {
        url: Url,
        from: String,
    },
    Missing(String),
    /// Asked of the ecosystem's client only when a run needs it (running
    /// `npm` or `pip` takes a noticeable moment, and most runs need only one
    /// ecosystem): as soon as an input names the ecosystem's packages
    /// (`Endpoints::discover_for_text`), else the first time it is used.
    Discover(fn() -> Endpoint),
}

impl Endpoint {
    pub fn url(&self) -> Option<&Url> {
        match self {
            Endpoint::Url { url, .. } => Some(url),
            Endpoint::Missing(_) | Endpoint::Discover(_) => None,
        }
    }
}

/// One endpoint as shown to a person: the URL (redacted) and where it came
/// from, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointInfo {
    pub service: Service,
    pub url: Option<String>,
    /// The setting it came from, or why there is no URL.
    pub from: String,
}

/// Cloning shares the answers of the clients asked: a clone handed to a
/// thread that asks them fills in the original's.
#[derive(Debug, Clone)]
pub struct Endpoints {
    map: BTreeMap<Service, Endpoint>,
    discovered: Arc<BTreeMap<Service, std::sync::OnceLock<Endpoint>>>,
    /// Services whose clients a background thread has been sent to ask.
    asking: Arc<Mutex<BTreeSet<Service>>>,
}

/// The registries whose endpoint a client may be asked for, by the PURL
/// type of their packages.
const ASKED_BY_TYPE: [(&str, Service); 2] = [("npm", Service::Npm), ("pypi", Service::PyPi)];

#[derive(Debug, thiserror::Error)]
#[error("{setting}: {value:?} is not an http(s) URL ({why})")]
pub struct EndpointError {
    pub setting: String,
    pub value: String,
    pub why: String,
}

/// Read one environment variable, empty counting as unset.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A PyPI index as pip writes it (`.../simple`), as the base of the JSON API.
fn parse_pypi(setting: &str, value: &str) -> Result<Url, EndpointError> {
    let base = value.trim().trim_end_matches('/');
    parse(setting, base.strip_suffix("/simple").unwrap_or(base))
}

/// A Cargo index as cargo writes it: `sparse+https://...` (or the bare URL).
/// A git index cannot be read file by file.
fn parse_cargo(setting: &str, value: &str) -> Result<Url, EndpointError> {
    let v = value.trim();
    if v.starts_with("git+") || v.ends_with(".git") {
        return Err(EndpointError {
            setting: setting.to_string(),
            value: crate::redact::redact_text(v),
            why: "a git index; only sparse indexes (sparse+https://...) can be read".into(),
        });
    }
    parse(setting, v.strip_prefix("sparse+").unwrap_or(v))
}

fn parse(setting: &str, value: &str) -> Result<Url, EndpointError> {
    // The value may hold credentials; messages show it redacted.
    let err = |why: &str| EndpointError {
        setting: setting.to_string(),
        value: crate::redact::redact_text(value),
        why: why.to_string(),
    };
    let trimmed = value.trim().trim_end_matches('/');
    let mut url = Url::parse(trimmed).map_err(|e| err(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(err("only http and https are supported"));
    }
    // Paths are joined onto the base, so it must end in a slash.
    if !url.path().ends_with('/') {
        let p = format!("{}/", url.path());
        url.set_path(&p);
    }
    Ok(url)
}

impl Endpoints {
    /// Resolve every service's endpoint. `flags` holds values given on the
    /// command line (none are defined yet beyond the environment, but the
    /// order is kept for when they are).
    pub fn resolve(config: &Config) -> Result<Endpoints, EndpointError> {
        let c = &config.endpoints;
        let mut map = BTreeMap::new();
        let mut pick = |service: Service,
                        var: &str,
                        configured: &Option<String>,
                        fallback: &dyn Fn() -> Endpoint|
         -> Result<(), EndpointError> {
            let read = match service {
                Service::PyPi => parse_pypi,
                Service::CratesIndex => parse_cargo,
                _ => parse,
            };
            let ep = if let Some(v) = env(var) {
                Endpoint::Url {
                    url: read(var, &v)?,
                    from: var.to_string(),
                }
            } else if let Some(v) = configured {
                Endpoint::Url {
                    url: read("config", v)?,
                    from: "config file".to_string(),
                }
            } else {
                fallback()
            };
            map.insert(service, ep);
            Ok(())
        };
        let builtin = |d: &'static str| {
            move || Endpoint::Url {
                url: parse("default", d).expect("built-in URLs parse"),
                from: "built-in default".into(),
            }
        };
        pick(
            Service::DepsDev,
            "TACOS_DEPSDEV_URL",
            &c.depsdev,
            &builtin(DEPSDEV_DEFAULT),
        )?;
        pick(Service::Osv, "TACOS_OSV_URL", &c.osv, &builtin(OSV_DEFAULT))?;
        pick(
            Service::Scorecard,
            "TACOS_SCORECARD_URL",
            &c.scorecard,
            &builtin(SCORECARD_DEFAULT),
        )?;
        pick(
            Service::GitHub,
            "TACOS_GITHUB_API_URL",
            &c.github,
            &builtin(GITHUB_DEFAULT),
        )?;
        pick(
            Service::Tidelift,
            "TACOS_TIDELIFT_URL",
            &c.tidelift,
            &builtin(TIDELIFT_DEFAULT),
        )?;
        pick(Service::Npm, "TACOS_NPM_REGISTRY_URL", &c.npm, &|| {
            Endpoint::Discover(npm_client_registry)
        })?;
        pick(Service::PyPi, "TACOS_PYPI_URL", &c.pypi, &|| {
            Endpoint::Discover(pip_index)
        })?;
        pick(
            Service::CratesIndex,
            "TACOS_CRATES_INDEX_URL",
            &c.crates_index,
            &cargo_index,
        )?;
        pick(
            Service::CratesApi,
            "TACOS_CRATES_API_URL",
            &c.crates_api,
            &|| {
                Endpoint::Missing(
                    "taken from the crates index's config.json (an API on the index's host or a domain above it)".into(),
                )
            },
        )?;
        let discovered = map
            .iter()
            .filter(|(_, e)| matches!(e, Endpoint::Discover(_)))
            .map(|(s, _)| (*s, std::sync::OnceLock::new()))
            .collect();
        Ok(Endpoints {
            map,
            discovered: Arc::new(discovered),
            asking: Arc::default(),
        })
    }

    /// Ask the clients of `services` (those that must be asked, once each)
    /// on a thread of its own, so the answers are ready when a package
    /// needs them instead of being waited for then (`npm config get
    /// registry` takes a fifth of a second). `get` waits for an answer
    /// still being asked for; no client is asked twice.
    pub fn discover_in_background(&self, services: impl IntoIterator<Item = Service>) {
        let mut asking = self.asking.lock().expect("asking lock");
        let new: Vec<Service> = services
            .into_iter()
            .filter(|s| self.discovered.contains_key(s) && asking.insert(*s))
            .collect();
        if new.is_empty() {
            return;
        }
        let me = self.clone();
        std::thread::spawn(move || {
            for s in new {
                let _ = me.get(s);
            }
        });
    }

    /// `discover_in_background` for the registries an SBOM names packages
    /// of, judged from its bytes before it is parsed (`pkg:npm/` anywhere
    /// in the text), so that asking the clients overlaps reading it. A
    /// mention outside a component (in a description) asks a client that
    /// the packages alone would not have; one the text does not show (an
    /// SBOM in UTF-16) is asked when its packages are assessed, as before.
    pub fn discover_for_text(&self, text: &[u8]) {
        let named = ASKED_BY_TYPE.iter().filter(|(ty, _)| {
            let needle = format!("pkg:{ty}/");
            memchr::memmem::find(text, needle.as_bytes()).is_some()
        });
        self.discover_in_background(named.map(|(_, s)| *s));
    }

    pub fn get(&self, service: Service) -> &Endpoint {
        match self.map.get(&service).expect("every service is resolved") {
            Endpoint::Discover(ask) => self.discovered[&service].get_or_init(ask),
            other => other,
        }
    }

    /// The endpoints as configured, without asking any client: what
    /// decides whether stored statements are comparable.
    pub fn fingerprint(&self) -> String {
        self.map
            .iter()
            .map(|(s, e)| {
                let v = match e {
                    Endpoint::Url { url, .. } => crate::redact::redact(url),
                    Endpoint::Missing(_) => "missing".into(),
                    Endpoint::Discover(_) => "the client's own".into(),
                };
                format!("{s}={v}")
            })
            .collect::<Vec<_>>()
            .join(";")
    }

    /// Every service's endpoint and where it came from (asking the
    /// ecosystems' clients where needed): for `doctor` and messages.
    pub fn describe(&self) -> Vec<EndpointInfo> {
        self.map
            .keys()
            .map(|s| {
                let (url, from) = match self.get(*s) {
                    Endpoint::Url { url, from } => (Some(crate::redact::redact(url)), from.clone()),
                    Endpoint::Missing(why) => (None, why.clone()),
                    Endpoint::Discover(_) => (None, "not discovered".into()),
                };
                EndpointInfo {
                    service: *s,
                    url,
                    from,
                }
            })
            .collect()
    }

    pub fn set(&mut self, service: Service, url: Url, from: &str) {
        self.map.insert(
            service,
            Endpoint::Url {
                url,
                from: from.to_string(),
            },
        );
    }

    /// The hosts of every configured endpoint: redirects may go only there.
    pub fn hosts(&self) -> HashSet<String> {
        self.map
            .values()
            .filter_map(|e| e.url())
            .filter_map(|u| u.host_str().map(str::to_ascii_lowercase))
            .collect()
    }
}

/// npm's own registry setting: `NPM_CONFIG_REGISTRY`, `.npmrc` files, then
/// `npm config get registry` (which knows npm's built-in default).
fn npm_client_registry() -> Endpoint {
    for var in ["NPM_CONFIG_REGISTRY", "npm_config_registry"] {
        if let Some(v) = env(var)
            && let Ok(url) = parse(var, &v)
        {
            return Endpoint::Url {
                url,
                from: var.to_string(),
            };
        }
    }
    let mut rc_files = vec![PathBuf::from(".npmrc")];
    if let Some(home) = std::env::var_os("HOME") {
        rc_files.push(PathBuf::from(home).join(".npmrc"));
    }
    for rc in &rc_files {
        if let Some(v) = ini_value(rc, None, "registry")
            && let Ok(url) = parse(&rc.display().to_string(), &v)
        {
            return Endpoint::Url {
                url,
                from: rc.display().to_string(),
            };
        }
    }
    match run_with_timeout("npm", &["config", "get", "registry"]) {
        Some(v) => match parse("npm config get registry", &v) {
            Ok(url) => Endpoint::Url {
                url,
                from: "npm config get registry".into(),
            },
            Err(e) => Endpoint::Missing(e.to_string()),
        },
        None => Endpoint::Missing(
            "no npm registry configured: set TACOS_NPM_REGISTRY_URL, npm's registry setting, or [endpoints] npm".into(),
        ),
    }
}

/// pip's index: `PIP_INDEX_URL`, then pip's own configuration as pip reads
/// it (`pip config get`), then the index pip uses when nothing is set, asked
/// of pip itself; turned into the base of the JSON API (`.../simple` →
/// `...`). Without a pip to ask, pip's configuration files are read.
fn pip_index() -> Endpoint {
    if let Some(v) = env("PIP_INDEX_URL") {
        return match parse_pypi("PIP_INDEX_URL", &v) {
            Ok(url) => Endpoint::Url {
                url,
                from: "PIP_INDEX_URL".into(),
            },
            Err(e) => Endpoint::Missing(e.to_string()),
        };
    }
    let python = ["python3", "python"]
        .into_iter()
        .find(|p| run_with_timeout(p, &["-m", "pip", "--version"]).is_some());
    if let Some(py) = python {
        for key in ["global.index-url", "install.index-url"] {
            if let Some(v) = run_with_timeout(py, &["-m", "pip", "config", "get", key])
                && let Ok(url) = parse_pypi("pip config", &v)
            {
                return Endpoint::Url {
                    url,
                    from: format!("pip config ({key})"),
                };
            }
        }
        // pip's built-in default, as pip itself defines it.
        let ask = "from pip._internal.models.index import PyPI; print(PyPI.simple_url)";
        if let Some(v) = run_with_timeout(py, &["-c", ask])
            && let Ok(url) = parse_pypi("pip's default index", &v)
        {
            return Endpoint::Url {
                url,
                from: "pip's default index".into(),
            };
        }
    }
    let mut files: Vec<PathBuf> = Vec::new();
    if let Some(f) = std::env::var_os("PIP_CONFIG_FILE") {
        files.push(PathBuf::from(f));
    }
    if let Some(home) = std::env::var_os("HOME") {
        let home = PathBuf::from(home);
        files.push(home.join(".config/pip/pip.conf"));
        files.push(home.join(".pip/pip.conf"));
    }
    files.push(PathBuf::from("/etc/pip.conf"));
    for f in &files {
        if let Some(v) = ini_value(f, Some("global"), "index-url")
            && let Ok(url) = parse_pypi(&f.display().to_string(), &v)
        {
            return Endpoint::Url {
                url,
                from: f.display().to_string(),
            };
        }
    }
    Endpoint::Missing(
        "no PyPI index found: pip is not installed and none is configured; set TACOS_PYPI_URL (or PIP_INDEX_URL) to your index, e.g. https://<index>/simple".into(),
    )
}

/// What to tell a user whose crates index cannot be read.
const SET_CRATES_INDEX: &str =
    "set TACOS_CRATES_INDEX_URL to a sparse index (a URL starting with sparse+https://)";

/// Cargo's configuration files, as cargo reads them: `.cargo/config.toml`
/// (or the older `.cargo/config`) in `root` and each of its parents, then
/// in cargo's home.
fn cargo_config_files(root: Option<&Path>, cargo_home: Option<&Path>) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in root.into_iter().flat_map(Path::ancestors) {
        files.push(dir.join(".cargo/config.toml"));
        files.push(dir.join(".cargo/config"));
    }
    if let Some(h) = cargo_home {
        files.push(h.join("config.toml"));
        files.push(h.join("config"));
    }
    files
}

/// Cargo's home as cargo finds it: `CARGO_HOME` (relative to the working
/// directory), else `~/.cargo`.
fn cargo_home(cwd: Option<&Path>) -> Option<PathBuf> {
    match std::env::var_os("CARGO_HOME").filter(|h| !h.is_empty()) {
        Some(h) => Some(cwd.map_or_else(|| PathBuf::from(&h), |c| c.join(&h))),
        None => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")),
    }
}

/// A message's quote of something read from a file, cut short.
fn clip(s: &str) -> String {
    let line = s.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    match line.char_indices().nth(160) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line.to_string(),
    }
}

/// The crates-io settings of cargo's configuration files, read here only to
/// say where tame-index's answer came from (it does not say which file it
/// used) and for what it does not read: the older `.cargo/config` files and
/// a replacement naming a `[registries.NAME]`.
#[derive(Debug, Default)]
struct CargoSettings {
    /// The file holding `[source.crates-io] replace-with`, and the name.
    replacement: Option<(PathBuf, String)>,
    /// Where `registries.crates-io.protocol` is set, and its value.
    protocol: Option<(String, String)>,
    /// Every file read, closest first (cargo merges them in this order).
    docs: Vec<(PathBuf, toml::Table)>,
}

/// A cargo configuration file that is not TOML.
#[derive(Debug, thiserror::Error)]
#[error(
    "cargo's configuration {} is not valid TOML ({why}); fix it (cargo cannot read it either), or {SET_CRATES_INDEX}",
    file.display()
)]
struct CargoConfigError {
    file: PathBuf,
    why: String,
}

impl CargoSettings {
    /// Cargo refuses to run on a configuration file it cannot read; so does
    /// this (naming the file), rather than guess what cargo would use.
    fn read(files: &[PathBuf]) -> Result<CargoSettings, CargoConfigError> {
        let mut out = CargoSettings::default();
        for f in files {
            let Ok(text) = std::fs::read_to_string(f) else {
                continue;
            };
            let doc = text.parse::<toml::Table>().map_err(|e| CargoConfigError {
                file: f.clone(),
                why: clip(e.message()).to_string(),
            })?;
            let crates_io = |table: &str| doc.get(table).and_then(|t| t.get("crates-io"));
            if out.replacement.is_none()
                && let Some(name) = crates_io("source")
                    .and_then(|c| c.get("replace-with"))
                    .and_then(|r| r.as_str())
            {
                out.replacement = Some((f.clone(), name.to_string()));
            }
            if out.protocol.is_none()
                && let Some(p) = crates_io("registries")
                    .and_then(|c| c.get("protocol"))
                    .and_then(|p| p.as_str())
                    .filter(|p| matches!(*p, "sparse" | "git"))
            {
                out.protocol = Some((
                    format!("registries.crates-io.protocol = {p:?} in {}", f.display()),
                    p.to_string(),
                ));
            }
            out.docs.push((f.clone(), doc));
        }
        if let Some(p) = env("CARGO_REGISTRIES_CRATES_IO_PROTOCOL")
            && matches!(p.as_str(), "sparse" | "git")
        {
            out.protocol = Some((format!("CARGO_REGISTRIES_CRATES_IO_PROTOCOL={p}"), p));
        }
        Ok(out)
    }

    /// `key` of the table `section.name`, from the closest file defining it.
    fn lookup(&self, section: &str, name: &str, key: &str) -> Option<String> {
        self.docs.iter().find_map(|(_, d)| {
            d.get(section)?
                .get(name)?
                .get(key)?
                .as_str()
                .map(str::to_string)
        })
    }
}

/// The version `cargo -V` prints (`cargo 1.85.0 (abc 2025-01-01)`).
fn cargo_version_of(printed: &str) -> Option<String> {
    let v = printed.split_whitespace().nth(1)?;
    v.parse::<tame_index::Version>().ok().map(|_| v.to_string())
}

/// The crates index cargo itself would use, resolved by tame-index:
/// `[source.crates-io] replace-with`, then the crates-io protocol
/// (`CARGO_REGISTRIES_CRATES_IO_PROTOCOL`, `registries.crates-io.protocol`),
/// then cargo's built-in default for the installed cargo's version.
fn cargo_index() -> Endpoint {
    let cwd = std::env::current_dir().ok();
    let home = cargo_home(cwd.as_deref());
    let program = env("CARGO").unwrap_or_else(|| "cargo".into());
    cargo_index_in(cwd.as_deref(), home.as_deref(), || {
        run_with_timeout(&program, &["-V"])
    })
}

/// [`cargo_index`] for configuration found from `root` and in `cargo_home`,
/// with `cargo -V`'s output asked of `cargo_version` (only when the answer
/// depends on it).
fn cargo_index_in(
    root: Option<&Path>,
    cargo_home: Option<&Path>,
    cargo_version: impl FnOnce() -> Option<String>,
) -> Endpoint {
    let settings = match CargoSettings::read(&cargo_config_files(root, cargo_home)) {
        Ok(s) => s,
        Err(e) => return Endpoint::Missing(e.to_string()),
    };
    // Where the answer comes from, said before asking tame-index: the
    // version is asked of cargo only when nothing configured decides.
    // `default` is what cargo's default depends on, said as
    // "cargo's built-in default (cargo 1.85.0, sparse protocol)".
    let (origin, default, version) = if let Some((file, _)) = &settings.replacement {
        let origin = format!("cargo's source replacement in {}", file.display());
        (origin, None, None)
    } else if let Some((origin, _)) = &settings.protocol {
        (origin.clone(), None, None)
    } else {
        let (default, version) = match cargo_version().as_deref().map(|v| (v, cargo_version_of(v)))
        {
            Some((_, Some(v))) => (format!("cargo {v}"), Some(v)),
            Some((printed, None)) => (
                format!(
                    "cargo -V printed no version ({}); cargo 1.70 and later use the sparse protocol",
                    json::quoted(&clip(printed))
                ),
                None,
            ),
            None => (
                "cargo was not found; cargo 1.70 and later use the sparse protocol".into(),
                None,
            ),
        };
        (
            "cargo's built-in default".to_string(),
            Some(default),
            version,
        )
    };
    let with_protocol = |protocol: &str| match &default {
        Some(d) => format!("{origin} ({d}, {protocol} protocol)"),
        None => origin.clone(),
    };
    let utf8 = |p: Option<&Path>| p.and_then(|p| tame_index::PathBuf::from_path_buf(p.into()).ok());
    // Without a version of its own, the version from which cargo's
    // default is the sparse protocol: not consulted when a replacement or
    // protocol is configured (tame-index checks those first).
    let asked = tame_index::IndexUrl::crates_io(
        utf8(root),
        utf8(cargo_home).as_deref(),
        Some(version.as_deref().unwrap_or("1.70.0")),
    );
    let index = match asked {
        Ok(i) => i,
        Err(e) => {
            return Endpoint::Missing(format!(
                "cargo's configuration could not be read ({}): {}; {SET_CRATES_INDEX}",
                clip(&e.to_string()),
                settings.files_read()
            ));
        }
    };
    use tame_index::IndexUrl;
    match index {
        IndexUrl::NonCratesIo(url) if settings.replacement.is_none() => {
            // Matched by the replaced source's URL rather than its name.
            cargo_url("cargo's source replacement", &url)
        }
        IndexUrl::NonCratesIo(url) => cargo_url(&origin, &url),
        IndexUrl::Local(path) => Endpoint::Missing(format!(
            "{origin} uses the local registry {}, which has no index to ask over HTTP; {SET_CRATES_INDEX}",
            json::quoted(path.as_str())
        )),
        IndexUrl::CratesIoSparse | IndexUrl::CratesIoGit if settings.replacement.is_some() => {
            let name = settings
                .replacement
                .as_ref()
                .map_or("", |(_, n)| n.as_str());
            replacement_tame_index_skips(&settings, name, &origin)
        }
        IndexUrl::CratesIoSparse => match &settings.protocol {
            Some((_, p)) if p == "git" => protocol_git(&origin),
            _ => cargo_url(&with_protocol("sparse"), IndexUrl::CratesIoSparse.as_str()),
        },
        IndexUrl::CratesIoGit => protocol_git(&with_protocol("git")),
    }
}

impl CargoSettings {
    /// The files a message may name as cargo's configuration.
    fn files_read(&self) -> String {
        if self.docs.is_empty() {
            return "no configuration file found".into();
        }
        let names: Vec<String> = self
            .docs
            .iter()
            .map(|(f, _)| f.display().to_string())
            .collect();
        format!("files: {}", names.join(", "))
    }
}

fn cargo_url(origin: &str, index: &str) -> Endpoint {
    match parse_cargo(origin, index) {
        Ok(url) => Endpoint::Url {
            url,
            from: origin.to_string(),
        },
        Err(e) => Endpoint::Missing(format!("{e}; {SET_CRATES_INDEX}")),
    }
}

fn protocol_git(origin: &str) -> Endpoint {
    Endpoint::Missing(format!(
        "cargo is configured to use the crates-io index over git ({origin}), which cannot be read over HTTP; {SET_CRATES_INDEX}, or set CARGO_REGISTRIES_CRATES_IO_PROTOCOL=sparse"
    ))
}

/// A replacement tame-index does not follow: one in an older
/// `.cargo/config` file, one naming a `[registries.NAME]` rather than a
/// `[source.NAME]`, or a vendored directory.
fn replacement_tame_index_skips(settings: &CargoSettings, name: &str, origin: &str) -> Endpoint {
    if let Some(index) = settings
        .lookup("source", name, "registry")
        .or_else(|| settings.lookup("registries", name, "index"))
    {
        return cargo_url(origin, &index);
    }
    let quoted = json::quoted(name);
    if let Some(dir) = settings
        .lookup("source", name, "directory")
        .or_else(|| settings.lookup("source", name, "local-registry"))
    {
        return Endpoint::Missing(format!(
            "{origin} uses {quoted}, the crates in {}, which has no index to ask over HTTP; {SET_CRATES_INDEX}",
            json::quoted(&dir)
        ));
    }
    Endpoint::Missing(format!(
        "{origin} names {quoted}, which no source or registry of cargo's configuration defines; {SET_CRATES_INDEX}"
    ))
}

/// `key = value` from an INI-style file, in `section` (or outside any section).
fn ini_value(path: &Path, section: Option<&str>, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut current: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = Some(s.trim().to_string());
            continue;
        }
        if let Some((k, v)) = line.split_once('=')
            && k.trim() == key
            && current.as_deref() == section
        {
            return Some(v.trim().to_string());
        }
    }
    None
}

/// Run a client to ask its setting, giving up after a few seconds.
fn run_with_timeout(program: &str, args: &[&str]) -> Option<String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => break,
            Ok(Some(_)) => return None,
            Ok(None) if std::time::Instant::now() > deadline => {
                let _ = child.kill();
                return None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => return None,
        }
    }
    let mut out = String::new();
    use std::io::Read;
    child.stdout.take()?.read_to_string(&mut out).ok()?;
    let v = out.trim().to_string();
    (!v.is_empty() && v != "undefined").then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    static ASKED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

    fn slow_client() -> Endpoint {
        ASKED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(200));
        Endpoint::Url {
            url: parse("test", "http://127.0.0.1:9/npm").unwrap(),
            from: "npm config get registry".into(),
        }
    }

    #[test]
    fn a_client_named_in_the_text_is_asked_once_however_often_it_is_needed() {
        let map = BTreeMap::from([
            (Service::Npm, Endpoint::Discover(slow_client)),
            (Service::PyPi, Endpoint::Discover(slow_client)),
        ]);
        let discovered = map
            .keys()
            .map(|s| (*s, std::sync::OnceLock::new()))
            .collect();
        let e = Endpoints {
            map,
            discovered: Arc::new(discovered),
            asking: Arc::default(),
        };
        // The text names npm packages only (a PyPI name without its type
        // does not count).
        e.discover_for_text(b"{\"purl\":\"pkg:npm/left-pad@1.3.0\",\"name\":\"pypi\"}");
        e.discover_for_text(b"pkg:npm/left-pad@1.3.0");
        e.discover_in_background([Service::Npm]);
        // Needed while it is still being asked: waits for that answer.
        let waiters: Vec<_> = (0..4)
            .map(|_| {
                let e = e.clone();
                std::thread::spawn(move || e.get(Service::Npm).url().cloned())
            })
            .collect();
        for w in waiters {
            assert_eq!(
                w.join().unwrap().unwrap().as_str(),
                "http://127.0.0.1:9/npm/"
            );
        }
        assert_eq!(ASKED.load(std::sync::atomic::Ordering::SeqCst), 1);
        // PyPI's client was not asked, and is asked when needed.
        assert!(e.discovered[&Service::PyPi].get().is_none());
        assert!(e.get(Service::PyPi).url().is_some());
        assert_eq!(ASKED.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[test]
    fn bases_end_in_a_slash_and_refuse_other_schemes() {
        assert_eq!(
            parse("x", "http://127.0.0.1:9/osv").unwrap().as_str(),
            "http://127.0.0.1:9/osv/"
        );
        assert!(parse("x", "file:///etc").is_err());
        assert_eq!(
            parse_cargo("x", "sparse+http://127.0.0.1:9/index/")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:9/index/"
        );
        assert!(parse_cargo("x", "git+https://example.invalid/index.git").is_err());
        assert_eq!(
            parse_pypi("x", "http://127.0.0.1:9/pypi/simple/")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:9/pypi/"
        );
        let e = parse("TACOS_NPM_REGISTRY_URL", "ftp://u:hunter2@host/npm").unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
        assert!(parse("x", "not a url").is_err());
    }

    /// A working directory and a cargo home, empty, with `cargo -V`
    /// answering `version`: cargo's index as resolved there.
    fn cargo_index_with(config: Option<&str>, version: Option<&str>) -> (Endpoint, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            std::env::var_os("CARGO_REGISTRIES_CRATES_IO_PROTOCOL").is_none(),
            "these tests need CARGO_REGISTRIES_CRATES_IO_PROTOCOL unset"
        );
        let (root, home) = (dir.path().join("project"), dir.path().join("cargo-home"));
        std::fs::create_dir_all(root.join(".cargo")).unwrap();
        std::fs::create_dir_all(&home).unwrap();
        let file = root.join(".cargo/config.toml");
        if let Some(c) = config {
            std::fs::write(&file, c).unwrap();
        }
        let version = version.map(str::to_string);
        (cargo_index_in(Some(&root), Some(&home), || version), file)
    }

    #[test]
    fn without_configuration_the_index_is_cargos_default_for_its_version() {
        let default = parse_cargo("default", tame_index::CRATES_IO_HTTP_INDEX).unwrap();
        let (e, _) = cargo_index_with(None, Some("cargo 1.85.0 (d73d2caf9 2024-12-31)"));
        let Endpoint::Url { url, from } = e else {
            panic!("{e:?}")
        };
        assert_eq!(url, default);
        assert_eq!(
            from,
            "cargo's built-in default (cargo 1.85.0, sparse protocol)"
        );
        // No cargo to ask: every cargo since 1.70 defaults to sparse.
        let (e, _) = cargo_index_with(None, None);
        let Endpoint::Url { url, from } = e else {
            panic!("{e:?}")
        };
        assert_eq!(url, default);
        assert!(from.contains("cargo was not found"), "{from}");
        // A cargo before 1.70 reads the index over git: nothing to read.
        let (e, _) = cargo_index_with(None, Some("cargo 1.68.2 (6feb7c9cf 2023-03-26)"));
        let Endpoint::Missing(why) = e else {
            panic!("{e:?}")
        };
        assert!(why.contains("cargo 1.68.2, git protocol"), "{why}");
        assert!(
            why.contains("TACOS_CRATES_INDEX_URL") && !why.contains('<'),
            "{why}"
        );
    }

    #[test]
    fn a_source_replacement_is_named_by_its_file() {
        let mirror = "[source.crates-io]\nreplace-with = \"mirror\"\n[source.mirror]\nregistry = \"sparse+http://127.0.0.1:9/mirror/\"\n";
        let (e, file) = cargo_index_with(Some(mirror), Some("not asked"));
        let Endpoint::Url { url, from } = e else {
            panic!("{e:?}")
        };
        assert_eq!(url.as_str(), "http://127.0.0.1:9/mirror/");
        assert_eq!(
            from,
            format!("cargo's source replacement in {}", file.display())
        );
        // Naming a registry rather than a source (tame-index follows only
        // sources).
        let registry = "[source.crates-io]\nreplace-with = \"corp\"\n[registries.corp]\nindex = \"sparse+http://127.0.0.1:9/corp/\"\n";
        let (e, _) = cargo_index_with(Some(registry), None);
        assert_eq!(e.url().unwrap().as_str(), "http://127.0.0.1:9/corp/");
        // A local registry or vendored directory has no index to ask.
        for vendored in ["local-registry = \"/srv/crates\"", "directory = \"vendor\""] {
            let text =
                format!("[source.crates-io]\nreplace-with = \"v\"\n[source.v]\n{vendored}\n");
            let (e, file) = cargo_index_with(Some(&text), None);
            let Endpoint::Missing(why) = e else {
                panic!("{e:?}")
            };
            assert!(why.contains(&file.display().to_string()), "{why}");
            assert!(why.contains("TACOS_CRATES_INDEX_URL"), "{why}");
        }
    }

    #[test]
    fn a_cargo_configuration_that_is_not_toml_is_named() {
        let (e, file) = cargo_index_with(Some("[source.crates-io\nreplace-with = 1"), None);
        let Endpoint::Missing(why) = e else {
            panic!("{e:?}")
        };
        assert!(why.contains(&file.display().to_string()), "{why}");
        assert!(why.contains("not valid TOML"), "{why}");
    }

    #[test]
    fn reads_ini_values_by_section() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("pip.conf");
        std::fs::write(&f, "[install]\nindex-url = http://a.invalid/x\n[global]\nindex-url = http://b.invalid/simple\n").unwrap();
        assert_eq!(
            ini_value(&f, Some("global"), "index-url").as_deref(),
            Some("http://b.invalid/simple")
        );
        let rc = dir.path().join(".npmrc");
        std::fs::write(&rc, "fund=false\nregistry=http://c.invalid/\n").unwrap();
        assert_eq!(
            ini_value(&rc, None, "registry").as_deref(),
            Some("http://c.invalid/")
        );
    }
}
