//! The transport the CLI runs on: ureq, or hyper driven from the blocking client by a tokio
//! runtime. Both are the library's own transports; the client on top is the one blocking
//! client, so everything above this file is written once.

use std::sync::Arc;
use std::time::Duration;

use http::{Request, Response};
use twilio_connect_apps::Error;
use twilio_connect_apps::error::{TransportError, TransportErrorKind};
use twilio_connect_apps_client::{AsyncTransport, BuildTransport, Transport, TransportSettings};
use twilio_connect_apps_hyper::HyperTransport;
use twilio_connect_apps_ureq::UreqTransport;

/// The async hyper transport, each request driven to its end on a runtime.
pub(crate) struct BlockOn {
    transport: HyperTransport,
    runtime: Arc<tokio::runtime::Runtime>,
}

impl BuildTransport for BlockOn {
    fn build(settings: &TransportSettings) -> Result<Self, Error> {
        // One thread's scheduler, driven by whichever thread is in `block_on`: hyper's
        // connection tasks (and the one that puts a connection back in the pool) run inside
        // each request's `block_on`, so a sequential listing finds its connection idle and keeps
        // to one (on a multi-thread runtime the next request often started before that task
        // ran, and opened a second connection). A sweep's threads share it, one driving at a
        // time.
        let runtime = tokio::runtime::Builder::new_current_thread()
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

#[cfg(test)]
mod tests {
    use super::*;
    use twilio_connect_apps::{Config, Credentials, Secret};
    use twilio_connect_apps_testbed::{DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, Emulator};

    /// Pages one after the other with nothing done in between (the tightest a listing gets):
    /// every one goes over the first connection.
    #[test]
    fn back_to_back_pages_keep_to_one_connection() {
        let emu = Emulator::builder().generated_apps(1000).start().unwrap();
        let config = Config::new(Credentials::auth_token(
            DEFAULT_ACCOUNT_SID.parse().unwrap(),
            Secret::new(DEFAULT_AUTH_TOKEN),
        ))
        .with_base_url(emu.base_url())
        .unwrap()
        .with_compression(false);
        let client = twilio_connect_apps_client::blocking::Client::<BlockOn>::new(config).unwrap();
        let page = |_| {
            use base64::Engine as _;
            let basic = base64::engine::general_purpose::STANDARD
                .encode(format!("{DEFAULT_ACCOUNT_SID}:{DEFAULT_AUTH_TOKEN}"));
            let request = http::Request::get(format!(
                "{}/2010-04-01/Accounts/{DEFAULT_ACCOUNT_SID}/AuthorizedConnectApps.json?PageSize=1000",
                emu.base_url()
            ))
            .header(http::header::AUTHORIZATION, format!("Basic {basic}"))
            .body(Vec::new())
            .unwrap();
            let response =
                twilio_connect_apps_client::Transport::send(client.transport(), request).unwrap();
            assert_eq!(response.status(), 200);
            response.body().len()
        };
        let bytes: usize = (0..30).map(page).sum();
        assert!(bytes > 30 * 400_000);
        assert_eq!(emu.request_count(), 30);
        assert_eq!(emu.connection_count(), 1);
    }
}
