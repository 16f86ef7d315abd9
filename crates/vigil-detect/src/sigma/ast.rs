//! The Sigma rule as written: the syntax tree between parsing and compiling.
//!
//! Parsing ([`super::parse`]) produces these types from YAML without judging
//! what the values mean; compiling lowers them into matchers. Keeping the
//! tree in between is the seam for processing pipelines (field mappings,
//! value rewrites), which will rewrite it before it is compiled.

use std::collections::BTreeMap;

use vigil_model::Severity;

use super::condition::ConditionExpr;

/// One YAML document of a rule file, classified.
#[derive(Debug, Clone, PartialEq)]
pub enum SigmaDocument {
    /// A detection rule.
    Rule(RuleAst),
    /// A global filter that narrows other rules (the Sigma filters specification).
    Filter(FilterAst),
    /// A correlation meta-rule (the Sigma correlation specification).
    Correlation(super::correlation::CorrelationAst),
}

/// A detection rule as written.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleAst {
    /// The rule's descriptive fields.
    pub header: RuleHeader,
    /// Which logs the rule is written for.
    pub logsource: LogSource,
    /// What to look for.
    pub detection: DetectionAst,
}

/// A rule's descriptive fields, as written.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct RuleHeader {
    /// `id`, when the rule has one.
    pub id: Option<String>,
    /// `name`, the optional human-readable unique name.
    pub name: Option<String>,
    /// `title`.
    pub title: String,
    /// `description`.
    pub description: Option<String>,
    /// `status`.
    pub status: Option<RuleStatus>,
    /// `level`, when written.
    pub level: Option<Severity>,
    /// `tags`.
    pub tags: Vec<String>,
    /// `author`.
    pub author: Option<String>,
    /// `date`, as written (YYYY-MM-DD by convention).
    pub date: Option<String>,
    /// `modified`, as written.
    pub modified: Option<String>,
    /// `references`.
    pub references: Vec<String>,
    /// `falsepositives`.
    pub falsepositives: Vec<String>,
    /// `fields`: fields worth showing to the analyst.
    pub fields: Vec<String>,
    /// Custom attributes a processing pipeline set (`set_custom_attribute`),
    /// by name.
    pub custom_attributes: BTreeMap<String, serde_json::Value>,
}

/// The maturity a rule declares in `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum RuleStatus {
    /// Fit for production.
    Stable,
    /// Mostly stable; may need tuning.
    Test,
    /// May be noisy.
    Experimental,
    /// Replaced by another rule.
    Deprecated,
    /// Cannot be used as it stands.
    Unsupported,
}

impl RuleStatus {
    /// Parses a `status` value.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "stable" => Some(Self::Stable),
            "test" => Some(Self::Test),
            "experimental" => Some(Self::Experimental),
            "deprecated" => Some(Self::Deprecated),
            "unsupported" => Some(Self::Unsupported),
            _ => None,
        }
    }

    /// The status as Sigma writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stable => "stable",
            Self::Test => "test",
            Self::Experimental => "experimental",
            Self::Deprecated => "deprecated",
            Self::Unsupported => "unsupported",
        }
    }
}

/// A rule's `logsource`. Values are kept lowercase, as the specification
/// writes them, so that matching is a plain comparison.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub struct LogSource {
    /// `product` (`windows`, `linux`, `aws` …).
    pub product: Option<String>,
    /// `category` (`process_creation`, `firewall` …).
    pub category: Option<String>,
    /// `service` (`security`, `sysmon`, `sshd` …).
    pub service: Option<String>,
    /// `definition`: prose for the reader, never matched.
    pub definition: Option<String>,
}

impl LogSource {
    /// Whether every attribute this log source names is named the same by
    /// `other` (so `other` is at least as specific). Filters apply to rules
    /// whose log source their own contains.
    pub fn contains(&self, other: &LogSource) -> bool {
        fn fits(mine: &Option<String>, theirs: &Option<String>) -> bool {
            mine.is_none() || mine == theirs
        }
        fits(&self.product, &other.product)
            && fits(&self.category, &other.category)
            && fits(&self.service, &other.service)
    }
}

/// The `detection` section: named searches and the condition over them.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectionAst {
    /// The search identifiers in the order written.
    pub searches: Vec<Search>,
    /// The conditions; a list of several is an OR of them.
    pub conditions: Vec<Condition>,
}

impl DetectionAst {
    /// The search called `name`.
    pub fn search(&self, name: &str) -> Option<&Search> {
        self.searches.iter().find(|s| s.name == name)
    }
}

/// One named search (search identifier) of a detection.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    /// Its identifier.
    pub name: String,
    /// What it looks for.
    pub body: SearchBody,
}

/// The body of a search: maps are ANDs, lists are ORs.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchBody {
    /// A YAML map: every item must hold.
    AllOf(Vec<SearchItem>),
    /// A YAML list: at least one element must hold.
    AnyOf(Vec<SearchBody>),
}

/// One `field|modifier|…: value(s)` entry, or a keyword (no field).
#[derive(Debug, Clone, PartialEq)]
pub struct SearchItem {
    /// The field, or `None` for a keyword search over the whole event.
    pub field: Option<String>,
    /// The modifiers in the order written.
    pub modifiers: Vec<Modifier>,
    /// The values; several are an OR unless the `all` modifier is present.
    pub values: Vec<RawValue>,
    /// Whether the values were written as a list (so `[x]` and `x` can be told apart).
    pub list: bool,
}

impl SearchItem {
    /// The field name to show in messages (`<keywords>` for a keyword search).
    pub fn field_label(&self) -> &str {
        self.field.as_deref().unwrap_or("<keywords>")
    }
}

/// A value as written in the rule, before any modifier has touched it.
#[derive(Debug, Clone, PartialEq)]
pub enum RawValue {
    /// A string (wildcards and escapes not yet interpreted).
    Str(String),
    /// A number.
    Number(Number),
    /// `true` or `false`.
    Bool(bool),
    /// `null`: the field is absent or null.
    Null,
}

/// A number written in a rule or found in an event.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Number {
    /// A whole number (covers both `i64` and `u64`).
    Int(i128),
    /// A number with a fraction or exponent.
    Float(f64),
}

impl Number {
    /// The number as an `f64` (exact for integers up to 2^53).
    pub fn as_f64(self) -> f64 {
        match self {
            // Precision loss for huge integers is acceptable: the exact
            // integer comparison path is taken whenever both sides are whole.
            #[allow(clippy::cast_precision_loss)]
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }

    /// The number's text form, as string matching sees it.
    pub fn text(self) -> String {
        match self {
            Number::Int(i) => i.to_string(),
            Number::Float(f) => f.to_string(),
        }
    }
}

/// The value modifiers of the modifiers appendix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Modifier {
    /// `contains`: the value anywhere in the field.
    Contains,
    /// `startswith`.
    StartsWith,
    /// `endswith`.
    EndsWith,
    /// `all`: every value must match, not any.
    All,
    /// `exists`: the field is present (`true`) or absent (`false`).
    Exists,
    /// `cased`: case-sensitive matching.
    Cased,
    /// `neq`: the field differs from the values.
    Neq,
    /// `windash`: every Windows option-dash spelling of the value.
    Windash,
    /// `re`: a regular expression.
    Re,
    /// `i` / `ignorecase`: case-insensitive regular expression.
    ReIgnoreCase,
    /// `m` / `multiline`: `^`/`$` match at line ends.
    ReMultiline,
    /// `s` / `dotall`: `.` matches newlines.
    ReDotAll,
    /// `base64`.
    Base64,
    /// `base64offset`: the three alignments of a value inside base64 text.
    Base64Offset,
    /// `utf16le` / `wide`.
    Utf16Le,
    /// `utf16be`.
    Utf16Be,
    /// `utf16`: UTF-16LE with a byte-order mark.
    Utf16,
    /// `lt`.
    Lt,
    /// `lte`.
    Lte,
    /// `gt`.
    Gt,
    /// `gte`.
    Gte,
    /// `minute` of a timestamp.
    Minute,
    /// `hour` of a timestamp.
    Hour,
    /// `day` of the month of a timestamp.
    Day,
    /// ISO `week` of a timestamp.
    Week,
    /// `month` of a timestamp.
    Month,
    /// `year` of a timestamp.
    Year,
    /// `cidr`: the field is an IP address inside a network.
    Cidr,
    /// `expand`: `%placeholder%`s are filled from the load configuration.
    Expand,
    /// `fieldref`: the value names another field of the same event.
    FieldRef,
}

impl Modifier {
    /// Parses a modifier name, including the aliases pySigma accepts.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "contains" => Self::Contains,
            "startswith" => Self::StartsWith,
            "endswith" => Self::EndsWith,
            "all" => Self::All,
            "exists" => Self::Exists,
            "cased" => Self::Cased,
            "neq" => Self::Neq,
            "windash" => Self::Windash,
            "re" => Self::Re,
            "i" | "ignorecase" => Self::ReIgnoreCase,
            "m" | "multiline" => Self::ReMultiline,
            "s" | "dotall" => Self::ReDotAll,
            "base64" => Self::Base64,
            "base64offset" => Self::Base64Offset,
            "utf16le" | "wide" => Self::Utf16Le,
            "utf16be" => Self::Utf16Be,
            "utf16" => Self::Utf16,
            "lt" => Self::Lt,
            "lte" => Self::Lte,
            "gt" => Self::Gt,
            "gte" => Self::Gte,
            "minute" => Self::Minute,
            "hour" => Self::Hour,
            "day" => Self::Day,
            "week" => Self::Week,
            "month" => Self::Month,
            "year" => Self::Year,
            "cidr" => Self::Cidr,
            "expand" => Self::Expand,
            "fieldref" => Self::FieldRef,
            _ => return None,
        })
    }

    /// The modifier's canonical name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Contains => "contains",
            Self::StartsWith => "startswith",
            Self::EndsWith => "endswith",
            Self::All => "all",
            Self::Exists => "exists",
            Self::Cased => "cased",
            Self::Neq => "neq",
            Self::Windash => "windash",
            Self::Re => "re",
            Self::ReIgnoreCase => "i",
            Self::ReMultiline => "m",
            Self::ReDotAll => "s",
            Self::Base64 => "base64",
            Self::Base64Offset => "base64offset",
            Self::Utf16Le => "utf16le",
            Self::Utf16Be => "utf16be",
            Self::Utf16 => "utf16",
            Self::Lt => "lt",
            Self::Lte => "lte",
            Self::Gt => "gt",
            Self::Gte => "gte",
            Self::Minute => "minute",
            Self::Hour => "hour",
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
            Self::Year => "year",
            Self::Cidr => "cidr",
            Self::Expand => "expand",
            Self::FieldRef => "fieldref",
        }
    }
}

/// One condition string and its parsed form.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The condition as written.
    pub source: String,
    /// Its syntax tree.
    pub expr: ConditionExpr,
}

/// A global filter document.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterAst {
    /// `id`, when written.
    pub id: Option<String>,
    /// `title`.
    pub title: String,
    /// The filter applies only to rules whose log source this one contains.
    pub logsource: LogSource,
    /// Which rules it applies to.
    pub rules: FilterTarget,
    /// The filter's searches and its condition, ANDed onto each target rule's condition.
    pub detection: DetectionAst,
}

/// The rules a filter names.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterTarget {
    /// `any`/`all` or an empty list: every rule whose log source fits.
    Any,
    /// These rule ids or names.
    Rules(Vec<String>),
}
