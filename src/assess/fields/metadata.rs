//! What the registry and deps.dev declare about the package:
//! UpstreamRepositoryURL, SPDXLicenseLatestRelease and SBOM.

use serde_json::json;

use super::evidence::{missing, no_data, observed, with_code};
use super::releases::Latest;
use crate::assess::verdict::{Decided, incomplete};
use crate::license::{self, Normalized};
use crate::sources::model::{DepsDevVersion, RegistryPackage};
use crate::sources::{Closed, Found, Lookup, repo_url};
use crate::tacos::{Asserted, Evidence, ReasonCode};

/// The upstream repository, validated: from a repository field or a link
/// the registry labels as the source (never a homepage, never an issues or
/// CI page), else deps.dev's SOURCE_REPO link.
pub struct Repository {
    pub url: String,
    pub raw: String,
    pub place: &'static str,
    pub closed: Result<Closed, String>,
    evidence: Evidence,
}

pub fn repository(
    registry: &Lookup<RegistryPackage>,
    depsdev: &Lookup<DepsDevVersion>,
    latest: Option<&str>,
) -> Option<Repository> {
    if let Some(found) = registry.found() {
        let pkg = &found.value;
        let from_release = latest
            .and_then(|v| pkg.release(v))
            .and_then(|r| r.repository.clone());
        let candidates = from_release
            .into_iter()
            .map(|r| (r, "the latest stable release's repository field"))
            .chain(
                pkg.repository
                    .clone()
                    .map(|r| (r, "the package's repository field")),
            )
            .chain(
                pkg.links
                    .iter()
                    .filter(|(label, _)| repo_url::is_source_label(label))
                    .map(|(_, u)| (u.clone(), "a project link labelled as the source")),
            );
        for (raw, place) in candidates {
            if let Some(url) = repo_url::repository(&raw) {
                let evidence = observed(
                    found,
                    format!("{url} from {place} ({raw:?})"),
                    json!({"declared": raw}),
                );
                return Some(Repository {
                    closed: found.closed(),
                    url,
                    raw,
                    place,
                    evidence,
                });
            }
        }
    }
    let found = depsdev.found()?;
    found
        .value
        .links
        .iter()
        .filter(|(label, _)| label == "SOURCE_REPO")
        .find_map(|(_, raw)| {
            let url = repo_url::repository(raw)?;
            Some(Repository {
                evidence: observed(
                    found,
                    format!("{url} from deps.dev's SOURCE_REPO link ({raw:?})"),
                    json!({"link": raw}),
                ),
                closed: found.closed(),
                url,
                raw: raw.clone(),
                place: "deps.dev's SOURCE_REPO link",
            })
        })
}

pub fn upstream_repository(
    registry: &Lookup<RegistryPackage>,
    depsdev: &Lookup<DepsDevVersion>,
    latest: Option<&str>,
) -> Decided<Asserted<String>> {
    match repository(registry, depsdev, latest) {
        Some(r) => match r.closed {
            Ok(c) => Decided::asserted(c, r.url, r.evidence),
            Err(why) => Decided::unknown(incomplete(r.evidence, &why)),
        },
        None => {
            let mut e = missing(registry, "no repository URL");
            if registry.found().is_some() {
                e.code = ReasonCode::NoData;
                e.reason = "no repository URL is declared in a repository field or a link labelled as the source (a homepage is not taken for the repository), and deps.dev gives none".into();
            }
            Decided::unknown(e)
        }
    }
}

pub fn license_latest(
    registry: &Lookup<RegistryPackage>,
    depsdev: &Lookup<DepsDevVersion>,
    latest: &Latest,
) -> Decided<Asserted<String>> {
    let Some(version) = latest.version.as_deref() else {
        return Decided::unknown(no_data(
            "tacos-sbom",
            "no latest stable release is known, so its license is not either",
        ));
    };
    let declared = registry.found().and_then(|found| {
        found
            .value
            .release(version)
            .and_then(|r| r.license.clone())
            .map(|l| (found, l))
    });
    if let Some((found, declared)) = declared {
        return license_decision(found, &declared, version, latest);
    }
    if let Some(found) = depsdev.found()
        && !found.value.licenses.is_empty()
    {
        let joined = if found.value.licenses.len() == 1 {
            found.value.licenses[0].clone()
        } else {
            found
                .value
                .licenses
                .iter()
                .map(|l| format!("({l})"))
                .collect::<Vec<_>>()
                .join(" AND ")
        };
        return license_decision(found, &joined, version, latest);
    }
    let mut e = missing(registry, "no license");
    if registry.found().is_some() {
        e.code = ReasonCode::NoData;
        e.reason = format!("release {version} declares no license in the registry metadata");
    }
    Decided::unknown(e)
}

fn license_decision<T>(
    found: &Found<T>,
    declared: &str,
    version: &str,
    latest: &Latest,
) -> Decided<Asserted<String>> {
    match license::normalize(declared) {
        Normalized::Spdx { expression, note } => {
            let mut reason = format!("{expression}: the license {version} declares");
            if let Some(n) = note {
                reason.push_str(&format!(" ({n})"));
            }
            let e = observed(found, reason, json!({"declared": declared}));
            match Closed::all([found.closed(), latest.closed.clone()]) {
                Ok(c) => Decided::asserted(c, expression, e),
                Err(why) => Decided::unknown(incomplete(e, &why)),
            }
        }
        Normalized::Unknown(why) => Decided::unknown(with_code(
            observed(
                found,
                format!("release {version}: {why}"),
                json!({"declared": declared}),
            ),
            ReasonCode::NoData,
        )),
    }
}

pub fn sbom_list() -> Evidence {
    Evidence::new(
        "tacos-sbom",
        ReasonCode::NoData,
        "no source consulted lists a published SBOM for the latest release",
    )
}
