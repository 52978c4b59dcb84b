//! HTTP: keep-alive connections in a bounded pool, over hyper's connection-level client.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderValue};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

use crate::stats::Failure;

pub type Conn = SendRequest<Full<Bytes>>;

static JSON: HeaderValue = HeaderValue::from_static("application/json");

pub struct Server {
    addr: SocketAddr,
    host: HeaderValue,
}

impl Server {
    pub async fn resolve(url: &str) -> Result<Arc<Self>, String> {
        let rest = url
            .strip_prefix("http://")
            .ok_or("--url must start with http://")?;
        let authority = rest.split('/').next().unwrap_or(rest);
        let with_port = if authority.contains(':') {
            authority.to_string()
        } else {
            format!("{authority}:80")
        };
        let addr = tokio::net::lookup_host(&with_port)
            .await
            .map_err(|e| format!("resolving {authority}: {e}"))?
            .next()
            .ok_or(format!("{authority} has no address"))?;
        let host = HeaderValue::from_str(authority).map_err(|e| e.to_string())?;
        Ok(Arc::new(Server { addr, host }))
    }

    /// The server's socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub async fn connect(&self) -> Result<Conn, Failure> {
        let stream = TcpStream::connect(self.addr)
            .await
            .map_err(|_| Failure::Connect)?;
        let _ = stream.set_nodelay(true);
        let (conn, driver) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|_| Failure::Connect)?;
        tokio::spawn(driver);
        Ok(conn)
    }

    pub fn request(
        &self,
        method: Method,
        uri: Uri,
        auth: Option<&HeaderValue>,
        body: Bytes,
    ) -> Request<Full<Bytes>> {
        let mut req = Request::new(Full::new(body));
        *req.method_mut() = method;
        *req.uri_mut() = uri;
        let headers = req.headers_mut();
        headers.insert(HOST, self.host.clone());
        headers.insert(CONTENT_TYPE, JSON.clone());
        if let Some(auth) = auth {
            headers.insert(AUTHORIZATION, auth.clone());
        }
        req
    }
}

/// Up to `size` keep-alive connections handed out first in, first out, so every connection
/// carries traffic as separate phones' connections would.
pub struct Pool {
    pub server: Arc<Server>,
    idle: Mutex<VecDeque<Option<Conn>>>,
    slots: Semaphore,
}

/// A connection borrowed from the pool; dropping it (also mid-request, on a timeout) returns
/// the slot, and a connection that was not left clean is closed rather than reused.
pub struct Lease<'a> {
    pool: &'a Pool,
    conn: Option<Conn>,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        self.pool.idle.lock().unwrap().push_back(self.conn.take());
        self.pool.slots.add_permits(1);
    }
}

impl Lease<'_> {
    /// One request on the leased connection (reconnecting if it was closed); the body is read
    /// whole. The connection only goes back to the pool after a complete exchange.
    pub async fn send(
        &mut self,
        req: Request<Full<Bytes>>,
    ) -> Result<(StatusCode, Bytes), Failure> {
        let mut conn = match self.conn.take() {
            Some(c) if !c.is_closed() => c,
            _ => self.pool.server.connect().await?,
        };
        conn.ready().await.map_err(|_| Failure::Io)?;
        let response = conn.send_request(req).await.map_err(|_| Failure::Io)?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|_| Failure::Io)?
            .to_bytes();
        self.conn = Some(conn);
        Ok((status, body))
    }
}

impl Pool {
    /// Opens all `size` connections now, so connecting is not measured.
    pub async fn open(
        server: &Arc<Server>,
        size: usize,
        parallelism: usize,
    ) -> Result<Arc<Self>, String> {
        let conns: Vec<Result<Conn, Failure>> = futures_util::stream::iter(0..size)
            .map(|_| server.connect())
            .buffer_unordered(parallelism.max(1))
            .collect()
            .await;
        let mut idle = VecDeque::with_capacity(size);
        for conn in conns {
            idle.push_back(Some(conn.map_err(|e| {
                format!("opening {size} connections to {}: {e:?}", server.addr)
            })?));
        }
        Ok(Arc::new(Pool {
            server: server.clone(),
            idle: Mutex::new(idle),
            slots: Semaphore::new(size),
        }))
    }

    pub async fn lease(&self) -> Lease<'_> {
        self.slots.acquire().await.expect("pool open").forget();
        let conn = self.idle.lock().unwrap().pop_front().flatten();
        Lease { pool: self, conn }
    }

    /// One request on a pooled connection.
    pub async fn send(&self, req: Request<Full<Bytes>>) -> Result<(StatusCode, Bytes), Failure> {
        self.lease().await.send(req).await
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        auth: Option<&HeaderValue>,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let uri = Uri::try_from(path).map_err(|e| e.to_string())?;
        let body = body.map(|b| Bytes::from(b.to_string())).unwrap_or_default();
        let req = self.server.request(method.clone(), uri, auth, body);
        let (status, bytes) = tokio::time::timeout(Duration::from_secs(60), self.send(req))
            .await
            .map_err(|_| format!("{method} {path}: timed out"))?
            .map_err(|e| format!("{method} {path}: {e:?}"))?;
        let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if status == StatusCode::OK && value["success"] == true {
            Ok(value)
        } else {
            Err(format!("{method} {path}: HTTP {status}: {value}"))
        }
    }
}

pub fn outcome<T>(
    result: Result<Result<T, Failure>, tokio::time::error::Elapsed>,
) -> Result<T, Failure> {
    result.unwrap_or(Err(Failure::Timeout))
}
