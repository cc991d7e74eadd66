//! OpenSSF Scorecard API: `GET /projects/{host}/{org}/{repo}`.

use serde::Deserialize;

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
    #[serde(default)]
    date: Option<String>,
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
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct RawCheck {
    name: String,
    #[serde(default = "inconclusive")]
    score: i32,
    #[serde(default)]
    reason: Option<String>,
}

fn inconclusive() -> i32 {
    -1
}

/// A Scorecard result (the API's shape, or deps.dev's embedded one).
pub fn parse(bytes: &[u8]) -> Result<Scorecard, String> {
    let raw: Raw = serde_json::from_slice(bytes).map_err(|e| format!("Scorecard result: {e}"))?;
    from_raw(raw)
}

pub(crate) fn parse_value(v: &serde_json::Value) -> Result<Scorecard, String> {
    let raw: Raw =
        serde_json::from_value(v.clone()).map_err(|e| format!("Scorecard result: {e}"))?;
    from_raw(raw)
}

fn from_raw(raw: Raw) -> Result<Scorecard, String> {
    if raw.checks.is_empty() {
        return Err("Scorecard result has no checks".into());
    }
    Ok(Scorecard {
        repository: raw
            .repo
            .or(raw.repository)
            .map(|r| r.name)
            .unwrap_or_default(),
        date: raw.date,
        score: raw.score,
        checks: raw
            .checks
            .into_iter()
            .map(|c| ScorecardCheck {
                name: c.name,
                score: c.score.clamp(-1, 10),
                reason: c.reason,
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_recorded_results() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/api/scorecard");
        let s =
            parse(&std::fs::read(dir.join("github.com_ossf_scorecard.2025-11-15.json")).unwrap())
                .unwrap();
        assert_eq!(s.repository, "github.com/ossf/scorecard");
        assert_eq!(s.check("Code-Review").unwrap().score, 10);
        assert_eq!(s.check("Branch-Protection").unwrap().score, -1);
        assert!(parse(b"{}").is_err());
        assert_eq!(project_path("github.com/../x/y"), "projects/github.com/x/y");
    }
}
