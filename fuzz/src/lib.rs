//! Fuzz targets for every parser of tacos-sbom that sees outside bytes.
//! Each target is a bolero test: under `cargo test` it replays its
//! regression inputs (`fuzz/src/__fuzz__/<target>/crashes/`) and a local
//! corpus if there is one, then runs random inputs; under `cargo bolero
//! test` (`.ci/fuzz`) the same target is fuzzed, coverage-guided, with
//! libFuzzer.
//!
//! A target fails on a panic. Some also check a property the rest of the
//! tool relies on (a canonical PURL parses back to itself; what the SBOM
//! writer writes, the reader reads). A single allocation larger than
//! `MAX_ALLOCATION` aborts, so unbounded allocation is found too.
#![cfg(test)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::LazyLock;

use bolero::check;
use tacos_sbom::assess::fields::provenance;
use tacos_sbom::attest::{self, Envelope, KeyAlgorithm, PublicKey, SigningKey};
use tacos_sbom::attest::{rfc3161, trust_root};
use tacos_sbom::config::Config;
use tacos_sbom::published::parse_report;
use tacos_sbom::purl::Ecosystem;
use tacos_sbom::purl::Purl;
use tacos_sbom::sbom::{Changes, Reference, Sbom, Tool};
use tacos_sbom::sources::adapter::Question;
use tacos_sbom::sources::osv_record::OsvRecord;
use tacos_sbom::sources::{insights, oci};

/// No input of a few kilobytes should make any parser ask for this much at once.
const MAX_ALLOCATION: usize = 256 << 20;

struct Bounded;

// SAFETY: every call is forwarded to the system allocator unchanged.
unsafe impl GlobalAlloc for Bounded {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        check_size(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        check_size(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        check_size(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

fn check_size(size: usize) {
    if size > MAX_ALLOCATION {
        // Not a panic: unwinding would allocate. Abort, which both the test
        // harness and libFuzzer report as a crash. Writing a plain string to
        // the unbuffered stderr does not allocate.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"fuzz: a single allocation over 256 MiB (unbounded allocation)\n",
        );
        std::process::abort();
    }
}

#[global_allocator]
static ALLOCATOR: Bounded = Bounded;

fn text(input: &[u8]) -> String {
    String::from_utf8_lossy(input).into_owned()
}

/// The SBOM reader for every format it knows, and the writer on what it read:
/// list components and references, splice references in, and read the
/// result again.
#[test]
fn sbom_reader() {
    check!().for_each(|input: &[u8]| {
        let Ok(sbom) = Sbom::from_bytes(Path::new("fuzz.json"), input.to_vec()) else {
            return;
        };
        let components = sbom.components();
        let _ = sbom.subject_name();
        let _ = sbom.subject_purl();
        let _ = sbom.can_hold_document_reference();
        let _ = sbom.found_references("TACOS attestation", "tacos-attestation");
        let _ = sbom.found_document_references("TACOS report", "tacos-report");
        let digest = "0".repeat(64);
        let reference = |what: &str| Reference {
            url: format!("tacos-attestations/{what}.json"),
            sha256: digest.clone(),
            comment: format!("TACOS attestation for {what}; sha256:{digest}"),
        };
        let tool = Tool {
            vendor: "tacos-sbom".into(),
            name: "tacos-sbom".into(),
            version: "0.0.0".into(),
        };
        let changes = Changes {
            vulnerabilities: Vec::new(),
            component_refs: components
                .iter()
                .map(|c| (c.id, reference(&c.label)))
                .collect(),
            document_refs: vec![reference("report")],
            document_marker: "TACOS report",
            spdx_document_reference_type: "tacos-report",
            tool: &tool,
            root_members: Vec::new(),
            marker: "TACOS attestation",
            spdx_reference_type: "tacos-attestation",
            cdx_reference_type: "attestation",
            now: time::OffsetDateTime::UNIX_EPOCH,
        };
        let mut out = Vec::new();
        sbom.enrich(&changes)
            .write_to(&mut out)
            .expect("writing to memory cannot fail");
        let again = Sbom::from_bytes(Path::new("fuzz.out.json"), out)
            .expect("the writer's output must read back");
        assert_eq!(again.format(), sbom.format());
        assert_eq!(again.components().len(), components.len());
    });
}

/// Package URLs: whatever parses has a canonical form that parses back to it.
#[test]
fn purl() {
    check!().for_each(|input: &[u8]| {
        let s = text(input);
        let Ok(p) = Purl::parse(&s) else {
            return;
        };
        let canonical = p.to_string();
        let again = Purl::parse(&canonical)
            .unwrap_or_else(|e| panic!("{canonical:?} (from {s:?}) does not parse: {e}"));
        assert_eq!(again, p, "{s:?} -> {canonical:?}");
        let _ = p.package_id();
        let _ = p.registry_name();
        let _ = p.has_path_traversal();
        let _ = p.with_version("1.0.0");
    });
}

const ECOSYSTEMS: [Ecosystem; 9] = [
    Ecosystem::Npm,
    Ecosystem::PyPi,
    Ecosystem::Cargo,
    Ecosystem::Maven,
    Ecosystem::Go,
    Ecosystem::RubyGems,
    Ecosystem::NuGet,
    Ecosystem::Packagist,
    Ecosystem::Other,
];

/// OSV records and their range evaluation: the record is the input up to
/// the first NUL byte; versions to evaluate are the lines after it, and
/// every version the record itself names.
#[test]
fn osv_record() {
    check!().for_each(|input: &[u8]| {
        let (json, rest) = match input.iter().position(|b| *b == 0) {
            Some(i) => (&input[..i], &input[i + 1..]),
            None => (input, &[][..]),
        };
        let Ok(record) = serde_json::from_slice::<OsvRecord>(json) else {
            return;
        };
        let mut versions: Vec<String> = text(rest).lines().map(str::to_string).collect();
        for a in &record.affected {
            versions.extend(a.versions.iter().cloned());
            for r in &a.ranges {
                for e in &r.events {
                    for v in [&e.introduced, &e.fixed, &e.last_affected, &e.limit]
                        .into_iter()
                        .flatten()
                    {
                        versions.push(v.clone());
                    }
                }
            }
        }
        versions.truncate(64);
        let names: Vec<String> = record
            .affected
            .iter()
            .filter_map(|a| a.package.as_ref().map(|p| p.name.clone()))
            .take(8)
            .collect();
        let _ = record.is_withdrawn();
        for eco in ECOSYSTEMS {
            for name in &names {
                for v in &versions {
                    let _ = record.affects(eco, name, v);
                }
            }
        }
    });
}

/// Published TACOS reports, read leniently.
#[test]
fn tacos_report() {
    check!().for_each(|input: &[u8]| {
        let _ = parse_report(&text(input), "fuzz.json");
    });
}

/// The configuration file.
#[test]
fn config_file() {
    check!().for_each(|input: &[u8]| {
        let _ = Config::parse(&text(input), Path::new("tacos-sbom.toml"));
    });
}

/// Private keys (PKCS#8, SEC1, cosign-encrypted) and public keys: whatever
/// reads signs, and its signature verifies.
#[test]
fn key_pem() {
    check!().for_each(|input: &[u8]| {
        let s = text(input);
        if let Ok(key) = SigningKey::from_pem(&s, Some(b"tacos-test-password")) {
            let sig = key.sign_bytes(b"m");
            key.public().verify(b"m", &sig).expect("own signature");
            let again = SigningKey::from_pem(&key.to_pkcs8_pem(), None).expect("own PEM");
            assert_eq!(again.public_key(), key.public_key());
        }
        if let Ok(public) = PublicKey::from_pem(&s) {
            let again = PublicKey::from_pem(&public.to_spki_pem()).expect("own PEM");
            assert_eq!(again, public);
        }
    });
}

/// The key the DSSE seeds were signed with (`fuzz/seeds/dsse_envelope/`), so
/// mutations of real artifacts reach the checks after the signature's.
static DSSE_KEY: LazyLock<PublicKey> = LazyLock::new(|| {
    PublicKey::from_pem(include_str!("../seeds/dsse-signer.pub.pem")).expect("seed key")
});
static OTHER_KEY: LazyLock<PublicKey> =
    LazyLock::new(|| SigningKey::generate(KeyAlgorithm::Ed25519).public_key());

/// DSSE envelopes and the in-toto statements in them, as `verify` reads them.
#[test]
fn dsse_envelope() {
    check!().for_each(|input: &[u8]| {
        for key in [&*DSSE_KEY, &*OTHER_KEY] {
            let _ = attest::verify_artifact(input, key);
            let _ = attest::verify_report_artifact(input.to_vec(), key);
        }
        if let Ok(envelope) = Envelope::from_json(&text(input)) {
            let _ = envelope.verify(&DSSE_KEY);
            if let Ok(payload) = envelope.payload_bytes() {
                let _ = serde_json::from_slice::<attest::Statement<serde_json::Value>>(&payload);
            }
        }
    });
}

/// The authority the timestamp seed (`fuzz/seeds/timestamp_der/`) was made
/// by (`openssl ts -reply` behind tests/support/tsa.rs), so mutations of
/// a real answer reach the checks after the parse.
static TSA_ROOT: LazyLock<Vec<rfc3161::TimestampAuthority>> = LazyLock::new(|| {
    trust_root::timestamp_authorities(include_str!("../seeds/tsa-trusted-root.json"))
        .expect("seed root")
});

/// What the seed's request stamped.
const STAMPED: &[u8] = b"fuzz seed signature";

/// RFC 3161 answers and tokens (from a timestamp authority, or in a bundle
/// from anyone), X.509 certificates, and trusted roots: the strict DER
/// reader and what is built on it.
#[test]
fn timestamp_der() {
    check!().for_each(|input: &[u8]| {
        let _ = rfc3161::parse_response(input, None);
        let request = rfc3161::TimestampRequest::with_nonce(STAMPED, 7);
        let _ = rfc3161::parse_response(input, Some(&request));
        let _ = rfc3161::check_certificate(input);
        let _ = rfc3161::verify_signed_timestamp(input, STAMPED, &TSA_ROOT, None);
        let _ = trust_root::timestamp_authorities(&text(input));
    });
}

/// What a container registry answers (manifests, indexes, authentication
/// challenges) and the image references users and SBOMs give.
#[test]
fn registry_answers() {
    check!().for_each(|input: &[u8]| {
        let s = text(input);
        if let Ok(image) = oci::ImageRef::parse(&s) {
            let again = oci::ImageRef::parse(&image.to_string()).expect("own form parses");
            assert_eq!(again, image);
            let _ = image.is_loopback();
        }
        let _ = oci::parse_challenge(&s);
        if let Ok(m) = serde_json::from_slice::<oci::Manifest>(input) {
            let _ = m.layers.iter().map(oci::Descriptor::sha256).count();
        }
        if let Ok(i) = serde_json::from_slice::<oci::Index>(input) {
            let _ = i.manifests.iter().map(oci::Descriptor::sha256).count();
        }
        // A registry's attestations of a release (npm's answer, PyPI's PEP
        // 740 provenance object; seeded with real ones), each checked as
        // the attestation of the release it names.
        let npm = tacos_sbom::sources::npm::read_attestations(input).ok();
        let pypi = tacos_sbom::sources::pypi::read_provenance(input).ok();
        for (kept, subject) in [(npm, &*NPM_SUBJECT), (pypi, &*PYPI_SUBJECT)] {
            for b in kept.iter().flat_map(|k| &k.bundles) {
                let at = time::macros::datetime!(2026-12-01 00:00 UTC);
                let _ = provenance::check(subject, b, &PUBLIC_GOOD_ROOT, at);
            }
        }
    });
}

/// The public-good trusted root recorded in tests/fixtures/sigstore (its
/// MANIFEST names the origin), against which the real bundle seeded in
/// `fuzz/seeds/keyless_bundle/` verifies, so mutations of it reach the
/// checks after the parse.
static PUBLIC_GOOD_ROOT: LazyLock<trust_root::TrustedRoot> = LazyLock::new(|| {
    trust_root::trusted_root(include_str!(
        "../../tests/fixtures/sigstore/public-good-trusted-root.json"
    ))
    .expect("the recorded root reads")
});

/// The staging trusted root recorded beside it, against which the seeded
/// Rekor v2 bundle verifies.
static STAGING_ROOT: LazyLock<trust_root::TrustedRoot> = LazyLock::new(|| {
    trust_root::trusted_root(include_str!(
        "../../tests/fixtures/sigstore/staging-trusted-root.json"
    ))
    .expect("the recorded root reads")
});

/// The releases the seeded attestations are about (their registry digests).
static NPM_SUBJECT: LazyLock<provenance::Subject> = LazyLock::new(|| {
    let release = tacos_sbom::sources::model::Release {
        version: "0.4.0".into(),
        sha512: tacos_sbom::sources::npm::sha512_of_integrity(
            "sha512-KCwMX6k20mQyFkNYG2XT3lwK9u1P36wS9YURFd85zCXPrwrSLZCEh7/vMBFNYcJXRiBtGDS+T4/RZZF493zABA==",
        ),
        ..Default::default()
    };
    provenance::subject(Ecosystem::Npm, "sigstore", "0.4.0", Some(&release)).expect("a subject")
});
static PYPI_SUBJECT: LazyLock<provenance::Subject> = LazyLock::new(|| {
    let release = tacos_sbom::sources::model::Release {
        version: "0.0.19".into(),
        file: Some(tacos_sbom::sources::model::ReleaseFile {
            filename: "pypi_attestations-0.0.19.tar.gz".into(),
            sha256: hex_bytes("9bb1add04b1b4e182be6b0b80931593f7a291eb49d69b4fd728a5d4cbcdc4bd3"),
        }),
        ..Default::default()
    };
    provenance::subject(
        Ecosystem::PyPi,
        "pypi-attestations",
        "0.0.19",
        Some(&release),
    )
    .expect("a subject")
});

fn hex_bytes(h: &str) -> Vec<u8> {
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Keyless Sigstore bundles (from anyone, with an SBOM) checked against a
/// trusted root, and trusted roots themselves: every identity matches, so
/// an input is refused only by what it is. The time is fixed: a run is
/// the same on every day.
#[test]
fn keyless_bundle() {
    use tacos_sbom::attest::keyless::{self, Identity, Matcher};
    static ANYONE: LazyLock<Identity> = LazyLock::new(|| Identity {
        subject: Matcher::pattern(".*").expect("a pattern"),
        issuer: Matcher::pattern(".*").expect("a pattern"),
    });
    let at = time::macros::datetime!(2026-12-01 00:00 UTC);
    check!().for_each(|input: &[u8]| {
        let _ = keyless::verify_at(input, &PUBLIC_GOOD_ROOT, &ANYONE, at);
        let _ = keyless::verify_at(input, &STAGING_ROOT, &ANYONE, at);
        let _ = tacos_sbom::attest::sigstore::keyless_contents(input);
        let _ = trust_root::trusted_root(&text(input));
    });
}

/// A repository's Security Insights file (YAML from whoever controls the
/// repository), alone and inside GitHub's contents answer: bounded however
/// the aliases, anchors and nesting are arranged.
#[test]
fn security_insights() {
    check!().for_each(|input: &[u8]| {
        if let Ok(si) = insights::parse_yaml(input) {
            assert!(si.last_reviewed.year() >= -9999);
        }
        let key = (
            "github.com/ossf/scorecard".to_string(),
            "security-insights.yml".to_string(),
        );
        let _ = <insights::File as Question>::parse(input, &key);
    });
}

/// VEX documents (`--vex`, and an SBOM's own analyses): OpenVEX and
/// CycloneDX read strictly, and the decision for any component and id
/// over whatever was read, never panicking.
#[test]
fn vex_document() {
    use tacos_sbom::vex::{self, Vex};
    static COMPONENT: LazyLock<Purl> =
        LazyLock::new(|| Purl::parse("pkg:npm/lodash@4.17.15").expect("a PURL"));
    check!().for_each(|input: &[u8]| {
        let text = text(input);
        let Ok(doc) = serde_json::from_str::<serde_json::Value>(&text) else {
            return;
        };
        let refs = vex::bom_refs(&doc);
        let mut all = Vex::default();
        if let Ok(s) = vex::openvex("f", &doc) {
            all.add(s, Vec::new());
        }
        if let Ok((s, _)) = vex::cyclonedx("f", &doc, &|r| refs.get(r).cloned()) {
            all.add(s, Vec::new());
        }
        let ids: Vec<String> = all
            .statements()
            .iter()
            .flat_map(|s| s.ids.clone())
            .collect();
        let _ = all.decide(&COMPONENT, &ids);
        for s in all.statements() {
            for c in &s.components {
                let _ = all.decide(c, &s.ids);
            }
        }
        let _ = tacos_sbom::report::vulns::read_vex("f", Some(&text), &[]);
    });
}
