//! Cisco ASA, FTD and PIX syslog messages (`%ASA-6-113005: …`) name the
//! user and the remote peer inside their text, in a handful of fixed
//! spellings. Decoding lifts them into fields, as CEF's extension keys are,
//! so that rules, correlations (`group-by: [user, src_ip]`) and entities
//! can use them:
//! - `user = jdoe` (113004, 113005 …), `Username = jdoe` (113019),
//!   `User <jdoe>` (113039, 722051 …) → `user`;
//! - `user IP = 203.0.113.9` (113005), `IP = 203.0.113.9` (113019),
//!   `IP <203.0.113.9>` (113039, 722051 …) → `src_ip`.
//!
//! A field the record already has is left as it is.

use serde_json::Value;
use vigil_model::Fields;

/// Whether a syslog tag (`app_name`) is a Cisco security appliance's.
fn is_cisco_security(tag: &str) -> bool {
    ["%ASA-", "%FTD-", "%PIX-"]
        .iter()
        .any(|prefix| tag.starts_with(prefix))
}

/// Adds `user` and `src_ip` from a Cisco message's text, when the record
/// is one (its `app_name` is an `%ASA-`/`%FTD-`/`%PIX-` tag).
pub(crate) fn add_fields(fields: &mut Fields) {
    let tagged = fields
        .get("app_name")
        .and_then(Value::as_str)
        .is_some_and(is_cisco_security);
    if !tagged {
        return;
    }
    let Some(text) = fields.get("message").and_then(Value::as_str) else {
        return;
    };
    let user = value_after(text, &["user = ", "Username = "], &[" :", ","])
        .or_else(|| bracketed(text, "User <"));
    let peer = value_after(text, &["user IP = ", "IP = "], &[" :", ","])
        .or_else(|| bracketed(text, "IP <"));
    let found = [("user", user), ("src_ip", peer)];
    for (name, value) in found {
        if let Some(value) = value
            && !fields.contains_key(name)
        {
            fields.insert(name.to_owned(), Value::String(value));
        }
    }
}

/// The value after the first of `keys` found at a word start, up to the
/// first of `ends` (or the end of the text), trimmed; `None` when empty.
fn value_after(text: &str, keys: &[&str], ends: &[&str]) -> Option<String> {
    for key in keys {
        let mut from = 0;
        while let Some(at) = text.get(from..).and_then(|rest| rest.find(key)) {
            let start = from + at;
            // `IP = ` must not be the tail of `user IP = ` (found first) or
            // of another word.
            let at_word_start = start == 0
                || text[..start]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c == ' ' || c == ',' || c == ':');
            let value_start = start + key.len();
            if at_word_start {
                let rest = &text[value_start..];
                let end = ends
                    .iter()
                    .filter_map(|e| rest.find(e))
                    .min()
                    .unwrap_or(rest.len());
                let value = rest[..end].trim();
                return (!value.is_empty()).then(|| value.to_owned());
            }
            from = value_start;
        }
    }
    None
}

/// The text between `open` (which ends in `<`) and the next `>`.
fn bracketed(text: &str, open: &str) -> Option<String> {
    let start = text.find(open)? + open.len();
    let rest = &text[start..];
    let end = rest.find('>')?;
    let value = rest[..end].trim();
    (!value.is_empty()).then(|| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lifted(tag: &str, message: &str) -> (Option<String>, Option<String>) {
        let mut fields = Fields::new();
        fields.insert("app_name".into(), json!(tag));
        fields.insert("message".into(), json!(message));
        add_fields(&mut fields);
        let get = |k: &str| fields.get(k).and_then(Value::as_str).map(str::to_owned);
        (get("user"), get("src_ip"))
    }

    fn pair(user: &str, ip: &str) -> (Option<String>, Option<String>) {
        (Some(user.into()), Some(ip.into()))
    }

    #[test]
    fn the_spellings_of_user_and_peer() {
        assert_eq!(
            lifted(
                "%ASA-6-113005",
                "AAA user authentication Rejected : reason = AAA failure : server = 10.20.1.10 : user = jdoe : user IP = 203.0.113.9"
            ),
            pair("jdoe", "203.0.113.9")
        );
        assert_eq!(
            lifted(
                "%ASA-6-113004",
                "AAA user authentication Successful : server = 10.20.1.10 : user = jdoe"
            ),
            (Some("jdoe".into()), None)
        );
        assert_eq!(
            lifted(
                "%ASA-6-113039",
                "Group <RA-VPN> User <jdoe> IP <203.0.113.9> AnyConnect parent session started."
            ),
            pair("jdoe", "203.0.113.9")
        );
        assert_eq!(
            lifted(
                "%ASA-4-722051",
                "Group <RA-VPN> User <jdoe> IP <203.0.113.9> IPv4 Address <10.99.0.4> IPv6 address <::> assigned to session"
            ),
            pair("jdoe", "203.0.113.9")
        );
        assert_eq!(
            lifted(
                "%ASA-4-113019",
                "Group = RA-VPN, Username = jdoe, IP = 203.0.113.9, Session disconnected. Session Type: SSL"
            ),
            pair("jdoe", "203.0.113.9")
        );
    }

    #[test]
    fn only_cisco_records_and_never_over_existing_fields() {
        assert_eq!(lifted("sshd", "user = root"), (None, None));
        let mut fields = Fields::new();
        fields.insert("app_name".into(), json!("%FTD-6-113005"));
        fields.insert("message".into(), json!("user = jdoe : user IP = 1.2.3.4"));
        fields.insert("user".into(), json!("kept"));
        add_fields(&mut fields);
        assert_eq!(fields["user"], json!("kept"));
        assert_eq!(fields["src_ip"], json!("1.2.3.4"));
        assert_eq!(lifted("%ASA-6-1", "user =  : User <>"), (None, None));
    }

    #[test]
    fn a_decoded_line_carries_them() {
        let line = b"<166>Dec  1 10:00:00 vpn-gw01 %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.20.1.10 : user = jdoe : user IP = 203.0.113.9";
        let reference = chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap_or_default();
        let fields = crate::decode_message(line, reference).expect("decodes");
        assert_eq!(fields["user"], json!("jdoe"));
        assert_eq!(fields["src_ip"], json!("203.0.113.9"));
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_safe(message in "\\PC{0,120}", tail in "(user = |IP <|Username = |user IP = )[^>]{0,8}>?") {
            let _ = lifted("%ASA-6-113005", &message);
            let _ = lifted("%ASA-6-113005", &format!("{message}{tail}"));
        }
    }
}
