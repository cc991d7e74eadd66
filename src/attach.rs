//! Attestations as OCI referrers of the image they describe: `attach`
//! pushes an enriched SBOM's Sigstore bundles (and the SBOM) to the image's
//! registry in the shape cosign v3 writes; `verify --image` lists what the
//! registry holds for an image and proves it.
//!
//! Each bundle is one referrer manifest: artifact type and single layer
//! `application/vnd.dev.sigstore.bundle.v0.3+json`, the empty config, the
//! image as `subject`, and the `dev.sigstore.bundle.*` annotations. The
//! layer is the artifact's exact bytes, so its digest is the one the SBOM
//! records: the SBOM, attached beside them, says which component each is.
//! Manifests carry no time, so attaching again writes the same manifests
//! and uploads nothing twice.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use thiserror::Error;

use crate::attest::reference::{
    REFERENCE_MARKER, REPORT_MARKER, SPDX_REFERENCE_TYPE, SPDX_REPORT_REFERENCE_TYPE,
};
use crate::attest::rfc3161::TimestampAuthority;
use crate::attest::{self, PublicKey, Sha256Hex, StampError, sigstore};
use crate::config::Network;
use crate::sbom::{Format, Sbom};
use crate::sources::oci::{
    Credentials, Descriptor, EMPTY_BLOB, EMPTY_MEDIA_TYPE, ImageRef, Index, Listing, Manifest,
    OCI_INDEX, OCI_MANIFEST, OciError, Registry,
};
use crate::verify::Enriched;

/// Annotations of a referrer manifest, as cosign v3 writes them.
pub const CONTENT_ANNOTATION: &str = "dev.sigstore.bundle.content";
pub const PREDICATE_TYPE_ANNOTATION: &str = "dev.sigstore.bundle.predicateType";
/// Which component a referrer is for, as `attach` wrote it: shown when a
/// referrer fails and the SBOM cannot say, marked as the manifest's word.
pub const SUBJECT_ANNOTATION: &str = "dev.tacos-sbom.subject";

/// Requests in flight at once to the registry, by default.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// Referrers read for one image at most: a listing longer than this is a
/// registry (or someone with push rights) trying to keep verify busy, and
/// fails whole (none checked).
pub const MAX_REFERRERS: usize = 100_000;

/// The media type an SBOM is attached under.
pub fn sbom_media_type(format: Format) -> &'static str {
    match format {
        Format::CycloneDxJson(_) => "application/vnd.cyclonedx+json",
        Format::CycloneDxXml(_) => "application/vnd.cyclonedx+xml",
        Format::SpdxJson(_) | Format::Spdx3Json(_) => "application/spdx+json",
        Format::SpdxTagValue(_) => "text/spdx",
    }
}

const SBOM_MEDIA_TYPES: [&str; 4] = [
    "application/vnd.cyclonedx+json",
    "application/vnd.cyclonedx+xml",
    "application/spdx+json",
    "text/spdx",
];

/// How to reach the registry, for `attach` and `verify --image` alike.
#[derive(Debug, Clone)]
pub struct Options {
    pub network: Network,
    /// Speak plain HTTP to a registry that is not on a loopback address.
    pub plain_http: bool,
    pub credentials: Option<Credentials>,
    /// Requests in flight at once.
    pub concurrency: usize,
}

impl Options {
    /// A runtime and a client for `image`'s repository (`push`: asking
    /// the token service for push as well as pull).
    fn open(
        &self,
        image: &ImageRef,
        push: bool,
    ) -> Result<(tokio::runtime::Runtime, Arc<Registry>), AttachError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| AttachError::Runtime(e.to_string()))?;
        let registry = Registry::new(
            image,
            &self.network,
            self.plain_http,
            self.credentials.clone(),
            push,
        )?;
        Ok((runtime, Arc::new(registry)))
    }
}

/// What `attach` did.
#[derive(Debug, Default)]
pub struct Attached {
    /// Referrer manifests written (bundles, and the SBOM).
    pub manifests: usize,
    pub bundles: usize,
    /// Blobs uploaded, and blobs the registry already had.
    pub uploaded: usize,
    pub reused: usize,
    /// How the registry lists referrers: by its API, or by the tag-schema
    /// index this run wrote.
    pub listing: Option<Listing>,
}

#[derive(Debug, Error)]
pub enum AttachError {
    #[error("{sbom}: {count} referenced artifacts cannot be attached; the first: {first}")]
    Unreadable {
        sbom: String,
        count: usize,
        first: String,
    },
    #[error(
        "{sbom}: {count} of its artifacts are bare DSSE envelopes (the first: {first}); registries' verifiers read Sigstore bundles: enrich again with --envelope bundle"
    )]
    NotBundles {
        sbom: String,
        count: usize,
        first: String,
    },
    #[error("{sbom}: no attestation to attach (the SBOM references none)")]
    Nothing { sbom: String },
    #[error("the image {image} is not in its registry (or not visible with these credentials)")]
    NoImage { image: String },
    #[error(transparent)]
    Registry(#[from] OciError),
    #[error("cannot start the registry client: {0}")]
    Runtime(String),
}

/// What `attach` reports while it works (the words are the CLI's).
pub trait Progress: Sync {
    fn pushing(&self, total: usize);
    fn pushed(&self, done: usize, total: usize);
}

/// Nothing shown.
pub struct Quiet;
impl Progress for Quiet {
    fn pushing(&self, _: usize) {}
    fn pushed(&self, _: usize, _: usize) {}
}

/// One referrer to write: its layer's bytes and media type, and annotations.
struct Item {
    media_type: &'static str,
    bytes: Vec<u8>,
    annotations: BTreeMap<String, String>,
}

/// Push the enriched SBOM's attestations (every one a Sigstore bundle, each
/// held to the SBOM's digest first) and the SBOM itself to the registry of
/// `image`, as referrers of it.
pub fn attach(
    enriched: &Enriched,
    image: &ImageRef,
    opts: &Options,
    progress: &dyn Progress,
) -> Result<Attached, AttachError> {
    let sbom_name = enriched.path().display().to_string();
    let mut unreadable = Vec::new();
    let mut dsse = Vec::new();
    let mut items = Vec::new();
    for a in enriched.artifacts() {
        let name = match &a.purl {
            Some(p) => format!("{} ({p})", a.component),
            None => a.component.clone(),
        };
        let bytes = match a.bytes {
            Ok(b) => b,
            Err(e) => {
                unreadable.push(format!("{name}: {e}"));
                continue;
            }
        };
        if sigstore::shape(&bytes) != sigstore::Shape::Bundle {
            dsse.push(name);
            continue;
        }
        let predicate_type = predicate_type(&bytes).unwrap_or_default();
        let mut annotations = BTreeMap::new();
        annotations.insert(CONTENT_ANNOTATION.to_string(), "dsse-envelope".to_string());
        if !predicate_type.is_empty() {
            annotations.insert(PREDICATE_TYPE_ANNOTATION.to_string(), predicate_type);
        }
        annotations.insert(
            SUBJECT_ANNOTATION.to_string(),
            a.purl.clone().unwrap_or_else(|| a.component.clone()),
        );
        items.push(Item {
            media_type: sigstore::MEDIA_TYPE,
            bytes,
            annotations,
        });
    }
    if let Some(first) = unreadable.first() {
        return Err(AttachError::Unreadable {
            sbom: sbom_name,
            count: unreadable.len(),
            first: first.clone(),
        });
    }
    if let Some(first) = dsse.first() {
        return Err(AttachError::NotBundles {
            sbom: sbom_name,
            count: dsse.len(),
            first: first.clone(),
        });
    }
    if items.is_empty() {
        return Err(AttachError::Nothing { sbom: sbom_name });
    }
    let bundles = items.len();
    items.push(Item {
        media_type: sbom_media_type(enriched.sbom().format()),
        bytes: enriched.bytes(),
        annotations: BTreeMap::new(),
    });
    let (runtime, registry) = opts.open(image, true)?;
    let mut attached = runtime.block_on(push_all(registry, image, items, opts, progress))?;
    attached.bundles = bundles;
    Ok(attached)
}

/// The predicate type the bundle's statement names (unsigned: only an
/// annotation for others' tools, and a choice of checks for ours).
fn predicate_type(bundle: &[u8]) -> Option<String> {
    // Key-signed or keyless: only the envelope is read here.
    let envelope = sigstore::envelope(bundle)
        .or_else(|_| sigstore::keyless_contents(bundle).map(|c| c.envelope))
        .ok()?;
    let payload = envelope.payload_bytes().ok()?;
    #[derive(serde::Deserialize)]
    struct Peek {
        #[serde(rename = "predicateType")]
        predicate_type: String,
    }
    serde_json::from_slice::<Peek>(&payload)
        .ok()
        .map(|p| p.predicate_type)
}

async fn push_all(
    registry: Arc<Registry>,
    image: &ImageRef,
    items: Vec<Item>,
    opts: &Options,
    progress: &dyn Progress,
) -> Result<Attached, AttachError> {
    let digest = image.digest_str();
    let subject = match registry.manifest(&digest).await {
        Ok((bytes, media_type)) => Descriptor {
            media_type: if media_type.is_empty() {
                OCI_MANIFEST.to_string()
            } else {
                media_type
            },
            ..Descriptor::of("", &bytes)
        },
        Err(e) if e.is_not_found() => {
            return Err(AttachError::NoImage {
                image: image.to_string(),
            });
        }
        Err(e) => return Err(e.into()),
    };
    let mut attached = Attached::default();
    if registry.push_blob(EMPTY_BLOB).await? {
        attached.uploaded += 1;
    } else {
        attached.reused += 1;
    }
    let total = items.len();
    progress.pushing(total);
    let limit = Arc::new(tokio::sync::Semaphore::new(opts.concurrency.max(1)));
    let subject = Arc::new(subject);
    let mut pushes = tokio::task::JoinSet::new();
    for item in items {
        let (limit, subject, registry) = (limit.clone(), subject.clone(), registry.clone());
        pushes.spawn(async move {
            let _permit = limit.acquire_owned().await.expect("semaphore open");
            push_one(&registry, &subject, item).await
        });
    }
    let mut done = 0;
    let mut descriptors = Vec::with_capacity(total);
    let mut registry_indexes = false;
    while let Some(joined) = pushes.join_next().await {
        let result = joined.map_err(|e| AttachError::Runtime(e.to_string()))?;
        let (descriptor, uploaded, indexes) = result?;
        if uploaded {
            attached.uploaded += 1;
        } else {
            attached.reused += 1;
        }
        registry_indexes |= indexes;
        descriptors.push(descriptor);
        done += 1;
        progress.pushed(done, total);
    }
    attached.manifests = descriptors.len();
    if registry_indexes {
        attached.listing = Some(Listing::Api);
    } else {
        update_tag_index(&registry, image, descriptors).await?;
        attached.listing = Some(Listing::TagIndex);
    }
    Ok(attached)
}

/// Upload one item's layer (unless the registry has it) and write its
/// referrer manifest: its descriptor as a listing shows it, whether the
/// layer was uploaded, and whether the registry indexes referrers itself.
async fn push_one(
    registry: &Registry,
    subject: &Descriptor,
    item: Item,
) -> Result<(Descriptor, bool, bool), OciError> {
    let uploaded = registry.push_blob(&item.bytes).await?;
    let manifest = Manifest {
        schema_version: 2,
        media_type: Some(OCI_MANIFEST.to_string()),
        artifact_type: Some(item.media_type.to_string()),
        config: Descriptor::of(EMPTY_MEDIA_TYPE, EMPTY_BLOB),
        layers: vec![Descriptor::of(item.media_type, &item.bytes)],
        subject: Some(subject.clone()),
        annotations: item.annotations.clone(),
    };
    let bytes = serde_json::to_vec(&manifest).expect("a manifest serializes");
    let digest = format!("sha256:{}", Sha256Hex::of(&bytes).as_str());
    let pushed = registry
        .push_manifest(&digest, OCI_MANIFEST, &bytes)
        .await?;
    let descriptor = Descriptor {
        artifact_type: Some(item.media_type.to_string()),
        annotations: item.annotations,
        ..pushed.descriptor
    };
    Ok((descriptor, uploaded, pushed.registry_indexes))
}

/// Add `descriptors` to the image's tag-schema index (read, merged by
/// digest, written back). Two runs attaching at the same moment can lose
/// one's additions: the registry offers no conditional write here.
async fn update_tag_index(
    registry: &Registry,
    image: &ImageRef,
    descriptors: Vec<Descriptor>,
) -> Result<(), OciError> {
    let digest = image.digest_str();
    let mut index = registry.tag_index(&digest).await?;
    let ours: HashSet<String> = descriptors.iter().map(|d| d.digest.clone()).collect();
    index.manifests.retain(|d| !ours.contains(&d.digest));
    index.manifests.extend(descriptors);
    let index = Index::new(index.manifests);
    let bytes = serde_json::to_vec(&index).expect("an index serializes");
    registry
        .push_manifest(&image.fallback_tag(), OCI_INDEX, &bytes)
        .await?;
    Ok(())
}

/// How `verify --image` checks what it finds.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub registry: Options,
    pub signer: Signer,
}

/// Who must have signed every TACOS bundle.
#[derive(Debug, Clone)]
pub enum Signer {
    /// This key; with a trusted root's timestamp authorities, every bundle
    /// must also carry a timestamp that verifies against them.
    Key {
        key: Box<PublicKey>,
        timestamp_authorities: Option<Vec<TimestampAuthority>>,
    },
    /// Keyless: a certificate from the root's CAs for this identity, its
    /// log entries and times proven against the same root.
    Keyless {
        root: std::sync::Arc<crate::attest::trust_root::TrustedRoot>,
        identity: std::sync::Arc<crate::attest::keyless::Identity>,
    },
}

/// What one referrer turned out to be.
#[derive(Debug)]
pub enum Found {
    /// A TACOS statement about `purl`, signed by the key.
    Statement { purl: String },
    /// The application report, signed by the key.
    Report,
    /// An SBOM (its references say which bundle is which component).
    Sbom { media_type: String },
    /// Another kind of referrer, left alone (another tool's signature or
    /// attestation).
    Other { artifact_type: String },
}

/// A referrer that did not check out.
#[derive(Debug)]
pub struct ImageFailure {
    /// What it is for: the component (by the attached SBOM), else the
    /// manifest's own word for it, else the referrer's digest.
    pub component: String,
    pub what: ImageProblem,
}

#[derive(Debug, Error)]
pub enum ImageProblem {
    #[error(transparent)]
    Registry(#[from] OciError),
    #[error("referrer {digest}: not an image manifest: {why}")]
    NotAManifest { digest: String, why: String },
    #[error("referrer {digest}: its subject is {subject}, not this image")]
    AnotherImage { digest: String, subject: String },
    #[error("referrer {digest}: {layers} layers; a Sigstore bundle referrer has one")]
    Layers { digest: String, layers: usize },
    #[error("bundle {digest}: {source}")]
    Signature {
        digest: String,
        #[source]
        source: attest::VerifyError,
    },
    #[error(
        "bundle {digest}: the statement's subject is {subjects:?} but its predicate names {purl}"
    )]
    Subject {
        digest: String,
        subjects: Vec<String>,
        purl: String,
    },
    #[error("bundle {digest}: {source}")]
    Timestamp {
        digest: String,
        #[source]
        source: StampError,
    },
    #[error("referrer {digest}: {source}")]
    Keyless {
        digest: String,
        #[source]
        source: Box<crate::attest::keyless::KeylessError>,
    },
    #[error(
        "its attestation ({digest}, referenced by the attached SBOM) is not among the image's verified referrers"
    )]
    NotAttached { digest: String },
    #[error("{listed} referrers listed, more than the {max} read for one image: none checked")]
    TooMany { listed: usize, max: usize },
    #[error(
        "not read: the image's referrers hold more than {max} bytes in all (a registry listing without end?)"
    )]
    Budget { max: u64 },
    #[error("the attached SBOM ({digest}) does not read: {why}")]
    Sbom { digest: String, why: String },
}

#[derive(Debug, Default)]
pub struct ImageOutcome {
    pub listing: Option<Listing>,
    pub referrers: usize,
    pub found: Vec<Found>,
    pub failures: Vec<ImageFailure>,
}

impl ImageOutcome {
    pub fn statements(&self) -> usize {
        self.found
            .iter()
            .filter(|f| matches!(f, Found::Statement { .. }))
            .count()
    }

    pub fn reports(&self) -> usize {
        self.found
            .iter()
            .filter(|f| matches!(f, Found::Report))
            .count()
    }

    pub fn sboms(&self) -> usize {
        self.found
            .iter()
            .filter(|f| matches!(f, Found::Sbom { .. }))
            .count()
    }

    pub fn others(&self) -> usize {
        self.found
            .iter()
            .filter(|f| matches!(f, Found::Other { .. }))
            .count()
    }

    /// Every referrer checked out and at least one TACOS attestation was
    /// found.
    pub fn passed(&self) -> bool {
        self.failures.is_empty() && self.statements() + self.reports() > 0
    }
}

/// List the referrers of `image` (the API, else the tag-schema index),
/// fetch each manifest and decide from it — never from the listing, whose
/// fallback form others write without artifact types — what it is; verify
/// every TACOS bundle with the key, and hold them to any attached SBOM.
pub fn verify_image(image: &ImageRef, opts: &CheckOptions) -> Result<ImageOutcome, AttachError> {
    let (runtime, registry) = opts.registry.open(image, false)?;
    runtime.block_on(check_all(registry, image, opts))
}

/// What is read from a registry for one image at most, over all its
/// referrers: a listing (or someone with push rights) cannot make verify
/// download without end.
pub const MAX_TOTAL_BYTES: u64 = 4 << 30;

/// One referrer, fetched and checked against its descriptor and the image.
struct Fetched {
    digest: String,
    /// Its layer's digest, when it has one.
    layer_digest: Option<String>,
    /// The manifest's own word for what it is for (unsigned).
    said_subject: Option<String>,
    kind: Kind,
}

enum Kind {
    /// Not ours: left alone.
    Other(String),
    /// An SBOM's bytes (read once all referrers are in).
    Sbom(String, Vec<u8>),
    /// A bundle, already checked (its bytes dropped).
    Bundle(Result<Found, ImageProblem>),
}

/// Fetch one referrer's manifest and (for bundles and SBOMs) its layer,
/// within what is left of `budget`; a bundle is checked here, so that only
/// its outcome is kept.
async fn fetch_referrer(
    registry: &Registry,
    image: &ImageRef,
    descriptor: &Descriptor,
    opts: &CheckOptions,
    budget: &std::sync::atomic::AtomicU64,
) -> Result<Fetched, ImageProblem> {
    let digest = descriptor.digest.clone();
    if descriptor.sha256().is_none() {
        return Err(ImageProblem::NotAManifest {
            digest,
            why: "its digest is not sha256:<64 hex>".into(),
        });
    }
    let (bytes, _) = registry.manifest(&digest).await?;
    let manifest: Manifest =
        serde_json::from_slice(&bytes).map_err(|e| ImageProblem::NotAManifest {
            digest: digest.clone(),
            why: e.to_string(),
        })?;
    if manifest.schema_version != 2
        || manifest
            .media_type
            .as_deref()
            .is_some_and(|m| m != OCI_MANIFEST)
    {
        return Err(ImageProblem::NotAManifest {
            digest,
            why: "not an OCI image manifest".into(),
        });
    }
    match &manifest.subject {
        Some(s) if s.digest == image.digest_str() => {}
        other => {
            return Err(ImageProblem::AnotherImage {
                digest,
                subject: other
                    .as_ref()
                    .map_or_else(|| "absent".to_string(), |s| s.digest.clone()),
            });
        }
    }
    let kind = manifest
        .artifact_type
        .clone()
        .or_else(|| manifest.layers.first().map(|l| l.media_type.clone()))
        .unwrap_or_default();
    let mut fetched = Fetched {
        digest: digest.clone(),
        layer_digest: manifest.layers.first().map(|l| l.digest.clone()),
        said_subject: manifest.annotations.get(SUBJECT_ANNOTATION).cloned(),
        kind: Kind::Other(
            manifest
                .artifact_type
                .clone()
                .unwrap_or_else(|| manifest.config.media_type.clone()),
        ),
    };
    let is_bundle = kind == sigstore::MEDIA_TYPE;
    if !is_bundle && !SBOM_MEDIA_TYPES.contains(&kind.as_str()) {
        return Ok(fetched);
    }
    let [layer] = manifest.layers.as_slice() else {
        return Err(ImageProblem::Layers {
            digest,
            layers: manifest.layers.len(),
        });
    };
    let spent = budget.fetch_add(layer.size, std::sync::atomic::Ordering::Relaxed);
    if spent.saturating_add(layer.size) > MAX_TOTAL_BYTES {
        fetched.kind = Kind::Bundle(Err(ImageProblem::Budget {
            max: MAX_TOTAL_BYTES,
        }));
        return Ok(fetched);
    }
    let bytes = registry
        .blob(layer, crate::sbom::MAX_INPUT_BYTES)
        .await
        .map_err(ImageProblem::from);
    fetched.kind = match (is_bundle, bytes) {
        (true, bytes) => Kind::Bundle(bytes.and_then(|b| check_bundle(&digest, &b, opts))),
        (false, Ok(b)) => Kind::Sbom(layer.media_type.clone(), b),
        (false, Err(e)) => Kind::Bundle(Err(e)),
    };
    Ok(fetched)
}

async fn check_all(
    registry: Arc<Registry>,
    image: &ImageRef,
    opts: &CheckOptions,
) -> Result<ImageOutcome, AttachError> {
    let (descriptors, listing) = registry.referrers(&image.digest_str()).await?;
    let mut outcome = ImageOutcome {
        listing: Some(listing),
        referrers: descriptors.len(),
        ..ImageOutcome::default()
    };
    let mut seen = HashSet::new();
    let descriptors: Vec<Descriptor> = descriptors
        .into_iter()
        .filter(|d| seen.insert(d.digest.clone()))
        .collect();
    // Checking only some would pass on part of the evidence.
    if descriptors.len() > MAX_REFERRERS {
        outcome.failures.push(ImageFailure {
            component: image.to_string(),
            what: ImageProblem::TooMany {
                listed: descriptors.len(),
                max: MAX_REFERRERS,
            },
        });
        return Ok(outcome);
    }
    let limit = Arc::new(tokio::sync::Semaphore::new(
        opts.registry.concurrency.max(1),
    ));
    let budget = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let shared = Arc::new(opts.clone());
    let mut fetches = tokio::task::JoinSet::new();
    for d in descriptors {
        let (limit, registry, image) = (limit.clone(), registry.clone(), image.clone());
        let (budget, opts) = (budget.clone(), shared.clone());
        fetches.spawn(async move {
            let _permit = limit.acquire_owned().await.expect("semaphore open");
            let result = fetch_referrer(&registry, &image, &d, &opts, &budget).await;
            (d, result)
        });
    }
    let mut fetched = Vec::new();
    let mut failed = Vec::new();
    while let Some(joined) = fetches.join_next().await {
        let (d, result) = joined.map_err(|e| AttachError::Runtime(e.to_string()))?;
        match result {
            Ok(f) => fetched.push(f),
            Err(e) => failed.push((d, e)),
        }
    }
    // The attached SBOMs say which layer digest is which component.
    let mut components: HashMap<String, String> = HashMap::new();
    let mut expected: Vec<(String, String)> = Vec::new();
    for f in &mut fetched {
        let Kind::Sbom(media_type, bytes) = &mut f.kind else {
            continue;
        };
        let bytes = std::mem::take(bytes);
        match sbom_references(&f.digest, bytes) {
            Ok(refs) => {
                for (component, digest) in refs {
                    components
                        .entry(digest.clone())
                        .or_insert_with(|| component.clone());
                    expected.push((component, digest));
                }
                outcome.found.push(Found::Sbom {
                    media_type: media_type.clone(),
                });
            }
            Err(e) => outcome.failures.push(ImageFailure {
                component: "attached SBOM".into(),
                what: e,
            }),
        }
    }
    for (d, e) in failed {
        // A manifest that could not be read: its descriptor's annotations
        // are all there is to name it by.
        let component = match d.annotations.get(SUBJECT_ANNOTATION) {
            Some(s) => format!("{} (as the listing says)", crate::term::escape(s)),
            None => format!("referrer {}", d.digest),
        };
        outcome.failures.push(ImageFailure { component, what: e });
    }
    let mut verified_layers = HashSet::new();
    let mut failed_layers = HashSet::new();
    for f in fetched {
        let checked = match f.kind {
            Kind::Other(artifact_type) => {
                outcome.found.push(Found::Other { artifact_type });
                continue;
            }
            Kind::Sbom(..) => continue,
            Kind::Bundle(checked) => checked,
        };
        match checked {
            Ok(found) => {
                verified_layers.extend(f.layer_digest);
                outcome.found.push(found);
            }
            Err(what) => {
                // Named by the attached SBOM, else by the manifest's word.
                let component = match f.layer_digest.as_deref().and_then(|l| components.get(l)) {
                    Some(c) => c.clone(),
                    None => match &f.said_subject {
                        Some(s) => format!(
                            "{} (as the referrer's manifest says)",
                            crate::term::escape(s)
                        ),
                        None => format!("referrer {}", f.digest),
                    },
                };
                failed_layers.extend(f.layer_digest);
                outcome.failures.push(ImageFailure { component, what });
            }
        }
    }
    // What the attached SBOM references and no referrer holds (a referrer
    // that holds it and failed is already said).
    for (component, digest) in expected {
        if !verified_layers.contains(&digest) && !failed_layers.contains(&digest) {
            outcome.failures.push(ImageFailure {
                component,
                what: ImageProblem::NotAttached { digest },
            });
        }
    }
    Ok(outcome)
}

/// The TACOS references of an attached SBOM: (component, layer digest).
fn sbom_references(digest: &str, bytes: Vec<u8>) -> Result<Vec<(String, String)>, ImageProblem> {
    let sbom = Sbom::from_bytes(std::path::Path::new("attached SBOM"), bytes).map_err(|e| {
        ImageProblem::Sbom {
            digest: digest.to_string(),
            why: e.to_string(),
        }
    })?;
    let components = sbom.components();
    let mut out = Vec::new();
    for (id, r) in sbom.found_references(REFERENCE_MARKER, SPDX_REFERENCE_TYPE) {
        if let Some(h) = r.sha256.as_deref().and_then(Sha256Hex::parse) {
            let c = &components[id.0];
            let label = match &c.purl {
                Some(p) => format!("{} ({p})", c.label),
                None => c.label.clone(),
            };
            out.push((label, format!("sha256:{}", h.as_str())));
        }
    }
    for r in sbom.found_document_references(REPORT_MARKER, SPDX_REPORT_REFERENCE_TYPE) {
        if let Some(h) = r.sha256.as_deref().and_then(Sha256Hex::parse) {
            out.push((
                "application report".to_string(),
                format!("sha256:{}", h.as_str()),
            ));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// A TACOS bundle's signature (and timestamps, under a trusted root), and
/// its statement about one package; another predicate type is left alone.
fn check_bundle(digest: &str, bytes: &[u8], opts: &CheckOptions) -> Result<Found, ImageProblem> {
    let signature = |source| ImageProblem::Signature {
        digest: digest.to_string(),
        source,
    };
    let keyless = |source| ImageProblem::Keyless {
        digest: digest.to_string(),
        source: Box::new(source),
    };
    let timestamps = |stamps: &attest::Stamps,
                      authorities: &Option<Vec<TimestampAuthority>>|
     -> Result<(), ImageProblem> {
        if let Some(authorities) = authorities {
            stamps
                .verify(authorities)
                .map_err(|source| ImageProblem::Timestamp {
                    digest: digest.to_string(),
                    source,
                })?;
        }
        Ok(())
    };
    match predicate_type(bytes).as_deref() {
        Some(attest::REPORT_PREDICATE_TYPE) => {
            match &opts.signer {
                Signer::Key {
                    key,
                    timestamp_authorities,
                } => {
                    let v =
                        attest::verify_report_artifact(bytes.to_vec(), key).map_err(signature)?;
                    timestamps(&v.stamps, timestamp_authorities)?;
                }
                Signer::Keyless { root, identity } => {
                    crate::attest::keyless::verify_report_artifact(bytes.to_vec(), root, identity)
                        .map_err(keyless)?;
                }
            }
            Ok(Found::Report)
        }
        Some(attest::PREDICATE_TYPE) | None => {
            let statement = match &opts.signer {
                Signer::Key {
                    key,
                    timestamp_authorities,
                } => {
                    let v = attest::verify_artifact(bytes, key).map_err(signature)?;
                    timestamps(&v.stamps, timestamp_authorities)?;
                    v.statement
                }
                Signer::Keyless { root, identity } => {
                    crate::attest::keyless::verify_artifact(bytes, root, identity)
                        .map_err(keyless)?
                        .statement
                }
            };
            let purl = statement
                .predicate
                .get("PURL")
                .and_then(|p| p.as_str())
                .unwrap_or_default()
                .to_string();
            let subjects: Vec<String> = statement.subject.iter().map(|s| s.name.clone()).collect();
            if purl.is_empty() || !subjects.contains(&purl) {
                return Err(ImageProblem::Subject {
                    digest: digest.to_string(),
                    subjects,
                    purl,
                });
            }
            Ok(Found::Statement { purl })
        }
        Some(other) => Ok(Found::Other {
            artifact_type: format!("{} ({})", sigstore::MEDIA_TYPE, crate::term::escape(other)),
        }),
    }
}
