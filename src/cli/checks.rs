//! What `verify`, `report` and `package` show: each check's failures, what
//! was and was not proven, what was written, and the exit code.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use serde_json::json;

use tacos_sbom::attest::PublicKey;
use tacos_sbom::attest::keychoice::KeySource;
use tacos_sbom::attest::keyfile;
use tacos_sbom::attest::keyless;
use tacos_sbom::attest::rfc3161::TimestampAuthority;
use tacos_sbom::attest::trust_root;
use tacos_sbom::config::Config;
use tacos_sbom::enrich::{self, PolicyOutcome, setup};
use tacos_sbom::sbom::STDIO;
use tacos_sbom::term::{escape, escape_json, plural};
use tacos_sbom::{fsutil, package, tacos, verify};

use super::jobs::show_policy;
use super::{
    EXIT_BAD_INPUT, EXIT_CHECK_FAILED, IdentityArgs, PackageArgs, ReportArgs, Result, Ui,
    VerifyArgs,
};

/// The trusted public key from --key, if given.
fn trusted_key(path: Option<&Path>) -> Result<Option<PublicKey>> {
    Ok(path.map(keyfile::read_public_key).transpose()?)
}

/// The timestamp authorities of the trusted root from --trusted-root, if
/// given (a root no timestamp could verify against is bad input).
fn trusted_root(path: Option<&Path>) -> Result<Option<Vec<TimestampAuthority>>> {
    Ok(path
        .map(trust_root::read_timestamp_authorities)
        .transpose()?)
}

/// The keyless check the identity flags ask for (clap has made sure
/// --key is not given): none without them.
pub(super) fn keyless_check(
    a: &IdentityArgs,
    trusted_root: Option<&Path>,
) -> Result<Option<verify::Keyless>> {
    let flags = verify::IdentityFlags {
        identity: a.certificate_identity.clone(),
        identity_regexp: a.certificate_identity_regexp.clone(),
        issuer: a.certificate_oidc_issuer.clone(),
        issuer_regexp: a.certificate_oidc_issuer_regexp.clone(),
    };
    Ok(verify::Keyless::from_flags(&flags, trusted_root)?)
}

/// What was proven of each keyless artifact: a line each with -v, and a
/// line for each signer (identity and issuer) with how its times were
/// proven.
fn show_keyless(sbom: &Path, outcome: &verify::Outcome, root_name: &str, ui: &Ui) {
    let mut signers: BTreeMap<(&str, &str), (usize, usize, usize)> = BTreeMap::new();
    for k in &outcome.keyless {
        let s = &k.signer;
        let at = s.signed_at();
        ui.detail(&format!(
            "ok {}: {}: {}: signed keyless by {} (OIDC issuer {}), certificate from {}, at {} ({})",
            sbom.display(),
            k.component,
            k.located,
            s.identity,
            s.issuer,
            s.authority,
            rfc3339(at.time),
            at.source
        ));
        let e = signers
            .entry((s.identity.as_str(), s.issuer.as_str()))
            .or_default();
        e.0 += 1;
        for t in &s.times {
            match t.source {
                keyless::TimeSource::TransparencyLog { .. } => e.1 += 1,
                keyless::TimeSource::Timestamp { .. } => e.2 += 1,
            }
        }
    }
    if signers.is_empty() {
        ui.say(&format!(
            "{}: no artifact verified as signed keyless against {root_name}",
            sbom.display()
        ));
    }
    for ((identity, issuer), (n, logged, stamped)) in signers {
        let mut proofs = Vec::new();
        if logged > 0 {
            proofs.push(plural(
                logged,
                "transparency-log entry",
                "transparency-log entries",
            ));
        }
        if stamped > 0 {
            proofs.push(plural(stamped, "RFC 3161 timestamp", "RFC 3161 timestamps"));
        }
        ui.say(&format!(
            "{}: {} signed keyless by {identity} (OIDC issuer {issuer}); signing times proven by {}, each inside its certificate's validity; checked against {root_name}",
            sbom.display(),
            plural(n, "artifact", "artifacts"),
            proofs.join(" and "),
        ));
    }
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

/// A reference whose keyless bundle verified, in verify's JSON.
fn keyless_json(k: &verify::SignedKeyless) -> serde_json::Value {
    let s = &k.signer;
    json!({
        "component": k.component,
        "purl": k.purl,
        "artifact": k.located.place().to_string(),
        "line": k.located.line,
        "identity": s.identity,
        "issuer": s.issuer,
        "certificateAuthority": s.authority,
        "signedAt": rfc3339(s.signed_at().time),
        "times": s.times.iter().map(|t| match &t.source {
            keyless::TimeSource::TransparencyLog { log, index } => json!({
                "time": rfc3339(t.time),
                "source": "transparency-log",
                "log": log,
                "logIndex": index,
            }),
            keyless::TimeSource::Timestamp { authority } => json!({
                "time": rfc3339(t.time),
                "source": "timestamp",
                "authority": authority,
            }),
        }).collect::<Vec<_>>(),
        "tlogEntries": s.log_entries.iter().map(|l| json!({
            "log": l.log,
            "logIndex": l.index,
            "inclusionProofVerified": l.proof_verified,
        })).collect::<Vec<_>>(),
        "scts": s.scts,
    })
}

/// Say what a verification without --key did and did not prove. Printed
/// even with -q: it is the one line that tells an intact set of artifacts
/// from an authentic one.
fn warn_unproven(sbom: &Path, outcome: &verify::Outcome, opts: &verify::Options, ui: &Ui) {
    if !outcome.signer_unproven() {
        return;
    }
    if let Some(copy) = &outcome.given_key_shipped {
        ui.warn(&format!(
            "warning: {}: signer not proven: the given key is the copy shipped with the artifacts ({}): signatures check, the signer is not proven \
             (whoever could replace the artifacts could replace that key too)",
            sbom.display(),
            copy.display()
        ));
        if !opts.allow_unauthenticated {
            ui.warn(&format!(
                "error: {}: pass --key with the signer's own public key (obtained apart from the artifacts), \
                 or --allow-unauthenticated to accept intact but unauthenticated artifacts",
                sbom.display()
            ));
        }
        return;
    }
    let keys: Vec<String> = outcome
        .keys_used_from_artifacts
        .iter()
        .map(|k| k.to_string())
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

/// Each failure as a `FAIL` line (by `line`), but artifacts missing where
/// the references point, as after the SBOM was moved without its
/// attestations folder, are one line with the count and the fix (-v, and
/// verify's JSON, still list each).
fn show_failures(sbom: &Path, failures: &[verify::Failure], ui: &Ui, line: &dyn Fn(&str)) {
    let missing: Vec<&Path> = failures
        .iter()
        .filter_map(|f| f.what.missing_artifact())
        .collect();
    let collapse = missing.len() > 1;
    // As many artifacts without a timestamp: an SBOM enriched without one.
    let unstamped: Vec<&verify::Failure> = failures
        .iter()
        .filter(|f| f.what.is_missing_timestamp())
        .collect();
    let collapse_unstamped = unstamped.len() > 1;
    for f in failures {
        let text = format!("FAIL {}: {f}", sbom.display());
        let grouped = (collapse && f.what.is_missing_artifact())
            || (collapse_unstamped && f.what.is_missing_timestamp());
        match grouped {
            true => ui.detail(&text),
            false => line(&text),
        }
    }
    if collapse {
        line(&missing_line(sbom, missing.len(), missing[0]));
    }
    if collapse_unstamped {
        line(&format!(
            "FAIL {}: {} carry no timestamp (the first: {}): --trusted-root needs Sigstore bundles with an RFC 3161 timestamp (enrich --envelope bundle --timestamp-server-url URL) (-v lists each)",
            sbom.display(),
            plural(unstamped.len(), "artifact", "artifacts"),
            unstamped[0]
        ));
    }
}

/// One line for `n` artifacts not found where the references point (the
/// first at `first`).
fn missing_line(sbom: &Path, n: usize, first: &Path) -> String {
    let dir = first.parent().unwrap_or(Path::new("."));
    format!(
        "FAIL {}: {} not found where its references point (looked in {}): if the SBOM was moved or copied without its attestations folder, pass --attestations-dir DIR with the folder that holds them (-v lists each)",
        sbom.display(),
        plural(n, "artifact", "artifacts"),
        dir.display()
    )
}

/// What was made of the artifacts' timestamps: how many verified against
/// the trusted root, or, without one, how many were not checked (so that
/// nobody takes them for checked).
fn show_timestamps(sbom: &Path, outcome: &verify::Outcome, opts: &verify::Options, ui: &Ui) {
    if opts.timestamp_authorities.is_some() {
        ui.say(&format!(
            "{}: {} verified against the trusted root ({})",
            sbom.display(),
            plural(outcome.timestamps_verified(), "timestamp", "timestamps"),
            plural(outcome.stamped.len(), "artifact", "artifacts"),
        ));
    } else if outcome.timestamps_unchecked > 0 {
        ui.say(&format!(
            "note: {}: {} not checked: pass --trusted-root FILE",
            sbom.display(),
            plural(
                outcome.timestamps_unchecked,
                "timestamp was",
                "timestamps were"
            ),
        ));
    }
}

/// A reference whose timestamps verified, in verify's JSON.
fn stamped_json(s: &verify::Stamped) -> serde_json::Value {
    json!({
        "component": s.component,
        "purl": s.purl,
        "artifact": s.located.place().to_string(),
        "line": s.located.line,
        "timestamps": s.timestamps.iter().map(|t| json!({
            "genTime": t.gen_time.format(&time::format_description::well_known::Rfc3339).ok(),
            "authority": t.authority,
            "serial": t.serial,
            "policy": t.policy,
        })).collect::<Vec<_>>(),
    })
}

pub(super) fn run_verify(args: VerifyArgs, ui: &Ui) -> Result<ExitCode> {
    if let Some(image) = args.image.clone() {
        return super::registry::run_verify_image(args, &image, ui);
    }
    let keyless = keyless_check(&args.identity, args.trusted_root.as_deref())?;
    let opts = verify::Options {
        key: trusted_key(args.key.as_deref())?,
        key_file: args.key.clone(),
        attestations_dir: args.attestations_dir,
        offline: args.fetch.offline,
        allow_missing: args.trust.allow_missing,
        allow_unauthenticated: args.trust.allow_unauthenticated,
        // Keyless, the root is read whole above, not for its authorities alone.
        timestamp_authorities: match keyless {
            Some(_) => None,
            None => trusted_root(args.trusted_root.as_deref())?,
        },
        keyless,
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
            show_failures(sbom, &outcome.failures, ui, &|l| ui.out(l));
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
        show_timestamps(sbom, &outcome, &opts, ui);
        if let Some(k) = &opts.keyless {
            show_keyless(sbom, &outcome, &k.root_name, ui);
        }
        warn_unproven(sbom, &outcome, &opts, ui);
        let passed = outcome.passed(&opts);
        failed |= !passed;
        let mut result = json!({
            "sbom": sbom.display().to_string(),
            "passed": passed,
            "nothingAttested": outcome.nothing_attested,
            "references": outcome.references,
            "verified": outcome.verified,
            "withoutReference": outcome.without_reference,
            "signerProven": (opts.key.is_some() || opts.keyless.is_some()) && !outcome.signer_unproven(),
            "signerKeyId": opts.key.as_ref().map(|k| k.key_id()),
            "keysUsedFromArtifacts": outcome.keys_used_from_artifacts.iter().map(|k| k.to_string()).collect::<Vec<_>>(),
            "failures": outcome.failures.iter().map(|f| json!({"component": f.component, "purl": f.purl, "what": f.what})).collect::<Vec<_>>(),
        });
        // Only where timestamps were asked for or met: the JSON of an SBOM
        // without them stays as it was.
        if opts.timestamp_authorities.is_some() || outcome.timestamps_unchecked > 0 {
            result["timestampsChecked"] = opts.timestamp_authorities.is_some().into();
            result["timestampsVerified"] = outcome.timestamps_verified().into();
            result["timestampsUnchecked"] = outcome.timestamps_unchecked.into();
            result["timestamps"] = outcome.stamped.iter().map(stamped_json).collect();
        }
        // Only keyless: the JSON of a key-signed SBOM stays as it was.
        if let Some(k) = &opts.keyless {
            let (subject, issuer) = (&k.identity.subject, &k.identity.issuer);
            result["keyless"] = json!({
                "certificateIdentity": subject.exact(),
                "certificateIdentityRegexp": subject.pattern_text(),
                "certificateOidcIssuer": issuer.exact(),
                "certificateOidcIssuerRegexp": issuer.pattern_text(),
                "trustedRoot": k.root_name,
                "artifacts": outcome.keyless.iter().map(keyless_json).collect::<Vec<_>>(),
            });
        }
        results.push(result);
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

/// A path as a link from `from_dir`: relative when both are local.
fn link_from(from_dir: &Path, target: &Path) -> String {
    let from = fsutil::absolute(from_dir).unwrap_or_else(|_| from_dir.to_path_buf());
    fsutil::relative_path(&from, target)
        .components()
        // Only what would end a link or start its query or fragment.
        .map(|c| {
            tacos_sbom::percent::encode(&c.as_os_str().to_string_lossy(), |c| {
                matches!(c, '%' | ' ' | '#' | '?')
            })
        })
        .collect::<Vec<_>>()
        .join("/")
}

pub(super) fn run_report(args: ReportArgs, ui: &Ui) -> Result<ExitCode> {
    let config = Config::load(args.config.as_deref())?;
    let policy = args.policy.flags(false).apply(&config)?;
    if let Some(out) = args.output.as_deref().filter(|p| *p != Path::new(STDIO)) {
        let inputs = [Some(args.input.as_path()), args.key.as_deref()];
        setup::protected(
            &config,
            &Default::default(),
            &KeySource::any(),
            inputs.into_iter().flatten(),
        )
        .check(out)?;
    }
    let keyless = keyless_check(&args.identity, args.trusted_root.as_deref())?;
    let loaded = tacos_sbom::report::load::load(
        &args.input,
        &tacos_sbom::report::load::Options {
            key: trusted_key(args.key.as_deref())?,
            key_file: args.key.clone(),
            attestations_dir: args.attestations_dir.clone(),
            offline: args.fetch.offline,
            now: tacos::timestamp(enrich::now()?),
            // Keyless, the root is read whole, not for its authorities alone.
            timestamp_authorities: match keyless {
                Some(_) => None,
                None => trusted_root(args.trusted_root.as_deref())?,
            },
            keyless,
        },
    )
    .map_err(anyhow::Error::msg)?;
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
    if let Some((n, first)) = &loaded.missing_artifacts
        && *n > 1
    {
        ui.warn(&missing_line(&args.input, *n, first));
    }
    let to_file = args.output.as_deref().filter(|p| *p != Path::new(STDIO));
    let link_dir = to_file
        .and_then(Path::parent)
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    // A fetched file's copy is gone by now: its link is where it came from.
    let mut summary = loaded.summary(|p| {
        loaded
            .fetched
            .get(p)
            .cloned()
            .unwrap_or_else(|| link_from(&link_dir, p))
    });
    // The application's VEX: the SBOM's own analyses and --vex documents.
    let vex = std::sync::Arc::new(
        tacos_sbom::report::vulns::read_report_vex(
            &args.input.display().to_string(),
            loaded.sbom_text.as_deref(),
            &args.vex,
            policy.fail_on_vulnerabilities,
        )
        .map_err(anyhow::Error::msg)?,
    );
    for n in &vex.notes {
        ui.detail(&format!("note: {n}"));
    }
    summary.add_application_view(&loaded.report.statements, &vex);
    let violations = policy
        .evaluate_with(&loaded.report.statements, &vex)
        .map_err(anyhow::Error::msg)?;
    summary.violations = violations.clone();
    let text = match args.format.as_str() {
        "html" => tacos_sbom::report::render_html(&summary),
        "json" => tacos_sbom::report::render_json(&summary),
        "sarif" => {
            let uri = match args.input.to_string_lossy() {
                s if s == STDIO => "sbom.json".to_string(),
                s => s.trim_start_matches("./").to_string(),
            };
            // The SBOM as read; a report (not an SBOM) is read again, as
            // its bytes were not kept.
            let text = loaded.sbom_text.clone().or_else(|| {
                tacos_sbom::sbom::input_bytes(&args.input)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
            });
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
            // As enrich and keygen do: a missing folder is made, and a
            // failure names the output, never reading as a missing input.
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).with_context(|| {
                    format!(
                        "{}: cannot create the folder {} to write the report in",
                        path.display(),
                        dir.display()
                    )
                })?;
            }
            let in_path = || format!("{}: cannot write the report", path.display());
            let mut f = fsutil::AtomicFile::create(path).with_context(in_path)?;
            f.writer().write_all(text.as_bytes())?;
            f.commit(true, None).with_context(in_path)?;
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
    let verdict = PolicyOutcome {
        evaluated: !policy.is_empty(),
        violations,
        statements: loaded.report.statements.len(),
    };
    show_policy(&verdict, ui);
    Ok(if loaded.intact && verdict.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_CHECK_FAILED)
    })
}

pub(super) fn run_package(args: PackageArgs, ui: &Ui) -> Result<ExitCode> {
    // The same rules and flags as `verify`: a bundle is only made of what
    // `verify` would pass.
    let keyless = keyless_check(&args.identity, args.trusted_root.as_deref())?;
    let opts = verify::Options {
        key: trusted_key(args.key.as_deref())?,
        key_file: args.key.clone(),
        attestations_dir: args.attestations_dir.clone(),
        offline: args.fetch.offline,
        allow_missing: args.trust.allow_missing,
        allow_unauthenticated: args.trust.allow_unauthenticated,
        // Keyless, the root is read whole, not for its authorities alone.
        timestamp_authorities: match keyless {
            Some(_) => None,
            None => trusted_root(args.trusted_root.as_deref())?,
        },
        keyless,
    };
    let checked = package::check(&args.input, &opts)?;
    show_failures(&args.input, &checked.outcome.failures, ui, &|l| ui.warn(l));
    show_timestamps(&args.input, &checked.outcome, &opts, ui);
    warn_unproven(&args.input, &checked.outcome, &opts, ui);
    if !checked.passed() {
        ui.warn(&format!(
            "error: {} does not verify; no bundle written",
            args.input.display()
        ));
        return Ok(ExitCode::from(EXIT_CHECK_FAILED));
    }
    let packaged = package::bundle(&checked, &args.output, args.key.as_deref(), None)?;
    if args.output == Path::new(STDIO) {
        ui.out_raw(&packaged.bytes);
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
