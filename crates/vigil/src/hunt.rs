//! `vigil hunt`: Sigma rules over files and folders (EVTX, JSON, JSON
//! lines, gzip and zip of them), with a progress bar, detections as a table
//! or JSON lines, and a summary per rule. Correlation rules are evaluated
//! over the detections, in event time (see `vigil_hunt::correlate`), and
//! their alerts shown after the detections.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use vigil_correlate::CorrelationSet;
use vigil_detect::pipeline::Pipeline;
use vigil_detect::{CacheUse, Detector as _, LoadOptions, RuleCache, RuleMeta, RuleSet};
use vigil_hunt::{
    CorrelationAlert, CorrelationOptions, CorrelationStats, Hit, HuntObserver, HuntOptions, Hunter,
    Position, Problem, files_under,
};
use vigil_model::{Clock as _, SystemClock};

use crate::hunt_correlation::{self, CorrelationCounts};

/// `vigil hunt --rules DIR [--pipeline P] PATH...`
#[derive(Debug, Args)]
pub struct HuntArgs {
    /// Folders (or files) of Sigma rules; may be given more than once.
    #[arg(long, required = true)]
    rules: Vec<PathBuf>,
    /// A processing pipeline (field mappings) applied to the rules: a
    /// built-in pipeline's name or a pipeline YAML file; may be repeated.
    #[arg(long)]
    pipeline: Vec<String>,
    /// A value for an `expand` placeholder, as `NAME=VALUE` (the name with
    /// or without its `%`s); repeat for more values or names.
    #[arg(long, value_name = "NAME=VALUE")]
    placeholder: Vec<String>,
    /// The product the events come from (a rule's `logsource.product`),
    /// for events that do not say; Windows events say by their fields.
    #[arg(long, default_value = "")]
    product: String,
    /// Print detections as JSON lines instead of a table.
    #[arg(long)]
    json: bool,
    /// Print figures at the end: events, events/s, MB/s, peak memory.
    #[arg(long)]
    stats: bool,
    /// Never draw a progress bar.
    #[arg(long)]
    no_progress: bool,
    /// Files hunted at once (one thread each); 0: one per core. Detections
    /// come out in the same order whatever the number. With correlation
    /// rules loaded the hunt takes one file at a time, so that its windows
    /// see the events of every file.
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Instead of hunting, say why a rule (its id, title or file) matches
    /// one JSON event (a file, or `-` for standard input), or does not:
    /// the log sources, the condition, each selection and each field test
    /// with the values it compared.
    #[arg(long, num_args = 2, value_names = ["RULE", "EVENT"])]
    explain: Option<Vec<String>>,
    /// Where compiled rule sets are kept between hunts, keyed by the
    /// rules' content, the options and this build (default:
    /// `$XDG_CACHE_HOME/vigil/rules`, else `~/.cache/vigil/rules`).
    #[arg(long, value_name = "DIR")]
    rule_cache: Option<PathBuf>,
    /// Compile the rules without the cache, and store nothing.
    #[arg(long, conflicts_with = "rule_cache")]
    no_rule_cache: bool,
    /// Files and folders to hunt through.
    #[arg(required_unless_present = "explain")]
    paths: Vec<PathBuf>,
}

/// The compiled-rule cache the hunt uses, if any: `--rule-cache`, else
/// the user's cache folder.
fn rule_cache(args: &HuntArgs) -> Option<RuleCache> {
    if args.no_rule_cache {
        return None;
    }
    let dir = args.rule_cache.clone().or_else(|| {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|d| !d.is_empty())
                    .map(|home| PathBuf::from(home).join(".cache"))
            })?;
        Some(base.join("vigil").join("rules"))
    })?;
    Some(RuleCache::new(dir))
}

/// At most this many problems are printed one by one.
const PROBLEMS_SHOWN: usize = 20;
/// A field is cut to this many characters in the table.
const TABLE_FIELD_CHARS: usize = 120;

/// Runs `vigil hunt`.
pub fn run(args: HuntArgs) -> anyhow::Result<()> {
    let mut options = LoadOptions::default();
    for spec in &args.pipeline {
        let pipeline = Pipeline::resolve(spec).with_context(|| format!("pipeline `{spec}`"))?;
        for unsupported in pipeline.unsupported() {
            eprintln!("pipeline item not supported: {unsupported}");
        }
        options = options.with_pipeline(pipeline);
    }
    options.placeholders = crate::rules::parse_placeholders(&args.placeholder)?;
    let started = Instant::now();
    let (report, cache_use) = match rule_cache(&args) {
        Some(cache) => {
            let (report, used) = RuleSet::load_dirs_cached(&args.rules, &options, &cache)
                .context("reading the rule folders")?;
            if let CacheUse::NotStored(why) = &used {
                eprintln!("compiled rules not cached: {why}");
            }
            (report, Some(used))
        }
        None => (
            RuleSet::load_dirs(&args.rules, &options).context("reading the rule folders")?,
            None,
        ),
    };
    if let Some([rule, event]) = args.explain.as_deref() {
        return crate::hunt_explain::run(&report, rule, event, &args.product, args.json);
    }
    let (correlations, correlation_outcomes) = CorrelationSet::compile(&report);
    let mut rejected = report.rejected().count();
    for outcome in report.rejected() {
        eprintln!("rule not loaded: {outcome}");
    }
    for outcome in correlation_outcomes.iter().filter(|o| o.result.is_err()) {
        rejected += 1;
        eprintln!("correlation rule not loaded: {outcome}");
    }
    let rules = report.ruleset;
    if rules.rule_count() == 0 {
        bail!("no rule loaded from {:?}", args.rules);
    }
    let load_time = started.elapsed();

    let files = files_under(&args.paths)?;
    let total: u64 = files.iter().map(|(_, size)| size).sum();
    let bar = if args.no_progress || !io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    };
    let mut observer = Printer {
        out: BufWriter::new(io::stdout().lock()),
        json: args.json,
        bar: bar.clone(),
        per_rule: BTreeMap::new(),
        correlations: CorrelationCounts::default(),
        problems: 0,
        error: None,
    };
    let options = HuntOptions {
        product: args.product.to_lowercase(),
        ..HuntOptions::default()
    };
    let hunting = Instant::now();
    let cpu_before = process_cpu_seconds();
    let paths: Vec<PathBuf> = files.into_iter().map(|(file, _)| file).collect();
    let correlation_count = correlations.len();
    let threads = match (correlation_count, args.threads) {
        (1.., _) => 1,
        (0, 0) => vigil_hunt::default_threads(),
        (0, n) => n,
    };
    let (stats, correlation_stats) = if correlation_count > 0 {
        // A correlation window spans files: one hunter must see every file's
        // events to hold them back and feed them in event-time order, so a
        // hunt with correlation rules goes through its files on one thread.
        let mut hunter = Hunter::new(&rules, options);
        hunter.correlate(
            Arc::new(correlations),
            CorrelationOptions::at(SystemClock.now()),
        )?;
        for file in &paths {
            hunter.hunt_file(file, &mut observer);
            if let Some(e) = observer.error.take() {
                return Err(e).context("writing detections");
            }
        }
        hunter.finish_correlations(&mut observer);
        if let Some(e) = observer.error.take() {
            return Err(e).context("writing correlation alerts");
        }
        (hunter.stats(), hunter.correlation_stats())
    } else {
        let stats = vigil_hunt::hunt_files(&rules, &options, &paths, threads, &mut observer);
        if let Some(e) = observer.error.take() {
            return Err(e).context("writing detections");
        }
        (stats, CorrelationStats::default())
    };
    bar.finish_and_clear();
    let elapsed = hunting.elapsed();
    let cpu = process_cpu_seconds()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    let Printer {
        mut out,
        per_rule,
        correlations,
        problems,
        json,
        ..
    } = observer;
    out.flush()?;
    drop(out);

    // The summary goes with the table; after JSON lines it goes to
    // standard error, so that standard output stays JSON.
    let mut summary: Box<dyn Write> = if json {
        Box::new(io::stderr().lock())
    } else {
        Box::new(io::stdout().lock())
    };
    if problems > PROBLEMS_SHOWN {
        eprintln!(
            "{} more problems not shown ({problems} in all)",
            problems - PROBLEMS_SHOWN
        );
    }
    write_summary(&mut summary, &per_rule, stats.hits)?;
    correlations.write(&mut summary, correlation_count)?;
    if correlation_stats.untimed > 0 || correlation_stats.late_dropped > 0 {
        // Said out loud: an alert that did not fire for these reasons is
        // not a correlation that did not hold.
        writeln!(
            summary,
            "correlation: {} events without a time of their own fed no window; {} detections were too late to count",
            correlation_stats.untimed, correlation_stats.late_dropped
        )?;
    }
    if args.stats {
        let secs = elapsed.as_secs_f64().max(1e-9);
        writeln!(summary)?;
        let how = match cache_use {
            Some(CacheUse::Hit) => ", from the cache",
            Some(CacheUse::Stored) => ", compiled and cached",
            Some(CacheUse::NotStored(_)) | None => ", compiled",
        };
        writeln!(
            summary,
            "rules:   {} loaded ({rejected} not loaded) in {load_time:.2?}{how}",
            rules.rule_count()
        )?;
        writeln!(
            summary,
            "input:   {} files, {} archive members, {:.1} MB read ({} skipped as not events)",
            stats.files,
            stats.members,
            stats.input_bytes as f64 / 1e6,
            stats.skipped_inputs
        )?;
        writeln!(
            summary,
            "events:  {} ({} unreadable), {:.1} MB of event JSON",
            stats.events,
            stats.unreadable_events,
            stats.event_bytes as f64 / 1e6
        )?;
        writeln!(
            summary,
            "speed:   {:.0} events/s, {:.1} MB/s of events, {:.1} MB/s of input, in {elapsed:.2?}",
            stats.events as f64 / secs,
            stats.event_bytes as f64 / secs / 1e6,
            stats.input_bytes as f64 / secs / 1e6
        )?;
        if correlation_count > 0 {
            writeln!(
                summary,
                "correlation: {} events fed {correlation_count} correlation rules, {} detections of silent rules not shown, {} early feeds",
                correlation_stats.fed, correlation_stats.silenced, correlation_stats.early_feeds
            )?;
        }
        if let Some(cpu) = cpu.filter(|c| *c > 0.0) {
            writeln!(
                summary,
                "cpu:     {cpu:.2} s in {threads} threads: {:.0} events/s, {:.1} MB/s of events per CPU second",
                stats.events as f64 / cpu,
                stats.event_bytes as f64 / cpu / 1e6
            )?;
        }
        match peak_memory_kb() {
            Some(kb) => writeln!(summary, "memory:  {:.1} MB peak resident", kb as f64 / 1e3)?,
            None => writeln!(
                summary,
                "memory:  peak resident size unknown on this system"
            )?,
        }
    }
    summary.flush()?;
    // The process ends with the hunt: freeing the rule set's hundreds of
    // thousands of small allocations one by one would only delay the exit
    // (about 10 ms for 2,407 rules); the OS takes the memory back at once.
    std::mem::forget(rules);
    Ok(())
}

/// What was found, per rule.
struct RuleCount {
    rule: Arc<RuleMeta>,
    count: u64,
}

struct Printer<W: Write> {
    out: W,
    json: bool,
    bar: ProgressBar,
    per_rule: BTreeMap<String, RuleCount>,
    correlations: CorrelationCounts,
    problems: usize,
    /// The first error writing to standard output.
    error: Option<io::Error>,
}

impl<W: Write> HuntObserver for Printer<W> {
    fn hit(&mut self, hit: Hit) {
        self.per_rule
            .entry(hit.rule.id.clone())
            .or_insert_with(|| RuleCount {
                rule: Arc::clone(&hit.rule),
                count: 0,
            })
            .count += 1;
        if self.error.is_some() {
            return;
        }
        let line = if self.json {
            json_line(&hit)
        } else {
            table_line(&hit)
        };
        let out = &mut self.out;
        let written = self.bar.suspend(|| writeln!(out, "{line}"));
        if let Err(e) = written {
            self.error = Some(e);
        }
    }

    fn correlation(&mut self, alert: CorrelationAlert) {
        self.correlations.add(&alert);
        if self.error.is_some() {
            return;
        }
        let text = if self.json {
            hunt_correlation::json_line(&alert)
        } else {
            hunt_correlation::table_lines(&alert)
        };
        let out = &mut self.out;
        if let Err(e) = self.bar.suspend(|| writeln!(out, "{text}")) {
            self.error = Some(e);
        }
    }

    fn progress(&mut self, bytes: u64) {
        self.bar
            .set_position(bytes.min(self.bar.length().unwrap_or(bytes)));
    }

    fn stopped(&self) -> bool {
        self.error.is_some()
    }

    fn problem(&mut self, problem: Problem) {
        self.problems += 1;
        if self.problems <= PROBLEMS_SHOWN {
            let at = match problem.position {
                Some(Position::Offset(o)) => format!(" at byte {o}"),
                Some(Position::Record(r)) => format!(" at record {r}"),
                None => String::new(),
            };
            self.bar
                .suspend(|| eprintln!("skipped: {}{at}: {}", problem.origin, problem.message));
        }
    }
}

fn table_line(hit: &Hit) -> String {
    // What made the match first, then the fields worth showing that it
    // did not name already.
    let mut shown: Vec<(&str, &str)> = hit
        .matched
        .fields
        .iter()
        .map(|f| (f.field.as_deref().unwrap_or("<keyword>"), f.value.as_str()))
        .collect();
    for (name, value) in &hit.fields {
        if !shown.iter().any(|(n, _)| n == name) {
            shown.push((name, value));
        }
    }
    let fields: Vec<String> = shown
        .iter()
        .map(|(name, value)| format!("{name}={}", cut(value, TABLE_FIELD_CHARS)))
        .collect();
    format!(
        "{:<26} {:<8} {:<60} {:<24} {}",
        hit.time.as_deref().unwrap_or("-"),
        hit.rule.level.as_str(),
        cut(&hit.rule.title, 60),
        hit.host.as_deref().unwrap_or("-"),
        fields.join("  ")
    )
}

fn json_line(hit: &Hit) -> String {
    let fields: serde_json::Map<String, serde_json::Value> = hit
        .fields
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    let position = match hit.position {
        Position::Offset(o) => serde_json::json!({ "offset": o }),
        Position::Record(r) => serde_json::json!({ "record": r }),
    };
    serde_json::json!({
        "time": hit.time,
        "rule": {
            "id": hit.rule.id,
            "title": hit.rule.title,
            "level": hit.rule.level.as_str(),
            "tags": hit.rule.tags,
        },
        "host": hit.host,
        "origin": &*hit.origin,
        "position": position,
        "fields": fields,
        "matched_selections": hit.matched.selections,
        "matched_fields": hit.matched.fields,
    })
    .to_string()
}

fn write_summary(
    out: &mut dyn Write,
    per_rule: &BTreeMap<String, RuleCount>,
    hits: u64,
) -> io::Result<()> {
    let mut rows: Vec<&RuleCount> = per_rule.values().collect();
    rows.sort_by(|a, b| {
        b.rule
            .level
            .cmp(&a.rule.level)
            .then(b.count.cmp(&a.count))
            .then(a.rule.title.cmp(&b.rule.title))
    });
    writeln!(out)?;
    writeln!(out, "{hits} detections by {} rules", rows.len())?;
    if !rows.is_empty() {
        writeln!(out, "{:>8}  {:<8}  rule", "count", "level")?;
    }
    for row in rows {
        writeln!(
            out,
            "{:>8}  {:<8}  {} ({})",
            row.count,
            row.rule.level.as_str(),
            row.rule.title,
            row.rule.id
        )?;
    }
    Ok(())
}

/// At most `chars` characters of `text`, on one line.
pub(crate) fn cut(text: &str, chars: usize) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    match one_line.char_indices().nth(chars) {
        Some((at, _)) => format!("{}…", &one_line[..at]),
        None => one_line,
    }
}

/// CPU time this process has used so far, all threads, user and system,
/// in seconds: on a busy machine it says what the work costs where wall
/// time cannot.
fn process_cpu_seconds() -> Option<f64> {
    // SAFETY: `rusage` is plain data for which all zeroes is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: the out-pointer is to a live local of the right type.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return None;
    }
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Some(seconds(usage.ru_utime) + seconds(usage.ru_stime))
}

/// The peak resident set size of this process, in kB (Linux).
fn peak_memory_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}
