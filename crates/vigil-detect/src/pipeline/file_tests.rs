//! Reading pipeline files: every item kind, and errors that say where.

use super::*;

fn error(text: &str) -> PipelineError {
    match parse(text, "p.yml") {
        Ok(p) => panic!("expected an error, got {} items", p.items.len()),
        Err(e) => e,
    }
}

#[test]
fn a_pipeline_with_every_transformation_reads() {
    let text = "name: all\npriority: 30\ntransformations:\n  - id: map\n    type: field_name_mapping\n    mapping:\n      Image: [Image, NewProcessName]\n      User: SubjectUserName\n    rule_conditions:\n      - type: logsource\n        product: Windows\n  - type: field_name_prefix\n    prefix: 'Event.EventData.'\n    field_name_conditions:\n      - type: exclude_fields\n        fields: ['Event\\..*']\n        match_type: regex\n  - type: field_name_suffix\n    suffix: .keyword\n    rule_cond_not: true\n    rule_conditions:\n      - type: tag\n        tag: attack.t1059\n  - type: add_condition\n    conditions:\n      EventID: 4688\n    negated: false\n  - type: change_logsource\n    product: windows\n    service: security\nfinalizers:\n  - type: concat\n";
    let p = parse(text, "p.yml").unwrap();
    assert_eq!((p.name.as_str(), p.priority, p.items.len()), ("all", 30, 5));
    assert_eq!(p.items[0].id, "map");
    assert_eq!(p.items[1].id, "#1");
}

#[test]
fn errors_name_the_file_line_and_what() {
    let e =
        error("name: x\ntransformations:\n  - id: a\n    type: field_name_prefix\n    prefx: p\n");
    assert_eq!((e.origin.as_str(), e.line), ("p.yml", Some(5)));
    assert!(e.message.contains("unknown field `prefx`"), "{e}");
    assert!(e.to_string().starts_with("p.yml, line 5"), "{e}");

    let e = error(
        "name: x\ntransformations:\n  - id: a\n    type: field_name_prefix\n    prefix: p\n\n  - id: b\n    type: field_name_mapping\n",
    );
    assert_eq!(e.line, Some(7));
    assert!(
        e.message
            .contains("transformations[1] (`b`): a field_name_mapping needs `mapping`"),
        "{e}"
    );

    let e = error("name: x\ntransformations:\n  - type: value_placeholder\n");
    assert_eq!(e.line, Some(3));
    assert!(
        e.message
            .contains("transformation type `value_placeholder` is not supported"),
        "{e}"
    );

    let e = error(
        "name: x\ntransformations:\n  - type: add_condition\n    conditions:\n      EventID|bogus: 1\n",
    );
    assert!(e.message.contains("unknown modifier `bogus`"), "{e}");

    let e = error(
        "name: x\ntransformations:\n  - type: field_name_prefix\n    prefix: p\n    rule_conditions:\n      - type: logsource\n",
    );
    assert!(
        e.message
            .contains("needs `product`, `category` or `service`"),
        "{e}"
    );

    let e = error(
        "name: x\ntransformations:\n  - type: field_name_prefix\n    prefix: p\n    field_name_conditions:\n      - type: include_fields\n        fields: ['(']\n        match_type: regex\n",
    );
    assert!(e.message.contains("not a valid regular expression"), "{e}");

    let e = error("transformations: []\n");
    assert!(e.message.contains("missing field `name`"), "{e}");

    let e = error("name: x\nvars:\n  a: [{b: 1}]\n");
    assert_eq!(e.line, Some(2));
    assert!(e.message.contains("`vars.a` holds a value"), "{e}");

    let e = error(
        "name: x\ntransformations:\n  - type: field_name_mapping\n    mapping: {A: B}\n    prefix: p\n",
    );
    assert_eq!(e.line, Some(5), "the line naming the stray parameter");
    assert!(
        e.message
            .contains("unknown field `prefix` in a field_name_mapping item, expected `mapping`"),
        "{e}"
    );

    let e = error("name: x\n  bad: indentation\n");
    assert!(e.line.is_some(), "{e}");
}

const VALID: &str = "name: p\npriority: 5\ntransformations:\n  - id: m\n    type: field_name_mapping\n    mapping:\n      A: [B, C]\n    rule_conditions:\n      - type: logsource\n        product: windows\n  - type: add_condition\n    conditions:\n      X|startswith: y\n";

proptest::proptest! {
    #[test]
    fn any_text_is_read_or_refused_with_a_location_inside_it(text in "\\PC{0,200}") {
        if let Err(e) = parse(&text, "f.yml") {
            proptest::prop_assert!(e.line.is_none_or(|l| l <= text.lines().count() + 1), "{e}");
        }
    }

    #[test]
    fn damaged_pipelines_never_panic(cut in 0usize..200, insert in "[ :\\-\\[\\]{}a-z|\n]{0,12}") {
        let cut = cut.min(VALID.len());
        let text = format!("{}{insert}{}", &VALID[..cut], &VALID[cut..]);
        let _ = parse(&text, "f.yml");
    }
}

#[test]
fn item_lines_follow_block_lists() {
    let text = "name: x\ntransformations:\n- type: a\n  x: 1\n# note\n- type: b\npriority: 3\n";
    assert_eq!(item_lines(text), vec![3, 6]);
    assert!(item_lines("name: x\ntransformations: []\n").is_empty());
}
