//! Merging what published reports say into the automatic statement.
//!
//! A published value fills a field the assessment left NOASSERTION. Where
//! both have a value and disagree, the automatic value stays and the
//! conflict is reported, never resolved silently; so a published True never
//! overrides an automatic False. Reports that disagree among themselves on a
//! field the assessment left NOASSERTION leave it NOASSERTION, with a
//! conflict. Identity fields and ReleasesInUse are never taken from reports.
//!
//! A report is evidence like any other: a True, an "Active" or any value
//! from it needs it to be closed-world for that field (read without
//! repairs, and, for fields that change with time, no older than
//! `[reports] max_age_days`); a False or an adverse status it states is
//! taken from any report.

use std::collections::BTreeMap;

use time::OffsetDateTime;

use crate::published::{PublishedStatement, PublishedValue};
use crate::sources::{Closed, NotClosed};
use crate::tacos::{Asserted, Attestation, Evidence, Field, ReasonCode, Statement, Status};

/// What a merge judges reports by.
#[derive(Debug, Clone, Copy)]
pub struct Freshness {
    pub now: OffsetDateTime,
    pub max_age_days: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub purl: String,
    pub field: Field,
    pub published: String,
    pub automatic: String,
    pub origin: String,
}

/// Whether a published value asserts something (a True, a value, "Active")
/// rather than state a finding (a False, an adverse status).
fn is_positive(value: &PublishedValue) -> bool {
    match value {
        PublishedValue::Attestation(a) => *a == Attestation::True,
        PublishedValue::Status(s) => s.status == Status::Active,
        PublishedValue::NoAssertion => false,
        _ => true,
    }
}

/// Set a field from a published value. A positive value needs `proof`.
fn apply(
    statement: &mut Statement,
    field: Field,
    value: &PublishedValue,
    proof: Result<Closed, NotClosed>,
) -> Result<bool, NotClosed> {
    if is_positive(value) {
        let _witness: Closed = proof?;
    }
    Ok(match value {
        PublishedValue::Attestation(a) => statement.set_attestation(field, *a),
        PublishedValue::Text(t) => match statement.text_mut(field) {
            Some(slot) => {
                *slot = Asserted::Value(t.clone());
                true
            }
            None => false,
        },
        PublishedValue::Status(s) if field == Field::PackageStatus => {
            statement.package_status = Asserted::Value(s.clone());
            true
        }
        PublishedValue::Income(i) if field == Field::IncomeStreams => {
            statement.income_streams = Asserted::Value(i.clone());
            true
        }
        PublishedValue::Sbom(s) if field == Field::Sbom => {
            statement.sbom = s.clone();
            true
        }
        _ => false,
    })
}

pub fn merge(
    statement: &mut Statement,
    published: &[&PublishedStatement],
    freshness: Freshness,
) -> Vec<Conflict> {
    let mut conflicts = Vec::new();
    // Per field: the distinct published values, with who said each.
    let mut by_field: BTreeMap<Field, Vec<(String, &PublishedValue, &PublishedStatement)>> =
        BTreeMap::new();
    for p in published {
        for (field, value) in &p.fields {
            if matches!(value, PublishedValue::NoAssertion) {
                continue;
            }
            let shown = value.display();
            let list = by_field.entry(*field).or_default();
            if !list.iter().any(|(s, _, _)| *s == shown) {
                list.push((shown, value, p));
            }
        }
    }
    for (field, values) in by_field {
        let automatic = statement.display(field);
        let auto_unknown =
            !statement.is_asserted(field) || (field == Field::Sbom && statement.sbom.is_empty());
        let purl = statement.purl.clone();
        if values.len() > 1 {
            let said: Vec<String> = values
                .iter()
                .map(|(v, _, p)| format!("{v} ({})", p.origin))
                .collect();
            for (v, _, p) in &values {
                conflicts.push(Conflict {
                    purl: purl.clone(),
                    field,
                    published: v.clone(),
                    automatic: automatic.clone(),
                    origin: p.origin.clone(),
                });
            }
            let mut e = statement
                .evidence
                .get(&field)
                .cloned()
                .unwrap_or_else(|| Evidence::new("tacos-sbom", ReasonCode::Conflict, ""));
            e.code = ReasonCode::Conflict;
            e.reason = format!(
                "{}; published reports disagree: {}",
                e.reason,
                said.join(" vs ")
            );
            statement.set_evidence(field, e);
            continue;
        }
        let (shown, value, p) = &values[0];
        let repairs = if p.repairs.is_empty() {
            String::new()
        } else {
            format!(" (repaired: {})", p.repairs.join("; "))
        };
        if auto_unknown {
            let proof = p
                .closed_for(field, freshness.now, freshness.max_age_days)
                .map_err(|e| NotClosed(e.to_string()));
            match apply(statement, field, value, proof) {
                Ok(true) => {
                    let mut e = Evidence::new(
                        p.origin.clone(),
                        ReasonCode::FromReport,
                        format!(
                            "{shown}, as the published report {} states ({}){repairs}",
                            p.origin,
                            p.signature.describe()
                        ),
                    );
                    e.as_of = p.date.map(crate::tacos::timestamp);
                    statement.set_evidence(field, e);
                }
                Ok(false) => {}
                Err(why) => {
                    if let Some(e) = statement.evidence.get_mut(&field) {
                        e.reason.push_str(&format!(
                            "; the published report {} states {shown}, not taken: {why}",
                            p.origin
                        ));
                        e.code = ReasonCode::IncompleteEvidence;
                    }
                }
            }
        } else if *shown == automatic {
            if let Some(e) = statement.evidence.get_mut(&field) {
                e.reason
                    .push_str(&format!("; the published report {} agrees", p.origin));
            }
        } else {
            conflicts.push(Conflict {
                purl: purl.clone(),
                field,
                published: shown.clone(),
                automatic: automatic.clone(),
                origin: p.origin.clone(),
            });
            if let Some(e) = statement.evidence.get_mut(&field) {
                e.code = ReasonCode::Conflict;
                e.reason = format!(
                    "{} — but the published report {} states {shown}; the assessed value is kept",
                    e.reason, p.origin
                );
            }
        }
    }
    conflicts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::published::parse_report;
    use crate::purl::Purl;

    fn statement() -> Statement {
        let mut s = crate::assess::identity(
            &Purl::parse("pkg:npm/x@1.0.0").unwrap(),
            vec!["1.0.0".into()],
            &crate::assess::not_assessed(),
        );
        s.fixed_vulnerabilities = Attestation::False;
        s.code_review_practice = Attestation::True;
        s
    }

    fn report(text: &str) -> crate::published::PublishedReport {
        parse_report(text, "r.json").unwrap()
    }

    fn fresh() -> Freshness {
        Freshness {
            now: time::macros::datetime!(2026-11-23 00:00 UTC),
            max_age_days: 180,
        }
    }

    #[test]
    fn published_values_fill_unknowns_and_never_overturn_a_false() {
        let r = report(
            r#"[{"PURL": "pkg:npm/x", "SuccessionPlan": "True", "FixedVulnerabilities": "True", "CodeReviewPractice": "True", "PackageName": "evil", "SDLCPolicyURL": "https://example.invalid/sdlc"}]"#,
        );
        let mut s = statement();
        let conflicts = merge(&mut s, &[&r.statements[0]], fresh());
        assert_eq!(s.succession_plan, Attestation::True);
        assert_eq!(
            s.evidence[&Field::SuccessionPlan].code,
            ReasonCode::FromReport
        );
        assert_eq!(s.fixed_vulnerabilities, Attestation::False);
        assert_eq!(
            s.evidence[&Field::FixedVulnerabilities].code,
            ReasonCode::Conflict
        );
        assert_eq!(conflicts.len(), 1);
        assert_eq!(conflicts[0].field, Field::FixedVulnerabilities);
        assert!(
            s.evidence[&Field::CodeReviewPractice]
                .reason
                .contains("agrees")
        );
        assert_eq!(s.package_name, "x");
        assert_eq!(
            s.sdlc_policy_url,
            Asserted::Value("https://example.invalid/sdlc".into())
        );
    }

    #[test]
    fn reports_that_disagree_leave_an_unknown_field_unknown() {
        let a = report(r#"[{"PURL": "pkg:npm/x", "SuccessionPlan": "True"}]"#);
        let b = report(r#"[{"PURL": "pkg:npm/x", "SuccessionPlan": "False"}]"#);
        let mut s = statement();
        let conflicts = merge(&mut s, &[&a.statements[0], &b.statements[0]], fresh());
        assert_eq!(s.succession_plan, Attestation::NoAssertion);
        assert_eq!(
            s.evidence[&Field::SuccessionPlan].code,
            ReasonCode::Conflict
        );
        assert_eq!(conflicts.len(), 2);
    }

    #[test]
    fn an_old_or_repaired_report_cannot_set_a_true_but_can_a_false() {
        // 2019: too old for fields that change with time.
        let old = report(
            r#"{"LastModifiedDateTimeUTC": "2019-05-01T00:00:00Z", "statements": [{"PURL": "pkg:npm/x", "CleanReleaseAvailable": "True", "DependenciesAreManaged": "False", "SuccessionPlan": "True", "PackageStatus": {"Status": "Active", "LastModifiedDateTimeUTC": "2019-05-01T00:00:00Z"}}]}"#,
        );
        let mut s = statement();
        merge(&mut s, &[&old.statements[0]], fresh());
        assert_eq!(s.clean_release_available, Attestation::NoAssertion);
        assert!(
            s.evidence[&Field::CleanReleaseAvailable]
                .reason
                .contains("2019-05-01")
        );
        assert_eq!(s.package_status, Asserted::NoAssertion);
        assert_eq!(s.dependencies_are_managed, Attestation::False);
        // Whether a succession plan exists does not expire with the release.
        assert_eq!(s.succession_plan, Attestation::True);
        // A report that needed repairs (a trailing comma) gives no True.
        let repaired = report(
            r#"{"LastModifiedDateTimeUTC": "2026-11-01T00:00:00Z", "statements": [{"PURL": "pkg:npm/x", "SuccessionPlan": "True", "DocumentedBuildPractices": "False",}]}"#,
        );
        let mut s = statement();
        merge(&mut s, &[&repaired.statements[0]], fresh());
        assert_eq!(s.succession_plan, Attestation::NoAssertion);
        assert_eq!(s.documented_build_practices, Attestation::False);
    }
}
