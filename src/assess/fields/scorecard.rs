//! The practices OpenSSF Scorecard checks for the validated upstream
//! repository: NoBinariesInRepository, CodeReviewPractice,
//! FuzzingPractice, SecurityResponsive, PackageSecurityPolicyURL and
//! PackageSecurityContact.

use serde_json::json;

use super::evidence::{missing, observed, with_code};
use crate::assess::verdict::{Decided, incomplete};
use crate::config::Assessment;
use crate::sources::Lookup;
use crate::sources::model::Scorecard;
use crate::tacos::{Asserted, Attestation, Evidence, ReasonCode};

fn scorecard_check(
    scorecard: &Lookup<Scorecard>,
    check: &str,
    threshold: i32,
    field: &str,
) -> Decided<Attestation> {
    let Some(found) = scorecard.found() else {
        return Decided::unknown(missing(
            scorecard,
            &format!("no Scorecard result for {field}"),
        ));
    };
    let Some(c) = found.value.check(check) else {
        return Decided::unknown(with_code(
            observed(
                found,
                format!("the Scorecard result has no {check} check"),
                json!({"check": check}),
            ),
            ReasonCode::NoData,
        ));
    };
    let obs = json!({"repository": found.value.repository, "check": check, "score": c.score, "threshold": threshold, "reason": c.reason});
    if c.score < 0 {
        return Decided::unknown(with_code(
            observed(
                found,
                format!("Scorecard's {check} check was inconclusive (-1)"),
                obs,
            ),
            ReasonCode::NoData,
        ));
    }
    if c.score >= threshold {
        let e = observed(
            found,
            format!(
                "Scorecard {check} scores {}/10 for {}, at or above the threshold {threshold}",
                c.score, found.value.repository
            ),
            obs,
        );
        match found.closed() {
            Ok(cl) => Decided::proven(cl, e),
            Err(why) => Decided::unknown(incomplete(e, &why)),
        }
    } else {
        Decided::refuted(observed(
            found,
            format!(
                "Scorecard {check} scores {}/10 for {}, below the threshold {threshold}",
                c.score, found.value.repository
            ),
            obs,
        ))
    }
}

pub fn no_binaries(scorecard: &Lookup<Scorecard>, cfg: &Assessment) -> Decided<Attestation> {
    scorecard_check(
        scorecard,
        "Binary-Artifacts",
        cfg.scorecard_binary_artifacts,
        "NoBinariesInRepository",
    )
}

pub fn code_review(scorecard: &Lookup<Scorecard>, cfg: &Assessment) -> Decided<Attestation> {
    scorecard_check(
        scorecard,
        "Code-Review",
        cfg.scorecard_code_review,
        "CodeReviewPractice",
    )
}

pub fn fuzzing(scorecard: &Lookup<Scorecard>, cfg: &Assessment) -> Decided<Attestation> {
    scorecard_check(
        scorecard,
        "Fuzzing",
        cfg.scorecard_fuzzing,
        "FuzzingPractice",
    )
}

/// SecurityResponsive: Scorecard's Maintained and Security-Policy checks both
/// pass; False when both are conclusive and fail.
pub fn security_responsive(
    scorecard: &Lookup<Scorecard>,
    cfg: &Assessment,
) -> Decided<Attestation> {
    let Some(found) = scorecard.found() else {
        return Decided::unknown(missing(scorecard, "no Scorecard result"));
    };
    let m = found.value.check("Maintained").map(|c| c.score);
    let p = found.value.check("Security-Policy").map(|c| c.score);
    let obs = json!({"repository": found.value.repository, "Maintained": m, "Security-Policy": p, "thresholds": [cfg.scorecard_maintained, cfg.scorecard_security_policy]});
    match (m, p) {
        (Some(m), Some(p))
            if m >= cfg.scorecard_maintained && p >= cfg.scorecard_security_policy =>
        {
            let e = observed(
                found,
                format!(
                    "Scorecard Maintained {m}/10 and Security-Policy {p}/10 meet the thresholds ({} and {})",
                    cfg.scorecard_maintained, cfg.scorecard_security_policy
                ),
                obs,
            );
            match found.closed() {
                Ok(c) => Decided::proven(c, e),
                Err(why) => Decided::unknown(incomplete(e, &why)),
            }
        }
        (Some(m), Some(p))
            if (0..cfg.scorecard_maintained).contains(&m)
                && (0..cfg.scorecard_security_policy).contains(&p) =>
        {
            Decided::refuted(observed(
                found,
                format!(
                    "Scorecard Maintained {m}/10 and Security-Policy {p}/10 are both below the thresholds"
                ),
                obs,
            ))
        }
        _ => Decided::unknown(with_code(
            observed(
                found,
                "Scorecard's Maintained and Security-Policy checks do not agree or are inconclusive",
                obs,
            ),
            ReasonCode::NoData,
        )),
    }
}

/// The security policy GitHub shows for a repository whose policy Scorecard found.
pub fn security_policy(
    scorecard: &Lookup<Scorecard>,
) -> (Decided<Asserted<String>>, Decided<Asserted<String>>) {
    let none = |e: Evidence| (Decided::unknown(e.clone()), Decided::unknown(e));
    let Some(found) = scorecard.found() else {
        return none(missing(scorecard, "no Scorecard result"));
    };
    let score = found.value.check("Security-Policy").map(|c| c.score);
    let repo = &found.value.repository;
    match score {
        Some(s) if s > 0 && repo.starts_with("github.com/") => {
            let url = format!("https://{repo}/security/policy");
            let pe = observed(
                found,
                format!("Scorecard found a security policy ({s}/10); GitHub shows it at {url}"),
                json!({"Security-Policy": s}),
            );
            let ce = observed(
                found,
                format!(
                    "the security policy at {url} is the published way to report vulnerabilities"
                ),
                json!({"Security-Policy": s}),
            );
            match found.closed() {
                Ok(c) => (
                    Decided::asserted(c, url.clone(), pe),
                    Decided::asserted(c, url, ce),
                ),
                Err(why) => (
                    Decided::unknown(incomplete(pe, &why)),
                    Decided::unknown(incomplete(ce, &why)),
                ),
            }
        }
        Some(s) => none(with_code(
            observed(
                found,
                format!("Scorecard found no usable security policy (Security-Policy {s}/10)"),
                json!({"Security-Policy": s}),
            ),
            ReasonCode::NoData,
        )),
        None => none(with_code(
            observed(
                found,
                "the Scorecard result has no Security-Policy check",
                json!({}),
            ),
            ReasonCode::NoData,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::fields::testkit::*;
    use crate::sources::Coverage;

    type Rule = fn(&Lookup<Scorecard>, &Assessment) -> Decided<Attestation>;

    /// Each practice: its rule, the check it reads, its field, the default
    /// threshold.
    fn practices() -> [(Rule, &'static str, &'static str, i32); 3] {
        [
            (
                no_binaries,
                "Binary-Artifacts",
                "NoBinariesInRepository",
                10,
            ),
            (code_review, "Code-Review", "CodeReviewPractice", 7),
            (fuzzing, "Fuzzing", "FuzzingPractice", 10),
        ]
    }

    #[test]
    fn practices_pass_at_or_above_their_thresholds() {
        let cfg = Assessment::default();
        for (rule, check, field, t) in practices() {
            // Every other check scores 10 and the one asked about does not:
            // a rule that read another check would pass.
            let others: Vec<(&str, i32)> = practices()
                .iter()
                .map(|p| p.1)
                .filter(|c| *c != check)
                .map(|c| (c, 10))
                .collect();
            let with = |score: i32| {
                let mut checks = others.clone();
                checks.push((check, score));
                scorecard(&checks)
            };
            let cases = vec![
                (
                    "at the threshold",
                    with(t),
                    Is::True,
                    ReasonCode::Observed,
                    format!(
                        "Scorecard {check} scores {t}/10 for github.com/o/r, at or above the threshold {t}"
                    ),
                ),
                (
                    "below the threshold",
                    with(t - 1),
                    Is::False,
                    ReasonCode::Observed,
                    format!(
                        "Scorecard {check} scores {}/10 for github.com/o/r, below the threshold {t}",
                        t - 1
                    ),
                ),
                (
                    "zero",
                    with(0),
                    Is::False,
                    ReasonCode::Observed,
                    "below the threshold".into(),
                ),
                (
                    "inconclusive",
                    with(-1),
                    Is::NoAssertion,
                    ReasonCode::NoData,
                    format!("Scorecard's {check} check was inconclusive (-1)"),
                ),
                (
                    "no such check",
                    scorecard(&others),
                    Is::NoAssertion,
                    ReasonCode::NoData,
                    format!("the Scorecard result has no {check} check"),
                ),
                (
                    "a check named in another case is not that check",
                    scorecard(&[(check.to_lowercase().as_str(), 10)]),
                    Is::NoAssertion,
                    ReasonCode::NoData,
                    format!("the Scorecard result has no {check} check"),
                ),
            ];
            for (case, l, is, code, says) in cases {
                expect(
                    &format!("{field}: {case}"),
                    &rule(&l, &cfg),
                    is,
                    code,
                    &says,
                );
            }
            for (l, code) in failures::<Scorecard>("OpenSSF Scorecard") {
                expect(
                    &format!("{field}: {code:?}"),
                    &rule(&l, &cfg),
                    Is::NoAssertion,
                    code,
                    &format!("no Scorecard result for {field}: "),
                );
            }
        }
    }

    #[test]
    fn practices_read_their_thresholds_from_the_configuration() {
        let cfg = Assessment {
            scorecard_binary_artifacts: 3,
            scorecard_code_review: 4,
            scorecard_fuzzing: 5,
            ..Assessment::default()
        };
        let l = scorecard(&[("Binary-Artifacts", 3), ("Code-Review", 3), ("Fuzzing", 6)]);
        assert_eq!(no_binaries(&l, &cfg).value(), &Attestation::True);
        assert_eq!(code_review(&l, &cfg).value(), &Attestation::False);
        assert_eq!(fuzzing(&l, &cfg).value(), &Attestation::True);
    }

    #[test]
    fn practices_pass_only_on_closed_world_evidence() {
        let cfg = Assessment::default();
        for (rule, check, field, _) in practices() {
            for (case, l) in degraded(&scorecard(&[(check, 10)])) {
                expect_incomplete(
                    &format!("{field}: {case}"),
                    &rule(&l, &cfg),
                    "OpenSSF Scorecard's answer is",
                );
            }
            // A failing check on an old answer still fails.
            for (case, l) in degraded(&scorecard(&[(check, 0)])) {
                expect(
                    &format!("{field}: {case}"),
                    &rule(&l, &cfg),
                    Is::False,
                    ReasonCode::Observed,
                    "below the threshold",
                );
            }
        }
    }

    #[test]
    fn security_responsive_needs_maintained_and_a_security_policy() {
        let cfg = Assessment::default();
        let cases = vec![
            (
                "both meet the thresholds",
                scorecard(&[("Maintained", 5), ("Security-Policy", 10)]),
                Is::True,
                ReasonCode::Observed,
                "Scorecard Maintained 5/10 and Security-Policy 10/10 meet the thresholds (5 and 5)",
            ),
            (
                "both below",
                scorecard(&[("Maintained", 4), ("Security-Policy", 0)]),
                Is::False,
                ReasonCode::Observed,
                "Scorecard Maintained 4/10 and Security-Policy 0/10 are both below the thresholds",
            ),
            (
                "one meets, one does not",
                scorecard(&[("Maintained", 10), ("Security-Policy", 0)]),
                Is::NoAssertion,
                ReasonCode::NoData,
                "Scorecard's Maintained and Security-Policy checks do not agree or are inconclusive",
            ),
            (
                "one inconclusive",
                scorecard(&[("Maintained", -1), ("Security-Policy", 0)]),
                Is::NoAssertion,
                ReasonCode::NoData,
                "do not agree or are inconclusive",
            ),
            (
                "one missing",
                scorecard(&[("Maintained", 10)]),
                Is::NoAssertion,
                ReasonCode::NoData,
                "do not agree or are inconclusive",
            ),
        ];
        for (case, l, is, code, says) in cases {
            expect(case, &security_responsive(&l, &cfg), is, code, says);
        }
        for (l, code) in failures::<Scorecard>("OpenSSF Scorecard") {
            expect(
                &format!("{code:?}"),
                &security_responsive(&l, &cfg),
                Is::NoAssertion,
                code,
                "no Scorecard result: ",
            );
        }
        let passing = scorecard(&[("Maintained", 10), ("Security-Policy", 10)]);
        for (case, l) in degraded(&passing) {
            expect_incomplete(
                case,
                &security_responsive(&l, &cfg),
                "OpenSSF Scorecard's answer is",
            );
        }
        let failing = scorecard(&[("Maintained", 0), ("Security-Policy", 0)]);
        let stale = with_coverage(&failing, Coverage::Stale("40 days old".into()));
        assert_eq!(
            security_responsive(&stale, &cfg).value(),
            &Attestation::False
        );
    }

    #[test]
    fn security_policy_and_contact_are_the_policy_github_shows() {
        let url = "https://github.com/o/r/security/policy";
        let d = security_policy(&scorecard(&[("Security-Policy", 10)]));
        expect(
            "policy",
            &d.0,
            value(url),
            ReasonCode::Observed,
            "Scorecard found a security policy (10/10); GitHub shows it at https://github.com/o/r/security/policy",
        );
        expect(
            "contact",
            &d.1,
            value(url),
            ReasonCode::Observed,
            "the security policy at https://github.com/o/r/security/policy is the published way to report vulnerabilities",
        );
        let gitlab = complete(
            scorecard_for("gitlab.com/o/r", &[("Security-Policy", 10)]),
            "OpenSSF Scorecard",
        );
        let cases = vec![
            (
                "a policy, but not on GitHub",
                gitlab,
                ReasonCode::NoData,
                "Scorecard found no usable security policy (Security-Policy 10/10)",
            ),
            (
                "no policy",
                scorecard(&[("Security-Policy", 0)]),
                ReasonCode::NoData,
                "Scorecard found no usable security policy (Security-Policy 0/10)",
            ),
            (
                "inconclusive",
                scorecard(&[("Security-Policy", -1)]),
                ReasonCode::NoData,
                "Scorecard found no usable security policy (Security-Policy -1/10)",
            ),
            (
                "no such check",
                scorecard(&[("Maintained", 10)]),
                ReasonCode::NoData,
                "the Scorecard result has no Security-Policy check",
            ),
        ];
        let mut cases: Vec<(String, Lookup<Scorecard>, ReasonCode, String)> = cases
            .into_iter()
            .map(|(c, l, code, says)| (c.to_string(), l, code, says.to_string()))
            .collect();
        for (l, code) in failures::<Scorecard>("OpenSSF Scorecard") {
            cases.push((format!("{code:?}"), l, code, "no Scorecard result: ".into()));
        }
        for (case, l, code, says) in cases {
            let (policy, contact) = security_policy(&l);
            expect(&case, &policy, Is::NoAssertion, code, &says);
            expect(&case, &contact, Is::NoAssertion, code, &says);
        }
        for (case, l) in degraded(&scorecard(&[("Security-Policy", 10)])) {
            let (policy, contact) = security_policy(&l);
            expect_incomplete(case, &policy, "OpenSSF Scorecard's answer is");
            expect_incomplete(case, &contact, "OpenSSF Scorecard's answer is");
        }
    }
}
