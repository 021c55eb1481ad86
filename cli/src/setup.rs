//! From the command line and the environment to a client: the credential rules, the
//! built-in emulator, TLS roots, timeouts.

use twilio_connect_apps::{
    AccountSid, Config, Credentials, Error, HttpProxy, Origin, Secret, blocking,
};
use twilio_connect_apps_testbed::{DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, Emulator};

use crate::Failure;
use crate::args::{Connection, TransportKind};
use crate::transport::{BlockOn, Chosen};

/// The client, and the emulator it talks to (kept alive while it runs).
pub(crate) struct Setup {
    pub(crate) client: blocking::Client<Chosen>,
    pub(crate) emulator: Option<Emulator>,
    /// `--account-sid`, when given.
    pub(crate) account: Option<AccountSid>,
}

impl Setup {
    /// Whether the data is the emulator's samples, not an account's.
    pub(crate) fn sample_data(&self) -> bool {
        self.emulator.is_some()
    }

    /// Where requests go, for error lines: the origin, and the proxy when there is one.
    pub(crate) fn place(&self) -> String {
        let origin: &Origin = self.client.config().origin();
        match self.client.proxy() {
            Some(p) => format!("{origin} via proxy {}", describe_proxy(p)),
            None => origin.to_string(),
        }
    }
}

fn describe_proxy(p: &HttpProxy) -> String {
    format!("{}:{} (from {})", p.host(), p.port(), p.source())
}

/// Every variable whose meaning the CLI knows.
pub(crate) const TWILIO_VARS: [&str; 11] = [
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_API_KEY",
    "TWILIO_API_SECRET",
    "TWILIO_CLIENT_ID",
    "TWILIO_CLIENT_SECRET",
    "TWILIO_OAUTH_BASE_URL",
    "TWILIO_BASE_URL",
    "TWILIO_CA_CERT",
    "TWILIO_EDGE",
    "TWILIO_REGION",
];

/// `TWILIO_*` names that are set but not known, each with the known name it is closest to.
fn near_misses(set: &[String]) -> Vec<(String, &'static str)> {
    set.iter()
        .filter(|name| !TWILIO_VARS.contains(&name.as_str()))
        .filter_map(|name| {
            TWILIO_VARS
                .iter()
                .map(|known| (strsim::damerau_levenshtein(name, known), *known))
                .filter(|(d, _)| *d <= 3)
                .min()
                .map(|(_, known)| (name.clone(), known))
        })
        .collect()
}

/// Builds the client from the flags and the environment (`env` reads one variable;
/// `twilio_set` lists the names of every `TWILIO_*` variable present).
pub(crate) fn setup(
    conn: &Connection,
    env: impl Fn(&str) -> Option<String>,
    twilio_set: &[String],
) -> Result<Setup, Failure> {
    let usage = |e: Error| Failure::Usage(e.to_string());
    if conn.emulator && conn.base_url.is_some() {
        return Err(Failure::Usage(
            "--emulator and --base-url cannot go together".into(),
        ));
    }
    let use_emulator = conn.emulator || (twilio_set.is_empty() && conn.base_url.is_none());
    let (config, emulator, ca_cert) = if use_emulator {
        let emu = Emulator::builder()
            .start()
            .map_err(|e| Failure::Usage(format!("cannot start the built-in emulator: {e}")))?;
        let why = if conn.emulator {
            "--emulator given"
        } else {
            "no TWILIO_* variable set"
        };
        eprintln!(
            "connect-apps: {why}: using the built-in emulator at {} with SAMPLE DATA, not a Twilio account",
            emu.base_url()
        );
        let config = Config::new(Credentials::auth_token(
            DEFAULT_ACCOUNT_SID
                .parse()
                .map_err(|e: twilio_connect_apps::SidError| Failure::Usage(e.to_string()))?,
            Secret::new(DEFAULT_AUTH_TOKEN),
        ))
        .with_base_url(emu.base_url())
        .map_err(usage)?;
        (config, Some(emu), None)
    } else {
        let misses = near_misses(twilio_set);
        let credentials = Credentials::from_env_with(&env).map_err(|e| {
            let mut message = e.to_string();
            for (name, known) in &misses {
                message.push_str(&format!("; {name} is set: did you mean {known}?"));
            }
            Failure::Usage(message)
        })?;
        for (name, known) in &misses {
            eprintln!("connect-apps: warning: {name} is not read: did you mean {known}?");
        }
        let mut config = Config::new(credentials);
        if let Some(url) = conn
            .base_url
            .clone()
            .or_else(|| nonempty(env("TWILIO_BASE_URL")))
        {
            config = config.with_base_url(url.trim()).map_err(usage)?;
        }
        if let Some(edge) = nonempty(env("TWILIO_EDGE")) {
            config = config.with_edge(&edge).map_err(usage)?;
        }
        if let Some(region) = nonempty(env("TWILIO_REGION")) {
            config = config.with_region(&region).map_err(usage)?;
        }
        if let Some(url) = nonempty(env("TWILIO_OAUTH_BASE_URL")) {
            config = config.with_oauth_base_url(url.trim()).map_err(usage)?;
        }
        let ca = conn
            .ca_cert
            .clone()
            .or_else(|| nonempty(env("TWILIO_CA_CERT")).map(Into::into));
        (config, None, ca)
    };
    let config = config.with_compression(!conn.no_compression);
    let mut builder = blocking::Client::<Chosen>::builder(config);
    if let Some(t) = conn.timeout {
        builder = builder.request_timeout(t);
    }
    if let Some(path) = ca_cert {
        builder = builder.root_certificate_pem_file(path).map_err(usage)?;
    }
    let client = match conn.transport {
        TransportKind::Ureq => builder
            .for_transport::<twilio_connect_apps_ureq::UreqTransport>()
            .build_wrapped(Chosen::Ureq),
        TransportKind::Hyper => builder
            .for_transport::<BlockOn>()
            .build_wrapped(|t| Chosen::Hyper(Box::new(t))),
    }
    .map_err(usage)?;
    Ok(Setup {
        client,
        emulator,
        account: conn.account_sid.clone(),
    })
}

fn nonempty(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_point_at_the_right_name() {
        let set = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            near_misses(&set(&["TWILIO_ACOUNT_SID"])),
            [("TWILIO_ACOUNT_SID".to_string(), "TWILIO_ACCOUNT_SID")]
        );
        assert_eq!(
            near_misses(&set(&["TWILIO_AUTHTOKEN", "TWILIO_REGON"])),
            [
                ("TWILIO_AUTHTOKEN".to_string(), "TWILIO_AUTH_TOKEN"),
                ("TWILIO_REGON".to_string(), "TWILIO_REGION")
            ]
        );
        assert!(
            near_misses(&set(&[
                "TWILIO_ACCOUNT_SID",
                "TWILIO_SOMETHING_ELSE_ENTIRELY"
            ]))
            .is_empty()
        );
    }
}
