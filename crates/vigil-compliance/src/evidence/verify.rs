//! Checking an exported pack: every entry's digest against its content,
//! every control's reference against the entry, the pack's digest against
//! the whole, and then all of them against what the audit chain recorded
//! when the pack was made.
//!
//! The pack is read as plain JSON, not into [`super::EvidencePack`], so
//! that a field added or changed by hand is hashed as it stands rather
//! than dropped or normalised by a type.

use serde_json::Value;

use super::{FORMAT, PackRecord, digest_of_value};

/// The digests a pack states, each checked against its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackDigests {
    /// The client's tenant id.
    pub tenant: String,
    /// The framework.
    pub framework: String,
    /// The pack's digest.
    pub digest: String,
    /// Each entry's id and digest, in the pack's order.
    pub entries: Vec<(String, String)>,
    /// Where the pack says its digest was recorded.
    pub record: Option<PackRecord>,
}

/// An audit entry as the check reads it.
#[derive(Debug, Clone, Copy)]
pub struct RecordedPack<'a> {
    /// Its sequence number.
    pub seq: u64,
    /// Its action.
    pub action: &'a str,
    /// Its tenant.
    pub tenant: Option<&'a str>,
    /// Its "after" digest (hex): the pack's.
    pub after: Option<&'a str>,
    /// Its detail.
    pub detail: &'a Value,
}

/// Why a pack does not verify; each names what no longer matches.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackError {
    /// Not a pack of this format.
    #[error("not a compliance evidence pack of format `{FORMAT}`: {0}")]
    NotAPack(String),
    /// An entry's content does not give its digest.
    #[error(
        "evidence entry `{entry}` (controls {controls}) was changed: its content gives digest {computed}, it states {stated}"
    )]
    EntryChanged {
        /// The entry.
        entry: String,
        /// The controls it evidences.
        controls: String,
        /// The digest it states.
        stated: String,
        /// The digest its content gives.
        computed: String,
    },
    /// A control refers to an entry by a digest the entry does not have.
    #[error(
        "control {control} refers to evidence entry `{entry}` by digest {stated}, which is not the entry's"
    )]
    Reference {
        /// The control.
        control: String,
        /// The entry.
        entry: String,
        /// The digest it refers by.
        stated: String,
    },
    /// The pack's content does not give its digest.
    #[error("the pack was changed: its content gives digest {computed}, it states {stated}")]
    PackChanged {
        /// The digest it states.
        stated: String,
        /// The digest its content gives.
        computed: String,
    },
    /// The pack names no audit entry.
    #[error("the pack carries no record of where its digest was written to the audit chain")]
    Unrecorded,
    /// The audit entry is not this pack's record.
    #[error("audit entry {seq} is not this pack's record: {why}")]
    NotItsRecord {
        /// The entry.
        seq: u64,
        /// What differs.
        why: String,
    },
    /// An entry's digest differs from the one recorded.
    #[error(
        "evidence entry `{entry}` does not match the audit record (entry {seq}): recorded {recorded}, the pack has {stated}"
    )]
    EntryNotRecorded {
        /// The entry.
        entry: String,
        /// The audit entry.
        seq: u64,
        /// The digest recorded (`none` if the record has no such entry).
        recorded: String,
        /// The digest in the pack.
        stated: String,
    },
}

fn text<'a>(v: &'a Value, key: &str) -> Result<&'a str, PackError> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| PackError::NotAPack(format!("no text field `{key}`")))
}

/// Checks a pack's digests on its own, naming the first entry (or control)
/// that no longer matches its content.
pub fn check_digests(pack: &Value) -> Result<PackDigests, PackError> {
    let format = text(pack, "format")?;
    if format != FORMAT {
        return Err(PackError::NotAPack(format!(
            "format is `{}`",
            format.chars().take(60).collect::<String>()
        )));
    }
    let entries = pack
        .get("entries")
        .and_then(Value::as_array)
        .ok_or_else(|| PackError::NotAPack("no list `entries`".into()))?;
    let mut stated = Vec::with_capacity(entries.len());
    for e in entries {
        let id = text(e, "id")?.to_owned();
        let digest = text(e, "digest")?.to_owned();
        let mut content = e.clone();
        let computed = digest_of_value(&mut content, &["digest"])
            .map_err(|err| PackError::NotAPack(err.to_string()))?;
        if computed != digest {
            let controls = e
                .get("controls")
                .and_then(Value::as_array)
                .map(|cs| {
                    cs.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            return Err(PackError::EntryChanged {
                entry: id,
                controls,
                stated: digest,
                computed,
            });
        }
        stated.push((id, digest));
    }
    let controls = pack
        .get("controls")
        .and_then(Value::as_array)
        .ok_or_else(|| PackError::NotAPack("no list `controls`".into()))?;
    for c in controls {
        let control = text(c, "id")?;
        for r in c
            .get("evidence")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let entry = text(r, "entry")?;
            let digest = text(r, "digest")?;
            if !stated.iter().any(|(id, d)| id == entry && d == digest) {
                return Err(PackError::Reference {
                    control: control.to_owned(),
                    entry: entry.to_owned(),
                    stated: digest.to_owned(),
                });
            }
        }
    }
    let digest = text(pack, "digest")?.to_owned();
    let mut content = pack.clone();
    let computed = digest_of_value(&mut content, &["digest", "record"])
        .map_err(|err| PackError::NotAPack(err.to_string()))?;
    if computed != digest {
        return Err(PackError::PackChanged {
            stated: digest,
            computed,
        });
    }
    let record = match pack.get("record") {
        None | Some(Value::Null) => None,
        Some(r) => Some(
            serde_json::from_value(r.clone())
                .map_err(|e| PackError::NotAPack(format!("`record`: {e}")))?,
        ),
    };
    Ok(PackDigests {
        tenant: text(pack, "tenant")?.to_owned(),
        framework: text(pack, "framework")?.to_owned(),
        digest,
        entries: stated,
        record,
    })
}

/// Checks the digests against the audit entry that recorded the pack:
/// every entry's digest, then the pack's.
pub fn check_record(pack: &PackDigests, recorded: &RecordedPack<'_>) -> Result<(), PackError> {
    let seq = recorded.seq;
    let not_its = |why: String| PackError::NotItsRecord { seq, why };
    if recorded.action != super::AUDIT_ACTION {
        return Err(not_its(format!(
            "it records `{}`, not `{}`",
            recorded.action,
            super::AUDIT_ACTION
        )));
    }
    if recorded.tenant != Some(pack.tenant.as_str()) {
        return Err(not_its(format!(
            "it is about client `{}`, the pack about `{}`",
            recorded.tenant.unwrap_or("none"),
            pack.tenant
        )));
    }
    let recorded_entries = recorded.detail.get("entries").and_then(Value::as_object);
    for (id, digest) in &pack.entries {
        let r = recorded_entries
            .and_then(|m| m.get(id))
            .and_then(Value::as_str);
        if r != Some(digest.as_str()) {
            return Err(PackError::EntryNotRecorded {
                entry: id.clone(),
                seq,
                recorded: r.unwrap_or("none").to_owned(),
                stated: digest.clone(),
            });
        }
    }
    if let Some(m) = recorded_entries
        && let Some(extra) = m
            .keys()
            .find(|k| !pack.entries.iter().any(|(id, _)| id == *k))
    {
        return Err(not_its(format!(
            "it records evidence entry `{extra}`, which the pack no longer holds"
        )));
    }
    let in_detail = recorded.detail.get("pack").and_then(Value::as_str);
    if recorded.after != Some(pack.digest.as_str()) || in_detail != Some(pack.digest.as_str()) {
        return Err(not_its(format!(
            "it records pack digest {}, the pack has {}",
            recorded.after.unwrap_or("none"),
            pack.digest
        )));
    }
    Ok(())
}
