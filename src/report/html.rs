//! The summary as one self-contained HTML page: no external assets, the
//! verdict and what it rests on at the top, an inline SVG chart of the
//! values per field, and a table of every finding a reviewer can sort and
//! filter, each linked to its evidence and its signed artifact.
//!
//! Rendered with maud, which escapes every interpolated value by
//! construction: text from SBOMs, registries and reports cannot become markup.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::{Summary, label};
use crate::term::plural;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;width:100%;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top;font-size:14px}
th{background:#f0f0f0;cursor:pointer}td.n{text-align:right}.t{fill:#2e7d32}.f{fill:#c62828}.u{fill:#9e9e9e}
.Met{color:#2e7d32;font-weight:bold}.Not{color:#c62828;font-weight:bold}.Undetermined{color:#666;font-weight:bold}
#verdict{font-size:1.4em;padding:.6em 1em;border-radius:6px;border:2px solid #999;display:inline-block}
#verdict.Met{border-color:#2e7d32}#verdict.Not{border-color:#c62828}
.id{font-family:monospace;color:#666;font-size:12px}code{font-size:12px}
input{padding:4px;width:40em}svg text{font-size:12px}";

const SCRIPT: &str = "(function(){
var t=document.getElementById('findings');if(!t)return;var body=t.tBodies[0];
document.getElementById('filter').addEventListener('input',function(e){var q=e.target.value.toLowerCase();
for(var i=0;i<body.rows.length;i++){var r=body.rows[i];r.style.display=r.textContent.toLowerCase().indexOf(q)>=0?'':'none';}
document.getElementById('shown').textContent=String(Array.prototype.filter.call(body.rows,function(r){return r.style.display!=='none';}).length);});
var heads=t.tHead.rows[0].cells;for(var h=0;h<heads.length;h++){(function(col){var asc=true;heads[col].addEventListener('click',function(){
var rows=Array.prototype.slice.call(body.rows);rows.sort(function(a,b){var x=a.cells[col].textContent,y=b.cells[col].textContent;return asc?x.localeCompare(y):y.localeCompare(x);});
asc=!asc;rows.forEach(function(r){body.appendChild(r);});});})(h);}
})();";

/// Whether a link target from input may be a link: an http(s) URL, or a
/// relative path (an artifact beside the summary). Anything with another
/// scheme (`javascript:`, `data:`) is shown as text only.
pub(super) fn safe_href(target: &str) -> bool {
    match target.split_once(':') {
        Some((scheme, _)) if !scheme.contains('/') => {
            scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http")
        }
        _ => !target.is_empty() && !target.starts_with("//"),
    }
}

/// The CSS class of a status: its first word.
fn class(status: &str) -> &str {
    status.split(' ').next().unwrap_or("")
}

fn field(id: &str) -> Markup {
    html! {
        @let l = label(id);
        @if l.is_empty() { code { (id) } } @else { (l) " " span.id { (id) } }
    }
}

fn a(text: &str, target: &str, class: &str) -> Markup {
    html! {
        @if safe_href(target) { a class=(class) href=(target) { (text) } }
    }
}

/// One field's stacked bar: (x, width, count, class, value) per non-zero value.
fn bars(c: &super::Counts, width: f64) -> Vec<(f64, f64, usize, &'static str, &'static str)> {
    let total = (c.yes + c.no + c.unknown).max(1) as f64;
    let mut x = 230.0;
    let mut out = Vec::new();
    for (n, class, value) in [
        (c.yes, "t", "True"),
        (c.no, "f", "False"),
        (c.unknown, "u", "NOASSERTION"),
    ] {
        let w = width * n as f64 / total;
        if n > 0 {
            out.push((x, w, n, class, value));
        }
        x += w;
    }
    out
}

fn chart(s: &Summary) -> Markup {
    let width = 600.0;
    let row_h = 20usize;
    let height = row_h * s.baseline.len() + 30;
    let legend_y = row_h * s.baseline.len() + 20;
    html! {
        svg #chart role="img" aria-label="Values per field" width="900" height=(height) xmlns="http://www.w3.org/2000/svg" {
            @for (i, c) in s.baseline.iter().enumerate() {
                @let y = i * row_h;
                text x="0" y=(y + 14) { (c.field) }
                @for (x, w, n, class, value) in bars(c, width) {
                    rect class=(class) x=(format!("{x:.1}")) y=(y + 2) width=(format!("{w:.1}")) height=(row_h - 4) {
                        title { (c.field) ": " (value) " " (n) }
                    }
                }
            }
            rect.t x="230" y=(legend_y - 9) width="10" height="10" {}
            text x="245" y=(legend_y) { "True" }
            rect.f x="300" y=(legend_y - 9) width="10" height="10" {}
            text x="315" y=(legend_y) { "False" }
            rect.u x="370" y=(legend_y - 9) width="10" height="10" {}
            text x="385" y=(legend_y) { "NOASSERTION" }
        }
    }
}

pub fn render_html(s: &Summary) -> String {
    let p = &s.provenance;
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { "TACOS assessment: " (super::title(&s.application)) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                h1 { "TACOS assessment: " (super::title(&s.application)) }
                p #verdict class=(class(&s.verdict)) {
                    "Verdict: " strong #verdict-status { (s.verdict) } " — " (s.verdict_explanation)
                }
                table #provenance {
                    tbody {
                        tr { th { "Verification" } td #verification class=(class(&p.verification)) {
                            strong { (p.verification) } ": " (p.verification_detail) } }
                        @if let Some(id) = &p.signer_key_id {
                            tr { th { "Signer key id" } td { code #signer { (id) }
                                @if !p.signer_proven { " (not proven: no trusted key was given)" } } }
                        }
                        tr { th { "Input" } td { (p.input) } }
                        @if let Some(sha) = &p.sbom_sha256 {
                            tr { th { "SBOM SHA-256" } td { code #sbom-sha256 { (sha) } } }
                        }
                        @if let Some(r) = &p.report_artifact {
                            tr { th { "Signed report" } td { (a(r, r, "artifact")) } }
                        }
                        tr { th { "Assessed" } td {
                            span #packages { (s.packages) } " packages, by " (s.author) " on " (s.generated) } }
                    }
                }
                @if !s.violations.is_empty() {
                    h2 { "Policy violations" }
                    ul #violations { @for v in &s.violations { li { (v.message) } } }
                }
                h2 { "CISA Secure Software Development Attestation Form" }
                p { "Mapping: " (s.mapping_source) "." }
                table #cisa {
                    thead { tr { th { "row" } th { "status" } th { "requirement" } th { "EO 14028" } th { "SSDF" } th { "fields (True/False/NOASSERTION)" } } }
                    tbody {
                        @for r in &s.cisa {
                            tr data-row=(r.id) {
                                td { (r.id) }
                                td class=(class(&r.status)) { (r.status) br; small { (r.explanation) } }
                                td { (r.requirement) }
                                td { (r.eo14028) }
                                td { (r.ssdf.join(", ")) }
                                td { @for c in &r.fields { (field(&c.field)) " " (c.yes) "/" (c.no) "/" (c.unknown) br; } }
                            }
                        }
                    }
                }
                h2 { "Security baseline" }
                (chart(s))
                table #baseline {
                    thead { tr { th { "field" } th { "True" } th { "False" } th { "NOASSERTION" } } }
                    tbody {
                        @for c in &s.baseline {
                            tr data-field=(c.field) {
                                td { (field(&c.field)) }
                                td.n { (c.yes) } td.n { (c.no) } td.n { (c.unknown) }
                            }
                        }
                    }
                }
                h2 { "Identified risks" }
                p {
                    input #filter type="search" placeholder="filter by package, field or evidence";
                    " showing " span #shown { (s.risks.len()) } " of " (s.risks.len())
                }
                table #findings {
                    thead { tr { th { "package" } th { "field" } th { "value" } th { "evidence" } } }
                    tbody {
                        @for r in &s.risks {
                            tr {
                                td { (r.package) }
                                td { (field(&r.field)) }
                                td { (r.value) }
                                td {
                                    (r.reason)
                                    @if let Some(u) = &r.evidence_url { " " (a("evidence", u, "evidence")) }
                                    @if let Some(u) = &r.artifact { " " (a("signed artifact", u, "artifact")) }
                                }
                            }
                        }
                    }
                }
                @if !s.vulnerabilities.is_empty() || !s.vex_notes.is_empty() || !s.vulnerabilities_not_known.is_empty() {
                    h2 { "Known vulnerabilities in the versions in use" }
                    p {
                        (s.vulnerabilities.iter().filter(|v| v.open).count()) " open, "
                        (s.vulnerabilities.iter().filter(|v| !v.open).count())
                        " answered by a VEX statement about that component."
                    }
                    table #vulnerabilities {
                        thead { tr { th { "package" } th { "vulnerability" } th { "state" } th { "VEX" } } }
                        tbody {
                            @for v in &s.vulnerabilities {
                                tr data-open=(v.open) {
                                    td { (v.purl) }
                                    td { (v.id) @if !v.aliases.is_empty() { " (" (v.aliases.join(", ")) ")" } }
                                    td class=(if v.open { "Not" } else { "Met" }) { (if v.open { "open" } else { "answered" }) }
                                    td { @if let Some(x) = &v.vex { (super::vulns::describe(x)) } }
                                }
                            }
                        }
                    }
                    @if !s.vex_notes.is_empty() { ul #vex-notes { @for n in &s.vex_notes { li { (n) } } } }
                }
                @if !s.vulnerabilities_not_known.is_empty() {
                    p {
                        (plural(s.vulnerabilities_not_known.len(), "version in use", "versions in use"))
                        " whose vulnerabilities are not all known (none of theirs can be called the last):"
                    }
                    ul #vulnerabilities-not-known {
                        @for n in &s.vulnerabilities_not_known { li { (n.purl) ": " (n.why) } }
                    }
                }
                @if !s.due_diligence.is_empty() {
                    h2 { "Due diligence per component (EU CRA Article 13(5))" }
                    p { "What was checked about each third-party component, and what could not be." }
                    table #due-diligence {
                        thead { tr { th { "component" } th { "security updates" } th { "known vulnerabilities in the version in use" } th { "attestations" } th { "not checked" } } }
                        tbody {
                            @for d in &s.due_diligence {
                                tr {
                                    td { (d.purl) }
                                    td { @for c in &d.security_updates { (field(&c.field)) " " (c.value) br; } }
                                    td { (d.known_vulnerabilities) }
                                    td { @for a in &d.attestations { (a) br; } }
                                    td { @for c in &d.not_checked { code { (c.field) } ": " (c.reason) br; } }
                                }
                            }
                        }
                    }
                }
                h2 { "Known limitations" }
                @if s.limitations.is_empty() { p { "Every field of every component was decided." } }
                ul #limitations {
                    @for l in &s.limitations {
                        li {
                            b { (l.cause) } " (" (l.source) "): "
                            (plural(l.values, "NOASSERTION value", "NOASSERTION values")) " in "
                            (plural(l.packages, "package", "packages")) " over "
                            (plural(l.fields.len(), "field", "fields")) ", e.g. “" (l.example) "”"
                            br; small { (l.fields.join(", ")) }
                        }
                    }
                }
                @if !s.registry_rules.is_empty() {
                    h2 { "Registry-wide rules (context, not attestations)" }
                    ul #registry-rules {
                        @for r in &s.registry_rules {
                            li {
                                b { (r.registry) } " (" (plural(r.packages, "package", "packages")) "): "
                                (r.rule) " since " (r.since) " (" (r.source) "). "
                                (r.field) " stays what each project's maintainers attest."
                            }
                        }
                    }
                }
                h2 { "Next steps" }
                ul { @for n in &s.next_steps { li { (n) } } }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    };
    let mut out = page.into_string();
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_and_relative_links_are_links() {
        assert!(safe_href("https://pypi.example/project/x"));
        assert!(safe_href("attestations/npm_a@1.abc.tacos.dsse.json"));
        assert!(!safe_href("javascript:alert(1)"));
        assert!(!safe_href("JAVASCRIPT:alert(1)"));
        assert!(!safe_href("data:text/html,x"));
        assert!(!safe_href("//evil.example/x"));
        assert!(!safe_href(""));
    }
}
