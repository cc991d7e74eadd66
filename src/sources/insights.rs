//! OpenSSF Security Insights (`security-insights.yml`, schema 2.x): the
//! maintainers' own declaration of their security policy, contact,
//! funding and documentation, read from the validated upstream repository
//! only, through GitHub's contents API (`GET
//! /repos/{owner}/{repo}/contents/{path}`, the default branch).
//!
//! Looked for where the specification puts it on GitHub, in order: the
//! repository's root, then `.github/`; the first found is the answer. The file is
//! YAML and comes from whoever controls the repository, so it is read with
//! hard limits: at most [`MAX_BYTES`], no alias expanded more than a few
//! hundred events in all, bounded depth, duplicate keys refused. A schema
//! whose major version is not 2 is refused by name (1.x is another shape;
//! a 3.x is not known yet). Only the keys this tool reads are checked;
//! the rest is left alone.

use serde::Deserialize;
use time::Date;

use super::adapter::{Adapter, Malformed, Question};
use super::http::Service;
use super::hub::Sources;
use super::json::quoted;
use super::{Coverage, Lookup};

/// GitHub's contents API (`repo_files`).
pub const ADAPTER: &Adapter = &super::repo_files::ADAPTER;

/// How evidence names this source.
pub const SOURCE: &str = "OpenSSF Security Insights";

/// The largest file read; real ones are a few kilobytes.
pub const MAX_BYTES: usize = 256 * 1024;

/// Where the specification says the file lives on GitHub, in the order
/// looked at (its third place, `.gitlab/`, is GitLab's, which is not read).
pub const PLACES: [&str; 2] = ["security-insights.yml", ".github/security-insights.yml"];

/// What this tool reads of a Security Insights file, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct SecurityInsights {
    /// `github.com/owner/repo` it was read from.
    pub repository: String,
    /// Its path in the repository.
    pub path: String,
    /// The file's page on the code host, as the API names it.
    pub html_url: Option<String>,
    pub schema_version: String,
    pub last_reviewed: Date,
    pub last_updated: Option<Date>,
    /// `repository.url`: the repository the file says it describes.
    pub describes: Option<String>,
    /// `header.project-si-source`: project facts are kept elsewhere.
    pub inherits_from: Option<String>,
    /// `project.vulnerability-reporting.policy` (2.2) or `.security-policy` (2.0, 2.1).
    pub policy: Option<String>,
    pub reports_accepted: Option<bool>,
    /// `project.vulnerability-reporting.contact.email`.
    pub contact_email: Option<String>,
    /// `project.funding`.
    pub funding: Option<String>,
    /// The first of `repository.documentation`'s development documents,
    /// with its key: `contributing-guide`, `review-policy`,
    /// `dependency-management-policy`.
    pub development_policy: Option<(String, String)>,
    /// `repository.status`.
    pub status: Option<String>,
    /// Security tools declared as run in CI, with their types.
    pub tools_in_ci: Vec<(String, String)>,
}

/// One place in one repository: (`github.com/owner/repo`, path).
pub struct File;

impl Question for File {
    const ADAPTER: &'static Adapter = ADAPTER;
    type Key = (String, String);
    type Value = SecurityInsights;

    fn path((repo, place): &(String, String)) -> String {
        super::repo_files::path(repo, place)
    }

    fn parse(body: &[u8], (repo, place): &(String, String)) -> Result<SecurityInsights, Malformed> {
        parse_answer(body, repo, place).map_err(|why| ADAPTER.malformed(why))
    }

    fn unavailable(status: u16) -> bool {
        super::repo_files::unavailable(status)
    }
}

/// The repository's Security Insights file, if it publishes one: the first
/// of [`PLACES`] found. A file whose `last-reviewed` is older than
/// `max_insights_age_days` is stale (it decides nothing); one reviewed in
/// the future, or describing another repository, is malformed (checked as
/// it is read, so never remembered).
pub async fn lookup(sources: &Sources, repo: &str) -> Lookup<SecurityInsights> {
    renamed(look(sources, repo).await)
}

/// The lookup, named as the file's source rather than the API's.
fn renamed(l: Lookup<SecurityInsights>) -> Lookup<SecurityInsights> {
    let source = SOURCE.to_string();
    match l {
        Lookup::Found(mut f) => {
            f.source = source;
            Lookup::Found(f)
        }
        Lookup::NotFound { url, at, .. } => Lookup::NotFound { source, url, at },
        Lookup::Malformed { url, reason, .. } => Lookup::Malformed {
            source,
            url,
            reason,
        },
        Lookup::Unavailable { reason, .. } => Lookup::Unavailable { source, reason },
        Lookup::NotApplicable { why, .. } => Lookup::NotApplicable { source, why },
    }
}

async fn look(sources: &Sources, repo: &str) -> Lookup<SecurityInsights> {
    let mut last = None;
    for place in PLACES {
        let l = sources
            .ask::<File>((repo.to_string(), place.to_string()))
            .await;
        match l {
            Lookup::NotFound { .. } => last = Some(l),
            Lookup::Found(mut f) => {
                let limits = sources.limits();
                let reviewed = f.value.last_reviewed;
                let today = limits.now.date();
                f.as_of = reviewed.midnight().assume_utc();
                let days = (today - reviewed).whole_days();
                if days > limits.max_insights_age_days {
                    f.coverage = Coverage::Stale(format!(
                        "last reviewed on {reviewed}, {days} days before this run, over the {}-day limit ([assessment] max_insights_age_days)",
                        limits.max_insights_age_days
                    ));
                }
                return Lookup::Found(f);
            }
            other => return other,
        }
    }
    last.unwrap_or(Lookup::Unavailable {
        source: Service::GitHub.name().into(),
        reason: "not asked".into(),
    })
}

fn parse_answer(body: &[u8], repo: &str, place: &str) -> Result<SecurityInsights, String> {
    let file = super::repo_files::decode(body, place, MAX_BYTES).map_err(|e| e.0)?;
    let bytes = file.bytes;
    let html_url = file.html_url;
    let mut si = read_yaml(&bytes)?;
    // Checked here, before the answer can be remembered: a file for
    // another repository, or one dated ahead of the clock, is no answer.
    if let Some(d) = &si.describes
        && super::repo_url::scorecard_repo(d).as_deref() != Some(repo)
    {
        return Err(format!(
            "its repository.url {} is another repository than {repo}, where it was found",
            quoted(d)
        ));
    }
    let today = time::OffsetDateTime::now_utc().date();
    if si.last_reviewed > today.next_day().unwrap_or(today) {
        return Err(format!(
            "last-reviewed {} is in the future",
            si.last_reviewed
        ));
    }
    si.repository = repo.to_string();
    si.path = place.to_string();
    si.html_url = html_url;
    Ok(si)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Doc {
    header: Option<Header>,
    project: Option<Project>,
    repository: Option<Repository>,
}

#[derive(Deserialize)]
struct Header {
    #[serde(rename = "schema-version")]
    schema_version: String,
    #[serde(rename = "last-reviewed")]
    last_reviewed: String,
    #[serde(rename = "last-updated")]
    last_updated: Option<String>,
    #[serde(rename = "project-si-source")]
    project_si_source: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Project {
    funding: Option<String>,
    #[serde(rename = "vulnerability-reporting")]
    vulnerability_reporting: Option<Reporting>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Reporting {
    #[serde(rename = "reports-accepted")]
    reports_accepted: Option<bool>,
    policy: Option<String>,
    #[serde(rename = "security-policy")]
    security_policy: Option<String>,
    contact: Option<Contact>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Contact {
    email: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Repository {
    url: Option<String>,
    status: Option<String>,
    documentation: Option<Documentation>,
    security: Option<Security>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Documentation {
    #[serde(rename = "contributing-guide")]
    contributing_guide: Option<String>,
    #[serde(rename = "review-policy")]
    review_policy: Option<String>,
    #[serde(rename = "dependency-management-policy")]
    dependency_management_policy: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Security {
    tools: Vec<Tool>,
}

#[derive(Deserialize)]
struct Tool {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    integration: Option<Integration>,
}

#[derive(Deserialize)]
struct Integration {
    #[serde(default)]
    ci: bool,
}

/// The repository statuses the specification names (repostatus.org).
const STATUSES: [&str; 8] = [
    "active",
    "abandoned",
    "concept",
    "inactive",
    "moved",
    "suspended",
    "unsupported",
    "WIP",
];

/// YAML read with limits against hostile files: aliases may replay at
/// most a few hundred events in all (a "billion laughs" file needs
/// millions), nesting is bounded, and a key given twice is an error rather
/// than a silent choice.
fn yaml_options() -> serde_saphyr::Options {
    let mut o = serde_saphyr::Options::default();
    o.duplicate_keys = serde_saphyr::options::DuplicateKeyPolicy::Error;
    o.alias_limits.max_total_replayed_events = 512;
    o.alias_limits.max_replay_stack_depth = 4;
    o.alias_limits.max_alias_expansions_per_anchor = 32;
    if let Some(b) = o.budget.as_mut() {
        b.max_depth = 32;
        b.max_aliases = 64;
        b.max_anchors = 64;
        b.max_documents = 1;
        b.max_events = 100_000;
    }
    o
}

/// Why a Security Insights file was not read (the reason evidence quotes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InsightsError(pub String);

/// A Security Insights file's bytes, checked as far as this tool reads it.
pub fn parse_yaml(bytes: &[u8]) -> Result<SecurityInsights, InsightsError> {
    read_yaml(bytes).map_err(InsightsError)
}

fn read_yaml(bytes: &[u8]) -> Result<SecurityInsights, String> {
    if bytes.len() > MAX_BYTES {
        return Err(format!(
            "{} bytes, over the {MAX_BYTES}-byte limit",
            bytes.len()
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8".to_string())?;
    let doc: Doc = serde_saphyr::from_str_with_options(text, yaml_options()).map_err(|e| {
        format!(
            "not a Security Insights file: {}",
            first_line(&e.to_string())
        )
    })?;
    let header = doc
        .header
        .ok_or("no header (schema-version, last-reviewed)")?;
    let major = header
        .schema_version
        .split('.')
        .next()
        .and_then(|m| m.parse::<u32>().ok());
    match major {
        Some(2) => {}
        Some(m) => {
            return Err(format!(
                "schema-version {} (major {m}) is not read: only 2.x is",
                quoted(&header.schema_version)
            ));
        }
        None => {
            return Err(format!(
                "schema-version {} is not a version",
                quoted(&header.schema_version)
            ));
        }
    }
    let date = |what: &str, s: &str| {
        Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
            .map_err(|_| format!("{what} {} is not a YYYY-MM-DD date", quoted(s)))
    };
    let last_reviewed = date("last-reviewed", &header.last_reviewed)?;
    let last_updated = header
        .last_updated
        .as_deref()
        .map(|s| date("last-updated", s))
        .transpose()?;
    let url = |what: &str, v: Option<String>| -> Result<Option<String>, String> {
        match v {
            None => Ok(None),
            Some(u) if is_url(&u) => Ok(Some(u)),
            Some(u) => Err(format!("{what} {} is not an http(s) URL", quoted(&u))),
        }
    };
    let project = doc.project.unwrap_or_default();
    let reporting = project.vulnerability_reporting.unwrap_or_default();
    let policy = match (reporting.policy, reporting.security_policy) {
        (Some(a), Some(b)) if a != b => {
            return Err(format!(
                "vulnerability-reporting names two policies, {} and {}",
                quoted(&a),
                quoted(&b)
            ));
        }
        (a, b) => url("vulnerability-reporting.policy", a.or(b))?,
    };
    let contact_email = match reporting.contact.and_then(|c| c.email) {
        Some(e) if is_email(&e) => Some(e),
        Some(e) => {
            return Err(format!(
                "vulnerability-reporting.contact.email {} is not an email address",
                quoted(&e)
            ));
        }
        None => None,
    };
    let repository = doc.repository.unwrap_or_default();
    if let Some(s) = &repository.status
        && !STATUSES.contains(&s.as_str())
    {
        return Err(format!(
            "repository.status {} is not one the specification names",
            quoted(s)
        ));
    }
    let docs = repository.documentation.unwrap_or_default();
    let mut development_policy = None;
    for (key, value) in [
        ("contributing-guide", docs.contributing_guide),
        ("review-policy", docs.review_policy),
        (
            "dependency-management-policy",
            docs.dependency_management_policy,
        ),
    ] {
        let value = url(&format!("repository.documentation.{key}"), value)?;
        if development_policy.is_none()
            && let Some(v) = value
        {
            development_policy = Some((key.to_string(), v));
        }
    }
    let tools_in_ci = repository
        .security
        .unwrap_or_default()
        .tools
        .into_iter()
        .filter(|t| t.integration.as_ref().is_some_and(|i| i.ci))
        .map(|t| (t.name, t.kind))
        .collect();
    Ok(SecurityInsights {
        repository: String::new(),
        path: String::new(),
        html_url: None,
        schema_version: header.schema_version,
        last_reviewed,
        last_updated,
        describes: url("repository.url", repository.url)?,
        inherits_from: url("header.project-si-source", header.project_si_source)?,
        policy,
        reports_accepted: reporting.reports_accepted,
        contact_email,
        funding: url("project.funding", project.funding)?,
        development_policy,
        status: repository.status,
        tools_in_ci,
    })
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

/// The specification's URL: http(s), no white space.
fn is_url(s: &str) -> bool {
    (s.starts_with("https://") || s.starts_with("http://"))
        && s.len() > "https://".len()
        && s.len() <= 2048
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The specification's email pattern: local@domain.tld.
fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let Some((host, tld)) = domain.rsplit_once('.') else {
        return false;
    };
    !local.is_empty()
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._%+-".contains(c))
        && !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-".contains(c))
        && tld.len() >= 2
        && tld.chars().all(|c| c.is_ascii_alphabetic())
        && s.len() <= 254
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCORECARD: &[u8] = include_bytes!(
        "../../tests/fixtures/repos/github.com/ossf/scorecard/security-insights.yml"
    );
    const SPEC: &[u8] = include_bytes!(
        "../../tests/fixtures/repos/github.com/ossf/security-insights-spec/.github/security-insights.yml"
    );
    const INHERITS: &[u8] = include_bytes!(
        "../../tests/fixtures/repos/github.com/open-telemetry/opentelemetry-go/.github/security-insights.yml"
    );

    #[test]
    fn reads_a_2_2_file_with_its_policy_contact_and_documents() {
        let si = parse_yaml(SCORECARD).unwrap();
        assert_eq!(si.schema_version, "2.2.0");
        assert_eq!(si.last_reviewed.to_string(), "2026-10-08");
        assert_eq!(
            si.policy.as_deref(),
            Some("https://github.com/ossf/scorecard/blob/main/SECURITY.md")
        );
        assert_eq!(si.contact_email.as_deref(), Some("security@openssf.org"));
        assert_eq!(si.reports_accepted, Some(true));
        assert_eq!(
            si.development_policy,
            Some((
                "contributing-guide".into(),
                "https://github.com/ossf/scorecard/blob/main/CONTRIBUTING.md".into()
            ))
        );
        assert_eq!(
            si.describes.as_deref(),
            Some("https://github.com/ossf/scorecard")
        );
        assert_eq!(si.status.as_deref(), Some("active"));
        assert_eq!(si.funding, None);
        assert!(
            si.tools_in_ci
                .iter()
                .any(|(n, k)| n == "CodeQL" && k == "SAST")
        );
    }

    #[test]
    fn reads_2_0_files_and_ones_that_inherit_their_project() {
        let si = parse_yaml(SPEC).unwrap();
        assert_eq!(si.schema_version, "2.0.0");
        assert_eq!(si.policy, None);
        assert_eq!(si.contact_email, None);
        let si = parse_yaml(INHERITS).unwrap();
        assert_eq!(
            si.inherits_from.as_deref(),
            Some("https://github.com/open-telemetry/.github/security-insights.yml")
        );
        assert_eq!(si.policy, None);
    }

    #[test]
    fn the_2_0_policy_key_is_read_and_two_different_policies_refused() {
        let text = String::from_utf8(SCORECARD.to_vec()).unwrap();
        let old = text.replace("    policy: https://", "    security-policy: https://");
        assert_eq!(
            parse_yaml(old.as_bytes()).unwrap().policy.as_deref(),
            Some("https://github.com/ossf/scorecard/blob/main/SECURITY.md")
        );
        let both = text.replace(
            "    policy: https://github.com/ossf/scorecard/blob/main/SECURITY.md\n",
            "    policy: https://github.com/ossf/scorecard/blob/main/SECURITY.md\n    security-policy: https://example.test/other\n",
        );
        assert!(
            parse_yaml(both.as_bytes())
                .unwrap_err()
                .to_string()
                .contains("two policies")
        );
    }

    #[test]
    fn other_schemas_and_bad_values_are_refused_by_name() {
        let text = String::from_utf8(SCORECARD.to_vec()).unwrap();
        for (from, to, says) in [
            ("schema-version: 2.2.0", "schema-version: 1.0.0", "only 2.x"),
            ("schema-version: 2.2.0", "schema-version: 3.0.0", "major 3"),
            (
                "last-reviewed: '2026-10-08'",
                "last-reviewed: 'yesterday'",
                "not a YYYY-MM-DD",
            ),
            (
                "email: security@openssf.org",
                "email: 'not an email'",
                "not an email",
            ),
            ("status: active", "status: thriving", "repository.status"),
            (
                "policy: https://github.com/ossf/scorecard/blob/main/SECURITY.md",
                "policy: javascript:alert(1)",
                "not an http(s) URL",
            ),
        ] {
            let changed = text.replacen(from, to, 1);
            assert_ne!(changed, text, "{from}");
            let e = parse_yaml(changed.as_bytes()).unwrap_err().to_string();
            assert!(e.contains(says), "{to}: {e}");
        }
        let e = parse_yaml(b"project:\n  name: x\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no header"), "{e}");
        let e = parse_yaml(b"header:\n  schema-version: 2.0.0\n  schema-version: 2.1.0\n  last-reviewed: '2026-01-01'\n")
            .unwrap_err().to_string();
        assert!(e.contains("not a Security Insights file"), "{e}");
    }

    #[test]
    fn an_alias_bomb_is_refused_quickly() {
        let mut bomb = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        for (i, prev) in ('b'..='i').zip('a'..='h') {
            bomb.push_str(&format!(
                "{i}: &{i} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
            ));
        }
        bomb.push_str(
            "header:\n  schema-version: 2.0.0\n  last-reviewed: '2026-01-01'\n  comment: *i\n",
        );
        let started = std::time::Instant::now();
        let e = parse_yaml(bomb.as_bytes()).unwrap_err().to_string();
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        assert!(e.contains("alias replay limit exceeded"), "{e}");
        let big = vec![b'#'; MAX_BYTES + 1];
        assert!(
            parse_yaml(&big)
                .unwrap_err()
                .to_string()
                .contains("over the")
        );
    }

    fn answer(path: &str, content: &[u8]) -> Vec<u8> {
        use base64::Engine;
        serde_json::json!({
            "type": "file",
            "path": path,
            "size": content.len(),
            "encoding": "base64",
            "content": base64::engine::general_purpose::STANDARD.encode(content),
            "html_url": format!("https://github.test/ossf/scorecard/blob/main/{path}"),
        })
        .to_string()
        .into_bytes()
    }

    #[test]
    fn githubs_contents_answer_is_checked() {
        let repo = "github.com/ossf/scorecard";
        let place = "security-insights.yml";
        let si = parse_answer(&answer(place, SCORECARD), repo, place).unwrap();
        assert_eq!(si.repository, repo);
        assert_eq!(si.path, place);
        let e = parse_answer(
            &answer(".github/security-insights.yml", SCORECARD),
            repo,
            place,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("the answer is for"), "{e}");
        let mut v: serde_json::Value = serde_json::from_slice(&answer(place, SCORECARD)).unwrap();
        v["size"] = serde_json::json!(10);
        let e = parse_answer(v.to_string().as_bytes(), repo, place)
            .unwrap_err()
            .to_string();
        assert!(e.contains("the answer says 10"), "{e}");
        v["type"] = serde_json::json!("dir");
        let e = parse_answer(v.to_string().as_bytes(), repo, place)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a file"), "{e}");
        let e = parse_answer(&answer(place, SCORECARD), "github.com/lodash/lodash", place)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("another repository than github.com/lodash/lodash"),
            "{e}"
        );
        let e = parse_answer(b"<html>rate limited</html>", repo, place)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not GitHub's contents answer"), "{e}");
    }
}
