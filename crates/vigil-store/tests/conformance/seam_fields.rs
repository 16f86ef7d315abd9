//! Event search by field value: text comparison, nested names, and field
//! names from clients that hold any character at all.

use crate::backend::Backend;
use crate::fixtures::*;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use serde_json::json;
use vigil_model::Event;
use vigil_store::{EventQuery, FieldFilter, NodeStore, TenantScope};

fn query(filters: &[(&str, &str)]) -> EventQuery {
    EventQuery {
        scope: TenantScope::All,
        from: None,
        to: None,
        fields: filters
            .iter()
            .map(|(f, v)| FieldFilter {
                field: (*f).into(),
                value: (*v).into(),
            })
            .collect(),
        cursor: None,
        limit: 100,
    }
}

async fn matching(store: &dyn NodeStore, filters: &[(&str, &str)]) -> Vec<Event> {
    store.events(&query(filters)).await.unwrap().items
}

const INJECTION: &str = "x\"') = 1 OR 1=1; DROP TABLE events; --";

pub async fn fields_compare_as_text(b: &mut Backend) {
    let store = b.store();
    let logon = event(A, 1, logon_fields("bob"));
    let other = event(
        A,
        2,
        json!({
            "EventID": "4625",
            "Ratio": 2.5,
            "Process.Name": "top-level wins",
            "Process": {"Name": "nested loses"},
            "Nothing": null,
            "a\"b": "quote",
            "it's": "apostrophe",
            "back\\slash": "backslash",
            "$": "dollar",
            "[0]": "bracket",
            "ctrl\u{1}": "control",
            INJECTION: "injection",
        }),
    );
    store
        .commit(batch(vec![logon.clone(), other.clone()]))
        .await
        .unwrap();
    let ids = |events: Vec<Event>| events.into_iter().map(|e| e.id).collect::<Vec<_>>();

    // Numbers by their text, strings by their content.
    assert_eq!(
        ids(matching(store, &[("EventID", "4624")]).await),
        [logon.id]
    );
    assert_eq!(
        ids(matching(store, &[("EventID", "4625")]).await),
        [other.id]
    );
    assert!(matching(store, &[("EventID", "4624.0")]).await.is_empty());
    assert_eq!(ids(matching(store, &[("Ratio", "2.5")]).await), [other.id]);
    assert_eq!(
        ids(matching(store, &[("Elevated", "true")]).await),
        [logon.id]
    );
    assert!(matching(store, &[("Elevated", "1")]).await.is_empty());
    assert!(matching(store, &[("Nothing", "null")]).await.is_empty());
    assert!(matching(store, &[("Missing", "")]).await.is_empty());

    // Dotted names reach into objects unless a top-level key has the name.
    assert_eq!(
        ids(matching(store, &[("Process.Name", "lsass.exe")]).await),
        [logon.id]
    );
    assert_eq!(
        ids(matching(store, &[("Process.Name", "top-level wins")]).await),
        [other.id]
    );
    assert!(
        matching(store, &[("Process.Name", "nested loses")])
            .await
            .is_empty()
    );
    assert_eq!(
        ids(matching(store, &[("Process.Id", "612")]).await),
        [logon.id]
    );

    // Every filter must hold.
    assert_eq!(
        ids(matching(store, &[("EventID", "4624"), ("TargetUserName", "bob")]).await),
        [logon.id]
    );
    assert!(
        matching(store, &[("EventID", "4624"), ("TargetUserName", "eve")])
            .await
            .is_empty()
    );

    // Names with quotes, backslashes and path syntax find exactly their key.
    for (name, value) in [
        ("a\"b", "quote"),
        ("it's", "apostrophe"),
        ("back\\slash", "backslash"),
        ("$", "dollar"),
        ("[0]", "bracket"),
        ("ctrl\u{1}", "control"),
        (INJECTION, "injection"),
    ] {
        assert_eq!(
            ids(matching(store, &[(name, value)]).await),
            [other.id],
            "{name:?}"
        );
    }
    // The injection attempt as a value is just a value.
    assert!(matching(store, &[("EventID", INJECTION)]).await.is_empty());
    assert_eq!(matching(store, &[]).await.len(), 2, "the archive is intact");
}

pub async fn many_filters_at_once_still_work(b: &mut Backend) {
    let store = b.store();
    let mut fields = serde_json::Map::new();
    for i in 0..64 {
        fields.insert(format!("f{i}"), json!(i));
    }
    let e = event(A, 1, serde_json::Value::Object(fields));
    store.commit(batch(vec![e.clone()])).await.unwrap();
    let names: Vec<(String, String)> = (0..64).map(|i| (format!("f{i}"), i.to_string())).collect();
    let filters: Vec<(&str, &str)> = names
        .iter()
        .map(|(f, v)| (f.as_str(), v.as_str()))
        .collect();
    assert_eq!(matching(store, &filters).await.len(), 1);
}

/// Names and values mixing every kind of character with the ones that mean
/// something to SQL or to JSON paths.
fn awkward_text() -> impl Strategy<Value = String> {
    let special = prop::sample::select(vec![
        '"', '\'', '\\', '.', '$', '[', ']', '*', '#', ' ', '\0', '\n', '\u{7f}', 'é', '😀', ';',
        '-', '(', ')', '?', ':',
    ]);
    prop::collection::vec(prop_oneof![any::<char>(), special], 0..10)
        .prop_map(|chars| chars.into_iter().collect())
}

/// Any key/value an event carries can be found by an exact filter on it,
/// and no client-chosen name or value makes the query fail. The cases are
/// drawn by proptest's runner in the test's own runtime (one store for all:
/// opening a database per case would dominate the run).
pub async fn any_field_name_or_value_is_searchable(b: &mut Backend) {
    let store = b.store();
    let mut runner = TestRunner::new(Config {
        cases: 128,
        ..Config::default()
    });
    let strategy = (awkward_text(), awkward_text(), awkward_text());
    for _ in 0..128 {
        let (name, value, probe) = strategy.new_tree(&mut runner).expect("a case").current();
        let e = event(A, 1, json!({ name.clone(): value.clone() }));
        store.commit(batch(vec![e.clone()])).await.unwrap();

        let mut q = query(&[(&name, &value)]);
        q.limit = vigil_store::MAX_PAGE_SIZE;
        let found = store
            .events(&q)
            .await
            .unwrap_or_else(|err| panic!("{name:?} = {value:?}: {err}"));
        assert!(
            found.items.iter().any(|f| f.id == e.id),
            "{name:?} = {value:?} not found"
        );
        for (f, v) in [(&probe, &value), (&name, &probe), (&probe, &probe)] {
            let r = store.events(&query(&[(f, v)])).await;
            assert!(r.is_ok(), "{f:?} = {v:?}: {:?}", r.err());
        }
    }
}

/// A `class` filter finds the events whose `class` field names it — the
/// supervision history the service report reads — and no others, whether
/// the backend narrows by the class column first or not.
pub async fn a_class_filter_finds_the_events_of_that_class(b: &mut Backend) {
    let store = b.store();
    let mut lost = event(
        A,
        1,
        json!({"class": "device_status", "action": "transmission_path_lost"}),
    );
    lost.class = vigil_model::EventClass::DeviceStatus;
    let mut restored = event(
        A,
        2,
        json!({"class": "device_status", "action": "transmission_path_restored"}),
    );
    restored.class = vigil_model::EventClass::DeviceStatus;
    let logon = event(A, 3, logon_fields("bob"));
    // A field named like a class on an event of another class is not it.
    let unknown = event(A, 4, json!({"class": "no_such_class"}));
    store
        .commit(batch(vec![
            lost.clone(),
            restored.clone(),
            logon.clone(),
            unknown.clone(),
        ]))
        .await
        .unwrap();
    let found: Vec<_> = matching(store, &[("class", "device_status")])
        .await
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(found, vec![restored.id, lost.id]);
    let found: Vec<_> = matching(store, &[("class", "no_such_class")])
        .await
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(found, vec![unknown.id]);
    assert!(matching(store, &[("class", "visitor")]).await.is_empty());
}
