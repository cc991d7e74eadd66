//! An offline OSV database, loaded once into an index: a directory of OSV
//! JSON records (per ecosystem, searched recursively), OSV's per-ecosystem
//! `all.zip`, or a directory holding such zips. Hostile archives are bounded
//! (entry count, entry size, total size); names inside archives are never
//! used as paths.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::model::{Ecosystem, Vulnerability};
use super::osv_record::{OsvRecord, Verdict, base_ecosystem, normalize_name};

const MAX_ZIP_ENTRIES: usize = 1_000_000;
const MAX_ENTRY_BYTES: u64 = 16 << 20;
const MAX_TOTAL_BYTES: u64 = 4 << 30;
const MAX_DEPTH: usize = 8;

pub struct OsvDb {
    by_package: HashMap<(String, String), Vec<Arc<OsvRecord>>>,
    by_id: HashMap<String, Arc<OsvRecord>>,
    ecosystems: HashSet<String>,
    skipped: Vec<(String, String)>,
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
            ecosystems: HashSet::new(),
            skipped: Vec::new(),
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
                match std::fs::read(&p) {
                    Ok(bytes) => self.add(&p.display().to_string(), &bytes),
                    Err(e) => self.skipped.push((p.display().to_string(), e.to_string())),
                }
            }
        }
        Ok(())
    }

    fn load_zip(&mut self, path: &Path, total: &mut u64) -> Result<(), String> {
        let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
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
        let mut keys = HashSet::new();
        for a in &record.affected {
            let Some(p) = &a.package else { continue };
            let eco = base_ecosystem(&p.ecosystem).to_string();
            self.ecosystems.insert(eco.clone());
            let norm = if eco == "PyPI" {
                normalize_name(Ecosystem::PyPi, &p.name)
            } else {
                p.name.clone()
            };
            keys.insert((eco, norm));
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
        eco.osv_name().is_some_and(|e| self.ecosystems.contains(e))
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
