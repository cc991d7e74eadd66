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
