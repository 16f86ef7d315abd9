//! The configuration's tests (kept apart: `config.rs` is long enough).

use super::*;
use vigil_store::token::hash_token;

const GOOD: &str = r#"
        listen = "127.0.0.1:9090"
        [[tenants]]
        id = "northgate"
        name = "Northgate Colocation"
        [[tenants.sites]]
        id = "lon1"
        name = "London 1"

        [[sources]]
        id = "northgate-windows"
        tenant = "northgate"
        site = "lon1"
        kind = "http"
        product = "windows"
        token_env = "NG_WIN"

        [[sources]]
        id = "northgate-fw"
        tenant = "northgate"
        kind = "syslog_tcp"
        product = "fortigate"
        listen = "127.0.0.1:5514"

        [[tokens]]
        name = "admin"
        role = "provider_admin"
        token_sha256 = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
    "#;

fn env(var: &str) -> Option<String> {
    (var == "NG_WIN").then(|| "secret-token".to_string())
}

#[test]
fn a_good_file_resolves() {
    let config: Config = toml::from_str(GOOD).unwrap();
    let r = config.resolve(&env).unwrap();
    assert_eq!(r.tenants.len(), 1);
    assert_eq!(r.sources.len(), 2);
    assert_eq!(r.sources[0].token, Some(hash_token("secret-token")));
    assert_eq!(r.tokens[0].role, Role::ProviderAdmin);
    assert_eq!(config.listen.port(), 9090);
}

fn error_of(toml_text: &str) -> String {
    let config: Config = toml::from_str(toml_text).unwrap();
    format!("{:#}", config.resolve(&env).unwrap_err())
}

#[test]
fn mistakes_are_named() {
    let unknown_tenant = GOOD.replace(
        "tenant = \"northgate\"\n        kind = \"syslog_tcp\"",
        "tenant = \"nobody\"\n        kind = \"syslog_tcp\"",
    );
    assert!(error_of(&unknown_tenant).contains("source `northgate-fw` names tenant `nobody`"));
    let no_listen = GOOD.replace("listen = \"127.0.0.1:5514\"", "");
    assert!(error_of(&no_listen).contains("needs `listen`"));
    let bad_hash = GOOD.replace("2c26b46b", "zz");
    assert!(error_of(&bad_hash).contains("64 hex digits"));
    let unset = GOOD.replace("NG_WIN", "MISSING_VAR");
    assert!(error_of(&unset).contains("`MISSING_VAR` is not set"));
    let bad_kind = GOOD.replace("kind = \"http\"", "kind = \"carrier-pigeon\"");
    assert!(error_of(&bad_kind).contains("kind `carrier-pigeon`"));
    let client_without_tenant = GOOD.replace("provider_admin", "client_viewer");
    assert!(error_of(&client_without_tenant).contains("needs a `tenant`"));
}

#[test]
fn estate_sources_resolve_with_their_settings() {
    let text = format!(
        "{GOOD}{}",
        r#"
        [[sources]]
        id = "northgate-arc"
        tenant = "northgate"
        kind = "dc09_udp"
        product = "sia-dc09"
        listen = "127.0.0.1:9000"
        [sources.dc09]
        [[sources.dc09.accounts]]
        account = "1234"
        site = "lon1"
        category = "SP4"
        key_env = "NG_WIN"

        [[sources]]
        id = "northgate-cams"
        tenant = "northgate"
        kind = "onvif_push"
        product = "onvif"
        token_env = "NG_WIN"
        [sources.onvif]
        cameras = [{ id = "cam-1", covers_door = "d-1" }]
        "#
    );
    let config: Config = toml::from_str(&text).unwrap();
    let err = format!("{:#}", config.resolve(&env).unwrap_err());
    assert!(
        err.contains("source `northgate-arc`") && err.contains("key"),
        "{err}"
    );
    let text = text.replace("key_env = \"NG_WIN\"", "");
    let r: Resolved = toml::from_str::<Config>(&text)
        .unwrap()
        .resolve(&env)
        .unwrap();
    assert_eq!(r.sources.len(), 4);
    let settings_of = |id: &str| {
        r.sources
            .iter()
            .find(|s| s.binding.id.as_str() == id)
            .unwrap()
    };
    assert!(
        settings_of("northgate-arc")
            .settings::<vigil_sources::dc09::Dc09Settings>()
            .is_some()
    );
    assert!(matches!(
        settings_of("northgate-cams").settings::<vigil_sources::onvif::OnvifSettings>(),
        Some(vigil_sources::onvif::OnvifSettings::Push(_))
    ));
    let no_listen = text.replace("listen = \"127.0.0.1:9000\"", "");
    assert!(error_of(&no_listen).contains("needs `listen`"));
    let no_table = text.replace("[sources.dc09]", "").replace("[[sources.dc09.accounts]]\n        account = \"1234\"\n        site = \"lon1\"\n        category = \"SP4\"", "");
    assert!(
        error_of(&no_table).contains("[sources.dc09]"),
        "{}",
        error_of(&no_table)
    );
}

#[test]
fn a_client_contract_resolves_and_a_bad_one_is_refused_naming_the_client() {
    let text = GOOD.replace(
            "name = \"Northgate Colocation\"\n",
            "name = \"Northgate Colocation\"\n        contract = { classes = { P1 = { acknowledge = \"2m\", resolve = \"1h\" } }, rules = [{ min_score = 0, class = \"P1\" }] }\n",
        );
    let r = toml::from_str::<Config>(&text)
        .unwrap()
        .resolve(&env)
        .unwrap();
    let northgate = TenantId::new("northgate").unwrap();
    assert!(r.contracts.has_own(&northgate));
    let bad = text.replace("\"2m\"", "\"-2m\"");
    let message = error_of(&bad);
    assert!(
        message.contains("northgate") && message.contains("classes.P1.acknowledge"),
        "{message}"
    );
    let unknown_class = text.replace("class = \"P1\"", "class = \"P9\"");
    let err = toml::from_str::<Config>(&unknown_class)
        .map(|c| format!("{:#}", c.resolve(&env).unwrap_err()))
        .unwrap_or_else(|e| e.to_string());
    assert!(err.contains("P9"), "{err}");
}

#[test]
fn a_nis2_profile_resolves_and_a_bad_one_is_refused_naming_the_client() {
    let profile = "        nis2 = { sector = \"ict_service_management\", entity_type = \"important\", managed_security_service_provider = true, annual_turnover_eur = 9000000, member_state = \"DE\", authority = { name = \"BSI\", contact = \"meldestelle@bsi.example\" } }\n";
    let text = GOOD.replace(
        "name = \"Northgate Colocation\"\n",
        &format!("name = \"Northgate Colocation\"\n{profile}"),
    );
    let r = toml::from_str::<Config>(&text)
        .unwrap()
        .resolve(&env)
        .unwrap();
    assert!(r.nis2.contains_key(&TenantId::new("northgate").unwrap()));
    let bad = text.replace("\"DE\"", "\"XX\"");
    let message = error_of(&bad);
    assert!(
        message.contains("northgate") && message.contains("member_state"),
        "{message}"
    );
}

#[test]
fn syntax_errors_name_the_line() {
    let err = toml::from_str::<Config>("listen = 5\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 1"), "{err}");
    let err = toml::from_str::<Config>("[[tenants]]\nid = \"Bad Id\"\nname = \"x\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("tenant id `Bad Id`"), "{err}");
}

#[test]
fn a_site_floor_plan_resolves_and_a_bad_one_is_refused_naming_the_site() {
    let text = GOOD.replace(
            "name = \"London 1\"\n",
            "name = \"London 1\"\n        floor_plan = { width = 1200, height = 800, areas = [{ id = \"hall\", name = \"Hall\", x = 0, y = 0, w = 600, h = 800 }], devices = [{ id = \"d1\", kind = \"door\", zone = \"hall\", x = 100, y = 400 }, { id = \"cam1\", zone = \"hall\" }] }\n",
        );
    let r = toml::from_str::<Config>(&text)
        .unwrap()
        .resolve(&env)
        .unwrap();
    let key = (
        TenantId::new("northgate").unwrap(),
        SiteId::new("lon1").unwrap(),
    );
    let plan = r.plans.get(&key).unwrap();
    assert_eq!((plan.width, plan.areas.len()), (1200.0, 1));
    assert_eq!((plan.devices[0].x, plan.devices[1].x), (Some(100.0), None));
    let bad = text.replace("x = 100", "x = 5000");
    let e = toml::from_str::<Config>(&bad)
        .unwrap()
        .resolve(&env)
        .unwrap_err();
    let message = format!("{e:#}");
    assert!(
        message.contains("lon1") && message.contains("devices[0].x"),
        "{message}"
    );
    assert!(toml::from_str::<Config>(&text.replace("width = 1200", "colour = 1")).is_err());
}

#[test]
fn the_readme_contract_example_is_a_valid_contract() {
    let readme = include_str!("../../../README.md");
    let start = readme.find("```toml\n[tenants.contract]").unwrap() + "```toml\n".len();
    let end = start + readme[start..].find("```").unwrap();
    let text = format!(
        "[[tenants]]\nid = \"northgate\"\nname = \"Northgate\"\n{}",
        &readme[start..end]
    );
    let config: Config = toml::from_str(&text).unwrap();
    let r = config.resolve(&env).unwrap();
    assert!(r.contracts.has_own(&TenantId::new("northgate").unwrap()));
}

#[test]
fn the_readme_example_reads_with_its_floor_plan() {
    let readme = include_str!("../../../README.md");
    let start = readme.find("```toml\ndata_dir").unwrap() + "```toml\n".len();
    let end = start + readme[start..].find("```").unwrap();
    let config: Config = toml::from_str(&readme[start..end]).unwrap();
    let plan = config.tenants[0].sites[0].floor_plan.as_ref().unwrap();
    plan.check().unwrap();
    assert_eq!((plan.areas.len(), plan.devices.len()), (2, 2));
    assert_eq!(config.pipelines, ["windows"]);
    assert_eq!(config.placeholders["known_cdcs"], ["DC01", "DC02"]);
}

#[test]
fn the_store_is_sqlite_unless_a_postgres_url_is_given() {
    let config: Config = toml::from_str(GOOD).unwrap();
    assert_eq!(config.store, StoreConfig::default());
    let pg = format!(
        "{GOOD}\n[store]\nurl = \"postgres://vigil:pw@db:5432/vigil\"\nschema = \"vigil\"\n"
    );
    let config: Config = toml::from_str(&pg).unwrap();
    assert_eq!(
        config.store,
        StoreConfig {
            url: Some("postgres://vigil:pw@db:5432/vigil".into()),
            schema: Some("vigil".into()),
            residency: None,
        }
    );
    assert!(config.resolve(&env).is_ok());

    let not_pg = format!("{GOOD}\n[store]\nurl = \"mysql://u:secret@db/v\"\n");
    let err = error_of(&not_pg);
    assert!(err.contains("not a PostgreSQL URL"), "{err}");
    assert!(!err.contains("secret"), "the password stays out: {err}");
    let schema_alone = format!("{GOOD}\n[store]\nschema = \"x\"\n");
    assert!(error_of(&schema_alone).contains("without a url"));
    let typo = format!("{GOOD}\n[store]\nurll = \"postgres://db/v\"\n");
    assert!(
        toml::from_str::<Config>(&typo).is_err(),
        "unknown keys are refused"
    );
}
