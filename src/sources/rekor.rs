//! Rekor, the transparency log. v1: each signed envelope is entered as a
//! `dsse` 0.0.1 entry (`POST /api/v1/log/entries`, the envelope and the
//! signer's certificate), and the log's answer — the canonicalized body,
//! its index and time, the signed entry timestamp and the inclusion proof
//! with its checkpoint — becomes the bundle's `tlogEntries[0]`. v2 (a tile
//! log): the envelope is entered as `hashedrekord` 0.0.2 (`POST
//! /api/v2/log/entries`: the SHA-256 of its PAE, its signature, the
//! certificate), and the answer is already a bundle's entry (no time, no
//! signed entry timestamp: the timestamp authority gives the time).
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
use crate::sources::signing_config::RekorApi;

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
    api: RekorApi,
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
        api: RekorApi,
        certificate_pem: &str,
        validity: (OffsetDateTime, OffsetDateTime),
        network: &Network,
    ) -> Result<RekorClient, ServiceError> {
        let path = match api {
            RekorApi::V1 => "api/v1/log/entries",
            RekorApi::V2 => "api/v2/log/entries",
        };
        let entries = base
            .join(path)
            .map_err(|e| ServiceError::new(SERVICE, base, format!("not a base URL ({e})")))?;
        let http = signer_services::client(SERVICE, &entries, network)?;
        Ok(RekorClient {
            http,
            api,
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
        if self.api == RekorApi::V2 {
            return self.log_v2(envelope).await;
        }
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
        let signer_services::Answer {
            status,
            location,
            body,
        } = signer_services::post_json(&self.http, &self.entries, &request, MAX_ANSWER_BYTES)
            .await
            .map_err(&failed)?;
        let body = match (status, location) {
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
        let t: i64 = entry
            .integrated_time
            .as_deref()
            .and_then(|t| t.parse().ok())
            .unwrap_or(i64::MIN);
        if t < self.not_before.unix_timestamp() || t > self.not_after.unix_timestamp() {
            return Err(failed(format!(
                "the entry was logged at {t} (Unix time), outside the certificate's validity ({} to {}): a verifier would refuse it; the run took longer than the certificate lives",
                self.not_before.unix_timestamp(),
                self.not_after.unix_timestamp()
            )));
        }
        Ok(entry)
    }

    /// [`Self::log`] on a Rekor v2 log.
    async fn log_v2(&self, envelope: &Envelope) -> Result<TlogEntry, ServiceError> {
        let failed = |why: String| ServiceError::new(SERVICE, &self.entries, why);
        let signed = V2Signed::of(envelope).map_err(&failed)?;
        let request = serde_json::json!({
            "hashedRekordRequestV002": {
                "digest": signed.digest,
                "signature": {
                    "content": signed.signature,
                    "verifier": {
                        "x509Certificate": { "rawBytes": STANDARD.encode(&self.certificate) },
                        "keyDetails": KEY_DETAILS,
                    },
                },
            },
        });
        let answer =
            signer_services::post_json(&self.http, &self.entries, &request, MAX_ANSWER_BYTES)
                .await
                .map_err(&failed)?;
        let body = answer.body;
        if !matches!(answer.status, 200 | 201) {
            return Err(failed(format!(
                "answered HTTP {}: {}",
                answer.status,
                signer_services::excerpt(&body)
            )));
        }
        v2_entry_of(&body, &signed, &self.certificate).map_err(&failed)
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
        integrated_time: Some(anon.integrated_time.to_string()),
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

/// The key the run signs with (an ephemeral P-256 key, as Fulcio certifies).
const KEY_DETAILS: &str = "PKIX_ECDSA_P256_SHA_256";

/// What a Rekor v2 entry of an envelope names, base64 as the API spells it.
struct V2Signed {
    /// SHA-256 of the envelope's pre-authentication encoding.
    digest: String,
    /// The envelope's one signature.
    signature: String,
}

impl V2Signed {
    fn of(envelope: &Envelope) -> Result<V2Signed, String> {
        let payload = envelope.payload_bytes().map_err(|e| e.to_string())?;
        let pae = crate::attest::dsse::pae(&envelope.payload_type, &payload);
        let [one] = envelope.signatures.as_slice() else {
            return Err(format!(
                "an envelope with {} signatures cannot be logged; one is",
                envelope.signatures.len()
            ));
        };
        Ok(V2Signed {
            digest: STANDARD.encode(Sha256::digest(&pae)),
            signature: one.sig.clone(),
        })
    }
}

/// A 64-bit integer as protobuf JSON writes it (a decimal string), or a
/// plain JSON number.
fn int64(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::String(s) => s.parse().ok(),
        v => v.as_i64(),
    }
}

/// The bundle's entry from a Rekor v2 answer (a `TransparencyLogEntry`),
/// checked to be whole and to record this envelope's digest, signature and
/// certificate.
fn v2_entry_of(body: &[u8], signed: &V2Signed, certificate: &[u8]) -> Result<TlogEntry, String> {
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| "the answer is not JSON".to_string())?;
    let text = |p: &str| v.pointer(p).and_then(|x| x.as_str());
    let kind = (text("/kindVersion/kind"), text("/kindVersion/version"));
    if kind != (Some("hashedrekord"), Some("0.0.2")) {
        return Err(format!(
            "the entry is a {} {}, not the hashedrekord 0.0.2 entered",
            kind.0.unwrap_or("?"),
            kind.1.unwrap_or("?")
        ));
    }
    let body_b64 = text("/canonicalizedBody").ok_or("the entry has no canonicalizedBody")?;
    let canonical = STANDARD
        .decode(body_b64)
        .map_err(|_| "the entry's body is not base64".to_string())?;
    check_v2_body(&canonical, signed, certificate)?;
    let log_id = text("/logId/keyId")
        .and_then(|k| STANDARD.decode(k).ok())
        .filter(|b| b.len() == 32)
        .ok_or("the entry's logId.keyId is not a SHA-256 in base64")?;
    let log_index = v.get("logIndex").and_then(int64);
    let proof = v
        .get("inclusionProof")
        .ok_or("the entry has no inclusionProof: a Rekor v2 entry is proven by nothing else")?;
    let hashes = proof
        .get("hashes")
        .and_then(|h| h.as_array())
        .ok_or("the inclusion proof has no hashes")?;
    if hashes.len() > MAX_PROOF_HASHES {
        return Err(format!(
            "the inclusion proof has {} hashes; a log this tool trusts needs at most {MAX_PROOF_HASHES}",
            hashes.len()
        ));
    }
    let hash32 = |h: &serde_json::Value| {
        h.as_str()
            .and_then(|t| STANDARD.decode(t).ok())
            .filter(|b| b.len() == 32)
            .map(|b| STANDARD.encode(b))
    };
    let hashes = hashes
        .iter()
        .map(hash32)
        .collect::<Option<Vec<_>>>()
        .ok_or("an inclusion proof hash is not a SHA-256 in base64")?;
    let root_hash = proof
        .get("rootHash")
        .and_then(hash32)
        .ok_or("the inclusion proof's rootHash is not a SHA-256 in base64")?;
    let proof_index = proof.get("logIndex").and_then(int64);
    let tree_size = proof.get("treeSize").and_then(int64);
    let (Some(log_index), Some(proof_index), Some(tree_size)) = (log_index, proof_index, tree_size)
    else {
        return Err("the entry's logIndex, or its proof's logIndex or treeSize, is missing".into());
    };
    if log_index < 0 || proof_index != log_index || tree_size <= proof_index {
        return Err(format!(
            "the entry's numbers do not hold together (logIndex {log_index}, proof logIndex {proof_index}, treeSize {tree_size})"
        ));
    }
    let checkpoint = proof
        .pointer("/checkpoint/envelope")
        .and_then(|c| c.as_str())
        .filter(|c| !c.is_empty() && c.len() <= MAX_CHECKPOINT_BYTES)
        .ok_or("the inclusion proof's checkpoint is missing, empty or too large")?;
    Ok(TlogEntry {
        log_index: log_index.to_string(),
        log_id: LogId {
            key_id: STANDARD.encode(log_id),
        },
        kind_version: KindVersion {
            kind: "hashedrekord".into(),
            version: "0.0.2".into(),
        },
        integrated_time: None,
        inclusion_promise: None,
        inclusion_proof: InclusionProof {
            log_index: proof_index.to_string(),
            root_hash,
            tree_size: tree_size.to_string(),
            hashes,
            checkpoint: Checkpoint {
                envelope: checkpoint.to_owned(),
            },
        },
        canonicalized_body: body_b64.to_owned(),
    })
}

/// The canonicalized body must be a `hashedrekord` 0.0.2 entry of this
/// envelope: the SHA-256 of its PAE, its signature, by our certificate.
fn check_v2_body(canonical: &[u8], signed: &V2Signed, certificate: &[u8]) -> Result<(), String> {
    let other = "the log answered with an entry for another artifact";
    let body: serde_json::Value = serde_json::from_slice(canonical)
        .map_err(|_| "the entry's body is not JSON".to_string())?;
    let text = |p: &str| body.pointer(p).and_then(|v| v.as_str());
    if (text("/kind"), text("/apiVersion")) != (Some("hashedrekord"), Some("0.0.2")) {
        return Err("the entry's body is not a hashedrekord 0.0.2".into());
    }
    let bytes = |p: &str| text(p).and_then(|t| STANDARD.decode(t).ok());
    let spec = "/spec/hashedRekordV002";
    if text(&format!("{spec}/data/algorithm")) != Some("SHA2_256")
        || bytes(&format!("{spec}/data/digest")) != STANDARD.decode(&signed.digest).ok()
    {
        return Err(format!("{other} (its digest is not this envelope's)"));
    }
    if bytes(&format!("{spec}/signature/content")) != STANDARD.decode(&signed.signature).ok()
        || bytes(&format!(
            "{spec}/signature/verifier/x509Certificate/rawBytes"
        ))
        .as_deref()
            != Some(certificate)
    {
        return Err(format!(
            "{other} (its signature or certificate is not this run's)"
        ));
    }
    Ok(())
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
        assert_eq!(e.integrated_time.as_deref(), Some("1700000000"));
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

    /// A Rekor v2 answer for `envelope()` signed by "cert", edited.
    fn v2_answer(edit: impl Fn(&mut serde_json::Value)) -> Vec<u8> {
        let signed = V2Signed::of(&envelope()).unwrap();
        let mut body = serde_json::json!({
            "apiVersion": "0.0.2", "kind": "hashedrekord",
            "spec": {"hashedRekordV002": {
                "data": {"algorithm": "SHA2_256", "digest": signed.digest},
                "signature": {"content": signed.signature, "verifier": {
                    "keyDetails": KEY_DETAILS,
                    "x509Certificate": {"rawBytes": STANDARD.encode(b"cert")}}}}}
        });
        let h = STANDARD.encode([0xbb; 32]);
        let mut answer = serde_json::json!({
            "logIndex": "7",
            "logId": {"keyId": STANDARD.encode([0xaa; 32])},
            "kindVersion": {"kind": "hashedrekord", "version": "0.0.2"},
            "inclusionProof": {
                "logIndex": "7", "rootHash": h, "treeSize": "8", "hashes": [h],
                "checkpoint": {"envelope": "log\n8\nroot\n\n\u{2014} log sig\n"}
            },
            "canonicalizedBody": ""
        });
        edit(&mut body);
        answer["canonicalizedBody"] = STANDARD.encode(body.to_string()).into();
        edit(&mut answer);
        serde_json::to_vec(&answer).unwrap()
    }

    fn v2(answer: &[u8]) -> Result<TlogEntry, String> {
        v2_entry_of(answer, &V2Signed::of(&envelope()).unwrap(), b"cert")
    }

    #[test]
    fn a_v2_entry_of_this_envelope_becomes_the_bundle_s() {
        let e = v2(&v2_answer(|_| {})).unwrap();
        assert_eq!(e.kind_version.kind, "hashedrekord");
        assert_eq!(e.integrated_time, None);
        assert_eq!(e.inclusion_promise, None);
        assert_eq!(
            (e.log_index.as_str(), e.inclusion_proof.tree_size.as_str()),
            ("7", "8")
        );
        let json = serde_json::to_value(&e).unwrap();
        assert!(json.get("integratedTime").is_none(), "{json}");
    }

    #[test]
    fn v2_entries_for_other_artifacts_or_incomplete_ones_are_refused() {
        use serde_json::json;
        let refused = |edit: &dyn Fn(&mut serde_json::Value), says: &str| {
            let e = v2(&v2_answer(edit)).unwrap_err();
            assert!(e.contains(says), "{e} (expected {says:?})");
        };
        let spec = "/spec/hashedRekordV002";
        let at = |v: &mut serde_json::Value, p: &str, to: serde_json::Value| {
            if let Some(x) = v.pointer_mut(p) {
                *x = to;
            }
        };
        refused(
            &|v| {
                at(
                    v,
                    &format!("{spec}/data/digest"),
                    json!(STANDARD.encode([1; 32])),
                )
            },
            "another artifact (its digest",
        );
        refused(
            &|v| at(v, &format!("{spec}/data/algorithm"), json!("SHA2_384")),
            "another artifact (its digest",
        );
        refused(
            &|v| at(v, &format!("{spec}/signature/content"), json!("b3RoZXI=")),
            "its signature or certificate",
        );
        refused(
            &|v| {
                at(
                    v,
                    &format!("{spec}/signature/verifier/x509Certificate/rawBytes"),
                    json!("b3RoZXI="),
                )
            },
            "its signature or certificate",
        );
        refused(
            &|v| at(v, "/kindVersion/kind", json!("dsse")),
            "not the hashedrekord 0.0.2 entered",
        );
        refused(
            &|v| {
                if let Some(o) = v.as_object_mut() {
                    o.remove("inclusionProof");
                }
            },
            "no inclusionProof",
        );
        refused(
            &|v| at(v, "/inclusionProof/treeSize", json!("7")),
            "do not hold together",
        );
        refused(
            &|v| at(v, "/inclusionProof/logIndex", json!("6")),
            "do not hold together",
        );
        refused(
            &|v| {
                at(
                    v,
                    "/inclusionProof/hashes",
                    json!(vec![STANDARD.encode([0; 32]); 65]),
                )
            },
            "65 hashes",
        );
        refused(
            &|v| at(v, "/inclusionProof/rootHash", json!("AAAA")),
            "rootHash is not a SHA-256",
        );
        refused(
            &|v| at(v, "/inclusionProof/checkpoint/envelope", json!("")),
            "checkpoint is missing, empty or too large",
        );
        refused(&|v| at(v, "/logId/keyId", json!("AAAA")), "logId.keyId");
        assert!(v2(b"[]").unwrap_err().contains("hashedrekord 0.0.2"));
        assert!(v2(b"not json").unwrap_err().contains("not JSON"));
    }
}
