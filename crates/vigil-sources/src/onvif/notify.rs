//! ONVIF event notifications: the `NotificationMessage`s of a
//! WS-BaseNotification `Notify` (pushed) or a `PullMessagesResponse`
//! (pulled), each with its topic, time, property operation and the
//! `Source`, `Key` and `Data` simple items of its `tt:Message`.

use vigil_model::Timestamp;

use super::xml::{Element, XmlError, parse};

/// SOAP 1.2 envelope.
pub const NS_SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
/// SOAP 1.1 envelope.
pub const NS_SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// WS-BaseNotification.
pub const NS_WSNT: &str = "http://docs.oasis-open.org/wsn/b-2";
/// WS-Addressing.
pub const NS_WSA: &str = "http://www.w3.org/2005/08/addressing";
/// The ONVIF schema (`tt:`).
pub const NS_TT: &str = "http://www.onvif.org/ver10/schema";
/// The ONVIF topic namespace (`tns1:`).
pub const NS_TOPICS: &str = "http://www.onvif.org/ver10/topics";
/// The ONVIF event service (`tev:`).
pub const NS_TEV: &str = "http://www.onvif.org/ver10/events/wsdl";

/// Most notification messages taken from one document.
pub const MAX_MESSAGES: usize = 1024;
/// Most simple items kept per message part.
pub const MAX_ITEMS: usize = 64;

/// How a property changed (`tt:Message/@PropertyOperation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropertyOperation {
    /// The current state, sent when a subscription starts.
    Initialized,
    /// The state changed.
    Changed,
    /// The property went away.
    Deleted,
    /// A plain event (no property).
    None,
}

impl PropertyOperation {
    /// The operation's name as ONVIF writes it (`none` when absent).
    pub fn as_str(self) -> &'static str {
        match self {
            PropertyOperation::Initialized => "Initialized",
            PropertyOperation::Changed => "Changed",
            PropertyOperation::Deleted => "Deleted",
            PropertyOperation::None => "none",
        }
    }
}

/// One notification message.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// The topic, with the ONVIF namespace's prefix removed
    /// (`RuleEngine/CellMotionDetector/Motion`); topics of other namespaces
    /// keep their prefix (`tnsaxis:CameraApplicationPlatform/…`).
    pub topic: String,
    /// The topic as written.
    pub raw_topic: String,
    /// `UtcTime`, when given and valid.
    pub utc_time: Option<Timestamp>,
    /// The property operation.
    pub operation: PropertyOperation,
    /// `Source` simple items (name, value).
    pub source: Vec<(String, String)>,
    /// `Key` simple items.
    pub key: Vec<(String, String)>,
    /// `Data` simple items.
    pub data: Vec<(String, String)>,
    /// The producer's address, when given.
    pub producer: Option<String>,
}

/// What was wrong with a notification document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifyError {
    /// Not well-formed XML.
    #[error(transparent)]
    Xml(#[from] XmlError),
    /// Well-formed, but not what was expected.
    #[error("{0}")]
    Shape(String),
}

/// The SOAP body of an envelope (1.2 or 1.1).
pub fn soap_body(root: &Element) -> Result<&Element, NotifyError> {
    let ns = [NS_SOAP12, NS_SOAP11]
        .into_iter()
        .find(|ns| root.is(ns, "Envelope"))
        .ok_or_else(|| {
            NotifyError::Shape(format!(
                "root element is `{}`, not a SOAP Envelope",
                root.name
            ))
        })?;
    root.child(ns, "Body")
        .ok_or_else(|| NotifyError::Shape("the SOAP envelope has no Body".into()))
}

/// The notification messages of a `Notify` or `PullMessagesResponse`.
pub fn parse_notifications(xml: &str) -> Result<Vec<Notification>, NotifyError> {
    let root = parse(xml)?;
    let body = soap_body(&root)?;
    if let Some(fault) = [NS_SOAP12, NS_SOAP11]
        .iter()
        .find_map(|ns| body.child(ns, "Fault"))
    {
        return Err(NotifyError::Shape(format!(
            "SOAP fault: {}",
            fault_text(fault)
        )));
    }
    let mut messages = Vec::new();
    body.find_all(NS_WSNT, "NotificationMessage", &mut messages);
    if messages.len() > MAX_MESSAGES {
        return Err(NotifyError::Shape(format!(
            "more than {MAX_MESSAGES} notification messages"
        )));
    }
    messages.into_iter().map(notification).collect()
}

/// A fault's reason text, for errors.
pub fn fault_text(fault: &Element) -> String {
    let mut texts = Vec::new();
    collect_text(fault, &mut texts);
    texts.join(" ").chars().take(300).collect()
}

fn collect_text(el: &Element, out: &mut Vec<String>) {
    if !el.text.is_empty() {
        out.push(el.text.clone());
    }
    for c in &el.children {
        collect_text(c, out);
    }
}

fn notification(el: &Element) -> Result<Notification, NotifyError> {
    let topic_el = el
        .child(NS_WSNT, "Topic")
        .ok_or_else(|| NotifyError::Shape("a NotificationMessage has no Topic".into()))?;
    let raw_topic = topic_el.text.clone();
    let topic = match (
        raw_topic.split_once(':'),
        topic_el.text_prefix_ns.as_deref(),
    ) {
        (Some((_, path)), Some(NS_TOPICS)) => path.to_owned(),
        _ => raw_topic.clone(),
    };
    let producer = el
        .child(NS_WSNT, "ProducerReference")
        .and_then(|p| p.child(NS_WSA, "Address"))
        .map(|a| a.text.clone());
    let message = el
        .child(NS_WSNT, "Message")
        .and_then(|m| m.child(NS_TT, "Message"));
    let Some(message) = message else {
        return Ok(Notification {
            topic,
            raw_topic,
            utc_time: None,
            operation: PropertyOperation::None,
            source: Vec::new(),
            key: Vec::new(),
            data: Vec::new(),
            producer,
        });
    };
    let utc_time = message
        .attr("UtcTime")
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t.trim()).ok())
        .map(|t| t.with_timezone(&chrono::Utc));
    let operation = match message.attr("PropertyOperation") {
        Some("Initialized") => PropertyOperation::Initialized,
        Some("Changed") => PropertyOperation::Changed,
        Some("Deleted") => PropertyOperation::Deleted,
        _ => PropertyOperation::None,
    };
    let items = |part: &str| -> Vec<(String, String)> {
        message
            .child(NS_TT, part)
            .map(|p| {
                p.children_named(NS_TT, "SimpleItem")
                    .take(MAX_ITEMS)
                    .filter_map(|i| {
                        Some((
                            i.attr("Name")?.to_owned(),
                            i.attr("Value").unwrap_or_default().to_owned(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(Notification {
        topic,
        raw_topic,
        utc_time,
        operation,
        source: items("Source"),
        key: items("Key"),
        data: items("Data"),
        producer,
    })
}

/// A `Notify` envelope with one message, as a camera pushes it (for the
/// simulator and tests; `topic` without prefix, `operation` as ONVIF writes
/// it, or empty for none).
pub fn build_notify(
    topic: &str,
    operation: &str,
    utc_time: Timestamp,
    source: &[(String, String)],
    data: &[(String, String)],
) -> String {
    let esc = |t: &str| quick_xml::escape::escape(t).into_owned();
    let items = |items: &[(String, String)]| {
        items
            .iter()
            .map(|(k, v)| format!(r#"<tt:SimpleItem Name="{}" Value="{}"/>"#, esc(k), esc(v)))
            .collect::<String>()
    };
    let op = if operation.is_empty() {
        String::new()
    } else {
        format!(r#" PropertyOperation="{}""#, esc(operation))
    };
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            r#"<env:Envelope xmlns:env="{soap}" xmlns:wsnt="{wsnt}" xmlns:wsa="{wsa}" xmlns:tt="{tt}" xmlns:tns1="{topics}">"#,
            r#"<env:Header><wsa:Action>http://docs.oasis-open.org/wsn/bw-2/NotificationConsumer/Notify</wsa:Action></env:Header>"#,
            r#"<env:Body><wsnt:Notify><wsnt:NotificationMessage>"#,
            r#"<wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">tns1:{topic}</wsnt:Topic>"#,
            r#"<wsnt:Message><tt:Message UtcTime="{time}"{op}><tt:Source>{source}</tt:Source><tt:Data>{data}</tt:Data></tt:Message></wsnt:Message>"#,
            r#"</wsnt:NotificationMessage></wsnt:Notify></env:Body></env:Envelope>"#
        ),
        soap = NS_SOAP12,
        wsnt = NS_WSNT,
        wsa = NS_WSA,
        tt = NS_TT,
        topics = NS_TOPICS,
        topic = esc(topic),
        time = utc_time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        op = op,
        source = items(source),
        data = items(data),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A motion event as an ONVIF Profile S camera pushes it.
    pub(crate) const MOTION_NOTIFY: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2"
  xmlns:wsa5="http://www.w3.org/2005/08/addressing" xmlns:tt="http://www.onvif.org/ver10/schema"
  xmlns:tns1="http://www.onvif.org/ver10/topics">
 <env:Header><wsa5:Action>http://docs.oasis-open.org/wsn/bw-2/NotificationConsumer/Notify</wsa5:Action></env:Header>
 <env:Body>
  <wsnt:Notify>
   <wsnt:NotificationMessage>
    <wsnt:SubscriptionReference><wsa5:Address>http://192.0.2.10/onvif/Subscription?Idx=3</wsa5:Address></wsnt:SubscriptionReference>
    <wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">tns1:RuleEngine/CellMotionDetector/Motion</wsnt:Topic>
    <wsnt:ProducerReference><wsa5:Address>http://192.0.2.10/onvif/device_service</wsa5:Address></wsnt:ProducerReference>
    <wsnt:Message>
     <tt:Message UtcTime="2026-11-27T10:00:01Z" PropertyOperation="Changed">
      <tt:Source>
       <tt:SimpleItem Name="VideoSourceConfigurationToken" Value="VideoSourceConfig_0"/>
       <tt:SimpleItem Name="VideoAnalyticsConfigurationToken" Value="VideoAnalyticsConfig_0"/>
       <tt:SimpleItem Name="Rule" Value="MyMotionDetectorRule"/>
      </tt:Source>
      <tt:Data><tt:SimpleItem Name="IsMotion" Value="true"/></tt:Data>
     </tt:Message>
    </wsnt:Message>
   </wsnt:NotificationMessage>
  </wsnt:Notify>
 </env:Body>
</env:Envelope>"#;

    #[test]
    fn a_pushed_motion_notify() {
        let n = parse_notifications(MOTION_NOTIFY).unwrap();
        assert_eq!(n.len(), 1);
        let m = &n[0];
        assert_eq!(m.topic, "RuleEngine/CellMotionDetector/Motion");
        assert_eq!(m.raw_topic, "tns1:RuleEngine/CellMotionDetector/Motion");
        assert_eq!(m.operation, PropertyOperation::Changed);
        assert_eq!(
            m.utc_time.unwrap().to_rfc3339(),
            "2026-11-27T10:00:01+00:00"
        );
        assert_eq!(m.source.len(), 3);
        assert_eq!(m.data, vec![("IsMotion".to_string(), "true".to_string())]);
        assert_eq!(
            m.producer.as_deref(),
            Some("http://192.0.2.10/onvif/device_service")
        );
    }

    #[test]
    fn any_prefix_bound_to_the_onvif_namespace_is_removed_and_others_kept() {
        let doc = MOTION_NOTIFY
            .replace("xmlns:tns1=", "xmlns:ev=")
            .replace("tns1:RuleEngine", "ev:RuleEngine");
        assert_eq!(
            parse_notifications(&doc).unwrap()[0].topic,
            "RuleEngine/CellMotionDetector/Motion"
        );
        let vendor = MOTION_NOTIFY
            .replace(
                "tns1:RuleEngine/CellMotionDetector/Motion",
                "tnsaxis:Storage/Alert",
            )
            .replace(
                "xmlns:tt=",
                "xmlns:tnsaxis=\"http://www.axis.com/2009/event/topics\" xmlns:tt=",
            );
        assert_eq!(
            parse_notifications(&vendor).unwrap()[0].topic,
            "tnsaxis:Storage/Alert"
        );
    }

    #[test]
    fn built_notifications_parse_back() {
        let at = chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap();
        let xml = build_notify(
            "VideoSource/SignalLoss",
            "Initialized",
            at,
            &[("Source".into(), "vs<0>".into())],
            &[("State".into(), "true".into())],
        );
        let n = &parse_notifications(&xml).unwrap()[0];
        assert_eq!(
            (n.topic.as_str(), n.operation),
            ("VideoSource/SignalLoss", PropertyOperation::Initialized)
        );
        assert_eq!(n.source, vec![("Source".to_string(), "vs<0>".to_string())]);
        assert_eq!(n.utc_time, Some(at));
    }

    #[test]
    fn shapes_that_are_not_notifications_say_so() {
        assert!(matches!(
            parse_notifications("<a/>"),
            Err(NotifyError::Shape(_))
        ));
        let fault = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><s:Fault><s:Reason><s:Text>Sender not authorized</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>"#;
        assert!(
            parse_notifications(fault)
                .unwrap_err()
                .to_string()
                .contains("Sender not authorized")
        );
        assert!(matches!(
            parse_notifications("<s:Envelope"),
            Err(NotifyError::Xml(_))
        ));
        let no_topic = MOTION_NOTIFY
            .replace("<wsnt:Topic", "<wsnt:NotTopic")
            .replace("</wsnt:Topic>", "</wsnt:NotTopic>");
        assert!(
            parse_notifications(&no_topic)
                .unwrap_err()
                .to_string()
                .contains("no Topic")
        );
    }

    proptest::proptest! {
        #[test]
        fn the_notify_parser_never_panics_on_mangled_notifications(
            cut in 0usize..2000,
            insert in "[<>/=\"a-zA-Z: ]{0,12}",
        ) {
            // A real notification with text spliced in anywhere: refused or
            // read, never a panic.
            let at = MOTION_NOTIFY
                .char_indices()
                .map(|(i, _)| i)
                .nth(cut % MOTION_NOTIFY.chars().count())
                .unwrap_or(0);
            let mut doc = MOTION_NOTIFY.to_owned();
            doc.insert_str(at, &insert);
            let _ = parse_notifications(&doc);
            let _ = parse_notifications(&MOTION_NOTIFY[..at]);
        }

        #[test]
        fn built_notifications_of_any_topic_and_items_round_trip(
            topic in "[A-Za-z]{1,12}(/[A-Za-z]{1,12}){0,3}",
            items in proptest::collection::vec(("[A-Za-z]{1,10}", "[ -~]{0,16}"), 0..4),
        ) {
            let at = chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap();
            let items: Vec<(String, String)> = items;
            let xml = build_notify(&topic, "Changed", at, &items, &items);
            let parsed = parse_notifications(&xml).unwrap();
            proptest::prop_assert_eq!(parsed.len(), 1);
            proptest::prop_assert_eq!(&parsed[0].topic, &topic);
            proptest::prop_assert_eq!(&parsed[0].data, &items);
        }
    }
}
