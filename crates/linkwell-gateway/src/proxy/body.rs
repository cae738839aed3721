//! The request body on its way upstream: streamed, never held whole, with
//! its first bytes copied aside for the engine (the inspection window) and
//! its size capped.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;

#[derive(Debug, thiserror::Error)]
pub(crate) enum BodyError {
    #[error("request body larger than {0} bytes")]
    TooLarge(u64),
    #[error("client body: {0}")]
    Client(#[from] hyper::Error),
}

/// What the stream saw, shared with the handler.
#[derive(Debug, Default)]
pub(crate) struct Tap {
    window: Mutex<Vec<u8>>,
    seen: AtomicU64,
    too_large: AtomicBool,
}

impl Tap {
    pub(crate) fn window(&self) -> Vec<u8> {
        self.window.lock().map(|w| w.clone()).unwrap_or_default()
    }

    pub(crate) fn seen(&self) -> u64 {
        self.seen.load(Ordering::Relaxed)
    }

    pub(crate) fn too_large(&self) -> bool {
        self.too_large.load(Ordering::Relaxed)
    }
}

pub(crate) struct InspectBody {
    inner: Incoming,
    tap: Arc<Tap>,
    window: usize,
    max: u64,
}

impl InspectBody {
    pub(crate) fn new(inner: Incoming, window: usize, max: u64) -> (InspectBody, Arc<Tap>) {
        let tap = Arc::new(Tap::default());
        (
            InspectBody {
                inner,
                tap: tap.clone(),
                window,
                max,
            },
            tap,
        )
    }
}

impl Body for InspectBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    let total = this
                        .tap
                        .seen
                        .fetch_add(data.len() as u64, Ordering::Relaxed)
                        + data.len() as u64;
                    if total > this.max {
                        this.tap.too_large.store(true, Ordering::Relaxed);
                        return Poll::Ready(Some(Err(BodyError::TooLarge(this.max))));
                    }
                    if let Ok(mut w) = this.tap.window.lock()
                        && w.len() < this.window
                    {
                        let take = (this.window - w.len()).min(data.len());
                        w.extend_from_slice(&data[..take]);
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(BodyError::Client(e)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
