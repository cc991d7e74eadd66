//! The OIDC identity token a keyless signature is certified for: given
//! (`--identity-token`, `SIGSTORE_ID_TOKEN` — GitLab CI's name too), or
//! asked of GitHub Actions' token service (`ACTIONS_ID_TOKEN_REQUEST_URL`
//! and `_TOKEN`, audience `sigstore`). The token is a credential: it never
//! appears in a message, a log or a file; only its issuer and subject do.
//! Its signature is Fulcio's to check, not ours: here it is only read for
//! the claims a person is shown and the one Fulcio asks a proof over.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use time::OffsetDateTime;
use url::Url;

use super::signer_services::{self, ServiceError};
use crate::config::Network;

pub const SERVICE: &str = "GitHub Actions token service";
/// The audience Fulcio accepts.
pub const AUDIENCE: &str = "sigstore";
/// A token is a few kilobytes; an answer larger than this is not one.
const MAX_TOKEN_BYTES: usize = 64 * 1024;

/// Where a token came from, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `--identity-token`.
    Given,
    /// `SIGSTORE_ID_TOKEN` in the environment.
    Environment,
    /// Asked of GitHub Actions' token service.
    GitHubActions,
}

impl Origin {
    pub fn describe(self) -> &'static str {
        match self {
            Origin::Given => "--identity-token",
            Origin::Environment => "SIGSTORE_ID_TOKEN",
            Origin::GitHubActions => "GitHub Actions (ACTIONS_ID_TOKEN_REQUEST_URL)",
        }
    }
}

/// Why no usable token was had. Never holds the token.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error(
        "--keyless needs an OIDC identity token and none was found: in GitHub Actions give the job `permissions: id-token: write`; in GitLab CI declare `id_tokens: SIGSTORE_ID_TOKEN: aud: sigstore`; elsewhere pass --identity-token or set SIGSTORE_ID_TOKEN"
    )]
    None,
    #[error("the identity token from {}: {why}", origin.describe())]
    Malformed { origin: Origin, why: String },
    #[error("the identity token from {} expired at {at}; ask for a new one", origin.describe())]
    Expired { origin: Origin, at: String },
    #[error(
        "ACTIONS_ID_TOKEN_REQUEST_URL is set but ACTIONS_ID_TOKEN_REQUEST_TOKEN is not: give the job `permissions: id-token: write`"
    )]
    NoRequestToken,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

/// Where the token will come from, decided before the long work of a run
/// (a GitHub Actions token is asked for only when it is needed: it lives
/// minutes).
#[derive(Clone)]
pub enum Source {
    Token(Origin, String),
    GitHubActions { url: String, bearer: String },
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Token(o, _) => write!(f, "Token({o:?}, <redacted>)"),
            Source::GitHubActions { .. } => f.write_str("GitHubActions(<redacted>)"),
        }
    }
}

impl Source {
    /// The first of: the token given, `SIGSTORE_ID_TOKEN`, GitHub Actions'
    /// request variables. A token given outright is read at once, so a
    /// malformed or expired one fails before anything else is done.
    pub fn find(
        given: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
        now: OffsetDateTime,
    ) -> Result<Source, OidcError> {
        let nonempty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        let token = match (given, nonempty(env("SIGSTORE_ID_TOKEN"))) {
            (Some(t), _) => Some((Origin::Given, t.trim().to_owned())),
            (None, Some(t)) => Some((Origin::Environment, t.trim().to_owned())),
            (None, None) => None,
        };
        if let Some((origin, raw)) = token {
            IdentityToken::read(origin, raw.clone(), now)?;
            return Ok(Source::Token(origin, raw));
        }
        match (
            nonempty(env("ACTIONS_ID_TOKEN_REQUEST_URL")),
            nonempty(env("ACTIONS_ID_TOKEN_REQUEST_TOKEN")),
        ) {
            (Some(url), Some(bearer)) => Ok(Source::GitHubActions { url, bearer }),
            (Some(_), None) => Err(OidcError::NoRequestToken),
            _ => Err(OidcError::None),
        }
    }

    pub fn origin(&self) -> Origin {
        match self {
            Source::Token(o, _) => *o,
            Source::GitHubActions { .. } => Origin::GitHubActions,
        }
    }

    /// The token itself (asked of GitHub Actions now, when that is where
    /// it comes from), checked unexpired at `now`.
    pub async fn token(
        &self,
        network: &Network,
        now: OffsetDateTime,
    ) -> Result<IdentityToken, OidcError> {
        match self {
            Source::Token(origin, raw) => IdentityToken::read(*origin, raw.clone(), now),
            Source::GitHubActions { url, bearer } => {
                let raw = github_actions_token(url, bearer, network).await?;
                IdentityToken::read(Origin::GitHubActions, raw, now)
            }
        }
    }
}

/// An OIDC identity token and the claims shown of it.
#[derive(Clone)]
pub struct IdentityToken {
    raw: String,
    pub origin: Origin,
    /// `iss`.
    pub issuer: String,
    /// What Fulcio certifies: `email` when the token has one, else `sub`.
    pub subject: String,
    pub expires: Option<OffsetDateTime>,
}

impl std::fmt::Debug for IdentityToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityToken")
            .field("origin", &self.origin)
            .field("issuer", &self.issuer)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

impl IdentityToken {
    /// The token's claims, read without checking its signature (Fulcio
    /// does that); refused when it is not a JWT, names no issuer or
    /// subject, or has expired.
    pub fn read(
        origin: Origin,
        raw: String,
        now: OffsetDateTime,
    ) -> Result<IdentityToken, OidcError> {
        let malformed = |why: &str| OidcError::Malformed {
            origin,
            why: why.to_owned(),
        };
        let parts: Vec<&str> = raw.split('.').collect();
        if parts.len() != 3 || parts[0].is_empty() || parts[1].is_empty() {
            return Err(malformed("not a JWT (three dot-separated parts)"));
        }
        let payload = URL_SAFE_NO_PAD
            .decode(parts[1].trim_end_matches('='))
            .map_err(|_| malformed("its claims are not base64url"))?;
        let claims: serde_json::Value = serde_json::from_slice(&payload)
            .map_err(|_| malformed("its claims are not a JSON object"))?;
        let text = |k: &str| {
            claims
                .get(k)
                .and_then(|v| v.as_str())
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let issuer = text("iss").ok_or_else(|| malformed("it names no issuer (iss)"))?;
        let subject = text("email")
            .or_else(|| text("sub"))
            .ok_or_else(|| malformed("it names no subject (sub or email)"))?;
        let expires = match claims.get("exp") {
            None => None,
            Some(v) => Some(
                v.as_i64()
                    .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
                    .ok_or_else(|| malformed("its exp is not a time"))?,
            ),
        };
        if let Some(at) = expires
            && at <= now
        {
            return Err(OidcError::Expired {
                origin,
                at: at
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_else(|_| at.unix_timestamp().to_string()),
            });
        }
        Ok(IdentityToken {
            raw,
            origin,
            issuer,
            subject,
            expires,
        })
    }

    /// The token, for the one request that sends it (Fulcio's).
    pub fn secret(&self) -> &str {
        &self.raw
    }
}

/// GitHub Actions' token for audience `sigstore`: a GET of the request URL
/// with that audience added, the request token as bearer; the answer is
/// `{"value": TOKEN}`.
async fn github_actions_token(
    request_url: &str,
    bearer: &str,
    network: &Network,
) -> Result<String, OidcError> {
    let mut url = Url::parse(request_url).map_err(|e| OidcError::Malformed {
        origin: Origin::GitHubActions,
        why: format!("ACTIONS_ID_TOKEN_REQUEST_URL is not a URL ({e})"),
    })?;
    url.query_pairs_mut().append_pair("audience", AUDIENCE);
    let http = signer_services::client(SERVICE, &url, network)?;
    let failed = |why: String| ServiceError::new(SERVICE, &url, why);
    let response = http
        .get(url.clone())
        .header(reqwest::header::AUTHORIZATION, format!("bearer {bearer}"))
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| failed(signer_services::describe(e)))?;
    let status = response.status();
    let body = signer_services::body_within(response, MAX_TOKEN_BYTES)
        .await
        .map_err(failed)?;
    if !status.is_success() {
        // The answer may echo what was sent: only its status is shown.
        return Err(failed(format!("answered HTTP {}", status.as_u16())).into());
    }
    #[derive(serde::Deserialize)]
    struct Answer {
        value: String,
    }
    let answer: Answer = serde_json::from_slice(&body)
        .map_err(|_| failed("the answer is not {\"value\": TOKEN}".into()))?;
    Ok(answer.value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &str) -> String {
        format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(claims)
        )
    }

    fn at(secs: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(secs).unwrap()
    }

    #[test]
    fn email_is_the_subject_when_there_is_one() {
        let t = IdentityToken::read(
            Origin::Given,
            jwt(r#"{"iss":"https://issuer.test","sub":"123","email":"a@b.test","exp":2000}"#),
            at(1000),
        )
        .unwrap();
        assert_eq!(t.issuer, "https://issuer.test");
        assert_eq!(t.subject, "a@b.test");
        let t = IdentityToken::read(
            Origin::Given,
            jwt(r#"{"iss":"https://issuer.test","sub":"repo:o/r:ref:refs/heads/main"}"#),
            at(1000),
        )
        .unwrap();
        assert_eq!(t.subject, "repo:o/r:ref:refs/heads/main");
    }

    #[test]
    fn expired_missing_claims_and_non_jwts_are_refused_without_showing_the_token() {
        let secret = jwt(r#"{"iss":"https://issuer.test","sub":"s","exp":999}"#);
        let e = IdentityToken::read(Origin::Environment, secret.clone(), at(1000)).unwrap_err();
        assert!(
            e.to_string().contains("expired at 1970-01-01T00:16:39Z"),
            "{e}"
        );
        assert!(!e.to_string().contains(&secret));
        for (raw, why) in [
            ("abc".to_string(), "not a JWT"),
            (jwt(r#"{"sub":"s"}"#), "no issuer"),
            (jwt(r#"{"iss":"i"}"#), "no subject"),
            (jwt("[1]"), "names no issuer"),
            ("a.!!.c".to_string(), "not base64url"),
            (
                jwt(r#"{"iss":"i","sub":"s","exp":"soon"}"#),
                "exp is not a time",
            ),
        ] {
            let e = IdentityToken::read(Origin::Given, raw.clone(), at(0)).unwrap_err();
            assert!(e.to_string().contains(why), "{raw}: {e}");
        }
        assert!(!format!("{:?}", Source::Token(Origin::Given, secret.clone())).contains(&secret));
    }

    #[test]
    fn sources_in_order() {
        let token = jwt(r#"{"iss":"i","sub":"s"}"#);
        let env = |vars: Vec<(&'static str, String)>| {
            move |k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
        };
        let both = env(vec![
            ("SIGSTORE_ID_TOKEN", token.clone()),
            (
                "ACTIONS_ID_TOKEN_REQUEST_URL",
                "http://127.0.0.1:1/t".into(),
            ),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "b".into()),
        ]);
        assert_eq!(
            Source::find(Some(&token), &both, at(0)).unwrap().origin(),
            Origin::Given
        );
        assert_eq!(
            Source::find(None, &both, at(0)).unwrap().origin(),
            Origin::Environment
        );
        let gh = env(vec![
            (
                "ACTIONS_ID_TOKEN_REQUEST_URL",
                "http://127.0.0.1:1/t".into(),
            ),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "b".into()),
        ]);
        assert_eq!(
            Source::find(None, &gh, at(0)).unwrap().origin(),
            Origin::GitHubActions
        );
        let half = env(vec![("ACTIONS_ID_TOKEN_REQUEST_URL", "http://x/t".into())]);
        assert!(matches!(
            Source::find(None, &half, at(0)),
            Err(OidcError::NoRequestToken)
        ));
        assert!(matches!(
            Source::find(None, &env(vec![]), at(0)),
            Err(OidcError::None)
        ));
    }
}
