//! The PullPoint client, for cameras that cannot reach Vigil to push:
//! `CreatePullPointSubscription` on the camera's event service, then
//! `PullMessages` in a loop, `Renew` before the subscription runs out, and
//! a new subscription after any failure. Requests carry a WS-Security
//! UsernameToken with a password digest (nonce, creation time, password,
//! SHA-1, base64), as ONVIF devices require.
//!
//! The SOAP builders and parsers are pure (their nonce and time are
//! arguments); [`run`] is the I/O loop. Events pulled are made durable
//! before the next pull: a pulled message is gone from the camera.

use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::Duration;
use rand::RngCore;
use sha1::{Digest, Sha1};
use vigil_ingest::{Payload, Pipeline};
use vigil_model::{Clock, SourceBinding, Timestamp};

use super::events::{CameraPlace, CameraStates};
use super::notify::{
    NS_SOAP11, NS_SOAP12, NS_TEV, NS_WSA, NS_WSNT, Notification, NotifyError, fault_text,
    parse_notifications, soap_body,
};
use super::push::records;
use super::xml::parse;
use vigil_estate::supervision::{Heard, SupervisionHandle};

/// A camera's user name and password. `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, password redacted)", self.username)
    }
}

/// `Base64(SHA-1(nonce + created + password))`, the UsernameToken digest.
pub fn password_digest(nonce: &[u8], created: &str, password: &str) -> String {
    let mut h = Sha1::new();
    h.update(nonce);
    h.update(created.as_bytes());
    h.update(password.as_bytes());
    B64.encode(h.finalize())
}

fn esc(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

/// The `wsse:Security` header for `credentials`.
pub fn security_header(credentials: &Credentials, nonce: &[u8], created: Timestamp) -> String {
    let created = created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    format!(
        concat!(
            r#"<wsse:Security s:mustUnderstand="1" xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">"#,
            r#"<wsse:UsernameToken><wsse:Username>{user}</wsse:Username>"#,
            r#"<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">{digest}</wsse:Password>"#,
            r#"<wsse:Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">{nonce}</wsse:Nonce>"#,
            r#"<wsu:Created>{created}</wsu:Created></wsse:UsernameToken></wsse:Security>"#
        ),
        user = esc(&credentials.username),
        digest = password_digest(nonce, &created, &credentials.password),
        nonce = B64.encode(nonce),
        created = created,
    )
}

/// The SOAP actions of the requests.
pub mod action {
    /// `CreatePullPointSubscription`.
    pub const CREATE: &str =
        "http://www.onvif.org/ver10/events/wsdl/EventPortType/CreatePullPointSubscriptionRequest";
    /// `PullMessages`.
    pub const PULL: &str =
        "http://www.onvif.org/ver10/events/wsdl/PullPointSubscription/PullMessagesRequest";
    /// `Renew`.
    pub const RENEW: &str = "http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/RenewRequest";
}

/// The security material of one request.
#[derive(Debug, Clone)]
pub struct Auth<'a> {
    /// Whose.
    pub credentials: Option<&'a Credentials>,
    /// 16 random bytes.
    pub nonce: [u8; 16],
    /// Now, by the camera's clock as far as known.
    pub created: Timestamp,
}

/// A SOAP 1.2 envelope for `action` to `to`, with `body`.
pub fn envelope(action: &str, to: &str, auth: &Auth<'_>, body: &str) -> String {
    let security = auth
        .credentials
        .map(|c| security_header(c, &auth.nonce, auth.created))
        .unwrap_or_default();
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing" "#,
            r#"xmlns:tev="http://www.onvif.org/ver10/events/wsdl" xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2">"#,
            r#"<s:Header>{security}<a:Action s:mustUnderstand="1">{action}</a:Action><a:To s:mustUnderstand="1">{to}</a:To></s:Header>"#,
            r#"<s:Body>{body}</s:Body></s:Envelope>"#
        ),
        security = security,
        action = action,
        to = esc(to),
        body = body
    )
}

fn xs_duration(d: Duration) -> String {
    format!("PT{}S", d.num_seconds().max(1))
}

/// `CreatePullPointSubscription` asking for `termination`.
pub fn create_request(to: &str, auth: &Auth<'_>, termination: Duration) -> String {
    let body = format!(
        "<tev:CreatePullPointSubscription><tev:InitialTerminationTime>{}</tev:InitialTerminationTime></tev:CreatePullPointSubscription>",
        xs_duration(termination)
    );
    envelope(action::CREATE, to, auth, &body)
}

/// `PullMessages` waiting up to `timeout` for up to `limit` messages.
pub fn pull_request(to: &str, auth: &Auth<'_>, timeout: Duration, limit: u32) -> String {
    let body = format!(
        "<tev:PullMessages><tev:Timeout>{}</tev:Timeout><tev:MessageLimit>{limit}</tev:MessageLimit></tev:PullMessages>",
        xs_duration(timeout)
    );
    envelope(action::PULL, to, auth, &body)
}

/// `Renew` for `termination` more.
pub fn renew_request(to: &str, auth: &Auth<'_>, termination: Duration) -> String {
    let body = format!(
        "<wsnt:Renew><wsnt:TerminationTime>{}</wsnt:TerminationTime></wsnt:Renew>",
        xs_duration(termination)
    );
    envelope(action::RENEW, to, auth, &body)
}

/// A subscription's address and times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// Where to pull and renew.
    pub address: String,
    /// The camera's time when it answered.
    pub current: Option<Timestamp>,
    /// When the subscription ends, by the camera's clock.
    pub termination: Option<Timestamp>,
}

fn time_of(el: Option<&super::xml::Element>) -> Option<Timestamp> {
    chrono::DateTime::parse_from_rfc3339(el?.text.trim())
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

pub(crate) fn body_or_fault(xml: &str) -> Result<super::xml::Element, NotifyError> {
    let root = parse(xml)?;
    let body = soap_body(&root)?.clone();
    if let Some(fault) = [NS_SOAP12, NS_SOAP11]
        .iter()
        .find_map(|ns| body.child(ns, "Fault"))
    {
        return Err(NotifyError::Shape(format!(
            "SOAP fault: {}",
            fault_text(fault)
        )));
    }
    Ok(body)
}

/// Reads a `CreatePullPointSubscriptionResponse`.
pub fn parse_create_response(xml: &str) -> Result<Subscription, NotifyError> {
    let body = body_or_fault(xml)?;
    let response = body
        .child(NS_TEV, "CreatePullPointSubscriptionResponse")
        .ok_or_else(|| NotifyError::Shape("no CreatePullPointSubscriptionResponse".into()))?;
    let address = response
        .child(NS_TEV, "SubscriptionReference")
        .and_then(|r| r.child(NS_WSA, "Address"))
        .map(|a| a.text.clone())
        .filter(|a| !a.is_empty())
        .ok_or_else(|| {
            NotifyError::Shape("the response has no SubscriptionReference address".into())
        })?;
    Ok(Subscription {
        address,
        current: time_of(response.child(NS_WSNT, "CurrentTime")),
        termination: time_of(response.child(NS_WSNT, "TerminationTime")),
    })
}

/// What a `PullMessagesResponse` holds: the messages, and the camera's
/// current time and the subscription's termination time.
pub type Pulled = (Vec<Notification>, Option<Timestamp>, Option<Timestamp>);

/// Reads a `PullMessagesResponse`.
pub fn parse_pull_response(xml: &str) -> Result<Pulled, NotifyError> {
    let body = body_or_fault(xml)?;
    let response = body
        .child(NS_TEV, "PullMessagesResponse")
        .ok_or_else(|| NotifyError::Shape("no PullMessagesResponse".into()))?;
    let current = time_of(response.child(NS_TEV, "CurrentTime"));
    let termination = time_of(response.child(NS_TEV, "TerminationTime"));
    Ok((parse_notifications(xml)?, current, termination))
}

/// Reads a `RenewResponse`: the new termination time.
pub fn parse_renew_response(xml: &str) -> Result<Option<Timestamp>, NotifyError> {
    let body = body_or_fault(xml)?;
    let response = body
        .child(NS_WSNT, "RenewResponse")
        .ok_or_else(|| NotifyError::Shape("no RenewResponse".into()))?;
    Ok(time_of(response.child(NS_WSNT, "TerminationTime")))
}

/// One camera to pull from.
#[derive(Debug, Clone)]
pub struct PullCamera {
    /// Where it is.
    pub place: CameraPlace,
    /// Its event service URL (`http://host/onvif/event_service`).
    pub url: String,
    /// Its credentials.
    pub credentials: Option<Credentials>,
}

/// How the loop behaves.
#[derive(Debug, Clone, Copy)]
pub struct PullSettings {
    /// Subscription length asked for (and renewed by).
    pub termination: Duration,
    /// How long one pull may wait for messages.
    pub pull_timeout: Duration,
    /// Most messages per pull.
    pub message_limit: u32,
    /// Heartbeat interval, when the camera is supervised.
    pub heartbeat: Option<Duration>,
}

impl Default for PullSettings {
    fn default() -> Self {
        Self {
            termination: Duration::seconds(60),
            pull_timeout: Duration::seconds(5),
            message_limit: 100,
            heartbeat: None,
        }
    }
}

/// Errors of one exchange with a camera.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    /// HTTP trouble.
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    /// The camera answered something unexpected.
    #[error(transparent)]
    Soap(#[from] NotifyError),
    /// The camera answered with an HTTP error status and no fault.
    #[error("the camera answered HTTP {0}")]
    Status(u16),
    /// The store could not make events durable.
    #[error("events could not be stored: {0}")]
    Ingest(String),
}

async fn exchange(
    http: &reqwest::Client,
    url: &str,
    action: &str,
    body: String,
) -> Result<String, PullError> {
    let response = http
        .post(url)
        .header(
            "content-type",
            format!("application/soap+xml; charset=utf-8; action=\"{action}\""),
        )
        .body(body)
        .send()
        .await?;
    let status = response.status();
    let text = response.text().await?;
    if !status.is_success() && !text.contains("Fault") {
        return Err(PullError::Status(status.as_u16()));
    }
    Ok(text)
}

fn auth<'a>(credentials: Option<&'a Credentials>, created: Timestamp) -> Auth<'a> {
    let mut nonce = [0u8; 16];
    rand::rng().fill_bytes(&mut nonce);
    Auth {
        credentials,
        nonce,
        created,
    }
}

/// One subscription's life: create, pull until failure, renewing on the
/// way. Returns the failure (the caller backs off and starts again).
pub async fn subscription_cycle(
    http: &reqwest::Client,
    binding: &SourceBinding,
    camera: &PullCamera,
    pipeline: &Pipeline,
    states: &Arc<Mutex<CameraStates>>,
    supervision: Option<&SupervisionHandle>,
    settings: PullSettings,
) -> PullError {
    let clock: Arc<dyn Clock> = pipeline.clock().clone();
    let creds = camera.credentials.as_ref();
    // The camera's clock may differ from ours; WS-Security times are the
    // camera's, so keep the offset it reports.
    let mut offset = Duration::zero();
    let text = match exchange(
        http,
        &camera.url,
        action::CREATE,
        create_request(&camera.url, &auth(creds, clock.now()), settings.termination),
    )
    .await
    {
        Ok(t) => t,
        Err(e) => return e,
    };
    let sub = match parse_create_response(&text) {
        Ok(s) => s,
        Err(e) => return e.into(),
    };
    if let Some(current) = sub.current {
        offset = current - clock.now();
    }
    let mut termination = sub.termination;
    loop {
        let camera_now = clock.now() + offset;
        if termination.is_none_or(|t| t - camera_now < settings.pull_timeout * 3) {
            let request =
                renew_request(&sub.address, &auth(creds, camera_now), settings.termination);
            match exchange(http, &sub.address, action::RENEW, request)
                .await
                .and_then(|t| Ok(parse_renew_response(&t)?))
            {
                Ok(t) => termination = t.or(Some(camera_now + settings.termination)),
                Err(e) => return e,
            }
        }
        let request = pull_request(
            &sub.address,
            &auth(creds, clock.now() + offset),
            settings.pull_timeout,
            settings.message_limit,
        );
        let (messages, current, term) = match exchange(http, &sub.address, action::PULL, request)
            .await
            .and_then(|t| Ok(parse_pull_response(&t)?))
        {
            Ok(r) => r,
            Err(e) => return e,
        };
        if let Some(c) = current {
            offset = c - clock.now();
        }
        if term.is_some() {
            termination = term;
        }
        let now = clock.now();
        if let (Some(s), Some(interval)) = (supervision, settings.heartbeat) {
            s.heard(Heard {
                binding: binding.clone(),
                device: camera.place.id.clone(),
                device_type: "camera".into(),
                interval,
                at: now,
                armed: None,
            });
        }
        let records = records(states, &camera.place, &messages, now);
        if !records.is_empty()
            && let Err(e) = pipeline.ingest(binding, Payload::Records(records)).await
        {
            return PullError::Ingest(e.to_string());
        }
    }
}

/// Pulls from `camera` for `binding` until dropped, starting a new
/// subscription (after a pause that grows to a minute) whenever one fails.
pub async fn run(
    binding: SourceBinding,
    camera: PullCamera,
    pipeline: Pipeline,
    states: Arc<Mutex<CameraStates>>,
    supervision: Option<SupervisionHandle>,
    settings: PullSettings,
) {
    let timeout =
        settings.pull_timeout.to_std().unwrap_or_default() + std::time::Duration::from_secs(10);
    let http = match reqwest::Client::builder().timeout(timeout).build() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "onvif pull client could not start");
            return;
        }
    };
    let mut pause = std::time::Duration::from_secs(1);
    loop {
        let started = std::time::Instant::now();
        let e = subscription_cycle(
            &http,
            &binding,
            &camera,
            &pipeline,
            &states,
            supervision.as_ref(),
            settings,
        )
        .await;
        tracing::warn!(source = %binding.id, camera = %camera.place.id, error = %e, "onvif pull subscription ended; subscribing again");
        if started.elapsed() > std::time::Duration::from_secs(120) {
            pause = std::time::Duration::from_secs(1);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(std::time::Duration::from_secs(60));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_digest_matches_the_published_example() {
        // The UsernameToken example widely used to check implementations.
        let nonce = B64.decode("LKqI6G/AikKCQrN0zqZFlg==").unwrap();
        assert_eq!(
            password_digest(&nonce, "2010-09-16T07:50:45Z", "userpassword"),
            "tuOSpGlFlIXsozq4HFNeeGeFLEI="
        );
    }

    #[test]
    fn requests_are_well_formed_and_carry_the_token() {
        let creds = Credentials {
            username: "vigil".into(),
            password: "s3cret".into(),
        };
        assert_eq!(
            format!("{creds:?}"),
            "Credentials(vigil, password redacted)"
        );
        let auth = Auth {
            credentials: Some(&creds),
            nonce: [7; 16],
            created: chrono::Utc
                .with_ymd_and_hms(2026, 11, 27, 10, 0, 0)
                .unwrap(),
        };
        let xml = pull_request("http://cam/sub?Idx=1&x=2", &auth, Duration::seconds(5), 100);
        let root = parse(&xml).unwrap();
        let body = soap_body(&root).unwrap();
        let pull = body.child(NS_TEV, "PullMessages").unwrap();
        assert_eq!(pull.child(NS_TEV, "Timeout").unwrap().text, "PT5S");
        assert_eq!(pull.child(NS_TEV, "MessageLimit").unwrap().text, "100");
        let header = root.child(NS_SOAP12, "Header").unwrap();
        assert_eq!(
            header.child(NS_WSA, "To").unwrap().text,
            "http://cam/sub?Idx=1&x=2"
        );
        let token = header
            .find(
                "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
                "UsernameToken",
            )
            .unwrap();
        let password = &token.children[1];
        assert_eq!(
            password.text,
            password_digest(&[7; 16], "2026-11-27T10:00:00Z", "s3cret")
        );
        assert!(!xml.contains("s3cret"), "the password itself never travels");
        assert!(
            create_request("http://cam/ev", &auth, Duration::seconds(60))
                .contains("<tev:InitialTerminationTime>PT60S</tev:InitialTerminationTime>")
        );
        assert!(
            renew_request("http://cam/sub", &auth, Duration::seconds(60))
                .contains("<wsnt:TerminationTime>PT60S</wsnt:TerminationTime>")
        );
    }

    #[test]
    fn responses_are_read() {
        let create = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tev="http://www.onvif.org/ver10/events/wsdl" xmlns:wsa="http://www.w3.org/2005/08/addressing" xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2"><s:Body><tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference><wsa:Address>http://cam/onvif/Subscription?Idx=7</wsa:Address></tev:SubscriptionReference><wsnt:CurrentTime>2026-11-27T10:00:00Z</wsnt:CurrentTime><wsnt:TerminationTime>2026-11-27T10:01:00Z</wsnt:TerminationTime></tev:CreatePullPointSubscriptionResponse></s:Body></s:Envelope>"#;
        let sub = parse_create_response(create).unwrap();
        assert_eq!(sub.address, "http://cam/onvif/Subscription?Idx=7");
        assert_eq!(
            sub.termination.unwrap() - sub.current.unwrap(),
            Duration::seconds(60)
        );
        let fault = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><s:Fault><s:Reason><s:Text>NotAuthorized</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>"#;
        assert!(
            parse_create_response(fault)
                .unwrap_err()
                .to_string()
                .contains("NotAuthorized")
        );
        let renew = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2"><s:Body><wsnt:RenewResponse><wsnt:TerminationTime>2026-11-27T10:02:00Z</wsnt:TerminationTime></wsnt:RenewResponse></s:Body></s:Envelope>"#;
        assert!(parse_renew_response(renew).unwrap().is_some());
    }
}
