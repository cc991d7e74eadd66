//! What a repository's OpenSSF Security Insights file decides: the
//! maintainers' own declaration, read from the validated upstream
//! repository only (`sources::insights`), and only where it speaks to a
//! field — the security policy and contact, funding, and the development
//! documents (SDLCPolicyURL). A file last reviewed longer ago than
//! `[assessment] max_insights_age_days` decides nothing. Declared tools
//! and repository status are shown as context, never decided from: the
//! framework ties FuzzingPractice to Scorecard's check, and a repository's
//! status is not the package's.

use serde_json::json;
use time::OffsetDateTime;

use super::evidence::{missing, observed};
use crate::assess::verdict::{Decided, incomplete};
use crate::sources::insights::SecurityInsights;
use crate::sources::{Found, Lookup};
use crate::tacos::{Asserted, Evidence, IncomeStream, IncomeType, ReasonCode, timestamp};

/// What the file is, for every evidence drawn from it.
fn about(si: &SecurityInsights) -> serde_json::Value {
    json!({
        "repository": si.repository,
        "file": si.path,
        "fileURL": si.html_url,
        "schemaVersion": si.schema_version,
        "lastReviewed": si.last_reviewed.to_string(),
        "inheritsFrom": si.inherits_from,
    })
}

fn with(mut what: serde_json::Value, key: &str, value: serde_json::Value) -> serde_json::Value {
    what[key] = value;
    what
}

/// Why there is no file to decide from.
fn absent(insights: &Lookup<SecurityInsights>) -> Evidence {
    match insights {
        Lookup::NotFound { .. } => {
            let mut e = missing(insights, "no Security Insights file");
            e.reason = format!(
                "the repository publishes no Security Insights file (looked for {})",
                crate::sources::insights::PLACES.join(", ")
            );
            e
        }
        other => missing(other, "no Security Insights file"),
    }
}

/// A URL the file declares for a field, decided only on a current file.
fn declared(
    found: &Found<SecurityInsights>,
    value: String,
    reason: String,
    what: serde_json::Value,
) -> Decided<Asserted<String>> {
    let e = observed(found, reason, what);
    match found.closed() {
        Ok(c) => Decided::asserted(c, value, e),
        Err(why) => Decided::unknown(incomplete(e, &why.0)),
    }
}

/// Why the file says nothing of a project fact: not there, or kept in the
/// parent file the header names (which is not read: it is not in the
/// validated repository).
fn silent(found: &Found<SecurityInsights>, what: &str) -> Evidence {
    let si = &found.value;
    let reason = match &si.inherits_from {
        Some(parent) => format!(
            "{what}: {}'s Security Insights file keeps its project facts in {parent}, which is not read (it is not in the validated repository)",
            si.repository
        ),
        None => format!(
            "{what}: {}'s Security Insights file ({}) does not declare it",
            si.repository, si.path
        ),
    };
    let mut e = observed(found, reason, about(si));
    e.code = ReasonCode::NoData;
    e
}

/// PackageSecurityPolicyURL from `vulnerability-reporting.policy`, only
/// while the project says it accepts reports.
pub fn security_policy(insights: &Lookup<SecurityInsights>) -> Decided<Asserted<String>> {
    let Some(found) = insights.found() else {
        return Decided::unknown(absent(insights));
    };
    let si = &found.value;
    match (&si.policy, si.reports_accepted) {
        (Some(url), Some(true)) => declared(
            found,
            url.clone(),
            format!(
                "the maintainers' Security Insights file ({}) declares the security policy {url} and that reports are accepted",
                si.path
            ),
            with(about(si), "policy", json!(url)),
        ),
        (Some(url), accepted) => {
            let mut e = observed(
                found,
                format!(
                    "the Security Insights file names the policy {url} but {}",
                    if accepted == Some(false) {
                        "says vulnerability reports are not accepted"
                    } else {
                        "does not say that reports are accepted"
                    }
                ),
                with(about(si), "reportsAccepted", json!(accepted)),
            );
            e.code = ReasonCode::NoData;
            Decided::unknown(e)
        }
        (None, _) => Decided::unknown(silent(found, "no security policy")),
    }
}

/// PackageSecurityContact from `vulnerability-reporting.contact.email`,
/// as a `mailto:` URL, only while reports are accepted.
pub fn security_contact(insights: &Lookup<SecurityInsights>) -> Decided<Asserted<String>> {
    let Some(found) = insights.found() else {
        return Decided::unknown(absent(insights));
    };
    let si = &found.value;
    match (&si.contact_email, si.reports_accepted) {
        (Some(email), Some(true)) => declared(
            found,
            format!("mailto:{email}"),
            format!(
                "the maintainers' Security Insights file ({}) names {email} as the contact for vulnerability reports",
                si.path
            ),
            with(about(si), "contact", json!(email)),
        ),
        (Some(_), _) => {
            let mut e = observed(
                found,
                "the Security Insights file names a contact but does not say that vulnerability reports are accepted",
                with(about(si), "reportsAccepted", json!(si.reports_accepted)),
            );
            e.code = ReasonCode::NoData;
            Decided::unknown(e)
        }
        (None, _) => Decided::unknown(silent(found, "no security contact")),
    }
}

/// SDLCPolicyURL from the repository's development documents: the
/// contributing guide, else the review policy, else the dependency
/// management policy.
pub fn development_policy(insights: &Lookup<SecurityInsights>) -> Decided<Asserted<String>> {
    let Some(found) = insights.found() else {
        return Decided::unknown(absent(insights));
    };
    let si = &found.value;
    match &si.development_policy {
        Some((key, url)) => declared(
            found,
            url.clone(),
            format!(
                "the maintainers' Security Insights file ({}) names {url} as the repository's {key}",
                si.path
            ),
            with(about(si), key, json!(url)),
        ),
        None => {
            let mut e = observed(
                found,
                format!(
                    "{}'s Security Insights file ({}) names no contributing guide, review policy or dependency management policy",
                    si.repository, si.path
                ),
                about(si),
            );
            e.code = ReasonCode::NoData;
            Decided::unknown(e)
        }
    }
}

/// IncomeStreams from `project.funding`: a funding page the maintainers
/// declare, counted as Variable (sponsorship, donations), as a registry's
/// funding link is.
pub fn funding(
    insights: &Lookup<SecurityInsights>,
    now: OffsetDateTime,
) -> Decided<Asserted<Vec<IncomeStream>>> {
    let Some(found) = insights.found() else {
        return Decided::unknown(absent(insights));
    };
    let si = &found.value;
    let Some(url) = &si.funding else {
        return Decided::unknown(silent(
            found,
            "no funding declared (which does not show that there is none)",
        ));
    };
    let e = observed(
        found,
        format!(
            "the maintainers' Security Insights file ({}) declares the funding page {url}, counted as Variable",
            si.path
        ),
        with(about(si), "funding", json!(url)),
    );
    match found.closed() {
        Ok(c) => Decided::asserted(
            c,
            vec![IncomeStream {
                kind: IncomeType::Variable,
                evidence_url: url.clone(),
                last_modified: timestamp(now),
            }],
            e,
        ),
        Err(why) => Decided::unknown(incomplete(e, &why.0)),
    }
}

/// The first of `first` and `then` that holds a value; when neither does,
/// `first`'s evidence with `then`'s reason added when the Security
/// Insights file was looked for (`consulted`), so the reader sees both
/// sources were asked — unless the file held a value it could not assert
/// (stale, partial): that evidence leads, as it says what would decide.
pub fn either<T>(
    first: Decided<Asserted<T>>,
    then: Decided<Asserted<T>>,
    consulted: bool,
) -> Decided<Asserted<T>> {
    if first.value().is_asserted() {
        return first;
    }
    if then.value().is_asserted() {
        return then;
    }
    if !consulted {
        return first;
    }
    let (mut lead, other, label) = if then.evidence().code == ReasonCode::IncompleteEvidence
        && first.evidence().code != ReasonCode::IncompleteEvidence
    {
        (then, first, "also")
    } else {
        (first, then, "Security Insights")
    };
    let also = other.evidence().reason.clone();
    lead.evidence_mut()
        .reason
        .push_str(&format!("; {label}: {also}"));
    lead
}

/// Whether the file was looked for at all (there is a validated GitHub
/// repository to look in).
pub fn consulted(insights: &Lookup<SecurityInsights>) -> bool {
    !matches!(insights, Lookup::NotApplicable { .. })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::fields::testkit::*;
    use crate::sources::Coverage;
    use crate::sources::insights::parse_yaml;

    fn file(bytes: &[u8]) -> Lookup<SecurityInsights> {
        let mut si = parse_yaml(bytes).unwrap();
        si.repository = "github.com/ossf/scorecard".into();
        si.path = "security-insights.yml".into();
        complete(si, "OpenSSF Security Insights")
    }

    const SCORECARD: &[u8] = include_bytes!(
        "../../../tests/fixtures/repos/github.com/ossf/scorecard/security-insights.yml"
    );
    const INHERITS: &[u8] = include_bytes!(
        "../../../tests/fixtures/repos/github.com/open-telemetry/opentelemetry-go/.github/security-insights.yml"
    );

    #[test]
    fn a_current_file_decides_what_it_declares() {
        let l = file(SCORECARD);
        assert_eq!(
            security_policy(&l).value(),
            &Asserted::Value("https://github.com/ossf/scorecard/blob/main/SECURITY.md".into())
        );
        assert_eq!(
            security_contact(&l).value(),
            &Asserted::Value("mailto:security@openssf.org".into())
        );
        let d = development_policy(&l);
        assert_eq!(
            d.value(),
            &Asserted::Value("https://github.com/ossf/scorecard/blob/main/CONTRIBUTING.md".into())
        );
        assert_eq!(d.evidence().code, ReasonCode::Observed);
        assert!(
            d.evidence().reason.contains("contributing-guide"),
            "{}",
            d.evidence().reason
        );
        // It declares no funding page: nothing, and not "none".
        let f = funding(&l, NOW);
        assert_eq!(f.value(), &Asserted::NoAssertion);
        assert!(
            f.evidence()
                .reason
                .contains("does not show that there is none")
        );
    }

    #[test]
    fn a_stale_or_partial_file_decides_nothing() {
        for coverage in [
            Coverage::Stale("last reviewed long ago".into()),
            Coverage::Partial("cut".into()),
        ] {
            let l = with_coverage(&file(SCORECARD), coverage);
            for d in [
                security_policy(&l),
                security_contact(&l),
                development_policy(&l),
            ] {
                assert_eq!(d.value(), &Asserted::NoAssertion);
                assert_eq!(d.evidence().code, ReasonCode::IncompleteEvidence);
            }
        }
    }

    #[test]
    fn a_policy_without_accepted_reports_is_no_policy_to_report_to() {
        let text = String::from_utf8(SCORECARD.to_vec()).unwrap();
        let closed = text.replace("reports-accepted: true", "reports-accepted: false");
        let l = file(closed.as_bytes());
        assert_eq!(security_policy(&l).value(), &Asserted::NoAssertion);
        assert!(
            security_policy(&l)
                .evidence()
                .reason
                .contains("not accepted")
        );
        assert_eq!(security_contact(&l).value(), &Asserted::NoAssertion);
    }

    #[test]
    fn funding_is_a_variable_income_stream() {
        let text = String::from_utf8(SCORECARD.to_vec()).unwrap();
        let funded = text.replace(
            "  homepage: https://scorecard.dev\n",
            "  homepage: https://scorecard.dev\n  funding: https://github.com/sponsors/ossf\n",
        );
        assert_ne!(funded, text);
        let d = funding(&file(funded.as_bytes()), NOW);
        let Asserted::Value(streams) = d.value() else {
            panic!("{:?}", d.evidence())
        };
        assert_eq!(streams.len(), 1);
        assert_eq!(streams[0].kind, IncomeType::Variable);
        assert_eq!(streams[0].evidence_url, "https://github.com/sponsors/ossf");
    }

    #[test]
    fn an_inheriting_file_says_where_its_project_facts_are() {
        let l = file(INHERITS);
        let d = security_policy(&l);
        assert_eq!(d.value(), &Asserted::NoAssertion);
        assert!(
            d.evidence()
                .reason
                .contains("https://github.com/open-telemetry/.github/security-insights.yml")
                && d.evidence().reason.contains("not read"),
            "{}",
            d.evidence().reason
        );
    }

    #[test]
    fn the_first_source_with_a_value_wins_and_both_are_named() {
        let none = |r: &str| {
            Decided::<Asserted<String>>::unknown(Evidence::new("a", ReasonCode::NoData, r))
        };
        let l = file(SCORECARD);
        let d = either(none("scorecard: nothing"), security_policy(&l), true);
        assert!(d.value().is_asserted());
        let d = either(none("scorecard: nothing"), none("no file"), true);
        assert_eq!(
            d.evidence().reason,
            "scorecard: nothing; Security Insights: no file"
        );
        let d = either(none("scorecard: nothing"), none("no file"), false);
        assert_eq!(d.evidence().reason, "scorecard: nothing");
        // A value the file could not assert leads: it says what would decide.
        let stale = with_coverage(&l, Coverage::Stale("reviewed long ago".into()));
        let d = either(none("scorecard: nothing"), security_policy(&stale), true);
        assert_eq!(d.evidence().code, ReasonCode::IncompleteEvidence);
        assert!(
            d.evidence().reason.ends_with("; also: scorecard: nothing"),
            "{}",
            d.evidence().reason
        );
    }
}
