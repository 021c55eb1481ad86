//! Response bodies, including the broken and slow ones that faults need.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::time::Sleep;

/// A response body: whole, trickling, broken part-way, or generated padding.
pub(crate) enum EmuBody {
    Full(Option<Bytes>),
    Trickle {
        data: Bytes,
        chunk: usize,
        interval: Duration,
        sleep: Option<Pin<Box<Sleep>>>,
        total: u64,
    },
    /// Sends `part`, then fails (the connection is aborted). `claimed` is the size announced.
    Broken {
        part: Option<Bytes>,
        claimed: Option<u64>,
    },
    /// `prefix`, then `pad` bytes of `x`, then `suffix`: a huge valid JSON body made lazily.
    Padding {
        prefix: Option<Bytes>,
        pad: u64,
        suffix: Option<Bytes>,
        total: u64,
    },
}

impl EmuBody {
    pub(crate) fn full(data: impl Into<Bytes>) -> Self {
        EmuBody::Full(Some(data.into()))
    }

    pub(crate) fn empty() -> Self {
        EmuBody::Full(None)
    }
}

const PAD_CHUNK: usize = 64 * 1024;
static PAD: [u8; PAD_CHUNK] = [b'x'; PAD_CHUNK];

impl Body for EmuBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        match this {
            EmuBody::Full(data) => Poll::Ready(data.take().map(|d| Ok(Frame::data(d)))),
            EmuBody::Trickle {
                data,
                chunk,
                interval,
                sleep,
                ..
            } => {
                if data.is_empty() {
                    return Poll::Ready(None);
                }
                if let Some(s) = sleep.as_mut()
                    && s.as_mut().poll(cx).is_pending()
                {
                    return Poll::Pending;
                }
                *sleep = Some(Box::pin(tokio::time::sleep(*interval)));
                let n = (*chunk).max(1).min(data.len());
                Poll::Ready(Some(Ok(Frame::data(data.split_to(n)))))
            }
            EmuBody::Broken { part, .. } => match part.take() {
                Some(p) => Poll::Ready(Some(Ok(Frame::data(p)))),
                None => Poll::Ready(Some(Err(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    "fault injection: body cut short",
                )))),
            },
            EmuBody::Padding {
                prefix,
                pad,
                suffix,
                ..
            } => {
                if let Some(p) = prefix.take() {
                    return Poll::Ready(Some(Ok(Frame::data(p))));
                }
                if *pad > 0 {
                    let n = (*pad).min(PAD_CHUNK as u64) as usize;
                    *pad -= n as u64;
                    return Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(
                        PAD.get(..n).unwrap_or(&PAD),
                    )))));
                }
                Poll::Ready(suffix.take().map(|s| Ok(Frame::data(s))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, EmuBody::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            EmuBody::Full(d) => SizeHint::with_exact(d.as_ref().map_or(0, |d| d.len() as u64)),
            EmuBody::Trickle { total, .. } | EmuBody::Padding { total, .. } => {
                SizeHint::with_exact(*total)
            }
            EmuBody::Broken { claimed, .. } => match claimed {
                Some(n) => SizeHint::with_exact(*n),
                None => SizeHint::default(),
            },
        }
    }
}

use std::future::Future as _;
