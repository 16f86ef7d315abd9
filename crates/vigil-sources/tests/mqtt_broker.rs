//! The MQTT subscriber against a real broker (Mosquitto, named by
//! `VIGIL_TEST_MQTT_URL`): plain JSON readings and Sparkplug B births, data
//! by alias and deaths, published by a real client, become events; a
//! gateway's NDEATH loses its path; messages published while Vigil is away
//! wait in its persistent session and arrive when it is back.

mod common;

use std::collections::BTreeMap;
use std::time::Duration as StdDuration;

use prost::Message;
use rumqttc::{AsyncClient, MqttOptions, QoS};
use vigil_estate::supervision::{SupervisionHandle, Transition};
use vigil_model::SourceKind;
use vigil_sources::mqtt::sensors::ThresholdRule;
use vigil_sources::mqtt::sparkplug::Payload;
use vigil_sources::mqtt::sparkplug::proto::{DataType, Metric, MetricValue};
use vigil_sources::mqtt::{MqttSettings, broker_address};

fn broker() -> Option<String> {
    std::env::var("VIGIL_TEST_MQTT_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

async fn publisher(url: &str, id: &str) -> AsyncClient {
    let (host, port) = broker_address(url).unwrap();
    let (client, mut eventloop) = AsyncClient::new(MqttOptions::new(id, host, port), 64);
    tokio::spawn(async move { while eventloop.poll().await.is_ok() {} });
    client
}

fn metric(name: Option<&str>, alias: u64, value: MetricValue, dt: DataType) -> Metric {
    Metric {
        name: name.map(str::to_owned),
        alias: Some(alias),
        datatype: Some(dt as u32),
        value: Some(value),
        ..Default::default()
    }
}

fn payload(metrics: Vec<Metric>, seq: u64) -> Vec<u8> {
    Payload {
        timestamp: Some(chrono::Utc::now().timestamp_millis() as u64),
        metrics,
        seq: Some(seq),
        ..Default::default()
    }
    .encode_to_vec()
}

async fn wait_for(store: &vigil_store::sqlite::SqliteStore, n: usize) -> Vec<vigil_model::Event> {
    for _ in 0..100 {
        let events = common::events(store).await;
        if events.len() >= n {
            return events;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    common::events(store).await
}

fn field<'a>(e: &'a vigil_model::Event, k: &str) -> Option<&'a str> {
    e.fields.get(k).and_then(|v| v.as_str())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readings_from_a_real_broker_are_stored_and_acknowledged() {
    let url = broker();
    if common::skip_unless(url.is_some(), "an MQTT broker (VIGIL_TEST_MQTT_URL)") {
        return;
    }
    let url = url.unwrap_or_default();
    let run = format!("t{}", std::process::id());
    let (pipeline, store) = common::pipeline().await;
    let binding = common::binding("acme-sensors", SourceKind::Mqtt, "sensors");
    let mut zones = BTreeMap::new();
    zones.insert("hall-1-temp-1".to_string(), "lon1-hall-1".to_string());
    let settings = MqttSettings {
        url: url.clone(),
        topics: vec![format!("vigil-test/{run}/#"), format!("spBv1.0/{run}/#")],
        client_id: Some(format!("vigil-test-{run}")),
        username: None,
        password_env: None,
        thresholds: vec![ThresholdRule {
            metric: "temperature".into(),
            zone: Some("lon1-hall-*".into()),
            high: Some(27.0),
            low: None,
            hysteresis: 0.5,
        }],
        zones,
        gateway_heartbeat_secs: Some(60),
    };
    let supervision = SupervisionHandle::new();
    let subscriber = tokio::spawn(vigil_sources::mqtt::run(
        binding.clone(),
        settings.clone(),
        None,
        pipeline.clone(),
        Some(supervision.clone()),
    ));
    // Let it connect and subscribe before publishing.
    tokio::time::sleep(StdDuration::from_millis(800)).await;
    let client = publisher(&url, &format!("vigil-test-pub-{run}")).await;
    client
        .publish(
            format!("vigil-test/{run}/hall-1-temp-1"),
            QoS::AtLeastOnce,
            false,
            br#"{"metric": "temperature", "value": 28.4, "unit": "C"}"#.to_vec(),
        )
        .await
        .unwrap();
    // Hovering just under the limit stays high (hysteresis); clearly
    // below it is normal again.
    for value in ["26.8", "26.3"] {
        client
            .publish(
                format!("vigil-test/{run}/hall-1-temp-1"),
                QoS::AtLeastOnce,
                false,
                format!(r#"{{"metric": "temperature", "value": {value}, "unit": "C"}}"#)
                    .into_bytes(),
            )
            .await
            .unwrap();
    }
    let group = format!("spBv1.0/{run}");
    client
        .publish(
            format!("{group}/NBIRTH/gw-1"),
            QoS::AtLeastOnce,
            false,
            payload(
                vec![metric(
                    Some("bdSeq"),
                    0,
                    MetricValue::LongValue(1),
                    DataType::Int64,
                )],
                0,
            ),
        )
        .await
        .unwrap();
    client
        .publish(
            format!("{group}/DBIRTH/gw-1/leak-1"),
            QoS::AtLeastOnce,
            false,
            payload(
                vec![metric(
                    Some("Water Leak"),
                    5,
                    MetricValue::BooleanValue(false),
                    DataType::Boolean,
                )],
                1,
            ),
        )
        .await
        .unwrap();
    client
        .publish(
            format!("{group}/DDATA/gw-1/leak-1"),
            QoS::AtLeastOnce,
            false,
            payload(
                vec![metric(
                    None,
                    5,
                    MetricValue::BooleanValue(true),
                    DataType::Boolean,
                )],
                2,
            ),
        )
        .await
        .unwrap();
    client
        .publish(
            format!("{group}/NDATA/gw-1"),
            QoS::AtLeastOnce,
            false,
            payload(
                vec![metric(
                    Some("Mains Voltage"),
                    9,
                    MetricValue::DoubleValue(231.5),
                    DataType::Double,
                )],
                3,
            ),
        )
        .await
        .unwrap();
    client
        .publish(
            format!("{group}/DDEATH/gw-1/leak-1"),
            QoS::AtLeastOnce,
            false,
            payload(Vec::new(), 4),
        )
        .await
        .unwrap();
    client
        .publish(
            format!("{group}/NDEATH/gw-1"),
            QoS::AtLeastOnce,
            false,
            payload(
                vec![metric(
                    Some("bdSeq"),
                    0,
                    MetricValue::LongValue(1),
                    DataType::Int64,
                )],
                3,
            ),
        )
        .await
        .unwrap();
    // Three JSON readings, node birth, device birth + reading, device
    // data, node data, device death, node death.
    let events = wait_for(&store, 10).await;
    assert_eq!(events.len(), 10, "{events:#?}");
    let temperature = |v: f64| {
        events
            .iter()
            .find(|e| e.fields.get("value").and_then(|x| x.as_f64()) == Some(v))
            .unwrap_or_else(|| panic!("the reading {v}: {events:#?}"))
    };
    assert_eq!(
        (
            field(temperature(26.8), "state"),
            field(temperature(26.8), "transition")
        ),
        (Some("high"), None),
        "inside the hysteresis band: still high, no flap"
    );
    assert_eq!(
        (
            field(temperature(26.3), "state"),
            field(temperature(26.3), "transition")
        ),
        (Some("normal"), Some("normal"))
    );
    let node_data = events
        .iter()
        .find(|e| field(e, "metric_name") == Some("Mains Voltage"))
        .expect("the NDATA reading");
    assert_eq!(
        node_data.fields.get("value").and_then(|v| v.as_f64()),
        Some(231.5)
    );
    let device_death = events
        .iter()
        .find(|e| field(e, "action") == Some("device_death"))
        .expect("the DDEATH");
    assert_eq!(
        (field(device_death, "device"), field(device_death, "status")),
        (Some("leak-1"), Some("offline"))
    );
    let temp = events
        .iter()
        .find(|e| field(e, "metric") == Some("temperature"))
        .expect("the JSON reading");
    assert_eq!(
        (
            field(temp, "zone"),
            field(temp, "state"),
            field(temp, "transition")
        ),
        (Some("lon1-hall-1"), Some("high"), Some("high"))
    );
    let leak = events
        .iter()
        .find(|e| field(e, "metric") == Some("water_leak") && e.fields.get("birth").is_none())
        .expect("the DDATA reading, its alias resolved");
    assert_eq!(
        (
            field(leak, "sensor"),
            field(leak, "state"),
            field(leak, "gateway")
        ),
        (Some("leak-1"), Some("alarm"), Some("gw-1"))
    );
    let death = events
        .iter()
        .find(|e| field(e, "action") == Some("node_death"))
        .expect("the NDEATH");
    assert_eq!(field(death, "status"), Some("offline"));
    let transitions = supervision.take_transitions(chrono::Utc::now());
    assert!(
        transitions
            .iter()
            .any(|t| matches!(t, Transition::Lost { device, .. } if device.device == "gw-1")),
        "NDEATH loses the gateway's path: {transitions:?}"
    );

    // Away: what is published meanwhile waits in the persistent session.
    subscriber.abort();
    let _ = subscriber.await;
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    client
        .publish(
            format!("vigil-test/{run}/hall-1-temp-1"),
            QoS::AtLeastOnce,
            false,
            br#"{"metric": "temperature", "value": 26.0}"#.to_vec(),
        )
        .await
        .unwrap();
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    let back = tokio::spawn(vigil_sources::mqtt::run(
        binding, settings, None, pipeline, None,
    ));
    let events = wait_for(&store, 11).await;
    assert_eq!(events.len(), 11, "the message sent while away arrived");
    assert!(
        events
            .iter()
            .any(|e| e.fields.get("value").and_then(|v| v.as_f64()) == Some(26.0))
    );
    back.abort();
}
