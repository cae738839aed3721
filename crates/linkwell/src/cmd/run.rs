//! `linkwell run` (the inline proxy) and `linkwell killswitch`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use linkwell_audit::{AuditConfig, AuditLog, FsyncPolicy};
use linkwell_gateway::{Gateway, Guard, OAuthConfig, ProxyConfig, Switches};
use linkwell_scan::ScanConfig;

use crate::cli::{KillswitchArgs, RunArgs, SwitchState};

/// The sections of one `linkwell.toml` that the proxy uses.
struct RunConfig {
    proxy: ProxyConfig,
    oauth: OAuthConfig,
    scan: ScanConfig,
}

fn load(path: &Path) -> anyhow::Result<RunConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config {}", path.display()))?;
    let mut table: toml::Table =
        toml::from_str(&text).with_context(|| format!("invalid config {}", path.display()))?;
    let proxy = table
        .remove("proxy")
        .with_context(|| format!("{} has no [proxy] section", path.display()))?;
    let oauth = table.remove("oauth");
    let mut proxy: ProxyConfig = proxy
        .try_into()
        .with_context(|| format!("invalid [proxy] section in {}", path.display()))?;
    let mut oauth: OAuthConfig = match oauth {
        Some(o) => o
            .try_into()
            .with_context(|| format!("invalid [oauth] section in {}", path.display()))?,
        None => OAuthConfig::default(),
    };
    let scan: ScanConfig = toml::Value::Table(table)
        .try_into()
        .with_context(|| format!("invalid config {}", path.display()))?;
    if let Some(dir) = path.parent() {
        resolve_paths(&mut proxy, &mut oauth, dir);
    }
    Ok(RunConfig { proxy, oauth, scan })
}

/// Files named in the config are relative to the config file.
fn resolve_paths(p: &mut ProxyConfig, o: &mut OAuthConfig, dir: &Path) {
    let fix = |f: &mut PathBuf| {
        if f.is_relative() {
            *f = dir.join(&*f);
        }
    };
    for l in &mut p.listeners {
        if let Some(t) = &mut l.tls {
            fix(&mut t.cert);
            fix(&mut t.key);
            t.client_ca.iter_mut().for_each(fix);
        }
    }
    for u in &mut p.upstreams {
        u.ca.iter_mut().for_each(fix);
    }
    for r in &mut p.routes {
        if let Some(m) = &mut r.mtls {
            fix(&mut m.trust);
            m.crls.iter_mut().for_each(fix);
        }
    }
    p.audit_dir.iter_mut().for_each(fix);
    p.api_keys.iter_mut().for_each(fix);
    if let Some(a) = &mut p.admin {
        a.token_file.iter_mut().for_each(fix);
    }
    for i in &mut o.issuers {
        i.jwks_file.iter_mut().for_each(fix);
        i.ca.iter_mut().for_each(fix);
        if let Some(x) = &mut i.introspection {
            fix(&mut x.client_secret_file);
        }
    }
    o.deny_list.iter_mut().for_each(fix);
}

pub(crate) fn run(a: &RunArgs) -> anyhow::Result<ExitCode> {
    let cfg = load(&a.config)?;
    let audit = match &cfg.proxy.audit_dir {
        Some(dir) => Some(
            AuditLog::open(
                dir,
                AuditConfig {
                    // The proxy never waits for the disk per call: records are
                    // written in batches and synced every 100 ms.
                    fsync: FsyncPolicy::IntervalMs(100),
                    ..AuditConfig::default()
                },
            )
            .with_context(|| format!("cannot open the audit trail in {}", dir.display()))?,
        ),
        None => None,
    };
    let guard = Guard::new(
        Switches::new(cfg.proxy.mode, cfg.proxy.kill_switch),
        cfg.scan.engine.clone(),
        cfg.scan.inventory.clone(),
        audit,
        Duration::from_secs(cfg.proxy.blocking.block_secs),
        cfg.proxy.blocking.max_blocked,
    );
    let path = a.config.clone();
    let reloader: Box<linkwell_gateway::Reloader> = Box::new(move || {
        load(&path)
            .map(|c| (c.proxy, c.oauth))
            .map_err(|e| format!("{e:#}"))
    });
    let gw = Gateway::new(&cfg.proxy, &cfg.oauth, guard, Some(reloader))
        .context("cannot start the proxy")?;
    let workers =
        linkwell_gateway::server::start_workers(gw.clone(), &cfg.proxy, cfg.proxy.workers())
            .context("cannot start the proxy")?;
    if !a.quiet {
        for addr in &workers.addrs {
            eprintln!(
                "linkwell: proxy listening on {addr} ({} worker threads)",
                cfg.proxy.workers()
            );
        }
        if let Some(addr) = workers.admin {
            eprintln!("linkwell: admin endpoint on http://{addr}");
        }
        eprintln!(
            "linkwell: mode {}{}",
            gw.guard.switches.mode().name(),
            if gw.guard.switches.kill_switch() {
                ", kill switch ON"
            } else {
                ""
            }
        );
    }
    // The main thread only waits for signals; the workers serve.
    let signals = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the signal handler")?;
    signals.block_on(wait_for_stop(&gw, a.quiet));
    if !a.quiet {
        eprintln!("linkwell: draining calls in flight");
    }
    workers.shutdown(&gw);
    Ok(ExitCode::SUCCESS)
}

/// Returns on Ctrl-C or SIGTERM; SIGHUP reloads the config meanwhile.
async fn wait_for_stop(gw: &Arc<Gateway>, quiet: bool) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => return,
                _ = term.recv() => return,
                _ = hup.recv() => match gw.reload("SIGHUP") {
                    Ok(n) if !quiet => eprintln!("linkwell: config reloaded ({n} routes)"),
                    Ok(_) => {}
                    Err(e) => eprintln!("linkwell: reload refused, old config kept: {e}"),
                },
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (gw, quiet);
        let _ = tokio::signal::ctrl_c().await;
    }
}

pub(crate) fn killswitch(a: &KillswitchArgs) -> anyhow::Result<ExitCode> {
    let (mut admin, mut token) = (None, a.token.clone());
    if let Some(c) = &a.config {
        let cfg = load(c)?;
        if let Some(ad) = cfg.proxy.admin {
            admin = Some(ad.listen.to_string());
            if token.is_none() {
                token = match (ad.token, ad.token_file) {
                    (Some(t), _) => Some(t),
                    (None, Some(f)) => Some(
                        std::fs::read_to_string(&f)
                            .with_context(|| format!("cannot read {}", f.display()))?
                            .trim()
                            .to_string(),
                    ),
                    _ => None,
                };
            }
        }
    }
    let target = a
        .admin
        .clone()
        .or(admin)
        .unwrap_or_else(|| "127.0.0.1:9901".to_string());
    let addr = target
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let (method, path, body) = match a.state {
        SwitchState::Status => ("GET", "/admin/state", String::new()),
        s => (
            "POST",
            "/admin/killswitch",
            serde_json::json!({
                "on": s == SwitchState::On,
                "reason": a.reason,
                "actor": format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into())),
            })
            .to_string(),
        ),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (status, text) = runtime.block_on(call(&addr, method, path, token.as_deref(), body))?;
    if !(200..300).contains(&status) {
        bail!("the admin endpoint at {addr} answered {status}: {text}");
    }
    if a.json {
        println!("{text}");
    } else {
        let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        println!(
            "kill switch {} — mode {}, enforcing {}",
            if v["kill_switch"].as_bool() == Some(true) {
                "ON (pass-through)"
            } else {
                "off"
            },
            v["mode"].as_str().unwrap_or("?"),
            v["enforcing"]
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn call(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: String,
) -> anyhow::Result<(u16, String)> {
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .with_context(|| {
            format!("cannot reach the admin endpoint at {addr} (is `linkwell run` running?)")
        })?;
    let (mut send, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tcp)).await?;
    tokio::spawn(conn);
    let mut req = http::Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr)
        .header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let resp = send
        .send_request(req.body(Full::new(Bytes::from(body)))?)
        .await?;
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await?.to_bytes();
    Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
}
