//! Data governance on the command line: `vigil retention verify-proof`,
//! which checks a deletion's proof in the audit chain against a list of
//! ids. (The retention defaults of `vigil.toml` are read in `config.rs`.)

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Subcommand;
use vigil_store::TenantScope;
use vigil_store::governance::verify_deletion;

use crate::config::StoreConfig;

/// `vigil retention …`
#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Check that a list of ids is exactly what a deletion recorded in the
    /// audit chain deleted (count and SHA-256 of the sorted ids).
    VerifyProof {
        /// The audit entry holding the proof (its sequence number).
        #[arg(long)]
        seq: u64,
        /// A file of ids, one per line (blank lines ignored).
        #[arg(long)]
        ids: PathBuf,
        /// The data folder.
        #[arg(long, default_value = "./vigil-data")]
        data: PathBuf,
        /// Read the audit chain from this PostgreSQL database instead.
        #[arg(long, env = "VIGIL_STORE_URL")]
        store_url: Option<String>,
        /// The PostgreSQL schema, with `--store-url`.
        #[arg(long, requires = "store_url")]
        store_schema: Option<String>,
    },
}

/// Runs `vigil retention …`.
pub async fn run(command: RetentionCommand) -> anyhow::Result<()> {
    match command {
        RetentionCommand::VerifyProof {
            seq,
            ids,
            data,
            store_url,
            store_schema,
        } => {
            let text = std::fs::read_to_string(&ids)
                .with_context(|| format!("cannot read ids from {}", ids.display()))?;
            let ids: Vec<String> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect();
            if store_url.is_none() && !data.join("vigil.db").is_file() {
                bail!("no database at {}", data.join("vigil.db").display());
            }
            let config = StoreConfig {
                url: store_url,
                schema: store_schema,
                residency: None,
            };
            let store = crate::store::open_node_store(&config, &data).await?;
            let entry = store
                .audit_entries(&TenantScope::All, Some(seq.saturating_add(1)), 1)
                .await?
                .into_iter()
                .find(|e| e.seq == seq)
                .with_context(|| format!("the audit chain has no entry {seq}"))?;
            let proof = verify_deletion(&entry, &ids)?;
            println!(
                "ok: audit entry {seq} records the deletion of these {} {} of `{}` older than {} (ids SHA-256 {})",
                proof.count, proof.class, proof.tenant, proof.before, proof.ids_sha256
            );
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use vigil_desk::governance::DataClass;
    use vigil_model::TenantId;

    use crate::config::Config;

    const BASE: &str = r#"
        [[tenants]]
        id = "northgate"
        name = "Northgate"
    "#;

    fn resolve(extra: &str) -> anyhow::Result<crate::config::Resolved> {
        let config: Config = toml::from_str(&format!("{extra}\n{BASE}"))?;
        config.resolve(&|_| None)
    }

    fn resolve_tenant(tenant_extra: &str) -> anyhow::Result<crate::config::Resolved> {
        let config: Config = toml::from_str(&format!("{BASE}\n{tenant_extra}"))?;
        config.resolve(&|_| None)
    }

    #[test]
    fn without_a_word_events_are_kept_ninety_days_and_the_rest_forever() {
        let r = resolve("").unwrap();
        let ng = TenantId::new("northgate").unwrap();
        assert_eq!(
            r.retention.period(&ng, DataClass::Events),
            Some(Duration::days(90))
        );
        for class in [
            DataClass::Alerts,
            DataClass::Incidents,
            DataClass::DeadLetters,
            DataClass::Visitors,
        ] {
            assert_eq!(r.retention.period(&ng, class), None, "{class}");
        }
        let r = resolve("retention_days = 0").unwrap();
        assert_eq!(r.retention.period(&ng, DataClass::Events), None);
    }

    #[test]
    fn classes_and_clients_override_and_holds_are_read() {
        let config: Config = toml::from_str(
            r#"
            [retention]
            events = "30d"
            dead_letters = "7d"
            visitors = "180d"
            [[tenants]]
            id = "northgate"
            name = "Northgate"
            legal_hold = { reason = "Matter 4711" }
            [tenants.retention]
            events = "365d"
            dead_letters = "forever"
            visitors = "30d"
            [[tenants]]
            id = "riverside"
            name = "Riverside"
            "#,
        )
        .unwrap();
        let r = config.resolve(&|_| None).unwrap();
        let (ng, rs) = (
            TenantId::new("northgate").unwrap(),
            TenantId::new("riverside").unwrap(),
        );
        let p = &r.retention;
        assert_eq!(p.period(&ng, DataClass::Events), Some(Duration::days(365)));
        assert_eq!(p.period(&ng, DataClass::DeadLetters), None);
        assert_eq!(p.period(&rs, DataClass::Events), Some(Duration::days(30)));
        // Visitors' data is one of the classes, per client like the rest.
        assert_eq!(p.period(&ng, DataClass::Visitors), Some(Duration::days(30)));
        assert_eq!(
            p.period(&rs, DataClass::Visitors),
            Some(Duration::days(180))
        );
        assert_eq!(
            p.period(&rs, DataClass::DeadLetters),
            Some(Duration::days(7))
        );
        assert_eq!(
            p.config_holds.get(&ng).map(String::as_str),
            Some("Matter 4711")
        );
        assert!(!p.config_holds.contains_key(&rs));
    }

    #[tokio::test]
    async fn verify_proof_accepts_the_ids_that_went_and_refuses_others() {
        use vigil_store::governance::ExpiryRequest;
        use vigil_store::{DeskStore, Store};
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::open_sqlite(dir.path()).unwrap();
        let now = chrono::Utc::now();
        let letter = |raw: &str| vigil_model::DeadLetter {
            id: 0,
            tenant: TenantId::new("northgate").unwrap(),
            source: vigil_model::SourceId::new("fw").unwrap(),
            received_at: now - Duration::days(10),
            reason: "unparseable".into(),
            raw: raw.as_bytes().to_vec(),
        };
        store
            .commit(vigil_store::IngestBatch {
                dead_letters: vec![letter("a"), letter("b")],
                ..Default::default()
            })
            .await
            .unwrap();
        let deletion = store
            .delete_expired(&ExpiryRequest {
                class: DataClass::DeadLetters,
                tenant: TenantId::new("northgate").unwrap(),
                before: now,
                keep_alerts: vec![],
                keep_incidents: vec![],
                limit: 100,
                actor: "system:retention".into(),
                action: "retention.delete".into(),
                at: now,
            })
            .await
            .unwrap();
        let seq = deletion.audit_seq.unwrap();
        let verify = |ids: &str| {
            let file = dir.path().join("ids.txt");
            std::fs::write(&file, ids).unwrap();
            super::run(super::RetentionCommand::VerifyProof {
                seq,
                ids: file,
                data: dir.path().to_owned(),
                store_url: None,
                store_schema: None,
            })
        };
        verify(&deletion.ids.join("\n")).await.unwrap();
        let err = verify("1\n999\n").await.unwrap_err();
        assert!(err.to_string().contains("hash to"), "{err}");
        let err = super::run(super::RetentionCommand::VerifyProof {
            seq: seq + 5,
            ids: dir.path().join("ids.txt"),
            data: dir.path().to_owned(),
            store_url: None,
            store_schema: None,
        })
        .await
        .unwrap_err();
        assert!(err.to_string().contains("no entry"), "{err}");
    }

    #[test]
    fn a_client_is_stored_only_where_its_residency_allows() {
        let file = |store: &str, client: &str| {
            format!(
                "{store}\n[[tenants]]\nid = \"northgate\"\nname = \"Northgate\"\n{client}\n[[tenants]]\nid = \"riverside\"\nname = \"Riverside\"\n"
            )
        };
        let resolve = |text: String| {
            let config: Config = toml::from_str(&text).map_err(anyhow::Error::from)?;
            config.resolve(&|_| None)
        };
        let r = resolve(file("[store]\nresidency = \"EU/DE\"", "residency = \"EU\"")).unwrap();
        let ng = TenantId::new("northgate").unwrap();
        assert_eq!(r.residency.get(&ng).map(|t| t.as_str()), Some("EU"));
        assert_eq!(r.residency.len(), 1, "a client without a tag fits anywhere");

        for (store, client, says) in [
            (
                "[store]\nresidency = \"EU/FR\"",
                "residency = \"EU/DE\"",
                vec!["`northgate`", "`EU/DE`", "`EU/FR`"],
            ),
            (
                "[store]\nresidency = \"EU\"",
                "residency = \"EU/DE\"",
                vec!["`northgate`", "`EU/DE`", "`EU`"],
            ),
            (
                "",
                "residency = \"EU\"",
                vec!["`northgate`", "no residency tag"],
            ),
            (
                "",
                "residency = \"eu/de\"",
                vec!["tenant `northgate`", "`eu/de`"],
            ),
            (
                "[store]\nresidency = \"Germany\"",
                "",
                vec!["[store] residency", "`Germany`"],
            ),
        ] {
            let err = format!("{:#}", resolve(file(store, client)).unwrap_err());
            for word in says {
                assert!(err.contains(word), "{store} / {client}: {err}");
            }
        }
    }

    #[test]
    fn mistakes_are_named() {
        let err = format!(
            "{:#}",
            resolve("retention_days = 30\n[retention]\nevents = \"30d\"").unwrap_err()
        );
        assert!(
            err.contains("retention_days and [retention] events"),
            "{err}"
        );
        let err = format!("{:#}", resolve("[retention]\nalerts = \"1y\"").unwrap_err());
        assert!(
            err.contains("[retention] alerts") && err.contains("`1y`"),
            "{err}"
        );
        let err = format!(
            "{:#}",
            resolve_tenant("[tenants.retention]\nincidents = \"90\"").unwrap_err()
        );
        assert!(
            err.contains("`northgate`") && err.contains("incidents"),
            "{err}"
        );
        let err = format!(
            "{:#}",
            resolve_tenant("legal_hold = { reason = \" \" }").unwrap_err()
        );
        assert!(err.contains("legal_hold of tenant `northgate`"), "{err}");
        let err = toml::from_str::<Config>("[retention]\naudit = \"1d\"").unwrap_err();
        assert!(err.to_string().contains("audit"), "{err}");
    }
}
