//! Standard operating procedures: the checklist an operator is guided
//! through for an alarm type and client.
//!
//! SOPs are configuration, in TOML or YAML files:
//!
//! ```toml
//! [[sop]]
//! id = "door-forced"
//! version = 2
//! title = "Door forced open"
//! rules = ["0b6c6a2e-…"]        # rule ids, or "*"
//! tenants = ["northgate"]       # empty: every client
//! [[sop.steps]]
//! id = "camera"
//! title = "Verify on the camera covering the door"
//! [[sop.steps]]
//! id = "guard"
//! title = "Call the site guard"
//! call = "guard"                # whom, from the client's response plan
//! required = true
//! ```
//!
//! An SOP may apply to alarm categories instead of (or besides) named rules
//! (`categories = ["cyber"]`); a named rule wins over a category, a category
//! over `*`. A step with `call` lists whom to call from the client's response
//! plan ([`crate::procedure`]); a `police` or `fire` step is shown only where
//! the plan calls that service in the procedure.
//!
//! Versions are kept side by side: a run pins the version it started with,
//! so changing an SOP never rewrites what an operator was shown. The same
//! (id, version) loaded twice with different content is refused — a changed
//! procedure needs a new version number. For an alarm the library picks a
//! client-specific SOP over a generic one, a named rule over `*`, and the
//! highest version.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use vigil_model::{AlertId, Category, Severity, TenantId, Timestamp};

use crate::alarm::Alarm;
use crate::procedure::{CallList, Callee, Procedure};
use crate::{Actor, DeskError, Permission};

/// One step of a procedure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SopStep {
    /// Its id within the SOP.
    pub id: String,
    /// What to do.
    pub title: String,
    /// Whether it may be skipped only with a note.
    #[serde(default = "yes")]
    pub required: bool,
    /// Whom it calls, from the client's response plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<CallList>,
}

fn yes() -> bool {
    true
}

/// A procedure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sop {
    /// Its id.
    pub id: String,
    /// Its version (a changed SOP gets a higher one).
    pub version: u32,
    /// Its title.
    pub title: String,
    /// Rule ids it applies to (`*`: any).
    #[serde(default)]
    pub rules: Vec<String>,
    /// Alarm categories it applies to (a named rule is more specific).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<Category>,
    /// Clients it applies to (empty: all).
    #[serde(default)]
    pub tenants: Vec<TenantId>,
    /// Only alarms at or above this severity.
    #[serde(default)]
    pub min_severity: Option<Severity>,
    /// The steps, in order.
    pub steps: Vec<SopStep>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SopFile {
    sop: Vec<Sop>,
}

/// The format of an SOP file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SopFormat {
    /// TOML.
    Toml,
    /// YAML.
    Yaml,
}

impl Sop {
    fn validate(&self, source: &str) -> Result<(), DeskError> {
        let bad = |reason: String| DeskError::Config {
            source_name: source.to_owned(),
            reason: format!("sop `{}` version {}: {reason}", self.id, self.version),
        };
        if self.id.trim().is_empty() {
            return Err(bad("id is empty".into()));
        }
        if self.steps.is_empty() {
            return Err(bad("has no steps".into()));
        }
        if self.rules.is_empty() && self.categories.is_empty() {
            return Err(bad(
                "applies to no rules or categories (use \"*\" for any)".into()
            ));
        }
        let mut ids = std::collections::HashSet::new();
        for s in &self.steps {
            if !ids.insert(s.id.as_str()) {
                return Err(bad(format!("step id `{}` appears twice", s.id)));
            }
        }
        Ok(())
    }

    /// A digest of its content, to tell versions apart.
    pub fn digest(&self) -> String {
        hex::encode(Sha256::digest(serde_json::to_vec(self).unwrap_or_default()))
    }

    /// Whether it applies to `alarm` (of `category`), and how specifically:
    /// (client named, 2 for a named rule, 1 for a category, 0 for `*`).
    fn applies(&self, alarm: &Alarm, category: Option<Category>) -> Option<(bool, u8)> {
        let tenant_specific = !self.tenants.is_empty();
        if tenant_specific && !self.tenants.contains(&alarm.tenant) {
            return None;
        }
        if self.min_severity.is_some_and(|m| alarm.severity < m) {
            return None;
        }
        let fit = if self.rules.iter().any(|r| r == &alarm.rule_id) {
            2
        } else if category.is_some_and(|c| self.categories.contains(&c)) {
            1
        } else if self.rules.iter().any(|r| r == "*") {
            0
        } else {
            return None;
        };
        Some((tenant_specific, fit))
    }
}

/// Every SOP version loaded.
#[derive(Debug, Clone, Default)]
pub struct SopLibrary {
    sops: BTreeMap<(String, u32), Sop>,
}

impl SopLibrary {
    /// Parses an SOP file (`source` names it in errors).
    pub fn parse(source: &str, text: &str, format: SopFormat) -> Result<Vec<Sop>, DeskError> {
        let file: SopFile = match format {
            SopFormat::Toml => toml::from_str(text).map_err(|e| DeskError::Config {
                source_name: source.to_owned(),
                reason: e.to_string(),
            })?,
            SopFormat::Yaml => serde_yaml_ng::from_str(text).map_err(|e| DeskError::Config {
                source_name: source.to_owned(),
                reason: e.to_string(),
            })?,
        };
        for sop in &file.sop {
            sop.validate(source)?;
        }
        Ok(file.sop)
    }

    /// Adds SOPs; the same id and version with other content is refused.
    pub fn add(&mut self, source: &str, sops: Vec<Sop>) -> Result<(), DeskError> {
        for sop in sops {
            let key = (sop.id.clone(), sop.version);
            if let Some(existing) = self.sops.get(&key)
                && existing != &sop
            {
                return Err(DeskError::Config {
                    source_name: source.to_owned(),
                    reason: format!(
                        "sop `{}` version {} is already loaded with different content; give the change a new version",
                        sop.id, sop.version
                    ),
                });
            }
            self.sops.insert(key, sop);
        }
        Ok(())
    }

    /// Loads every `.toml`, `.yaml` and `.yml` file in `dir`.
    pub fn load_dir(&mut self, dir: &std::path::Path) -> Result<usize, DeskError> {
        let err = |reason: String| DeskError::Config {
            source_name: dir.display().to_string(),
            reason,
        };
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| err(e.to_string()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        paths.sort();
        let mut count = 0;
        for path in paths {
            let format = match path.extension().and_then(|e| e.to_str()) {
                Some("toml") => SopFormat::Toml,
                Some("yaml" | "yml") => SopFormat::Yaml,
                _ => continue,
            };
            let name = path.display().to_string();
            let text = std::fs::read_to_string(&path).map_err(|e| err(format!("{name}: {e}")))?;
            let sops = Self::parse(&name, &text, format)?;
            count += sops.len();
            self.add(&name, sops)?;
        }
        Ok(count)
    }

    /// A specific version.
    pub fn get(&self, id: &str, version: u32) -> Option<&Sop> {
        self.sops.get(&(id.to_owned(), version))
    }

    /// How many versions are loaded.
    pub fn len(&self) -> usize {
        self.sops.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.sops.is_empty()
    }

    /// The SOP for `alarm`: client-specific over generic, named rule over
    /// `*`, then the highest version.
    pub fn select(&self, alarm: &Alarm) -> Option<&Sop> {
        self.select_for(alarm, None)
    }

    /// As [`SopLibrary::select`], with the alarm's category known: an SOP
    /// for the category is chosen over one for `*`.
    pub fn select_for(&self, alarm: &Alarm, category: Option<Category>) -> Option<&Sop> {
        self.sops
            .values()
            .filter_map(|s| {
                s.applies(alarm, category)
                    .map(|(t, r)| ((t, r, s.version), s))
            })
            .max_by(|a, b| a.0.cmp(&b.0))
            .map(|(_, s)| s)
    }
}

/// What became of a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum StepOutcome {
    /// Done.
    Done,
    /// Not done, on purpose (a note says why when the step is required).
    Skipped,
    /// Tried and failed (the note says how).
    Failed,
}

/// A step as run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// The step's id.
    pub id: String,
    /// Its title, as shown.
    pub title: String,
    /// Whether it was required.
    pub required: bool,
    /// Whether the client's contract requires it before the alarm is
    /// closed (it cannot be skipped).
    #[serde(default)]
    pub before_close: bool,
    /// Whom it calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<CallList>,
    /// The people to call, in order, from the client's response plan.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calls: Vec<Callee>,
    /// What became of it.
    pub outcome: Option<StepOutcome>,
    /// The operator's note.
    pub note: Option<String>,
    /// Who recorded it.
    pub by: Option<String>,
    /// When.
    pub at: Option<Timestamp>,
}

/// One operator's run through an SOP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SopRun {
    /// Its id.
    pub id: String,
    /// The SOP.
    pub sop_id: String,
    /// The version it pinned.
    pub sop_version: u32,
    /// The SOP's title.
    pub title: String,
    /// The client.
    pub tenant: TenantId,
    /// The alarm it runs for.
    pub alarm: Option<AlertId>,
    /// The incident it runs for.
    pub incident: Option<String>,
    /// The steps.
    pub steps: Vec<StepRecord>,
    /// Who started it.
    pub started_by: String,
    /// When.
    pub started_at: Timestamp,
    /// When the last step was recorded.
    pub completed_at: Option<Timestamp>,
}

impl SopRun {
    /// Starts a run of `procedure` (an SOP resolved for `alarm`).
    pub fn start(
        actor: &Actor,
        id: String,
        procedure: &Procedure,
        alarm: &Alarm,
        now: Timestamp,
    ) -> Result<Self, DeskError> {
        actor.require(Permission::WorkIncidents, Some(&alarm.tenant))?;
        Ok(Self {
            id,
            sop_id: procedure.sop_id.clone(),
            sop_version: procedure.sop_version,
            title: procedure.title.clone(),
            tenant: alarm.tenant.clone(),
            alarm: Some(alarm.id),
            incident: alarm.incident.clone(),
            steps: procedure.steps.clone(),
            started_by: actor.name.clone(),
            started_at: now,
            completed_at: None,
        })
    }

    /// The next step to do, if any.
    pub fn next_step(&self) -> Option<&StepRecord> {
        self.steps.iter().find(|s| s.outcome.is_none())
    }

    /// Records `step`'s outcome. Steps are done in order; a required step
    /// is skipped or failed only with a note.
    pub fn record(
        &self,
        actor: &Actor,
        step: &str,
        outcome: StepOutcome,
        note: Option<&str>,
        now: Timestamp,
    ) -> Result<SopRun, DeskError> {
        actor.require(Permission::WorkIncidents, Some(&self.tenant))?;
        let index = self
            .steps
            .iter()
            .position(|s| s.id == step)
            .ok_or_else(|| {
                DeskError::invalid(
                    "step",
                    format!("sop `{}` has no step `{step}`", self.sop_id),
                )
            })?;
        let current = &self.steps[index];
        if current.outcome.is_some() {
            return Err(DeskError::invalid(
                "step",
                format!("step `{step}` is already recorded"),
            ));
        }
        if let Some(next) = self.next_step()
            && next.id != step
        {
            return Err(DeskError::invalid(
                "step",
                format!("step `{}` comes first", next.id),
            ));
        }
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        if current.before_close && outcome == StepOutcome::Skipped {
            return Err(DeskError::invalid(
                "outcome",
                format!(
                    "step `{step}` is required by the client's contract before the alarm is closed: \
                     it cannot be skipped; record it as done, or as failed with a note"
                ),
            ));
        }
        if current.required && outcome != StepOutcome::Done && note.is_none() {
            return Err(DeskError::invalid(
                "note",
                format!("step `{step}` is required: say why it was {outcome:?}").to_lowercase(),
            ));
        }
        let mut next = self.clone();
        let s = &mut next.steps[index];
        s.outcome = Some(outcome);
        s.note = note.map(|n| n.chars().take(2000).collect());
        s.by = Some(actor.name.clone());
        s.at = Some(now);
        if next.next_step().is_none() {
            next.completed_at = Some(now);
        }
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::Alert;
    use vigil_store::Role;

    const V1: &str = r#"
[[sop]]
id = "door-forced"
version = 1
title = "Door forced"
rules = ["door-rule"]
[[sop.steps]]
id = "camera"
title = "Verify on camera"
[[sop.steps]]
id = "guard"
title = "Call the guard"
[[sop.steps]]
id = "notify"
title = "Notify the client"
required = false
"#;

    const V2_YAML: &str = r#"
sop:
  - id: door-forced
    version: 2
    title: Door forced (v2)
    rules: [door-rule]
    steps:
      - { id: camera, title: Verify on camera }
      - { id: dispatch, title: Dispatch a guard }
  - id: generic
    version: 1
    title: Any alarm
    rules: ["*"]
    steps:
      - { id: look, title: Look }
  - id: northgate-door
    version: 1
    title: Northgate door procedure
    rules: [door-rule]
    tenants: [northgate]
    steps:
      - { id: phone, title: Phone the NOC }
"#;

    fn t(min: i64) -> Timestamp {
        chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap() + chrono::Duration::minutes(min)
    }

    fn alarm(tenant: &str, rule: &str) -> Alarm {
        let tenant = TenantId::new(tenant).unwrap();
        Alarm::from_alert(
            &Alert {
                id: vigil_model::alert_id_for(&tenant, rule, "", t(0)),
                tenant,
                site: None,
                rule_id: rule.into(),
                rule_title: rule.into(),
                severity: Severity::High,
                status: vigil_model::AlertStatus::New,
                group_key: String::new(),
                window_start: t(0),
                first_seen: t(0),
                last_seen: t(0),
                event_count: 1,
                entities: vec![],
                evidence: vec![],
                created_at: t(0),
                updated_at: t(0),
            },
            t(0),
        )
    }

    fn library() -> SopLibrary {
        let mut lib = SopLibrary::default();
        lib.add(
            "v1.toml",
            SopLibrary::parse("v1.toml", V1, SopFormat::Toml).unwrap(),
        )
        .unwrap();
        lib.add(
            "v2.yaml",
            SopLibrary::parse("v2.yaml", V2_YAML, SopFormat::Yaml).unwrap(),
        )
        .unwrap();
        lib
    }

    #[test]
    fn versions_are_kept_and_the_best_match_is_chosen() {
        let lib = library();
        assert_eq!(lib.len(), 4);
        assert_eq!(
            lib.select(&alarm("riverside", "door-rule"))
                .map(|s| (s.id.as_str(), s.version)),
            Some(("door-forced", 2))
        );
        assert_eq!(
            lib.select(&alarm("northgate", "door-rule"))
                .map(|s| s.id.as_str()),
            Some("northgate-door")
        );
        assert_eq!(
            lib.select(&alarm("riverside", "other"))
                .map(|s| s.id.as_str()),
            Some("generic")
        );
        assert!(lib.get("door-forced", 1).is_some());
        // Same id and version, different content: refused.
        let mut lib = lib;
        let changed = V1.replace("Call the guard", "Call security");
        let err = lib
            .add(
                "x.toml",
                SopLibrary::parse("x.toml", &changed, SopFormat::Toml).unwrap(),
            )
            .unwrap_err();
        assert!(err.to_string().contains("new version"), "{err}");
        // The same content again is fine.
        lib.add(
            "again.toml",
            SopLibrary::parse("again.toml", V1, SopFormat::Toml).unwrap(),
        )
        .unwrap();
    }

    #[test]
    fn bad_files_say_where() {
        let err = SopLibrary::parse("bad.toml", "[[sop]]\nid = 1", SopFormat::Toml)
            .unwrap_err()
            .to_string();
        assert!(err.contains("bad.toml") && err.contains("line"), "{err}");
        let no_steps = "sop:\n  - {id: x, version: 1, title: t, rules: ['*'], steps: []}\n";
        assert!(
            SopLibrary::parse("a.yaml", no_steps, SopFormat::Yaml)
                .unwrap_err()
                .to_string()
                .contains("no steps")
        );
        let unknown = V1.replace(
            "title = \"Door forced\"",
            "title = \"Door forced\"\ncolour = 1",
        );
        assert!(
            SopLibrary::parse("u.toml", &unknown, SopFormat::Toml)
                .unwrap_err()
                .to_string()
                .contains("colour")
        );
    }

    #[test]
    fn a_run_pins_its_version_and_records_each_step_in_order() {
        let lib = library();
        let op = Actor::person("alice", Role::ProviderOperator, None);
        let sop = lib.get("door-forced", 1).unwrap();
        let run = SopRun::start(
            &op,
            "run-1".into(),
            &Procedure::resolve(sop, &alarm("riverside", "door-rule"), None),
            &alarm("riverside", "door-rule"),
            t(1),
        )
        .unwrap();
        assert_eq!((run.sop_version, run.steps.len()), (1, 3));
        assert!(
            run.record(&op, "guard", StepOutcome::Done, None, t(2))
                .unwrap_err()
                .to_string()
                .contains("`camera` comes first")
        );
        assert!(
            run.record(&op, "camera", StepOutcome::Skipped, None, t(2))
                .unwrap_err()
                .to_string()
                .contains("required")
        );
        let run = run
            .record(
                &op,
                "camera",
                StepOutcome::Failed,
                Some("camera offline"),
                t(2),
            )
            .unwrap();
        let run = run
            .record(&op, "guard", StepOutcome::Done, None, t(3))
            .unwrap();
        assert!(
            run.record(&op, "guard", StepOutcome::Done, None, t(3))
                .is_err()
        );
        assert!(run.completed_at.is_none());
        let run = run
            .record(&op, "notify", StepOutcome::Skipped, None, t(4))
            .unwrap();
        assert_eq!(run.completed_at, Some(t(4)));
        assert_eq!(run.steps[0].note.as_deref(), Some("camera offline"));
        assert_eq!(run.steps[1].at, Some(t(3)));
        assert!(
            run.record(&op, "nope", StepOutcome::Done, None, t(5))
                .is_err()
        );
        let viewer = Actor::person(
            "v",
            Role::ClientViewer,
            Some(TenantId::new("riverside").unwrap()),
        );
        assert!(
            SopRun::start(
                &viewer,
                "r".into(),
                &Procedure::resolve(sop, &alarm("riverside", "door-rule"), None),
                &alarm("riverside", "door-rule"),
                t(1)
            )
            .is_err()
        );
    }
}
