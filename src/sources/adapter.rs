//! The one shape every upstream service has at its boundary. A service
//! declares itself once, in its own file, as an [`Adapter`]: which
//! [`Service`] it is, whether it needs the network, and its batch endpoint
//! if it has one. Each kind of request it answers is a [`Question`] (a
//! GET: its path and its parser, which validates the answer) or a
//! [`Batch`] (a POST of many items, split at the declared limit). The
//! fetching, remembering, batching and offline handling are the hub's, the
//! same for every adapter (`sources::hub`).

use std::hash::Hash;

use super::http::Service;

/// A service as it declares itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Adapter {
    /// Which service it is: names it in messages and evidence, and counts
    /// its requests.
    pub service: Service,
    /// Whether answering needs the network. With `--offline` such an
    /// adapter answers only from what is stored; one that does not (the
    /// offline OSV database) answers as always.
    pub network: bool,
    /// Its batch endpoint, if it has one.
    pub batch: Option<BatchEndpoint>,
}

/// Where a service takes many questions in one request, and how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchEndpoint {
    /// Relative to the service's base URL.
    pub path: &'static str,
    /// The most items one request may carry.
    pub limit: usize,
}

impl Adapter {
    /// A service asked over the network, one question a request.
    pub const fn online(service: Service) -> Adapter {
        Adapter {
            service,
            network: true,
            batch: None,
        }
    }

    /// The same, with a batch endpoint.
    pub const fn batching(service: Service, path: &'static str, limit: usize) -> Adapter {
        Adapter {
            service,
            network: true,
            batch: Some(BatchEndpoint { path, limit }),
        }
    }

    /// Answered from files on this machine, never the network.
    pub const fn local(service: Service) -> Adapter {
        Adapter {
            service,
            network: false,
            batch: None,
        }
    }

    /// An answer of this service found malformed, and why.
    pub fn malformed(&self, why: String) -> Malformed {
        Malformed {
            service: self.service,
            why,
        }
    }
}

/// An answer not in the shape its service documents (wrong types, missing
/// keys, HTML, truncated, another package's answer): never remembered,
/// never a value. Its text is the reason evidence quotes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{why}")]
pub struct Malformed {
    pub service: Service,
    pub why: String,
}

/// What the hub makes of an answer that is not a well-formed 200.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answers {
    /// The service's word: its 404 is "not found", remembered like any
    /// answer; a stored copy that no longer passes the parser is asked for
    /// again at once.
    Definite,
    /// Details that may be missing: only a well-formed 200 counts, and
    /// anything else is no answer this time (asked again by the next run).
    BestEffort,
}

/// One kind of GET a service answers: where to ask, and how its answer is
/// read and checked.
pub trait Question: Send + Sync + 'static {
    /// The service asked.
    const ADAPTER: &'static Adapter;
    /// How its answers other than a well-formed 200 count.
    const ANSWERS: Answers = Answers::Definite;
    /// What one question is about (a package name, a version, a record).
    type Key: Clone + Eq + Hash + Send + Sync + 'static;
    /// The answer, as validated.
    type Value: Clone + Send + Sync + 'static;
    /// Where to ask, relative to the service's base URL.
    fn path(key: &Self::Key) -> String;
    /// The answer read, and checked to be what was asked, at the boundary.
    fn parse(body: &[u8], key: &Self::Key) -> Result<Self::Value, Malformed>;
    /// Whether a status other than 200 and 404 means "no answer this time"
    /// (a rate limit) rather than an answer to read, for a definite question.
    fn unavailable(_status: u16) -> bool {
        false
    }
}

/// A question many items share one request for: POSTed to the adapter's
/// batch endpoint, at most its limit of items a request.
pub trait Batch: Send + Sync + 'static {
    /// The service asked; its `batch` says where and how many.
    const ADAPTER: &'static Adapter;
    /// Whether the batch answer is remembered as it is (under its body).
    /// `false` where each item's part is remembered on its own instead.
    const REMEMBERED: bool;
    /// One item of a request.
    type Item: Clone + Send + Sync + 'static;
    /// What one answer says, as validated.
    type Page: Send + 'static;
    /// The request's body: `items`, continuing at `page` if given.
    fn body(items: &[Self::Item], page: Option<&str>) -> Vec<u8>;
    /// One answer, read and checked against the items asked.
    fn parse(body: &[u8], items: &[Self::Item]) -> Result<Self::Page, Malformed>;
}
