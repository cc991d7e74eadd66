//! X.509 certificates as the verifiers of this crate read them: RFC 3161
//! timestamp authorities' chains (`rfc3161`) and Fulcio signing
//! certificates (`keyless`). Parsed by the strict DER reader of
//! [`super::rfc3161::der`]; signatures checked by aws-lc-rs.
//!
//! Only what verification needs is read, but all of it strictly: a
//! certificate that does not parse is refused, never half-read.

use aws_lc_rs::digest;
use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use thiserror::Error;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use super::rfc3161::der::{self, Der, DerError, Tlv};

// Object identifiers, as their DER content bytes.
pub(crate) const OID_SHA1: &[u8] = &[0x2b, 0x0e, 0x03, 0x02, 0x1a];
pub(crate) const OID_SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
pub(crate) const OID_SHA384: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
pub(crate) const OID_SHA512: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03];
pub(crate) const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
pub(crate) const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
pub(crate) const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
pub(crate) const OID_P521: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];
pub(crate) const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];
pub(crate) const OID_ECDSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
pub(crate) const OID_ECDSA_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];
pub(crate) const OID_ECDSA_SHA512: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04];
pub(crate) const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
pub(crate) const OID_RSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
pub(crate) const OID_RSA_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c];
pub(crate) const OID_RSA_SHA512: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d];
pub(crate) const OID_EXT_SUBJECT_KEY_ID: &[u8] = &[0x55, 0x1d, 0x0e];
pub(crate) const OID_EXT_KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x0f];
pub(crate) const OID_EXT_SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];
pub(crate) const OID_EXT_BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x13];
pub(crate) const OID_EXT_AUTHORITY_KEY_ID: &[u8] = &[0x55, 0x1d, 0x23];
pub(crate) const OID_EXT_EXTENDED_KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x25];

/// The longest chain followed from a leaf to its anchor.
pub(crate) const MAX_CHAIN: usize = 8;
/// Extensions a certificate may carry: a Fulcio certificate has about 25.
const MAX_EXTENSIONS: usize = 64;

/// Why a certificate, key or signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum X509Error {
    #[error("malformed {what}: {source}")]
    Malformed {
        what: &'static str,
        #[source]
        source: DerError,
    },
    #[error("{0}")]
    Unsupported(String),
    #[error("the signature does not verify")]
    BadSignature,
}

pub(crate) fn malformed(what: &'static str) -> impl Fn(DerError) -> X509Error {
    move |source| X509Error::Malformed { what, source }
}

/// Digest algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hash {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    pub(crate) fn from_oid(oid: &[u8]) -> Option<Hash> {
        match oid {
            OID_SHA1 => Some(Hash::Sha1),
            OID_SHA256 => Some(Hash::Sha256),
            OID_SHA384 => Some(Hash::Sha384),
            OID_SHA512 => Some(Hash::Sha512),
            _ => None,
        }
    }

    pub(crate) fn digest(self, data: &[u8]) -> Vec<u8> {
        let alg = match self {
            Hash::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
            Hash::Sha256 => &digest::SHA256,
            Hash::Sha384 => &digest::SHA384,
            Hash::Sha512 => &digest::SHA512,
        };
        digest::digest(alg, data).as_ref().to_vec()
    }
}

/// An AlgorithmIdentifier: its OID, and the curve for EC keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Alg {
    pub(crate) oid: Vec<u8>,
    /// An OID parameter (EC keys name their curve so); NULL or absent
    /// parameters leave it None, anything else is refused.
    pub(crate) param: Option<Vec<u8>>,
}

pub(crate) fn algorithm(d: &mut Der<'_>, what: &'static str) -> Result<Alg, X509Error> {
    let mut a = d.enter(der::SEQUENCE).map_err(malformed(what))?;
    let oid = a.oid().map_err(malformed(what))?.to_vec();
    let mut param = None;
    if !a.is_empty() {
        let params = a.read().map_err(malformed(what))?;
        match params.tag {
            der::NULL if params.value.is_empty() => {}
            der::OID => param = Some(params.value.to_vec()),
            tag => {
                return Err(X509Error::Unsupported(format!(
                    "{what}: algorithm parameters of tag 0x{tag:02x}"
                )));
            }
        }
        a.finish().map_err(malformed(what))?;
    }
    Ok(Alg { oid, param })
}

pub(crate) fn hash_of(d: &mut Der<'_>, what: &'static str) -> Result<Hash, X509Error> {
    let alg = algorithm(d, what)?;
    Hash::from_oid(&alg.oid).ok_or_else(|| {
        X509Error::Unsupported(format!(
            "{what}: digest algorithm {}",
            der::oid_text(&alg.oid)
        ))
    })
}

// ---------------------------------------------------------------------------
// Times

fn two(b: &[u8]) -> Result<u8, DerError> {
    match b {
        [a @ b'0'..=b'9', c @ b'0'..=b'9'] => Ok((a - b'0') * 10 + (c - b'0')),
        _ => Err(DerError::BadTime),
    }
}

fn to_datetime(year: i32, v: &[u8], nanos: u32) -> Result<OffsetDateTime, DerError> {
    let month = Month::try_from(two(&v[0..2])?).map_err(|_| DerError::BadTime)?;
    let date =
        Date::from_calendar_date(year, month, two(&v[2..4])?).map_err(|_| DerError::BadTime)?;
    let time = Time::from_hms_nano(two(&v[4..6])?, two(&v[6..8])?, two(&v[8..10])?, nanos)
        .map_err(|_| DerError::BadTime)?;
    Ok(PrimitiveDateTime::new(date, time).assume_utc())
}

/// `YYYYMMDDHHMMSS[.f+]Z` (DER: UTC, no trailing zero in the fraction).
pub(crate) fn generalized_time(v: &[u8]) -> Result<OffsetDateTime, DerError> {
    if v.len() < 15 || v.last() != Some(&b'Z') {
        return Err(DerError::BadTime);
    }
    let year = i32::from(two(&v[0..2])?) * 100 + i32::from(two(&v[2..4])?);
    let rest = &v[4..v.len() - 1];
    let (main, fraction) = rest.split_at(10);
    let nanos = match fraction {
        [] => 0,
        [b'.', digits @ ..]
            if (1..=9).contains(&digits.len())
                && digits.iter().all(u8::is_ascii_digit)
                && digits.last() != Some(&b'0') =>
        {
            let n: u32 = std::str::from_utf8(digits)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or(DerError::BadTime)?;
            n * 10u32.pow(9 - digits.len() as u32)
        }
        _ => return Err(DerError::BadTime),
    };
    to_datetime(year, main, nanos)
}

/// `YYMMDDHHMMSSZ`, years 1950 to 2049 (RFC 5280).
pub(crate) fn utc_time(v: &[u8]) -> Result<OffsetDateTime, DerError> {
    if v.len() != 13 || v[12] != b'Z' {
        return Err(DerError::BadTime);
    }
    let yy = i32::from(two(&v[0..2])?);
    let year = if yy < 50 { 2000 + yy } else { 1900 + yy };
    to_datetime(year, &v[2..12], 0)
}

fn x509_time(t: Tlv<'_>) -> Result<OffsetDateTime, DerError> {
    match t.tag {
        der::UTC_TIME => utc_time(t.value),
        der::GENERALIZED_TIME if t.value.len() == 15 => generalized_time(t.value),
        _ => Err(DerError::BadTime),
    }
}

pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

// ---------------------------------------------------------------------------
// Certificates

/// One extension of a certificate, as written.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Extension<'a> {
    pub(crate) oid: &'a [u8],
    /// The extnValue OCTET STRING's content.
    pub(crate) value: &'a [u8],
    /// The whole Extension SEQUENCE.
    pub(crate) raw: &'a [u8],
}

/// The parts of an X.509 certificate verification reads.
pub(crate) struct Certificate<'a> {
    pub(crate) raw: &'a [u8],
    pub(crate) tbs: &'a [u8],
    pub(crate) signature_alg: Alg,
    pub(crate) signature: &'a [u8],
    pub(crate) serial: &'a [u8],
    pub(crate) issuer: &'a [u8],
    pub(crate) subject: &'a [u8],
    pub(crate) not_before: OffsetDateTime,
    pub(crate) not_after: OffsetDateTime,
    /// The whole SubjectPublicKeyInfo (what a CT log hashes as the issuer key).
    pub(crate) spki: &'a [u8],
    /// SubjectPublicKeyInfo algorithm (OID, NUL, curve OID for EC).
    pub(crate) key_alg: Alg,
    pub(crate) key: &'a [u8],
    pub(crate) is_ca: bool,
    pub(crate) key_id: Option<&'a [u8]>,
    /// The key usage bits (bit 0, digitalSignature, is 0x8000), when given.
    pub(crate) key_usage: Option<u16>,
    /// The extended key usage, and whether it was critical.
    pub(crate) eku: Option<(bool, Vec<&'a [u8]>)>,
    /// The subjectAltName's GeneralNames content, when given.
    pub(crate) san: Option<&'a [u8]>,
    pub(crate) unknown_critical: Option<&'a [u8]>,
    /// Every extension, in order.
    pub(crate) extensions: Vec<Extension<'a>>,
}

impl Certificate<'_> {
    /// Whether the certificate was valid at `t` (both bounds inclusive,
    /// as RFC 5280 has them).
    pub(crate) fn valid_at(&self, t: OffsetDateTime) -> bool {
        self.not_before <= t && t <= self.not_after
    }

    /// The value of the extension `oid`, when present.
    pub(crate) fn extension(&self, oid: &[u8]) -> Option<&Extension<'_>> {
        self.extensions.iter().find(|e| e.oid == oid)
    }
}

pub(crate) fn parse_certificate(raw: &[u8]) -> Result<Certificate<'_>, X509Error> {
    let what = "certificate";
    let m = malformed(what);
    let cert = der::single(raw, der::SEQUENCE).map_err(&m)?;
    let mut c = Der::new(cert.value);
    let tbs = c.expect(der::SEQUENCE).map_err(&m)?;
    let signature_alg = algorithm(&mut c, what)?;
    let signature = c.bit_string_bytes().map_err(&m)?;
    c.finish().map_err(&m)?;

    let mut t = Der::new(tbs.value);
    if let Some(v) = t.optional(der::context(0)).map_err(&m)? {
        let version = Der::new(v.value).small_uint().map_err(&m)?;
        if version != 2 {
            return Err(X509Error::Unsupported(format!(
                "an X.509 certificate of version {}",
                version + 1
            )));
        }
    }
    let serial = t.integer().map_err(&m)?;
    algorithm(&mut t, what)?;
    let issuer = t.expect(der::SEQUENCE).map_err(&m)?.raw;
    let mut validity = t.enter(der::SEQUENCE).map_err(&m)?;
    let not_before = x509_time(validity.read().map_err(&m)?).map_err(&m)?;
    let not_after = x509_time(validity.read().map_err(&m)?).map_err(&m)?;
    validity.finish().map_err(&m)?;
    let subject = t.expect(der::SEQUENCE).map_err(&m)?.raw;
    let spki_tlv = t.expect(der::SEQUENCE).map_err(&m)?;
    let mut spki = Der::new(spki_tlv.value);
    let key_alg = algorithm(&mut spki, what)?;
    let key = spki.bit_string_bytes().map_err(&m)?;
    spki.finish().map_err(&m)?;
    t.optional(der::context_primitive(1)).map_err(&m)?;
    t.optional(der::context_primitive(2)).map_err(&m)?;
    let mut out = Certificate {
        raw: cert.raw,
        tbs: tbs.raw,
        signature_alg,
        signature,
        serial,
        issuer,
        subject,
        not_before,
        not_after,
        spki: spki_tlv.raw,
        key_alg,
        key,
        is_ca: false,
        key_id: None,
        key_usage: None,
        eku: None,
        san: None,
        unknown_critical: None,
        extensions: Vec::new(),
    };
    if let Some(exts) = t.optional(der::context(3)).map_err(&m)? {
        let mut outer = Der::new(exts.value);
        let mut list = outer.enter(der::SEQUENCE).map_err(&m)?;
        outer.finish().map_err(&m)?;
        while !list.is_empty() {
            if out.extensions.len() == MAX_EXTENSIONS {
                return Err(X509Error::Unsupported(format!(
                    "a certificate with more than {MAX_EXTENSIONS} extensions"
                )));
            }
            let ext_tlv = list.expect(der::SEQUENCE).map_err(&m)?;
            let mut ext = Der::new(ext_tlv.value);
            let oid = ext.oid().map_err(&m)?;
            let critical = if ext.peek_tag() == Some(der::BOOLEAN) {
                ext.boolean().map_err(&m)?
            } else {
                false
            };
            let value = ext.value(der::OCTET_STRING).map_err(&m)?;
            ext.finish().map_err(&m)?;
            // The same extension twice is refused (RFC 5280 4.2): which of
            // the two a reader believes must not be a choice.
            if out.extensions.iter().any(|e| e.oid == oid) {
                return Err(X509Error::Unsupported(format!(
                    "a certificate with extension {} twice",
                    der::oid_text(oid)
                )));
            }
            out.extensions.push(Extension {
                oid,
                value,
                raw: ext_tlv.raw,
            });
            match oid {
                OID_EXT_BASIC_CONSTRAINTS => {
                    let mut bc = Der::new(value).enter(der::SEQUENCE).map_err(&m)?;
                    if bc.peek_tag() == Some(der::BOOLEAN) {
                        out.is_ca = bc.boolean().map_err(&m)?;
                    }
                }
                OID_EXT_SUBJECT_KEY_ID => {
                    out.key_id = Some(der::single(value, der::OCTET_STRING).map_err(&m)?.value);
                }
                OID_EXT_KEY_USAGE => {
                    let bits = der::single(value, der::BIT_STRING).map_err(&m)?.value;
                    let (first, second) = match bits {
                        [unused, a, rest @ ..] if *unused < 8 && rest.len() <= 1 => {
                            (*a, rest.first().copied().unwrap_or(0))
                        }
                        _ => return Err(m(DerError::BadBitString)),
                    };
                    out.key_usage = Some(u16::from_be_bytes([first, second]));
                }
                OID_EXT_EXTENDED_KEY_USAGE => {
                    let mut usages = Vec::new();
                    let mut seq = Der::new(value).enter(der::SEQUENCE).map_err(&m)?;
                    while !seq.is_empty() {
                        if usages.len() == MAX_EXTENSIONS {
                            return Err(X509Error::Unsupported(
                                "an extended key usage with too many purposes".into(),
                            ));
                        }
                        usages.push(seq.oid().map_err(&m)?);
                    }
                    out.eku = Some((critical, usages));
                }
                OID_EXT_SUBJECT_ALT_NAME => {
                    out.san = Some(der::single(value, der::SEQUENCE).map_err(&m)?.value);
                }
                OID_EXT_AUTHORITY_KEY_ID => {}
                other if critical && out.unknown_critical.is_none() => {
                    out.unknown_critical = Some(other);
                }
                _ => {}
            }
        }
    }
    t.finish().map_err(&m)?;
    Ok(out)
}

/// A Name shown in messages: its CN or O when found, else a digest prefix.
pub(crate) fn name_text(name: &[u8]) -> String {
    const CN: &[u8] = &[0x55, 0x04, 0x03];
    const O: &[u8] = &[0x55, 0x04, 0x0a];
    let mut found: (Option<String>, Option<String>) = (None, None);
    let mut rdns = Der::new(name);
    if let Ok(mut rdns_in) = rdns.enter(der::SEQUENCE) {
        while let Ok(mut set) = rdns_in.enter(der::SET) {
            while let Ok(mut atv) = set.enter(der::SEQUENCE) {
                let (Ok(oid), Ok(v)) = (atv.oid(), atv.read()) else {
                    break;
                };
                let text: String = String::from_utf8_lossy(v.value).chars().take(80).collect();
                if oid == CN {
                    found.0 = Some(text);
                } else if oid == O {
                    found.1 = Some(text);
                }
            }
        }
    }
    let shown = found.0.or(found.1).unwrap_or_else(|| {
        let d = Hash::Sha256.digest(name);
        format!("(name sha256 {})", hex::encode(&d[..8]))
    });
    crate::term::escape(&shown).into_owned()
}

/// Verify `signature` over `message` with a SubjectPublicKeyInfo's key,
/// by the signature algorithm named (`digest` gives the hash when that
/// names only the key type, as CMS allows).
pub(crate) fn verify_signature(
    key_alg: &Alg,
    key: &[u8],
    signature_alg: &Alg,
    digest: Hash,
    message: &[u8],
    signature: &[u8],
) -> Result<(), X509Error> {
    enum Kind {
        Ec,
        Rsa,
    }
    let (kind, hash) = match signature_alg.oid.as_slice() {
        OID_ECDSA_SHA256 => (Kind::Ec, Hash::Sha256),
        OID_ECDSA_SHA384 => (Kind::Ec, Hash::Sha384),
        OID_ECDSA_SHA512 => (Kind::Ec, Hash::Sha512),
        OID_RSA_SHA256 => (Kind::Rsa, Hash::Sha256),
        OID_RSA_SHA384 => (Kind::Rsa, Hash::Sha384),
        OID_RSA_SHA512 => (Kind::Rsa, Hash::Sha512),
        // CMS allows naming only the key type; the digest algorithm then
        // says the hash.
        OID_RSA => (Kind::Rsa, digest),
        OID_EC_PUBLIC_KEY => (Kind::Ec, digest),
        other => {
            return Err(X509Error::Unsupported(format!(
                "signature algorithm {}",
                der::oid_text(other)
            )));
        }
    };
    let ec = |curve: &[u8]| -> Option<&'static dyn VerificationAlgorithm> {
        (key_alg.oid == OID_EC_PUBLIC_KEY && key_alg.param.as_deref() == Some(curve))
            .then_some(())?;
        Some(match (curve, hash) {
            (OID_P256, Hash::Sha256) => &signature::ECDSA_P256_SHA256_ASN1,
            (OID_P256, Hash::Sha384) => &signature::ECDSA_P256_SHA384_ASN1,
            (OID_P384, Hash::Sha384) => &signature::ECDSA_P384_SHA384_ASN1,
            (OID_P384, Hash::Sha256) => &signature::ECDSA_P384_SHA256_ASN1,
            (OID_P521, Hash::Sha512) => &signature::ECDSA_P521_SHA512_ASN1,
            _ => return None,
        })
    };
    let alg: &'static dyn VerificationAlgorithm = match kind {
        Kind::Ec => [OID_P256, OID_P384, OID_P521]
            .into_iter()
            .find_map(ec)
            .ok_or_else(|| {
                X509Error::Unsupported(format!(
                    "an ECDSA key of algorithm {} with {hash:?}",
                    der::oid_text(key_alg.param.as_deref().unwrap_or(&key_alg.oid))
                ))
            })?,
        Kind::Rsa if key_alg.oid == OID_RSA => match hash {
            Hash::Sha256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            Hash::Sha384 => &signature::RSA_PKCS1_2048_8192_SHA384,
            Hash::Sha512 => &signature::RSA_PKCS1_2048_8192_SHA512,
            Hash::Sha1 => {
                return Err(X509Error::Unsupported("RSA with SHA-1".into()));
            }
        },
        Kind::Rsa => {
            return Err(X509Error::Unsupported(
                "an RSA signature from a key that is not RSA".into(),
            ));
        }
    };
    UnparsedPublicKey::new(alg, key)
        .verify(message, signature)
        .map_err(|_| X509Error::BadSignature)
}

/// A public key from a SubjectPublicKeyInfo, its algorithm read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectKey {
    pub(crate) alg: Alg,
    pub(crate) key: Vec<u8>,
}

impl SubjectKey {
    /// A DER SubjectPublicKeyInfo (what a trusted root's `rawBytes` hold).
    pub fn from_spki(spki: &[u8]) -> Result<SubjectKey, X509Error> {
        let what = "public key";
        let m = malformed(what);
        let mut d = Der::new(der::single(spki, der::SEQUENCE).map_err(&m)?.value);
        let alg = algorithm(&mut d, what)?;
        let key = d.bit_string_bytes().map_err(&m)?.to_vec();
        d.finish().map_err(&m)?;
        Ok(SubjectKey { alg, key })
    }

    /// The key of a certificate.
    pub(crate) fn of(cert: &Certificate<'_>) -> SubjectKey {
        SubjectKey {
            alg: cert.key_alg.clone(),
            key: cert.key.to_vec(),
        }
    }

    /// Verify `signature` over `message` with the hash Sigstore pairs
    /// with the key (P-256 with SHA-256, P-384 with SHA-384, P-521 with
    /// SHA-512, RSA PKCS#1 v1.5 with SHA-256, Ed25519 as is): what a DSSE
    /// signature, a Rekor SET, a checkpoint and an SCT are made with.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), X509Error> {
        let alg: &'static dyn VerificationAlgorithm =
            match (self.alg.oid.as_slice(), self.alg.param.as_deref()) {
                (OID_EC_PUBLIC_KEY, Some(OID_P256)) => &signature::ECDSA_P256_SHA256_ASN1,
                (OID_EC_PUBLIC_KEY, Some(OID_P384)) => &signature::ECDSA_P384_SHA384_ASN1,
                (OID_EC_PUBLIC_KEY, Some(OID_P521)) => &signature::ECDSA_P521_SHA512_ASN1,
                (OID_RSA, None) => &signature::RSA_PKCS1_2048_8192_SHA256,
                (OID_ED25519, None) => &signature::ED25519,
                (oid, param) => {
                    return Err(X509Error::Unsupported(format!(
                        "a public key of algorithm {}",
                        der::oid_text(param.unwrap_or(oid))
                    )));
                }
            };
        UnparsedPublicKey::new(alg, &self.key)
            .verify(message, signature)
            .map_err(|_| X509Error::BadSignature)
    }
}

/// The chain from `leaf` up to `anchor` through certificates of `pool`,
/// each link's signature checked with its issuer's key; None if there is
/// none within `MAX_CHAIN` links.
pub(crate) fn chain_to<'p, 'a>(
    leaf: &'p Certificate<'a>,
    anchor: &Certificate<'a>,
    pool: &[&'p Certificate<'a>],
) -> Option<Vec<&'p Certificate<'a>>> {
    let mut chain = vec![leaf];
    loop {
        let current = *chain.last()?;
        if current.raw == anchor.raw {
            return Some(chain);
        }
        if chain.len() > MAX_CHAIN {
            return None;
        }
        let issuer = pool.iter().find(|c| {
            c.subject == current.issuer
                && c.is_ca
                && !chain.iter().any(|seen| seen.raw == c.raw)
                && verify_signature(
                    &c.key_alg,
                    c.key,
                    &current.signature_alg,
                    Hash::Sha256,
                    current.tbs,
                    current.signature,
                )
                .is_ok()
        })?;
        chain.push(issuer);
    }
}
