//! The pipeline: read SBOMs, resolve PURLs, assess each distinct package once,
//! sign one artifact per package (a file each, or a line each of one
//! bundle), and write each SBOM back with references.
//!
//! One file per step, in the order of a run: `inputs` (what to read and
//! where each output goes), `plan` (reading, resolving, checking the
//! outputs), `sign` and `links` (the artifacts and their URLs), `write`
//! (each SBOM, and `rollback` of what a failed run wrote), and `run`, the
//! whole job in that order. [`setup`] says what a run would use besides its
//! inputs (key, cache, store) and which files no output may land on.

use std::path::PathBuf;

use time::OffsetDateTime;
use url::Url;

use crate::attest;
use crate::config::Layout;
use crate::sbom::{Format, SbomError, Tool};

mod declarations;
mod inputs;
pub mod keyless;
mod links;
mod plan;
mod rollback;
mod run;
pub mod setup;
mod sign;
mod statements;
mod write;

pub use inputs::{Input, InputsError, derived_name, expand_inputs, list_inputs};
pub use links::BaseUrlError;
pub use plan::{Plan, plan, plan_with};
pub use run::{Done, Event, Job, Outcome, PolicyFlags, PolicyOutcome, now, run};
pub use statements::Statements;
pub use write::{execute, execute_stamped};

pub fn tool() -> Tool {
    Tool {
        vendor: "tacos-sbom".into(),
        name: "tacos-sbom".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }
}

/// Where enriched SBOMs go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Beside each input, named by [`derived_name`]: `.tacos` before its
    /// format suffix (`bom.cdx.json` → `bom.tacos.cdx.json`).
    Beside,
    /// This file (one input only).
    File(PathBuf),
    /// Into this directory, each under its derived name.
    Dir(PathBuf),
    /// Over the input, atomically.
    InPlace,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub output: Output,
    pub attestations_dir: Option<PathBuf>,
    pub base_url: Option<Url>,
    pub now: OffsetDateTime,
    /// Named in the reports' author beside the tool.
    pub organization: Option<String>,
    /// Also express the assessment as CycloneDX 1.6 `declarations`.
    pub declarations: bool,
    /// Also write the known vulnerabilities of the versions in use into
    /// CycloneDX JSON outputs' `vulnerabilities` (1.4 and later).
    pub vulnerabilities: bool,
    /// Largest SBOM read, in bytes (`[input] max_bytes`).
    pub max_input_bytes: u64,
    /// One file per package, or one bundle of them all.
    pub layout: Layout,
    /// Each envelope bare, or in a Sigstore bundle.
    pub envelope: crate::attest::Form,
    /// The application report's subject instead of the application's name:
    /// the image it will be attached to (`--attach`), so that verifiers
    /// that match an attestation's subject to the image (cosign) find it.
    pub report_subject: Option<crate::attest::Subject>,
}

/// Progress and notes for a person watching; the CLI decides how to show them.
pub trait Reporter: Sync {
    fn note(&self, message: &str);
    /// `done` of `total` in `phase` ("reading", "signing", "writing").
    fn progress(&self, phase: &str, done: usize, total: usize);
    /// A step of [`run`] happened; shown as the watcher sees fit (by
    /// default, not at all).
    fn event(&self, _event: &Event<'_>) {}
}

/// A value from the input as a message shows it: at most 200 characters,
/// so that a huge one cannot flood the terminal.
fn shown(s: &str) -> std::borrow::Cow<'_, str> {
    const MAX: usize = 200;
    match s.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}... ({} bytes)", &s[..cut], s.len()).into(),
        None => s.into(),
    }
}

/// Why a component got no reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub component: String,
    pub reason: SkipReason,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    NoPurl,
    InvalidPurl { purl: String, why: String },
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::NoPurl => f.write_str("no package URL"),
            SkipReason::InvalidPurl { purl, why } => {
                write!(f, "invalid package URL {:?}: {why}", shown(purl))
            }
        }
    }
}

/// What happened to one input.
#[derive(Debug, Clone)]
pub struct DocSummary {
    pub input: PathBuf,
    pub output: PathBuf,
    pub format: Format,
    pub subject: Option<String>,
    /// Components other than the subject.
    pub components: usize,
    pub with_purl: usize,
    pub references: usize,
    pub skipped: Vec<Skipped>,
    /// The application's signed TACOS report, when the document has a place
    /// to reference it.
    pub report: Option<PathBuf>,
    /// Why there is no report reference, when there is none.
    pub report_note: Option<String>,
}

#[derive(Debug)]
pub struct Summary {
    pub documents: Vec<DocSummary>,
    /// Inputs that could not be enriched; nothing was written for them.
    pub failures: Vec<EnrichError>,
    pub packages: usize,
    pub artifacts_written: usize,
    pub attestations_dir: Option<PathBuf>,
    pub public_key: Option<PathBuf>,
    /// The attestation bundle, with `Layout::Bundle` (and packages to sign).
    pub bundle: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum EnrichError {
    #[error(transparent)]
    Sbom(#[from] SbomError),
    #[error(
        "{path}: refusing this SBOM: component {component} has a package URL whose name is a path ({purl}); this looks like a path-traversal attempt"
    )]
    PathTraversal {
        path: PathBuf,
        component: String,
        purl: String,
    },
    #[error("{path}: {message}")]
    Output { path: PathBuf, message: String },
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path}: the file changed while this run was enriching it (its SHA-256 is not what was read first); nothing was written for it"
    )]
    Changed { path: PathBuf },
    #[error("{path}: cannot write: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "this run's statements, kept in a scratch file in the temporary directory, could not be written or read back: {source}"
    )]
    Scratch {
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Usage(String),
    #[error("keyless signing: {0}")]
    Keyless(Box<keyless::KeylessError>),
    #[error("signing {purl}: {source}")]
    Sign {
        purl: String,
        #[source]
        source: attest::AttestError,
    },
    #[error(transparent)]
    Inputs(#[from] InputsError),
    #[error(transparent)]
    BaseUrl(#[from] BaseUrlError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Endpoints(#[from] crate::sources::endpoints::EndpointError),
    #[error(transparent)]
    Key(#[from] attest::keychoice::KeyChoiceError),
    /// The policy refused its rules or could not start checking (its
    /// module words why).
    #[error("{0}")]
    Policy(crate::report::policy::PolicyError),
    /// The assessment could not start (its session words why).
    #[error("{0}")]
    Session(crate::assess::session::SessionError),
    /// A VEX document (or an SBOM's own analyses) the policy needs cannot
    /// be used.
    #[error(transparent)]
    Vex(#[from] crate::vex::VexError),
    /// An output cannot be written; the run stopped before writing any.
    #[error("{source}; nothing was written")]
    Unwritable {
        #[source]
        source: Box<EnrichError>,
    },
    #[error("SOURCE_DATE_EPOCH={value:?} is not a number of seconds")]
    EpochNotANumber { value: String },
    #[error("SOURCE_DATE_EPOCH={value:?} is out of range")]
    EpochOutOfRange { value: String },
}

/// Above this many inputs, reading and writing are counted, not listed.
const MAX_LINES_PER_INPUT: usize = 20;

fn scratch(source: std::io::Error) -> EnrichError {
    EnrichError::Scratch { source }
}

impl DocSummary {
    /// The one-line summary printed at the end of a run.
    pub fn line(&self) -> String {
        let mut line = format!(
            "{} -> {}: {}, {} with PURL, {} written",
            self.input.display(),
            self.output.display(),
            crate::term::plural(self.components, "component", "components"),
            self.with_purl,
            crate::term::plural(self.references, "reference", "references")
        );
        if !self.skipped.is_empty() {
            let no_purl = self
                .skipped
                .iter()
                .filter(|s| s.reason == SkipReason::NoPurl)
                .count();
            let invalid = self.skipped.len() - no_purl;
            line.push_str(&format!(
                ", {} skipped ({no_purl} without PURL, {invalid} with an invalid PURL)",
                self.skipped.len()
            ));
        }
        line
    }
}
