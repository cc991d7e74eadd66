//! What `enrich` and `assess` show: each step as it happens, the summary,
//! the policy's verdict, and the exit code.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;

use serde_json::json;

use tacos_sbom::assess::session::{self, Session};
use tacos_sbom::attest::PublicKey;
use tacos_sbom::attest::keychoice::{Chosen, Origin};
use tacos_sbom::config::Config;
use tacos_sbom::enrich::{self, Done, Event, Outcome, PolicyOutcome};
use tacos_sbom::purl::Purl;
use tacos_sbom::report::policy::Policy;
use tacos_sbom::term::{escape, escape_json, plural};

use super::{
    AssessArgs, AttestSelfArgs, EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EnrichArgs, Result, Ui,
};

pub(super) fn run_enrich(args: EnrichArgs, ui: &Ui) -> Result<ExitCode> {
    let json = args.format == "json";
    let attach = super::registry::attach_plan(&args)?;
    let mut job = args.job();
    // Attached to an image, the report is about that image: its subject is
    // the image's digest, which is what cosign matches an attestation to.
    job.report_subject = attach.as_ref().map(|image| tacos_sbom::attest::Subject {
        name: format!("{}/{}", image.registry, image.repository),
        digest: [("sha256".to_string(), image.digest.to_string())].into(),
    });
    let outcome = enrich::run(job, ui, ui)?;
    ui.finish();
    let done = match outcome {
        Outcome::NothingRead => return Ok(ExitCode::from(EXIT_BAD_INPUT)),
        Outcome::Done(done) => done,
    };
    let summary = &done.summary;
    for f in &summary.failures {
        ui.warn(&format!("error: {f}"));
    }
    // Each failure is shown when it happens, and with many inputs listed
    // again at the end, where it is not lost among the progress lines.
    let many = done.inputs > 20;
    show_documents(&done, many, ui);
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
        show_check_hint(&done, &shown, k, ui);
    }
    if let Some((identity, issuer)) = &done.signer_identity
        && !summary.documents.is_empty()
    {
        let outputs: Vec<String> = summary
            .documents
            .iter()
            .map(|d| d.output.display().to_string())
            .collect();
        ui.say(&format!("signed keyless as {identity} (issuer {issuer})"));
        ui.say(&format!(
            "check with: tacos-sbom verify {} --certificate-identity {identity} --certificate-oidc-issuer {issuer} (and --trusted-root FILE, the instance's trusted root, unless it is the public-good one built in)",
            outputs.join(" ")
        ));
    }
    show_policy(&done.policy, ui);
    let failed_inputs = done.failed_inputs();
    if failed_inputs > 0 {
        if many {
            for f in done.unread.iter().chain(&summary.failures) {
                ui.warn(&format!("  failed: {f}"));
            }
        }
        ui.warn(&format!(
            "{failed_inputs} of {} skipped for the errors above; nothing was written for them",
            plural(done.inputs, "input", "inputs")
        ));
    }
    let code = if failed_inputs > 0 {
        EXIT_BAD_INPUT
    } else if !done.policy.passed() {
        EXIT_CHECK_FAILED
    } else {
        0
    };
    if json {
        summary_json(&done, code, ui);
    }
    if let Some(image) = attach
        && failed_inputs == 0
        && let [doc] = summary.documents.as_slice()
    {
        let attached = super::registry::attach_written(
            &doc.output,
            summary.attestations_dir.as_deref(),
            &image,
            ui,
        )?;
        if code == 0 && attached != 0 {
            return Ok(ExitCode::from(attached));
        }
    }
    Ok(ExitCode::from(code))
}

/// How to check the artifacts: with the signer's own public key, never the
/// copy written beside them (`copy`), which whoever can rewrite the
/// artifacts can rewrite too; passing it would only silence verify's
/// "signer not proven".
fn show_check_hint(done: &Done, shown: &str, copy: &std::path::Path, ui: &Ui) {
    if let Some(public) = &done.signer_public_key {
        ui.say(&format!(
            "check with: tacos-sbom verify {shown} --key {}",
            public.display()
        ));
        return;
    }
    match &done.signer_key_file {
        // A throwaway key: nothing but the copy can check them.
        None => ui.say(&format!(
            "check with: tacos-sbom verify {shown} --allow-unauthenticated (a throwaway key signed them: {} proves they are intact, not who signed them)",
            copy.display()
        )),
        Some(key) => ui.say(&format!(
            "check with: tacos-sbom verify {shown} --key SIGNER.pub, where SIGNER.pub is the public half of {} \
             (no .pub beside it: use the PREFIX.pub `tacos-sbom keygen` wrote with it, or export it with \
             `openssl pkey -in {} -pubout`, or `cosign public-key --key` for a cosign key); not {}, the copy beside the artifacts, which proves they are intact, not who signed them",
            key.display(),
            key.display(),
            copy.display()
        )),
    }
}

/// A line per document (detail with many: the totals say what happened),
/// with its report and what was skipped, one line per reason (-v lists
/// each component).
fn show_documents(done: &Done, many: bool, ui: &Ui) {
    let doc_say = |m: &str| if many { ui.detail(m) } else { ui.say(m) };
    let summary = &done.summary;
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
            plural(done.inputs, "input", "inputs"),
            plural(components, "component", "components"),
            references,
            skipped
        ));
    }
}

/// The run summary as JSON: on stdout, or on stderr when the SBOM went to
/// stdout.
fn summary_json(done: &Done, code: u8, ui: &Ui) {
    let summary = &done.summary;
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
        "signerKeyId": done.signer_key_id,
        "signerIdentity": done.signer_identity.as_ref().map(|(identity, issuer)| json!({"identity": identity, "issuer": issuer})),
        "unconfiguredSources": done.unconfigured.iter().map(|(s, n, why)| json!({"service": s, "packages": n, "fix": why})).collect::<Vec<_>>(),
        "policy": {"evaluated": done.policy.evaluated, "passed": done.policy.passed(), "violations": done.policy.violations},
        "failures": summary.failures.iter().map(|f| f.to_string()).collect::<Vec<_>>(),
        "exitCode": code,
    });
    if done.to_stdout {
        let text = serde_json::to_string_pretty(&value).expect("JSON serializes");
        ui.warn(&escape_json(&text));
    } else {
        ui.out_json(&value);
    }
}

/// A step of an enrich run, as it happens.
pub(super) fn show_event(event: &Event<'_>, ui: &Ui) {
    match event {
        Event::InputFailed(f) => ui.warn(&format!("error: {f}")),
        Event::Key(chosen) => show_key(chosen, ui),
        Event::SessionOpened(session) => stop_on_interrupt(session),
        Event::ScratchUnavailable(e) => ui.warn(&format!(
            "warning: cannot create a scratch file in {} ({e}); the statements are held in memory instead",
            std::env::temp_dir().display()
        )),
        Event::ScratchFailed(why) => ui.warn(&format!(
            "warning: writing statements to the scratch file in {} failed ({why}); the rest were held in memory",
            std::env::temp_dir().display()
        )),
        Event::Assessed { session, outcome } => {
            ui.finish();
            report_session(session, outcome, ui);
        }
    }
}

/// Which key signs, and what that means for who can check it.
fn show_key(chosen: &Chosen, ui: &Ui) {
    let key = &chosen.key;
    let path = chosen
        .path
        .as_deref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let id = short_id(&key.public_key());
    match chosen.origin {
        Origin::File(_) => ui.say(&format!(
            "signing with {path} ({}, key id {id})",
            key.algorithm()
        )),
        Origin::Ephemeral => ui.warn(&format!(
            "signing with a throwaway key (ecdsa-p256, key id {id}) that is not saved: only the public key written beside the artifacts can check them, which proves they are intact, not who signed them"
        )),
        Origin::DefaultCreated => ui.say(&format!(
            "created a new signing key {path} (ecdsa-p256, key id {id}); keep it to sign future runs with the same key"
        )),
        Origin::Default => ui.say(&format!(
            "signing with the default key {path} ({}, key id {id}); pass --key to use another",
            key.algorithm()
        )),
    }
}

pub(super) fn short_id(key: &PublicKey) -> String {
    key.key_id().chars().take(16).collect()
}

/// Policy violations: each as a `POLICY` line on stderr (even with -q), and
/// a count.
pub(super) fn show_policy(policy: &PolicyOutcome, ui: &Ui) {
    if !policy.evaluated {
        return;
    }
    for v in &policy.violations {
        ui.warn(&format!("POLICY {v}"));
    }
    ui.warn(&format!(
        "policy: {} in {}",
        plural(policy.violations.len(), "violation", "violations"),
        plural(policy.statements, "statement", "statements")
    ));
}

pub(super) fn run_assess(args: AssessArgs, ui: &Ui) -> Result<ExitCode> {
    let mut packages = Vec::new();
    for raw in &args.purls {
        let purl = Purl::parse(raw)
            .map_err(|e| anyhow::Error::new(e).context(format!("{raw:?}: invalid package URL")))?;
        let releases: Vec<String> = purl.version().map(|v| v.to_string()).into_iter().collect();
        packages.push((purl, releases.into()));
    }
    let config = Config::load(args.sources.config.as_deref())?;
    let policy = Policy {
        require_sources: config.policy.require_sources || args.sources.require_sources,
        ..Policy::default()
    };
    let now = enrich::now()?;
    let session =
        Session::open(config, &args.sources.session(), now).map_err(anyhow::Error::msg)?;
    stop_on_interrupt(&session);
    let outcome = session.assess(&packages, ui);
    ui.finish();
    report_session(&session, &outcome, ui);
    let out = serde_json::to_string_pretty(&outcome.statements)?;
    ui.out_raw(format!("{}\n", escape_json(&out)).as_bytes());
    let unconfigured: Vec<(String, usize, String)> = session
        .unconfigured()
        .into_iter()
        .map(|(s, (n, why))| (s.to_string(), n, why))
        .collect();
    let verdict = PolicyOutcome {
        evaluated: !policy.is_empty(),
        violations: policy.unsourced(&unconfigured),
        statements: outcome.statements.len(),
    };
    show_policy(&verdict, ui);
    Ok(if verdict.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_CHECK_FAILED)
    })
}

/// A cancelled CI job or Ctrl-C: the claims this run holds in the store go
/// back at once, so that the next run does not wait them out.
fn stop_on_interrupt(session: &Session) {
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
}

/// What a person needs to know about the sources after an assessment:
/// unreachable services (once each), conflicts with published reports, and
/// in offline mode how much stayed undecided.
fn report_session(session: &Session, outcome: &session::Outcome, ui: &Ui) {
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
            "note: {service} did not answer this run: {reason}; fields it decides are NOASSERTION"
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

pub(super) fn run_attest_self(args: AttestSelfArgs, ui: &Ui) -> Result<ExitCode> {
    use tacos_sbom::selfattest::{self, SignWith};
    let sign_with = match (args.keyless.keyless, args.key, args.ephemeral_key) {
        (_, _, true) => anyhow::bail!(
            "attest-self: a throwaway key proves nothing about who attests: sign --keyless in the repository's CI, or with --key (its public half committed in the repository)"
        ),
        (true, _, _) => SignWith::Keyless(enrich::keyless::KeylessFlags {
            identity_token: args.keyless.identity_token,
            signing_config: args.keyless.signing_config,
            fulcio_url: args.keyless.fulcio_url,
            rekor_url: args.keyless.rekor_url,
        }),
        (false, Some(key), false) => SignWith::Key(key),
        (false, None, false) => anyhow::bail!(
            "attest-self needs a signer: --keyless (in the repository's CI) or --key KEY"
        ),
    };
    let network = tacos_sbom::config::Network::default();
    let done = selfattest::run(&args.declaration, &args.output, &sign_with, &network)?;
    if let Some((identity, issuer)) = &done.signer {
        ui.say(&format!("signed keyless as {identity} (issuer {issuer})"));
    }
    ui.say(&format!(
        "{}: {} for {} (from {})",
        args.output.display(),
        plural(done.fields, "attested field", "attested fields"),
        plural(done.packages, "package", "packages"),
        args.declaration.display()
    ));
    Ok(ExitCode::SUCCESS)
}
