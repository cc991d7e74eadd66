//! One assessment run: configuration, endpoints, cache, the offline OSV
//! database and published reports put together, and an async runtime to
//! drive them from synchronous callers.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use time::OffsetDateTime;
use url::Url;

use super::gather::{Assessor, Progress};
use super::merge::{self, Conflict};
use crate::config::Config;
use crate::purl::Purl;
use crate::sources::cache::Cache;
use crate::sources::endpoints::Endpoints;
use crate::sources::http::{Client, Service, Stats};
use crate::sources::hub::{Limits, Sources};
use crate::sources::osv_db::OsvDb;
use crate::sources::reports::{self, ReportIndex};
use crate::tacos::Statement;

/// What the command line adds to the configuration.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub offline: bool,
    pub osv_db: Option<PathBuf>,
    pub reports: Option<String>,
    pub cache_dir: Option<PathBuf>,
    pub no_cache: bool,
    pub concurrency: Option<usize>,
}

pub struct Session {
    runtime: tokio::runtime::Runtime,
    assessor: Assessor,
    sources: Arc<Sources>,
    reports: ReportIndex,
    /// Problems met while reading published reports, reported once.
    pub notes: Vec<String>,
    config: Config,
}

/// What an assessment produced besides the statements.
#[derive(Debug, Default)]
pub struct Outcome {
    pub statements: Vec<Statement>,
    pub conflicts: Vec<Conflict>,
}

/// The default cache directory: the platform's cache directory
/// (`$XDG_CACHE_HOME`, else `~/.cache`, as etcetera reads them) + `tacos-sbom`.
pub fn default_cache_dir() -> Option<PathBuf> {
    use etcetera::BaseStrategy as _;
    etcetera::choose_base_strategy()
        .ok()
        .map(|s| s.cache_dir().join("tacos-sbom"))
}

impl Session {
    pub fn open(config: Config, opts: &Options, now: OffsetDateTime) -> Result<Session, String> {
        let mut network = config.network.clone();
        if let Some(n) = opts.concurrency {
            if n == 0 {
                return Err("--concurrency must be at least 1".into());
            }
            network.concurrency = n;
        }
        let endpoints = Endpoints::resolve(&config).map_err(|e| e.to_string())?;
        let mut notes = Vec::new();
        let cache = if opts.no_cache {
            None
        } else {
            let dir = opts
                .cache_dir
                .clone()
                .or_else(|| config.cache.dir.clone())
                .or_else(default_cache_dir);
            match dir.map(|d| Cache::open(&d)) {
                Some(Ok(c)) => Some(c),
                // A cache only saves requests: without one the run goes on.
                Some(Err(e)) if !opts.offline => {
                    notes.push(format!("{e}; going on without a cache"));
                    None
                }
                Some(Err(e)) => return Err(e.to_string()),
                None => None,
            }
        };
        if opts.offline && cache.is_none() && opts.osv_db.is_none() {
            return Err(
                "--offline needs the cache or --osv-db to answer from; --no-cache leaves nothing"
                    .into(),
            );
        }
        let osv_db = match &opts.osv_db {
            Some(p) => Some((p.clone(), OsvDb::load(p).map_err(|e| e.to_string())?)),
            None => None,
        };
        let client = Client::new(
            network,
            endpoints.hosts(),
            cache,
            config.cache.ttl_hours,
            opts.offline,
        )?;
        let osv_web =
            std::env::var("TACOS_OSV_WEB_URL").unwrap_or_else(|_| "https://osv.dev".into());
        let limits = Limits {
            now,
            max_osv_db_age_days: config.assessment.max_osv_db_age_days,
            max_scorecard_age_days: config.assessment.max_scorecard_age_days,
        };
        let sources = Arc::new(Sources::new(client, endpoints, osv_db, osv_web, limits));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))?;
        let mut published = Vec::new();
        let report_key = match &config.reports.key {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    format!("{}: cannot read the [reports] key: {e}", path.display())
                })?;
                Some(
                    crate::attest::PublicKey::from_pem(&text)
                        .map_err(|e| format!("{}: {e}", path.display()))?,
                )
            }
            None => None,
        };
        if let Some(src) = &opts.reports {
            let (found, errors) =
                runtime.block_on(load_reports(&sources, src, report_key.as_ref()));
            published.extend(found);
            notes.extend(errors);
        }
        if let (Some(org), Some(project)) =
            (&config.tidelift.organization, &config.tidelift.project)
        {
            match std::env::var("TIDELIFT_API_KEY") {
                Ok(token) if !token.is_empty() => {
                    match runtime.block_on(tidelift(&sources, org, project, &token, report_key.as_ref())) {
                        Ok(r) => published.push(r),
                        Err(e) => notes.push(e),
                    }
                }
                _ => notes.push("Tidelift is configured but TIDELIFT_API_KEY is not set; its report was not fetched".into()),
            }
        }
        let assessor = Assessor {
            sources: sources.clone(),
            cfg: config.assessment.clone(),
            now,
        };
        Ok(Session {
            runtime,
            assessor,
            sources,
            reports: ReportIndex::new(published),
            notes,
            config,
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Assess `packages` and merge what published reports say.
    pub fn assess(&self, packages: &[(Purl, Vec<String>)], progress: &dyn Progress) -> Outcome {
        let mut statements = self
            .runtime
            .block_on(self.assessor.assess(packages, progress));
        let mut conflicts = Vec::new();
        let freshness = merge::Freshness {
            now: self.assessor.now,
            max_age_days: self.config.reports.max_age_days,
        };
        for ((purl, _), statement) in packages.iter().zip(statements.iter_mut()) {
            let found = self.reports.find(purl);
            if !found.is_empty() {
                conflicts.extend(merge::merge(statement, &found, freshness));
            }
        }
        Outcome {
            statements,
            conflicts,
        }
    }

    pub fn stats(&self) -> BTreeMap<Service, Stats> {
        self.sources.stats()
    }

    pub fn down_services(&self) -> BTreeMap<Service, String> {
        self.sources.client().down_services()
    }

    pub fn is_offline(&self) -> bool {
        self.sources.client().is_offline()
    }

    /// Registries that packages needed but that have no endpoint: per
    /// service, the number of packages and why (with the fix).
    pub fn unconfigured(&self) -> BTreeMap<Service, (usize, String)> {
        self.sources.unconfigured()
    }

    /// Every endpoint in effect and where it came from.
    pub fn endpoints(&self) -> Vec<crate::sources::endpoints::EndpointInfo> {
        self.sources.endpoints().describe()
    }

    /// Problems that did not stop the run (the cache could not be written).
    pub fn warnings(&self) -> Vec<String> {
        self.sources.client().warnings()
    }
}

async fn load_reports(
    sources: &Sources,
    src: &str,
    key: Option<&crate::attest::PublicKey>,
) -> (Vec<reports::PublishedReport>, Vec<String>) {
    if src.starts_with("https://") || src.starts_with("http://") {
        let url = match Url::parse(src) {
            Ok(u) => u,
            Err(e) => return (vec![], vec![format!("--reports {src:?}: {e}")]),
        };
        return match sources.client().get(Service::Reports, &url).await {
            Ok(f) if f.status == 200 => {
                match reports::read_report(&String::from_utf8_lossy(&f.body), &f.url, key) {
                    Ok(r) => {
                        sources.client().remember(&f);
                        (vec![r], vec![])
                    }
                    Err(e) => (vec![], vec![e.to_string()]),
                }
            }
            Ok(f) => (vec![], vec![format!("{}: HTTP {}", f.url, f.status)]),
            Err(e) => (vec![], vec![e.to_string()]),
        };
    }
    let (found, errors) = reports::load_dir_or_file(std::path::Path::new(src), key);
    (found, errors.into_iter().map(|e| e.to_string()).collect())
}

async fn tidelift(
    sources: &Sources,
    org: &str,
    project: &str,
    token: &str,
    key: Option<&crate::attest::PublicKey>,
) -> Result<reports::PublishedReport, String> {
    let base = sources
        .tidelift_base()
        .ok_or("Tidelift endpoint is not configured")?;
    let url = base
        .join(reports::tidelift_report_path(org, project).trim_start_matches('/'))
        .map_err(|e| e.to_string())?;
    let f = sources
        .client()
        .get_with_token(Service::Tidelift, &url, token)
        .await
        .map_err(|e| e.to_string())?;
    if f.status != 200 {
        return Err(format!("{}: HTTP {}", f.url, f.status));
    }
    reports::read_report(&String::from_utf8_lossy(&f.body), &f.url, key).map_err(|e| e.to_string())
}
