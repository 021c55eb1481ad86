//! A certificate authority and a server certificate made at start.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// What a TLS emulator needs: the server config and the root a client must trust.
pub(crate) struct TlsMaterial {
    pub(crate) server_config: Arc<rustls::ServerConfig>,
    pub(crate) ca_der: Vec<u8>,
    pub(crate) ca_pem: String,
}

fn err(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(format!("emulator TLS setup: {e}"))
}

/// A name in the emulator's certificate that resolves nowhere: a client reaches it only
/// through a proxy that connects it to the emulator (a loopback origin is never proxied, so
/// proxy tests use this one).
pub const TLS_TEST_HOST: &str = "emulator.test";

/// A fresh CA and a leaf for `localhost`, `127.0.0.1` and [`TLS_TEST_HOST`], signed by it.
pub(crate) fn make() -> std::io::Result<TlsMaterial> {
    let ca_key = KeyPair::generate().map_err(err)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "twilio-emulator test CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).map_err(err)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let leaf_key = KeyPair::generate().map_err(err)?;
    let mut leaf_params =
        CertificateParams::new(vec!["localhost".to_owned(), TLS_TEST_HOST.to_owned()])
            .map_err(err)?;
    leaf_params
        .subject_alt_names
        .push(SanType::IpAddress(std::net::IpAddr::from([127, 0, 0, 1])));
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "twilio-emulator");
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).map_err(err)?;

    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(err)?
        .with_no_client_auth()
        .with_single_cert(
            vec![
                leaf.der().clone(),
                CertificateDer::from(ca_cert.der().to_vec()),
            ],
            key,
        )
        .map_err(err)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsMaterial {
        server_config: Arc::new(config),
        ca_der: ca_cert.der().to_vec(),
        ca_pem: ca_cert.pem(),
    })
}

/// TLS for a test server of your own (a raw HTTP/2 one, say): the emulator's kind of CA and
/// certificate (for `localhost`, `127.0.0.1` and [`TLS_TEST_HOST`]), ALPN `h2` and `http/1.1`.
#[derive(Clone)]
pub struct TestTls {
    /// The server's configuration.
    pub server_config: Arc<rustls::ServerConfig>,
    /// The root certificate (DER) a client must trust.
    pub ca_der: Vec<u8>,
}

impl TestTls {
    /// A fresh CA and certificate.
    pub fn new() -> std::io::Result<TestTls> {
        let m = make()?;
        Ok(TestTls {
            server_config: m.server_config,
            ca_der: m.ca_der,
        })
    }
}

impl std::fmt::Debug for TestTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestTls").finish_non_exhaustive()
    }
}
