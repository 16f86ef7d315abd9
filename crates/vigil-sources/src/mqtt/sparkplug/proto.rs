//! Sparkplug B payload messages, written by hand with `prost` derives from
//! the Eclipse Tahu `sparkplug_b.proto` (`org.eclipse.tahu.protobuf`), so
//! that no protobuf compiler is needed at build time. Field numbers and
//! types follow that file. The `DataSet`, `Template` and extension values
//! (fields 17–19 of `Metric.value`) are not modelled: prost skips unknown
//! fields, so such a metric decodes with no value and is reported as such.

/// `Payload`: the body of every Sparkplug B message.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Payload {
    /// Milliseconds since the Unix epoch when the message was made.
    #[prost(uint64, optional, tag = "1")]
    pub timestamp: Option<u64>,
    /// The metrics.
    #[prost(message, repeated, tag = "2")]
    pub metrics: Vec<Metric>,
    /// Sequence number, 0–255, per edge node.
    #[prost(uint64, optional, tag = "3")]
    pub seq: Option<u64>,
    /// An optional UUID of the payload's format.
    #[prost(string, optional, tag = "4")]
    pub uuid: Option<String>,
    /// An optional opaque body.
    #[prost(bytes = "vec", optional, tag = "5")]
    pub body: Option<Vec<u8>>,
}

/// `Payload.Metric`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Metric {
    /// The metric's name (in BIRTH messages; DATA may use the alias only).
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    /// The alias defined in BIRTH.
    #[prost(uint64, optional, tag = "2")]
    pub alias: Option<u64>,
    /// Milliseconds since the Unix epoch of the value.
    #[prost(uint64, optional, tag = "3")]
    pub timestamp: Option<u64>,
    /// The data type (see [`DataType`]).
    #[prost(uint32, optional, tag = "4")]
    pub datatype: Option<u32>,
    /// A historical value (not the current one).
    #[prost(bool, optional, tag = "5")]
    pub is_historical: Option<bool>,
    /// A transient value (not to be stored).
    #[prost(bool, optional, tag = "6")]
    pub is_transient: Option<bool>,
    /// The value is null.
    #[prost(bool, optional, tag = "7")]
    pub is_null: Option<bool>,
    /// Metadata.
    #[prost(message, optional, tag = "8")]
    pub metadata: Option<MetaData>,
    /// Properties (engineering units, ranges …).
    #[prost(message, optional, tag = "9")]
    pub properties: Option<PropertySet>,
    /// The value.
    #[prost(oneof = "MetricValue", tags = "10, 11, 12, 13, 14, 15, 16")]
    pub value: Option<MetricValue>,
}

/// `Payload.Metric.value`.
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum MetricValue {
    /// Int8/16/32 and UInt8/16/32 (two's complement for the signed ones).
    #[prost(uint32, tag = "10")]
    IntValue(u32),
    /// Int64, UInt64 and DateTime.
    #[prost(uint64, tag = "11")]
    LongValue(u64),
    /// Float.
    #[prost(float, tag = "12")]
    FloatValue(f32),
    /// Double.
    #[prost(double, tag = "13")]
    DoubleValue(f64),
    /// Boolean.
    #[prost(bool, tag = "14")]
    BooleanValue(bool),
    /// String, Text, UUID.
    #[prost(string, tag = "15")]
    StringValue(String),
    /// Bytes, File.
    #[prost(bytes, tag = "16")]
    BytesValue(Vec<u8>),
}

/// `Payload.MetaData`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MetaData {
    /// Part of a multi-part value.
    #[prost(bool, optional, tag = "1")]
    pub is_multi_part: Option<bool>,
    /// Content type.
    #[prost(string, optional, tag = "2")]
    pub content_type: Option<String>,
    /// Size in bytes.
    #[prost(uint64, optional, tag = "3")]
    pub size: Option<u64>,
    /// Part sequence.
    #[prost(uint64, optional, tag = "4")]
    pub seq: Option<u64>,
    /// File name.
    #[prost(string, optional, tag = "5")]
    pub file_name: Option<String>,
    /// File type.
    #[prost(string, optional, tag = "6")]
    pub file_type: Option<String>,
    /// MD5 of the content.
    #[prost(string, optional, tag = "7")]
    pub md5: Option<String>,
    /// Free text.
    #[prost(string, optional, tag = "8")]
    pub description: Option<String>,
}

/// `Payload.PropertySet`: parallel lists of keys and values.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PropertySet {
    /// Keys.
    #[prost(string, repeated, tag = "1")]
    pub keys: Vec<String>,
    /// Values, index for index.
    #[prost(message, repeated, tag = "2")]
    pub values: Vec<PropertyValue>,
}

/// `Payload.PropertyValue` (scalar values; nested property sets and
/// extensions are skipped).
#[derive(Clone, PartialEq, prost::Message)]
pub struct PropertyValue {
    /// The data type.
    #[prost(uint32, optional, tag = "1")]
    pub r#type: Option<u32>,
    /// The value is null.
    #[prost(bool, optional, tag = "2")]
    pub is_null: Option<bool>,
    /// The value.
    #[prost(oneof = "PropertyValueValue", tags = "3, 4, 5, 6, 7, 8")]
    pub value: Option<PropertyValueValue>,
}

/// `Payload.PropertyValue.value`.
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum PropertyValueValue {
    /// 32-bit integers.
    #[prost(uint32, tag = "3")]
    IntValue(u32),
    /// 64-bit integers.
    #[prost(uint64, tag = "4")]
    LongValue(u64),
    /// Float.
    #[prost(float, tag = "5")]
    FloatValue(f32),
    /// Double.
    #[prost(double, tag = "6")]
    DoubleValue(f64),
    /// Boolean.
    #[prost(bool, tag = "7")]
    BooleanValue(bool),
    /// String.
    #[prost(string, tag = "8")]
    StringValue(String),
}

/// Sparkplug B data types (the `DataType` enum of the proto).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum DataType {
    /// Signed 8-bit.
    Int8 = 1,
    /// Signed 16-bit.
    Int16 = 2,
    /// Signed 32-bit.
    Int32 = 3,
    /// Signed 64-bit.
    Int64 = 4,
    /// Unsigned 8-bit.
    UInt8 = 5,
    /// Unsigned 16-bit.
    UInt16 = 6,
    /// Unsigned 32-bit.
    UInt32 = 7,
    /// Unsigned 64-bit.
    UInt64 = 8,
    /// 32-bit float.
    Float = 9,
    /// 64-bit float.
    Double = 10,
    /// Boolean.
    Boolean = 11,
    /// UTF-8 string.
    String = 12,
    /// Milliseconds since the epoch.
    DateTime = 13,
    /// Text.
    Text = 14,
}

impl Metric {
    /// The value as a JSON value, honouring the data type's sign and width.
    pub fn json_value(&self) -> Option<serde_json::Value> {
        use serde_json::Value;
        if self.is_null == Some(true) {
            return Some(Value::Null);
        }
        let dt = self.datatype.unwrap_or(0);
        Some(match self.value.as_ref()? {
            MetricValue::IntValue(v) => match dt {
                1 => Value::from(*v as u8 as i8),
                2 => Value::from(*v as u16 as i16),
                3 => Value::from(*v as i32),
                _ => Value::from(*v),
            },
            MetricValue::LongValue(v) => match dt {
                4 => Value::from(*v as i64),
                _ => Value::from(*v),
            },
            MetricValue::FloatValue(v) => {
                serde_json::Number::from_f64(f64::from(*v)).map_or(Value::Null, Value::Number)
            }
            MetricValue::DoubleValue(v) => {
                serde_json::Number::from_f64(*v).map_or(Value::Null, Value::Number)
            }
            MetricValue::BooleanValue(v) => Value::Bool(*v),
            MetricValue::StringValue(v) => Value::String(v.clone()),
            MetricValue::BytesValue(v) => Value::String(hex::encode(v)),
        })
    }

    /// A string property (`engUnit`, `zone` …), when set.
    pub fn property(&self, key: &str) -> Option<String> {
        let set = self.properties.as_ref()?;
        let i = set.keys.iter().position(|k| k == key)?;
        match set.values.get(i)?.value.as_ref()? {
            PropertyValueValue::StringValue(s) => Some(s.clone()),
            PropertyValueValue::IntValue(v) => Some(v.to_string()),
            PropertyValueValue::LongValue(v) => Some(v.to_string()),
            PropertyValueValue::FloatValue(v) => Some(v.to_string()),
            PropertyValueValue::DoubleValue(v) => Some(v.to_string()),
            PropertyValueValue::BooleanValue(v) => Some(v.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    #[test]
    fn the_wire_format_matches_the_proto_to_the_byte() {
        let p = Payload {
            timestamp: Some(1),
            metrics: vec![Metric {
                name: Some("t".into()),
                alias: Some(2),
                datatype: Some(DataType::Double as u32),
                value: Some(MetricValue::DoubleValue(1.5)),
                ..Default::default()
            }],
            seq: Some(3),
            ..Default::default()
        };
        // Hand-encoded: field 1 varint 1; field 2 (len 16): name "t", alias 2,
        // datatype 10, double_value (field 13, fixed64) 1.5; field 3 varint 3.
        let expected: Vec<u8> = vec![
            0x08, 0x01, 0x12, 0x10, 0x0a, 0x01, b't', 0x10, 0x02, 0x20, 0x0a, 0x69, 0, 0, 0, 0, 0,
            0, 0xf8, 0x3f, 0x18, 0x03,
        ];
        assert_eq!(p.encode_to_vec(), expected);
        assert_eq!(Payload::decode(expected.as_slice()).unwrap(), p);
    }

    #[test]
    fn signed_types_and_nulls_read_right() {
        let m = |dt: DataType, v: MetricValue| Metric {
            datatype: Some(dt as u32),
            value: Some(v),
            ..Default::default()
        };
        assert_eq!(
            m(DataType::Int8, MetricValue::IntValue(0xff)).json_value(),
            Some((-1).into())
        );
        assert_eq!(
            m(DataType::Int32, MetricValue::IntValue(u32::MAX)).json_value(),
            Some((-1).into())
        );
        assert_eq!(
            m(DataType::UInt32, MetricValue::IntValue(u32::MAX)).json_value(),
            Some(u32::MAX.into())
        );
        assert_eq!(
            m(DataType::Int64, MetricValue::LongValue(u64::MAX)).json_value(),
            Some((-1i64).into())
        );
        assert_eq!(
            m(DataType::Boolean, MetricValue::BooleanValue(true)).json_value(),
            Some(true.into())
        );
        let null = Metric {
            is_null: Some(true),
            ..Default::default()
        };
        assert_eq!(null.json_value(), Some(serde_json::Value::Null));
        assert_eq!(Metric::default().json_value(), None);
    }
}
