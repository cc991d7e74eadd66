//! The enrich job, in order: inputs, outputs chosen and checked, the
//! signing key, the assessment, signing and writing, the policy. What a
//! person sees of it is the caller's: steps arrive as [`Event`]s while
//! they happen, the rest is in the [`Outcome`].

use std::path::PathBuf;

use time::OffsetDateTime;

use super::inputs::{self, Input};
use super::links::base_url;
use super::plan::{Plan, plan_with};
use super::{EnrichError, Options, Output, Reporter, Statements, Summary, execute_stamped, setup};
use crate::assess::session::{self, Session};
use crate::assess::{self, InUse};
use crate::attest::keychoice::{self, Chosen, KeySource};
use crate::config::{Config, Layout};
use crate::purl::Purl;
use crate::report::policy::{Check, Policy, Violation};
use crate::sbom::STDIO;
use crate::sources::endpoints::Endpoints;
use crate::tacos::StatementJson;

/// An enrich job as plain values: what the command line was given.
#[derive(Debug, Clone, Default)]
pub struct Job {
    /// SBOM files and directories holding them; `-` is standard input.
    pub inputs: Vec<PathBuf>,
    /// A file listing more, one path per line (`-` is standard input).
    pub from_list: Option<PathBuf>,
    /// The output file, directory, or `-`; else beside each input.
    pub output: Option<PathBuf>,
    /// Replace each input with its enriched form.
    pub in_place: bool,
    /// Where the artifacts go; else beside the (first) output.
    pub attestations_dir: Option<PathBuf>,
    /// Where the artifacts will be published, as given (checked here).
    pub base_url: Option<String>,
    /// Also write CycloneDX 1.6 `declarations`.
    pub declarations: bool,
    /// Also write the known vulnerabilities into CycloneDX JSON outputs.
    pub vulnerabilities: bool,
    /// Else the config file's `[output] layout`, else one file per package.
    pub layout: Option<Layout>,
    /// Else the config file's `[output] envelope`, else bare DSSE envelopes.
    pub envelope: Option<crate::attest::Form>,
    /// An RFC 3161 timestamp authority to stamp every Sigstore bundle's
    /// signature (`--timestamp-server-url`), as given (checked here).
    pub timestamp_server_url: Option<String>,
    /// The signing key file (`--key`), else the environment's or the default.
    pub key: Option<PathBuf>,
    /// Sign with a key made for this run and never saved.
    pub ephemeral_key: bool,
    /// Sign keyless (`--keyless`): a Fulcio certificate for the CI job's
    /// identity, every envelope entered in Rekor.
    pub keyless: Option<super::keyless::KeylessFlags>,
    /// The configuration file; else `./tacos-sbom.toml` if it exists.
    pub config: Option<PathBuf>,
    /// Where the evidence comes from: offline, the cache, the store...
    pub session: session::Options,
    /// Added to the configuration's `[policy]`.
    pub policy: PolicyFlags,
    /// VEX documents (`--vex`) whose statements answer known
    /// vulnerabilities for `fail_on_vulnerabilities`, beside each input's
    /// own CycloneDX analyses.
    pub vex: Vec<PathBuf>,
    /// The time the run is dated; else [`now`].
    pub now: Option<OffsetDateTime>,
    /// The application report's subject, when not the application: the
    /// image the run attaches to.
    pub report_subject: Option<crate::attest::Subject>,
}

/// Policy rules given besides the configuration file's.
#[derive(Debug, Clone, Default)]
pub struct PolicyFlags {
    /// More `FIELD=VALUE` rules.
    pub fail_on: Vec<String>,
    /// Replaces the file's limit, when given.
    pub max_noassertion: Option<f64>,
    /// Turns `require_sources` on (never off).
    pub require_sources: bool,
    /// Turns `fail_on_vulnerabilities` on (never off).
    pub fail_on_vulnerabilities: bool,
}

impl PolicyFlags {
    /// The configuration's policy with these added, every rule checked.
    pub fn apply(&self, config: &Config) -> Result<Policy, EnrichError> {
        let mut p = config.policy.clone();
        p.fail_on.extend(self.fail_on.iter().cloned());
        if self.max_noassertion.is_some() {
            p.max_noassertion_percent = self.max_noassertion;
        }
        p.require_sources |= self.require_sources;
        p.fail_on_vulnerabilities |= self.fail_on_vulnerabilities;
        p.validate().map_err(EnrichError::Policy)?;
        Ok(p)
    }
}

/// A step of [`run`] as it happens, for a person watching.
pub enum Event<'a> {
    /// An input could not be read; nothing is written for it, the others
    /// go on.
    InputFailed(&'a EnrichError),
    /// The signing key is read, made or created.
    Key(&'a Chosen),
    /// The assessment's session is open (a caller that stops on a signal
    /// hooks it here, so that the store's claims are given back).
    SessionOpened(&'a Session),
    /// No scratch file could be created in the temporary directory: the
    /// statements are held in memory instead.
    ScratchUnavailable(&'a std::io::Error),
    /// Writing statements to the scratch file failed (why); the rest were
    /// held in memory.
    ScratchFailed(&'a str),
    /// Every package is assessed; signing and writing come next.
    Assessed {
        session: &'a Session,
        outcome: &'a session::Outcome,
    },
}

/// How a job ended, when it did not fail.
pub enum Outcome {
    /// No input could be read (each reported as [`Event::InputFailed`]):
    /// nothing was signed or written.
    NothingRead,
    /// The job ran to the end.
    Done(Box<Done>),
}

/// What a job that ran did.
pub struct Done {
    /// How many inputs there were (after expanding directories).
    pub inputs: usize,
    /// Inputs that could not be read, each reported when it happened.
    pub unread: Vec<EnrichError>,
    /// What was written; its failures are inputs that could not be written.
    pub summary: Summary,
    /// The key id of the signing key (empty when keyless).
    pub signer_key_id: String,
    /// Keyless: the identity and OIDC issuer the certificate names.
    pub signer_identity: Option<(String, String)>,
    /// The signing key's file (none for a throwaway key).
    pub signer_key_file: Option<PathBuf>,
    /// The signer's own public key file beside its signing key, when there
    /// (see [`keychoice::public_key_file`]): what a verifier should be given.
    pub signer_public_key: Option<PathBuf>,
    /// Services packages needed that have no source: the service, how many
    /// packages, and the fix.
    pub unconfigured: Vec<(String, usize, String)>,
    pub policy: PolicyOutcome,
    /// The enriched SBOM went to standard output.
    pub to_stdout: bool,
}

impl Done {
    /// Inputs nothing was written for: unread, or not written.
    pub fn failed_inputs(&self) -> usize {
        self.unread.len() + self.summary.failures.len()
    }
}

/// The policy's verdict.
#[derive(Debug, Default)]
pub struct PolicyOutcome {
    /// Whether there was a policy to evaluate.
    pub evaluated: bool,
    pub violations: Vec<Violation>,
    /// How many statements were checked (none when no SBOM was written).
    pub statements: usize,
}

impl PolicyOutcome {
    pub fn passed(&self) -> bool {
        !self.evaluated || self.violations.is_empty()
    }
}

/// Run the job in order: read the inputs, check every output can be
/// written, choose the key, assess, sign and write, check the policy.
/// Errors stop it before anything is written (or take back what was);
/// inputs that fail on their own are in the outcome.
pub fn run(
    job: Job,
    reporter: &dyn Reporter,
    progress: &dyn assess::gather::Progress,
) -> Result<Outcome, EnrichError> {
    let base_url = job.base_url.as_deref().map(base_url).transpose()?;
    let (inputs, output) = inputs::resolve(
        &job.inputs,
        job.from_list.as_deref(),
        job.output.as_deref(),
        job.in_place,
    )?;
    let to_stdout = output == Output::File(PathBuf::from(STDIO));
    let config = Config::load(job.config.as_deref())?;
    let policy = job.policy.apply(&config)?;
    let opts = Options {
        output,
        attestations_dir: job.attestations_dir.clone(),
        base_url,
        now: match job.now {
            Some(t) => t,
            None => now()?,
        },
        organization: config.report.organization.clone(),
        declarations: job.declarations,
        vulnerabilities: job.vulnerabilities,
        max_input_bytes: config.input.max_bytes,
        layout: job.layout.or(config.output.layout).unwrap_or_default(),
        // Keyless signatures need a bundle to hold their certificate.
        envelope: job
            .envelope
            .or(config.output.envelope)
            .unwrap_or(match job.keyless {
                Some(_) => crate::attest::Form::SigstoreBundle,
                None => crate::attest::Form::default(),
            }),
        report_subject: job.report_subject.clone(),
    };
    let keyless = match &job.keyless {
        None => None,
        Some(_) if opts.envelope != crate::attest::Form::SigstoreBundle => {
            return Err(EnrichError::Usage(
                "--keyless writes Sigstore bundles, which hold the signer's certificate: drop --envelope dsse (or [output] envelope = \"dsse\")".into(),
            ));
        }
        Some(_) if job.key.is_some() || job.ephemeral_key => {
            return Err(EnrichError::Usage(
                "--keyless signs with a certificate for this run's identity: drop --key / --ephemeral-key".into(),
            ));
        }
        // The wall clock, not SOURCE_DATE_EPOCH: tokens, certificates and
        // the services' windows are checked against the real time.
        Some(flags) => Some(super::keyless::prepare(
            flags,
            &|k| std::env::var(k).ok(),
            OffsetDateTime::now_utc(),
        )?),
    };
    // Resolved before reading, so that the registries' clients named in
    // the inputs are asked while they are parsed.
    let endpoints = Endpoints::resolve(&config)?;
    let mut plan = plan_with(&inputs, &opts, reporter, &|bytes| {
        endpoints.discover_for_text(bytes)
    })?;
    let unread = plan.take_failures();
    for f in &unread {
        reporter.event(&Event::InputFailed(f));
    }
    if plan.is_empty() {
        return Ok(Outcome::NothingRead);
    }
    // A keyless run is timestamped by its signing config's authority
    // unless one is named.
    let tsa_url = match &keyless {
        Some(k) => k.timestamp_authority(job.timestamp_server_url.as_deref())?,
        None => job.timestamp_server_url.clone(),
    };
    let stamper = timestamper(tsa_url.as_deref(), &opts, &config)?;
    if let Some(s) = &stamper {
        reporter.note(&format!(
            "each signature is timestamped by the RFC 3161 authority at {}",
            crate::redact::redact(s.url())
        ));
    }
    let key_source = KeySource::choose(job.key.as_deref(), job.ephemeral_key);
    check_outputs(&job, &config, &key_source, &inputs, &plan, &opts)?;
    // Only now, with something to sign, is a key read (or created).
    let key = match &keyless {
        Some(k) => {
            reporter.note(&format!(
                "keyless: the identity token from {}; Fulcio {}, Rekor {}",
                k.token_origin().describe(),
                crate::redact::redact(&k.services.fulcio),
                crate::redact::redact(&k.services.rekor)
            ));
            None
        }
        None => {
            let key = keychoice::load(&key_source, keychoice::cosign_password().as_deref())?;
            reporter.event(&Event::Key(&key));
            Some(key)
        }
    };
    let network = config.network.clone();
    let session_opts = session::Options {
        endpoints: Some(endpoints),
        ..job.session
    };
    let session = Session::open(config, &session_opts, opts.now).map_err(EnrichError::Session)?;
    reporter.event(&Event::SessionOpened(&session));
    let packages = plan.packages();
    // Each statement is checked against the policy and kept as the JSON it
    // is signed as the moment it is decided: never all held at once.
    let vex = application_vex(&plan, &job.vex, &policy)?;
    let mut check = policy.check_with(vex).map_err(EnrichError::Policy)?;
    let statements = assess_all(&session, &plan, packages, &mut check, reporter, progress);
    let stamp = stamper
        .as_ref()
        .map(|s| s as &dyn crate::attest::Timestamper);
    // Certified only now: the certificate lives minutes, the assessment
    // may have taken longer.
    let certified = match &keyless {
        Some(k) => {
            let c = super::keyless::certify(k, &network, OffsetDateTime::now_utc())?;
            reporter.note(&format!(
                "keyless: certified as {} (issuer {}) until {}; each artifact is entered in Rekor",
                c.identity,
                c.issuer,
                crate::tacos::timestamp(c.signer.validity().1)
            ));
            Some(c)
        }
        None => None,
    };
    let (signer, log): (&dyn crate::attest::Signer, _) = match (&certified, &key) {
        (Some(c), _) => (
            &c.signer,
            Some(&c.log as &dyn crate::attest::TransparencyLog),
        ),
        (None, Some(k)) => (&k.key, None),
        (None, None) => unreachable!("a run has a key or a certificate"),
    };
    let summary = execute_stamped(plan, statements, &opts, signer, stamp, log, reporter)?;
    // Each package once, however many inputs name it; none when no SBOM
    // was written.
    let unconfigured: Vec<(String, usize, String)> = session
        .unconfigured()
        .into_iter()
        .map(|(s, (n, why))| (s.to_string(), n, why))
        .collect();
    let (mut violations, checked) = match summary.documents.is_empty() {
        true => (Vec::new(), 0),
        false => {
            let n = check.statements();
            (check.finish(), n)
        }
    };
    violations.extend(policy.unsourced(&unconfigured));
    Ok(Outcome::Done(Box::new(Done {
        inputs: inputs.len(),
        unread,
        summary,
        signer_key_id: key
            .as_ref()
            .map(|k| k.key.public_key().key_id())
            .unwrap_or_default(),
        signer_identity: certified.map(|c| (c.identity, c.issuer)),
        signer_key_file: key.as_ref().and_then(|k| k.path.clone()),
        signer_public_key: key.as_ref().and_then(keychoice::public_key_file),
        unconfigured,
        policy: PolicyOutcome {
            evaluated: !policy.is_empty(),
            violations,
            statements: checked,
        },
        to_stdout,
    })))
}

/// Every place an output goes must take it before anything is written, a
/// key created or a service asked; and none may land on a signing key, the
/// store, the cache or an input (unless it is replaced in place).
fn check_outputs(
    job: &Job,
    config: &Config,
    key: &KeySource,
    inputs: &[Input],
    plan: &Plan,
    opts: &Options,
) -> Result<(), EnrichError> {
    let mut guard = setup::protected(
        config,
        &job.session,
        key,
        job.from_list.iter().map(PathBuf::as_path),
    );
    if !job.in_place {
        for i in inputs {
            guard.file(&i.path, "the input");
        }
    }
    plan.check_outputs(opts, &guard)
        .map_err(|e| EnrichError::Unwritable {
            source: Box::new(e),
        })
}

/// Assess every package, each statement checked against the policy and
/// kept (in a scratch file with several inputs) as it is decided.
fn assess_all(
    session: &Session,
    plan: &Plan,
    packages: Vec<(Purl, InUse)>,
    check: &mut Check,
    reporter: &dyn Reporter,
    progress: &dyn assess::gather::Progress,
) -> Statements {
    let mut statements = plan.statements().unwrap_or_else(|e| {
        reporter.event(&Event::ScratchUnavailable(&e));
        Statements::default()
    });
    let outcome = session.assess_each(&packages, progress, &mut |i, s| {
        check.add(i, &s);
        statements.insert(packages[i].0.to_string(), StatementJson::new(&s));
    });
    // Every package is decided: their list is not needed again.
    drop(packages);
    if let Some(why) = statements.spill_failed() {
        reporter.event(&Event::ScratchFailed(why));
    }
    reporter.event(&Event::Assessed {
        session,
        outcome: &outcome,
    });
    statements
}

/// "Now", or `SOURCE_DATE_EPOCH` when set, for reproducible output.
pub fn now() -> Result<OffsetDateTime, EnrichError> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(s) => {
            let secs: i64 = s
                .trim()
                .parse()
                .map_err(|_| EnrichError::EpochNotANumber { value: s.clone() })?;
            OffsetDateTime::from_unix_timestamp(secs)
                .map_err(|_| EnrichError::EpochOutOfRange { value: s })
        }
        Err(_) => Ok(OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .expect("0 is valid")),
    }
}

/// The timestamp authority every signature is sent to, when one is named:
/// only Sigstore bundles can hold its answer.
/// The VEX statements `fail_on_vulnerabilities` judges with: each
/// input's own CycloneDX analyses and the `--vex` documents. Read only when
/// the policy asks for it.
fn application_vex(
    plan: &Plan,
    files: &[PathBuf],
    policy: &crate::report::policy::Policy,
) -> Result<std::sync::Arc<crate::vex::Vex>, EnrichError> {
    let mut vex = crate::vex::Vex::default();
    if !policy.fail_on_vulnerabilities {
        return Ok(std::sync::Arc::new(vex));
    }
    // With one input, --vex documents' BOM-Links resolve into it.
    let one = plan.docs.len() == 1;
    for d in &plan.docs {
        let again;
        let sbom = match &d.kept {
            Some(l) => &l.sbom,
            None => {
                again = crate::sbom::Sbom::read_with(&d.input, &plan.limits)?;
                &again
            }
        };
        let name = d.input.display().to_string();
        let with = if one { files } else { &[] };
        let read = crate::report::vulns::read_vex(&name, Some(sbom.text()), with)?;
        vex.merge(read);
    }
    if !one {
        let read = crate::report::vulns::read_vex("", None, files)?;
        vex.merge(read);
    }
    Ok(std::sync::Arc::new(vex))
}

fn timestamper(
    url: Option<&str>,
    opts: &Options,
    config: &Config,
) -> Result<Option<crate::sources::tsa::BlockingTsa>, EnrichError> {
    let Some(url) = url else {
        return Ok(None);
    };
    if opts.envelope != crate::attest::Form::SigstoreBundle {
        return Err(EnrichError::Usage(
            "--timestamp-server-url needs --envelope bundle (or [output] envelope = \"bundle\"): a bare DSSE envelope has nowhere to hold a timestamp".into(),
        ));
    }
    let parsed = url::Url::parse(url).map_err(|e| {
        EnrichError::Usage(format!(
            "--timestamp-server-url {}: not a URL ({e})",
            super::shown(url)
        ))
    })?;
    crate::sources::tsa::BlockingTsa::new(parsed, &config.network)
        .map(Some)
        .map_err(|e| EnrichError::Usage(e.to_string()))
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Mutex;

    use super::*;

    /// Records the steps a run reports, by kind.
    #[derive(Default)]
    struct Steps(Mutex<Vec<String>>);

    impl Reporter for Steps {
        fn note(&self, _: &str) {}
        fn progress(&self, _: &str, _: usize, _: usize) {}
        fn event(&self, event: &Event<'_>) {
            let kind = match event {
                Event::InputFailed(e) => format!("failed: {e}"),
                Event::Key(k) => format!("key: {:?}", k.origin),
                Event::SessionOpened(_) => "session".into(),
                Event::ScratchUnavailable(_) | Event::ScratchFailed(_) => "scratch".into(),
                Event::Assessed { .. } => "assessed".into(),
            };
            self.0.lock().unwrap().push(kind);
        }
    }

    impl assess::gather::Progress for Steps {
        fn phase(&self, _: &str) {}
    }

    const SBOM: &str = r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
        "components": [
            {"type": "library", "name": "serde", "version": "1.0.0", "purl": "pkg:cargo/serde@1.0.0"},
            {"type": "library", "name": "local"}
        ]}"#;

    fn job(dir: &Path, inputs: Vec<PathBuf>) -> Job {
        let key = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/keys/snapshot.key");
        Job {
            inputs,
            output: Some(dir.join("out")),
            key: Some(key),
            session: session::Options {
                offline: true,
                cache_dir: Some(dir.join("cache")),
                ..Default::default()
            },
            now: Some(OffsetDateTime::UNIX_EPOCH),
            ..Default::default()
        }
    }

    /// The job reports the key, the session and the assessment as they
    /// happen, and returns what it wrote; an input it cannot read is
    /// reported and skipped, the rest written.
    #[test]
    fn a_job_reports_its_steps_in_order_and_returns_what_it_wrote() {
        let tmp = tempfile::tempdir().unwrap();
        let (good, bad) = (tmp.path().join("a.json"), tmp.path().join("b.json"));
        std::fs::write(&good, SBOM).unwrap();
        std::fs::write(&bad, "{\"bomFormat\": \"CycloneDX\", ").unwrap();
        let steps = Steps::default();
        let outcome = run(job(tmp.path(), vec![good, bad]), &steps, &steps).unwrap();
        let Outcome::Done(done) = outcome else {
            panic!("nothing was read");
        };
        let steps = steps.0.into_inner().unwrap();
        assert_eq!(steps.len(), 4, "{steps:?}");
        assert!(steps[0].starts_with("failed: ") && steps[0].contains("b.json"));
        assert_eq!(steps[1..], ["key: File(\"--key\")", "session", "assessed"]);
        assert_eq!((done.inputs, done.failed_inputs()), (2, 1));
        let doc = &done.summary.documents[0];
        assert_eq!((doc.components, doc.with_purl, doc.references), (2, 1, 1));
        assert!(doc.output.starts_with(tmp.path().join("out")) && doc.output.exists());
        assert!(done.policy.passed() && !done.policy.evaluated && !done.to_stdout);
    }

    /// With no input read, nothing else happens: no key, no session.
    #[test]
    fn a_job_with_nothing_read_stops_before_the_key() {
        let tmp = tempfile::tempdir().unwrap();
        let bad = tmp.path().join("b.json");
        std::fs::write(&bad, "not an SBOM").unwrap();
        let steps = Steps::default();
        let outcome = run(job(tmp.path(), vec![bad]), &steps, &steps).unwrap();
        assert!(matches!(outcome, Outcome::NothingRead));
        let steps = steps.0.into_inner().unwrap();
        assert_eq!(steps.len(), 1, "{steps:?}");
        assert!(!tmp.path().join("out").exists());
    }
}
