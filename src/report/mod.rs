//! What a compliance team hands over, from a TACOS report: the CISA Secure
//! Software Development Attestation Form mapping, and a summary organized as
//! the TAG-Security assessment process frames an outcome (baseline, risks,
//! known limitations, next steps). The analysis is plain data; renderers turn
//! it into Markdown, JSON or a self-contained HTML page.

pub mod diligence;
mod html;
pub mod load;
mod markdown;
pub mod policy;
pub mod sarif;
pub mod vulns;

use crate::term::plural;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::tacos::{Asserted, Attestation, Field, ReasonCode, Report, Statement, Status};

pub use html::render_html;
pub use markdown::render_markdown;

const MAPPING: &str = include_str!("cisa-mapping.json");

#[derive(Debug, Clone, Deserialize)]
struct Mapping {
    source: String,
    rows: Vec<MappingRow>,
}

#[derive(Debug, Clone, Deserialize)]
struct MappingRow {
    id: String,
    requirement: String,
    eo14028: String,
    ssdf: Vec<String>,
    fields: Vec<String>,
}

/// How one field of one statement counts: a value that meets the field's
/// intent, one that does not, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Outcome {
    True,
    False,
    NoAssertion,
}

/// Attestation fields count as written. Metadata counts as True when it has
/// a value, except PackageStatus, where anything but Active is False.
pub fn outcome(s: &Statement, field: Field) -> Outcome {
    if let Some(a) = s.attestation(field) {
        return match a {
            Attestation::True => Outcome::True,
            Attestation::False => Outcome::False,
            Attestation::NoAssertion => Outcome::NoAssertion,
        };
    }
    if field == Field::PackageStatus {
        return match &s.package_status {
            Asserted::Value(p) if p.status == Status::Active => Outcome::True,
            Asserted::Value(_) => Outcome::False,
            Asserted::NoAssertion => Outcome::NoAssertion,
        };
    }
    if s.is_asserted(field) {
        Outcome::True
    } else {
        Outcome::NoAssertion
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub field: String,
    #[serde(rename = "True")]
    pub yes: usize,
    #[serde(rename = "False")]
    pub no: usize,
    #[serde(rename = "NOASSERTION")]
    pub unknown: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub purl: String,
    pub package: String,
    /// The TACOS field id, as the framework writes it.
    pub field: String,
    /// What the field means, for a reader who does not know the ids.
    pub label: String,
    pub value: String,
    pub reason: String,
    /// Where the evidence came from (the evidence's SourceURL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence_url: Option<String>,
    /// The signed artifact that holds this statement, as a link from where
    /// the summary is written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CisaRow {
    pub id: String,
    pub requirement: String,
    pub eo14028: String,
    pub ssdf: Vec<String>,
    pub fields: Vec<Counts>,
    /// Components with a False on one of the row's fields, and why.
    pub failing: Vec<Finding>,
    /// `Met`, `Not met` or `Undetermined`.
    pub status: String,
    pub explanation: String,
}

/// One cause of NOASSERTION values, with how far it reaches: a reason code
/// from one source, over every field and package it left undecided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Limitation {
    /// The reason code (`source-unavailable`, `attested-only`, ...).
    pub cause: String,
    /// The evidence's source (`PyPI`, `OpenSSF Scorecard`, ...).
    pub source: String,
    pub packages: usize,
    pub values: usize,
    pub fields: Vec<String>,
    /// One reason as the evidence words it, shortened.
    pub example: String,
}

/// What the summary rests on: the input, its digest and how its
/// attestations checked out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Provenance {
    pub input: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sbom_sha256: Option<String>,
    /// `verified`, `intact, signer not proven`, `failed` or `not checked`.
    pub verification: String,
    /// One line on what was checked and with which key.
    pub verification_detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer_key_id: Option<String>,
    pub signer_proven: bool,
    /// The signed application report, as a link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report_artifact: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub application: String,
    pub author: String,
    pub generated: String,
    pub packages: usize,
    pub mapping_source: String,
    /// The security baseline: the distribution of values per field.
    pub baseline: Vec<Counts>,
    /// Identified risks: every False, with its evidence.
    pub risks: Vec<Finding>,
    /// What stayed NOASSERTION, and why.
    pub limitations: Vec<Limitation>,
    pub next_steps: Vec<String>,
    pub cisa: Vec<CisaRow>,
    /// The headline: `Met` only when every row is met, `Not met` when any
    /// is not, else `Undetermined`.
    pub verdict: String,
    pub verdict_explanation: String,
    pub provenance: Provenance,
    /// Policy violations, when a policy was evaluated.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<policy::Violation>,
    /// Rules a registry holds every account to, for the registries of the
    /// packages here: context beside an attested-only field, never its
    /// value.
    #[serde(rename = "registryRules", skip_serializing_if = "Vec::is_empty")]
    pub registry_rules: Vec<RegistryContext>,
    /// Known vulnerabilities in the versions in use, with what VEX says of
    /// each in this application (set by whoever read the VEX).
    #[serde(rename = "knownVulnerabilities", skip_serializing_if = "Vec::is_empty")]
    pub vulnerabilities: Vec<vulns::KnownVulnerability>,
    /// Versions in use whose vulnerabilities are not all known (no answer,
    /// a partial or stale one), and why.
    #[serde(
        rename = "vulnerabilitiesNotKnown",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub vulnerabilities_not_known: Vec<vulns::NotKnown>,
    /// What was checked about each component (EU CRA Article 13(5) due
    /// diligence), set beside the known vulnerabilities.
    #[serde(rename = "dueDiligence", skip_serializing_if = "Vec::is_empty")]
    pub due_diligence: Vec<diligence::Diligence>,
    /// VEX statements read but applied to nothing, and why.
    #[serde(rename = "vexNotes", skip_serializing_if = "Vec::is_empty")]
    pub vex_notes: Vec<String>,
}

impl Summary {
    /// The application's view beside the rest: the known vulnerabilities
    /// of the versions in use with `vex` applied, those not all known, the
    /// due-diligence view, and what of `vex` applied to nothing.
    pub fn add_application_view(&mut self, statements: &[Statement], vex: &crate::vex::Vex) {
        self.vulnerabilities = vulns::known(statements, vex);
        self.vulnerabilities_not_known = vulns::not_known(statements);
        self.due_diligence = diligence::view(statements, &self.vulnerabilities);
        self.vex_notes = vex.notes.clone();
    }
}

/// A registry-wide rule, and how many packages here it covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegistryContext {
    pub registry: String,
    pub field: String,
    pub rule: String,
    pub since: String,
    pub source: String,
    pub packages: usize,
}

/// The registry-wide rules that cover some of `st`'s packages.
fn registry_rules(st: &[Statement]) -> Vec<RegistryContext> {
    crate::assess::fields::REGISTRY_RULES
        .iter()
        .filter_map(|r| {
            let packages = st
                .iter()
                .filter(|s| {
                    crate::purl::Purl::parse(&s.purl).is_ok_and(|p| {
                        crate::purl::Ecosystem::from_purl_type(p.ty()) == r.ecosystem
                    })
                })
                .count();
            (packages > 0).then(|| RegistryContext {
                registry: r.ecosystem.osv_name().unwrap_or("the registry").to_string(),
                field: r.field.name().to_string(),
                rule: r.rule.to_string(),
                since: r.since.to_string(),
                source: r.source.to_string(),
                packages,
            })
        })
        .collect()
}

/// What each TACOS field means, in a reviewer's words.
pub fn label(field: &str) -> &'static str {
    match field {
        "PackageName" => "Package name",
        "PackagePlatform" => "Platform",
        "PURL" => "Package URL",
        "UpstreamRepositoryURL" => "Source repository",
        "SPDXLicenseLatestRelease" => "License of the latest release",
        "LatestStableRelease" => "Latest stable release",
        "ReleasesInUse" => "Releases in use",
        "SBOM" => "Published SBOM",
        "PackageManagerMFAEnabled" => "MFA on the package registry",
        "SourceRepoMFAEnabled" => "MFA on the source repository",
        "DocumentedBuildPractices" => "Documented build practices",
        "KnownReleasesURL" => "Release listing",
        "CleanReleaseAvailable" => "A release without known vulnerabilities exists",
        "FixedVulnerabilities" => "Latest release has no known vulnerabilities",
        "DependenciesAreManaged" => "Dependencies free of known vulnerabilities and deprecations",
        "KnownVulnerabilitiesURL" => "Vulnerability listing",
        "PackageSecurityPolicyURL" => "Security policy",
        "PackageSecurityContact" => "Security contact",
        "SecurityResponsive" => "Responds to security issues",
        "MultipleMaintainers" => "More than one maintainer",
        "SuccessionPlan" => "Succession plan",
        "NoBinariesInRepository" => "No binaries in the repository",
        "CodeReviewPractice" => "Code review",
        "FuzzingPractice" => "Fuzzing",
        "SDLCPolicyURL" => "Development lifecycle policy",
        "SDLCEvidenceDataURL" => "Development lifecycle evidence",
        "PackageStatus" => "Maintained (status Active)",
        "IncomeStreams" => "Funding",
        _ => "",
    }
}

/// Cut a reason to `max` characters at a character boundary.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max).collect();
    out.push('…');
    out
}

fn short_name(s: &Statement) -> String {
    match s.releases_in_use.as_slice() {
        [] => s.package_name.clone(),
        v => format!("{}@{}", s.package_name, v.join(",")),
    }
}

fn reason(s: &Statement, field: Field) -> String {
    s.evidence
        .get(&field)
        .map(|e| e.reason.clone())
        .unwrap_or_default()
}

fn counts(statements: &[Statement], field: Field) -> Counts {
    let mut c = Counts {
        field: field.name().to_string(),
        ..Counts::default()
    };
    for s in statements {
        match outcome(s, field) {
            Outcome::True => c.yes += 1,
            Outcome::False => c.no += 1,
            Outcome::NoAssertion => c.unknown += 1,
        }
    }
    c
}

fn finding(s: &Statement, field: Field) -> Finding {
    let value = match (&s.package_status, field) {
        (Asserted::Value(p), Field::PackageStatus) => serde_json::to_value(p.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        _ => s.display(field),
    };
    Finding {
        purl: s.purl.clone(),
        package: short_name(s),
        field: field.name().to_string(),
        label: label(field.name()).to_string(),
        value,
        reason: reason(s, field),
        evidence_url: s.evidence.get(&field).and_then(|e| e.url.clone()),
        artifact: None,
    }
}

/// The fields a summary counts (identity and release metadata are not
/// practices).
pub fn assessed_fields() -> Vec<Field> {
    Field::ALL
        .into_iter()
        .filter(|f| {
            !matches!(
                f,
                Field::PackageName
                    | Field::PackagePlatform
                    | Field::Purl
                    | Field::ReleasesInUse
                    | Field::LatestStableRelease
            )
        })
        .collect()
}

/// What a report a person reads is titled by: the application's name, or,
/// when the SBOM names none and enrich fell back to its serial number, that
/// number said to be one (a bare `urn:uuid:` reads as if it were the
/// application). The JSON keeps the name as the signed report has it.
pub(crate) fn title(application: &str) -> String {
    match application.starts_with("urn:uuid:") {
        true => format!("unnamed SBOM {application}"),
        false => application.to_string(),
    }
}

pub fn summarize(report: &Report) -> Summary {
    let st = &report.statements;
    let mapping: Mapping = serde_json::from_str(MAPPING).expect("the bundled mapping parses");
    let fields = assessed_fields();
    let baseline: Vec<Counts> = fields.iter().map(|f| counts(st, *f)).collect();
    let mut risks = Vec::new();
    for s in st {
        for f in &fields {
            if outcome(s, *f) == Outcome::False {
                risks.push(finding(s, *f));
            }
        }
    }
    let limitations = limitations(st, &fields);
    let cisa: Vec<CisaRow> = mapping
        .rows
        .iter()
        .map(|row| {
            let row_fields: Vec<Field> = row
                .fields
                .iter()
                .filter_map(|n| Field::from_name(n))
                .collect();
            let failing: Vec<Finding> = st
                .iter()
                .flat_map(|s| {
                    row_fields
                        .iter()
                        .filter(|f| outcome(s, **f) == Outcome::False)
                        .map(move |f| finding(s, *f))
                })
                .collect();
            let fc: Vec<Counts> = row_fields.iter().map(|f| counts(st, *f)).collect();
            let unknown: usize = fc.iter().map(|c| c.unknown).sum();
            let (status, explanation) = if st.is_empty() {
                ("Undetermined", "no components were assessed".to_string())
            } else if !failing.is_empty() {
                (
                    "Not met",
                    format!(
                        "{} among the components",
                        plural(failing.len(), "False value", "False values")
                    ),
                )
            } else if unknown > 0 {
                (
                    "Undetermined",
                    format!(
                        "{}; no False",
                        plural(unknown, "NOASSERTION value", "NOASSERTION values")
                    ),
                )
            } else {
                (
                    "Met",
                    "every component is True on every field of this row".to_string(),
                )
            };
            CisaRow {
                id: row.id.clone(),
                requirement: row.requirement.clone(),
                eo14028: row.eo14028.clone(),
                ssdf: row.ssdf.clone(),
                fields: fc,
                failing,
                status: status.to_string(),
                explanation,
            }
        })
        .collect();
    let (verdict, verdict_explanation) = verdict(&cisa);
    Summary {
        verdict,
        verdict_explanation,
        provenance: Provenance {
            input: report.location.clone(),
            verification: "not checked".into(),
            verification_detail: "a TACOS report read as it is".into(),
            ..Provenance::default()
        },
        violations: Vec::new(),
        application: report.application.clone(),
        author: report.author.clone(),
        generated: report.last_modified.clone(),
        packages: st.len(),
        mapping_source: mapping.source,
        baseline,
        risks,
        limitations,
        next_steps: next_steps(st),
        cisa,
        registry_rules: registry_rules(st),
        vulnerabilities: Vec::new(),
        vulnerabilities_not_known: Vec::new(),
        due_diligence: Vec::new(),
        vex_notes: Vec::new(),
    }
}

/// The overall verdict from the CISA rows.
fn verdict(rows: &[CisaRow]) -> (String, String) {
    let count = |status: &str| rows.iter().filter(|r| r.status == status).count();
    let (met, not_met) = (count("Met"), count("Not met"));
    let undetermined = rows.len() - met - not_met;
    let status = if not_met > 0 {
        "Not met"
    } else if undetermined > 0 {
        "Undetermined"
    } else {
        "Met"
    };
    (
        status.to_string(),
        format!(
            "{met} of {} CISA form rows met, {not_met} not met, {undetermined} undetermined",
            rows.len()
        ),
    )
}

/// NOASSERTION values grouped by cause (reason code and source), with the
/// packages, values and fields each cause reaches: one line per cause, not
/// one per package or per field.
fn limitations(st: &[Statement], fields: &[Field]) -> Vec<Limitation> {
    struct Group {
        packages: std::collections::BTreeSet<String>,
        values: usize,
        fields: Vec<String>,
        example: String,
    }
    let mut groups: BTreeMap<(String, String), Group> = BTreeMap::new();
    for f in fields {
        for s in st.iter().filter(|s| outcome(s, *f) == Outcome::NoAssertion) {
            let (code, source, why) = match s.evidence.get(f) {
                Some(e) => (
                    serde_json::to_value(e.code)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    e.source.clone(),
                    e.reason.clone(),
                ),
                None => ("unknown".into(), String::new(), String::new()),
            };
            let g = groups.entry((code, source)).or_insert_with(|| Group {
                packages: Default::default(),
                values: 0,
                fields: Vec::new(),
                example: shorten(&why, 240),
            });
            g.packages.insert(s.purl.clone());
            g.values += 1;
            if !g.fields.iter().any(|x| x == f.name()) {
                g.fields.push(f.name().to_string());
            }
        }
    }
    let mut out: Vec<Limitation> = groups
        .into_iter()
        .map(|((cause, source), g)| Limitation {
            cause,
            source,
            packages: g.packages.len(),
            values: g.values,
            fields: g.fields,
            example: g.example,
        })
        .collect();
    out.sort_by_key(|l| std::cmp::Reverse(l.values));
    out
}

/// Concrete steps: upgrades to clean releases, replacements, what to ask
/// maintainers for, sources to make reachable.
fn next_steps(st: &[Statement]) -> Vec<String> {
    let mut steps = Vec::new();
    for s in st {
        let name = &s.package_name;
        let ev = s.evidence.get(&Field::FixedVulnerabilities);
        let in_use = ev
            .and_then(|e| e.observed.as_ref())
            .and_then(|o| o.get("inUse"));
        let affected: Vec<String> = in_use
            .and_then(|u| u.get("vulnerabilities"))
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let current = in_use
            .and_then(|u| u.get("version"))
            .and_then(|v| v.as_str());
        if let (Some(current), false) = (current, affected.is_empty()) {
            match (&s.latest_stable_release, s.fixed_vulnerabilities) {
                (Asserted::Value(latest), Attestation::True) => steps.push(format!(
                    "Upgrade {name} from {current} to {latest}, the latest release, which no known vulnerability affects ({} fixed).",
                    affected.join(", ")
                )),
                (Asserted::Value(latest), Attestation::False) => steps.push(format!(
                    "Patch or replace {name} {current}: it is affected by {}, and so is its latest release {latest}.",
                    affected.join(", ")
                )),
                _ => steps.push(format!("Review {name} {current}: it is affected by {}.", affected.join(", "))),
            }
        }
        if let Asserted::Value(p) = &s.package_status
            && matches!(p.status, Status::Deprecated | Status::Removed | Status::Eol)
        {
            steps.push(format!(
                "Replace {name}: its status is {:?} ({}).",
                p.status,
                reason(s, Field::PackageStatus)
            ));
        }
    }
    let attested: Vec<&Statement> = st
        .iter()
        .filter(|s| {
            Field::ALL.iter().any(|f| {
                f.is_attested_only()
                    && s.evidence
                        .get(f)
                        .is_some_and(|e| e.code == ReasonCode::AttestedOnly)
            })
        })
        .collect();
    if !attested.is_empty() {
        let names: Vec<&str> = attested
            .iter()
            .take(10)
            .map(|s| s.package_name.as_str())
            .collect();
        steps.push(format!(
            "Ask the maintainers of {} ({}{}) for attestations of PackageManagerMFAEnabled, SourceRepoMFAEnabled, DocumentedBuildPractices, SuccessionPlan, SDLCPolicyURL and SDLCEvidenceDataURL, or merge their published TACOS reports with --reports.",
            plural(attested.len(), "package", "packages"),
            names.join(", "),
            if attested.len() > 10 { ", ..." } else { "" }
        ));
    }
    let mut unavailable: BTreeMap<String, usize> = BTreeMap::new();
    for s in st {
        for e in s
            .evidence
            .values()
            .filter(|e| e.code == ReasonCode::SourceUnavailable)
        {
            *unavailable.entry(e.source.clone()).or_default() += 1;
        }
    }
    for (source, n) in unavailable {
        steps.push(format!(
            "Make {source} reachable (or configure it) and run again: {} stayed NOASSERTION without it.",
            plural(n, "value", "values")
        ));
    }
    steps
}

/// The policy's NOASSERTION share: of all attestation values.
pub fn noassertion_percent(st: &[Statement]) -> f64 {
    let mut share = NoassertionShare::default();
    st.iter().for_each(|s| share.add(s));
    share.percent()
}

/// The share of tri-state values that are NOASSERTION, counted one
/// statement at a time.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoassertionShare {
    total: usize,
    unknown: usize,
}

impl NoassertionShare {
    pub fn add(&mut self, s: &Statement) {
        for f in Field::ALL.into_iter().filter(|f| f.is_tri_state()) {
            self.total += 1;
            if s.attestation(f) == Some(Attestation::NoAssertion) {
                self.unknown += 1;
            }
        }
    }

    pub fn percent(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.unknown as f64 * 100.0 / self.total as f64
        }
    }
}

/// Render as pretty JSON.
pub fn render_json(s: &Summary) -> String {
    let mut out = serde_json::to_string_pretty(s).expect("the summary serializes");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tacos::{Evidence, PackageStatus};

    fn st(name: &str, fixed: Attestation) -> Statement {
        let purl = crate::purl::Purl::parse(&format!("pkg:npm/{name}@1.0.0")).unwrap();
        let mut s =
            crate::assess::identity(&purl, vec!["1.0.0".into()], &crate::assess::not_assessed());
        s.fixed_vulnerabilities = fixed;
        s.set_evidence(
            Field::FixedVulnerabilities,
            Evidence::new("OSV", ReasonCode::Observed, format!("{name} reason")),
        );
        s.set_evidence(
            Field::SuccessionPlan,
            crate::assess::fields::attested_only("SuccessionPlan"),
        );
        s
    }

    fn report(statements: Vec<Statement>) -> Report {
        Report {
            id: crate::tacos::FRAMEWORK_ID.into(),
            location: ".".into(),
            author: "Tool: tacos-sbom-test".into(),
            role: "Attestor".into(),
            last_modified: "2026-11-23T00:00:00Z".into(),
            tacos_version: "1.1".into(),
            application: "app@1".into(),
            statements,
        }
    }

    #[test]
    fn counts_risks_and_rows_agree_with_the_statements() {
        let mut a = st("a", Attestation::True);
        a.package_status = Asserted::Value(PackageStatus {
            status: Status::Deprecated,
            last_modified: "2026-11-23T00:00:00Z".into(),
        });
        let b = st("b", Attestation::False);
        let s = summarize(&report(vec![a, b]));
        let fixed = s
            .baseline
            .iter()
            .find(|c| c.field == "FixedVulnerabilities")
            .unwrap();
        assert_eq!((fixed.yes, fixed.no, fixed.unknown), (1, 1, 0));
        assert!(
            s.risks
                .iter()
                .any(|r| r.package == "b@1.0.0" && r.reason == "b reason")
        );
        assert!(s.risks.iter().any(|r| r.field == "PackageStatus"));
        let row2 = s.cisa.iter().find(|r| r.id == "2").unwrap();
        assert_eq!(row2.status, "Not met");
        let row1a = s.cisa.iter().find(|r| r.id == "1a").unwrap();
        assert_eq!(row1a.status, "Undetermined");
        assert_eq!(s.cisa.len(), 9);
        assert!(s.next_steps.iter().any(|n| n.starts_with("Replace a")));
        assert!(
            s.next_steps
                .iter()
                .any(|n| n.contains("Ask the maintainers of 2 packages"))
        );
    }

    #[test]
    fn the_bundled_mapping_names_only_real_fields() {
        let m: Mapping = serde_json::from_str(MAPPING).unwrap();
        for r in &m.rows {
            for f in &r.fields {
                assert!(Field::from_name(f).is_some(), "{f}");
            }
        }
    }

    #[test]
    fn registry_rules_show_for_the_registries_present_only() {
        let npm_only = summarize(&report(vec![st("a", Attestation::True)]));
        assert!(npm_only.registry_rules.is_empty());
        let md = markdown::render_markdown(&npm_only);
        assert!(!md.contains("Registry-wide rules"), "{md}");

        let purl = crate::purl::Purl::parse("pkg:pypi/requests@2.0.0").unwrap();
        let py =
            crate::assess::identity(&purl, vec!["2.0.0".into()], &crate::assess::not_assessed());
        let both = summarize(&report(vec![st("a", Attestation::True), py]));
        assert_eq!(both.registry_rules.len(), 1);
        let r = &both.registry_rules[0];
        assert_eq!((r.registry.as_str(), r.packages), ("PyPI", 1));
        assert_eq!(r.field, "PackageManagerMFAEnabled");
        let md = markdown::render_markdown(&both);
        assert!(
            md.contains("## Registry-wide rules (context, not attestations)")
                && md.contains("- **PyPI** (1 package): PyPI requires every account to have two-factor authentication"),
            "{md}"
        );
        let json = serde_json::to_value(&both).unwrap();
        assert_eq!(json["registryRules"][0]["since"], "2024-01-01");
    }
}
