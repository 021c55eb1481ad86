//! Skips interim (1xx) responses before the real one.
//!
//! A server may send `100 Continue` or `103 Early Hints` before a GET's response. ureq-proto
//! rejects a `100` that carries headers ("received headers with 100-continue response"), which
//! the client would then retry and fail. This connector, last in the chain, wraps the
//! connection and drops any complete 1xx head (but `101`) that stands where a response starts
//! (the core's [`response_start`] rule), so ureq only ever sees the final response.

use twilio_connect_apps::wire::{ResponseStart, response_start};
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

impl Interim {
    /// Drops the interim heads at the start of the input; true once the final head starts.
    fn skip(&mut self) {
        while self.at_head {
            match response_start(self.inner.buffers().input()) {
                ResponseStart::Unknown => return,
                ResponseStart::Interim(len) => self.inner.buffers().input_consume(len),
                ResponseStart::Final => self.at_head = false,
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
