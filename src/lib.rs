//! `tacos-sbom`: enrich CycloneDX and SPDX SBOMs with signed TACOS attestations.
//!
//! Data flows one way: [`sbom`] reads documents and lists components, [`purl`]
//! canonicalizes their package URLs, the assessor fills [`tacos`] statements,
//! [`attest`] signs them, and [`enrich`] writes the references back.

pub mod assess;
pub mod attach;
pub mod attest;
pub mod bundle;
pub mod config;
pub mod enrich;
pub mod fsutil;
pub mod license;
pub mod package;
pub mod percent;
pub mod published;
pub mod purl;
pub mod redact;
pub mod report;
pub mod sbom;
pub mod selfattest;
pub mod sources;
pub mod store;
pub mod suggest;
pub mod tacos;
pub mod term;
pub mod verify;
pub mod versions;
pub mod vex;
