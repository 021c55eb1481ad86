//! The transport the CLI runs on: ureq, or hyper driven from the blocking client by a tokio
//! runtime. Both are the library's own transports; the client on top is the one blocking
//! client, so everything above this file is written once.

use std::sync::Arc;
use std::time::Duration;

use http::{Request, Response};
use twilio_connect_apps::{
    AsyncTransport, BuildTransport, Error, Transport, TransportError, TransportErrorKind,
    TransportSettings,
};
use twilio_connect_apps_hyper::HyperTransport;
use twilio_connect_apps_ureq::UreqTransport;

/// The async hyper transport, each request driven to its end on a runtime.
pub(crate) struct BlockOn {
    transport: HyperTransport,
    runtime: Arc<tokio::runtime::Runtime>,
}

impl BuildTransport for BlockOn {
    fn build(settings: &TransportSettings) -> Result<Self, Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| {
                Error::Transport(TransportError::new(
                    TransportErrorKind::Other,
                    format!("cannot start the async runtime: {e}"),
                    None,
                ))
            })?;
        let transport = {
            let _inside = runtime.enter();
            HyperTransport::build(settings)?
        };
        Ok(BlockOn {
            transport,
            runtime: Arc::new(runtime),
        })
    }
}

impl Transport for BlockOn {
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        self.runtime.block_on(self.transport.send(request))
    }

    fn pause(&self, wait: Duration) {
        self.runtime.block_on(self.transport.pause(wait));
    }
}

/// The transport chosen with `--transport`.
pub(crate) enum Chosen {
    /// ureq.
    Ureq(UreqTransport),
    /// hyper.
    Hyper(Box<BlockOn>),
}

impl Transport for Chosen {
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        match self {
            Chosen::Ureq(t) => t.send(request),
            Chosen::Hyper(t) => t.send(request),
        }
    }

    fn pause(&self, wait: Duration) {
        match self {
            Chosen::Ureq(t) => t.pause(wait),
            Chosen::Hyper(t) => t.pause(wait),
        }
    }
}
