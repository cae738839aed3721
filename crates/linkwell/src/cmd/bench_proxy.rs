//! `linkwell bench proxy`: the three-way proxy benchmark of the inline mode.
//!
//! One run on this machine, one load generator, four targets: the upstream
//! directly, NGINX as a plain reverse proxy, NGINX terminating TLS with
//! client certificates (the fair comparison for a TLS proxy), and Linkwell
//! in enforce mode with mTLS, a JWT on every call and every detector on.
//! Everything it needs (CA, server and client certificates, a signing key,
//! JWKS, configs) is generated into a scratch directory so the numbers can
//! be reproduced by anyone with NGINX installed.

use std::io::Write as _;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use http::{HeaderName, HeaderValue};
use linkwell_loadgen::{Load, Report, Target, TlsTarget};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType,
};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

use crate::cli::BenchProxyArgs;

/// A child process killed when the benchmark ends, however it ends.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn proxy(a: &BenchProxyArgs) -> anyhow::Result<ExitCode> {
    let scratch;
    let dir: PathBuf = match &a.dir {
        Some(d) => {
            std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
            d.clone()
        }
        None => {
            scratch = tempfile::tempdir().context("cannot create a scratch directory")?;
            scratch.path().to_path_buf()
        }
    };
    let nginx = which(&a.nginx).with_context(|| {
        format!(
            "NGINX ('{}') is needed for the comparison; install it (apt-get install nginx) or pass --nginx PATH",
            a.nginx
        )
    })?;
    let pki = Pki::generate(&dir)?;
    let jwt = Jwt::generate(&dir)?;

    let ports = Ports {
        upstream: free_port()?,
        nginx: free_port()?,
        nginx_tls: free_port()?,
        nginx_hook: free_port()?,
        linkwell: free_port()?,
        hook: free_port()?,
        admin: free_port()?,
    };
    std::fs::write(
        dir.join("upstream.conf"),
        upstream_conf(&dir, ports.upstream),
    )?;
    std::fs::write(dir.join("nginx.conf"), nginx_conf(&dir, &ports))?;
    std::fs::write(dir.join("linkwell.toml"), linkwell_conf(&dir, &ports))?;

    let _upstream = spawn(
        &nginx,
        &["-p", path(&dir)?, "-c", "upstream.conf"],
        "upstream",
    )?;
    let _nginx = spawn(&nginx, &["-p", path(&dir)?, "-c", "nginx.conf"], "nginx")?;
    let exe = std::env::current_exe().context("cannot find the linkwell executable")?;
    let linkwell_cfg = dir.join("linkwell.toml");
    let _linkwell = spawn(
        &exe,
        &["run", "--quiet", "-c", path(&linkwell_cfg)?],
        "linkwell",
    )?;
    for (port, who) in [
        (ports.upstream, "upstream NGINX"),
        (ports.nginx, "NGINX"),
        (ports.nginx_tls, "NGINX (TLS)"),
        (ports.nginx_hook, "NGINX (auth_request)"),
        (ports.linkwell, "linkwell run"),
        (ports.hook, "linkwell auth_request hook"),
    ] {
        wait_for(port, who)?;
    }

    let local = |port| SocketAddr::from(([127, 0, 0, 1], port));
    let tls = TlsTarget {
        config: pki.client_config()?,
        server_name: ServerName::try_from("localhost")?.to_owned(),
    };
    let bearer = (
        HeaderName::from_static("authorization"),
        HeaderValue::from_str(&format!("Bearer {}", jwt.token))?,
    );
    let targets = [
        (
            "upstream directly (HTTP)",
            local(ports.upstream),
            None,
            vec![],
        ),
        ("NGINX proxy (HTTP)", local(ports.nginx), None, vec![]),
        (
            "NGINX proxy (TLS + mTLS)",
            local(ports.nginx_tls),
            Some(tls.clone()),
            vec![],
        ),
        (
            "NGINX + Linkwell auth_request (HTTP, JWT + checks)",
            local(ports.nginx_hook),
            None,
            vec![bearer.clone()],
        ),
        (
            "Linkwell enforce (TLS + mTLS + JWT + detectors)",
            local(ports.linkwell),
            Some(tls),
            vec![bearer],
        ),
    ];

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(a.client_threads.max(1))
        .enable_all()
        .build()
        .context("cannot start the load generator's runtime")?;
    let warmup = Duration::from_secs(a.warmup);
    let measure = Duration::from_secs(a.seconds);
    let mut rows = Vec::new();
    for (name, addr, tls, headers) in targets {
        let target = Target {
            addr,
            // The hook's route is picked by host.
            authority: if addr.port() == ports.nginx_hook {
                "hook.bench".into()
            } else {
                "localhost".into()
            },
            path: "/api/v1/accounts/42/balance".into(),
            tls,
            headers,
        };
        let closed = runtime.block_on(linkwell_loadgen::run(
            &target,
            Load::Closed {
                connections: a.connections,
            },
            warmup,
            measure,
        ))?;
        let open = runtime.block_on(linkwell_loadgen::run(
            &target,
            Load::Open {
                rate_per_sec: a.rate,
                connections: a.connections.min(a.rate as usize).max(1),
            },
            warmup,
            measure,
        ))?;
        if !a.json {
            eprintln!(
                "{name}: {:.0} req/s, p50 {} µs, p99 {} µs at {}/s",
                closed.requests_per_sec, open.p50_us, open.p99_us, a.rate
            );
        }
        rows.push(Row { name, closed, open });
    }
    print_table(a, &rows)?;
    if rows.iter().any(|r| r.closed.ok == 0 || r.open.ok == 0) {
        eprintln!(
            "some target answered no request with 2xx; see the logs in {}",
            dir.display()
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

struct Row {
    name: &'static str,
    closed: Report,
    open: Report,
}

fn print_table(a: &BenchProxyArgs, rows: &[Row]) -> anyhow::Result<()> {
    if a.json {
        let out: Vec<_> = rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "target": r.name,
                    "throughput": r.closed,
                    "latency_at_rate": r.open,
                    "rate": a.rate,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    let direct_p99 = rows.first().map_or(0, |r| r.open.p99_us);
    let nginx_rps = rows.get(1).map_or(0.0, |r| r.closed.requests_per_sec);
    println!(
        "\n{} connections closed-loop for {} s (throughput); open loop at {} req/s for {} s (latency)\n",
        a.connections, a.seconds, a.rate, a.seconds
    );
    println!(
        "{:<50} {:>10} {:>8} {:>9} {:>9} {:>11} {:>7}",
        "target", "req/s", "×NGINX", "p50 µs", "p99 µs", "+p99 µs", "non-2xx"
    );
    for r in rows {
        let ratio = if nginx_rps > 0.0 {
            r.closed.requests_per_sec / nginx_rps
        } else {
            0.0
        };
        println!(
            "{:<50} {:>10.0} {:>8.2} {:>9} {:>9} {:>11} {:>7}",
            r.name,
            r.closed.requests_per_sec,
            ratio,
            r.open.p50_us,
            r.open.p99_us,
            r.open.p99_us as i64 - direct_p99 as i64,
            r.closed.non_2xx + r.open.non_2xx + r.closed.errors + r.open.errors,
        );
    }
    Ok(())
}

struct Ports {
    upstream: u16,
    nginx: u16,
    nginx_tls: u16,
    /// NGINX asking Linkwell's auth_request hook about every call.
    nginx_hook: u16,
    linkwell: u16,
    hook: u16,
    admin: u16,
}

fn free_port() -> anyhow::Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").context("cannot bind a loopback port")?;
    Ok(l.local_addr()?.port())
}

fn wait_for(port: u16, who: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!("{who} did not start listening on 127.0.0.1:{port} within 20 s")
}

fn which(name: &str) -> anyhow::Result<PathBuf> {
    let p = Path::new(name);
    if p.components().count() > 1 {
        return p.is_file().then(|| p.to_path_buf()).context("not a file");
    }
    let search = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&search)
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .map(|d| d.join(name))
        .find(|c| c.is_file())
        .context("not found on PATH")
}

fn path(p: &Path) -> anyhow::Result<&str> {
    p.to_str()
        .with_context(|| format!("{} is not valid UTF-8", p.display()))
}

fn spawn(exe: &Path, args: &[&str], who: &'static str) -> anyhow::Result<Guard> {
    let child = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot start {who} ({})", exe.display()))?;
    Ok(Guard(child))
}

/// The part every NGINX config here shares: foreground, its own pid and
/// error log in `dir`, no access log, long keep-alive.
fn nginx_head(dir: &Path, name: &str, workers: &str) -> String {
    format!(
        "daemon off;\nworker_processes {workers};\npid {dir}/{name}.pid;\n\
         error_log {dir}/{name}-error.log warn;\nevents {{ worker_connections 4096; }}\n\
         http {{\n  access_log off;\n  keepalive_requests 1000000;\n",
        dir = dir.display()
    )
}

/// NGINX answering a small JSON body: the API being protected. NGINX is
/// used so the upstream costs the same, very little, for every target.
fn upstream_conf(dir: &Path, port: u16) -> String {
    format!(
        r#"{head}  server {{
    listen 127.0.0.1:{port} reuseport;
    location / {{
      default_type application/json;
      return 200 '{{"account":"42","balance":"1024.00","currency":"EUR"}}';
    }}
  }}
}}
"#,
        head = nginx_head(dir, "upstream", "1")
    )
}

/// How NGINX forwards to the upstream, with keep-alive to it.
const NGINX_PROXY: &str = r#"    location / {
      proxy_pass http://api;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $remote_addr;
    }
"#;

/// NGINX as the plain reverse proxy people already run, tuned the way a
/// production config is (upstream keep-alive), once over HTTP and once
/// terminating TLS with required client certificates.
fn nginx_conf(dir: &Path, p: &Ports) -> String {
    format!(
        r#"{head}  upstream api {{ server 127.0.0.1:{up}; keepalive 64; }}
  server {{
    listen 127.0.0.1:{plain};
{NGINX_PROXY}  }}
  server {{
    listen 127.0.0.1:{tls} ssl;
    ssl_certificate {dir}/server.pem;
    ssl_certificate_key {dir}/server.key;
    ssl_client_certificate {dir}/ca.pem;
    ssl_verify_client on;
    ssl_protocols TLSv1.2 TLSv1.3;
{NGINX_PROXY}  }}
  server {{
    listen 127.0.0.1:{hook_front};
    location / {{
      auth_request /_linkwell;
      proxy_pass http://api;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }}
    location = /_linkwell {{
      internal;
      proxy_pass http://linkwell_hook;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URI $request_uri;
      proxy_set_header X-Original-Method $request_method;
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header Host $host;
    }}
  }}
  upstream linkwell_hook {{ server 127.0.0.1:{hook}; keepalive 64; }}
}}
"#,
        hook_front = p.nginx_hook,
        hook = p.hook,
        head = nginx_head(dir, "nginx", "auto"),
        dir = dir.display(),
        up = p.upstream,
        plain = p.nginx,
        tls = p.nginx_tls,
    )
}

/// Linkwell in enforce mode: TLS with a required, chain-verified client
/// certificate, a bearer token checked against a JWKS on every call, and
/// the full engine (every detector) on every call.
fn linkwell_conf(dir: &Path, p: &Ports) -> String {
    format!(
        r#"[proxy]
mode = "enforce"

[proxy.admin]
listen = "127.0.0.1:{admin}"

[proxy.auth_request]
listen = "127.0.0.1:{hook}"
trusted_gateways = ["127.0.0.1"]

[[proxy.listeners]]
listen = "127.0.0.1:{port}"
[proxy.listeners.tls]
cert = "{dir}/server.pem"
key = "{dir}/server.key"
client_ca = "{dir}/ca.pem"

[[proxy.upstreams]]
name = "api"
url = "http://127.0.0.1:{up}"

[[proxy.routes]]
name = "accounts"
path_prefix = "/"
upstream = "api"
[proxy.routes.mtls]
mode = "required"
trust = "{dir}/ca.pem"
[proxy.routes.jwt]
issuer = "https://idp.bench.example"
audience = "accounts-api"
[proxy.routes.jwt.scopes]
GET = ["accounts:read"]

# The same API behind NGINX, checked through the auth_request hook (NGINX
# serves plain HTTP here, so no client certificate).
[[proxy.routes]]
name = "accounts-via-nginx"
hosts = ["hook.bench"]
path_prefix = "/"
upstream = "api"
[proxy.routes.jwt]
issuer = "https://idp.bench.example"
audience = "accounts-api"
[proxy.routes.jwt.scopes]
GET = ["accounts:read"]

[oauth]
[[oauth.issuers]]
issuer = "https://idp.bench.example"
jwks_file = "{dir}/jwks.json"
algorithms = ["ES256"]
audiences = ["accounts-api"]
"#,
        dir = dir.display(),
        admin = p.admin,
        port = p.linkwell,
        hook = p.hook,
        up = p.upstream,
    )
}

/// A private CA with a server certificate for `localhost` and one client
/// certificate, written as PEM files the way an operator would have them.
struct Pki {
    ca: CertificateDer<'static>,
    client_cert: CertificateDer<'static>,
    client_key: PrivateKeyDer<'static>,
}

impl Pki {
    fn generate(dir: &Path) -> anyhow::Result<Pki> {
        let mut ca = CertificateParams::new(Vec::<String>::new())?;
        ca.distinguished_name
            .push(DnType::CommonName, "Linkwell bench CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let issuer = CertifiedIssuer::self_signed(ca, KeyPair::generate()?)?;

        let server_key = KeyPair::generate()?;
        let mut server = CertificateParams::new(vec!["localhost".to_string()])?;
        server
            .subject_alt_names
            .push(SanType::IpAddress([127, 0, 0, 1].into()));
        server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server_cert = server.signed_by(&server_key, &issuer)?;

        let client_key = KeyPair::generate()?;
        let mut client = CertificateParams::new(Vec::<String>::new())?;
        client
            .distinguished_name
            .push(DnType::CommonName, "bench-client");
        client
            .subject_alt_names
            .push(SanType::URI("spiffe://bench.example/client".try_into()?));
        client.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let client_cert = client.signed_by(&client_key, &issuer)?;

        write(dir.join("ca.pem"), issuer.pem())?;
        write(dir.join("server.pem"), server_cert.pem())?;
        write(dir.join("server.key"), server_key.serialize_pem())?;
        write(dir.join("client.pem"), client_cert.pem())?;
        write(dir.join("client.key"), client_key.serialize_pem())?;
        Ok(Pki {
            ca: issuer.der().clone(),
            client_cert: client_cert.der().clone(),
            client_key: PrivateKeyDer::from_pem_slice(client_key.serialize_pem().as_bytes())
                .context("rcgen wrote a key rustls cannot read")?,
        })
    }

    fn client_config(&self) -> anyhow::Result<Arc<rustls::ClientConfig>> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.ca.clone())?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_client_auth_cert(vec![self.client_cert.clone()], self.client_key.clone_key())?;
        cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(cfg))
    }
}

/// An ES256 key, its JWKS and one token valid for a day with the scope
/// the benchmark route requires.
struct Jwt {
    token: String,
}

impl Jwt {
    fn generate(dir: &Path) -> anyhow::Result<Jwt> {
        let rng = SystemRandom::new();
        let pk8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| anyhow::anyhow!("cannot generate a P-256 key"))?;
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pk8.as_ref(), &rng)
            .map_err(|_| anyhow::anyhow!("cannot load the P-256 key"))?;
        // Uncompressed point: 0x04 ‖ x ‖ y.
        let public = key.public_key().as_ref();
        let (x, y) = (&public[1..33], &public[33..65]);
        let b64 = linkwell_jwt::b64url_encode;
        let jwks = serde_json::json!({"keys": [{
            "kty": "EC", "crv": "P-256", "kid": "bench-1", "use": "sig", "alg": "ES256",
            "x": b64(x), "y": b64(y),
        }]});
        write(dir.join("jwks.json"), serde_json::to_string_pretty(&jwks)?)?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs();
        let header = serde_json::json!({"alg": "ES256", "typ": "JWT", "kid": "bench-1"});
        let claims = serde_json::json!({
            "iss": "https://idp.bench.example", "aud": "accounts-api", "sub": "customer-42",
            "scope": "accounts:read", "iat": now, "nbf": now, "exp": now + 86_400,
            "jti": "bench-token-1",
        });
        let signing_input = format!(
            "{}.{}",
            b64(serde_json::to_vec(&header)?.as_slice()),
            b64(serde_json::to_vec(&claims)?.as_slice())
        );
        let sig = key
            .sign(&rng, signing_input.as_bytes())
            .map_err(|_| anyhow::anyhow!("cannot sign the benchmark token"))?;
        Ok(Jwt {
            token: format!("{signing_input}.{}", b64(sig.as_ref())),
        })
    }
}

fn write(p: PathBuf, text: impl AsRef<[u8]>) -> anyhow::Result<()> {
    let mut f =
        std::fs::File::create(&p).with_context(|| format!("cannot write {}", p.display()))?;
    f.write_all(text.as_ref())?;
    Ok(())
}
