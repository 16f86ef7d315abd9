//! `vigil bench sla`: how long re-reading every open clock takes — the
//! work the desk's service-level job does on each pass — over alarms of
//! several clients, half on a business-hours calendar in a zone with
//! daylight saving and holidays.

use std::time::Instant;

use chrono::Duration;
use vigil_contract::{ContractConfig, ContractSet};
use vigil_desk::alarm::Alarm;
use vigil_desk::sla::alarm_clocks;
use vigil_model::{Alert, AlertStatus, Category, Clock, Severity, TenantId, Timestamp};

/// `vigil bench sla` options.
#[derive(Debug, clap::Args)]
pub struct SlaArgs {
    /// Open alarms to read the clocks of.
    #[arg(long, default_value_t = 100_000)]
    clocks: usize,
    /// Passes over all of them (the figures are per pass).
    #[arg(long, default_value_t = 10)]
    passes: usize,
}

const OFFICE: &str = r#"
[calendars.office]
time_zone = "Europe/Berlin"
hours = ["mon-fri 08:00-18:00", "sat 09:00-12:00"]
holidays = ["2026-12-24", "2026-12-25", "2026-12-26", "2026-12-31", "2027-01-01"]
[classes.P1]
acknowledge = "5m"
resolve = "4h"
[classes.P3]
calendar = "office"
acknowledge = "30m"
resolve = "3d"
[[rules]]
min_score = 60
class = "P1"
"#;

/// Runs the benchmark and prints its figures.
pub fn run(args: SlaArgs) -> anyhow::Result<()> {
    let tenants: Vec<TenantId> = (0..8)
        .map(|i| TenantId::new(&format!("client-{i}")))
        .collect::<Result<_, _>>()?;
    let mut contracts = ContractSet::default();
    for t in &tenants {
        let contract =
            ContractConfig::from_toml_str(t.as_str(), OFFICE)?.validate(t.as_str(), None)?;
        contracts.insert(t.clone(), contract);
    }
    let now: Timestamp = vigil_model::SystemClock.now();
    let alarms: Vec<Alarm> = (0..args.clocks)
        .map(|i| alarm(&tenants[i % tenants.len()], i, now))
        .collect();
    let categories = [
        Category::Cyber,
        Category::Physical,
        Category::Converged,
        Category::Environmental,
    ];
    let mut per_pass = Vec::with_capacity(args.passes);
    let mut breached = 0;
    for _ in 0..args.passes.max(1) {
        let started = Instant::now();
        breached = 0;
        for (i, a) in alarms.iter().enumerate() {
            let clocks = alarm_clocks(
                contracts.contract_for(&a.tenant),
                a,
                categories[i % categories.len()],
                now,
            );
            breached += clocks
                .clocks
                .iter()
                .filter(|c| c.state == vigil_contract::ClockState::Breached)
                .count();
        }
        per_pass.push(started.elapsed());
    }
    per_pass.sort();
    let median = per_pass[per_pass.len() / 2];
    let worst = per_pass[per_pass.len() - 1];
    let clocks = args.clocks * 2;
    println!(
        "{} open alarms ({clocks} clocks: acknowledge and resolve; half on business hours in Europe/Berlin with holidays), {} passes",
        args.clocks,
        per_pass.len()
    );
    println!(
        "  per pass: median {:.1} ms, worst {:.1} ms; {:.0} ns a clock; {:.1} M clocks/s",
        median.as_secs_f64() * 1e3,
        worst.as_secs_f64() * 1e3,
        median.as_secs_f64() * 1e9 / clocks as f64,
        clocks as f64 / median.as_secs_f64() / 1e6
    );
    println!("  clocks breached at the last pass: {breached}");
    Ok(())
}

/// Open alarm `i`, raised up to ten days before `now`, with a priority
/// score that puts about half of them in P1.
fn alarm(tenant: &TenantId, i: usize, now: Timestamp) -> Alarm {
    let raised = now - Duration::minutes((i as i64 * 7919) % (10 * 24 * 60));
    let alert = Alert {
        id: vigil_model::alert_id_for(tenant, "bench", &format!("host:{i}"), raised),
        tenant: tenant.clone(),
        site: None,
        rule_id: "bench".into(),
        rule_title: "Bench alarm".into(),
        severity: Severity::High,
        status: AlertStatus::New,
        group_key: format!("host:{i}"),
        window_start: raised,
        first_seen: raised,
        last_seen: raised,
        event_count: 1,
        entities: Vec::new(),
        evidence: Vec::new(),
        created_at: raised,
        updated_at: raised,
    };
    let mut a = Alarm::from_alert(&alert, raised);
    a.priority.score = (i % 100) as f64;
    a
}
