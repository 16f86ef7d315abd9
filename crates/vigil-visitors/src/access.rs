//! A badge event as the visitor rules and the roll call read it, taken from
//! a normalized `physical_access` [`Event`] (the fields the access-control
//! sources and the people register write: `action`, `direction`,
//! `person_id`, and the door, zone and badge entities).

use vigil_model::{EntityKind, Event, EventClass, SiteId, TenantId, Timestamp};

/// One badge presented at a reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessObservation {
    /// The client.
    pub tenant: TenantId,
    /// The site of the binding it came through.
    pub site: Option<SiteId>,
    /// When it happened.
    pub at: Timestamp,
    /// The badge presented.
    pub badge: Option<String>,
    /// The person the people register resolved the badge to.
    pub person: Option<String>,
    /// The door.
    pub door: Option<String>,
    /// The zone the door leads into.
    pub zone: Option<String>,
    /// Whether access was granted (`access_granted`) rather than denied.
    pub granted: bool,
    /// Whether the reader is on the way out (`direction`: out, exit,
    /// egress): the badge holder left the zone.
    pub exit: bool,
}

impl AccessObservation {
    /// The observation in a `physical_access` event that is a grant or a
    /// denial; `None` for anything else (door held, counts, tamper).
    pub fn from_event(event: &Event) -> Option<Self> {
        if event.class != EventClass::PhysicalAccess {
            return None;
        }
        let granted = match event.fields.get("action").and_then(|v| v.as_str())? {
            "access_granted" => true,
            "access_denied" => false,
            _ => return None,
        };
        let text = |k: &str| {
            event
                .fields
                .get(k)
                .and_then(|v| v.as_str())
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let exit = text("direction").is_some_and(|d| {
            ["out", "exit", "egress", "outbound"]
                .iter()
                .any(|o| d.eq_ignore_ascii_case(o))
        });
        Some(Self {
            tenant: event.tenant.clone(),
            site: event.site.clone(),
            at: event.observed_at,
            badge: event.entity(EntityKind::Badge).map(str::to_owned),
            person: text("person_id"),
            door: event.entity(EntityKind::Door).map(str::to_owned),
            zone: event.entity(EntityKind::Zone).map(str::to_owned),
            granted,
            exit,
        })
    }
}
