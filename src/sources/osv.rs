//! OSV API v1: `querybatch` (at most 1,000 queries a request, paginated per
//! query) to find which records affect a version, then `vulns/{id}` for each
//! record's details, fetched once per run.

use serde::Deserialize;
use serde_json::json;

use super::model::Ecosystem;

/// Most queries OSV accepts in one `querybatch` request.
pub const BATCH_LIMIT: usize = 1000;
pub const QUERYBATCH_PATH: &str = "v1/querybatch";

pub fn vuln_path(id: &str) -> String {
    let safe: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
        .collect();
    format!("v1/vulns/{safe}")
}

/// One query: a package version, and the page token when continuing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Query {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub version: String,
    pub page_token: Option<String>,
}

pub fn querybatch_body(queries: &[Query]) -> Vec<u8> {
    let qs: Vec<serde_json::Value> = queries
        .iter()
        .map(|q| {
            let mut v = json!({
                "package": {"ecosystem": q.ecosystem.osv_name().unwrap_or(""), "name": q.name},
                "version": q.version,
            });
            if let Some(t) = &q.page_token {
                v["page_token"] = json!(t);
            }
            v
        })
        .collect();
    serde_json::to_vec(&json!({ "queries": qs })).expect("JSON serializes")
}

#[derive(Debug, Deserialize)]
struct BatchResponse {
    #[serde(default)]
    results: Vec<BatchResult>,
}

#[derive(Debug, Default, Deserialize)]
struct BatchResult {
    #[serde(default)]
    vulns: Vec<IdOnly>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Debug, Deserialize)]
struct IdOnly {
    id: String,
}

/// Record ids affecting one query, and the page token when there are more.
pub type BatchAnswer = (Vec<String>, Option<String>);

/// Per query (in order): the ids of the records that affect it, and a page
/// token when there are more.
pub fn parse_querybatch(bytes: &[u8], expected: usize) -> Result<Vec<BatchAnswer>, String> {
    let r: BatchResponse = serde_json::from_slice(bytes)
        .map_err(|e| format!("OSV querybatch answer is not JSON as documented: {e}"))?;
    if r.results.len() != expected {
        return Err(format!(
            "OSV querybatch answered {} results for {expected} queries",
            r.results.len()
        ));
    }
    Ok(r.results
        .into_iter()
        .map(|res| {
            (
                res.vulns.into_iter().map(|v| v.id).collect(),
                res.next_page_token.filter(|t| !t.is_empty()),
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_recorded_querybatch_answers() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/api/osv");
        if !dir.exists() {
            return;
        }
        for name in [
            "npm-single-vuln",
            "npm-no-vulns",
            "go-packages",
            "mixed-npm-packagist-go",
        ] {
            let req: serde_json::Value = serde_json::from_slice(
                &std::fs::read(dir.join(format!("querybatch-{name}.request.json"))).unwrap(),
            )
            .unwrap();
            let n = req["queries"].as_array().unwrap().len();
            let res = std::fs::read(dir.join(format!("querybatch-{name}.response.json"))).unwrap();
            let parsed = parse_querybatch(&res, n).unwrap();
            assert_eq!(parsed.len(), n);
        }
        let res = std::fs::read(dir.join("querybatch-npm-single-vuln.response.json")).unwrap();
        assert_eq!(
            parse_querybatch(&res, 1).unwrap()[0].0,
            vec!["GHSA-whgm-jr23-g3j9".to_string()]
        );
        assert!(parse_querybatch(&res, 2).is_err());
        assert!(parse_querybatch(b"<html>", 1).is_err());
    }

    #[test]
    fn builds_the_documented_body_and_safe_paths() {
        let body = querybatch_body(&[Query {
            ecosystem: Ecosystem::PyPi,
            name: "jinja2".into(),
            version: "2.11.2".into(),
            page_token: None,
        }]);
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["queries"][0]["package"]["ecosystem"], "PyPI");
        assert_eq!(vuln_path("GHSA-../../x"), "v1/vulns/GHSA-....x");
    }
}
