//! Skips interim (1xx) responses before the real one.
//!
//! A server may send `100 Continue` or `103 Early Hints` before a GET's response. ureq-proto
//! rejects a `100` that carries headers ("received headers with 100-continue response"), which
//! the client would then retry and fail. This connector, last in the chain, wraps the
//! connection and drops any complete 1xx head (but `101`) that stands where a response starts,
//! so ureq only ever sees the final response.

use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, NextTimeout, Transport};

#[derive(Debug)]
pub(crate) struct SkipInterim;

impl Connector<Box<dyn Transport>> for SkipInterim {
    type Out = Interim;

    fn connect(
        &self,
        _: &ConnectionDetails,
        chained: Option<Box<dyn Transport>>,
    ) -> Result<Option<Interim>, ureq::Error> {
        Ok(chained.map(|inner| Interim {
            inner,
            at_head: false,
        }))
    }
}

#[derive(Debug)]
pub(crate) struct Interim {
    inner: Box<dyn Transport>,
    /// A request was sent and its response head has not started yet.
    at_head: bool,
}

/// What the input holds where a response starts.
enum Head {
    /// Not enough bytes to tell.
    Unknown,
    /// A complete interim head of this many bytes.
    Interim(usize),
    /// The final response.
    Final,
}

fn head(input: &[u8]) -> Head {
    // "HTTP/1.1 100 ..." : the status code is bytes 9..12.
    let (Some(prefix), Some(code)) = (input.get(..9), input.get(9..12)) else {
        return Head::Unknown;
    };
    let interim = prefix.starts_with(b"HTTP/1.") && code.first() == Some(&b'1') && code != b"101";
    if !interim {
        return Head::Final;
    }
    match input.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(end) => Head::Interim(end + 4),
        None => Head::Unknown,
    }
}

impl Interim {
    /// Drops the interim heads at the start of the input; true once the final head starts.
    fn skip(&mut self) {
        while self.at_head {
            match head(self.inner.buffers().input()) {
                Head::Unknown => return,
                Head::Interim(len) => self.inner.buffers().input_consume(len),
                Head::Final => self.at_head = false,
            }
        }
    }
}

impl Transport for Interim {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.at_head = true;
        self.inner.transmit_output(amount, timeout)
    }

    fn maybe_await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.skip();
        if !self.at_head && self.inner.buffers().can_use_input() {
            return Ok(true);
        }
        self.await_input(timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        loop {
            let progress = self.inner.await_input(timeout)?;
            self.skip();
            // An interim head was consumed whole: wait for what follows it.
            if progress && self.at_head && self.inner.buffers().input().is_empty() {
                continue;
            }
            return Ok(progress);
        }
    }

    fn is_open(&mut self) -> bool {
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads() {
        assert!(matches!(head(b"HTTP/1.1 1"), Head::Unknown));
        assert!(matches!(head(b"HTTP/1.1 200 OK\r\n"), Head::Final));
        assert!(matches!(head(b"HTTP/1.1 101 Switching"), Head::Final));
        assert!(matches!(
            head(b"HTTP/1.1 100 Continue\r\nX: y\r\n"),
            Head::Unknown
        ));
        let h = b"HTTP/1.1 100 Continue\r\nX: y\r\n\r\nHTTP/1.1 200 OK\r\n";
        assert!(matches!(head(h), Head::Interim(31)));
        assert!(matches!(
            head(b"HTTP/1.0 103 Early Hints\r\n\r\n"),
            Head::Interim(28)
        ));
    }
}
