//! Where each service lives: flag, environment variable, config file, then
//! a default. Services that are not package registries have built-in
//! defaults; registries take theirs from the ecosystem's own client settings
//! (npm's registry setting, pip's index-url, cargo's source replacement),
//! which is also what users behind a mirror need, or stay unconfigured.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use url::Url;

use super::http::Service;
use crate::config::Config;

/// Built-in endpoints of the services that are not package registries.
const DEPSDEV_DEFAULT: &str = "https://api.deps.dev";
const OSV_DEFAULT: &str = "https://api.osv.dev";
const SCORECARD_DEFAULT: &str = "https://api.securityscorecards.dev";
const GITHUB_DEFAULT: &str = "https://api.github.com";
const TIDELIFT_DEFAULT: &str = "https://api.tidelift.com";

/// A resolved endpoint, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Url {
        url: Url,
        from: String,
    },
    Missing(String),
    /// Asked of the ecosystem's client the first time it is needed (running
    /// `npm` takes a noticeable moment, and most runs have no npm packages).
    Discover,
}

impl Endpoint {
    pub fn url(&self) -> Option<&Url> {
        match self {
            Endpoint::Url { url, .. } => Some(url),
            Endpoint::Missing(_) | Endpoint::Discover => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Endpoints {
    map: BTreeMap<Service, Endpoint>,
    discovered: std::sync::OnceLock<Endpoint>,
}

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

fn parse(setting: &str, value: &str) -> Result<Url, EndpointError> {
    // The value may hold credentials; messages show it redacted.
    let err = |why: &str| EndpointError {
        setting: setting.to_string(),
        value: super::http::redact_text(value),
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
            let ep = if let Some(v) = env(var) {
                Endpoint::Url {
                    url: parse(var, &v)?,
                    from: var.to_string(),
                }
            } else if let Some(v) = configured {
                Endpoint::Url {
                    url: parse("config", v)?,
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
            Endpoint::Discover
        })?;
        pick(Service::PyPi, "TACOS_PYPI_URL", &c.pypi, &pip_index)?;
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
                    "taken from the crates index's config.json when the index is configured".into(),
                )
            },
        )?;
        Ok(Endpoints {
            map,
            discovered: std::sync::OnceLock::new(),
        })
    }

    pub fn get(&self, service: Service) -> &Endpoint {
        match self.map.get(&service).expect("every service is resolved") {
            Endpoint::Discover => self.discovered.get_or_init(npm_client_registry),
            other => other,
        }
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

/// pip's index-url (`PIP_INDEX_URL`, pip config files), turned into the base
/// of the JSON API (`.../simple` → `...`).
fn pip_index() -> Endpoint {
    let mut candidates: Vec<(String, String)> = Vec::new();
    if let Some(v) = env("PIP_INDEX_URL") {
        candidates.push(("PIP_INDEX_URL".into(), v));
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
        if let Some(v) = ini_value(f, Some("global"), "index-url") {
            candidates.push((f.display().to_string(), v));
        }
    }
    for (from, value) in candidates {
        let base = value.trim().trim_end_matches('/');
        let base = base.strip_suffix("/simple").unwrap_or(base);
        if let Ok(url) = parse(&from, base) {
            return Endpoint::Url { url, from };
        }
    }
    Endpoint::Missing(
        "no PyPI index configured: set TACOS_PYPI_URL, PIP_INDEX_URL or pip's index-url, or [endpoints] pypi".into(),
    )
}

/// cargo's source replacement for crates-io (`[source.crates-io]
/// replace-with`, then that source's `registry`), sparse indexes only.
fn cargo_index() -> Endpoint {
    let mut files: Vec<PathBuf> = vec![PathBuf::from(".cargo/config.toml")];
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    if let Some(h) = cargo_home {
        files.push(h.join("config.toml"));
        files.push(h.join("config"));
    }
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        let Ok(doc) = text.parse::<toml::Table>() else {
            continue;
        };
        let source = doc.get("source").and_then(|s| s.as_table());
        let replacement = source
            .and_then(|s| s.get("crates-io"))
            .and_then(|c| c.get("replace-with"))
            .and_then(|r| r.as_str());
        let Some(name) = replacement else {
            continue;
        };
        let index = source
            .and_then(|s| s.get(name))
            .and_then(|s| s.get("registry"))
            .or_else(|| {
                doc.get("registries")
                    .and_then(|r| r.get(name))
                    .and_then(|r| r.get("index"))
            })
            .and_then(|v| v.as_str());
        if let Some(index) = index.and_then(|i| i.strip_prefix("sparse+"))
            && let Ok(url) = parse(&f.display().to_string(), index)
        {
            return Endpoint::Url {
                url,
                from: f.display().to_string(),
            };
        }
    }
    Endpoint::Missing(
        "no sparse crates index configured: set TACOS_CRATES_INDEX_URL, a cargo source replacement, or [endpoints] crates_index".into(),
    )
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

    #[test]
    fn bases_end_in_a_slash_and_refuse_other_schemes() {
        assert_eq!(
            parse("x", "http://127.0.0.1:9/osv").unwrap().as_str(),
            "http://127.0.0.1:9/osv/"
        );
        assert!(parse("x", "file:///etc").is_err());
        let e = parse("TACOS_NPM_REGISTRY_URL", "ftp://u:hunter2@host/npm").unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
        assert!(parse("x", "not a url").is_err());
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
