//! Who looks after the package and how: MultipleMaintainers,
//! PackageStatus and IncomeStreams.

use serde_json::json;
use time::OffsetDateTime;

use super::evidence::{answer_missing, missing, observed, with_code};
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
        if let Some(why) = &found.value.details_missing {
            return Decided::unknown(answer_missing(
                &found.source,
                "who can publish is unknown",
                why,
            ));
        }
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
    // deps.dev answers about the newest stable release, which need not be
    // the one the registry marks current.
    let depsdev_says_no = depsdev.found().is_some_and(|d| {
        d.value.is_deprecated == Some(false)
            && d.closed().is_ok()
            && tag == Some(d.value.version.as_str())
    });
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::fields::latest_stable;
    use crate::assess::fields::testkit::*;
    use crate::purl::Ecosystem;
    use crate::sources::model::{Account, Funding, Maintainers, Release};
    use time::Duration;

    fn publishers(accounts: &[(&str, Option<&str>)], org: Option<&str>) -> Lookup<RegistryPackage> {
        complete(
            RegistryPackage {
                maintainers: Some(Maintainers {
                    accounts: accounts
                        .iter()
                        .map(|(name, email)| Account {
                            name: (*name).into(),
                            email: email.map(String::from),
                        })
                        .collect(),
                    organisation: org.map(String::from),
                }),
                ..package(vec![release("1.0.0")])
            },
            "npm",
        )
    }

    #[test]
    fn multiple_maintainers_counts_people_who_can_publish() {
        let cases = vec![
            (
                "two people",
                publishers(&[("alice", None), ("bob", None)], None),
                Is::True,
                ReasonCode::Observed,
                "2 people can publish in npm",
            ),
            (
                "two people and an organisation",
                publishers(&[("alice", None), ("bob", None)], Some("org")),
                Is::True,
                ReasonCode::Observed,
                "2 people can publish in npm",
            ),
            (
                "one person",
                publishers(&[("alice", None)], None),
                Is::False,
                ReasonCode::Observed,
                "1 person can publish in npm",
            ),
            (
                "one person's two spellings",
                publishers(&[("Alice", None), ("alice ", None)], None),
                Is::False,
                ReasonCode::Observed,
                "1 person can publish in npm",
            ),
            (
                "one person's two accounts with one address",
                publishers(
                    &[
                        ("alice", Some("a@example.org")),
                        ("al", Some("A@example.org")),
                    ],
                    None,
                ),
                Is::False,
                ReasonCode::Observed,
                "1 person can publish in npm",
            ),
            (
                "one person and an organisation of unknown size",
                publishers(&[("alice", None)], Some("django")),
                Is::NoAssertion,
                ReasonCode::NoData,
                "1 account(s) listed, and the organisation or team \"django\" can publish too: how many people it has is unknown",
            ),
            (
                "only an organisation",
                publishers(&[], Some("github:org:t")),
                Is::NoAssertion,
                ReasonCode::NoData,
                "0 account(s) listed, and the organisation or team \"github:org:t\"",
            ),
            (
                "an empty list",
                publishers(&[], None),
                Is::NoAssertion,
                ReasonCode::NoData,
                "the answer lists no one who can publish",
            ),
            (
                "the answer does not say (a mirror stripped it)",
                registry_of(&["1.0.0"]),
                Is::NoAssertion,
                ReasonCode::NoData,
                "npm's answer does not list who can publish (mirrors strip it)",
            ),
        ];
        for (case, registry, is, code, says) in cases {
            expect(case, &multiple_maintainers(&registry), is, code, says);
        }
        for (registry, code) in failures::<RegistryPackage>("npm") {
            expect(
                &format!("{code:?}"),
                &multiple_maintainers(&registry),
                Is::NoAssertion,
                code,
                "maintainers unknown: ",
            );
        }
    }

    #[test]
    fn multiple_maintainers_is_true_only_on_closed_world_evidence() {
        let two = publishers(&[("alice", None), ("bob", None)], None);
        for (case, l) in degraded(&two) {
            expect_incomplete(case, &multiple_maintainers(&l), "npm's answer is");
        }
        // One person found is found.
        let one = publishers(&[("alice", None)], None);
        for (case, l) in degraded(&one) {
            expect(
                case,
                &multiple_maintainers(&l),
                Is::False,
                ReasonCode::Observed,
                "1 person can publish",
            );
        }
    }

    fn aged(version: &str, days: i64) -> Release {
        Release {
            published: Some(NOW - Duration::days(days)),
            ..release(version)
        }
    }

    fn no_depsdev() -> Lookup<DepsDevVersion> {
        failures("deps.dev").remove(2).0
    }

    fn depsdev_deprecated(deprecated: Option<bool>) -> Lookup<DepsDevVersion> {
        complete(
            DepsDevVersion {
                is_deprecated: deprecated,
                deprecated_reason: deprecated.filter(|d| *d).map(|_| "(use other)".into()),
                ..depsdev("1.0.0")
            },
            "deps.dev",
        )
    }

    fn status(
        registry: &Lookup<RegistryPackage>,
        depsdev: &Lookup<DepsDevVersion>,
    ) -> Decided<Asserted<PackageStatus>> {
        let latest = latest_stable(registry, Ecosystem::Npm);
        package_status(registry, depsdev, &latest, NOW, &Assessment::default())
    }

    #[test]
    fn package_status_names_what_was_found() {
        let with = |p: RegistryPackage| complete(p, "npm");
        let unknown_deprecation = Release {
            deprecated: Flag::Unknown,
            ..release("1.0.0")
        };
        let cases = vec![
            (
                "a release within the threshold, not deprecated",
                registry(vec![aged("0.9.0", 900), aged("1.0.0", 30)]),
                no_depsdev(),
                value("Active"),
                "not deprecated; the newest release (1.0.0) is 30 days old, within the 730-day threshold",
            ),
            (
                "a release exactly at the threshold",
                registry(vec![aged("1.0.0", 730)]),
                no_depsdev(),
                value("Active"),
                "is 730 days old, within the 730-day threshold",
            ),
            (
                "a withdrawn release without a time says nothing of activity",
                registry(vec![
                    aged("1.0.0", 30),
                    Release {
                        published: None,
                        yanked: Flag::Yes("no files to install".into()),
                        ..release("1.1.0")
                    },
                ]),
                no_depsdev(),
                value("Active"),
                "the newest release (1.0.0) is 30 days old",
            ),
            (
                "deps.dev says the release whose deprecation the registry leaves open is not deprecated",
                registry(vec![unknown_deprecation.clone()]),
                depsdev_deprecated(Some(false)),
                value("Active"),
                "not deprecated; the newest release (1.0.0) is 30 days old",
            ),
            (
                "no release within the threshold",
                registry(vec![aged("1.0.0", 800)]),
                no_depsdev(),
                value("Inactive"),
                "the newest release (1.0.0) is 800 days old, over the 730-day threshold",
            ),
            (
                "the package was removed",
                with(RegistryPackage {
                    removed: true,
                    ..package(vec![])
                }),
                no_depsdev(),
                value("Removed"),
                "npm lists no releases: the package was removed",
            ),
            (
                "every release is yanked",
                registry(vec![Release {
                    yanked: Flag::Yes("yanked".into()),
                    ..release("1.0.0")
                }]),
                no_depsdev(),
                value("Removed"),
                "every release is yanked",
            ),
            (
                "the release the registry marks current is deprecated",
                with(RegistryPackage {
                    latest_tag: Some("2.0.0".into()),
                    ..package(vec![
                        release("1.0.0"),
                        Release {
                            deprecated: Flag::Yes("use other".into()),
                            ..release("2.0.0")
                        },
                    ])
                }),
                no_depsdev(),
                value("Deprecated"),
                "release 2.0.0 is deprecated: use other",
            ),
            (
                "deps.dev marks the latest release deprecated",
                registry_of(&["1.0.0"]),
                depsdev_deprecated(Some(true)),
                value("Deprecated"),
                "deps.dev marks 1.0.0 deprecated (use other)",
            ),
            (
                "the package declares itself inactive",
                with(RegistryPackage {
                    classifiers: vec!["Development Status :: 7 - Inactive".into()],
                    ..package(vec![release("1.0.0")])
                }),
                no_depsdev(),
                value("Inactive"),
                "the package declares the classifier Development Status :: 7 - Inactive",
            ),
        ];
        for (case, registry, depsdev, is, says) in cases {
            let d = status(&registry, &depsdev);
            expect(case, &d, is, ReasonCode::Observed, says);
            let Asserted::Value(s) = d.value() else {
                unreachable!()
            };
            assert_eq!(s.last_modified, "2026-11-23T00:00:00Z", "{case}");
        }
        for (registry, code) in failures::<RegistryPackage>("npm") {
            expect(
                &format!("{code:?}"),
                &status(&registry, &no_depsdev()),
                Is::NoAssertion,
                code,
                "status unknown: ",
            );
        }
    }

    #[test]
    fn package_status_is_active_only_on_closed_world_evidence() {
        let recent = registry(vec![aged("1.0.0", 30)]);
        let untrusted = complete(
            RegistryPackage {
                times_trustworthy: false,
                ..package(vec![aged("1.0.0", 30)])
            },
            "npm",
        );
        let untimed = registry(vec![
            aged("1.0.0", 30),
            Release {
                published: None,
                ..release("1.1.0")
            },
        ]);
        let unknown_deprecation = registry(vec![Release {
            deprecated: Flag::Unknown,
            ..release("1.0.0")
        }]);
        let mut cases: Vec<(
            String,
            Lookup<RegistryPackage>,
            Lookup<DepsDevVersion>,
            &str,
        )> = degraded(&recent)
            .into_iter()
            .map(|(c, l)| (c.to_string(), l, no_depsdev(), "npm's answer is"))
            .collect();
        cases.extend([
            (
                "publish times not trustworthy".to_string(),
                untrusted,
                no_depsdev(),
                "release times are unknown (the registry answer has no trustworthy publish times)",
            ),
            (
                "a release without a time might be the newest".to_string(),
                untimed,
                no_depsdev(),
                "1 release(s) have no readable publish time (1.1.0), so the newest release's age is unknown",
            ),
            (
                "whether the current release is deprecated is unknown".to_string(),
                unknown_deprecation.clone(),
                no_depsdev(),
                "whether the current release is deprecated is unknown (the registry answer carries no deprecation notices)",
            ),
            (
                "deps.dev says nothing about deprecation".to_string(),
                unknown_deprecation.clone(),
                depsdev_deprecated(None),
                "whether the current release is deprecated is unknown",
            ),
        ]);
        for (case, l) in degraded(&depsdev_deprecated(Some(false))) {
            cases.push((
                format!("deps.dev's answer {case}"),
                unknown_deprecation.clone(),
                l,
                "whether the current release is deprecated is unknown",
            ));
        }
        for (case, registry, depsdev, why) in &cases {
            expect_incomplete(case, &status(registry, depsdev), why);
        }
        // Inactive is a claim about the whole release history.
        let old = registry(vec![aged("1.0.0", 800)]);
        for (case, l) in degraded(&old) {
            expect_incomplete(
                case,
                &status(&l, &no_depsdev()),
                "over the 730-day threshold; not asserted, because the evidence is incomplete: npm's answer is",
            );
        }
        // A deprecation found is found.
        let deprecated = registry(vec![Release {
            deprecated: Flag::Yes("use other".into()),
            ..release("1.0.0")
        }]);
        let deprecated = complete(
            RegistryPackage {
                latest_tag: Some("1.0.0".into()),
                ..deprecated.value().unwrap().clone()
            },
            "npm",
        );
        for (case, l) in degraded(&deprecated) {
            expect(
                case,
                &status(&l, &no_depsdev()),
                value("Deprecated"),
                ReasonCode::Observed,
                "release 1.0.0 is deprecated: use other",
            );
        }
    }

    /// deps.dev's word that a release is not deprecated settles the
    /// current release's deprecation only when it is about that release.
    #[test]
    fn package_status_takes_deps_devs_word_only_for_the_current_release() {
        // The registry marks 1.0.0 current; its deprecation is unknown.
        // deps.dev answered about 2.0.0, the newest stable release.
        let registry = complete(
            RegistryPackage {
                latest_tag: Some("1.0.0".into()),
                ..package(vec![
                    Release {
                        deprecated: Flag::Unknown,
                        ..release("1.0.0")
                    },
                    release("2.0.0"),
                ])
            },
            "npm",
        );
        let about_2 = complete(
            DepsDevVersion {
                is_deprecated: Some(false),
                ..depsdev("2.0.0")
            },
            "deps.dev",
        );
        expect_incomplete(
            "deps.dev about another release",
            &status(&registry, &about_2),
            "whether the current release is deprecated is unknown",
        );
        let about_1 = complete(
            DepsDevVersion {
                is_deprecated: Some(false),
                ..depsdev("1.0.0")
            },
            "deps.dev",
        );
        expect(
            "deps.dev about the current release",
            &status(&registry, &about_1),
            value("Active"),
            ReasonCode::Observed,
            "not deprecated",
        );
    }

    fn funded(
        release_funding: Option<Vec<Funding>>,
        package_funding: Option<Vec<Funding>>,
    ) -> Lookup<RegistryPackage> {
        complete(
            RegistryPackage {
                funding: package_funding,
                ..package(vec![Release {
                    funding: release_funding,
                    ..release("1.0.0")
                }])
            },
            "npm",
        )
    }

    fn fund(kind: Option<&str>, url: &str) -> Funding {
        Funding {
            kind: kind.map(String::from),
            url: url.into(),
        }
    }

    #[test]
    fn income_streams_are_the_funding_declared_with_a_url() {
        let sponsors = fund(Some("github"), "https://github.com/sponsors/a");
        let tidelift = fund(Some("tidelift"), "https://tidelift.example/pkg");
        let cases = vec![
            (
                "a sponsorship platform is Variable",
                funded(Some(vec![sponsors.clone()]), None),
                Some("1.0.0"),
                value("Variable https://github.com/sponsors/a"),
                ReasonCode::Observed,
                "1 funding link(s) declared in the registry metadata: Tidelift counts as Lifted, sponsorship platforms as Variable",
            ),
            (
                "Tidelift is Lifted; a link that is not a web address is dropped",
                funded(
                    Some(vec![
                        tidelift.clone(),
                        fund(None, "mailto:a@example.org"),
                        fund(None, "http://example.org/donate"),
                    ]),
                    None,
                ),
                Some("1.0.0"),
                value("Lifted https://tidelift.example/pkg, Variable http://example.org/donate"),
                ReasonCode::Observed,
                "2 funding link(s) declared",
            ),
            (
                "the latest release's funding before the package's",
                funded(Some(vec![tidelift.clone()]), Some(vec![sponsors.clone()])),
                Some("1.0.0"),
                value("Lifted https://tidelift.example/pkg"),
                ReasonCode::Observed,
                "1 funding link(s) declared",
            ),
            (
                "the package's funding, with no latest release known",
                funded(Some(vec![tidelift]), Some(vec![sponsors])),
                None,
                value("Variable https://github.com/sponsors/a"),
                ReasonCode::Observed,
                "1 funding link(s) declared",
            ),
            (
                "nothing declared",
                funded(None, None),
                Some("1.0.0"),
                Is::NoAssertion,
                ReasonCode::NoData,
                "no funding is declared in the registry metadata (which does not show that there is none)",
            ),
            (
                "an empty declaration",
                funded(Some(vec![]), None),
                Some("1.0.0"),
                Is::NoAssertion,
                ReasonCode::NoData,
                "no funding is declared in the registry metadata",
            ),
            (
                "no usable URL",
                funded(Some(vec![fund(None, "javascript:alert(1)")]), None),
                Some("1.0.0"),
                Is::NoAssertion,
                ReasonCode::NoData,
                "funding is declared but without a usable URL",
            ),
        ];
        for (case, registry, latest, is, code, says) in cases {
            let d = income_streams(&registry, latest, NOW);
            expect(case, &d, is, code, says);
            if let Asserted::Value(streams) = d.value() {
                assert!(
                    streams
                        .iter()
                        .all(|s| s.last_modified == "2026-11-23T00:00:00Z")
                );
            }
        }
        for (registry, code) in failures::<RegistryPackage>("npm") {
            expect(
                &format!("{code:?}"),
                &income_streams(&registry, Some("1.0.0"), NOW),
                Is::NoAssertion,
                code,
                "no funding information: ",
            );
        }
    }

    #[test]
    fn income_streams_are_asserted_only_on_closed_world_evidence() {
        let registry = funded(
            Some(vec![fund(Some("github"), "https://github.com/sponsors/a")]),
            None,
        );
        for (case, l) in degraded(&registry) {
            expect_incomplete(
                case,
                &income_streams(&l, Some("1.0.0"), NOW),
                "npm's answer is",
            );
        }
    }
}
