//! `linkwell keys`: the API-key registry the proxy checks keys against.

use std::process::ExitCode;

use anyhow::Context;
use linkwell_apikey::{KeyEntry, KeyStatus, Registry};
use linkwell_audit::{AdminEvent, AuditConfig, AuditEvent, AuditLog};

use crate::cli::{KeysCommand, KeysRegistryArg};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn load(r: &KeysRegistryArg) -> anyhow::Result<Registry> {
    linkwell_apikey::load(&r.registry).context("cannot read the key registry")
}

fn save(reg: &Registry, r: &KeysRegistryArg) -> anyhow::Result<()> {
    linkwell_apikey::save(reg, &r.registry).context("cannot write the key registry")
}

fn entry_json(e: &KeyEntry) -> serde_json::Value {
    let (status, reason) = match &e.status {
        KeyStatus::Active => ("active", None),
        KeyStatus::Revoked { reason, .. } => ("revoked", Some(reason.clone())),
    };
    serde_json::json!({
        "id": e.id, "owner": e.owner, "status": status, "revoked_reason": reason,
        "scopes": e.scopes, "routes": e.routes, "rate_plan": e.rate_plan,
        "created": e.created, "expires": e.expires, "rotated": e.rotated,
    })
}

pub(crate) fn run(cmd: KeysCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        KeysCommand::Add(a) => {
            let mut reg = load(&a.reg)?;
            let expires = a.expires_days.map(|d| now() + i64::from(d) * 86_400);
            let issued = reg.add(&a.owner, a.scopes, a.routes, a.rate_plan, expires, now())?;
            save(&reg, &a.reg)?;
            if a.reg.json {
                println!(
                    "{}",
                    serde_json::json!({"id": issued.id, "key": issued.key})
                );
            } else {
                println!("{}", issued.key);
                eprintln!(
                    "key {} issued to {}; this is the only time it is shown",
                    issued.id, a.owner
                );
            }
        }
        KeysCommand::Rotate(a) => {
            let mut reg = load(&a.reg)?;
            let issued = reg.rotate(&a.id, a.grace_secs, now())?;
            save(&reg, &a.reg)?;
            if a.reg.json {
                println!(
                    "{}",
                    serde_json::json!({"id": issued.id, "key": issued.key, "grace_secs": a.grace_secs})
                );
            } else {
                println!("{}", issued.key);
                eprintln!(
                    "key {} rotated; the old secret works for {} more seconds",
                    issued.id, a.grace_secs
                );
            }
        }
        KeysCommand::Revoke(a) => {
            let mut reg = load(&a.reg)?;
            reg.revoke(&a.id, &a.reason, now())?;
            save(&reg, &a.reg)?;
            if let Some(dir) = &a.audit {
                let log = AuditLog::open(dir, AuditConfig::default())
                    .with_context(|| format!("cannot open the audit trail in {}", dir.display()))?;
                let actor = format!(
                    "cli:{}",
                    std::env::var("USER").unwrap_or_else(|_| "unknown".into())
                );
                let receipt = log.append(&AuditEvent::Admin(AdminEvent::KeyRevocation {
                    key_id: a.id.clone(),
                    actor,
                    reason: a.reason.clone(),
                }))?;
                log.close()?;
                eprintln!("recorded as {}", receipt.decision_id);
            }
            if a.reg.json {
                println!("{}", serde_json::json!({"id": a.id, "revoked": true}));
            } else {
                println!("key {} revoked", a.id);
            }
        }
        KeysCommand::List(a) => {
            let reg = load(&a.reg)?;
            if a.reg.json {
                let all: Vec<_> = reg.keys().map(entry_json).collect();
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else {
                println!(
                    "{:<14} {:<24} {:<8} {:<24} routes",
                    "id", "owner", "status", "scopes"
                );
                for e in reg.keys() {
                    let status = match e.status {
                        KeyStatus::Active if e.expires.is_some_and(|x| x <= now()) => "expired",
                        KeyStatus::Active => "active",
                        KeyStatus::Revoked { .. } => "revoked",
                    };
                    println!(
                        "{:<14} {:<24} {:<8} {:<24} {}",
                        e.id,
                        e.owner,
                        status,
                        e.scopes.join(","),
                        if e.routes.is_empty() {
                            "*".to_string()
                        } else {
                            e.routes.join(",")
                        }
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
