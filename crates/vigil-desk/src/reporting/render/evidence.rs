//! A compliance evidence pack written out: JSON (the form that verifies
//! against the audit chain) or PDF (its reading copy, laid out like the
//! service report).

use std::fmt;
use std::str::FromStr;

use vigil_compliance::evidence::EvidencePack;

use super::pdf;

/// A form an evidence pack can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EvidenceFormat {
    /// The pack as JSON.
    Json,
    /// A document to read and send.
    Pdf,
}

/// A format name that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("format `{0}` is not one of json, pdf")]
pub struct EvidenceFormatError(pub String);

impl EvidenceFormat {
    /// Every format.
    pub const ALL: [EvidenceFormat; 2] = [EvidenceFormat::Json, EvidenceFormat::Pdf];

    /// Its name (and file extension).
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceFormat::Json => "json",
            EvidenceFormat::Pdf => "pdf",
        }
    }

    /// The HTTP content type.
    pub fn content_type(self) -> &'static str {
        match self {
            EvidenceFormat::Json => "application/json",
            EvidenceFormat::Pdf => "application/pdf",
        }
    }
}

impl FromStr for EvidenceFormat {
    type Err = EvidenceFormatError;
    fn from_str(s: &str) -> Result<Self, EvidenceFormatError> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| EvidenceFormatError(s.to_owned()))
    }
}

impl fmt::Display for EvidenceFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The pack in `format`.
pub fn render_evidence(
    pack: &EvidencePack,
    format: EvidenceFormat,
) -> Result<Vec<u8>, serde_json::Error> {
    Ok(match format {
        EvidenceFormat::Json => serde_json::to_vec_pretty(pack)?,
        EvidenceFormat::Pdf => pdf::evidence::document(pack),
    })
}

/// A file name for the pack:
/// `evidence-<framework>-<client>-<from>-<to>.<ext>` (dates in UTC).
pub fn evidence_file_name(pack: &EvidencePack, format: EvidenceFormat) -> String {
    let safe: String = pack
        .tenant
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "evidence-{}-{safe}-{}-{}.{}",
        pack.framework,
        pack.period.from.format("%Y%m%d"),
        pack.period.to.format("%Y%m%d"),
        format.as_str()
    )
}
