//! DC-09 over TCP and UDP: frames in, responses out, and between them the
//! promise that an `ACK` is only sent once the frame's events are durable.
//!
//! Frames from every connection of a listener go to one committer task,
//! which gathers whatever has queued while the previous commit was running
//! into the next one (per site, since a panel account may name its own
//! site). A panel waits for its `ACK` before sending the next frame, so the
//! committer's batches grow with the number of panels talking at once, and
//! the store's fsync is shared by all of them.

use std::net::SocketAddr;
use std::sync::Arc;

use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{Semaphore, mpsc, oneshot};
use vigil_ingest::{Payload, Pipeline};
use vigil_model::{Clock, Fields, SiteId, SourceBinding};

use super::frame::{FrameSplitter, Piece};
use super::identity::PanelIdentities;
use super::receiver::{Dc09Receiver, Rejected, ResponseKind, Verdict, nak_frame};
use crate::accept::Accept;
use crate::tls::TlsListener;
use vigil_estate::supervision::{Heard, SupervisionHandle};

/// Connections one TCP listener serves at once.
pub const MAX_TCP_CONNECTIONS: usize = 4096;
/// Records gathered into one commit at most.
const MAX_BATCH_RECORDS: usize = 8192;
/// Commits in flight at once per listener.
const COMMITS_IN_FLIGHT: usize = 4;
/// UDP frames processed at once.
const MAX_UDP_IN_FLIGHT: usize = 4096;

type Records = Vec<(Result<Fields, String>, Vec<u8>)>;

struct Commit {
    /// The account's site, when it names one (else the listener's).
    site: Option<SiteId>,
    records: Records,
    done: Option<oneshot::Sender<bool>>,
}

/// Everything a DC-09 listener's connections share.
#[derive(Clone)]
pub struct Dc09Listener {
    receiver: Arc<Dc09Receiver>,
    binding: Arc<SourceBinding>,
    clock: Arc<dyn Clock>,
    /// The time frames are judged and answered on: the node's clock, or
    /// wall time for a receiver that asks for it.
    frame_clock: Arc<dyn Clock>,
    commits: mpsc::Sender<Commit>,
    supervision: Option<SupervisionHandle>,
    /// Frames recently made durable, to recognise a panel's repeat.
    recent: Arc<std::sync::Mutex<RecentFrames>>,
    /// Where each account's panel is reported to the inventory.
    identities: Option<PanelIdentities>,
}

/// How long a frame made durable is remembered: a panel that missed its
/// ACK repeats within seconds (SIA DC-09 leaves the retry timing to the
/// panel; a minute covers the ones seen in practice).
const REPEAT_WINDOW_SECS: i64 = 120;
/// Frames remembered at most; the oldest are forgotten first.
const REPEAT_MEMORY: usize = 4096;

/// The frames made durable in the last [`REPEAT_WINDOW_SECS`]: a panel that
/// did not see its ACK sends the same message again (same account,
/// sequence number and content), and it is the same event — answered with
/// ACK and not stored twice. Keyed on the decrypted content, since an
/// encrypted repeat carries new padding.
#[derive(Debug, Default)]
struct RecentFrames {
    seen: std::collections::HashMap<u128, vigil_model::Timestamp>,
    order: std::collections::VecDeque<(u128, vigil_model::Timestamp)>,
}

impl RecentFrames {
    fn key(accepted: &super::receiver::Accepted) -> u128 {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        for part in [
            accepted.account.as_bytes(),
            accepted.header.sequence.as_bytes(),
        ] {
            h.update(&(part.len() as u64).to_le_bytes());
            h.update(part);
        }
        for (_, raw) in &accepted.records {
            h.update(&(raw.len() as u64).to_le_bytes());
            h.update(raw);
        }
        h.digest128()
    }

    fn forget_before(&mut self, now: vigil_model::Timestamp) {
        let horizon = now - chrono::Duration::seconds(REPEAT_WINDOW_SECS);
        while let Some(&(key, at)) = self.order.front() {
            if at >= horizon && self.order.len() <= REPEAT_MEMORY {
                break;
            }
            self.order.pop_front();
            if self.seen.get(&key) == Some(&at) {
                self.seen.remove(&key);
            }
        }
    }

    fn is_repeat(&mut self, key: u128, now: vigil_model::Timestamp) -> bool {
        self.forget_before(now);
        self.seen.contains_key(&key)
    }

    fn remember(&mut self, key: u128, now: vigil_model::Timestamp) {
        self.seen.insert(key, now);
        self.order.push_back((key, now));
        self.forget_before(now);
    }
}

impl std::fmt::Debug for Dc09Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dc09Listener")
            .field("source", &self.binding.id)
            .finish_non_exhaustive()
    }
}

impl Dc09Listener {
    /// A listener for `binding` deciding with `receiver`, committing through
    /// `pipeline` and reporting heartbeats to `supervision`. Starts its
    /// committer task (on the current tokio runtime).
    pub fn new(
        receiver: Dc09Receiver,
        binding: SourceBinding,
        pipeline: Pipeline,
        supervision: Option<SupervisionHandle>,
    ) -> Self {
        let clock = pipeline.clock().clone();
        let (commits, rx) = mpsc::channel(MAX_BATCH_RECORDS);
        let binding = Arc::new(binding);
        tokio::spawn(committer(rx, pipeline, binding.clone()));
        if let Some(s) = &supervision {
            let now = clock.now();
            for account in receiver.accounts() {
                if let Some(interval) = account.supervision {
                    s.expect(&Heard {
                        binding: site_binding(&binding, account.site.as_ref()),
                        device: account.panel.clone(),
                        device_type: "intrusion_panel".into(),
                        interval,
                        at: now,
                        armed: None,
                    });
                }
            }
        }
        let frame_clock: Arc<dyn Clock> = if receiver.wall_clock() {
            Arc::new(vigil_model::SystemClock)
        } else {
            clock.clone()
        };
        Self {
            receiver: Arc::new(receiver),
            binding,
            clock,
            frame_clock,
            commits,
            supervision,
            recent: Default::default(),
            identities: None,
        }
    }

    /// The same listener, reporting each account's panel to `reports` on
    /// its first accepted frame (see [`super::identity`]).
    pub fn with_device_reports(
        mut self,
        reports: Arc<dyn vigil_lifecycle::inventory::DeviceReports>,
    ) -> Self {
        self.identities = Some(PanelIdentities::new(reports));
        self
    }

    /// Decides on one frame and, for accepted frames with events, waits
    /// until they are durable. Returns the bytes to answer with.
    pub async fn handle_frame(&self, frame: &[u8], rng: &mut StdRng) -> Vec<u8> {
        let now = self.frame_clock.now();
        match self.receiver.receive(frame, now, rng) {
            Verdict::Accept(accepted) => {
                if let Some(identities) = &self.identities {
                    identities.heard(
                        &site_binding(&self.binding, accepted.site.as_ref()),
                        &accepted,
                    );
                }
                if let (Some(s), Some(account)) =
                    (&self.supervision, self.receiver.account(&accepted.account))
                    && let Some(interval) = account.supervision
                {
                    s.heard(Heard {
                        binding: site_binding(&self.binding, accepted.site.as_ref()),
                        device: accepted.panel.clone(),
                        device_type: "intrusion_panel".into(),
                        interval,
                        // Supervision runs on the node's clock.
                        at: self.clock.now(),
                        armed: accepted.armed,
                    });
                }
                if accepted.records.is_empty() {
                    return accepted.ack;
                }
                let key = RecentFrames::key(&accepted);
                let wall = self.frame_clock.now();
                if self
                    .recent
                    .lock()
                    .map(|mut r| r.is_repeat(key, wall))
                    .unwrap_or(false)
                {
                    // Stored already: the panel only missed the ACK.
                    return accepted.ack;
                }
                let records = accepted
                    .records
                    .into_iter()
                    .map(|(fields, raw)| (Ok(fields), raw))
                    .collect();
                if self.commit(accepted.site, records).await {
                    if let Ok(mut r) = self.recent.lock() {
                        r.remember(key, wall);
                    }
                    accepted.ack
                } else {
                    // Not durable: the panel must send it again.
                    nak_frame(self.frame_clock.now())
                }
            }
            Verdict::Reject(rejected) => {
                self.dead_letter(&rejected, frame);
                rejected.response
            }
        }
    }

    /// Answers bytes that cannot be a frame with NAK, and keeps them.
    pub fn handle_garbage(&self, bytes: &[u8]) -> Vec<u8> {
        let rejected = Rejected {
            kind: ResponseKind::Nak,
            response: nak_frame(self.frame_clock.now()),
            reason: "bytes that are not a DC-09 frame (no LF … CR)".into(),
            account: None,
        };
        self.dead_letter(&rejected, bytes);
        rejected.response
    }

    async fn commit(&self, site: Option<SiteId>, records: Records) -> bool {
        let (done, result) = oneshot::channel();
        let sent = self
            .commits
            .send(Commit {
                site,
                records,
                done: Some(done),
            })
            .await;
        sent.is_ok() && result.await.unwrap_or(false)
    }

    /// Keeps a refused frame for operators, without delaying the answer.
    fn dead_letter(&self, rejected: &Rejected, frame: &[u8]) {
        let what = match rejected.kind {
            ResponseKind::Nak => "NAK",
            ResponseKind::Duh => "DUH",
            ResponseKind::Ack => "ACK",
        };
        let reason = format!("DC-09 frame answered {what}: {}", rejected.reason);
        tracing::debug!(source = %self.binding.id, %reason, "dc09 frame refused");
        let commit = Commit {
            site: None,
            records: vec![(Err(reason), frame.to_vec())],
            done: None,
        };
        if self.commits.try_send(commit).is_err() {
            tracing::warn!(source = %self.binding.id, "dc09 dead letter dropped: commit queue full");
        }
    }
}

/// The listener's binding with the account's site, when it names one: the
/// configuration, not the panel, places an account at a site.
fn site_binding(base: &SourceBinding, site: Option<&SiteId>) -> SourceBinding {
    let mut binding = base.clone();
    if let Some(site) = site {
        binding.site = Some(site.clone());
    }
    binding
}

async fn committer(
    mut rx: mpsc::Receiver<Commit>,
    pipeline: Pipeline,
    binding: Arc<SourceBinding>,
) {
    let slots = Arc::new(Semaphore::new(COMMITS_IN_FLIGHT));
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        let Some(first) = rx.recv().await else {
            return;
        };
        let mut count = first.records.len();
        let mut batch = vec![first];
        while count < MAX_BATCH_RECORDS {
            match rx.try_recv() {
                Ok(c) => {
                    count += c.records.len();
                    batch.push(c);
                }
                Err(_) => break,
            }
        }
        let (pipeline, binding) = (pipeline.clone(), binding.clone());
        tokio::spawn(async move {
            commit_batch(&pipeline, &binding, batch).await;
            drop(permit);
        });
    }
}

/// Commits a batch, one ingest per site, and tells every waiting frame.
async fn commit_batch(pipeline: &Pipeline, base: &SourceBinding, batch: Vec<Commit>) {
    let mut groups: Vec<(Option<SiteId>, Records, Vec<oneshot::Sender<bool>>)> = Vec::new();
    for commit in batch {
        let index = match groups.iter().position(|(s, _, _)| *s == commit.site) {
            Some(i) => i,
            None => {
                groups.push((commit.site.clone(), Vec::new(), Vec::new()));
                groups.len() - 1
            }
        };
        if let Some((_, records, waiters)) = groups.get_mut(index) {
            records.extend(commit.records);
            waiters.extend(commit.done);
        }
    }
    let results = futures::future::join_all(groups.into_iter().map(
        |(site, records, waiters)| async move {
            let binding = site_binding(base, site.as_ref());
            let outcome = pipeline.ingest(&binding, Payload::Records(records)).await;
            if let Err(e) = &outcome {
                tracing::error!(source = %binding.id, error = %e, "dc09 frames could not be stored; answering NAK");
            }
            (outcome.is_ok(), waiters)
        },
    ))
    .await;
    for (ok, waiters) in results {
        for w in waiters {
            let _ = w.send(ok);
        }
    }
}

/// Serves DC-09 over TCP on `listener` until the task is dropped.
pub async fn serve_tcp(listener: TcpListener, dc09: Dc09Listener) {
    accept(listener, dc09, None).await;
}

/// Serves DC-09 over TLS on `listener` until the task is dropped: a client
/// that does not complete the handshake (plaintext, or without a
/// certificate the source's CA signed when it has one) is refused before
/// any frame is read.
pub async fn serve_tls(listener: TcpListener, dc09: Dc09Listener, tls: TlsListener) {
    accept(listener, dc09, Some(tls)).await;
}

async fn accept(listener: TcpListener, dc09: Dc09Listener, tls: Option<TlsListener>) {
    let accept = Accept {
        protocol: "dc09",
        source: dc09.binding.id.clone(),
        max_connections: MAX_TCP_CONNECTIONS,
        tls,
    };
    crate::accept::serve(listener, accept, move |stream, peer| {
        let dc09 = dc09.clone();
        async move {
            // Panels drop connections as a matter of course: not a warning.
            if let Err(e) = serve_connection(stream, peer, &dc09).await {
                tracing::debug!(source = %dc09.binding.id, %peer, error = %e, "dc09 connection ended");
            }
        }
    })
    .await;
}

async fn serve_connection(
    mut stream: impl AsyncRead + AsyncWrite + Unpin,
    peer: SocketAddr,
    dc09: &Dc09Listener,
) -> std::io::Result<()> {
    tracing::debug!(source = %dc09.binding.id, %peer, "dc09 connection");
    let mut rng = StdRng::from_os_rng();
    let mut splitter = FrameSplitter::new();
    let mut buf = vec![0u8; 8192];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        splitter.push(buf.get(..n).unwrap_or_default());
        while let Some(piece) = splitter.next_piece() {
            let response = match piece {
                Piece::Frame(frame) => dc09.handle_frame(&frame, &mut rng).await,
                Piece::Garbage(bytes) => dc09.handle_garbage(&bytes),
            };
            stream.write_all(&response).await?;
        }
    }
}

/// Serves DC-09 over UDP on `socket` until the task is dropped. Each
/// datagram is answered to its sender, from the same port.
pub async fn serve_udp(socket: UdpSocket, dc09: Dc09Listener) {
    let socket = Arc::new(socket);
    let slots = Arc::new(Semaphore::new(MAX_UDP_IN_FLIGHT));
    let mut buf = vec![0u8; 65_535];
    loop {
        let (n, peer) = match socket.recv_from(&mut buf).await {
            Ok(got) => got,
            Err(e) => {
                tracing::warn!(source = %dc09.binding.id, error = %e, "dc09 udp receive failed");
                continue;
            }
        };
        let datagram = buf.get(..n).unwrap_or_default().to_vec();
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        let (socket, dc09) = (socket.clone(), dc09.clone());
        tokio::spawn(async move {
            let mut rng = StdRng::from_os_rng();
            let mut splitter = FrameSplitter::new();
            splitter.push(&datagram);
            while let Some(piece) = splitter.next_piece().or_else(|| splitter.finish()) {
                let response = match piece {
                    Piece::Frame(frame) => dc09.handle_frame(&frame, &mut rng).await,
                    Piece::Garbage(bytes) => dc09.handle_garbage(&bytes),
                };
                if let Err(e) = socket.send_to(&response, peer).await {
                    tracing::debug!(%peer, error = %e, "dc09 udp answer failed");
                }
            }
            drop(permit);
        });
    }
}
