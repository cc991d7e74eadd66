//! A Sigstore signing config (`application/vnd.dev.sigstore.signingconfig.v0.2+json`):
//! which Fulcio, Rekor and timestamp authority a keyless run uses. Given
//! with `--signing-config`, else the public-good instance's, embedded:
//! `signing_config.public-good.json`, the `signing_config.v0.2.json` that
//! sigstore-python 4.5.1 ships (`sigstore/_store/`, Apache-2.0), as the
//! public-good TUF repository publishes it.
//!
//! Of each kind the first service valid now with the highest API this tool
//! speaks is taken (as the Sigstore client spec asks): Fulcio
//! `majorApiVersion` 1 (its `/api/v2/signingCert`), Rekor 2 (a tile log:
//! `hashedrekord` 0.0.2 over the envelope's PAE) else 1 (`dsse` 0.0.1), TSA 1.

use std::path::Path;

use serde::Deserialize;
use time::OffsetDateTime;
use url::Url;

pub const PUBLIC_GOOD: &str = include_str!("signing_config.public-good.json");
const MEDIA_TYPE: &str = "application/vnd.dev.sigstore.signingconfig.v0.2+json";
/// A config is a page of JSON.
const MAX_BYTES: u64 = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum SigningConfigError {
    #[error("{path}: cannot read the signing config: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: the signing config is larger than {MAX_BYTES} bytes")]
    TooLarge { path: String },
    #[error("{path}: not a Sigstore signing config: {why}")]
    Malformed { path: String, why: String },
    #[error("{path}: {why}")]
    Unusable { path: String, why: String },
}

/// Which Rekor API a log speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RekorApi {
    /// `POST /api/v1/log/entries`, a `dsse` 0.0.1 entry with a signed entry
    /// timestamp.
    V1,
    /// `POST /api/v2/log/entries`, a `hashedrekord` 0.0.2 entry: no time of
    /// its own, so every signature needs a timestamp authority's.
    V2,
}

/// The services a keyless run signs with.
#[derive(Debug, Clone, PartialEq)]
pub struct Services {
    pub fulcio: Url,
    pub rekor: Url,
    pub rekor_api: RekorApi,
    /// None when the config names no timestamp authority.
    pub tsa: Option<Url>,
}

#[derive(Deserialize)]
struct ConfigJson {
    #[serde(rename = "mediaType")]
    media_type: String,
    #[serde(rename = "caUrls", default)]
    ca_urls: Vec<ServiceJson>,
    #[serde(rename = "rekorTlogUrls", default)]
    rekor_urls: Vec<ServiceJson>,
    #[serde(rename = "tsaUrls", default)]
    tsa_urls: Vec<ServiceJson>,
}

#[derive(Deserialize)]
struct ServiceJson {
    url: String,
    #[serde(rename = "majorApiVersion")]
    major_api_version: u32,
    #[serde(rename = "validFor")]
    valid_for: Option<ValidFor>,
}

#[derive(Deserialize)]
struct ValidFor {
    start: Option<String>,
    end: Option<String>,
}

/// The services of the config at `path` (or the public-good one), for a run at `now`.
pub fn load(path: Option<&Path>, now: OffsetDateTime) -> Result<Services, SigningConfigError> {
    let Some(path) = path else {
        return parse("the public-good signing config", PUBLIC_GOOD, now);
    };
    let shown = path.display().to_string();
    let read = |source| SigningConfigError::Read {
        path: shown.clone(),
        source,
    };
    use std::io::Read as _;
    let mut text = String::new();
    std::fs::File::open(path)
        .map_err(read)?
        .take(MAX_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(read)?;
    if text.len() as u64 > MAX_BYTES {
        return Err(SigningConfigError::TooLarge { path: shown });
    }
    parse(&shown, &text, now)
}

/// [`load`] of a config's text, named `path` in messages.
pub fn parse(path: &str, text: &str, now: OffsetDateTime) -> Result<Services, SigningConfigError> {
    let malformed = |why: String| SigningConfigError::Malformed {
        path: path.to_owned(),
        why,
    };
    let config: ConfigJson = serde_json::from_str(text).map_err(|e| malformed(e.to_string()))?;
    if config.media_type != MEDIA_TYPE {
        return Err(malformed(format!(
            "its mediaType is {:?}, not {MEDIA_TYPE:?}",
            config.media_type
        )));
    }
    let unusable = |why: String| SigningConfigError::Unusable {
        path: path.to_owned(),
        why,
    };
    // The first service valid now of the highest version spoken.
    let pick = |what: &str,
                list: &[ServiceJson],
                spoken: &[u32],
                required: bool|
     -> Result<Option<(Url, u32)>, SigningConfigError> {
        let mut valid_now = Vec::new();
        for s in list {
            if current(s, now).map_err(&malformed)? {
                valid_now.push(s);
            }
        }
        let best = spoken.iter().rev().find_map(|v| {
            valid_now
                .iter()
                .find(|s| s.major_api_version == *v)
                .map(|s| (s, *v))
        });
        match best {
            Some((s, v)) => Url::parse(&s.url)
                .map(|u| Some((u, v)))
                .map_err(|e| malformed(format!("{what} URL {:?}: {e}", s.url))),
            None if !required => Ok(None),
            None if valid_now.is_empty() => Err(unusable(format!("it names no {what} valid now"))),
            None => Err(unusable(format!(
                "its {what} speaks API version {} only; this tool speaks {}",
                valid_now[0].major_api_version,
                spoken
                    .iter()
                    .map(|v| format!("version {v}"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ))),
        }
    };
    let (rekor, version) = pick("Rekor", &config.rekor_urls, &[1, 2], true)?.expect("required");
    Ok(Services {
        fulcio: pick("Fulcio", &config.ca_urls, &[1], true)?
            .expect("required")
            .0,
        rekor,
        rekor_api: if version == 2 {
            RekorApi::V2
        } else {
            RekorApi::V1
        },
        tsa: pick("timestamp authority", &config.tsa_urls, &[1], false)?.map(|(u, _)| u),
    })
}

/// Whether `s` is valid at `now` (no `validFor` is always).
fn current(s: &ServiceJson, now: OffsetDateTime) -> Result<bool, String> {
    let Some(v) = &s.valid_for else {
        return Ok(true);
    };
    let at = |t: &str| {
        OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
            .map_err(|_| format!("{:?}: validFor time {t:?} is not RFC 3339", s.url))
    };
    let started = match &v.start {
        Some(t) => at(t)? <= now,
        None => true,
    };
    let ended = match &v.end {
        Some(t) => at(t)? <= now,
        None => false,
    };
    Ok(started && !ended)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> OffsetDateTime {
        time::macros::datetime!(2026-12-07 12:00 UTC)
    }

    #[test]
    fn the_public_good_config_names_v1_services() {
        let s = load(None, now()).unwrap();
        assert_eq!(s.fulcio.scheme(), "https");
        assert_eq!(s.rekor.scheme(), "https");
        assert!(
            s.tsa
                .as_ref()
                .is_some_and(|u| u.path().ends_with("/timestamp"))
        );
    }

    #[test]
    fn expired_services_and_unknown_log_versions_are_refused_by_name() {
        let cfg = |rekor: &str| {
            format!(
                r#"{{"mediaType":"{MEDIA_TYPE}",
                "caUrls":[{{"url":"http://127.0.0.1:1","majorApiVersion":1,"validFor":{{"start":"2020-01-01T00:00:00Z"}}}}],
                "rekorTlogUrls":[{rekor}]}}"#
            )
        };
        let v3 = cfg(
            r#"{"url":"http://127.0.0.1:2","majorApiVersion":3,"validFor":{"start":"2020-01-01T00:00:00Z"}}"#,
        );
        let e = parse("c.json", &v3, now()).unwrap_err().to_string();
        assert!(
            e.contains("Rekor speaks API version 3 only; this tool speaks version 1 or version 2"),
            "{e}"
        );
        // The highest version spoken wins, wherever it is listed.
        let both = cfg(
            r#"{"url":"http://127.0.0.1:2","majorApiVersion":1},{"url":"http://127.0.0.1:3","majorApiVersion":2},{"url":"http://127.0.0.1:4","majorApiVersion":3}"#,
        );
        let s = parse("c.json", &both, now()).unwrap();
        assert_eq!(
            (s.rekor.as_str(), s.rekor_api),
            ("http://127.0.0.1:3/", RekorApi::V2)
        );
        let ended = cfg(
            r#"{"url":"http://127.0.0.1:2","majorApiVersion":1,"validFor":{"start":"2020-01-01T00:00:00Z","end":"2021-01-01T00:00:00Z"}}"#,
        );
        let e = parse("c.json", &ended, now()).unwrap_err().to_string();
        assert_eq!(e, "c.json: it names no Rekor valid now");
        let ok = cfg(r#"{"url":"http://127.0.0.1:2","majorApiVersion":1}"#);
        let s = parse("c.json", &ok, now()).unwrap();
        assert_eq!(s.rekor.as_str(), "http://127.0.0.1:2/");
        assert_eq!(s.rekor_api, RekorApi::V1);
        assert_eq!(s.tsa, None);
        let e = parse("c.json", r#"{"mediaType":"x"}"#, now())
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a Sigstore signing config"), "{e}");
    }
}
