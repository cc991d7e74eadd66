//! Documents fetched whole, for a reader on another floor (published TACOS
//! reports, read by `published`): Tidelift's API, asked with a token, and
//! a report's own URL. Fetched like any answer, through the shared client.

use super::adapter::Adapter;
use super::http::Service;

/// Tidelift's API: a project's TACOS report, asked with a token (so never
/// remembered).
pub const TIDELIFT: Adapter = Adapter::online(Service::Tidelift);

/// A published report at the URL given (`--reports https://...`).
pub const REPORTS: Adapter = Adapter::online(Service::Reports);
