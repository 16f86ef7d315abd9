//! `/api/v1/stats`: the dashboards' numbers, per client or across clients —
//! alarms per hour by category, the false-alarm rate, mean times to
//! acknowledge and to resolve, the rules that fire most, devices offline,
//! and open alarms by tenant.
//!
//! Hours are whole UTC hours ending with the one that holds "now" (from the
//! node's clock). An alarm counts in the hour its desk record says it
//! began; a close counts in the hour it was made. Only people's
//! acknowledgements and closes count for the mean times: the automation's
//! instant closes would flatter them.

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::extract::State;
use chrono::{Duration, DurationRound};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use vigil_desk::alarm::{Alarm, AlarmStatus, Verdict};
use vigil_desk::record::{DeskObject, from_record};
use vigil_model::{Entity, EntityKind, TenantId, Timestamp};
use vigil_store::{MAX_PAGE_SIZE, RecordOrder, RecordQuery, TenantScope};

use super::params::Params;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::site_plan::RuleFacts;

/// Alarms read for one answer, at most (the newest are kept).
const MAX_ALARMS: usize = 50_000;
/// How long before the window alarms are read, for closes and
/// acknowledgements inside it of alarms raised before it.
const LOOKBACK_DAYS: i64 = 7;
/// Rules listed in `top_rules`.
const TOP_RULES: usize = 10;

/// What kind of alarm, for the dashboards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Category {
    Cyber,
    Physical,
    Converged,
    Environmental,
}

/// The category of an alarm: from its rule's tags and log source when the
/// rule is known, else from the kinds of things it is about.
pub(crate) fn category(facts: Option<&RuleFacts>, entities: &[Entity]) -> Category {
    if let Some(f) = facts {
        let tagged = |names: &[&str]| {
            f.tags
                .iter()
                .any(|t| names.iter().any(|n| t.eq_ignore_ascii_case(n)))
        };
        let source = f.logsource_category.as_deref().unwrap_or("");
        if tagged(&["vigil.converged"]) {
            return Category::Converged;
        }
        if tagged(&["vigil.sensors", "vigil.environment", "vigil.ot"]) || source == "sensor_reading"
        {
            return Category::Environmental;
        }
        if tagged(&[
            "vigil.physical",
            "vigil.video",
            "vigil.intrusion",
            "vigil.device",
            "vigil.supervision",
        ]) || matches!(
            source,
            "physical_access"
                | "intrusion_alarm"
                | "fire_alarm"
                | "video_analytics"
                | "device_status"
        ) {
            return Category::Physical;
        }
        return Category::Cyber;
    }
    let has = |kinds: &[EntityKind]| entities.iter().any(|e| kinds.contains(&e.kind));
    if has(&[EntityKind::Sensor]) {
        Category::Environmental
    } else if has(&[
        EntityKind::Door,
        EntityKind::Camera,
        EntityKind::Badge,
        EntityKind::Zone,
        EntityKind::Device,
    ]) {
        Category::Physical
    } else {
        Category::Cyber
    }
}

/// Reads the alarms matching `query` page by page, at most [`MAX_ALARMS`].
async fn read_alarms(state: &AppState, mut query: RecordQuery) -> Result<Vec<Alarm>, ApiError> {
    let store = state.desk.store();
    query.limit = MAX_PAGE_SIZE;
    let mut out = Vec::new();
    loop {
        let page = store.desk_records(&query).await?;
        let n = page.len();
        for record in page {
            out.push(from_record::<Alarm>(record)?.value);
        }
        if n < MAX_PAGE_SIZE || out.len() >= MAX_ALARMS {
            return Ok(out);
        }
        query.offset += n;
    }
}

/// The open (not closed) alarms in scope.
pub(crate) async fn open_alarms(
    state: &AppState,
    scope: &TenantScope,
) -> Result<Vec<Alarm>, ApiError> {
    let mut q = RecordQuery::new(Alarm::KIND, scope.clone());
    q.not_statuses = vec![AlarmStatus::Closed.as_str().into()];
    q.order = RecordOrder::Newest;
    read_alarms(state, q).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct StatsParams {
    /// Only this tenant (client users: their own, always).
    #[param(value_type = Option<String>)]
    tenant: Option<TenantId>,
    /// How many hours back, 1 to 720 (default 24).
    hours: Option<i64>,
}

/// Alarms raised in one hour, by category.
#[derive(Debug, Default, Serialize, ToSchema)]
pub(crate) struct HourCounts {
    /// The hour's start.
    #[schema(value_type = String, format = DateTime)]
    hour: Timestamp,
    /// Cyber alarms.
    cyber: u64,
    /// Physical alarms (access, intrusion, video, devices).
    physical: u64,
    /// Converged alarms (rules spanning cyber and physical).
    converged: u64,
    /// Environmental alarms (building sensors).
    environmental: u64,
}

/// The false-alarm rate of one hour's closes.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct HourRate {
    /// The hour's start.
    #[schema(value_type = String, format = DateTime)]
    hour: Timestamp,
    /// False positives among the alarms closed in the hour, 0–1 (0 when none closed).
    rate: f64,
    /// Alarms closed in the hour.
    closed: u64,
    /// Of which false positives.
    false_positive: u64,
}

/// A rule and how many alarms it raised.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RuleCount {
    /// The rule's id.
    rule_id: String,
    /// Its title.
    title: String,
    /// Alarms it raised in the window.
    count: u64,
}

/// A device whose supervision is lost.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OfflineDevice {
    /// The tenant.
    tenant: String,
    /// The site, when known.
    site: Option<String>,
    /// The device's id.
    device: String,
    /// Its name (its id when it has none).
    name: String,
    /// Since when it is lost.
    #[schema(value_type = String, format = DateTime)]
    since: Timestamp,
}

/// Open alarms of one tenant.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TenantCounts {
    /// The tenant.
    tenant: String,
    /// Alarms not closed.
    open: u64,
    /// Of which nobody has taken yet.
    new: u64,
}

/// The dashboards' numbers.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Stats {
    /// Start of the first hour.
    #[schema(value_type = String, format = DateTime)]
    from: Timestamp,
    /// Now.
    #[schema(value_type = String, format = DateTime)]
    to: Timestamp,
    /// Alarms per hour by category, oldest hour first.
    alarms_per_hour: Vec<HourCounts>,
    /// False-alarm rate per hour, oldest first.
    false_alarm_rate: Vec<HourRate>,
    /// Mean seconds from raising to a person's acknowledgement, for
    /// acknowledgements in the window.
    mtta_seconds: Option<f64>,
    /// Mean seconds from raising to a person's close, for closes in the window.
    mttr_seconds: Option<f64>,
    /// The rules that raised most alarms in the window.
    top_rules: Vec<RuleCount>,
    /// Devices offline now.
    devices_offline: Vec<OfflineDevice>,
    /// Open alarms by tenant, now.
    by_tenant: Vec<TenantCounts>,
}

/// The numbers computed from alarms alone (pure, for testing).
pub(crate) struct AlarmNumbers {
    pub alarms_per_hour: Vec<HourCounts>,
    pub false_alarm_rate: Vec<HourRate>,
    pub mtta_seconds: Option<f64>,
    pub mttr_seconds: Option<f64>,
    pub top_rules: Vec<RuleCount>,
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// The alarm numbers for the hours starting at `from`, `hours` of them.
pub(crate) fn alarm_numbers(
    alarms: &[Alarm],
    rules: &HashMap<String, RuleFacts>,
    from: Timestamp,
    hours: i64,
    now: Timestamp,
) -> AlarmNumbers {
    let hour_of = |t: Timestamp| -> Option<usize> {
        if t < from || t > now {
            return None;
        }
        let i = (t - from).num_hours();
        (0..hours).contains(&i).then_some(i as usize)
    };
    let slots = hours.max(0) as usize;
    let mut per_hour: Vec<HourCounts> = (0..slots)
        .map(|i| HourCounts {
            hour: from + Duration::hours(i as i64),
            ..Default::default()
        })
        .collect();
    let mut closes = vec![(0u64, 0u64); slots];
    let (mut acks, mut resolves) = (Vec::new(), Vec::new());
    let mut rule_counts: BTreeMap<&str, (&str, u64)> = BTreeMap::new();
    for a in alarms {
        if let Some(slot) = hour_of(a.first_seen).and_then(|i| per_hour.get_mut(i)) {
            match category(rules.get(&a.rule_id), &a.entities) {
                Category::Cyber => slot.cyber += 1,
                Category::Physical => slot.physical += 1,
                Category::Converged => slot.converged += 1,
                Category::Environmental => slot.environmental += 1,
            }
            rule_counts
                .entry(&a.rule_id)
                .or_insert((&a.rule_title, 0))
                .1 += 1;
        }
        let ack = a
            .transitions
            .iter()
            .find(|t| t.to == AlarmStatus::Acknowledged && t.from == AlarmStatus::New);
        if let Some(t) = ack
            && hour_of(t.at).is_some()
        {
            acks.push((t.at - a.raised_at).num_milliseconds() as f64 / 1000.0);
        }
        if a.status == AlarmStatus::Closed
            && let Some(close) = a
                .transitions
                .iter()
                .rev()
                .find(|t| t.to == AlarmStatus::Closed)
            && let Some(i) = hour_of(close.at)
            && let Some(c) = closes.get_mut(i)
        {
            c.0 += 1;
            if a.verdict == Some(Verdict::FalsePositive) {
                c.1 += 1;
            }
            if close.command == "close" {
                resolves.push((close.at - a.raised_at).num_milliseconds() as f64 / 1000.0);
            }
        }
    }
    let false_alarm_rate = closes
        .into_iter()
        .enumerate()
        .map(|(i, (closed, fp))| HourRate {
            hour: from + Duration::hours(i as i64),
            rate: if closed == 0 {
                0.0
            } else {
                fp as f64 / closed as f64
            },
            closed,
            false_positive: fp,
        })
        .collect();
    let mut top: Vec<RuleCount> = rule_counts
        .into_iter()
        .map(|(id, (title, count))| RuleCount {
            rule_id: id.to_owned(),
            title: title.to_owned(),
            count,
        })
        .collect();
    top.sort_by(|a, b| b.count.cmp(&a.count).then(a.rule_id.cmp(&b.rule_id)));
    top.truncate(TOP_RULES);
    AlarmNumbers {
        alarms_per_hour: per_hour,
        false_alarm_rate,
        mtta_seconds: mean(&acks),
        mttr_seconds: mean(&resolves),
        top_rules: top,
    }
}

/// The dashboards' numbers for the last `hours` hours.
#[utoipa::path(
    get,
    path = "/api/v1/stats",
    tag = "estate",
    params(StatsParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The numbers", body = Stats),
        (status = 400, description = "Bad parameter (hours outside 1–720)", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Tenant not in the token's scope", body = ErrorBody),
    )
)]
pub(crate) async fn stats(
    State(state): State<AppState>,
    caller: Caller,
    Params(p): Params<StatsParams>,
) -> Result<Json<Stats>, ApiError> {
    let scope = caller.scope(p.tenant.as_ref())?;
    let hours = p.hours.unwrap_or(24);
    if !(1..=720).contains(&hours) {
        return Err(ApiError::BadRequest(format!(
            "hours is {hours}; expected 1 to 720"
        )));
    }
    let now = state.desk.now();
    let this_hour = now.duration_trunc(Duration::hours(1)).unwrap_or(now);
    let from = this_hour - Duration::hours(hours - 1);

    let mut q = RecordQuery::new(Alarm::KIND, scope.clone());
    q.at_from = Some(from - Duration::days(LOOKBACK_DAYS));
    q.order = RecordOrder::Newest;
    let alarms = read_alarms(&state, q).await?;
    let numbers = alarm_numbers(&alarms, &state.estate.rules, from, hours, now);

    let mut devices_offline = Vec::new();
    if let Some(estate) = &state.estate.store {
        let names: HashMap<(TenantId, String), Option<String>> = estate
            .devices(&scope)
            .await?
            .into_iter()
            .map(|d| ((d.tenant, d.id), d.name))
            .collect();
        for s in estate.supervision(&scope).await? {
            let Some(since) = s.lost_since else { continue };
            let name = names
                .get(&(s.tenant.clone(), s.device.clone()))
                .cloned()
                .flatten()
                .unwrap_or_else(|| s.device.clone());
            devices_offline.push(OfflineDevice {
                tenant: s.tenant.to_string(),
                site: s.site.map(|s| s.to_string()),
                device: s.device,
                name,
                since,
            });
        }
        devices_offline.sort_by(|a, b| a.since.cmp(&b.since).then(a.device.cmp(&b.device)));
    }

    let mut by_tenant: BTreeMap<TenantId, (u64, u64)> = state
        .store
        .tenants(&scope)
        .await?
        .into_iter()
        .map(|t| (t.id, (0, 0)))
        .collect();
    for a in open_alarms(&state, &scope).await? {
        let entry = by_tenant.entry(a.tenant).or_default();
        entry.0 += 1;
        if a.status == AlarmStatus::New {
            entry.1 += 1;
        }
    }
    Ok(Json(Stats {
        from,
        to: now,
        alarms_per_hour: numbers.alarms_per_hour,
        false_alarm_rate: numbers.false_alarm_rate,
        mtta_seconds: numbers.mtta_seconds,
        mttr_seconds: numbers.mttr_seconds,
        top_rules: numbers.top_rules,
        devices_offline,
        by_tenant: by_tenant
            .into_iter()
            .map(|(t, (open, new))| TenantCounts {
                tenant: t.to_string(),
                open,
                new,
            })
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(tags: &[&str], source: Option<&str>) -> RuleFacts {
        RuleFacts {
            tags: tags.iter().map(|t| t.to_string()).collect(),
            logsource_category: source.map(str::to_owned),
        }
    }

    #[test]
    fn categories_come_from_tags_then_log_source_then_entities() {
        let door = [Entity::new(EntityKind::Door, "d1")];
        let host = [Entity::new(EntityKind::Host, "pc1")];
        let sensor = [Entity::new(EntityKind::Sensor, "t1")];
        let converged = facts(&["vigil.physical", "vigil.converged"], None);
        assert_eq!(category(Some(&converged), &door), Category::Converged);
        let physical = facts(&["vigil.physical"], Some("physical_access"));
        assert_eq!(category(Some(&physical), &host), Category::Physical);
        let video = facts(&[], Some("video_analytics"));
        assert_eq!(category(Some(&video), &[]), Category::Physical);
        let env = facts(&["vigil.sensors"], Some("sensor_reading"));
        assert_eq!(category(Some(&env), &door), Category::Environmental);
        let cyber = facts(&["attack.t1078"], Some("authentication"));
        assert_eq!(category(Some(&cyber), &door), Category::Cyber);
        assert_eq!(category(None, &door), Category::Physical);
        assert_eq!(category(None, &sensor), Category::Environmental);
        assert_eq!(category(None, &host), Category::Cyber);
    }
}
