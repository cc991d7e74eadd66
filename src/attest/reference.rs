//! How an SBOM refers to the artifacts: the markers and reference types
//! `enrich` writes and `verify` looks for, and the names of the files beside
//! the artifacts.

/// Comments of references this tool writes start with this.
pub const REFERENCE_MARKER: &str = "TACOS attestation";
/// SPDX `referenceType` of those references.
pub const SPDX_REFERENCE_TYPE: &str = "tacos-attestation";
/// CycloneDX 1.5+ reference type.
pub const CDX_REFERENCE_TYPE: &str = "attestation";
/// Name of the public key file written beside the artifacts (`.pub`, like
/// every public key this tool writes).
pub const PUBLIC_KEY_FILE: &str = "tacos-sbom.pub";
/// The name earlier versions gave it; still read.
pub const LEGACY_PUBLIC_KEY_FILE: &str = "tacos-sbom.pub.pem";
/// Default artifact directory name, beside the (first) output.
pub const DEFAULT_ATTESTATIONS_DIR: &str = "tacos-attestations";
/// Comments of document-level report references start with this.
pub const REPORT_MARKER: &str = "TACOS report";
/// SPDX `referenceType` of report references.
pub const SPDX_REPORT_REFERENCE_TYPE: &str = "tacos-report";
