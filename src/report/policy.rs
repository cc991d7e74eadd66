//! A policy gate for CI: fail when a component has a given value in a field
//! (`FixedVulnerabilities=False`, `PackageStatus=Deprecated`), or when more
//! than a share of all attestation values are NOASSERTION.

use serde::Deserialize;

use crate::tacos::{Asserted, Field, Statement};

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// `Field=Value` rules, e.g. `FixedVulnerabilities=False`.
    #[serde(default)]
    pub fail_on: Vec<String>,
    /// Fail when more than this percentage of attestation values is NOASSERTION.
    #[serde(default)]
    pub max_noassertion_percent: Option<f64>,
}

impl Policy {
    pub fn is_empty(&self) -> bool {
        self.fail_on.is_empty() && self.max_noassertion_percent.is_none()
    }

    /// Check the rules are well formed before any work is done.
    pub fn validate(&self) -> Result<(), String> {
        for r in &self.fail_on {
            rule(r)?;
        }
        if let Some(p) = self.max_noassertion_percent
            && !(0.0..=100.0).contains(&p)
        {
            return Err(format!(
                "max NOASSERTION percentage {p} is not between 0 and 100"
            ));
        }
        Ok(())
    }

    /// Every violation, one line each.
    pub fn evaluate(&self, statements: &[Statement]) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        for r in &self.fail_on {
            let (field, want) = rule(r)?;
            for s in statements {
                let value = match (field, &s.package_status) {
                    (Field::PackageStatus, Asserted::Value(p)) => serde_json::to_value(p.status)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    _ => s.display(field),
                };
                if value == want {
                    let why = s
                        .evidence
                        .get(&field)
                        .map(|e| e.reason.as_str())
                        .unwrap_or("");
                    out.push(format!("{} has {field}={want} ({r}): {why}", s.purl));
                }
            }
        }
        if let Some(max) = self.max_noassertion_percent {
            let share = super::noassertion_percent(statements);
            if share > max {
                out.push(format!(
                    "{share:.1}% of attestation values are NOASSERTION, more than the {max}% allowed"
                ));
            }
        }
        Ok(out)
    }
}

fn rule(r: &str) -> Result<(Field, String), String> {
    let (f, v) = r
        .split_once('=')
        .ok_or_else(|| format!("policy rule {r:?} is not FIELD=VALUE"))?;
    let field = Field::from_name(f.trim())
        .ok_or_else(|| format!("policy rule {r:?}: {f:?} is not a TACOS field"))?;
    Ok((field, v.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tacos::{Attestation, PackageStatus, Status};

    #[test]
    fn rules_fire_on_matching_values_only() {
        let purl = crate::purl::Purl::parse("pkg:npm/a@1").unwrap();
        let mut s = crate::assess::identity(&purl, vec![], &crate::assess::not_assessed());
        s.fixed_vulnerabilities = Attestation::False;
        s.package_status = Asserted::Value(PackageStatus {
            status: Status::Deprecated,
            last_modified: "x".into(),
        });
        let p = Policy {
            fail_on: vec![
                "FixedVulnerabilities=False".into(),
                "PackageStatus=Deprecated".into(),
                "CodeReviewPractice=False".into(),
            ],
            max_noassertion_percent: Some(50.0),
        };
        let v = p.evaluate(&[s]).unwrap();
        assert_eq!(v.len(), 3, "{v:?}");
        assert!(v[2].contains("NOASSERTION"));
        assert!(
            Policy {
                fail_on: vec!["Nope=True".into()],
                ..Policy::default()
            }
            .validate()
            .is_err()
        );
        assert!(
            Policy {
                fail_on: vec!["FixedVulnerabilities".into()],
                ..Policy::default()
            }
            .validate()
            .is_err()
        );
    }
}
