//! The service report written out: CSV (every row and every figure),
//! self-contained HTML with inline SVG charts, and PDF with vector charts.
//! JSON is the report itself, serialised.
//!
//! - `chart`: the charts as shapes, shared by the SVG and the PDF.
//! - `evidence`: a compliance evidence pack as JSON or PDF, with the
//!   service report's PDF layout.
//! - `csv`, `html`, `pdf`: one writer each; `tables`: the rows the HTML
//!   and the PDF both show; `text`: how figures read.

pub mod chart;
mod csv;
mod evidence;
mod html;
mod pdf;
mod tables;
pub mod text;

use std::fmt;
use std::str::FromStr;

use crate::reporting::service::ServiceReport;

pub use self::csv::{CsvRow, csv_rows, summary_figures};
pub use self::evidence::{
    EvidenceFormat, EvidenceFormatError, evidence_file_name, render_evidence,
};

/// A form the report can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// The report as JSON.
    Json,
    /// Every row and figure, one table.
    Csv,
    /// One self-contained page.
    Html,
    /// A document to print or send.
    Pdf,
}

/// A format name that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("format `{0}` is not one of json, csv, html, pdf")]
pub struct FormatError(pub String);

impl Format {
    /// Every format.
    pub const ALL: [Format; 4] = [Format::Json, Format::Csv, Format::Html, Format::Pdf];

    /// Its name (and file extension).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Html => "html",
            Format::Pdf => "pdf",
        }
    }

    /// The HTTP content type.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Html => "text/html; charset=utf-8",
            Format::Pdf => "application/pdf",
        }
    }
}

impl FromStr for Format {
    type Err = FormatError;
    fn from_str(s: &str) -> Result<Self, FormatError> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| FormatError(s.to_owned()))
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The CSV writer failed.
    #[error("cannot write the report as CSV: {0}")]
    Csv(#[from] ::csv::Error),
    /// The JSON writer failed.
    #[error("cannot write the report as JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// The report in `format`.
pub fn render(report: &ServiceReport, format: Format) -> Result<Vec<u8>, RenderError> {
    Ok(match format {
        Format::Json => serde_json::to_vec_pretty(report)?,
        Format::Csv => self::csv::write(report)?,
        Format::Html => html::page(report).into_bytes(),
        Format::Pdf => pdf::document(report),
    })
}

/// A NIS-2 report draft as a PDF (the JSON document is what is submitted
/// and digested; the PDF shows the same content for people).
pub fn nis2_draft_pdf(draft: &vigil_compliance::nis2::ReportDraft) -> Vec<u8> {
    pdf::nis2_draft(draft)
}

/// A file name for the report: `service-report-<client>-<month>.<ext>`.
pub fn file_name(report: &ServiceReport, format: Format) -> String {
    let who = report.client.tenant.as_deref().unwrap_or("all-clients");
    let safe: String = who
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
        "service-report-{safe}-{}.{}",
        report.period.month,
        format.as_str()
    )
}

#[cfg(test)]
mod tests;
