//! HTTP Digest access authentication (RFC 7616, MD5 and SHA-256 with
//! `qop=auth`, and RFC 2069 without `qop`), as cameras ask for it on their
//! snapshot URIs and sometimes on their SOAP services. Pure: the client
//! nonce is an argument.

use md5::Md5;
use sha2::Sha256;

use super::pullpoint::Credentials;

/// A `WWW-Authenticate: Digest …` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// `realm`.
    pub realm: String,
    /// `nonce`.
    pub nonce: String,
    /// `opaque`, echoed back.
    pub opaque: Option<String>,
    /// Whether the server offers `qop=auth`.
    pub qop_auth: bool,
    /// `MD5` (the default) or `SHA-256`.
    pub sha256: bool,
}

/// Reads the Digest challenge among `headers` (`WWW-Authenticate` values);
/// `None` when there is none this client can answer.
pub fn parse_challenge<'a>(headers: impl IntoIterator<Item = &'a str>) -> Option<Challenge> {
    headers.into_iter().find_map(parse_one)
}

fn parse_one(header: &str) -> Option<Challenge> {
    let rest = header.trim();
    let (scheme, params) = rest.split_once(char::is_whitespace)?;
    if !scheme.eq_ignore_ascii_case("digest") {
        return None;
    }
    let mut realm = None;
    let mut nonce = None;
    let mut opaque = None;
    let mut qop = None;
    let mut algorithm = None;
    for (k, v) in params_of(params) {
        match k.to_ascii_lowercase().as_str() {
            "realm" => realm = Some(v),
            "nonce" => nonce = Some(v),
            "opaque" => opaque = Some(v),
            "qop" => qop = Some(v),
            "algorithm" => algorithm = Some(v),
            _ => {}
        }
    }
    let sha256 = match algorithm.as_deref().map(str::to_ascii_uppercase).as_deref() {
        None | Some("MD5") => false,
        Some("SHA-256") => true,
        Some(_) => return None,
    };
    let qop_auth = match &qop {
        None => false,
        Some(q) => {
            let auth = q.split(',').any(|o| o.trim().eq_ignore_ascii_case("auth"));
            if !auth {
                return None;
            }
            true
        }
    };
    Some(Challenge {
        realm: realm?,
        nonce: nonce?,
        opaque,
        qop_auth,
        sha256,
    })
}

/// `key=value` and `key="quoted, value"` pairs, comma-separated.
fn params_of(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.peek().copied() {
                if c == ',' {
                    break;
                }
                value.push(c);
                chars.next();
            }
            value = value.trim().to_owned();
        }
        out.push((key.trim().to_owned(), value));
    }
    out
}

fn hash(sha256: bool, text: &str) -> String {
    use sha2::Digest as _;
    if sha256 {
        hex::encode(Sha256::digest(text.as_bytes()))
    } else {
        hex::encode(<Md5 as md5::Digest>::digest(text.as_bytes()))
    }
}

fn quote(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The `Authorization` header answering `challenge` for `method` on `uri`
/// (the request target: path and query), with client nonce `cnonce` as
/// the first use of the server's nonce.
pub fn authorization(
    challenge: &Challenge,
    credentials: &Credentials,
    method: &str,
    uri: &str,
    cnonce: &str,
) -> String {
    let h = |t: &str| hash(challenge.sha256, t);
    let ha1 = h(&format!(
        "{}:{}:{}",
        credentials.username, challenge.realm, credentials.password
    ));
    let ha2 = h(&format!("{method}:{uri}"));
    let nc = "00000001";
    let response = if challenge.qop_auth {
        h(&format!(
            "{ha1}:{}:{nc}:{cnonce}:auth:{ha2}",
            challenge.nonce
        ))
    } else {
        h(&format!("{ha1}:{}:{ha2}", challenge.nonce))
    };
    let mut out = format!(
        r#"Digest username="{}", realm="{}", nonce="{}", uri="{}", response="{response}", algorithm={}"#,
        quote(&credentials.username),
        quote(&challenge.realm),
        quote(&challenge.nonce),
        quote(uri),
        if challenge.sha256 { "SHA-256" } else { "MD5" },
    );
    if challenge.qop_auth {
        out.push_str(&format!(
            r#", qop=auth, nc={nc}, cnonce="{}""#,
            quote(cnonce)
        ));
    }
    if let Some(opaque) = &challenge.opaque {
        out.push_str(&format!(r#", opaque="{}""#, quote(opaque)));
    }
    out
}

/// Checks an `Authorization` header against what `credentials` would send
/// for `method` on `uri` under `challenge` — what a camera does; the tests'
/// fake camera uses it.
pub fn verify(
    header: &str,
    challenge: &Challenge,
    credentials: &Credentials,
    method: &str,
) -> bool {
    let Some(params) = header.trim().strip_prefix("Digest ") else {
        return false;
    };
    let params: std::collections::HashMap<String, String> = params_of(params).into_iter().collect();
    let Some(uri) = params.get("uri") else {
        return false;
    };
    let cnonce = params.get("cnonce").map_or("", String::as_str);
    let expected = authorization(challenge, credentials, method, uri, cnonce);
    let want: std::collections::HashMap<String, String> =
        params_of(expected.trim_start_matches("Digest "))
            .into_iter()
            .collect();
    params.contains_key("response") && params.get("response") == want.get("response")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        Credentials {
            username: "Mufasa".into(),
            password: "Circle of Life".into(),
        }
    }

    #[test]
    fn the_rfc_7616_md5_example_gives_its_response() {
        // RFC 7616 section 3.9.1, MD5.
        let challenge = parse_challenge([
            "Basic realm=\"x\"",
            r#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#,
        ])
        .unwrap();
        assert!(challenge.qop_auth && !challenge.sha256);
        let header = authorization(
            &challenge,
            &creds(),
            "GET",
            "/dir/index.html",
            "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
        );
        assert!(
            header.contains(r#"response="8ca523f5e9506fed4657c9700eebdbec""#),
            "{header}"
        );
        assert!(verify(&header, &challenge, &creds(), "GET"));
        let wrong = Credentials {
            password: "wrong".into(),
            ..creds()
        };
        assert!(!verify(
            &authorization(&challenge, &wrong, "GET", "/dir/index.html", "c"),
            &challenge,
            &creds(),
            "GET"
        ));
    }

    #[test]
    fn the_rfc_7616_sha256_example_gives_its_response() {
        let challenge = parse_challenge([
            r#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#,
        ])
        .unwrap();
        let header = authorization(
            &challenge,
            &creds(),
            "GET",
            "/dir/index.html",
            "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
        );
        assert!(
            header.contains(
                r#"response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1""#
            ),
            "{header}"
        );
    }

    #[test]
    fn challenges_it_cannot_answer_are_ignored() {
        assert!(parse_challenge(["Basic realm=\"cam\""]).is_none());
        assert!(
            parse_challenge([r#"Digest realm="r", nonce="n", algorithm=SHA-512-256"#]).is_none()
        );
        assert!(parse_challenge([r#"Digest realm="r", nonce="n", qop="auth-int""#]).is_none());
        assert!(parse_challenge([r#"Digest realm="r""#]).is_none());
        let legacy = parse_challenge([r#"Digest realm="r", nonce="n""#]).unwrap();
        assert!(!legacy.qop_auth);
    }
}
