//! A policy gate for CI: fail when a component has a given value in a field
//! (`FixedVulnerabilities=False`, `PackageStatus=Deprecated`), when more
//! than a share of all attestation values are NOASSERTION, or (with
//! `require_sources`) when an ecosystem in the SBOM has no registry to ask.
//!
//! Every rule is checked before any work is done, and values are taken only
//! as the framework writes them: `FixedVulnerabilities=false` is refused
//! with "did you mean", never read as a rule that matches nothing.

use serde::Serialize;

use crate::suggest;
use crate::tacos::{Asserted, Field, Statement};

/// The rules, as the config file and the command line give them.
pub use crate::config::Policy;

/// What kind of rule a violation broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    FailOn,
    MaxNoassertion,
    RequireSources,
    KnownVulnerability,
}

/// One violation: the rule, the package (when it is about one), and the
/// line a person reads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    pub kind: Kind,
    /// The rule as written (`FixedVulnerabilities=False`), or the setting.
    pub rule: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Why the value is what it is (the evidence's reason), or the fix.
    pub reason: String,
    /// The evidence behind the value, when it names a URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence_url: Option<String>,
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The values a field can be compared with, when they are a closed set.
fn values_of(field: Field) -> Option<&'static [&'static str]> {
    if field.is_tri_state() {
        return Some(&["True", "False", "NOASSERTION"]);
    }
    if field == Field::PackageStatus {
        return Some(&[
            "Active",
            "Inactive",
            "Deprecated",
            "Removed",
            "EOL",
            "NOASSERTION",
        ]);
    }
    None
}

/// Why a policy cannot be used: which rule (as written) or setting, and
/// what is wrong with it. Found before any work is done.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PolicyError {
    #[error("policy rule {rule:?} is not FIELD=VALUE")]
    NotFieldValue { rule: String },
    #[error("policy rule {rule:?}: {field:?} is not a TACOS field{}", .likely.as_ref().map(|n| format!("; did you mean {n:?}?")).unwrap_or_default())]
    UnknownField {
        rule: String,
        field: String,
        likely: Option<&'static str>,
    },
    #[error("policy rule {rule:?}: {source}")]
    UnknownValue {
        rule: String,
        #[source]
        source: suggest::Unknown,
    },
    #[error(
        "policy rule {rule:?}: {value:?} is not how {field} is written; did you mean \"NOASSERTION\"?"
    )]
    NoassertionMisspelled {
        rule: String,
        value: String,
        field: Field,
    },
    #[error("policy rule {rule:?}: the value is empty")]
    EmptyValue { rule: String },
    #[error("max NOASSERTION percentage {0} is not between 0 and 100")]
    PercentOutOfRange(f64),
}

/// A rule `FIELD=VALUE`, checked: the field exists and the value is one it
/// can have, spelled as the framework spells it.
fn rule(r: &str) -> Result<(Field, String), PolicyError> {
    let (f, v) = r
        .split_once('=')
        .ok_or_else(|| PolicyError::NotFieldValue {
            rule: r.to_string(),
        })?;
    let (f, v) = (f.trim(), v.trim());
    let names: Vec<&'static str> = Field::ALL.iter().map(|f| f.name()).collect();
    let field = Field::from_name(f).ok_or_else(|| PolicyError::UnknownField {
        rule: r.to_string(),
        field: f.to_string(),
        likely: suggest::closest(f, &names),
    })?;
    match values_of(field) {
        Some(valid) => {
            suggest::check(&format!("value of {field}"), v, valid).map_err(|source| {
                PolicyError::UnknownValue {
                    rule: r.to_string(),
                    source,
                }
            })?
        }
        // Free values (URLs, licenses, versions): only NOASSERTION has one spelling.
        None if v != "NOASSERTION" && v.eq_ignore_ascii_case("NOASSERTION") => {
            return Err(PolicyError::NoassertionMisspelled {
                rule: r.to_string(),
                value: v.to_string(),
                field,
            });
        }
        None if v.is_empty() => {
            return Err(PolicyError::EmptyValue {
                rule: r.to_string(),
            });
        }
        None => {}
    }
    Ok((field, v.to_string()))
}

impl Policy {
    pub fn is_empty(&self) -> bool {
        self.fail_on.is_empty()
            && self.max_noassertion_percent.is_none()
            && !self.require_sources
            && !self.fail_on_vulnerabilities
    }

    /// Check the rules are well formed before any work is done.
    pub fn validate(&self) -> Result<(), PolicyError> {
        for r in &self.fail_on {
            rule(r)?;
        }
        if let Some(p) = self.max_noassertion_percent
            && !(0.0..=100.0).contains(&p)
        {
            return Err(PolicyError::PercentOutOfRange(p));
        }
        Ok(())
    }

    /// Every violation of the field rules and the NOASSERTION share.
    pub fn evaluate(&self, statements: &[Statement]) -> Result<Vec<Violation>, PolicyError> {
        self.evaluate_with(statements, &std::sync::Arc::default())
    }

    /// [`Self::evaluate`], known vulnerabilities judged with `vex`.
    pub fn evaluate_with(
        &self,
        statements: &[Statement],
        vex: &std::sync::Arc<crate::vex::Vex>,
    ) -> Result<Vec<Violation>, PolicyError> {
        let mut check = self.check_with(vex.clone())?;
        for (i, s) in statements.iter().enumerate() {
            check.add(i, s);
        }
        Ok(check.finish())
    }

    /// `evaluate` one statement at a time, for a caller that does not
    /// keep them: `Check::add` each, then `Check::finish`.
    pub fn check(&self) -> Result<Check, PolicyError> {
        self.check_with(std::sync::Arc::default())
    }

    /// [`Self::check`], known vulnerabilities judged with `vex`.
    pub fn check_with(&self, vex: std::sync::Arc<crate::vex::Vex>) -> Result<Check, PolicyError> {
        Ok(Check {
            vulnerabilities: self.fail_on_vulnerabilities.then_some(vex),
            rules: self
                .fail_on
                .iter()
                .map(|r| rule(r).map(|(f, v)| (r.clone(), f, v)))
                .collect::<Result<_, _>>()?,
            max_noassertion_percent: self.max_noassertion_percent,
            found: Vec::new(),
            share: super::NoassertionShare::default(),
            statements: 0,
        })
    }

    /// With `require_sources`, one violation per registry that packages
    /// needed but that has no source: (service, packages, why with the fix).
    pub fn unsourced(&self, unconfigured: &[(String, usize, String)]) -> Vec<Violation> {
        if !self.require_sources {
            return Vec::new();
        }
        unconfigured
            .iter()
            .map(|(service, n, why)| Violation {
                kind: Kind::RequireSources,
                rule: "require_sources".into(),
                purl: None,
                field: None,
                value: None,
                reason: why.clone(),
                evidence_url: None,
                message: format!(
                    "{} got no data from the {service}, which has no source: {why}",
                    crate::term::plural(*n, "package", "packages")
                ),
            })
            .collect()
    }
}

/// A policy being checked against statements one at a time.
pub struct Check {
    rules: Vec<(String, Field, String)>,
    /// With `fail_on_vulnerabilities`: the VEX statements that may answer
    /// a known vulnerability.
    vulnerabilities: Option<std::sync::Arc<crate::vex::Vex>>,
    max_noassertion_percent: Option<f64>,
    /// (rule, statement index, violation), put in that order at the end.
    found: Vec<(usize, usize, Violation)>,
    share: super::NoassertionShare,
    statements: usize,
}

impl Check {
    /// Check statement number `index` (the order violations are listed in).
    pub fn add(&mut self, index: usize, s: &Statement) {
        self.statements += 1;
        self.share.add(s);
        self.known_vulnerabilities(index, s);
        for (n, (r, field, want)) in self.rules.iter().enumerate() {
            let field = *field;
            let value = match (field, &s.package_status) {
                (Field::PackageStatus, Asserted::Value(p)) => serde_json::to_value(p.status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                _ => s.display(field),
            };
            if value == *want {
                let evidence = s.evidence.get(&field);
                let why = evidence.map(|e| e.reason.clone()).unwrap_or_default();
                self.found.push((
                    n,
                    index,
                    Violation {
                        kind: Kind::FailOn,
                        rule: r.clone(),
                        purl: Some(s.purl.clone()),
                        field: Some(field.name().to_string()),
                        value: Some(want.clone()),
                        evidence_url: evidence.and_then(|e| e.url.clone()),
                        message: format!("{} has {field}={want} ({r}): {why}", s.purl),
                        reason: why,
                    },
                ));
            }
        }
    }

    /// With `fail_on_vulnerabilities`, each known vulnerability of `s`'s
    /// version in use that no VEX statement about it answers; listed after
    /// the field rules.
    fn known_vulnerabilities(&mut self, index: usize, s: &Statement) {
        let Some(vex) = &self.vulnerabilities else {
            return;
        };
        let rule = self.rules.len();
        let evidence_url = s
            .evidence
            .get(&Field::FixedVulnerabilities)
            .and_then(|e| e.url.clone());
        let violation = |value: Option<String>, what: &str, reason: String| Violation {
            kind: Kind::KnownVulnerability,
            rule: "fail_on_vulnerabilities".into(),
            purl: Some(s.purl.clone()),
            field: Some(Field::FixedVulnerabilities.name().to_string()),
            value,
            evidence_url: evidence_url.clone(),
            message: format!("{} {what} (fail_on_vulnerabilities): {reason}", s.purl),
            reason,
        };
        let mut found = Vec::new();
        // What was not looked at cannot pass as answered.
        if let Some(why) = super::vulns::in_use(s).incomplete {
            found.push(violation(
                None,
                "cannot be cleared of known vulnerabilities",
                format!("its vulnerabilities are not all known: {why}"),
            ));
        }
        for k in super::vulns::known(std::slice::from_ref(s), vex) {
            if !k.open {
                continue;
            }
            let vex_says = k
                .vex
                .as_ref()
                .map(|v| format!("; VEX: {}", super::vulns::describe(v)))
                .unwrap_or_default();
            found.push(violation(
                Some(k.id.clone()),
                "has a known vulnerability no VEX statement answers",
                format!("{} is known in the version in use{vex_says}", k.id),
            ));
        }
        self.found
            .extend(found.into_iter().map(|v| (rule, index, v)));
    }

    /// How many statements were checked.
    pub fn statements(&self) -> usize {
        self.statements
    }

    /// Every violation: rule by rule, each in statement order; then the
    /// NOASSERTION share.
    pub fn finish(self) -> Vec<Violation> {
        let mut found = self.found;
        found.sort_by_key(|(rule, index, _)| (*rule, *index));
        let mut out: Vec<Violation> = found.into_iter().map(|(_, _, v)| v).collect();
        if let Some(max) = self.max_noassertion_percent {
            let share = self.share.percent();
            if share > max {
                let message = format!(
                    "{share:.1}% of attestation values are NOASSERTION, more than the {max}% allowed"
                );
                out.push(Violation {
                    kind: Kind::MaxNoassertion,
                    rule: format!("max_noassertion_percent={max}"),
                    purl: None,
                    field: None,
                    value: Some(format!("{share:.1}")),
                    reason: "see the report's known limitations for why values stayed NOASSERTION"
                        .into(),
                    evidence_url: None,
                    message,
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tacos::{Attestation, PackageStatus, Status};

    #[test]
    fn rules_fire_on_matching_values_only() {
        let purl = crate::purl::Purl::parse("pkg:npm/a@1").unwrap();
        let mut s = crate::assess::identity(&purl, vec![], &crate::assess::not_assessed());
        s.fixed_vulnerabilities = Attestation::False;
        s.package_status = Asserted::Value(PackageStatus {
            status: Status::Deprecated,
            last_modified: "x".into(),
        });
        let p = Policy {
            fail_on: vec![
                "FixedVulnerabilities=False".into(),
                "PackageStatus=Deprecated".into(),
                "CodeReviewPractice=False".into(),
            ],
            max_noassertion_percent: Some(50.0),
            require_sources: false,
            ..Policy::default()
        };
        let v = p.evaluate(&[s]).unwrap();
        assert_eq!(v.len(), 3, "{v:?}");
        assert!(v[2].message.contains("NOASSERTION"));
        for bad in ["Nope=True", "FixedVulnerabilities"] {
            let p = Policy {
                fail_on: vec![bad.into()],
                ..Policy::default()
            };
            assert!(p.validate().is_err(), "{bad}");
        }
    }

    /// Statements checked as they are decided come in any order; the
    /// violations are listed as `evaluate` lists them all the same.
    #[test]
    fn a_check_fed_out_of_order_lists_what_evaluate_lists() {
        let statements: Vec<Statement> = ["a", "b", "c"]
            .iter()
            .map(|n| {
                let purl = crate::purl::Purl::parse(&format!("pkg:npm/{n}@1")).unwrap();
                let mut s = crate::assess::identity(&purl, vec![], &crate::assess::not_assessed());
                s.fixed_vulnerabilities = Attestation::False;
                s.multiple_maintainers = Attestation::False;
                s
            })
            .collect();
        let p = Policy {
            fail_on: vec![
                "MultipleMaintainers=False".into(),
                "FixedVulnerabilities=False".into(),
            ],
            max_noassertion_percent: Some(10.0),
            require_sources: false,
            ..Policy::default()
        };
        let mut check = p.check().unwrap();
        for i in [2, 0, 1] {
            check.add(i, &statements[i]);
        }
        assert_eq!(check.statements(), 3);
        let fed = check.finish();
        assert_eq!(fed, p.evaluate(&statements).unwrap());
        let order: Vec<_> = fed
            .iter()
            .map(|v| (v.rule.as_str(), v.purl.as_deref()))
            .collect();
        assert_eq!(
            order[..3],
            [
                ("MultipleMaintainers=False", Some("pkg:npm/a@1")),
                ("MultipleMaintainers=False", Some("pkg:npm/b@1")),
                ("MultipleMaintainers=False", Some("pkg:npm/c@1")),
            ]
        );
        assert_eq!(fed.len(), 7, "two rules x three, and the NOASSERTION share");
    }

    /// Issue 10: a value spelled otherwise than the framework writes it
    /// matched nothing, so the gate passed ("0 violation(s)").
    #[test]
    fn a_misspelled_value_is_refused_with_the_likely_one() {
        for (typed, meant) in [
            ("MultipleMaintainers=false", "False"),
            ("FixedVulnerabilities=Flase", "False"),
            ("PackageStatus=deprecated", "Deprecated"),
            ("PackageStatus=eol", "EOL"),
            ("FixedVulnerabilities=noassertion", "NOASSERTION"),
            ("UpstreamRepositoryURL=NoAssertion", "NOASSERTION"),
            ("FixedVulnerabilites=False", "FixedVulnerabilities"),
        ] {
            let p = Policy {
                fail_on: vec![typed.into()],
                ..Policy::default()
            };
            let e = p.validate().unwrap_err().to_string();
            assert!(
                e.contains(&format!("did you mean {meant:?}?")),
                "{typed}: {e}"
            );
        }
        let p = Policy {
            fail_on: vec!["SPDXLicenseLatestRelease=GPL-3.0-only".into()],
            ..Policy::default()
        };
        assert!(p.validate().is_ok());
    }

    /// The messages a person reads, word for word as they were when they
    /// were strings.
    #[test]
    fn each_refusal_reads_as_it_did() {
        let refused = |r: &str| {
            Policy {
                fail_on: vec![r.into()],
                ..Policy::default()
            }
            .validate()
            .unwrap_err()
            .to_string()
        };
        assert_eq!(
            refused("FixedVulnerabilities"),
            r#"policy rule "FixedVulnerabilities" is not FIELD=VALUE"#
        );
        assert_eq!(
            refused("FixedVulnerabilitie=False"),
            r#"policy rule "FixedVulnerabilitie=False": "FixedVulnerabilitie" is not a TACOS field; did you mean "FixedVulnerabilities"?"#
        );
        assert_eq!(
            refused("Nothing=False"),
            r#"policy rule "Nothing=False": "Nothing" is not a TACOS field"#
        );
        assert_eq!(
            refused("FixedVulnerabilities=false"),
            r#"policy rule "FixedVulnerabilities=false": "false" is not a valid value of FixedVulnerabilities (valid: True, False, NOASSERTION); did you mean "False"?"#
        );
        assert_eq!(
            refused("SPDXLicenseLatestRelease=noassertion"),
            r#"policy rule "SPDXLicenseLatestRelease=noassertion": "noassertion" is not how SPDXLicenseLatestRelease is written; did you mean "NOASSERTION"?"#
        );
        assert_eq!(
            refused("SPDXLicenseLatestRelease= "),
            r#"policy rule "SPDXLicenseLatestRelease= ": the value is empty"#
        );
        let p = Policy {
            max_noassertion_percent: Some(100.5),
            ..Policy::default()
        };
        assert_eq!(
            p.validate().unwrap_err().to_string(),
            "max NOASSERTION percentage 100.5 is not between 0 and 100"
        );
    }

    /// With fail_on_vulnerabilities, each known vulnerability in a version
    /// in use fails, unless a closing VEX statement names that very
    /// component (by an id or an alias); one naming another package, or
    /// an open state, does not answer it.
    #[test]
    fn known_vulnerabilities_fail_unless_a_vex_statement_about_that_component_answers() {
        use crate::tacos::{Evidence, ReasonCode};
        use crate::vex::{Statement as Said, Status as Says, Vex};
        let statement = |name: &str| {
            let purl = crate::purl::Purl::parse(&format!("pkg:npm/{name}@1.0.0")).unwrap();
            let mut s = crate::assess::identity(&purl, vec![], &crate::assess::not_assessed());
            let mut e = Evidence::new("OSV", ReasonCode::Observed, "affected");
            e.observed = Some(serde_json::json!({
                "version": "1.0.0",
                "vulnerabilities": ["GHSA-1111"],
                "aliases": {"GHSA-1111": ["CVE-2026-1"]}
            }));
            s.evidence.insert(Field::FixedVulnerabilities, e);
            s
        };
        let said = |on: &str, status| Said {
            ids: vec!["CVE-2026-1".into()],
            components: vec![crate::purl::Purl::parse(on).unwrap()],
            status,
            justification: Some("code_not_reachable".into()),
            detail: None,
            author: Some("App Team".into()),
            time: None,
            origin: "vex.json statements[0]".into(),
        };
        let p = Policy {
            fail_on_vulnerabilities: true,
            ..Policy::default()
        };
        let both = [statement("a"), statement("b")];
        let none = p.evaluate(&both).unwrap();
        assert_eq!(none.len(), 2, "{none:?}");
        assert_eq!(none[0].kind, Kind::KnownVulnerability);
        assert_eq!(none[0].value.as_deref(), Some("GHSA-1111"));
        let vex = std::sync::Arc::new(Vex::new(
            vec![said("pkg:npm/a@1.0.0", Says::NotAffected)],
            vec![],
        ));
        let v = p.evaluate_with(&both, &vex).unwrap();
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].purl.as_deref(), Some("pkg:npm/b@1.0.0"));
        let vex = std::sync::Arc::new(Vex::new(
            vec![said("pkg:npm/a@1.0.0", Says::InTriage)],
            vec![],
        ));
        let v = p.evaluate_with(&both, &vex).unwrap();
        assert_eq!(v.len(), 2, "{v:?}");
        assert!(v[0].reason.contains("VEX: in_triage"), "{}", v[0].reason);
        // Without the rule, nothing.
        assert!(Policy::default().evaluate(&both).unwrap().is_empty());
    }
}
