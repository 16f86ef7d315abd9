//! `vigil bench triage`: a simulated month of three clients through
//! detection, the alarm queue and simulated analysts, measured against the
//! simulator's ground truth.
//!
//! Everything runs in-process and on a manual clock that follows simulated
//! time: the simulator's events go through the real pipeline (parse,
//! normalize, Sigma detection, alert grouping) into a real SQLite store;
//! the real triage service reads the alert feed (suppression, grouping,
//! scoring, the false-alarm model, auto-close); simulated analysts work the
//! queue every hour, highest priority first, closing each alarm with the
//! verdict ground truth gives (a true positive iff it overlaps an attack
//! story's tenant, time and entities), and — with `--suppress-after N` —
//! set a week's suppression on a low or medium rule about one thing they
//! have closed as false N times in a week. The verdicts train the model,
//! as a person's would.
//!
//! Printed: raw detections; alerts after the pipeline's dedup; alarms after
//! suppression and auto-close; groups an operator must look at; for every
//! attack, whether it was raised and where it stood in the queue; the
//! false-alarm rate the operators saw in the first and the last week.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use vigil_desk::alarm::{Alarm, AlarmCommand, Verdict};
use vigil_desk::service::{AlarmFilter, Desk};
use vigil_desk::{Actor, DeskConfig};
use vigil_model::{ManualClock, Severity, SourceBinding, SourceId, Timestamp};
use vigil_pipeline::{Payload, Pipeline, PipelineConfig};
use vigil_sim::{GroundTruth, Payload as SimPayload, Simulator, World};
use vigil_store::sqlite::{SqliteOptions, SqliteStore};
use vigil_store::{LocalBus, Role, Store};

/// `vigil bench triage` options.
#[derive(Debug, clap::Args)]
pub struct TriageArgs {
    /// Simulated days.
    #[arg(long, default_value_t = 30)]
    days: u32,
    /// Simulator seed.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Analysts work the queue this often (simulated minutes).
    #[arg(long, default_value_t = 60)]
    sweep_minutes: i64,
    /// The model auto-closes at or above this false-alarm probability.
    #[arg(long, default_value_t = 0.95)]
    threshold: f64,
    /// … once it has learned from this many verdicts.
    #[arg(long, default_value_t = 300)]
    min_verdicts: u64,
    /// Alarms an operator sees "at the top of the queue".
    #[arg(long, default_value_t = 5)]
    top: usize,
    /// Analysts suppress a low or medium rule on one thing for a week after
    /// this many false alarms from it in a week (0: they never suppress).
    #[arg(long, default_value_t = 0)]
    suppress_after: usize,
}

/// Slack around an attack's time when matching alarms to it.
const SLACK_MINUTES: i64 = 10;

/// Whether `alarm` belongs to the attack `truth`.
fn overlaps(alarm: &Alarm, truth: &GroundTruth) -> bool {
    let slack = Duration::minutes(SLACK_MINUTES);
    alarm.tenant == truth.tenant
        && alarm.first_seen <= truth.ended_at + slack
        && alarm.last_seen >= truth.started_at - slack
        && alarm.entities.iter().any(|e| {
            truth
                .entities
                .iter()
                .any(|t| t.value.eq_ignore_ascii_case(&e.value))
        })
}

#[derive(Default)]
struct AttackRecord {
    story: String,
    raised: bool,
    presented: bool,
    best_rank: Option<usize>,
}

#[derive(Default)]
struct WeekCounts {
    presented: u64,
    false_alarms: u64,
}

/// Runs the bench and prints the figures.
pub async fn run(args: TriageArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let world = World::generate(args.seed);
    let start = Utc
        .with_ymd_and_hms(2026, 1, 5, 0, 0, 0)
        .single()
        .unwrap_or_else(Utc::now);
    let clock = Arc::new(ManualClock::new(start));
    let store = Arc::new(SqliteStore::open_temporary(SqliteOptions::default())?);
    let mut bindings: HashMap<SourceId, SourceBinding> = HashMap::new();
    for tw in &world.tenants {
        store.upsert_tenant(&tw.tenant).await?;
        for site in &tw.sites {
            store.upsert_site(site).await?;
        }
        for b in &tw.sources {
            store.upsert_source(b, None).await?;
            bindings.insert(b.id.clone(), b.clone());
        }
    }
    let detector = crate::rules::load_for_serving(true, &[])?;
    let pipeline = Pipeline::new(
        store.clone(),
        Arc::new(LocalBus::new(16)),
        clock.clone(),
        detector,
        PipelineConfig {
            alert_window: Duration::hours(1),
        },
    );
    let config = DeskConfig {
        auto_close_threshold: args.threshold,
        auto_close_min_verdicts: args.min_verdicts,
        ..Default::default()
    };
    let desk = Desk::new(store.clone(), clock.clone(), config, None).await?;
    let analyst = Actor::person("analyst", Role::ProviderLead, None);

    let mut sim = Simulator::new(&world, args.seed, start);
    let end = start + Duration::days(i64::from(args.days));
    let step = Duration::minutes(args.sweep_minutes.clamp(15, 240));
    let sweep = Duration::minutes(args.sweep_minutes.max(15));
    let mut next_sweep = start + sweep;
    let mut truths: Vec<GroundTruth> = Vec::new();
    let mut attacks: BTreeMap<String, AttackRecord> = BTreeMap::new();
    let mut seen_alarms: HashSet<vigil_model::AlertId> = HashSet::new();
    let mut fp_history: HashMap<(String, String, String), Vec<Timestamp>> = HashMap::new();
    let mut weeks: BTreeMap<i64, WeekCounts> = BTreeMap::new();
    let mut suppressions_set = 0u64;
    let mut model_mistakes = 0u64;
    let mut events = 0usize;
    let mut now = start;
    while now < end {
        now += step;
        let emissions = sim.advance_to(now);
        events += emissions.len();
        let mut json: BTreeMap<SourceId, Vec<u8>> = BTreeMap::new();
        let mut syslog: BTreeMap<SourceId, Vec<Vec<u8>>> = BTreeMap::new();
        for e in emissions {
            match e.payload {
                SimPayload::Json(fields) => {
                    let body = json.entry(e.source).or_default();
                    if serde_json::to_writer(&mut *body, &fields).is_ok() {
                        body.push(b'\n');
                    }
                }
                SimPayload::Syslog(line) => {
                    syslog.entry(e.source).or_default().push(line.into_bytes())
                }
                // The estate's protocol traffic (DC-09, ONVIF, Sparkplug) is not measured here.
                _ => {}
            }
        }
        clock.set(now);
        for (source, body) in json {
            if let Some(b) = bindings.get(&source) {
                pipeline
                    .ingest(
                        b,
                        Payload::Ndjson {
                            body,
                            first_line: 1,
                            origin: None,
                        },
                    )
                    .await?;
            }
        }
        for (source, frames) in syslog {
            if let Some(b) = bindings.get(&source) {
                pipeline
                    .ingest(
                        b,
                        Payload::Syslog {
                            frames,
                            broken: Vec::new(),
                        },
                    )
                    .await?;
            }
        }
        for truth in sim.take_ground_truth() {
            attacks.entry(truth.instance.clone()).or_default().story = truth.story.clone();
            truths.push(truth);
        }
        while desk.triage_once().await?.changes > 0 {}
        if now < next_sweep {
            continue;
        }
        next_sweep += sweep;

        // The queue as an operator sees it, then worked top to bottom.
        let queue = desk
            .alarms(
                &analyst,
                &AlarmFilter {
                    limit: 1000,
                    ..Default::default()
                },
            )
            .await?;
        for (rank, alarm) in queue.iter().enumerate() {
            for t in truths.iter().filter(|t| overlaps(alarm, t)) {
                let rec = attacks.entry(t.instance.clone()).or_default();
                rec.presented = true;
                rec.best_rank = Some(rec.best_rank.map_or(rank + 1, |r| r.min(rank + 1)));
            }
        }
        for alarm in &queue {
            let true_positive = truths.iter().any(|t| overlaps(alarm, t));
            let verdict = if true_positive {
                Verdict::TruePositive
            } else {
                Verdict::FalsePositive
            };
            let week = (alarm.raised_at - start).num_days() / 7;
            let w = weeks.entry(week).or_default();
            w.presented += 1;
            w.false_alarms += u64::from(!true_positive);
            desk.alarm_command(&analyst, alarm.id, AlarmCommand::Acknowledge)
                .await?;
            desk.alarm_command(
                &analyst,
                alarm.id,
                AlarmCommand::Close {
                    verdict,
                    note: None,
                },
            )
            .await?;
            if !true_positive {
                let key = (
                    alarm.tenant.to_string(),
                    alarm.rule_id.clone(),
                    alarm.group_key.clone(),
                );
                let h = fp_history.entry(key).or_default();
                h.push(now);
                h.retain(|t| now - *t <= Duration::days(7));
                // Analysts suppress noise, never a high or critical rule.
                if args.suppress_after > 0
                    && h.len() >= args.suppress_after
                    && !alarm.group_key.is_empty()
                    && alarm.severity <= Severity::Medium
                {
                    let entity = alarm.group_key.split_once(':').map(|(_, v)| v.to_owned());
                    desk.suppress(
                        &analyst,
                        alarm.tenant.clone(),
                        Some(alarm.rule_id.clone()),
                        entity,
                        None,
                        now + Duration::days(7),
                        "closed as false three times this week",
                    )
                    .await?;
                    suppressions_set += 1;
                    h.clear();
                }
            }
        }
    }
    // Every alarm the desk raised: which attacks it covers, and how it ended.
    let mut all = Vec::new();
    let mut offset = 0;
    let everything = vec![
        vigil_desk::alarm::AlarmStatus::New,
        vigil_desk::alarm::AlarmStatus::Acknowledged,
        vigil_desk::alarm::AlarmStatus::InProgress,
        vigil_desk::alarm::AlarmStatus::Closed,
    ];
    loop {
        let page = desk
            .alarms(
                &analyst,
                &AlarmFilter {
                    statuses: everything.clone(),
                    offset,
                    limit: 1000,
                    ..Default::default()
                },
            )
            .await?;
        offset += page.len();
        let done = page.len() < 1000;
        all.extend(page);
        if done {
            break;
        }
    }
    let mut suppressed = 0u64;
    let mut auto_closed = 0u64;
    let mut groups_for_people: HashSet<String> = HashSet::new();
    for alarm in &all {
        seen_alarms.insert(alarm.id);
        let is_attack = truths.iter().any(|t| overlaps(alarm, t));
        for t in truths.iter().filter(|t| overlaps(alarm, t)) {
            attacks.entry(t.instance.clone()).or_default().raised = true;
        }
        let by_model = alarm.transitions.iter().any(|t| t.command == "auto_close");
        let by_suppression = alarm.transitions.iter().any(|t| t.command == "suppress");
        if by_model {
            auto_closed += 1;
            model_mistakes += u64::from(is_attack);
        }
        if by_suppression {
            suppressed += 1;
        }
        if !by_model && !by_suppression {
            groups_for_people.insert(alarm.group.clone());
        }
    }
    // Every event a rule matched is one piece of evidence of one alert.
    let raw: u64 = all.iter().map(|a| a.event_count).sum();
    let alarms = all.len() as u64;
    let presented = alarms - suppressed - auto_closed;
    let groups = groups_for_people.len() as u64;
    let raised = attacks.values().filter(|a| a.raised).count();
    let shown = attacks.values().filter(|a| a.presented).count();
    let top = attacks
        .values()
        .filter(|a| a.best_rank.is_some_and(|r| r <= args.top))
        .count();
    let first_rank = attacks.values().filter(|a| a.best_rank == Some(1)).count();
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };

    println!(
        "vigil bench triage: {} simulated days, seed {}, 3 clients, {:.0} s",
        args.days,
        args.seed,
        started.elapsed().as_secs_f64()
    );
    println!("  events ingested                        {events:>10}");
    println!("  raw detections (rule matches)          {raw:>10}");
    println!(
        "  alerts after dedup (rule·entity·hour)  {alarms:>10}   {:>6.1}× fewer than detections",
        ratio(raw, alarms)
    );
    println!(
        "  closed by suppression                  {suppressed:>10}   ({suppressions_set} analyst suppressions set)"
    );
    println!(
        "  closed by the model (auto-close)       {auto_closed:>10}   ({model_mistakes} of them were attacks)"
    );
    println!("  alarms an operator looked at           {presented:>10}");
    println!(
        "  groups of related alarms to look at    {groups:>10}   {:>6.1}× fewer than detections",
        ratio(raw, groups)
    );
    println!(
        "  attack stories (ground truth)          {:>10}",
        attacks.len()
    );
    println!("    raised as an alarm                   {raised:>10}");
    println!("    shown to an operator                 {shown:>10}");
    println!(
        "    in the top {:<2} of the queue          {top:>10}   ({:.0}%)",
        args.top,
        100.0 * ratio(top as u64, attacks.len() as u64)
    );
    println!("    at the very top                      {first_rank:>10}");
    println!("  false-alarm rate of what operators saw, by week:");
    for (week, w) in &weeks {
        println!(
            "    week {:<2}  {:>6} alarms  {:>5.1}% false",
            week + 1,
            w.presented,
            100.0 * ratio(w.false_alarms, w.presented)
        );
    }
    println!(
        "  by story:                         stories  raised  shown  top {}",
        args.top
    );
    let mut stories: BTreeMap<&str, [usize; 4]> = BTreeMap::new();
    for a in attacks.values() {
        let s = stories.entry(a.story.as_str()).or_default();
        s[0] += 1;
        s[1] += usize::from(a.raised);
        s[2] += usize::from(a.presented);
        s[3] += usize::from(a.best_rank.is_some_and(|r| r <= args.top));
    }
    for (story, [n, raised, shown, top]) in stories {
        println!("    {story:<32} {n:>7}  {raised:>6}  {shown:>5}  {top:>5}");
    }
    Ok(())
}
