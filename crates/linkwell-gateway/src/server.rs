//! Listeners and connections: TLS termination, HTTP/1.1 and HTTP/2 on one
//! port (ALPN), timeouts and header limits, and a graceful shutdown that
//! stops accepting, lets in-flight calls finish within the drain time, then
//! closes what is left.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::Gateway;
use crate::config::ProxyConfig;
use crate::error::GatewayError;
use crate::proxy::handler::handle;
use crate::proxy::{ConnInfo, TlsInfo};
use crate::validate::mtls::PeerChain;

/// A started gateway: where it listens, and the handle that stops it.
pub struct Running {
    /// The proxy listeners' bound addresses, in config order.
    pub addrs: Vec<SocketAddr>,
    /// The admin listener's address, if configured.
    pub admin: Option<SocketAddr>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    /// Stops accepting, waits for in-flight calls (up to the drain time),
    /// and flushes the audit trail.
    pub async fn shutdown(self, gw: &Gateway) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        gw.guard.flush();
    }
}

thread_local! {
    /// Which worker thread this is: each worker keeps its own upstream
    /// connection pools, so a request never waits on another thread's
    /// connection task.
    static WORKER: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

pub(crate) fn worker_index() -> usize {
    WORKER.with(|w| w.get())
}

/// A gateway served by one thread per core, each with its own
/// single-threaded runtime and its own listening socket on the same port
/// (`SO_REUSEPORT`: the kernel spreads connections across them). A call
/// is handled start to finish on one thread, with no cross-thread wake-ups
/// on the request path — the way NGINX's workers run.
pub struct Workers {
    pub addrs: Vec<SocketAddr>,
    pub admin: Option<SocketAddr>,
    stop: watch::Sender<bool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Workers {
    /// Stops accepting, lets in-flight calls finish (up to the drain
    /// time) on every worker, and flushes the audit trail.
    pub fn shutdown(self, gw: &Gateway) {
        let _ = self.stop.send(true);
        for t in self.threads {
            let _ = t.join();
        }
        gw.guard.flush();
    }
}

fn bind_shared(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let sock = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    sock.set_reuseaddr(true)?;
    #[cfg(unix)]
    sock.set_reuseport(true)?;
    sock.bind(addr)?;
    sock.listen(1024)
}

type Bound = Result<(Vec<SocketAddr>, Option<SocketAddr>), GatewayError>;

/// Starts `workers` threads serving every listener (worker 0 also serves
/// the admin endpoint). Returns once all of them listen.
pub fn start_workers(
    gw: Arc<Gateway>,
    cfg: &ProxyConfig,
    workers: usize,
) -> Result<Workers, GatewayError> {
    let workers = workers.max(1);
    let (stop, stopped) = watch::channel(false);
    let tls: Vec<Option<TlsAcceptor>> = cfg
        .listeners
        .iter()
        .map(|l| l.tls.as_ref().map(crate::tls::server_config).transpose())
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .map(|c| c.map(TlsAcceptor::from))
        .collect();
    let mut addrs: Vec<SocketAddr> = cfg.listeners.iter().map(|l| l.listen).collect();
    let mut admin = None;
    let mut threads = Vec::new();
    for w in 0..workers {
        let (tx, rx) = std::sync::mpsc::channel::<Bound>();
        let (gw, cfg, tls, stopped, bind) = (
            gw.clone(),
            cfg.clone(),
            tls.clone(),
            stopped.clone(),
            addrs.clone(),
        );
        let spawned = std::thread::Builder::new()
            .name(format!("linkwell-worker-{w}"))
            .spawn(move || {
                WORKER.with(|c| c.set(w));
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(source) => {
                        let _ = tx.send(Err(GatewayError::Listen {
                            addr: bind[0],
                            source,
                        }));
                        return;
                    }
                };
                rt.block_on(async move {
                    let mut listeners = Vec::new();
                    for a in &bind {
                        match bind_shared(*a) {
                            Ok(l) => listeners.push(l),
                            Err(source) => {
                                let _ = tx.send(Err(GatewayError::Listen { addr: *a, source }));
                                return;
                            }
                        }
                    }
                    let local = listeners
                        .iter()
                        .zip(&bind)
                        .map(|(l, a)| l.local_addr().unwrap_or(*a))
                        .collect();
                    let mut tasks = Vec::new();
                    let mut admin_addr = None;
                    if w == 0
                        && let Some(a) = &cfg.auth_request
                    {
                        match TcpListener::bind(a.listen).await {
                            Ok(l) => tasks.push(tokio::spawn(crate::hooks::auth_request::serve(
                                l,
                                gw.clone(),
                                a.trusted_gateways.clone().into(),
                                stopped.clone(),
                            ))),
                            Err(source) => {
                                let _ = tx.send(Err(GatewayError::Listen {
                                    addr: a.listen,
                                    source,
                                }));
                                return;
                            }
                        }
                    }
                    if w == 0
                        && let Some(a) = &cfg.admin
                    {
                        match TcpListener::bind(a.listen).await {
                            Ok(l) => {
                                admin_addr = l.local_addr().ok();
                                tasks.push(tokio::spawn(crate::admin::serve(
                                    l,
                                    gw.clone(),
                                    stopped.clone(),
                                )));
                            }
                            Err(source) => {
                                let _ = tx.send(Err(GatewayError::Listen {
                                    addr: a.listen,
                                    source,
                                }));
                                return;
                            }
                        }
                    }
                    let _ = tx.send(Ok((local, admin_addr)));
                    let drain = Duration::from_millis(cfg.timeouts.drain_ms);
                    let handshake = Duration::from_millis(cfg.timeouts.header_read_ms);
                    for (l, tls) in listeners.into_iter().zip(tls) {
                        tasks.push(tokio::spawn(serve(
                            l,
                            tls,
                            http_builder(&cfg),
                            gw.clone(),
                            stopped.clone(),
                            drain,
                            handshake,
                        )));
                    }
                    for t in tasks {
                        let _ = t.await;
                    }
                });
            });
        let handle = spawned.map_err(|source| GatewayError::Listen {
            addr: addrs[0],
            source,
        })?;
        threads.push(handle);
        let (local, admin_addr) = rx.recv().map_err(|_| GatewayError::Listen {
            addr: addrs[0],
            source: std::io::Error::other("worker thread ended before listening"),
        })??;
        if w == 0 {
            // Port 0 in the config: the other workers share the port the
            // first one got.
            addrs = local;
            admin = admin_addr;
        }
    }
    Ok(Workers {
        addrs,
        admin,
        stop,
        threads,
    })
}

/// Binds every listener (and the admin one) and starts serving.
pub async fn start(gw: Arc<Gateway>, cfg: &ProxyConfig) -> Result<Running, GatewayError> {
    let (stop, stopped) = watch::channel(false);
    let mut addrs = Vec::new();
    let mut tasks = Vec::new();
    let drain = Duration::from_millis(cfg.timeouts.drain_ms);
    for l in &cfg.listeners {
        let listener =
            TcpListener::bind(l.listen)
                .await
                .map_err(|source| GatewayError::Listen {
                    addr: l.listen,
                    source,
                })?;
        addrs.push(
            listener
                .local_addr()
                .map_err(|source| GatewayError::Listen {
                    addr: l.listen,
                    source,
                })?,
        );
        let tls = l
            .tls
            .as_ref()
            .map(crate::tls::server_config)
            .transpose()?
            .map(TlsAcceptor::from);
        let builder = http_builder(cfg);
        tasks.push(tokio::spawn(serve(
            listener,
            tls,
            builder,
            gw.clone(),
            stopped.clone(),
            drain,
            Duration::from_millis(cfg.timeouts.header_read_ms),
        )));
    }
    if let Some(a) = &cfg.auth_request {
        let listener =
            TcpListener::bind(a.listen)
                .await
                .map_err(|source| GatewayError::Listen {
                    addr: a.listen,
                    source,
                })?;
        tasks.push(tokio::spawn(crate::hooks::auth_request::serve(
            listener,
            gw.clone(),
            a.trusted_gateways.clone().into(),
            stopped.clone(),
        )));
    }
    let admin = match &cfg.admin {
        Some(a) => {
            let listener =
                TcpListener::bind(a.listen)
                    .await
                    .map_err(|source| GatewayError::Listen {
                        addr: a.listen,
                        source,
                    })?;
            let addr = listener
                .local_addr()
                .map_err(|source| GatewayError::Listen {
                    addr: a.listen,
                    source,
                })?;
            tasks.push(tokio::spawn(crate::admin::serve(
                listener,
                gw.clone(),
                stopped.clone(),
            )));
            Some(addr)
        }
        None => None,
    };
    Ok(Running {
        addrs,
        admin,
        stop,
        tasks,
    })
}

fn http_builder(cfg: &ProxyConfig) -> auto::Builder<TokioExecutor> {
    let mut b = auto::Builder::new(TokioExecutor::new());
    let header_read = Duration::from_millis(cfg.timeouts.header_read_ms);
    // hyper refuses a request head larger than its read buffer with 431.
    let max_head = cfg.limits.max_header_bytes.max(8192);
    b.http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read)
        .max_buf_size(max_head)
        .keep_alive(true);
    b.http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(max_head).unwrap_or(u32::MAX))
        .keep_alive_interval(Some(Duration::from_millis(
            cfg.timeouts.idle_ms.max(1000) / 2,
        )))
        .keep_alive_timeout(Duration::from_secs(20));
    b
}

#[allow(clippy::too_many_arguments)]
async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    builder: auto::Builder<TokioExecutor>,
    gw: Arc<Gateway>,
    mut stopped: watch::Receiver<bool>,
    drain: Duration,
    handshake_timeout: Duration,
) {
    let graceful = GracefulShutdown::new();
    let builder = Arc::new(builder);
    loop {
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                // Out of file descriptors and the like: back off, keep serving.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopped.changed() => break,
        };
        let _ = tcp.set_nodelay(true);
        let gw = gw.clone();
        let builder = builder.clone();
        let watcher = graceful.watcher();
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                None => {
                    let info = Arc::new(ConnInfo {
                        peer,
                        tls: None,
                        chain: None,
                    });
                    let svc = service_fn(move |req| handle(gw.clone(), info.clone(), req));
                    let conn = builder.serve_connection(TokioIo::new(tcp), svc);
                    let _ = watcher.watch(conn.into_owned()).await;
                }
                Some(acceptor) => {
                    let Ok(Ok(stream)) =
                        tokio::time::timeout(handshake_timeout, acceptor.accept(tcp)).await
                    else {
                        return;
                    };
                    let (_, session) = stream.get_ref();
                    let chain = session
                        .peer_certificates()
                        .map(|c| c.iter().map(|c| c.clone().into_owned()).collect::<Vec<_>>())
                        .and_then(PeerChain::new);
                    let info = Arc::new(ConnInfo {
                        peer,
                        tls: Some(TlsInfo {
                            version: match session.protocol_version() {
                                Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3",
                                Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2",
                                _ => "TLS",
                            },
                            cipher: session
                                .negotiated_cipher_suite()
                                .map(|c| format!("{:?}", c.suite()))
                                .unwrap_or_default(),
                            sni: session.server_name().map(str::to_string),
                        }),
                        chain,
                    });
                    let svc = service_fn(move |req| handle(gw.clone(), info.clone(), req));
                    let conn = builder.serve_connection(TokioIo::new(stream), svc);
                    let _ = watcher.watch(conn.into_owned()).await;
                }
            }
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(drain, graceful.shutdown()).await;
}
