//! RFC 3161 timestamps over a signature, as a Sigstore bundle carries them
//! (`timestampVerificationData.rfc3161Timestamps[].signedTimestamp`): the
//! request a timestamp authority is sent, its answer (a `TimeStampResp`,
//! which the bundle stores whole) checked, and the token in it verified
//! against the authorities a trusted root names.
//!
//! Pure: no I/O (the request goes out through `sources::tsa`). The DER is
//! read by [`der`], the signatures checked by aws-lc-rs.

pub mod der;

use thiserror::Error;
use time::OffsetDateTime;

use super::x509::{
    Alg, Certificate, Hash, OID_SHA256, X509Error, algorithm, chain_to, generalized_time, hash_of,
    name_text, parse_certificate, rfc3339, verify_signature,
};
use der::{Der, DerError, Tlv};

// Object identifiers, as their DER content bytes.
const OID_SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
const OID_CT_TST_INFO: &[u8] = &[
    0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x04,
];
const OID_ATTR_CONTENT_TYPE: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03];
const OID_ATTR_MESSAGE_DIGEST: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04];
const OID_ATTR_SIGNING_CERT: &[u8] = &[
    0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x02, 0x0c,
];
const OID_ATTR_SIGNING_CERT_V2: &[u8] = &[
    0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x02, 0x2f,
];
const OID_KP_TIME_STAMPING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08];

/// Certificates a token may carry.
const MAX_TOKEN_CERTS: usize = 16;

/// Why a timestamp request, answer or token was refused.
#[derive(Debug, Error)]
pub enum TimestampError {
    #[error("timestamp: malformed {what}: {source}")]
    Malformed {
        what: &'static str,
        #[source]
        source: DerError,
    },
    #[error("timestamp: {0}")]
    Unsupported(String),
    #[error("timestamp: the authority refused the request (status {status}{detail})")]
    Refused { status: String, detail: String },
    #[error("timestamp: the answer holds no timestamp token")]
    NoToken,
    #[error("timestamp: the token's nonce does not match the request's")]
    NonceMismatch,
    #[error("timestamp: message imprint does not match the signature")]
    ImprintMismatch,
    #[error("timestamp: the signer is not a trusted timestamp authority")]
    UntrustedSigner,
    #[error(
        "timestamp: the authority {authority} was not trusted at the time stamped ({gen_time}; trusted {window})"
    )]
    OutsideAuthorityWindow {
        authority: String,
        gen_time: String,
        window: String,
    },
    #[error("timestamp: certificate {subject} was not valid at the time stamped ({gen_time})")]
    CertificateNotValidAt { subject: String, gen_time: String },
    #[error(
        "timestamp: the signing certificate {subject} is not for timestamping (it needs a critical extended key usage of timeStamping only)"
    )]
    NotTimestampingCertificate { subject: String },
    #[error("timestamp: certificate {subject} has an unknown critical extension {oid}")]
    UnknownCriticalExtension { subject: String, oid: String },
    #[error("timestamp: the signed attributes {0}")]
    SignedAttributes(&'static str),
    #[error("timestamp: the signed message digest does not match the timestamp's content")]
    ContentDigestMismatch,
    #[error(
        "timestamp: the ESS signing-certificate attribute does not name the signer's certificate"
    )]
    SigningCertificateMismatch,
    #[error("timestamp: the signature over the timestamp does not verify with the signer's key")]
    BadSignature,
}

fn malformed(what: &'static str) -> impl Fn(DerError) -> TimestampError {
    move |source| TimestampError::Malformed { what, source }
}

/// What the certificate reader says, in a timestamp's words.
impl From<X509Error> for TimestampError {
    fn from(e: X509Error) -> TimestampError {
        match e {
            X509Error::Malformed { what, source } => TimestampError::Malformed { what, source },
            X509Error::Unsupported(what) => TimestampError::Unsupported(what),
            X509Error::BadSignature => TimestampError::BadSignature,
        }
    }
}

// ---------------------------------------------------------------------------
// The request

/// A timestamp request ready to send, and what its answer must echo.
#[derive(Debug, Clone)]
pub struct TimestampRequest {
    /// DER `TimeStampReq`, the body of an `application/timestamp-query` POST.
    pub der: Vec<u8>,
    /// The request's nonce.
    pub nonce: u64,
    /// SHA-256 of the bytes stamped.
    pub imprint: [u8; 32],
}

impl TimestampRequest {
    /// A request over `signature` (for a Sigstore bundle: the DSSE signature
    /// bytes) with a fresh random nonce.
    pub fn new(signature: &[u8]) -> TimestampRequest {
        let mut nonce = [0u8; 8];
        // A nonce only binds the answer to this request; should the OS deny
        // randomness, the all-zero nonce still asks for a timestamp.
        let _ = getrandom::fill(&mut nonce);
        TimestampRequest::with_nonce(signature, u64::from_be_bytes(nonce))
    }

    /// A request with a given nonce (tests, reproducible requests).
    pub fn with_nonce(signature: &[u8], nonce: u64) -> TimestampRequest {
        let imprint: [u8; 32] = Hash::Sha256
            .digest(signature)
            .try_into()
            .expect("SHA-256 is 32 bytes");
        let alg = der::tlv(
            der::SEQUENCE,
            &[der::tlv(der::OID, OID_SHA256), der::tlv(der::NULL, &[])].concat(),
        );
        let message_imprint = der::tlv(
            der::SEQUENCE,
            &[alg, der::tlv(der::OCTET_STRING, &imprint)].concat(),
        );
        let body = [
            der::uint(1),
            message_imprint,
            der::uint(nonce),
            der::tlv(der::BOOLEAN, &[0xff]),
        ]
        .concat();
        TimestampRequest {
            der: der::tlv(der::SEQUENCE, &body),
            nonce,
            imprint,
        }
    }
}

// ---------------------------------------------------------------------------
// The answer

const FAILURE_NAMES: [(usize, &str); 8] = [
    (0, "badAlg"),
    (2, "badRequest"),
    (5, "badDataFormat"),
    (14, "timeNotAvailable"),
    (15, "unacceptedPolicy"),
    (16, "unacceptedExtension"),
    (17, "addInfoNotAvailable"),
    (25, "systemFailure"),
];

/// Longest status text quoted from an answer.
const MAX_STATUS_TEXT: usize = 200;

/// A DER `TimeStampResp` checked: its status granted (or granted with
/// modifications) and a token present, else an error with the status,
/// failure info and text; when a request is given, the token must answer it
/// (imprint and nonce). Returns the response as given: that whole
/// `TimeStampResp` is what a Sigstore bundle stores as `signedTimestamp`
/// (sigstore-js and sigstore-go read it so), not the bare token.
pub fn parse_response(
    response: &[u8],
    request: Option<&TimestampRequest>,
) -> Result<Vec<u8>, TimestampError> {
    let token = token_of(response)?;
    if let Some(req) = request {
        let info = parse_tst_info(parse_token(token)?.content)?;
        if info.imprint != req.imprint || info.imprint_hash != Hash::Sha256 {
            return Err(TimestampError::ImprintMismatch);
        }
        if !nonce_is(&info.nonce, req.nonce) {
            return Err(TimestampError::NonceMismatch);
        }
    }
    Ok(response.to_vec())
}

/// The token (CMS ContentInfo) of a granted `TimeStampResp`.
fn token_of(response: &[u8]) -> Result<&[u8], TimestampError> {
    let what = "timestamp response";
    let resp = der::single(response, der::SEQUENCE).map_err(malformed(what))?;
    let mut r = Der::new(resp.value);
    let mut status_info = r.enter(der::SEQUENCE).map_err(malformed(what))?;
    let status = status_info.small_uint().map_err(malformed(what))?;
    let mut texts = Vec::new();
    if let Some(free) = status_info
        .optional(der::SEQUENCE)
        .map_err(malformed(what))?
    {
        let mut f = Der::new(free.value);
        while !f.is_empty() {
            let t = f.read().map_err(malformed(what))?;
            texts.push(String::from_utf8_lossy(t.value).into_owned());
        }
    }
    let mut failures = Vec::new();
    if let Some(bits) = status_info
        .optional(der::BIT_STRING)
        .map_err(malformed(what))?
    {
        let bytes = bits.value.get(1..).unwrap_or_default();
        for (bit, name) in FAILURE_NAMES {
            if bytes
                .get(bit / 8)
                .is_some_and(|b| b & (0x80 >> (bit % 8)) != 0)
            {
                failures.push(name);
            }
        }
    }
    status_info.finish().map_err(malformed(what))?;
    if status > 1 {
        let name = match status {
            2 => "rejection",
            3 => "waiting",
            4 => "revocationWarning",
            5 => "revocationNotification",
            _ => "unknown",
        };
        let mut detail = String::new();
        if !failures.is_empty() {
            detail.push_str(&format!(", failure {}", failures.join(", ")));
        }
        let text = texts.join("; ");
        if !text.is_empty() {
            let text: String = text.chars().take(MAX_STATUS_TEXT).collect();
            detail.push_str(&format!(
                ": {}",
                crate::term::escape(&text).trim_matches('"')
            ));
        }
        return Err(TimestampError::Refused {
            status: format!("{status} {name}"),
            detail,
        });
    }
    let token = r.read().map_err(|_| TimestampError::NoToken)?;
    if token.tag != der::SEQUENCE {
        return Err(TimestampError::NoToken);
    }
    r.finish().map_err(malformed(what))?;
    Ok(token.raw)
}

// ---------------------------------------------------------------------------
// The token

/// What a token says, read without checking who said it.
#[derive(Debug, Clone)]
struct TstInfo {
    policy: Vec<u8>,
    imprint_hash: Hash,
    imprint: Vec<u8>,
    serial: Vec<u8>,
    gen_time: OffsetDateTime,
    /// The nonce's INTEGER content bytes.
    nonce: Option<Vec<u8>>,
}

/// Whether a token's nonce is `expected`.
fn nonce_is(found: &Option<Vec<u8>>, expected: u64) -> bool {
    let want = der::uint(expected);
    found.as_deref() == Some(&want[2..])
}

/// The parts of a token's SignedData that verification needs.
struct SignedData<'a> {
    /// The DER TSTInfo (the eContent octets).
    content: &'a [u8],
    certificates: Vec<&'a [u8]>,
    signer: SignerInfo<'a>,
}

enum SignerId<'a> {
    IssuerSerial { issuer: &'a [u8], serial: &'a [u8] },
    KeyId(&'a [u8]),
}

struct SignerInfo<'a> {
    id: SignerId<'a>,
    digest: Hash,
    /// The `[0] IMPLICIT` signed attributes' content.
    signed_attrs: &'a [u8],
    /// The signature algorithm OID (with parameters appended, if any).
    signature_alg: Alg,
    signature: &'a [u8],
}

fn parse_token(token: &[u8]) -> Result<SignedData<'_>, TimestampError> {
    let what = "timestamp token";
    let ci = der::single(token, der::SEQUENCE).map_err(malformed(what))?;
    let mut c = Der::new(ci.value);
    if c.oid().map_err(malformed(what))? != OID_SIGNED_DATA {
        return Err(TimestampError::Unsupported(
            "the token is not CMS SignedData".into(),
        ));
    }
    let mut explicit = c.enter(der::context(0)).map_err(malformed(what))?;
    c.finish().map_err(malformed(what))?;
    let sd = explicit.expect(der::SEQUENCE).map_err(malformed(what))?;
    explicit.finish().map_err(malformed(what))?;

    let what = "timestamp SignedData";
    let mut s = Der::new(sd.value);
    s.small_uint().map_err(malformed(what))?;
    s.expect(der::SET).map_err(malformed(what))?;
    let mut encap = s.enter(der::SEQUENCE).map_err(malformed(what))?;
    if encap.oid().map_err(malformed(what))? != OID_CT_TST_INFO {
        return Err(TimestampError::Unsupported(
            "the token does not hold a TSTInfo".into(),
        ));
    }
    let mut econtent = encap.enter(der::context(0)).map_err(malformed(what))?;
    encap.finish().map_err(malformed(what))?;
    let content = econtent.value(der::OCTET_STRING).map_err(malformed(what))?;
    econtent.finish().map_err(malformed(what))?;

    let mut certificates = Vec::new();
    if let Some(certs) = s.optional(der::context(0)).map_err(malformed(what))? {
        let mut cs = Der::new(certs.value);
        while !cs.is_empty() {
            let cert = cs.read().map_err(malformed(what))?;
            // Other certificate formats (attribute certificates...) are skipped.
            if cert.tag == der::SEQUENCE {
                if certificates.len() == MAX_TOKEN_CERTS {
                    return Err(TimestampError::Unsupported(format!(
                        "the token carries more than {MAX_TOKEN_CERTS} certificates"
                    )));
                }
                certificates.push(cert.raw);
            }
        }
    }
    s.optional(der::context(1)).map_err(malformed(what))?;
    let mut signers = s.enter(der::SET).map_err(malformed(what))?;
    s.finish().map_err(malformed(what))?;
    let signer = signers.expect(der::SEQUENCE).map_err(malformed(what))?;
    if !signers.is_empty() {
        return Err(TimestampError::Unsupported(
            "the token has more than one signer".into(),
        ));
    }

    let what = "timestamp SignerInfo";
    let mut si = Der::new(signer.value);
    si.small_uint().map_err(malformed(what))?;
    let id = match si.peek_tag() {
        Some(der::SEQUENCE) => {
            let mut ias = si.enter(der::SEQUENCE).map_err(malformed(what))?;
            let issuer = ias.expect(der::SEQUENCE).map_err(malformed(what))?.raw;
            let serial = ias.integer().map_err(malformed(what))?;
            ias.finish().map_err(malformed(what))?;
            SignerId::IssuerSerial { issuer, serial }
        }
        _ => SignerId::KeyId(
            si.value(der::context_primitive(0))
                .map_err(malformed(what))?,
        ),
    };
    let digest = hash_of(&mut si, what)?;
    let signed_attrs = si
        .optional(der::context(0))
        .map_err(malformed(what))?
        .ok_or(TimestampError::SignedAttributes("are missing"))?
        .value;
    let signature_alg = algorithm(&mut si, what)?;
    let signature = si.value(der::OCTET_STRING).map_err(malformed(what))?;
    si.optional(der::context(1)).map_err(malformed(what))?;
    si.finish().map_err(malformed(what))?;
    Ok(SignedData {
        content,
        certificates,
        signer: SignerInfo {
            id,
            digest,
            signed_attrs,
            signature_alg,
            signature,
        },
    })
}

fn parse_tst_info(content: &[u8]) -> Result<TstInfo, TimestampError> {
    let what = "TSTInfo";
    let tst = der::single(content, der::SEQUENCE).map_err(malformed(what))?;
    let mut t = Der::new(tst.value);
    if t.small_uint().map_err(malformed(what))? != 1 {
        return Err(TimestampError::Unsupported(
            "a TSTInfo version other than 1".into(),
        ));
    }
    let policy = t.oid().map_err(malformed(what))?.to_vec();
    let mut mi = t.enter(der::SEQUENCE).map_err(malformed(what))?;
    let imprint_hash = hash_of(&mut mi, what)?;
    let imprint = mi
        .value(der::OCTET_STRING)
        .map_err(malformed(what))?
        .to_vec();
    mi.finish().map_err(malformed(what))?;
    let serial = t.integer().map_err(malformed(what))?.to_vec();
    let gen_time = generalized_time(t.value(der::GENERALIZED_TIME).map_err(malformed(what))?)
        .map_err(malformed(what))?;
    t.optional(der::SEQUENCE).map_err(malformed(what))?;
    if t.peek_tag() == Some(der::BOOLEAN) {
        t.boolean().map_err(malformed(what))?;
    }
    let nonce = if t.peek_tag() == Some(der::INTEGER) {
        Some(t.integer().map_err(malformed(what))?.to_vec())
    } else {
        None
    };
    t.optional(der::context(0)).map_err(malformed(what))?;
    t.optional(der::context(1)).map_err(malformed(what))?;
    t.finish().map_err(malformed(what))?;
    Ok(TstInfo {
        policy,
        imprint_hash,
        imprint,
        serial,
        gen_time,
        nonce,
    })
}

/// Whether `der` is an X.509 certificate this module can read (for loading
/// a trusted root).
pub fn check_certificate(der: &[u8]) -> Result<(), TimestampError> {
    parse_certificate(der)?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Verification

/// A timestamp authority a trusted root names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimestampAuthority {
    /// How messages name it (its subject's common name or organization).
    pub name: String,
    pub uri: Option<String>,
    /// DER certificates, the signing leaf first, the root last.
    pub chain: Vec<Vec<u8>>,
    pub valid_from: OffsetDateTime,
    /// Open-ended when absent.
    pub valid_until: Option<OffsetDateTime>,
}

/// A verified timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedTimestamp {
    /// When the authority says the signature existed.
    pub gen_time: OffsetDateTime,
    /// The authority that vouched for it ([`TimestampAuthority::name`]).
    pub authority: String,
    /// The token's serial number, lowercase hex.
    pub serial: String,
    /// The authority's policy OID, dotted.
    pub policy: String,
}

/// Verify a signed timestamp — the DER `TimeStampResp` a Sigstore bundle
/// stores in `rfc3161Timestamps[].signedTimestamp` — over `signature`
/// against the trusted `authorities`; `nonce`, when given, must be the
/// token's.
///
/// Checks: the status is granted; the signed attributes (content type
/// TSTInfo, message digest of the TSTInfo); the signer's certificate (named
/// by the signer identifier and, when present, the ESS signing-certificate
/// attribute) chains to a trusted authority's root, each link's signature
/// checked; that authority was trusted at genTime; every certificate of the
/// chain was valid then; the signer's certificate has a critical extended
/// key usage of timeStamping only; the signature over the signed
/// attributes; and last that the TSTInfo stamps these signature bytes.
pub fn verify_signed_timestamp(
    signed_timestamp: &[u8],
    signature: &[u8],
    authorities: &[TimestampAuthority],
    nonce: Option<u64>,
) -> Result<VerifiedTimestamp, TimestampError> {
    let token = token_of(signed_timestamp)?;
    let sd = parse_token(token)?;
    let info = parse_tst_info(sd.content)?;
    let ess = check_signed_attributes(&sd)?;
    let token_certs = sd
        .certificates
        .iter()
        .map(|c| parse_certificate(c))
        .collect::<Result<Vec<_>, _>>()?;

    let mut first_error = None;
    let mut verified = None;
    for authority in authorities {
        match verify_with(&sd, &info, ess.as_ref(), &token_certs, authority) {
            Ok(()) => {
                verified = Some(authority);
                break;
            }
            Err(TimestampError::UntrustedSigner) => {}
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    let Some(authority) = verified else {
        return Err(first_error.unwrap_or(TimestampError::UntrustedSigner));
    };
    // The token is the authority's; now whether it stamps what we hold.
    if info.imprint_hash == Hash::Sha1 || info.imprint != info.imprint_hash.digest(signature) {
        return Err(TimestampError::ImprintMismatch);
    }
    if let Some(n) = nonce
        && !nonce_is(&info.nonce, n)
    {
        return Err(TimestampError::NonceMismatch);
    }
    Ok(VerifiedTimestamp {
        gen_time: info.gen_time,
        authority: authority.name.clone(),
        serial: hex::encode(&info.serial),
        policy: der::oid_text(&info.policy),
    })
}

/// Whether the token was signed by this authority, and validly.
fn verify_with(
    sd: &SignedData<'_>,
    info: &TstInfo,
    ess: Option<&EssCertId<'_>>,
    token_certs: &[Certificate<'_>],
    authority: &TimestampAuthority,
) -> Result<(), TimestampError> {
    let trusted = authority
        .chain
        .iter()
        .map(|c| parse_certificate(c))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(anchor) = trusted.last() else {
        return Err(TimestampError::UntrustedSigner);
    };
    // The trusted root's own certificates are preferred to the token's.
    let pool: Vec<&Certificate<'_>> = trusted.iter().chain(token_certs.iter()).collect();
    // Names alone do not identify a signer (another CA may issue the same
    // issuer and serial): the ESS attribute's hash of the certificate, when
    // present, must agree too.
    let names_signer = |c: &Certificate<'_>| {
        let by_id = match sd.signer.id {
            SignerId::IssuerSerial { issuer, serial } => c.issuer == issuer && c.serial == serial,
            SignerId::KeyId(id) => c.key_id == Some(id),
        };
        by_id && ess.is_none_or(|e| e.names(c))
    };
    let mut signer_chain = None;
    for &candidate in pool.iter().filter(|c| names_signer(c)) {
        if let Some(chain) = chain_to(candidate, anchor, &pool) {
            signer_chain = Some(chain);
            break;
        }
    }
    let Some(chain) = signer_chain else {
        return Err(TimestampError::UntrustedSigner);
    };
    let signer = chain[0];

    let gen_time = info.gen_time;
    if gen_time < authority.valid_from || authority.valid_until.is_some_and(|end| gen_time >= end) {
        return Err(TimestampError::OutsideAuthorityWindow {
            authority: authority.name.clone(),
            gen_time: rfc3339(gen_time),
            window: format!(
                "from {} {}",
                rfc3339(authority.valid_from),
                authority
                    .valid_until
                    .map(|e| format!("until {}", rfc3339(e)))
                    .unwrap_or_else(|| "on".into())
            ),
        });
    }
    for cert in &chain {
        if gen_time < cert.not_before || gen_time > cert.not_after {
            return Err(TimestampError::CertificateNotValidAt {
                subject: name_text(cert.subject),
                gen_time: rfc3339(gen_time),
            });
        }
        if let Some(oid) = cert.unknown_critical {
            return Err(TimestampError::UnknownCriticalExtension {
                subject: name_text(cert.subject),
                oid: der::oid_text(oid),
            });
        }
    }
    match &signer.eku {
        Some((true, usages)) if usages.as_slice() == [OID_KP_TIME_STAMPING] => {}
        _ => {
            return Err(TimestampError::NotTimestampingCertificate {
                subject: name_text(signer.subject),
            });
        }
    }
    // What is signed is the attributes' DER as a SET OF, not as [0].
    let signed = der::tlv(der::SET, sd.signer.signed_attrs);
    Ok(verify_signature(
        &signer.key_alg,
        signer.key,
        &sd.signer.signature_alg,
        sd.signer.digest,
        &signed,
        sd.signer.signature,
    )?)
}

/// The first certificate an ESS signing-certificate(-v2) attribute names.
struct EssCertId<'a> {
    hash: Hash,
    cert_hash: &'a [u8],
    serial: Option<&'a [u8]>,
}

impl EssCertId<'_> {
    fn names(&self, cert: &Certificate<'_>) -> bool {
        self.cert_hash == self.hash.digest(cert.raw).as_slice()
            && self.serial.is_none_or(|s| s == cert.serial)
    }
}

/// Checks the signed attributes that do not depend on the signer (content
/// type, message digest of the TSTInfo) and returns the ESS identifier of
/// the signer's certificate, if given.
fn check_signed_attributes<'a>(
    sd: &SignedData<'a>,
) -> Result<Option<EssCertId<'a>>, TimestampError> {
    let what = "signed attributes";
    let m = malformed(what);
    let mut content_type = None;
    let mut message_digest = None;
    let mut ess = None;
    let mut attrs = Der::new(sd.signer.signed_attrs);
    while !attrs.is_empty() {
        let mut attr = attrs.enter(der::SEQUENCE).map_err(&m)?;
        let oid = attr.oid().map_err(&m)?;
        let mut values = attr.enter(der::SET).map_err(&m)?;
        attr.finish().map_err(&m)?;
        let value = values.read().map_err(&m)?;
        if !values.is_empty() {
            return Err(TimestampError::SignedAttributes(
                "have an attribute with several values",
            ));
        }
        let duplicate = |seen: bool| {
            if seen {
                Err(TimestampError::SignedAttributes("repeat an attribute"))
            } else {
                Ok(())
            }
        };
        match oid {
            OID_ATTR_CONTENT_TYPE => {
                duplicate(content_type.is_some())?;
                if value.tag != der::OID {
                    return Err(TimestampError::SignedAttributes(
                        "have a malformed content type",
                    ));
                }
                content_type = Some(value.value);
            }
            OID_ATTR_MESSAGE_DIGEST => {
                duplicate(message_digest.is_some())?;
                if value.tag != der::OCTET_STRING {
                    return Err(TimestampError::SignedAttributes(
                        "have a malformed message digest",
                    ));
                }
                message_digest = Some(value.value);
            }
            OID_ATTR_SIGNING_CERT | OID_ATTR_SIGNING_CERT_V2 => {
                duplicate(ess.is_some())?;
                ess = Some(ess_cert_id(value, oid == OID_ATTR_SIGNING_CERT_V2)?);
            }
            _ => {}
        }
    }
    if content_type != Some(OID_CT_TST_INFO) {
        return Err(TimestampError::SignedAttributes(
            "do not give the content type TSTInfo",
        ));
    }
    match message_digest {
        None => Err(TimestampError::SignedAttributes("have no message digest")),
        Some(d) if d != sd.signer.digest.digest(sd.content) => {
            Err(TimestampError::ContentDigestMismatch)
        }
        Some(_) => Ok(ess),
    }
}

/// The first ESSCertID(v2) of a SigningCertificate(V2) value.
fn ess_cert_id(value: Tlv<'_>, v2: bool) -> Result<EssCertId<'_>, TimestampError> {
    let what = "ESS signing certificate";
    let m = malformed(what);
    let mut outer = Der::new(value.raw);
    let mut sc = outer.enter(der::SEQUENCE).map_err(&m)?;
    let mut certs = sc.enter(der::SEQUENCE).map_err(&m)?;
    let mut first = certs.enter(der::SEQUENCE).map_err(&m)?;
    let hash = if v2 && first.peek_tag() == Some(der::SEQUENCE) {
        hash_of(&mut first, what)?
    } else if v2 {
        Hash::Sha256
    } else {
        Hash::Sha1
    };
    let cert_hash = first.value(der::OCTET_STRING).map_err(&m)?;
    let mut serial = None;
    if let Some(issuer_serial) = first.optional(der::SEQUENCE).map_err(&m)? {
        let mut is = Der::new(issuer_serial.value);
        is.expect(der::SEQUENCE).map_err(&m)?;
        serial = Some(is.integer().map_err(&m)?);
    }
    first.finish().map_err(&m)?;
    Ok(EssCertId {
        hash,
        cert_hash,
        serial,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attest::x509::*;

    #[test]
    fn request_is_der_with_the_imprint_and_nonce() {
        let req = TimestampRequest::with_nonce(b"sig", 0x8000_0000_0000_0001);
        let top = der::single(&req.der, der::SEQUENCE).unwrap();
        let mut d = Der::new(top.value);
        assert_eq!(d.small_uint().unwrap(), 1);
        let mut mi = d.enter(der::SEQUENCE).unwrap();
        assert_eq!(hash_of(&mut mi, "t").unwrap(), Hash::Sha256);
        assert_eq!(
            mi.value(der::OCTET_STRING).unwrap(),
            Hash::Sha256.digest(b"sig")
        );
        assert_eq!(d.small_uint().unwrap(), 0x8000_0000_0000_0001);
        assert!(d.boolean().unwrap());
        d.finish().unwrap();
        assert_ne!(
            TimestampRequest::new(b"sig").nonce,
            TimestampRequest::new(b"sig").nonce
        );
    }

    fn status_response(status: u64, text: Option<&str>, fail_bit: Option<usize>) -> Vec<u8> {
        let mut info = der::uint(status);
        if let Some(t) = text {
            info.extend(der::tlv(der::SEQUENCE, &der::tlv(0x0c, t.as_bytes())));
        }
        if let Some(bit) = fail_bit {
            let mut bytes = vec![0u8; bit / 8 + 1];
            bytes[bit / 8] = 0x80 >> (bit % 8);
            let unused = 7 - (bit % 8) as u8;
            bytes.insert(0, unused);
            info.extend(der::tlv(der::BIT_STRING, &bytes));
        }
        der::tlv(der::SEQUENCE, &der::tlv(der::SEQUENCE, &info))
    }

    #[test]
    fn a_rejection_names_its_status_and_failure() {
        let e =
            parse_response(&status_response(2, Some("bad \u{1b}[31m"), Some(0)), None).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("status 2 rejection"), "{text}");
        assert!(text.contains("badAlg"), "{text}");
        assert!(!text.contains('\u{1b}'), "{text}");
        let e = parse_response(&status_response(3, None, Some(25)), None).unwrap_err();
        assert!(
            e.to_string().contains("waiting, failure systemFailure"),
            "{e}"
        );
    }

    #[test]
    fn granted_without_a_token_is_an_error() {
        assert!(matches!(
            parse_response(&status_response(0, None, None), None),
            Err(TimestampError::NoToken)
        ));
    }

    #[test]
    fn hostile_answers_are_errors_not_panics() {
        let cases: Vec<Vec<u8>> = vec![
            vec![],
            vec![0x30],
            vec![0x30, 0x80, 0x00, 0x00],
            vec![0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
            vec![0x30, 0x03, 0x30, 0x01, 0x02],
            status_response(0, None, None)[..4].to_vec(),
        ];
        for c in &cases {
            assert!(parse_response(c, None).is_err(), "{c:02x?}");
            assert!(
                verify_signed_timestamp(c, b"x", &[], None).is_err(),
                "{c:02x?}"
            );
        }
        // A deeply nested token.
        let mut deep = der::tlv(der::NULL, &[]);
        for _ in 0..2000 {
            deep = der::tlv(der::SEQUENCE, &deep);
        }
        assert!(verify_signed_timestamp(&deep, b"x", &[], None).is_err());
        assert!(parse_response(&deep, None).is_err());
    }

    #[test]
    fn times_parse_strictly() {
        assert_eq!(
            rfc3339(generalized_time(b"20260102030405.25Z").unwrap()),
            "2026-01-02T03:04:05.25Z"
        );
        assert!(generalized_time(b"20260102030405.250Z").is_err());
        assert!(generalized_time(b"20261302030405Z").is_err());
        assert!(generalized_time(b"20260102030405").is_err());
        assert_eq!(
            rfc3339(utc_time(b"491231235959Z").unwrap()),
            "2049-12-31T23:59:59Z"
        );
        assert_eq!(
            rfc3339(utc_time(b"500101000000Z").unwrap()),
            "1950-01-01T00:00:00Z"
        );
    }

    #[test]
    fn oid_constants_are_the_named_arcs() {
        for (oid, dotted) in [
            (OID_SHA256, "2.16.840.1.101.3.4.2.1"),
            (OID_SIGNED_DATA, "1.2.840.113549.1.7.2"),
            (OID_CT_TST_INFO, "1.2.840.113549.1.9.16.1.4"),
            (OID_ATTR_SIGNING_CERT_V2, "1.2.840.113549.1.9.16.2.47"),
            (OID_ATTR_SIGNING_CERT, "1.2.840.113549.1.9.16.2.12"),
            (OID_P256, "1.2.840.10045.3.1.7"),
            (OID_P384, "1.3.132.0.34"),
            (OID_ECDSA_SHA384, "1.2.840.10045.4.3.3"),
            (OID_RSA_SHA256, "1.2.840.113549.1.1.11"),
            (OID_EXT_EXTENDED_KEY_USAGE, "2.5.29.37"),
            (OID_KP_TIME_STAMPING, "1.3.6.1.5.5.7.3.8"),
        ] {
            assert_eq!(der::oid_text(oid), dotted);
        }
    }
}
