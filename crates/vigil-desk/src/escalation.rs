//! Escalation: who is told, through which channel, when an alarm stays
//! unacknowledged.
//!
//! Each client has a policy: levels, each with a delay from when the alarm
//! was raised and the people to notify (operator, shift lead, client
//! contact, on-call) by e-mail or webhook. An [`Escalation`] is the timer of
//! one alarm: it fires its levels in turn while nobody has acknowledged the
//! alarm, and stops when someone does. It is a desk record with a due time;
//! firing is a versioned write made under a lease, so with several nodes a
//! level fires once.

use chrono::Duration;
use serde::{Deserialize, Serialize};
use vigil_model::{AlertId, Severity, TenantId, Timestamp};

use crate::DeskError;
use crate::alarm::Alarm;

/// The part someone plays in escalation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactRole {
    /// The provider's operator on duty.
    Operator,
    /// The provider's shift lead.
    ShiftLead,
    /// The client's contact.
    ClientContact,
    /// Whoever is on call.
    OnCall,
}

/// Someone to notify, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    /// A name for people.
    pub name: String,
    /// Their part.
    pub role: ContactRole,
    /// E-mail address.
    #[serde(default)]
    pub email: Option<String>,
    /// Name of a webhook endpoint of the client's configuration.
    #[serde(default)]
    pub webhook: Option<String>,
}

/// One level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationLevel {
    /// Minutes after the alarm was raised.
    pub after_minutes: i64,
    /// Who is notified.
    pub notify: Vec<Recipient>,
}

/// A client's escalation policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationPolicy {
    /// Alarms below this severity do not escalate.
    #[serde(default = "default_min_severity")]
    pub min_severity: Severity,
    /// The levels, in order.
    pub levels: Vec<EscalationLevel>,
}

fn default_min_severity() -> Severity {
    Severity::High
}

impl EscalationPolicy {
    /// Checks the levels make sense; errors name the level.
    pub fn validate(&self, tenant: &TenantId) -> Result<(), DeskError> {
        let bad = |reason: String| DeskError::Config {
            source_name: format!("escalation policy of {tenant}"),
            reason,
        };
        let mut last = 0;
        for (i, level) in self.levels.iter().enumerate() {
            if level.after_minutes <= last {
                return Err(bad(format!(
                    "level {}: after_minutes must be more than {last} (levels come in order)",
                    i + 1
                )));
            }
            last = level.after_minutes;
            if level.notify.is_empty() {
                return Err(bad(format!("level {} notifies nobody", i + 1)));
            }
            for r in &level.notify {
                if r.email.is_none() && r.webhook.is_none() {
                    return Err(bad(format!(
                        "level {}: {} has neither email nor webhook",
                        i + 1,
                        r.name
                    )));
                }
            }
        }
        Ok(())
    }
}

/// A level that fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FiredLevel {
    /// Which (1-based).
    pub level: usize,
    /// When.
    pub at: Timestamp,
}

/// The escalation timer of one alarm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Escalation {
    /// The alarm's id (also the record's id).
    pub alarm: AlertId,
    /// The client.
    pub tenant: TenantId,
    /// The alarm's title, for notices.
    pub title: String,
    /// Its severity.
    pub severity: Severity,
    /// When the alarm was raised.
    pub started_at: Timestamp,
    /// Levels fired so far.
    pub fired: Vec<FiredLevel>,
    /// When the next level is due.
    pub next_due: Option<Timestamp>,
    /// Why and when it stopped.
    pub stopped: Option<(String, Timestamp)>,
}

impl Escalation {
    /// The timer for `alarm` under `policy`, if it escalates at all.
    pub fn start(policy: &EscalationPolicy, alarm: &Alarm) -> Option<Self> {
        let first = policy.levels.first()?;
        if alarm.severity < policy.min_severity {
            return None;
        }
        Some(Self {
            alarm: alarm.id,
            tenant: alarm.tenant.clone(),
            title: alarm.rule_title.clone(),
            severity: alarm.severity,
            started_at: alarm.raised_at,
            fired: Vec::new(),
            next_due: Some(alarm.raised_at + Duration::minutes(first.after_minutes)),
            stopped: None,
        })
    }

    /// Whether it is still running.
    pub fn is_active(&self) -> bool {
        self.stopped.is_none() && self.next_due.is_some()
    }

    /// Fires the level that is due at `now`; returns the timer after it and
    /// the level (1-based) with its recipients.
    pub fn fire<'p>(
        &self,
        policy: &'p EscalationPolicy,
        now: Timestamp,
    ) -> Result<(Escalation, usize, &'p EscalationLevel), DeskError> {
        let refuse = |state: &str, hint: &str| DeskError::Transition {
            what: "escalation",
            id: self.alarm.to_string(),
            command: "fire",
            state: state.to_owned(),
            hint: hint.to_owned(),
        };
        if self.stopped.is_some() {
            return Err(refuse("stopped", "the alarm was acknowledged or closed"));
        }
        let due = self
            .next_due
            .ok_or_else(|| refuse("finished", "every level has fired"))?;
        if due > now {
            return Err(refuse(
                "waiting",
                &format!("the next level is due at {due}"),
            ));
        }
        let index = self.fired.len();
        let level = policy
            .levels
            .get(index)
            .ok_or_else(|| refuse("finished", "the policy has no further level"))?;
        let mut next = self.clone();
        next.fired.push(FiredLevel {
            level: index + 1,
            at: now,
        });
        next.next_due = policy
            .levels
            .get(index + 1)
            .map(|l| self.started_at + Duration::minutes(l.after_minutes));
        Ok((next, index + 1, level))
    }

    /// Stops it (the alarm was acknowledged or closed).
    pub fn stop(&self, reason: &str, now: Timestamp) -> Escalation {
        let mut next = self.clone();
        if next.stopped.is_none() {
            next.stopped = Some((reason.to_owned(), now));
            next.next_due = None;
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::Alert;

    fn t(min: i64) -> Timestamp {
        chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap() + Duration::minutes(min)
    }

    fn policy() -> EscalationPolicy {
        let r = |name: &str, role| Recipient {
            name: name.into(),
            role,
            email: Some(format!("{name}@example.org")),
            webhook: None,
        };
        EscalationPolicy {
            min_severity: Severity::High,
            levels: vec![
                EscalationLevel {
                    after_minutes: 5,
                    notify: vec![r("lead", ContactRole::ShiftLead)],
                },
                EscalationLevel {
                    after_minutes: 15,
                    notify: vec![
                        r("client", ContactRole::ClientContact),
                        r("oncall", ContactRole::OnCall),
                    ],
                },
            ],
        }
    }

    fn alarm(sev: Severity) -> Alarm {
        let tenant = TenantId::new("northgate").unwrap();
        Alarm::from_alert(
            &Alert {
                id: vigil_model::alert_id_for(&tenant, "r", "", t(0)),
                tenant,
                site: None,
                rule_id: "r".into(),
                rule_title: "Door forced".into(),
                severity: sev,
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

    #[test]
    fn levels_fire_in_turn_when_due_and_never_early_or_twice() {
        let p = policy();
        let e = Escalation::start(&p, &alarm(Severity::Critical)).unwrap();
        assert_eq!(e.next_due, Some(t(5)));
        assert!(e.fire(&p, t(4)).unwrap_err().to_string().contains("due at"));
        let (e1, level, l) = e.fire(&p, t(5)).unwrap();
        assert_eq!((level, l.notify.len(), e1.next_due), (1, 1, Some(t(15))));
        // The same stale state cannot fire level 1 again through `e1`.
        assert!(e1.fire(&p, t(6)).is_err());
        let (e2, level, l) = e1.fire(&p, t(20)).unwrap();
        assert_eq!((level, l.notify.len(), e2.next_due), (2, 2, None));
        assert!(
            e2.fire(&p, t(30))
                .unwrap_err()
                .to_string()
                .contains("every level")
        );
        assert!(!e2.is_active());
    }

    #[test]
    fn acknowledgement_stops_it_and_low_severity_never_starts() {
        let p = policy();
        assert!(Escalation::start(&p, &alarm(Severity::Medium)).is_none());
        let e = Escalation::start(&p, &alarm(Severity::High))
            .unwrap()
            .stop("acknowledged by alice", t(2));
        assert!(!e.is_active());
        assert!(
            e.fire(&p, t(10))
                .unwrap_err()
                .to_string()
                .contains("stopped")
        );
    }

    #[test]
    fn policies_are_checked() {
        let tenant = TenantId::new("n").unwrap();
        assert!(policy().validate(&tenant).is_ok());
        let mut backwards = policy();
        backwards.levels[1].after_minutes = 5;
        assert!(
            backwards
                .validate(&tenant)
                .unwrap_err()
                .to_string()
                .contains("level 2")
        );
        let mut nobody = policy();
        nobody.levels[0].notify[0].email = None;
        assert!(
            nobody
                .validate(&tenant)
                .unwrap_err()
                .to_string()
                .contains("neither email nor webhook")
        );
    }
}
