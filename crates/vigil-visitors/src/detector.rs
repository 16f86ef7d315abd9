//! The visitor rules in the live pipeline, behind the same
//! [`Detector`] seam as the Sigma rules and the converged rules.
//!
//! [`VisitorDetector`] runs another detector first, then:
//! - a `physical_access` grant or denial goes through
//!   [`VisitorsLive::observe_event`]; every alarm candidate becomes a
//!   detection of its visitor rule at the candidate's severity;
//! - a `visitor` event with `action = watchlist_match` (the desk's record of
//!   a hit at pre-registration or arrival, ingested like any event, see
//!   [`watchlist_event`]) becomes a detection of the watchlist rule, and
//!   one with `action = escort_missing` (an escort check decided on the
//!   desk's clock, [`escort_event`]) a detection of the escort rule.
//!
//! The detection carries only the rule: the alert groups by the event's
//! entities (the badge for a badge rule; the visit for a watchlist hit).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use vigil_detect::{Detection, Detector, DetectorLayer};
use vigil_detect::{LogSource, RuleMeta};
use vigil_model::{Event, EventClass, Fields, Severity};

use crate::live::VisitorsLive;
use crate::rules::{AlarmCandidate, VisitorRule};
use crate::watchlist::{MatchBasis, MatchedList};

/// The `action` of a watchlist hit's event.
pub const WATCHLIST_MATCH: &str = "watchlist_match";

/// The fields of the event recording a watchlist hit: class `visitor`,
/// the visit (as the event's `user` entity, `visit:<id>`, so that each
/// visit's hits group on one alert), the list and the basis — no names, no
/// entry of the provider's list.
pub fn watchlist_event(candidate: &AlarmCandidate) -> Fields {
    let mut f = visit_fields(candidate, WATCHLIST_MATCH);
    let mut put = |k: &str, v: serde_json::Value| {
        f.insert(k.to_owned(), v);
    };
    if let Some(hit) = &candidate.watchlist {
        let list = match &hit.list {
            MatchedList::Client { .. } => "client",
            MatchedList::Provider => "provider",
        };
        put("watchlist", list.into());
        let basis = match hit.basis {
            MatchBasis::Document => "document",
            MatchBasis::NameAndBirthDate => "name_and_birth_date",
            MatchBasis::Name => "name",
        };
        put("basis", basis.into());
    }
    f
}

/// The `action` of an escort check the desk's clock decided (no later
/// event of the client came to decide it).
pub const ESCORT_MISSING: &str = "escort_missing";

/// The fields of the event recording an escort check decided on the
/// desk's clock ([`crate::live::VisitorsLive::expire`]): class `visitor`,
/// the visitor's badge, door and zone at the time they went in, the visit —
/// no names.
pub fn escort_event(candidate: &AlarmCandidate) -> Fields {
    let mut f = visit_fields(candidate, ESCORT_MISSING);
    let mut put = |k: &str, v: serde_json::Value| {
        f.insert(k.to_owned(), v);
    };
    for (k, v) in [
        ("badge", &candidate.badge),
        ("door", &candidate.door),
        ("zone", &candidate.zone),
    ] {
        if let Some(v) = v {
            put(k, v.as_str().into());
        }
    }
    f
}

/// What every visitor event says: class `visitor`, `action`, severity, the
/// visit (as the `user` entity, `visit:<id>`, so each visit's events group
/// on one alert) and the site, at the candidate's time.
fn visit_fields(candidate: &AlarmCandidate, action: &str) -> Fields {
    let mut f = Fields::new();
    let at = candidate
        .at
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    for (k, v) in [
        ("time", at),
        ("class", "visitor".to_owned()),
        ("action", action.to_owned()),
        ("severity", candidate.severity.as_str().to_owned()),
        ("user", format!("visit:{}", candidate.visit)),
        ("visit_id", candidate.visit.to_string()),
        ("site", candidate.site.as_str().to_owned()),
    ] {
        f.insert(k.to_owned(), v.into());
    }
    f
}

/// The binding a visitor event the desk records is ingested under: the
/// client and site of `candidate`, Vigil itself as the product.
pub fn source_binding(candidate: &AlarmCandidate) -> vigil_model::SourceBinding {
    vigil_model::SourceBinding {
        id: vigil_model::SourceId::new("visitors").expect("a valid slug literal"),
        tenant: candidate.tenant.clone(),
        site: Some(candidate.site.clone()),
        kind: vigil_model::SourceKind::Http,
        product: "vigil".into(),
    }
}

/// Another detector, then the visitor rules.
#[derive(Debug)]
pub struct VisitorDetector {
    inner: Arc<dyn Detector>,
    live: Arc<VisitorsLive>,
    metas: Mutex<HashMap<(VisitorRule, Severity), Arc<RuleMeta>>>,
}

impl VisitorDetector {
    /// `inner`'s rules, then the visitor rules over `live`.
    pub fn new(inner: Arc<dyn Detector>, live: Arc<VisitorsLive>) -> Self {
        Self {
            inner,
            live,
            metas: Mutex::new(HashMap::new()),
        }
    }

    /// The rule's metadata at `severity` (one per pair, made once: every
    /// detection of it shares it).
    fn meta(&self, rule: VisitorRule, severity: Severity) -> Arc<RuleMeta> {
        let mut metas = self.metas.lock().unwrap_or_else(|p| p.into_inner());
        metas
            .entry((rule, severity))
            .or_insert_with(|| Arc::new(rule_meta(rule, severity)))
            .clone()
    }

    /// The rule of a visitor event the desk recorded: a watchlist hit, or
    /// an escort check decided on its clock.
    fn recorded(&self, event: &Event) -> Option<Arc<RuleMeta>> {
        let text = |k: &str| event.fields.get(k).and_then(|v| v.as_str());
        if text("action") == Some(ESCORT_MISSING) {
            return Some(self.meta(VisitorRule::EscortMissing, Severity::High));
        }
        if text("action") != Some(WATCHLIST_MATCH) {
            return None;
        }
        let rule = match text("watchlist")? {
            "client" => VisitorRule::ClientWatchlist,
            "provider" => VisitorRule::ProviderWatchlist,
            _ => return None,
        };
        let severity = match text("basis")? {
            "document" | "name_and_birth_date" => Severity::High,
            _ => Severity::Medium,
        };
        Some(self.meta(rule, severity))
    }
}

/// What a visitor rule says about itself.
pub fn rule_meta(rule: VisitorRule, severity: Severity) -> RuleMeta {
    let description = match rule {
        VisitorRule::ZoneNotGranted => {
            "A visitor's temporary badge was granted into a zone the visit was not approved for."
        }
        VisitorRule::OutsideWindow => {
            "A visitor's temporary badge was used before it became valid or after the visit's window."
        }
        VisitorRule::AfterSignOut => {
            "A visitor's temporary badge was used after the visitor signed out (a badge not handed back, or passed on)."
        }
        VisitorRule::EscortMissing => {
            "A visitor entered a zone that requires an escort and their host was not seen at the same door or zone within the escort window."
        }
        VisitorRule::ClientWatchlist => {
            "A visitor's pre-registration or arrival matched the client's watchlist."
        }
        VisitorRule::ProviderWatchlist => {
            "A visitor's pre-registration or arrival matched the provider's watchlist across clients (a signal only)."
        }
    };
    RuleMeta {
        id: rule.id().to_owned(),
        id_derived: false,
        name: None,
        title: rule.title().to_owned(),
        description: description.to_owned(),
        level: severity,
        status: None,
        tags: vec!["attack.initial_access".into(), "visitor".into()],
        author: Some("Vigil".into()),
        date: Some("2026-12-06".into()),
        modified: None,
        references: Vec::new(),
        falsepositives: Vec::new(),
        fields: Vec::new(),
        custom_attributes: Default::default(),
        logsource: LogSource {
            product: Some("vigil".into()),
            category: Some(match rule {
                VisitorRule::ClientWatchlist | VisitorRule::ProviderWatchlist => "visitor".into(),
                _ => "physical_access".into(),
            }),
            service: None,
            definition: None,
        },
        origin: format!("builtin:visitors (code) {}", rule.title()),
    }
}

impl DetectorLayer for VisitorDetector {
    fn inner(&self) -> &dyn Detector {
        &*self.inner
    }

    fn own_rule_count(&self) -> usize {
        6
    }

    /// Over visits and the badges they carry.
    fn detect_own(&self, event: &Event, out: &mut Vec<Detection>) {
        match event.class {
            EventClass::PhysicalAccess => {
                for c in self.live.observe_event(event) {
                    out.push(Detection::of_rule(self.meta(c.rule, c.severity)));
                }
            }
            EventClass::Visitor => {
                if let Some(rule) = self.recorded(event) {
                    out.push(Detection::of_rule(rule));
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, Utc};
    use vigil_model::{EventId, SourceRef};

    use super::*;
    use crate::AccessObservation;
    use crate::live::{LiveSettings, TenantRules};
    use crate::visit::tests::badged;

    fn no_rules() -> Arc<dyn Detector> {
        let report = vigil_detect::RuleSet::load_sources(
            Vec::<(String, String)>::new(),
            &vigil_detect::LoadOptions::default(),
        );
        Arc::new(report.ruleset)
    }

    /// The pipeline's event for fields the desk recorded.
    fn recorded(fields: Fields, at: vigil_model::Timestamp, c: &AlarmCandidate) -> Event {
        let binding = source_binding(c);
        Event {
            id: EventId::new_at(at, [3; 10]),
            tenant: binding.tenant.clone(),
            site: binding.site.clone(),
            observed_at: at,
            received_at: at,
            source: SourceRef {
                id: binding.id.clone(),
                kind: binding.kind,
                product: binding.product.clone(),
                device: None,
            },
            class: EventClass::Visitor,
            severity: Severity::High,
            entities: Vec::new(),
            fields,
        }
    }

    #[test]
    fn an_escort_check_decided_on_the_clock_is_raised_as_the_escort_rule() {
        let v = badged(Utc::now(), "V-5");
        let mut settings = LiveSettings::default();
        settings.tenants.insert(
            v.tenant.clone(),
            TenantRules {
                escort_zones: ["plant-room".to_owned()].into(),
                ..TenantRules::default()
            },
        );
        let live = Arc::new(VisitorsLive::new(settings));
        live.put_visit(v.clone());
        let at = v.window.start + Duration::minutes(1);
        let obs = AccessObservation {
            tenant: v.tenant.clone(),
            site: Some(v.site.clone()),
            at,
            badge: Some("V-5".into()),
            person: None,
            door: Some("d-plant".into()),
            zone: Some("plant-room".into()),
            granted: true,
            exit: false,
        };
        assert!(live.observe(&obs).is_empty());
        let due = live.expire(at + Duration::minutes(1));
        assert_eq!(due.len(), 1);
        let fields = escort_event(&due[0]);
        assert_eq!(fields["action"], ESCORT_MISSING);
        assert_eq!(fields["badge"], "V-5");
        assert_eq!(fields["zone"], "plant-room");
        // Identifiers only: the visitor's name is not in the event.
        assert!(!serde_json::to_string(&fields).unwrap().contains("Kowalski"));

        let detector = VisitorDetector::new(no_rules(), live);
        let mut out = Vec::new();
        detector.detect(&recorded(fields, at, &due[0]), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].rule.id, VisitorRule::EscortMissing.id());
        assert_eq!(out[0].rule.level, Severity::High);

        // A near miss: another visitor event (a sign-in) raises nothing.
        let mut other = escort_event(&due[0]);
        other.insert("action".into(), "signed_in".into());
        let mut out = Vec::new();
        detector.detect(&recorded(other, at, &due[0]), &mut out);
        assert!(out.is_empty());
    }
}
