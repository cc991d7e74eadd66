//! The summary as Markdown: the verdict and what it rests on first, then
//! the baseline, risks (each linked to its evidence and signed artifact),
//! limitations by cause, next steps and the CISA form rows.

use std::fmt::Write;

use super::{Summary, label};
use crate::term::plural;

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// A Markdown link, only for plain http(s) or relative targets.
fn link(text: &str, target: &str) -> String {
    if super::html::safe_href(target) {
        format!(
            "[{text}]({})",
            crate::percent::encode(target, |c| matches!(c, ' ' | ')'))
        )
    } else {
        String::new()
    }
}

fn field(id: &str) -> String {
    match label(id) {
        "" => format!("`{id}`"),
        l => format!("{l} (`{id}`)"),
    }
}

pub fn render_markdown(s: &Summary) -> String {
    let mut o = String::new();
    let p = &s.provenance;
    let _ = writeln!(o, "# TACOS assessment: {}\n", super::title(&s.application));
    let _ = writeln!(
        o,
        "**Verdict: {}** — {}.\n",
        s.verdict, s.verdict_explanation
    );
    let _ = writeln!(o, "| | |\n|---|---|");
    let _ = writeln!(
        o,
        "| Verification | **{}**: {} |",
        p.verification,
        cell(&p.verification_detail)
    );
    if let Some(id) = &p.signer_key_id {
        let _ = writeln!(
            o,
            "| Signer key id | `{id}`{} |",
            if p.signer_proven { "" } else { " (not proven)" }
        );
    }
    let _ = writeln!(o, "| Input | {} |", cell(&p.input));
    if let Some(sha) = &p.sbom_sha256 {
        let _ = writeln!(o, "| SBOM SHA-256 | `{sha}` |");
    }
    if let Some(r) = &p.report_artifact {
        let _ = writeln!(o, "| Signed report | {} |", link(r, r));
    }
    let _ = writeln!(
        o,
        "| Assessed | {}, by {} on {} |\n",
        plural(s.packages, "package", "packages"),
        cell(&s.author),
        s.generated
    );

    if !s.violations.is_empty() {
        let _ = writeln!(o, "## Policy violations\n");
        for v in &s.violations {
            let _ = writeln!(o, "- {}", cell(&v.message));
        }
        let _ = writeln!(o);
    }

    let _ = writeln!(o, "## CISA Secure Software Development Attestation Form\n");
    let _ = writeln!(o, "Mapping: {}.\n", s.mapping_source);
    let _ = writeln!(
        o,
        "| row | status | EO 14028 | SSDF | TACOS fields (True/False/NOASSERTION) |\n|---|---|---|---|---|"
    );
    for r in &s.cisa {
        let fields: Vec<String> = r
            .fields
            .iter()
            .map(|c| format!("{} {}/{}/{}", field(&c.field), c.yes, c.no, c.unknown))
            .collect();
        let _ = writeln!(
            o,
            "| {} | **{}** — {} | {} | {} | {} |",
            r.id,
            r.status,
            r.explanation,
            r.eo14028,
            r.ssdf.join(", "),
            fields.join("<br>"),
        );
    }

    let _ = writeln!(o, "\n## Security baseline\n");
    let _ = writeln!(
        o,
        "| field | True | False | NOASSERTION |\n|---|---:|---:|---:|"
    );
    for c in &s.baseline {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} |",
            field(&c.field),
            c.yes,
            c.no,
            c.unknown
        );
    }

    let _ = writeln!(o, "\n## Identified risks\n");
    if s.risks.is_empty() {
        let _ = writeln!(o, "No component has a False value.");
    } else {
        let _ = writeln!(
            o,
            "| package | field | value | evidence | links |\n|---|---|---|---|---|"
        );
        for r in &s.risks {
            let links: Vec<String> = [
                r.evidence_url.as_deref().map(|u| link("evidence", u)),
                r.artifact.as_deref().map(|u| link("signed artifact", u)),
            ]
            .into_iter()
            .flatten()
            .filter(|l| !l.is_empty())
            .collect();
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} |",
                cell(&r.package),
                field(&r.field),
                cell(&r.value),
                cell(&r.reason),
                links.join(" · ")
            );
        }
    }

    if !s.vulnerabilities.is_empty()
        || !s.vex_notes.is_empty()
        || !s.vulnerabilities_not_known.is_empty()
    {
        let open = s.vulnerabilities.iter().filter(|v| v.open).count();
        let _ = writeln!(o, "\n## Known vulnerabilities in the versions in use\n");
        let _ = writeln!(
            o,
            "{} open, {} answered by a VEX statement about that component.\n",
            open,
            s.vulnerabilities.len() - open
        );
        if !s.vulnerabilities.is_empty() {
            let _ = writeln!(
                o,
                "| package | vulnerability | state | VEX |\n|---|---|---|---|"
            );
        }
        for v in &s.vulnerabilities {
            let id = match v.aliases.is_empty() {
                true => v.id.clone(),
                false => format!("{} ({})", v.id, v.aliases.join(", ")),
            };
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} |",
                cell(&v.purl),
                cell(&id),
                if v.open { "open" } else { "answered" },
                v.vex
                    .as_ref()
                    .map(|x| cell(&super::vulns::describe(x)))
                    .unwrap_or_default()
            );
        }
        for n in &s.vex_notes {
            let _ = writeln!(o, "- {}", cell(n));
        }
    }
    if !s.vulnerabilities_not_known.is_empty() {
        let _ = writeln!(
            o,
            "\n{} whose vulnerabilities are not all known (none of theirs can be called the last):\n",
            plural(
                s.vulnerabilities_not_known.len(),
                "version in use",
                "versions in use"
            )
        );
        for n in &s.vulnerabilities_not_known {
            let _ = writeln!(o, "- {}: {}", cell(&n.purl), cell(&n.why));
        }
    }

    if !s.due_diligence.is_empty() {
        let _ = writeln!(
            o,
            "\n## Due diligence per component (EU CRA Article 13(5))\n\nWhat was checked about each third-party component, and what could not be.\n"
        );
        let _ = writeln!(
            o,
            "| component | security updates | known vulnerabilities in the version in use | attestations | not checked |\n|---|---|---|---|---|"
        );
        for d in &s.due_diligence {
            let updates: Vec<String> = d
                .security_updates
                .iter()
                .map(|c| format!("{} {}", field(&c.field), cell(&c.value)))
                .collect();
            let not: Vec<String> = d
                .not_checked
                .iter()
                .map(|c| format!("`{}`: {}", c.field, cell(&c.reason)))
                .collect();
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} |",
                cell(&d.purl),
                updates.join("<br>"),
                cell(&d.known_vulnerabilities),
                cell(&d.attestations.join("; ")),
                not.join("<br>")
            );
        }
    }

    let _ = writeln!(o, "\n## Known limitations\n");
    if s.limitations.is_empty() {
        let _ = writeln!(o, "Every field of every component was decided.");
    }
    for l in &s.limitations {
        let _ = writeln!(
            o,
            "- **{}** ({}): {} in {} over {}, e.g. \"{}\"",
            l.cause,
            cell(&l.source),
            plural(l.values, "NOASSERTION value", "NOASSERTION values"),
            plural(l.packages, "package", "packages"),
            plural(l.fields.len(), "field", "fields"),
            cell(&l.example)
        );
        let _ = writeln!(o, "  - fields: {}", l.fields.join(", "));
    }

    if !s.registry_rules.is_empty() {
        let _ = writeln!(o, "\n## Registry-wide rules (context, not attestations)\n");
        for r in &s.registry_rules {
            let _ = writeln!(
                o,
                "- **{}** ({}): {} since {} ({}). {} stays what each project's maintainers attest.",
                cell(&r.registry),
                plural(r.packages, "package", "packages"),
                cell(&r.rule),
                r.since,
                cell(&r.source),
                field(&r.field)
            );
        }
    }

    let _ = writeln!(o, "\n## Next steps\n");
    if s.next_steps.is_empty() {
        let _ = writeln!(o, "None.");
    }
    for n in &s.next_steps {
        let _ = writeln!(o, "- {n}");
    }

    for r in s.cisa.iter().filter(|r| !r.failing.is_empty()) {
        let _ = writeln!(
            o,
            "\n### Row {}: failing components\n\n{}\n",
            r.id,
            cell(&r.requirement)
        );
        for f in &r.failing {
            let _ = writeln!(
                o,
                "- {} — {} = {}: {}",
                f.package,
                field(&f.field),
                f.value,
                cell(&f.reason)
            );
        }
    }
    o
}
