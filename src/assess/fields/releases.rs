//! The package's releases: LatestStableRelease and KnownReleasesURL, and
//! the stable releases other rules and `gather` choose among.

use std::cmp::Ordering;

use serde_json::json;

use super::evidence::{missing, observed, with_code};
use crate::assess::verdict::{Decided, incomplete};
use crate::purl::Ecosystem;
use crate::sources::model::{Flag, RegistryPackage, Release};
use crate::sources::{Closed, Lookup, NotClosed};
use crate::tacos::{Asserted, Evidence, ReasonCode};
use crate::versions;

/// The latest stable release, whether it is established, and the evidence.
pub struct Latest {
    pub version: Option<String>,
    /// Closed when the release list is complete and every fact that could
    /// make another release the latest (yanks, deprecations, readable
    /// versions) is known.
    pub closed: Result<Closed, NotClosed>,
    pub decided: Decided<Asserted<String>>,
}

/// The newest release that is not a pre-release, not yanked and not
/// deprecated, by the ecosystem's own version order.
pub fn latest_stable(registry: &Lookup<RegistryPackage>, eco: Ecosystem) -> Latest {
    let none = |e: Evidence, why: String| Latest {
        version: None,
        closed: Err(NotClosed(why)),
        decided: Decided::unknown(e),
    };
    let Some(found) = registry.found() else {
        return none(missing(registry, "no release list"), registry.why_not());
    };
    let pkg = &found.value;
    if pkg.removed {
        return none(
            with_code(
                observed(
                    found,
                    "the registry lists no releases (the package was removed)",
                    json!({"releases": 0}),
                ),
                ReasonCode::NoData,
            ),
            "the package was removed".into(),
        );
    }
    let Some((release, considered)) = newest_stable(eco, &pkg.releases) else {
        return none(
            with_code(
                observed(
                    found,
                    format!(
                        "none of {} releases is a stable, unyanked, undeprecated release whose version {} order can read",
                        pkg.releases.len(),
                        ecosystem_order(eco)
                    ),
                    json!({"releases": pkg.releases.len()}),
                ),
                ReasonCode::NoData,
            ),
            "no stable release".into(),
        );
    };
    let version = release.version.clone();
    // A version the ecosystem's order cannot read might be the newest,
    // except where the client never installs one: pip skips versions that
    // are not PEP 440, and the npm and Cargo registries accept only SemVer.
    let unreadable: Vec<&str> = match eco {
        Ecosystem::PyPi | Ecosystem::Npm | Ecosystem::Cargo => vec![],
        eco => pkg
            .releases
            .iter()
            .filter(|r| versions::is_prerelease(eco, &r.version).is_none())
            .map(|r| r.version.as_str())
            .collect(),
    };
    let closed = Closed::all([
        found.closed(),
        Closed::check(release.deprecated != Flag::Unknown, || {
            format!(
                "whether {version} is deprecated is unknown (the registry answer carries no deprecation notices)"
            )
        }),
        Closed::check(release.yanked != Flag::Unknown, || {
            format!("whether {version} was withdrawn is unknown")
        }),
        Closed::check(unreadable.is_empty(), || {
            format!(
                "{} release(s) have versions {} order cannot read, so a newer one cannot be ruled out ({})",
                unreadable.len(),
                ecosystem_order(eco),
                unreadable
                    .iter()
                    .take(5)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }),
    ]);
    let e = observed(
        found,
        format!(
            "{version}: newest of {considered} releases that is not a pre-release, yanked or deprecated, by {} version order",
            ecosystem_order(eco)
        ),
        json!({"latest": version, "registryLatestTag": pkg.latest_tag}),
    );
    let decided = match &closed {
        Ok(c) => Decided::asserted(*c, version.clone(), e),
        Err(why) => Decided::unknown(incomplete(e, why)),
    };
    Latest {
        version: Some(version),
        closed,
        decided,
    }
}

fn ecosystem_order(eco: Ecosystem) -> &'static str {
    match eco {
        Ecosystem::Npm => "npm (SemVer)",
        Ecosystem::PyPi => "PEP 440",
        Ecosystem::Cargo => "Cargo (SemVer)",
        Ecosystem::Maven => "Maven",
        Ecosystem::Go => "Go module",
        Ecosystem::RubyGems => "RubyGems",
        Ecosystem::NuGet => "NuGet",
        _ => "SemVer",
    }
}

/// (release, releases considered).
pub fn newest_stable(eco: Ecosystem, releases: &[Release]) -> Option<(&Release, usize)> {
    let mut best: Option<&Release> = None;
    for r in releases {
        if versions::is_prerelease(eco, &r.version) != Some(false)
            || r.yanked.is_yes()
            || r.deprecated.is_yes()
        {
            continue;
        }
        best = match best {
            None => Some(r),
            Some(b) => match versions::compare(eco, &r.version, &b.version) {
                Some(Ordering::Greater) => Some(r),
                _ => Some(b),
            },
        };
    }
    best.map(|b| (b, releases.len()))
}

/// Stable releases, newest first.
pub fn stable_releases(eco: Ecosystem, releases: &[Release]) -> Vec<&Release> {
    let mut v: Vec<&Release> = releases
        .iter()
        .filter(|r| {
            versions::is_prerelease(eco, &r.version) == Some(false)
                && !r.yanked.is_yes()
                && !r.deprecated.is_yes()
        })
        .collect();
    v.sort_by(|a, b| versions::compare(eco, &b.version, &a.version).unwrap_or(Ordering::Equal));
    v
}

pub fn known_releases_url(registry: &Lookup<RegistryPackage>) -> Decided<Asserted<String>> {
    match registry.found() {
        Some(found) if !found.value.releases.is_empty() => {
            let e = observed(
                found,
                format!(
                    "{} lists {} releases of the package here",
                    found.source,
                    found.value.releases.len()
                ),
                json!({"releases": found.value.releases.len()}),
            );
            match found.closed() {
                Ok(c) => Decided::asserted(c, found.url.clone(), e),
                Err(why) => Decided::unknown(incomplete(e, &why)),
            }
        }
        _ => Decided::unknown(missing(registry, "no release listing")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::fields::testkit::*;

    #[test]
    fn latest_stable_release_is_the_newest_stable_by_the_ecosystems_order() {
        let pre = release("3.0.0-beta.1");
        let yanked = Release {
            yanked: Flag::Yes("broken build".into()),
            ..release("2.2.0")
        };
        let deprecated = Release {
            deprecated: Flag::Yes("use 2.0.0".into()),
            ..release("2.1.0")
        };
        let removed = RegistryPackage {
            removed: true,
            ..package(vec![])
        };
        let cases = vec![
            (
                "pre-releases, yanked and deprecated releases are passed over",
                registry(vec![
                    release("1.0.0"),
                    release("2.0.0"),
                    pre.clone(),
                    yanked.clone(),
                    deprecated,
                ]),
                Ecosystem::Npm,
                value("2.0.0"),
                ReasonCode::Observed,
                "2.0.0: newest of 5 releases that is not a pre-release, yanked or deprecated, by npm (SemVer) version order",
            ),
            (
                "versions compare as versions, not as text",
                registry_of(&["9.0.0", "10.0.0", "2.0.0"]),
                Ecosystem::Cargo,
                value("10.0.0"),
                ReasonCode::Observed,
                "by Cargo (SemVer) version order",
            ),
            (
                "PEP 440: a post-release is stable, a release candidate is not",
                registry_of(&["1.0", "1.0.post1", "1.1rc1"]),
                Ecosystem::PyPi,
                value("1.0.post1"),
                ReasonCode::Observed,
                "by PEP 440 version order",
            ),
            (
                "npm never installs a version that is not SemVer, so it cannot be the newest",
                registry_of(&["1.0.0", "latest-and-greatest"]),
                Ecosystem::Npm,
                value("1.0.0"),
                ReasonCode::Observed,
                "newest of 2 releases",
            ),
            (
                "the package was removed",
                complete(removed, "npm"),
                Ecosystem::Npm,
                Is::NoAssertion,
                ReasonCode::NoData,
                "the registry lists no releases (the package was removed)",
            ),
            (
                "no release is stable",
                registry(vec![pre, yanked]),
                Ecosystem::Npm,
                Is::NoAssertion,
                ReasonCode::NoData,
                "none of 2 releases is a stable, unyanked, undeprecated release whose version npm (SemVer) order can read",
            ),
        ];
        for (case, registry, eco, is, code, says) in cases {
            let latest = latest_stable(&registry, eco);
            expect(case, &latest.decided, is.clone(), code, says);
            assert_eq!(latest.closed.is_ok(), asserts(&is), "{case}");
        }
    }

    #[test]
    fn latest_stable_release_without_a_release_list_says_why() {
        for (lookup, code) in failures::<RegistryPackage>("npm") {
            let latest = latest_stable(&lookup, Ecosystem::Npm);
            expect(
                &format!("{code:?}"),
                &latest.decided,
                Is::NoAssertion,
                code,
                "no release list: ",
            );
            assert_eq!(latest.version, None);
            assert_eq!(latest.closed.unwrap_err().0, lookup.why_not());
        }
    }

    /// The newest stable release is known, but not established: another
    /// release might be the latest, or this one might be withdrawn.
    #[test]
    fn latest_stable_release_is_asserted_only_on_closed_world_evidence() {
        let complete_list = registry_of(&["1.0.0", "2.0.0"]);
        let mut cases: Vec<(String, Lookup<RegistryPackage>, Ecosystem, &str)> =
            degraded(&complete_list)
                .into_iter()
                .map(|(name, l)| (name.to_string(), l, Ecosystem::Npm, "npm's answer is"))
                .collect();
        cases.push((
            "deprecation unknown".into(),
            registry(vec![
                release("1.0.0"),
                Release {
                    deprecated: Flag::Unknown,
                    ..release("2.0.0")
                },
            ]),
            Ecosystem::Npm,
            "whether 2.0.0 is deprecated is unknown (the registry answer carries no deprecation notices)",
        ));
        cases.push((
            "withdrawal unknown".into(),
            registry(vec![
                release("v1.0.0"),
                Release {
                    yanked: Flag::Unknown,
                    ..release("v2.0.0")
                },
            ]),
            Ecosystem::Go,
            "whether v2.0.0 was withdrawn is unknown",
        ));
        cases.push((
            "a version Go's order cannot read might be newer".into(),
            registry_of(&["v1.0.0", "latest"]),
            Ecosystem::Go,
            "1 release(s) have versions Go module order cannot read, so a newer one cannot be ruled out (latest)",
        ));
        for (case, registry, eco, why) in cases {
            let latest = latest_stable(&registry, eco);
            expect_incomplete(&case, &latest.decided, why);
            assert!(latest.version.is_some(), "{case}: the candidate is named");
            assert!(latest.closed.is_err(), "{case}");
        }
    }

    #[test]
    fn stable_releases_are_listed_newest_first() {
        let releases = vec![
            release("1.2.0"),
            release("1.10.0"),
            release("2.0.0-rc.1"),
            Release {
                yanked: Flag::Yes("yanked".into()),
                ..release("1.11.0")
            },
            release("1.9.0"),
        ];
        let stable: Vec<&str> = stable_releases(Ecosystem::Cargo, &releases)
            .iter()
            .map(|r| r.version.as_str())
            .collect();
        assert_eq!(stable, ["1.10.0", "1.9.0", "1.2.0"]);
        let (newest, considered) = newest_stable(Ecosystem::Cargo, &releases).unwrap();
        assert_eq!((newest.version.as_str(), considered), ("1.10.0", 5));
        assert!(newest_stable(Ecosystem::Cargo, &[]).is_none());
    }

    #[test]
    fn known_releases_url_is_the_complete_listing() {
        let listing = registry_of(&["1.0.0", "2.0.0"]);
        expect(
            "a complete listing",
            &known_releases_url(&listing),
            value("https://source.example/answer"),
            ReasonCode::Observed,
            "npm lists 2 releases of the package here",
        );
        expect(
            "an empty listing",
            &known_releases_url(&registry(vec![])),
            Is::NoAssertion,
            ReasonCode::NoData,
            "no release listing: npm says nothing that decides it",
        );
        for (lookup, code) in failures::<RegistryPackage>("npm") {
            expect(
                &format!("{code:?}"),
                &known_releases_url(&lookup),
                Is::NoAssertion,
                code,
                "no release listing: ",
            );
        }
        for (case, lookup) in degraded(&listing) {
            expect_incomplete(case, &known_releases_url(&lookup), "npm's answer is");
        }
    }
}
