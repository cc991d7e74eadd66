//! Keyless signing for a run (`--keyless`): one P-256 key made for the
//! run, one Fulcio certificate for the CI job's OIDC identity, then every
//! envelope signed with that key, entered in Rekor and (when the signing
//! config names one) timestamped. One certificate per run, not per
//! package: Fulcio is asked once; Rekor and the TSA once per artifact,
//! because a verifier (cosign, sigstore-js, sigstore-python) needs each
//! bundle's own log entry or timestamp inside the certificate's validity.
//!
//! Decided in two steps: where the token and the services come from
//! before the assessment (so a run without a token fails at once), the
//! token and certificate themselves just before signing (a CI token and a
//! Fulcio certificate live minutes; an assessment can take longer).

use std::path::PathBuf;

use time::OffsetDateTime;
use url::Url;

use super::EnrichError;
use crate::attest::certified::CertifiedKey;
use crate::config::Network;
use crate::sources::oidc::{self, OidcError};
use crate::sources::rekor::{BlockingRekor, RekorClient};
use crate::sources::signing_config::{self, RekorApi, Services, SigningConfigError};

/// What `--keyless` was given.
#[derive(Debug, Clone, Default)]
pub struct KeylessFlags {
    pub identity_token: Option<String>,
    pub signing_config: Option<PathBuf>,
    pub fulcio_url: Option<String>,
    pub rekor_url: Option<String>,
}

/// Why keyless signing could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum KeylessError {
    #[error(transparent)]
    Token(#[from] OidcError),
    #[error(transparent)]
    Config(#[from] SigningConfigError),
    #[error("{flag} {value}: not a URL ({why})")]
    Url {
        flag: &'static str,
        value: String,
        why: String,
    },
    #[error(transparent)]
    Fulcio(#[from] crate::sources::fulcio::FulcioError),
    #[error(transparent)]
    Service(#[from] crate::sources::signer_services::ServiceError),
    #[error(
        "Rekor {rekor} speaks API version 2, whose entries carry no time: each signature needs a timestamp, and neither the signing config nor --timestamp-server-url names a timestamp authority"
    )]
    UntimedLog { rekor: String },
    #[error(transparent)]
    Tsa(#[from] crate::sources::tsa::TsaError),
}

/// Where the identity and the services will come from.
#[derive(Debug)]
pub struct Prepared {
    token: oidc::Source,
    pub services: Services,
}

impl Prepared {
    /// Where the token comes from, for messages.
    pub fn token_origin(&self) -> oidc::Origin {
        self.token.origin()
    }

    /// The timestamp authority signatures go to: `given`
    /// (`--timestamp-server-url`), else the signing config's. None is
    /// refused for a Rekor v2 log, whose entries prove no time: its bundles
    /// would verify nowhere.
    pub fn timestamp_authority(&self, given: Option<&str>) -> Result<Option<String>, KeylessError> {
        let url = given
            .map(str::to_owned)
            .or_else(|| self.services.tsa.as_ref().map(Url::to_string));
        if url.is_none() && self.services.rekor_api == RekorApi::V2 {
            return Err(KeylessError::UntimedLog {
                rekor: crate::redact::redact(&self.services.rekor),
            });
        }
        Ok(url)
    }
}

/// The run's signer, its log and what it is certified as.
pub struct Certified {
    pub signer: CertifiedKey,
    pub log: BlockingRekor,
    /// The identity Fulcio certified (the certificate's, else the token's
    /// email or subject).
    pub identity: String,
    pub issuer: String,
}

/// Find the token's source and the services, before any long work.
/// `--timestamp-server-url` is the caller's: it replaces the config's TSA.
pub fn prepare(
    flags: &KeylessFlags,
    env: &dyn Fn(&str) -> Option<String>,
    now: OffsetDateTime,
) -> Result<Prepared, KeylessError> {
    let token = oidc::Source::find(flags.identity_token.as_deref(), env, now)?;
    let mut services = signing_config::load(flags.signing_config.as_deref(), now)?;
    if let Some(u) = &flags.fulcio_url {
        services.fulcio = url("--fulcio-url", u)?;
    }
    if let Some(u) = &flags.rekor_url {
        services.rekor = url("--rekor-url", u)?;
    }
    Ok(Prepared { token, services })
}

fn url(flag: &'static str, value: &str) -> Result<Url, KeylessError> {
    Url::parse(value).map_err(|e| KeylessError::Url {
        flag,
        value: super::shown(value).into_owned(),
        why: e.to_string(),
    })
}

/// The token, a key for this run and its certificate, and a Rekor client
/// for entries signed under it.
pub fn certify(
    prepared: &Prepared,
    network: &Network,
    now: OffsetDateTime,
) -> Result<Certified, KeylessError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            crate::sources::signer_services::ServiceError::new(
                crate::sources::fulcio::SERVICE,
                &prepared.services.fulcio,
                format!("cannot start the network runtime: {e}"),
            )
        })?;
    let (signer, token) = runtime.block_on(async {
        let token = prepared.token.token(network, now).await?;
        let key = CertifiedKey::new_key();
        let signer =
            crate::sources::fulcio::certify(&prepared.services.fulcio, &token, key, network)
                .await?;
        Ok::<_, KeylessError>((signer, token))
    })?;
    let client = RekorClient::new(
        &prepared.services.rekor,
        prepared.services.rekor_api,
        &signer.leaf_pem(),
        signer.validity(),
        network,
    )?;
    Ok(Certified {
        log: BlockingRekor::new(client)?,
        identity: signer
            .identity()
            .map_or_else(|| token.subject.clone(), str::to_owned),
        issuer: token.issuer.clone(),
        signer,
    })
}

impl From<KeylessError> for EnrichError {
    fn from(e: KeylessError) -> EnrichError {
        EnrichError::Keyless(Box::new(e))
    }
}
