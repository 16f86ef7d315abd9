//! Values as pySigma sees them, written back as rule text, and the
//! Python replacement syntax.

use super::*;

fn item(field: &str, modifiers: &[Modifier], values: &[&str]) -> SearchItem {
    SearchItem {
        field: Some(field.to_owned()),
        modifiers: modifiers.to_vec(),
        values: values
            .iter()
            .map(|v| RawValue::Str((*v).to_owned()))
            .collect(),
        list: values.len() != 1,
    }
}

fn texts(values: &[SigmaValue]) -> Vec<String> {
    values
        .iter()
        .map(|v| match v {
            SigmaValue::Str(s) => plain(s),
            other => format!("{other:?}"),
        })
        .collect()
}

#[test]
fn string_modifiers_become_wildcards_in_the_view() {
    // pySigma: `contains` makes `*value*`, `startswith` `value*`,
    // `endswith` `*value` (sigma/modifiers.py).
    let i = item("Image", &[Modifier::EndsWith], &[r"\cmd.exe"]);
    assert_eq!(texts(&view(&i)), [r"*\cmd.exe"]);
    let i = item("A", &[Modifier::Contains, Modifier::All], &["x", "*y"]);
    assert_eq!(texts(&view(&i)), ["*x*", "*y*"]);
    let i = item("A", &[Modifier::Re], &["a.*"]);
    assert_eq!(view(&i), [SigmaValue::Special]);
    assert_eq!(
        kind(&item("A", &[Modifier::Base64], &["x"])),
        ItemKind::Encoded
    );
}

#[test]
fn unchanged_values_leave_the_item_as_written() {
    let original = item("Image", &[Modifier::EndsWith], &[r"\cmd.exe"]);
    let mut i = original.clone();
    write_back(&mut i, view(&original), false);
    assert_eq!(i, original);
}

#[test]
fn changed_values_are_written_out_with_their_wildcards() {
    let mut i = item(
        "Image",
        &[Modifier::EndsWith, Modifier::Cased],
        &[r"\cmd.exe"],
    );
    let values = vec![SigmaValue::Str(SigmaString::parse(
        r"*\powershell.exe",
        false,
    ))];
    write_back(&mut i, values, false);
    assert_eq!(i.modifiers, [Modifier::Cased]);
    assert_eq!(i.values, [RawValue::Str(r"*\powershell.exe".into())]);
}

#[test]
fn rendering_escapes_only_what_must_be() {
    let s = SigmaString::from_parts([
        Part::Lit(r"C:\dir\".into()),
        Part::AnyRun,
        Part::Lit("a*b?%".into()),
    ]);
    assert_eq!(render(&s, false), r"C:\dir\\*a\*b\?%");
    assert_eq!(render(&s, true), r"C:\dir\\*a\*b\?\%");
    let p = SigmaString::from_parts([Part::Lit("x\\".into()), Part::Placeholder("Admins".into())]);
    assert_eq!(render(&p, true), r"x\\%Admins%");
}

#[test]
fn python_replacements_become_regex_templates() {
    assert_eq!(python_replacement(r"\1-\g<name>").unwrap(), "${1}-${name}");
    assert_eq!(python_replacement(r"$5 \\ \.").unwrap(), r"$$5 \ \.");
    assert_eq!(python_replacement(r"\12x").unwrap(), "${12}x");
    assert!(
        python_replacement(r"\q")
            .unwrap_err()
            .contains("bad escape")
    );
    assert!(python_replacement("x\\").is_err());
    assert!(python_replacement(r"\g<1").is_err());
}

#[test]
fn case_methods_follow_pysigma() {
    // pySigma `SigmaString.snake_case`: `(?<!^)(?=[A-Z])` → `_`, then lower.
    assert_eq!(CaseMethod::Snake.apply("CommandLine"), "command_line");
    assert_eq!(CaseMethod::Snake.apply("ParentImageID"), "parent_image_i_d");
    assert_eq!(CaseMethod::Upper.apply("cmd.exe"), "CMD.EXE");
}

fn raw_text() -> impl proptest::strategy::Strategy<Value = String> {
    "[a-zA-Z0-9 %*?\\\\_-]{0,24}"
}

proptest::proptest! {
    /// Whatever is written back reads as the same string (the rule text
    /// `render` writes is a parser's input: it must never drift).
    #[test]
    fn rendered_strings_read_back_the_same(raw in raw_text(), expand in proptest::bool::ANY) {
        let s = SigmaString::parse(&raw, expand);
        let written = render(&s, expand);
        proptest::prop_assert_eq!(SigmaString::parse(&written, expand), s);
    }

    /// Any replacement text is translated or refused, never a panic, and
    /// text without backslashes or `$` is kept as it is.
    #[test]
    fn replacements_are_translated_or_refused(template in "\\PC{0,40}") {
        let translated = python_replacement(&template);
        if !template.contains(['\\', '$']) {
            proptest::prop_assert_eq!(translated.ok(), Some(template));
        }
    }

    /// pySigma's plain text of a string read back as `replace_string`
    /// reads its result gives the string again (a replacement that matches
    /// nothing changes nothing).
    /// (pySigma's plain text cannot tell a backslash before a wildcard from
    /// an escaped wildcard; those strings are left out here, and a
    /// replacement that matches nothing leaves them alone.)
    #[test]
    fn plain_text_reparses_to_itself(raw in raw_text()) {
        let s = SigmaString::parse(&raw, false);
        let ambiguous = s.parts().windows(2).any(|w| {
            matches!((&w[0], &w[1]), (Part::Lit(l), Part::AnyRun | Part::AnyChar) if l.ends_with('\\'))
        });
        proptest::prop_assume!(!ambiguous);
        proptest::prop_assert_eq!(reparse_replaced(&plain(&s), false), s);
    }
}

#[test]
fn regex_writes_strings_as_pysigma_s_regex_transformation_does() {
    // values.py RegexTransformation: literal text escaped (letters as
    // `[xX]` by default), `*` as `.*`, `?` as `.`; no anchors.
    let s = SigmaString::parse(r"*\cmd.exe?", false);
    assert_eq!(
        RegexMethod::IgnoreCaseBrackets.pattern(&s).unwrap(),
        r".*\\[cC][mM][dD]\.[eE][xX][eE]."
    );
    assert_eq!(RegexMethod::Plain.pattern(&s).unwrap(), r".*\\cmd\.exe.");
    assert_eq!(
        RegexMethod::IgnoreCaseFlag.pattern(&s).unwrap(),
        r".*\\cmd\.exe."
    );
    // Regex syntax in the text is literal; digits are not letters.
    let s = SigmaString::parse("a+b(1)", false);
    assert_eq!(
        RegexMethod::IgnoreCaseBrackets.pattern(&s).unwrap(),
        r"[aA]\+[bB]\(1\)"
    );
    // A placeholder cannot be written as an expression.
    let s = SigmaString::parse("%admins%", true);
    let e = RegexMethod::Plain.pattern(&s).unwrap_err();
    assert!(e.contains("placeholder `%admins%`"), "{e}");
}

#[test]
fn regex_makes_an_re_item_and_leaves_other_kinds_alone() {
    let t = ValueTransformation::Regex(RegexMethod::IgnoreCaseFlag);
    let none = Placeholders::new();
    let mut i = item(
        "Image",
        &[Modifier::EndsWith, Modifier::Cased, Modifier::All],
        &[r"\a.exe", r"\b.exe"],
    );
    let (values, links) = t.apply(&i, &none).unwrap().expect("changed");
    write_back(&mut i, values, links);
    assert_eq!(
        i.modifiers,
        [Modifier::Re, Modifier::ReIgnoreCase, Modifier::All]
    );
    assert_eq!(
        i.values,
        [
            RawValue::Str(r".*\\a\.exe".into()),
            RawValue::Str(r".*\\b\.exe".into())
        ]
    );
    // Already an expression, a network …: not a string to pySigma.
    assert!(
        t.apply(&item("A", &[Modifier::Re], &["a.*"]), &none)
            .unwrap()
            .is_none()
    );
    assert!(
        t.apply(&item("A", &[Modifier::Cidr], &["10.0.0.0/8"]), &none)
            .unwrap()
            .is_none()
    );
    // The empty string stays as it is (pySigma returns it unchanged) …
    assert!(t.apply(&item("A", &[], &[""]), &none).unwrap().is_none());
    // … beside an expression, as an alternative (see transform.rs), which
    // values under `all` or `neq` are not.
    assert!(t.apply(&item("A", &[], &["", "x"]), &none).is_ok());
    for link in [Modifier::All, Modifier::Neq] {
        let e = t.apply(&item("A", &[link], &["", "x"]), &none).unwrap_err();
        assert!(e.contains("split the item"), "{e}");
    }
}
