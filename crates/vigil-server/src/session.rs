//! Browser sessions for the console.
//!
//! A person logs in with their API token once; the browser then holds a
//! random session id in an `HttpOnly; SameSite=Strict` cookie instead of
//! the token, so page script never sees a credential it could leak. Only a
//! SHA-256 of the id is kept (in memory: a restart logs everyone out, which
//! a control room tolerates better than sessions surviving in a file).
//! Each session also carries a CSRF value that writes must echo in
//! `X-CSRF-Token`, as a second line behind `SameSite`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::Duration;
use rand::RngCore;
use sha2::{Digest, Sha256};
use vigil_model::Timestamp;
use vigil_store::TokenHash;

/// The cookie that carries the session id.
pub const SESSION_COOKIE: &str = "vigil_session";

/// The header a cookie-authenticated write must carry.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How long a session lasts from login: one long shift.
pub const SESSION_LIFETIME_HOURS: i64 = 12;

/// Sessions one token may hold at once (browsers, screens); logging in
/// again past it ends that token's oldest session.
pub const MAX_SESSIONS_PER_TOKEN: usize = 8;

/// One logged-in browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The API token the person logged in with (its hash): every request
    /// looks it up again, so revoking the token ends the session.
    pub token: TokenHash,
    /// What writes must send in `X-CSRF-Token`.
    pub csrf: String,
    /// When the session stops being accepted.
    pub expires: Timestamp,
}

/// A freshly opened session: what goes into the cookie and to the page.
#[derive(Debug, Clone)]
pub struct OpenedSession {
    /// The cookie value (never stored server-side).
    pub id: String,
    /// The CSRF value.
    pub csrf: String,
    /// When it expires.
    pub expires: Timestamp,
}

/// The sessions of this node, keyed by the SHA-256 of their ids, and its
/// count of failed authentications.
#[derive(Debug, Clone, Default)]
pub struct SessionStore {
    sessions: Arc<Mutex<HashMap<[u8; 32], Session>>>,
    throttle: Arc<crate::throttle::AuthThrottle>,
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn key(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

impl SessionStore {
    /// No sessions yet; failed authentications limited to `max_failures`
    /// a minute per client address and per token prefix.
    pub fn with_auth_limit(max_failures: u32) -> Self {
        Self {
            sessions: Arc::default(),
            throttle: Arc::new(crate::throttle::AuthThrottle::new(max_failures)),
        }
    }

    /// Opens a session for the holder of `token`; expired sessions are
    /// dropped on the way so the map cannot grow without bound.
    pub fn open(&self, token: TokenHash, now: Timestamp) -> OpenedSession {
        let id = random_hex();
        let csrf = random_hex();
        let expires = now + Duration::hours(SESSION_LIFETIME_HOURS);
        let mut map = self.lock();
        map.retain(|_, s| s.expires > now);
        let mut held: Vec<([u8; 32], Timestamp)> = map
            .iter()
            .filter(|(_, s)| s.token == token)
            .map(|(k, s)| (*k, s.expires))
            .collect();
        if held.len() >= MAX_SESSIONS_PER_TOKEN {
            held.sort_by_key(|(_, expires)| *expires);
            for (k, _) in &held[..=held.len() - MAX_SESSIONS_PER_TOKEN] {
                map.remove(k);
            }
        }
        map.insert(
            key(&id),
            Session {
                token,
                csrf: csrf.clone(),
                expires,
            },
        );
        OpenedSession { id, csrf, expires }
    }

    /// The live session with this id, if any.
    pub fn get(&self, id: &str, now: Timestamp) -> Option<Session> {
        let k = key(id);
        let mut map = self.lock();
        match map.get(&k) {
            Some(s) if s.expires > now => Some(s.clone()),
            Some(_) => {
                map.remove(&k);
                None
            }
            None => None,
        }
    }

    /// Failed authentications, counted against client addresses and token
    /// prefixes.
    pub fn throttle(&self) -> &crate::throttle::AuthThrottle {
        &self.throttle
    }

    /// Ends the session with this id; whether there was one.
    pub fn close(&self, id: &str) -> bool {
        self.lock().remove(&key(id)).is_some()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Session>> {
        // A panic while holding the lock cannot leave the map half-written
        // (every operation is a single insert/remove), so poisoning is moot.
        self.sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The value of cookie `name` in a `Cookie` header (`a=1; b=2`).
pub fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k.trim() == name).then(|| v.trim().trim_matches('"'))
    })
}

/// Compares two secrets without stopping at the first difference.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The `Set-Cookie` value that installs a session; `Secure` when served
/// over TLS, so the browser never sends it over plain HTTP.
pub fn set_cookie(opened: &OpenedSession, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{}",
        opened.id,
        SESSION_LIFETIME_HOURS * 3600,
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie(secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn t(h: i64) -> Timestamp {
        chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::hours(h)
    }

    #[test]
    fn a_session_lives_twelve_hours_and_ends_at_logout() {
        let store = SessionStore::default();
        let opened = store.open([7; 32], t(0));
        let s = store.get(&opened.id, t(11)).expect("live");
        assert_eq!(s.token, [7; 32]);
        assert_eq!(s.csrf, opened.csrf);
        assert!(store.get(&opened.id, t(12)).is_none(), "expired");
        let again = store.open([7; 32], t(0));
        assert!(store.get("not-a-session", t(0)).is_none());
        assert!(store.close(&again.id));
        assert!(store.get(&again.id, t(0)).is_none());
        assert!(!store.close(&again.id));
    }

    #[test]
    fn only_a_hash_of_the_id_is_kept() {
        let store = SessionStore::default();
        let opened = store.open([1; 32], t(0));
        let map = store.lock();
        assert!(map.keys().all(|k| hex::encode(k) != opened.id));
        assert!(map.contains_key(&key(&opened.id)));
    }

    #[test]
    fn cookies_are_found_by_name() {
        let h = "theme=dark; vigil_session=abc123 ; other=x=y";
        assert_eq!(cookie_value(h, SESSION_COOKIE), Some("abc123"));
        assert_eq!(cookie_value(h, "other"), Some("x=y"));
        assert_eq!(cookie_value(h, "missing"), None);
        assert!(
            set_cookie(
                &OpenedSession {
                    id: "i".into(),
                    csrf: "c".into(),
                    expires: t(0)
                },
                false
            )
            .contains("HttpOnly; SameSite=Strict; Path=/")
        );
        assert!(clear_cookie(true).ends_with("; Secure"));
    }

    #[test]
    fn secrets_compare_exactly() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }

    proptest! {
        #[test]
        fn any_cookie_header_parses_without_panicking(h in ".*", name in "[a-z_]{1,12}") {
            if let Some(v) = cookie_value(&h, &name) {
                prop_assert!(h.contains(v));
            }
        }
    }
}
