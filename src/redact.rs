//! Credentials never shown: the one redaction every URL goes through before
//! it reaches a message, a cache key, a store or an output.

use url::Url;

/// Query parameter names whose values are secrets (compared in lowercase,
/// as substrings, so `access_token`, `X-Amz-Signature` and `apiKey` match).
const SECRET_QUERY_KEYS: [&str; 10] = [
    "token",
    "key",
    "secret",
    "password",
    "passwd",
    "auth",
    "sig",
    "credential",
    "session",
    "pwd",
];

fn is_secret_key(k: &str) -> bool {
    let k = k.to_ascii_lowercase();
    SECRET_QUERY_KEYS.iter().any(|s| k.contains(s))
}

/// Whether a URL carries credentials: userinfo, or a query parameter whose
/// name says it is a secret.
pub fn carries_credentials(url: &Url) -> bool {
    !url.username().is_empty()
        || url.password().is_some()
        || url.query_pairs().any(|(k, _)| is_secret_key(&k))
}

/// A URL as it may be shown, stored in the cache or written to a file:
/// userinfo removed, the values of credential-like query parameters replaced.
/// The one redaction every message, cache key and output goes through.
pub fn redact(url: &Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    if u.query().is_some() {
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let v = if is_secret_key(&k) {
                    "REDACTED".into()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    u.to_string()
}

/// A URL-like text as it may be shown: [`redact`] when it parses, else with
/// anything between `//` and `@` removed (a setting with a bad scheme must
/// not print its password either).
pub fn redact_text(text: &str) -> String {
    if let Ok(u) = Url::parse(text.trim()) {
        return redact(&u);
    }
    match (text.find("//"), text.rfind('@')) {
        (Some(i), Some(j)) if j > i + 2 => format!("{}//{}", &text[..i], &text[j + 1..]),
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_credentials() {
        let u = Url::parse("https://user:pw@h.example/p?token=abc&x=1&X-Amz-Signature=s&apiKey=k")
            .unwrap();
        let shown = redact(&u);
        assert_eq!(
            shown,
            "https://h.example/p?token=REDACTED&x=1&X-Amz-Signature=REDACTED&apiKey=REDACTED"
        );
        assert!(carries_credentials(&u));
        assert!(!carries_credentials(
            &Url::parse("https://h.example/p?x=1").unwrap()
        ));
        for secret in ["user", "pw", "abc", "=s&", "=k"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert_eq!(redact_text("ftp://u:pw@host/npm"), "ftp://host/npm");
        assert_eq!(redact_text("not a url u:pw@x"), "not a url u:pw@x");
        assert_eq!(redact_text("x//u:pw@y"), "x//y");
    }
}
