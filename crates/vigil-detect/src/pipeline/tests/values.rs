//! Each pySigma transformation Vigil performs, on a small rule and events
//! whose match (or not) pySigma's documented behaviour decides. The pySigma
//! source followed is named at each test: `transformations/values.py`,
//! `placeholder.py`, `detection_item.py`, `fields.py`, `failure.py`,
//! `state.py` and `tests/test_processing_transformations.py` (SigmaHQ/pySigma).

use serde_json::json;
use vigil_model::EventClass;

use super::{fields, matches};
use crate::pipeline::Pipeline;
use crate::{LoadOptions, LoadReport, RuleSet};

/// A rule of product `test` with one search `sel` (YAML map text).
fn rule(search: &str) -> String {
    format!(
        "title: r\nid: 00000000-0000-4000-8000-0000000000aa\nfields: [CommandLine, User]\nlogsource: {{product: test}}\ndetection:\n  sel:\n{search}\n  condition: sel\n"
    )
}

fn report(rules: &str, pipeline: &str, options: LoadOptions) -> LoadReport {
    let pipeline = Pipeline::from_yaml(pipeline, "p.yml").unwrap_or_else(|e| panic!("{e}"));
    RuleSet::load_sources(
        [("t.yml".to_owned(), rules.to_owned())],
        &options.with_pipeline(pipeline),
    )
}

/// The rule set, failing on any rejected rule.
fn load(rules: &str, pipeline: &str) -> RuleSet {
    let r = report(rules, pipeline, LoadOptions::default());
    assert!(r.rejected().next().is_none(), "{:?}", r.outcomes);
    r.ruleset
}

/// Why the only rule was rejected.
fn rejection(rules: &str, pipeline: &str) -> String {
    let r = report(rules, pipeline, LoadOptions::default());
    match &r.outcomes[0].result {
        Err(e) => e.to_string(),
        Ok(()) => panic!("the rule loaded"),
    }
}

fn hit(set: &RuleSet, event: serde_json::Value) -> bool {
    !matches(set, &fields(event), "test", EventClass::Other).is_empty()
}

#[test]
fn replace_string_sees_the_wildcards_of_the_string_modifiers() {
    // values.py ReplaceStringTransformation: "the replacement operates on
    // the plain string representation"; test_replace_string_specials:
    // `*\value` with `^.*\\` → `/` is `/value`.
    let set = load(
        &rule("    Image|endswith: '\\cmd.exe'"),
        "name: p\ntransformations:\n  - type: replace_string\n    regex: '^\\*\\\\(.*)$'\n    replacement: 'bin/\\1'\n",
    );
    // `*\cmd.exe` became `bin/cmd.exe`: no wildcard left, so equality.
    assert!(hit(&set, json!({"Image": "bin/cmd.exe"})));
    assert!(
        hit(&set, json!({"Image": "BIN/CMD.EXE"})),
        "still case-insensitive"
    );
    assert!(!hit(&set, json!({"Image": "C:\\x\\cmd.exe"})));
    assert!(!hit(&set, json!({"Image": "x/bin/cmd.exe"})));

    // Backslashes in a path become slashes, the leading wildcard stays.
    let set = load(
        &rule("    Image|endswith: '\\System32\\cmd.exe'"),
        "name: p\ntransformations:\n  - type: replace_string\n    regex: '\\\\'\n    replacement: /\n",
    );
    assert!(hit(&set, json!({"Image": "/usr/System32/cmd.exe"})));
    assert!(!hit(&set, json!({"Image": "C:\\System32\\cmd.exe"})));
}

#[test]
fn replace_string_with_skip_special_leaves_wildcards_alone() {
    // test_replace_string_skip_specials: only the plain parts are
    // replaced, so `*` can never be eaten by the pattern; the `?` the
    // replacement writes is a plain character unless `interpret_special`.
    let text = |interpret: bool| {
        format!(
            "name: p\ntransformations:\n  - type: replace_string\n    regex: '^.*\\\\'\n    replacement: '/?/'\n    skip_special: true\n    interpret_special: {interpret}\n"
        )
    };
    let set = load(&rule("    Path: '*\\value'"), &text(false));
    assert!(hit(&set, json!({"Path": "anything/?/value"})));
    assert!(!hit(&set, json!({"Path": "anything/x/value"})));
    let set = load(&rule("    Path: '*\\value'"), &text(true));
    assert!(hit(&set, json!({"Path": "anything/x/value"})));
}

#[test]
fn replace_string_leaves_regular_expressions_and_numbers_become_text() {
    // values.py: numbers are replaced as strings; a `re` value is not a
    // SigmaString and is left alone.
    let set = load(
        &rule("    A|re: '^1.3$'\n    B: 123"),
        "name: p\ntransformations:\n  - type: replace_string\n    regex: '3'\n    replacement: '4'\n",
    );
    assert!(hit(&set, json!({"A": "123", "B": "124"})));
    assert!(!hit(&set, json!({"A": "124", "B": "124"})));
    assert!(!hit(&set, json!({"A": "123", "B": 123})));
}

#[test]
fn map_string_maps_whole_values_to_one_or_several() {
    // Processing_Pipelines.rst's map_string example; test_map_string_transformation.
    let pipeline = "name: p\ntransformations:\n  - type: map_string\n    mapping:\n      value1: mapped1\n      value2: [mapped2A, mapped2B]\n";
    let set = load(
        &rule("    f1: value1\n    f2: value2\n    f3: value3"),
        pipeline,
    );
    let event = |f1: &str, f2: &str| json!({"f1": f1, "f2": f2, "f3": "value3"});
    assert!(hit(&set, event("mapped1", "mapped2A")));
    assert!(hit(&set, event("mapped1", "mapped2B")));
    assert!(!hit(&set, event("value1", "value2")));
    // Keys are compared with the plain text, wildcards included: an
    // `endswith` value is `*value1`, not `value1`.
    let set = load(&rule("    f1|endswith: value1"), pipeline);
    assert!(hit(&set, json!({"f1": "xvalue1"})));
}

#[test]
fn case_changes_the_plain_parts() {
    // values.py CaseTransformation (lower, upper, snake_case); with
    // `cased` the case decides the match.
    let text =
        |method: &str| format!("name: p\ntransformations:\n  - type: case\n    method: {method}\n");
    let set = load(&rule("    Tag|cased: 'MixedCase*'"), &text("upper"));
    assert!(hit(&set, json!({"Tag": "MIXEDCASEabc"})));
    assert!(!hit(&set, json!({"Tag": "MixedCaseabc"})));
    let set = load(&rule("    Tag|cased: 'MixedCase'"), &text("snake_case"));
    assert!(hit(&set, json!({"Tag": "mixed_case"})));
    let set = load(&rule("    Tag|cased: 'MixedCase'"), &text("lower"));
    assert!(hit(&set, json!({"Tag": "mixedcase"})));
    assert!(!hit(&set, json!({"Tag": "MixedCase"})));
}

#[test]
fn set_value_replaces_every_value_of_the_items_it_touches() {
    // values.py SetValueTransformation; test_set_value_transformation_*.
    let pipeline = "name: p\ntransformations:\n  - type: set_value\n    value: 4688\n    field_name_conditions:\n      - type: include_fields\n        fields: [EventID]\n";
    let set = load(
        &rule("    EventID|contains: [1, 2]\n    User: ann"),
        pipeline,
    );
    assert!(hit(&set, json!({"EventID": 4688, "User": "ann"})));
    assert!(!hit(&set, json!({"EventID": 1, "User": "ann"})));
    // Forced to a string that pySigma reads with its wildcards.
    let pipeline = "name: p\ntransformations:\n  - type: set_value\n    value: 46*\n    force_type: str\n    field_name_conditions:\n      - type: include_fields\n        fields: [EventID]\n";
    let set = load(&rule("    EventID: 1"), pipeline);
    assert!(hit(&set, json!({"EventID": "4624"})));
    let e = Pipeline::from_yaml(
        "name: p\ntransformations:\n  - type: set_value\n    value: test\n    force_type: num\n",
        "p.yml",
    )
    .unwrap_err();
    assert!(e.message.contains("cannot be converted to a number"), "{e}");
}

#[test]
fn convert_type_converts_or_fails_the_rule() {
    // values.py ConvertTypeTransformation; test_convert_type_transformation_*.
    let to = |target: &str| {
        format!(
            "name: p\ntransformations:\n  - type: convert_type\n    target_type: {target}\n    field_name_conditions:\n      - type: include_fields\n        fields: [Port]\n"
        )
    };
    // A string of digits becomes a number; text that is no number fails
    // the rule, saying why.
    let set = load(&rule("    Port: '443'"), &to("num"));
    assert!(hit(&set, json!({"Port": 443})));
    let e = rejection(&rule("    Port: abc"), &to("num"));
    assert!(
        e.contains(
            "pipeline `p`, item `#0`: search `sel`: value `abc` cannot be converted to a number"
        ),
        "{e}"
    );
    // A number becomes its text (under `startswith` it was text already);
    // a regular expression is not a value it converts.
    let set = load(&rule("    Port|startswith: 44"), &to("str"));
    assert!(hit(&set, json!({"Port": "4430"})));
    let e = rejection(&rule("    Port|re: '^4'"), &to("str"));
    assert!(
        e.contains("`convert_type` does not apply to a `re` value"),
        "{e}"
    );
}

const ADMIN_RULE: &str = "    User|expand: '%Admins%'";

#[test]
fn value_placeholders_fill_from_vars_and_the_configuration_wins() {
    // placeholder.py ValueListPlaceholderTransformation: values from the
    // pipeline's `vars`, a list making several values, wildcards read.
    let pipeline = "name: p\nvars:\n  Admins: [admin, 'adm_*']\ntransformations:\n  - type: value_placeholders\n";
    let set = load(&rule(ADMIN_RULE), pipeline);
    assert!(hit(&set, json!({"User": "admin"})));
    assert!(hit(&set, json!({"User": "adm_backup"})));
    assert!(!hit(&set, json!({"User": "bob"})));

    // The configuration's (and `--placeholder`'s) lists are the same
    // concept and win over the pipeline's.
    let r = report(
        &rule(ADMIN_RULE),
        pipeline,
        LoadOptions::default().with_placeholder("Admins", ["bob"]),
    );
    assert!(r.rejected().next().is_none(), "{:?}", r.outcomes);
    assert!(hit(&r.ruleset, json!({"User": "bob"})));
    assert!(!hit(&r.ruleset, json!({"User": "admin"})));

    // No list anywhere: the rule is rejected naming the placeholder
    // (pySigma: "Placeholder replacement variable ... doesn't exists").
    let e = rejection(
        &rule(ADMIN_RULE),
        "name: p\ntransformations:\n  - type: value_placeholders\n",
    );
    assert!(e.contains("placeholder `%Admins%` has no values"), "{e}");
}

#[test]
fn placeholder_include_and_exclude_leave_the_others_for_later() {
    // placeholder.py: "Unhandled placeholders are left as they are and
    // must be handled by later transformations."
    let pipeline = "name: p\nvars:\n  Admins: [admin]\ntransformations:\n  - type: value_placeholders\n    include: [Admins]\n  - type: wildcard_placeholders\n";
    let set = load(
        &rule("    User|expand: '%Admins%'\n    Host|expand: 'srv-%Site%'"),
        pipeline,
    );
    assert!(hit(&set, json!({"User": "admin", "Host": "srv-anything"})));
    assert!(!hit(&set, json!({"User": "admin", "Host": "ws-1"})));
    // Excluded, it is left for the configuration at compile time.
    let pipeline = "name: p\nvars:\n  Admins: [admin]\ntransformations:\n  - type: value_placeholders\n    exclude: [Site]\n";
    let r = report(
        &rule("    User|expand: '%Admins%'\n    Host|expand: 'srv-%Site%'"),
        pipeline,
        LoadOptions::default().with_placeholder("Site", ["1"]),
    );
    assert!(r.rejected().next().is_none(), "{:?}", r.outcomes);
    assert!(hit(&r.ruleset, json!({"User": "admin", "Host": "srv-1"})));
    assert!(!hit(&r.ruleset, json!({"User": "admin", "Host": "srv-2"})));
}

#[test]
fn wildcard_placeholders_match_any_value() {
    // placeholder.py WildcardPlaceholderTransformation.
    let set = load(
        &rule("    User|expand: 'adm_%Role%'"),
        "name: p\ntransformations:\n  - type: wildcard_placeholders\n",
    );
    assert!(hit(&set, json!({"User": "adm_anything"})));
    assert!(!hit(&set, json!({"User": "user_x"})));
}

#[test]
fn drop_detection_item_removes_the_items_its_conditions_name() {
    // detection_item.py: "should only used in combination with a
    // detection item condition".
    let pipeline = "name: p\ntransformations:\n  - type: drop_detection_item\n    field_name_conditions:\n      - type: include_fields\n        fields: [EventID]\n";
    let set = load(
        &rule("    EventID: 1\n    Image|endswith: '\\cmd.exe'"),
        pipeline,
    );
    assert!(hit(&set, json!({"Image": "C:\\cmd.exe"})));
    let e = rejection(&rule("    EventID: 1"), pipeline);
    assert!(e.contains("search `sel` has no detection item left"), "{e}");
}

#[test]
fn detection_item_conditions_choose_the_items() {
    // conditions/values.py MatchStringCondition (`re.match`: anchored at
    // the start), IsNullCondition; conditions/state.py
    // DetectionItemProcessingItemAppliedCondition.
    let pipeline = "name: p\ntransformations:\n  - type: replace_string\n    regex: 'old'\n    replacement: 'new'\n    detection_item_conditions:\n      - type: match_string\n        pattern: 'old'\n        cond: any\n";
    let set = load(&rule("    A: old1\n    B: xold"), pipeline);
    assert!(hit(&set, json!({"A": "new1", "B": "xold"})));
    assert!(!hit(&set, json!({"A": "new1", "B": "xnew"})));

    let pipeline = "name: p\ntransformations:\n  - type: set_value\n    value: present\n    detection_item_conditions:\n      - type: is_null\n        cond: all\n";
    let set = load(&rule("    A: null\n    B: x"), pipeline);
    assert!(hit(&set, json!({"A": "present", "B": "x"})));

    // Only the items the `map` item renamed get the suffix value.
    let pipeline = "name: p\ntransformations:\n  - id: map\n    type: field_name_mapping\n    mapping:\n      User: TargetUserName\n  - type: replace_string\n    regex: '$'\n    replacement: '@corp'\n    detection_item_conditions:\n      - type: processing_item_applied\n        processing_item_id: map\n";
    let set = load(&rule("    User: ann\n    Host: ws1"), pipeline);
    assert!(hit(
        &set,
        json!({"TargetUserName": "ann@corp", "Host": "ws1"})
    ));
    assert!(!hit(
        &set,
        json!({"TargetUserName": "ann@corp", "Host": "ws1@corp"})
    ));
}

#[test]
fn hashes_fields_split_a_hashes_value_by_algorithm() {
    // values.py HashesFieldsDetectionItemTransformation's documented
    // example: `Hashes: [SHA1=…, MD5=…]` → `FileSHA1: …` or `FileMD5: …`.
    let pipeline = "name: p\ntransformations:\n  - type: hashes_fields\n    valid_hash_algos: [MD5, SHA1, SHA256]\n    field_prefix: File\n    field_name_conditions:\n      - type: include_fields\n        fields: [Hashes]\n";
    let set = load(
        &rule(
            "    Hashes:\n      - 'SHA1=5F1CBC3D99558307BC1250D084FA968521482025'\n      - 'MD5=987B65CD9B9F4E9A1AFD8F8B48CF64A7'\n      - 'IMPHASH=0000'",
        ),
        pipeline,
    );
    assert!(hit(
        &set,
        json!({"FileSHA1": "5F1CBC3D99558307BC1250D084FA968521482025"})
    ));
    assert!(hit(
        &set,
        json!({"FileMD5": "987b65cd9b9f4e9a1afd8f8b48cf64a7"})
    ));
    assert!(!hit(
        &set,
        json!({"Hashes": "MD5=987B65CD9B9F4E9A1AFD8F8B48CF64A7"})
    ));
    assert!(!hit(&set, json!({"FileIMPHASH": "0000"})));
    // A bare digest is recognised by its length.
    let set = load(
        &rule("    Hashes: '987B65CD9B9F4E9A1AFD8F8B48CF64A7'"),
        pipeline,
    );
    assert!(hit(
        &set,
        json!({"FileMD5": "987B65CD9B9F4E9A1AFD8F8B48CF64A7"})
    ));
    let e = rejection(&rule("    Hashes: 'IMPHASH=1'"), pipeline);
    assert!(e.contains("no valid hash algorithm found"), "{e}");
}

#[test]
fn field_name_transform_and_prefix_mapping() {
    // fields.py FieldFunctionTransformation (an explicit mapping wins over
    // the function) and FieldPrefixMappingTransformation.
    let pipeline = "name: p\ntransformations:\n  - type: field_name_transform\n    transform_func: snake_case\n    mapping:\n      User: user.name\n";
    let set = load(
        &rule("    CommandLine|contains: whoami\n    User: ann"),
        pipeline,
    );
    assert!(hit(
        &set,
        json!({"command_line": "x whoami", "user": {"name": "ann"}})
    ));
    assert!(!hit(
        &set,
        json!({"CommandLine": "x whoami", "User": "ann"})
    ));
    let rule_fields = &set.rules().next().unwrap().fields;
    assert_eq!(
        rule_fields,
        &["command_line", "user.name"],
        "the rule's `fields` too"
    );

    let pipeline = "name: p\ntransformations:\n  - type: field_name_prefix_mapping\n    mapping:\n      Parent: [process.parent., parent_]\n";
    let set = load(&rule("    ParentImage: x.exe"), pipeline);
    assert!(hit(
        &set,
        json!({"process": {"parent": {"Image": "x.exe"}}})
    ));
    assert!(hit(&set, json!({"parent_Image": "x.exe"})));
    assert!(!hit(&set, json!({"ParentImage": "x.exe"})));
}

#[test]
fn add_remove_and_set_field_change_the_rules_fields() {
    // fields.py AddFieldTransformation, RemoveFieldTransformation,
    // SetFieldTransformation.
    let fields_after = |items: &str| {
        let set = load(
            &rule("    A: 1"),
            &format!("name: p\ntransformations:\n{items}"),
        );
        set.rules().next().unwrap().fields.clone()
    };
    assert_eq!(
        fields_after("  - type: add_field\n    field: Host\n"),
        ["CommandLine", "User", "Host"]
    );
    assert_eq!(
        fields_after("  - type: remove_field\n    field: [User, Nope]\n"),
        ["CommandLine"]
    );
    assert_eq!(
        fields_after("  - type: set_field\n    fields: [A, B]\n"),
        ["A", "B"]
    );
}

#[test]
fn failures_reject_the_rule_with_their_message() {
    // failure.py RuleFailureTransformation, DetectionItemFailureTransformation.
    let e = rejection(
        &rule("    A: 1"),
        "name: p\ntransformations:\n  - id: no_test\n    type: rule_failure\n    message: test rules are not for this client\n    rule_conditions:\n      - type: logsource\n        product: test\n",
    );
    assert_eq!(
        e,
        "pipeline `p`, item `no_test`: test rules are not for this client"
    );
    let pipeline = "name: p\ntransformations:\n  - type: detection_item_failure\n    message: no regular expressions here\n    detection_item_conditions:\n      - type: match_string\n        pattern: '\\^'\n";
    let e = rejection(&rule("    A: '^x'"), pipeline);
    assert!(
        e.contains("search `sel`: no regular expressions here"),
        "{e}"
    );
    load(&rule("    A: 'x'"), pipeline);
}

#[test]
fn set_state_is_read_by_processing_state_conditions() {
    // state.py SetStateTransformation; conditions/state.py
    // RuleProcessingStateCondition (the state lives while one rule runs
    // through the pipelines).
    let pipeline = "name: p\ntransformations:\n  - type: set_state\n    key: index\n    val: edr\n    rule_conditions:\n      - type: tag\n        tag: edr\n  - type: field_name_prefix\n    prefix: 'edr.'\n    rule_conditions:\n      - type: processing_state\n        key: index\n        val: edr\n";
    let tagged = rule("    A: 1").replace("fields:", "tags: [edr]\nfields:");
    let set = load(&tagged, pipeline);
    assert!(hit(&set, json!({"edr": {"A": 1}})));
    let set = load(&rule("    A: 1"), pipeline);
    assert!(hit(&set, json!({"A": 1})));
}

#[test]
fn rules_chosen_by_the_fields_and_items_they_contain() {
    // conditions/rule.py RuleContainsFieldCondition and
    // RuleContainsDetectionItemCondition.
    let pipeline = "name: p\ntransformations:\n  - type: field_name_prefix\n    prefix: 'sysmon.'\n    rule_conditions:\n      - type: contains_detection_item\n        field: EventID\n        value: 1\n  - type: add_condition\n    conditions:\n      Channel: Security\n    rule_conditions:\n      - type: contains_field\n        field: SubjectUserName\n";
    let set = load(&rule("    EventID: 1\n    Image: x.exe"), pipeline);
    assert!(hit(
        &set,
        json!({"sysmon": {"EventID": 1, "Image": "x.exe"}})
    ));
    let set = load(&rule("    EventID: 2\n    Image: x.exe"), pipeline);
    assert!(hit(&set, json!({"EventID": 2, "Image": "x.exe"})));
    let set = load(&rule("    SubjectUserName: ann"), pipeline);
    assert!(hit(
        &set,
        json!({"SubjectUserName": "ann", "Channel": "Security"})
    ));
    assert!(!hit(
        &set,
        json!({"SubjectUserName": "ann", "Channel": "System"})
    ));
}

#[test]
fn rules_chosen_by_their_attributes() {
    // conditions/rule.py RuleAttributeCondition: levels ordered, lists by
    // membership, strings by equality.
    let pipeline = "name: p\ntransformations:\n  - type: add_condition\n    conditions:\n      Important: true\n    rule_conditions:\n      - type: rule_attribute\n        attribute: level\n        value: high\n        op: gte\n      - type: rule_attribute\n        attribute: fields\n        value: User\n        op: in\n";
    let with_level =
        |level: &str| rule("    A: 1").replace("fields:", &format!("level: {level}\nfields:"));
    let set = load(&with_level("critical"), pipeline);
    assert!(!hit(&set, json!({"A": 1})));
    assert!(hit(&set, json!({"A": 1, "Important": true})));
    let set = load(&with_level("medium"), pipeline);
    assert!(hit(&set, json!({"A": 1})));
    // Any other name is a custom attribute (`rule.custom_attributes`), as
    // `set_custom_attribute` sets it: absent, the condition does not hold.
    let pipeline = "name: p\ntransformations:\n  - type: set_custom_attribute\n    attribute: owner\n    value: soc\n    rule_conditions:\n      - type: tag\n        tag: edr\n  - type: add_condition\n    conditions:\n      Owned: true\n    rule_conditions:\n      - type: rule_attribute\n        attribute: owner\n        value: soc\n";
    let tagged = rule("    A: 1").replace("fields:", "tags: [edr]\nfields:");
    assert!(!hit(&load(&tagged, pipeline), json!({"A": 1})));
    assert!(hit(
        &load(&tagged, pipeline),
        json!({"A": 1, "Owned": true})
    ));
    assert!(hit(&load(&rule("    A: 1"), pipeline), json!({"A": 1})));
}

#[test]
fn nest_runs_its_items_when_the_enclosing_conditions_hold() {
    // meta.py NestedProcessingTransformation and the docs' `nest` example:
    // the items run as a pipeline of their own; its state joins the
    // enclosing one's.
    let pipeline = "name: p\ntransformations:\n  - type: nest\n    rule_conditions:\n      - type: tag\n        tag: edr\n    items:\n      - type: field_name_mapping\n        mapping:\n          CommandLine: cmd\n      - type: set_state\n        key: done\n        val: true\n  - type: add_condition\n    conditions:\n      Nested: yes\n    rule_conditions:\n      - type: processing_state\n        key: done\n        val: true\n";
    let tagged = rule("    CommandLine: x").replace("fields:", "tags: [edr]\nfields:");
    let set = load(&tagged, pipeline);
    assert!(hit(&set, json!({"cmd": "x", "Nested": "yes"})));
    assert!(!hit(&set, json!({"cmd": "x"})));
    let set = load(&rule("    CommandLine: x"), pipeline);
    assert!(hit(&set, json!({"CommandLine": "x"})));
}

#[test]
fn an_unsupported_transformation_rejects_the_rules_it_applies_to() {
    let pipeline = "name: p\ntransformations:\n  - id: q\n    type: query_expression_placeholders\n    expression: '{field} in list'\n    rule_conditions:\n      - type: tag\n        tag: lookup\n";
    let parsed = Pipeline::from_yaml(pipeline, "p.yml").unwrap();
    let unsupported = parsed.unsupported();
    assert_eq!(unsupported.len(), 1);
    assert!(
        unsupported[0]
            .to_string()
            .starts_with("p.yml, line 3: pipeline `p`, item `q`: transformation `query_expression_placeholders` is not supported"),
        "{}",
        unsupported[0]
    );
    // Not applying to the rule, it changes nothing …
    load(&rule("    A: 1"), pipeline);
    // … and applying, it rejects it by name.
    let tagged = rule("    A: 1").replace("fields:", "tags: [lookup]\nfields:");
    let e = rejection(&tagged, pipeline);
    assert!(
        e.starts_with("pipeline `p`, item `q`: transformation `query_expression_placeholders` is not supported"),
        "{e}"
    );
}

#[test]
fn regex_turns_strings_into_expressions_by_each_method() {
    // values.py RegexTransformation. By default each letter becomes a
    // class of its two cases, so the match stays case-insensitive; the
    // expression is not anchored, so `endswith` becomes a search for the
    // text anywhere (as a query backend's regex search would be).
    let set = load(
        &rule("    Image|endswith: '\\cmd.exe'\n    EventID: 4688"),
        "name: p\ntransformations:\n  - type: regex\n",
    );
    assert!(hit(
        &set,
        json!({"Image": "C:\\Windows\\CMD.EXE", "EventID": 4688})
    ));
    assert!(hit(
        &set,
        json!({"Image": "C:\\x\\cmd.exe.bak", "EventID": 4688})
    ));
    assert!(
        !hit(&set, json!({"Image": "C:\\x\\cmdXexe", "EventID": 4688})),
        "the dot is escaped"
    );
    assert!(
        !hit(&set, json!({"Image": "C:\\x\\cmd.exe", "EventID": 4689})),
        "the number is left as it was"
    );

    // `plain`: the text as written, so the expression is case-sensitive.
    let set = load(
        &rule("    CommandLine|contains: 'whoami /all'"),
        "name: p\ntransformations:\n  - type: regex\n    method: plain\n",
    );
    assert!(hit(&set, json!({"CommandLine": "cmd /c whoami /all"})));
    assert!(!hit(&set, json!({"CommandLine": "cmd /c WHOAMI /ALL"})));

    // `ignore_case_flag`: the case-insensitive flag; `?` is one character.
    let set = load(
        &rule("    CommandLine: 'who?mi'"),
        "name: p\ntransformations:\n  - type: regex\n    method: ignore_case_flag\n",
    );
    assert!(hit(&set, json!({"CommandLine": "WHOAMI"})));
    assert!(hit(&set, json!({"CommandLine": "x whoXmi y"})));
    assert!(!hit(&set, json!({"CommandLine": "whomi"})));

    // A number beside strings stays a number: the item becomes two
    // alternatives, the expressions and the rest.
    let set = load(
        &rule("    Port:\n      - 22\n      - 'ssh*'"),
        "name: p\ntransformations:\n  - type: regex\n",
    );
    assert!(hit(&set, json!({"Port": 22})));
    assert!(hit(&set, json!({"Port": "SSH-2.0"})));
    assert!(!hit(&set, json!({"Port": 23})));

    // A placeholder cannot become an expression: the rule fails, saying so.
    let e = rejection(
        &rule("    User|expand: '%admins%'"),
        "name: p\ntransformations:\n  - type: regex\n",
    );
    assert!(
        e.contains("placeholder `%admins%` cannot be turned into a regular expression"),
        "{e}"
    );
    // An unknown method is a pipeline error.
    let e = Pipeline::from_yaml(
        "name: p\ntransformations:\n  - type: regex\n    method: fuzzy\n",
        "p.yml",
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("`method` must be plain, ignore_case_flag or ignore_case_brackets"),
        "{e}"
    );
}

#[test]
fn set_custom_attribute_is_in_the_rule_s_metadata() {
    // transformations/rule.py SetCustomAttributeTransformation:
    // `rule.custom_attributes[attribute] = value`, for the rules the item's
    // conditions select.
    let pipeline = "name: p\ntransformations:\n  - type: set_custom_attribute\n    attribute: loki_parser\n    value: json\n  - type: set_custom_attribute\n    attribute: owner\n    value:\n      team: soc\n      shifts: [1, 2]\n    rule_conditions:\n      - type: tag\n        tag: edr\n";
    let tagged = rule("    A: 1").replace("fields:", "tags: [edr]\nfields:");
    let set = load(&tagged, pipeline);
    let meta = set.rules().next().expect("a rule");
    assert_eq!(
        meta.custom_attributes.get("loki_parser"),
        Some(&json!("json"))
    );
    assert_eq!(
        meta.custom_attributes.get("owner"),
        Some(&json!({"team": "soc", "shifts": [1, 2]}))
    );
    let set = load(&rule("    A: 1"), pipeline);
    let meta = set.rules().next().expect("a rule");
    assert_eq!(
        meta.custom_attributes.len(),
        1,
        "{:?}",
        meta.custom_attributes
    );
    assert!(hit(&set, json!({"A": 1})), "matching does not read them");
}

#[test]
fn strict_field_mapping_failure_fails_a_rule_with_an_unmapped_field() {
    // failure.py StrictFieldMappingFailure: every field of the rule's
    // detection items must have been mapped, from or to, by the field
    // transformations before it (pipeline.field_mappings, per rule); the
    // error names the fields that were not.
    let pipeline = "name: p\ntransformations:\n  - type: field_name_mapping\n    mapping:\n      CommandLine: cmd\n      Image: [exe, image_path]\n  - type: strict_field_mapping_failure\n";
    let set = load(
        &rule("    CommandLine|contains: whoami\n    Image|endswith: '\\cmd.exe'"),
        pipeline,
    );
    assert!(hit(
        &set,
        json!({"cmd": "whoami /all", "image_path": "C:\\cmd.exe"})
    ));
    let e = rejection(
        &rule("    CommandLine|contains: whoami\n    User: ann\n    ParentImage: x"),
        pipeline,
    );
    assert!(
        e.ends_with("the following fields are not mapped: User, ParentImage"),
        "{e}"
    );
    // A field already named as a mapping's target counts as mapped only if
    // the mapping applied to this rule (the tracking is per rule).
    let e = rejection(&rule("    cmd: whoami"), pipeline);
    assert!(
        e.ends_with("the following fields are not mapped: cmd"),
        "{e}"
    );
    // Keywords have no field; a prefix mapping maps too.
    let pipeline = "name: p\ntransformations:\n  - type: field_name_prefix\n    prefix: 'event.'\n  - type: strict_field_mapping_failure\n";
    let set = load(
        "title: k\nlogsource: {product: test}\ndetection:\n  sel:\n    A: 1\n  words:\n    - evil\n  condition: sel and words\n",
        pipeline,
    );
    assert_eq!(set.rules().count(), 1);
}

#[test]
fn regex_applies_to_keywords_too() {
    // pySigma's value transformations see keyword items as values without
    // a field; the keyword becomes an expression searched in the event.
    let set = load(
        "title: k\nlogsource: {product: test}\ndetection:\n  words:\n    - 'mimi?atz'\n  condition: words\n",
        "name: p\ntransformations:\n  - type: regex\n",
    );
    assert!(hit(&set, json!({"CommandLine": "run MIMIKATZ now"})));
    assert!(!hit(&set, json!({"CommandLine": "run mimiatz now"})));
}
