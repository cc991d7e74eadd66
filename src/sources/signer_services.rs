//! What the signing services (timestamp authority, Fulcio, Rekor, a CI's
//! token endpoint) share: an HTTP client whose redirects stay on the first
//! host, answers read within a size bound, transport errors in words. They
//! are asked once per signature or run, never cached and never retried
//! blindly: a second Rekor entry for the same envelope is an answer of its
//! own.

use std::time::Duration;

use url::Url;

use crate::config::Network;
use crate::redact::redact;

const MAX_REDIRECTS: usize = 3;

/// A service's failure: which service, its URL (credentials removed), why.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{service} {url}: {why}")]
pub struct ServiceError {
    pub service: &'static str,
    pub url: String,
    pub why: String,
}

impl ServiceError {
    pub fn new(service: &'static str, url: &Url, why: impl Into<String>) -> ServiceError {
        ServiceError {
            service,
            url: redact(url),
            why: why.into(),
        }
    }
}

/// A client for `url`'s service: http or https only, timeouts from the
/// network settings, redirects only to the same scheme, host and port.
pub fn client(
    service: &'static str,
    url: &Url,
    network: &Network,
) -> Result<reqwest::Client, ServiceError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ServiceError::new(
            service,
            url,
            "the URL is not http or https",
        ));
    }
    let policy = reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() > MAX_REDIRECTS {
            return attempt.error("too many redirects");
        }
        let first = &attempt.previous()[0];
        let next = attempt.url();
        if next.scheme() == first.scheme()
            && next.host_str() == first.host_str()
            && next.port_or_known_default() == first.port_or_known_default()
        {
            attempt.follow()
        } else {
            let to = redact(next);
            attempt.error(format!("redirect to another host refused ({to})"))
        }
    });
    reqwest::Client::builder()
        .user_agent(super::http::USER_AGENT)
        .redirect(policy)
        .connect_timeout(Duration::from_secs(network.timeout_seconds.clamp(1, 10)))
        .timeout(Duration::from_secs(network.timeout_seconds.max(1)))
        .build()
        .map_err(|e| ServiceError::new(service, url, format!("cannot make an HTTP client: {e}")))
}

/// A runtime of one worker for the blocking wrappers the signing threads
/// call: each call waits on it; calls from several threads run at once.
pub fn runtime(service: &'static str, url: &Url) -> Result<tokio::runtime::Runtime, ServiceError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| {
            ServiceError::new(
                service,
                url,
                format!("cannot start the network runtime: {e}"),
            )
        })
}

/// An answer to [`post_json`]: its status, `Location` header and body.
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub body: Vec<u8>,
}

/// POST `request` as JSON to `url`, asking for JSON; the answer's body is
/// refused past `max` bytes; its status is the caller's to judge.
pub async fn post_json(
    http: &reqwest::Client,
    url: &Url,
    request: &serde_json::Value,
    max: usize,
) -> Result<Answer, String> {
    let response = http
        .post(url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(serde_json::to_vec(request).expect("JSON of strings"))
        .send()
        .await
        .map_err(describe)?;
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let body = body_within(response, max).await?;
    Ok(Answer {
        status,
        location,
        body,
    })
}

/// The answer's body, refused past `max` bytes (by its length, else as it
/// streams); its status is the caller's to judge.
pub async fn body_within(mut response: reqwest::Response, max: usize) -> Result<Vec<u8>, String> {
    let too_large = || format!("the answer is larger than {max} bytes");
    if response.content_length().is_some_and(|n| n > max as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(describe)? {
        if body.len() + chunk.len() > max {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A transport error in words, without the URL (the message names it once,
/// redacted).
pub fn describe(e: reqwest::Error) -> String {
    if e.is_timeout() {
        "did not answer in time".into()
    } else if e.is_connect() {
        "cannot connect".into()
    } else if e.is_redirect() {
        let mut source: Option<&dyn std::error::Error> = std::error::Error::source(&e);
        while let Some(s) = source {
            if s.source().is_none() {
                return s.to_string();
            }
            source = s.source();
        }
        "redirect refused".into()
    } else {
        e.without_url().to_string()
    }
}

/// An answer's text for an error message: the start of it, printable.
pub fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}
