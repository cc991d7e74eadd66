//! Rekor v1, the transparency log: each signed envelope is entered as a
//! `dsse` 0.0.1 entry (`POST /api/v1/log/entries`, the envelope and the
//! signer's certificate), and the log's answer — the canonicalized body,
//! its index and time, the signed entry timestamp and the inclusion proof
//! with its checkpoint — becomes the bundle's `tlogEntries[0]`.
//!
//! The answer is checked at this boundary to be an entry for *this*
//! envelope (its signature, its certificate, its payload's digest) and to
//! be whole; whether the log's signatures are good is the verifier's
//! question, against the log key in its trusted root.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use url::Url;

use super::signer_services::{self, ServiceError};
use crate::attest::dsse::Envelope;
use crate::attest::sigstore::{
    Checkpoint, InclusionPromise, InclusionProof, KindVersion, LogId, TlogEntry,
};
use crate::config::Network;

pub const SERVICE: &str = "Rekor";
/// An entry's answer is a few kilobytes (the body holds hashes, not the
/// payload).
const MAX_ANSWER_BYTES: usize = 256 * 1024;
/// An audit path of a tree of 2^64 leaves.
const MAX_PROOF_HASHES: usize = 64;
const MAX_CHECKPOINT_BYTES: usize = 16 * 1024;

/// A client for one Rekor, entering envelopes signed under one certificate.
#[derive(Debug, Clone)]
pub struct RekorClient {
    http: reqwest::Client,
    entries: Url,
    /// Base64 of the signer's PEM certificate, as the entry names it.
    verifier: String,
    /// The certificate, DER: what the entry's verifier must be (the log
    /// may re-encode its PEM).
    certificate: Vec<u8>,
    /// The certificate's validity: an entry logged outside it proves nothing.
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
}

impl RekorClient {
    pub fn new(
        base: &Url,
        certificate_pem: &str,
        validity: (OffsetDateTime, OffsetDateTime),
        network: &Network,
    ) -> Result<RekorClient, ServiceError> {
        let entries = base
            .join("api/v1/log/entries")
            .map_err(|e| ServiceError::new(SERVICE, base, format!("not a base URL ({e})")))?;
        let http = signer_services::client(SERVICE, &entries, network)?;
        Ok(RekorClient {
            http,
            entries,
            verifier: STANDARD.encode(certificate_pem),
            certificate: ::pem::parse(certificate_pem)
                .map(::pem::Pem::into_contents)
                .map_err(|_| ServiceError::new(SERVICE, base, "the certificate is not PEM"))?,
            not_before: validity.0,
            not_after: validity.1,
        })
    }

    pub fn url(&self) -> &Url {
        &self.entries
    }

    /// Enter `envelope` in the log; its entry as a bundle holds it.
    pub async fn log(&self, envelope: &Envelope) -> Result<TlogEntry, ServiceError> {
        let failed = |why: String| ServiceError::new(SERVICE, &self.entries, why);
        let envelope_json =
            serde_json::to_string(envelope).expect("an envelope of strings always serializes");
        let request = serde_json::json!({
            "apiVersion": "0.0.1",
            "kind": "dsse",
            "spec": { "proposedContent": {
                "envelope": envelope_json,
                "verifiers": [self.verifier],
            }},
        });
        let response = self
            .http
            .post(self.entries.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(serde_json::to_vec(&request).expect("JSON of strings"))
            .send()
            .await
            .map_err(|e| failed(signer_services::describe(e)))?;
        let status = response.status();
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let body = signer_services::body_within(response, MAX_ANSWER_BYTES)
            .await
            .map_err(&failed)?;
        let body = match (status.as_u16(), location) {
            (200 | 201, _) => body,
            // Entered already (the same envelope twice in a run): the log
            // points at the entry it has.
            (409, Some(at)) => self.existing(&at).await?,
            (code, _) => {
                return Err(failed(format!(
                    "answered HTTP {code}: {}",
                    signer_services::excerpt(&body)
                )));
            }
        };
        let entry = entry_of(&body, envelope, &self.certificate).map_err(&failed)?;
        let t: i64 = entry.integrated_time.parse().unwrap_or(i64::MIN);
        if t < self.not_before.unix_timestamp() || t > self.not_after.unix_timestamp() {
            return Err(failed(format!(
                "the entry was logged at {t} (Unix time), outside the certificate's validity ({} to {}): a verifier would refuse it; the run took longer than the certificate lives",
                self.not_before.unix_timestamp(),
                self.not_after.unix_timestamp()
            )));
        }
        Ok(entry)
    }

    /// The entry a 409 pointed at, on the log's own origin only.
    async fn existing(&self, location: &str) -> Result<Vec<u8>, ServiceError> {
        let failed = |why: String| ServiceError::new(SERVICE, &self.entries, why);
        let url = self
            .entries
            .join(location)
            .map_err(|_| failed("answered 409 with a Location that is not a URL".into()))?;
        if url.origin() != self.entries.origin() {
            return Err(failed(
                "answered 409 pointing at another host; not followed".into(),
            ));
        }
        let response = self
            .http
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| failed(signer_services::describe(e)))?;
        let status = response.status();
        let body = signer_services::body_within(response, MAX_ANSWER_BYTES)
            .await
            .map_err(&failed)?;
        if !status.is_success() {
            return Err(failed(format!(
                "answered 409, then HTTP {} for the entry it named",
                status.as_u16()
            )));
        }
        Ok(body)
    }
}

/// A [`RekorClient`] the signing threads call.
#[derive(Debug)]
pub struct BlockingRekor {
    client: RekorClient,
    runtime: tokio::runtime::Runtime,
}

impl BlockingRekor {
    pub fn new(client: RekorClient) -> Result<BlockingRekor, ServiceError> {
        let runtime = signer_services::runtime(SERVICE, client.url())?;
        Ok(BlockingRekor { client, runtime })
    }

    pub fn url(&self) -> &Url {
        self.client.url()
    }
}

impl crate::attest::TransparencyLog for BlockingRekor {
    fn log(&self, envelope: &Envelope) -> Result<TlogEntry, crate::attest::LogFailed> {
        self.runtime
            .block_on(self.client.log(envelope))
            .map_err(|e| crate::attest::LogFailed(e.to_string()))
    }
}

#[derive(serde::Deserialize)]
struct Anon {
    body: String,
    #[serde(rename = "integratedTime")]
    integrated_time: i64,
    #[serde(rename = "logID")]
    log_id: String,
    #[serde(rename = "logIndex")]
    log_index: i64,
    verification: Option<Verification>,
}

#[derive(serde::Deserialize)]
struct Verification {
    #[serde(rename = "signedEntryTimestamp")]
    signed_entry_timestamp: Option<String>,
    #[serde(rename = "inclusionProof")]
    inclusion_proof: Option<ProofIn>,
}

#[derive(serde::Deserialize)]
struct ProofIn {
    checkpoint: String,
    hashes: Vec<String>,
    #[serde(rename = "logIndex")]
    log_index: i64,
    #[serde(rename = "rootHash")]
    root_hash: String,
    #[serde(rename = "treeSize")]
    tree_size: i64,
}

/// The bundle's entry from a log answer (`{UUID: entry}`), checked to be
/// whole and to record `envelope` signed under `certificate` (DER).
fn entry_of(body: &[u8], envelope: &Envelope, certificate: &[u8]) -> Result<TlogEntry, String> {
    let answer: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(body).map_err(|_| "the answer is not a JSON object".to_string())?;
    if answer.len() != 1 {
        return Err(format!(
            "the answer holds {} entries; one was entered",
            answer.len()
        ));
    }
    let (_, value) = answer.into_iter().next().expect("one entry");
    let anon: Anon =
        serde_json::from_value(value).map_err(|e| format!("the entry is not a log entry: {e}"))?;
    let canonical = STANDARD
        .decode(&anon.body)
        .map_err(|_| "the entry's body is not base64".to_string())?;
    check_body(&canonical, envelope, certificate)?;
    let log_id = hex::decode(&anon.log_id)
        .ok()
        .filter(|b| b.len() == 32)
        .ok_or("the entry's logID is not a SHA-256 in hex")?;
    let verification = anon
        .verification
        .ok_or("the entry has no verification (inclusion proof, signed entry timestamp)")?;
    let set = verification
        .signed_entry_timestamp
        .filter(|s| STANDARD.decode(s).is_ok_and(|b| !b.is_empty()))
        .ok_or("the entry has no signedEntryTimestamp in base64")?;
    let proof = verification
        .inclusion_proof
        .ok_or("the entry has no inclusionProof: a bundle v0.3 needs one")?;
    let hash32 = |h: &str| {
        hex::decode(h)
            .ok()
            .filter(|b| b.len() == 32)
            .map(|b| STANDARD.encode(b))
    };
    if proof.hashes.len() > MAX_PROOF_HASHES {
        return Err(format!(
            "the inclusion proof has {} hashes; a log this tool trusts needs at most {MAX_PROOF_HASHES}",
            proof.hashes.len()
        ));
    }
    let hashes = proof
        .hashes
        .iter()
        .map(|h| hash32(h))
        .collect::<Option<Vec<_>>>()
        .ok_or("an inclusion proof hash is not a SHA-256 in hex")?;
    let root_hash =
        hash32(&proof.root_hash).ok_or("the inclusion proof's rootHash is not a SHA-256 in hex")?;
    if anon.log_index < 0
        || anon.integrated_time <= 0
        || proof.log_index < 0
        || proof.tree_size <= proof.log_index
    {
        return Err(format!(
            "the entry's numbers do not hold together (logIndex {}, integratedTime {}, proof logIndex {}, treeSize {})",
            anon.log_index, anon.integrated_time, proof.log_index, proof.tree_size
        ));
    }
    if proof.checkpoint.is_empty() || proof.checkpoint.len() > MAX_CHECKPOINT_BYTES {
        return Err("the inclusion proof's checkpoint is empty or too large".into());
    }
    Ok(TlogEntry {
        log_index: anon.log_index.to_string(),
        log_id: LogId {
            key_id: STANDARD.encode(log_id),
        },
        kind_version: KindVersion {
            kind: "dsse".into(),
            version: "0.0.1".into(),
        },
        integrated_time: anon.integrated_time.to_string(),
        inclusion_promise: Some(InclusionPromise {
            signed_entry_timestamp: set,
        }),
        inclusion_proof: InclusionProof {
            log_index: proof.log_index.to_string(),
            root_hash,
            tree_size: proof.tree_size.to_string(),
            hashes,
            checkpoint: Checkpoint {
                envelope: proof.checkpoint,
            },
        },
        canonicalized_body: anon.body,
    })
}

/// The canonicalized body must be a `dsse` 0.0.1 entry of this envelope:
/// its one signature ours, by our certificate, over this payload.
fn check_body(canonical: &[u8], envelope: &Envelope, certificate: &[u8]) -> Result<(), String> {
    let other = "the log answered with an entry for another artifact";
    let body: serde_json::Value = serde_json::from_slice(canonical)
        .map_err(|_| "the entry's body is not JSON".to_string())?;
    let kind = body.get("kind").and_then(|v| v.as_str());
    let version = body.get("apiVersion").and_then(|v| v.as_str());
    if kind != Some("dsse") || version != Some("0.0.1") {
        return Err(format!(
            "the entry is a {} {}, not the dsse 0.0.1 entered",
            kind.unwrap_or("?"),
            version.unwrap_or("?")
        ));
    }
    let payload = envelope.payload_bytes().map_err(|e| e.to_string())?;
    let payload_hash = hex::encode(Sha256::digest(&payload));
    let found_hash = body
        .pointer("/spec/payloadHash/value")
        .and_then(|v| v.as_str());
    if found_hash != Some(payload_hash.as_str()) {
        return Err(format!(
            "{other} (payload digest {})",
            found_hash.unwrap_or("missing")
        ));
    }
    let ours = envelope.signatures.first().map(|s| s.sig.as_str());
    let signatures = body
        .pointer("/spec/signatures")
        .and_then(|v| v.as_array())
        .map(Vec::as_slice)
        .unwrap_or_default();
    let matches = signatures.len() == 1
        && signatures[0].get("signature").and_then(|v| v.as_str()) == ours
        && signatures[0]
            .get("verifier")
            .and_then(|v| v.as_str())
            .and_then(|b64| STANDARD.decode(b64).ok())
            .and_then(|text| ::pem::parse(text).ok())
            .is_some_and(|pem| pem.contents() == certificate);
    if !matches {
        return Err(format!(
            "{other} (its signature or certificate is not this run's)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attest::dsse::EnvelopeSignature;

    /// A "certificate" of the bytes `cert`, as PEM.
    const CERT_PEM: &str = "-----BEGIN CERTIFICATE-----\nY2VydA==\n-----END CERTIFICATE-----\n";

    fn envelope() -> Envelope {
        Envelope {
            payload_type: "application/vnd.in-toto+json".into(),
            payload: STANDARD.encode(b"{}"),
            signatures: vec![EnvelopeSignature {
                keyid: String::new(),
                sig: "c2ln".into(),
            }],
        }
    }

    fn answer(body: &serde_json::Value, tweak: impl Fn(&mut serde_json::Value)) -> Vec<u8> {
        let mut entry = serde_json::json!({
            "body": STANDARD.encode(serde_json::to_vec(body).unwrap()),
            "integratedTime": 1_700_000_000,
            "logID": "aa".repeat(32),
            "logIndex": 7,
            "verification": {
                "signedEntryTimestamp": "c2V0",
                "inclusionProof": {
                    "checkpoint": "log\n8\nroot\n\n— log sig\n",
                    "hashes": ["bb".repeat(32)],
                    "logIndex": 7,
                    "rootHash": "cc".repeat(32),
                    "treeSize": 8
                }
            }
        });
        tweak(&mut entry);
        serde_json::to_vec(&serde_json::json!({ "uuid": entry })).unwrap()
    }

    fn body(sig: &str, payload: &[u8]) -> serde_json::Value {
        serde_json::json!({
            "apiVersion": "0.0.1", "kind": "dsse",
            "spec": {
                "payloadHash": {"algorithm": "sha256", "value": hex::encode(Sha256::digest(payload))},
                "signatures": [{"signature": sig, "verifier": STANDARD.encode(CERT_PEM)}]
            }
        })
    }

    #[test]
    fn an_entry_of_this_envelope_becomes_the_bundle_s() {
        let e = entry_of(&answer(&body("c2ln", b"{}"), |_| {}), &envelope(), b"cert").unwrap();
        assert_eq!(e.log_index, "7");
        assert_eq!(e.integrated_time, "1700000000");
        assert_eq!(e.log_id.key_id, STANDARD.encode([0xaa; 32]));
        assert_eq!(e.inclusion_proof.root_hash, STANDARD.encode([0xcc; 32]));
        assert_eq!(e.inclusion_proof.hashes, vec![STANDARD.encode([0xbb; 32])]);
        assert_eq!(e.kind_version.kind, "dsse");
    }

    #[test]
    fn entries_for_other_artifacts_or_incomplete_ones_are_refused() {
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (answer(&body("b3RoZXI=", b"{}"), |_| {}), "another artifact"),
            (
                answer(&body("c2ln", b"[]"), |_| {}),
                "another artifact (payload digest",
            ),
            (answer(&body("c2ln", b"{}"), |_| {}), "not this run's"),
            (
                answer(
                    &serde_json::json!({"kind": "hashedrekord", "apiVersion": "0.0.1"}),
                    |_| {},
                ),
                "hashedrekord 0.0.1, not the dsse",
            ),
            (
                answer(&body("c2ln", b"{}"), |e| {
                    e["verification"]["inclusionProof"].take();
                    e["verification"]
                        .as_object_mut()
                        .unwrap()
                        .remove("inclusionProof");
                }),
                "no inclusionProof",
            ),
            (
                answer(&body("c2ln", b"{}"), |e| {
                    e["verification"]["inclusionProof"]["hashes"] =
                        serde_json::json!(vec!["bb".repeat(32); 65]);
                }),
                "65 hashes",
            ),
            (
                answer(&body("c2ln", b"{}"), |e| {
                    e["verification"]["inclusionProof"]["treeSize"] = 7.into();
                }),
                "do not hold together",
            ),
            (
                answer(&body("c2ln", b"{}"), |e| e["logID"] = "zz".into()),
                "logID",
            ),
            (b"{\"a\":1,\"b\":2}".to_vec(), "holds 2 entries"),
        ];
        for (i, (bytes, why)) in cases.into_iter().enumerate() {
            let certificate: &[u8] = if why == "not this run's" {
                b"other"
            } else {
                b"cert"
            };
            let e = entry_of(&bytes, &envelope(), certificate).unwrap_err();
            assert!(e.contains(why), "case {i}: {e}");
        }
    }
}
