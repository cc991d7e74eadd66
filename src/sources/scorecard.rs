//! OpenSSF Scorecard API: `GET /projects/{host}/{org}/{repo}`.

use std::collections::HashSet;

use serde::Deserialize;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::adapter::{Adapter, Malformed, Question};
use super::http::Service;
use super::hub::Sources;
use super::json::{self, quoted};
use super::model::{Scorecard, ScorecardCheck};
use super::{Coverage, Lookup};

/// OpenSSF Scorecard, asked one repository at a time.
pub const ADAPTER: Adapter = Adapter::online(Service::Scorecard);

/// A repository's Scorecard result, by `github.com/org/repo`.
pub struct Project;

impl Question for Project {
    const ADAPTER: &'static Adapter = &ADAPTER;
    type Key = String;
    type Value = Scorecard;

    fn path(repo: &String) -> String {
        project_path(repo)
    }

    fn parse(body: &[u8], repo: &String) -> Result<Scorecard, Malformed> {
        parse(body, repo)
    }
}

/// OpenSSF Scorecard for `github.com/org/repo`; not scanned → NotFound.
/// A result older than the limit is stale: it can show a failing check,
/// not a passing one.
pub async fn lookup(sources: &Sources, repo: &str) -> Lookup<Scorecard> {
    let mut l = sources.ask::<Project>(repo.to_string()).await;
    if let Lookup::Found(f) = &mut l {
        let limits = sources.limits();
        f.as_of = f.value.date;
        let days = (limits.now - f.value.date).whole_days();
        if days > limits.max_scorecard_age_days {
            f.coverage = Coverage::Stale(format!(
                "Scorecard ran on {}, {days} days before this run, over the {}-day limit ([assessment] max_scorecard_age_days)",
                f.value.date.date(),
                limits.max_scorecard_age_days
            ));
        }
    }
    l
}

/// The checks Scorecard documents, spelled as its API writes them. A check
/// not listed here (a newer one) is kept but never consulted; a name that
/// is one of these in another spelling is a malformed answer.
const CHECKS: &[&str] = &[
    "Binary-Artifacts",
    "Branch-Protection",
    "CI-Tests",
    "CII-Best-Practices",
    "Code-Review",
    "Contributors",
    "Dangerous-Workflow",
    "Dependency-Update-Tool",
    "Fuzzing",
    "License",
    "Maintained",
    "Packaging",
    "Pinned-Dependencies",
    "SAST",
    "SBOM",
    "Security-Policy",
    "Signed-Releases",
    "Token-Permissions",
    "Vulnerabilities",
    "Webhooks",
];

/// A check name with case and separators dropped, to tell a documented
/// name written another way from a check Scorecard does not document.
fn folded(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

pub fn project_path(repo: &str) -> String {
    let safe: Vec<&str> = repo
        .split('/')
        .filter(|s| !s.is_empty() && *s != "." && *s != "..")
        .collect();
    format!("projects/{}", safe.join("/"))
}

#[derive(Deserialize)]
struct Raw {
    date: String,
    #[serde(default)]
    repo: Option<RawRepo>,
    #[serde(default)]
    repository: Option<RawRepo>,
    #[serde(default, alias = "overallScore")]
    score: Option<f64>,
    #[serde(default)]
    checks: Vec<RawCheck>,
}

#[derive(Deserialize)]
struct RawRepo {
    name: String,
}

#[derive(Deserialize)]
struct RawCheck {
    name: String,
    score: i64,
    #[serde(default)]
    reason: Option<String>,
}

/// A Scorecard result for `requested` (`github.com/org/repo`), checked at
/// the boundary: it must be about that repository, dated, every score
/// within Scorecard's range (−1 for inconclusive, 0–10), and every check
/// named once, exactly as Scorecard names it; anything else is a malformed
/// answer, never clamped into a passing score or matched leniently.
///
/// A check name that is a documented one in another case or spelling
/// (`code-review`, `Code Review`) refuses the whole answer rather than
/// that check alone: an answer that does not write names as Scorecard
/// does is not Scorecard's answer, and no field is decided from any of it.
///
/// The repository is compared without case: GitHub's owner and repository
/// names are case-insensitive (`github.com/Lodash/Lodash` is lodash), and
/// Scorecard may answer with the name as GitHub spells it.
pub fn parse(bytes: &[u8], requested: &str) -> Result<Scorecard, Malformed> {
    read(bytes, requested).map_err(|why| ADAPTER.malformed(why))
}

fn read(bytes: &[u8], requested: &str) -> Result<Scorecard, String> {
    let raw: Raw = json::parse_into(bytes).map_err(|e| e.to_string())?;
    let repository = match (raw.repo, raw.repository) {
        (Some(r), None) | (None, Some(r)) => r.name,
        (Some(_), Some(_)) => return Err("both `repo` and `repository`".into()),
        (None, None) => return Err("no `repo.name`".into()),
    };
    if !repository.eq_ignore_ascii_case(requested) {
        return Err(format!(
            "the answer is about {}, not {}",
            quoted(&repository),
            quoted(requested)
        ));
    }
    let date = parse_date(&raw.date)
        .ok_or_else(|| format!("`date` {} is not a date", quoted(&raw.date)))?;
    if raw.checks.is_empty() {
        return Err("no checks".into());
    }
    if let Some(s) = raw.score
        && !(-1.0..=10.0).contains(&s)
    {
        return Err(format!("the overall score {s} is outside -1..10"));
    }
    let mut checks = Vec::new();
    let mut seen = HashSet::new();
    for c in raw.checks {
        if let Some(documented) = CHECKS
            .iter()
            .find(|d| folded(d) == folded(&c.name) && **d != c.name)
        {
            return Err(format!(
                "a check named {}, not {documented:?} as Scorecard writes it",
                quoted(&c.name)
            ));
        }
        if !seen.insert(c.name.clone()) {
            return Err(format!("the {} check is listed twice", quoted(&c.name)));
        }
        if !(-1..=10).contains(&c.score) {
            return Err(format!(
                "the {} score {} is outside -1..10",
                quoted(&c.name),
                c.score
            ));
        }
        checks.push(ScorecardCheck {
            name: c.name,
            score: c.score as i32,
            reason: c.reason,
        });
    }
    Ok(Scorecard {
        repository,
        date,
        score: raw.score,
        checks,
    })
}

/// Scorecard writes `2025-11-15` or a full RFC 3339 time; nothing else
/// (not a date with more after it) is read as a date.
fn parse_date(s: &str) -> Option<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t);
    }
    let d = time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()?;
    Some(d.midnight().assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_recorded_results() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/api/scorecard");
        let bytes = std::fs::read(dir.join("github.com_ossf_scorecard.2025-11-15.json")).unwrap();
        let s = parse(&bytes, "github.com/ossf/scorecard").unwrap();
        assert_eq!(s.repository, "github.com/ossf/scorecard");
        assert_eq!(s.date.date().to_string(), "2025-11-15");
        assert_eq!(s.check("Code-Review").unwrap().score, 10);
        assert_eq!(s.check("Branch-Protection").unwrap().score, -1);
        assert!(parse(b"{}", "github.com/ossf/scorecard").is_err());
        // Another repository's answer, or a score out of range: malformed.
        assert!(parse(&bytes, "github.com/other/repo").is_err());
        let text = String::from_utf8(bytes).unwrap();
        let bad = text.replacen("\"score\": 10", "\"score\": 99", 1);
        assert_ne!(bad, text);
        assert!(
            parse(bad.as_bytes(), "github.com/ossf/scorecard")
                .unwrap_err()
                .why
                .contains("outside")
        );
        assert_eq!(project_path("github.com/../x/y"), "projects/github.com/x/y");
        // Both recorded date forms read; the older result too.
        let old = std::fs::read(dir.join("github.com_ossf_scorecard.2022-03-07.json")).unwrap();
        let s = parse(&old, "github.com/ossf/scorecard").unwrap();
        assert_eq!(s.date.date().to_string(), "2022-03-07");
        // GitHub names are case-insensitive.
        assert!(parse(&text.clone().into_bytes(), "github.com/OSSF/Scorecard").is_ok());
    }

    fn recorded() -> serde_json::Value {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/api/scorecard/github.com_ossf_scorecard.2025-11-15.json");
        serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
    }

    fn parse_value(v: &serde_json::Value) -> Result<Scorecard, Malformed> {
        parse(v.to_string().as_bytes(), "github.com/ossf/scorecard")
    }

    #[test]
    fn check_names_are_read_only_as_scorecard_writes_them() {
        for rename in [
            "code-review",
            "CODE-REVIEW",
            "Code Review",
            "Code_Review",
            "CodeReview",
            " Code-Review",
        ] {
            let mut v = recorded();
            for c in v["checks"].as_array_mut().unwrap() {
                if c["name"] == "Code-Review" {
                    c["name"] = serde_json::json!(rename);
                }
            }
            let e = parse_value(&v).unwrap_err();
            assert!(
                e.why.contains("\"Code-Review\" as Scorecard writes it"),
                "{rename}: {e}"
            );
        }
        // A check Scorecard added later is kept, and never taken for another.
        let mut v = recorded();
        v["checks"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"name": "Some-New-Check", "score": 3}));
        let s = parse_value(&v).unwrap();
        assert_eq!(s.check("Some-New-Check").unwrap().score, 3);
        // The same check twice, whatever its scores.
        let mut v = recorded();
        v["checks"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"name": "Code-Review", "score": 0}));
        assert!(parse_value(&v).unwrap_err().why.contains("twice"));
    }

    #[test]
    fn dates_and_shapes_are_exact() {
        for date in [
            "2025-11-15, give or take",
            "2025-11-15T",
            "15/11/2025",
            "2025-11-15 02:10:48",
            "",
        ] {
            let mut v = recorded();
            v["date"] = serde_json::json!(date);
            assert!(
                parse_value(&v).unwrap_err().why.contains("not a date"),
                "{date}"
            );
        }
        let mut v = recorded();
        v["repository"] = v["repo"].clone();
        assert!(parse_value(&v).is_err());
        // A key twice: which `checks` is the answer?
        let text = recorded().to_string();
        let twice = format!("{{\"checks\": [], {}", &text[1..]);
        assert!(
            parse(twice.as_bytes(), "github.com/ossf/scorecard")
                .unwrap_err()
                .why
                .contains("twice")
        );
    }
}
