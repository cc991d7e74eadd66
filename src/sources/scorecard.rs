//! OpenSSF Scorecard API: `GET /projects/{host}/{org}/{repo}`.

use serde::Deserialize;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::model::{Scorecard, ScorecardCheck};

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
/// the boundary: it must be about that repository, dated, and every score
/// within Scorecard's range (−1 for inconclusive, 0–10); anything else is a
/// malformed answer, never clamped into a passing score.
pub fn parse(bytes: &[u8], requested: &str) -> Result<Scorecard, String> {
    let raw: Raw =
        serde_json::from_slice(bytes).map_err(|e| format!("not the documented shape: {e}"))?;
    let repository = raw
        .repo
        .or(raw.repository)
        .map(|r| r.name)
        .ok_or("no `repo.name`")?;
    if !repository.eq_ignore_ascii_case(requested) {
        return Err(format!(
            "the answer is about {repository:?}, not {requested:?}"
        ));
    }
    let date =
        parse_date(&raw.date).ok_or_else(|| format!("`date` {:?} is not a date", raw.date))?;
    if raw.checks.is_empty() {
        return Err("no checks".into());
    }
    if let Some(s) = raw.score
        && !(-1.0..=10.0).contains(&s)
    {
        return Err(format!("the overall score {s} is outside -1..10"));
    }
    let mut checks = Vec::new();
    for c in raw.checks {
        if !(-1..=10).contains(&c.score) {
            return Err(format!(
                "the {} score {} is outside -1..10",
                c.name, c.score
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

/// Scorecard writes `2025-11-15` or a full RFC 3339 time.
fn parse_date(s: &str) -> Option<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t);
    }
    let d = time::Date::parse(
        s.get(..10)?,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()?;
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
                .contains("outside")
        );
        assert_eq!(project_path("github.com/../x/y"), "projects/github.com/x/y");
    }
}
