//! Loading detection rules: Vigil's own (built into the binary) and folders
//! named by the configuration; and `vigil rules check`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::bail;
use clap::Subcommand;
use include_dir::{Dir, include_dir};
use vigil_correlate::CorrelationSet;
use vigil_detect::{Detector, LoadOptions, LoadReport, RuleSet};

/// Vigil's shipped rules, embedded so that `cargo run` needs nothing else.
static BUILTIN_RULES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../rules");

/// `vigil rules …`
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Loads rule folders and reports, per rule, loaded or why not.
    Check {
        /// Folders (or files) of Sigma rules.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Print only the rejected rules and the summary.
        #[arg(long, short)]
        quiet: bool,
        /// A processing pipeline applied to the rules: a built-in name
        /// (`windows`, `windows-nested`, `windows-4688`, `linux-auditd`,
        /// `vigil`) or a pySigma pipeline YAML file; may be repeated.
        #[arg(long)]
        pipeline: Vec<String>,
        /// A value for an `expand` placeholder, as `NAME=VALUE` (the name
        /// with or without its `%`s); repeat for more values or names.
        #[arg(long, value_name = "NAME=VALUE")]
        placeholder: Vec<String>,
    },
    /// Lists Vigil's built-in rules.
    Builtin,
}

/// The built-in rules as (origin, text) pairs.
pub fn builtin_sources() -> Vec<(String, String)> {
    let mut out = Vec::new();
    collect_embedded(&BUILTIN_RULES, &mut out);
    out.sort();
    out
}

fn collect_embedded(dir: &Dir<'_>, out: &mut Vec<(String, String)>) {
    for file in dir.files() {
        let path = file.path();
        let is_yaml = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yml" | "yaml")
        );
        if let (true, Some(text)) = (is_yaml, file.contents_utf8()) {
            out.push((format!("builtin:{}", path.display()), text.to_owned()));
        }
    }
    for sub in dir.dirs() {
        collect_embedded(sub, out);
    }
}

/// Loads the rules a node runs with. Rules that do not load are logged with
/// their reason and left out; the node still starts (one bad rule in a
/// folder of thousands must not keep a control room dark).
pub fn load_for_serving(builtin: bool, dirs: &[PathBuf]) -> anyhow::Result<Arc<dyn Detector>> {
    let report = load(builtin, dirs)?;
    let rejected = report.outcomes.iter().filter(|o| o.result.is_err()).count();
    for outcome in report.outcomes.iter().filter(|o| o.result.is_err()) {
        if let Err(e) = &outcome.result {
            tracing::warn!(rule = %outcome.origin, reason = %e, "rule not loaded");
        }
    }
    tracing::info!(
        loaded = report.ruleset.rule_count(),
        rejected,
        "detection rules ready"
    );
    Ok(Arc::new(report.ruleset))
}

/// The placeholder values given as `NAME=VALUE` flags, by name without
/// the `%`s; a name given more than once has all its values.
pub fn parse_placeholders(specs: &[String]) -> anyhow::Result<BTreeMap<String, Vec<String>>> {
    let mut placeholders: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for spec in specs {
        let Some((name, value)) = spec.split_once('=') else {
            bail!("placeholder `{spec}`: expected NAME=VALUE");
        };
        let name = name.trim().trim_matches('%');
        if name.is_empty() {
            bail!("placeholder `{spec}`: the name is empty");
        }
        placeholders
            .entry(name.to_owned())
            .or_default()
            .push(value.to_owned());
    }
    Ok(placeholders)
}

/// Load options with the processing pipelines named by `pipelines`
/// (built-in names or files).
pub fn options_with_pipelines(pipelines: &[String]) -> anyhow::Result<LoadOptions> {
    let mut options = LoadOptions::default();
    for spec in pipelines {
        let pipeline = vigil_detect::pipeline::Pipeline::resolve(spec)
            .map_err(|e| anyhow::anyhow!("pipeline {e}"))?;
        // The rules such an item applies to are rejected, naming it; the
        // item itself is named once here, whether or not it applies.
        for unsupported in pipeline.unsupported() {
            tracing::warn!(%unsupported, "pipeline item not supported");
        }
        options = options.with_pipeline(pipeline);
    }
    Ok(options)
}

/// The compiled rules a node runs, and its correlations if it has any.
pub type Engine = (Arc<dyn Detector>, Option<Arc<CorrelationSet>>);

/// Loads the rules and the correlations a node runs with, through
/// `pipelines`. Rules and correlations that do not load are logged with
/// their reason and left out. No correlation: `None`.
pub fn load_engine(
    builtin: bool,
    dirs: &[PathBuf],
    pipelines: &[String],
) -> anyhow::Result<Engine> {
    load_engine_with(builtin, dirs, pipelines, &BTreeMap::new())
}

/// As [`load_engine`], with values for `expand` placeholders (by name
/// without the `%`s), as the configuration gives them.
pub fn load_engine_with(
    builtin: bool,
    dirs: &[PathBuf],
    pipelines: &[String],
    placeholders: &BTreeMap<String, Vec<String>>,
) -> anyhow::Result<Engine> {
    Ok(load_engine_with_notes(builtin, dirs, pipelines, placeholders)?.0)
}

/// As [`load_engine_with`], with what every loaded rule and correlation
/// says about itself, by id (shown on their alarms).
pub fn load_engine_with_notes(
    builtin: bool,
    dirs: &[PathBuf],
    pipelines: &[String],
    placeholders: &BTreeMap<String, Vec<String>>,
) -> anyhow::Result<(Engine, RuleNotesById)> {
    let mut options = options_with_pipelines(pipelines)?;
    options.placeholders.extend(
        placeholders
            .iter()
            .map(|(name, values)| (name.clone(), values.clone())),
    );
    let report = load_with(builtin, dirs, &options)?;
    let (correlations, correlation_outcomes) = CorrelationSet::compile(&report);
    let mut rejected = 0;
    for outcome in report.outcomes.iter().chain(&correlation_outcomes) {
        if let Err(e) = &outcome.result {
            rejected += 1;
            tracing::warn!(rule = %outcome.origin, reason = %e, "rule not loaded");
        }
    }
    tracing::info!(
        loaded = report.ruleset.rule_count(),
        correlations = correlations.len(),
        rejected,
        "detection rules ready"
    );
    let notes = notes_of(&report);
    let correlations = (!correlations.is_empty()).then(|| Arc::new(correlations));
    Ok(((Arc::new(report.ruleset), correlations), notes))
}

/// The correlation stage for a node running `correlations` with
/// `settings`, and how often its state is saved; `None` without
/// correlations.
pub fn correlation_stage(
    correlations: Option<Arc<CorrelationSet>>,
    settings: &vigil_ingest::CorrelationSettings,
) -> Option<(Arc<vigil_ingest::CorrelationStage>, std::time::Duration)> {
    correlations.map(|set| {
        let stage = vigil_ingest::CorrelationStage::new(set, settings.engine_config());
        let every = std::time::Duration::from_secs(u64::from(settings.snapshot_every_seconds));
        (Arc::new(stage), every)
    })
}

/// Loads built-in rules (when asked) and every rule under `dirs`.
pub fn load(builtin: bool, dirs: &[PathBuf]) -> anyhow::Result<LoadReport> {
    load_with(builtin, dirs, &LoadOptions::default())
}

/// As [`load`], with `options` (pipelines, placeholders).
pub fn load_with(
    builtin: bool,
    dirs: &[PathBuf],
    options: &LoadOptions,
) -> anyhow::Result<LoadReport> {
    let mut sources = if builtin {
        builtin_sources()
    } else {
        Vec::new()
    };
    for dir in dirs {
        read_rule_files(dir, &mut sources)?;
    }
    Ok(RuleSet::load_sources(sources, options))
}

/// Loads the first `count` rules under `dir` that load (in path order), for
/// benchmarks that need a rule set of a given size.
pub fn load_first(dir: &Path, count: usize) -> anyhow::Result<Arc<dyn Detector>> {
    let mut sources = Vec::new();
    read_rule_files(dir, &mut sources)?;
    let report = RuleSet::load_sources(sources.clone(), &LoadOptions::default());
    let keep: std::collections::HashSet<&str> = report
        .outcomes
        .iter()
        .filter(|o| o.result.is_ok())
        .map(|o| o.origin.as_str())
        .take(count)
        .collect();
    let chosen: Vec<_> = sources
        .into_iter()
        .filter(|(origin, _)| keep.iter().any(|k| k.starts_with(origin.as_str())))
        .collect();
    Ok(Arc::new(
        RuleSet::load_sources(chosen, &LoadOptions::default()).ruleset,
    ))
}

/// Reads every `.yml`/`.yaml` under `path` (or `path` itself).
fn read_rule_files(path: &Path, out: &mut Vec<(String, String)>) -> anyhow::Result<()> {
    if !path.exists() {
        bail!("rule folder {} does not exist", path.display());
    }
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(path)
        .follow_links(true)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml")))
        .collect();
    files.sort();
    for file in files {
        match std::fs::read_to_string(&file) {
            Ok(text) => out.push((file.display().to_string(), text)),
            Err(e) => bail!("cannot read rule {}: {e}", file.display()),
        }
    }
    Ok(())
}

/// Runs `vigil rules …`.
pub fn run(command: RulesCommand) -> anyhow::Result<()> {
    match command {
        RulesCommand::Check {
            paths,
            quiet,
            pipeline,
            placeholder,
        } => check(&paths, quiet, &pipeline, &placeholder),
        RulesCommand::Builtin => {
            let report = load(true, &[])?;
            for outcome in &report.outcomes {
                println!(
                    "{}  {}  {}",
                    outcome.id.as_deref().unwrap_or("-"),
                    outcome.title.as_deref().unwrap_or("-"),
                    outcome.origin
                );
            }
            Ok(())
        }
    }
}

fn check(
    paths: &[PathBuf],
    quiet: bool,
    pipelines: &[String],
    placeholders: &[String],
) -> anyhow::Result<()> {
    let mut options = options_with_pipelines(pipelines)?;
    options.placeholders = parse_placeholders(placeholders)?;
    let unsupported: Vec<_> = options
        .pipelines
        .iter()
        .flat_map(|p| p.unsupported())
        .collect();
    let report = load_with(false, paths, &options)?;
    let (_, correlation_outcomes) = CorrelationSet::compile(&report);
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut rejected = 0usize;
    // Correlations that did not parse are among the load's outcomes.
    let mut correlations_rejected = 0usize;
    // Loading checks a regex's syntax and leaves compiling it to first
    // use; a check compiles them all, so that one over the size limit is
    // found here rather than matching nothing in a hunt.
    let uncompilable: BTreeMap<String, vigil_detect::RuleError> = report
        .ruleset
        .uncompilable_regexes()
        .into_iter()
        .map(|(meta, e)| (meta.id.clone(), e))
        .collect();
    for outcome in &report.outcomes {
        let result = match (&outcome.result, &outcome.id) {
            (Ok(()), Some(id)) => uncompilable.get(id).map_or(Ok(()), Err),
            (result, _) => result.as_ref().map(|_| ()),
        };
        let name = outcome
            .title
            .as_deref()
            .map(|t| format!("{t} ({})", outcome.origin))
            .unwrap_or_else(|| outcome.origin.clone());
        let correlation = outcome.kind == vigil_detect::DocumentKind::Correlation;
        let what = if correlation { "correlation " } else { "" };
        match result {
            Ok(()) if !quiet => println!("loaded    {name}"),
            Ok(()) => {}
            Err(e) => {
                rejected += 1;
                correlations_rejected += usize::from(correlation);
                println!("REJECTED  {what}{name}: {e}");
                *reasons.entry(e.kind().to_owned()).or_default() += 1;
            }
        }
    }
    let loaded = report.outcomes.len() - rejected;
    let mut correlations_loaded = 0usize;
    for outcome in &correlation_outcomes {
        let name = outcome
            .title
            .as_deref()
            .map(|t| format!("{t} ({})", outcome.origin))
            .unwrap_or_else(|| outcome.origin.clone());
        match &outcome.result {
            Ok(()) => {
                correlations_loaded += 1;
                if !quiet {
                    println!("loaded    correlation {name}");
                }
            }
            Err(e) => {
                correlations_rejected += 1;
                println!("REJECTED  correlation {name}: {e}");
                *reasons.entry(e.kind().to_owned()).or_default() += 1;
            }
        }
    }
    let loaded = loaded + correlations_loaded;
    let rejected = rejected + correlation_outcomes.len() - correlations_loaded;
    println!();
    println!("{loaded} rules loaded, {rejected} rejected");
    println!(
        "  of which correlations: {correlations_loaded} loaded, {correlations_rejected} rejected"
    );
    for (reason, count) in &reasons {
        println!("  {count:>5}  {reason}");
    }
    if !unsupported.is_empty() {
        // Named whether or not a rule met them: a pipeline item this
        // engine does not perform is never passed over in silence.
        println!();
        println!("pipeline items not supported (the rules they apply to are rejected):");
        for item in &unsupported {
            println!("UNSUPPORTED  {item}");
        }
    }
    if rejected > 0 {
        std::process::exit(1);
    }
    Ok(())
}

/// Facts about the built-in rules and correlations (tags, log source
/// category) and the estate's code rules, by rule id, for sorting alarms
/// into the dashboards' categories. Rules from configured folders are not
/// here: their alarms are categorised by what they are about.
pub fn rule_facts() -> std::collections::HashMap<String, vigil_server::site_plan::RuleFacts> {
    use vigil_server::site_plan::RuleFacts;
    let report = RuleSet::load_sources(builtin_sources(), &LoadOptions::default());
    let mut out: std::collections::HashMap<String, RuleFacts> = report
        .ruleset
        .rules()
        .map(|r| {
            let facts = RuleFacts {
                tags: r.tags.clone(),
                logsource_category: r.logsource.category.clone(),
            };
            (r.id.clone(), facts)
        })
        .collect();
    for c in &report.correlations {
        out.insert(
            c.id.clone(),
            RuleFacts {
                tags: c.ast.header.tags.clone(),
                logsource_category: None,
            },
        );
    }
    for id in [
        vigil_estate::converged::FIRST_ACCESS_ID,
        vigil_estate::converged::UNUSUAL_HOURS_ID,
        vigil_estate::converged::TAILGATING_ID,
    ] {
        out.insert(
            id.to_owned(),
            RuleFacts {
                tags: vec!["vigil.physical".into(), "vigil.converged".into()],
                logsource_category: Some("physical_access".into()),
            },
        );
    }
    out
}

/// Rule notes by rule id.
pub type RuleNotesById = std::collections::HashMap<String, vigil_desk::procedure::RuleNotes>;

/// What the built-in rules and correlations say about themselves (Sigma's
/// `description` and `falsepositives`), by rule id, shown on their alarms.
pub fn rule_notes() -> RuleNotesById {
    notes_of(&RuleSet::load_sources(
        builtin_sources(),
        &LoadOptions::default(),
    ))
}

/// What the rules and correlations of `report` say about themselves.
fn notes_of(report: &LoadReport) -> RuleNotesById {
    use vigil_desk::procedure::RuleNotes;
    let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let mut out: std::collections::HashMap<String, RuleNotes> = report
        .ruleset
        .rules()
        .map(|r| {
            let notes = RuleNotes {
                description: text(&r.description),
                falsepositives: r.falsepositives.clone(),
            };
            (r.id.clone(), notes)
        })
        .collect();
    for c in &report.correlations {
        let header = &c.ast.header;
        out.insert(
            c.id.clone(),
            RuleNotes {
                description: header.description.as_deref().and_then(text),
                falsepositives: header.falsepositives.clone(),
            },
        );
    }
    out
}
