//! `attach` and `verify --image`: messages and exit codes around the
//! `attach` job.

use std::process::ExitCode;

use anyhow::{Context, bail};
use serde_json::json;
use tacos_sbom::attach::{self, Found, ImageOutcome};
use tacos_sbom::config::Network;
use tacos_sbom::sources::oci::{self, CredentialSource, Credentials, ImageRef, Listing};
use tacos_sbom::term::{escape, plural};
use tacos_sbom::verify;

use super::{AttachArgs, EXIT_CHECK_FAILED, EnrichArgs, Result, Ui, VerifyArgs};

/// The registry's credentials, and a line saying where they came from
/// (never what they are).
fn credentials(image: &ImageRef, ui: &Ui) -> Result<Option<Credentials>> {
    let found = oci::credentials(&image.registry)?;
    match &found {
        Some((_, from)) => ui.detail(&format!(
            "credentials for {} from {}",
            escape(&image.registry),
            match from {
                CredentialSource::DockerConfig(p) => escape(&p.display().to_string()).into_owned(),
                other => other.to_string(),
            }
        )),
        None => ui.detail(&format!(
            "no credentials for {}: anonymous",
            escape(&image.registry)
        )),
    }
    Ok(found.map(|(c, _)| c))
}

fn listing(l: Option<Listing>) -> &'static str {
    match l {
        Some(Listing::Api) => "the registry's referrers API",
        Some(Listing::TagIndex) | None => "the sha256-<digest> tag index",
    }
}

impl attach::Progress for Ui {
    fn pushing(&self, total: usize) {
        self.say(&format!(
            "pushing {}",
            plural(total, "referrer", "referrers")
        ));
    }

    fn pushed(&self, done: usize, total: usize) {
        self.count("pushing", done, total);
    }
}

pub(super) fn run_attach(args: AttachArgs, ui: &Ui) -> Result<ExitCode> {
    let image = ImageRef::parse(&args.image).context("--image")?;
    let opts = attach::Options {
        network: Network::default(),
        plain_http: args.plain_http,
        credentials: credentials(&image, ui)?,
        concurrency: args.concurrency,
    };
    attach_sbom(&args.sbom, args.attestations_dir, &image, &opts, ui)
}

/// `enrich --attach IMAGE`: the image, checked before anything is read or
/// written, with what attaching needs of the run (one input, an output
/// file, Sigstore bundles when the flag says the envelope).
pub(super) fn attach_plan(args: &EnrichArgs) -> Result<Option<ImageRef>> {
    let Some(image) = &args.attach else {
        return Ok(None);
    };
    let image = ImageRef::parse(image).context("--attach")?;
    if args.inputs.len() != 1 || args.inputs[0] == std::path::Path::new("-") {
        bail!("--attach takes one input file (attach the others with tacos-sbom attach)");
    }
    if args.output.as_deref() == Some(std::path::Path::new("-")) {
        bail!("--attach needs the enriched SBOM in a file, not -o -");
    }
    if args.envelope == Some(tacos_sbom::attest::Form::Dsse) {
        bail!("--attach needs Sigstore bundles: --envelope bundle, not dsse");
    }
    Ok(Some(image))
}

/// After `enrich --attach`: attach what it wrote. The exit code (0, or 1
/// when the registry failed; the SBOM and artifacts stay written).
pub(super) fn attach_written(
    sbom: &std::path::Path,
    attestations_dir: Option<&std::path::Path>,
    image: &ImageRef,
    ui: &Ui,
) -> Result<u8> {
    let opts = attach::Options {
        network: Network::default(),
        plain_http: false,
        credentials: credentials(image, ui)?,
        concurrency: attach::DEFAULT_CONCURRENCY,
    };
    let code = match attach_sbom(sbom, attestations_dir.map(Into::into), image, &opts, ui) {
        Ok(code) => code,
        Err(e) => {
            ui.warn(&format!("error: attaching: {e:#}"));
            return Ok(EXIT_CHECK_FAILED);
        }
    };
    Ok(if code == ExitCode::SUCCESS {
        0
    } else {
        EXIT_CHECK_FAILED
    })
}

fn attach_sbom(
    sbom: &std::path::Path,
    attestations_dir: Option<std::path::PathBuf>,
    image: &ImageRef,
    attach_opts: &attach::Options,
    ui: &Ui,
) -> Result<ExitCode> {
    let opts = verify::Options {
        attestations_dir,
        ..verify::Options::default()
    };
    let enriched = verify::Enriched::read(sbom, &opts)?;
    match attach::attach(&enriched, image, attach_opts, ui) {
        Ok(done) => {
            ui.finish();
            ui.say(&format!(
                "attached {} and the SBOM to {} ({} uploaded, {} already there; listed by {})",
                plural(done.bundles, "attestation", "attestations"),
                image,
                plural(done.uploaded, "blob", "blobs"),
                done.reused,
                listing(done.listing)
            ));
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ attach::AttachError::Registry(_)) | Err(e @ attach::AttachError::Runtime(_)) => {
            ui.finish();
            ui.warn(&format!("error: {e}"));
            Ok(ExitCode::from(EXIT_CHECK_FAILED))
        }
        Err(e @ attach::AttachError::NoImage { .. }) => {
            ui.warn(&format!("error: {e}"));
            Ok(ExitCode::from(EXIT_CHECK_FAILED))
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) fn run_verify_image(args: VerifyArgs, image: &str, ui: &Ui) -> Result<ExitCode> {
    let image = ImageRef::parse(image).context("--image")?;
    let keyless = super::checks::keyless_check(&args.identity, args.trusted_root.as_deref())?;
    let signer = match (keyless, args.key.as_deref()) {
        (Some(k), _) => attach::Signer::Keyless {
            root: k.root,
            identity: k.identity,
        },
        (None, Some(key_file)) => attach::Signer::Key {
            key: Box::new(tacos_sbom::attest::keyfile::read_public_key(key_file)?),
            timestamp_authorities: args
                .trusted_root
                .as_deref()
                .map(tacos_sbom::attest::trust_root::read_timestamp_authorities)
                .transpose()?,
        },
        (None, None) => bail!(
            "verify --image needs who signed: --key PUBKEY, or --certificate-identity and --certificate-oidc-issuer for keyless bundles (against --trusted-root, else the built-in public-good root)"
        ),
    };
    let opts = attach::CheckOptions {
        registry: attach::Options {
            network: Network::default(),
            plain_http: args.plain_http,
            credentials: credentials(&image, ui)?,
            concurrency: attach::DEFAULT_CONCURRENCY,
        },
        signer,
    };
    let outcome = match attach::verify_image(&image, &opts) {
        Ok(o) => o,
        Err(e) => {
            ui.warn(&format!("error: {e}"));
            if args.format == "json" {
                ui.out_json(&json!({"image": image.to_string(), "error": e.to_string(), "exitCode": EXIT_CHECK_FAILED}));
            }
            return Ok(ExitCode::from(EXIT_CHECK_FAILED));
        }
    };
    let passed = outcome.passed();
    if args.format == "json" {
        ui.out_json(&image_json(&image, &outcome, passed));
    } else {
        for f in &outcome.failures {
            ui.out(&format!(
                "FAIL {}: {}",
                escape(&f.component),
                escape(&f.what.to_string())
            ));
        }
    }
    ui.say(&format!(
        "{image}: {} referrers (listed by {}): {} TACOS statements and {} verified, {} SBOM, {} other left alone; {}",
        outcome.referrers,
        listing(outcome.listing),
        outcome.statements(),
        plural(outcome.reports(), "application report", "application reports"),
        outcome.sboms(),
        outcome.others(),
        plural(outcome.failures.len(), "failure", "failures"),
    ));
    if outcome.statements() + outcome.reports() == 0 && outcome.failures.is_empty() {
        ui.warn(&format!(
            "error: {image}: no TACOS attestation is attached to this image (tacos-sbom attach puts them there)"
        ));
    }
    Ok(ExitCode::from(if passed { 0 } else { EXIT_CHECK_FAILED }))
}

fn image_json(image: &ImageRef, o: &ImageOutcome, passed: bool) -> serde_json::Value {
    json!({
        "image": image.to_string(),
        "passed": passed,
        "listedBy": match o.listing { Some(Listing::Api) => "referrers-api", _ => "tag-index" },
        "referrers": o.referrers,
        "statements": o.found.iter().filter_map(|f| match f { Found::Statement { purl } => Some(purl.clone()), _ => None }).collect::<Vec<_>>(),
        "reports": o.reports(),
        "sboms": o.sboms(),
        "others": o.others(),
        "failures": o.failures.iter().map(|f| json!({"component": f.component, "what": f.what.to_string()})).collect::<Vec<_>>(),
        "exitCode": if passed { 0 } else { EXIT_CHECK_FAILED },
    })
}
