//! Command-line parsing, progress, messages and exit codes. Nothing else.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;

use anyhow::{Result, anyhow, bail};
use clap::{Args, Parser, Subcommand};
use time::OffsetDateTime;
use url::Url;

use tacos_sbom::attest::keyfile::{self, KeyFileError};
use tacos_sbom::attest::{KeyAlgorithm, PublicKey, SigningKey};
use tacos_sbom::config::Config;
use tacos_sbom::enrich::{self, Output, Reporter};
use tacos_sbom::term::{escape, escape_json};
use tacos_sbom::{assess, fsutil, purl::Purl, tacos, verify};

/// Exit codes: 0 success, 1 a check failed, 2 bad usage or bad input.
const EXIT_CHECK_FAILED: u8 = 1;
const EXIT_BAD_INPUT: u8 = 2;

#[derive(Parser)]
#[command(
    name = "tacos-sbom",
    version,
    about = "Enrich CycloneDX and SPDX SBOMs with signed TACOS attestations",
    long_about = "Reads a CycloneDX or SPDX JSON SBOM, resolves each component's package URL, \
                  writes a signed TACOS attestation (in-toto Statement v1 in a DSSE envelope) per \
                  distinct package, and writes the SBOM back, unchanged otherwise, with an external \
                  reference to each component's attestation.\n\n\
                  Exit codes: 0 success; 1 a check failed (verify, package, report, a policy; \
                  also verify without --key, unless --allow-unauthenticated); 2 bad usage or bad input."
)]
struct Cli {
    /// Print nothing but errors and the warnings that change what a result
    /// means (such as verify's "signer not proven").
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Add signed TACOS attestation references to SBOMs.
    Enrich(EnrichArgs),
    /// Check every TACOS reference in enriched SBOMs: artifact present, SHA-256,
    /// signature, and subject.
    Verify(VerifyArgs),
    /// Print TACOS statements (JSON) for package URLs.
    Assess(AssessArgs),
    /// The CISA attestation form mapping and a summary (baseline, risks,
    /// limitations, next steps) from an enriched SBOM or a TACOS report.
    Report(ReportArgs),
    /// Package an enriched SBOM with its artifacts, report, summary, CISA
    /// mapping, public key, SHA256SUMS and manifest as a reproducible .tar.gz.
    Package(PackageArgs),
    /// Create a signing key pair (PKCS#8 private key, SPKI public key, PEM).
    Keygen(KeygenArgs),
    /// Print the JSON Schema of a TACOS statement or report.
    Schema {
        #[arg(value_parser = ["statement", "report"])]
        which: String,
    },
}

#[derive(Args)]
struct EnrichArgs {
    /// SBOM files (CycloneDX 1.2-1.7 JSON, SPDX 2.2/2.3 JSON), or directories
    /// holding them. All inputs share one assessment pass.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Output file (one input), or directory (several). Default: beside each
    /// input as NAME.tacos.json.
    #[arg(short, long, value_name = "PATH", conflicts_with = "in_place")]
    output: Option<PathBuf>,
    /// Replace each input with its enriched form (atomically).
    #[arg(long)]
    in_place: bool,
    /// Where attestation artifacts are written. Default: tacos-attestations/
    /// beside the (first) output.
    #[arg(long, value_name = "DIR")]
    attestations_dir: Option<PathBuf>,
    /// Prefix for reference URLs, where the artifacts will be published.
    /// Default: a path relative to the output.
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Also express the assessment in CycloneDX 1.6's attestation model
    /// (`declarations` and `definitions`; CycloneDX 1.6 and later only). Off by
    /// default: it adds a claim and its evidence per component and decided field.
    #[arg(long)]
    declarations: bool,
    /// Signing key: PKCS#8 or SEC1 PEM (ECDSA P-256 or Ed25519), or a cosign
    /// encrypted key (password from COSIGN_PASSWORD). Default: $TACOS_SIGNING_KEY,
    /// else the key in the tacos-sbom config directory, created on first use.
    #[arg(long, value_name = "PATH")]
    key: Option<PathBuf>,
    #[command(flatten)]
    sources: SourceArgs,
    #[command(flatten)]
    policy: PolicyArgs,
}

/// A policy gate for CI, added to the config file's `[policy]`.
#[derive(Args, Clone, Default)]
struct PolicyArgs {
    /// Exit 1 when any component has this value in this field, e.g.
    /// FixedVulnerabilities=False or PackageStatus=Deprecated. Repeatable.
    #[arg(long, value_name = "FIELD=VALUE")]
    fail_on: Vec<String>,
    /// Exit 1 when more than this percentage of attestation values is NOASSERTION.
    #[arg(long, value_name = "PERCENT")]
    max_noassertion: Option<f64>,
}

impl PolicyArgs {
    fn policy(&self, config: &Config) -> Result<tacos_sbom::report::policy::Policy> {
        let mut p = config.policy.clone();
        p.fail_on.extend(self.fail_on.iter().cloned());
        if self.max_noassertion.is_some() {
            p.max_noassertion_percent = self.max_noassertion;
        }
        p.validate().map_err(bad)?;
        Ok(p)
    }
}

/// Print policy violations; exit 1 when there are any.
fn gate(
    policy: &tacos_sbom::report::policy::Policy,
    statements: &[tacos::Statement],
    ui: &Ui,
) -> Result<bool> {
    if policy.is_empty() {
        return Ok(true);
    }
    let violations = policy.evaluate(statements).map_err(bad)?;
    for v in &violations {
        ui.warn(&format!("POLICY {v}"));
    }
    ui.warn(&format!(
        "policy: {} violation(s) in {} statement(s)",
        violations.len(),
        statements.len()
    ));
    Ok(violations.is_empty())
}

/// Where the assessment's evidence comes from.
#[derive(Args, Clone)]
struct SourceArgs {
    /// Ask no service: answer from the cache and --osv-db only, and say what
    /// could not be decided.
    #[arg(long)]
    offline: bool,
    /// An offline OSV database: a directory of OSV records per ecosystem, or
    /// OSV's per-ecosystem all.zip. Used instead of the OSV API.
    #[arg(long, value_name = "PATH")]
    osv_db: Option<PathBuf>,
    /// Published TACOS reports to merge: a directory or file of reports, or an
    /// http(s) URL of one.
    #[arg(long, value_name = "DIR_OR_URL")]
    reports: Option<String>,
    /// Configuration file (default: ./tacos-sbom.toml if it exists).
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Requests in flight at once per host (default 8).
    #[arg(long, value_name = "N")]
    concurrency: Option<usize>,
    /// Where answers are cached (default: ~/.cache/tacos-sbom).
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Neither read nor write the cache (nor the default assessment store).
    #[arg(long, conflicts_with = "offline")]
    no_cache: bool,
    /// The assessment store shared by runs and runners: postgres://USER@HOST/DB
    /// for a fleet, or a SQLite file. Default: $TACOS_STORE_URL, [store] url,
    /// else assessments.sqlite3 in the cache directory.
    #[arg(long, value_name = "URL")]
    store: Option<String>,
}

#[derive(Args)]
struct VerifyArgs {
    /// Enriched SBOMs.
    #[arg(required = true, value_name = "SBOM")]
    sboms: Vec<PathBuf>,
    /// Public key (SPKI PEM) the artifacts must be signed with. Without it,
    /// the key written beside the artifacts is used, which proves they are
    /// intact but not who signed them: a warning says so (even with -q) and
    /// the exit code is 1 unless --allow-unauthenticated.
    #[arg(long, value_name = "PUBKEY")]
    key: Option<PathBuf>,
    /// Directory that holds the artifacts, when it is not where the
    /// references point (a copy of published artifacts, or a moved folder).
    #[arg(long, value_name = "DIR")]
    attestations_dir: Option<PathBuf>,
    #[command(flatten)]
    trust: TrustArgs,
}

/// What `verify` (and `package`, which refuses what `verify` fails) may accept.
#[derive(Args, Clone, Copy, Default)]
struct TrustArgs {
    /// Without --key, accept artifacts checked only with the public key found
    /// beside them (exit 0 instead of 1). That proves they are intact, not
    /// who signed them: whoever could replace them could replace that key.
    #[arg(long)]
    allow_unauthenticated: bool,
    /// Accept components that have a package URL but no TACOS reference
    /// (by default each one fails).
    #[arg(long)]
    allow_missing: bool,
}

#[derive(Args)]
struct ReportArgs {
    /// An enriched SBOM (its application report, or its statements, are
    /// read and checked), a TACOS report, or a signed report artifact.
    #[arg(value_name = "INPUT")]
    input: PathBuf,
    #[arg(long, default_value = "md", value_parser = ["md", "html", "json"])]
    format: String,
    /// Write here instead of standard output.
    #[arg(short, long, value_name = "PATH")]
    output: Option<PathBuf>,
    /// Public key the artifacts must be signed with (default: the one beside them).
    #[arg(long, value_name = "PUBKEY")]
    key: Option<PathBuf>,
    /// Directory that holds the artifacts, when not where the references point.
    #[arg(long, value_name = "DIR")]
    attestations_dir: Option<PathBuf>,
    /// Configuration file (for its [policy]).
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(flatten)]
    policy: PolicyArgs,
}

#[derive(Args)]
struct PackageArgs {
    /// The enriched SBOM; it must verify.
    #[arg(value_name = "ENRICHED_SBOM")]
    input: PathBuf,
    /// The bundle to write (.tar.gz).
    #[arg(short, long, value_name = "BUNDLE")]
    output: PathBuf,
    /// Public key the artifacts must be signed with (default: the one beside them).
    #[arg(long, value_name = "PUBKEY")]
    key: Option<PathBuf>,
    /// Directory that holds the artifacts, when not where the references point.
    #[arg(long, value_name = "DIR")]
    attestations_dir: Option<PathBuf>,
    #[command(flatten)]
    trust: TrustArgs,
}

#[derive(Args)]
struct AssessArgs {
    /// Package URLs, e.g. pkg:npm/lodash@4.17.21.
    #[arg(required = true, value_name = "PURL")]
    purls: Vec<String>,
    #[command(flatten)]
    sources: SourceArgs,
}

#[derive(Args)]
struct KeygenArgs {
    /// Path prefix: writes PREFIX.key (private, mode 0600) and PREFIX.pub.
    #[arg(long, default_value = "tacos-sbom", value_name = "PREFIX")]
    out: PathBuf,
    #[arg(long, default_value = "ecdsa-p256", value_parser = ["ecdsa-p256", "ed25519"])]
    algorithm: String,
    /// Overwrite existing key files.
    #[arg(long)]
    force: bool,
}

/// An error that maps to exit code 2 (bad usage or bad input).
#[derive(Debug)]
struct BadInput(String);

impl std::fmt::Display for BadInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}

fn bad(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(BadInput(msg.into()))
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_BAD_INPUT } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let ui = Ui::new(cli.quiet);
    let result = match cli.command {
        Command::Enrich(args) => run_enrich(args, &ui),
        Command::Verify(args) => run_verify(args, &ui),
        Command::Assess(args) => run_assess(args, &ui),
        Command::Keygen(args) => run_keygen(args, &ui),
        Command::Report(args) => run_report(args, &ui),
        Command::Package(args) => run_package(args, &ui),
        Command::Schema { which } => {
            let schema = match which.as_str() {
                "statement" => tacos::STATEMENT_SCHEMA,
                _ => tacos::REPORT_SCHEMA,
            };
            print!("{schema}");
            Ok(ExitCode::SUCCESS)
        }
    };
    ui.finish();
    match result {
        Ok(code) => code,
        Err(e) => {
            ui.warn(&format!("error: {e:#}"));
            // Everything that stops a command before it ran is bad input or
            // usage; failed checks are reported through Ok(code).
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

/// Messages and progress on stderr.
struct Ui {
    quiet: bool,
    bar: Mutex<Option<indicatif::ProgressBar>>,
    interactive: bool,
}

impl Ui {
    fn new(quiet: bool) -> Ui {
        Ui {
            quiet,
            bar: Mutex::new(None),
            interactive: std::io::stderr().is_terminal(),
        }
    }

    /// A message for a person watching; none with -q.
    fn say(&self, msg: &str) {
        if !self.quiet {
            self.emit(msg);
        }
    }

    /// An error or a warning: printed even with -q.
    fn warn(&self, msg: &str) {
        self.emit(msg);
    }

    /// Every line on stderr goes through here, and so through `escape`:
    /// messages echo names, PURLs, paths and upstream text from input.
    fn emit(&self, msg: &str) {
        let msg = escape(msg);
        match &*self.bar.lock().expect("progress lock") {
            Some(bar) => bar.println(msg),
            None => eprintln!("{msg}"),
        }
    }

    /// A result line on stdout (`FAIL ...`), escaped like the rest.
    fn out(&self, msg: &str) {
        println!("{}", escape(msg));
    }

    fn finish(&self) {
        if let Some(bar) = self.bar.lock().expect("progress lock").take() {
            bar.finish_and_clear();
        }
    }
}

impl Reporter for Ui {
    fn note(&self, message: &str) {
        self.say(message);
    }

    fn progress(&self, done: usize, total: usize) {
        if self.quiet || !self.interactive {
            return;
        }
        let mut guard = self.bar.lock().expect("progress lock");
        let bar = guard.get_or_insert_with(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template("signing {bar:30} {pos}/{len} {eta}")
                    .expect("static template"),
            );
            bar
        });
        bar.set_position(done as u64);
        if done >= total {
            bar.finish_and_clear();
            *guard = None;
        }
    }
}

/// "Now", or SOURCE_DATE_EPOCH when set, for reproducible output.
fn now() -> Result<OffsetDateTime> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(s) => {
            let secs: i64 = s.trim().parse().map_err(|_| {
                bad(format!(
                    "SOURCE_DATE_EPOCH={s:?} is not a number of seconds"
                ))
            })?;
            OffsetDateTime::from_unix_timestamp(secs)
                .map_err(|_| bad(format!("SOURCE_DATE_EPOCH={s:?} is out of range")))
        }
        Err(_) => Ok(OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .expect("0 is valid")),
    }
}

fn run_enrich(args: EnrichArgs, ui: &Ui) -> Result<ExitCode> {
    let base_url = match &args.base_url {
        Some(s) => Some(parse_base_url(s)?),
        None => None,
    };
    let mut failed_inputs = 0;
    let inputs = enrich::expand_inputs(&args.inputs).map_err(|e| bad(e.to_string()))?;
    if inputs.is_empty() {
        bail!(bad("no SBOM files found in the given directories"));
    }
    let output = match (args.output, args.in_place) {
        (_, true) => Output::InPlace,
        (None, false) => Output::Beside,
        (Some(o), false) if o.is_dir() || inputs.len() > 1 => Output::Dir(o),
        (Some(o), false) => Output::File(o),
    };
    let config = Config::load(args.sources.config.as_deref()).map_err(|e| bad(e.to_string()))?;
    let policy = args.policy.policy(&config)?;
    let opts = enrich::Options {
        output,
        attestations_dir: args.attestations_dir,
        base_url,
        now: now()?,
        organization: config.report.organization.clone(),
        declarations: args.declarations,
        max_input_bytes: config.input.max_bytes,
    };
    let mut plan = enrich::plan(&inputs, &opts, ui).map_err(|e| bad(e.to_string()))?;
    for f in plan.take_failures() {
        ui.warn(&format!("error: {f}"));
        failed_inputs += 1;
    }
    if plan.is_empty() {
        return Ok(ExitCode::from(EXIT_BAD_INPUT));
    }
    // Every place an output goes must take it before anything is written, a
    // key created or a service asked.
    plan.check_outputs(&opts)
        .map_err(|e| bad(format!("{e}; nothing was written")))?;
    // Only now, with something to sign, is a key read (or created).
    let key = load_signing_key(args.key.as_deref(), ui)?;
    let session = open_session(&args.sources, config, opts.now)?;
    let packages = plan.packages();
    let outcome = session.assess(&packages, ui);
    report_session(&session, &outcome, ui);
    let statements: enrich::Statements = packages
        .iter()
        .zip(outcome.statements)
        .map(|((purl, _), s)| (purl.to_string(), s))
        .collect();
    let summary =
        enrich::execute(plan, statements, &opts, &key, ui).map_err(|e| bad(e.to_string()))?;
    ui.finish();
    for f in &summary.failures {
        ui.warn(&format!("error: {f}"));
        failed_inputs += 1;
    }
    for doc in &summary.documents {
        match (&doc.report, &doc.report_note) {
            (Some(r), _) => ui.say(&format!(
                "application report for {}: {}",
                doc.input.display(),
                r.display()
            )),
            (None, Some(n)) => ui.say(&format!(
                "note: {}: no application report reference: {n}",
                doc.input.display()
            )),
            _ => {}
        }
        for s in &doc.skipped {
            ui.say(&format!(
                "  skipped {} in {}: {}",
                s.component,
                doc.input.display(),
                s.reason
            ));
        }
        ui.say(&doc.line());
    }
    if let Some(dir) = &summary.attestations_dir {
        ui.say(&format!(
            "{} distinct packages; {} artifacts in {} ({} written, {} unchanged)",
            summary.packages,
            summary.packages,
            dir.display(),
            summary.artifacts_written,
            summary.packages - summary.artifacts_written
        ));
    }
    if let Some(k) = &summary.public_key {
        let outputs: Vec<String> = summary
            .documents
            .iter()
            .map(|d| d.output.display().to_string())
            .collect();
        ui.say(&format!("public key: {}", k.display()));
        ui.say(&format!(
            "check with: tacos-sbom verify {} --key {}",
            outputs.join(" "),
            k.display()
        ));
    }
    // Each package once, however many inputs name it.
    let mut seen = std::collections::HashSet::new();
    let all: Vec<tacos::Statement> = summary
        .reports
        .iter()
        .flat_map(|r| r.statements.iter())
        .filter(|s| seen.insert(s.purl.clone()))
        .cloned()
        .collect();
    let passed = gate(&policy, &all, ui)?;
    if failed_inputs > 0 {
        eprintln!(
            "{failed_inputs} of {} inputs skipped for the errors above; nothing was written for them",
            inputs.len()
        );
    }
    Ok(if failed_inputs > 0 {
        ExitCode::from(EXIT_BAD_INPUT)
    } else if !passed {
        ExitCode::from(EXIT_CHECK_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

fn parse_base_url(s: &str) -> Result<Url> {
    let url = Url::parse(s).map_err(|e| {
        // An unparsable URL cannot be redacted; never echo what may hold a secret.
        let shown = if s.contains(['@', '?', '#']) {
            "(not shown: it may hold credentials)".to_string()
        } else {
            format!("{s:?}")
        };
        bad(format!(
            "--base-url {shown} is not a URL ({e}); give an absolute URL such as https://example.com/attestations/"
        ))
    })?;
    // The redaction every message uses (sources::http::redact) decides what
    // counts as a secret; the base URL is written into every reference.
    let shown = tacos_sbom::sources::http::redact(&url);
    if !url.username().is_empty() || url.password().is_some() || shown != url.as_str() {
        bail!(bad(format!(
            "--base-url {shown} carries credentials (user name, password or a secret query parameter); \
             reference URLs are written into the SBOM, which is shared: give the URL readers use, without credentials"
        )));
    }
    if !matches!(url.scheme(), "https" | "http" | "file") || url.cannot_be_a_base() {
        bail!(bad(format!(
            "--base-url {shown} must be an http, https or file URL that can hold paths"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        bail!(bad(format!(
            "--base-url {shown} must not have a query or fragment"
        )));
    }
    Ok(url)
}

/// A key file error as a bad-input error (exit 2).
fn key_err(e: KeyFileError) -> anyhow::Error {
    bad(e.to_string())
}

fn cosign_password() -> Option<Vec<u8>> {
    std::env::var_os("COSIGN_PASSWORD").map(|p| p.into_encoded_bytes())
}

fn load_signing_key(explicit: Option<&Path>, ui: &Ui) -> Result<SigningKey> {
    let password = cosign_password();
    let from_env = std::env::var_os("TACOS_SIGNING_KEY")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    if let Some(path) = explicit.map(Path::to_path_buf).or(from_env) {
        let key = keyfile::read_signing_key(&path, password.as_deref()).map_err(key_err)?;
        ui.say(&format!(
            "signing with {} ({}, key id {})",
            path.display(),
            key.algorithm(),
            short_id(&key.public_key())
        ));
        return Ok(key);
    }
    let dir = keyfile::default_key_dir().ok_or_else(|| {
        bad("no --key given and no home directory to keep a default key in; pass --key or set TACOS_SIGNING_KEY")
    })?;
    let (key, path, created) = keyfile::load_or_create_default(&dir, password.as_deref())
        .map_err(|e| bad(format!("the default signing key in {}: {e}", dir.display())))?;
    if created {
        ui.say(&format!(
            "created a new signing key {} (ecdsa-p256, key id {}); keep it to sign future runs with the same key",
            path.display(),
            short_id(&key.public_key())
        ));
    } else {
        ui.say(&format!(
            "signing with the default key {} ({}, key id {}); pass --key to use another",
            path.display(),
            key.algorithm(),
            short_id(&key.public_key())
        ));
    }
    Ok(key)
}

fn short_id(key: &PublicKey) -> String {
    key.key_id().chars().take(16).collect()
}

fn run_keygen(args: KeygenArgs, ui: &Ui) -> Result<ExitCode> {
    let alg: KeyAlgorithm = args
        .algorithm
        .parse()
        .map_err(|_| anyhow!("unknown algorithm {}", args.algorithm))?;
    let key = SigningKey::generate(alg);
    let prefix = args.out.to_string_lossy();
    let private = PathBuf::from(format!("{prefix}.key"));
    let public = PathBuf::from(format!("{prefix}.pub"));
    keyfile::write_key_pair(&key, &private, &public, args.force).map_err(|e| match e {
        KeyFileError::Exists { .. } => bad(format!("{e}; pass --force to overwrite it")),
        e => key_err(e),
    })?;
    ui.say(&format!(
        "wrote {} (private, mode 0600) and {} ({alg}, key id {})",
        private.display(),
        public.display(),
        short_id(&key.public_key())
    ));
    Ok(ExitCode::SUCCESS)
}

/// The trusted public key from --key, if given.
fn trusted_key(path: Option<&Path>) -> Result<Option<PublicKey>> {
    path.map(|p| keyfile::read_public_key(p).map_err(key_err))
        .transpose()
}

/// Say what a verification without --key did and did not prove. Printed
/// even with -q: it is the one line that tells an intact set of artifacts
/// from an authentic one.
fn warn_unproven(sbom: &Path, outcome: &verify::Outcome, opts: &verify::Options, ui: &Ui) {
    if !outcome.signer_unproven() {
        return;
    }
    let keys: Vec<String> = outcome
        .keys_used_from_artifacts
        .iter()
        .map(|k| k.display().to_string())
        .collect();
    ui.warn(&format!(
        "warning: {}: signer not proven: no --key given, so signatures were checked with {} found beside the artifacts; \
         that proves they are intact, not who signed them (whoever could replace them could replace that key too)",
        sbom.display(),
        keys.join(", ")
    ));
    if !opts.allow_unauthenticated {
        ui.warn(&format!(
            "error: {}: pass --key with the signer's public key (obtained apart from the artifacts), \
             or --allow-unauthenticated to accept intact but unauthenticated artifacts",
            sbom.display()
        ));
    }
}

fn run_verify(args: VerifyArgs, ui: &Ui) -> Result<ExitCode> {
    let opts = verify::Options {
        key: trusted_key(args.key.as_deref())?,
        attestations_dir: args.attestations_dir,
        allow_missing: args.trust.allow_missing,
        allow_unauthenticated: args.trust.allow_unauthenticated,
    };
    let mut failed = false;
    let mut bad_input = false;
    for sbom in &args.sboms {
        let outcome = match verify::verify(sbom, &opts) {
            Ok(o) => o,
            Err(e) => {
                ui.warn(&format!("error: {e}"));
                bad_input = true;
                continue;
            }
        };
        for f in &outcome.failures {
            ui.out(&format!("FAIL {}: {f}", sbom.display()));
        }
        if outcome.without_reference > 0 && opts.allow_missing {
            ui.say(&format!(
                "note: {} components with a package URL have no TACOS reference (accepted: --allow-missing)",
                outcome.without_reference
            ));
        }
        if outcome.component_references == 0 && outcome.references > 0 {
            ui.say(&format!(
                "note: {}: no component was attested (no component has a TACOS reference); only the application report was verified",
                sbom.display()
            ));
        }
        ui.say(&format!(
            "{}: {} of {} TACOS references verified",
            sbom.display(),
            outcome.verified,
            outcome.references
        ));
        warn_unproven(sbom, &outcome, &opts, ui);
        failed |= !outcome.passed(&opts);
    }
    Ok(if bad_input {
        ExitCode::from(EXIT_BAD_INPUT)
    } else if failed {
        ExitCode::from(EXIT_CHECK_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

fn run_assess(args: AssessArgs, ui: &Ui) -> Result<ExitCode> {
    let mut packages = Vec::new();
    for raw in &args.purls {
        let purl =
            Purl::parse(raw).map_err(|e| bad(format!("{raw:?}: invalid package URL: {e}")))?;
        let releases = purl
            .version()
            .map(|v| vec![v.to_string()])
            .unwrap_or_default();
        packages.push((purl, releases));
    }
    let config = Config::load(args.sources.config.as_deref()).map_err(|e| bad(e.to_string()))?;
    let session = open_session(&args.sources, config, now()?)?;
    let outcome = session.assess(&packages, ui);
    report_session(&session, &outcome, ui);
    let out = serde_json::to_string_pretty(&outcome.statements)?;
    println!("{}", escape_json(&out));
    Ok(ExitCode::SUCCESS)
}

fn read_public_key(path: &Path) -> Result<PublicKey> {
    keyfile::read_public_key(path).map_err(key_err)
}

/// The report INPUT names, and whether everything it rests on checked out.
fn load_report(args: &ReportArgs, ui: &Ui) -> Result<(tacos::Report, bool)> {
    let key = args.key.as_deref().map(read_public_key).transpose()?;
    let opts = verify::Options {
        key: key.clone(),
        attestations_dir: args.attestations_dir.clone(),
        ..verify::Options::default()
    };
    match tacos_sbom::sbom::Sbom::read(&args.input) {
        Ok(sbom) => {
            if let Some(found) =
                verify::referenced_report(&args.input, &opts).map_err(|e| bad(e.to_string()))?
            {
                return match found {
                    Ok(r) => Ok((r, true)),
                    Err(e) => bail!(bad(format!(
                        "{}: the application report does not check out: {e}",
                        args.input.display()
                    ))),
                };
            }
            ui.say("note: no application report reference; reading the components' statements");
            let (statements, failures) = verify::referenced_statements(&args.input, &opts)
                .map_err(|e| bad(e.to_string()))?;
            for f in &failures {
                ui.warn(&format!("FAIL {}: {f}", args.input.display()));
            }
            if statements.is_empty() {
                bail!(bad(format!(
                    "{}: no TACOS references to report on (was it enriched?)",
                    args.input.display()
                )));
            }
            let report = tacos::Report {
                id: tacos::FRAMEWORK_ID.into(),
                location: args.input.display().to_string(),
                author: format!("Tool: tacos-sbom-{}", env!("CARGO_PKG_VERSION")),
                role: "Attestor".into(),
                last_modified: assess::fields::timestamp(now()?),
                tacos_version: tacos::TACOS_VERSION.into(),
                application: sbom
                    .subject_name()
                    .unwrap_or_else(|| args.input.display().to_string()),
                statements,
            };
            Ok((report, failures.is_empty()))
        }
        Err(tacos_sbom::sbom::SbomError::NotAnSbom { .. }) => {
            let bytes = std::fs::read(&args.input)
                .map_err(|e| bad(format!("{}: {e}", args.input.display())))?;
            let value: serde_json::Value = serde_json::from_slice(&bytes)
                .map_err(|e| bad(format!("{}: not JSON: {e}", args.input.display())))?;
            if value.get("payloadType").is_some() {
                let key = match key {
                    Some(k) => k,
                    None => {
                        let beside = args
                            .input
                            .parent()
                            .unwrap_or(Path::new("."))
                            .join(enrich::PUBLIC_KEY_FILE);
                        ui.say(&format!(
                            "note: no --key given; checking the signature with {}",
                            beside.display()
                        ));
                        read_public_key(&beside)?
                    }
                };
                let v = tacos_sbom::attest::verify_report_artifact(&bytes, &key)
                    .map_err(|e| bad(format!("{}: {e}", args.input.display())))?;
                let r = serde_json::from_value(v.statement.predicate).map_err(|e| {
                    bad(format!(
                        "{}: the predicate is not a TACOS report: {e}",
                        args.input.display()
                    ))
                })?;
                return Ok((r, true));
            }
            let r = serde_json::from_value(value).map_err(|e| {
                bad(format!(
                    "{}: not a TACOS report as this tool writes it: {e}",
                    args.input.display()
                ))
            })?;
            Ok((r, true))
        }
        Err(e) => bail!(bad(e.to_string())),
    }
}

fn run_report(args: ReportArgs, ui: &Ui) -> Result<ExitCode> {
    let config = Config::load(args.config.as_deref()).map_err(|e| bad(e.to_string()))?;
    let policy = args.policy.policy(&config)?;
    let (report, intact) = load_report(&args, ui)?;
    let summary = tacos_sbom::report::summarize(&report);
    let text = match args.format.as_str() {
        "html" => tacos_sbom::report::render_html(&summary),
        "json" => tacos_sbom::report::render_json(&summary),
        _ => tacos_sbom::report::render_markdown(&summary),
    };
    match &args.output {
        Some(path) => {
            let mut f = fsutil::AtomicFile::create(path)
                .map_err(|e| bad(format!("{}: {e}", path.display())))?;
            f.writer().write_all(text.as_bytes())?;
            f.commit(true, None)
                .map_err(|e| bad(format!("{}: {e}", path.display())))?;
            ui.say(&format!(
                "wrote {} ({} packages)",
                path.display(),
                summary.packages
            ));
        }
        None => match args.format.as_str() {
            "json" => print!("{}", escape_json(&text)),
            _ => print!("{}", escape(&text)),
        },
    }
    let passed = gate(&policy, &report.statements, ui)?;
    Ok(if intact && passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_CHECK_FAILED)
    })
}

fn run_package(args: PackageArgs, ui: &Ui) -> Result<ExitCode> {
    let key = trusted_key(args.key.as_deref())?;
    // The same rules and flags as `verify`: a bundle is only made of what
    // `verify` would pass.
    let opts = verify::Options {
        key: key.clone(),
        attestations_dir: args.attestations_dir.clone(),
        allow_missing: args.trust.allow_missing,
        allow_unauthenticated: args.trust.allow_unauthenticated,
    };
    let outcome = verify::verify(&args.input, &opts).map_err(|e| bad(e.to_string()))?;
    for f in &outcome.failures {
        ui.warn(&format!("FAIL {}: {f}", args.input.display()));
    }
    warn_unproven(&args.input, &outcome, &opts, ui);
    if !outcome.passed(&opts) {
        ui.warn(&format!(
            "error: {} does not verify; no bundle written",
            args.input.display()
        ));
        return Ok(ExitCode::from(EXIT_CHECK_FAILED));
    }
    let files = verify::referenced_files(&args.input, &opts)
        .map_err(|e| bad(e.to_string()))?
        .map_err(|e| bad(format!("{}: {e}", args.input.display())))?;
    let report_args = ReportArgs {
        input: args.input.clone(),
        format: "md".into(),
        output: None,
        key: args.key.clone(),
        attestations_dir: args.attestations_dir.clone(),
        config: None,
        policy: PolicyArgs::default(),
    };
    let (report, _) = load_report(&report_args, ui)?;
    let summary = tacos_sbom::report::summarize(&report);
    let read = |p: &Path| std::fs::read(p).map_err(|e| bad(format!("{}: {e}", p.display())));
    let file_name = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let mut entries = vec![tacos_sbom::bundle::Entry {
        path: format!("sbom/{}", file_name(&args.input)),
        bytes: read(&args.input)?,
    }];
    for f in &files {
        entries.push(tacos_sbom::bundle::Entry {
            path: format!("attestations/{}", file_name(f)),
            bytes: read(f)?,
        });
    }
    let key_pem = match (&key, files.first()) {
        (Some(k), _) => Some(k.to_spki_pem().into_bytes()),
        (None, Some(f)) => std::fs::read(
            f.parent()
                .unwrap_or(Path::new("."))
                .join(enrich::PUBLIC_KEY_FILE),
        )
        .ok(),
        (None, None) => None,
    };
    if let Some(pem) = key_pem {
        entries.push(tacos_sbom::bundle::Entry {
            path: enrich::PUBLIC_KEY_FILE.into(),
            bytes: pem,
        });
    }
    entries.push(tacos_sbom::bundle::Entry {
        path: "summary.md".into(),
        bytes: tacos_sbom::report::render_markdown(&summary).into_bytes(),
    });
    entries.push(tacos_sbom::bundle::Entry {
        path: "summary.html".into(),
        bytes: tacos_sbom::report::render_html(&summary).into_bytes(),
    });
    entries.push(tacos_sbom::bundle::Entry {
        path: "summary.json".into(),
        bytes: tacos_sbom::report::render_json(&summary).into_bytes(),
    });
    entries.push(tacos_sbom::bundle::Entry {
        path: "cisa-mapping.json".into(),
        bytes: format!("{}\n", serde_json::to_string_pretty(&summary.cisa)?).into_bytes(),
    });
    let mtime = time::OffsetDateTime::parse(
        &report.last_modified,
        &time::format_description::well_known::Rfc3339,
    )
    .map(|t| t.unix_timestamp().max(0) as u64)
    .unwrap_or(0);
    let folder = tacos_sbom::bundle::folder_name(&args.output);
    let bytes = tacos_sbom::bundle::build(&folder, entries, &summary, mtime).map_err(bad)?;
    let mut f = fsutil::AtomicFile::create(&args.output)
        .map_err(|e| bad(format!("{}: {e}", args.output.display())))?;
    f.writer().write_all(&bytes)?;
    f.commit(true, None)
        .map_err(|e| bad(format!("{}: {e}", args.output.display())))?;
    ui.say(&format!(
        "wrote {} ({} artifacts, {} bytes, folder {folder}/)",
        args.output.display(),
        files.len(),
        bytes.len()
    ));
    Ok(ExitCode::SUCCESS)
}

fn open_session(
    args: &SourceArgs,
    config: Config,
    now: OffsetDateTime,
) -> Result<assess::session::Session> {
    let opts = assess::session::Options {
        offline: args.offline,
        osv_db: args.osv_db.clone(),
        reports: args.reports.clone(),
        cache_dir: args.cache_dir.clone(),
        no_cache: args.no_cache,
        concurrency: args.concurrency,
        store: args.store.clone(),
    };
    assess::session::Session::open(config, &opts, now).map_err(bad)
}

/// What a person needs to know about the sources after an assessment:
/// unreachable services (once each), conflicts with published reports, and
/// in offline mode how much stayed undecided.
fn report_session(session: &assess::session::Session, outcome: &assess::session::Outcome, ui: &Ui) {
    for note in &session.notes {
        ui.say(&format!("note: {note}"));
    }
    for warning in session.warnings() {
        ui.say(&format!("warning: {warning}"));
    }
    if let Some(store) = &outcome.store {
        let mut line = format!(
            "store {store}: {} statement(s) reused, {} assessed",
            outcome.from_store, outcome.assessed
        );
        if outcome.waited_for > 0 {
            line.push_str(&format!(
                " ({} waited for while another runner assessed them)",
                outcome.waited_for
            ));
        }
        ui.say(&line);
    }
    if let Some(problem) = &outcome.store_problem {
        ui.say(&format!(
            "warning: {problem}; the rest was assessed without the store"
        ));
    }
    for (service, (n, why)) in session.unconfigured() {
        ui.say(&format!(
            "warning: {n} package(s) got no data from the {service}: {why}"
        ));
    }
    for (service, reason) in session.down_services() {
        ui.say(&format!(
            "note: {service} was unreachable this run ({reason}); fields it decides are NOASSERTION"
        ));
    }
    for c in &outcome.conflicts {
        ui.say(&format!(
            "conflict: {} {}: published {} ({}) but assessed {}",
            c.purl, c.field, c.published, c.origin, c.automatic
        ));
    }
    let stats = session.stats();
    if !stats.is_empty() {
        let parts: Vec<String> = stats
            .iter()
            .map(|(s, st)| format!("{s} {} requests, {} cached", st.requests, st.cache_hits))
            .collect();
        ui.say(&format!("sources: {}", parts.join("; ")));
    }
    if session.is_offline() {
        let undecided = outcome
            .statements
            .iter()
            .flat_map(|s| s.evidence.iter())
            .filter(|(_, e)| e.code == tacos::ReasonCode::SourceUnavailable)
            .count();
        ui.say(&format!(
            "offline: {undecided} field values stayed NOASSERTION because their source was not in the cache or the OSV database"
        ));
    }
}

impl assess::gather::Progress for Ui {
    fn phase(&self, message: &str) {
        self.say(message);
    }
}
