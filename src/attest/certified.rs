//! The keyless signer: a P-256 key made for one run and never saved, with
//! the certificate a Fulcio CA issued for it. A Sigstore bundle names the
//! certificate instead of a key; the key dies with the run.

use time::OffsetDateTime;

use super::dsse::{SignError, Signer};
use super::keys::{KeyAlgorithm, SigningKey};
use super::x509::{self, X509Error};

/// Why a certificate does not go with the key it was asked for.
#[derive(Debug, thiserror::Error)]
pub enum CertifiedError {
    #[error("the CA answered no certificate")]
    NoCertificate,
    #[error("the certificate is not one this tool reads: {0}")]
    Malformed(#[from] X509Error),
    #[error(
        "the certificate is for another public key than the one sent: it would not verify what this run signs"
    )]
    OtherKey,
}

/// A run's key and its certificate chain, leaf first.
pub struct CertifiedKey {
    key: SigningKey,
    chain: Vec<Vec<u8>>,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    identity: Option<String>,
}

impl CertifiedKey {
    /// A fresh P-256 key, the kind Fulcio certifies and every Sigstore
    /// verifier reads.
    pub fn new_key() -> SigningKey {
        SigningKey::generate(KeyAlgorithm::EcdsaP256)
    }

    /// `key` with the chain the CA issued for it (DER, leaf first),
    /// checked to certify exactly this key.
    pub fn new(key: SigningKey, chain: Vec<Vec<u8>>) -> Result<CertifiedKey, CertifiedError> {
        let leaf = chain.first().ok_or(CertifiedError::NoCertificate)?;
        let cert = x509::parse_certificate(leaf)?;
        let spki = cert.spki;
        let (not_before, not_after) = (cert.not_before, cert.not_after);
        // For messages only: a SAN this reader cannot show is not a reason
        // to refuse the certificate (the verifiers judge it).
        let identity = super::keyless::subject_alt_name(&cert).ok().flatten();
        let ours = ::pem::parse(key.public().to_spki_pem())
            .expect("a key's own PEM parses")
            .into_contents();
        if spki != ours.as_slice() {
            return Err(CertifiedError::OtherKey);
        }
        Ok(CertifiedKey {
            key,
            chain,
            not_before,
            not_after,
            identity,
        })
    }

    /// The identity the certificate names (its first email or URI
    /// subject alternative name), for messages.
    pub fn identity(&self) -> Option<&str> {
        self.identity.as_deref()
    }

    /// When the leaf is valid: every signature must be proven (logged,
    /// timestamped) inside it.
    pub fn validity(&self) -> (OffsetDateTime, OffsetDateTime) {
        (self.not_before, self.not_after)
    }

    /// The leaf certificate, DER.
    pub fn leaf(&self) -> &[u8] {
        &self.chain[0]
    }

    /// The chain, leaf first, DER.
    pub fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    /// The leaf as PEM, as a transparency log's entry names its verifier.
    pub fn leaf_pem(&self) -> String {
        // With LF line ends, as Go writes PEM (the log keeps it so).
        ::pem::encode_config(
            &::pem::Pem::new("CERTIFICATE", self.leaf().to_vec()),
            ::pem::EncodeConfig::new().set_line_ending(::pem::LineEnding::LF),
        )
    }
}

impl Signer for CertifiedKey {
    /// Empty, as keyless signers write it: the certificate names the signer.
    fn key_id(&self) -> String {
        String::new()
    }

    /// None: there is no key to keep beside the artifacts.
    fn public_key_pem(&self) -> Option<String> {
        None
    }

    fn certificate(&self) -> Option<&[u8]> {
        Some(self.leaf())
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        self.key.sign(message)
    }

    fn sign_pae(&self, payload_type: &str, payload: &[u8]) -> Result<Vec<u8>, SignError> {
        self.key.sign_pae(payload_type, payload)
    }

    fn sign_pae_replayed(
        &self,
        payload_type: &str,
        payload: &dyn super::dsse::Replay,
    ) -> Result<Vec<u8>, SignError> {
        self.key.sign_pae_replayed(payload_type, payload)
    }
}
