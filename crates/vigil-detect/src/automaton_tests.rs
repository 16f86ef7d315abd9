//! One scan of one field sets every atom that holds.

use super::*;

fn def(slot: usize, shape: Shape) -> AtomDef {
    AtomDef {
        target: Target::Field(slot),
        cased: false,
        shape,
    }
}

#[test]
fn one_scan_sets_every_shape_that_holds() {
    let mut vocab = FieldSlots::default();
    let slot = vocab.slot("CommandLine");
    let s = |t: &str| -> Box<str> { t.into() };
    let exact = vocab.atom(def(slot, Shape::Exact(s("cmd.exe /c whoami"))));
    let prefix = vocab.atom(def(slot, Shape::Prefix(s("cmd.exe"))));
    let not_prefix = vocab.atom(def(slot, Shape::Prefix(s("whoami"))));
    let suffix = vocab.atom(def(slot, Shape::Suffix(s("whoami"))));
    let not_suffix = vocab.atom(def(slot, Shape::Suffix(s("cmd.exe"))));
    let contains = vocab.atom(def(slot, Shape::Contains(s(" /c "))));
    let overlapping = vocab.atom(def(slot, Shape::Contains(s("c w"))));
    let glob = vocab.atom(def(
        slot,
        Shape::Glob(Glob {
            tokens: vec![
                GlobToken::Lit(s("cmd")),
                GlobToken::One,
                GlobToken::Run,
                GlobToken::Lit(s("ami")),
            ]
            .into(),
        }),
    ));
    let any = vocab.atom(def(slot, Shape::Any));
    let other_field = vocab.atom(def(vocab_slot_other(), Shape::Any));
    assert_eq!(
        vocab.atom(def(slot, Shape::Any)),
        any,
        "equal atoms are shared"
    );
    let index = vocab.build();
    let all: Vec<u32> = (0..index.atom_count() as u32).collect();
    let automata = index.automata(&all);
    assert_eq!(
        automata.len(),
        1,
        "the atom on an unknown slot has no automaton"
    );
    let mut bits = AtomBits::default();
    bits.reset(index.atom_count());
    let text = "cmd.exe /c whoami";
    automata.field(slot).unwrap().scan(text, text, &mut bits);
    for atom in [exact, prefix, suffix, contains, overlapping, glob, any] {
        assert!(bits.get(atom), "atom {atom} holds");
    }
    for atom in [not_prefix, not_suffix, other_field] {
        assert!(!bits.get(atom), "atom {atom} does not hold");
    }
    bits.reset(index.atom_count());
    assert!(bits.found().is_empty());
    assert!(!bits.get(exact));
}

fn vocab_slot_other() -> usize {
    7
}

/// Literals that start at the same position (one a prefix of another),
/// overlap, or repeat are all found, whether the field's literals are few
/// (searched from the vectorised finder's hits) or too many for it
/// (searched with the automaton alone).
#[test]
fn nested_and_repeated_literals_are_all_found() {
    for filler in [0usize, 2000] {
        let mut vocab = FieldSlots::default();
        let slot = vocab.slot("CallTrace");
        let s = |t: &str| -> Box<str> { t.into() };
        let short = vocab.atom(def(slot, Shape::Contains(s("ab"))));
        let long = vocab.atom(def(slot, Shape::Contains(s("abcd"))));
        let prefix = vocab.atom(def(slot, Shape::Prefix(s("xab"))));
        let suffix = vocab.atom(def(slot, Shape::Suffix(s("ab"))));
        let inner = vocab.atom(def(slot, Shape::Contains(s("bcd|x"))));
        let absent = vocab.atom(def(slot, Shape::Contains(s("abcde"))));
        for i in 0..filler {
            vocab.atom(def(slot, Shape::Contains(format!("zz{i}zz").into())));
        }
        let index = vocab.build();
        let all: Vec<u32> = (0..index.atom_count() as u32).collect();
        let automata = index.automata(&all);
        let mut bits = AtomBits::default();
        bits.reset(index.atom_count());
        let text = "xabcd|xabcd|xab";
        automata.field(slot).unwrap().scan(text, text, &mut bits);
        for atom in [short, long, prefix, suffix, inner] {
            assert!(bits.get(atom), "atom {atom} holds ({filler} more literals)");
        }
        assert!(!bits.get(absent), "{filler} more literals");
    }
}

/// Parts compiled with their own vocabularies and taken in, in order, are
/// numbered as one vocabulary filled in the same order.
#[test]
fn parts_taken_in_are_numbered_as_one_vocabulary() {
    let uses: [(&str, &str); 6] = [
        ("Image", "cmd.exe"),
        ("CommandLine", "whoami"),
        ("Image", "powershell.exe"),
        ("CommandLine", "whoami"),
        ("ParentImage", "cmd.exe"),
        ("Image", "cmd.exe"),
    ];
    // The field's slot and the exact-value atom of each use, numbered in `slots`.
    let number = |slots: &mut FieldSlots, uses: &[(&str, &str)]| -> Vec<(usize, u32)> {
        uses.iter()
            .map(|(field, text)| {
                let slot = slots.slot(field);
                (slot, slots.atom(def(slot, Shape::Exact((*text).into()))))
            })
            .collect()
    };
    let mut one = FieldSlots::default();
    let expected = number(&mut one, &uses);

    let mut whole = FieldSlots::default();
    let mut got = Vec::new();
    for part in uses.chunks(2) {
        let mut own = FieldSlots::default();
        let local = number(&mut own, part);
        let numbers = whole.absorb(own);
        got.extend(
            local
                .into_iter()
                .map(|(slot, atom)| (numbers.slot(slot), numbers.atom(atom))),
        );
    }
    assert_eq!(got, expected);
    let (one, whole) = (one.build(), whole.build());
    assert_eq!(whole.atom_count(), one.atom_count());
    for atom in 0..u32::try_from(one.atom_count()).unwrap_or(0) {
        assert_eq!(whole.def(atom), one.def(atom), "atom {atom}");
    }
    for slot in 0..3 {
        assert_eq!(whole.name(slot), one.name(slot));
    }
}
