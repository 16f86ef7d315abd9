use super::proto::{DataType, Metric, MetricValue, PropertySet, PropertyValue, PropertyValueValue};
use super::*;
use chrono::TimeZone;
use proptest::prelude::*;

fn now() -> Timestamp {
    chrono::Utc
        .with_ymd_and_hms(2026, 11, 27, 10, 0, 0)
        .unwrap()
}

fn metric(name: Option<&str>, alias: Option<u64>, value: MetricValue, dt: DataType) -> Metric {
    Metric {
        name: name.map(str::to_owned),
        alias,
        datatype: Some(dt as u32),
        value: Some(value),
        ..Default::default()
    }
}

fn bytes(metrics: Vec<Metric>, seq: u64) -> Vec<u8> {
    Payload {
        timestamp: Some(1_795_000_000_000),
        metrics,
        seq: Some(seq),
        ..Default::default()
    }
    .encode_to_vec()
}

#[test]
fn topics_parse_and_bad_ones_are_named() {
    let t = parse_topic("spBv1.0/lon1/DDATA/gw-1/hall-1-temp-1").unwrap();
    assert_eq!(
        t,
        Topic {
            group: "lon1".into(),
            message_type: MessageType::DData,
            node: "gw-1".into(),
            device: Some("hall-1-temp-1".into())
        }
    );
    assert_eq!(
        parse_topic("spBv1.0/g/NDEATH/n").unwrap().message_type,
        MessageType::NDeath
    );
    for bad in [
        "spAv1.0/g/NDATA/n",
        "spBv1.0/g/NDATA",
        "spBv1.0/g/DDATA/n",
        "spBv1.0/g/NDATA/n/d",
        "spBv1.0/g/XDATA/n",
        "spBv1.0/g/NDATA/n/d/e",
    ] {
        assert!(parse_topic(bad).is_err(), "{bad}");
    }
}

#[test]
fn births_define_aliases_that_data_messages_use() {
    let mut s = SparkplugState::new();
    let mut temp = metric(
        Some("Sensors/Temperature"),
        Some(7),
        MetricValue::DoubleValue(22.5),
        DataType::Double,
    );
    temp.properties = Some(PropertySet {
        keys: vec!["engUnit".into()],
        values: vec![PropertyValue {
            r#type: Some(12),
            is_null: None,
            value: Some(PropertyValueValue::StringValue("C".into())),
        }],
    });
    let nbirth = bytes(
        vec![metric(
            Some("bdSeq"),
            None,
            MetricValue::LongValue(4),
            DataType::Int64,
        )],
        0,
    );
    let out = s
        .handle(
            &parse_topic("spBv1.0/lon1/NBIRTH/gw-1").unwrap(),
            &nbirth,
            now(),
        )
        .unwrap();
    assert!(out.node_online);
    assert!(out.readings.is_empty(), "bdSeq is not a reading");
    let dbirth = bytes(vec![temp], 1);
    let out = s
        .handle(
            &parse_topic("spBv1.0/lon1/DBIRTH/gw-1/t1").unwrap(),
            &dbirth,
            now(),
        )
        .unwrap();
    assert_eq!(out.device_online.as_deref(), Some("t1"));
    assert_eq!(out.readings[0].value, Value::from(22.5));
    assert!(out.readings[0].from_birth);
    let ddata = bytes(
        vec![metric(
            None,
            Some(7),
            MetricValue::DoubleValue(29.0),
            DataType::Double,
        )],
        2,
    );
    let out = s
        .handle(
            &parse_topic("spBv1.0/lon1/DDATA/gw-1/t1").unwrap(),
            &ddata,
            now(),
        )
        .unwrap();
    let r = &out.readings[0];
    assert_eq!(
        (r.source.as_str(), r.name.as_str(), r.unit.as_deref()),
        ("t1", "Sensors/Temperature", Some("C"))
    );
    assert_eq!(r.value, Value::from(29.0));
    assert_eq!(r.at.timestamp_millis(), 1_795_000_000_000);
    assert_eq!(out.seq, Some(2));
    let unknown = bytes(
        vec![metric(
            None,
            Some(99),
            MetricValue::IntValue(1),
            DataType::Int32,
        )],
        3,
    );
    assert_eq!(
        s.handle(
            &parse_topic("spBv1.0/lon1/DDATA/gw-1/t1").unwrap(),
            &unknown,
            now()
        ),
        Err(SparkplugError::UnknownAlias {
            alias: 99,
            node: "gw-1".into()
        })
    );
}

#[test]
fn deaths_mark_offline_but_a_stale_will_is_ignored() {
    let mut s = SparkplugState::new();
    let birth = |bd: u64| {
        bytes(
            vec![metric(
                Some("bdSeq"),
                None,
                MetricValue::LongValue(bd),
                DataType::Int64,
            )],
            0,
        )
    };
    let death = |bd: u64| {
        Payload {
            metrics: vec![metric(
                Some("bdSeq"),
                None,
                MetricValue::LongValue(bd),
                DataType::Int64,
            )],
            ..Default::default()
        }
        .encode_to_vec()
    };
    let nb = parse_topic("spBv1.0/g/NBIRTH/n").unwrap();
    let nd = parse_topic("spBv1.0/g/NDEATH/n").unwrap();
    s.handle(&nb, &birth(5), now()).unwrap();
    let stale = s.handle(&nd, &death(4), now()).unwrap();
    assert!(stale.stale_death && !stale.node_offline);
    let current = s.handle(&nd, &death(5), now()).unwrap();
    assert!(current.node_offline);
    let dd = s
        .handle(
            &parse_topic("spBv1.0/g/DDEATH/n/d1").unwrap(),
            &death(5),
            now(),
        )
        .unwrap();
    assert_eq!(dd.device_offline.as_deref(), Some("d1"));
    assert!(matches!(
        s.handle(&nb, b"\xff\xff\xff", now()),
        Err(SparkplugError::Payload(_))
    ));
}

#[test]
fn metric_names_become_metrics() {
    assert_eq!(metric_of("Sensors/Temperature"), "temperature");
    assert_eq!(metric_of("Water Leak"), "water_leak");
    assert_eq!(metric_of("hall/Relative-Humidity (%)"), "relative_humidity");
}

proptest! {
    #[test]
    fn decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200), kind in 0usize..6) {
        let topics = ["spBv1.0/g/NBIRTH/n", "spBv1.0/g/NDATA/n", "spBv1.0/g/DBIRTH/n/d", "spBv1.0/g/DDATA/n/d", "spBv1.0/g/NDEATH/n", "spBv1.0/g/DDEATH/n/d"];
        let mut s = SparkplugState::new();
        let _ = s.handle(&parse_topic(topics[kind]).unwrap(), &bytes, now());
    }

    #[test]
    fn topic_parsing_never_panics(topic in "\\PC{0,60}") {
        let _ = parse_topic(&topic);
    }
}
