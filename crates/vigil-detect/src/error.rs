//! Why a rule was rejected, and why a load failed.

use std::borrow::Cow;
use std::path::PathBuf;

/// Why one rule (or filter) document could not be loaded. Each variant says
/// what in the document was wrong and where.
#[derive(Debug, Clone, PartialEq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum RuleError {
    /// The file is not valid YAML.
    #[error("YAML error at line {line}, column {column}: {message}")]
    Yaml {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The YAML parser's message.
        message: String,
    },
    /// The file could not be read or is not UTF-8.
    #[error("cannot read the file: {0}")]
    Read(String),
    /// The document is not a YAML map.
    #[error("the document is not a map of keys to values")]
    NotAMap,
    /// A required key is missing.
    #[error("missing `{0}`")]
    MissingKey(Cow<'static, str>),
    /// A key holds the wrong kind of value.
    #[error("`{key}` must be {expected}")]
    WrongType {
        /// The key, with its path (`logsource.product`).
        key: String,
        /// What it must be.
        expected: Cow<'static, str>,
    },
    /// `level` is not one of Sigma's levels.
    #[error("unknown level `{0}`; expected informational, low, medium, high or critical")]
    UnknownLevel(String),
    /// `status` is not one of Sigma's statuses.
    #[error("unknown status `{0}`; expected stable, test, experimental, deprecated or unsupported")]
    UnknownStatus(String),
    /// The detection section has no `condition`.
    #[error("the detection has no `condition`")]
    MissingCondition,
    /// The detection section has no search identifiers.
    #[error("the detection defines no search identifiers")]
    NoSearches,
    /// A search identifier's definition is malformed.
    #[error("search `{search}`: {reason}")]
    BadSearch {
        /// The search identifier.
        search: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A modifier name is not known.
    #[error("unknown modifier `{modifier}` on field `{field}`")]
    UnknownModifier {
        /// The field (or `<keywords>`).
        field: String,
        /// The unknown modifier as written.
        modifier: String,
    },
    /// Modifiers that cannot go together, or do not fit the value.
    #[error("field `{field}`: {reason}")]
    BadModifier {
        /// The field (or `<keywords>`).
        field: String,
        /// What does not fit.
        reason: String,
    },
    /// A regular expression does not compile (including look-around and
    /// back-references, which the linear-time engine refuses by design).
    #[error("field `{field}`: regular expression `{pattern}` is not supported: {reason}")]
    BadRegex {
        /// The field (or `<keywords>`).
        field: String,
        /// The pattern as written.
        pattern: String,
        /// The regex engine's explanation.
        reason: String,
    },
    /// An `expand` placeholder has no configured value.
    #[error("field `{field}`: placeholder `%{placeholder}%` has no configured value")]
    UnfilledPlaceholder {
        /// The field (or `<keywords>`).
        field: String,
        /// The placeholder's name, without the percent signs.
        placeholder: String,
    },
    /// The condition does not parse.
    #[error("condition `{condition}`, column {column}: {reason}")]
    Condition {
        /// The condition as written.
        condition: String,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        reason: String,
    },
    /// The condition names a search that is not defined.
    #[error(
        "condition `{condition}` refers to unknown identifier `{identifier}` at column {column}"
    )]
    UnknownIdentifier {
        /// The condition as written.
        condition: String,
        /// The unknown identifier.
        identifier: String,
        /// 1-based column.
        column: usize,
    },
    /// Another rule already has this id.
    #[error("duplicate rule id `{id}`, first loaded from {first}")]
    DuplicateId {
        /// The id.
        id: String,
        /// Where the first rule with it came from.
        first: String,
    },
    /// A correlation document says something the correlation
    /// specification does not allow.
    #[error("`{key}` {reason}")]
    BadCorrelation {
        /// The key at fault, with its path (`correlation.timespan`).
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A correlation refers to a rule or correlation that is not loaded.
    #[error("correlation refers to `{reference}`, which is {reason}")]
    BadReference {
        /// The id or name as written in `correlation.rules` (or `aliases`).
        reference: String,
        /// Why it cannot be used (unknown, not loaded and why, a cycle …).
        reason: String,
    },
    /// A processing pipeline could not be applied to the document.
    #[error("pipeline `{pipeline}`, item `{item}`: {reason}")]
    Pipeline {
        /// The pipeline's name.
        pipeline: String,
        /// The processing item's id (or its position, `#3`).
        item: String,
        /// What went wrong.
        reason: String,
    },
    /// `action: repeat` with no document before it to repeat.
    #[error("`action: {0}` has no earlier document to work on")]
    BadCollectionAction(String),
}

impl RuleError {
    /// A short, stable name for the kind of error, for grouping reports.
    pub fn kind(&self) -> &'static str {
        match self {
            RuleError::Yaml { .. } => "yaml syntax",
            RuleError::Read(_) => "unreadable file",
            RuleError::NotAMap => "not a map",
            RuleError::MissingKey(_) => "missing key",
            RuleError::WrongType { .. } => "wrong value type",
            RuleError::UnknownLevel(_) => "unknown level",
            RuleError::UnknownStatus(_) => "unknown status",
            RuleError::MissingCondition => "missing condition",
            RuleError::NoSearches => "no searches",
            RuleError::BadSearch { .. } => "malformed search",
            RuleError::UnknownModifier { .. } => "unknown modifier",
            RuleError::BadModifier { .. } => "bad modifier use",
            RuleError::BadRegex { .. } => "unsupported regex",
            RuleError::UnfilledPlaceholder { .. } => "unfilled placeholder",
            RuleError::Condition { .. } => "bad condition",
            RuleError::UnknownIdentifier { .. } => "unknown identifier",
            RuleError::DuplicateId { .. } => "duplicate id",
            RuleError::BadCorrelation { .. } => "bad correlation",
            RuleError::BadReference { .. } => "bad correlation reference",
            RuleError::Pipeline { .. } => "pipeline error",
            RuleError::BadCollectionAction(_) => "bad collection action",
        }
    }
}

/// Why loading rule folders failed as a whole (individual bad rules are
/// reported in [`crate::LoadReport::outcomes`] instead).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A folder could not be walked.
    #[error("cannot read rule folder {path}: {source}")]
    Folder {
        /// The folder (or the entry inside it that failed).
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}
