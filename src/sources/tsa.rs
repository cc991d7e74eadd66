//! The RFC 3161 timestamp authority: one POST of a DER `TimeStampReq`
//! (`application/timestamp-query`), its `TimeStampResp` read back within a
//! size limit, its token checked to answer this request (imprint, nonce).
//! Who signed it is checked where it is verified (`attest::rfc3161`), not
//! here: the client takes the service's word only for what was asked.

use thiserror::Error;
use url::Url;

use crate::attest::rfc3161::{self, TimestampError, TimestampRequest};
use crate::config::Network;
use crate::redact::redact;

use super::signer_services;

pub const SERVICE: &str = "timestamp authority";
/// An answer is a few kilobytes (a token with its certificates).
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

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
        let http = signer_services::client(SERVICE, &url, network).map_err(failed)?;
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
        let response = self
            .http
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/timestamp-query")
            .header(reqwest::header::ACCEPT, "application/timestamp-reply")
            .body(der.to_vec())
            .send()
            .await
            .map_err(|e| failed(signer_services::describe(e)))?;
        let status = response.status();
        if !status.is_success() {
            return Err(failed(format!("answered HTTP {}", status.as_u16())));
        }
        signer_services::body_within(response, MAX_RESPONSE_BYTES)
            .await
            .map_err(failed)
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
        let runtime = signer_services::runtime(SERVICE, &client.url).map_err(failed)?;
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

fn failed(e: signer_services::ServiceError) -> TsaError {
    TsaError::Failed {
        url: e.url,
        why: e.why,
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
