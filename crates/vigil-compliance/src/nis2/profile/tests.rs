use super::*;
use proptest::prelude::*;

const GOOD: &str = r#"
sector = "ict_service_management"
entity_type = "essential"
managed_service_provider = true
annual_turnover_eur = 42000000
member_state = "AT"
eu_users = 250000
[authority]
name = "CERT.at"
contact = "reports@cert.at"
"#;

fn client() -> TenantId {
    TenantId::new("northgate").expect("valid slug")
}

fn validate(text: &str) -> Result<Nis2Profile, ProfileError> {
    Nis2ProfileConfig::from_toml_str("northgate", text)?.validate(&client())
}

fn with(replace: &str, by: &str) -> String {
    assert!(GOOD.contains(replace), "fixture has `{replace}`");
    GOOD.replace(replace, by)
}

#[test]
fn a_complete_profile_validates() {
    let p = validate(GOOD).expect("valid");
    assert_eq!(p.client, client());
    assert_eq!(p.sector, Sector::IctServiceManagement);
    assert_eq!(p.sector.annex(), "I");
    assert_eq!(p.entity_type, EntityType::Essential);
    assert!(p.managed_service_provider);
    assert!(!p.managed_security_service_provider);
    assert!(p.article_10_applies());
    assert_eq!(p.turnover, Turnover::Exact(42_000_000));
    assert_eq!(p.member_state, "AT");
    assert_eq!(p.authority.name, "CERT.at");
    assert_eq!(p.eu_users, Some(250_000));
}

#[test]
fn the_readme_shape_inside_a_tenants_table_reads() {
    // The shape the module documentation shows, nested as in vigil.toml.
    let doc = r#"
[[tenants]]
id = "northgate"
[tenants.nis2]
sector = "digital_providers"
entity_type = "important"
turnover_band = "medium"
member_state = "de"
[tenants.nis2.authority]
name = "BSI"
contact = "https://portal.bsi.bund.de"
"#;
    let value: toml::Value = toml::from_str(doc).expect("toml");
    let table = value["tenants"][0]["nis2"].clone();
    let p = Nis2ProfileConfig::from_toml_value("northgate", table)
        .expect("shape")
        .validate(&client())
        .expect("valid");
    assert_eq!(p.sector, Sector::DigitalProviders);
    assert_eq!(p.sector.annex(), "II");
    assert_eq!(p.turnover, Turnover::Band(TurnoverBand::Medium));
    assert_eq!(p.member_state, "DE", "codes are upper-cased");
    assert!(!p.article_10_applies());
    assert_eq!(p.eu_users, None);
}

#[test]
fn errors_name_the_client_and_the_field() {
    let err = validate(&with("\"AT\"", "\"US\"")).expect_err("not EU");
    assert_eq!(err.client, "northgate");
    assert_eq!(err.field, "member_state");
    assert_eq!(err.problem, ProfileProblem::NotMemberState("US".into()));
    let msg = err.to_string();
    assert!(msg.contains("client `northgate`"), "{msg}");
    assert!(msg.contains("field `member_state`"), "{msg}");
    assert!(msg.contains("`US`"), "{msg}");
}

#[test]
fn unknown_sector_lists_the_sectors() {
    let err = validate(&with("\"ict_service_management\"", "\"ict\"")).expect_err("bad");
    assert_eq!(err.field, "sector");
    let msg = err.to_string();
    assert!(msg.contains("unknown sector `ict`"), "{msg}");
    assert!(msg.contains("ict_service_management"), "{msg}");
    assert!(msg.contains("research"), "{msg}");
}

#[test]
fn unknown_entity_type_is_refused() {
    let err = validate(&with("\"essential\"", "\"critical\"")).expect_err("bad");
    assert_eq!(err.field, "entity_type");
    assert_eq!(
        err.problem,
        ProfileProblem::UnknownEntityType("critical".into())
    );
}

#[test]
fn a_turnover_or_its_band_is_required() {
    let err = validate(&with("annual_turnover_eur = 42000000\n", "")).expect_err("none");
    assert_eq!(err.field, "annual_turnover_eur");
    assert_eq!(err.problem, ProfileProblem::MissingTurnover);
    assert!(err.to_string().contains("Art. 3(1)(a)"));
}

#[test]
fn an_unknown_band_is_refused() {
    let err = validate(&with(
        "annual_turnover_eur = 42000000\n",
        "turnover_band = \"huge\"\n",
    ))
    .expect_err("bad band");
    assert_eq!(err.field, "turnover_band");
    assert_eq!(
        err.problem,
        ProfileProblem::UnknownTurnoverBand("huge".into())
    );
}

#[test]
fn a_turnover_outside_its_band_is_refused_and_inside_the_exact_figure_wins() {
    let err = validate(&with(
        "annual_turnover_eur = 42000000\n",
        "annual_turnover_eur = 42000000\nturnover_band = \"small\"\n",
    ))
    .expect_err("outside");
    assert_eq!(err.field, "annual_turnover_eur");
    let msg = err.to_string();
    assert!(msg.contains("EUR 42,000,000"), "{msg}");
    assert!(msg.contains("EUR 2,000,001 to EUR 10,000,000"), "{msg}");

    let p = validate(&with(
        "annual_turnover_eur = 42000000\n",
        "annual_turnover_eur = 42000000\nturnover_band = \"medium\"\n",
    ))
    .expect("inside");
    assert_eq!(p.turnover, Turnover::Exact(42_000_000));
}

#[test]
fn micro_and_small_bands_need_the_exact_turnover() {
    for band in ["micro", "small"] {
        let err = validate(&with(
            "annual_turnover_eur = 42000000\n",
            &format!("turnover_band = \"{band}\"\n"),
        ))
        .expect_err("too coarse");
        assert_eq!(err.field, "turnover_band");
        assert!(matches!(err.problem, ProfileProblem::BandTooCoarse(_)));
        assert!(
            err.to_string().contains("give annual_turnover_eur"),
            "{err}"
        );
    }
    for band in ["medium", "large"] {
        let p = validate(&with(
            "annual_turnover_eur = 42000000\n",
            &format!("turnover_band = \"{band}\"\n"),
        ))
        .expect("decides the threshold");
        assert!(matches!(p.turnover, Turnover::Band(_)));
    }
}

#[test]
fn band_bounds_follow_the_sme_ceilings() {
    assert!(TurnoverBand::Micro.contains(2_000_000));
    assert!(!TurnoverBand::Micro.contains(2_000_001));
    assert!(TurnoverBand::Small.contains(2_000_001));
    assert!(TurnoverBand::Small.contains(10_000_000));
    assert!(TurnoverBand::Medium.contains(50_000_000));
    assert!(!TurnoverBand::Medium.contains(50_000_001));
    assert!(TurnoverBand::Large.contains(u64::MAX));
    assert_eq!(
        TurnoverBand::Large.to_string(),
        "large (over EUR 50,000,000)"
    );
}

#[test]
fn greece_must_be_written_gr() {
    let err = validate(&with("\"AT\"", "\"EL\"")).expect_err("EL");
    assert_eq!(err.problem, ProfileProblem::GreeceAsEl);
    assert!(err.to_string().contains("`GR`"));
    assert_eq!(
        validate(&with("\"AT\"", "\"GR\""))
            .expect("GR")
            .member_state,
        "GR"
    );
}

#[test]
fn the_authority_needs_a_name_and_a_contact() {
    let err = validate(&with("\"CERT.at\"", "\"  \"")).expect_err("blank");
    assert_eq!(err.field, "authority.name");
    assert_eq!(err.problem, ProfileProblem::Blank);

    let long = format!("\"{}\"", "x".repeat(201));
    let err = validate(&with("\"reports@cert.at\"", &long)).expect_err("long");
    assert_eq!(err.field, "authority.contact");
    assert_eq!(err.problem, ProfileProblem::TooLong { max: 200 });
}

#[test]
fn zero_eu_users_is_refused() {
    let err = validate(&with("eu_users = 250000", "eu_users = 0")).expect_err("zero");
    assert_eq!(err.field, "eu_users");
    assert_eq!(err.problem, ProfileProblem::ZeroUsers);
}

#[test]
fn misspelt_keys_and_missing_fields_are_shape_errors() {
    let err = validate(&with("eu_users", "eu_user")).expect_err("misspelt");
    assert_eq!(err.field, "[tenants.nis2]");
    assert!(matches!(err.problem, ProfileProblem::Shape(ref m) if m.contains("eu_user")));

    let err = validate(&with("member_state = \"AT\"\n", "")).expect_err("missing");
    assert!(matches!(err.problem, ProfileProblem::Shape(ref m) if m.contains("member_state")));

    let err = validate(&with("42000000", "\"lots\"")).expect_err("type");
    assert!(matches!(err.problem, ProfileProblem::Shape(_)));
}

#[test]
fn the_profile_round_trips_through_json() {
    let p = validate(GOOD).expect("valid");
    let json = serde_json::to_string(&p).expect("serialise");
    let back: Nis2Profile = serde_json::from_str(&json).expect("deserialise");
    assert_eq!(back, p);
}

proptest! {
    // Whatever is written in the table, validation answers; it never panics.
    #[test]
    fn validation_never_panics(
        sector in "\\PC{0,30}",
        member_state in "\\PC{0,4}",
        name in "\\PC{0,10}",
        turnover in proptest::option::of(any::<u64>()),
        band in proptest::option::of("[a-z]{0,7}"),
        users in proptest::option::of(any::<u64>()),
    ) {
        let config = Nis2ProfileConfig {
            sector,
            entity_type: "important".into(),
            managed_service_provider: false,
            managed_security_service_provider: true,
            annual_turnover_eur: turnover,
            turnover_band: band,
            member_state,
            authority: AuthorityConfig { name, contact: "x".into() },
            eu_users: users,
        };
        let _ = config.validate(&client());
    }

    // Any TOML text either reads as a profile or says why not.
    #[test]
    fn reading_toml_never_panics(text in "\\PC{0,200}") {
        let _ = Nis2ProfileConfig::from_toml_str("northgate", &text);
    }
}
