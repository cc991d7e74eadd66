//! What a run uses besides its inputs — the configuration, the endpoints,
//! the cache, the signing key — and so which files no output may land on.

use std::path::{Path, PathBuf};

use super::EnrichError;
use crate::assess::session;
use crate::attest::keychoice::{self, KeySource};
use crate::attest::keyfile;
use crate::config::{self, Config};
use crate::fsutil;
use crate::sbom::STDIO;
use crate::sources::endpoints::{EndpointInfo, Endpoints};

/// What no output may land on, by file identity (so that a symbolic or
/// hard link under the output's name is caught): the signing key `key`
/// names and its public half, the default key's files, the assessment
/// store's files, anything in the cache directory, and the files named in
/// `inputs`.
pub fn protected<'a>(
    config: &Config,
    session: &session::Options,
    key: &KeySource,
    inputs: impl IntoIterator<Item = &'a Path>,
) -> fsutil::Protected {
    let mut p = fsutil::Protected::default();
    for i in inputs {
        if i != Path::new(STDIO) {
            p.file(i, "the input");
        }
    }
    if let KeySource::File(k, _) = key {
        p.file(k, "the signing key");
        p.file(&k.with_extension("pub"), "the signing key's public key");
    }
    if let Some(dir) = keyfile::default_key_dir() {
        for name in [
            keyfile::DEFAULT_KEY_FILE,
            keyfile::DEFAULT_PUBLIC_KEY_FILE,
            keyfile::LEGACY_KEY_FILE,
            keyfile::LEGACY_PUBLIC_KEY_FILE,
        ] {
            p.file(&dir.join(name), "the default signing key's file");
        }
    }
    if let Some(dir) = session::cache_dir(session, config) {
        p.dir(&dir, "the cache directory");
    }
    for f in session::store_files(session, config) {
        p.file(&f, "the assessment store");
    }
    p
}

/// Where the cache directory's setting came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheFrom {
    /// `--cache-dir`.
    Given,
    /// `[cache] dir` in the configuration file.
    ConfigFile,
    /// The platform's cache directory.
    Platform,
}

/// What an enrich run with these settings would use, and where each came
/// from, found without asking any service (the ecosystems' own clients are
/// asked for their registry settings, as a run would).
#[derive(Debug)]
pub struct Setup {
    /// The configuration file read, if any.
    pub config_file: Option<PathBuf>,
    pub config: Config,
    pub endpoints: Vec<EndpointInfo>,
    pub cache_dir: Option<PathBuf>,
    pub cache_from: CacheFrom,
    /// Where the signing key would come from.
    pub key: KeySource,
    /// The key file a run would read, or create (the default key).
    pub key_file: Option<PathBuf>,
    /// Whether that file exists.
    pub key_exists: bool,
    /// The key id of that key, if it exists and can be read.
    pub key_id: Option<String>,
    /// Whether this runs in CI (where there is no default key).
    pub ci: bool,
}

impl Setup {
    /// The setup of a run given `config` (`--config`), `key` (`--key`) and
    /// `cache_dir` (`--cache-dir`).
    pub fn gather(
        config: Option<&Path>,
        key: Option<&Path>,
        cache_dir: Option<&Path>,
    ) -> Result<Setup, EnrichError> {
        let config_file = config.map(Path::to_path_buf).or_else(|| {
            let p = PathBuf::from(config::DEFAULT_FILE);
            p.exists().then_some(p)
        });
        let config = Config::load(config)?;
        let endpoints = Endpoints::resolve(&config)?.describe();
        let (cache_dir, cache_from) = match (cache_dir, &config.cache.dir) {
            (Some(d), _) => (Some(d.to_path_buf()), CacheFrom::Given),
            (None, Some(d)) => (Some(d.clone()), CacheFrom::ConfigFile),
            (None, None) => (session::default_cache_dir(), CacheFrom::Platform),
        };
        let key = KeySource::choose(key, false);
        let key_file = match &key {
            KeySource::File(p, _) => Some(p.clone()),
            KeySource::Default(Some(dir)) => {
                let legacy = dir.join(keyfile::LEGACY_KEY_FILE);
                let current = dir.join(keyfile::DEFAULT_KEY_FILE);
                Some(if !current.exists() && legacy.exists() {
                    legacy
                } else {
                    current
                })
            }
            KeySource::Default(None) | KeySource::RefusedInCi | KeySource::Ephemeral => None,
        };
        let key_exists = key_file.as_deref().is_some_and(Path::exists);
        let key_id = key_file
            .as_deref()
            .filter(|_| key_exists)
            .and_then(|p| {
                keyfile::read_signing_key(p, keychoice::cosign_password().as_deref()).ok()
            })
            .map(|k| k.public_key().key_id());
        Ok(Setup {
            config_file,
            config,
            endpoints,
            cache_dir,
            cache_from,
            key,
            key_file,
            key_exists,
            key_id,
            ci: keychoice::in_ci(),
        })
    }
}
