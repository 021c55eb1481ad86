//! From the command line and the environment to a client: the credential rules, the
//! built-in emulator (only with `--emulator`), TLS roots, timeouts; and the flag or variable
//! each rejected value came from.

use std::path::PathBuf;

use twilio_connect_apps::config::{HttpProxy, Origin};
use twilio_connect_apps::{AccountSid, Config, Credentials, Error};
use twilio_connect_apps_client::blocking;
use twilio_connect_apps_client::defaults::DEFAULT_REQUEST_TIMEOUT;

use crate::args::{Connection, TransportKind};
use crate::failure::{Context, Failure};
use crate::transport::{BlockOn, Chosen};

pub(crate) use emulator::Emulator;

/// The built-in emulator behind `--emulator` (feature `emulator`, on by default).
#[cfg(feature = "emulator")]
mod emulator {
    use twilio_connect_apps::{Config, Credentials, Secret};
    pub(crate) use twilio_connect_apps_testbed::Emulator;
    use twilio_connect_apps_testbed::{DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN};

    use super::usage_from;
    use crate::failure::Failure;

    /// Starts it, says so on stderr (even with --quiet: this output is not an account's), and
    /// gives the configuration that talks to it.
    pub(crate) fn start() -> Result<(Config, Emulator), Failure> {
        let emu = Emulator::builder()
            .start()
            .map_err(|e| Failure::Usage(format!("cannot start the built-in emulator: {e}")))?;
        eprintln!(
            "connect-apps: --emulator: using the built-in emulator at {} with SAMPLE DATA, not a Twilio account",
            emu.base_url()
        );
        let config = Config::new(Credentials::auth_token(
            DEFAULT_ACCOUNT_SID
                .parse()
                .map_err(|e: twilio_connect_apps::error::SidError| Failure::Usage(e.to_string()))?,
            Secret::new(DEFAULT_AUTH_TOKEN),
        ))
        .with_base_url(emu.base_url())
        .map_err(|e| usage_from(&e, "the emulator's URL"))?;
        Ok((config, emu))
    }
}

/// A build without the built-in emulator: `--emulator` is a usage error that says so.
#[cfg(not(feature = "emulator"))]
mod emulator {
    use twilio_connect_apps::Config;

    use crate::failure::Failure;

    /// No emulator can exist in this build.
    pub(crate) enum Emulator {}

    pub(crate) fn start() -> Result<(Config, Emulator), Failure> {
        Err(Failure::Usage(
            "--emulator: this connect-apps was built without the built-in emulator (cargo feature `emulator`); install it with default features, or run `twilio-emulator` and pass its URL with --base-url".into(),
        ))
    }
}

/// The client, and the emulator it talks to (kept alive while it runs).
pub(crate) struct Setup {
    pub(crate) client: blocking::Client<Chosen>,
    pub(crate) emulator: Option<Emulator>,
    /// `--account-sid`, when given.
    pub(crate) account: Option<AccountSid>,
    /// What error lines may say about the setup.
    pub(crate) context: Context,
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

    /// The account in effect: `--account-sid`, or the credentials' own.
    pub(crate) fn account_in_effect(&self) -> &AccountSid {
        self.account
            .as_ref()
            .unwrap_or(self.client.config().account_sid())
    }
}

fn describe_proxy(p: &HttpProxy) -> String {
    format!("{}:{} (from {})", p.host(), p.port(), p.source())
}

/// Every variable whose meaning the CLI knows: the credentials first.
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

/// The variables that hold credentials: the first six of [`TWILIO_VARS`].
const CREDENTIAL_VARS: &[&str] = TWILIO_VARS.split_at(6).0;

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

/// A rejected value's message, naming the flag or variable it came from instead of the
/// core's field name.
pub(crate) fn usage_from(e: &Error, source: &str) -> Failure {
    let message = match e {
        Error::InvalidInput(i) => format!("{source}: {}", i.message),
        other => format!("{source}: {other}"),
    };
    Failure::Usage(message)
}

/// The flag a rejected listing input came from.
pub(crate) fn usage(e: Error) -> Failure {
    let source = match &e {
        Error::InvalidInput(i) => match i.field {
            "page_size" => "--page-size",
            "limit" => "--limit",
            "cursor" => "--resume",
            other => other,
        },
        _ => "",
    };
    if source.is_empty() {
        Failure::Usage(e.to_string())
    } else {
        usage_from(&e, source)
    }
}

/// Builds the client from the flags and the environment (`env` reads one variable;
/// `twilio_set` lists the names of every `TWILIO_*` variable present); `notes` are printed
/// on stderr unless quiet.
pub(crate) fn setup(
    conn: &Connection,
    env: impl Fn(&str) -> Option<String>,
    twilio_set: &[String],
    quiet: bool,
) -> Result<Setup, Failure> {
    let note = |text: &str| {
        if !quiet {
            eprintln!("connect-apps: {text}");
        }
    };
    if conn.emulator && conn.base_url.is_some() {
        return Err(Failure::Usage(
            "--emulator and --base-url cannot go together".into(),
        ));
    }
    let account = conn
        .account_sid
        .as_deref()
        .map(|s| s.trim().parse::<AccountSid>())
        .transpose()
        // SidError never repeats the input: a token given here by mistake is not echoed.
        .map_err(|e| Failure::Usage(format!("--account-sid: {e}")))?;
    let (config, emulator, ca_cert, credentials) = if conn.emulator {
        let (config, emu) = emulator::start()?;
        (config, Some(emu), None, None)
    } else {
        let (config, ca, names) = account_config(conn, &env, twilio_set, &note)?;
        (config, None, ca, Some(names))
    };
    let config = config.with_compression(!conn.no_compression);
    let origin = config.origin().clone();
    let mut builder = blocking::Client::<Chosen>::builder(config);
    if let Some(t) = conn.timeout {
        builder = builder.request_timeout(t);
    }
    if let Some((path, source)) = ca_cert {
        builder = builder
            .root_certificate_pem_file(path)
            .map_err(|e| usage_from(&e, source))?;
    }
    let client = match conn.transport {
        TransportKind::Ureq => builder
            .for_transport::<twilio_connect_apps_ureq::UreqTransport>()
            .build_wrapped(Chosen::Ureq),
        TransportKind::Hyper => builder
            .for_transport::<BlockOn>()
            .build_wrapped(|t| Chosen::Hyper(Box::new(t))),
    }
    .map_err(|e| match &e {
        Error::InvalidInput(i) if i.field == "proxy" => Failure::Usage(i.message.clone()),
        _ => Failure::Usage(e.to_string()),
    })?;
    let context = Context {
        credentials,
        timeout: (
            conn.timeout.unwrap_or(DEFAULT_REQUEST_TIMEOUT),
            conn.timeout.is_some(),
        ),
        https: origin.scheme() == "https",
        host: origin.host().to_owned(),
    };
    Ok(Setup {
        client,
        emulator,
        account,
        context,
    })
}

/// The configuration of a Twilio account from the flags and the environment: credentials,
/// origin (base URL, edge, region, OAuth), and the roots to trust with where they were named.
/// What [`account_config`] gives: the configuration, the roots to trust (the file and the
/// flag or variable that named it), and the variables the credentials came from.
type AccountConfig = (
    Config,
    Option<(PathBuf, &'static str)>,
    &'static [&'static str],
);

fn account_config(
    conn: &Connection,
    env: &impl Fn(&str) -> Option<String>,
    twilio_set: &[String],
    note: &impl Fn(&str),
) -> Result<AccountConfig, Failure> {
    let credentials = credentials(env, twilio_set, note)?;
    let names = credentials.env_names();
    let mut config = Config::new(credentials);
    let (url, source) = match (&conn.base_url, nonempty(env("TWILIO_BASE_URL"))) {
        (Some(u), _) => (Some(u.clone()), "--base-url"),
        (None, Some(u)) => (Some(u), "TWILIO_BASE_URL"),
        (None, None) => (None, ""),
    };
    if let Some(url) = url {
        config = config
            .with_base_url(url.trim())
            .map_err(|e| usage_from(&e, source))?;
    }
    if let Some(edge) = nonempty(env("TWILIO_EDGE")) {
        config = config
            .with_edge(&edge)
            .map_err(|e| usage_from(&e, "TWILIO_EDGE"))?;
    }
    if let Some(region) = nonempty(env("TWILIO_REGION")) {
        config = config
            .with_region(&region)
            .map_err(|e| usage_from(&e, "TWILIO_REGION"))?;
    }
    if let Some(url) = nonempty(env("TWILIO_OAUTH_BASE_URL")) {
        config = config
            .with_oauth_base_url(url.trim())
            .map_err(|e| usage_from(&e, "TWILIO_OAUTH_BASE_URL"))?;
    }
    let ca = match (&conn.ca_cert, nonempty(env("TWILIO_CA_CERT"))) {
        (Some(p), _) => Some((p.clone(), "--ca-cert")),
        (None, Some(p)) => Some((p.into(), "TWILIO_CA_CERT")),
        (None, None) => None,
    };
    Ok((config, ca, names))
}

/// The credentials from the environment, with what a person needs to hear: which variables
/// to set when there are none, which near miss was meant, and which kind is used when more
/// than one is set.
fn credentials(
    env: &impl Fn(&str) -> Option<String>,
    twilio_set: &[String],
    note: &impl Fn(&str),
) -> Result<Credentials, Failure> {
    let set = |name: &str| nonempty(env(name)).is_some();
    let misses = near_misses(twilio_set);
    if !CREDENTIAL_VARS.iter().any(|n| set(n)) && misses.is_empty() {
        return Err(Failure::Usage(
            "no credentials: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (or TWILIO_API_KEY, TWILIO_API_SECRET and TWILIO_ACCOUNT_SID; or TWILIO_CLIENT_ID, TWILIO_CLIENT_SECRET and TWILIO_ACCOUNT_SID); or try it on sample data with --emulator".into(),
        ));
    }
    let credentials = Credentials::from_env_with(env).map_err(|e| {
        let mut message = match &e {
            Error::Sid(sid) => format!("TWILIO_ACCOUNT_SID or TWILIO_API_KEY: {sid}"),
            Error::InvalidInput(i) => i.message.clone(),
            other => other.to_string(),
        };
        for (name, known) in &misses {
            message.push_str(&format!("; {name} is set: did you mean {known}?"));
        }
        Failure::Usage(message)
    })?;
    for (name, known) in &misses {
        note(&format!(
            "warning: {name} is not read: did you mean {known}?"
        ));
    }
    let others: Vec<&str> = [
        ("TWILIO_CLIENT_ID", "OAuth client credentials"),
        ("TWILIO_API_KEY", "API key"),
        ("TWILIO_AUTH_TOKEN", "auth token"),
    ]
    .into_iter()
    .filter(|(var, kind)| set(var) && *kind != credentials.kind())
    .map(|(var, _)| var)
    .collect();
    if !others.is_empty() {
        note(&format!(
            "using the {} ({}); {} set too, and not used",
            credentials.kind(),
            credentials.env_names().join(" + "),
            others.join(" and ")
        ));
    }
    Ok(credentials)
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
