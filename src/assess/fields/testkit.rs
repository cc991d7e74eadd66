//! Small builders for the facts the rules read, so that each test states
//! only what it is about, and the outcome each rule's tables compare.

use std::collections::HashMap;

use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use super::releases::{Latest, latest_stable};
use super::{Checked, Graph, Graphs};
use crate::assess::resolve::{Node, Resolved};
use crate::assess::verdict::Decided;
use crate::purl::Ecosystem;
use crate::sources::model::{
    DepsDevVersion, Flag, RegistryPackage, Release, Scorecard, ScorecardCheck, Vulnerability,
};
use crate::sources::{Coverage, Found, Lookup};
use crate::tacos::{Asserted, Attestation, IncomeStream, PackageStatus, ReasonCode};

/// The clock of every test.
pub const NOW: OffsetDateTime = datetime!(2026-11-23 00:00 UTC);

/// A complete, well-formed, current answer from `source`.
pub fn complete<T>(value: T, source: &str) -> Lookup<T> {
    Lookup::Found(Found::complete(
        value,
        source,
        "https://source.example/answer",
        NOW,
    ))
}

/// The answer `l` holds, short of complete in `coverage`.
pub fn with_coverage<T: Clone>(l: &Lookup<T>, coverage: Coverage) -> Lookup<T> {
    let Lookup::Found(f) = l else {
        panic!("only an answer can be partial or stale");
    };
    let mut f = f.clone();
    if matches!(coverage, Coverage::Stale(_)) {
        f.as_of = NOW - Duration::days(400);
    }
    f.coverage = coverage;
    Lookup::Found(f)
}

/// The same answer in each way evidence falls short of closed-world: a
/// partial database, a leniently repaired answer, a capped list, an old
/// one. None of them may yield a True or a value.
pub fn degraded<T: Clone>(l: &Lookup<T>) -> Vec<(&'static str, Lookup<T>)> {
    [
        (
            "partial",
            Coverage::Partial("the offline database holds no npm records".into()),
        ),
        (
            "repaired",
            Coverage::Partial("repaired: a trailing comma removed".into()),
        ),
        (
            "capped",
            Coverage::Partial("the list stops at 100 entries".into()),
        ),
        ("stale", Coverage::Stale("400 days old".into())),
    ]
    .into_iter()
    .map(|(name, c)| (name, with_coverage(l, c)))
    .collect()
}

/// Every answer that holds no value, with the reason code each must give.
pub fn failures<T>(source: &str) -> Vec<(Lookup<T>, ReasonCode)> {
    vec![
        (
            Lookup::NotFound {
                source: source.into(),
                url: "https://source.example/answer".into(),
                at: NOW,
            },
            ReasonCode::NoData,
        ),
        (
            Lookup::Malformed {
                source: source.into(),
                url: "https://source.example/answer".into(),
                reason: "`versions` is a string, not an object".into(),
            },
            ReasonCode::MalformedAnswer,
        ),
        (
            Lookup::Unavailable {
                source: source.into(),
                reason: "connection refused".into(),
            },
            ReasonCode::SourceUnavailable,
        ),
        (
            Lookup::NotApplicable {
                source: source.into(),
                why: "it does not cover this ecosystem".into(),
            },
            ReasonCode::NotApplicable,
        ),
    ]
}

// ---- releases -------------------------------------------------------------

/// A stable release published 30 days ago, known to be neither yanked nor
/// deprecated.
pub fn release(version: &str) -> Release {
    Release {
        version: version.into(),
        published: Some(NOW - Duration::days(30)),
        yanked: Flag::No,
        deprecated: Flag::No,
        ..Release::default()
    }
}

pub fn package(releases: Vec<Release>) -> RegistryPackage {
    RegistryPackage {
        name: "pkg".into(),
        releases,
        times_trustworthy: true,
        ..RegistryPackage::default()
    }
}

/// A complete registry answer listing `releases`.
pub fn registry(releases: Vec<Release>) -> Lookup<RegistryPackage> {
    complete(package(releases), "npm")
}

/// A complete registry answer listing one release of each version.
pub fn registry_of(versions: &[&str]) -> Lookup<RegistryPackage> {
    registry(versions.iter().map(|v| release(v)).collect())
}

/// The latest stable release, established: `version` on a complete answer.
pub fn established(version: &str) -> Latest {
    latest_stable(&registry_of(&[version]), Ecosystem::Npm)
}

/// `version` is the newest stable release listed, but whether it is
/// deprecated is unknown, so it is not established.
pub fn unestablished(version: &str) -> Latest {
    let r = Release {
        deprecated: Flag::Unknown,
        ..release(version)
    };
    let latest = latest_stable(&registry(vec![r]), Ecosystem::Npm);
    assert!(latest.closed.is_err());
    latest
}

/// No latest stable release is known (the registry does not know the package).
pub fn no_latest() -> Latest {
    let (unknown, _) = failures::<RegistryPackage>("npm").remove(0);
    latest_stable(&unknown, Ecosystem::Npm)
}

pub fn depsdev(version: &str) -> DepsDevVersion {
    DepsDevVersion {
        version: version.into(),
        ..DepsDevVersion::default()
    }
}

// ---- vulnerabilities and graphs -------------------------------------------

pub fn vuln(id: &str) -> Vulnerability {
    Vulnerability {
        id: id.into(),
        aliases: vec![],
        summary: None,
        fixed_in: vec![],
        withdrawn: false,
    }
}

pub fn withdrawn(id: &str) -> Vulnerability {
    Vulnerability {
        withdrawn: true,
        ..vuln(id)
    }
}

/// OSV's complete answer for one version.
pub fn osv(vulns: Vec<Vulnerability>) -> Lookup<Vec<Vulnerability>> {
    complete(vulns, "OSV")
}

pub fn checked(pairs: Vec<(&str, Lookup<Vec<Vulnerability>>)>) -> Checked {
    pairs.into_iter().map(|(v, l)| (v.to_string(), l)).collect()
}

/// A package the install pulls in (`name@version`), known not deprecated.
pub fn node(spec: &str) -> Node {
    let (name, version) = spec.split_once('@').expect("name@version");
    Node {
        name: name.into(),
        version: version.into(),
        deprecated: Flag::No,
        via: "pkg@1.0.0".into(),
    }
}

/// A whole resolved graph, each node with what OSV says of it.
pub fn graph(nodes: Vec<(Node, Lookup<Vec<Vulnerability>>)>) -> Graph {
    let (nodes, vulns) = nodes.into_iter().unzip();
    Graph {
        resolved: Resolved {
            method: "resolved by npm's rules".into(),
            nodes,
            gaps: vec![],
            removed: vec![],
        },
        vulns,
    }
}

pub fn graphs(pairs: Vec<(&str, Graph)>) -> Graphs {
    pairs
        .into_iter()
        .map(|(v, g)| (v.to_string(), g))
        .collect::<HashMap<_, _>>()
}

// ---- Scorecard --------------------------------------------------------------

/// Scorecard's complete answer for github.com/o/r with these checks.
pub fn scorecard(checks: &[(&str, i32)]) -> Lookup<Scorecard> {
    complete(scorecard_for("github.com/o/r", checks), "OpenSSF Scorecard")
}

pub fn scorecard_for(repository: &str, checks: &[(&str, i32)]) -> Scorecard {
    Scorecard {
        repository: repository.into(),
        date: NOW - Duration::days(3),
        score: None,
        checks: checks
            .iter()
            .map(|(name, score)| ScorecardCheck {
                name: (*name).into(),
                score: *score,
                reason: None,
            })
            .collect(),
    }
}

// ---- outcomes ---------------------------------------------------------------

/// A decided value, as the tables write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Is {
    True,
    False,
    NoAssertion,
    Value(String),
}

pub fn value(v: &str) -> Is {
    Is::Value(v.into())
}

/// Whether `is` asserts something: a True, or a value other than an adverse
/// status. These need closed-world evidence.
pub fn asserts(is: &Is) -> bool {
    match is {
        Is::True => true,
        Is::Value(v) => !["Deprecated", "Removed", "Inactive", "Eol"].contains(&v.as_str()),
        Is::False | Is::NoAssertion => false,
    }
}

pub trait Shown {
    fn shown(&self) -> Is;
}

impl Shown for Attestation {
    fn shown(&self) -> Is {
        match self {
            Attestation::True => Is::True,
            Attestation::False => Is::False,
            Attestation::NoAssertion => Is::NoAssertion,
        }
    }
}

/// How a metadata value reads in the tables.
pub trait Word {
    fn word(&self) -> String;
}

impl Word for String {
    fn word(&self) -> String {
        self.clone()
    }
}

impl Word for PackageStatus {
    fn word(&self) -> String {
        format!("{:?}", self.status)
    }
}

impl Word for Vec<IncomeStream> {
    fn word(&self) -> String {
        self.iter()
            .map(|s| format!("{:?} {}", s.kind, s.evidence_url))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl<T: Word> Shown for Asserted<T> {
    fn shown(&self) -> Is {
        match self {
            Asserted::Value(v) => Is::Value(v.word()),
            Asserted::NoAssertion => Is::NoAssertion,
        }
    }
}

/// The value and reason code a rule decided.
pub fn outcome<T: Shown>(d: &Decided<T>) -> (Is, ReasonCode) {
    (d.value().shown(), d.evidence().code)
}

/// Check one table row: the value, the code, and that the reason says what
/// it should.
#[track_caller]
pub fn expect<T: Shown>(case: &str, d: &Decided<T>, is: Is, code: ReasonCode, says: &str) {
    assert_eq!(
        outcome(d),
        (is, code),
        "{case}: reason {:?}",
        d.evidence().reason
    );
    assert!(
        d.evidence().reason.contains(says),
        "{case}: the reason {:?} does not say {says:?}",
        d.evidence().reason
    );
}

/// Check that evidence short of closed-world gave no assertion: the field
/// is NOASSERTION with IncompleteEvidence, and the reason names why.
#[track_caller]
pub fn expect_incomplete<T: Shown>(case: &str, d: &Decided<T>, why: &str) {
    let (is, _) = outcome(d);
    assert!(
        !asserts(&is),
        "{case}: {is:?} on evidence that is not closed-world: {:?}",
        d.evidence().reason
    );
    expect(
        case,
        d,
        Is::NoAssertion,
        ReasonCode::IncompleteEvidence,
        why,
    );
}
