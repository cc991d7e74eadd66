//! deps.dev API v3: GetPackage, GetVersion, GetDependencies, and v3alpha's
//! GetVersionBatch (many GetVersion answers in one, paginated), each answer
//! checked at the boundary (shape, and that it is about what was asked).
//!
//! The declaration, the questions and their parsers come first; how they
//! are asked (a version list as a registry listing, the batch with its
//! pages and the versions it leaves to GetVersion) follows them.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use url::Url;

use super::adapter::{Adapter, Batch, Malformed, Question};
use super::http::{Client, Service, SharedItem};
use super::hub::{BatchError, Sources, VulnKey};
use super::json::{self as strict, kind, quoted};
use super::model::{
    DepsDevPackage, DepsDevVersion, DepsDevVersionSummary, Flag, GraphNode, RegistryPackage,
    Release,
};
use super::{Coverage, Found, Lookup};
use crate::purl::Ecosystem;

/// deps.dev wants every character outside the unreserved set encoded, so a
/// name like `@scope/name` becomes `%40scope%2Fname`.
fn enc(s: &str) -> String {
    crate::percent::encode(s, |c| !crate::percent::is_unreserved(c))
}

/// deps.dev, with GetVersionBatch taking up to 5,000 versions a call.
pub const ADAPTER: Adapter = Adapter::batching(Service::DepsDev, VERSION_BATCH_PATH, MAX_BATCH);

/// A package in deps.dev's terms: (system, name).
pub type PackageKey = (&'static str, String);

/// A version in deps.dev's terms: (system, name, version).
pub type VersionIn = (&'static str, String, String);

/// GetPackage: a package's versions.
pub struct Package;

impl Question for Package {
    const ADAPTER: &'static Adapter = &ADAPTER;
    type Key = PackageKey;
    type Value = DepsDevPackage;

    fn path((system, name): &PackageKey) -> String {
        package_path(system, name)
    }

    fn parse(body: &[u8], (_, name): &PackageKey) -> Result<DepsDevPackage, Malformed> {
        parse_package(body, name)
    }
}

/// GetVersion: one version.
pub struct Version;

impl Question for Version {
    const ADAPTER: &'static Adapter = &ADAPTER;
    type Key = VersionIn;
    type Value = DepsDevVersion;

    fn path((system, name, version): &VersionIn) -> String {
        version_path(system, name, version)
    }

    fn parse(body: &[u8], (_, name, version): &VersionIn) -> Result<DepsDevVersion, Malformed> {
        parse_version(body, name, version)
    }
}

/// GetDependencies: one version's resolved graph, and deps.dev's error if
/// it could not resolve all of it.
pub struct Dependencies;

impl Question for Dependencies {
    const ADAPTER: &'static Adapter = &ADAPTER;
    type Key = VersionIn;
    type Value = (Vec<GraphNode>, Option<String>);

    fn path((system, name, version): &VersionIn) -> String {
        dependencies_path(system, name, version)
    }

    fn parse(body: &[u8], (_, name, version): &VersionIn) -> Result<Self::Value, Malformed> {
        parse_dependencies(body, name, version)
    }
}

/// GetVersionBatch: many GetVersion answers in one, a page at a time. The
/// batch answer is not remembered as it is: each version in it is, as the
/// answer to its own GetVersion, so it is found however it is asked next.
pub struct VersionBatch;

impl Batch for VersionBatch {
    const ADAPTER: &'static Adapter = &ADAPTER;
    const REMEMBERED: bool = false;
    type Item = VersionKey;
    type Page = BatchPage;

    fn body(keys: &[VersionKey], page: Option<&str>) -> Vec<u8> {
        batch_body(keys, page)
    }

    fn parse(body: &[u8], keys: &[VersionKey]) -> Result<BatchPage, Malformed> {
        parse_batch(body, &keys.iter().cloned().collect())
    }
}

pub fn package_path(system: &str, name: &str) -> String {
    format!("v3/systems/{}/packages/{}", enc(system), enc(name))
}

pub fn version_path(system: &str, name: &str, version: &str) -> String {
    format!("{}/versions/{}", package_path(system, name), enc(version))
}

pub fn dependencies_path(system: &str, name: &str, version: &str) -> String {
    format!("{}:dependencies", version_path(system, name, version))
}

/// GetVersionBatch, relative to the deps.dev base URL.
pub const VERSION_BATCH_PATH: &str = "v3alpha/versionbatch";

/// The most requests deps.dev takes in one batch.
pub const MAX_BATCH: usize = 5000;

/// A version as deps.dev names it: (system, name, version).
pub type VersionKey = (String, String, String);

/// The body of one GetVersionBatch call (every page repeats the requests).
pub fn batch_body(keys: &[VersionKey], page_token: Option<&str>) -> Vec<u8> {
    let requests: Vec<Value> = keys
        .iter()
        .map(|(s, n, v)| serde_json::json!({"versionKey": {"system": s, "name": n, "version": v}}))
        .collect();
    let mut body = serde_json::json!({ "requests": requests });
    if let Some(t) = page_token {
        body["pageToken"] = Value::String(t.to_string());
    }
    body.to_string().into_bytes()
}

/// One page of a GetVersionBatch answer.
#[derive(Debug, Default)]
pub struct BatchPage {
    /// The versions deps.dev knows, each with its own JSON (the shape of a
    /// GetVersion answer), as asked.
    pub found: Vec<(VersionKey, DepsDevVersion, Vec<u8>)>,
    /// Versions it answered without a `version`: not known to it, or not
    /// answered; the caller asks GetVersion, whose 404 is definite.
    pub unanswered: Vec<VersionKey>,
    pub next_page_token: Option<String>,
}

/// Check a page against the requests: every response must be about a
/// version that was asked, and its version about that same version.
pub fn parse_batch(
    bytes: &[u8],
    asked: &std::collections::HashSet<VersionKey>,
) -> Result<BatchPage, Malformed> {
    read_batch(bytes, asked).map_err(|why| ADAPTER.malformed(why))
}

fn read_batch(
    bytes: &[u8],
    asked: &std::collections::HashSet<VersionKey>,
) -> Result<BatchPage, String> {
    let o = json(bytes)?;
    let mut page = BatchPage::default();
    for r in list(&o, "responses")? {
        let r = r.as_object().ok_or("a response that is not an object")?;
        let k = r
            .get("request")
            .and_then(|q| q.get("versionKey"))
            .and_then(Value::as_object)
            .ok_or("a response without `request.versionKey`")?;
        let field = |f: &str| -> Result<String, String> {
            k.get(f)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| format!("a response whose request has no `versionKey.{f}`"))
        };
        let key = (field("system")?, field("name")?, field("version")?);
        if !asked.contains(&key) {
            return Err(format!("a response about {key:?}, which was not asked"));
        }
        match r.get("version") {
            None | Some(Value::Null) => page.unanswered.push(key),
            Some(Value::Object(v)) => {
                let parsed = version_from(v, &key.1, &key.2)?;
                let raw = serde_json::to_vec(v).expect("a JSON value serializes");
                page.found.push((key, parsed, raw));
            }
            Some(other) => return Err(format!("`version` is {}", kind(other))),
        }
    }
    page.next_page_token = match o.get("nextPageToken") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) if t.is_empty() => None,
        Some(Value::String(t)) => Some(t.clone()),
        Some(other) => return Err(format!("`nextPageToken` is {}", kind(other))),
    };
    Ok(page)
}

type Obj = serde_json::Map<String, Value>;

fn json(bytes: &[u8]) -> Result<Obj, String> {
    match strict::parse(bytes).map_err(|e| e.to_string())? {
        Value::Object(o) => Ok(o),
        other => Err(format!("{}, not an object", kind(&other))),
    }
}

fn opt_bool(o: &Obj, key: &str) -> Result<Option<bool>, String> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(format!("`{key}` is {}", kind(other))),
    }
}

fn opt_time(o: &Obj, key: &str) -> Result<Option<OffsetDateTime>, String> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(t)) => OffsetDateTime::parse(t, &Rfc3339)
            .map(Some)
            .map_err(|_| format!("`{key}` {} is not an RFC 3339 time", quoted(t))),
        Some(other) => Err(format!("`{key}` is {}", kind(other))),
    }
}

fn list<'a>(o: &'a Obj, key: &str) -> Result<&'a [Value], String> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(other) => Err(format!("`{key}` is {}, not a list", kind(other))),
    }
}

/// `versionKey`'s name and version, checked to be what was asked.
fn version_key(o: &Obj, name: &str, version: Option<&str>) -> Result<(String, String), String> {
    let k = o
        .get("versionKey")
        .and_then(Value::as_object)
        .ok_or("no `versionKey` object")?;
    let n = k
        .get("name")
        .and_then(Value::as_str)
        .ok_or("no `versionKey.name`")?;
    let v = k
        .get("version")
        .and_then(Value::as_str)
        .ok_or("no `versionKey.version`")?;
    if !same_name(n, name) {
        return Err(format!(
            "the answer is about {}, not {}",
            quoted(n),
            quoted(name)
        ));
    }
    if let Some(want) = version
        && v != want
    {
        return Err(format!(
            "the answer is about version {}, not {}",
            quoted(v),
            quoted(want)
        ));
    }
    Ok((n.to_string(), v.to_string()))
}

/// deps.dev spells names as each system does; PyPI's are normalized.
fn same_name(a: &str, b: &str) -> bool {
    use super::osv_record::normalize_name;
    a == b || normalize_name(Ecosystem::PyPi, a) == normalize_name(Ecosystem::PyPi, b)
}

/// GetPackage: every version once, at most one of them the default.
pub fn parse_package(bytes: &[u8], name: &str) -> Result<DepsDevPackage, Malformed> {
    read_package(bytes, name).map_err(|why| ADAPTER.malformed(why))
}

fn read_package(bytes: &[u8], name: &str) -> Result<DepsDevPackage, String> {
    let v = json(bytes)?;
    match v.get("packageKey").map(|k| k.get("name")) {
        None => {}
        Some(Some(Value::String(k))) if same_name(k, name) => {}
        Some(Some(Value::String(k))) => {
            return Err(format!(
                "the answer is about {}, not {}",
                quoted(k),
                quoted(name)
            ));
        }
        Some(_) => return Err("`packageKey` without a name".into()),
    }
    let versions = match v.get("versions") {
        Some(Value::Array(a)) => a,
        Some(other) => return Err(format!("`versions` is {}", kind(other))),
        None => return Err("no `versions`".into()),
    };
    let mut out: Vec<DepsDevVersionSummary> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for x in versions {
        let x = x.as_object().ok_or("a version that is not an object")?;
        let (_, version) = version_key(x, name, None)?;
        // Listed twice, a version could be both deprecated and not.
        if !seen.insert(version.clone()) {
            return Err(format!("version {} is listed twice", quoted(&version)));
        }
        out.push(DepsDevVersionSummary {
            version,
            published: opt_time(x, "publishedAt")?,
            is_default: opt_bool(x, "isDefault")?.unwrap_or(false),
            // Protocol-buffer JSON leaves false values out.
            is_deprecated: opt_bool(x, "isDeprecated")?.unwrap_or(false),
        });
    }
    if out.iter().filter(|v| v.is_default).count() > 1 {
        return Err("more than one version is the default".into());
    }
    Ok(DepsDevPackage { versions: out })
}

pub fn parse_version(bytes: &[u8], name: &str, version: &str) -> Result<DepsDevVersion, Malformed> {
    json(bytes)
        .and_then(|v| version_from(&v, name, version))
        .map_err(|why| ADAPTER.malformed(why))
}

fn version_from(v: &Obj, name: &str, version: &str) -> Result<DepsDevVersion, String> {
    let (_, version) = version_key(v, name, Some(version))?;
    let strings = |key: &str, inner: Option<&str>| -> Result<Vec<String>, String> {
        list(v, key)?
            .iter()
            .map(|x| {
                match inner {
                    Some(i) => x.get(i).and_then(Value::as_str),
                    None => x.as_str(),
                }
                .map(str::to_string)
                .ok_or_else(|| format!("an entry of `{key}` is not as documented"))
            })
            .collect()
    };
    let mut links = Vec::new();
    for l in list(v, "links")? {
        match (
            l.get("label").and_then(Value::as_str),
            l.get("url").and_then(Value::as_str),
        ) {
            (Some(a), Some(b)) => links.push((a.to_string(), b.to_string())),
            _ => return Err("a link without a label or url".into()),
        }
    }
    let mut related_projects = Vec::new();
    for p in list(v, "relatedProjects")? {
        let id = p
            .get("projectKey")
            .and_then(|k| k.get("id"))
            .and_then(Value::as_str)
            .ok_or("a related project without an id")?;
        let rel = p
            .get("relationType")
            .and_then(Value::as_str)
            .unwrap_or_default();
        related_projects.push((id.to_string(), rel.to_string()));
    }
    Ok(DepsDevVersion {
        version,
        published: opt_time(v, "publishedAt")?,
        is_default: opt_bool(v, "isDefault")?,
        is_deprecated: opt_bool(v, "isDeprecated")?,
        deprecated_reason: match v.get("deprecatedReason") {
            None | Some(Value::Null) => None,
            Some(Value::String(r)) => Some(r.clone()).filter(|r| !r.is_empty()),
            Some(other) => return Err(format!("`deprecatedReason` is {}", kind(other))),
        },
        licenses: strings("licenses", None)?,
        advisory_ids: strings("advisoryKeys", Some("id"))?,
        links,
        related_projects,
        has_attestations: !list(v, "attestations")?.is_empty(),
        has_slsa_provenance: !list(v, "slsaProvenances")?.is_empty(),
    })
}

/// deps.dev's resolved graph for one version. The first node must be the
/// version asked about; a graph deps.dev could not fully resolve comes with
/// its error, which the caller records as partial coverage.
pub fn parse_dependencies(
    bytes: &[u8],
    name: &str,
    version: &str,
) -> Result<(Vec<GraphNode>, Option<String>), Malformed> {
    read_dependencies(bytes, name, version).map_err(|why| ADAPTER.malformed(why))
}

fn read_dependencies(
    bytes: &[u8],
    name: &str,
    version: &str,
) -> Result<(Vec<GraphNode>, Option<String>), String> {
    let v = json(bytes)?;
    let nodes = match v.get("nodes") {
        Some(Value::Array(a)) => a,
        Some(other) => return Err(format!("`nodes` is {}", kind(other))),
        None => return Err("no `nodes`".into()),
    };
    let mut out = Vec::new();
    let mut node_errors = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        let n = n.as_object().ok_or("a node that is not an object")?;
        let k = n
            .get("versionKey")
            .and_then(Value::as_object)
            .ok_or("a node without versionKey")?;
        let node_name = k
            .get("name")
            .and_then(Value::as_str)
            .ok_or("a node without a name")?;
        let node_version = k
            .get("version")
            .and_then(Value::as_str)
            .ok_or("a node without a version")?;
        let relation = match n.get("relation").and_then(Value::as_str) {
            Some(r @ ("SELF" | "DIRECT" | "INDIRECT")) => r,
            Some(other) => return Err(format!("a node's relation is {}", quoted(other))),
            None => return Err("a node without a relation".into()),
        };
        if i == 0 && (relation != "SELF" || !same_name(node_name, name) || node_version != version)
        {
            return Err(format!(
                "the graph starts at {}@{} ({relation}), not {}@{}",
                quoted(node_name),
                quoted(node_version),
                quoted(name),
                quoted(version)
            ));
        }
        // One graph, one root.
        if i > 0 && relation == "SELF" {
            return Err(format!(
                "a second root, {}@{}",
                quoted(node_name),
                quoted(node_version)
            ));
        }
        // A node's own errors (an unresolved requirement) make the graph as
        // a whole uncertain.
        for e in list(n, "errors")? {
            if let Some(e) = e.as_str().filter(|e| !e.is_empty()) {
                node_errors.push(format!("{node_name}@{node_version}: {e}"));
            }
        }
        out.push(GraphNode {
            name: node_name.to_string(),
            version: node_version.to_string(),
            relation: relation.to_string(),
            bundled: opt_bool(n, "bundled")?.unwrap_or(false),
        });
    }
    if out.is_empty() {
        return Err("the graph has no nodes, not even the version asked about".into());
    }
    match v.get("error") {
        None | Some(Value::Null) => {}
        Some(Value::String(e)) if e.is_empty() => {}
        Some(Value::String(e)) => node_errors.insert(0, e.clone()),
        Some(other) => return Err(format!("`error` is {}", kind(other))),
    }
    let error = (!node_errors.is_empty()).then(|| node_errors.join("; "));
    Ok((out, error))
}

/// deps.dev's name for `eco`'s packages, or why it has none.
fn system<T>(eco: Ecosystem) -> Result<&'static str, Lookup<T>> {
    eco.depsdev_name().ok_or_else(|| Lookup::NotApplicable {
        source: ADAPTER.service.name().into(),
        why: "deps.dev does not cover this ecosystem".into(),
    })
}

/// deps.dev's version list, as a registry listing.
pub async fn listing(sources: &Sources, eco: Ecosystem, name: &str) -> Lookup<RegistryPackage> {
    let system = match system(eco) {
        Ok(s) => s,
        Err(not) => return not,
    };
    sources
        .ask::<Package>((system, name.to_string()))
        .await
        .map(|p| from_package(eco, name, p))
}

/// deps.dev's view of one version.
pub async fn version(
    sources: &Sources,
    eco: Ecosystem,
    name: &str,
    version: &str,
) -> Lookup<DepsDevVersion> {
    match system(eco) {
        Ok(system) => {
            sources
                .ask::<Version>((system, name.to_string(), version.to_string()))
                .await
        }
        Err(not) => not,
    }
}

/// deps.dev's resolved graph of one version. A graph deps.dev could not
/// fully resolve can show a problem, never the absence of one.
pub async fn graph(
    sources: &Sources,
    eco: Ecosystem,
    name: &str,
    version: &str,
) -> Lookup<Vec<GraphNode>> {
    let system = match system(eco) {
        Ok(s) => s,
        Err(not) => return not,
    };
    let graph = sources
        .ask::<Dependencies>((system, name.to_string(), version.to_string()))
        .await;
    match graph {
        Lookup::Found(mut f) => {
            let (nodes, error) = std::mem::take(&mut f.value);
            if let Some(e) = error {
                f.coverage =
                    Coverage::Partial(format!("deps.dev could not resolve all of it: {e}"));
            }
            Lookup::Found(f.map(|_| nodes))
        }
        other => other.map(|(nodes, _)| nodes),
    }
}

/// deps.dev's view of many versions: GetVersionBatch for those not
/// already known (stored answers are reused), up to 5,000 a call, every
/// page followed. Each answer in a batch is checked like a GetVersion
/// answer and remembered as one, so the statement is the same whichever
/// way it was asked. What a batch leaves unanswered, or a batch that
/// fails, is asked with GetVersion (whose 404 is definite).
pub async fn versions(
    sources: &Arc<Sources>,
    keys: Vec<VulnKey>,
) -> HashMap<VulnKey, Lookup<DepsDevVersion>> {
    let client = sources.client();
    let base = sources.base(ADAPTER.service).ok().cloned();
    let (mut single, batched) = plan(sources, base.as_ref(), keys);
    let asked = claimed(client, &batched).await;
    let mut settled = (Vec::new(), Vec::new());
    if let Some(base) = &base
        && !asked.is_empty()
    {
        for chunk in Sources::chunks::<VersionBatch>(&asked) {
            let answered = batch(sources, chunk).await;
            for key in chunk {
                let (k, url) = &batched[key];
                match answered.get(key) {
                    Some((value, raw, at)) => {
                        client.remember_as_get(url, raw, *at);
                        if let Some(key) = Client::get_key(url) {
                            match Client::get_answer_text(raw, *at) {
                                Some(text) => settled.0.push((key, text)),
                                None => settled.1.push(key),
                            }
                        }
                        let found = Lookup::Found(Found::complete(
                            value.clone(),
                            ADAPTER.service.name().to_string(),
                            crate::redact::redact(url),
                            *at,
                        ));
                        let system = k.0.depsdev_name().expect("batched only with a system");
                        sources.settle::<Version>(base, (system, k.1.clone(), k.2.clone()), found);
                    }
                    None => {
                        settled.1.extend(Client::get_key(url));
                        single.push(k.clone());
                    }
                }
            }
        }
    }
    client.settle_shared(settled.0, settled.1).await;
    let mut set = tokio::task::JoinSet::new();
    for k in single
        .into_iter()
        .chain(batched.into_values().map(|(k, _)| k))
    {
        let sources = sources.clone();
        set.spawn(async move {
            let l = version(&sources, k.0, &k.1, &k.2).await;
            (k, l)
        });
    }
    let mut out = HashMap::new();
    while let Some(r) = set.join_next().await {
        let (k, l) = r.expect("deps.dev lookups do not panic");
        out.insert(k, l);
    }
    out
}

/// Versions to batch, by deps.dev's key: each as asked, and the URL of its
/// own GetVersion.
type Batched = HashMap<VersionKey, (VulnKey, Url)>;

/// Versions a batch may ask about (with the URL of each one's own GET):
/// those not answered this run or stored, and only when deps.dev may be
/// asked now; the rest are asked with GetVersion.
fn plan(sources: &Sources, base: Option<&Url>, keys: Vec<VulnKey>) -> (Vec<VulnKey>, Batched) {
    let mut single: Vec<VulnKey> = Vec::new();
    let mut batched = Batched::new();
    for k in keys.into_iter().collect::<BTreeSet<_>>() {
        let (Some(system), Some(base)) = (k.0.depsdev_name(), base) else {
            single.push(k);
            continue;
        };
        let known = sources.answered::<Version>(base, (system, k.1.clone(), k.2.clone()));
        let url = base.join(&version_path(system, &k.1, &k.2));
        match url {
            Ok(url)
                if !known
                    && !sources.client().is_cached(&url)
                    && sources.reaches_network(&ADAPTER) =>
            {
                batched.insert((system.to_string(), k.1.clone(), k.2.clone()), (k, url));
            }
            _ => single.push(k),
        }
    }
    (single, batched)
}

/// The versions of `batched` this runner is to ask, in order. On a shared
/// store each version's answer is shared as the answer to its own GET: a
/// version another runner has (or is asking about) is left to that GET,
/// which finds it in the store or waits for it, rather than batched again.
async fn claimed(client: &Client, batched: &Batched) -> Vec<VersionKey> {
    // Each version with the key its GET is shared under, if any.
    let mut keyed: Vec<(VersionKey, Option<String>)> = batched
        .iter()
        .map(|(key, (_, url))| (key.clone(), Client::get_key(url)))
        .collect();
    keyed.sort();
    let shared_keys: Vec<String> = keyed.iter().filter_map(|(_, s)| s.clone()).collect();
    let claims = client.claim_shared(&shared_keys).await;
    let not_mine: HashSet<&String> = shared_keys
        .iter()
        .zip(&claims)
        .filter(|(_, c)| **c != SharedItem::Mine)
        .map(|(k, _)| k)
        .collect();
    keyed
        .into_iter()
        .filter(|(_, s)| s.as_ref().is_none_or(|k| !not_mine.contains(k)))
        .map(|(key, _)| key)
        .collect()
}

/// One GetVersionBatch call, all its pages: what deps.dev answered with
/// a version. A page that is malformed, or a call that fails, ends it:
/// the rest is asked one by one.
async fn batch(
    sources: &Sources,
    keys: &[VersionKey],
) -> HashMap<VersionKey, (DepsDevVersion, Vec<u8>, OffsetDateTime)> {
    let mut out = HashMap::new();
    let Ok(url) = sources.batch_url::<VersionBatch>() else {
        return out;
    };
    let mut token: Option<String> = None;
    let mut seen_tokens = HashSet::new();
    // Each page must answer something: at most one page per key.
    for _ in 0..=keys.len() {
        let page = match sources
            .post::<VersionBatch>(&url, keys, token.as_deref())
            .await
        {
            Ok(posted) => posted,
            Err(BatchError::Malformed { url, error }) => {
                sources.client().warn(format!(
                    "malformed answer from deps.dev ({url}): {error}; asking one version at a time"
                ));
                break;
            }
            Err(_) => break,
        };
        let progress = page.page.found.len() + page.page.unanswered.len();
        for (k, v, raw) in page.page.found {
            out.insert(k, (v, raw, page.at));
        }
        match page.page.next_page_token {
            Some(t) if progress > 0 && seen_tokens.insert(t.clone()) => token = Some(t),
            _ => break,
        }
    }
    out
}

/// deps.dev's version list seen as a registry listing (its times are real).
/// Maven has no yanking; deps.dev does not report Go retractions or NuGet
/// unlisting, so there whether a release was withdrawn is unknown.
fn from_package(eco: Ecosystem, name: &str, p: DepsDevPackage) -> RegistryPackage {
    let yanked = match eco {
        Ecosystem::Maven => Flag::No,
        _ => Flag::Unknown,
    };
    RegistryPackage {
        name: name.to_string(),
        latest_tag: p
            .versions
            .iter()
            .find(|v| v.is_default)
            .map(|v| v.version.clone()),
        times_trustworthy: p.versions.iter().all(|v| v.published.is_some()),
        releases: p
            .versions
            .into_iter()
            .map(|v| Release {
                version: v.version,
                published: v.published,
                yanked: yanked.clone(),
                deprecated: if v.is_deprecated {
                    Flag::Yes("deprecated on deps.dev".into())
                } else {
                    Flag::No
                },
                ..Release::default()
            })
            .collect(),
        ..RegistryPackage::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_recorded_version() {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/api/depsdev/npm-lodash-4.17.20.getversion.json");
        let bytes = std::fs::read(p).unwrap();
        assert!(parse_version(&bytes, "lodash", "4.17.21").is_err());
        assert!(parse_version(&bytes, "underscore", "4.17.20").is_err());
        let v = parse_version(&bytes, "lodash", "4.17.20").unwrap();
        assert_eq!(v.version, "4.17.20");
        assert_eq!(v.advisory_ids.len(), 5);
        assert_eq!(v.licenses, vec!["MIT"]);
        assert_eq!(v.is_deprecated, Some(false));
        assert!(
            v.links
                .iter()
                .any(|(l, u)| l == "SOURCE_REPO" && u.contains("lodash/lodash"))
        );
        assert!(
            v.related_projects
                .iter()
                .any(|(id, _)| id == "github.com/lodash/lodash")
        );
        assert_eq!(
            version_path("NPM", "@babel/core", "7.0.0"),
            "v3/systems/NPM/packages/%40babel%2Fcore/versions/7.0.0"
        );
        assert!(parse_version(b"[]", "x", "1").is_err());
        assert!(parse_dependencies(br#"{"nodes": []}"#, "x", "1").is_err());
        let g = br#"{"nodes": [{"versionKey": {"name": "x", "version": "1"}, "relation": "SELF"},
                              {"versionKey": {"name": "y", "version": "2"}, "relation": "DIRECT"}],
                   "error": "could not resolve z"}"#;
        let (nodes, err) = parse_dependencies(g, "x", "1").unwrap();
        assert_eq!(nodes.len(), 2);
        assert_eq!(err.as_deref(), Some("could not resolve z"));
    }

    #[test]
    fn odd_package_and_graph_answers_are_malformed() {
        let version = |v: &str, extra: &str| {
            format!(
                r#"{{"versionKey": {{"system": "MAVEN", "name": "g:a", "version": "{v}"}}{extra}}}"#
            )
        };
        let package = |versions: &[String]| {
            format!(
                r#"{{"packageKey": {{"system": "MAVEN", "name": "g:a"}}, "versions": [{}]}}"#,
                versions.join(", ")
            )
        };
        let healthy = package(&[version("1.0", ""), version("2.0", r#", "isDefault": true"#)]);
        let p = parse_package(healthy.as_bytes(), "g:a").unwrap();
        assert_eq!(p.versions.len(), 2);
        for (label, text, why) in [
            (
                "a version twice",
                package(&[
                    version("1.0", ""),
                    version("1.0", r#", "isDeprecated": true"#),
                ]),
                "listed twice",
            ),
            (
                "two defaults",
                package(&[
                    version("1.0", r#", "isDefault": true"#),
                    version("2.0", r#", "isDefault": true"#),
                ]),
                "default",
            ),
            (
                "a key twice",
                healthy.replacen("{", r#"{"versions": [], "#, 1),
                "twice",
            ),
            (
                "a package key without a name",
                healthy.replace(r#""name": "g:a"}, "versions""#, r#""name": 1}, "versions""#),
                "without a name",
            ),
            (
                "a time that is not RFC 3339",
                package(&[version("1.0", r#", "publishedAt": "2026-01-01""#)]),
                "RFC 3339",
            ),
        ] {
            let e = parse_package(text.as_bytes(), "g:a")
                .err()
                .unwrap_or_else(|| panic!("{label}: accepted"));
            assert!(e.why.contains(why), "{label}: {e}");
        }
        let g = br#"{"nodes": [{"versionKey": {"name": "x", "version": "1"}, "relation": "SELF"},
                              {"versionKey": {"name": "y", "version": "2"}, "relation": "SELF"}]}"#;
        assert!(
            parse_dependencies(g, "x", "1")
                .unwrap_err()
                .why
                .contains("second root")
        );
        let g = br#"{"nodes": [{"versionKey": {"name": "x", "version": "1"}}]}"#;
        assert!(
            parse_dependencies(g, "x", "1")
                .unwrap_err()
                .why
                .contains("without a relation")
        );
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/api/depsdev/npm-lodash-4.17.20.getversion.json");
        let mut v: Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
        v["deprecatedReason"] = serde_json::json!(["no"]);
        assert!(parse_version(v.to_string().as_bytes(), "lodash", "4.17.20").is_err());
    }

    #[test]
    fn a_batch_answer_is_checked_against_what_was_asked() {
        let asked: std::collections::HashSet<VersionKey> = [
            ("NPM".into(), "a".into(), "1.0.0".into()),
            ("NPM".into(), "b".into(), "2.0.0".into()),
        ]
        .into_iter()
        .collect();
        let ok = br#"{"responses": [
            {"request": {"versionKey": {"system": "NPM", "name": "a", "version": "1.0.0"}},
             "version": {"versionKey": {"system": "NPM", "name": "a", "version": "1.0.0"}, "licenses": ["MIT"]}},
            {"request": {"versionKey": {"system": "NPM", "name": "b", "version": "2.0.0"}}}],
            "nextPageToken": "t2"}"#;
        let p = parse_batch(ok, &asked).unwrap();
        assert_eq!(p.found.len(), 1);
        assert_eq!(p.found[0].1.licenses, vec!["MIT"]);
        assert_eq!(
            p.unanswered,
            vec![("NPM".into(), "b".into(), "2.0.0".into())]
        );
        assert_eq!(p.next_page_token.as_deref(), Some("t2"));
        // About something not asked; a version that is another's; a bad token.
        let other = br#"{"responses": [{"request": {"versionKey": {"system": "NPM", "name": "c", "version": "1"}}}]}"#;
        assert!(parse_batch(other, &asked).is_err());
        let swapped = br#"{"responses": [
            {"request": {"versionKey": {"system": "NPM", "name": "a", "version": "1.0.0"}},
             "version": {"versionKey": {"system": "NPM", "name": "a", "version": "9.9.9"}}}]}"#;
        assert!(parse_batch(swapped, &asked).is_err());
        assert!(parse_batch(br#"{"responses": [], "nextPageToken": 3}"#, &asked).is_err());
        assert!(parse_batch(br#"{"responses": {}}"#, &asked).is_err());
        assert!(parse_batch(br#"[]"#, &asked).is_err());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn versions_in_a_batch_are_remembered_as_their_own_answers() {
        use super::super::hub::loopback::Server;
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/api/depsdev/npm-lodash-4.17.20.getversion.json");
        let version: Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
        let srv = Server::start(std::time::Duration::ZERO, move |(method, path, body)| {
            assert_eq!(
                (method.as_str(), path.as_str()),
                ("POST", "/v3alpha/versionbatch")
            );
            let asked: Value = serde_json::from_slice(body).unwrap();
            let responses: Vec<Value> = asked["requests"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    let known = r["versionKey"]["version"] == "4.17.20";
                    serde_json::json!({
                        "request": r,
                        "version": if known { version.clone() } else { Value::Null },
                    })
                })
                .collect();
            (
                200,
                serde_json::json!({ "responses": responses })
                    .to_string()
                    .into_bytes(),
            )
        })
        .await;
        let cache = tempfile::tempdir().unwrap();
        let online = super::super::hub::tests::sources_at(&srv.base(), Some(cache.path()), false);
        let known = (Ecosystem::Npm, "lodash".to_string(), "4.17.20".to_string());
        let found = versions(&online, vec![known.clone()]).await;
        assert_eq!(found[&known].value().unwrap().version, "4.17.20");
        assert_eq!(srv.asked().len(), 1);
        // Offline, the next run finds it as the answer to its GetVersion.
        let offline = super::super::hub::tests::sources_at(&srv.base(), Some(cache.path()), true);
        let again = versions(&offline, vec![known.clone()]).await;
        assert_eq!(again[&known].value(), found[&known].value());
        assert_eq!(
            again[&known].found().unwrap().url,
            format!(
                "{}v3/systems/NPM/packages/lodash/versions/4.17.20",
                srv.base()
            )
        );
        assert_eq!(srv.asked().len(), 1, "{:?}", srv.asked());
        // A version the batch leaves unanswered is asked with GetVersion.
        let unknown = (Ecosystem::Npm, "lodash".to_string(), "0.0.1".to_string());
        let l = versions(&online, vec![unknown.clone()]).await;
        let paths: Vec<String> = srv.asked().iter().map(|r| r.1.clone()).collect();
        assert_eq!(
            paths[1..],
            [
                "/v3alpha/versionbatch".to_string(),
                "/v3/systems/NPM/packages/lodash/versions/0.0.1".to_string()
            ]
        );
        assert!(l[&unknown].value().is_none());
    }
}
