//! The part of the OSV schema the assessment needs, and the schema's range
//! evaluation: `SEMVER` ranges in SemVer order, `ECOSYSTEM` ranges in the
//! ecosystem's order, `introduced`/`fixed` (exclusive)/`last_affected`
//! (inclusive)/`limit`, and explicit `versions` lists. `GIT` ranges name
//! commits, not versions, and cannot decide.

use std::cmp::Ordering;

use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::adapter::Malformed;
use super::http::Service;
use super::model::Vulnerability;
use crate::purl::Ecosystem;
use crate::versions;

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct OsvRecord {
    pub id: String,
    #[serde(default)]
    pub modified: Option<String>,
    #[serde(default)]
    pub withdrawn: Option<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub affected: Vec<Affected>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Affected {
    #[serde(default)]
    pub package: Option<Package>,
    #[serde(default)]
    pub ranges: Vec<Range>,
    #[serde(default)]
    pub versions: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Package {
    #[serde(default)]
    pub ecosystem: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Range {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub events: Vec<Event>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
pub struct Event {
    pub introduced: Option<String>,
    pub fixed: Option<String>,
    pub last_affected: Option<String>,
    pub limit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Affected,
    NotAffected,
    Unknown(String),
}

/// A name as the ecosystem compares it (PyPI: PEP 503).
pub fn normalize_name(eco: Ecosystem, name: &str) -> String {
    if eco == Ecosystem::PyPi {
        let mut out = String::with_capacity(name.len());
        for c in name.to_ascii_lowercase().chars() {
            if matches!(c, '-' | '_' | '.') {
                if !out.ends_with('-') {
                    out.push('-');
                }
            } else {
                out.push(c);
            }
        }
        out
    } else {
        name.to_string()
    }
}

/// The base ecosystem of an OSV ecosystem string (`Debian:11` → `Debian`).
pub fn base_ecosystem(s: &str) -> &str {
    s.split(':').next().unwrap_or(s)
}

impl Affected {
    pub fn is_for(&self, eco: Ecosystem, name: &str) -> bool {
        let Some(p) = &self.package else {
            return false;
        };
        Some(base_ecosystem(&p.ecosystem)) == eco.osv_name()
            && normalize_name(eco, &p.name) == normalize_name(eco, name)
    }
}

/// A record as `GET /v1/vulns/{id}` answers it, checked: about `id`, no
/// key twice, and its times (`modified`, `withdrawn`) RFC 3339, as the
/// schema has them. A record withdrawn at no readable time is not taken
/// for withdrawn: withdrawal hides a vulnerability, so only a record that
/// says it in the schema's form is one.
pub fn parse(bytes: &[u8], id: &str) -> Result<OsvRecord, Malformed> {
    read(bytes, id).map_err(|why| Malformed {
        service: Service::Osv,
        why,
    })
}

fn read(bytes: &[u8], id: &str) -> Result<OsvRecord, String> {
    let r: OsvRecord = super::json::parse_into(bytes).map_err(|e| e.to_string())?;
    if r.id != id {
        return Err(format!(
            "the record is {}, not {}",
            super::json::quoted(&r.id),
            super::json::quoted(id)
        ));
    }
    for (key, value) in [("modified", &r.modified), ("withdrawn", &r.withdrawn)] {
        if let Some(t) = value
            && OffsetDateTime::parse(t, &Rfc3339).is_err()
        {
            return Err(format!(
                "`{key}` {} is not an RFC 3339 time",
                super::json::quoted(t)
            ));
        }
    }
    Ok(r)
}

impl OsvRecord {
    /// Withdrawn at a time the schema's form gives (RFC 3339); any other
    /// value (empty, or words) does not withdraw it, so an unreadable
    /// record still counts as a vulnerability.
    pub fn is_withdrawn(&self) -> bool {
        self.withdrawn
            .as_deref()
            .is_some_and(|w| OffsetDateTime::parse(w, &Rfc3339).is_ok())
    }

    /// Whether the record affects this version of this package. Callers
    /// skip withdrawn records themselves.
    pub fn affects(&self, eco: Ecosystem, name: &str, version: &str) -> Verdict {
        let mut unknown: Option<String> = None;
        for a in self.affected.iter().filter(|a| a.is_for(eco, name)) {
            if a.versions.iter().any(|v| v == version) {
                return Verdict::Affected;
            }
            for r in &a.ranges {
                match range_affects(eco, r, version) {
                    Verdict::Affected => return Verdict::Affected,
                    Verdict::Unknown(why) => unknown = Some(why),
                    Verdict::NotAffected => {}
                }
            }
            // A GIT-only entry with no version list cannot decide.
            if a.versions.is_empty()
                && !a.ranges.is_empty()
                && a.ranges.iter().all(|r| r.kind == "GIT")
            {
                unknown.get_or_insert_with(|| "only GIT (commit) ranges".into());
            }
        }
        match unknown {
            Some(why) => Verdict::Unknown(why),
            None => Verdict::NotAffected,
        }
    }

    pub fn fixed_versions(&self, eco: Ecosystem, name: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .affected
            .iter()
            .filter(|a| a.is_for(eco, name))
            .flat_map(|a| a.ranges.iter().filter(|r| r.kind != "GIT"))
            .flat_map(|r| r.events.iter().filter_map(|e| e.fixed.clone()))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    pub fn to_vulnerability(&self, eco: Ecosystem, name: &str) -> Vulnerability {
        Vulnerability {
            id: self.id.clone(),
            aliases: self.aliases.clone(),
            summary: self.summary.clone(),
            fixed_in: self.fixed_versions(eco, name),
            withdrawn: self.is_withdrawn(),
        }
    }
}

/// An event version as the ecosystem would read it. Records write bounds
/// like `0.2` or `1.0` where SemVer needs three parts; npm's and Cargo's
/// readers take `1.0` as `1.0.0`, so the missing parts are zeros.
fn as_bound(eco: Ecosystem, semver_range: bool, v: &str) -> String {
    let semverish =
        semver_range || matches!(eco, Ecosystem::Npm | Ecosystem::Cargo | Ecosystem::Go);
    if !semverish {
        return v.to_string();
    }
    let (prefix, rest) = match v.strip_prefix('v') {
        Some(r) => ("v", r),
        None => ("", v),
    };
    let cut = rest.find(['-', '+']).unwrap_or(rest.len());
    let (core, tail) = rest.split_at(cut);
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() >= 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return v.to_string();
    }
    let mut padded = parts.join(".");
    for _ in parts.len()..3 {
        padded.push_str(".0");
    }
    format!("{prefix}{padded}{tail}")
}

fn range_affects(eco: Ecosystem, range: &Range, version: &str) -> Verdict {
    let semver_range = range.kind == "SEMVER";
    let order = |a: &str, b: &str| -> Option<Ordering> {
        let (a, b) = (
            as_bound(eco, semver_range, a),
            as_bound(eco, semver_range, b),
        );
        if semver_range {
            let p = |s: &str| ::semver::Version::parse(s.strip_prefix('v').unwrap_or(s)).ok();
            Some(p(&a)?.cmp_precedence(&p(&b)?))
        } else {
            versions::compare(eco, &a, &b)
        }
    };
    match range.kind.as_str() {
        "SEMVER" | "ECOSYSTEM" => {}
        "GIT" => return Verdict::NotAffected,
        other => return Verdict::Unknown(format!("range type {other}")),
    }
    // The version must be readable, except against a bare introduced: 0.
    let introduced_zero = |e: &Event| e.introduced.as_deref() == Some("0");
    if order(version, version).is_none() {
        if range.events.iter().any(|e| !introduced_zero(e)) {
            return Verdict::Unknown(format!("version {version:?} cannot be ordered"));
        }
        return Verdict::Affected;
    }
    // Sort events by version ("0" first), as the schema's algorithm says.
    // Every event's version must be readable first, so that the sort's
    // comparison is a total order (an unreadable pair compared "equal"
    // would not be one, and sorting panics on that).
    let key = |e: &Event| -> Option<String> {
        e.introduced
            .clone()
            .or_else(|| e.fixed.clone())
            .or_else(|| e.last_affected.clone())
            .or_else(|| e.limit.clone())
    };
    let mut events: Vec<(&Event, String)> = Vec::new();
    for e in &range.events {
        let Some(k) = key(e) else { continue };
        let readable = introduced_zero(e) || k == "*" || order(&k, &k).is_some();
        if !readable {
            return Verdict::Unknown(format!("event version {k:?} cannot be ordered"));
        }
        events.push((e, k));
    }
    events.sort_by(
        |(a, ka), (b, kb)| match (introduced_zero(a), introduced_zero(b)) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            // `*` (an unbounded limit) sorts last.
            _ => match (ka.as_str(), kb.as_str()) {
                ("*", "*") => Ordering::Equal,
                ("*", _) => Ordering::Greater,
                (_, "*") => Ordering::Less,
                _ => order(ka, kb).expect("every event version was read above"),
            },
        },
    );
    let events: Vec<&Event> = events.into_iter().map(|(e, _)| e).collect();
    // limit: versions at or above every limit are outside the range.
    let limits: Vec<&str> = events.iter().filter_map(|e| e.limit.as_deref()).collect();
    if !limits.is_empty()
        && limits
            .iter()
            .all(|l| *l != "*" && order(version, l).is_some_and(|o| o != Ordering::Less))
    {
        return Verdict::NotAffected;
    }
    let at_least = |b: &str| b == "0" || order(version, b).is_some_and(|o| o != Ordering::Less);
    let mut affected = false;
    for e in events {
        if let Some(i) = &e.introduced
            && at_least(i)
        {
            affected = true;
        }
        if let Some(f) = &e.fixed
            && at_least(f)
        {
            affected = false;
        }
        if let Some(l) = &e.last_affected
            && order(version, l) == Some(Ordering::Greater)
        {
            affected = false;
        }
    }
    if affected {
        Verdict::Affected
    } else {
        Verdict::NotAffected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(json: serde_json::Value) -> OsvRecord {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn evaluates_introduced_fixed_last_affected_and_lists() {
        let r = rec(serde_json::json!({"id": "X", "affected": [{
            "package": {"ecosystem": "crates.io", "name": "a"},
            "ranges": [{"type": "SEMVER", "events": [
                {"introduced": "0"}, {"fixed": "1.2.0"}, {"introduced": "2.0.0"}, {"last_affected": "2.1.0"}
            ]}],
            "versions": ["9.9.9"]
        }]}));
        let v = |x: &str| r.affects(Ecosystem::Cargo, "a", x);
        assert_eq!(v("1.1.9"), Verdict::Affected);
        assert_eq!(v("1.2.0"), Verdict::NotAffected);
        assert_eq!(v("1.9.0"), Verdict::NotAffected);
        assert_eq!(v("2.1.0"), Verdict::Affected);
        assert_eq!(v("2.1.1"), Verdict::NotAffected);
        assert_eq!(v("9.9.9"), Verdict::Affected);
        assert_eq!(
            r.affects(Ecosystem::Cargo, "b", "1.0.0"),
            Verdict::NotAffected
        );
        assert_eq!(
            r.fixed_versions(Ecosystem::Cargo, "a"),
            vec!["1.2.0".to_string()]
        );
    }

    #[test]
    fn ecosystem_ranges_use_the_ecosystem_order_and_pypi_names_normalize() {
        let r = rec(serde_json::json!({"id": "P", "affected": [{
            "package": {"ecosystem": "PyPI", "name": "Jinja2"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.11.3"}]}]
        }]}));
        assert_eq!(
            r.affects(Ecosystem::PyPi, "jinja2", "2.11.2"),
            Verdict::Affected
        );
        assert_eq!(
            r.affects(Ecosystem::PyPi, "jinja2", "2.11.3"),
            Verdict::NotAffected
        );
        assert_eq!(
            r.affects(Ecosystem::PyPi, "jinja2", "3.0.0rc1"),
            Verdict::NotAffected
        );
    }

    #[test]
    fn two_part_event_versions_read_as_the_ecosystem_reads_them() {
        let r = rec(serde_json::json!({"id": "T", "affected": [{
            "package": {"ecosystem": "crates.io", "name": "a"},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0.2"}, {"fixed": "1.0"}]}]
        }]}));
        assert_eq!(
            r.affects(Ecosystem::Cargo, "a", "0.1.9"),
            Verdict::NotAffected
        );
        assert_eq!(r.affects(Ecosystem::Cargo, "a", "0.2.0"), Verdict::Affected);
        assert_eq!(r.affects(Ecosystem::Cargo, "a", "0.9.3"), Verdict::Affected);
        assert_eq!(
            r.affects(Ecosystem::Cargo, "a", "1.0.0"),
            Verdict::NotAffected
        );
        let r = rec(serde_json::json!({"id": "N", "affected": [{
            "package": {"ecosystem": "npm", "name": "b"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.1"}]}]
        }]}));
        assert_eq!(r.affects(Ecosystem::Npm, "b", "2.0.9"), Verdict::Affected);
        assert_eq!(
            r.affects(Ecosystem::Npm, "b", "2.1.0"),
            Verdict::NotAffected
        );
        assert_eq!(as_bound(Ecosystem::Go, false, "v1.2"), "v1.2.0");
        assert_eq!(
            as_bound(Ecosystem::Npm, false, "1.0-beta.1"),
            "1.0.0-beta.1"
        );
        assert_eq!(as_bound(Ecosystem::PyPi, false, "1.0"), "1.0");
    }

    #[test]
    fn unorderable_event_versions_are_unknown_not_a_panic() {
        // Found by fuzzing: mixing readable and unreadable event versions
        // made the sort's comparison no total order, and the sort panicked.
        let r: OsvRecord = serde_json::from_str(r#"{"id": "X-1", "affected": [{"package": {"ecosystem": "crates.io", "name": "a"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"introduced": "0"}, {"fixed": "1.0.0"}, {"introduced": "x&"}, {"fixed": "2.0.0"}, {"introduced": "0.5.0"}, {"fixed": "y&"}, {"introduced": "3.0.0"}, {"fixed": "0.1.0"}, {"introduced": "z"}, {"fixed": "1.5.0"}, {"introduced": "0"}, {"fixed": "4.0.0"}, {"introduced": "w"}, {"fixed": "0.2.0"}, {"introduced": "2.5.0"}, {"fixed": "v"}, {"introduced": "0"}, {"fixed": "5.0.0"}, {"introduced": "u"}, {"fixed": "0.3.0"}]}]}]}"#).unwrap();
        for v in ["0.0.1", "1.0.0", "9.9.9", "garbage"] {
            assert!(
                matches!(r.affects(Ecosystem::Cargo, "a", v), Verdict::Unknown(_)),
                "{v}"
            );
        }
        // Many readable events in any order sort fine.
        let r = rec(serde_json::json!({"id": "Y", "affected": [{
            "package": {"ecosystem": "crates.io", "name": "a"},
            "ranges": [{"type": "SEMVER", "events": [
                {"fixed": "2.0.0"}, {"introduced": "0"}, {"limit": "*"}, {"introduced": "0"},
                {"introduced": "1.5.0"}, {"fixed": "1.0.0"}, {"last_affected": "3.0.0"}, {"introduced": "2.5.0"}
            ]}]
        }]}));
        assert_eq!(r.affects(Ecosystem::Cargo, "a", "0.5.0"), Verdict::Affected);
        assert_eq!(
            r.affects(Ecosystem::Cargo, "a", "1.2.0"),
            Verdict::NotAffected
        );
        assert_eq!(r.affects(Ecosystem::Cargo, "a", "2.7.0"), Verdict::Affected);
    }

    #[test]
    fn only_a_record_withdrawn_at_a_time_is_withdrawn() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/osv/npm/GHSA-35jh-r3h4-6jhm.json");
        let bytes = std::fs::read(path).unwrap();
        let id = "GHSA-35jh-r3h4-6jhm";
        let r = parse(&bytes, id).unwrap();
        assert!(!r.is_withdrawn());
        assert!(parse(&bytes, "GHSA-other").unwrap_err().why.contains("not"));
        let with = |change: &dyn Fn(&mut serde_json::Value)| {
            let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            change(&mut v);
            v.to_string().into_bytes()
        };
        let r = parse(
            &with(&|v| v["withdrawn"] = "2024-01-01T00:00:00Z".into()),
            id,
        )
        .unwrap();
        assert!(r.is_withdrawn());
        for bad in ["not really", "2024-01-01", ""] {
            let b = with(&|v| v["withdrawn"] = bad.into());
            assert!(parse(&b, id).unwrap_err().why.contains("RFC 3339"), "{bad}");
            // Read without the check (an offline database), it still counts.
            let r: OsvRecord = serde_json::from_slice(&b).unwrap();
            assert!(!r.is_withdrawn(), "{bad}");
        }
        assert!(parse(&with(&|v| v["modified"] = "today".into()), id).is_err());
        assert!(parse(&with(&|v| v["withdrawn"] = 1.into()), id).is_err());
        // A key twice inside a free-form part: which one is the record?
        let text = String::from_utf8(bytes.clone()).unwrap();
        let twice = text.replacen("\"package\": {", "\"package\": {\"name\": \"other\", ", 1);
        assert_ne!(twice, text);
        assert!(
            parse(twice.as_bytes(), id)
                .unwrap_err()
                .why
                .contains("twice")
        );
    }

    #[test]
    fn undecidable_ranges_say_so() {
        let r = rec(serde_json::json!({"id": "G", "affected": [{
            "package": {"ecosystem": "PyPI", "name": "x"},
            "ranges": [{"type": "GIT", "events": [{"introduced": "abc"}]}]
        }]}));
        assert!(matches!(
            r.affects(Ecosystem::PyPi, "x", "1.0"),
            Verdict::Unknown(_)
        ));
        let r = rec(serde_json::json!({"id": "S", "affected": [{
            "package": {"ecosystem": "npm", "name": "x"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1.0.0"}, {"fixed": "2.0.0"}]}]
        }]}));
        assert!(matches!(
            r.affects(Ecosystem::Npm, "x", "garbage"),
            Verdict::Unknown(_)
        ));
    }
}
