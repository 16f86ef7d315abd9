//! Canonical JSON: object keys sorted, no whitespace.
//!
//! Written here rather than relying on `serde_json::to_string`, because
//! whether `serde_json::Value` keeps keys sorted depends on a Cargo feature
//! (`preserve_order`) that any other crate in a build can switch on; a
//! digest must not change with the build.

use serde_json::Value;

/// The canonical text of a JSON value.
pub fn canonical_json(value: &Value) -> Result<String, serde_json::Error> {
    let mut out = String::new();
    write(value, &mut out)?;
    Ok(out)
}

fn write(value: &Value, out: &mut String) -> Result<(), serde_json::Error> {
    match value {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(key)?);
                out.push(':');
                if let Some(v) = map.get(key) {
                    write(v, out)?;
                }
            }
            out.push('}');
        }
        // Scalars have one text each in serde_json's writer.
        scalar => out.push_str(&serde_json::to_string(scalar)?),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn keys_are_sorted_at_every_depth_and_nothing_is_spaced() {
        let v = json!({"b": 1, "a": {"z": [true, null, "x"], "y": -2.5}, "c": "é\"\n"});
        assert_eq!(
            canonical_json(&v).expect("encodes"),
            r#"{"a":{"y":-2.5,"z":[true,null,"x"]},"b":1,"c":"é\"\n"}"#
        );
    }

    #[test]
    fn the_same_value_built_in_another_order_has_the_same_text() {
        let mut one = serde_json::Map::new();
        one.insert("x".into(), json!(1));
        one.insert("a".into(), json!(2));
        let mut two = serde_json::Map::new();
        two.insert("a".into(), json!(2));
        two.insert("x".into(), json!(1));
        assert_eq!(
            canonical_json(&Value::Object(one)).expect("one"),
            canonical_json(&Value::Object(two)).expect("two")
        );
    }

    proptest! {
        // The canonical text is JSON that reads back as the same value.
        #[test]
        fn canonical_text_reads_back(
            keys in proptest::collection::vec("\\PC{0,8}", 0..6),
            n in any::<i64>(),
            s in "\\PC{0,20}",
        ) {
            let mut map = serde_json::Map::new();
            for (i, k) in keys.iter().enumerate() {
                map.insert(k.clone(), if i % 2 == 0 { json!(n) } else { json!([s.clone(), {"k": n}]) });
            }
            let v = Value::Object(map);
            let text = canonical_json(&v).expect("encodes");
            let back: Value = serde_json::from_str(&text).expect("valid JSON");
            prop_assert_eq!(back, v);
        }
    }
}
