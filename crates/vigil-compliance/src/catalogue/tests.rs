use super::*;
use std::collections::HashSet;

fn builtin() -> &'static Catalogue {
    Catalogue::builtin().expect("the embedded catalogue parses")
}

#[test]
fn iso_27001_has_93_controls_in_four_themes() {
    let iso = builtin().framework("iso27001").expect("framework");
    assert_eq!(iso.controls.len(), 93);
    assert_eq!(iso.title, "ISO/IEC 27001:2022 Annex A");
    let count = |theme| {
        iso.controls
            .iter()
            .filter(|c| c.theme() == Some(theme))
            .count()
    };
    assert_eq!((count(5), count(6), count(7), count(8)), (37, 8, 14, 34));
}

#[test]
fn iso_ids_are_unique_and_numbered_without_gaps() {
    let iso = builtin().framework("iso27001").expect("framework");
    let ids: HashSet<&str> = iso.controls.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids.len(), 93);
    for (theme, n) in [(5, 37), (6, 8), (7, 14), (8, 34)] {
        for i in 1..=n {
            assert!(
                ids.contains(format!("A.{theme}.{i}").as_str()),
                "A.{theme}.{i}"
            );
        }
    }
    assert!(
        iso.controls
            .iter()
            .all(|c| c.maps_to.is_empty() && c.framework == FrameworkId::Iso27001)
    );
}

#[test]
fn controls_are_found_by_id_with_their_titles() {
    let c = builtin();
    assert_eq!(
        c.control("A.5.1").map(|c| c.title.as_str()),
        Some("Policies for information security")
    );
    assert_eq!(
        c.control("A.5.7").map(|c| c.title.as_str()),
        Some("Threat intelligence")
    );
    assert_eq!(
        c.control("A.6.8").map(|c| c.title.as_str()),
        Some("Information security event reporting")
    );
    assert_eq!(
        c.control("A.7.4").map(|c| c.title.as_str()),
        Some("Physical security monitoring")
    );
    assert_eq!(
        c.control("A.8.5").map(|c| c.title.as_str()),
        Some("Secure authentication")
    );
    assert_eq!(
        c.control("A.8.34").map(|c| c.title.as_str()),
        Some("Protection of information systems during audit testing")
    );
    assert_eq!(c.control(" A.8.16 ").map(|c| c.id.as_str()), Some("A.8.16"));
    assert!(c.control("A.8.35").is_none());
    assert!(c.control("A.9.1").is_none());
}

#[test]
fn unknown_ids_and_frameworks_are_errors_naming_them() {
    let c = builtin();
    let err = c.require("A.5.38").expect_err("unknown");
    assert_eq!(err, CatalogueError::UnknownControl("A.5.38".into()));
    assert!(err.to_string().contains("`A.5.38`"));
    let err = c.framework("soc2").expect_err("unknown");
    assert_eq!(
        err.to_string(),
        "unknown framework `soc2`; expected iso27001 or nis2"
    );
    assert!(c.iso_controls_for("21(2)(k)").is_err());
    assert!(c.measures_for("A.9.9").is_err());
}

#[test]
fn nis2_lists_the_ten_measures_with_their_text() {
    let nis2 = builtin().framework("nis2").expect("framework");
    let ids: Vec<&str> = nis2.controls.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "21(2)(a)", "21(2)(b)", "21(2)(c)", "21(2)(d)", "21(2)(e)", "21(2)(f)", "21(2)(g)",
            "21(2)(h)", "21(2)(i)", "21(2)(j)"
        ]
    );
    let j = builtin().require("21(2)(j)").expect("j");
    assert!(
        j.text
            .as_deref()
            .is_some_and(|t| t.starts_with("the use of multi-factor authentication"))
    );
    assert_eq!(j.framework, FrameworkId::Nis2);
    assert!(
        nis2.controls
            .iter()
            .all(|m| m.text.is_some() && !m.annex.is_empty())
    );
    assert!(nis2.controls.iter().all(|m| m.theme().is_none()));
}

#[test]
fn every_nis2_measure_maps_to_existing_iso_controls() {
    let c = builtin();
    for m in &c.framework("nis2").expect("framework").controls {
        let mapped = c.iso_controls_for(&m.id).expect("mapping resolves");
        assert!(!mapped.is_empty(), "{} maps to nothing", m.id);
        assert!(mapped.iter().all(|x| x.framework == FrameworkId::Iso27001));
    }
    let incident = c.iso_controls_for("21(2)(b)").expect("b");
    assert!(incident.iter().any(|x| x.id == "A.5.26"));
    assert_eq!(
        c.iso_controls_for("21(2)(h)")
            .expect("h")
            .iter()
            .map(|x| x.id.as_str())
            .collect::<Vec<_>>(),
        ["A.8.24"]
    );
}

#[test]
fn the_mapping_reads_back_from_iso_to_nis2() {
    let c = builtin();
    let ids = |v: Vec<&Control>| v.into_iter().map(|x| x.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(c.measures_for("A.5.24").expect("known")), ["21(2)(b)"]);
    assert_eq!(
        ids(c.measures_for("A.5.10").expect("known")),
        ["21(2)(g)", "21(2)(i)"]
    );
    assert!(
        c.measures_for("A.5.32").expect("known").is_empty(),
        "intellectual property rights"
    );
}

#[test]
fn framework_names_parse() {
    assert_eq!("nis2".parse::<FrameworkId>(), Ok(FrameworkId::Nis2));
    assert_eq!(
        " iso27001 ".parse::<FrameworkId>(),
        Ok(FrameworkId::Iso27001)
    );
    assert!("ISO27001".parse::<FrameworkId>().is_err());
    assert_eq!(FrameworkId::Iso27001.to_string(), "iso27001");
}

const NIS2_ONE: &str = r#"
framework = "nis2"
title = "t"
[[controls]]
id = "21(2)(a)"
title = "x"
iso27001 = ["A.5.1"]
"#;

const ISO_ONE: &str = r#"
framework = "iso27001"
title = "t"
[[controls]]
id = "A.5.1"
title = "Policies for information security"
"#;

#[test]
fn a_catalogue_that_makes_no_sense_is_refused() {
    assert!(Catalogue::parse(ISO_ONE, NIS2_ONE).is_ok());

    let err =
        Catalogue::parse(ISO_ONE, &NIS2_ONE.replace("A.5.1\"]", "A.5.2\"]")).expect_err("target");
    assert_eq!(
        err,
        CatalogueError::BadMapping {
            from: "21(2)(a)".into(),
            to: "A.5.2".into()
        }
    );
    let err =
        Catalogue::parse(ISO_ONE, &NIS2_ONE.replace("A.5.1\"]", "21(2)(a)\"]")).expect_err("self");
    assert!(matches!(err, CatalogueError::BadMapping { .. }));

    let dup = format!("{ISO_ONE}[[controls]]\nid = \"A.5.1\"\ntitle = \"again\"\n");
    assert_eq!(
        Catalogue::parse(&dup, NIS2_ONE),
        Err(CatalogueError::Duplicate("A.5.1".into()))
    );

    for bad in ["A.9.1", "A.5.01", "5.1", "A.5.", "A.5.x"] {
        let err = Catalogue::parse(
            &ISO_ONE.replace("\"A.5.1\"", &format!("\"{bad}\"")),
            NIS2_ONE,
        )
        .expect_err("bad id");
        assert!(matches!(err, CatalogueError::BadId { .. }), "{bad}: {err}");
    }
    for bad in ["21(2)(k)", "21(2)(aa)", "21(1)(a)", "21(2)a"] {
        let err = Catalogue::parse(
            ISO_ONE,
            &NIS2_ONE.replace("\"21(2)(a)\"", &format!("\"{bad}\"")),
        )
        .expect_err("bad id");
        assert!(matches!(err, CatalogueError::BadId { .. }), "{bad}: {err}");
    }

    let err = Catalogue::parse(
        &ISO_ONE.replace("Policies for information security", " "),
        NIS2_ONE,
    )
    .expect_err("title");
    assert_eq!(err, CatalogueError::BlankTitle("A.5.1".into()));

    let err = Catalogue::parse(NIS2_ONE, NIS2_ONE).expect_err("swapped");
    assert!(
        err.to_string()
            .contains("declares framework `nis2`, expected `iso27001`"),
        "{err}"
    );

    let err = Catalogue::parse(&ISO_ONE.replace("title = \"t\"", "titel = \"t\""), NIS2_ONE)
        .expect_err("shape");
    assert!(matches!(
        err,
        CatalogueError::Parse {
            file: "iso27001-2022.toml",
            ..
        }
    ));

    let iso_mapping = ISO_ONE.replace(
        "title = \"Policies",
        "iso27001 = [\"A.5.1\"]\ntitle = \"Policies",
    );
    assert!(matches!(
        Catalogue::parse(&iso_mapping, NIS2_ONE),
        Err(CatalogueError::BadMapping { .. })
    ));
}
