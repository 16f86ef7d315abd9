//! HEC indexer acknowledgement: the ids a channel's requests were given,
//! and which of them are durable.
//!
//! Vigil answers a request only once its events are durable, so an id is
//! issued after the commit and every issued id is durable: an ack query
//! answers `true` for ids the channel was given and `false` for others
//! (never issued, or a channel forgotten). A client that gets `false`
//! sends the request again, which adds nothing that was stored already
//! (events' ids derive from the request's content).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use vigil_model::SourceId;

/// Channels remembered at most; past that the least recently used is
/// forgotten (its clients' queries then answer `false`, and they resend).
pub const MAX_CHANNELS: usize = 4096;

/// Ids one ack query may ask about.
pub const MAX_QUERIED: usize = 10_000;

/// Longest channel name accepted (HEC channels are GUIDs, 36 characters).
pub const MAX_CHANNEL_LEN: usize = 128;

/// The ack ids issued per source and channel.
#[derive(Debug, Default)]
pub struct AckBook {
    inner: Mutex<Book>,
}

#[derive(Debug, Default)]
struct Book {
    channels: HashMap<(SourceId, String), Channel>,
    /// A counter ordering uses, for forgetting the least recent channel.
    tick: u64,
}

#[derive(Debug, Clone, Copy)]
struct Channel {
    /// The next id to issue: every smaller one was issued.
    next: u64,
    /// The tick of its last use.
    used: u64,
}

/// Whether `channel` is a name HEC accepts: GUID-like text (letters,
/// digits and `-`), not empty, at most [`MAX_CHANNEL_LEN`] long.
pub fn valid_channel(channel: &str) -> bool {
    !channel.is_empty()
        && channel.len() <= MAX_CHANNEL_LEN
        && channel
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

impl AckBook {
    /// Issues the next ack id of `source`'s `channel`: call it only once the
    /// request's events are durable.
    pub fn issue(&self, source: &SourceId, channel: &str) -> u64 {
        let mut book = self.lock();
        book.tick += 1;
        let tick = book.tick;
        let key = (source.clone(), channel.to_owned());
        if !book.channels.contains_key(&key) && book.channels.len() >= MAX_CHANNELS {
            let oldest = book
                .channels
                .iter()
                .min_by_key(|(_, c)| c.used)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                book.channels.remove(&oldest);
            }
        }
        let entry = book
            .channels
            .entry(key)
            .or_insert(Channel { next: 0, used: 0 });
        let id = entry.next;
        entry.next += 1;
        entry.used = tick;
        id
    }

    /// Which of `ids` were issued to `source`'s `channel` (and so are
    /// durable), keyed by the id as text as HEC answers.
    pub fn status(&self, source: &SourceId, channel: &str, ids: &[u64]) -> BTreeMap<String, bool> {
        let mut book = self.lock();
        book.tick += 1;
        let tick = book.tick;
        let next = match book.channels.get_mut(&(source.clone(), channel.to_owned())) {
            Some(entry) => {
                entry.used = tick;
                entry.next
            }
            None => 0,
        };
        ids.iter().map(|id| (id.to_string(), *id < next)).collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Book> {
        // Each operation leaves the book whole, so a poisoned lock is usable.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
