//! The package's releases: LatestStableRelease and KnownReleasesURL, and
//! the stable releases other rules and `gather` choose among.

use std::cmp::Ordering;

use serde_json::json;

use super::evidence::{missing, observed, with_code};
use crate::assess::verdict::{Decided, incomplete};
use crate::purl::Ecosystem;
use crate::sources::model::{Flag, RegistryPackage, Release};
use crate::sources::{Closed, Lookup};
use crate::tacos::{Asserted, Evidence, ReasonCode};
use crate::versions;

/// The latest stable release, whether it is established, and the evidence.
pub struct Latest {
    pub version: Option<String>,
    /// Closed when the release list is complete and every fact that could
    /// make another release the latest (yanks, deprecations, readable
    /// versions) is known.
    pub closed: Result<Closed, String>,
    pub decided: Decided<Asserted<String>>,
}

/// The newest release that is not a pre-release, not yanked and not
/// deprecated, by the ecosystem's own version order.
pub fn latest_stable(registry: &Lookup<RegistryPackage>, eco: Ecosystem) -> Latest {
    let none = |e: Evidence, why: String| Latest {
        version: None,
        closed: Err(why),
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
