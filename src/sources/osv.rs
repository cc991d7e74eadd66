//! OSV API v1: `querybatch` (at most 1,000 queries a request, paginated per
//! query) to find which records affect a version, then `vulns/{id}` for each
//! record's details, fetched once per run.

use serde::Deserialize;
use serde_json::json;

use crate::purl::Ecosystem;

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

/// One version's complete answer (every page) as runners share it: when it
/// was asked (Unix seconds), then the IDs of the records found, one a line.
pub fn encode_item(at: time::OffsetDateTime, ids: &[String]) -> String {
    let mut s = at.unix_timestamp().to_string();
    for id in ids {
        s.push('\n');
        s.push_str(id);
    }
    s
}

/// The time and IDs of a shared answer; `None` for anything `encode_item`
/// would not have written (an ID that is empty or has blanks, a bad time).
pub fn decode_item(text: &str) -> Option<(time::OffsetDateTime, Vec<String>)> {
    let mut lines = text.split('\n');
    let at = time::OffsetDateTime::from_unix_timestamp(lines.next()?.parse().ok()?).ok()?;
    let ids = lines
        .map(|id| {
            (!id.is_empty() && !id.chars().any(|c| c.is_whitespace() || c.is_control()))
                .then(|| id.to_string())
        })
        .collect::<Option<Vec<_>>>()?;
    Some((at, ids))
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
///
/// A record id must be one OSV could have given: not empty, no blanks or
/// control characters (what [`decode_item`] would not read back either).
pub fn parse_querybatch(bytes: &[u8], expected: usize) -> Result<Vec<BatchAnswer>, String> {
    let r: BatchResponse =
        super::json::parse_into(bytes).map_err(|e| format!("OSV querybatch answer: {e}"))?;
    if r.results.len() != expected {
        return Err(format!(
            "OSV querybatch answered {} results for {expected} queries",
            r.results.len()
        ));
    }
    let mut out = Vec::with_capacity(r.results.len());
    for res in r.results {
        let mut ids: Vec<String> = Vec::with_capacity(res.vulns.len());
        let mut seen = std::collections::HashSet::new();
        for v in res.vulns {
            if v.id.is_empty() || v.id.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(format!(
                    "OSV querybatch answered a record id {}",
                    super::json::quoted(&v.id)
                ));
            }
            // The same record twice is the same vulnerability.
            if seen.insert(v.id.clone()) {
                ids.push(v.id);
            }
        }
        out.push((ids, res.next_page_token.filter(|t| !t.is_empty())));
    }
    Ok(out)
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
        for (label, body) in [
            ("an empty id", r#"{"results": [{"vulns": [{"id": ""}]}]}"#),
            (
                "an id with a blank",
                r#"{"results": [{"vulns": [{"id": "GHSA-1 2"}]}]}"#,
            ),
            (
                "an id with a line break",
                r#"{"results": [{"vulns": [{"id": "A\nB"}]}]}"#,
            ),
            (
                "vulns twice",
                r#"{"results": [{"vulns": [{"id": "A"}], "vulns": []}]}"#,
            ),
            (
                "a key twice in a record",
                r#"{"results": [{"vulns": [{"id": "A", "modified": "x", "modified": "y"}]}]}"#,
            ),
        ] {
            assert!(parse_querybatch(body.as_bytes(), 1).is_err(), "{label}");
        }
        let twice = br#"{"results": [{"vulns": [{"id": "A"}, {"id": "A"}]}]}"#;
        assert_eq!(
            parse_querybatch(twice, 1).unwrap()[0].0,
            vec!["A".to_string()]
        );
    }

    #[test]
    fn shared_items_round_trip_and_damage_is_no_answer() {
        let at = time::OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        for ids in [
            vec![],
            vec!["GHSA-xxxx-yyyy-zzzz".to_string(), "CVE-2024-1".into()],
        ] {
            assert_eq!(decode_item(&encode_item(at, &ids)), Some((at, ids)));
        }
        for bad in [
            "",
            "soon",
            "1700000000\n",
            "1700000000\nA\n\nB",
            "1\nA B",
            "1\nA\r",
        ] {
            assert_eq!(decode_item(bad), None, "{bad:?}");
        }
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
