//! The world a run happens in: the virtual clock, the simulated Twilio, and the log of every
//! request sent and what it was answered, which the invariants are checked against.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{Request, Response};
use twilio_connect_apps::error::TransportError;

use crate::api::{API_HOST, Twilio};
use crate::faults::Fault;

/// Virtual time 0 on the wall: 2027-01-15, so tokens and `Retry-After` dates look real.
const EPOCH: Duration = Duration::from_secs(1_800_000_000);

/// One request sent, and its answer.
#[derive(Debug, Clone)]
pub struct Sent {
    /// The task (machine) that sent it.
    pub task: usize,
    /// The session it was sent from.
    pub session: usize,
    /// When it was sent.
    pub at: Duration,
    /// When its answer arrived.
    pub answered_at: Duration,
    /// The order in which it was sent, among every send and every answer handled.
    pub sent_order: u64,
    /// The order in which its answer was handed to the machine.
    pub handled_order: u64,
    /// Its host.
    pub host: String,
    /// Its method and path with query.
    pub target: String,
    /// Every header value and the body, for the secrets check.
    pub bytes: Vec<u8>,
    /// Its body.
    pub body: Vec<u8>,
    /// The answer's status (none: the transport failed).
    pub status: Option<u16>,
    /// The answer's `Retry-After`.
    pub retry_after: Option<Duration>,
    /// The fault injected.
    pub fault: Option<Fault>,
}

impl Sent {
    /// Whether it went to the API (not the token service).
    pub fn is_api(&self) -> bool {
        self.host == API_HOST
    }
}

/// The clock, Twilio, and the log.
#[derive(Debug)]
pub struct World {
    /// Virtual time since the start of the run.
    pub now: Duration,
    /// The simulated Twilio.
    pub twilio: Twilio,
    /// Every request sent.
    pub log: Vec<Sent>,
    order: u64,
}

impl World {
    /// A world at time 0 around `twilio`.
    pub fn new(twilio: Twilio) -> Self {
        World {
            now: Duration::ZERO,
            twilio,
            log: Vec::new(),
            order: 0,
        }
    }

    /// What a machine reads as now.
    pub fn clock(&self) -> SystemTime {
        UNIX_EPOCH + EPOCH + self.now
    }

    /// Sends `request` now for `task` of `session`: logs it, has Twilio answer it, and says
    /// when the answer arrives (its log index with it, for [`World::handled`]).
    pub fn send(
        &mut self,
        task: usize,
        session: usize,
        request: Request<Vec<u8>>,
    ) -> (usize, Duration, Result<Response<Vec<u8>>, TransportError>) {
        let answer = self.twilio.serve(&request, self.now);
        let answered_at = self.now.saturating_add(answer.latency);
        let mut bytes = request.uri().to_string().into_bytes();
        for value in request.headers().values() {
            bytes.push(b'\n');
            bytes.extend_from_slice(value.as_bytes());
        }
        bytes.push(b'\n');
        bytes.extend_from_slice(request.body());
        let ok = answer.result.as_ref().ok();
        let retry_after = ok
            .and_then(|r| r.headers().get("retry-after"))
            .and_then(|v| v.to_str().ok()?.parse().ok())
            .map(Duration::from_secs);
        self.order += 1;
        self.log.push(Sent {
            task,
            session,
            at: self.now,
            answered_at,
            sent_order: self.order,
            handled_order: u64::MAX,
            host: request.uri().host().unwrap_or_default().to_owned(),
            target: format!(
                "{} {}",
                request.method(),
                request
                    .uri()
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/")
            ),
            bytes,
            body: request.into_body(),
            status: ok.map(|r| r.status().as_u16()),
            retry_after,
            fault: answer.fault,
        });
        (self.log.len() - 1, answered_at, answer.result)
    }

    /// The answer of log entry `index` is handed to its machine now.
    pub fn handled(&mut self, index: usize) {
        self.order += 1;
        if let Some(sent) = self.log.get_mut(index) {
            sent.handled_order = self.order;
        }
    }
}
