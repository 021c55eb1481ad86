//! Validated Twilio identifiers (SIDs).
//!
//! A SID is a two-letter prefix followed by exactly 32 hexadecimal digits. The types here can only
//! be built from a string that passes that check, so a request built from them can never carry a
//! malformed SID (and so can never smuggle `/`, `?` or `..` into a path).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The length of every SID: a 2-letter prefix and 32 hex digits.
const SID_LEN: usize = 34;

/// Which kind of SID a value was meant to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SidKind {
    /// An account SID (`AC…`).
    Account,
    /// A Connect App SID (`CN…`).
    ConnectApp,
    /// An API key SID (`SK…`).
    ApiKey,
}

impl SidKind {
    /// The two-letter prefix that SIDs of this kind start with.
    pub const fn prefix(self) -> &'static str {
        match self {
            SidKind::Account => "AC",
            SidKind::ConnectApp => "CN",
            SidKind::ApiKey => "SK",
        }
    }

    fn name(self) -> &'static str {
        match self {
            SidKind::Account => "account SID",
            SidKind::ConnectApp => "Connect App SID",
            SidKind::ApiKey => "API key SID",
        }
    }
}

/// Which rule a string broke when it was read as a SID.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SidRule {
    /// The string was not 34 characters long; holds the length seen (in bytes).
    Length(usize),
    /// The string did not start with the kind's prefix.
    Prefix,
    /// A character after the prefix was not a hex digit; holds its byte offset.
    NotHex(usize),
}

/// A string that is not a valid SID of the expected kind.
///
/// The rejected input is not kept: a SID field is sometimes filled with a secret by mistake, and
/// errors must never carry secrets.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct SidError {
    kind: SidKind,
    rule: SidRule,
}

impl SidError {
    /// The kind of SID that was expected.
    pub fn kind(&self) -> SidKind {
        self.kind
    }

    /// The rule that the input broke.
    pub fn rule(&self) -> &SidRule {
        &self.rule
    }
}

impl fmt::Display for SidError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.kind.name();
        let prefix = self.kind.prefix();
        match &self.rule {
            SidRule::Length(n) => write!(
                f,
                "invalid {name}: must be 34 characters ({prefix} + 32 hex digits), got {n}"
            ),
            SidRule::Prefix => write!(f, "invalid {name}: must start with `{prefix}`"),
            SidRule::NotHex(at) => write!(
                f,
                "invalid {name}: character at offset {at} is not a hex digit (expected {prefix} + 32 hex digits)"
            ),
        }
    }
}

impl std::error::Error for SidError {}

fn validate(kind: SidKind, s: &str) -> Result<(), SidError> {
    let bytes = s.as_bytes();
    if bytes.len() != SID_LEN {
        return Err(SidError {
            kind,
            rule: SidRule::Length(bytes.len()),
        });
    }
    if !s.starts_with(kind.prefix()) {
        return Err(SidError {
            kind,
            rule: SidRule::Prefix,
        });
    }
    if let Some(at) = bytes
        .iter()
        .enumerate()
        .skip(2)
        .find(|(_, b)| !b.is_ascii_hexdigit())
        .map(|(i, _)| i)
    {
        return Err(SidError {
            kind,
            rule: SidRule::NotHex(at),
        });
    }
    Ok(())
}

macro_rules! sid_type {
    ($(#[$doc:meta])* $name:ident, $kind:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Checks `s` and wraps it; the error says which rule it broke.
            pub fn new(s: impl Into<String>) -> Result<Self, SidError> {
                let s = s.into();
                validate($kind, &s)?;
                Ok(Self(s))
            }

            /// The SID as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = SidError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = SidError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = SidError;
            fn try_from(s: &str) -> Result<Self, Self::Error> {
                Self::new(s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<$name> for String {
            fn from(sid: $name) -> String {
                sid.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = String::deserialize(deserializer)?;
                Self::new(s).map_err(serde::de::Error::custom)
            }
        }
    };
}

sid_type!(
    /// An account SID: `AC` followed by 32 hex digits.
    ///
    /// ```
    /// use twilio_connect_apps::AccountSid;
    /// let sid: AccountSid = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap();
    /// assert_eq!(sid.as_str(), "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    /// assert!("AC123".parse::<AccountSid>().is_err());
    /// ```
    AccountSid,
    SidKind::Account
);

sid_type!(
    /// A Connect App SID: `CN` followed by 32 hex digits.
    ///
    /// ```
    /// use twilio_connect_apps::ConnectAppSid;
    /// let err = "CN/../../Calls".parse::<ConnectAppSid>().unwrap_err();
    /// assert!(err.to_string().contains("34 characters"));
    /// ```
    ConnectAppSid,
    SidKind::ConnectApp
);

sid_type!(
    /// An API key SID: `SK` followed by 32 hex digits.
    ApiKeySid,
    SidKind::ApiKey
);

#[cfg(test)]
mod tests {
    use super::*;

    const AC: &str = "AC0123456789abcdefABCDEF0123456789";

    #[test]
    fn accepts_valid_sids_of_each_kind() {
        assert_eq!(AccountSid::new(AC).unwrap().as_str(), AC);
        let cn = format!("CN{}", &AC[2..]);
        assert_eq!(ConnectAppSid::new(cn.clone()).unwrap().to_string(), cn);
        let sk = format!("SK{}", &AC[2..]);
        assert_eq!(sk.parse::<ApiKeySid>().unwrap().as_ref(), sk);
    }

    #[test]
    fn each_rule_is_named() {
        let e = AccountSid::new("AC12").unwrap_err();
        assert_eq!(e.rule(), &SidRule::Length(4));
        assert!(e.to_string().contains("got 4"), "{e}");
        let e = AccountSid::new(format!("CN{}", &AC[2..])).unwrap_err();
        assert_eq!(e.rule(), &SidRule::Prefix);
        assert!(e.to_string().contains("`AC`"), "{e}");
        let e = AccountSid::new(format!("AC{}g", &AC[2..33])).unwrap_err();
        assert_eq!(e.rule(), &SidRule::NotHex(33));
        assert_eq!(e.kind(), SidKind::Account);
        let e = ConnectAppSid::new("CN0123456789abcdef0123456789abc/..").unwrap_err();
        assert_eq!(e.rule(), &SidRule::NotHex(31));
        // Multi-byte input of 34 bytes must not panic on slicing.
        let weird = "AC".to_string() + &"é".repeat(16);
        assert!(AccountSid::new(weird).is_err());
        assert!(AccountSid::new("").is_err());
    }

    #[test]
    fn serde_round_trip_and_rejects_bad() {
        let sid = AccountSid::new(AC).unwrap();
        let json = serde_json::to_string(&sid).unwrap();
        assert_eq!(json, format!("\"{AC}\""));
        assert_eq!(serde_json::from_str::<AccountSid>(&json).unwrap(), sid);
        let err = serde_json::from_str::<AccountSid>("\"ACnope\"").unwrap_err();
        assert!(err.to_string().contains("invalid account SID"));
    }
}
