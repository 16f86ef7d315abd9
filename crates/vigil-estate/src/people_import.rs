//! The people register's import: HR exports as CSV or JSON, into
//! [`PersonRecord`]s; and the task that keeps a pipeline's register current
//! with the store.
//!
//! Columns (CSV headers or JSON keys, any case, `-`/space as `_`):
//! - `id` (or `employee_id`, `person_id`, `hr_id`) — required;
//! - `name` (or `full_name`, `display_name`) — required;
//! - `status` — `active`, `on_leave`, `terminated` (and HR spellings);
//!   empty means active;
//! - `status_from` (or `termination_date`, `leave_from`, `leave_start`) and
//!   `status_until` (or `leave_until`, `leave_end`, `return_date`) —
//!   `YYYY-MM-DD`;
//! - `badges` (or `badge`, `badge_ids`, `cards`) and `accounts` (or
//!   `account`, `username`, `usernames`, `email`, `upn`) — several separated
//!   by `;`, `|` or `,` in CSV; strings or arrays in JSON.

use std::sync::Arc;

use chrono::NaiveDate;
use serde_json::Value;
use vigil_ingest::{PeopleRegister, Pipeline};
use vigil_model::{PersonStatus, TenantId};
use vigil_store::{EstateStore, PersonRecord, TenantScope};

/// What was wrong with an HR export, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// A row or object is wrong.
    #[error("{place}: {reason}")]
    Row {
        /// `line 7` (CSV) or `entry 3` (JSON).
        place: String,
        /// What was wrong.
        reason: String,
    },
    /// The file as a whole is wrong.
    #[error("{0}")]
    File(String),
}

fn row_error(place: &str, reason: impl Into<String>) -> ImportError {
    ImportError::Row {
        place: place.to_owned(),
        reason: reason.into(),
    }
}

/// The canonical column a header stands for.
fn column(header: &str) -> Option<&'static str> {
    let h = header.trim().to_ascii_lowercase().replace([' ', '-'], "_");
    Some(match h.as_str() {
        "id" | "employee_id" | "person_id" | "hr_id" | "employee_number" => "id",
        "name" | "full_name" | "display_name" => "name",
        "status" | "employment_status" => "status",
        "status_from" | "termination_date" | "leave_from" | "leave_start" | "status_since" => {
            "status_from"
        }
        "status_until" | "leave_until" | "leave_end" | "return_date" => "status_until",
        "badges" | "badge" | "badge_ids" | "badge_id" | "cards" | "card" => "badges",
        "accounts" | "account" | "username" | "usernames" | "email" | "upn" | "login" => "accounts",
        _ => return None,
    })
}

/// Parses a CSV export (with a header row) for `tenant`.
pub fn parse_csv(tenant: &TenantId, text: &str) -> Result<Vec<PersonRecord>, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| ImportError::File(format!("header row: {e}")))?
        .clone();
    let columns: Vec<Option<&'static str>> = headers.iter().map(column).collect();
    for needed in ["id", "name"] {
        if !columns.contains(&Some(needed)) {
            return Err(ImportError::File(format!(
                "no `{needed}` column (headers are: {})",
                headers.iter().collect::<Vec<_>>().join(", ")
            )));
        }
    }
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            row_error(&format!("line {line}"), e.to_string())
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let place = format!("line {line}");
        let mut row = Row::default();
        for (value, col) in record.iter().zip(&columns) {
            if let Some(col) = col {
                row.set(col, Value::String(value.to_owned()));
            }
        }
        out.push(row.person(tenant, &place)?);
    }
    Ok(out)
}

/// Parses a JSON export — an array of objects, or `{"people": [...]}` — for
/// `tenant`.
pub fn parse_json(tenant: &TenantId, text: &str) -> Result<Vec<PersonRecord>, ImportError> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        ImportError::File(format!(
            "not JSON: line {} column {}: {e}",
            e.line(),
            e.column()
        ))
    })?;
    let items = match &value {
        Value::Array(items) => items,
        Value::Object(map) => match map.get("people") {
            Some(Value::Array(items)) => items,
            _ => {
                return Err(ImportError::File(
                    "expected an array of people or {\"people\": [...]}".into(),
                ));
            }
        },
        _ => {
            return Err(ImportError::File(
                "expected an array of people or {\"people\": [...]}".into(),
            ));
        }
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let place = format!("entry {}", i + 1);
        let Value::Object(map) = item else {
            return Err(row_error(&place, "is not an object"));
        };
        let mut row = Row::default();
        for (key, value) in map {
            if let Some(col) = column(key) {
                row.set(col, value.clone());
            }
        }
        out.push(row.person(tenant, &place)?);
    }
    Ok(out)
}

/// Parses an export, choosing the format by its first non-blank character.
pub fn parse(tenant: &TenantId, text: &str) -> Result<Vec<PersonRecord>, ImportError> {
    match text.trim_start().chars().next() {
        Some('[' | '{') => parse_json(tenant, text),
        _ => parse_csv(tenant, text),
    }
}

#[derive(Default)]
struct Row {
    values: std::collections::HashMap<&'static str, Value>,
}

impl Row {
    fn set(&mut self, column: &'static str, value: Value) {
        self.values.insert(column, value);
    }

    fn text(&self, column: &str) -> Option<String> {
        match self.values.get(column)? {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    fn list(&self, column: &str) -> Vec<String> {
        let mut out: Vec<String> = match self.values.get(column) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| match v {
                    Value::String(s) => Some(s.trim().to_owned()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .collect(),
            Some(Value::String(s)) => s
                .split([';', '|', ','])
                .map(|p| p.trim().to_owned())
                .collect(),
            Some(Value::Number(n)) => vec![n.to_string()],
            _ => Vec::new(),
        };
        out.retain(|s| !s.is_empty());
        out.dedup();
        out
    }

    fn date(&self, column: &str, place: &str) -> Result<Option<NaiveDate>, ImportError> {
        self.text(column)
            .map(|t| {
                NaiveDate::parse_from_str(&t, "%Y-%m-%d").map_err(|_| {
                    row_error(place, format!("`{column}` is `{t}`; expected YYYY-MM-DD"))
                })
            })
            .transpose()
    }

    fn person(&self, tenant: &TenantId, place: &str) -> Result<PersonRecord, ImportError> {
        let id = self
            .text("id")
            .ok_or_else(|| row_error(place, "`id` is empty"))?;
        let name = self
            .text("name")
            .ok_or_else(|| row_error(place, "`name` is empty"))?;
        let status = match self.text("status") {
            None => PersonStatus::Active,
            Some(s) => PersonStatus::parse(&s).ok_or_else(|| {
                row_error(
                    place,
                    format!("`status` is `{s}`; expected active, on_leave or terminated"),
                )
            })?,
        };
        let status_from = self.date("status_from", place)?;
        let status_until = self.date("status_until", place)?;
        if let (Some(f), Some(u)) = (status_from, status_until)
            && u < f
        {
            return Err(row_error(
                place,
                format!("`status_until` {u} is before `status_from` {f}"),
            ));
        }
        Ok(PersonRecord {
            tenant: tenant.clone(),
            id,
            name,
            status,
            status_from,
            status_until,
            badges: self.list("badges"),
            accounts: self.list("accounts"),
        })
    }
}

/// Loads the register into `pipeline` now and again whenever the store's
/// revision moves (checked every `period`), until dropped.
pub async fn keep_register_current(
    pipeline: Pipeline,
    store: Arc<dyn EstateStore>,
    period: std::time::Duration,
) {
    let mut loaded: Option<i64> = None;
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let revision = match store.people_revision().await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "people register revision could not be read");
                continue;
            }
        };
        if loaded == Some(revision) {
            continue;
        }
        match store.people(&TenantScope::All).await {
            Ok(people) => {
                let register = PeopleRegister::new(people);
                tracing::info!(people = register.len(), revision, "people register loaded");
                pipeline.set_people(Arc::new(register));
                loaded = Some(revision);
            }
            Err(e) => tracing::warn!(error = %e, "people register could not be read"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acme() -> TenantId {
        TenantId::new("acme").unwrap()
    }

    #[test]
    fn a_csv_export_with_hr_headers() {
        let text = "Employee ID,Full Name,Status,Termination Date,Return Date,Badge IDs,Username\n\
                    E1,Ann Smith,Active,,,1001;1002,asmith\n\
                    E2,Bob Jones,Terminated,2026-11-20,,2001,\"CORP\\bjones, bob@corp.example\"\n\
                    E3,Cy Ode,on leave,2026-11-01,2026-12-01,,\n";
        let people = parse(&acme(), text).unwrap();
        assert_eq!(people.len(), 3);
        assert_eq!(people[0].badges, vec!["1001", "1002"]);
        assert_eq!(people[1].status, PersonStatus::Terminated);
        assert_eq!(people[1].status_from, NaiveDate::from_ymd_opt(2026, 11, 20));
        assert_eq!(people[1].accounts, vec!["CORP\\bjones", "bob@corp.example"]);
        assert_eq!(people[2].status, PersonStatus::OnLeave);
        assert_eq!(people[2].status_until, NaiveDate::from_ymd_opt(2026, 12, 1));
        assert!(people[2].badges.is_empty());
    }

    #[test]
    fn a_json_export() {
        let text = r#"{"people": [
            {"id": 7, "name": "Dee", "status": "left", "badges": ["3001", 3002], "accounts": "dee"},
            {"employee_id": "E8", "display_name": "Eve"}
        ]}"#;
        let people = parse(&acme(), text).unwrap();
        assert_eq!(people[0].id, "7");
        assert_eq!(people[0].status, PersonStatus::Terminated);
        assert_eq!(people[0].badges, vec!["3001", "3002"]);
        assert_eq!(people[1].status, PersonStatus::Active);
    }

    #[test]
    fn mistakes_name_the_line_or_entry() {
        let err = parse(&acme(), "id,name,status\nE1,Ann,retired\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 2: `status` is `retired`; expected active, on_leave or terminated"
        );
        let err = parse(&acme(), "id,name,status_from\nE1,Ann,01/02/2026\n").unwrap_err();
        assert!(
            err.to_string().starts_with("line 2: `status_from`"),
            "{err}"
        );
        assert!(
            parse(&acme(), "id,status\nE1,active\n")
                .unwrap_err()
                .to_string()
                .contains("no `name` column")
        );
        let err = parse(&acme(), r#"[{"id": "x", "name": ""}]"#).unwrap_err();
        assert_eq!(err.to_string(), "entry 1: `name` is empty");
        assert!(
            parse(&acme(), "[1,")
                .unwrap_err()
                .to_string()
                .contains("line 1")
        );
        let err = parse(
            &acme(),
            "id,name,status_from,status_until\nE,N,2026-02-01,2026-01-01\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("before"));
    }
}
