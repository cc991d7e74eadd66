//! The terminal: messages on stderr, results on stdout, progress bars on a
//! terminal (a line every few seconds elsewhere).

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tacos_sbom::assess;
use tacos_sbom::enrich::{Event, Reporter};
use tacos_sbom::term::{escape, escape_json};

/// The progress of one phase.
struct Phase {
    name: String,
    bar: Option<indicatif::ProgressBar>,
    started: Instant,
    last_line: Instant,
}

/// Messages on stderr, results on stdout, progress on a terminal.
pub(super) struct Ui {
    quiet: bool,
    verbose: bool,
    interactive: bool,
    phase: Mutex<Option<Phase>>,
    /// Set once stdout's reader has gone (`| head`): further output is
    /// dropped, the command finishes and its exit code still says how the
    /// checks went.
    stdout_closed: AtomicBool,
}

impl Ui {
    pub(super) fn new(quiet: bool, verbose: bool) -> Ui {
        Ui {
            quiet,
            verbose,
            interactive: std::io::stderr().is_terminal(),
            phase: Mutex::new(None),
            stdout_closed: AtomicBool::new(false),
        }
    }

    /// A message for a person watching; none with -q.
    pub(super) fn say(&self, msg: &str) {
        if !self.quiet {
            self.emit(msg);
        }
    }

    /// Detail only asked for with -v.
    pub(super) fn detail(&self, msg: &str) {
        if self.verbose {
            self.emit(msg);
        }
    }

    /// An error or a warning: printed even with -q.
    pub(super) fn warn(&self, msg: &str) {
        self.emit(msg);
    }

    /// Every line on stderr goes through here, and so through `escape`:
    /// messages echo names, PURLs, paths and upstream text from input.
    fn emit(&self, msg: &str) {
        let msg = escape(msg);
        match self
            .phase
            .lock()
            .expect("progress lock")
            .as_ref()
            .and_then(|p| p.bar.as_ref())
        {
            Some(bar) => bar.println(msg),
            None => {
                let _ = writeln!(std::io::stderr().lock(), "{msg}");
            }
        }
    }

    /// Bytes on stdout, as they are (callers escape what they print).
    pub(super) fn out_raw(&self, bytes: &[u8]) {
        if self.stdout_closed.load(Ordering::Relaxed) {
            return;
        }
        let mut out = std::io::stdout().lock();
        if let Err(e) = out.write_all(bytes).and_then(|()| out.flush()) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                self.stdout_closed.store(true, Ordering::Relaxed);
            } else {
                self.warn(&format!("error: cannot write to standard output: {e}"));
                self.stdout_closed.store(true, Ordering::Relaxed);
            }
        }
    }

    /// A result line on stdout (`FAIL ...`), escaped like the rest.
    pub(super) fn out(&self, msg: &str) {
        self.out_raw(format!("{}\n", escape(msg)).as_bytes());
    }

    /// JSON on stdout, safe on a terminal.
    pub(super) fn out_json(&self, value: &serde_json::Value) {
        let text = serde_json::to_string_pretty(value).expect("JSON serializes");
        self.out_raw(format!("{}\n", escape_json(&text)).as_bytes());
    }

    pub(super) fn finish(&self) {
        if let Some(p) = self.phase.lock().expect("progress lock").take()
            && let Some(bar) = p.bar
        {
            bar.finish_and_clear();
        }
    }

    /// Start a phase: a line, then (on a terminal) a bar with count, rate
    /// and ETA once it has a count.
    fn start_phase(&self, name: &str, message: &str) {
        self.finish();
        if self.quiet {
            return;
        }
        self.emit(message);
        let now = Instant::now();
        *self.phase.lock().expect("progress lock") = Some(Phase {
            name: name.to_string(),
            bar: None,
            started: now,
            last_line: now,
        });
    }

    /// `done` of `total` in phase `name`: a bar on a terminal, a plain line
    /// every few seconds otherwise, nothing with -q.
    pub(super) fn count(&self, name: &str, done: usize, total: usize) {
        if self.quiet || total == 0 {
            return;
        }
        let mut guard = self.phase.lock().expect("progress lock");
        if guard.as_ref().is_none_or(|p| p.name != name) {
            let now = Instant::now();
            if let Some(bar) = guard.take().and_then(|p| p.bar) {
                bar.finish_and_clear();
            }
            *guard = Some(Phase {
                name: name.to_string(),
                bar: None,
                started: now,
                last_line: now,
            });
        }
        let phase = guard.as_mut().expect("set above");
        if self.interactive {
            let bar = phase.bar.get_or_insert_with(|| {
                let bar = indicatif::ProgressBar::new(total as u64);
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{prefix:>12} {bar:30} {pos}/{len} {per_sec} eta {eta}",
                    )
                    .expect("static template"),
                );
                bar.set_prefix(name.to_string());
                bar
            });
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        } else if phase.last_line.elapsed() >= Duration::from_secs(5) && done < total {
            let elapsed = phase.started.elapsed().as_secs_f64().max(0.001);
            let rate = done as f64 / elapsed;
            let eta = if rate > 0.0 {
                (total - done) as f64 / rate
            } else {
                0.0
            };
            phase.last_line = Instant::now();
            let _ = writeln!(
                std::io::stderr().lock(),
                "  {name}: {done}/{total} ({rate:.1}/s, about {eta:.0}s left)"
            );
        }
    }
}

impl Reporter for Ui {
    fn note(&self, message: &str) {
        if message.starts_with("signing ") {
            self.start_phase("signing", message);
        } else {
            self.say(message);
        }
    }

    fn progress(&self, phase: &str, done: usize, total: usize) {
        self.count(phase, done, total);
    }

    fn event(&self, event: &Event<'_>) {
        super::jobs::show_event(event, self);
    }
}

impl assess::gather::Progress for Ui {
    fn phase(&self, message: &str) {
        self.start_phase(message, message);
    }

    fn progress(&self, phase: &str, done: usize, total: usize) {
        self.count(phase, done, total);
    }
}
