//! `pod scheme import|add|list`: which organisations this pod talks to, and the keys it trusts.

use std::path::PathBuf;

use pod::scheme;

use super::admin::{DirArgs, unlock};
use super::secrets;

/// `pod scheme …`
#[derive(Debug, clap::Subcommand)]
pub enum SchemeCommand {
    /// Import a scheme manager's signed scheme, verified with the manager's key.
    Import {
        #[command(flatten)]
        dir: DirArgs,
        /// The scheme file (betaalpod-scheme/1, JSON).
        file: PathBuf,
        /// The scheme manager's public key (an OKP Ed25519 JWK file).
        #[arg(long, value_name = "KEY")]
        manager_key: PathBuf,
    },
    /// Add one organisation from its server, after you confirm its name and key fingerprint.
    Add {
        #[command(flatten)]
        dir: DirArgs,
        /// The organisation's base URL.
        url: url::Url,
        /// Pin without asking (for scripts).
        #[arg(long)]
        yes: bool,
    },
    /// Show the organisations and their key fingerprints.
    List {
        #[command(flatten)]
        dir: DirArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a scheme command.
pub fn run(command: SchemeCommand) -> anyhow::Result<()> {
    match command {
        SchemeCommand::Import { dir, file, manager_key } => {
            let key_text = std::fs::read(&manager_key)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", manager_key.display()))?;
            let key: schemas::jws::Jwk = serde_json::from_slice(&key_text)
                .map_err(|e| anyhow::anyhow!("{} is not a JWK: {e}", manager_key.display()))?;
            key.verifying_key()?;
            let bytes = std::fs::read(&file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let pod = unlock(&dir)?;
            let merged = scheme::import(&pod::scheme::load(&pod)?, &bytes, &key)?;
            pod::scheme::save(&pod, &merged)?;
            println!(
                "Imported scheme version {}: {} organisation(s).",
                merged.manager_version.unwrap_or_default(),
                merged.organisations.len()
            );
            Ok(())
        }
        SchemeCommand::Add { dir, url, yes } => {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let descriptor = runtime.block_on(scheme::discover(&url))?;
            println!("{} ({})", descriptor.name, descriptor.id);
            for key in &descriptor.keys {
                println!("  key {}  fingerprint {}", key.kid, key.fingerprint());
            }
            secrets::confirm(
                "Check the fingerprint with the organisation before you trust it.",
                "yes",
                yes,
            )?;
            let pod = unlock(&dir)?;
            let mut current = pod::scheme::load(&pod)?;
            current.pin(descriptor);
            pod::scheme::save(&pod, &current)?;
            println!(
                "Pinned. Your pod now knows {} organisation(s).",
                current.organisations.len()
            );
            Ok(())
        }
        SchemeCommand::List { dir, json } => {
            let pod = unlock(&dir)?;
            let current = pod::scheme::load(&pod)?;
            if json {
                let list: Vec<serde_json::Value> = current
                    .organisations
                    .iter()
                    .map(|o| {
                        serde_json::json!({
                            "id": o.id, "name": o.name, "base_url": o.base_url,
                            "keys": o.keys.iter().map(|k| serde_json::json!({"kid": k.kid, "fingerprint": k.fingerprint(), "revoked": k.revoked, "not_after": k.not_after})).collect::<Vec<_>>(),
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
                return Ok(());
            }
            if current.organisations.is_empty() {
                println!("No organisations yet. Add one with `pod scheme add URL` or import a scheme.");
            }
            for o in &current.organisations {
                println!("{}  {}  {}", o.id, o.name, o.base_url);
                for key in &o.keys {
                    let state = if key.revoked { " (revoked)" } else { "" };
                    println!("    key {}  {}{state}", key.kid, key.fingerprint());
                }
            }
            Ok(())
        }
    }
}
