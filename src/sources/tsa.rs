//! The RFC 3161 timestamp authority: one POST of a DER `TimeStampReq`
//! (`application/timestamp-query`), its `TimeStampResp` read back within a
//! size limit, its token checked to answer this request (imprint, nonce).
//! Who signed it is checked where it is verified (`attest::rfc3161`), not
//! here: the client takes the service's word only for what was asked.

use std::time::Duration;

use thiserror::Error;
use url::Url;

use crate::attest::rfc3161::{self, TimestampError, TimestampRequest};
use crate::config::Network;
use crate::redact::redact;

pub const SERVICE: &str = "timestamp authority";
/// An answer is a few kilobytes (a token with its certificates).
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;
const MAX_REDIRECTS: usize = 3;

#[derive(Debug, Error)]
pub enum TsaError {
    #[error("{SERVICE} {url}: {why}")]
    Failed { url: String, why: String },
    #[error("{SERVICE} {url}: {source}")]
    Answer {
        url: String,
        #[source]
        source: TimestampError,
    },
}

/// A client for one timestamp authority URL.
#[derive(Debug, Clone)]
pub struct TsaClient {
    http: reqwest::Client,
    url: Url,
}

impl TsaClient {
    /// Timeouts from the network settings; redirects only to the same
    /// scheme and host, at most three.
    pub fn new(url: Url, network: &Network) -> Result<TsaClient, TsaError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(TsaError::Failed {
                url: redact(&url),
                why: "the URL is not http or https".into(),
            });
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
        let http = reqwest::Client::builder()
            .user_agent(super::http::USER_AGENT)
            .redirect(policy)
            .connect_timeout(Duration::from_secs(network.timeout_seconds.clamp(1, 10)))
            .timeout(Duration::from_secs(network.timeout_seconds.max(1)))
            .build()
            .map_err(|e| TsaError::Failed {
                url: redact(&url),
                why: format!("cannot make an HTTP client: {e}"),
            })?;
        Ok(TsaClient { http, url })
    }

    pub fn url(&self) -> &Url {
        &self.url
    }

    /// A signed timestamp over `signature`: the authority's DER
    /// `TimeStampResp`, checked granted and answering this request (what a
    /// Sigstore bundle's `signedTimestamp` holds).
    pub async fn timestamp(&self, signature: &[u8]) -> Result<Vec<u8>, TsaError> {
        let request = TimestampRequest::new(signature);
        let body = self.post(&request.der).await?;
        rfc3161::parse_response(&body, Some(&request)).map_err(|source| TsaError::Answer {
            url: redact(&self.url),
            source,
        })
    }

    async fn post(&self, der: &[u8]) -> Result<Vec<u8>, TsaError> {
        let failed = |why: String| TsaError::Failed {
            url: redact(&self.url),
            why,
        };
        let mut response = self
            .http
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/timestamp-query")
            .header(reqwest::header::ACCEPT, "application/timestamp-reply")
            .body(der.to_vec())
            .send()
            .await
            .map_err(|e| failed(describe(e)))?;
        let status = response.status();
        if !status.is_success() {
            return Err(failed(format!("answered HTTP {}", status.as_u16())));
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_RESPONSE_BYTES as u64)
        {
            return Err(failed(format!(
                "the answer is larger than {MAX_RESPONSE_BYTES} bytes"
            )));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| failed(describe(e)))? {
            if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(failed(format!(
                    "the answer is larger than {MAX_RESPONSE_BYTES} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// A [`TsaClient`] the signing threads call without an async runtime of
/// their own: each call waits on this one's. Calls from several threads
/// at once run at once.
#[derive(Debug)]
pub struct BlockingTsa {
    client: TsaClient,
    runtime: tokio::runtime::Runtime,
}

impl BlockingTsa {
    pub fn new(url: Url, network: &Network) -> Result<BlockingTsa, TsaError> {
        let client = TsaClient::new(url, network)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| TsaError::Failed {
                url: redact(&client.url),
                why: format!("cannot start the network runtime: {e}"),
            })?;
        Ok(BlockingTsa { client, runtime })
    }

    pub fn url(&self) -> &Url {
        self.client.url()
    }
}

impl crate::attest::Timestamper for BlockingTsa {
    fn stamp(&self, signature: &[u8]) -> Result<Vec<u8>, crate::attest::TimestampFailed> {
        self.runtime
            .block_on(self.client.timestamp(signature))
            .map_err(|e| crate::attest::TimestampFailed(e.to_string()))
    }
}

/// A transport error in words, without the URL (the message names it once,
/// redacted).
fn describe(e: reqwest::Error) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls() {
        let e = TsaClient::new(
            Url::parse("ftp://u:pw@tsa.example/x").unwrap(),
            &Network::default(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "timestamp authority ftp://tsa.example/x: the URL is not http or https"
        );
    }
}
