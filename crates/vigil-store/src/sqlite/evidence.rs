//! Alert evidence: adding it, and which of it is indexed by time.
//!
//! An alert shows its [`MAX_ALERT_EVIDENCE`] earliest observed pieces of
//! evidence; the count goes on past them. Until migration 8 every piece was
//! also entered in an index by (alert, observed time), so each alert a
//! commit touched dirtied a leaf of that index as well as one of the
//! evidence table, and in `vigil bench dc09 --code BA` (every frame adds
//! evidence to two alerts of its own panel) those two leaves were most of
//! the pages a commit wrote to the log: about four 16 KiB pages per frame.
//!
//! Now the time index is partial (`WHERE shown = 1`), and a piece is
//! marked `shown` only if it is among the alert's `MAX_ALERT_EVIDENCE`
//! earliest when it is added. Adding evidence can only push a piece out of
//! the earliest, never bring one in, so every piece that is among the
//! earliest now was among them when it was added: the shown pieces always
//! include the earliest, and the alert's evidence read through the partial
//! index is the same as before. An alert past its first hundred pieces, in
//! time order, no longer writes to the index at all.
//!
//! Deciding needs the alert's last shown piece (its hundredth earliest),
//! once the alert holds that many (its `event_count` is the number it
//! holds; below the limit every piece is shown). Looking it up walks a
//! hundred index entries, so the alert's row keeps it (`evidence_cutoff_at`,
//! `evidence_cutoff_id`; `NULL` while the alert holds fewer, or before it
//! was first computed) and it is looked up only after a shown piece was
//! added.

use rusqlite::{Connection, OptionalExtension, Statement, params};

use vigil_model::{EventId, Timestamp};

use super::codec::{fingerprint, micros};
use crate::{MAX_ALERT_EVIDENCE, StoreError};

/// Migration 8: evidence indexed by time only while it is among an alert's
/// earliest. Existing evidence is all marked shown (a superset of the
/// earliest, which is all the read needs).
pub(crate) const EVIDENCE_SHOWN_INDEX: &str = r#"
ALTER TABLE alert_evidence ADD COLUMN shown INTEGER NOT NULL DEFAULT 1;
ALTER TABLE alerts ADD COLUMN evidence_cutoff_at INTEGER;
ALTER TABLE alerts ADD COLUMN evidence_cutoff_id BLOB;
DROP INDEX alert_evidence_by_time;
CREATE INDEX alert_evidence_shown ON alert_evidence (alert_id, observed_at, event_id)
    WHERE shown = 1;
"#;

/// The alert's evidence shown, earliest first. The `shown = 1` term must
/// stay the same text as the index's `WHERE` for SQLite to use the index.
pub(crate) const SHOWN_EVIDENCE: &str = "SELECT event_id FROM alert_evidence \
     WHERE alert_id = ?1 AND shown = 1 ORDER BY observed_at, event_id LIMIT ?2";

/// The last of the alert's earliest shown pieces, if it has that many.
const SHOWN_CUTOFF: &str = "SELECT observed_at, event_id FROM alert_evidence \
     WHERE alert_id = ?1 AND shown = 1 ORDER BY observed_at, event_id LIMIT 1 OFFSET ?2";

pub(crate) const INSERT_EVIDENCE: &str = "INSERT INTO alert_evidence (alert_id, fingerprint, event_id, \
     observed_at, shown) VALUES (?1, ?2, ?3, ?4, ?5) \
     ON CONFLICT (alert_id, fingerprint) DO NOTHING";

/// Where a piece of evidence sorts among an alert's: (observed, event id),
/// as SQLite orders the index (integers by value, blobs bytewise).
pub(crate) type SortKey = (i64, [u8; 16]);

/// Adds `evidence` (with `insert`, a prepared [`INSERT_EVIDENCE`]) to the
/// alert `alert_id`, which holds `held` pieces
/// already (its `event_count`) and whose last shown piece is `known`
/// (`None`: not known, or fewer held than the limit; it is then looked up
/// when needed). Returns how many pieces were new (a piece whose
/// fingerprint the alert already holds is not added again) and the last
/// shown piece after them, for the alert's row.
pub(crate) fn add(
    conn: &Connection,
    insert: &mut Statement<'_>,
    alert_id: [u8; 16],
    evidence: &[(EventId, u64, Timestamp)],
    held: i64,
    known: Option<SortKey>,
) -> Result<(i64, Option<SortKey>), StoreError> {
    if evidence.is_empty() {
        return Ok((0, known));
    }
    let limit = i64::try_from(MAX_ALERT_EVIDENCE).unwrap_or(i64::MAX);
    // `Some(last)` while known; looked up again only after a shown piece
    // was added (that moves it).
    let mut cutoff: Option<Option<SortKey>> = known.map(Some);
    let mut held = held;
    let mut added = 0;
    for (event, fp, observed) in evidence {
        let key: SortKey = (micros(*observed), event.0.into_bytes());
        // While the alert holds fewer than the limit, every piece is among
        // the earliest.
        let shown = held < limit || {
            let last = match cutoff {
                Some(last) => last,
                None => {
                    let last = shown_cutoff(conn, alert_id)?;
                    cutoff = Some(last);
                    last
                }
            };
            // A tie with the last shown is kept too: shown may hold more
            // than the earliest, never less.
            last.is_none_or(|last| key <= last)
        };
        let n = insert.execute(params![alert_id, fingerprint(*fp), key.1, key.0, shown])?;
        if n == 1 {
            added += 1;
            held += 1;
            if shown {
                cutoff = None;
            }
        }
    }
    let last = match cutoff {
        _ if held < limit => None,
        Some(last) => last,
        None => shown_cutoff(conn, alert_id)?,
    };
    Ok((added, last))
}

fn shown_cutoff(conn: &Connection, alert_id: [u8; 16]) -> Result<Option<SortKey>, StoreError> {
    let offset = i64::try_from(MAX_ALERT_EVIDENCE.saturating_sub(1)).unwrap_or(i64::MAX);
    Ok(conn
        .prepare_cached(SHOWN_CUTOFF)?
        .query_row(params![alert_id, offset], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite::schema;

    fn db() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        schema::migrate(&mut conn).unwrap();
        // Evidence alone, without the alert rows it belongs to.
        conn.pragma_update(None, "foreign_keys", false).unwrap();
        conn
    }

    fn shown(conn: &Connection, alert: [u8; 16]) -> Vec<[u8; 16]> {
        let limit = MAX_ALERT_EVIDENCE as i64;
        let mut stmt = conn.prepare(SHOWN_EVIDENCE).unwrap();
        stmt.query_map(params![alert, limit], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    fn piece(i: u64) -> (EventId, u64, Timestamp) {
        // Observed times repeat, so the event id decides some orders.
        let at = chrono::DateTime::from_timestamp(1_764_000_000 + (i % 97) as i64, 0).unwrap();
        let mut random = [0u8; 10];
        random[2..].copy_from_slice(&i.to_be_bytes());
        (
            EventId::new_at(at, random),
            i.wrapping_mul(0x9e37_79b9_7f4a_7c15),
            at,
        )
    }

    /// The earliest pieces, as the read must show them.
    fn earliest(pieces: &[(EventId, u64, Timestamp)]) -> Vec<[u8; 16]> {
        let mut keys: Vec<SortKey> = pieces
            .iter()
            .map(|(e, _, at)| (micros(*at), e.0.into_bytes()))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys.into_iter()
            .take(MAX_ALERT_EVIDENCE)
            .map(|(_, id)| id)
            .collect()
    }

    #[test]
    fn the_earliest_evidence_is_shown_whatever_order_it_arrives_in() {
        // A scrambled order (multiplying by a unit mod 500), in batches of
        // different sizes, with every batch sent twice (a replay).
        let pieces: Vec<_> = (0..500u64).map(|i| piece((i * 263) % 500)).collect();
        let conn = db();
        let alert = [7u8; 16];
        let add_batch = |batch: &[(EventId, u64, Timestamp)], held, known| {
            let mut insert = conn.prepare(INSERT_EVIDENCE).unwrap();
            add(&conn, &mut insert, alert, batch, held, known).unwrap()
        };
        let mut added = 0;
        let mut cutoff = None;
        let mut start = 0;
        for size in [1usize, 7, 50, 3, 120].into_iter().cycle() {
            if start >= pieces.len() {
                break;
            }
            let end = (start + size).min(pieces.len());
            let batch = &pieces[start..end];
            let (n, last) = add_batch(batch, added, cutoff);
            added += n;
            cutoff = last;
            if added >= MAX_ALERT_EVIDENCE as i64 {
                assert_eq!(shown_cutoff(&conn, alert).unwrap(), cutoff);
            } else {
                assert_eq!(cutoff, None);
            }
            let (n, last) = add_batch(batch, added, cutoff);
            assert_eq!((n, last), (0, cutoff), "a replay adds nothing");
            assert_eq!(shown(&conn, alert), earliest(&pieces[..end]), "after {end}");
            start = end;
        }
        assert_eq!(added, 500);
        let marked: i64 = conn
            .query_row(
                "SELECT count(*) FROM alert_evidence WHERE shown = 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(
            marked < 500,
            "later evidence is not indexed ({marked} shown)"
        );
    }

    #[test]
    fn one_batch_and_one_piece_at_a_time_show_the_same() {
        let pieces: Vec<_> = (0..300u64).rev().map(piece).collect();
        let (whole, single) = (db(), db());
        let alert = [9u8; 16];
        assert_eq!(
            add(
                &whole,
                &mut whole.prepare(INSERT_EVIDENCE).unwrap(),
                alert,
                &pieces,
                0,
                None
            )
            .unwrap()
            .0,
            300
        );
        let mut cutoff = None;
        for (held, p) in pieces.iter().enumerate() {
            let one = std::slice::from_ref(p);
            let (n, last) = add(
                &single,
                &mut single.prepare(INSERT_EVIDENCE).unwrap(),
                alert,
                one,
                held as i64,
                cutoff,
            )
            .unwrap();
            assert_eq!(n, 1);
            cutoff = last;
        }
        assert_eq!(shown(&whole, alert), shown(&single, alert));
        assert_eq!(shown(&whole, alert), earliest(&pieces));
    }

    #[test]
    fn the_read_uses_the_partial_index() {
        let conn = db();
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {SHOWN_EVIDENCE}"))
            .unwrap()
            .query_map(params![[0u8; 16], 100], |r| r.get(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            plan.iter().any(|p| p.contains("alert_evidence_shown")),
            "{plan:?}"
        );
        assert!(!plan.iter().any(|p| p.contains("TEMP B-TREE")), "{plan:?}");
    }
}
