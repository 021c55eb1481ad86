#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    unreachable_pub
)] // a bench, like a test, may panic
//! Listing 100,000 apps from the emulator on loopback, through each transport, against a
//! baseline loop that uses the same HTTP client directly with no paging logic: fetch the page,
//! `serde_json` it into the plain struct, follow `next_page_uri`.

use std::time::Duration;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use twilio_connect_apps::ListParams;
use twilio_connect_apps_testbed::Emulator;

#[path = "support.rs"]
mod support;
use support::*;

const APPS: usize = 100_000;

fn ureq_transport(client: &twilio_connect_apps_ureq::Client) -> usize {
    count_ok(client.list(ListParams::new()).unwrap())
}

async fn hyper_transport(client: &twilio_connect_apps_hyper::Client) -> usize {
    let mut listing = client.list(ListParams::new()).unwrap();
    let mut n = 0;
    while let Some(app) = listing.next().await {
        app.unwrap();
        n += 1;
    }
    n
}

async fn hyper_baseline(addr: std::net::SocketAddr) -> usize {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let auth = basic_auth();
    let host = addr.to_string();
    let mut next = Some(list_path("?PageSize=1000"));
    let mut n = 0;
    while let Some(path) = next {
        sender.ready().await.unwrap();
        let req = http::Request::get(path)
            .header("host", &host)
            .header("authorization", &auth)
            .body(Empty::<Bytes>::new())
            .unwrap();
        let resp = sender.send_request(req).await.unwrap();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        let page: PlainPage = serde_json::from_slice(&body).unwrap();
        n += page.authorized_connect_apps.len();
        next = page.next_page_uri.filter(|u| !u.is_empty());
    }
    n
}

fn end_to_end(c: &mut Criterion) {
    let emu = Emulator::builder().generated_apps(APPS).start().unwrap();
    let config = config_for(&emu);
    let ureq_client = twilio_connect_apps_ureq::Client::new(config.clone()).unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let hyper_client = twilio_connect_apps_hyper::Client::new(config).unwrap();

    // One listing each first: requests and connections, checked and reported.
    let check = |name: &str, run: &mut dyn FnMut() -> usize| {
        let (r0, c0) = (emu.request_count(), emu.connection_count());
        let n = run();
        let (r, cn) = (emu.request_count() - r0, emu.connection_count() - c0);
        println!("{name}: {n} apps in {r} requests over {cn} connection(s)");
        assert_eq!(n, APPS);
        assert_eq!(r, 100, "default page size 1000: 100 requests");
    };
    check("ureq transport", &mut || ureq_transport(&ureq_client));
    check("ureq views", &mut || ureq_views(&ureq_client));
    check("hyper transport", &mut || {
        rt.block_on(hyper_transport(&hyper_client))
    });

    // gzip: bytes on the wire for the same listing, identity against gzip (the emulator counts
    // the body bytes it sends), then the time of each below.
    let gzip_client =
        twilio_connect_apps_ureq::Client::new(config_for(&emu).with_compression(true)).unwrap();
    let wire = |client: &twilio_connect_apps_ureq::Client| {
        let before = emu.body_bytes_sent();
        assert_eq!(ureq_transport(client), APPS);
        emu.body_bytes_sent() - before
    };
    let (identity, zipped) = (wire(&ureq_client), wire(&gzip_client));
    println!(
        "bytes on the wire for {APPS} apps: identity {identity}, gzip {zipped} ({:.3}x)",
        zipped as f64 / identity as f64
    );

    let mut g = c.benchmark_group("list_100k");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(25))
        .warm_up_time(Duration::from_secs(3));
    g.throughput(Throughput::Elements(APPS as u64));
    g.bench_function("ureq_transport", |b| {
        b.iter(|| assert_eq!(ureq_transport(&ureq_client), APPS))
    });
    g.bench_function("ureq_views", |b| {
        b.iter(|| assert_eq!(ureq_views(&ureq_client), APPS))
    });
    g.bench_function("ureq_gzip", |b| {
        b.iter(|| assert_eq!(ureq_transport(&gzip_client), APPS))
    });
    g.bench_function("ureq_baseline", |b| {
        b.iter(|| assert_eq!(ureq_baseline(&agent, emu.base_url()), APPS))
    });
    g.bench_function("hyper_transport", |b| {
        b.iter(|| assert_eq!(rt.block_on(hyper_transport(&hyper_client)), APPS))
    });
    g.bench_function("hyper_baseline", |b| {
        b.iter(|| assert_eq!(rt.block_on(hyper_baseline(emu.addr())), APPS))
    });
    g.finish();

    // The emulator alone: one 1000-record page fetched and not parsed, to show it is not the
    // bottleneck of the runs above.
    let mut g = c.benchmark_group("emulator");
    g.throughput(Throughput::Elements(1));
    let path = format!("{}{}", emu.base_url(), list_path("?PageSize=1000"));
    let auth = basic_auth();
    g.bench_function("page_1000_served", |b| {
        b.iter(|| {
            let mut resp = agent
                .get(&path)
                .header("Authorization", &auth)
                .call()
                .unwrap();
            resp.body_mut()
                .with_config()
                .limit(16 << 20)
                .read_to_vec()
                .unwrap()
                .len()
        })
    });
    g.finish();
}

criterion_group!(benches, end_to_end);
criterion_main!(benches);
