//! Policy violations as SARIF 2.1.0, so GitHub code scanning (or any SARIF
//! viewer) shows each one at the component's line in the SBOM.

use serde_json::{Value, json};

use super::policy::{Kind, Violation};

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The file the violations are about: its URI as the log names it (relative
/// to the repository root, as code scanning expects) and its text, to find
/// each component's line.
pub struct Target<'a> {
    pub uri: &'a str,
    pub text: Option<&'a str>,
}

/// The 1-based line of the first mention of `purl` (or, when the SBOM
/// writes it in another form, of its name) in `text`; 1 when none.
fn line_of(text: Option<&str>, purl: Option<&str>) -> usize {
    let (Some(text), Some(purl)) = (text, purl) else {
        return 1;
    };
    let without_version = purl.split('@').next().unwrap_or(purl);
    let name = without_version
        .rsplit('/')
        .next()
        .unwrap_or(without_version);
    let quoted = format!("\"{name}\"");
    for needle in [purl, without_version, quoted.as_str()] {
        if let Some(i) = text.lines().position(|l| l.contains(needle)) {
            return i + 1;
        }
    }
    1
}

fn rule_id(v: &Violation) -> String {
    match v.kind {
        Kind::FailOn => format!("tacos-policy/fail-on/{}", v.rule),
        Kind::MaxNoassertion => "tacos-policy/max-noassertion".into(),
        Kind::RequireSources => "tacos-policy/require-sources".into(),
        Kind::KnownVulnerability => "tacos-policy/known-vulnerability".into(),
    }
}

/// The SARIF log (pretty JSON, one run).
pub fn render_sarif(violations: &[Violation], target: &Target<'_>) -> String {
    let mut rules: Vec<(String, Value)> = Vec::new();
    let mut results = Vec::new();
    for v in violations {
        let id = rule_id(v);
        let index = match rules.iter().position(|(r, _)| *r == id) {
            Some(i) => i,
            None => {
                let text = match v.kind {
                    Kind::FailOn => format!(
                        "A component has {} ({}), which the policy forbids",
                        v.rule,
                        v.field.as_deref().map(super::label).unwrap_or("")
                    ),
                    Kind::MaxNoassertion => {
                        "Too many TACOS attestation values are NOASSERTION".into()
                    }
                    Kind::RequireSources => {
                        "An ecosystem in the SBOM has no package registry to ask".into()
                    }
                    Kind::KnownVulnerability => "A version in use has a known vulnerability that no VEX statement about that component answers".into(),
                };
                rules.push((
                    id.clone(),
                    json!({
                        "id": id,
                        "name": match v.kind {
                            Kind::FailOn => "TacosPolicyFailOn",
                            Kind::MaxNoassertion => "TacosPolicyMaxNoassertion",
                            Kind::RequireSources => "TacosPolicyRequireSources",
                            Kind::KnownVulnerability => "TacosPolicyKnownVulnerability",
                        },
                        "shortDescription": {"text": text},
                        "defaultConfiguration": {"level": "error"},
                    }),
                ));
                rules.len() - 1
            }
        };
        let mut properties = serde_json::Map::new();
        for (k, val) in [
            ("purl", &v.purl),
            ("field", &v.field),
            ("value", &v.value),
            ("evidenceUrl", &v.evidence_url),
        ] {
            if let Some(val) = val {
                properties.insert(k.into(), json!(val));
            }
        }
        results.push(json!({
            "ruleId": id,
            "ruleIndex": index,
            "level": "error",
            "message": {"text": v.message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": target.uri},
                    "region": {"startLine": line_of(target.text, v.purl.as_deref())},
                }
            }],
            "properties": properties,
        }));
    }
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "tacos-sbom",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules.into_iter().map(|(_, r)| r).collect::<Vec<_>>(),
            }},
            "results": results,
        }],
    });
    let mut out = serde_json::to_string_pretty(&log).expect("the log serializes");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_violation_points_at_its_component_line() {
        let text = "{\n  \"components\": [\n    {\"purl\": \"pkg:npm/a@1\"}\n  ]\n}\n";
        assert_eq!(line_of(Some(text), Some("pkg:npm/a@1")), 3);
        assert_eq!(line_of(Some(text), Some("pkg:npm/b@1")), 1);
        assert_eq!(line_of(None, Some("pkg:npm/a@1")), 1);
    }
}
