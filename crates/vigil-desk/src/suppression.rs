//! Keeping known noise out of the queue, on the record.
//!
//! - A [`MaintenanceWindow`] says "this device, zone or site is being
//!   serviced from … to …": alarms about it in that time are closed as
//!   benign by triage, naming the window.
//! - A [`Suppression`] is an analyst's "stop raising this rule about this
//!   thing until …", with a reason and an expiry (never open-ended, never a
//!   whole tenant).
//!
//! Both are desk records: creating, cancelling and lifting them are audited
//! commands, and every alarm they close names them, so the close can be
//! reviewed and reopened.

use chrono::Duration;
use serde::{Deserialize, Serialize};
use vigil_model::{SiteId, TenantId, Timestamp};

use crate::alarm::{Alarm, require_reason};
use crate::{Actor, DeskError, Permission};

/// Longest an analyst suppression may last.
pub const MAX_SUPPRESSION: Duration = Duration::days(30);

/// Longest a maintenance window may last.
pub const MAX_MAINTENANCE: Duration = Duration::days(14);

/// What a maintenance window covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum MaintenanceTarget {
    /// A whole site.
    Site(SiteId),
    /// One device: a door, camera, sensor, panel or host, by its id.
    Device(String),
    /// A zone.
    Zone(String),
}

/// A declared maintenance period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MaintenanceWindow {
    /// Its id.
    pub id: String,
    /// Whose estate.
    pub tenant: TenantId,
    /// What is being serviced.
    pub target: MaintenanceTarget,
    /// From.
    pub starts_at: Timestamp,
    /// Until.
    pub ends_at: Timestamp,
    /// Why.
    pub reason: String,
    /// Who declared it.
    pub created_by: String,
    /// When.
    pub created_at: Timestamp,
    /// Who cancelled it, and when, if it was.
    pub cancelled: Option<(String, Timestamp)>,
}

/// An analyst's suppression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suppression {
    /// Its id.
    pub id: String,
    /// Whose alarms.
    pub tenant: TenantId,
    /// Only this rule's alarms.
    pub rule_id: Option<String>,
    /// Only alarms about this entity (value, any kind; case-insensitive).
    pub entity: Option<String>,
    /// Only alarms at this site.
    pub site: Option<SiteId>,
    /// Until.
    pub expires_at: Timestamp,
    /// Why.
    pub reason: String,
    /// Who set it.
    pub created_by: String,
    /// When.
    pub created_at: Timestamp,
    /// Who lifted it early, and when.
    pub lifted: Option<(String, Timestamp)>,
}

fn names_entity(alarm: &Alarm, value: &str) -> bool {
    let value = value.to_ascii_lowercase();
    alarm
        .entities
        .iter()
        .any(|e| e.value.eq_ignore_ascii_case(&value))
        || alarm
            .group_key
            .split_once(':')
            .is_some_and(|(_, v)| v.eq_ignore_ascii_case(&value))
}

impl MaintenanceWindow {
    /// Declares a window; checks who may and that it makes sense.
    #[allow(clippy::too_many_arguments)]
    pub fn declare(
        actor: &Actor,
        id: String,
        tenant: TenantId,
        target: MaintenanceTarget,
        starts_at: Timestamp,
        ends_at: Timestamp,
        reason: &str,
        now: Timestamp,
    ) -> Result<Self, DeskError> {
        actor.require(Permission::Maintenance, Some(&tenant))?;
        let reason = require_reason("reason", reason)?;
        if ends_at <= starts_at {
            return Err(DeskError::invalid("ends_at", "must be after starts_at"));
        }
        if ends_at <= now {
            return Err(DeskError::invalid("ends_at", "is in the past"));
        }
        if ends_at - starts_at > MAX_MAINTENANCE {
            return Err(DeskError::invalid(
                "ends_at",
                format!(
                    "a window may last at most {} days",
                    MAX_MAINTENANCE.num_days()
                ),
            ));
        }
        if let MaintenanceTarget::Device(d) | MaintenanceTarget::Zone(d) = &target
            && d.trim().is_empty()
        {
            return Err(DeskError::invalid("target", "names no device or zone"));
        }
        Ok(Self {
            id,
            tenant,
            target,
            starts_at,
            ends_at,
            reason,
            created_by: actor.name.clone(),
            created_at: now,
            cancelled: None,
        })
    }

    /// Cancels it from `now` on.
    pub fn cancel(&self, actor: &Actor, now: Timestamp) -> Result<Self, DeskError> {
        actor.require(Permission::Maintenance, Some(&self.tenant))?;
        if self.cancelled.is_some() {
            return Err(DeskError::Transition {
                what: "maintenance window",
                id: self.id.clone(),
                command: "cancel",
                state: "cancelled".into(),
                hint: "it is already cancelled".into(),
            });
        }
        let mut next = self.clone();
        next.cancelled = Some((actor.name.clone(), now));
        next.ends_at = next.ends_at.min(now);
        Ok(next)
    }

    /// Whether it covers `alarm` (its first evidence falls in the window,
    /// and it is about the target).
    pub fn covers(&self, alarm: &Alarm) -> bool {
        if alarm.tenant != self.tenant
            || alarm.first_seen < self.starts_at
            || alarm.first_seen >= self.ends_at
        {
            return false;
        }
        match &self.target {
            MaintenanceTarget::Site(site) => alarm.site.as_ref() == Some(site),
            MaintenanceTarget::Device(d) => names_entity(alarm, d),
            MaintenanceTarget::Zone(z) => alarm.entities.iter().any(|e| {
                e.kind == vigil_model::EntityKind::Zone && e.value.eq_ignore_ascii_case(z)
            }),
        }
    }
}

impl Suppression {
    /// Sets a suppression; checks who may, and that it is narrow and ends.
    #[allow(clippy::too_many_arguments)]
    pub fn set(
        actor: &Actor,
        id: String,
        tenant: TenantId,
        rule_id: Option<String>,
        entity: Option<String>,
        site: Option<SiteId>,
        expires_at: Timestamp,
        reason: &str,
        now: Timestamp,
    ) -> Result<Self, DeskError> {
        actor.require(Permission::Suppress, Some(&tenant))?;
        let reason = require_reason("reason", reason)?;
        let rule_id = rule_id.filter(|r| !r.trim().is_empty());
        let entity = entity.filter(|e| !e.trim().is_empty());
        if rule_id.is_none() && entity.is_none() {
            return Err(DeskError::invalid(
                "rule_id",
                "a suppression must name a rule, an entity or both (a whole tenant or site is never suppressed; declare maintenance instead)",
            ));
        }
        if expires_at <= now {
            return Err(DeskError::invalid("expires_at", "must be in the future"));
        }
        if expires_at - now > MAX_SUPPRESSION {
            return Err(DeskError::invalid(
                "expires_at",
                format!(
                    "a suppression may last at most {} days",
                    MAX_SUPPRESSION.num_days()
                ),
            ));
        }
        Ok(Self {
            id,
            tenant,
            rule_id,
            entity,
            site,
            expires_at,
            reason,
            created_by: actor.name.clone(),
            created_at: now,
            lifted: None,
        })
    }

    /// Lifts it early. Its author may lift it; others need the permission.
    pub fn lift(&self, actor: &Actor, now: Timestamp) -> Result<Self, DeskError> {
        if actor.name != self.created_by {
            actor.require(Permission::LiftSuppression, Some(&self.tenant))?;
        } else {
            actor.require(Permission::Suppress, Some(&self.tenant))?;
        }
        if !self.is_active(now) {
            return Err(DeskError::Transition {
                what: "suppression",
                id: self.id.clone(),
                command: "lift",
                state: if self.lifted.is_some() {
                    "lifted"
                } else {
                    "expired"
                }
                .into(),
                hint: "it no longer suppresses anything".into(),
            });
        }
        let mut next = self.clone();
        next.lifted = Some((actor.name.clone(), now));
        Ok(next)
    }

    /// Whether it is in force at `now`.
    pub fn is_active(&self, now: Timestamp) -> bool {
        self.lifted.is_none() && now < self.expires_at
    }

    /// Whether it suppresses `alarm` at `now`.
    pub fn matches(&self, alarm: &Alarm, now: Timestamp) -> bool {
        self.is_active(now)
            && alarm.tenant == self.tenant
            && self.rule_id.as_ref().is_none_or(|r| r == &alarm.rule_id)
            && self
                .site
                .as_ref()
                .is_none_or(|s| alarm.site.as_ref() == Some(s))
            && self.entity.as_ref().is_none_or(|e| names_entity(alarm, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::{Alert, Entity, EntityKind, Severity};
    use vigil_store::Role;

    fn t(min: i64) -> Timestamp {
        chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap() + Duration::minutes(min)
    }

    fn tenant() -> TenantId {
        TenantId::new("northgate").unwrap()
    }

    fn alarm_at(min: i64, camera: &str) -> Alarm {
        let alert = Alert {
            id: vigil_model::alert_id_for(&tenant(), "cam-tamper", camera, t(min)),
            tenant: tenant(),
            site: Some(SiteId::new("lon1").unwrap()),
            rule_id: "cam-tamper".into(),
            rule_title: "Camera tamper".into(),
            severity: Severity::High,
            status: vigil_model::AlertStatus::New,
            group_key: format!("camera:{camera}"),
            window_start: t(min),
            first_seen: t(min),
            last_seen: t(min),
            event_count: 1,
            entities: vec![
                Entity::new(EntityKind::Camera, camera),
                Entity::new(EntityKind::Zone, "hall-a"),
            ],
            evidence: vec![],
            created_at: t(min),
            updated_at: t(min),
        };
        Alarm::from_alert(&alert, t(min))
    }

    fn op() -> Actor {
        Actor::person("alice", Role::ProviderOperator, None)
    }

    #[test]
    fn suppressions_expire_and_can_be_lifted() {
        let s = Suppression::set(
            &op(),
            "s1".into(),
            tenant(),
            Some("cam-tamper".into()),
            Some("CAM-7".into()),
            None,
            t(60),
            "known fault, ticket 42",
            t(0),
        )
        .unwrap();
        assert!(s.matches(&alarm_at(10, "cam-7"), t(10)));
        assert!(!s.matches(&alarm_at(10, "cam-8"), t(10)), "another camera");
        assert!(!s.matches(&alarm_at(61, "cam-7"), t(61)), "expired");
        assert!(s.matches(&alarm_at(59, "cam-7"), t(59)));
        let lifted = s.lift(&op(), t(30)).unwrap();
        assert!(!lifted.matches(&alarm_at(31, "cam-7"), t(31)));
        assert!(
            lifted
                .lift(&op(), t(32))
                .unwrap_err()
                .to_string()
                .contains("lifted")
        );
        assert!(
            s.lift(&op(), t(61))
                .unwrap_err()
                .to_string()
                .contains("expired")
        );
        // Someone else's suppression needs a lead.
        let bob = Actor::person("bob", Role::ProviderOperator, None);
        assert!(matches!(
            s.lift(&bob, t(30)),
            Err(DeskError::Forbidden { .. })
        ));
        let lead = Actor::person("lee", Role::ProviderLead, None);
        assert!(s.lift(&lead, t(30)).is_ok());
    }

    #[test]
    fn suppressions_must_be_narrow_reasoned_and_bounded() {
        let set = |rule: Option<&str>, entity: Option<&str>, until: i64, reason: &str| {
            Suppression::set(
                &op(),
                "s".into(),
                tenant(),
                rule.map(Into::into),
                entity.map(Into::into),
                None,
                t(until),
                reason,
                t(0),
            )
        };
        assert!(
            set(None, None, 60, "noise")
                .unwrap_err()
                .to_string()
                .contains("whole tenant")
        );
        assert!(
            set(Some("r"), None, 60, "")
                .unwrap_err()
                .to_string()
                .contains("reason")
        );
        assert!(
            set(Some("r"), None, 0, "noise")
                .unwrap_err()
                .to_string()
                .contains("future")
        );
        assert!(
            set(Some("r"), None, 60 * 24 * 31, "noise")
                .unwrap_err()
                .to_string()
                .contains("30 days")
        );
        assert!(set(Some("r"), None, 60, "noise").is_ok());
        let viewer = Actor::person("v", Role::ClientViewer, Some(tenant()));
        assert!(
            Suppression::set(
                &viewer,
                "s".into(),
                tenant(),
                Some("r".into()),
                None,
                None,
                t(60),
                "noise",
                t(0)
            )
            .is_err()
        );
    }

    #[test]
    fn maintenance_windows_cover_their_target_and_time_only() {
        let ca = Actor::person("facilities", Role::ClientAdmin, Some(tenant()));
        let w = MaintenanceWindow::declare(
            &ca,
            "m1".into(),
            tenant(),
            MaintenanceTarget::Device("cam-7".into()),
            t(0),
            t(120),
            "lens cleaning",
            t(0),
        )
        .unwrap();
        assert!(w.covers(&alarm_at(30, "cam-7")));
        assert!(!w.covers(&alarm_at(30, "cam-8")));
        assert!(!w.covers(&alarm_at(120, "cam-7")), "the end is exclusive");
        let zone = MaintenanceWindow {
            target: MaintenanceTarget::Zone("HALL-A".into()),
            ..w.clone()
        };
        assert!(zone.covers(&alarm_at(30, "cam-8")));
        let site = MaintenanceWindow {
            target: MaintenanceTarget::Site(SiteId::new("lon1").unwrap()),
            ..w.clone()
        };
        assert!(site.covers(&alarm_at(30, "cam-9")));
        let cancelled = w.cancel(&ca, t(10)).unwrap();
        assert!(!cancelled.covers(&alarm_at(30, "cam-7")));
        assert!(cancelled.cancel(&ca, t(11)).is_err());
        // Another client's administrator may not declare here.
        let other = Actor::person(
            "x",
            Role::ClientAdmin,
            Some(TenantId::new("riverside").unwrap()),
        );
        assert!(
            MaintenanceWindow::declare(
                &other,
                "m".into(),
                tenant(),
                MaintenanceTarget::Device("d".into()),
                t(0),
                t(10),
                "service",
                t(0)
            )
            .is_err()
        );
        assert!(
            MaintenanceWindow::declare(
                &ca,
                "m".into(),
                tenant(),
                MaintenanceTarget::Device("d".into()),
                t(10),
                t(5),
                "service",
                t(0)
            )
            .is_err()
        );
        assert!(
            MaintenanceWindow::declare(
                &ca,
                "m".into(),
                tenant(),
                MaintenanceTarget::Device("d".into()),
                t(0),
                t(60 * 24 * 15),
                "service",
                t(0)
            )
            .is_err()
        );
    }
}
