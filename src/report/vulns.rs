//! The application's view of known vulnerabilities: each one the
//! assessment found in a version in use (FixedVulnerabilities' evidence),
//! and what VEX statements say of it in this application.
//!
//! This is the application's view only: the signed statement about each
//! package (reused across applications) is not changed by what an SBOM's
//! author says. A closing statement (`not_affected`, `false_positive`,
//! `fixed`, `resolved`) about exactly this component takes the finding out
//! of the policy's failures and is shown with its justification, author
//! and time; any other leaves it open.

use serde::Serialize;
use serde_json::Value;

use crate::purl::Purl;
use crate::tacos::{Field, Statement};
use crate::vex::Vex;

/// One known vulnerability in one version in use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KnownVulnerability {
    /// The package in use, with its version.
    pub purl: String,
    pub package: String,
    /// The id the assessment knows it by (OSV's), and its aliases.
    pub id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Whether it still counts against the application.
    pub open: bool,
    /// What the VEX statement that stands says, when one does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vex: Option<VexApplied>,
}

/// A VEX statement as applied to one finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VexApplied {
    /// As the document wrote it (`not_affected`, `in_triage`...).
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// The file and statement it came from.
    pub origin: String,
    /// Equally late statements that disagree (the finding stays open).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflict: Option<String>,
}

/// What the assessment knows of the vulnerabilities of a version in use.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InUse {
    /// Each one found, with its aliases.
    pub found: Vec<(String, Vec<String>)>,
    /// Why `found` may not be all there are (no answer, a partial or
    /// stale one): then "none found" proves nothing.
    pub incomplete: Option<String>,
}

/// The vulnerabilities known in the version of `s` in use, with their
/// aliases: the field's evidence names them for the latest release, and
/// under `inUse` for another version in use; and whether that list is the
/// whole world.
pub fn in_use(s: &Statement) -> InUse {
    let unknown = |why: &str| InUse {
        found: Vec::new(),
        incomplete: Some(why.to_string()),
    };
    let Some(evidence) = s.evidence.get(&Field::FixedVulnerabilities) else {
        return unknown("its vulnerabilities were not assessed");
    };
    let Some(version) = Purl::parse(&s.purl)
        .ok()
        .and_then(|p| p.version().map(str::to_string))
    else {
        return unknown("its PURL names no version");
    };
    let observed = evidence.observed.as_ref();
    // The version in use is the latest when there is no note about it.
    let (note, latest) = match observed.and_then(|o| o.get("inUse")) {
        Some(u) => (u, false),
        None => match observed {
            Some(o) if o.get("version").and_then(Value::as_str) == Some(&version) => (o, true),
            _ => return unknown(&evidence.reason),
        },
    };
    if note.get("version").and_then(Value::as_str) != Some(&version) {
        return unknown(&evidence.reason);
    }
    if let Some(why) = note.get("unknown").and_then(Value::as_str) {
        return unknown(why);
    }
    let Some(ids) = note.get("vulnerabilities").and_then(Value::as_array) else {
        return unknown(&evidence.reason);
    };
    let found = ids
        .iter()
        .filter_map(Value::as_str)
        .map(|id| {
            let aliases = note
                .pointer(&format!(
                    "/aliases/{}",
                    id.replace('~', "~0").replace('/', "~1")
                ))
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            (id.to_string(), aliases)
        })
        .collect();
    // The latest release's list is whole when the field is decided from a
    // closed answer; a note says when it is not.
    let incomplete = note
        .get("incomplete")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| {
            (latest && evidence.code == crate::tacos::ReasonCode::IncompleteEvidence)
                .then(|| evidence.reason.clone())
        });
    InUse { found, incomplete }
}

/// A version in use whose vulnerabilities are not all known, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotKnown {
    pub purl: String,
    pub package: String,
    pub why: String,
}

/// The versions in use whose list of vulnerabilities is not the whole
/// world: no finding of theirs can be called the last one.
pub fn not_known(statements: &[Statement]) -> Vec<NotKnown> {
    statements
        .iter()
        .filter_map(|s| {
            in_use(s).incomplete.map(|why| NotKnown {
                purl: s.purl.clone(),
                package: s.package_name.clone(),
                why,
            })
        })
        .collect()
}

/// Every known vulnerability in a version in use, in statement order, and
/// what `vex` says of each in this application.
pub fn known(statements: &[Statement], vex: &Vex) -> Vec<KnownVulnerability> {
    let mut out = Vec::new();
    for s in statements {
        let Ok(component) = Purl::parse(&s.purl) else {
            continue;
        };
        for (id, aliases) in in_use(s).found {
            let mut names = vec![id.clone()];
            names.extend(aliases.iter().cloned());
            let decision = vex.decide(&component, &names);
            out.push(KnownVulnerability {
                purl: s.purl.clone(),
                package: s.package_name.clone(),
                open: !decision.as_ref().is_some_and(|d| d.closes()),
                vex: decision.map(|d| VexApplied {
                    status: d.statement.status.as_str().to_string(),
                    justification: d.statement.justification.clone(),
                    detail: d.statement.detail.clone(),
                    author: d.statement.author.clone(),
                    time: d.statement.time.map(crate::tacos::timestamp),
                    origin: d.statement.origin.clone(),
                    conflict: d.conflict,
                }),
                id,
                aliases,
            });
        }
    }
    out
}

/// How a finding's VEX reads in one line: `not_affected
/// (code_not_reachable): detail — author, time; FILE statements[0]`.
pub fn describe(v: &VexApplied) -> String {
    let mut out = v.status.clone();
    if let Some(j) = &v.justification {
        out.push_str(&format!(" ({j})"));
    }
    if let Some(d) = &v.detail {
        out.push_str(&format!(": {d}"));
    }
    let who: Vec<&str> = [v.author.as_deref(), v.time.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    if !who.is_empty() {
        out.push_str(&format!(" — {}", who.join(", ")));
    }
    out.push_str(&format!("; {}", v.origin));
    if let Some(c) = &v.conflict {
        out.push_str(&format!("; left open: {c}"));
    }
    out
}

/// [`read_vex`] for `report`: when nothing depends on them (no `--vex`
/// documents, no policy gating on vulnerabilities), the SBOM's own
/// analyses that break their spec are left out with a note instead of
/// refusing the whole report; otherwise they are read strictly.
pub fn read_report_vex(
    sbom_name: &str,
    sbom_text: Option<&str>,
    files: &[std::path::PathBuf],
    gated: bool,
) -> Result<Vex, crate::vex::VexError> {
    match read_vex(sbom_name, sbom_text, files) {
        Err(e) if files.is_empty() && !gated => Ok(Vex::new(
            Vec::new(),
            vec![format!(
                "{e}; the SBOM's own vulnerability analyses are not applied"
            )],
        )),
        read => read,
    }
}

/// The VEX statements of one application: the SBOM's own CycloneDX
/// analyses (`sbom_text`, when it is CycloneDX JSON; `sbom_name` names it)
/// and each document in `files`, whose CycloneDX references may point into
/// the SBOM by BOM-Link (`urn:cdx:SERIAL/VERSION#bom-ref`).
pub fn read_vex(
    sbom_name: &str,
    sbom_text: Option<&str>,
    files: &[std::path::PathBuf],
) -> Result<Vex, crate::vex::VexError> {
    let mut vex = Vex::default();
    // CycloneDX JSON as it is; CycloneDX XML read into the same shape.
    let sbom: Option<Value> = sbom_text.and_then(|t| {
        serde_json::from_str::<Value>(t)
            .ok()
            .filter(|v| v.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX"))
            .or_else(|| {
                crate::sbom::Sbom::from_bytes(
                    std::path::Path::new(sbom_name),
                    t.as_bytes().to_vec(),
                )
                .ok()
                .and_then(|s| s.cyclonedx_xml_vex())
            })
    });
    let refs = sbom.as_ref().map(crate::vex::bom_refs).unwrap_or_default();
    if let Some(doc) = &sbom {
        let (statements, notes) = crate::vex::cyclonedx(sbom_name, doc, &|r| refs.get(r).cloned())?;
        vex.add(statements, notes);
    }
    let serial = sbom
        .as_ref()
        .and_then(|d| d.get("serialNumber"))
        .and_then(Value::as_str)
        .map(|s| s.trim_start_matches("urn:uuid:").to_ascii_lowercase());
    let version = sbom
        .as_ref()
        .and_then(|d| d.get("version"))
        .and_then(Value::as_u64);
    // A BOM-Link names this SBOM by serial number and version, then a
    // bom-ref in it (percent-encoded).
    let bom_link = |r: &str| -> Option<String> {
        let rest = r.strip_prefix("urn:cdx:")?;
        let (doc, bom_ref) = rest.split_once('#')?;
        let (uuid, ver) = doc.rsplit_once('/')?;
        if Some(uuid.to_ascii_lowercase()) != serial || ver.parse::<u64>().ok() != version {
            return None;
        }
        refs.get(&crate::percent::decode(bom_ref)).cloned()
    };
    for f in files {
        let (statements, notes) = crate::vex::read_file(f, &bom_link)?;
        vex.add(statements, notes);
    }
    Ok(vex)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tacos::{Evidence, ReasonCode};
    use serde_json::json;

    fn statement(code: ReasonCode, observed: Option<Value>) -> Statement {
        let purl = Purl::parse("pkg:npm/a@1.0.0").unwrap();
        let mut s = crate::assess::identity(&purl, vec![], &crate::assess::not_assessed());
        let mut e = Evidence::new("OSV", code, "the reason");
        e.observed = observed;
        s.evidence.insert(Field::FixedVulnerabilities, e);
        s
    }

    /// "None found" counts as none only from a whole answer: a partial one
    /// (the note says so), an undecided field, a note about no answer, or
    /// no evidence at all leave the list incomplete, with why.
    #[test]
    fn a_list_is_whole_only_when_its_answer_was() {
        let whole = statement(
            ReasonCode::Observed,
            Some(json!({"version": "1.0.0", "vulnerabilities": []})),
        );
        assert_eq!(in_use(&whole), InUse::default());
        let partial_in_use = statement(
            ReasonCode::Observed,
            Some(json!({"version": "2.0.0", "vulnerabilities": [],
                        "inUse": {"version": "1.0.0", "vulnerabilities": [], "fixedIn": [],
                                  "incomplete": "OSV's answer is incomplete: capped"}})),
        );
        assert_eq!(
            in_use(&partial_in_use).incomplete.as_deref(),
            Some("OSV's answer is incomplete: capped")
        );
        let partial_latest = statement(
            ReasonCode::IncompleteEvidence,
            Some(json!({"version": "1.0.0", "vulnerabilities": []})),
        );
        assert_eq!(
            in_use(&partial_latest).incomplete.as_deref(),
            Some("the reason")
        );
        let unanswered = statement(
            ReasonCode::Observed,
            Some(json!({"version": "2.0.0", "vulnerabilities": [],
                        "inUse": {"version": "1.0.0", "unknown": "OSV unavailable"}})),
        );
        assert_eq!(
            in_use(&unanswered).incomplete.as_deref(),
            Some("OSV unavailable")
        );
        let missing = statement(ReasonCode::SourceUnavailable, None);
        assert_eq!(in_use(&missing).incomplete.as_deref(), Some("the reason"));
        // Found ones are kept, with their aliases, even from a partial list.
        let found = statement(
            ReasonCode::Observed,
            Some(json!({"version": "1.0.0", "vulnerabilities": ["GHSA-1"],
                        "aliases": {"GHSA-1": ["CVE-1"]}, "incomplete": "stale"})),
        );
        let f = in_use(&found);
        assert_eq!(f.found, [("GHSA-1".to_string(), vec!["CVE-1".to_string()])]);
        assert_eq!(f.incomplete.as_deref(), Some("stale"));
    }
}
