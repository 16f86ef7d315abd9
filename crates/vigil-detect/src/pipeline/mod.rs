//! Processing pipelines: rewriting rules before they are compiled so that
//! the field names and log sources they were written for meet the events
//! Vigil actually receives.
//!
//! The format is pySigma's processing-pipeline YAML, for the
//! transformations a matching engine needs: `field_name_mapping` (one field
//! to one or several; several are alternatives), `field_name_prefix`,
//! `field_name_suffix`, `add_condition` and `change_logsource`, each with
//! optional `rule_conditions` (`logsource`, `tag`, `is_sigma_rule`,
//! `is_sigma_correlation_rule`, combined with `rule_cond_op` and
//! `rule_cond_not`) and `field_name_conditions` (`include_fields`,
//! `exclude_fields`, plain or regex). Pipelines run in ascending
//! `priority` (ties in the order given), each item in file order, over
//! every rule, filter and correlation document before it is compiled.
//!
//! Built-in pipelines ([`Pipeline::builtin`]), written in the same format
//! and shipped inside the binary:
//! - `windows`: Windows events as flat JSON (Security-Datasets, most
//!   forwarders): `Computer` and `Provider_Name` also as `Hostname` and
//!   `SourceName`.
//! - `windows-nested`: Windows events in the XML-to-JSON shape, system
//!   fields under `Event.System`, data under `Event.EventData`.
//! - `windows-4688`: process-creation rules also match Security 4688
//!   (`Image` as `NewProcessName`, `ParentImage` as `ParentProcessName` …).
//!   Applied to every rule set whether named or not, because 4688 events
//!   are routed to `process_creation` rules by their event id (see
//!   [`crate::LoadOptions::routed_pipelines`]).
//! - `linux-auditd`: auditd records as `key=value` fields, bound as
//!   product `linux`.
//! - `vigil`: Sigma's generic taxonomy (firewall, DNS) onto Vigil's
//!   normalized network events and the field names of the formats it
//!   decodes (CEF, LEEF, Vigil JSON).

mod file;
mod transform;

use std::fmt;
use std::path::Path;

use crate::error::RuleError;
use crate::sigma::ast::SigmaDocument;
use transform::ProcessingItem;

/// A processing pipeline: named, ordered by priority, a list of items.
#[derive(Debug, Clone)]
pub struct Pipeline {
    name: String,
    priority: i64,
    origin: String,
    items: Vec<ProcessingItem>,
}

/// Why a pipeline file could not be used: where, and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PipelineError {
    /// The file (or built-in name) the pipeline came from.
    pub origin: String,
    /// The 1-based line, when known.
    pub line: Option<usize>,
    /// The 1-based column, when known.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for PipelineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin)?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
            if let Some(column) = self.column {
                write!(f, ", column {column}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

/// The built-in pipelines: (name, what it is for, YAML).
const BUILTIN: &[(&str, &str, &str)] = &[
    (
        "windows",
        "Windows events as flat JSON (Security-Datasets, most forwarders)",
        include_str!("builtin/windows.yml"),
    ),
    (
        "windows-nested",
        "Windows events as nested Event.System / Event.EventData JSON",
        include_str!("builtin/windows-nested.yml"),
    ),
    (
        "windows-4688",
        "process_creation rules also match Security 4688 events",
        include_str!("builtin/windows-4688.yml"),
    ),
    (
        "linux-auditd",
        "Linux auditd records as key=value fields, sources of product linux",
        include_str!("builtin/linux-auditd.yml"),
    ),
    (
        "vigil",
        "Sigma's generic firewall and DNS taxonomy onto Vigil's normalized network events",
        include_str!("builtin/vigil.yml"),
    ),
];

impl Pipeline {
    /// Reads a pipeline from YAML text; `origin` names it in errors.
    pub fn from_yaml(text: &str, origin: &str) -> Result<Pipeline, PipelineError> {
        file::parse(text, origin)
    }

    /// Reads a pipeline file.
    pub fn load(path: &Path) -> Result<Pipeline, PipelineError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| PipelineError {
            origin: origin.clone(),
            line: None,
            column: None,
            message: format!("cannot read the file: {e}"),
        })?;
        Self::from_yaml(&text, &origin)
    }

    /// A built-in pipeline by name (see the module documentation).
    pub fn builtin(name: &str) -> Option<Pipeline> {
        BUILTIN
            .iter()
            .find(|(n, _, _)| *n == name)
            // The built-ins are tested to parse; a failure here is a bug
            // caught by those tests, and reads as "no such pipeline".
            .and_then(|(n, _, text)| Self::from_yaml(text, &format!("builtin:{n}")).ok())
    }

    /// The built-in pipelines' names and what each is for.
    pub fn builtins() -> impl Iterator<Item = (&'static str, &'static str)> {
        BUILTIN.iter().map(|(n, about, _)| (*n, *about))
    }

    /// A built-in pipeline when `spec` names one, else the file at `spec`.
    /// What `--pipeline` and the configuration's `pipelines` accept.
    pub fn resolve(spec: &str) -> Result<Pipeline, PipelineError> {
        match Self::builtin(spec) {
            Some(p) => Ok(p),
            None if Path::new(spec).exists() || spec.contains(['/', '\\', '.']) => {
                Self::load(Path::new(spec))
            }
            None => Err(PipelineError {
                origin: spec.to_owned(),
                line: None,
                column: None,
                message: format!(
                    "no built-in pipeline of this name and no such file; built-ins: {}",
                    BUILTIN
                        .iter()
                        .map(|(n, _, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
        }
    }

    /// The pipeline's `name`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its `priority`: lower runs first.
    pub fn priority(&self) -> i64 {
        self.priority
    }

    /// Where it came from (a path, or `builtin:<name>`).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// How many processing items it has.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether it has no items.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Applies every item, in order, to one document.
    pub fn apply(&self, doc: &mut SigmaDocument) -> Result<(), RuleError> {
        let mut added = 0;
        for item in &self.items {
            item.apply(&self.name, doc, &mut added)?;
        }
        Ok(())
    }
}

/// Applies `pipelines` to a document in ascending priority (ties keep the
/// order given). The load path calls this on every document it parsed.
pub fn apply_pipelines(pipelines: &[Pipeline], doc: &mut SigmaDocument) -> Result<(), RuleError> {
    if pipelines.is_empty() {
        return Ok(());
    }
    let mut order: Vec<&Pipeline> = pipelines.iter().collect();
    order.sort_by_key(|p| p.priority);
    let mut added = 0;
    for pipeline in order {
        for item in &pipeline.items {
            item.apply(&pipeline.name, doc, &mut added)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
