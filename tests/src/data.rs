//! The emulator's data: accounts, subaccounts, API keys and apps.
//!
//! Written from the OpenAPI extract in `tests/spec/` only; it shares no types with the client
//! crates on purpose, so a misreading of the spec in one cannot hide in both.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One authorized Connect App as the emulator stores it. `None` fields are sent as `null`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct App {
    /// `CN` + 32 hex digits.
    pub connect_app_sid: String,
    /// The company name (may be `null`).
    #[serde(default)]
    pub connect_app_company_name: Option<String>,
    /// The description (may be `null`).
    #[serde(default)]
    pub connect_app_description: Option<String>,
    /// The friendly name (may be `null`).
    #[serde(default)]
    pub connect_app_friendly_name: Option<String>,
    /// The homepage URL, sent as stored (may be malformed on purpose).
    #[serde(default)]
    pub connect_app_homepage_url: Option<String>,
    /// The permissions, sent as stored (may hold values the spec does not list).
    #[serde(default)]
    pub permissions: Option<Vec<String>>,
}

impl App {
    /// An app with a name and `get-all`.
    pub fn new(sid: impl Into<String>, friendly_name: impl Into<String>) -> Self {
        App {
            connect_app_sid: sid.into(),
            connect_app_company_name: Some("Example Co".into()),
            connect_app_description: Some("An example Connect App".into()),
            connect_app_friendly_name: Some(friendly_name.into()),
            connect_app_homepage_url: Some("https://example.com".into()),
            permissions: Some(vec!["get-all".into()]),
        }
    }

    /// The app as the API shows it under `account_sid`, in the spec's field order.
    pub fn to_json(&self, account_sid: &str) -> Value {
        let mut m = Map::new();
        m.insert("account_sid".into(), Value::from(account_sid));
        let opt = |v: &Option<String>| v.clone().map(Value::from).unwrap_or(Value::Null);
        m.insert(
            "connect_app_company_name".into(),
            opt(&self.connect_app_company_name),
        );
        m.insert(
            "connect_app_description".into(),
            opt(&self.connect_app_description),
        );
        m.insert(
            "connect_app_friendly_name".into(),
            opt(&self.connect_app_friendly_name),
        );
        m.insert(
            "connect_app_homepage_url".into(),
            opt(&self.connect_app_homepage_url),
        );
        m.insert(
            "connect_app_sid".into(),
            Value::from(self.connect_app_sid.as_str()),
        );
        m.insert(
            "permissions".into(),
            self.permissions
                .clone()
                .map(Value::from)
                .unwrap_or(Value::Null),
        );
        m.insert(
            "uri".into(),
            Value::from(format!(
                "/2010-04-01/Accounts/{account_sid}/AuthorizedConnectApps/{}.json",
                self.connect_app_sid
            )),
        );
        Value::Object(m)
    }
}

/// An account: its auth token, its parent (for subaccounts) and its apps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    /// `AC` + 32 hex digits.
    pub sid: String,
    /// The auth token (Basic password). The accounts listing sends it, as Twilio's does.
    pub auth_token: String,
    /// Its name (default: `Account <sid>`).
    #[serde(default)]
    pub friendly_name: Option<String>,
    /// `active` (default), `suspended` or `closed`.
    #[serde(default)]
    pub status: Option<String>,
    /// The parent account, for a subaccount.
    #[serde(default)]
    pub parent: Option<String>,
    /// The apps authorized on this account, in listing order.
    #[serde(default)]
    pub apps: Vec<App>,
    /// In a seed file: this many generated apps are added after `apps`.
    #[serde(default, skip_serializing)]
    pub generate: usize,
}

impl Account {
    /// An account with no apps.
    pub fn new(sid: impl Into<String>, auth_token: impl Into<String>) -> Self {
        Account {
            sid: sid.into(),
            auth_token: auth_token.into(),
            friendly_name: None,
            status: None,
            parent: None,
            apps: Vec::new(),
            generate: 0,
        }
    }
}

/// An API key: `SK` SID and secret, belonging to an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    /// `SK` + 32 hex digits.
    pub sid: String,
    /// The key secret (Basic password).
    pub secret: String,
    /// The account the key belongs to.
    pub account_sid: String,
}

/// Everything the emulator serves.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    /// Accounts and subaccounts.
    #[serde(default)]
    pub accounts: Vec<Account>,
    /// API keys.
    #[serde(default)]
    pub api_keys: Vec<ApiKey>,
}

/// The default account of [`Dataset::sample`] and of an emulator started without data.
pub const DEFAULT_ACCOUNT_SID: &str = "AC00000000000000000000000000000001";
/// The default account's auth token.
pub const DEFAULT_AUTH_TOKEN: &str = "emulator-auth-token-0001";
/// The subaccounts of [`Dataset::sample`]: "Support team" and "Marketing".
pub const SAMPLE_SUBACCOUNTS: [&str; 2] = [
    "AC00000000000000000000000000000002",
    "AC00000000000000000000000000000003",
];
/// The subaccount of [`Dataset::audit_scenario`] whose listing fails.
pub const AUDIT_FAILING_SUBACCOUNT: &str = "AC00000000000000000000000000000004";

impl Dataset {
    /// Reads a seed file's JSON (`{"accounts": [...], "api_keys": [...]}`); an account's
    /// `"generate": N` adds N generated apps.
    pub fn from_json(json: &str) -> Result<Dataset, String> {
        let mut d: Dataset = serde_json::from_str(json).map_err(|e| format!("seed file: {e}"))?;
        for a in &mut d.accounts {
            if a.generate > 0 {
                let more = generate_apps(a.generate, seed_of(&a.sid));
                a.apps.extend(more);
                a.generate = 0;
            }
        }
        d.validate()?;
        Ok(d)
    }

    /// The account [`DEFAULT_ACCOUNT_SID`] holding the spec's example app and a few more, one
    /// with `post-all`, and two subaccounts ([`SAMPLE_SUBACCOUNTS`]) with apps of their own
    /// (one with `post-all`): the data a new user sees.
    pub fn sample() -> Dataset {
        let spec_example = App {
            connect_app_sid: "CNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".into(),
            connect_app_company_name: Some("aaa".into()),
            connect_app_description: Some("alksjdfl;ajseifj;alsijfl;ajself;jasjfjas;lejflj".into()),
            connect_app_friendly_name: Some("aaa".into()),
            connect_app_homepage_url: Some("http://www.google.com".into()),
            permissions: Some(vec!["get-all".into()]),
        };
        let mut account = Account::new(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN);
        account.apps = vec![
            spec_example,
            App {
                connect_app_sid: "CN0000000000000000000000000000b001".into(),
                connect_app_company_name: Some("Acme Analytics".into()),
                connect_app_description: Some("Reads call logs for dashboards".into()),
                connect_app_friendly_name: Some("Call Insights".into()),
                connect_app_homepage_url: Some("https://insights.example.com".into()),
                permissions: Some(vec!["get-all".into()]),
            },
            App {
                connect_app_sid: "CN0000000000000000000000000000b002".into(),
                connect_app_company_name: Some("Bulk Sender Ltd".into()),
                connect_app_description: Some("Sends messages on your behalf".into()),
                connect_app_friendly_name: Some("Campaign Blaster".into()),
                connect_app_homepage_url: Some("https://blaster.example.net".into()),
                permissions: Some(vec!["get-all".into(), "post-all".into()]),
            },
            App {
                connect_app_sid: "CN0000000000000000000000000000b003".into(),
                connect_app_company_name: None,
                connect_app_description: Some("Backs up recordings".into()),
                connect_app_friendly_name: Some("Recording Vault".into()),
                connect_app_homepage_url: None,
                permissions: Some(vec!["get-all".into()]),
            },
        ];
        account.friendly_name = Some("Sample parent account".into());
        let mut support = Account::new(SAMPLE_SUBACCOUNTS[0], "emulator-auth-token-0002");
        support.parent = Some(DEFAULT_ACCOUNT_SID.into());
        support.friendly_name = Some("Support team".into());
        support.apps = vec![App {
            connect_app_sid: "CN0000000000000000000000000000b101".into(),
            connect_app_company_name: Some("Helpdesk Inc".into()),
            connect_app_description: Some("Links calls to support tickets".into()),
            connect_app_friendly_name: Some("Helpdesk Sync".into()),
            connect_app_homepage_url: Some("https://helpdesk.example.org".into()),
            permissions: Some(vec!["get-all".into()]),
        }];
        let mut marketing = Account::new(SAMPLE_SUBACCOUNTS[1], "emulator-auth-token-0003");
        marketing.parent = Some(DEFAULT_ACCOUNT_SID.into());
        marketing.friendly_name = Some("Marketing".into());
        marketing.apps = vec![
            App {
                connect_app_sid: "CN0000000000000000000000000000b002".into(),
                connect_app_company_name: Some("Bulk Sender Ltd".into()),
                connect_app_description: Some("Sends messages on your behalf".into()),
                connect_app_friendly_name: Some("Campaign Blaster".into()),
                connect_app_homepage_url: Some("https://blaster.example.net".into()),
                permissions: Some(vec!["get-all".into(), "post-all".into()]),
            },
            App {
                connect_app_sid: "CN0000000000000000000000000000b102".into(),
                connect_app_company_name: Some("Survey Co".into()),
                connect_app_description: Some("Calls customers back with a survey".into()),
                connect_app_friendly_name: Some("Survey Caller".into()),
                connect_app_homepage_url: Some("https://survey.example.com".into()),
                permissions: Some(vec!["get-all".into()]),
            },
        ];
        Dataset {
            accounts: vec![account, support, marketing],
            api_keys: Vec::new(),
        }
    }

    /// [`Dataset::sample`] and one more subaccount, [`AUDIT_FAILING_SUBACCOUNT`], whose
    /// listing the `audit` scenario makes fail (403): everything an audit test needs, with
    /// [`crate::Emulator::upsert_app`] to change an app between two runs.
    pub fn audit_scenario() -> Dataset {
        let mut d = Dataset::sample();
        let mut broken = Account::new(AUDIT_FAILING_SUBACCOUNT, "emulator-auth-token-0004");
        broken.parent = Some(DEFAULT_ACCOUNT_SID.into());
        broken.friendly_name = Some("Legacy project".into());
        broken.apps = vec![App::new(
            "CN0000000000000000000000000000b201",
            "Legacy Reports",
        )];
        d.accounts.push(broken);
        d
    }

    /// One account ([`DEFAULT_ACCOUNT_SID`]) with `n` generated apps.
    pub fn generated(n: usize) -> Dataset {
        let mut account = Account::new(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN);
        account.apps = generate_apps(n, 1);
        Dataset {
            accounts: vec![account],
            api_keys: Vec::new(),
        }
    }

    /// The default account with `apps_each` generated apps, and `subaccounts` subaccounts of it
    /// with `apps_each` generated apps each (SIDs `AC…0002` upward). Every 10th subaccount is
    /// suspended and every 33rd closed; their auth tokens are `token-<n>`.
    pub fn with_subaccounts(subaccounts: usize, apps_each: usize) -> Dataset {
        let mut parent = Account::new(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN);
        parent.friendly_name = Some("Parent account".into());
        parent.apps = generate_apps(apps_each, 1);
        let mut accounts = vec![parent];
        for i in 0..subaccounts {
            let n = i as u64 + 2;
            let sid = format!("AC{n:032x}");
            let mut a = Account::new(sid.clone(), format!("token-{n}"));
            a.parent = Some(DEFAULT_ACCOUNT_SID.into());
            a.friendly_name = Some(format!("Client {n} «Ltd»"));
            a.status = Some(
                match i % 33 {
                    32 => "closed",
                    _ if i % 10 == 9 => "suspended",
                    _ => "active",
                }
                .into(),
            );
            a.apps = generate_apps(apps_each, seed_of(&sid));
            accounts.push(a);
        }
        Dataset {
            accounts,
            api_keys: Vec::new(),
        }
    }

    /// Checks SIDs and references; the emulator refuses to start on bad data.
    pub fn validate(&self) -> Result<(), String> {
        for a in &self.accounts {
            check_sid(&a.sid, "AC")?;
            if let Some(p) = &a.parent
                && !self.accounts.iter().any(|x| &x.sid == p)
            {
                return Err(format!("account {}: parent {p} is not an account", a.sid));
            }
            for app in &a.apps {
                check_sid(&app.connect_app_sid, "CN")?;
            }
        }
        for k in &self.api_keys {
            check_sid(&k.sid, "SK")?;
            if !self.accounts.iter().any(|x| x.sid == k.account_sid) {
                return Err(format!(
                    "API key {}: account {} is unknown",
                    k.sid, k.account_sid
                ));
            }
        }
        Ok(())
    }
}

/// Whether `s` is `prefix` + 32 hex digits, the spec's pattern.
pub fn is_sid(s: &str, prefix: &str) -> bool {
    s.len() == 34 && s.starts_with(prefix) && s.bytes().skip(2).all(|b| b.is_ascii_hexdigit())
}

fn check_sid(s: &str, prefix: &str) -> Result<(), String> {
    if is_sid(s, prefix) {
        Ok(())
    } else {
        Err(format!(
            "`{s}` is not a {prefix} SID ({prefix} + 32 hex digits)"
        ))
    }
}

fn seed_of(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// A small deterministic generator (SplitMix64).
#[derive(Debug, Clone)]
pub(crate) struct SplitMix(pub(crate) u64);

impl SplitMix {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// `n` deterministic apps with awkward values mixed in: Unicode, quotes and backslashes, empty
/// strings, `null`s, unknown permissions, malformed homepage URLs, and some `post-all`.
///
/// SIDs are unique within one call and sort in listing order.
pub fn generate_apps(n: usize, seed: u64) -> Vec<App> {
    let mut rng = SplitMix(seed);
    (0..n)
        .map(|i| {
            let r = rng.next();
            let mut sid = String::with_capacity(34);
            sid.push_str("CN");
            let _ = write!(sid, "{:016x}{:016x}", i as u64, r);
            let name = match i % 7 {
                0 => format!("App {i}"),
                1 => format!("Ünïcødé 应用 {i} 😀"),
                2 => format!("Quote \"{i}\" and back\\slash / tab\t"),
                3 => String::new(),
                4 => format!("Line\nbreak {i} \u{1F680}"),
                5 => format!("<script>alert({i})</script> &amp;"),
                _ => format!("Plain app number {i}"),
            };
            let permissions = match r % 11 {
                0 => None,
                1 => Some(vec![]),
                2 | 3 => Some(vec!["get-all".into(), "post-all".into()]),
                4 => Some(vec!["get-all".into(), "delete-all".into()]),
                _ => Some(vec!["get-all".into()]),
            };
            App {
                connect_app_sid: sid,
                connect_app_company_name: if i % 5 == 0 { None } else { Some(format!("Company {} GmbH & Co. «KG»", r % 1000)) },
                connect_app_description: if i % 13 == 0 { Some(String::new()) } else { Some(format!("Description of app {i}: reads \"things\" \\ writes nothing. 日本語のテキスト.")) },
                connect_app_friendly_name: if i % 17 == 0 { None } else { Some(name) },
                connect_app_homepage_url: match i % 9 {
                    0 => None,
                    1 => Some("not a url at all".into()),
                    _ => Some(format!("https://app{i}.example.com/home?ref=twilio&x=1")),
                },
                permissions,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generator_is_deterministic_and_unique() {
        let a = generate_apps(2000, 7);
        assert_eq!(a, generate_apps(2000, 7));
        let mut sids: Vec<&str> = a.iter().map(|x| x.connect_app_sid.as_str()).collect();
        assert!(sids.iter().all(|s| is_sid(s, "CN")));
        sids.dedup();
        assert_eq!(sids.len(), 2000);
        assert!(a.iter().any(|x| {
            x.permissions
                .as_ref()
                .is_some_and(|p| p.iter().any(|p| p == "delete-all"))
        }));
        assert!(a.iter().any(|x| x.connect_app_friendly_name.is_none()));
    }

    #[test]
    fn seed_file_with_generate_and_bad_data() {
        let json = format!(
            r#"{{"accounts": [{{"sid": "{DEFAULT_ACCOUNT_SID}", "auth_token": "t", "generate": 5}}],
                "api_keys": [{{"sid": "SK00000000000000000000000000000001", "secret": "s", "account_sid": "{DEFAULT_ACCOUNT_SID}"}}]}}"#
        );
        let d = Dataset::from_json(&json).unwrap();
        assert_eq!(d.accounts[0].apps.len(), 5);
        assert!(
            Dataset::from_json(r#"{"accounts": [{"sid": "AC1", "auth_token": "t"}]}"#).is_err()
        );
    }
}
