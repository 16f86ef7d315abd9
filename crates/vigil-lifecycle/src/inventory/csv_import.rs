//! Inventory import from CSV: a header row, then one device a line.
//!
//! Columns (header names any case, `-` or space for `_`):
//! - required: `site`, `device_id` (or `device`, `id`), `kind`, `vendor`,
//!   `model`;
//! - optional: `serial`, `firmware` (or `firmware_version`,
//!   `software_version`, `version`), `installed`, `warranty_until`,
//!   `end_of_support` (dates, `YYYY-MM-DD`), `source`, `zone`, `x`, `y`.
//!
//! A column not listed is an error naming it, not silently dropped: a
//! misspelt `end_of_suport` would otherwise lose every date in it. So is a
//! serial or a device id found twice (both lines are named). Errors name
//! the line and the column. The file is read whole before anything is
//! returned, so a bad line anywhere means nothing is imported.

use std::collections::HashMap;

use chrono::NaiveDate;
use vigil_model::{SiteId, SourceId, TenantId};

use super::{Device, DeviceKind, Position};

/// What is wrong with an inventory CSV, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}{}: {message}", column.as_ref().map(|c| format!(", column `{c}`")).unwrap_or_default())]
pub struct CsvError {
    /// 1-based line of the file.
    pub line: u64,
    /// The column, as its header names it, where one is to blame.
    pub column: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// The canonical column a header stands for.
fn column(header: &str) -> Option<&'static str> {
    let h = header.trim().to_ascii_lowercase().replace([' ', '-'], "_");
    Some(match h.as_str() {
        "site" | "site_id" => "site",
        "device_id" | "device" | "id" => "device_id",
        "kind" | "type" | "device_kind" => "kind",
        "vendor" | "manufacturer" => "vendor",
        "model" | "product" => "model",
        "serial" | "serial_number" => "serial",
        "firmware" | "firmware_version" | "software_version" | "version" => "firmware",
        "installed" | "installed_on" | "installation_date" => "installed",
        "warranty_until" | "warranty" | "warranty_end" => "warranty_until",
        "end_of_support" | "eos" | "support_until" => "end_of_support",
        "source" | "source_id" => "source",
        "zone" | "area" => "zone",
        "x" => "x",
        "y" => "y",
        _ => return None,
    })
}

const REQUIRED: [&str; 5] = ["site", "device_id", "kind", "vendor", "model"];

/// Parses an inventory CSV for `tenant`: every device, or the first error.
pub fn parse_csv(tenant: &TenantId, text: &str) -> Result<Vec<Device>, CsvError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| CsvError {
            line: 1,
            column: None,
            message: format!("header row: {e}"),
        })?
        .clone();
    let mut columns: Vec<&'static str> = Vec::new();
    for (i, header) in headers.iter().enumerate() {
        let err = |message: String| CsvError {
            line: 1,
            column: Some(header.to_owned()),
            message,
        };
        let Some(col) = column(header) else {
            return Err(err(format!(
                "unknown column (column {}); known columns are site, device_id, kind, vendor, \
                 model, serial, firmware, installed, warranty_until, end_of_support, source, \
                 zone, x, y",
                i + 1
            )));
        };
        if columns.contains(&col) {
            return Err(err(format!("a second `{col}` column")));
        }
        columns.push(col);
    }
    for needed in REQUIRED {
        if !columns.contains(&needed) {
            return Err(CsvError {
                line: 1,
                column: None,
                message: format!("no `{needed}` column"),
            });
        }
    }
    let mut devices = Vec::new();
    let mut serials: HashMap<String, u64> = HashMap::new();
    let mut ids: HashMap<(SiteId, String), u64> = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| CsvError {
            line: e.position().map_or(0, |p| p.line()),
            column: None,
            message: e.to_string(),
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let cells: HashMap<&str, &str> = columns
            .iter()
            .zip(headers.iter())
            .zip(record.iter())
            .map(|((col, _), value)| (*col, value))
            .collect();
        let header_of = |col: &str| {
            columns
                .iter()
                .position(|c| *c == col)
                .and_then(|i| headers.get(i))
                .unwrap_or(col)
                .to_owned()
        };
        let row = Row {
            line,
            cells,
            header_of: &header_of,
        };
        let device = row.device(tenant)?;
        if let Some(serial) = &device.serial {
            let key = serial.to_ascii_lowercase();
            if let Some(first) = serials.insert(key, line) {
                return Err(row.error(
                    "serial",
                    format!("serial `{serial}` is also on line {first}"),
                ));
            }
        }
        if let Some(first) = ids.insert((device.site.clone(), device.id.clone()), line) {
            return Err(row.error(
                "device_id",
                format!(
                    "device {}/{} is also on line {first}",
                    device.site, device.id
                ),
            ));
        }
        devices.push(device);
    }
    Ok(devices)
}

/// One line's cells by canonical column.
struct Row<'a> {
    line: u64,
    cells: HashMap<&'static str, &'a str>,
    header_of: &'a dyn Fn(&str) -> String,
}

impl Row<'_> {
    fn error(&self, col: &str, message: String) -> CsvError {
        CsvError {
            line: self.line,
            column: Some((self.header_of)(col)),
            message,
        }
    }

    fn text(&self, col: &str) -> Option<&str> {
        self.cells.get(col).copied().filter(|v| !v.is_empty())
    }

    fn required(&self, col: &str) -> Result<&str, CsvError> {
        self.text(col)
            .ok_or_else(|| self.error(col, "is empty".to_owned()))
    }

    fn date(&self, col: &str) -> Result<Option<NaiveDate>, CsvError> {
        self.text(col)
            .map(|v| {
                NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .map_err(|_| self.error(col, format!("`{v}` is not a date (YYYY-MM-DD)")))
            })
            .transpose()
    }

    fn number(&self, col: &str) -> Result<Option<f64>, CsvError> {
        self.text(col)
            .map(|v| match v.parse::<f64>() {
                Ok(n) if n.is_finite() => Ok(n),
                _ => Err(self.error(col, format!("`{v}` is not a number"))),
            })
            .transpose()
    }

    fn device(&self, tenant: &TenantId) -> Result<Device, CsvError> {
        let site_text = self.required("site")?;
        let site = SiteId::new(site_text).map_err(|e| self.error("site", e.to_string()))?;
        let kind_text = self.required("kind")?;
        let kind = DeviceKind::parse(kind_text).ok_or_else(|| {
            let known: Vec<&str> = DeviceKind::ALL.iter().map(|k| k.as_str()).collect();
            self.error(
                "kind",
                format!("`{kind_text}` is not a kind (one of {})", known.join(", ")),
            )
        })?;
        let source = self
            .text("source")
            .map(|s| SourceId::new(s).map_err(|e| self.error("source", e.to_string())))
            .transpose()?;
        let (zone, x, y) = (self.text("zone"), self.number("x")?, self.number("y")?);
        let position = (zone.is_some() || x.is_some() || y.is_some()).then(|| Position {
            zone: zone.map(str::to_owned),
            x,
            y,
        });
        let installed = self.date("installed")?;
        let warranty_until = self.date("warranty_until")?;
        let end_of_support = self.date("end_of_support")?;
        if let (Some(from), Some(until)) = (installed, warranty_until)
            && until < from
        {
            return Err(self.error(
                "warranty_until",
                format!("{until} is before the installation ({from})"),
            ));
        }
        Ok(Device {
            tenant: tenant.clone(),
            site,
            id: self.required("device_id")?.to_owned(),
            kind,
            vendor: self.required("vendor")?.to_owned(),
            model: self.required("model")?.to_owned(),
            serial: self.text("serial").map(str::to_owned),
            firmware: self.text("firmware").map(str::to_owned),
            installed,
            warranty_until,
            end_of_support,
            source,
            position,
        })
    }
}
