//! Fulcio, the Sigstore CA: one `POST /api/v2/signingCert` per run for
//! the run's key, with the OIDC token and a proof that the key is ours
//! (its signature over the token's subject). The answer is a chain of PEM
//! certificates, leaf first, with the CT log's SCT embedded in the leaf;
//! it is checked here to certify our key (`attest::certified`) — whether
//! the CA is trusted is the verifier's question, against its trusted root.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use url::Url;

use super::oidc::IdentityToken;
use super::signer_services::{self, ServiceError};
use crate::attest::certified::{CertifiedError, CertifiedKey};
use crate::attest::keys::SigningKey;
use crate::config::Network;

pub const SERVICE: &str = "Fulcio";
/// A chain is a few kilobytes.
const MAX_ANSWER_BYTES: usize = 256 * 1024;
/// More certificates than any real chain (leaf, intermediate, root).
const MAX_CHAIN: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum FulcioError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("{SERVICE} {url}: {source}")]
    Certificate {
        url: String,
        #[source]
        source: CertifiedError,
    },
}

/// A certificate for `key` from the Fulcio at `base`, for `token`'s identity.
pub async fn certify(
    base: &Url,
    token: &IdentityToken,
    key: SigningKey,
    network: &Network,
) -> Result<CertifiedKey, FulcioError> {
    let url = base
        .join("api/v2/signingCert")
        .map_err(|e| ServiceError::new(SERVICE, base, format!("not a base URL ({e})")))?;
    let http = signer_services::client(SERVICE, &url, network)?;
    let failed = |why: String| ServiceError::new(SERVICE, &url, why);
    let proof = STANDARD.encode(key.sign_bytes(token.subject.as_bytes()));
    let request = serde_json::json!({
        "credentials": { "oidcIdentityToken": token.secret() },
        "publicKeyRequest": {
            "publicKey": { "algorithm": "ECDSA", "content": key.public().to_spki_pem() },
            "proofOfPossession": proof,
        },
    });
    let signer_services::Answer { status, body, .. } =
        signer_services::post_json(&http, &url, &request, MAX_ANSWER_BYTES)
            .await
            .map_err(&failed)?;
    if !(200..300).contains(&status) {
        // Fulcio says why in its answer (wrong audience, expired token);
        // it never echoes the token.
        return Err(failed(format!(
            "answered HTTP {}: {}",
            status,
            signer_services::excerpt(&body)
        ))
        .into());
    }
    let chain = chain_of(&body).map_err(failed)?;
    CertifiedKey::new(key, chain).map_err(|source| FulcioError::Certificate {
        url: crate::redact::redact(&url),
        source,
    })
}

/// The DER certificates of a `signingCert` answer, leaf first.
fn chain_of(body: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let answer: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| "the answer is not JSON".to_string())?;
    if answer.get("signedCertificateDetachedSct").is_some() {
        return Err(
            "the certificate came with a detached SCT, which a Sigstore bundle v0.3 cannot hold; use a Fulcio that embeds it"
                .into(),
        );
    }
    let pems = answer
        .pointer("/signedCertificateEmbeddedSct/chain/certificates")
        .and_then(|v| v.as_array())
        .ok_or("the answer has no signedCertificateEmbeddedSct.chain.certificates")?;
    if pems.is_empty() || pems.len() > MAX_CHAIN {
        return Err(format!(
            "the answer holds {} certificates; expected 1 to {MAX_CHAIN}",
            pems.len()
        ));
    }
    let mut chain = Vec::with_capacity(pems.len());
    for (i, p) in pems.iter().enumerate() {
        let text = p
            .as_str()
            .ok_or_else(|| format!("certificates[{i}] is not a string"))?;
        let pem = ::pem::parse(text)
            .map_err(|_| format!("certificates[{i}] is not a PEM certificate"))?;
        if pem.tag() != "CERTIFICATE" {
            return Err(format!(
                "certificates[{i}] is a PEM {}, not a CERTIFICATE",
                pem.tag()
            ));
        }
        chain.push(pem.into_contents());
    }
    Ok(chain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_that_are_not_a_chain_are_refused() {
        for (body, why) in [
            ("<html>", "not JSON"),
            ("{}", "no signedCertificateEmbeddedSct"),
            (
                r#"{"signedCertificateDetachedSct":{"chain":{"certificates":[]},"signedCertificateTimestamp":"x"}}"#,
                "detached SCT",
            ),
            (
                r#"{"signedCertificateEmbeddedSct":{"chain":{"certificates":[]}}}"#,
                "holds 0 certificates",
            ),
            (
                r#"{"signedCertificateEmbeddedSct":{"chain":{"certificates":[1]}}}"#,
                "not a string",
            ),
            (
                r#"{"signedCertificateEmbeddedSct":{"chain":{"certificates":["x"]}}}"#,
                "not a PEM",
            ),
            (
                r#"{"signedCertificateEmbeddedSct":{"chain":{"certificates":["-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"]}}}"#,
                "not a CERTIFICATE",
            ),
        ] {
            let e = chain_of(body.as_bytes()).unwrap_err();
            assert!(e.contains(why), "{body}: {e}");
        }
    }
}
