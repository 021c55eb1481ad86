//! Reading accounts. The API sends each account's `auth_token` along; it is skipped unread
//! here, so no [`Account`] ever holds it.

use std::fmt;

use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::base::json_path::{Segment, Trail};
use crate::model::account::{Account, AccountStatus};
use crate::wire::fields::AccountField;
use crate::wire::record::{LossyText, Wire};

impl<'de> Deserialize<'de> for AccountStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Ok(AccountStatus::from_api(&s))
    }
}

/// Deserializes one account, recording the failing field in the trail.
struct AccountVisitor<'t>(&'t Trail);

impl<'de> Visitor<'de> for AccountVisitor<'_> {
    type Value = Account;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an account object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Account, A::Error> {
        let trail = self.0;
        let mut account = Account::default();
        while let Some(field) = map.next_key::<AccountField>()? {
            let at = || trail.at(Segment::Key(field.name()));
            let slot = match field {
                AccountField::Sid => &mut account.sid,
                AccountField::FriendlyName => &mut account.friendly_name,
                AccountField::Type => &mut account.account_type,
                AccountField::Owner => &mut account.owner_account_sid,
                AccountField::Created => &mut account.date_created,
                AccountField::Updated => &mut account.date_updated,
                AccountField::Uri => &mut account.uri,
                AccountField::Status => {
                    account.status = map.next_value().map_err(at())?;
                    continue;
                }
                AccountField::Skipped => {
                    // auth_token, subresource_uris, ...: read past, kept nowhere.
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            *slot = map.next_value::<LossyText>().map_err(at())?.0;
        }
        Ok(account)
    }
}

impl<'de> Wire<'de> for Account {
    fn read<D: Deserializer<'de>>(trail: &Trail, d: D) -> Result<Self, D::Error> {
        d.deserialize_map(AccountVisitor(trail))
    }
}

impl<'de> Deserialize<'de> for Account {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::read(&Trail::default(), d)
    }
}
