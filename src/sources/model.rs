//! What sources say, normalized across services. Parsers produce these from
//! recorded or live responses; the assessor reads them. A field a source did
//! not send is `None`/`Unknown`: never "zero", "empty" or "false" (mirrors
//! strip maintainers, deprecation notices and real publish times).

use time::OffsetDateTime;

/// A yes/no fact that a source may not have told us.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Flag {
    Yes(String),
    No,
    #[default]
    Unknown,
}

impl Flag {
    pub fn is_yes(&self) -> bool {
        matches!(self, Flag::Yes(_))
    }
}

/// A declared dependency of one release, with what its ecosystem's resolver
/// needs to decide whether and how a default install pulls it in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    /// The dependency's name as its registry spells it (Cargo: the real
    /// package name, not the key it is renamed to).
    pub name: String,
    /// The version requirement as written (`^1.2.3`, `>=2,<3`,
    /// `npm:other@^1`, a PEP 508 specifier, ...).
    pub requirement: String,
    pub kind: DependencyKind,
    /// When it applies: a PEP 508 environment marker (PyPI) or a target
    /// `cfg(...)`/triple (Cargo), as written.
    pub condition: Option<String>,
    /// PyPI: the extras asked of the dependency. Cargo: the features enabled
    /// on it.
    pub features: Vec<String>,
    /// Cargo: whether the dependency's default features are on.
    pub default_features: bool,
    /// Cargo: the key the dependent names it by (features refer to that).
    pub alias: Option<String>,
}

impl Dependency {
    pub fn new(
        name: impl Into<String>,
        requirement: impl Into<String>,
        kind: DependencyKind,
    ) -> Dependency {
        Dependency {
            name: name.into(),
            requirement: requirement.into(),
            kind,
            condition: None,
            features: Vec::new(),
            default_features: true,
            alias: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DependencyKind {
    /// Installed with the package.
    Normal,
    /// npm `optionalDependencies` (installed when they can be); Cargo
    /// optional dependencies (only when a feature enables them); PyPI
    /// requirements behind an extra.
    Optional,
    /// npm `peerDependencies` (installed by default since npm 7).
    Peer,
    /// npm peer dependencies marked optional in `peerDependenciesMeta`.
    PeerOptional,
    Dev,
    Build,
}

/// Who can publish a package.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Maintainers {
    /// Accounts, as the registry lists them (each once: a parser refuses
    /// a list that names an account twice).
    pub accounts: Vec<Account>,
    /// An organisation or team that can publish (PyPI organisation, a GitHub
    /// team among a crate's owners): its members are people the list does
    /// not show.
    pub organisation: Option<String>,
}

/// One account that can publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The account's name on the registry.
    pub name: String,
    /// The address the registry shows for it, where it shows one (npm).
    pub email: Option<String>,
}

impl Account {
    pub fn named(name: impl Into<String>) -> Account {
        Account {
            name: name.into(),
            email: None,
        }
    }
}

impl Maintainers {
    /// The accounts' names, as listed.
    pub fn names(&self) -> Vec<&str> {
        self.accounts.iter().map(|a| a.name.as_str()).collect()
    }

    /// One name per person: accounts that share a name (compared
    /// case-insensitively) or an address are one person, however many
    /// accounts they are listed as. People are counted, not names.
    pub fn people(&self) -> Vec<&str> {
        use std::collections::HashMap;
        let key = |s: &str| s.trim().to_lowercase();
        // Which person each account is: the lowest index it is linked to,
        // directly or through others (a union-find, so that a long list
        // takes linear time).
        let mut person: Vec<usize> = (0..self.accounts.len()).collect();
        fn root(person: &mut [usize], mut i: usize) -> usize {
            while person[i] != i {
                person[i] = person[person[i]];
                i = person[i];
            }
            i
        }
        let mut first: HashMap<(bool, String), usize> = HashMap::new();
        for (i, a) in self.accounts.iter().enumerate() {
            let keys = std::iter::once((false, key(&a.name))).chain(
                a.email
                    .as_deref()
                    .map(key)
                    .filter(|e| !e.is_empty())
                    .map(|e| (true, e)),
            );
            for k in keys {
                let j = *first.entry(k).or_insert(i);
                let (ri, rj) = (root(&mut person, i), root(&mut person, j));
                person[ri.max(rj)] = ri.min(rj);
            }
        }
        (0..self.accounts.len())
            .filter(|&i| root(&mut person, i) == i && !self.accounts[i].name.trim().is_empty())
            .map(|i| self.accounts[i].name.trim())
            .collect()
    }
}

/// A funding declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Funding {
    /// `github`, `opencollective`, `tidelift`, `patreon`, `individual`, ... as declared, lowercased.
    pub kind: Option<String>,
    pub url: String,
}

/// One release as a registry describes it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Release {
    pub version: String,
    /// When it was published; `None` when the source has no trustworthy time
    /// (mirrors replace publish times with their own ingest times).
    pub published: Option<OffsetDateTime>,
    pub yanked: Flag,
    pub deprecated: Flag,
    /// License as the release declares it, verbatim (not yet normalized).
    pub license: Option<String>,
    pub repository: Option<String>,
    /// `None` when the source did not list dependencies, or listed them in
    /// a form that cannot be read (unknown is never "none").
    pub dependencies: Option<Vec<Dependency>>,
    /// Cargo features: name to what it enables (`dep:x`, `x/feat`, other features).
    pub features: Option<std::collections::BTreeMap<String, Vec<String>>>,
    pub funding: Option<Vec<Funding>>,
    /// The SHA-512 of the release's artifact, as the registry records it
    /// (npm's `dist.integrity`): what a provenance's subject must name.
    pub sha512: Option<Vec<u8>>,
    /// Whether the registry's record of the release points at
    /// attestations (npm's `dist.attestations`, which mirrors may strip).
    pub attestations_listed: bool,
    /// The file whose attestations are read, with its SHA-256 as the
    /// registry records it (PyPI: the source distribution, else the first
    /// file listed).
    pub file: Option<ReleaseFile>,
}

/// One file of a release.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReleaseFile {
    pub filename: String,
    pub sha256: Vec<u8>,
}

/// The attestations a registry keeps for a release, not yet verified:
/// each as a Sigstore bundle's JSON (npm's as they are; PyPI's PEP 740
/// attestations put into that shape), with the predicate type the
/// registry lists it under, when it lists one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReleaseAttestations {
    pub bundles: Vec<ProvenanceBundle>,
}

/// A Sigstore bundle as the registry holds it, not yet verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvenanceBundle {
    pub predicate_type: Option<String>,
    /// The bundle's JSON.
    pub bundle: Vec<u8>,
}

/// A package as a registry describes it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RegistryPackage {
    pub name: String,
    /// Every release the registry lists, in the registry's order.
    pub releases: Vec<Release>,
    /// The version the registry marks as current (npm `dist-tags.latest`,
    /// PyPI `info.version`, crates.io `max_stable_version`).
    pub latest_tag: Option<String>,
    /// Who can publish; `None` when the answer does not say.
    pub maintainers: Option<Maintainers>,
    /// The registry removed the package (e.g. for malware): an empty listing
    /// or an unpublished marker.
    pub removed: bool,
    /// Repository URL declared for the package as a whole, verbatim.
    pub repository: Option<String>,
    /// Project links (PyPI `project_urls`, npm `homepage`/`bugs`), label to URL.
    pub links: Vec<(String, String)>,
    pub funding: Option<Vec<Funding>>,
    /// PyPI trove classifiers, if any.
    pub classifiers: Vec<String>,
    /// When the package listing was last modified, if the source says truthfully.
    pub modified: Option<OffsetDateTime>,
    /// Whether release times can be trusted (false for sanitized mirrors).
    /// A release whose time is missing or unreadable has `published: None`.
    pub times_trustworthy: bool,
    /// Why what a second answer adds (crates: licenses, repository, owners
    /// from the web API) is absent, when that answer was: its fields then
    /// say the answer was missing, not that the package declares nothing.
    pub details_missing: Option<AnswerGap>,
}

/// A second answer a listing needed and did not get, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerGap {
    pub why: String,
    /// Whether a later run may get the answer (no answer, a malformed
    /// one): then the statement is not kept. A 404 or an API nobody named
    /// will be missing next time too.
    pub transient: bool,
}

impl RegistryPackage {
    pub fn release(&self, version: &str) -> Option<&Release> {
        self.releases.iter().find(|r| r.version == version)
    }
}

/// A vulnerability record that applies to a package, reduced to what the
/// assessment needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vulnerability {
    /// OSV id (GHSA-..., PYSEC-..., RUSTSEC-...).
    pub id: String,
    pub aliases: Vec<String>,
    pub summary: Option<String>,
    /// Versions known to fix it for this package, if the record names them.
    pub fixed_in: Vec<String>,
    pub withdrawn: bool,
}

/// OpenSSF Scorecard result for a repository.
#[derive(Debug, Clone, PartialEq)]
pub struct Scorecard {
    /// `github.com/org/repo`.
    pub repository: String,
    /// When Scorecard ran.
    pub date: OffsetDateTime,
    pub score: Option<f64>,
    pub checks: Vec<ScorecardCheck>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScorecardCheck {
    pub name: String,
    /// 0..=10, or -1 when the check was inconclusive.
    pub score: i32,
    pub reason: Option<String>,
}

impl Scorecard {
    /// The check Scorecard names exactly `name` (its API writes check names
    /// exactly, e.g. `Code-Review`; a name that matches only in another case
    /// is not read as that check).
    pub fn check(&self, name: &str) -> Option<&ScorecardCheck> {
        self.checks.iter().find(|c| c.name == name)
    }
}

/// deps.dev's view of one package version.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DepsDevVersion {
    pub version: String,
    pub published: Option<OffsetDateTime>,
    pub is_default: Option<bool>,
    pub is_deprecated: Option<bool>,
    pub deprecated_reason: Option<String>,
    /// SPDX expressions or license names as deps.dev reports them.
    pub licenses: Vec<String>,
    pub advisory_ids: Vec<String>,
    /// label (SOURCE_REPO, HOMEPAGE, ISSUE_TRACKER, ORIGIN, ...) to URL.
    pub links: Vec<(String, String)>,
    /// Related projects: (project id like `github.com/org/repo`, relation type).
    pub related_projects: Vec<(String, String)>,
    pub has_attestations: bool,
    pub has_slsa_provenance: bool,
}

/// deps.dev's list of a package's versions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DepsDevPackage {
    pub versions: Vec<DepsDevVersionSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DepsDevVersionSummary {
    pub version: String,
    pub published: Option<OffsetDateTime>,
    pub is_default: bool,
    pub is_deprecated: bool,
}

/// A node of a resolved dependency graph (deps.dev GetDependencies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphNode {
    pub name: String,
    pub version: String,
    /// `SELF`, `DIRECT` or `INDIRECT`.
    pub relation: String,
    /// Shipped inside another package's tarball (npm): its name encodes
    /// where (`a>1.2.3>b>c`), not a registry identity.
    pub bundled: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(name: &str, email: Option<&str>) -> Account {
        Account {
            name: name.into(),
            email: email.map(str::to_string),
        }
    }

    #[test]
    fn people_are_counted_by_name_or_address() {
        let m = |accounts: Vec<Account>| Maintainers {
            accounts,
            organisation: None,
        };
        let two = m(vec![
            account("alice", Some("a@example.com")),
            account("bob", Some("b@example.com")),
        ]);
        assert_eq!(two.people(), vec!["alice", "bob"]);
        // Another case, another account with the same address.
        let one = m(vec![account("alice", None), account("Alice ", None)]);
        assert_eq!(one.people(), vec!["alice"]);
        let one = m(vec![
            account("alice", Some("A@example.com")),
            account("alice-bot", Some("a@example.com")),
        ]);
        assert_eq!(one.people(), vec!["alice"]);
        // Linked through a third account: one person.
        let one = m(vec![
            account("x", Some("1@example.com")),
            account("y", Some("2@example.com")),
            account("Y", Some("1@example.com")),
        ]);
        assert_eq!(one.people().len(), 1);
        // No address is not a shared address.
        let two = m(vec![
            account("x", Some("")),
            account("y", Some("")),
            account("z", None),
        ]);
        assert_eq!(two.people().len(), 3);
        assert_eq!(two.names(), vec!["x", "y", "z"]);
        // A long list is counted in linear time, not compared pair by pair.
        let many = m((0..200_000)
            .map(|i| account(&format!("u{i}"), Some(&format!("{}@example.com", i % 1000))))
            .collect());
        assert_eq!(many.people().len(), 1000);
    }

    #[test]
    fn scorecard_checks_are_found_by_their_exact_name() {
        let s = Scorecard {
            repository: "github.com/o/r".into(),
            date: OffsetDateTime::UNIX_EPOCH,
            score: None,
            checks: vec![ScorecardCheck {
                name: "code-review".into(),
                score: 10,
                reason: None,
            }],
        };
        assert_eq!(s.check("Code-Review"), None);
        assert!(s.check("code-review").is_some());
    }
}
