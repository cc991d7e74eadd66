//! The assessment in CycloneDX 1.6's own attestation model: TACOS v1.1's
//! attestation fields as a standard in `definitions`, and in `declarations`
//! an assessor, a claim per component and decided field (with its evidence,
//! pointing at the signed artifact), and an attestation that maps each
//! requirement to its claims (True) and counter-claims (False) with a
//! conformance score. NOASSERTION makes no claim.

use serde_json::{Value, json};

use crate::tacos::{Attestation, Field, Statement};

pub const STANDARD_REF: &str = "tacos-sbom:standard:tacos-v1.1";
pub const ASSESSOR_REF: &str = "tacos-sbom:assessor";

/// What each attestation field asks, in a sentence.
fn requirement_text(f: Field) -> &'static str {
    match f {
        Field::PackageManagerMfaEnabled => {
            "The maintainers use multi-factor authentication for the package manager (build and release)."
        }
        Field::SourceRepoMfaEnabled => {
            "The maintainers use multi-factor authentication for the source repository."
        }
        Field::DocumentedBuildPractices => {
            "The maintainers attest to their current build practices."
        }
        Field::CleanReleaseAvailable => {
            "A release exists with no known vulnerability in the package or its dependencies."
        }
        Field::FixedVulnerabilities => "The latest release fixes every known vulnerability.",
        Field::DependenciesAreManaged => {
            "The latest release's dependencies have no known vulnerabilities in their latest releases and none is deprecated."
        }
        Field::SecurityResponsive => "The project is likely to respond to security issues.",
        Field::MultipleMaintainers => "More than one release manager can publish the package.",
        Field::SuccessionPlan => "The project has a succession plan for its maintainers.",
        Field::NoBinariesInRepository => {
            "The source repository holds no generated executable artifacts."
        }
        Field::CodeReviewPractice => "Changes are reviewed consistently before they are merged.",
        Field::FuzzingPractice => "The project is fuzzed.",
        _ => "",
    }
}

/// One component's statement, where its claims point.
pub struct Subject<'a> {
    pub bom_ref: &'a str,
    pub artifact_url: &'a str,
    pub statement: &'a Statement,
}

/// (`declarations`, `definitions`) for the BOM.
pub fn build(subjects: &[Subject<'_>], created: &str) -> (Value, Value) {
    let fields: Vec<Field> = Field::ALL
        .into_iter()
        .filter(|f| f.is_tri_state())
        .collect();
    let requirements: Vec<Value> = fields
        .iter()
        .map(|f| {
            json!({
                "bom-ref": format!("tacos-sbom:requirement:{}", f.name()),
                "identifier": f.name(),
                "title": f.name(),
                "text": requirement_text(*f),
            })
        })
        .collect();
    let definitions = json!({
        "standards": [{
            "bom-ref": STANDARD_REF,
            "name": "TACOS (Trusted Attestation and Compliance for Open Source)",
            "version": "1.1",
            "description": "The attestation fields of the TACOS framework v1.1, as assessed by tacos-sbom.",
            "owner": "TACOS framework",
            "requirements": requirements,
            "externalReferences": [{"type": "website", "url": crate::tacos::FRAMEWORK_ID}],
        }]
    });
    let mut claims = Vec::new();
    let mut evidence = Vec::new();
    let mut map = Vec::new();
    for f in &fields {
        let mut supporting = Vec::new();
        let mut refuting = Vec::new();
        let mut unknown = 0;
        for (i, s) in subjects.iter().enumerate() {
            let value = s.statement.attestation(*f).unwrap_or_default();
            if value == Attestation::NoAssertion {
                unknown += 1;
                continue;
            }
            let id = format!("{}:{i}", f.name());
            let reason = s
                .statement
                .evidence
                .get(f)
                .map(|e| e.reason.clone())
                .unwrap_or_default();
            evidence.push(json!({
                "bom-ref": format!("tacos-sbom:evidence:{id}"),
                "propertyName": f.name(),
                "description": reason,
                "data": [{"name": "TACOS attestation", "contents": {"url": s.artifact_url}}],
                "created": created,
            }));
            claims.push(json!({
                "bom-ref": format!("tacos-sbom:claim:{id}"),
                "target": s.bom_ref,
                "predicate": format!("{} is {} for {}", f.name(), value.as_str(), s.statement.purl),
                "reasoning": reason,
                "evidence": [format!("tacos-sbom:evidence:{id}")],
            }));
            let claim_ref = format!("tacos-sbom:claim:{id}");
            if value == Attestation::True {
                supporting.push(claim_ref);
            } else {
                refuting.push(claim_ref);
            }
        }
        let decided = supporting.len() + refuting.len();
        let score = if decided == 0 {
            0.0
        } else {
            supporting.len() as f64 / decided as f64
        };
        map.push(json!({
            "requirement": format!("tacos-sbom:requirement:{}", f.name()),
            "claims": supporting,
            "counterClaims": refuting,
            "conformance": {
                "score": (score * 1000.0).round() / 1000.0,
                "rationale": format!("{} of {} components True, {} False, {unknown} NOASSERTION", decided - refuting.len(), subjects.len(), refuting.len()),
            },
        }));
    }
    let declarations = json!({
        "assessors": [{
            "bom-ref": ASSESSOR_REF,
            "thirdParty": false,
            "organization": {"name": format!("tacos-sbom {}", env!("CARGO_PKG_VERSION"))},
        }],
        "attestations": [{
            "summary": "TACOS v1.1 assessment of the components, from public evidence and published reports",
            "assessor": ASSESSOR_REF,
            "map": map,
        }],
        "claims": claims,
        "evidence": evidence,
    });
    (declarations, definitions)
}
