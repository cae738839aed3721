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
