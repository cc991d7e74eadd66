//! The summary as Markdown.

use std::fmt::Write;

use super::Summary;

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn render_markdown(s: &Summary) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# TACOS assessment: {}\n", s.application);
    let _ = writeln!(
        o,
        "{} packages, assessed by {} on {}.\n",
        s.packages, s.author, s.generated
    );

    let _ = writeln!(o, "## Security baseline\n");
    let _ = writeln!(
        o,
        "| field | True | False | NOASSERTION |\n|---|---:|---:|---:|"
    );
    for c in &s.baseline {
        let _ = writeln!(o, "| {} | {} | {} | {} |", c.field, c.yes, c.no, c.unknown);
    }

    let _ = writeln!(o, "\n## Identified risks\n");
    if s.risks.is_empty() {
        let _ = writeln!(o, "No component has a False value.");
    } else {
        let _ = writeln!(
            o,
            "| package | field | value | evidence |\n|---|---|---|---|"
        );
        for r in &s.risks {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} |",
                cell(&r.package),
                r.field,
                cell(&r.value),
                cell(&r.reason)
            );
        }
    }

    let _ = writeln!(o, "\n## Known limitations\n");
    if s.limitations.is_empty() {
        let _ = writeln!(o, "Every field of every component was decided.");
    }
    for l in &s.limitations {
        let causes: Vec<String> = l
            .causes
            .iter()
            .map(|(code, n, example)| format!("{n} {code} (e.g. \"{}\")", cell(example)))
            .collect();
        let _ = writeln!(
            o,
            "- **{}**: NOASSERTION for {} package(s): {}",
            l.field,
            l.packages,
            causes.join("; ")
        );
    }

    let _ = writeln!(o, "\n## Next steps\n");
    if s.next_steps.is_empty() {
        let _ = writeln!(o, "None.");
    }
    for n in &s.next_steps {
        let _ = writeln!(o, "- {n}");
    }

    let _ = writeln!(
        o,
        "\n## CISA Secure Software Development Attestation Form\n"
    );
    let _ = writeln!(o, "Mapping: {}.\n", s.mapping_source);
    let _ = writeln!(
        o,
        "| row | EO 14028 | SSDF | TACOS fields (True/False/NOASSERTION) | status |\n|---|---|---|---|---|"
    );
    for r in &s.cisa {
        let fields: Vec<String> = r
            .fields
            .iter()
            .map(|c| format!("{} {}/{}/{}", c.field, c.yes, c.no, c.unknown))
            .collect();
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} — {} |",
            r.id,
            r.eo14028,
            r.ssdf.join(", "),
            fields.join("<br>"),
            r.status,
            r.explanation
        );
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
                f.field,
                f.value,
                cell(&f.reason)
            );
        }
    }
    o
}
