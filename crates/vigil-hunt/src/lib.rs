//! Hunting with Sigma rules over files: Windows event logs (EVTX), JSON
//! (lines, objects one after another, arrays), and gzip and zip archives
//! of them, told apart by their content.
//!
//! Events are streamed: one at a time from disk through the parser and the
//! compiled rule set, so memory does not grow with the size of the input.
//! JSON is read by the fast [`vigil_detect::JsonParser`]; EVTX records by
//! the `evtx` crate into the same nested JSON shape (`Event.System`,
//! `Event.EventData`) that `evtx_dump` writes, so an EVTX record matches
//! the same rules as its JSON twin.
//!
//! ```no_run
//! use vigil_detect::{LoadOptions, RuleSet};
//! use vigil_hunt::{Hunter, HuntOptions, HuntObserver, Hit};
//!
//! struct Print;
//! impl HuntObserver for Print {
//!     fn hit(&mut self, hit: Hit) {
//!         println!("{} {}", hit.rule.title, hit.origin);
//!     }
//! }
//! let rules = RuleSet::load_dirs(&["rules".into()], &LoadOptions::default())?.ruleset;
//! let mut hunter = Hunter::new(&rules, HuntOptions::default());
//! hunter.hunt_path("logs".as_ref(), &mut Print)?;
//! println!("{} events", hunter.stats().events);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

pub mod correlate;
mod input;
mod json_stream;
mod parallel;
mod run;

use std::path::PathBuf;
use std::sync::Arc;

pub use correlate::{AlertEvent, CorrelationAlert, CorrelationOptions, CorrelationStats};
pub use input::InputKind;
pub use parallel::{default_threads, hunt_files};
pub use run::{Hunter, files_under};
use vigil_detect::RuleMeta;

/// How a hunt reads its input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HuntOptions {
    /// The product the events come from, as a rule's `logsource.product`
    /// names it (`windows`, `linux` …); empty when unknown. Windows events
    /// are recognised by their own fields (`Channel`, `EventID`) whatever
    /// this says.
    pub product: String,
    /// A JSON object larger than this is skipped (and reported), so that
    /// memory stays bounded.
    pub max_event_bytes: usize,
    /// Archives inside archives are opened down to this depth.
    pub max_archive_depth: usize,
}

impl Default for HuntOptions {
    fn default() -> Self {
        HuntOptions {
            product: String::new(),
            max_event_bytes: 64 << 20,
            max_archive_depth: 4,
        }
    }
}

/// One event that matched one rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The rule that matched.
    pub rule: Arc<RuleMeta>,
    /// Where the event is: the file, and the archive member after `!`.
    pub origin: Arc<str>,
    /// Where in its origin: the byte offset of a JSON object, or the
    /// record number of an EVTX record.
    pub position: Position,
    /// The event's time, as written (`UtcTime`, `@timestamp`,
    /// `TimeCreated.SystemTime` …), when it has one.
    pub time: Option<String>,
    /// The host the event is from (`Computer`, `Hostname` …), when known.
    pub host: Option<String>,
    /// The fields worth showing: the rule's own `fields`, else the common
    /// ones the event has (image, command line, target …), as text.
    pub fields: Vec<(String, String)>,
    /// The selections and the event's values that made the rule match.
    pub matched: vigil_detect::MatchDetail,
}

/// Where an event is within its origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// The byte offset of a JSON object in its (decompressed) stream.
    Offset(u64),
    /// The record id of an EVTX record.
    Record(u64),
}

/// Something in the input that could not be read; the hunt goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file, and the archive member after `!`.
    pub origin: String,
    /// Where in it, when known.
    pub position: Option<Position>,
    /// What was wrong.
    pub message: String,
}

/// What a hunt reports as it goes. Every method but [`Self::hit`] has a
/// default that ignores the report.
pub trait HuntObserver {
    /// An event matched a rule.
    fn hit(&mut self, hit: Hit);
    /// `bytes` of input files have been read so far, in all.
    fn progress(&mut self, bytes: u64) {
        let _ = bytes;
    }
    /// Something could not be read.
    fn problem(&mut self, problem: Problem) {
        let _ = problem;
    }
    /// A correlation rule held (reported once every file is read, by
    /// [`Hunter::finish_correlations`]).
    fn correlation(&mut self, alert: CorrelationAlert) {
        let _ = alert;
    }
    /// Whether the hunt should take no further files (say, the output is
    /// gone); checked after each file.
    fn stopped(&self) -> bool {
        false
    }
}

/// Counts of a hunt so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HuntStats {
    /// Files opened.
    pub files: u64,
    /// Archive members read.
    pub members: u64,
    /// Events matched against the rules.
    pub events: u64,
    /// Bytes of those events as JSON (decompressed; for EVTX, as rendered).
    pub event_bytes: u64,
    /// Bytes of input files read from disk.
    pub input_bytes: u64,
    /// Detections (one event matching one rule).
    pub hits: u64,
    /// Events that could not be read.
    pub unreadable_events: u64,
    /// Files and archive members that hold no events a hunt reads.
    pub skipped_inputs: u64,
}

/// Why a hunt could not go on.
#[derive(Debug, thiserror::Error)]
pub enum HuntError {
    /// A path given to the hunt could not be read.
    #[error("cannot read {path}: {source}")]
    Path {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The binding a hunt's events are correlated under is not valid.
    #[error("cannot correlate: {0}")]
    Correlation(#[from] vigil_model::IdError),
}
