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
            if let Some(p) = &opts.proxy {
                b = b.proxy(p)?;
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

mod hyper_transport {
    use std::time::Duration;

    use twilio_connect_apps::{
        AccountSid, AuthorizedConnectApp, Config, ConnectAppSid, Cursor, Error, ListParams, Page,
        PageQuery,
    };
    use twilio_connect_apps_hyper::{Client, Listing};
    use twilio_testbed::{Emulator, Fault, FaultScript, Trigger};

    use crate::support::{Listed, Opts, Transport, client, generated_sids};

    pub struct Hyper {
        client: Client,
        rt: tokio::runtime::Runtime,
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    }

    async fn drain(mut listing: Listing) -> Listed {
        let mut apps = Vec::new();
        let mut error = None;
        while let Some(item) = listing.next().await {
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

    impl Transport for Hyper {
        const NAME: &'static str = "hyper";
        fn new(config: Config, emu: &Emulator, opts: &Opts) -> Result<Self, Error> {
            let mut b = Client::builder(config)
                .request_timeout(opts.request_timeout)
                .max_body_size(opts.max_body_size)
                .proxy_from_env(false);
            if let (Some(der), true) = (emu.ca_cert_der(), opts.trust_emulator) {
                b = b.root_certificate_der(der);
            }
            if let Some(p) = &opts.proxy {
                b = b.proxy(p)?;
            }
            Ok(Hyper {
                client: b.build()?,
                rt: runtime(),
            })
        }
        fn fetch(&self, app: &ConnectAppSid) -> Result<AuthorizedConnectApp, Error> {
            self.rt.block_on(self.client.fetch(app))
        }
        fn fetch_in(
            &self,
            account: &AccountSid,
            app: &ConnectAppSid,
        ) -> Result<AuthorizedConnectApp, Error> {
            self.rt.block_on(self.client.fetch_in(account, app))
        }
        fn list(&self, params: ListParams) -> Result<Listed, Error> {
            let listing = self.client.list(params)?;
            Ok(self.rt.block_on(drain(listing)))
        }
        fn resume(&self, cursor: Cursor) -> Result<Listed, Error> {
            let listing = self.client.resume(cursor)?;
            Ok(self.rt.block_on(drain(listing)))
        }
        fn take(
            &self,
            params: ListParams,
            n: usize,
        ) -> Result<(Vec<AuthorizedConnectApp>, Cursor), Error> {
            let mut listing = self.client.list(params)?;
            self.rt.block_on(async {
                let mut apps = Vec::new();
                while apps.len() < n {
                    match listing.next().await {
                        Some(item) => apps.push(item?),
                        None => break,
                    }
                }
                Ok((apps, listing.cursor()))
            })
        }
        fn page(&self, query: &PageQuery, account: Option<&AccountSid>) -> Result<Page, Error> {
            self.rt.block_on(self.client.page(query, account))
        }
        fn page_at(&self, uri: &str) -> Result<Page, Error> {
            self.rt.block_on(self.client.page_at(uri))
        }
    }

    e2e_suite!(crate::hyper_transport::Hyper);

    #[test]
    fn client_is_send_sync_clone_and_listing_is_a_stream() {
        fn assert_traits<T: Send + Sync + Clone + 'static>() {}
        fn assert_stream<S: futures_core::Stream + Send + 'static>() {}
        assert_traits::<Client>();
        assert_stream::<Listing>();
    }

    #[test]
    fn a_thousand_concurrent_fetches_share_a_bounded_pool() {
        let emu = Emulator::start();
        let h: Hyper = client(&emu);
        let sid: ConnectAppSid = "CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap();
        let results = h.rt.block_on(async {
            let tasks: Vec<_> = (0..1000)
                .map(|_| {
                    let c = h.client.clone();
                    let sid = sid.clone();
                    tokio::spawn(async move { c.fetch(&sid).await })
                })
                .collect();
            let mut out = Vec::new();
            for t in tasks {
                out.push(t.await.unwrap());
            }
            out
        });
        assert!(results.iter().all(|r| {
            r.as_ref()
                .is_ok_and(|a| a.connect_app_friendly_name.as_deref() == Some("aaa"))
        }));
        assert_eq!(emu.request_count(), 1000);
        let conns = emu.connection_count();
        assert!(
            conns <= twilio_connect_apps_hyper::DEFAULT_MAX_CONNECTIONS as u64,
            "{conns} connections"
        );
        eprintln!("1000 concurrent fetches used {conns} connections");
    }

    #[test]
    fn dropping_a_listing_after_three_records_leaves_nothing_busy() {
        let emu = Emulator::builder().generated_apps(500).start().unwrap();
        let h: Hyper = client(&emu);
        h.rt.block_on(async {
            let baseline = tokio::runtime::Handle::current()
                .metrics()
                .num_alive_tasks();
            let mut listing = h.client.list(ListParams::new().page_size(100)).unwrap();
            for _ in 0..3 {
                listing.next().await.unwrap().unwrap();
            }
            let cursor = listing.cursor();
            drop(listing);
            tokio::time::sleep(Duration::from_millis(100)).await;
            // One page was asked for, nothing ran on after the drop, and the connection went
            // back to the pool idle: the next call reuses it.
            assert_eq!(emu.request_count(), 1);
            let app = h
                .client
                .fetch(&generated_sids(1)[0].parse().unwrap())
                .await
                .unwrap();
            assert!(app.connect_app_sid.is_some());
            assert_eq!(emu.connection_count(), 1);
            // Only the pooled connection's driver and the pool's idle timer may remain.
            let alive = tokio::runtime::Handle::current()
                .metrics()
                .num_alive_tasks();
            assert!(
                alive <= baseline + 2,
                "{alive} tasks alive (baseline {baseline})"
            );
            assert_eq!(cursor.skip, 3);
        });

        // Dropped while a page is in flight: the request is cancelled and its connection closed.
        emu.set_faults(FaultScript::new().on(
            Trigger::Always,
            Fault::Trickle {
                chunk: 64,
                interval: Duration::from_millis(50),
            },
        ));
        h.rt.block_on(async {
            let mut listing = h.client.list(ListParams::new().page_size(100)).unwrap();
            let pending = tokio::time::timeout(Duration::from_millis(200), listing.next()).await;
            assert!(pending.is_err(), "still trickling");
            drop(listing);
        });
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while emu.open_connections() > 1 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            emu.open_connections() <= 1,
            "{} connections still open",
            emu.open_connections()
        );
    }

    #[test]
    fn idle_connections_close_after_the_pool_timeout() {
        let emu = Emulator::start();
        let rt = runtime();
        let client = Client::builder(crate::support::default_config(&emu))
            .pool_idle_timeout(Duration::from_millis(200))
            .build()
            .unwrap();
        rt.block_on(async {
            client
                .fetch(&"CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap())
                .await
                .unwrap();
            assert_eq!(emu.open_connections(), 1, "kept alive for reuse");
            tokio::time::sleep(Duration::from_millis(800)).await;
        });
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while emu.open_connections() > 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(emu.open_connections(), 0, "closed by the pool's idle timer");
        // and the next call simply opens a new one
        rt.block_on(client.fetch(&"CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap()))
            .unwrap();
        assert_eq!(emu.connection_count(), 2);
    }
}
