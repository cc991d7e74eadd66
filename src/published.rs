//! Published TACOS reports, read leniently. Published examples are sloppy:
//! trailing and missing commas, key casing drift, older field names, a
//! comma-joined `ReleasesInUse`, `["NOASSERTION"]` income streams, odd
//! timestamps. Each repair is recorded; a value that cannot be read with
//! certainty becomes NOASSERTION, never True.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::license::{self, Normalized};
use crate::purl::Purl;
use crate::tacos::{
    Attestation, Field, IncomeStream, IncomeType, PackageStatus, SbomRef, SbomType, Status,
};

/// One field's value as a report states it.
#[derive(Debug, Clone, PartialEq)]
pub enum PublishedValue {
    Attestation(Attestation),
    Text(String),
    Status(PackageStatus),
    Income(Vec<IncomeStream>),
    Sbom(Vec<SbomRef>),
    NoAssertion,
}

impl PublishedValue {
    /// The value as one line, comparable with `Statement::display`.
    pub fn display(&self) -> String {
        match self {
            PublishedValue::Attestation(a) => a.as_str().to_string(),
            PublishedValue::Text(s) => s.clone(),
            PublishedValue::Status(s) => serde_json::to_string(s).unwrap_or_default(),
            PublishedValue::Income(i) => serde_json::to_string(i).unwrap_or_default(),
            PublishedValue::Sbom(s) => serde_json::to_string(s).unwrap_or_default(),
            PublishedValue::NoAssertion => "NOASSERTION".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PublishedStatement {
    pub purl: Purl,
    pub fields: Vec<(Field, PublishedValue)>,
    /// Where it came from: the file or URL, the author and the time.
    pub origin: String,
    /// Everything repaired to read it, the report's own repairs included:
    /// a repaired answer is not a well-formed one.
    pub repairs: Vec<String>,
    /// The report's date (`LastModifiedDateTimeUTC`), if it has a readable one.
    pub date: Option<OffsetDateTime>,
    /// Whether the report was signed, and what checking the signature showed.
    pub signature: Signature,
}

/// What is known of a report's signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signature {
    Unsigned,
    /// Verified with the configured key (its key id).
    Verified(String),
    /// Signed, but no key is configured to check it with.
    NotChecked,
}

impl Signature {
    pub fn describe(&self) -> String {
        match self {
            Signature::Unsigned => "unsigned".into(),
            Signature::Verified(id) => format!("signature verified with key {id}"),
            Signature::NotChecked => {
                "signed, signature not checked (no [reports] key configured)".into()
            }
        }
    }
}

impl PublishedStatement {
    /// Fields whose truth changes with time: a report's value for them
    /// counts only while the report is young enough.
    pub fn is_time_sensitive(field: Field) -> bool {
        matches!(
            field,
            Field::FixedVulnerabilities
                | Field::CleanReleaseAvailable
                | Field::DependenciesAreManaged
                | Field::SecurityResponsive
                | Field::PackageStatus
                | Field::MultipleMaintainers
                | Field::LatestStableRelease
                | Field::SpdxLicenseLatestRelease
        )
    }

    /// Whether a True or a value from this report may be taken for `field`
    /// at `now`: the report read without repairs and, for a field that
    /// changes with time, no older than `max_age_days`.
    pub fn closed_for(
        &self,
        field: Field,
        now: OffsetDateTime,
        max_age_days: i64,
    ) -> Result<crate::sources::Closed, NotTaken> {
        use crate::sources::Closed;
        let _unrepaired: Closed =
            Closed::check(self.repairs.is_empty(), String::new).map_err(|_| {
                NotTaken::Repaired {
                    repairs: self.repairs.clone(),
                }
            })?;
        let young = |d: OffsetDateTime| (now - d).whole_days() <= max_age_days;
        Closed::check(
            !Self::is_time_sensitive(field) || self.date.is_some_and(young),
            String::new,
        )
        .map_err(|_| match self.date {
            Some(d) => NotTaken::TooOld {
                date: d.date(),
                days: (now - d).whole_days(),
                field,
                max_age_days,
            },
            None => NotTaken::Undated { field },
        })
    }
}

/// Why a published report's value is not taken as closed-world evidence.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NotTaken {
    #[error("the report had to be repaired to be read ({})", .repairs.join("; "))]
    Repaired { repairs: Vec<String> },
    #[error(
        "the report is from {date}, {days} days old, and {field} changes with time (limit {max_age_days} days, [reports] max_age_days)"
    )]
    TooOld {
        date: time::Date,
        days: i64,
        field: Field,
        max_age_days: i64,
    },
    #[error("the report is undated, and {field} changes with time")]
    Undated { field: Field },
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PublishedReport {
    pub author: Option<String>,
    pub last_modified: Option<String>,
    pub application: Option<String>,
    pub statements: Vec<PublishedStatement>,
    pub repairs: Vec<String>,
    pub skipped: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("{origin}: {message}")]
pub struct ReportError {
    pub origin: String,
    pub message: String,
}

/// Insert the commas published examples forget, drop the ones they leave
/// before `}`/`]`. Strings are left as they are.
fn repair_commas(text: &str, repairs: &mut Vec<String>) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut in_string = false;
    let mut escaped = false;
    let mut last: Option<char> = None; // last significant char outside strings
    let mut pending_comma: Option<usize> = None; // index in `out` of a comma not yet confirmed
    let (mut added, mut removed) = (0, 0);
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
                last = Some('"');
            }
            continue;
        }
        if c.is_whitespace() {
            out.push(c);
            continue;
        }
        if (c == '}' || c == ']')
            && let Some(i) = pending_comma.take()
        {
            out.remove(i);
            removed += 1;
        }
        let starts_value = c == '"' || c == '{' || c == '[';
        if starts_value
            && last.is_some_and(|l| matches!(l, '"' | '}' | ']') || l.is_ascii_alphanumeric())
        {
            out.push(',');
            added += 1;
        }
        pending_comma = None;
        if c == ',' {
            pending_comma = Some(out.len());
        }
        if c == '"' {
            in_string = true;
        }
        out.push(c);
        last = Some(c);
    }
    if added > 0 {
        repairs.push(format!("inserted {added} missing comma(s)"));
    }
    if removed > 0 {
        repairs.push(format!("removed {removed} trailing comma(s)"));
    }
    out
}

/// Field names as published reports write them, old ones included, by a
/// key with case and punctuation removed. The bool says the old field means
/// the opposite of the new one.
fn field_for(key: &str) -> Option<(Field, bool)> {
    let k: String = key
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    for f in Field::ALL {
        if f.name().to_ascii_lowercase() == k {
            return Some((f, false));
        }
    }
    Some(match k.as_str() {
        "packagemanager2faenabled" => (Field::PackageManagerMfaEnabled, false),
        "sourcerepo2faenabled" => (Field::SourceRepoMfaEnabled, false),
        "latestrelease" => (Field::LatestStableRelease, false),
        "binariesinrepository" => (Field::NoBinariesInRepository, true),
        _ => return None,
    })
}

/// An attestation value; anything not certainly True or False is NOASSERTION.
fn attestation(v: &Value, field: Field, repairs: &mut Vec<String>) -> PublishedValue {
    let a = match v {
        Value::String(s) if s == "True" => Attestation::True,
        Value::String(s) if s == "False" => Attestation::False,
        Value::String(s) if s == "NOASSERTION" => Attestation::NoAssertion,
        Value::String(s) if s.eq_ignore_ascii_case("true") => {
            repairs.push(format!("{field}: read {s:?} as \"True\""));
            Attestation::True
        }
        Value::String(s) if s.eq_ignore_ascii_case("false") => {
            repairs.push(format!("{field}: read {s:?} as \"False\""));
            Attestation::False
        }
        Value::String(s) if s.eq_ignore_ascii_case("noassertion") => Attestation::NoAssertion,
        Value::Bool(b) => {
            repairs.push(format!(
                "{field}: read the JSON boolean {b} as \"{}\"",
                if *b { "True" } else { "False" }
            ));
            if *b {
                Attestation::True
            } else {
                Attestation::False
            }
        }
        other => {
            repairs.push(format!("{field}: {other} is not \"True\", \"False\" or \"NOASSERTION\"; read as NOASSERTION"));
            Attestation::NoAssertion
        }
    };
    PublishedValue::Attestation(a)
}

/// A timestamp in ISO 8601 UTC, repairing what can be repaired.
fn timestamp(s: &str, repairs: &mut Vec<String>) -> Option<String> {
    if let Ok(t) = OffsetDateTime::parse(s.trim(), &Rfc3339) {
        return Some(crate::tacos::timestamp(t.to_offset(time::UtcOffset::UTC)));
    }
    // Digits of date and time, and an offset if one is written.
    let s = s.trim();
    let (body, offset) = match s.rfind(['+', '-']).filter(|i| *i > 10) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s.trim_end_matches('Z'), "+00:00"),
    };
    let nums: Vec<u32> = body
        .split(|c: char| !c.is_ascii_digit())
        .filter(|x| !x.is_empty())
        .filter_map(|x| x.parse().ok())
        .collect();
    if nums.len() < 3 {
        return None;
    }
    let get = |i: usize| nums.get(i).copied().unwrap_or(0);
    let candidate = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}",
        get(0),
        get(1),
        get(2),
        get(3),
        get(4),
        get(5),
        offset
    );
    let t = OffsetDateTime::parse(&candidate, &Rfc3339).ok()?;
    let fixed = crate::tacos::timestamp(t.to_offset(time::UtcOffset::UTC));
    repairs.push(format!("read the timestamp {s:?} as {fixed}"));
    Some(fixed)
}

fn get_ci<'a>(o: &'a serde_json::Map<String, Value>, key: &str) -> Option<&'a Value> {
    o.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

fn text_of(v: &Value) -> Option<&str> {
    v.as_str().map(str::trim).filter(|s| !s.is_empty())
}

fn is_url(s: &str) -> bool {
    (s.starts_with("https://") || s.starts_with("http://")) && !s.contains(char::is_whitespace)
}

/// One field's value, by its type.
fn value_for(
    field: Field,
    v: &Value,
    report_time: Option<&str>,
    repairs: &mut Vec<String>,
) -> PublishedValue {
    if v.as_str() == Some("NOASSERTION") {
        return PublishedValue::NoAssertion;
    }
    if field.is_tri_state() {
        return attestation(v, field, repairs);
    }
    match field {
        Field::PackageStatus => {
            let (status, when) = match v {
                Value::Object(o) => (
                    get_ci(o, "Status").and_then(text_of),
                    get_ci(o, "LastModifiedDateTimeUTC").and_then(text_of),
                ),
                Value::String(s) => (Some(s.as_str()), None),
                _ => (None, None),
            };
            let status = match status.map(str::to_ascii_lowercase).as_deref() {
                Some("active") => Status::Active,
                Some("inactive") => Status::Inactive,
                Some("deprecated") => Status::Deprecated,
                Some("removed") => Status::Removed,
                Some("eol") => Status::Eol,
                _ => {
                    repairs.push(format!(
                        "PackageStatus: {v} has no known Status; read as NOASSERTION"
                    ));
                    return PublishedValue::NoAssertion;
                }
            };
            let when = when
                .and_then(|w| timestamp(w, repairs))
                .or_else(|| report_time.map(str::to_string));
            match when {
                Some(last_modified) => PublishedValue::Status(PackageStatus {
                    status,
                    last_modified,
                }),
                None => {
                    repairs
                        .push("PackageStatus: no time of validation; read as NOASSERTION".into());
                    PublishedValue::NoAssertion
                }
            }
        }
        Field::IncomeStreams => {
            let items = match v {
                Value::Array(a) => a.clone(),
                Value::Object(_) => vec![v.clone()],
                _ => vec![],
            };
            if items.iter().all(|i| i.as_str() == Some("NOASSERTION")) {
                if !items.is_empty() {
                    repairs.push("IncomeStreams: [\"NOASSERTION\"] read as NOASSERTION".into());
                }
                return PublishedValue::NoAssertion;
            }
            let mut streams = Vec::new();
            for i in items.iter().filter_map(Value::as_object) {
                let kind = match get_ci(i, "Type")
                    .and_then(text_of)
                    .map(str::to_ascii_lowercase)
                    .as_deref()
                {
                    Some("lifted") => IncomeType::Lifted,
                    Some("corporate") => IncomeType::Corporate,
                    Some("foundation") => IncomeType::Foundation,
                    Some("variable") => IncomeType::Variable,
                    Some("none") => IncomeType::None,
                    other => {
                        repairs.push(format!("IncomeStreams: unknown type {other:?} skipped"));
                        continue;
                    }
                };
                let Some(url) = get_ci(i, "EvidenceURL")
                    .and_then(text_of)
                    .filter(|u| is_url(u))
                else {
                    repairs.push("IncomeStreams: an entry without an evidence URL skipped".into());
                    continue;
                };
                let when = get_ci(i, "LastModifiedDateTimeUTC")
                    .and_then(text_of)
                    .and_then(|w| timestamp(w, repairs))
                    .or_else(|| report_time.map(str::to_string));
                let Some(last_modified) = when else { continue };
                streams.push(IncomeStream {
                    kind,
                    evidence_url: url.to_string(),
                    last_modified,
                });
            }
            if streams.is_empty() {
                PublishedValue::NoAssertion
            } else {
                PublishedValue::Income(streams)
            }
        }
        Field::Sbom => {
            let items = match v {
                Value::Array(a) => a.clone(),
                Value::Object(_) => {
                    repairs.push("SBOM: a single object read as a list of one".into());
                    vec![v.clone()]
                }
                _ => vec![],
            };
            let refs: Vec<SbomRef> = items
                .iter()
                .filter_map(Value::as_object)
                .filter_map(|o| {
                    let kind = match get_ci(o, "Type")
                        .and_then(text_of)?
                        .to_ascii_lowercase()
                        .as_str()
                    {
                        "cyclonedx" => SbomType::CycloneDX,
                        "spdx" => SbomType::Spdx,
                        _ => return None,
                    };
                    let url = get_ci(o, "URL")
                        .and_then(text_of)
                        .filter(|u| is_url(u))?
                        .to_string();
                    let signature_url = get_ci(o, "DigitalSignatureURL")
                        .and_then(text_of)
                        .filter(|u| is_url(u))
                        .map(str::to_string);
                    Some(SbomRef {
                        kind,
                        url,
                        signature_url,
                    })
                })
                .collect();
            if refs.is_empty() {
                PublishedValue::NoAssertion
            } else {
                PublishedValue::Sbom(refs)
            }
        }
        Field::SpdxLicenseLatestRelease => {
            match text_of(v).map(license::normalize) {
                Some(Normalized::Spdx { expression, note }) => {
                    if let Some(n) = note {
                        repairs.push(format!("SPDXLicenseLatestRelease: {n}"));
                    }
                    PublishedValue::Text(expression)
                }
                _ => {
                    repairs.push(format!("SPDXLicenseLatestRelease: {v} is not an SPDX expression; read as NOASSERTION"));
                    PublishedValue::NoAssertion
                }
            }
        }
        Field::LatestStableRelease => match text_of(v) {
            Some(s) => PublishedValue::Text(s.to_string()),
            None => PublishedValue::NoAssertion,
        },
        _ => match text_of(v) {
            Some(s) if is_url(s) => PublishedValue::Text(s.to_string()),
            _ => {
                repairs.push(format!("{field}: {v} is not a URL; read as NOASSERTION"));
                PublishedValue::NoAssertion
            }
        },
    }
}

/// Why a statement of a published report is skipped.
#[derive(Debug, thiserror::Error)]
enum Unusable {
    #[error("a statement that is not an object")]
    NotAnObject,
    #[error("a statement without a PURL")]
    NoPurl,
    #[error("PURL {raw:?}: {source}")]
    Purl {
        raw: String,
        #[source]
        source: crate::purl::PurlError,
    },
}

fn statement(
    v: &Value,
    origin: &str,
    report_time: Option<&str>,
) -> Result<PublishedStatement, Unusable> {
    let o = v.as_object().ok_or(Unusable::NotAnObject)?;
    // TACOS v2-shaped statements nest their fields one level down.
    let mut flat: Vec<(&String, &Value)> = Vec::new();
    for (k, val) in o {
        match (field_for(k), val) {
            (None, Value::Object(inner)) => flat.extend(inner.iter()),
            _ => flat.push((k, val)),
        }
    }
    let mut repairs = Vec::new();
    let raw_purl = flat
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("purl"))
        .and_then(|(_, v)| text_of(v))
        .ok_or(Unusable::NoPurl)?;
    let purl = Purl::parse(raw_purl).map_err(|source| Unusable::Purl {
        raw: raw_purl.to_string(),
        source,
    })?;
    let mut fields = Vec::new();
    for (k, val) in flat {
        let Some((field, inverted)) = field_for(k) else {
            continue;
        };
        if matches!(
            field,
            Field::PackageName | Field::PackagePlatform | Field::Purl | Field::ReleasesInUse
        ) {
            continue;
        }
        if k != field.name() && !inverted {
            repairs.push(format!("read {k:?} as {field}"));
        }
        let mut value = value_for(field, val, report_time, &mut repairs);
        if inverted {
            value = match value {
                PublishedValue::Attestation(Attestation::True) => {
                    PublishedValue::Attestation(Attestation::False)
                }
                PublishedValue::Attestation(Attestation::False) => {
                    PublishedValue::Attestation(Attestation::True)
                }
                other => other,
            };
            repairs.push(format!(
                "read {k:?} (the opposite of {field}) as {field} = {}",
                value.display()
            ));
        }
        fields.push((field, value));
    }
    Ok(PublishedStatement {
        purl,
        fields,
        origin: origin.to_string(),
        repairs,
        date: None,
        signature: Signature::Unsigned,
    })
}

/// Read a published report, which may be signed: a DSSE envelope (as this
/// tool writes reports) or a Sigstore bundle holding one. With `key`, a
/// signed report must verify with it or it is refused; without, the
/// evidence says the signature was not checked.
pub fn read_report(
    text: &str,
    origin: &str,
    key: Option<&crate::attest::PublicKey>,
) -> Result<PublishedReport, ReportError> {
    let err = |message: String| ReportError {
        origin: origin.to_string(),
        message,
    };
    let value: Option<Value> = serde_json::from_str(text).ok();
    let envelope = value.as_ref().and_then(|v| {
        let env = v.get("dsseEnvelope").unwrap_or(v);
        (env.get("payloadType").is_some() && env.get("signatures").is_some()).then_some(env)
    });
    let Some(env) = envelope else {
        return parse_report(text, origin);
    };
    let envelope: crate::attest::dsse::Envelope =
        serde_json::from_value(env.clone()).map_err(|e| {
            err(format!(
                "a signed report whose envelope cannot be read: {e}"
            ))
        })?;
    let (payload, signature) = match key {
        Some(k) => (
            envelope.verify(k).map_err(|e| {
                err(format!(
                    "the report's signature does not verify with the configured key: {e}"
                ))
            })?,
            Signature::Verified(k.key_id().chars().take(16).collect()),
        ),
        None => (
            envelope.payload_bytes().map_err(|e| {
                err(format!(
                    "the signed report's payload cannot be decoded: {e}"
                ))
            })?,
            Signature::NotChecked,
        ),
    };
    let payload: Value = serde_json::from_slice(&payload)
        .map_err(|e| err(format!("the signed report's payload is not JSON: {e}")))?;
    // An in-toto Statement carries the report as its predicate.
    let inner = match payload.get("predicate") {
        Some(p) if payload.get("_type").is_some() => p.clone(),
        _ => payload,
    };
    let mut report = parse_report(&inner.to_string(), origin)?;
    for s in &mut report.statements {
        s.signature = signature.clone();
    }
    Ok(report)
}

pub fn parse_report(text: &str, origin: &str) -> Result<PublishedReport, ReportError> {
    let err = |message: String| ReportError {
        origin: origin.to_string(),
        message,
    };
    let mut report = PublishedReport::default();
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(_) => {
            let repaired = repair_commas(text, &mut report.repairs);
            serde_json::from_str(&repaired)
                .map_err(|e| err(format!("not JSON, even after repairs: {e}")))?
        }
    };
    let (meta, list) = match &value {
        Value::Array(a) => (None, a.clone()),
        Value::Object(o) => match get_ci(o, "statements") {
            Some(Value::Array(a)) => (Some(o), a.clone()),
            _ if o.keys().any(|k| k.eq_ignore_ascii_case("purl")) => (None, vec![value.clone()]),
            _ => return Err(err("no statements".into())),
        },
        _ => return Err(err("not a TACOS report".into())),
    };
    if let Some(m) = meta {
        report.author = get_ci(m, "author").and_then(text_of).map(str::to_string);
        report.application = get_ci(m, "application")
            .and_then(text_of)
            .map(str::to_string);
        let when = get_ci(m, "LastModifiedDateTimeUTC")
            .or_else(|| get_ci(m, "timestamp"))
            .and_then(text_of);
        report.last_modified = when.and_then(|w| timestamp(w, &mut report.repairs));
    }
    let who = format!(
        "{origin} (author {}, {})",
        report.author.as_deref().unwrap_or("unknown"),
        report.last_modified.as_deref().unwrap_or("undated")
    );
    let date = report
        .last_modified
        .as_deref()
        .and_then(|d| OffsetDateTime::parse(d, &Rfc3339).ok());
    for (i, s) in list.iter().enumerate() {
        match statement(s, &who, report.last_modified.as_deref()) {
            Ok(mut st) => {
                st.repairs.splice(0..0, report.repairs.iter().cloned());
                st.date = date;
                report.statements.push(st);
            }
            Err(e) => report.skipped.push(format!("statement {}: {e}", i + 1)),
        }
    }
    if report.statements.is_empty() {
        return Err(err(format!(
            "no usable statements ({})",
            report.skipped.join("; ")
        )));
    }
    Ok(report)
}

/// Every report in a directory (`*.json`, not recursive), or one file.
pub fn load_dir_or_file(
    path: &Path,
    key: Option<&crate::attest::PublicKey>,
) -> (Vec<PublishedReport>, Vec<ReportError>) {
    let in_dir = path.is_dir();
    let files: Vec<std::path::PathBuf> = if in_dir {
        let mut v: Vec<_> = std::fs::read_dir(path)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
            .collect();
        v.sort();
        v
    } else {
        vec![path.to_path_buf()]
    };
    let mut reports = Vec::new();
    let mut errors = Vec::new();
    for f in files {
        let origin = f.display().to_string();
        match std::fs::metadata(&f) {
            Ok(m) if m.len() > 64 << 20 => {
                errors.push(ReportError {
                    origin,
                    message: "larger than 64 MiB".into(),
                });
                continue;
            }
            Err(e) => {
                errors.push(ReportError {
                    origin,
                    message: e.to_string(),
                });
                continue;
            }
            _ => {}
        }
        // Found in a directory: a regular file, never a pipe waited on. A
        // file the user named may be a pipe on purpose.
        let read = match in_dir {
            true => crate::fsutil::read_regular(&f, 64 << 20),
            false => std::fs::read(&f),
        };
        match read {
            Ok(b) => match read_report(&String::from_utf8_lossy(&b), &origin, key) {
                Ok(r) => reports.push(r),
                Err(e) => errors.push(e),
            },
            Err(e) => errors.push(ReportError {
                origin,
                message: e.to_string(),
            }),
        }
    }
    (reports, errors)
}

pub fn tidelift_report_path(org: &str, project: &str) -> String {
    // Tidelift's path segments: everything but letters, digits, `-`, `_`
    // and `.` escaped (`~` too, unlike RFC 3986's unreserved set).
    let enc = |s: &str| {
        crate::percent::encode(s, |c| {
            !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        })
    };
    format!(
        "/external-api/v1/{}/projects/{}/attestation-report",
        enc(org),
        enc(project)
    )
}

/// Published statements by package; a statement whose PURL has no version
/// applies to every version.
#[derive(Debug, Default)]
pub struct ReportIndex {
    by_package: HashMap<String, Vec<PublishedStatement>>,
}

impl ReportIndex {
    pub fn new(reports: Vec<PublishedReport>) -> ReportIndex {
        let mut by_package: HashMap<String, Vec<PublishedStatement>> = HashMap::new();
        for r in reports {
            for s in r.statements {
                by_package.entry(s.purl.package_id()).or_default().push(s);
            }
        }
        ReportIndex { by_package }
    }

    pub fn is_empty(&self) -> bool {
        self.by_package.is_empty()
    }

    pub fn find(&self, purl: &Purl) -> Vec<&PublishedStatement> {
        self.by_package
            .get(&purl.package_id())
            .into_iter()
            .flatten()
            .filter(|s| s.purl.version().is_none() || s.purl.version() == purl.version())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shaped like the v1.1 example in the framework's examples repository:
    /// a missing comma after the timestamp, a trailing comma, casing drift.
    const SLOPPY: &str = r#"{
      "@id": "https://github.com/tacosframework/",
      "location": "document URL",
      "Signature": {"type": "sha256", "digest": "78ab8"},
      "author": "Firstname Lastname",
      "role": "Attestor",
      "LastModifiedDateTimeUTC": "2022-03-23T05:35.37:00+04:00"
      "TACOSversion": "1.1",
      "application": "HelloWorld",
      "statements": [
        {
          "PackageName": "lodash",
          "PURL": "pkg:npm/lodash",
          "ReleasesInUse": ["4.17.20, 4.17.21"],
          "PackageManagerMFAEnabled": "True",
          "sourceRepoMFAEnabled": "true",
          "DocumentedBuildPractices": true,
          "SuccessionPlan": "Yes",
          "BinariesInRepository": "False",
          "SDLCPolicyURL": "not a url",
          "PackageStatus": {"status": "Active", "LastModifiedDateTimeUTC": "2022-03-23T05:35:37Z"},
          "IncomeStreams": ["NOASSERTION"],
          "SBOM": {"Type": "cycloneDX", "URL": "https://example.invalid/sbom.xml"},
        },
        {"PackageName": "no purl"}
      ]
    }"#;

    fn value(s: &PublishedStatement, f: Field) -> PublishedValue {
        s.fields
            .iter()
            .find(|(x, _)| *x == f)
            .map(|(_, v)| v.clone())
            .unwrap()
    }

    #[test]
    fn reads_sloppy_reports_and_records_every_repair() {
        let r = parse_report(SLOPPY, "r.json").unwrap();
        assert_eq!(r.last_modified.as_deref(), Some("2022-03-23T01:35:37Z"));
        assert!(r.repairs.iter().any(|x| x.contains("missing comma")));
        assert!(r.repairs.iter().any(|x| x.contains("trailing comma")));
        assert_eq!(r.skipped.len(), 1);
        let s = &r.statements[0];
        assert_eq!(s.purl.to_string(), "pkg:npm/lodash");
        assert_eq!(
            value(s, Field::PackageManagerMfaEnabled),
            PublishedValue::Attestation(Attestation::True)
        );
        assert_eq!(
            value(s, Field::SourceRepoMfaEnabled),
            PublishedValue::Attestation(Attestation::True)
        );
        assert_eq!(
            value(s, Field::DocumentedBuildPractices),
            PublishedValue::Attestation(Attestation::True)
        );
        // Never a guessed True.
        assert_eq!(
            value(s, Field::SuccessionPlan),
            PublishedValue::Attestation(Attestation::NoAssertion)
        );
        assert_eq!(
            value(s, Field::NoBinariesInRepository),
            PublishedValue::Attestation(Attestation::True)
        );
        assert_eq!(value(s, Field::SdlcPolicyUrl), PublishedValue::NoAssertion);
        assert!(matches!(
            value(s, Field::PackageStatus),
            PublishedValue::Status(PackageStatus {
                status: Status::Active,
                ..
            })
        ));
        assert_eq!(value(s, Field::IncomeStreams), PublishedValue::NoAssertion);
        assert!(matches!(value(s, Field::Sbom), PublishedValue::Sbom(ref v) if v.len() == 1));
        assert!(
            s.repairs
                .iter()
                .any(|x| x.contains("\"True \"") || x.contains("Yes"))
        );
    }

    #[test]
    fn garbage_values_are_never_true() {
        for bad in [
            r#""Yes""#,
            r#""1""#,
            r#""True ""#,
            "1",
            r#"["True"]"#,
            r#"{"v": "True"}"#,
        ] {
            let text = format!(r#"[{{"PURL": "pkg:npm/x@1", "FuzzingPractice": {bad}}}]"#);
            let r = parse_report(&text, "t").unwrap();
            assert_eq!(
                value(&r.statements[0], Field::FuzzingPractice),
                PublishedValue::Attestation(Attestation::NoAssertion),
                "{bad}"
            );
        }
    }

    #[test]
    fn v2_shaped_statements_flatten_and_index_by_package() {
        let text = r#"{"statements": [{"PURL": "pkg:pypi/Jinja2", "attestations": {"SuccessionPlan": "True"}}]}"#;
        let r = parse_report(text, "v2.json").unwrap();
        let idx = ReportIndex::new(vec![r]);
        let found = idx.find(&Purl::parse("pkg:pypi/jinja2@2.11.2").unwrap());
        assert_eq!(found.len(), 1);
        assert_eq!(
            value(found[0], Field::SuccessionPlan),
            PublishedValue::Attestation(Attestation::True)
        );
        assert!(parse_report("not json at all", "x").is_err());
        assert_eq!(
            tidelift_report_path("my org", "p/1"),
            "/external-api/v1/my%20org/projects/p%2F1/attestation-report"
        );
    }
}
