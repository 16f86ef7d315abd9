//! `vigil bench triage`: a simulated month of three clients through
//! detection, the alarm queue and simulated analysts, measured against the
//! simulator's ground truth.
//!
//! Everything runs in-process and on a manual clock that follows simulated
//! time: the simulator's events go through the real pipeline (parse,
//! normalize, Sigma detection, alert grouping) into a real SQLite store;
//! the alarm panels' DC-09 frames go through the real receiver and its
//! supervision of every account ([`panels`]), so a cut line is lost to
//! supervision as on a node;
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
use vigil_contract::{ClockState, Measure};
use vigil_desk::alarm::{Alarm, AlarmCommand, Verdict};
use vigil_desk::service::{AlarmFilter, Desk};
use vigil_desk::{Actor, DeskConfig};
use vigil_ingest::{Payload, Pipeline, PipelineConfig};
use vigil_model::{ManualClock, Severity, SourceBinding, SourceId, Timestamp};
use vigil_sim::{GroundTruth, Payload as SimPayload, Simulator, World};
use vigil_store::sqlite::{SqliteOptions, SqliteStore};
use vigil_store::{LocalBus, Role, Store};

#[path = "triage_operators.rs"]
mod operators;
#[path = "triage_panels.rs"]
mod panels;

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
    /// Operators on shift, taking new alarms as they are raised.
    #[arg(long, default_value_t = 3)]
    operators: usize,
}

/// Counts every rule match on the way through: the raw detections, before
/// correlation, dedup and triage.
#[derive(Debug)]
struct CountingDetector {
    inner: Arc<dyn vigil_detect::Detector>,
    matches: std::sync::atomic::AtomicU64,
}

impl CountingDetector {
    /// Counts the detections added to `out` after its first `before`.
    fn count(&self, before: usize, out: &[vigil_detect::Detection]) {
        let found = out.len().saturating_sub(before) as u64;
        self.matches
            .fetch_add(found, std::sync::atomic::Ordering::Relaxed);
    }
}

impl vigil_detect::Detector for CountingDetector {
    fn detect(&self, event: &vigil_model::Event, out: &mut Vec<vigil_detect::Detection>) {
        let before = out.len();
        self.inner.detect(event, out);
        self.count(before, out);
    }
    fn detect_read(
        &self,
        event: &vigil_model::Event,
        doc: &vigil_detect::JsonDocument<'_>,
        out: &mut Vec<vigil_detect::Detection>,
    ) {
        let before = out.len();
        self.inner.detect_read(event, doc, out);
        self.count(before, out);
    }
    fn rule_count(&self) -> usize {
        self.inner.rule_count()
    }
    fn matched(
        &self,
        rule_id: &str,
        event: &vigil_model::Event,
    ) -> Option<vigil_detect::MatchDetail> {
        self.inner.matched(rule_id, event)
    }
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
    description: String,
    started_at: Option<Timestamp>,
    expected_rules: Vec<String>,
    raised: bool,
    by_expected_rule: bool,
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
    // Detection as `vigil serve` runs it: Sigma, the estate's converged
    // rules in code around it, and the correlations.
    let (sigma, correlations) = crate::rules::load_engine(true, &[], &[])?;
    let counting = Arc::new(CountingDetector {
        inner: Arc::new(vigil_estate::converged::ConvergedDetector::new(
            sigma,
            Default::default(),
        )),
        matches: Default::default(),
    });
    let pipeline = Pipeline::new(
        store.clone(),
        Arc::new(LocalBus::new(16)),
        clock.clone(),
        counting.clone(),
        PipelineConfig {
            alert_window: Duration::hours(1),
        },
    );
    // Events arrive in hourly batches here, so an hour of lateness is allowed.
    let settings = vigil_ingest::CorrelationSettings {
        allowed_lateness_seconds: 3600,
        ..Default::default()
    };
    if let Some((stage, _)) = crate::rules::correlation_stage(correlations, &settings) {
        pipeline.set_correlations(Some(stage));
    }
    // The people register, as the demo loads it from the simulated HR records.
    for (tenant, people) in crate::demo_estate::people(&world) {
        vigil_store::EstateStore::replace_people(store.as_ref(), &tenant, &people).await?;
    }
    let people =
        vigil_store::EstateStore::people(store.as_ref(), &vigil_store::TenantScope::All).await?;
    pipeline.set_people(Arc::new(vigil_ingest::PeopleRegister::new(people)));
    let config = DeskConfig {
        auto_close_threshold: args.threshold,
        auto_close_min_verdicts: args.min_verdicts,
        ..Default::default()
    };
    let desk = Desk::new(store.clone(), clock.clone(), config, None).await?;
    // As `vigil serve` has them: the default contract, the rules' facts.
    desk.set_service_levels(vigil_desk::service::ServiceLevels {
        rules: crate::rules::rule_facts(),
        ..Default::default()
    });
    let analyst = Actor::person("analyst", Role::ProviderLead, None);
    let mut lines = panels::PanelLines::new(&world, &pipeline, clock.clone(), args.seed);
    let mut operators = operators::Operators::new(args.operators, args.seed, start);

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
    // Before (false) and after (true) the model had learned enough to act.
    let mut learning: BTreeMap<bool, WeekCounts> = BTreeMap::new();
    let mut missed_by_model: BTreeMap<String, u64> = BTreeMap::new();
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
        // The panels' frames first, each at its own time (the clock moves
        // with them), then the hour's other events at its end.
        for e in emissions {
            match e.payload {
                SimPayload::Dc09 {
                    account,
                    message_type,
                    payload,
                } => {
                    acknowledge_due(&desk, &clock, &analyst, &mut operators, e.at).await?;
                    lines
                        .send(e.at, &e.source, &account, &message_type, &payload)
                        .await
                }
                SimPayload::Json(fields) => {
                    let body = json.entry(e.source).or_default();
                    if serde_json::to_writer(&mut *body, &fields).is_ok() {
                        body.push(b'\n');
                    }
                }
                SimPayload::Syslog(line) => {
                    syslog.entry(e.source).or_default().push(line.into_bytes())
                }
                // ONVIF and Sparkplug traffic is not measured here.
                _ => {}
            }
        }
        acknowledge_due(&desk, &clock, &analyst, &mut operators, now).await?;
        lines.supervise(now).await;
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
            let rec = attacks.entry(truth.instance.clone()).or_default();
            rec.story = truth.story.clone();
            rec.description = truth.description.clone();
            rec.started_at = Some(truth.started_at);
            rec.expected_rules = truth.expected_rules.clone();
            truths.push(truth);
        }
        while desk.triage_once().await?.changes > 0 {}
        // The operators see new alarms as soon as they are raised.
        let new_alarms = desk
            .alarms(
                &analyst,
                &AlarmFilter {
                    statuses: vec![vigil_desk::alarm::AlarmStatus::New],
                    limit: 1000,
                    ..Default::default()
                },
            )
            .await?;
        operators.take(&new_alarms);
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
            // An alarm nobody has taken yet waits for the next sweep.
            if alarm.status != vigil_desk::alarm::AlarmStatus::Acknowledged {
                continue;
            }
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
            let learned = desk.predict(alarm).1 >= args.min_verdicts;
            let phase = learning.entry(learned).or_default();
            phase.presented += 1;
            phase.false_alarms += u64::from(!true_positive);
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
        let by_model = alarm.transitions.iter().any(|t| t.command == "auto_close");
        for t in truths.iter().filter(|t| overlaps(alarm, t)) {
            let rec = attacks.entry(t.instance.clone()).or_default();
            rec.raised = true;
            rec.by_expected_rule |= t.expected_rules.contains(&alarm.rule_id);
            if by_model {
                *missed_by_model
                    .entry(format!("{} ({})", alarm.rule_title, t.story))
                    .or_default() += 1;
            }
        }
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
    // Every rule match, correlation inputs included; and the events that are
    // evidence of an alert (a correlation's alert counts its inputs once).
    let raw = counting.matches.load(std::sync::atomic::Ordering::Relaxed);
    let evidence: u64 = all.iter().map(|a| a.event_count).sum();
    let alarms = all.len() as u64;
    let presented = alarms - suppressed - auto_closed;
    let groups = groups_for_people.len() as u64;
    let raised = attacks.values().filter(|a| a.raised).count();
    let by_expected = attacks.values().filter(|a| a.by_expected_rule).count();
    let shown = attacks.values().filter(|a| a.presented).count();
    let line = lines.counts;
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
    println!(
        "  DC-09 frames from alarm panels         {:>10}   ({} ACK, {} refused)",
        line.frames, line.acked, line.refused
    );
    println!(
        "  transmission paths lost / restored     {:>10}   / {}",
        line.lost, line.restored
    );
    println!("  raw detections (every rule match)      {raw:>10}");
    println!("  … of them evidence of an alert         {evidence:>10}");
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
    println!(
        "  alarms an operator looked at           {presented:>10}   {:>6.1}× fewer than detections",
        ratio(raw, presented)
    );
    println!(
        "  groups of related alarms to look at    {groups:>10}   {:>6.1}× fewer than detections",
        ratio(raw, groups)
    );
    println!(
        "  attack stories (ground truth)          {:>10}",
        attacks.len()
    );
    println!(
        "    raised as an alarm                   {raised:>10}   of {} ({:.1}%)",
        attacks.len(),
        100.0 * ratio(raised as u64, attacks.len() as u64)
    );
    println!(
        "    (raw detections per attack           {:>10.1})",
        ratio(raw, attacks.len() as u64)
    );
    println!("    raised by the rule the story expects {by_expected:>10}");
    println!(
        "    shown to an operator                 {shown:>10}   of {} ({:.1}%)",
        attacks.len(),
        100.0 * ratio(shown as u64, attacks.len() as u64)
    );
    println!(
        "    in the top {:<2} of the queue          {top:>10}   ({:.0}%)",
        args.top,
        100.0 * ratio(top as u64, attacks.len() as u64)
    );
    println!("    at the very top                      {first_rank:>10}");
    for (learned, w) in &learning {
        println!(
            "  false-alarm rate {} learning     {:>5.1}%   ({} alarms)",
            if *learned { "after " } else { "before" },
            100.0 * ratio(w.false_alarms, w.presented),
            w.presented
        );
    }
    if !missed_by_model.is_empty() {
        println!("  attack-overlapping alarms the model closed, by rule (story):");
        let mut worst: Vec<_> = missed_by_model.iter().collect();
        worst.sort_by(|a, b| b.1.cmp(a.1));
        for (rule, n) in worst.into_iter().take(8) {
            println!("    {n:>6}  {rule}");
        }
    }
    let missed: Vec<&AttackRecord> = attacks.values().filter(|a| !a.raised).collect();
    if !missed.is_empty() {
        println!("  attacks never raised:");
        for a in missed.iter().take(10) {
            println!(
                "    {} {}: {}",
                a.started_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                a.story,
                a.description
            );
        }
    }
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
    print_service_levels(&desk, &all, operators.count());
    time_service_reports(&desk, store.as_ref(), &world, start, end).await?;
    Ok(())
}

/// Produces each client's monthly service report for the simulated month
/// (the calendar month the simulation starts in), as `vigil report service`
/// does, and prints how long computing and rendering it took.
async fn time_service_reports(
    desk: &Desk,
    estate: &dyn vigil_store::EstateStore,
    world: &World,
    start: Timestamp,
    end: Timestamp,
) -> anyhow::Result<()> {
    use vigil_desk::reporting::render::{Format, render};
    use vigil_desk::reporting::service::Month;
    use vigil_desk::service::ServiceReportRequest;

    let month = Month::parse(&start.format("%Y-%m").to_string())?;
    println!(
        "  monthly service report of {month}, per client (computed from the desk's records, then rendered):"
    );
    for tw in &world.tenants {
        let started = Instant::now();
        let report = desk
            .service_report(
                &ServiceReportRequest {
                    tenant: Some(tw.tenant.id.clone()),
                    month,
                    as_of: Some(end),
                },
                Some(estate),
            )
            .await?;
        let computed = started.elapsed();
        let pdf = render(&report, Format::Pdf)?;
        let total = started.elapsed();
        println!(
            "    {:<12} {} alarms, {} incidents: computed in {:.0} ms, with the PDF ({} KiB) {:.0} ms",
            tw.tenant.id.as_str(),
            report.summary.key.alarms,
            report.summary.key.incidents,
            computed.as_secs_f64() * 1e3,
            pdf.len() / 1024,
            total.as_secs_f64() * 1e3
        );
    }
    Ok(())
}

/// Makes the operators' acknowledgements due by `until`, each at its own
/// time (the clock moves with them, so they come in time order with the
/// panels' frames). An alarm closed meanwhile (by the model, a
/// suppression) needs no acknowledgement and is passed over.
async fn acknowledge_due(
    desk: &Desk,
    clock: &ManualClock,
    analyst: &Actor,
    operators: &mut operators::Operators,
    until: Timestamp,
) -> anyhow::Result<()> {
    for (at, id) in operators.due_by(until) {
        clock.set(at);
        match desk
            .alarm_command(analyst, id, AlarmCommand::Acknowledge)
            .await
        {
            Ok(_) | Err(vigil_desk::DeskError::Transition { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Per client: the acknowledgement clock's met and breached counts by the
/// contract's class, and the handling times alarm receiving centres are
/// held to (acknowledged within 30, 60 and 180 seconds), over the alarms a
/// (simulated) person acknowledged — the automation's closes are not
/// handling. The bench's clients have no contract of their own, so the
/// default contract applies.
fn print_service_levels(desk: &Desk, all: &[Alarm], operators: usize) {
    type PerClass = BTreeMap<&'static str, [u64; 2]>;
    let mut by_client: BTreeMap<String, (PerClass, Vec<i64>)> = BTreeMap::new();
    for alarm in all {
        let Some(ack) = alarm
            .transitions
            .iter()
            .find(|t| t.command == "acknowledge")
        else {
            continue;
        };
        let (classes, times) = by_client.entry(alarm.tenant.to_string()).or_default();
        times.push((ack.at - alarm.raised_at).num_milliseconds());
        let sla = desk.alarm_sla(alarm);
        let Some(clock) = sla
            .clocks
            .iter()
            .find(|c| c.measure == Measure::Acknowledge)
        else {
            continue;
        };
        let slot = classes.entry(sla.class.as_str()).or_default();
        match clock.state {
            ClockState::Met => slot[0] += 1,
            ClockState::Breached => slot[1] += 1,
            _ => {}
        }
    }
    println!(
        "  service levels (the default contract), alarms a person acknowledged, per client ({operators} operators on shift, each taking the next alarm when free):"
    );
    for (client, (classes, mut times)) in by_client {
        times.sort_unstable();
        let n = times.len().max(1) as f64;
        let within = |ms: i64| 100.0 * times.iter().filter(|t| **t <= ms).count() as f64 / n;
        let pick = |q: f64| {
            let i = ((times.len().saturating_sub(1)) as f64 * q).round() as usize;
            times.get(i).copied().unwrap_or(0) as f64 / 1000.0
        };
        println!(
            "    {client:<12} {} acknowledged: within 30 s {:.1} %, 60 s {:.1} %, 180 s {:.1} %; time to acknowledge median {:.0} s, p90 {:.0} s",
            times.len(),
            within(30_000),
            within(60_000),
            within(180_000),
            pick(0.5),
            pick(0.9)
        );
        for (class, [met, breached]) in classes {
            println!("      {class}  acknowledge met {met:>6}  breached {breached:>6}");
        }
    }
}
