//! End-to-end tests of every transport against the emulator, over real sockets. The suite is
//! written once (`support/suite.rs`) and run for the ureq and hyper transports and for a third
//! transport written only against the core's public contract (`support/tcp.rs`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // a test may panic

#[macro_use]
mod support;
mod suite;

mod ureq_transport {
    e2e_suite!(crate::support::Sync<twilio_connect_apps_ureq::UreqTransport>);

    #[test]
    fn a_sequential_listing_of_100_pages_uses_one_connection() {
        crate::suite::pooled_connections_for_100_pages::<
            crate::support::Sync<twilio_connect_apps_ureq::UreqTransport>,
        >(1);
    }
}

mod tcp_transport {
    e2e_suite!(crate::support::Sync<crate::support::tcp::TcpTransport>);
}

mod hyper_transport {
    use std::time::Duration;

    use twilio_connect_apps::{ConnectAppSid, ListParams};
    use twilio_connect_apps_client::{AsyncTransport, asynchronous};
    use twilio_connect_apps_hyper::{Client, HyperTransport, Listing};
    use twilio_connect_apps_testbed::{Emulator, Fault, FaultScript, Trigger};

    use crate::support::{client, generated_sids, runtime};

    type Hyper = crate::support::Async<HyperTransport>;

    #[test]
    fn a_sequential_listing_of_100_pages_reuses_pooled_connections() {
        crate::suite::pooled_connections_for_100_pages::<Hyper>(1);
    }

    /// Fetches `sid` `n` times at once, each in its own task.
    fn fetch_concurrently(
        rt: &tokio::runtime::Runtime,
        client: &asynchronous::Client<impl AsyncTransport>,
        sid: &ConnectAppSid,
        n: usize,
    ) -> Vec<Result<twilio_connect_apps::AuthorizedConnectApp, twilio_connect_apps::Error>> {
        rt.block_on(async {
            let tasks: Vec<_> = (0..n)
                .map(|_| {
                    let c = client.clone();
                    let sid = sid.clone();
                    tokio::spawn(async move { c.fetch(&sid).await.map(|f| f.app) })
                })
                .collect();
            let mut out = Vec::new();
            for t in tasks {
                out.push(t.await.unwrap());
            }
            out
        })
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
    fn tls_negotiates_http2_and_multiplexes_one_connection() {
        let emu = Emulator::builder()
            .generated_apps(3000)
            .tls(true)
            .start()
            .unwrap();
        let h: Hyper = client(&emu);
        let sid: ConnectAppSid = generated_sids(1)[0].parse().unwrap();
        // The first connection finds out (ALPN) that HTTP/2 is there; then everything shares it.
        h.rt.block_on(h.client.fetch(&sid)).unwrap();
        let results = fetch_concurrently(&h.rt, &h.client, &sid, 200);
        assert!(results.iter().all(|r| r.is_ok()));
        assert!(emu.requests().iter().all(|r| r.version == "HTTP/2.0"));
        assert_eq!(emu.connection_count(), 1, "one HTTP/2 connection for all");
    }

    #[test]
    fn a_thousand_concurrent_fetches_share_a_bounded_pool() {
        let emu = Emulator::start();
        let h: Hyper = client(&emu);
        let sid: ConnectAppSid = "CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap();
        let results = fetch_concurrently(&h.rt, &h.client, &sid, 1000);
        assert!(results.iter().all(|r| {
            r.as_ref()
                .is_ok_and(|a| a.connect_app_friendly_name() == Some("aaa"))
        }));
        assert_eq!(emu.request_count(), 1000);
        let conns = emu.connection_count();
        eprintln!("1000 concurrent fetches used {conns} connections");
        assert!(
            conns <= 2 * twilio_connect_apps::limits::DEFAULT_MAX_CONNECTIONS as u64,
            "{conns} connections"
        );
    }

    #[test]
    fn waiting_for_a_free_slot_does_not_count_against_the_timeout() {
        // 3 slots, 12 requests, each answered after 300 ms, per-attempt timeout 500 ms: the
        // last ones wait 900 ms for a slot, and must not time out for it.
        let emu = Emulator::start();
        emu.set_faults(
            FaultScript::new().on(Trigger::Always, Fault::Delay(Duration::from_millis(300))),
        );
        let rt = runtime();
        let _guard = rt.enter();
        let c = Client::builder(crate::support::default_config(&emu))
            .max_connections(3)
            .request_timeout(Duration::from_millis(500))
            .proxy_from_env(false)
            .build()
            .unwrap();
        let sid: ConnectAppSid = "CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap();
        let results = fetch_concurrently(&rt, &c, &sid, 12);
        assert!(
            results.iter().all(|r| r.is_ok()),
            "{:?}",
            results.iter().find(|r| r.is_err())
        );
        assert_eq!(
            emu.request_count(),
            12,
            "no attempt timed out, none was retried"
        );
        assert!(emu.connection_count() <= 6, "{}", emu.connection_count());
    }

    #[test]
    fn dropping_a_listing_mid_body_cancels_the_request() {
        let emu = Emulator::builder().generated_apps(500).start().unwrap();
        let h: Hyper = client(&emu);
        h.rt.block_on(async {
            let mut listing = h
                .client
                .list(ListParams::new().with_page_size(100))
                .unwrap();
            for _ in 0..3 {
                listing.next().await.unwrap().unwrap();
            }
            let cursor = listing.cursor();
            drop(listing);
            tokio::time::sleep(Duration::from_millis(100)).await;
            // One page was asked for and nothing ran on after the drop.
            assert_eq!(emu.request_count(), 1);
            assert_eq!(cursor.skip, 3);
        });
        emu.set_faults(FaultScript::new().on(
            Trigger::Always,
            Fault::Trickle {
                chunk: 64,
                interval: Duration::from_millis(50),
            },
        ));
        let before = emu.open_connections();
        h.rt.block_on(async {
            let mut listing = h
                .client
                .list(ListParams::new().with_page_size(100))
                .unwrap();
            let pending = tokio::time::timeout(Duration::from_millis(200), listing.next()).await;
            assert!(pending.is_err(), "still trickling");
            drop(listing);
        });
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while emu.open_connections() > before && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            emu.open_connections() <= before,
            "{} connections still open",
            emu.open_connections()
        );
    }

    #[test]
    fn two_hundred_fetches_at_token_expiry_make_one_token_request() {
        let emu = Emulator::builder()
            .oauth_client(
                crate::support::OAUTH_CLIENT_ID,
                crate::support::OAUTH_CLIENT_SECRET,
                twilio_connect_apps_testbed::DEFAULT_ACCOUNT_SID,
            )
            .latency(Duration::from_millis(20))
            .start()
            .unwrap();
        let clock = std::sync::Arc::new(crate::support::SteppingClock::default());
        let opts = crate::support::Opts {
            clock: Some(clock.clone()),
            ..Default::default()
        };
        let h = <Hyper as crate::support::Harness>::new(
            crate::support::oauth_config(&emu),
            &emu,
            &opts,
        )
        .unwrap();
        let sid: ConnectAppSid = "CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap();
        h.rt.block_on(h.client.fetch(&sid)).unwrap();
        assert_eq!(emu.issued_tokens().len(), 1);
        // The client's clock passes the token's expiry: all 200 need a new one at once.
        clock.advance(Duration::from_secs(2 * 3600));
        let results = fetch_concurrently(&h.rt, &h.client, &sid, 200);
        assert!(
            results.iter().all(|r| r.is_ok()),
            "{:?}",
            results.iter().find(|r| r.is_err())
        );
        assert_eq!(emu.issued_tokens().len(), 2, "one refresh for all 200");
        assert_eq!(h.client.session().token_requests(), 2);
        let token_requests = emu
            .requests()
            .iter()
            .filter(|r| r.path == "/v2/token")
            .count();
        assert_eq!(token_requests, 2);
    }

    /// Half a page on HTTP/2, then GOAWAY(NO_ERROR) and the connection closed: a body cut
    /// short (with its declared length, or a stream that never ended), retried on a new
    /// connection, never parsed as complete.
    #[test]
    fn an_http2_body_cut_by_goaway_is_retried_on_a_new_connection() {
        for declare_length in [true, false] {
            let server = crate::support::raw::GoawayServer::start(declare_length);
            let config =
                twilio_connect_apps::Config::new(twilio_connect_apps::Credentials::auth_token(
                    twilio_connect_apps_testbed::DEFAULT_ACCOUNT_SID
                        .parse()
                        .unwrap(),
                    twilio_connect_apps::Secret::new("t"),
                ))
                .with_base_url(&server.base_url)
                .unwrap()
                .with_retry_policy(
                    twilio_connect_apps::RetryPolicy::default()
                        .with_base_delay(Duration::from_millis(1)),
                );
            let rt = runtime();
            let _guard = rt.enter();
            let c = Client::builder(config)
                .root_certificate_der(&server.ca_der)
                .proxy_from_env(false)
                .build()
                .unwrap();
            let e = rt
                .block_on(c.list(ListParams::new()).unwrap().next())
                .unwrap()
                .unwrap_err();
            assert!(
                matches!(&e, twilio_connect_apps::Error::Transport(t) if t.kind == twilio_connect_apps::error::TransportErrorKind::Reset),
                "declared length {declare_length}: {e:?}"
            );
            assert_eq!(server.requests(), 4, "declared length {declare_length}");
            assert_eq!(server.connections(), 4, "each retry on a new connection");
        }
    }

    #[test]
    fn idle_connections_close_after_the_pool_timeout() {
        let emu = Emulator::start();
        let rt = runtime();
        let _guard = rt.enter();
        let client = Client::builder(crate::support::default_config(&emu))
            .pool_idle_timeout(Duration::from_millis(200))
            .proxy_from_env(false)
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
        rt.block_on(client.fetch(&"CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap()))
            .unwrap();
        assert_eq!(emu.connection_count(), 2);
    }
}
