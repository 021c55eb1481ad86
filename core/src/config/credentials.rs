//! How requests authenticate: an account SID and auth token, an API key, or an OAuth client
//! (client credentials, exchanged for short-lived access tokens).

use base64::Engine as _;
use http::HeaderValue;

use crate::base::secret::Secret;
use crate::base::sid::{AccountSid, ApiKeySid};
use crate::error::Error;

/// How requests authenticate: HTTP Basic with an auth token or an API key, or a bearer token
/// obtained for OAuth client credentials.
///
/// `Debug` never shows the secret:
///
/// ```
/// use twilio_connect_apps::{Credentials, Secret};
/// let creds = Credentials::auth_token(
///     "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse()?,
///     Secret::new("s3cr3t-token"),
/// );
/// assert!(!format!("{creds:?}").contains("s3cr3t"));
/// # Ok::<(), twilio_connect_apps::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// An account SID and its auth token; the account acted on defaults to this one.
    AuthToken {
        /// The account SID (the Basic user name).
        account_sid: AccountSid,
        /// The auth token (the Basic password).
        auth_token: Secret,
    },
    /// An API key and its secret, plus the account to act on (an API key alone does not say).
    ApiKey {
        /// The API key SID (the Basic user name).
        key_sid: ApiKeySid,
        /// The API key secret (the Basic password).
        secret: Secret,
        /// The account whose resources are read by default.
        account_sid: AccountSid,
    },
    /// A Twilio OAuth app's client credentials, exchanged at the token endpoint
    /// (`POST {oauth origin}/v2/token`, `grant_type=client_credentials`) for access tokens that
    /// API requests carry as `Authorization: Bearer …`; plus the account to act on.
    OAuthClient {
        /// The OAuth client id.
        client_id: String,
        /// The OAuth client secret.
        client_secret: Secret,
        /// The account whose resources are read.
        account_sid: AccountSid,
    },
}

impl Credentials {
    /// Account SID and auth token.
    pub fn auth_token(account_sid: AccountSid, auth_token: Secret) -> Self {
        Credentials::AuthToken {
            account_sid,
            auth_token,
        }
    }

    /// API key SID and secret, acting on `account_sid`.
    pub fn api_key(key_sid: ApiKeySid, secret: Secret, account_sid: AccountSid) -> Self {
        Credentials::ApiKey {
            key_sid,
            secret,
            account_sid,
        }
    }

    /// OAuth client credentials (`client_id`, `client_secret`), acting on `account_sid`.
    ///
    /// ```
    /// use twilio_connect_apps::{Credentials, Secret};
    /// let creds = Credentials::oauth_client(
    ///     "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse()?,
    ///     "OQ0123",
    ///     Secret::new("client secret"),
    /// );
    /// assert_eq!(creds.kind(), "OAuth client credentials");
    /// assert!(!format!("{creds:?}").contains("client secret"));
    /// # Ok::<(), twilio_connect_apps::Error>(())
    /// ```
    pub fn oauth_client(
        account_sid: AccountSid,
        client_id: impl Into<String>,
        client_secret: Secret,
    ) -> Self {
        Credentials::OAuthClient {
            client_id: client_id.into(),
            client_secret,
            account_sid,
        }
    }

    /// The account acted on by default.
    pub fn account_sid(&self) -> &AccountSid {
        match self {
            Credentials::AuthToken { account_sid, .. }
            | Credentials::ApiKey { account_sid, .. }
            | Credentials::OAuthClient { account_sid, .. } => account_sid,
        }
    }

    /// The secret (auth token, API key secret or OAuth client secret).
    pub fn secret(&self) -> &Secret {
        match self {
            Credentials::AuthToken { auth_token, .. } => auth_token,
            Credentials::ApiKey { secret, .. } => secret,
            Credentials::OAuthClient { client_secret, .. } => client_secret,
        }
    }

    /// What kind of credentials these are, in words: `auth token`, `API key` or `OAuth client
    /// credentials` (never the values).
    pub fn kind(&self) -> &'static str {
        match self {
            Credentials::AuthToken { .. } => "auth token",
            Credentials::ApiKey { .. } => "API key",
            Credentials::OAuthClient { .. } => "OAuth client credentials",
        }
    }

    /// The names of the environment variables these credentials are read from, as
    /// [`Credentials::from_env_with`] reads them (names, never values).
    pub fn env_names(&self) -> &'static [&'static str] {
        match self {
            Credentials::AuthToken { .. } => &["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"],
            Credentials::ApiKey { .. } => {
                &["TWILIO_API_KEY", "TWILIO_API_SECRET", "TWILIO_ACCOUNT_SID"]
            }
            Credentials::OAuthClient { .. } => &[
                "TWILIO_CLIENT_ID",
                "TWILIO_CLIENT_SECRET",
                "TWILIO_ACCOUNT_SID",
            ],
        }
    }

    /// Whether requests carry an OAuth access token (obtained at the token endpoint).
    pub fn is_oauth(&self) -> bool {
        matches!(self, Credentials::OAuthClient { .. })
    }

    /// Reads credentials from the process environment; see [`Credentials::from_env_with`].
    pub fn from_env() -> Result<Self, Error> {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// Reads credentials through `lookup` (a stand-in for the environment, for tests).
    ///
    /// `TWILIO_CLIENT_ID` + `TWILIO_CLIENT_SECRET` + `TWILIO_ACCOUNT_SID` win when the client id
    /// is set; then `TWILIO_API_KEY` + `TWILIO_API_SECRET` + `TWILIO_ACCOUNT_SID` when the key
    /// is set; otherwise `TWILIO_ACCOUNT_SID` + `TWILIO_AUTH_TOKEN`. Empty values count as
    /// unset.
    ///
    /// ```
    /// use twilio_connect_apps::Credentials;
    /// let env = |name: &str| match name {
    ///     "TWILIO_ACCOUNT_SID" => Some("ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".to_owned()),
    ///     _ => None,
    /// };
    /// let err = Credentials::from_env_with(env).unwrap_err();
    /// assert!(err.to_string().contains("TWILIO_AUTH_TOKEN"));
    /// ```
    pub fn from_env_with(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let account = get("TWILIO_ACCOUNT_SID");
        if let Some(client_id) = get("TWILIO_CLIENT_ID") {
            let secret = get("TWILIO_CLIENT_SECRET").ok_or_else(|| {
                Error::input(
                    "credentials",
                    "TWILIO_CLIENT_ID is set but TWILIO_CLIENT_SECRET is not",
                )
            })?;
            let account = account.ok_or_else(|| {
                Error::input(
                    "credentials",
                    "TWILIO_CLIENT_ID is set but TWILIO_ACCOUNT_SID (the account to read) is not",
                )
            })?;
            return Ok(Credentials::oauth_client(
                account.trim().parse()?,
                client_id.trim(),
                Secret::new(secret),
            ));
        }
        if let Some(key) = get("TWILIO_API_KEY") {
            let secret = get("TWILIO_API_SECRET").ok_or_else(|| {
                Error::input(
                    "credentials",
                    "TWILIO_API_KEY is set but TWILIO_API_SECRET is not",
                )
            })?;
            let account = account.ok_or_else(|| {
                Error::input(
                    "credentials",
                    "TWILIO_API_KEY is set but TWILIO_ACCOUNT_SID (the account to act on) is not",
                )
            })?;
            return Ok(Credentials::api_key(
                key.trim().parse()?,
                Secret::new(secret),
                account.trim().parse()?,
            ));
        }
        match (account, get("TWILIO_AUTH_TOKEN")) {
            (Some(account), Some(token)) => Ok(Credentials::auth_token(
                account.trim().parse()?,
                Secret::new(token),
            )),
            (Some(_), None) => Err(Error::input(
                "credentials",
                "TWILIO_ACCOUNT_SID is set but TWILIO_AUTH_TOKEN is not",
            )),
            (None, _) => Err(Error::input(
                "credentials",
                "set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, or TWILIO_API_KEY, TWILIO_API_SECRET and TWILIO_ACCOUNT_SID, or TWILIO_CLIENT_ID, TWILIO_CLIENT_SECRET and TWILIO_ACCOUNT_SID",
            )),
        }
    }

    /// Every form in which the secret could come back in a server's text: as is, as the token
    /// request's form encodes it, JSON-escaped, in base64 alone and as the Basic
    /// `user:secret` pair (unpadded, so that a padded copy matches too).
    pub(crate) fn secret_forms(&self) -> Vec<String> {
        use base64::engine::general_purpose::STANDARD_NO_PAD;
        let user = match self {
            Credentials::AuthToken { account_sid, .. } => account_sid.as_str(),
            Credentials::ApiKey { key_sid, .. } => key_sid.as_str(),
            Credentials::OAuthClient { client_id, .. } => client_id.as_str(),
        };
        let secret = self.secret().expose();
        let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        let json = serde_json::to_string(secret).unwrap_or_default();
        vec![
            secret.to_owned(),
            form,
            json.trim_matches('"').to_owned(),
            STANDARD_NO_PAD.encode(secret),
            STANDARD_NO_PAD.encode(format!("{user}:{secret}")),
        ]
    }

    /// The Basic `Authorization` header value, marked sensitive (`None` for OAuth clients:
    /// their requests carry a bearer token). Base64 is always a valid header value, so this
    /// cannot fail.
    pub(crate) fn basic_authorization(&self) -> Option<HeaderValue> {
        let user = match self {
            Credentials::AuthToken { account_sid, .. } => account_sid.as_str(),
            Credentials::ApiKey { key_sid, .. } => key_sid.as_str(),
            Credentials::OAuthClient { .. } => return None,
        };
        let mut encoded = String::from("Basic ");
        base64::engine::general_purpose::STANDARD
            .encode_string(format!("{user}:{}", self.secret().expose()), &mut encoded);
        let mut value =
            HeaderValue::from_str(&encoded).unwrap_or_else(|_| HeaderValue::from_static("Basic"));
        value.set_sensitive(true);
        Some(value)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A stand-in for the environment, for `from_env_with` style readers.
    pub(crate) fn env(
        pairs: &'static [(&'static str, &'static str)],
    ) -> impl Fn(&str) -> Option<String> {
        move |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    const AC: &str = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const SK: &str = "SKbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    #[test]
    fn env_rules() {
        let c = Credentials::from_env_with(env(&[
            ("TWILIO_ACCOUNT_SID", AC),
            ("TWILIO_API_KEY", SK),
            ("TWILIO_API_SECRET", "s"),
            ("TWILIO_AUTH_TOKEN", ""),
        ]))
        .unwrap();
        assert!(matches!(c, Credentials::ApiKey { .. }));
        assert_eq!(c.account_sid().as_str(), AC);
        let e =
            Credentials::from_env_with(env(&[("TWILIO_API_KEY", SK), ("TWILIO_API_SECRET", "s")]))
                .unwrap_err();
        assert!(e.to_string().contains("TWILIO_ACCOUNT_SID"), "{e}");
        let e = Credentials::from_env_with(env(&[])).unwrap_err();
        assert!(e.to_string().contains("TWILIO_AUTH_TOKEN"), "{e}");
        let e = Credentials::from_env_with(env(&[
            ("TWILIO_ACCOUNT_SID", "ACnope"),
            ("TWILIO_AUTH_TOKEN", "t"),
        ]))
        .unwrap_err();
        assert!(e.to_string().contains("account SID"), "{e}");
    }

    #[test]
    fn header_is_sensitive_and_basic() {
        let c = Credentials::auth_token(AC.parse().unwrap(), Secret::new("tok"));
        let h = c.basic_authorization().unwrap();
        assert!(h.is_sensitive());
        let expected = base64::engine::general_purpose::STANDARD.encode(format!("{AC}:tok"));
        assert_eq!(h.to_str().unwrap(), format!("Basic {expected}"));
        assert!(!format!("{c:?}").contains("tok\""));
    }
}
