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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attested_only_fields_say_who_can_set_them() {
        let e = attested_only("SuccessionPlan");
        assert_eq!(e.code, ReasonCode::AttestedOnly);
        assert_eq!(e.source, "tacos-sbom");
        assert_eq!(
            e.reason,
            "SuccessionPlan can only be set by a maintainer's attestation or a published TACOS report, and none set it"
        );
    }
}
