//! A decided field: its value and the evidence for it, made only through
//! the constructors here. A True, an "Active" and every asserted metadata
//! value take a [`Closed`] witness — proof that the evidence was complete,
//! well-formed and current — so no field function can turn partial facts
//! into a True without saying so here. A False, an adverse status and a
//! NOASSERTION need no witness: a vulnerability found is found.

use crate::sources::Closed;
use crate::tacos::{Asserted, Attestation, Evidence, PackageStatus, ReasonCode, Status};

/// A field's value and the evidence for it.
#[derive(Debug, Clone)]
pub struct Decided<T> {
    value: T,
    evidence: Evidence,
}

/// A value type whose "unknown" is NOASSERTION.
pub trait Undecided {
    fn no_assertion() -> Self;
}

impl Undecided for Attestation {
    fn no_assertion() -> Self {
        Attestation::NoAssertion
    }
}

impl<T> Undecided for Asserted<T> {
    fn no_assertion() -> Self {
        Asserted::NoAssertion
    }
}

impl<T: Undecided> Decided<T> {
    /// NOASSERTION, with the reason in the evidence.
    pub fn unknown(evidence: Evidence) -> Self {
        Decided {
            value: T::no_assertion(),
            evidence,
        }
    }
}

impl<T> Decided<T> {
    pub fn value(&self) -> &T {
        &self.value
    }

    pub fn evidence(&self) -> &Evidence {
        &self.evidence
    }

    pub fn evidence_mut(&mut self) -> &mut Evidence {
        &mut self.evidence
    }

    pub fn into_parts(self) -> (T, Evidence) {
        (self.value, self.evidence)
    }
}

impl Decided<Attestation> {
    /// True, on closed-world evidence.
    pub fn proven(_: Closed, evidence: Evidence) -> Self {
        Decided {
            value: Attestation::True,
            evidence,
        }
    }

    /// False: what was found is found, whatever else is unknown.
    pub fn refuted(evidence: Evidence) -> Self {
        Decided {
            value: Attestation::False,
            evidence,
        }
    }
}

impl<T> Decided<Asserted<T>> {
    /// A metadata value, on closed-world evidence.
    pub fn asserted(_: Closed, value: T, evidence: Evidence) -> Self {
        Decided {
            value: Asserted::Value(value),
            evidence,
        }
    }
}

/// A status that is a finding against the package, which partial evidence
/// can establish (a deprecation notice found is found). "Active" is not one
/// of them: it needs [`Decided::asserted`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adverse {
    Deprecated,
    Removed,
    Eol,
    /// Declared inactive, or no release within the threshold on a complete
    /// release history.
    Inactive,
}

impl Decided<Asserted<PackageStatus>> {
    pub fn adverse(status: Adverse, last_modified: String, evidence: Evidence) -> Self {
        let status = match status {
            Adverse::Deprecated => Status::Deprecated,
            Adverse::Removed => Status::Removed,
            Adverse::Eol => Status::Eol,
            Adverse::Inactive => Status::Inactive,
        };
        Decided {
            value: Asserted::Value(PackageStatus {
                status,
                last_modified,
            }),
            evidence,
        }
    }
}

/// Evidence for a NOASSERTION where a True or a value would have needed
/// closed-world evidence and the evidence was not: says which part.
pub fn incomplete(mut evidence: Evidence, why: &str) -> Evidence {
    evidence.code = ReasonCode::IncompleteEvidence;
    if !evidence.reason.is_empty() {
        evidence.reason.push_str("; ");
    }
    evidence.reason.push_str(&format!(
        "not asserted, because the evidence is incomplete: {why}"
    ));
    evidence
}
