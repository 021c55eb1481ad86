//! End-to-end tests of both transports against the emulator, over real sockets.
//! The suite is written once (`support/suite.rs`) and run for each transport.

#[macro_use]
mod support;
#[path = "support/suite.rs"]
mod suite;

mod ureq_transport {
    use twilio_connect_apps::{
        AccountSid, AuthorizedConnectApp, Config, ConnectAppSid, Cursor, Error, ListParams, Page,
        PageQuery,
    };
    use twilio_connect_apps_ureq::{Client, Listing};
    use twilio_testbed::Emulator;

    use crate::support::{Listed, Opts, Transport};

    pub struct Ureq(Client);

    fn drain(mut listing: Listing) -> Listed {
        let mut apps = Vec::new();
        let mut error = None;
        for item in listing.by_ref() {
            match item {
                Ok(app) => apps.push(app),
                Err(e) => error = Some(e),
            }
        }
        Listed {
            apps,
            error,
            cursor: listing.cursor(),
        }
    }

    impl Transport for Ureq {
        const NAME: &'static str = "ureq";
        fn new(config: Config, emu: &Emulator, opts: &Opts) -> Result<Self, Error> {
            let mut b = Client::builder(config)
                .request_timeout(opts.request_timeout)
                .max_body_size(opts.max_body_size)
                .proxy_from_env(false);
            if let (Some(der), true) = (emu.ca_cert_der(), opts.trust_emulator) {
                b = b.root_certificate_der(der);
            }
            b.build().map(Ureq)
        }
        fn fetch(&self, app: &ConnectAppSid) -> Result<AuthorizedConnectApp, Error> {
            self.0.fetch(app)
        }
        fn fetch_in(
            &self,
            account: &AccountSid,
            app: &ConnectAppSid,
        ) -> Result<AuthorizedConnectApp, Error> {
            self.0.fetch_in(account, app)
        }
        fn list(&self, params: ListParams) -> Result<Listed, Error> {
            Ok(drain(self.0.list(params)?))
        }
        fn resume(&self, cursor: Cursor) -> Result<Listed, Error> {
            Ok(drain(self.0.resume(cursor)?))
        }
        fn take(
            &self,
            params: ListParams,
            n: usize,
        ) -> Result<(Vec<AuthorizedConnectApp>, Cursor), Error> {
            let mut listing = self.0.list(params)?;
            let apps = listing.by_ref().take(n).collect::<Result<Vec<_>, _>>()?;
            Ok((apps, listing.cursor()))
        }
        fn page(&self, query: &PageQuery, account: Option<&AccountSid>) -> Result<Page, Error> {
            self.0.page(query, account)
        }
        fn page_at(&self, uri: &str) -> Result<Page, Error> {
            self.0.page_at(uri)
        }
    }

    e2e_suite!(crate::ureq_transport::Ureq);
}
