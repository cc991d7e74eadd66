//! A package's releases: from its ecosystem's registry where there is an
//! adapter for it, else from deps.dev's version list.

use super::Lookup;
use super::http::Service;
use super::hub::Sources;
use super::model::RegistryPackage;
use super::{crates, depsdev, npm, pypi};
use crate::purl::Ecosystem;

/// The registry adapter of each ecosystem that has one.
pub fn service(eco: Ecosystem) -> Option<Service> {
    let adapter = match eco {
        Ecosystem::Npm => &npm::ADAPTER,
        Ecosystem::PyPi => &pypi::ADAPTER,
        Ecosystem::Cargo => &crates::INDEX,
        _ => return None,
    };
    Some(adapter.service)
}

/// The package's releases, asked once a run.
pub async fn lookup(sources: &Sources, eco: Ecosystem, name: &str) -> Lookup<RegistryPackage> {
    let Some(service) = service(eco) else {
        return depsdev::listing(sources, eco, name).await;
    };
    if let Some(why) = note_unconfigured(sources, eco, name) {
        return Lookup::Unavailable {
            source: service.name().into(),
            reason: format!("not configured: {why}"),
        };
    }
    match eco {
        Ecosystem::Npm => sources.ask::<npm::Packument>(name.to_string()).await,
        Ecosystem::PyPi => sources.ask::<pypi::Project>(name.to_string()).await,
        _ => crates::package(sources, name).await,
    }
}

/// A package decided without its registry, because it has no endpoint:
/// counted once per package, and why returned. Also for statements reused
/// from the store, which were decided under the same endpoints.
pub fn note_unconfigured(sources: &Sources, eco: Ecosystem, name: &str) -> Option<String> {
    sources.note_unconfigured(service(eco)?, (eco, name.to_string()))
}

/// Ask the ecosystems' own clients for their registries now, in the
/// background (see `Endpoints::discover_in_background`). Every package of
/// these ecosystems asks for its registry anyway, so no client is asked
/// that would not have been.
pub fn discover(sources: &Sources, ecosystems: impl IntoIterator<Item = Ecosystem>) {
    sources
        .endpoints()
        .discover_in_background(ecosystems.into_iter().filter_map(service));
}
