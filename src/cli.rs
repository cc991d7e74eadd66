//! The command line: parsing, dispatch and exit codes. The modules below
//! hold the terminal (`ui`) and each command's messages; the work is the
//! library's (but for `report`, whose steps `checks` still puts together).

mod checks;
mod jobs;
mod registry;
mod setup;
mod ui;

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::{PossibleValue, TypedValueParser};
use clap::{Args, Parser, Subcommand};

use tacos_sbom::term::escape;
use tacos_sbom::{assess, enrich, suggest, tacos};

use ui::Ui;

/// The result of a command: its exit code, or an error that stopped it.
type Result<T> = anyhow::Result<T>;

/// Exit codes: 0 success, 1 a check failed, 2 bad usage or bad input.
const EXIT_CHECK_FAILED: u8 = 1;
const EXIT_BAD_INPUT: u8 = 2;

const EXIT_ENRICH: &str = "Exit codes: 0 written, and the policy (if any) passed; 1 written, but the \
    policy failed (--fail-on, --max-noassertion, --fail-on-vulnerabilities, --require-sources); 2 \
    bad usage or input (an unreadable SBOM or VEX document, a bad key, no key in CI, an output that \
    cannot be written): nothing written.";
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
const EXIT_ATTACH: &str = "Exit codes: 0 attached; 1 the registry refused or failed part of \
    it (what was pushed stays; attaching again uploads only what is missing); 2 bad usage or input \
    (an image not named by digest, an SBOM whose artifacts do not read or are bare DSSE \
    envelopes).";
const EXIT_OTHER: &str = "Exit codes: 0 success; 2 bad usage or input.";
/// The exit codes of every command, in `tacos-sbom --help` and the man
/// page; docs/commands.md quotes these texts and a test holds it to them.
const EXIT_ALL: &str = "Exit codes: 0 success; 1 the job ran but a check failed (verify, package, \
    report, a policy, --require-sources; also verify and package without --key, unless \
    --allow-unauthenticated); 2 bad usage or bad input. Each command's --help says which apply.";
const EXIT_COMPLETIONS: &str = "Install, e.g.: tacos-sbom completions bash > \
    ~/.local/share/bash-completion/completions/tacos-sbom\n\nExit codes: 0 success; 2 bad usage.";
const EXIT_MAN: &str = "Install, e.g.: tacos-sbom man --dir ~/.local/share/man/man1 (every page), \
    or tacos-sbom man > ~/.local/share/man/man1/tacos-sbom.1 (this one)\n\nExit codes: 0 \
    success; 2 bad usage, or a page that cannot be written.";

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
    long_about = "Reads an SBOM (CycloneDX JSON or XML, SPDX 2 JSON or tag-value, SPDX 3 \
                  JSON-LD; the format is detected from the content), resolves each component's package URL, \
                  writes a signed TACOS attestation (in-toto Statement v1 in a DSSE envelope) per \
                  distinct package, and writes the SBOM back, unchanged otherwise, with an external \
                  reference to each component's attestation. `-` is standard input for an input \
                  and standard output for -o.",
    after_help = EXIT_ALL
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
    Enrich(Box<EnrichArgs>),
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
    /// Push an enriched SBOM's attestations (Sigstore bundles) and the SBOM
    /// to a container image's registry as OCI referrers of the image, in
    /// the shape cosign writes; `verify --image` checks them there.
    #[command(after_help = EXIT_ATTACH)]
    Attach(AttachArgs),
    /// Sign the maintainers' own answers to the fields only they can attest
    /// (MFA, build practices, succession, SDLC policy and evidence), from
    /// the declaration kept in their repository (tacos-self.toml), as a
    /// Sigstore bundle to publish at .tacos/self-attestation.sigstore.json.
    #[command(after_help = EXIT_OTHER)]
    AttestSelf(AttestSelfArgs),
    /// Create a signing key pair: PREFIX.key (private) and PREFIX.pub (public).
    #[command(after_help = EXIT_OTHER)]
    Keygen(KeygenArgs),
    /// Show the configuration in effect: each endpoint and where it came
    /// from, the cache, the signing key, the config file. Asks no service.
    #[command(after_help = EXIT_OTHER)]
    Doctor(DoctorArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(after_help = EXIT_COMPLETIONS)]
    Completions {
        #[arg(value_parser = Choice(&["bash", "zsh", "fish", "elvish", "powershell"]))]
        shell: String,
    },
    /// Print the man page (roff) of tacos-sbom or of one command, or write
    /// every page into a directory; generated from these definitions.
    #[command(after_help = EXIT_MAN)]
    Man(ManArgs),
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
    /// input, with .tacos put before its format suffix (its last extension,
    /// with the one before it when that is cdx, spdx or bom, with or without
    /// a version), e.g. bom.cdx16.json -> bom.tacos.cdx16.json, sbom.spdx ->
    /// sbom.tacos.spdx; -o DIR names each so inside DIR; standard output
    /// when the input is -.
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
    /// Also write the known vulnerabilities of the versions in use into the
    /// SBOM's vulnerabilities (CycloneDX 1.4 and later, JSON and XML; other
    /// outputs are written without them): each by OSV id, its aliases as
    /// references, affecting its components by bom-ref. What the SBOM
    /// already records for a component, and every analysis, is kept.
    #[arg(long)]
    vulnerabilities: bool,
    /// How artifacts are laid out: files (one file per package, what other
    /// tools fetch by URL) or bundle (every artifact a line of one JSON Lines
    /// file, referenced as FILE#L<line>: far fewer files for bulk runs; not
    /// a Sigstore bundle, see --envelope). Default: [output] layout in the
    /// config file, else files.
    #[arg(long, value_name = "LAYOUT", value_parser = Choice(tacos_sbom::config::Layout::NAMES)
        .map(|l| tacos_sbom::config::Layout::parse(&l).expect("Choice took only a valid layout")))]
    layout: Option<tacos_sbom::config::Layout>,
    /// What each artifact is: dsse (a bare DSSE envelope, .tacos.dsse.json)
    /// or bundle (a Sigstore bundle v0.3 around the same envelope, naming
    /// the key by its id, .tacos.sigstore.json; what Sigstore verifiers
    /// read). Applies to the application report too. Default: [output]
    /// envelope in the config file, else dsse.
    #[arg(long, value_name = "ENVELOPE", value_parser = Choice(tacos_sbom::attest::Form::NAMES)
        .map(|e| tacos_sbom::attest::Form::parse(&e).expect("Choice took only a valid envelope")))]
    envelope: Option<tacos_sbom::attest::Form>,
    /// An RFC 3161 timestamp authority (cosign's flag name): every
    /// signature is sent to it and its signed answer put in the Sigstore
    /// bundle, so that verifiers that need a timestamp for a key-signed
    /// bundle (cosign, sigstore-rust) accept it. Needs --envelope bundle.
    #[arg(long, value_name = "URL")]
    timestamp_server_url: Option<String>,
    /// Then attach the enriched SBOM's attestations and the SBOM to this
    /// image (REGISTRY/REPOSITORY@sha256:<hex>) as OCI referrers, as
    /// tacos-sbom attach does. Needs Sigstore bundles (--envelope bundle),
    /// one input and an output file.
    #[arg(long, value_name = "IMAGE", conflicts_with = "from_list")]
    attach: Option<String>,
    #[command(flatten)]
    key: KeyArgs,
    #[command(flatten)]
    keyless: KeylessArgs,
    /// The run summary on stdout as text or JSON (on stderr with -o -).
    #[arg(short, long, default_value = "text", value_parser = Choice(TEXT_JSON))]
    format: String,
    #[command(flatten)]
    sources: SourceArgs,
    #[command(flatten)]
    policy: PolicyArgs,
    /// A VEX document (OpenVEX 0.2.0 JSON, or CycloneDX JSON with
    /// vulnerabilities[].analysis) for --fail-on-vulnerabilities: its
    /// statements answer known vulnerabilities of the components they
    /// name, beside each input's own analyses. Signed statements are not
    /// changed by it. Repeatable.
    #[arg(long, value_name = "FILE")]
    vex: Vec<PathBuf>,
}

impl EnrichArgs {
    fn job(self) -> enrich::Job {
        enrich::Job {
            inputs: self.inputs,
            from_list: self.from_list,
            output: self.output,
            in_place: self.in_place,
            attestations_dir: self.attestations_dir,
            base_url: self.base_url,
            declarations: self.declarations,
            vulnerabilities: self.vulnerabilities,
            layout: self.layout,
            envelope: self.envelope,
            timestamp_server_url: self.timestamp_server_url,
            key: self.key.key,
            ephemeral_key: self.key.ephemeral_key,
            keyless: self
                .keyless
                .keyless
                .then_some(enrich::keyless::KeylessFlags {
                    identity_token: self.keyless.identity_token,
                    signing_config: self.keyless.signing_config,
                    fulcio_url: self.keyless.fulcio_url,
                    rekor_url: self.keyless.rekor_url,
                }),
            config: self.sources.config.clone(),
            session: self.sources.session(),
            policy: self.policy.flags(self.sources.require_sources),
            vex: self.vex,
            now: None,
            report_subject: None,
        }
    }
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

/// Keyless signing (Sigstore: Fulcio, Rekor, a timestamp authority).
#[derive(Args, Clone, Default)]
struct KeylessArgs {
    /// Sign keyless: a key made for this run, certified by Fulcio for the
    /// CI job's OIDC identity (GitHub Actions with `id-token: write`,
    /// GitLab's SIGSTORE_ID_TOKEN, or --identity-token); every artifact a
    /// Sigstore bundle entered in Rekor and timestamped when the signing
    /// config names a timestamp authority. Implies --envelope bundle.
    #[arg(long, conflicts_with_all = ["key", "ephemeral_key"])]
    keyless: bool,
    /// The OIDC identity token (a JWT) to sign keyless with. Prefer
    /// SIGSTORE_ID_TOKEN: a command line is visible to other processes.
    #[arg(long, value_name = "TOKEN", requires = "keyless")]
    identity_token: Option<String>,
    /// A Sigstore signing config (signing_config.v0.2.json) naming the
    /// Fulcio, Rekor and timestamp authority. Default: the public-good
    /// instance's (embedded).
    #[arg(long, value_name = "FILE", requires = "keyless")]
    signing_config: Option<PathBuf>,
    /// The Fulcio to ask instead of the signing config's.
    #[arg(long, value_name = "URL", requires = "keyless")]
    fulcio_url: Option<String>,
    /// The Rekor (v1 API) to log in instead of the signing config's.
    #[arg(long, value_name = "URL", requires = "keyless")]
    rekor_url: Option<String>,
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
    /// Exit 1 on each known vulnerability in a version in use that no VEX
    /// statement about that very component answers (the SBOM's own
    /// CycloneDX analyses, and --vex documents where the command takes them).
    #[arg(long)]
    fail_on_vulnerabilities: bool,
}

impl PolicyArgs {
    fn flags(&self, require_sources: bool) -> enrich::PolicyFlags {
        enrich::PolicyFlags {
            fail_on: self.fail_on.clone(),
            max_noassertion: self.max_noassertion,
            require_sources,
            fail_on_vulnerabilities: self.fail_on_vulnerabilities,
        }
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

impl SourceArgs {
    /// What the assessment's session is given.
    fn session(&self) -> assess::session::Options {
        assess::session::Options {
            offline: self.offline,
            osv_db: self.osv_db.clone(),
            reports: self.reports.clone(),
            cache_dir: self.cache_dir.clone(),
            no_cache: self.no_cache,
            concurrency: self.concurrency,
            store: self.store.clone(),
            endpoints: None,
        }
    }
}

#[derive(Args)]
struct VerifyArgs {
    /// Enriched SBOMs (- for standard input).
    #[arg(required_unless_present = "image", value_name = "SBOM")]
    sboms: Vec<PathBuf>,
    /// Verify what a registry holds for this image instead of local files:
    /// REGISTRY/REPOSITORY@sha256:<hex>. Its referrers are listed (the
    /// referrers API, else the sha256-<hex> tag index), every TACOS bundle
    /// is checked with --key (required), and an attached SBOM's references
    /// must each be among them.
    #[arg(long, value_name = "IMAGE", conflicts_with_all = ["sboms", "attestations_dir"])]
    image: Option<String>,
    /// Speak plain HTTP to the registry of --image (a loopback registry is
    /// spoken to over plain HTTP anyway).
    #[arg(long, requires = "image")]
    plain_http: bool,
    /// Public key (SPKI PEM) the artifacts must be signed with. Without it,
    /// the key written beside the artifacts is used, which proves they are
    /// intact but not who signed them: a warning says so (even with -q) and
    /// the exit code is 1 unless --allow-unauthenticated.
    #[arg(long, value_name = "PUBKEY")]
    key: Option<PathBuf>,
    #[command(flatten)]
    identity: IdentityArgs,
    /// Directory that holds the artifacts, when it is not where the
    /// references point (a copy of published artifacts, or a moved folder).
    /// Given, https:// references are looked for in it by file name, and
    /// nothing is fetched.
    #[arg(long, value_name = "DIR")]
    attestations_dir: Option<PathBuf>,
    #[command(flatten)]
    fetch: FetchArgs,
    /// A Sigstore trusted_root.json. With --key: every artifact must then
    /// be a Sigstore bundle carrying an RFC 3161 timestamp over its
    /// signature, and every timestamp must verify against the root's
    /// timestamp authorities (without it, timestamps are not checked; a
    /// note says how many). With --certificate-identity: the certificate
    /// authorities, transparency logs, CT logs and timestamp authorities
    /// keyless bundles are verified against (default: the public-good
    /// instance's root built into tacos-sbom).
    #[arg(long, value_name = "FILE")]
    trusted_root: Option<PathBuf>,
    /// Results as text (FAIL lines) or JSON, on stdout.
    #[arg(short, long, default_value = "text", value_parser = Choice(TEXT_JSON))]
    format: String,
    #[command(flatten)]
    trust: TrustArgs,
}

/// Who must have signed keyless artifacts (cosign's flag names): instead of
/// --key, against --trusted-root or the built-in public-good root.
#[derive(Args, Clone, Default)]
struct IdentityArgs {
    /// Verify keyless Sigstore bundles signed by this identity: the
    /// signing certificate's subject alternative name (a URI such as a
    /// GitHub workflow's, an email), exactly. Needs an issuer flag; not
    /// with --key. Checked against --trusted-root, else the public-good
    /// instance's trusted root built into tacos-sbom.
    #[arg(
        long,
        value_name = "IDENTITY",
        conflicts_with_all = ["key", "certificate_identity_regexp"],
    )]
    certificate_identity: Option<String>,
    /// As --certificate-identity, a regular expression (Rust regex syntax)
    /// that must match the whole identity (unlike cosign, which matches
    /// anywhere in it).
    #[arg(long, value_name = "REGEX", conflicts_with = "key")]
    certificate_identity_regexp: Option<String>,
    /// The OIDC issuer the signing certificate must record, exactly (e.g.
    /// https://token.actions.githubusercontent.com).
    #[arg(
        long,
        value_name = "ISSUER",
        conflicts_with_all = ["key", "certificate_oidc_issuer_regexp"],
    )]
    certificate_oidc_issuer: Option<String>,
    /// As --certificate-oidc-issuer, a regular expression that must match
    /// the whole issuer.
    #[arg(long, value_name = "REGEX", conflicts_with = "key")]
    certificate_oidc_issuer_regexp: Option<String>,
}

/// Whether `verify`, `report` and `package` fetch remote references.
#[derive(Args, Clone, Copy, Default)]
struct FetchArgs {
    /// Fetch nothing. Without it, and without --attestations-dir, every
    /// https:// reference is fetched, each file once, into a private
    /// temporary directory removed at the end, and checked against the
    /// SBOM's digest before it is read: at most 64 MiB an artifact (4 GiB a
    /// JSON Lines bundle), 5 redirects, over https only, 30 s without an
    /// answer. With it, remote references fail, asking for
    /// --attestations-dir.
    #[arg(long)]
    offline: bool,
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
struct AttestSelfArgs {
    /// The declaration: the repository, the packages it releases, the
    /// attested values (see docs/self-attestation.md).
    #[arg(value_name = "DECLARATION", default_value = tacos_sbom::selfattest::DECLARATION)]
    declaration: PathBuf,
    /// Where the signed bundle goes.
    #[arg(short, long, value_name = "PATH", default_value = tacos_sbom::selfattest::PUBLISHED_PATH)]
    output: PathBuf,
    /// Sign with this key (PEM, or cosign-encrypted with COSIGN_PASSWORD)
    /// instead of keyless; commit its public half at
    /// .tacos/self-attestation.pub for consumers to check it with.
    #[arg(long, value_name = "PATH")]
    key: Option<PathBuf>,
    /// Refused: a throwaway key proves nothing about who attests.
    #[arg(long, hide = true)]
    ephemeral_key: bool,
    #[command(flatten)]
    keyless: KeylessArgs,
}

#[derive(Args)]
struct AttachArgs {
    /// The enriched SBOM whose attestations to attach (written with
    /// enrich --envelope bundle).
    #[arg(value_name = "SBOM")]
    sbom: PathBuf,
    /// The image: REGISTRY/REPOSITORY@sha256:<hex> (a digest, not a tag: a
    /// tag can be moved after it is attested).
    #[arg(long, value_name = "IMAGE")]
    image: String,
    /// Directory that holds the artifacts, when not where the references point.
    #[arg(long, value_name = "DIR")]
    attestations_dir: Option<PathBuf>,
    /// Speak plain HTTP to a registry that is not on a loopback address.
    #[arg(long)]
    plain_http: bool,
    /// Requests in flight at once to the registry.
    #[arg(long, value_name = "N", default_value_t = tacos_sbom::attach::DEFAULT_CONCURRENCY,
          value_parser = clap::value_parser!(usize))]
    concurrency: usize,
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
    /// Directory that holds the artifacts, when not where the references
    /// point (given, nothing is fetched).
    #[arg(long, value_name = "DIR")]
    attestations_dir: Option<PathBuf>,
    #[command(flatten)]
    fetch: FetchArgs,
    /// A Sigstore trusted_root.json: every artifact the report rests on
    /// must be a Sigstore bundle whose RFC 3161 timestamps verify against
    /// it, as with verify --trusted-root (a plain TACOS report is refused);
    /// with the identity flags, keyless bundles are checked against it.
    #[arg(long, value_name = "FILE")]
    trusted_root: Option<PathBuf>,
    #[command(flatten)]
    identity: IdentityArgs,
    /// Configuration file (for its [policy]).
    #[arg(short, long, value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(flatten)]
    policy: PolicyArgs,
    /// A VEX document (OpenVEX 0.2.0 JSON, or CycloneDX JSON with
    /// vulnerabilities[].analysis) whose statements answer known
    /// vulnerabilities of the components they name, in this report only.
    /// The SBOM's own CycloneDX analyses are read too. Repeatable.
    #[arg(long, value_name = "FILE")]
    vex: Vec<PathBuf>,
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
    /// Directory that holds the artifacts, when not where the references
    /// point (given, nothing is fetched).
    #[arg(long, value_name = "DIR")]
    attestations_dir: Option<PathBuf>,
    #[command(flatten)]
    fetch: FetchArgs,
    /// A Sigstore trusted_root.json: every artifact's RFC 3161 timestamps
    /// must verify against it, as with verify --trusted-root; with the
    /// identity flags, keyless bundles are checked against it.
    #[arg(long, value_name = "FILE")]
    trusted_root: Option<PathBuf>,
    #[command(flatten)]
    identity: IdentityArgs,
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

/// The commands that have a man page of their own (tacos-sbom-COMMAND(1)).
const COMMANDS: &[&str] = &[
    "enrich",
    "verify",
    "assess",
    "report",
    "package",
    "attach",
    "attest-self",
    "keygen",
    "doctor",
    "completions",
    "man",
    "schema",
];

#[derive(Args)]
struct ManArgs {
    /// The command whose page to print (tacos-sbom-COMMAND(1)); without
    /// it, the page of tacos-sbom itself.
    #[arg(value_name = "COMMAND", value_parser = Choice(COMMANDS), conflicts_with = "dir")]
    command: Option<String>,
    /// Write every page (tacos-sbom.1 and tacos-sbom-COMMAND.1 for each
    /// command) into DIR, created if missing, instead of printing one.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
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
        Command::Enrich(args) => jobs::run_enrich(*args, &ui),
        Command::Verify(args) => checks::run_verify(args, &ui),
        Command::Assess(args) => jobs::run_assess(args, &ui),
        Command::AttestSelf(args) => jobs::run_attest_self(args, &ui),
        Command::Keygen(args) => setup::run_keygen(args, &ui),
        Command::Report(args) => checks::run_report(args, &ui),
        Command::Package(args) => checks::run_package(args, &ui),
        Command::Attach(args) => registry::run_attach(args, &ui),
        Command::Doctor(args) => setup::run_doctor(args, &ui),
        Command::Completions { shell } => setup::run_completions(&shell, &ui),
        Command::Man(args) => setup::run_man(args, &ui),
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
            ui.warn(&format!("error: {}", chain(&e)));
            // Everything that stops a command before it ran is bad input or
            // usage; failed checks are reported through Ok(code).
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

/// An error and its causes, each cause unless the message before it says
/// it already (the library's messages quote their cause).
fn chain(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    /// `man COMMAND` offers exactly the commands there are.
    #[test]
    fn every_command_has_a_man_page_to_ask_for() {
        let cmd = Cli::command();
        let names: Vec<&str> = cmd.get_subcommands().map(|c| c.get_name()).collect();
        assert_eq!(names, COMMANDS);
    }

    /// A cause is shown once: not again when the message quotes it.
    #[test]
    fn an_error_s_causes_are_shown_once() {
        let io = std::io::Error::other("disk full");
        let quoted = anyhow::Error::new(enrich::EnrichError::Write {
            path: PathBuf::from("out.json"),
            source: io,
        });
        assert_eq!(chain(&quoted), "out.json: cannot write: disk full");
        let unquoted = anyhow::Error::new(std::io::Error::other("disk full")).context("saving");
        assert_eq!(chain(&unquoted), "saving: disk full");
    }
}
