//! OSV API v1: `querybatch` (at most 1,000 queries a request, paginated per
//! query) to find which records affect a version, then `vulns/{id}` for each
//! record's details, fetched once per run; or, when one is given, the
//! offline OSV database instead (`osv_db`).
//!
//! The declaration and the parsers come first; how the questions are put
//! together (pages followed, answers shared with other runners, records
//! fetched) is [`vulnerabilities`].

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;
use url::Url;

use super::adapter::{Adapter, Answers, Batch, Malformed, Question};
use super::http::{Service, SharedItem};
use super::hub::{Limits, Sources, VulnKey};
use super::model::Vulnerability;
use super::osv_db::OsvDb;
use super::osv_record::OsvRecord;
use super::{Coverage, Found, Lookup};
use crate::purl::Ecosystem;

/// Most queries OSV accepts in one `querybatch` request.
pub const BATCH_LIMIT: usize = 1000;
pub const QUERYBATCH_PATH: &str = "v1/querybatch";

/// The OSV API, with `querybatch` taking up to 1,000 queries a request.
pub const ADAPTER: Adapter = Adapter::batching(Service::Osv, QUERYBATCH_PATH, BATCH_LIMIT);

/// `querybatch`: the IDs of the records affecting each query, a page at a
/// time per query (a query's page token travels in the query).
pub struct QueryBatch;

impl Batch for QueryBatch {
    const ADAPTER: &'static Adapter = &ADAPTER;
    const REMEMBERED: bool = true;
    type Item = Query;
    type Page = Vec<BatchAnswer>;

    fn body(queries: &[Query], _: Option<&str>) -> Vec<u8> {
        querybatch_body(queries)
    }

    fn parse(body: &[u8], queries: &[Query]) -> Result<Vec<BatchAnswer>, Malformed> {
        parse_querybatch(body, queries.len())
    }
}

/// A record's details, by its ID. The record is known to exist (a
/// `querybatch` answer named it): without its details it still counts, so
/// any answer but a well-formed one is only no answer this time.
pub struct Record;

impl Question for Record {
    const ADAPTER: &'static Adapter = &ADAPTER;
    const ANSWERS: Answers = Answers::BestEffort;
    type Key = String;
    type Value = OsvRecord;

    fn path(id: &String) -> String {
        vuln_path(id)
    }

    fn parse(body: &[u8], id: &String) -> Result<OsvRecord, Malformed> {
        super::osv_record::parse(body, id)
    }
}

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
pub fn parse_querybatch(bytes: &[u8], expected: usize) -> Result<Vec<BatchAnswer>, Malformed> {
    read_querybatch(bytes, expected).map_err(|why| ADAPTER.malformed(why))
}

fn read_querybatch(bytes: &[u8], expected: usize) -> Result<Vec<BatchAnswer>, String> {
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

/// Where OSV's web listing for a package is.
pub fn listing(sources: &Sources, eco: Ecosystem, name: &str) -> Option<String> {
    let e = eco.osv_name()?;
    let mut url = Url::parse(sources.osv_web()).ok()?;
    url.set_path("/list");
    url.query_pairs_mut()
        .append_pair("ecosystem", e)
        .append_pair("q", name);
    Some(url.to_string())
}

/// Known vulnerabilities for many package versions at once: from the
/// offline database when one is given, else OSV's batch API.
pub async fn vulnerabilities(
    sources: &Arc<Sources>,
    queries: Vec<VulnKey>,
) -> HashMap<VulnKey, Lookup<Vec<Vulnerability>>> {
    let mut out = HashMap::new();
    let mut online = Vec::new();
    // Sorted, so that the same set makes the same batches (and cache keys).
    let queries: Vec<VulnKey> = queries
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    for q in queries {
        if q.0.osv_name().is_none() {
            out.insert(
                q,
                Lookup::NotApplicable {
                    source: "OSV".into(),
                    why: "OSV does not cover this package type".into(),
                },
            );
            continue;
        }
        match sources.osv_db() {
            Some((path, db)) => {
                let lookup = from_db(path, db, &q, sources.limits());
                out.insert(q, lookup);
            }
            None => online.push(q),
        }
    }
    if !online.is_empty() {
        out.extend(api(sources, online).await);
    }
    out
}

/// One version's vulnerabilities from the offline database: complete only
/// as far as the database is (see `OsvDb::coverage`), and partial when a
/// record could not be evaluated.
fn from_db(path: &Path, db: &OsvDb, q: &VulnKey, limits: Limits) -> Lookup<Vec<Vulnerability>> {
    let source = format!("offline OSV database {}", path.display());
    if !db.covers(q.0) {
        return Lookup::Unavailable {
            source,
            reason: format!("it holds no {} records", q.0.osv_name().unwrap_or("")),
        };
    }
    let r = db.query(q.0, &q.1, &q.2);
    let mut coverage = db.coverage(q.0, limits.now, limits.max_osv_db_age_days);
    if !r.undecided.is_empty() {
        coverage = coverage.and(Coverage::Partial(format!(
            "records that could not be evaluated for {}: {}",
            q.2,
            r.undecided
                .iter()
                .map(|(id, why)| format!("{id} ({why})"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let at = OffsetDateTime::now_utc();
    Lookup::Found(Found {
        value: r.affected,
        source,
        url: format!("file://{}", path.display()),
        at,
        as_of: db
            .snapshot(q.0)
            .and_then(|s| s.newest)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH),
        coverage,
    })
}

/// The IDs found for each query, when it was answered, or why it was not.
#[derive(Default)]
struct Answered {
    ids: HashMap<VulnKey, Vec<String>>,
    failed: HashMap<VulnKey, String>,
    at: HashMap<VulnKey, OffsetDateTime>,
}

async fn api(
    sources: &Arc<Sources>,
    queries: Vec<VulnKey>,
) -> HashMap<VulnKey, Lookup<Vec<Vulnerability>>> {
    let url = match sources.batch_url::<QueryBatch>() {
        Ok(u) => u,
        Err(why) => {
            let unavailable = |q| {
                let reason = why.to_string();
                (
                    q,
                    Lookup::Unavailable {
                        source: "OSV".into(),
                        reason,
                    },
                )
            };
            return queries.into_iter().map(unavailable).collect();
        }
    };
    let mut answered = ask_shared(sources, &url, &queries).await;
    let records = records(sources, &answered).await;
    let shown = crate::redact::redact(&url);
    let mut out = HashMap::new();
    for q in queries {
        if let Some(reason) = answered.failed.remove(&q) {
            out.insert(
                q,
                Lookup::Unavailable {
                    source: "OSV".into(),
                    reason,
                },
            );
            continue;
        }
        // Only an answer proves there is nothing: none, none known.
        let Some(at) = answered.at.get(&q).copied() else {
            out.insert(
                q,
                Lookup::Unavailable {
                    source: "OSV".into(),
                    reason: "not answered".into(),
                },
            );
            continue;
        };
        let found_ids = answered.ids.remove(&q).unwrap_or_default();
        let vulns = found_ids
            .iter()
            .map(|id| match records.get(id).cloned().flatten() {
                Some(r) => r.to_vulnerability(q.0, &q.1),
                // Known to affect, details unavailable: counted as live.
                None => Vulnerability {
                    id: id.clone(),
                    aliases: vec![],
                    summary: None,
                    fixed_in: vec![],
                    withdrawn: false,
                },
            })
            .collect();
        out.insert(
            q,
            Lookup::Found(Found::complete(vulns, "OSV", shown.clone(), at)),
        );
    }
    out
}

/// `querybatch` for `queries`, each version's answer shared with the other
/// runners of a shared store apart from the batch it came in (runners batch
/// different sets together): asked by the runner that claims it, waited
/// for by the others.
async fn ask_shared(sources: &Sources, url: &Url, queries: &[VulnKey]) -> Answered {
    let mut answered = Answered::default();
    let shown = crate::redact::redact(url);
    let item_key =
        |(e, n, v): &VulnKey| format!("OSV {shown} {} {n} {v}", e.osv_name().unwrap_or_default());
    let client = sources.client();
    let mut remaining: Vec<VulnKey> = queries.to_vec();
    let mut pause = std::time::Duration::from_millis(10);
    while !remaining.is_empty() {
        let keys: Vec<String> = remaining.iter().map(item_key).collect();
        let claims = client.claim_shared(&keys).await;
        let mut mine = Vec::new();
        let mut theirs = Vec::new();
        for (q, claim) in remaining.drain(..).zip(claims) {
            match claim {
                SharedItem::Found(text) => match decode_item(&text) {
                    Some((at, found)) => {
                        answered.at.insert(q.clone(), at);
                        answered.ids.insert(q, found);
                    }
                    // Damaged: asked again, and the store mended.
                    None => mine.push(q),
                },
                SharedItem::Mine => mine.push(q),
                SharedItem::Theirs => theirs.push(q),
            }
        }
        if !mine.is_empty() {
            ask(sources, url, &mine, &mut answered).await;
            let (mut shared, mut unanswered) = (Vec::new(), Vec::new());
            for q in &mine {
                match (answered.failed.contains_key(q), answered.at.get(q)) {
                    (false, Some(at)) => shared.push((
                        item_key(q),
                        encode_item(*at, answered.ids.get(q).map(Vec::as_slice).unwrap_or(&[])),
                    )),
                    _ => unanswered.push(item_key(q)),
                }
            }
            client.settle_shared(shared, unanswered).await;
        }
        if !theirs.is_empty() {
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(std::time::Duration::from_millis(200));
        }
        remaining = theirs;
    }
    answered
}

/// Each record found, its details once (to skip withdrawn ones and name
/// fixes); `None` for one whose details cannot be had.
async fn records(
    sources: &Arc<Sources>,
    answered: &Answered,
) -> HashMap<String, Option<OsvRecord>> {
    let unique: HashSet<String> = answered.ids.values().flatten().cloned().collect();
    let mut set = tokio::task::JoinSet::new();
    for id in unique {
        let sources = sources.clone();
        set.spawn(async move {
            let record = sources.ask::<Record>(id.clone()).await;
            (id, record.value().cloned())
        });
    }
    let mut m = HashMap::new();
    while let Some(Ok((id, r))) = set.join_next().await {
        m.insert(id, r);
    }
    m
}

/// Ask `querybatch` about `queries`, every page followed: the IDs found
/// for each, when it was answered, or why it was not.
async fn ask(sources: &Sources, url: &Url, queries: &[VulnKey], answered: &mut Answered) {
    let mut pending: Vec<Query> = queries
        .iter()
        .map(|(e, n, v)| Query {
            ecosystem: *e,
            name: n.clone(),
            version: v.clone(),
            page_token: None,
        })
        .collect();
    while !pending.is_empty() {
        let mut next = Vec::new();
        for chunk in Sources::chunks::<QueryBatch>(&pending) {
            match sources.post::<QueryBatch>(url, chunk, None).await {
                Ok(posted) => {
                    for (q, (found, token)) in chunk.iter().zip(posted.page) {
                        let key = (q.ecosystem, q.name.clone(), q.version.clone());
                        // As of its first page: the older time.
                        answered.at.entry(key.clone()).or_insert(posted.at);
                        answered.ids.entry(key).or_default().extend(found);
                        if let Some(t) = token {
                            next.push(Query {
                                page_token: Some(t),
                                ..q.clone()
                            });
                        }
                    }
                }
                Err(e) => {
                    let reason = e.to_string();
                    for q in chunk {
                        answered.failed.insert(
                            (q.ecosystem, q.name.clone(), q.version.clone()),
                            reason.clone(),
                        );
                    }
                }
            }
        }
        pending = next;
    }
}

/// Where OSV's pages for people are: `TACOS_OSV_WEB_URL`, else OSV's own
/// site. Links only; nothing is fetched from it.
pub fn web_base() -> String {
    std::env::var("TACOS_OSV_WEB_URL").unwrap_or_else(|_| "https://osv.dev".into())
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

    /// A `querybatch` answer finding nothing for each query asked.
    fn nothing_found(body: &[u8]) -> (u16, Vec<u8>) {
        let asked: serde_json::Value = serde_json::from_slice(body).unwrap();
        let n = asked["queries"].as_array().unwrap().len();
        let results = vec![serde_json::json!({}); n];
        (
            200,
            serde_json::json!({ "results": results })
                .to_string()
                .into_bytes(),
        )
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn querybatch_is_asked_at_most_a_thousand_versions_a_request() {
        use super::super::hub::loopback::Server;
        let srv = Server::start(std::time::Duration::ZERO, |(_, _, body)| {
            nothing_found(body)
        })
        .await;
        let sources = super::super::hub::tests::sources_at(&srv.base(), None, false);
        let queries: Vec<VulnKey> = (0..1001)
            .map(|i| (Ecosystem::Npm, format!("p{i}"), "1.0.0".to_string()))
            .collect();
        let found = vulnerabilities(&sources, queries.clone()).await;
        let sizes: Vec<usize> = srv
            .asked()
            .iter()
            .map(|(method, path, body)| {
                assert_eq!((method.as_str(), path.as_str()), ("POST", "/v1/querybatch"));
                let v: serde_json::Value = serde_json::from_slice(body).unwrap();
                v["queries"].as_array().unwrap().len()
            })
            .collect();
        assert_eq!(sizes, [1000, 1]);
        for q in &queries {
            let l = &found[q];
            assert_eq!(l.value().map(Vec::len), Some(0), "{q:?}: {l:?}");
            assert!(l.closed().is_ok());
        }
    }
}
