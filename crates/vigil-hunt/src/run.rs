//! The run loop: files and folders, archives, streams, events, rules.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use vigil_correlate::CorrelationSet;
use vigil_detect::{Detection, Document, EventLogSource, JsonParser, RuleMeta, RuleSet};
use vigil_model::EventClass;

use crate::correlate::{CorrelationAlert, CorrelationStats, EventFields, HuntCorrelation};
use crate::input::{Counting, InputKind, READ_BUFFER, json_lines_after_junk, peek};
use crate::json_stream::{At, StreamProblem, for_each_object};
use crate::{
    CorrelationOptions, Hit, HuntError, HuntObserver, HuntOptions, HuntStats, Position, Problem,
};

/// Where an event's time is written, in order of preference.
const TIME_FIELDS: &[&str] = &[
    "UtcTime",
    "TimeCreated_SystemTime",
    "@timestamp",
    "EventTime",
    "TimeCreated",
    "timestamp",
    "time",
];

/// Where an event's host is written, in order of preference.
const HOST_FIELDS: &[&str] = &["Computer", "Hostname", "ComputerName", "hostname", "host"];

/// A stream's unreadable lines are reported once, naming this many.
const UNREADABLE_LINES_NAMED: usize = 5;

/// Fields shown with a detection when its rule names none.
const KEY_FIELDS: &[&str] = &[
    "EventID",
    "Image",
    "CommandLine",
    "ParentImage",
    "TargetImage",
    "TargetObject",
    "TargetFilename",
    "ImageLoaded",
    "QueryName",
    "DestinationIp",
    "ServiceName",
    "TargetUserName",
    "SubjectUserName",
    "ScriptBlockText",
];

/// Runs a rule set over files, one event at a time.
#[derive(Debug)]
pub struct Hunter<'r> {
    rules: &'r RuleSet,
    options: HuntOptions,
    parser: JsonParser,
    stats: HuntStats,
    detections: Vec<Detection>,
    /// Bytes read from files on disk so far.
    read: Rc<Cell<u64>>,
    reported: u64,
    /// Correlation rules, when the hunt runs some.
    correlation: Option<HuntCorrelation>,
}

impl<'r> Hunter<'r> {
    /// A hunter running `rules`.
    pub fn new(rules: &'r RuleSet, options: HuntOptions) -> Self {
        Hunter {
            rules,
            options,
            parser: JsonParser::new(),
            stats: HuntStats::default(),
            detections: Vec::new(),
            read: Rc::new(Cell::new(0)),
            reported: 0,
            correlation: None,
        }
    }

    /// The counts so far.
    pub fn stats(&self) -> HuntStats {
        HuntStats {
            input_bytes: self.read.get(),
            ..self.stats
        }
    }

    /// Evaluates the correlation rules of `set` too (see
    /// [`crate::correlate`]): detections of the rules they keep silent are
    /// no longer reported, and [`Self::finish_correlations`] reports their
    /// alerts once every file is read.
    pub fn correlate(
        &mut self,
        set: Arc<CorrelationSet>,
        options: CorrelationOptions,
    ) -> Result<(), HuntError> {
        self.correlation = Some(HuntCorrelation::new(set, &self.options.product, options)?);
        Ok(())
    }

    /// Evaluates the correlations over every event read, in time order, and
    /// reports their alerts to `observer`, oldest window first.
    pub fn finish_correlations(&mut self, observer: &mut impl HuntObserver) {
        let alerts: Vec<CorrelationAlert> = self
            .correlation
            .as_mut()
            .map(HuntCorrelation::finish)
            .unwrap_or_default();
        for alert in alerts {
            observer.correlation(alert);
        }
    }

    /// What correlating has counted (all zero without correlations).
    pub fn correlation_stats(&self) -> CorrelationStats {
        self.correlation
            .as_ref()
            .map(HuntCorrelation::stats)
            .unwrap_or_default()
    }

    /// Hunts through a file, or every file under a folder in path order.
    /// Fails only when `path` cannot be walked; a file that cannot be read
    /// is reported to `observer` and skipped.
    pub fn hunt_path(
        &mut self,
        path: &Path,
        observer: &mut impl HuntObserver,
    ) -> Result<(), HuntError> {
        for (file, _) in files_under(&[path.to_path_buf()])? {
            self.hunt_file(&file, observer);
        }
        Ok(())
    }

    /// Hunts through one file.
    pub fn hunt_file(&mut self, path: &Path, observer: &mut impl HuntObserver) {
        let origin = path.display().to_string();
        self.stats.files += 1;
        let file = match File::open(path) {
            Ok(file) => file,
            Err(e) => return self.problem(observer, &origin, None, e.to_string()),
        };
        let mut reader =
            BufReader::with_capacity(READ_BUFFER, Counting::new(file, Rc::clone(&self.read)));
        let result = match peek(&mut reader).map(|head| InputKind::sniff(&head)) {
            Err(e) => Err(e),
            Ok(Some(kind @ (InputKind::Evtx | InputKind::Zip))) => {
                self.seekable(&origin, reader, kind, 0, observer)
            }
            Ok(_) => self.stream(&origin, &mut reader, 0, observer),
        };
        if let Err(e) = result {
            self.problem(observer, &origin, None, e.to_string());
        }
        self.report_progress(observer);
    }

    /// Hunts through a stream: JSON, gzip, or (spooled to a temporary
    /// file, since they need seeking) EVTX and zip.
    pub fn hunt_reader(
        &mut self,
        origin: &str,
        reader: impl Read,
        observer: &mut impl HuntObserver,
    ) -> io::Result<()> {
        self.stream(
            origin,
            &mut BufReader::with_capacity(READ_BUFFER, reader),
            0,
            observer,
        )
    }

    /// Reads a stream of any kind; dynamic, since archives nest.
    fn stream(
        &mut self,
        origin: &str,
        reader: &mut dyn BufRead,
        depth: usize,
        observer: &mut impl HuntObserver,
    ) -> io::Result<()> {
        let head = peek(reader)?;
        match InputKind::sniff(&head) {
            Some(InputKind::Json) => self.json(origin, reader, observer),
            Some(InputKind::Gzip) if depth < self.options.max_archive_depth => {
                let mut inner = BufReader::with_capacity(
                    READ_BUFFER,
                    flate2::bufread::MultiGzDecoder::new(reader),
                );
                self.stream(origin, &mut inner, depth + 1, observer)
            }
            Some(kind @ (InputKind::Evtx | InputKind::Zip))
                if depth < self.options.max_archive_depth =>
            {
                let mut spool = tempfile::tempfile()?;
                io::copy(reader, &mut spool)?;
                spool.rewind()?;
                self.seekable(origin, BufReader::new(spool), kind, depth, observer)
            }
            Some(kind) => {
                self.stats.skipped_inputs += 1;
                self.problem(
                    observer,
                    origin,
                    None,
                    format!(
                        "{} nested deeper than {}",
                        kind.as_str(),
                        self.options.max_archive_depth
                    ),
                );
                Ok(())
            }
            None if {
                let head = reader.fill_buf()?;
                json_lines_after_junk(head, &mut self.parser)
            } =>
            {
                self.json(origin, reader, observer)
            }
            None => {
                self.stats.skipped_inputs += 1;
                self.problem(
                    observer,
                    origin,
                    None,
                    "not an event file (EVTX, JSON, gzip or zip)".to_owned(),
                );
                Ok(())
            }
        }
    }

    fn seekable<R: Read + Seek>(
        &mut self,
        origin: &str,
        reader: R,
        kind: InputKind,
        depth: usize,
        observer: &mut impl HuntObserver,
    ) -> io::Result<()> {
        match kind {
            InputKind::Zip => self.zip(origin, reader, depth, observer),
            _ => self.evtx(origin, reader, observer),
        }
    }

    fn zip<R: Read + Seek>(
        &mut self,
        origin: &str,
        reader: R,
        depth: usize,
        observer: &mut impl HuntObserver,
    ) -> io::Result<()> {
        let mut archive = zip::ZipArchive::new(reader).map_err(io::Error::other)?;
        for i in 0..archive.len() {
            let entry = match archive.by_index(i) {
                Ok(entry) => entry,
                Err(e) => {
                    self.problem(observer, origin, None, format!("member {i}: {e}"));
                    continue;
                }
            };
            if entry.is_dir() {
                continue;
            }
            let name = entry
                .name()
                .map_or_else(|_| format!("member {i}"), |n| n.into_owned());
            let member = format!("{origin}!{name}");
            self.stats.members += 1;
            let mut entry = BufReader::with_capacity(READ_BUFFER, entry);
            if let Err(e) = self.stream(&member, &mut entry, depth + 1, observer) {
                self.problem(observer, &member, None, e.to_string());
            }
        }
        Ok(())
    }

    fn evtx<R: Read + Seek>(
        &mut self,
        origin: &str,
        reader: R,
        observer: &mut impl HuntObserver,
    ) -> io::Result<()> {
        let settings = evtx::ParserSettings::default()
            .num_threads(1)
            .separate_json_attributes(false)
            .indent(false);
        let mut parser = evtx::EvtxParser::from_read_seek(reader)
            .map_err(io::Error::other)?
            .with_configuration(settings);
        let origin: Arc<str> = origin.into();
        let mut json = std::mem::take(&mut self.parser);
        for record in parser.records_json() {
            match record {
                Ok(record) => {
                    let position = Position::Record(record.event_record_id);
                    match json.parse(record.data.as_bytes()) {
                        Ok(doc) => {
                            self.stats.event_bytes += record.data.len() as u64;
                            self.on_event(&doc, &origin, position, observer);
                        }
                        Err(e) => {
                            self.stats.unreadable_events += 1;
                            self.problem(observer, &origin, Some(position), e.to_string());
                        }
                    }
                }
                Err(e) => {
                    self.stats.unreadable_events += 1;
                    self.problem(observer, &origin, None, e.to_string());
                }
            }
        }
        self.parser = json;
        Ok(())
    }

    fn json(
        &mut self,
        origin: &str,
        reader: impl Read,
        observer: &mut impl HuntObserver,
    ) -> io::Result<()> {
        let origin: Arc<str> = origin.into();
        let mut parser = std::mem::take(&mut self.parser);
        // The first few problems, and how many there were.
        let mut problems: Vec<(At, StreamProblem)> = Vec::new();
        let mut unreadable: u64 = 0;
        let result = for_each_object(
            reader,
            &mut parser,
            self.options.max_event_bytes,
            |doc, offset| {
                self.stats.event_bytes += doc.text_len() as u64;
                self.on_event(doc, &origin, Position::Offset(offset), observer);
            },
            |at, problem| {
                unreadable += 1;
                if problems.len() < UNREADABLE_LINES_NAMED {
                    problems.push((at, problem));
                }
            },
        );
        self.parser = parser;
        self.stats.unreadable_events += unreadable;
        if unreadable > 0 {
            let message = unreadable_message(unreadable, &problems, self.options.max_event_bytes);
            self.problem(observer, &origin, None, message);
        }
        result
    }

    fn on_event<D: Document + EventFields>(
        &mut self,
        doc: &D,
        origin: &Arc<str>,
        position: Position,
        observer: &mut impl HuntObserver,
    ) {
        self.stats.events += 1;
        let source = EventLogSource::derive(doc, &self.options.product, EventClass::Other);
        self.detections.clear();
        self.rules
            .detect_document(doc, &source, &mut self.detections);
        if let Some(correlation) = self.correlation.as_mut() {
            correlation.observe(doc, &mut self.detections, origin, position);
        }
        for detection in self.detections.drain(..) {
            self.stats.hits += 1;
            let fields = key_fields(doc, &detection.rule);
            observer.hit(Hit {
                origin: Arc::clone(origin),
                position,
                time: TIME_FIELDS.iter().find_map(|f| text_of(doc, f)),
                host: HOST_FIELDS.iter().find_map(|f| text_of(doc, f)),
                fields,
                rule: detection.rule,
                matched: detection.matched,
            });
        }
        if self.stats.events.is_multiple_of(4096) {
            self.report_progress(observer);
        }
    }

    fn report_progress(&mut self, observer: &mut impl HuntObserver) {
        let read = self.read.get();
        if read != self.reported {
            self.reported = read;
            observer.progress(read);
        }
    }

    fn problem(
        &mut self,
        observer: &mut impl HuntObserver,
        origin: &str,
        position: Option<Position>,
        message: String,
    ) {
        observer.problem(Problem {
            origin: origin.to_owned(),
            position,
            message,
        });
    }
}

/// One report for a stream's unreadable lines: how many, and the first
/// few by line number with what was wrong.
fn unreadable_message(count: u64, first: &[(At, StreamProblem)], max_event_bytes: usize) -> String {
    let named: Vec<String> = first
        .iter()
        .map(|(at, problem)| {
            let what = match problem {
                StreamProblem::Invalid(e) => format!("not JSON: {e} of the line"),
                StreamProblem::TooLarge => {
                    format!("an object larger than {max_event_bytes} bytes")
                }
            };
            format!("line {} ({what})", at.line)
        })
        .collect();
    let more = if count > first.len() as u64 {
        format!(", and {} more", count - first.len() as u64)
    } else {
        String::new()
    };
    let plural = if count == 1 { "" } else { "s" };
    format!(
        "{count} unreadable line{plural}, the rest read: {}{more}",
        named.join(", ")
    )
}

/// The text of a field: its scalars, joined by `, `.
fn text_of<D: Document>(doc: &D, name: &str) -> Option<String> {
    let value = doc.field(name)?;
    let mut out = String::new();
    let mut buf = String::new();
    value.any_scalar(&mut |s| {
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push_str(s.text(&mut buf));
        false
    });
    (!out.is_empty()).then_some(out)
}

fn key_fields<D: Document>(doc: &D, rule: &RuleMeta) -> Vec<(String, String)> {
    let names: Vec<&str> = if rule.fields.is_empty() {
        KEY_FIELDS.to_vec()
    } else {
        rule.fields.iter().map(String::as_str).collect()
    };
    names
        .into_iter()
        .filter_map(|name| text_of(doc, name).map(|text| (name.to_owned(), text)))
        .collect()
}

/// Every file under `paths` (a path may be a file), in path order, with
/// its size.
pub fn files_under(paths: &[PathBuf]) -> Result<Vec<(PathBuf, u64)>, HuntError> {
    let mut files = Vec::new();
    for root in paths {
        let walk = walkdir::WalkDir::new(root).sort_by_file_name();
        for entry in walk {
            let entry = entry.map_err(|e| HuntError::Path {
                path: e.path().map_or_else(|| root.clone(), Path::to_path_buf),
                source: e
                    .into_io_error()
                    .unwrap_or_else(|| io::Error::other("folder loop")),
            })?;
            if entry.file_type().is_file() {
                let size = entry.metadata().map_or(0, |m| m.len());
                files.push((entry.into_path(), size));
            }
        }
    }
    Ok(files)
}
