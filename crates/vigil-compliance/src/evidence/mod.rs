//! Evidence packs: what the platform itself shows about a client's
//! controls over a period, control by control, with a SHA-256 digest over
//! every piece so that a pack handed to an auditor can be checked against
//! the audit chain later.
//!
//! The platform evidences only what it runs: logging and monitoring
//! (A.8.15, A.8.16), incident management (A.5.24 to A.5.28), physical
//! security monitoring (A.7.1 to A.7.4), access rights (A.5.15 to A.5.18)
//! and the integrity of its own record. Each of those is a query here, a
//! pure function of plain facts the desk gathered from the store
//! ([`EvidenceInput`]), giving one or more [`EvidenceEntry`]s. Every other
//! Annex A control is listed as not evidenced by the platform: that says
//! what this pack can show, not that the client lacks the control. NIS-2
//! Art. 21(2) measures take their evidence through the catalogue's mapping
//! to Annex A.
//!
//! Digests are over canonical JSON ([`canonical_json`]: keys sorted, no
//! whitespace): an entry's over the entry without its `digest`, the pack's
//! over the pack without `digest` and `record` (the record says where the
//! digest was written, so it cannot be inside it).

pub mod access;
pub mod audit;
pub mod incidents;
pub mod logging;
pub mod period;
pub mod physical;
pub mod verify;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use vigil_model::Timestamp;

use crate::catalogue::{Catalogue, CatalogueError, Control, FrameworkId};
use crate::nis2::report::canonical_json;

pub use period::{Bound, PeriodError, PeriodSpec};
pub use verify::{PackDigests, PackError, RecordedPack, check_digests, check_record};

/// The identifier of the pack format, in every pack.
pub const FORMAT: &str = "vigil.compliance-evidence/1";

/// The audit action a generated pack is recorded under.
pub const AUDIT_ACTION: &str = "compliance.report";

/// How far a control, or one piece of evidence, is shown by the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The platform's records show it in operation over the period.
    Evidenced,
    /// They show part of it, or show it with gaps (named in the finding).
    Partially,
    /// The platform does not show it (it may still be in place elsewhere).
    NotEvidenced,
    /// It does not apply to what the platform runs for this client.
    NotApplicable,
}

impl Status {
    /// Every status, best first.
    pub const ALL: [Status; 4] = [
        Status::Evidenced,
        Status::Partially,
        Status::NotEvidenced,
        Status::NotApplicable,
    ];

    /// Its name in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Evidenced => "evidenced",
            Status::Partially => "partially",
            Status::NotEvidenced => "not_evidenced",
            Status::NotApplicable => "not_applicable",
        }
    }

    /// Its name for people.
    pub fn label(self) -> &'static str {
        match self {
            Status::Evidenced => "evidenced",
            Status::Partially => "partially evidenced",
            Status::NotEvidenced => "not evidenced by the platform",
            Status::NotApplicable => "not applicable",
        }
    }

    /// The status of something shown by all of `parts`: not applicable
    /// parts say nothing; all evidenced is evidenced, none shown is not
    /// evidenced, anything between is partial.
    pub fn combine(parts: impl IntoIterator<Item = Status>) -> Status {
        let mut any = false;
        let (mut all_shown, mut none_shown) = (true, true);
        for s in parts {
            match s {
                Status::NotApplicable => continue,
                Status::Evidenced => none_shown = false,
                Status::Partially => {
                    all_shown = false;
                    none_shown = false;
                }
                Status::NotEvidenced => all_shown = false,
            }
            any = true;
        }
        match (any, all_shown, none_shown) {
            (false, _, _) => Status::NotApplicable,
            (true, true, _) => Status::Evidenced,
            (true, _, true) => Status::NotEvidenced,
            _ => Status::Partially,
        }
    }
}

/// One piece of evidence: what one query found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceEntry {
    /// Its id in the pack (`logging.sources`, `audit.integrity` …).
    pub id: String,
    /// What it shows, for people.
    pub title: String,
    /// The Annex A controls it evidences.
    pub controls: Vec<String>,
    /// What it shows about them.
    pub status: Status,
    /// The finding in one or two sentences, gaps named.
    pub finding: String,
    /// The facts behind the finding.
    pub data: Value,
    /// SHA-256 (hex) of the entry's canonical JSON without this field.
    pub digest: String,
}

impl EvidenceEntry {
    /// An entry with its digest computed.
    pub fn new(
        id: &str,
        title: &str,
        controls: &[&str],
        status: Status,
        finding: String,
        data: Value,
    ) -> Result<Self, EvidenceError> {
        let mut entry = Self {
            id: id.to_owned(),
            title: title.to_owned(),
            controls: controls.iter().map(|c| (*c).to_owned()).collect(),
            status,
            finding,
            data,
            digest: String::new(),
        };
        entry.digest = digest_without(&entry, &["digest"])?;
        Ok(entry)
    }
}

/// An entry a control rests on, by id and digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryRef {
    /// The entry's id.
    pub entry: String,
    /// Its digest.
    pub digest: String,
}

/// One control (or NIS-2 measure) and what the platform shows of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ControlEvidence {
    /// `A.5.1` … `A.8.34`, or `21(2)(a)` … `21(2)(j)`.
    pub id: String,
    /// Its title.
    pub title: String,
    /// How far the platform shows it.
    pub status: Status,
    /// Why that status, in words.
    pub basis: String,
    /// For NIS-2 measures: the Annex A controls it maps to, with theirs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<MappedControl>,
    /// The entries it rests on.
    pub evidence: Vec<EntryRef>,
}

/// An Annex A control a NIS-2 measure maps to, and its status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappedControl {
    /// The control.
    pub id: String,
    /// Its status in this pack's evidence.
    pub status: Status,
}

/// The period a pack covers: `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// The first instant.
    pub from: Timestamp,
    /// The instant after the last.
    pub to: Timestamp,
}

/// How many controls have each status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Evidenced.
    pub evidenced: usize,
    /// Partially evidenced.
    pub partially: usize,
    /// Not evidenced by the platform.
    pub not_evidenced: usize,
    /// Not applicable.
    pub not_applicable: usize,
}

/// Where a pack's digest was recorded: its audit entry and the signed
/// checkpoint that covered it when the pack was made. Not part of the
/// digest; `verify` checks it against the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackRecord {
    /// The audit entry's sequence number.
    pub seq: u64,
    /// The audit entry's hash (hex).
    pub entry_hash: String,
    /// The checkpoint signed right after it, if the node signs them.
    pub checkpoint: Option<u64>,
    /// The entries that checkpoint covers.
    pub tree_size: Option<u64>,
}

/// A client's evidence pack for one framework over one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidencePack {
    /// [`FORMAT`].
    pub format: String,
    /// The framework.
    pub framework: FrameworkId,
    /// Its title.
    pub framework_title: String,
    /// The client's tenant id.
    pub tenant: String,
    /// The client's name.
    pub client: String,
    /// The period.
    pub period: Span,
    /// When the evidence was read.
    pub generated_at: Timestamp,
    /// Controls per status.
    pub summary: Tally,
    /// Every control of the framework, in the catalogue's order.
    pub controls: Vec<ControlEvidence>,
    /// Every entry, once.
    pub entries: Vec<EvidenceEntry>,
    /// How the evidence was read, and what it leaves out.
    pub notes: Vec<String>,
    /// SHA-256 (hex) of the pack's canonical JSON without `digest` and
    /// `record`.
    pub digest: String,
    /// Where the digest was recorded (set once it was).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<PackRecord>,
}

impl EvidencePack {
    /// The control with `id`, if the pack holds it.
    pub fn control(&self, id: &str) -> Option<&ControlEvidence> {
        self.controls.iter().find(|c| c.id == id)
    }

    /// The entry with `id`, if the pack holds it.
    pub fn entry(&self, id: &str) -> Option<&EvidenceEntry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// The detail the audit entry records: framework, period, the pack's
    /// digest and each entry's, so that `verify` can name the entry that
    /// no longer matches.
    pub fn audit_detail(&self) -> Value {
        let entries: serde_json::Map<String, Value> = self
            .entries
            .iter()
            .map(|e| (e.id.clone(), Value::String(e.digest.clone())))
            .collect();
        serde_json::json!({
            "format": self.format,
            "framework": self.framework,
            "from": self.period.from,
            "to": self.period.to,
            "pack": self.digest,
            "entries": entries,
        })
    }

    /// The audit object the pack is recorded against.
    pub fn audit_object(&self) -> String {
        format!("compliance/{}/{}", self.framework, self.tenant)
    }
}

/// Everything a pack is computed from, gathered by the desk in the
/// client's scope.
#[derive(Debug, Clone)]
pub struct EvidenceInput<'a> {
    /// The framework the pack is for.
    pub framework: FrameworkId,
    /// The client's tenant id.
    pub tenant: &'a str,
    /// The client's name.
    pub client: &'a str,
    /// The period.
    pub period: Span,
    /// When the evidence is read (`now`).
    pub generated_at: Timestamp,
    /// Sources, events and retention.
    pub logging: &'a logging::LoggingFacts,
    /// Supervised devices and their gaps.
    pub supervision: &'a physical::SupervisionFacts,
    /// Incidents opened in the period.
    pub incidents: &'a incidents::IncidentFacts,
    /// Doors, cameras and alarm panels, and physical events.
    pub physical: &'a physical::PhysicalFacts,
    /// Who holds which role.
    pub access: &'a access::AccessFacts,
    /// The audit chain's verification.
    pub audit: &'a audit::AuditFacts,
    /// What the gathering left out (caps reached), said on the pack.
    pub notes: &'a [String],
}

/// Why a pack could not be made.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    /// The catalogue could not be read, or a name is not in it.
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    /// A value could not be encoded as JSON for its digest.
    #[error("cannot encode {what} as JSON: {source}")]
    Encode {
        /// What was being encoded.
        what: String,
        /// Why.
        source: serde_json::Error,
    },
}

/// Annex A controls whose platform evidence only ever shows part of them:
/// monitoring shows the perimeter and the offices watched, not that they
/// were drawn and built right.
const PARTIAL_AT_BEST: &[(&str, &str)] = &[
    (
        "A.7.1",
        "The platform shows the perimeter's doors and intrusion panels supervised; the \
         perimeter's definition and construction are the client's to show.",
    ),
    (
        "A.7.3",
        "The platform shows the offices' doors and cameras supervised; how the offices \
         are secured is the client's to show.",
    ),
];

/// The evidence pack `input` gives, without its record.
pub fn evidence_pack(input: &EvidenceInput<'_>) -> Result<EvidencePack, EvidenceError> {
    let catalogue = Catalogue::builtin()?;
    let span = input.period;
    let mut entries = Vec::new();
    entries.extend(logging::evidence(input.logging, span)?);
    entries.push(physical::supervision_evidence(input.supervision, span)?);
    entries.extend(incidents::evidence(input.incidents, span)?);
    entries.extend(physical::evidence(input.physical, input.supervision)?);
    entries.extend(access::evidence(input.access, span)?);
    entries.push(audit::evidence(input.audit)?);

    let iso = catalogue.framework(FrameworkId::Iso27001.as_str())?;
    let iso_controls: Vec<ControlEvidence> = iso
        .controls
        .iter()
        .map(|c| iso_control(c, &entries))
        .collect();
    let framework = catalogue.framework(input.framework.as_str())?;
    let controls = match input.framework {
        FrameworkId::Iso27001 => iso_controls,
        FrameworkId::Nis2 => framework
            .controls
            .iter()
            .map(|m| nis2_measure(m, &iso_controls))
            .collect(),
    };
    let mut summary = Tally::default();
    for c in &controls {
        *match c.status {
            Status::Evidenced => &mut summary.evidenced,
            Status::Partially => &mut summary.partially,
            Status::NotEvidenced => &mut summary.not_evidenced,
            Status::NotApplicable => &mut summary.not_applicable,
        } += 1;
    }
    // Only entries some listed control rests on go in the pack.
    entries.retain(|e| {
        controls
            .iter()
            .any(|c| c.evidence.iter().any(|r| r.entry == e.id))
    });
    let mut notes = vec![format!(
        "Evidence read at {} over {} to {} (the end excluded). \"Not evidenced by the \
         platform\" says what this pack can show, not that the control is missing: \
         policies, people and most of the organisation's controls are shown by the client.",
        input.generated_at.to_rfc3339(),
        span.from.to_rfc3339(),
        span.to.to_rfc3339()
    )];
    if input.framework == FrameworkId::Nis2 {
        notes.push(
            "Each Art. 21(2) measure is shown through the Annex A controls the catalogue \
             maps it to: evidenced only if all of them are."
                .to_owned(),
        );
    }
    notes.extend(input.notes.iter().cloned());
    let mut pack = EvidencePack {
        format: FORMAT.to_owned(),
        framework: input.framework,
        framework_title: framework.title.clone(),
        tenant: input.tenant.to_owned(),
        client: input.client.to_owned(),
        period: span,
        generated_at: input.generated_at,
        summary,
        controls,
        entries,
        notes,
        digest: String::new(),
        record: None,
    };
    pack.digest = digest_without(&pack, &["digest", "record"])?;
    Ok(pack)
}

fn iso_control(control: &Control, entries: &[EvidenceEntry]) -> ControlEvidence {
    let own: Vec<&EvidenceEntry> = entries
        .iter()
        .filter(|e| e.controls.contains(&control.id))
        .collect();
    let evidence = own
        .iter()
        .map(|e| EntryRef {
            entry: e.id.clone(),
            digest: e.digest.clone(),
        })
        .collect();
    let (status, basis) = if own.is_empty() {
        (
            Status::NotEvidenced,
            "The platform keeps no record that shows this control.".to_owned(),
        )
    } else {
        let mut status = Status::combine(own.iter().map(|e| e.status));
        let mut basis: Vec<String> = own
            .iter()
            .map(|e| format!("{} ({}): {}", e.title, e.status.label(), e.finding))
            .collect();
        if let Some((_, why)) = PARTIAL_AT_BEST.iter().find(|(id, _)| *id == control.id)
            && status == Status::Evidenced
        {
            status = Status::Partially;
            basis.push((*why).to_owned());
        }
        (status, basis.join(" "))
    };
    ControlEvidence {
        id: control.id.clone(),
        title: control.title.clone(),
        status,
        basis,
        via: Vec::new(),
        evidence,
    }
}

fn nis2_measure(measure: &Control, iso: &[ControlEvidence]) -> ControlEvidence {
    let mapped: Vec<&ControlEvidence> = measure
        .maps_to
        .iter()
        .filter_map(|id| iso.iter().find(|c| &c.id == id))
        .collect();
    let via: Vec<MappedControl> = mapped
        .iter()
        .map(|c| MappedControl {
            id: c.id.clone(),
            status: c.status,
        })
        .collect();
    let mut evidence: Vec<EntryRef> = Vec::new();
    for r in mapped.iter().flat_map(|c| &c.evidence) {
        if !evidence.contains(r) {
            evidence.push(r.clone());
        }
    }
    let status = Status::combine(via.iter().map(|m| m.status));
    let shown: Vec<String> = via
        .iter()
        .filter(|m| matches!(m.status, Status::Evidenced | Status::Partially))
        .map(|m| format!("{} {}", m.id, m.status.label()))
        .collect();
    let basis = if shown.is_empty() {
        format!(
            "None of the Annex A controls it maps to ({}) is shown by the platform.",
            measure.maps_to.join(", ")
        )
    } else {
        format!(
            "Through Annex A: {}; the other {} of {} mapped controls are not shown by the platform.",
            shown.join(", "),
            via.len() - shown.len(),
            via.len()
        )
    };
    ControlEvidence {
        id: measure.id.clone(),
        title: measure.title.clone(),
        status,
        basis,
        via,
        evidence,
    }
}

/// SHA-256 (hex) of `value`'s canonical JSON with the top-level `skip`
/// keys left out.
pub(crate) fn digest_without<T: Serialize>(
    value: &T,
    skip: &[&str],
) -> Result<String, EvidenceError> {
    let mut v = serde_json::to_value(value).map_err(|source| EvidenceError::Encode {
        what: std::any::type_name::<T>().to_owned(),
        source,
    })?;
    digest_of_value(&mut v, skip)
}

/// SHA-256 (hex) of a JSON value's canonical text with the top-level
/// `skip` keys removed (from `value` itself).
pub fn digest_of_value(value: &mut Value, skip: &[&str]) -> Result<String, EvidenceError> {
    if let Value::Object(map) = value {
        for k in skip {
            map.remove(*k);
        }
    }
    let text = canonical_json(value).map_err(|source| EvidenceError::Encode {
        what: "a JSON value".to_owned(),
        source,
    })?;
    Ok(hex::encode(Sha256::digest(text.as_bytes())))
}

/// Seconds from `from` to `to` (never negative).
pub(crate) fn seconds(from: Timestamp, to: Timestamp) -> i64 {
    (to - from).num_seconds().max(0)
}

#[cfg(test)]
mod tests;
