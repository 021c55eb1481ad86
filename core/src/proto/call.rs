//! One call: an exchange whose response is read into a typed value. Fetching one app and
//! fetching one page are calls.
//!
//! ```text
//!  new ──► Exchange (Send / Wait, retries) ──► read the response ──► Done(value or error)
//! ```

use http::Response;

use crate::base::sid::{AccountSid, ConnectAppSid};
use crate::config::settings::Config;
use crate::error::{Error, TransportError};
use crate::model::app::{AuthorizedConnectApp, Fetched};
use crate::model::page::Page;
use crate::proto::action::{Action, Machine};
use crate::proto::context::Context;
use crate::proto::exchange::Exchange;
use crate::wire::request::{PageQuery, fetch_request, list_request, page_at_request};
use crate::wire::response::response_meta;
use crate::wire::response::{page_size_asked, parse_app, parse_page_with_limit};

/// A request and how its response is read: a [`Machine`] whose output is the value.
pub struct Call<O> {
    exchange: Exchange,
    read: fn(&Response<Vec<u8>>, usize) -> Result<O, Error>,
    /// The most records the response may hold (pages).
    limit: usize,
    span: tracing::Span,
}

impl<O> std::fmt::Debug for Call<O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call")
            .field("exchange", &self.exchange)
            .finish_non_exhaustive()
    }
}

/// Fetching one app: a [`Call`] whose output is the app, with what its response said about
/// itself.
pub type FetchApp = Call<Fetched>;

/// Fetching one page: a [`Call`] whose output is the page.
pub type FetchPage<R = AuthorizedConnectApp> = Call<Page<R>>;

impl<O> Machine for Call<O> {
    type Output = Result<O, Error>;

    fn next(&mut self, cx: &Context<'_>) -> Action<Self::Output> {
        let _span = self.span.enter();
        let (read, limit) = (self.read, self.limit);
        self.exchange.next(cx).map(|result| {
            result
                .and_then(|response| read(&response, limit))
                .map_err(|e| e.scrubbed(&cx.shared().redactor(true)))
        })
    }

    fn handle(&mut self, cx: &Context<'_>, response: Result<Response<Vec<u8>>, TransportError>) {
        let _span = self.span.enter();
        self.exchange.handle(cx, response);
    }
}

fn read_app(response: &Response<Vec<u8>>, _: usize) -> Result<Fetched, Error> {
    Ok(Fetched {
        app: parse_app(response)?,
        meta: response_meta(response),
    })
}

/// Fetches one app (of `account`, or the configured one).
pub(crate) fn fetch(
    config: &Config,
    app: &ConnectAppSid,
    account: Option<&AccountSid>,
) -> Result<FetchApp, Error> {
    let request = fetch_request(config, app, account)?;
    let account = account.unwrap_or(config.account_sid());
    Ok(Call {
        exchange: Exchange::new(request),
        read: read_app,
        limit: 1,
        span: tracing::debug_span!("fetch", operation = "fetch", account = %account, app = %app),
    })
}

/// Fetches one page of apps (of `account`, or the configured one).
pub(crate) fn page(
    config: &Config,
    query: &PageQuery,
    account: Option<&AccountSid>,
) -> Result<FetchPage, Error> {
    let request = list_request(config, query, account)?;
    let account = account.unwrap_or(config.account_sid());
    Ok(page_call(
        request,
        tracing::debug_span!("page", operation = "page", account = %account),
    ))
}

/// Fetches the page at a URI the API handed out; the URI must be on the configured origin.
pub(crate) fn page_at(config: &Config, uri: &str) -> Result<FetchPage, Error> {
    let request = page_at_request(config, uri)?;
    Ok(page_call(
        request,
        tracing::debug_span!("page", operation = "page_at"),
    ))
}

fn page_call(request: http::Request<Vec<u8>>, span: tracing::Span) -> FetchPage {
    let limit = page_size_asked(request.uri());
    Call {
        exchange: Exchange::new(request),
        read: parse_page_with_limit::<AuthorizedConnectApp, Vec<u8>>,
        limit,
        span,
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::config::credentials::Credentials;
    use crate::proto::session::Session;

    const TOKEN: &str = "0123456789abcdef0123456789abcdef";

    /// Whatever a server quotes back (in an error body, a request id, or a success body that
    /// does not parse), the error shows none of the token's forms.
    #[test]
    fn errors_never_show_a_secret_the_server_reflects() {
        use base64::Engine as _;
        let sid = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{sid}:{TOKEN}"));
        let session = Session::new(Config::new(Credentials::auth_token(
            sid.parse().unwrap(),
            crate::Secret::new(TOKEN),
        )));
        let cx = session.context(UNIX_EPOCH + Duration::from_secs(1_000));
        let bodies = [
            (
                401,
                format!(
                    r#"{{"code":20003,"message":"you sent Basic {basic} = {TOKEN}","status":401}}"#
                ),
            ),
            (404, format!("<html>{TOKEN}</html>")),
            (200, format!(r#"{{"connect_app_sid": 5, "x": "{TOKEN}"}}"#)),
            (200, format!(r#"{{"permissions": "{TOKEN}"}}"#)),
        ];
        for (status, body) in bodies {
            let mut call = session
                .fetch(&"CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap())
                .unwrap();
            assert!(matches!(call.next(&cx), Action::Send(_)));
            let response = Response::builder()
                .status(status)
                .header("Twilio-Request-Id", TOKEN)
                .body(body.into_bytes())
                .unwrap();
            call.handle(&cx, Ok(response));
            let Action::Done(Err(e)) = call.next(&cx) else {
                panic!("{status}: not an error")
            };
            let shown = format!("{e} {e:?}");
            assert!(
                !shown.contains(TOKEN) && !shown.contains(&basic[..40]),
                "{shown}"
            );
            assert!(shown.contains("[redacted]"), "{status}: {shown}");
            assert_eq!(e.request_id(), None);
        }
    }
}
