//! The decided statements of a run, by canonical PURL, as the JSON they are
//! signed as: held in memory, or (with many SBOMs) written to a scratch
//! file as they are decided and read back when signed and when each SBOM's
//! report quotes them. A bulk run over 100,000 packages would otherwise
//! hold ~600 MB of statements until its last report is written.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::sync::Mutex;

use crate::tacos::StatementJson;

/// See the module documentation. `Default` holds them in memory.
#[derive(Default)]
pub struct Statements {
    held: HashMap<String, Held>,
    spill: Option<Spill>,
    /// Why the scratch file stopped taking statements: the later ones are
    /// held in memory, and those written before are read back if they
    /// reach the file when it is sealed (else sealing fails).
    spill_failed: Option<String>,
}

enum Held {
    Here(StatementJson),
    /// Bytes `at..at + len` of the scratch file.
    There {
        at: u64,
        len: usize,
    },
}

enum Spill {
    /// Appending; `end` is where the next statement goes.
    Writing { out: BufWriter<File>, end: u64 },
    /// Read by the signing threads, one at a time (a read is a copy of a
    /// few KB from the page cache, a signature ~100 µs).
    Reading(Mutex<File>),
}

impl Statements {
    /// Statements written to an unnamed file in the temporary directory
    /// (`TMPDIR`), which the system removes when the run ends however it
    /// ends. On a tmpfs the file is memory too, outside the process's own.
    pub fn spilled() -> std::io::Result<Statements> {
        Ok(Statements::spilled_to(tempfile::tempfile()?))
    }

    fn spilled_to(file: File) -> Statements {
        Statements {
            spill: Some(Spill::Writing {
                out: BufWriter::with_capacity(256 * 1024, file),
                end: 0,
            }),
            ..Default::default()
        }
    }

    pub fn with_capacity(n: usize) -> Statements {
        Statements {
            held: HashMap::with_capacity(n),
            ..Default::default()
        }
    }

    /// Keep `statement` for `canonical` (replacing one kept before).
    pub fn insert(&mut self, canonical: String, statement: StatementJson) {
        let held = match &mut self.spill {
            Some(Spill::Writing { out, end }) if self.spill_failed.is_none() => {
                let bytes = statement.as_str().as_bytes();
                match out.write_all(bytes) {
                    Ok(()) => {
                        let held = Held::There {
                            at: *end,
                            len: bytes.len(),
                        };
                        *end += bytes.len() as u64;
                        held
                    }
                    Err(e) => {
                        // The part of it written out is never read.
                        self.spill_failed = Some(e.to_string());
                        Held::Here(statement)
                    }
                }
            }
            _ => Held::Here(statement),
        };
        self.held.insert(canonical, held);
    }

    pub fn contains(&self, canonical: &str) -> bool {
        self.held.contains_key(canonical)
    }

    /// Whether statements go to (and come from) the scratch file.
    pub fn kept_in_file(&self) -> bool {
        self.spill.is_some()
    }

    pub fn len(&self) -> usize {
        self.held.len()
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// Why statements are held in memory after all, if writing to the
    /// scratch file failed.
    pub fn spill_failed(&self) -> Option<&str> {
        self.spill_failed.as_deref()
    }

    /// Done inserting: what is buffered goes to the file, which is read
    /// from now on. Fails if statements written out did not reach it.
    pub(super) fn seal(&mut self) -> std::io::Result<()> {
        self.spill = match self.spill.take() {
            Some(Spill::Writing { out, .. }) => {
                let file = out.into_inner().map_err(|e| e.into_error())?;
                Some(Spill::Reading(Mutex::new(file)))
            }
            other => other,
        };
        Ok(())
    }

    /// The statement of `canonical`, read back if it was written out.
    /// Only after [`seal`](Self::seal).
    pub(super) fn get(&self, canonical: &str) -> std::io::Result<Option<Cow<'_, StatementJson>>> {
        let (at, len) = match self.held.get(canonical) {
            None => return Ok(None),
            Some(Held::Here(s)) => return Ok(Some(Cow::Borrowed(s))),
            Some(Held::There { at, len }) => (*at, *len),
        };
        let Some(Spill::Reading(file)) = &self.spill else {
            return Err(std::io::Error::other(
                "statements read back before they were all written out",
            ));
        };
        let mut bytes = vec![0; len];
        {
            let mut file = file.lock().unwrap_or_else(|p| p.into_inner());
            file.seek(SeekFrom::Start(at))?;
            file.read_exact(&mut bytes)?;
        }
        let text = String::from_utf8(bytes).map_err(std::io::Error::other)?;
        StatementJson::read_back(text)
            .map(|s| Some(Cow::Owned(s)))
            .map_err(std::io::Error::other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tacos::{Evidence, ReasonCode, Statement};

    fn statement(name: &str) -> StatementJson {
        let purl = format!("pkg:npm/{name}@1.0.0");
        let mut s = Statement::blank(
            name.into(),
            "npm".into(),
            purl,
            &Evidence::new("tacos-sbom", ReasonCode::NotAssessed, "not assessed"),
        );
        s.releases_in_use = vec!["1.0.0".into()];
        StatementJson::new(&s)
    }

    #[test]
    fn spilled_statements_read_back_as_the_same_bytes_as_held_ones() {
        let mut here = Statements::default();
        let mut there = Statements::spilled().unwrap();
        let names: Vec<String> = (0..500).map(|i| format!("p{i}")).collect();
        for n in &names {
            here.insert(n.clone(), statement(n));
            there.insert(n.clone(), statement(n));
        }
        // The later one replaces the first, in either.
        here.insert("p7".into(), statement("again"));
        there.insert("p7".into(), statement("again"));
        assert!(there.get("p1").is_err(), "read before sealing");
        here.seal().unwrap();
        there.seal().unwrap();
        assert_eq!(there.len(), 500);
        assert!(there.spill_failed().is_none());
        assert!(matches!(there.held["p1"], Held::There { .. }));
        for n in &names {
            let (a, b) = (
                here.get(n).unwrap().unwrap(),
                there.get(n).unwrap().unwrap(),
            );
            assert_eq!(a.as_str(), b.as_str(), "{n}");
            assert!(matches!(b, Cow::Owned(_)));
        }
        assert!(there.get("p7").unwrap().unwrap().as_str().contains("again"));
        assert!(there.get("absent").unwrap().is_none());
    }

    /// A scratch file that stops taking writes (here: opened for reading
    /// only, as a full disk would refuse them): the statements after it
    /// are held, and sealing fails rather than reading back what never
    /// reached the file.
    #[test]
    fn a_scratch_file_that_fails_is_reported_not_read() {
        let tmp = tempfile::NamedTempFile::new().unwrap();
        let read_only = File::open(tmp.path()).unwrap();
        let mut statements = Statements::spilled_to(read_only);
        // More than the write buffer holds, so writes reach the file.
        for i in 0..200 {
            let name = format!("p{i}");
            statements.insert(name.clone(), statement(&name));
        }
        let why = statements.spill_failed().expect("a failed write is told");
        assert!(!why.is_empty());
        assert!(matches!(statements.held["p199"], Held::Here(_)));
        assert!(matches!(statements.held["p0"], Held::There { .. }));
        assert!(statements.seal().is_err());
    }
}
