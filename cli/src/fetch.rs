//! `fetch`: one app, by its SID.

use std::io::Write;

use twilio_connect_apps::ConnectAppSid;

use crate::args::{FetchArgs, Format};
use crate::failure::Failure;
use crate::output::{self, Printer, Style, layout, post_all};
use crate::setup::Setup;
use crate::sink::Sink;

/// `fetch`.
pub(crate) fn fetch(setup: &Setup, args: &FetchArgs, style: &Style) -> Result<(), Failure> {
    let sid: ConnectAppSid = args
        .sid
        .trim()
        .parse()
        .map_err(|e| Failure::Usage(format!("CONNECT_APP_SID: {e}")))?;
    let client = &setup.client;
    let result = match &setup.account {
        Some(a) => client.fetch_in(a, &sid),
        None => client.fetch(&sid),
    }
    .map(|fetched| fetched.app);
    let app = result.map_err(|error| {
        Failure::run(
            &setup.context,
            &format!("fetching {sid} at {}", setup.place()),
            &error,
            None,
        )
    })?;
    let mut sink = Sink::open(args.output.output.as_deref())?;
    match args.output.format() {
        Format::Table => output::details(&mut sink, &app)?,
        _ => {
            let mut printer = Printer::new(&mut sink, layout(&args.output, false, false, style));
            printer.app(&app)?;
            printer.flush()?;
        }
    }
    sink.flush()?;
    sink.commit()?;
    post_all(args.output.fail_on_post_all, u64::from(app.can_write()))
}
