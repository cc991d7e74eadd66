//! A due-diligence view per third-party component, for the EU Cyber
//! Resilience Act's Article 13(5) (a manufacturer exercises due diligence
//! when integrating components from third parties): for each package, what
//! was checked and what it showed — its security updates, the
//! vulnerabilities known in the version in use and what VEX says of them,
//! the attestations published for it — and the checks that could not be
//! made, each with why. Read from the statements' own evidence and the
//! application's VEX: nothing is decided here.

use serde::Serialize;
use serde_json::Value;

use super::vulns::{self, KnownVulnerability};
use crate::tacos::{Field, ReasonCode, Statement};

/// One check and what it showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// The TACOS field id.
    pub field: String,
    /// Its value, as the framework writes it.
    pub value: String,
    pub reason: String,
}

/// What was checked about one component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Diligence {
    pub purl: String,
    pub package: String,
    /// Its security updates, as far as they were decided: the latest stable
    /// release, whether it and some release are free of known
    /// vulnerabilities, whether the project responds, its status.
    pub security_updates: Vec<Check>,
    /// The vulnerabilities known in the version in use, in words.
    pub known_vulnerabilities: String,
    /// Attestations published for it that were verified and taken: the
    /// maintainers' self-attestation, a verified release provenance, a
    /// published TACOS report.
    pub attestations: Vec<String>,
    /// Every field that could not be decided, with why.
    pub not_checked: Vec<Check>,
}

const UPDATES: [Field; 5] = [
    Field::LatestStableRelease,
    Field::FixedVulnerabilities,
    Field::CleanReleaseAvailable,
    Field::SecurityResponsive,
    Field::PackageStatus,
];

/// The view, one row per statement in order; `known` is the application's
/// known vulnerabilities (with VEX applied).
pub fn view(statements: &[Statement], known: &[KnownVulnerability]) -> Vec<Diligence> {
    statements
        .iter()
        .map(|s| {
            let check = |f: Field| Check {
                field: f.name().to_string(),
                value: s.display(f),
                reason: s
                    .evidence
                    .get(&f)
                    .map(|e| e.reason.clone())
                    .unwrap_or_default(),
            };
            let decided = |f: &Field| s.display(*f) != "NOASSERTION";
            Diligence {
                purl: s.purl.clone(),
                package: s.package_name.clone(),
                security_updates: UPDATES
                    .iter()
                    .filter(|f| decided(f))
                    .map(|f| check(*f))
                    .collect(),
                known_vulnerabilities: in_words(s, known),
                attestations: attestations(s),
                not_checked: Field::ALL
                    .iter()
                    .filter(|f| !decided(f))
                    .map(|f| check(*f))
                    .collect(),
            }
        })
        .collect()
}

/// "none known", "GHSA-1, GHSA-2 (1 answered by VEX)", or why they are
/// not all known.
fn in_words(s: &Statement, known: &[KnownVulnerability]) -> String {
    let mine: Vec<&KnownVulnerability> = known.iter().filter(|k| k.purl == s.purl).collect();
    let found = match mine.is_empty() {
        true => "none known".to_string(),
        false => {
            let answered = mine.iter().filter(|k| !k.open).count();
            let ids: Vec<&str> = mine.iter().map(|k| k.id.as_str()).collect();
            match answered {
                0 => ids.join(", "),
                n => format!("{} ({n} answered by VEX)", ids.join(", ")),
            }
        }
    };
    match vulns::in_use(s).incomplete {
        Some(why) => format!("{found}; not all known: {why}"),
        None => found,
    }
}

/// The attestations taken for `s`, each once.
fn attestations(s: &Statement) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |line: String| {
        if !out.contains(&line) {
            out.push(line);
        }
    };
    for (field, e) in &s.evidence {
        match e.code {
            ReasonCode::MaintainerAttested => {
                let signer = e
                    .observed
                    .as_ref()
                    .and_then(|o| o.get("signer"))
                    .and_then(Value::as_str)
                    .unwrap_or("a verified signer");
                add(format!("maintainers' self-attestation, signed by {signer}"));
            }
            ReasonCode::FromReport => add(format!("published TACOS report ({})", e.source)),
            _ => {}
        }
        let provenance = e.observed.as_ref().and_then(|o| o.get("provenance"));
        if *field == Field::UpstreamRepositoryUrl
            && let Some(p) = provenance.filter(|p| p.get("verified") == Some(&Value::Bool(true)))
        {
            let text = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("?");
            add(format!(
                "release provenance of {} verified: built from {} by {}",
                text("release"),
                text("sourceRepository"),
                text("workflow")
            ));
        }
    }
    out
}
