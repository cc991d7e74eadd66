//! Upstream services: one adapter per service, the shared HTTP client, the
//! cache and the offline OSV database.

pub mod model;
