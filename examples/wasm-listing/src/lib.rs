//! A whole listing of Authorized Connect Apps driven from JavaScript: the sans-IO core compiled
//! to `wasm32-unknown-unknown`, behind a plain C ABI that passes JSON through linear memory (no
//! `wasm-bindgen`, no tool to install). JavaScript sends each request with `fetch`, waits each
//! `Wait` with `setTimeout`, and hands the answers back; `run.mjs` is that driver.
//!
//! The boundary: the module never sees a secret. It is configured with the account SID only;
//! the host adds the `Authorization` header to requests for the API's origin, as a server-side
//! runtime (Workers, Deno, a WASI host) holding the credentials would. The requests it asks
//! for carry no `Authorization` header.
//!
//! The calls (all take the host's clock, milliseconds since the Unix epoch):
//!
//! | export | input buffer | returns | output buffer |
//! |---|---|---|---|
//! | `input(len)` | | a pointer to write `len` bytes at | |
//! | `start(now)` | `{"account_sid", "base_url", "page_size", "seed"}` | 0, or -1 | an error |
//! | `next(now)` | | 1 send, 2 wait, 3 record, 4 done, -1 error | the action as JSON |
//! | `handle(now)` | u32 (LE) head length, head `{"status", "headers"}`, body | 0, or -1 | |
//! | `fail(now)` | the transport's error message | 0, or -1 | |
//! | `output()`, `output_len()` | | the output buffer | |

use std::cell::RefCell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use twilio_connect_apps::error::{TransportError, TransportErrorKind};
use twilio_connect_apps::machine::ListingMachine;
use twilio_connect_apps::{Action, Config, Credentials, ListParams, Machine, Secret, Session};

/// One listing at a time: a WebAssembly instance is single-threaded.
struct Run {
    session: Session,
    listing: ListingMachine,
}

#[derive(Default)]
struct State {
    run: Option<Run>,
    input: Vec<u8>,
    output: Vec<u8>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// Makes the input buffer `len` bytes long and returns where the host writes them.
#[unsafe(no_mangle)]
pub extern "C" fn input(len: usize) -> *mut u8 {
    STATE.with_borrow_mut(|s| {
        s.input.clear();
        s.input.resize(len, 0);
        s.input.as_mut_ptr()
    })
}

/// Where the last output is.
#[unsafe(no_mangle)]
pub extern "C" fn output() -> *const u8 {
    STATE.with_borrow(|s| s.output.as_ptr())
}

/// How long the last output is.
#[unsafe(no_mangle)]
pub extern "C" fn output_len() -> usize {
    STATE.with_borrow(|s| s.output.len())
}

fn clock(now_ms: f64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(now_ms.max(0.0) as u64)
}

/// Writes `value` as the output; returns `code`.
fn answer(state: &mut State, code: i32, value: serde_json::Value) -> i32 {
    state.output = value.to_string().into_bytes();
    code
}

fn error(state: &mut State, message: impl std::fmt::Display) -> i32 {
    let value = serde_json::json!({"action": "error", "message": message.to_string()});
    answer(state, -1, value)
}

/// Starts a listing from the configuration JSON in the input buffer.
#[unsafe(no_mangle)]
pub extern "C" fn start(_now_ms: f64) -> i32 {
    STATE.with_borrow_mut(|s| match begin(&s.input) {
        Ok(run) => {
            s.run = Some(run);
            answer(s, 0, serde_json::json!({"action": "started"}))
        }
        Err(e) => error(s, e),
    })
}

fn begin(input: &[u8]) -> Result<Run, String> {
    let v: serde_json::Value = serde_json::from_slice(input).map_err(|e| e.to_string())?;
    let text = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or_default();
    let account = text("account_sid").parse().map_err(|e| format!("{e}"))?;
    // The secret stays with the host, which signs each request it sends; the core needs a
    // credential to build requests, and this one never leaves the module.
    let credentials = Credentials::auth_token(account, Secret::new("held by the host"));
    let mut config = Config::new(credentials).with_compression(false);
    if !text("base_url").is_empty() {
        config = config
            .with_base_url(text("base_url"))
            .map_err(|e| e.to_string())?;
    }
    let mut params = ListParams::new();
    if let Some(size) = v.get("page_size").and_then(|x| x.as_u64()) {
        params = params.with_page_size(u32::try_from(size).map_err(|e| e.to_string())?);
    }
    let seed = v.get("seed").and_then(|x| x.as_u64()).unwrap_or(0);
    let session = Session::new(config).with_seed(seed);
    let listing = session.list(params).map_err(|e| e.to_string())?;
    Ok(Run { session, listing })
}

/// The listing's next action, as JSON in the output buffer.
#[unsafe(no_mangle)]
pub extern "C" fn next(now_ms: f64) -> i32 {
    STATE.with_borrow_mut(|s| {
        let Some(run) = s.run.as_mut() else {
            return error(s, "no listing: call start first");
        };
        let action = run.listing.next(&run.session.context(clock(now_ms)));
        let (code, value) = match action {
            Action::Send(request) => {
                let headers: Vec<(&str, &str)> = request
                    .headers()
                    .iter()
                    .filter(|(name, _)| *name != "authorization")
                    .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
                    .collect();
                let value = serde_json::json!({
                    "action": "send",
                    "method": request.method().as_str(),
                    "url": request.uri().to_string(),
                    "headers": headers,
                });
                (1, value)
            }
            Action::Wait(wait) => (
                2,
                serde_json::json!({"action": "wait", "ms": wait.as_secs_f64() * 1000.0}),
            ),
            Action::Done(Some(Ok(app))) => (3, serde_json::json!({"action": "record", "app": app})),
            Action::Done(Some(Err(e))) => return error(s, e),
            Action::Done(None) => (4, serde_json::json!({"action": "done"})),
        };
        answer(s, code, value)
    })
}

/// Hands the listing the answer to its last `send`, from the input buffer.
#[unsafe(no_mangle)]
pub extern "C" fn handle(now_ms: f64) -> i32 {
    STATE.with_borrow_mut(|s| match response(&s.input) {
        Ok(response) => match s.run.as_mut() {
            Some(run) => {
                run.listing
                    .handle(&run.session.context(clock(now_ms)), Ok(response));
                0
            }
            None => error(s, "no listing: call start first"),
        },
        Err(e) => error(s, e),
    })
}

fn response(input: &[u8]) -> Result<http::Response<Vec<u8>>, String> {
    let (len, rest) = input
        .split_first_chunk::<4>()
        .ok_or("the input is shorter than its head's length")?;
    let len = u32::from_le_bytes(*len) as usize;
    let (head, body) = rest
        .split_at_checked(len)
        .ok_or("the head is longer than the input")?;
    let head: serde_json::Value = serde_json::from_slice(head).map_err(|e| e.to_string())?;
    let status = head.get("status").and_then(|x| x.as_u64()).unwrap_or(0);
    let mut builder =
        http::Response::builder().status(u16::try_from(status).map_err(|e| e.to_string())?);
    for pair in head
        .get("headers")
        .and_then(|h| h.as_array())
        .into_iter()
        .flatten()
    {
        if let (Some(name), Some(value)) = (
            pair.get(0).and_then(|x| x.as_str()),
            pair.get(1).and_then(|x| x.as_str()),
        ) {
            builder = builder.header(name, value);
        }
    }
    builder.body(body.to_vec()).map_err(|e| e.to_string())
}

/// Tells the listing its last `send` failed in the transport (the message in the input).
#[unsafe(no_mangle)]
pub extern "C" fn fail(now_ms: f64) -> i32 {
    STATE.with_borrow_mut(|s| {
        let message = String::from_utf8_lossy(&s.input).into_owned();
        match s.run.as_mut() {
            Some(run) => {
                let failure = TransportError::new(TransportErrorKind::Connect, message, None);
                run.listing
                    .handle(&run.session.context(clock(now_ms)), Err(failure));
                0
            }
            None => error(s, "no listing: call start first"),
        }
    })
}
