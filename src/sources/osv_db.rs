//! An offline OSV database, loaded once into an index: a directory of OSV
//! JSON records (per ecosystem, searched recursively), OSV's per-ecosystem
//! `all.zip`, or a directory holding such zips. Hostile archives are bounded
//! (entry count, entry size, total size); names inside archives are never
//! used as paths.
//!
//! A database is a dated snapshot. Its as-of time is the newest `modified`
//! among an ecosystem's records (a lower bound of when it was exported, so
//! never younger than it is). It is *complete* for an ecosystem only when it
//! is that ecosystem's whole export as OSV publishes it: a file `all.zip` in
//! a directory named for the ecosystem (`PyPI/all.zip`, `npm/all.zip`,
//! `crates.io/all.zip`), every entry of it readable. Anything else (loose
//! records, a renamed or partly unreadable archive) can prove a
//! vulnerability, never the absence of one.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::adapter::Adapter;
use super::http::Service;
use super::model::Vulnerability;
use super::osv_record::{OsvRecord, Verdict, base_ecosystem, normalize_name};
use crate::purl::Ecosystem;

/// OSV's records from files on this machine: no network, so `--offline`
/// leaves it as it is (`osv::vulnerabilities` asks it instead of the API
/// when one is given).
pub const ADAPTER: Adapter = Adapter::local(Service::Osv);

const MAX_ZIP_ENTRIES: usize = 1_000_000;
const MAX_ENTRY_BYTES: u64 = 16 << 20;
const MAX_TOTAL_BYTES: u64 = 4 << 30;
const MAX_DEPTH: usize = 8;

pub struct OsvDb {
    by_package: HashMap<(String, String), Vec<Arc<OsvRecord>>>,
    by_id: HashMap<String, Arc<OsvRecord>>,
    ecosystems: HashMap<String, EcosystemSnapshot>,
    skipped: Vec<(String, String)>,
    /// Ecosystems whose whole export (`<Ecosystem>/all.zip`) was read in full.
    whole_exports: HashSet<String>,
}

/// What the database holds for one ecosystem.
#[derive(Debug, Clone, Default)]
pub struct EcosystemSnapshot {
    pub records: usize,
    /// The newest `modified` of its records.
    pub newest: Option<time::OffsetDateTime>,
}

#[derive(Debug, thiserror::Error)]
#[error("OSV database {path}: {message}")]
pub struct OsvDbError {
    pub path: PathBuf,
    pub message: String,
}

/// The records that affect a version, and those that could not decide.
#[derive(Debug, Default)]
pub struct Query {
    pub affected: Vec<Vulnerability>,
    pub undecided: Vec<(String, String)>,
}

impl OsvDb {
    pub fn load(path: &Path) -> Result<OsvDb, OsvDbError> {
        let err = |message: String| OsvDbError {
            path: path.to_path_buf(),
            message,
        };
        let mut db = OsvDb {
            by_package: HashMap::new(),
            by_id: HashMap::new(),
            ecosystems: HashMap::new(),
            skipped: Vec::new(),
            whole_exports: HashSet::new(),
        };
        let meta = std::fs::metadata(path).map_err(|e| err(e.to_string()))?;
        let mut total = 0u64;
        if meta.is_dir() {
            db.load_dir(path, 0, &mut total).map_err(err)?;
        } else {
            db.load_zip(path, &mut total).map_err(err)?;
        }
        if db.by_id.is_empty() {
            return Err(err(
                "no OSV records found (expected <ecosystem>/<ID>.json files or an all.zip)".into(),
            ));
        }
        Ok(db)
    }

    fn load_dir(&mut self, dir: &Path, depth: usize, total: &mut u64) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Ok(());
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if p.is_dir() {
                self.load_dir(&p, depth + 1, total)?;
            } else if name.ends_with(".zip") {
                self.load_zip(&p, total)?;
            } else if name.ends_with(".json") {
                let size = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
                if size > MAX_ENTRY_BYTES {
                    self.skipped
                        .push((p.display().to_string(), "larger than 16 MiB".into()));
                    continue;
                }
                *total += size;
                // A pipe among the records is refused, never waited on.
                match crate::fsutil::read_regular(&p, MAX_ENTRY_BYTES) {
                    Ok(bytes) => self.add(&p.display().to_string(), &bytes),
                    Err(e) => self.skipped.push((p.display().to_string(), e.to_string())),
                }
            }
        }
        Ok(())
    }

    fn load_zip(&mut self, path: &Path, total: &mut u64) -> Result<(), String> {
        let skipped_before = self.skipped.len();
        self.read_zip(path, total)?;
        // OSV publishes each ecosystem's whole export as `<Ecosystem>/all.zip`.
        let export_of = path
            .file_name()
            .filter(|n| *n == "all.zip")
            .and_then(|_| path.parent()?.file_name())
            .map(|d| d.to_string_lossy().into_owned());
        if let Some(eco) = export_of
            && self.skipped.len() == skipped_before
            && self.ecosystems.contains_key(&eco)
        {
            self.whole_exports.insert(eco);
        }
        Ok(())
    }

    fn read_zip(&mut self, path: &Path, total: &mut u64) -> Result<(), String> {
        let file =
            crate::fsutil::open_regular(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file))
            .map_err(|e| format!("{}: not a readable zip archive: {e}", path.display()))?;
        if zip.len() > MAX_ZIP_ENTRIES {
            return Err(format!(
                "{}: more than {MAX_ZIP_ENTRIES} entries",
                path.display()
            ));
        }
        for i in 0..zip.len() {
            let mut entry = match zip.by_index(i) {
                Ok(e) => e,
                Err(e) => {
                    self.skipped
                        .push((format!("{}#{i}", path.display()), e.to_string()));
                    continue;
                }
            };
            let label = format!(
                "{}#{}",
                path.display(),
                entry
                    .name()
                    .map(|n| n.into_owned())
                    .unwrap_or_else(|_| i.to_string())
            );
            if entry.is_dir() {
                continue;
            }
            if entry.size() > MAX_ENTRY_BYTES {
                self.skipped
                    .push((label, "declares more than 16 MiB".into()));
                continue;
            }
            if *total + entry.size() > MAX_TOTAL_BYTES {
                return Err(format!("{}: more than 4 GiB of records", path.display()));
            }
            // Read at most the bound, whatever the entry declares.
            let mut bytes = Vec::new();
            if let Err(e) = (&mut entry)
                .take(MAX_ENTRY_BYTES + 1)
                .read_to_end(&mut bytes)
            {
                self.skipped.push((label, e.to_string()));
                continue;
            }
            if bytes.len() as u64 > MAX_ENTRY_BYTES {
                self.skipped.push((label, "larger than 16 MiB".into()));
                continue;
            }
            *total += bytes.len() as u64;
            self.add(&label, &bytes);
        }
        Ok(())
    }

    fn add(&mut self, label: &str, bytes: &[u8]) {
        let record: OsvRecord = match serde_json::from_slice(bytes) {
            Ok(r) => r,
            Err(e) => {
                self.skipped
                    .push((label.to_string(), format!("not an OSV record: {e}")));
                return;
            }
        };
        let record = Arc::new(record);
        let modified = record.modified.as_deref().and_then(|m| {
            time::OffsetDateTime::parse(m, &time::format_description::well_known::Rfc3339).ok()
        });
        let mut keys = HashSet::new();
        for a in &record.affected {
            let Some(p) = &a.package else { continue };
            let eco = base_ecosystem(&p.ecosystem).to_string();
            let norm = if eco == "PyPI" {
                normalize_name(Ecosystem::PyPi, &p.name)
            } else {
                p.name.clone()
            };
            keys.insert((eco, norm));
        }
        let ecosystems: HashSet<&String> = keys.iter().map(|(e, _)| e).collect();
        for eco in ecosystems {
            let snap = self.ecosystems.entry(eco.clone()).or_default();
            snap.records += 1;
            if modified > snap.newest {
                snap.newest = modified;
            }
        }
        for k in keys {
            self.by_package.entry(k).or_default().push(record.clone());
        }
        self.by_id.insert(record.id.clone(), record);
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Files or entries that could not be used, with the reason.
    pub fn skipped(&self) -> &[(String, String)] {
        &self.skipped
    }

    pub fn covers(&self, eco: Ecosystem) -> bool {
        eco.osv_name()
            .is_some_and(|e| self.ecosystems.contains_key(e))
    }

    /// What the database holds for an ecosystem.
    pub fn snapshot(&self, eco: Ecosystem) -> Option<&EcosystemSnapshot> {
        self.ecosystems.get(eco.osv_name()?)
    }

    /// How far the database can be trusted for an ecosystem at `now`: the
    /// whole export, no older than `max_age_days`, is complete.
    pub fn coverage(
        &self,
        eco: Ecosystem,
        now: time::OffsetDateTime,
        max_age_days: i64,
    ) -> super::Coverage {
        use super::Coverage;
        let name = eco.osv_name().unwrap_or("");
        let Some(snap) = self.snapshot(eco) else {
            return Coverage::Partial(format!("it holds no {name} records"));
        };
        if !self.whole_exports.contains(name) {
            return Coverage::Partial(format!(
                "it is not {name}'s whole export ({name}/all.zip): {} {name} records, which cannot show that an advisory is absent",
                snap.records
            ));
        }
        match snap.newest {
            None => Coverage::Stale(format!(
                "no {name} record carries a modified time, so its age is unknown"
            )),
            Some(t) if (now - t).whole_days() > max_age_days => Coverage::Stale(format!(
                "its newest {name} record is from {}, {} days before this run, over the {max_age_days}-day limit ([assessment] max_osv_db_age_days)",
                t.date(),
                (now - t).whole_days()
            )),
            Some(_) => Coverage::Complete,
        }
    }

    pub fn get(&self, id: &str) -> Option<&OsvRecord> {
        self.by_id.get(id).map(|r| r.as_ref())
    }

    pub fn query(&self, eco: Ecosystem, name: &str, version: &str) -> Query {
        let mut q = Query::default();
        let Some(e) = eco.osv_name() else { return q };
        let key = (e.to_string(), normalize_name(eco, name));
        for r in self.by_package.get(&key).into_iter().flatten() {
            if r.is_withdrawn() {
                continue;
            }
            match r.affects(eco, name, version) {
                Verdict::Affected => q.affected.push(r.to_vulnerability(eco, name)),
                Verdict::Unknown(why) => q.undecided.push((r.id.clone(), why)),
                Verdict::NotAffected => {}
            }
        }
        q.affected.sort_by(|a, b| a.id.cmp(&b.id));
        q
    }
}
