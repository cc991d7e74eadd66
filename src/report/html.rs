//! The summary as one self-contained HTML page: no external assets, a chart
//! of the value distribution per field (inline SVG), and a table of every
//! finding a reviewer can sort and filter.

use std::fmt::Write;

use super::Summary;

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;width:100%;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top;font-size:14px}
th{background:#f0f0f0;cursor:pointer}td.n{text-align:right}.t{fill:#2e7d32}.f{fill:#c62828}.u{fill:#9e9e9e}
.Met{color:#2e7d32;font-weight:bold}.Not{color:#c62828;font-weight:bold}.Undetermined{color:#666;font-weight:bold}
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

pub fn render_html(s: &Summary) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>TACOS assessment: {}</title><style>{STYLE}</style></head><body>",
        esc(&s.application)
    );
    let _ = write!(
        o,
        "<h1>TACOS assessment: {}</h1><p><span id=\"packages\">{}</span> packages, assessed by {} on {}.</p>",
        esc(&s.application),
        s.packages,
        esc(&s.author),
        esc(&s.generated)
    );

    // Baseline chart: one stacked bar per field.
    let _ = write!(o, "<h2>Security baseline</h2>");
    let width = 600.0;
    let row_h = 20;
    let height = row_h * s.baseline.len() + 30;
    let _ = write!(
        o,
        "<svg id=\"chart\" role=\"img\" aria-label=\"Values per field\" width=\"900\" height=\"{height}\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    for (i, c) in s.baseline.iter().enumerate() {
        let total = (c.yes + c.no + c.unknown).max(1) as f64;
        let y = i * row_h;
        let _ = write!(o, "<text x=\"0\" y=\"{}\">{}</text>", y + 14, esc(&c.field));
        let mut x = 230.0;
        for (n, class, label) in [
            (c.yes, "t", "True"),
            (c.no, "f", "False"),
            (c.unknown, "u", "NOASSERTION"),
        ] {
            let w = width * n as f64 / total;
            if n > 0 {
                let _ = write!(
                    o,
                    "<rect class=\"{class}\" x=\"{x:.1}\" y=\"{}\" width=\"{w:.1}\" height=\"{}\"><title>{}: {label} {n}</title></rect>",
                    y + 2,
                    row_h - 4,
                    esc(&c.field)
                );
            }
            x += w;
        }
    }
    let legend_y = row_h * s.baseline.len() + 20;
    let _ = write!(
        o,
        "<rect class=\"t\" x=\"230\" y=\"{}\" width=\"10\" height=\"10\"/><text x=\"245\" y=\"{legend_y}\">True</text><rect class=\"f\" x=\"300\" y=\"{}\" width=\"10\" height=\"10\"/><text x=\"315\" y=\"{legend_y}\">False</text><rect class=\"u\" x=\"370\" y=\"{}\" width=\"10\" height=\"10\"/><text x=\"385\" y=\"{legend_y}\">NOASSERTION</text></svg>",
        legend_y - 9,
        legend_y - 9,
        legend_y - 9
    );
    let _ = write!(
        o,
        "<table id=\"baseline\"><thead><tr><th>field</th><th>True</th><th>False</th><th>NOASSERTION</th></tr></thead><tbody>"
    );
    for c in &s.baseline {
        let _ = write!(
            o,
            "<tr data-field=\"{}\"><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&c.field),
            esc(&c.field),
            c.yes,
            c.no,
            c.unknown
        );
    }
    let _ = write!(o, "</tbody></table>");

    // CISA mapping.
    let _ = write!(
        o,
        "<h2>CISA Secure Software Development Attestation Form</h2><p>Mapping: {}.</p>",
        esc(&s.mapping_source)
    );
    let _ = write!(
        o,
        "<table id=\"cisa\"><thead><tr><th>row</th><th>requirement</th><th>EO 14028</th><th>SSDF</th><th>fields (True/False/NOASSERTION)</th><th>status</th></tr></thead><tbody>"
    );
    for r in &s.cisa {
        let fields: Vec<String> = r
            .fields
            .iter()
            .map(|c| format!("{} {}/{}/{}", esc(&c.field), c.yes, c.no, c.unknown))
            .collect();
        let class = r.status.split(' ').next().unwrap_or("");
        let _ = write!(
            o,
            "<tr data-row=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{class}\">{}</td></tr>",
            esc(&r.id),
            esc(&r.id),
            esc(&r.requirement),
            esc(&r.eo14028),
            esc(&r.ssdf.join(", ")),
            fields.join("<br>"),
            esc(&r.status)
        );
    }
    let _ = write!(o, "</tbody></table>");

    // Findings: risks and limitations in one filterable, sortable table.
    let _ = write!(
        o,
        "<h2>Identified risks</h2><p><input id=\"filter\" type=\"search\" placeholder=\"filter by package, field or evidence\"> showing <span id=\"shown\">{}</span> of {}</p>",
        s.risks.len(),
        s.risks.len()
    );
    let _ = write!(
        o,
        "<table id=\"findings\"><thead><tr><th>package</th><th>field</th><th>value</th><th>evidence</th></tr></thead><tbody>"
    );
    for r in &s.risks {
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&r.package),
            esc(&r.field),
            esc(&r.value),
            esc(&r.reason)
        );
    }
    let _ = write!(o, "</tbody></table><h2>Known limitations</h2><ul>");
    for l in &s.limitations {
        let causes: Vec<String> = l
            .causes
            .iter()
            .map(|(code, n, ex)| format!("{n} {} (e.g. “{}”)", esc(code), esc(ex)))
            .collect();
        let _ = write!(
            o,
            "<li><b>{}</b>: NOASSERTION for {} package(s): {}</li>",
            esc(&l.field),
            l.packages,
            causes.join("; ")
        );
    }
    let _ = write!(o, "</ul><h2>Next steps</h2><ul>");
    for n in &s.next_steps {
        let _ = write!(o, "<li>{}</li>", esc(n));
    }
    let _ = writeln!(o, "</ul><script>{SCRIPT}</script></body></html>");
    o
}
