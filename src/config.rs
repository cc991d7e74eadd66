//! Configuration: `tacos-sbom.toml`, environment variables and flags.
//!
//! Every value is read in this order: command-line flag, environment
//! variable, config file, default. Package registries have no built-in
//! endpoint: theirs come from the ecosystem's own client settings
//! (see [`crate::sources::endpoints`]) or from here.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The file read when `--config` is not given and it exists.
pub const DEFAULT_FILE: &str = "tacos-sbom.toml";

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub endpoints: Endpoints,
    #[serde(default)]
    pub network: Network,
    #[serde(default)]
    pub cache: Cache,
    #[serde(default)]
    pub assessment: Assessment,
    #[serde(default)]
    pub report: Report,
    #[serde(default)]
    pub reports: Reports,
    #[serde(default)]
    pub store: Store,
    #[serde(default)]
    pub tidelift: Tidelift,
    #[serde(default)]
    pub self_attestation: SelfAttestation,
    #[serde(default)]
    pub policy: Policy,
    #[serde(default)]
    pub input: Input,
    #[serde(default)]
    pub output: OutputSettings,
}

/// Base URLs of the upstream services.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Endpoints {
    pub depsdev: Option<String>,
    pub osv: Option<String>,
    pub scorecard: Option<String>,
    pub npm: Option<String>,
    pub pypi: Option<String>,
    pub crates_index: Option<String>,
    pub crates_api: Option<String>,
    pub github: Option<String>,
    pub tidelift: Option<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Network {
    /// Requests in flight at once to one host.
    pub concurrency: usize,
    /// Seconds before one attempt is abandoned.
    pub timeout_seconds: u64,
    /// Attempts after the first, for transient faults (timeouts, 5xx, 429).
    pub retries: u32,
    /// Longest `Retry-After` honoured, in seconds; a longer one ends the attempts.
    pub max_retry_after_seconds: u64,
    /// Largest response body accepted (after decompression).
    pub max_response_bytes: u64,
}

impl Default for Network {
    fn default() -> Self {
        Network {
            concurrency: 8,
            timeout_seconds: 30,
            retries: 3,
            max_retry_after_seconds: 60,
            max_response_bytes: 64 << 20,
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Cache {
    pub dir: Option<PathBuf>,
    /// How long an answer stays fresh.
    pub ttl_hours: u64,
}

impl Default for Cache {
    fn default() -> Self {
        Cache {
            dir: None,
            ttl_hours: 24,
        }
    }
}

/// Thresholds that turn observations into values.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Assessment {
    /// A package with no release for this many days is Inactive.
    pub inactive_after_days: i64,
    /// Scorecard check scores (0-10) at or above which the check passes.
    pub scorecard_binary_artifacts: i32,
    pub scorecard_code_review: i32,
    pub scorecard_fuzzing: i32,
    pub scorecard_maintained: i32,
    pub scorecard_security_policy: i32,
    /// Most packages in one resolved dependency graph; a larger graph leaves
    /// DependenciesAreManaged and CleanReleaseAvailable NOASSERTION.
    pub max_dependencies: usize,
    /// An offline OSV database older than this (its newest record) can
    /// prove a vulnerability but not the absence of one.
    pub max_osv_db_age_days: i64,
    /// A Scorecard result older than this can establish a failing check,
    /// not a passing one.
    pub max_scorecard_age_days: i64,
    /// A Security Insights file last reviewed longer ago than this decides
    /// nothing: its maintainers no longer vouch for it.
    pub max_insights_age_days: i64,
}

impl Default for Assessment {
    fn default() -> Self {
        Assessment {
            inactive_after_days: 730,
            scorecard_binary_artifacts: 10,
            scorecard_code_review: 7,
            scorecard_fuzzing: 10,
            scorecard_maintained: 5,
            scorecard_security_policy: 5,
            max_dependencies: 500,
            max_osv_db_age_days: 7,
            max_scorecard_age_days: 30,
            max_insights_age_days: 365,
        }
    }
}

/// The assessment store shared by runs (and runners).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Store {
    /// `postgres://user@host/db` for a fleet, or a SQLite file; default: a
    /// SQLite file in the cache directory. `TACOS_STORE_URL` and `--store`
    /// override it.
    pub url: Option<String>,
    /// How long a runner's claim on a package lasts unless renewed: the
    /// runner renews it every third of this while it works, so a runner
    /// that died holds its packages no longer than this.
    pub claim_seconds: i64,
    /// Connections to PostgreSQL per runner.
    pub pool_size: usize,
    /// A file holding the store key (a secret of at least 16 bytes) that
    /// every row is sealed with; `TACOS_STORE_KEY` overrides it. A SQLite
    /// store without one keeps its own beside it; PostgreSQL needs one.
    pub key_file: Option<PathBuf>,
}

impl Default for Store {
    fn default() -> Self {
        Store {
            url: None,
            claim_seconds: 10,
            pool_size: 8,
            key_file: None,
        }
    }
}

/// Published TACOS reports merged into the assessment.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Reports {
    /// Fields that change with time (vulnerabilities, dependencies, status,
    /// maintainers, the latest release and its license) count from a report
    /// no older than this.
    pub max_age_days: i64,
    /// A public key (SPKI PEM) that signed reports must verify with; signed
    /// reports are checked only when it is set, and the evidence says so.
    pub key: Option<PathBuf>,
}

impl Default for Reports {
    fn default() -> Self {
        Reports {
            max_age_days: 180,
            key: None,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// Added to the report author: `Tool: tacos-sbom-<version>; Organization: <this>`.
    pub organization: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Tidelift {
    pub organization: Option<String>,
    pub project: Option<String>,
}

/// How maintainers' self-attestations are checked.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SelfAttestation {
    /// The Sigstore trusted root keyless self-attestations must chain to;
    /// default: the public-good instance's, built in.
    pub trusted_root: Option<PathBuf>,
    /// A self-attestation signed before the release in use was published
    /// counts only while it is younger than this.
    pub max_age_days: i64,
}

impl Default for SelfAttestation {
    fn default() -> Self {
        SelfAttestation {
            trusted_root: None,
            max_age_days: 365,
        }
    }
}

/// Bounds on the SBOMs read.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Input {
    /// Largest SBOM read, in bytes; may lower the built-in 1 GiB, not raise it.
    pub max_bytes: u64,
}

impl Default for Input {
    fn default() -> Self {
        Input {
            max_bytes: crate::sbom::MAX_INPUT_BYTES,
        }
    }
}

/// How `enrich` writes its artifacts.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OutputSettings {
    /// `files` (one per package) or `bundle` (one JSON Lines file); `--layout`
    /// overrides it.
    pub layout: Option<Layout>,
    /// `dsse` (bare DSSE envelopes) or `bundle` (Sigstore bundles around
    /// them); `--envelope` overrides it.
    pub envelope: Option<crate::attest::Form>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl Config {
    /// Load `explicit` (which must exist), else `./tacos-sbom.toml` if it
    /// exists, else the defaults.
    pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None => {
                let p = PathBuf::from(DEFAULT_FILE);
                if !p.exists() {
                    return Ok(Config::default());
                }
                p
            }
        };
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        Config::parse(&text, &path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            path: path.to_path_buf(),
            message: located(text, &e),
        })?;
        if config.network.concurrency == 0 {
            return Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                message: "network.concurrency must be at least 1".into(),
            });
        }
        if !(1..=crate::sbom::MAX_INPUT_BYTES).contains(&config.input.max_bytes) {
            return Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                message: format!(
                    "input.max_bytes must be between 1 and {} (it can lower the built-in limit, not raise it)",
                    crate::sbom::MAX_INPUT_BYTES
                ),
            });
        }
        Ok(config)
    }
}

/// A TOML error with the line it points at.
fn located(text: &str, e: &toml::de::Error) -> String {
    let message = e.message().to_string();
    match e.span() {
        Some(span) => {
            let line = text[..span.start].matches('\n').count() + 1;
            format!("line {line}: {message}")
        }
        None => message,
    }
}

/// The `[policy]` gate's rules (see `report::policy`, which checks them).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// `Field=Value` rules, e.g. `FixedVulnerabilities=False`.
    #[serde(default)]
    pub fail_on: Vec<String>,
    /// Fail when more than this percentage of attestation values is NOASSERTION.
    #[serde(default)]
    pub max_noassertion_percent: Option<f64>,
    /// Fail when packages of an ecosystem got no registry data because no
    /// registry is configured or discoverable for it.
    #[serde(default)]
    pub require_sources: bool,
    /// Fail on each known vulnerability in a version in use that no VEX
    /// statement about that very component answers (the application's
    /// view: the SBOM's own CycloneDX analyses and `--vex` documents).
    #[serde(default)]
    pub fail_on_vulnerabilities: bool,
}

/// How the package artifacts lie in the attestations directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// One DSSE envelope file per package: what other tools expect to fetch
    /// by URL, so the default.
    #[default]
    Files,
    /// Every envelope as one line of a single JSON Lines file: one file to
    /// create instead of thousands, for bulk runs.
    Bundle,
}

impl Layout {
    /// The values `--layout` and `[output] layout` take.
    pub const NAMES: &'static [&'static str] = &["files", "bundle"];

    /// Taken only as written, like every enumerated value (see `suggest`).
    pub fn parse(s: &str) -> Result<Layout, crate::suggest::Unknown> {
        crate::suggest::check("layout", s, Self::NAMES)?;
        Ok(if s == "bundle" {
            Layout::Bundle
        } else {
            Layout::Files
        })
    }
}

impl<'de> serde::Deserialize<'de> for Layout {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Layout, D::Error> {
        let s = String::deserialize(d)?;
        Layout::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_names_unknown_keys_with_their_line() {
        let c = Config::parse(
            "[endpoints]\nosv = \"http://127.0.0.1:1\"\n[assessment]\ninactive_after_days = 365\n",
            Path::new("t.toml"),
        )
        .unwrap();
        assert_eq!(c.endpoints.osv.as_deref(), Some("http://127.0.0.1:1"));
        assert_eq!(c.assessment.inactive_after_days, 365);
        assert_eq!(c.assessment.scorecard_code_review, 7);
        let e = Config::parse("[network]\nconcurency = 3\n", Path::new("t.toml")).unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("t.toml: line 2:"), "{msg}");
        assert!(msg.contains("concurency"), "{msg}");
    }

    #[test]
    fn the_envelope_is_taken_only_as_written() {
        let c = Config::parse("[output]\nenvelope = \"bundle\"\n", Path::new("t.toml")).unwrap();
        assert_eq!(c.output.envelope, Some(crate::attest::Form::SigstoreBundle));
        let c = Config::parse("[output]\nenvelope = \"dsse\"\n", Path::new("t.toml")).unwrap();
        assert_eq!(c.output.envelope, Some(crate::attest::Form::Dsse));
        let e = Config::parse("[output]\nenvelope = \"sigstore\"\n", Path::new("t.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("t.toml: line 2:") && e.contains("dsse, bundle"),
            "{e}"
        );
    }

    #[test]
    fn the_layout_is_taken_only_as_written() {
        let c = Config::parse("[output]\nlayout = \"bundle\"\n", Path::new("t.toml")).unwrap();
        assert_eq!(c.output.layout, Some(Layout::Bundle));
        let e = Config::parse("[output]\nlayout = \"Bundle\"\n", Path::new("t.toml")).unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("t.toml: line 2:"), "{msg}");
        assert!(
            msg.contains("files, bundle") && msg.contains("did you mean \"bundle\""),
            "{msg}"
        );
    }
}
