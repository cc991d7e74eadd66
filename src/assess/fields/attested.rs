//! The fields only a maintainer's attestation or a published report can
//! set (PackageManagerMFAEnabled, SourceRepoMFAEnabled,
//! DocumentedBuildPractices, SuccessionPlan, SDLCPolicyURL,
//! SDLCEvidenceDataURL): automatically they are NOASSERTION, and say so.

use crate::purl::Ecosystem;
use crate::tacos::{Evidence, Field, ReasonCode};

/// A rule a registry holds every publisher to. It is context beside an
/// attested-only field, never its value: the framework asks what the
/// maintainers attest, and a registry's rule says what the registry
/// demands of accounts, not how this project's maintainers work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegistryRule {
    pub ecosystem: Ecosystem,
    pub field: Field,
    pub rule: &'static str,
    /// The date it took effect.
    pub since: &'static str,
    /// Where the registry said so.
    pub source: &'static str,
}

/// Every registry-wide rule known here, with its source.
pub const REGISTRY_RULES: &[RegistryRule] = &[RegistryRule {
    ecosystem: Ecosystem::PyPi,
    field: Field::PackageManagerMfaEnabled,
    rule: "PyPI requires every account to have two-factor authentication enabled before it uploads files or manages a project",
    since: "2024-01-01",
    source: "the PyPI Blog, \"2FA Required for PyPI\", 2024-01-01",
}];

/// The rules of `ecosystem`'s registry that bear on `field`.
pub fn registry_rules(
    ecosystem: Ecosystem,
    field: Field,
) -> impl Iterator<Item = &'static RegistryRule> {
    REGISTRY_RULES
        .iter()
        .filter(move |r| r.ecosystem == ecosystem && r.field == field)
}

/// `e` with the registry's rules for `field` added as context: a sentence
/// in the reason and `Observed.registryRules`; the value is untouched.
pub fn with_registry_context(e: &mut Evidence, ecosystem: Ecosystem, field: Field) {
    let rules: Vec<&RegistryRule> = registry_rules(ecosystem, field).collect();
    if rules.is_empty() {
        return;
    }
    for r in &rules {
        e.reason.push_str(&format!(
            "; context, not an attestation: {} (since {}; {}), a rule of the registry for every account, which leaves {} to the maintainers' word",
            r.rule,
            r.since,
            r.source,
            field.name()
        ));
    }
    let listed: Vec<serde_json::Value> = rules
        .iter()
        .map(|r| serde_json::json!({"rule": r.rule, "since": r.since, "source": r.source}))
        .collect();
    match e.observed.as_mut() {
        Some(serde_json::Value::Object(o)) => {
            o.insert("registryRules".into(), listed.into());
        }
        Some(_) => {}
        None => e.observed = Some(serde_json::json!({"registryRules": listed})),
    }
}

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

    #[test]
    fn registry_rules_are_context_for_their_registry_only() {
        let mut e = attested_only("PackageManagerMFAEnabled");
        with_registry_context(&mut e, Ecosystem::PyPi, Field::PackageManagerMfaEnabled);
        assert_eq!(e.code, ReasonCode::AttestedOnly);
        assert!(e.reason.contains("context, not an attestation: PyPI requires every account to have two-factor authentication"), "{}", e.reason);
        assert!(e.reason.contains("2FA Required for PyPI"), "{}", e.reason);
        assert_eq!(
            e.observed.as_ref().unwrap()["registryRules"][0]["since"],
            "2024-01-01"
        );
        for (eco, field) in [
            (Ecosystem::Npm, Field::PackageManagerMfaEnabled),
            (Ecosystem::PyPi, Field::SourceRepoMfaEnabled),
        ] {
            let mut e = attested_only(field.name());
            let before = e.clone();
            with_registry_context(&mut e, eco, field);
            assert_eq!(e, before);
        }
    }
}
