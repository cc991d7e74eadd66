//! verify-bundle-sigstore-rust BUNDLE TRUSTED_ROOT.json
//!     (--key PUBKEY.pem | --certificate-identity ID --certificate-oidc-issuer ISS)
//!
//! Offline verification of a Sigstore bundle (v0.3, DSSE envelope) by
//! sigstore-rust's `sigstore-verify` against the authorities a
//! trusted_root.json names: a key-signed bundle with the key (its RFC 3161
//! timestamps must verify against the root's timestamp authorities; the
//! transparency log is not required, as a key-signed bundle without one
//! has none), a keyless one with the identity and issuer (certificate
//! chain, SCT, log entry, times).
//!
//! The artifact a DSSE bundle is bound to is named by digest: the first
//! SHA-256 subject of its own statement. So this judges the signature,
//! certificate, log and timestamps, not which artifact the statement is
//! about (tacos-sbom's own verify checks that against the SBOM).
//!
//! Exit: 0 verified, 1 refused (the reason on stderr), 2 usage or setup.

use std::process::ExitCode;

use sigstore_verify::types::{Artifact, ArtifactDigest, Bundle, DerPublicKey, Sha256Hash};
use sigstore_verify::trust_root::TrustedRoot;
use sigstore_verify::{PublicKeyVerificationPolicy, VerificationPolicy, Verifier};

const NAME: &str = "verify-bundle-sigstore-rust";

fn usage() -> ExitCode {
    eprintln!(
        "usage: {NAME} BUNDLE TRUSTED_ROOT.json (--key PUBKEY.pem | --certificate-identity ID --certificate-oidc-issuer ISS)"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 4 {
        return usage();
    }
    let (bundle_path, root_path) = (&args[0], &args[1]);
    let mut key = None;
    let mut identity = None;
    let mut issuer = None;
    let mut rest = args[2..].iter();
    while let Some(flag) = rest.next() {
        let value = rest.next().cloned();
        match (flag.as_str(), value) {
            ("--key", Some(v)) => key = Some(v),
            ("--certificate-identity", Some(v)) => identity = Some(v),
            ("--certificate-oidc-issuer", Some(v)) => issuer = Some(v),
            _ => return usage(),
        }
    }
    println!("{NAME}: judged by sigstore-rust: sigstore-verify 0.15.1");
    let read = |path: &str| {
        std::fs::read_to_string(path).map_err(|e| {
            eprintln!("{NAME}: cannot read {path}: {e}");
            ExitCode::from(2)
        })
    };
    let (bundle_text, root) = match (read(bundle_path), read(root_path)) {
        (Ok(b), Ok(r)) => (b, r),
        (Err(code), _) | (_, Err(code)) => return code,
    };
    let root = match TrustedRoot::from_json(&root) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{NAME}: the trusted root does not load: {e}");
            return ExitCode::from(2);
        }
    };
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        eprintln!("{NAME}: FAIL [{what}] {e}");
        ExitCode::from(1)
    };
    let bundle = match Bundle::from_json(&bundle_text) {
        Ok(b) => b,
        Err(e) => return fail("bundle", &e),
    };
    let digest = match subject_sha256(&bundle_text) {
        Ok(d) => d,
        Err(e) => return fail("statement", &e),
    };
    let artifact = Artifact::from_digest(ArtifactDigest::sha256(digest));
    let verifier = match Verifier::new(&root) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("{NAME}: the trusted root is not usable: {e}");
            return ExitCode::from(2);
        }
    };
    let outcome = match (key, identity, issuer) {
        (Some(key), None, None) => {
            let pem = match read(&key) {
                Ok(p) => p,
                Err(code) => return code,
            };
            let key = match DerPublicKey::from_pem(&pem) {
                Ok(k) => k,
                Err(e) => {
                    eprintln!("{NAME}: {key} is not a PEM public key: {e}");
                    return ExitCode::from(2);
                }
            };
            // A key-signed bundle of tacos-sbom has timestamps, no log entry.
            let policy = PublicKeyVerificationPolicy::new(key).skip_tlog_unsafe();
            verifier.verify(artifact, &bundle, &policy)
        }
        (None, Some(identity), Some(issuer)) => {
            let policy = VerificationPolicy::new(identity.as_str(), issuer.as_str());
            verifier.verify(artifact, &bundle, &policy)
        }
        _ => return usage(),
    };
    match outcome {
        Ok(result) => {
            println!(
                "{NAME}: VERIFIED: identity {}, issuer {}, {} verified timestamp(s), log {}",
                result
                    .identity()
                    .map(|i| i.as_str().to_string())
                    .unwrap_or_else(|| "(key)".into()),
                result.issuer().unwrap_or("(key)"),
                result.verified_timestamps().len(),
                if result.tlog_verified() {
                    "verified"
                } else {
                    "not checked"
                }
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail("sigstore-verify", &e),
    }
}

/// The first SHA-256 subject digest of the bundle's in-toto statement.
fn subject_sha256(bundle: &str) -> Result<Sha256Hash, String> {
    use base64::Engine as _;
    let value: serde_json::Value = serde_json::from_str(bundle).map_err(|e| e.to_string())?;
    let payload = value
        .pointer("/dsseEnvelope/payload")
        .and_then(|p| p.as_str())
        .ok_or("the bundle holds no DSSE payload")?;
    let payload = base64::engine::general_purpose::STANDARD
        .decode(payload)
        .map_err(|e| format!("the payload is not base64: {e}"))?;
    let statement: serde_json::Value =
        serde_json::from_slice(&payload).map_err(|e| format!("the payload is not JSON: {e}"))?;
    let hex = statement
        .pointer("/subject/0/digest/sha256")
        .and_then(|d| d.as_str())
        .ok_or("the statement's first subject has no sha256")?;
    Sha256Hash::from_hex(hex).map_err(|e| e.to_string())
}
