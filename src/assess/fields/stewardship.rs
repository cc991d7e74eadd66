//! Who looks after the package and how: MultipleMaintainers,
//! PackageStatus and IncomeStreams.

use serde_json::json;
use time::OffsetDateTime;

use super::evidence::{missing, observed, with_code};
use super::releases::Latest;
use crate::assess::verdict::{Adverse, Decided, incomplete};
use crate::config::Assessment;
use crate::sources::model::{DepsDevVersion, Flag, RegistryPackage};
use crate::sources::{Closed, Lookup};
use crate::tacos::{
    Asserted, Attestation, IncomeStream, IncomeType, PackageStatus, ReasonCode, timestamp,
};

/// MultipleMaintainers: more than one *person* can publish. Names are
/// compared case-insensitively; an organisation or team among the owners
/// hides how many people it has.
pub fn multiple_maintainers(registry: &Lookup<RegistryPackage>) -> Decided<Attestation> {
    let Some(found) = registry.found() else {
        return Decided::unknown(missing(registry, "maintainers unknown"));
    };
    let Some(m) = &found.value.maintainers else {
        return Decided::unknown(with_code(
            observed(
                found,
                format!(
                    "{}'s answer does not list who can publish (mirrors strip it)",
                    found.source
                ),
                json!({"maintainers": null}),
            ),
            ReasonCode::NoData,
        ));
    };
    let people = m.people();
    let obs = json!({"accounts": m.names(), "people": people, "organisation": m.organisation});
    match (people.len(), &m.organisation) {
        (n, _) if n > 1 => {
            let e = observed(
                found,
                format!("{n} people can publish in {}", found.source),
                obs,
            );
            match found.closed() {
                Ok(c) => Decided::proven(c, e),
                Err(why) => Decided::unknown(incomplete(e, &why)),
            }
        }
        (1, None) => Decided::refuted(observed(
            found,
            format!("1 person can publish in {}", found.source),
            obs,
        )),
        (n, Some(org)) => Decided::unknown(with_code(
            observed(
                found,
                format!(
                    "{n} account(s) listed, and the organisation or team {org:?} can publish too: how many people it has is unknown"
                ),
                obs,
            ),
            ReasonCode::NoData,
        )),
        (_, None) => Decided::unknown(with_code(
            observed(found, "the answer lists no one who can publish", obs),
            ReasonCode::NoData,
        )),
    }
}

/// PackageStatus: Removed, Deprecated or Inactive when found (partial
/// evidence can show them); Active only on a complete answer that shows
/// the current release undeprecated and a release within the threshold.
pub fn package_status(
    registry: &Lookup<RegistryPackage>,
    depsdev: &Lookup<DepsDevVersion>,
    latest: &Latest,
    now: OffsetDateTime,
    cfg: &Assessment,
) -> Decided<Asserted<PackageStatus>> {
    let Some(found) = registry.found() else {
        return Decided::unknown(missing(registry, "status unknown"));
    };
    let pkg = &found.value;
    let stamp = timestamp(now);
    if pkg.removed {
        return Decided::adverse(
            Adverse::Removed,
            stamp,
            observed(
                found,
                format!(
                    "{} lists no releases: the package was removed",
                    found.source
                ),
                json!({"releases": 0}),
            ),
        );
    }
    if pkg.releases.iter().all(|r| r.yanked.is_yes()) {
        return Decided::adverse(
            Adverse::Removed,
            stamp,
            observed(
                found,
                "every release is yanked",
                json!({"releases": pkg.releases.len()}),
            ),
        );
    }
    let tag = pkg.latest_tag.as_deref().or(latest.version.as_deref());
    let current = tag.and_then(|v| pkg.release(v));
    if let Some(Flag::Yes(msg)) = current.map(|r| &r.deprecated) {
        return Decided::adverse(
            Adverse::Deprecated,
            stamp,
            observed(
                found,
                format!("release {} is deprecated: {msg}", tag.unwrap_or_default()),
                json!({"deprecated": msg}),
            ),
        );
    }
    if let Some(d) = depsdev.found()
        && d.value.is_deprecated == Some(true)
    {
        let why = d.value.deprecated_reason.clone().unwrap_or_default();
        return Decided::adverse(
            Adverse::Deprecated,
            stamp,
            observed(
                d,
                format!("deps.dev marks {} deprecated {why}", d.value.version),
                json!({"isDeprecated": true}),
            ),
        );
    }
    if pkg
        .classifiers
        .iter()
        .any(|c| c.contains("Development Status :: 7 - Inactive"))
    {
        return Decided::adverse(
            Adverse::Inactive,
            stamp,
            observed(
                found,
                "the package declares the classifier Development Status :: 7 - Inactive",
                json!({"classifier": "Development Status :: 7 - Inactive"}),
            ),
        );
    }
    // The age of the newest release decides Active or Inactive, and needs
    // every release's time: a release without one might be the newest.
    // (A withdrawn release without a time, such as a PyPI version with no
    // files, was never installable and says nothing of activity.)
    let untimed: Vec<&str> = pkg
        .releases
        .iter()
        .filter(|r| r.published.is_none() && !r.yanked.is_yes())
        .map(|r| r.version.as_str())
        .collect();
    if !pkg.times_trustworthy || !untimed.is_empty() {
        return Decided::unknown(with_code(
            observed(
                found,
                if pkg.times_trustworthy {
                    format!(
                        "{} release(s) have no readable publish time ({}), so the newest release's age is unknown",
                        untimed.len(),
                        untimed
                            .iter()
                            .take(5)
                            .copied()
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                } else {
                    "release times are unknown (the registry answer has no trustworthy publish times)".into()
                },
                json!({"times": null}),
            ),
            ReasonCode::IncompleteEvidence,
        ));
    }
    let Some((when, version)) = pkg
        .releases
        .iter()
        .filter_map(|r| r.published.map(|p| (p, &r.version)))
        .max_by_key(|(p, _)| *p)
    else {
        return Decided::unknown(with_code(
            observed(
                found,
                "no release has a publish time",
                json!({"times": null}),
            ),
            ReasonCode::NoData,
        ));
    };
    let days = (now - when).whole_days();
    let obs = json!({"newestRelease": version, "published": timestamp(when), "days": days, "threshold": cfg.inactive_after_days});
    if days > cfg.inactive_after_days {
        let e = observed(
            found,
            format!(
                "the newest release ({version}) is {days} days old, over the {}-day threshold",
                cfg.inactive_after_days
            ),
            obs,
        );
        return match found.closed() {
            Ok(_) => Decided::adverse(Adverse::Inactive, stamp, e),
            Err(why) => Decided::unknown(incomplete(e, &why)),
        };
    }
    let e = observed(
        found,
        format!(
            "not deprecated; the newest release ({version}) is {days} days old, within the {}-day threshold",
            cfg.inactive_after_days
        ),
        obs,
    );
    let depsdev_says_no = depsdev
        .found()
        .is_some_and(|d| d.value.is_deprecated == Some(false) && d.closed().is_ok());
    let closed = Closed::all([
        found.closed(),
        Closed::check(
            current.is_some_and(|r| r.deprecated == Flag::No) || depsdev_says_no,
            || {
                "whether the current release is deprecated is unknown (the registry answer carries no deprecation notices)".into()
            },
        ),
    ]);
    match closed {
        Ok(c) => Decided::asserted(
            c,
            PackageStatus {
                status: crate::tacos::Status::Active,
                last_modified: stamp,
            },
            e,
        ),
        Err(why) => Decided::unknown(incomplete(e, &why)),
    }
}

pub fn income_streams(
    registry: &Lookup<RegistryPackage>,
    latest: Option<&str>,
    now: OffsetDateTime,
) -> Decided<Asserted<Vec<IncomeStream>>> {
    let Some(found) = registry.found() else {
        return Decided::unknown(missing(registry, "no funding information"));
    };
    let pkg = &found.value;
    let funding = latest
        .and_then(|v| pkg.release(v))
        .and_then(|r| r.funding.clone())
        .or_else(|| pkg.funding.clone());
    let Some(funding) = funding.filter(|f| !f.is_empty()) else {
        return Decided::unknown(with_code(
            observed(
                found,
                "no funding is declared in the registry metadata (which does not show that there is none)",
                json!({"funding": null}),
            ),
            ReasonCode::NoData,
        ));
    };
    let stamp = timestamp(now);
    let streams: Vec<IncomeStream> = funding
        .iter()
        .filter(|x| x.url.starts_with("https://") || x.url.starts_with("http://"))
        .map(|x| IncomeStream {
            kind: match x.kind.as_deref() {
                Some("tidelift") => IncomeType::Lifted,
                _ => IncomeType::Variable,
            },
            evidence_url: x.url.clone(),
            last_modified: stamp.clone(),
        })
        .collect();
    if streams.is_empty() {
        return Decided::unknown(with_code(
            observed(
                found,
                "funding is declared but without a usable URL",
                json!({"funding": funding.iter().map(|x| &x.url).collect::<Vec<_>>()}),
            ),
            ReasonCode::NoData,
        ));
    }
    let e = observed(
        found,
        format!(
            "{} funding link(s) declared in the registry metadata: Tidelift counts as Lifted, sponsorship platforms as Variable",
            streams.len()
        ),
        json!({"funding": funding.iter().map(|x| json!({"type": x.kind, "url": x.url})).collect::<Vec<_>>()}),
    );
    match found.closed() {
        Ok(c) => Decided::asserted(c, streams, e),
        Err(why) => Decided::unknown(incomplete(e, &why)),
    }
}
