//! What a detection says about the rule that fired.

use std::collections::BTreeMap;

use vigil_model::Severity;

use crate::sigma::ast::RuleHeader;
pub use crate::sigma::ast::{LogSource, RuleStatus};
pub use crate::sigma::rule_id::derive_rule_id;

/// A loaded rule's descriptive fields, shared by every detection it makes.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RuleMeta {
    /// The rule's `id`; for a rule without one, a stable id derived from
    /// its origin and title (see [`derive_rule_id`]).
    pub id: String,
    /// Whether `id` was derived rather than written in the rule.
    pub id_derived: bool,
    /// The rule's `name`, when it has one.
    pub name: Option<String>,
    /// `title`.
    pub title: String,
    /// `description` (empty when absent).
    pub description: String,
    /// `level`; medium when the rule does not say.
    pub level: Severity,
    /// `status`, when written.
    pub status: Option<RuleStatus>,
    /// `tags`.
    pub tags: Vec<String>,
    /// `author`.
    pub author: Option<String>,
    /// `date`, as written.
    pub date: Option<String>,
    /// `modified`, as written.
    pub modified: Option<String>,
    /// `references`.
    pub references: Vec<String>,
    /// `falsepositives`.
    pub falsepositives: Vec<String>,
    /// `fields`: fields worth showing with a detection.
    pub fields: Vec<String>,
    /// Custom attributes the processing pipelines set on the rule
    /// (pySigma's `set_custom_attribute`), by name: data for whoever reads
    /// the rule's detections; matching ignores them.
    pub custom_attributes: BTreeMap<String, serde_json::Value>,
    /// `logsource`.
    pub logsource: LogSource,
    /// Where the rule came from: the file path (or the origin given to
    /// [`crate::RuleSet::load_sources`]), with `#N` appended for the N-th
    /// (0-based) document of a multi-document file when N > 0.
    pub origin: String,
}

impl RuleMeta {
    /// Builds the metadata from a parsed header. `id_key` is what a missing
    /// id is derived from (the origin, relative to the loaded folder).
    pub(crate) fn from_header(
        header: &RuleHeader,
        logsource: &LogSource,
        origin: String,
        id_key: &str,
    ) -> Self {
        let (id, id_derived) = match &header.id {
            Some(id) => (id.clone(), false),
            None => (derive_rule_id(id_key, &header.title), true),
        };
        RuleMeta {
            id,
            id_derived,
            name: header.name.clone(),
            title: header.title.clone(),
            description: header.description.clone().unwrap_or_default(),
            level: header.level.unwrap_or(Severity::Medium),
            status: header.status,
            tags: header.tags.clone(),
            author: header.author.clone(),
            date: header.date.clone(),
            modified: header.modified.clone(),
            references: header.references.clone(),
            falsepositives: header.falsepositives.clone(),
            fields: header.fields.clone(),
            custom_attributes: header.custom_attributes.clone(),
            logsource: logsource.clone(),
            origin,
        }
    }
}
