//! Loading detection rules: Vigil's own (built into the binary) and folders
//! named by the configuration; and `vigil rules check`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::bail;
use clap::Subcommand;
use include_dir::{Dir, include_dir};
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

/// Loads built-in rules (when asked) and every rule under `dirs`.
pub fn load(builtin: bool, dirs: &[PathBuf]) -> anyhow::Result<LoadReport> {
    let mut sources = if builtin {
        builtin_sources()
    } else {
        Vec::new()
    };
    for dir in dirs {
        read_rule_files(dir, &mut sources)?;
    }
    Ok(RuleSet::load_sources(sources, &LoadOptions::default()))
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
        RulesCommand::Check { paths, quiet } => check(&paths, quiet),
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

fn check(paths: &[PathBuf], quiet: bool) -> anyhow::Result<()> {
    let report = load(false, paths)?;
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut rejected = 0usize;
    for outcome in &report.outcomes {
        let name = outcome
            .title
            .as_deref()
            .map(|t| format!("{t} ({})", outcome.origin))
            .unwrap_or_else(|| outcome.origin.clone());
        match &outcome.result {
            Ok(()) if !quiet => println!("loaded    {name}"),
            Ok(()) => {}
            Err(e) => {
                rejected += 1;
                println!("REJECTED  {name}: {e}");
                *reasons.entry(e.kind().to_owned()).or_default() += 1;
            }
        }
    }
    let loaded = report.outcomes.len() - rejected;
    println!();
    println!("{loaded} rules loaded, {rejected} rejected");
    for (reason, count) in &reasons {
        println!("  {count:>5}  {reason}");
    }
    if rejected > 0 {
        std::process::exit(1);
    }
    Ok(())
}
