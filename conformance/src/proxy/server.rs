//! The proxy's listening side: an accept loop, HTTP/1.1 connections served by hyper, and a look at the first
//! request head of each connection first, so that bytes that are not HTTP get a `{code, message}` answer (400
//! `MALFORMED_REQUEST`, 431 `REQUEST_HEADERS_TOO_LARGE`) instead of hyper's bodiless one. (A malformed request
//! later on a kept-alive connection still gets hyper's own 400 without a body.)

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::proxy::State;

/// The largest request head the proxy reads (hyper's own limit is larger; this one answers in JSON).
const MAX_HEAD: usize = 64 << 10;
/// How long a new connection may take to send its first request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(30);

/// Accepts connections until `stop` turns true.
pub async fn serve(listener: TcpListener, state: Arc<State>, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(connection(stream, state.clone()));
                }
                // Out of file descriptors and the like: wait a little rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
            _ = stop.changed() => return,
        }
    }
}

async fn connection(stream: TcpStream, state: Arc<State>) {
    let _ = stream.set_nodelay(true);
    let Some(stream) = first_head(stream).await else {
        return;
    };
    let service = service_fn(move |request| {
        let state = state.clone();
        async move { Ok::<_, Infallible>(crate::proxy::exchange::handle(state, request).await) }
    });
    // A connection's errors are its client's (a reset, a malformed later request): nothing to do about them.
    let _ = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// Reads the first request head; hands the connection on with those bytes put back, or answers garbage itself.
async fn first_head(mut stream: TcpStream) -> Option<Rewound<TcpStream>> {
    let mut buffer = BytesMut::with_capacity(4096);
    let verdict = tokio::time::timeout(HEAD_TIMEOUT, async {
        loop {
            if stream.read_buf(&mut buffer).await.ok()? == 0 {
                return None;
            }
            let mut headers = [httparse::EMPTY_HEADER; 128];
            match httparse::Request::new(&mut headers).parse(&buffer) {
                Ok(httparse::Status::Complete(_)) | Err(httparse::Error::TooManyHeaders) => {
                    return Some(Ok(()));
                }
                Ok(httparse::Status::Partial) if buffer.len() <= MAX_HEAD => {}
                Ok(httparse::Status::Partial) => return Some(Err(431)),
                Err(_) => return Some(Err(400)),
            }
        }
    })
    .await
    .ok()??;
    match verdict {
        Ok(()) => Some(Rewound {
            prefix: buffer.freeze(),
            inner: stream,
        }),
        Err(status) => {
            let _ = refuse(&mut stream, status).await;
            None
        }
    }
}

/// Answers bytes that are not an HTTP/1.1 request, and closes.
async fn refuse(stream: &mut TcpStream, status: u16) -> io::Result<()> {
    let (reason, code, message) = if status == 431 {
        (
            "Request Header Fields Too Large",
            "REQUEST_HEADERS_TOO_LARGE",
            format!("The request head is larger than the proxy's limit of {MAX_HEAD} bytes."),
        )
    } else {
        (
            "Bad Request",
            "MALFORMED_REQUEST",
            "The request could not be read: it is not an HTTP/1.1 request.".to_owned(),
        )
    };
    let body = json!({"code": code, "message": message}).to_string();
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}

/// A stream with bytes already read from it put back in front.
pub struct Rewound<S> {
    prefix: Bytes,
    inner: S,
}

impl<S: AsyncRead + Unpin> AsyncRead for Rewound<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.prefix.has_remaining() {
            let n = this.prefix.len().min(buf.remaining());
            buf.put_slice(&this.prefix[..n]);
            this.prefix.advance(n);
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Rewound<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
