//! A real proxy on loopback for the tests: certificates from rcgen, a small
//! upstream API, an ES256 issuer, and a client that speaks TLS with or
//! without a client certificate.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use linkwell_audit::{AuditConfig, AuditEvent, AuditLog, FsyncPolicy};
use linkwell_gateway::server::Running;
use linkwell_gateway::{Gateway, Guard, OAuthConfig, ProxyConfig, Switches};
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CertifiedIssuer, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyIdMethod, KeyPair, KeyUsagePurpose, RevokedCertParams,
    SanType, SerialNumber, date_time_ymd,
};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

pub type Ca = CertifiedIssuer<'static, KeyPair>;

/// A client identity: certificate chain and key.
#[derive(Clone)]
pub struct Identity {
    pub cert: CertificateDer<'static>,
    pub key_pem: String,
}

pub struct Pki {
    pub ca: Ca,
    pub good: Identity,
    pub expired: Identity,
    pub unknown: Identity,
    pub revoked: Identity,
    pub wrong_eku: Identity,
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_before = date_time_ymd(2020, 1, 1);
    p.not_after = date_time_ymd(2040, 1, 1);
    p
}

fn leaf(
    cn: &str,
    serial: u64,
    eku: ExtendedKeyUsagePurpose,
    years: (i32, i32),
    ca: &Ca,
) -> Identity {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.subject_alt_names.push(SanType::URI(
        format!("spiffe://bank.test/{cn}").try_into().unwrap(),
    ));
    p.serial_number = Some(SerialNumber::from(serial));
    p.not_before = date_time_ymd(years.0, 1, 1);
    p.not_after = date_time_ymd(years.1, 1, 1);
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![eku];
    p.use_authority_key_identifier_extension = true;
    let key = KeyPair::generate().unwrap();
    let cert = p.signed_by(&key, ca).unwrap();
    Identity {
        cert: cert.der().clone(),
        key_pem: key.serialize_pem(),
    }
}

pub const REVOKED_SERIAL: u64 = 0x0bad;

impl Pki {
    pub fn new() -> Pki {
        let ca =
            CertifiedIssuer::self_signed(ca_params("Bank Test CA"), KeyPair::generate().unwrap())
                .unwrap();
        let other_ca =
            CertifiedIssuer::self_signed(ca_params("Rogue CA"), KeyPair::generate().unwrap())
                .unwrap();
        let client = ExtendedKeyUsagePurpose::ClientAuth;
        Pki {
            good: leaf("tpp-good", 0x1001, client.clone(), (2025, 2035), &ca),
            expired: leaf("tpp-expired", 0x1002, client.clone(), (2020, 2021), &ca),
            unknown: leaf(
                "tpp-unknown",
                0x1003,
                client.clone(),
                (2025, 2035),
                &other_ca,
            ),
            revoked: leaf("tpp-revoked", REVOKED_SERIAL, client, (2025, 2035), &ca),
            wrong_eku: leaf(
                "tpp-server",
                0x1005,
                ExtendedKeyUsagePurpose::ServerAuth,
                (2025, 2035),
                &ca,
            ),
            ca,
        }
    }

    /// Writes the CA, the server certificate and a CRL revoking `serials`.
    pub fn write(&self, dir: &Path, revoked: &[u64]) {
        std::fs::write(dir.join("ca.pem"), self.ca.pem()).unwrap();
        let mut p = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        p.subject_alt_names
            .push(SanType::IpAddress([127, 0, 0, 1].into()));
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate().unwrap();
        let cert = p.signed_by(&key, &self.ca).unwrap();
        std::fs::write(dir.join("server.pem"), cert.pem()).unwrap();
        std::fs::write(dir.join("server.key"), key.serialize_pem()).unwrap();
        self.write_crl(dir, revoked);
    }

    pub fn write_crl(&self, dir: &Path, revoked: &[u64]) {
        let crl = CertificateRevocationListParams {
            this_update: date_time_ymd(2025, 1, 1),
            next_update: date_time_ymd(2039, 1, 1),
            crl_number: SerialNumber::from(revoked.len() as u64 + 1),
            issuing_distribution_point: None,
            revoked_certs: revoked
                .iter()
                .map(|s| RevokedCertParams {
                    serial_number: SerialNumber::from(*s),
                    revocation_time: date_time_ymd(2025, 6, 1),
                    reason_code: None,
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        }
        .signed_by(&self.ca)
        .unwrap();
        // Write then rename, as an operator's tooling would, so a reader
        // never sees half a file.
        let tmp = dir.join("crl.pem.tmp");
        std::fs::write(&tmp, crl.pem().unwrap()).unwrap();
        std::fs::rename(tmp, dir.join("crl.pem")).unwrap();
    }

    pub fn client_config(&self, who: Option<&Identity>) -> Arc<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.ca.der().clone()).unwrap();
        let b = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
        let mut cfg = match who {
            Some(id) => b
                .with_client_auth_cert(
                    vec![id.cert.clone()],
                    PrivateKeyDer::from_pem_slice(id.key_pem.as_bytes()).unwrap(),
                )
                .unwrap(),
            None => b.with_no_client_auth(),
        };
        cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
        Arc::new(cfg)
    }
}

/// An ES256 issuer: its JWKS is written to `dir/jwks.json`.
pub struct Issuer {
    key: EcdsaKeyPair,
    pub kid: String,
}

pub const ISSUER: &str = "https://idp.bank.test";
pub const AUDIENCE: &str = "accounts-api";

pub fn b64(b: &[u8]) -> String {
    linkwell_jwt::b64url_encode(b)
}

pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

impl Issuer {
    pub fn new(dir: &Path) -> Issuer {
        let rng = SystemRandom::new();
        let pk8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let key =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pk8.as_ref(), &rng).unwrap();
        let public = key.public_key().as_ref();
        let jwks = serde_json::json!({"keys": [{
            "kty": "EC", "crv": "P-256", "kid": "k1", "use": "sig", "alg": "ES256",
            "x": b64(&public[1..33]), "y": b64(&public[33..65]),
        }]});
        std::fs::write(dir.join("jwks.json"), jwks.to_string()).unwrap();
        Issuer {
            key,
            kid: "k1".into(),
        }
    }

    /// Signs `claims` (merged over valid defaults) with `header`.
    pub fn token_with(&self, header: serde_json::Value, claims: serde_json::Value) -> String {
        let now = now_secs();
        let mut c = serde_json::json!({
            "iss": ISSUER, "aud": AUDIENCE, "sub": "customer-42", "scope": "accounts:read",
            "iat": now, "exp": now + 600, "jti": "t-1",
        });
        for (k, v) in claims.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(c.to_string().as_bytes())
        );
        let sig = self
            .key
            .sign(&SystemRandom::new(), input.as_bytes())
            .unwrap();
        format!("{input}.{}", b64(sig.as_ref()))
    }

    pub fn token(&self, claims: serde_json::Value) -> String {
        self.token_with(
            serde_json::json!({"alg": "ES256", "typ": "JWT", "kid": self.kid}),
            claims,
        )
    }
}

/// What the upstream saw of one request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

/// The API behind the proxy. `POST /api/v1/auth/login` answers 401 unless
/// the body says `"password":"right"`; `/slow` takes 3 s; everything else
/// answers 200 with a small JSON body.
pub struct Upstream {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    pub count: Arc<AtomicU64>,
}

impl Upstream {
    pub async fn start() -> Upstream {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let count = Arc::new(AtomicU64::new(0));
        let (s, c) = (seen.clone(), count.clone());
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (s, c) = (s.clone(), c.clone());
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(
                        move |req: http::Request<hyper::body::Incoming>| {
                            let (s, c) = (s.clone(), c.clone());
                            async move {
                                c.fetch_add(1, Ordering::SeqCst);
                                let path = req.uri().path().to_string();
                                let headers = req
                                    .headers()
                                    .iter()
                                    .map(|(k, v)| {
                                        (
                                            k.as_str().to_string(),
                                            v.to_str().unwrap_or("").to_string(),
                                        )
                                    })
                                    .collect();
                                let body = req
                                    .into_body()
                                    .collect()
                                    .await
                                    .map(|b| b.to_bytes().to_vec())
                                    .unwrap_or_default();
                                let status = if path == "/api/v1/auth/login" {
                                    if String::from_utf8_lossy(&body)
                                        .contains("\"password\":\"right\"")
                                    {
                                        200
                                    } else {
                                        401
                                    }
                                } else {
                                    200
                                };
                                if path == "/slow" {
                                    tokio::time::sleep(Duration::from_secs(3)).await;
                                }
                                s.lock().unwrap().push(Seen {
                                    path,
                                    headers,
                                    body,
                                });
                                let mut r = http::Response::new(Full::new(Bytes::from_static(
                                    b"{\"ok\":true}",
                                )));
                                *r.status_mut() = http::StatusCode::from_u16(status).unwrap();
                                r.headers_mut()
                                    .insert("content-type", "application/json".parse().unwrap());
                                r.headers_mut()
                                    .insert("connection", "keep-alive".parse().unwrap());
                                Ok::<_, Infallible>(r)
                            }
                        },
                    );
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tcp), svc)
                        .await;
                });
            }
        });
        Upstream { addr, seen, count }
    }

    pub fn last(&self) -> Seen {
        self.seen
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("the upstream saw a request")
    }
}

/// A running proxy with its scratch directory and audit trail.
pub struct Proxy {
    pub gw: Arc<Gateway>,
    pub running: Option<Running>,
    pub workers: Option<linkwell_gateway::server::Workers>,
    pub addr: SocketAddr,
    pub admin: Option<SocketAddr>,
    pub dir: PathBuf,
    pub audit_dir: PathBuf,
    _tmp: tempfile::TempDir,
}

/// The config of a test proxy: `{dir}` is filled in.
pub async fn start(config: &str, setup: impl FnOnce(&Path)) -> Proxy {
    start_on(config, setup, None).await
}

/// [`start`] with `workers` threads of their own (as `linkwell run` does)
/// instead of the test's runtime.
pub async fn start_on(config: &str, setup: impl FnOnce(&Path), workers: Option<usize>) -> Proxy {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    setup(&dir);
    let text = config.replace("{dir}", dir.to_str().unwrap());
    let mut table: toml::Table = toml::from_str(&text).unwrap();
    let proxy: ProxyConfig = table.remove("proxy").unwrap().try_into().unwrap();
    let oauth: OAuthConfig = table
        .remove("oauth")
        .map(|o| o.try_into().unwrap())
        .unwrap_or_default();
    let audit_dir = dir.join("audit");
    let audit = AuditLog::open(
        &audit_dir,
        AuditConfig {
            fsync: FsyncPolicy::Never,
            ..AuditConfig::default()
        },
    )
    .unwrap();
    let guard = Guard::new(
        Switches::new(proxy.mode, proxy.kill_switch),
        linkwell_engine::EngineConfig::default(),
        linkwell_inventory::InventoryConfig::default(),
        Some(audit),
        Duration::from_secs(proxy.blocking.block_secs),
        proxy.blocking.max_blocked,
    );
    // The config as the proxy would read it from its file, so a test can
    // change the file and reload.
    let config_file = dir.join("proxy.toml");
    std::fs::write(&config_file, &text).unwrap();
    let reloader: Box<linkwell_gateway::Reloader> = Box::new(move || {
        let text = std::fs::read_to_string(&config_file).map_err(|e| e.to_string())?;
        let mut t: toml::Table = toml::from_str(&text).map_err(|e| e.to_string())?;
        let proxy: ProxyConfig = t
            .remove("proxy")
            .ok_or("no [proxy]")?
            .try_into()
            .map_err(|e: toml::de::Error| e.to_string())?;
        let oauth: OAuthConfig = match t.remove("oauth") {
            Some(o) => o.try_into().map_err(|e: toml::de::Error| e.to_string())?,
            None => OAuthConfig::default(),
        };
        Ok((proxy, oauth))
    });
    let gw = Gateway::new(&proxy, &oauth, guard, Some(reloader)).unwrap();
    if let Some(n) = workers {
        let w = linkwell_gateway::server::start_workers(gw.clone(), &proxy, n).unwrap();
        return Proxy {
            addr: w.addrs[0],
            admin: w.admin,
            running: None,
            workers: Some(w),
            gw,
            dir,
            audit_dir,
            _tmp: tmp,
        };
    }
    let running = linkwell_gateway::server::start(gw.clone(), &proxy)
        .await
        .unwrap();
    Proxy {
        addr: running.addrs[0],
        admin: running.admin,
        running: Some(running),
        workers: None,
        gw,
        dir,
        audit_dir,
        _tmp: tmp,
    }
}

impl Proxy {
    /// The audit record of a decision id (after flushing the trail).
    pub fn audit(&self, decision_id: &str) -> AuditEvent {
        self.gw.guard.flush();
        linkwell_audit::find(&self.audit_dir, decision_id)
            .unwrap()
            .unwrap_or_else(|| panic!("no audit record {decision_id}"))
            .record
            .event
    }

    pub fn call_audit(&self, decision_id: &str) -> linkwell_audit::CallAudit {
        match self.audit(decision_id) {
            AuditEvent::Call(c) => *c,
            other => panic!("not a call: {other:?}"),
        }
    }
}

/// An answer as the test needs it.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn decision(&self) -> String {
        self.headers
            .get("linkwell-decision-id")
            .expect("every answer names its decision")
            .to_str()
            .unwrap()
            .to_string()
    }
}

/// Sends one request on a new connection (TLS when `tls` is given).
pub async fn send(
    addr: SocketAddr,
    tls: Option<Arc<rustls::ClientConfig>>,
    req: http::Request<Full<Bytes>>,
) -> Answer {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let resp = match tls {
        None => {
            let (mut s, c) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
                .await
                .unwrap();
            tokio::spawn(c);
            s.send_request(req).await.unwrap()
        }
        Some(cfg) => {
            let stream = tokio_rustls::TlsConnector::from(cfg)
                .connect(ServerName::try_from("localhost").unwrap(), tcp)
                .await
                .unwrap();
            let (mut s, c) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .unwrap();
            tokio::spawn(c);
            s.send_request(req).await.unwrap()
        }
    };
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

pub fn get(path: &str) -> http::Request<Full<Bytes>> {
    http::Request::get(path)
        .header("host", "api.bank.test")
        .header("user-agent", "BankApp/7.1 (iPhone; iOS 17.4)")
        .body(Full::new(Bytes::new()))
        .unwrap()
}

pub fn bearer(path: &str, token: &str) -> http::Request<Full<Bytes>> {
    let mut r = get(path);
    r.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    r
}

pub fn post_json(path: &str, body: &str) -> http::Request<Full<Bytes>> {
    http::Request::post(path)
        .header("host", "api.bank.test")
        .header("content-type", "application/json")
        .header("user-agent", "python-requests/2.31")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}
