//! The alarm panels' lines in `vigil bench triage`: every DC-09 message the
//! simulated panels send (polls, set and unset, test reports, alarms) is
//! framed by the panel's dialler (sequence, CRC, AES for the accounts that
//! encrypt), decided by the same receiver and listener `vigil demo` and
//! `vigil serve` run (which report each panel heard to supervision and make
//! its events durable through the pipeline before the ACK), and supervision
//! is ticked on the simulated clock, so a panel that misses its reporting
//! interval raises "transmission path lost" through the pipeline as the
//! node's supervision ticker would.
//!
//! No sockets: the bench runs on a manual clock that jumps through a month,
//! so each frame is handled at its own simulated time, with the clock set
//! there first.

use std::collections::HashMap;
use std::sync::Arc;

use rand::SeedableRng;
use rand::rngs::StdRng;
use vigil_estate::supervision::{SupervisionHandle, Transition};
use vigil_ingest::Pipeline;
use vigil_model::{ManualClock, SourceId, Timestamp};
use vigil_sim::World;
use vigil_sources::dc09::{Dc09Listener, Dc09Sender};

/// What the panels' lines carried.
#[derive(Debug, Default, Clone, Copy)]
pub struct LineCounts {
    /// Frames the panels sent.
    pub frames: u64,
    /// … answered ACK (durable).
    pub acked: u64,
    /// … answered NAK or DUH.
    pub refused: u64,
    /// Transmission paths lost (missed reporting intervals).
    pub lost: u64,
    /// Transmission paths restored.
    pub restored: u64,
}

/// The simulated clients' receivers, their panels' diallers, and the
/// supervision of every account.
pub struct PanelLines {
    listeners: HashMap<SourceId, Dc09Listener>,
    senders: HashMap<(SourceId, String), (Dc09Sender, u16)>,
    supervision: SupervisionHandle,
    clock: Arc<ManualClock>,
    pipeline: Pipeline,
    rng: StdRng,
    /// What has been carried so far.
    pub counts: LineCounts,
}

impl PanelLines {
    /// The receivers `vigil demo` configures for `world`'s alarm receiving
    /// centre feeds (accounts, sites, zones, keys, SP4 supervision), each
    /// listening through `pipeline`, supervised from the clock's now.
    pub fn new(world: &World, pipeline: &Pipeline, clock: Arc<ManualClock>, seed: u64) -> Self {
        let supervision = SupervisionHandle::new();
        let mut listeners = HashMap::new();
        let mut senders = HashMap::new();
        for tw in &world.tenants {
            for binding in &tw.sources {
                if binding.kind != vigil_model::SourceKind::Dc09Tcp {
                    continue;
                }
                let receiver = &crate::demo_estate::panel_receiver(tw);
                for account in receiver.accounts() {
                    senders.insert(
                        (binding.id.clone(), account.account.clone()),
                        (
                            crate::demo_estate::panel_sender(&tw.tenant.id, &account.account),
                            0,
                        ),
                    );
                }
                listeners.insert(
                    binding.id.clone(),
                    Dc09Listener::new(
                        receiver.clone(),
                        binding.clone(),
                        pipeline.clone(),
                        Some(supervision.clone()),
                    ),
                );
            }
        }
        Self {
            listeners,
            senders,
            supervision,
            clock,
            pipeline: pipeline.clone(),
            rng: StdRng::seed_from_u64(seed),
            counts: LineCounts::default(),
        }
    }

    /// Moves the clock to `now` and records the supervision transitions
    /// due by then (and the restores heard since the last call), as the
    /// node's ticker does every second.
    pub async fn supervise(&mut self, now: Timestamp) {
        self.clock.set(now);
        let transitions = self.supervision.take_transitions(now);
        if transitions.is_empty() {
            return;
        }
        for t in &transitions {
            match t {
                Transition::Lost { .. } => self.counts.lost += 1,
                Transition::Restored { .. } => self.counts.restored += 1,
            }
        }
        vigil_estate::supervision::task::record(&self.pipeline, &transitions).await;
    }

    /// Panel `account` sends `payload` (`message_type` `SIA-DCS`, `ADM-CID`
    /// or `NULL`) at `at` to the receiver of `source`. Calls must come in
    /// time order.
    pub async fn send(
        &mut self,
        at: Timestamp,
        source: &SourceId,
        account: &str,
        message_type: &str,
        payload: &str,
    ) {
        // Supervision first: a path whose interval ran out before this
        // frame is lost, and this frame restores it.
        self.supervise(at).await;
        let (Some(listener), Some((sender, seq))) = (
            self.listeners.get(source),
            self.senders.get_mut(&(source.clone(), account.to_owned())),
        ) else {
            return;
        };
        *seq = *seq % 9999 + 1;
        let frame = sender.frame(*seq, message_type, payload, at, true, &mut self.rng);
        let answer = listener.handle_frame(&frame, &mut self.rng).await;
        self.counts.frames += 1;
        if answer.windows(4).any(|w| w == b"ACK\"") {
            self.counts.acked += 1;
        } else {
            self.counts.refused += 1;
            tracing::warn!(
                %source,
                account,
                answer = %String::from_utf8_lossy(&answer),
                "bench: a simulated panel's frame was refused"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Utc};
    use vigil_model::Clock;
    use vigil_sim::{Payload, Simulator};
    use vigil_store::sqlite::{SqliteOptions, SqliteStore};
    use vigil_store::{AlertQuery, LocalBus, Store, TenantScope};

    /// The first half hour of the simulated month through the panels' lines:
    /// every frame is ACKed, and the line cut in that time (every story is
    /// told in the first ten minutes) is lost to supervision and followed
    /// by the intrusion alarm, both durable as events.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cut_line_is_lost_to_supervision_before_the_alarm_gets_through() {
        let world = World::generate(7);
        let start = Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap();
        let clock = Arc::new(ManualClock::new(start));
        let store = Arc::new(SqliteStore::open_temporary(SqliteOptions::default()).unwrap());
        for tw in &world.tenants {
            store.upsert_tenant(&tw.tenant).await.unwrap();
            for site in &tw.sites {
                store.upsert_site(site).await.unwrap();
            }
            for b in &tw.sources {
                store.upsert_source(b, None).await.unwrap();
            }
        }
        let (sigma, _) = crate::rules::load_engine(true, &[], &[]).unwrap();
        let pipeline = Pipeline::new(
            store.clone(),
            Arc::new(LocalBus::new(16)),
            clock.clone(),
            sigma,
            Default::default(),
        );
        let mut lines = PanelLines::new(&world, &pipeline, clock.clone(), 7);
        let mut sim = Simulator::new(&world, 7, start);
        let end = start + Duration::minutes(30);
        for e in sim.advance_to(end) {
            if let Payload::Dc09 {
                account,
                message_type,
                payload,
            } = &e.payload
            {
                lines
                    .send(e.at, &e.source, account, message_type, payload)
                    .await;
            }
        }
        lines.supervise(end).await;
        assert_eq!(clock.now(), end);
        let truth = sim.take_ground_truth();
        let cut = truth
            .iter()
            .find(|g| g.story == "panel-line-cut")
            .expect("a line is cut in the first ten minutes");
        let c = lines.counts;
        assert!(c.frames > 100, "{c:?}");
        assert_eq!((c.acked, c.refused), (c.frames, 0), "{c:?}");
        assert!(c.lost >= 1 && c.restored >= 1, "{c:?}");
        let alerts = store
            .alerts(&AlertQuery::all_in(TenantScope::All, 1000))
            .await
            .unwrap()
            .items;
        let panel = cut
            .entities
            .iter()
            .find(|e| e.kind == vigil_model::EntityKind::Device)
            .map(|e| e.value.clone())
            .unwrap();
        let about_panel = |rule: &str| {
            alerts.iter().any(|a| {
                a.rule_id == rule
                    && a.entities.iter().any(|e| e.value == panel)
                    && a.first_seen >= cut.started_at
                    && a.first_seen <= cut.ended_at
            })
        };
        assert!(
            about_panel(vigil_sim::rules::TRANSMISSION_PATH_LOST),
            "path lost for {panel}"
        );
        assert!(
            about_panel(vigil_sim::rules::PATH_LOST_WHILE_ARMED),
            "lost while armed for {panel}"
        );
        assert!(
            about_panel(vigil_sim::rules::PANEL_INTRUSION_ALARM),
            "intrusion alarm from {panel}"
        );
    }
}
