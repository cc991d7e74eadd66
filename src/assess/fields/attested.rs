//! The fields only a maintainer's attestation or a published report can
//! set (PackageManagerMFAEnabled, SourceRepoMFAEnabled,
//! DocumentedBuildPractices, SuccessionPlan, SDLCPolicyURL,
//! SDLCEvidenceDataURL): automatically they are NOASSERTION, and say so.

use crate::tacos::{Evidence, ReasonCode};

pub fn attested_only(field: &str) -> Evidence {
    Evidence::new(
        "tacos-sbom",
        ReasonCode::AttestedOnly,
        format!(
            "{field} can only be set by a maintainer's attestation or a published TACOS report, and none set it"
        ),
    )
}
