//! Command-line parsing, progress, messages and exit codes. Nothing else.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use clap::builder::{PossibleValue, TypedValueParser};
use clap::{Args, CommandFactory, Parser, Subcommand};
use serde_json::json;
use time::OffsetDateTime;
use url::Url;

use tacos_sbom::attest::keyfile::{self, KeyFileError, PrivateFormat};
use tacos_sbom::attest::{KeyAlgorithm, PublicKey, SigningKey};
use tacos_sbom::config::Config;
use tacos_sbom::enrich::{self, Output, Reporter};
use tacos_sbom::report::policy::{Policy, Violation};
use tacos_sbom::sbom::STDIO;
use tacos_sbom::term::plural;
use tacos_sbom::term::{escape, escape_json};
use tacos_sbom::{assess, fsutil, purl::Purl, suggest, tacos, verify};

/// Exit codes: 0 success, 1 a check failed, 2 bad usage or bad input.
const EXIT_CHECK_FAILED: u8 = 1;
const EXIT_BAD_INPUT: u8 = 2;

const EXIT_ENRICH: &str = "Exit codes: 0 written, and the policy (if any) passed; 1 written, but the \
    policy failed (--fail-on, --max-noassertion, --require-sources); 2 bad usage or input (an \
    unreadable SBOM, a bad key, no key in CI, an output that cannot be written): nothing written.";
const EXIT_VERIFY: &str = "Exit codes: 0 every reference verified (and the signer proven, or \
    --allow-unauthenticated); 1 a reference failed, a component has none, or the signer is not \
    proven; 2 bad usage or an unreadable SBOM or key.";
const EXIT_ASSESS: &str = "Exit codes: 0 statements printed; 1 printed, but --require-sources \
    failed; 2 bad usage (an invalid package URL, a bad config).";
const EXIT_REPORT: &str = "Exit codes: 0 written, everything it rests on checked out and the \
    policy passed; 1 written, but a statement did not check out or the policy failed; 2 bad \
    usage or input (nothing to report on, an application report that does not verify).";
const EXIT_PACKAGE: &str = "Exit codes: 0 bundle written; 1 the SBOM does not verify (no bundle); \
    2 bad usage or input.";
const EXIT_OTHER: &str = "Exit codes: 0 success; 2 bad usage or input.";

/// An enumerated value, taken only as written: anything else is refused
/// with the valid values and "did you mean" (case-insensitive matches
/// included), never accepted as another value.
#[derive(Clone)]
struct Choice(&'static [&'static str]);

impl TypedValueParser for Choice {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> std::result::Result<String, clap::Error> {
        let name = arg.map(|a| a.to_string()).unwrap_or_else(|| "value".into());
        let v = value.to_string_lossy();
        suggest::check(&format!("value for {name}"), &v, self.0)
            .map(|()| v.into_owned())
            .map_err(|m| {
                clap::Error::raw(
                    clap::error::ErrorKind::InvalidValue,
                    format!("{}\n", escape(&m.to_string())),
                )
                .with_cmd(cmd)
            })
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(self.0.iter().map(|v| PossibleValue::new(*v))))
    }
}

const TEXT_JSON: &[&str] = &["text", "json"];

#[derive(Parser)]
#[command(
    name = "tacos-sbom",
    version,
    about = "Enrich CycloneDX and SPDX SBOMs with signed TACOS attestations",
    long_about = "Reads a CycloneDX or SPDX JSON SBOM, resolves each component's package URL, \
                  writes a signed TACOS attestation (in-toto Statement v1 in a DSSE envelope) per \
                  distinct package, and writes the SBOM back, unchanged otherwise, with an external \
                  reference to each component's attestation. `-` is standard input for an input \
                  and standard output for -o.",
    after_help = "Exit codes: 0 success; 1 the job ran but a check failed (verify, package, report, \
                  a policy, --require-sources; also verify without --key, unless \
                  --allow-unauthenticated); 2 bad usage or bad input. Each command's --help says which apply."
)]
struct Cli {
    /// Print nothing but errors and the warnings that change what a result
    /// means (such as verify's "signer not proven").
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// More detail: every skipped component and every item behind a
    /// collapsed message.
    #[arg(short, long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Add signed TACOS attestation references to SBOMs.
    #[command(after_help = EXIT_ENRICH)]
    Enrich(EnrichArgs),
    /// Check every TACOS reference in enriched SBOMs: artifact present, SHA-256,
    /// signature, and subject.
    #[command(after_help = EXIT_VERIFY)]
    Verify(VerifyArgs),
    /// Print TACOS statements (JSON) for package URLs.
    #[command(after_help = EXIT_ASSESS)]
    Assess(AssessArgs),
    /// The CISA attestation form mapping and a summary (verdict, baseline,
    /// risks, limitations, next steps) from an enriched SBOM or a TACOS
    /// report; or the policy violations as SARIF.
    #[command(after_help = EXIT_REPORT)]
    Report(ReportArgs),
    /// Package an enriched SBOM with its artifacts, report, summary, CISA
    /// mapping, public key, SHA256SUMS and manifest as a reproducible .tar.gz.
    #[command(after_help = EXIT_PACKAGE)]
    Package(PackageArgs),
    /// Create a signing key pair: PREFIX.key (private) and PREFIX.pub (public).
    #[command(after_help = EXIT_OTHER)]
    Keygen(KeygenArgs),
    /// Show the configuration in effect: each endpoint and where it came
    /// from, the cache, the signing key, the config file. Asks no service.
    #[command(after_help = EXIT_OTHER)]
    Doctor(DoctorArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(
        after_help = "Install, e.g.: tacos-sbom completions bash > ~/.local/share/bash-completion/completions/tacos-sbom\n\nExit codes: 0 success; 2 bad usage."
    )]
    Completions {
        #[arg(value_parser = Choice(&["bash", "zsh", "fish", "elvish", "powershell"]))]
        shell: String,
    },
    /// Print the man page (roff), generated from these definitions.
    #[command(
        after_help = "Install, e.g.: tacos-sbom man > ~/.local/share/man/man1/tacos-sbom.1\n\nExit codes: 0 success; 2 bad usage."
    )]
    Man,
    /// Print the JSON Schema of a TACOS statement or report.
    #[command(after_help = EXIT_OTHER)]
    Schema {
        #[arg(value_parser = Choice(&["statement", "report"]))]
        which: String,
    },
}

#[derive(Args)]
struct EnrichArgs {
    /// SBOM files (CycloneDX JSON/XML, SPDX 2 JSON/tag-value, SPDX 3),
    /// directories holding them (walked recursively; hidden folders
    /// skipped), or - for standard input. All inputs share one assessment
    /// pass over their distinct packages.
    #[arg(value_name = "INPUT", required_unless_present = "from_list")]
    inputs: Vec<PathBuf>,
    /// Also enrich the files and directories listed in FILE, one path per
    /// line (- for standard input). Relative paths are taken from the
    /// working directory.
    #[arg(long, value_name = "FILE")]
    from_list: Option<PathBuf>,
    /// Output file (one input), directory (several), or - for standard
    /// output (then every message goes to stderr). Default: beside each
    /// input as NAME.tacos.json; standard output when the input is -.
    #[arg(short, long, value_name = "PATH", conflicts_with = "in_place")]
    output: Option<PathBuf>,
    /// Replace each input with its enriched form (atomically).
    #[arg(long)]
    in_place: bool,
    /// Where attestation artifacts are written. Default: tacos-attestations/
    /// beside the (first) output (the working directory for -o - or a device
    /// such as /dev/null).
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
    /// How artifacts are written: files (one DSSE envelope file per package,
    /// what other tools fetch by URL) or bundle (every envelope a line of one
    /// JSON Lines file, referenced as FILE#L<line>: far fewer files for bulk
    /// runs). Default: [output] layout in the config file, else files.
    #[arg(long, value_name = "LAYOUT", value_parser = Choice(tacos_sbom::config::Layout::NAMES)
        .map(|l| tacos_sbom::config::Layout::parse(&l).expect("Choice took only a valid layout")))]
    layout: Option<tacos_sbom::config::Layout>,
    #[command(flatten)]
    key: KeyArgs,
    /// The run summary on stdout as text or JSON (on stderr with -o -).
    #[arg(short, long, default_value = "text", value_parser = Choice(TEXT_JSON))]
    format: String,
    #[command(flatten)]
    sources: SourceArgs,
    #[command(flatten)]
    policy: PolicyArgs,
}

/// The signing key.
#[derive(Args, Clone)]
struct KeyArgs {
    /// Signing key: PKCS#8 or SEC1 PEM (ECDSA P-256 or Ed25519), or a cosign
    /// encrypted key (password from COSIGN_PASSWORD). Default: $TACOS_SIGNING_KEY,
    /// else the key in the tacos-sbom config directory, created on first
    /// use; in CI (CI set) there is no default: give a key or --ephemeral-key.
    #[arg(long, value_name = "PATH")]
    key: Option<PathBuf>,
    /// Sign with a throwaway key made for this run and never saved: the
    /// artifacts then prove only that they are intact (the public key is
    /// written beside them), not who signed them.
    #[arg(long, conflicts_with = "key")]
    ephemeral_key: bool,
}

/// A policy gate for CI, added to the config file's `[policy]`.
#[derive(Args, Clone, Default)]
struct PolicyArgs {
    /// Exit 1 when any component has this value in this field, e.g.
    /// FixedVulnerabilities=False or PackageStatus=Deprecated (values as the
    /// TACOS framework writes them; a misspelling is refused). Repeatable.
    #[arg(long, value_name = "FIELD=VALUE")]
    fail_on: Vec<String>,
    /// Exit 1 when more than this percentage of attestation values is NOASSERTION.
    #[arg(long, value_name = "PERCENT")]
    max_noassertion: Option<f64>,
}

impl PolicyArgs {
    fn policy(&self, config: &Config, require_sources: bool) -> Result<Policy> {
        let mut p = config.policy.clone();
        p.fail_on.extend(self.fail_on.iter().cloned());
        if self.max_noassertion.is_some() {
            p.max_noassertion_percent = self.max_noassertion;
        }
        p.require_sources |= require_sources;
        p.validate().map_err(bad)?;
        Ok(p)
    }
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
    #[arg(short, long, value_name = "PATH")]
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
    /// Exit 1 (after writing everything) when an ecosystem in the input has
    /// no registry source, so its packages got no registry data. Also
    /// `[policy] require_sources = true`.
    #[arg(long)]
    require_sources: bool,
}

#[derive(Args)]
struct VerifyArgs {
    /// Enriched SBOMs (- for standard input).
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
    /// Results as text (FAIL lines) or JSON, on stdout.
    #[arg(short, long, default_value = "text", value_parser = Choice(TEXT_JSON))]
    format: String,
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
    /// read and checked), a TACOS report, or a signed report artifact (- for
    /// standard input).
    #[arg(value_name = "INPUT")]
    input: PathBuf,
    /// md, html or json: the summary; sarif: the policy violations as SARIF
    /// 2.1.0 (for GitHub code scanning).
    #[arg(short, long, default_value = "md", value_parser = Choice(&["md", "html", "json", "sarif"]))]
    format: String,
    /// Write here instead of standard output (- is standard output).
    #[arg(short, long, value_name = "PATH")]
    output: Option<PathBuf>,
    /// Public key the artifacts must be signed with (default: the one beside them).
    #[arg(long, value_name = "PUBKEY")]
    key: Option<PathBuf>,
    /// Directory that holds the artifacts, when not where the references point.
    #[arg(long, value_name = "DIR")]
    attestations_dir: Option<PathBuf>,
    /// Configuration file (for its [policy]).
    #[arg(short, long, value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(flatten)]
    policy: PolicyArgs,
}

#[derive(Args)]
struct PackageArgs {
    /// The enriched SBOM; it must verify.
    #[arg(value_name = "ENRICHED_SBOM")]
    input: PathBuf,
    /// The bundle to write (.tar.gz; - for standard output).
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
    #[arg(
        short,
        long,
        alias = "out",
        default_value = "tacos-sbom",
        value_name = "PREFIX"
    )]
    output: PathBuf,
    #[arg(short, long, default_value = "ecdsa-p256", value_parser = Choice(&["ecdsa-p256", "ed25519"]))]
    algorithm: String,
    /// How PREFIX.key is written: pkcs8 (unencrypted PEM, for OpenSSL) or
    /// cosign (cosign's encrypted layout; password from COSIGN_PASSWORD).
    #[arg(short, long, default_value = "pkcs8", value_parser = Choice(&["pkcs8", "cosign"]))]
    format: String,
    /// Overwrite existing key files.
    #[arg(long)]
    force: bool,
}

#[derive(Args)]
struct DoctorArgs {
    /// Configuration file (default: ./tacos-sbom.toml if it exists).
    #[arg(short, long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// The signing key enrich would be given.
    #[arg(long, value_name = "PATH")]
    key: Option<PathBuf>,
    /// The cache directory enrich would be given.
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    #[arg(short, long, default_value = "text", value_parser = Choice(TEXT_JSON))]
    format: String,
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
            // --help into a closed pipe is not an error either.
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let ui = Ui::new(cli.quiet, cli.verbose);
    let result = match cli.command {
        Command::Enrich(args) => run_enrich(args, &ui),
        Command::Verify(args) => run_verify(args, &ui),
        Command::Assess(args) => run_assess(args, &ui),
        Command::Keygen(args) => run_keygen(args, &ui),
        Command::Report(args) => run_report(args, &ui),
        Command::Package(args) => run_package(args, &ui),
        Command::Doctor(args) => run_doctor(args, &ui),
        Command::Completions { shell } => run_completions(&shell, &ui),
        Command::Man => run_man(&ui),
        Command::Schema { which } => {
            let schema = match which.as_str() {
                "statement" => tacos::STATEMENT_SCHEMA,
                _ => tacos::REPORT_SCHEMA,
            };
            ui.out_raw(schema.as_bytes());
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

/// The progress of one phase.
struct Phase {
    name: String,
    bar: Option<indicatif::ProgressBar>,
    started: Instant,
    last_line: Instant,
}

/// Messages on stderr, results on stdout, progress on a terminal.
struct Ui {
    quiet: bool,
    verbose: bool,
    interactive: bool,
    phase: Mutex<Option<Phase>>,
    /// Set once stdout's reader has gone (`| head`): further output is
    /// dropped, the command finishes and its exit code still says how the
    /// checks went.
    stdout_closed: AtomicBool,
}

impl Ui {
    fn new(quiet: bool, verbose: bool) -> Ui {
        Ui {
            quiet,
            verbose,
            interactive: std::io::stderr().is_terminal(),
            phase: Mutex::new(None),
            stdout_closed: AtomicBool::new(false),
        }
    }

    /// A message for a person watching; none with -q.
    fn say(&self, msg: &str) {
        if !self.quiet {
            self.emit(msg);
        }
    }

    /// Detail only asked for with -v.
    fn detail(&self, msg: &str) {
        if self.verbose {
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
        match self
            .phase
            .lock()
            .expect("progress lock")
            .as_ref()
            .and_then(|p| p.bar.as_ref())
        {
            Some(bar) => bar.println(msg),
            None => {
                let _ = writeln!(std::io::stderr().lock(), "{msg}");
            }
        }
    }

    /// Bytes on stdout, as they are (callers escape what they print).
    fn out_raw(&self, bytes: &[u8]) {
        if self.stdout_closed.load(Ordering::Relaxed) {
            return;
        }
        let mut out = std::io::stdout().lock();
        if let Err(e) = out.write_all(bytes).and_then(|()| out.flush()) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                self.stdout_closed.store(true, Ordering::Relaxed);
            } else {
                self.warn(&format!("error: cannot write to standard output: {e}"));
                self.stdout_closed.store(true, Ordering::Relaxed);
            }
        }
    }

    /// A result line on stdout (`FAIL ...`), escaped like the rest.
    fn out(&self, msg: &str) {
        self.out_raw(format!("{}\n", escape(msg)).as_bytes());
    }

    /// JSON on stdout, safe on a terminal.
    fn out_json(&self, value: &serde_json::Value) {
        let text = serde_json::to_string_pretty(value).expect("JSON serializes");
        self.out_raw(format!("{}\n", escape_json(&text)).as_bytes());
    }

    fn finish(&self) {
        if let Some(p) = self.phase.lock().expect("progress lock").take()
            && let Some(bar) = p.bar
        {
            bar.finish_and_clear();
        }
    }

    /// Start a phase: a line, then (on a terminal) a bar with count, rate
    /// and ETA once it has a count.
    fn start_phase(&self, name: &str, message: &str) {
        self.finish();
        if self.quiet {
            return;
        }
        self.emit(message);
        let now = Instant::now();
        *self.phase.lock().expect("progress lock") = Some(Phase {
            name: name.to_string(),
            bar: None,
            started: now,
            last_line: now,
        });
    }

    /// `done` of `total` in phase `name`: a bar on a terminal, a plain line
    /// every few seconds otherwise, nothing with -q.
    fn count(&self, name: &str, done: usize, total: usize) {
        if self.quiet || total == 0 {
            return;
        }
        let mut guard = self.phase.lock().expect("progress lock");
        if guard.as_ref().is_none_or(|p| p.name != name) {
            let now = Instant::now();
            if let Some(bar) = guard.take().and_then(|p| p.bar) {
                bar.finish_and_clear();
            }
            *guard = Some(Phase {
                name: name.to_string(),
                bar: None,
                started: now,
                last_line: now,
            });
        }
        let phase = guard.as_mut().expect("set above");
        if self.interactive {
            let bar = phase.bar.get_or_insert_with(|| {
                let bar = indicatif::ProgressBar::new(total as u64);
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{prefix:>12} {bar:30} {pos}/{len} {per_sec} eta {eta}",
                    )
                    .expect("static template"),
                );
                bar.set_prefix(name.to_string());
                bar
            });
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        } else if phase.last_line.elapsed() >= Duration::from_secs(5) && done < total {
            let elapsed = phase.started.elapsed().as_secs_f64().max(0.001);
            let rate = done as f64 / elapsed;
            let eta = if rate > 0.0 {
                (total - done) as f64 / rate
            } else {
                0.0
            };
            phase.last_line = Instant::now();
            let _ = writeln!(
                std::io::stderr().lock(),
                "  {name}: {done}/{total} ({rate:.1}/s, about {eta:.0}s left)"
            );
        }
    }
}

impl Reporter for Ui {
    fn note(&self, message: &str) {
        if message.starts_with("signing ") {
            self.start_phase("signing", message);
        } else {
            self.say(message);
        }
    }

    fn progress(&self, phase: &str, done: usize, total: usize) {
        self.count(phase, done, total);
    }
}

impl assess::gather::Progress for Ui {
    fn phase(&self, message: &str) {
        self.start_phase(message, message);
    }

    fn progress(&self, phase: &str, done: usize, total: usize) {
        self.count(phase, done, total);
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

/// Policy violations: each as a `POLICY` line on stderr (even with -q), and
/// a count. Returns whether the policy passed.
fn print_violations(policy: &Policy, violations: &[Violation], statements: usize, ui: &Ui) -> bool {
    if policy.is_empty() {
        return true;
    }
    for v in violations {
        ui.warn(&format!("POLICY {v}"));
    }
    ui.warn(&format!(
        "policy: {} in {}",
        plural(violations.len(), "violation", "violations"),
        plural(statements, "statement", "statements")
    ));
    violations.is_empty()
}

/// Registries that packages needed but that have no source, as the policy reads them.
fn unconfigured(session: &assess::session::Session) -> Vec<(String, usize, String)> {
    session
        .unconfigured()
        .into_iter()
        .map(|(s, (n, why))| (s.to_string(), n, why))
        .collect()
}

/// Whether this runs in CI (CI set to anything but empty, 0 or false), where
/// a key made on the spot would be thrown away with the machine.
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
}

fn run_enrich(args: EnrichArgs, ui: &Ui) -> Result<ExitCode> {
    let base_url = match &args.base_url {
        Some(s) => Some(parse_base_url(s)?),
        None => None,
    };
    let mut named = args.inputs.clone();
    if let Some(list) = &args.from_list {
        if named.iter().any(|p| p == Path::new(STDIO)) && list == Path::new(STDIO) {
            bail!(bad(
                "--from-list - and the input - would both read standard input"
            ));
        }
        let bytes = tacos_sbom::sbom::input_bytes(list)
            .map_err(|e| bad(format!("--from-list {}: {e}", list.display())))?;
        let text = String::from_utf8(bytes).map_err(|_| {
            bad(format!(
                "--from-list {}: not UTF-8 text (one path per line)",
                list.display()
            ))
        })?;
        let listed = enrich::list_inputs(&text);
        if listed.is_empty() {
            bail!(bad(format!(
                "--from-list {}: lists no paths",
                list.display()
            )));
        }
        if let Some(p) = listed.iter().find(|p| *p == Path::new(STDIO)) {
            bail!(bad(format!(
                "--from-list {}: lists {} (standard input), which cannot be one input among many",
                list.display(),
                p.display()
            )));
        }
        named.extend(listed);
    }
    let stdin = named.iter().any(|p| p == Path::new(STDIO));
    let stdout = args.output.as_deref() == Some(Path::new(STDIO));
    if stdin && named.len() > 1 {
        bail!(bad("- (standard input) must be the only input"));
    }
    if stdin && args.in_place {
        bail!(bad(
            "--in-place cannot replace standard input; pass -o OUTPUT or -o -"
        ));
    }
    let mut failed_inputs = 0;
    let inputs = enrich::expand_inputs(&named).map_err(|e| bad(e.to_string()))?;
    if inputs.is_empty() {
        bail!(bad("no SBOM files found in the given directories"));
    }
    if stdout && inputs.len() > 1 {
        bail!(bad(format!(
            "-o - (standard output) takes one SBOM, and {} inputs were given; pass -o DIR",
            inputs.len()
        )));
    }
    let output = match (args.output, args.in_place) {
        (_, true) => Output::InPlace,
        (None, false) if stdin => Output::File(PathBuf::from(STDIO)),
        (None, false) => Output::Beside,
        (Some(o), false) if o.is_dir() || inputs.len() > 1 => Output::Dir(o),
        (Some(o), false) => Output::File(o),
    };
    let to_stdout = output == Output::File(PathBuf::from(STDIO));
    let config = Config::load(args.sources.config.as_deref()).map_err(|e| bad(e.to_string()))?;
    let policy = args.policy.policy(&config, args.sources.require_sources)?;
    let opts = enrich::Options {
        output,
        attestations_dir: args.attestations_dir,
        base_url,
        now: now()?,
        organization: config.report.organization.clone(),
        declarations: args.declarations,
        max_input_bytes: config.input.max_bytes,
        layout: args.layout.or(config.output.layout).unwrap_or_default(),
    };
    // Resolved before reading, so that the registries' clients named in
    // the inputs are asked while they are parsed.
    let endpoints = tacos_sbom::sources::endpoints::Endpoints::resolve(&config)
        .map_err(|e| bad(e.to_string()))?;
    let mut plan = enrich::plan_with(&inputs, &opts, ui, &|bytes| {
        endpoints.discover_for_text(bytes)
    })
    .map_err(|e| bad(e.to_string()))?;
    // Each failure is shown when it happens, and with many inputs listed
    // again at the end, where it is not lost among the progress lines.
    let many = inputs.len() > 20;
    let mut failures: Vec<String> = Vec::new();
    for f in plan.take_failures() {
        ui.warn(&format!("error: {f}"));
        failures.push(f.to_string());
        failed_inputs += 1;
    }
    if plan.is_empty() {
        return Ok(ExitCode::from(EXIT_BAD_INPUT));
    }
    // Every place an output goes must take it before anything is written, a
    // key created or a service asked.
    let mut guard = protected(
        &config,
        Some(&args.sources),
        key_source(&args.key),
        args.from_list.iter().map(PathBuf::as_path),
    );
    if !args.in_place {
        for i in &inputs {
            guard.file(&i.path, "the input");
        }
    }
    plan.check_outputs(&opts, &guard)
        .map_err(|e| bad(format!("{e}; nothing was written")))?;
    // Only now, with something to sign, is a key read (or created).
    let key = load_signing_key(&args.key, ui)?;
    let session = open_session(&args.sources, config, opts.now, Some(endpoints))?;
    let packages = plan.packages();
    // Each statement is checked against the policy and kept as the JSON it
    // is signed as the moment it is decided: never all held at once.
    let mut check = policy.check().map_err(bad)?;
    let mut statements = plan.statements().unwrap_or_else(|e| {
        ui.warn(&format!(
            "warning: cannot create a scratch file in {} ({e}); the statements are held in memory instead",
            std::env::temp_dir().display()
        ));
        enrich::Statements::default()
    });
    let outcome = session.assess_each(&packages, ui, &mut |i, s| {
        check.add(i, &s);
        statements.insert(packages[i].0.to_string(), tacos::StatementJson::new(&s));
    });
    // Every package is decided: their list is not needed again.
    drop(packages);
    if let Some(why) = statements.spill_failed() {
        ui.warn(&format!(
            "warning: writing statements to the scratch file in {} failed ({why}); the rest were held in memory",
            std::env::temp_dir().display()
        ));
    }
    ui.finish();
    report_session(&session, &outcome, ui);
    let summary =
        enrich::execute(plan, statements, &opts, &key, ui).map_err(|e| bad(e.to_string()))?;
    ui.finish();
    for f in &summary.failures {
        ui.warn(&format!("error: {f}"));
        failures.push(f.to_string());
        failed_inputs += 1;
    }
    // With many documents, the line per document is detail (-v); the
    // totals say what happened.
    let doc_say = |m: &str| if many { ui.detail(m) } else { ui.say(m) };
    for doc in &summary.documents {
        match (&doc.report, &doc.report_note) {
            (Some(r), _) => doc_say(&format!(
                "application report for {}: {}",
                doc.input.display(),
                r.display()
            )),
            (None, Some(n)) => doc_say(&format!(
                "note: {}: no application report reference: {n}",
                doc.input.display()
            )),
            _ => {}
        }
        // One line per reason, not one per component; -v lists them.
        let mut by_reason: BTreeMap<String, Vec<&enrich::Skipped>> = BTreeMap::new();
        for s in &doc.skipped {
            let reason = match &s.reason {
                enrich::SkipReason::NoPurl => "no package URL".to_string(),
                enrich::SkipReason::InvalidPurl { why, .. } => {
                    format!("invalid package URL: {why}")
                }
            };
            by_reason.entry(reason).or_default().push(s);
        }
        for (reason, skipped) in &by_reason {
            let line = |s: &enrich::Skipped| {
                format!(
                    "  skipped {} in {}: {}",
                    s.component,
                    doc.input.display(),
                    s.reason
                )
            };
            match skipped.as_slice() {
                [one] => doc_say(&line(one)),
                many => {
                    doc_say(&format!(
                        "  skipped {} in {}: {reason}",
                        plural(many.len(), "component", "components"),
                        doc.input.display()
                    ));
                    for s in many {
                        ui.detail(&line(s));
                    }
                }
            }
        }
        doc_say(&doc.line());
    }
    if many {
        let components: usize = summary.documents.iter().map(|d| d.components).sum();
        let references: usize = summary.documents.iter().map(|d| d.references).sum();
        let skipped: usize = summary.documents.iter().map(|d| d.skipped.len()).sum();
        ui.say(&format!(
            "{} of {} written ({}, {} referenced, {} skipped; -v lists each SBOM)",
            summary.documents.len(),
            plural(inputs.len(), "input", "inputs"),
            plural(components, "component", "components"),
            references,
            skipped
        ));
    }
    if let Some(dir) = &summary.attestations_dir {
        ui.say(&format!(
            "{}; {} in {} ({} written, {} unchanged)",
            plural(summary.packages, "distinct package", "distinct packages"),
            plural(summary.packages, "artifact", "artifacts"),
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
        let shown = match outputs.len() {
            n if n > 3 => format!("{} ... ({n} SBOMs)", outputs[..2].join(" ")),
            _ => outputs.join(" "),
        };
        ui.say(&format!(
            "check with: tacos-sbom verify {shown} --key {}",
            k.display()
        ));
    }
    // Each package once, however many inputs name it; none when no SBOM
    // was written.
    let missing = unconfigured(&session);
    let (mut violations, checked) = match summary.documents.is_empty() {
        true => (Vec::new(), 0),
        false => {
            let n = check.statements();
            (check.finish(), n)
        }
    };
    violations.extend(policy.unsourced(&missing));
    let passed = print_violations(&policy, &violations, checked, ui);
    if failed_inputs > 0 {
        if many {
            for f in &failures {
                ui.warn(&format!("  failed: {f}"));
            }
        }
        ui.warn(&format!(
            "{failed_inputs} of {} skipped for the errors above; nothing was written for them",
            plural(inputs.len(), "input", "inputs")
        ));
    }
    let code = if failed_inputs > 0 {
        EXIT_BAD_INPUT
    } else if !passed {
        EXIT_CHECK_FAILED
    } else {
        0
    };
    if args.format == "json" {
        let value = json!({
            "documents": summary.documents.iter().map(|d| json!({
                "input": d.input.display().to_string(),
                "output": d.output.display().to_string(),
                "format": d.format.to_string(),
                "components": d.components,
                "withPurl": d.with_purl,
                "references": d.references,
                "skipped": d.skipped.len(),
                "report": d.report.as_ref().map(|r| r.display().to_string()),
            })).collect::<Vec<_>>(),
            "packages": summary.packages,
            "artifactsWritten": summary.artifacts_written,
            "attestationsDir": summary.attestations_dir.as_ref().map(|d| d.display().to_string()),
            "publicKey": summary.public_key.as_ref().map(|k| k.display().to_string()),
            "signerKeyId": key.public_key().key_id(),
            "unconfiguredSources": missing.iter().map(|(s, n, why)| json!({"service": s, "packages": n, "fix": why})).collect::<Vec<_>>(),
            "policy": {"evaluated": !policy.is_empty(), "passed": passed, "violations": violations},
            "failures": summary.failures.iter().map(|f| f.to_string()).collect::<Vec<_>>(),
            "exitCode": code,
        });
        if to_stdout {
            let text = serde_json::to_string_pretty(&value).expect("JSON serializes");
            ui.warn(&escape_json(&text));
        } else {
            ui.out_json(&value);
        }
    }
    Ok(ExitCode::from(code))
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
    // The redaction every message uses (redact::redact) decides what
    // counts as a secret; the base URL is written into every reference.
    let shown = tacos_sbom::redact::redact(&url);
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

/// What no output may land on, by file identity (so that a symbolic or
/// hard link under the output's name is caught): every signing key this
/// run could use and its public half, the default key's files, the
/// assessment store's files, anything in the cache directory, and the
/// files named in `inputs`.
fn protected<'a>(
    config: &Config,
    sources: Option<&SourceArgs>,
    key: KeySource,
    inputs: impl IntoIterator<Item = &'a Path>,
) -> fsutil::Protected {
    let mut p = fsutil::Protected::default();
    for i in inputs {
        if i != Path::new(STDIO) {
            p.file(i, "the input");
        }
    }
    if let KeySource::File(k, _) = &key {
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
    let opts = assess::session::Options {
        cache_dir: sources.and_then(|s| s.cache_dir.clone()),
        store: sources.and_then(|s| s.store.clone()),
        no_cache: sources.is_some_and(|s| s.no_cache),
        ..Default::default()
    };
    if let Some(dir) = assess::session::cache_dir(&opts, config) {
        p.dir(&dir, "the cache directory");
    }
    for f in assess::session::store_files(&opts, config) {
        p.file(&f, "the assessment store");
    }
    p
}

/// Where the signing key comes from, in order: --key, $TACOS_SIGNING_KEY,
/// --ephemeral-key, the default key (not in CI).
enum KeySource {
    File(PathBuf, &'static str),
    Ephemeral,
    /// In CI without a key: no default, which would be thrown away unseen.
    RefusedInCi,
    Default(Option<PathBuf>),
}

fn key_source(args: &KeyArgs) -> KeySource {
    let from_env = std::env::var_os("TACOS_SIGNING_KEY")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    match (&args.key, from_env) {
        (Some(k), _) => KeySource::File(k.clone(), "--key"),
        (None, Some(k)) => KeySource::File(k, "TACOS_SIGNING_KEY"),
        (None, None) if args.ephemeral_key => KeySource::Ephemeral,
        (None, None) if in_ci() => KeySource::RefusedInCi,
        (None, None) => KeySource::Default(keyfile::default_key_dir()),
    }
}

const CI_KEY_FIX: &str = "CI is set and no signing key was given: a key made here would be thrown \
    away with the machine, and nobody could check the artifacts' signer. Pass --key KEY or set \
    TACOS_SIGNING_KEY to a key kept as a CI secret (create one once with `tacos-sbom keygen -o \
    tacos-signing`, store tacos-signing.key as the secret and publish tacos-signing.pub), or pass \
    --ephemeral-key to sign with a throwaway key on purpose";

fn load_signing_key(args: &KeyArgs, ui: &Ui) -> Result<SigningKey> {
    let password = cosign_password();
    match key_source(args) {
        KeySource::File(path, _) => {
            let key = keyfile::read_signing_key(&path, password.as_deref()).map_err(key_err)?;
            ui.say(&format!(
                "signing with {} ({}, key id {})",
                path.display(),
                key.algorithm(),
                short_id(&key.public_key())
            ));
            Ok(key)
        }
        KeySource::Ephemeral => {
            let key = SigningKey::generate(KeyAlgorithm::EcdsaP256);
            ui.warn(&format!(
                "signing with a throwaway key (ecdsa-p256, key id {}) that is not saved: only the public key written beside the artifacts can check them, which proves they are intact, not who signed them",
                short_id(&key.public_key())
            ));
            Ok(key)
        }
        KeySource::RefusedInCi => bail!(bad(CI_KEY_FIX)),
        KeySource::Default(dir) => {
            let dir = dir.ok_or_else(|| {
                bad("no --key given and no home directory to keep a default key in; pass --key or set TACOS_SIGNING_KEY")
            })?;
            let (key, path, created) = keyfile::load_or_create_default(&dir, password.as_deref())
                .map_err(|e| {
                bad(format!("the default signing key in {}: {e}", dir.display()))
            })?;
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
    }
}

fn short_id(key: &PublicKey) -> String {
    key.key_id().chars().take(16).collect()
}

fn run_keygen(args: KeygenArgs, ui: &Ui) -> Result<ExitCode> {
    let alg: KeyAlgorithm = args
        .algorithm
        .parse()
        .map_err(|_| bad(format!("unknown algorithm {}", args.algorithm)))?;
    let password = cosign_password();
    let format = match (args.format.as_str(), &password) {
        ("cosign", Some(p)) => PrivateFormat::Cosign(p),
        ("cosign", None) => bail!(bad(
            "--format cosign encrypts the key with COSIGN_PASSWORD, which is not set; set it (an empty value is a valid password)"
        )),
        _ => PrivateFormat::Pkcs8,
    };
    let key = SigningKey::generate(alg);
    let prefix = args.output.to_string_lossy();
    let private = PathBuf::from(format!("{prefix}.key"));
    let public = PathBuf::from(format!("{prefix}.pub"));
    keyfile::write_key_pair_as(&key, &private, &public, args.force, format).map_err(
        |e| match e {
            KeyFileError::Exists { .. } => bad(format!("{e}; pass --force to overwrite it")),
            e => key_err(e),
        },
    )?;
    ui.say(&format!(
        "wrote {} (private, {}mode 0600) and {} ({alg}, key id {})",
        private.display(),
        if matches!(format, PrivateFormat::Cosign(_)) {
            "cosign-encrypted with COSIGN_PASSWORD, "
        } else {
            ""
        },
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
    let json = args.format == "json";
    let mut failed = false;
    let mut bad_input = false;
    let mut results = Vec::new();
    for sbom in &args.sboms {
        let outcome = match verify::verify(sbom, &opts) {
            Ok(o) => o,
            Err(e) => {
                ui.warn(&format!("error: {e}"));
                bad_input = true;
                results.push(json!({"sbom": sbom.display().to_string(), "error": e.to_string()}));
                continue;
            }
        };
        if !json {
            for f in &outcome.failures {
                ui.out(&format!("FAIL {}: {f}", sbom.display()));
            }
        }
        if outcome.without_reference > 0 && opts.allow_missing {
            ui.say(&format!(
                "note: {} with a package URL without a TACOS reference (accepted: --allow-missing)",
                plural(outcome.without_reference, "component", "components")
            ));
        }
        if outcome.nothing_attested {
            ui.say(&format!(
                "note: {}: nothing to verify: no component has a package URL, so nothing was attested (and the document has no place for an application report)",
                sbom.display()
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
        let passed = outcome.passed(&opts);
        failed |= !passed;
        results.push(json!({
            "sbom": sbom.display().to_string(),
            "passed": passed,
            "nothingAttested": outcome.nothing_attested,
            "references": outcome.references,
            "verified": outcome.verified,
            "withoutReference": outcome.without_reference,
            "signerProven": opts.key.is_some() && !outcome.signer_unproven(),
            "signerKeyId": opts.key.as_ref().map(|k| k.key_id()),
            "keysUsedFromArtifacts": outcome.keys_used_from_artifacts.iter().map(|k| k.display().to_string()).collect::<Vec<_>>(),
            "failures": outcome.failures.iter().map(|f| json!({"component": f.component, "purl": f.purl, "what": f.what})).collect::<Vec<_>>(),
        }));
    }
    let code = if bad_input {
        EXIT_BAD_INPUT
    } else if failed {
        EXIT_CHECK_FAILED
    } else {
        0
    };
    if json {
        ui.out_json(&json!({"results": results, "exitCode": code}));
    }
    Ok(ExitCode::from(code))
}

fn run_assess(args: AssessArgs, ui: &Ui) -> Result<ExitCode> {
    let mut packages = Vec::new();
    for raw in &args.purls {
        let purl =
            Purl::parse(raw).map_err(|e| bad(format!("{raw:?}: invalid package URL: {e}")))?;
        let releases: Vec<String> = purl.version().map(|v| v.to_string()).into_iter().collect();
        packages.push((purl, releases.into()));
    }
    let config = Config::load(args.sources.config.as_deref()).map_err(|e| bad(e.to_string()))?;
    let policy = Policy {
        require_sources: config.policy.require_sources || args.sources.require_sources,
        ..Policy::default()
    };
    let session = open_session(&args.sources, config, now()?, None)?;
    let outcome = session.assess(&packages, ui);
    ui.finish();
    report_session(&session, &outcome, ui);
    let out = serde_json::to_string_pretty(&outcome.statements)?;
    ui.out_raw(format!("{}\n", escape_json(&out)).as_bytes());
    let violations = policy.unsourced(&unconfigured(&session));
    let passed = print_violations(&policy, &violations, outcome.statements.len(), ui);
    Ok(if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_CHECK_FAILED)
    })
}

/// A path as a link from `from_dir`: relative when both are local.
fn link_from(from_dir: &Path, target: &Path) -> String {
    let from = fsutil::absolute(from_dir).unwrap_or_else(|_| from_dir.to_path_buf());
    fsutil::relative_path(&from, target)
        .components()
        .map(|c| {
            c.as_os_str()
                .to_string_lossy()
                .replace('%', "%25")
                .replace(' ', "%20")
                .replace('#', "%23")
                .replace('?', "%3F")
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The key a command that signs nothing could still destroy by writing over
/// it: the one `TACOS_SIGNING_KEY` names, or the default one.
fn any_signing_key() -> KeySource {
    key_source(&KeyArgs {
        key: None,
        ephemeral_key: false,
    })
}

fn run_report(args: ReportArgs, ui: &Ui) -> Result<ExitCode> {
    let config = Config::load(args.config.as_deref()).map_err(|e| bad(e.to_string()))?;
    let policy = args.policy.policy(&config, false)?;
    if let Some(out) = args.output.as_deref().filter(|p| *p != Path::new(STDIO)) {
        let inputs = [Some(args.input.as_path()), args.key.as_deref()];
        protected(
            &config,
            None,
            any_signing_key(),
            inputs.into_iter().flatten(),
        )
        .check(out)
        .map_err(|e| bad(e.to_string()))?;
    }
    let loaded = tacos_sbom::report::load::load(
        &args.input,
        &tacos_sbom::report::load::Options {
            key: trusted_key(args.key.as_deref())?,
            attestations_dir: args.attestations_dir.clone(),
            now: tacos::timestamp(now()?),
        },
    )
    .map_err(bad)?;
    for n in &loaded.notes {
        ui.say(&format!("note: {n}"));
    }
    // One line per distinct problem; -v lists each component.
    let mut by_what: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &loaded.failures {
        ui.detail(&format!("FAIL {}: {f}", args.input.display()));
        *by_what
            .entry(f.rsplit(": ").next().unwrap_or(f))
            .or_default() += 1;
    }
    for (what, n) in by_what {
        ui.warn(&format!(
            "FAIL {}: {}: {what}",
            args.input.display(),
            plural(n, "component", "components")
        ));
    }
    let to_file = args.output.as_deref().filter(|p| *p != Path::new(STDIO));
    let link_dir = to_file
        .and_then(Path::parent)
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let mut summary = loaded.summary(|p| link_from(&link_dir, p));
    let violations = policy.evaluate(&loaded.report.statements).map_err(bad)?;
    summary.violations = violations.clone();
    let text = match args.format.as_str() {
        "html" => tacos_sbom::report::render_html(&summary),
        "json" => tacos_sbom::report::render_json(&summary),
        "sarif" => {
            let uri = match args.input.to_string_lossy() {
                s if s == STDIO => "sbom.json".to_string(),
                s => s.trim_start_matches("./").to_string(),
            };
            let text = tacos_sbom::sbom::input_bytes(&args.input)
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            tacos_sbom::report::sarif::render_sarif(
                &violations,
                &tacos_sbom::report::sarif::Target {
                    uri: &uri,
                    text: text.as_deref(),
                },
            )
        }
        _ => tacos_sbom::report::render_markdown(&summary),
    };
    match to_file {
        Some(path) => {
            let mut f = fsutil::AtomicFile::create(path)
                .map_err(|e| bad(format!("{}: {e}", path.display())))?;
            f.writer().write_all(text.as_bytes())?;
            f.commit(true, None)
                .map_err(|e| bad(format!("{}: {e}", path.display())))?;
            ui.say(&format!(
                "wrote {} ({}; verdict {}; verification: {})",
                path.display(),
                plural(summary.packages, "package", "packages"),
                summary.verdict,
                summary.provenance.verification
            ));
        }
        None => match args.format.as_str() {
            "json" | "sarif" => ui.out_raw(escape_json(&text).as_bytes()),
            _ => ui.out_raw(escape(&text).as_bytes()),
        },
    }
    let passed = print_violations(&policy, &violations, loaded.report.statements.len(), ui);
    Ok(if loaded.intact && passed {
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
    let enriched = verify::Enriched::read(&args.input, &opts).map_err(|e| bad(e.to_string()))?;
    let outcome = enriched.verify();
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
    let files = enriched
        .files()
        .map_err(|e| bad(format!("{}: {e}", args.input.display())))?;
    if args.output != Path::new(STDIO) {
        let inputs = [args.input.as_path()]
            .into_iter()
            .chain(args.key.as_deref())
            .chain(files.iter().map(PathBuf::as_path));
        protected(&Config::default(), None, any_signing_key(), inputs)
            .check(&args.output)
            .map_err(|e| bad(e.to_string()))?;
    }
    let loaded = tacos_sbom::report::load::from_enriched(&enriched, &tacos::timestamp(now()?))
        .map_err(bad)?;
    let key_pem = match (&key, files.first()) {
        (Some(k), _) => Some(k.to_spki_pem().into_bytes()),
        (None, Some(f)) => fsutil::read_regular(
            &verify::key_beside(f.parent().unwrap_or(Path::new("."))),
            1 << 20,
        )
        .ok(),
        (None, None) => None,
    };
    let stdout = args.output == Path::new(STDIO);
    let name = if stdout {
        Path::new("tacos-evidence.tar.gz")
    } else {
        args.output.as_path()
    };
    let packaged =
        tacos_sbom::bundle::package(&enriched, name, &files, key_pem, &loaded).map_err(bad)?;
    if stdout {
        ui.out_raw(&packaged.bytes);
    } else {
        let mut f = fsutil::AtomicFile::create(&args.output)
            .map_err(|e| bad(format!("{}: {e}", args.output.display())))?;
        f.writer().write_all(&packaged.bytes)?;
        f.commit(true, None)
            .map_err(|e| bad(format!("{}: {e}", args.output.display())))?;
    }
    ui.say(&format!(
        "wrote {} ({}, {} bytes, folder {}/)",
        args.output.display(),
        plural(packaged.artifacts, "artifact", "artifacts"),
        packaged.bytes.len(),
        packaged.folder
    ));
    Ok(ExitCode::SUCCESS)
}

/// What `doctor` shows: where everything a run uses comes from, without
/// asking any service (the ecosystems' own clients are asked for their
/// registry settings, as a run would).
fn run_doctor(args: DoctorArgs, ui: &Ui) -> Result<ExitCode> {
    let config_path = args.config.clone().or_else(|| {
        let p = PathBuf::from(tacos_sbom::config::DEFAULT_FILE);
        p.exists().then_some(p)
    });
    let config = Config::load(args.config.as_deref()).map_err(|e| bad(e.to_string()))?;
    let endpoints = tacos_sbom::sources::endpoints::Endpoints::resolve(&config)
        .map_err(|e| bad(e.to_string()))?
        .describe();
    let (cache, cache_from) = match (&args.cache_dir, &config.cache.dir) {
        (Some(d), _) => (Some(d.clone()), "--cache-dir"),
        (None, Some(d)) => (Some(d.clone()), "[cache] dir in the config file"),
        (None, None) => (
            assess::session::default_cache_dir(),
            "the platform's cache directory ($XDG_CACHE_HOME or ~/.cache)",
        ),
    };
    let key_args = KeyArgs {
        key: args.key.clone(),
        ephemeral_key: false,
    };
    let (key_path, key_from, key_state) = match key_source(&key_args) {
        KeySource::File(p, from) => {
            let state = if p.exists() { "exists" } else { "missing" };
            (Some(p), from.to_string(), state.to_string())
        }
        KeySource::RefusedInCi => (
            None,
            "none: CI is set and no key was given".to_string(),
            CI_KEY_FIX.to_string(),
        ),
        KeySource::Ephemeral => (
            None,
            "--ephemeral-key".into(),
            "made for the run, never saved".into(),
        ),
        KeySource::Default(dir) => match dir {
            None => (None, "none: no home directory".into(), "pass --key".into()),
            Some(dir) => {
                let legacy = dir.join(keyfile::LEGACY_KEY_FILE);
                let current = dir.join(keyfile::DEFAULT_KEY_FILE);
                let p = if !current.exists() && legacy.exists() {
                    legacy
                } else {
                    current
                };
                let state = if p.exists() {
                    "exists"
                } else {
                    "created on first use"
                };
                (
                    Some(p),
                    "the default key ($TACOS_SBOM_CONFIG_DIR, else the platform's config directory)".into(),
                    state.into(),
                )
            }
        },
    };
    let key_id = key_path
        .as_deref()
        .filter(|p| p.exists())
        .and_then(|p| keyfile::read_signing_key(p, cosign_password().as_deref()).ok())
        .map(|k| k.public_key().key_id());
    if args.format == "json" {
        ui.out_json(&json!({
            "configFile": config_path.as_ref().map(|p| p.display().to_string()),
            "endpoints": endpoints.iter().map(|e| json!({
                "service": e.service.to_string(), "url": e.url, "from": e.from,
            })).collect::<Vec<_>>(),
            "cacheDir": cache.as_ref().map(|c| c.display().to_string()),
            "cacheDirFrom": cache_from,
            "signingKey": key_path.as_ref().map(|p| p.display().to_string()),
            "signingKeyFrom": key_from,
            "signingKeyState": key_state,
            "signingKeyId": key_id,
            "ci": in_ci(),
            "policy": {
                "failOn": config.policy.fail_on,
                "maxNoassertionPercent": config.policy.max_noassertion_percent,
                "requireSources": config.policy.require_sources,
            },
        }));
        return Ok(ExitCode::SUCCESS);
    }
    let mut lines = vec![match &config_path {
        Some(p) => format!("config file: {} (read)", p.display()),
        None => format!(
            "config file: none ({} not found; defaults in effect)",
            tacos_sbom::config::DEFAULT_FILE
        ),
    }];
    lines.push("endpoints:".into());
    for e in &endpoints {
        lines.push(format!(
            "  {:<18} {:<44} {}",
            e.service.to_string(),
            e.url.as_deref().unwrap_or("(none)"),
            e.from
        ));
    }
    lines.push(format!(
        "cache: {} (from {cache_from})",
        cache
            .as_ref()
            .map(|c| c.display().to_string())
            .unwrap_or_else(|| "(none)".into())
    ));
    lines.push(format!(
        "signing key: {} (from {key_from}; {key_state}{})",
        key_path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "(none)".into()),
        key_id
            .map(|id| format!("; key id {}", &id[..16]))
            .unwrap_or_default()
    ));
    if !config.policy.is_empty() {
        lines.push(format!(
            "policy: fail_on {:?}, max_noassertion_percent {:?}, require_sources {}",
            config.policy.fail_on,
            config.policy.max_noassertion_percent,
            config.policy.require_sources
        ));
    }
    ui.out(&lines.join("\n"));
    Ok(ExitCode::SUCCESS)
}

/// clap_complete's bash script labels a hyphenated binary's subcommand
/// branches `tacos__subcmd__sbom__subcmd__enrich` while its dispatcher looks
/// for `tacos__sbom__subcmd__enrich` (clap issue 6421), so nothing past the
/// subcommand completes. Renaming the labels' prefix fixes it; the test
/// completes in a real bash.
fn fix_bash_completion(script: &str) -> String {
    script.replace("tacos__subcmd__sbom", "tacos__sbom")
}

fn run_completions(shell: &str, ui: &Ui) -> Result<ExitCode> {
    use clap_complete::Shell;
    let shell = match shell {
        "bash" => Shell::Bash,
        "zsh" => Shell::Zsh,
        "fish" => Shell::Fish,
        "elvish" => Shell::Elvish,
        _ => Shell::PowerShell,
    };
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "tacos-sbom", &mut buf);
    let text = String::from_utf8(buf).map_err(|e| bad(e.to_string()))?;
    let text = if shell == Shell::Bash {
        fix_bash_completion(&text)
    } else {
        text
    };
    ui.out_raw(text.as_bytes());
    Ok(ExitCode::SUCCESS)
}

fn run_man(ui: &Ui) -> Result<ExitCode> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut buf)?;
    ui.out_raw(&buf);
    Ok(ExitCode::SUCCESS)
}

fn open_session(
    args: &SourceArgs,
    config: Config,
    now: OffsetDateTime,
    endpoints: Option<tacos_sbom::sources::endpoints::Endpoints>,
) -> Result<assess::session::Session> {
    let opts = assess::session::Options {
        offline: args.offline,
        osv_db: args.osv_db.clone(),
        reports: args.reports.clone(),
        cache_dir: args.cache_dir.clone(),
        no_cache: args.no_cache,
        concurrency: args.concurrency,
        store: args.store.clone(),
        endpoints,
    };
    let session =
        assess::session::Session::open(config, &opts, now).map_err(|e| bad(e.to_string()))?;
    // A cancelled CI job or Ctrl-C: the claims this run holds in the store
    // go back at once, so that the next run does not wait them out.
    session.on_interrupt(|i| {
        let claims = match &i.released {
            Ok(0) => String::new(),
            Ok(n) => format!(
                "; gave back its {} in the assessment store",
                plural(*n, "claim", "claims")
            ),
            Err(e) => format!(
                "; could not give back its claims in the assessment store ({e}): they lapse within [store] claim_seconds"
            ),
        };
        let _ = writeln!(
            std::io::stderr().lock(),
            "\n{}",
            escape(&format!("interrupted by {}{claims}; stopping", i.signal))
        );
        std::process::exit(i32::from(i.exit_code));
    });
    Ok(session)
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
            "store {store}: {} reused, {} assessed",
            plural(outcome.from_store, "statement", "statements"),
            outcome.assessed
        );
        if outcome.waited_for > 0 {
            line.push_str(&format!(
                " ({} waited for while another runner assessed them)",
                outcome.waited_for
            ));
        }
        ui.say(&line);
    }
    if outcome.set_aside > 0
        && let Some(store) = &outcome.store
    {
        // Shown even with -q: someone may have changed what the store holds.
        ui.warn(&format!(
            "warning: store {store}: {} set aside and decided again: they failed their integrity check (changed in the store, or sealed with another store key) or did not read as a statement of their package",
            plural(outcome.set_aside, "stored row", "stored rows")
        ));
    }
    if let Some(problem) = &outcome.store_problem {
        ui.say(&format!(
            "warning: {problem}; the rest was assessed without the store"
        ));
    }
    for (service, (n, why)) in session.unconfigured() {
        ui.say(&format!(
            "warning: {} got no data from the {service}: {why}",
            plural(n, "package", "packages")
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
            .map(|(s, st)| {
                format!(
                    "{s} {}, {} cached",
                    plural(st.requests as usize, "request", "requests"),
                    st.cache_hits
                )
            })
            .collect();
        ui.say(&format!("sources: {}", parts.join("; ")));
    }
    if session.is_offline() {
        let undecided = outcome.unavailable_values;
        ui.say(&format!(
            "offline: {} stayed NOASSERTION because their source was not in the cache or the OSV database",
            plural(undecided, "field value", "field values")
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
