//! Reading records: **one** app visitor for the owned [`AuthorizedConnectApp`] and the
//! borrowed [`AppView`], generic over the text type (an owned `String` or a borrowed
//! [`JsonStr`]), and one array visitor for every resource, that hands each record on as it is
//! read and refuses more than the page asked for.
//!
//! The rules are the same for both kinds of record: every field a string or `null`,
//! `permissions` an array of strings or `null`, unknown fields skipped; anything else is an
//! error whose trail names the field (`$.authorized_connect_apps[3].permissions[1]`).

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::api::MAX_PERMISSIONS;
use crate::base::json_path::{Segment, Trail};
use crate::model::app::{AuthorizedConnectApp, Permission, Piece, SLOTS, Slot};
use crate::model::view::{AppView, Escapes, JsonStr, PermissionsView, decode};
use crate::wire::fields::AppField;

/// A record the wire can fill: it reads itself from a serde deserializer, recording the
/// failing field in the trail. (`pub` only because the sealed `Resource` trait names it; this
/// module is private.)
#[allow(unreachable_pub)]
pub trait Wire<'de>: Sized {
    /// Reads one record.
    fn read<D: Deserializer<'de>>(trail: &Trail, d: D) -> Result<Self, D::Error>;
}

/// An app record as the wire fills it, field by field: the owned or the borrowed one.
pub(crate) trait AppRecord<'de>: Default {
    /// How a string field is held.
    type Text: Text<'de>;
    /// How the permissions are held.
    type Perms: Perms<'de>;
    /// The slot of a string field (`None` for `permissions` and unknown fields).
    fn text(&mut self, field: AppField) -> Option<&mut Option<Self::Text>>;
    /// The permissions' slot.
    fn perms(&mut self) -> &mut Option<Self::Perms>;
}

/// A string field's value, from the serde path or the fast scanner.
pub(crate) trait Text<'de>: Sized {
    /// Reads `null` or a string.
    fn read<D: Deserializer<'de>>(d: D) -> Result<Option<Self>, D::Error>;
    /// A string the scanner found as it stands in the body (quotes included; `escaped`: it
    /// holds a backslash).
    fn scanned(raw: &'de str, escapes: Escapes) -> Self;
}

/// A permissions list, from the serde path or the fast scanner.
pub(crate) trait Perms<'de>: Default {
    /// Reads the next element (a string), recording its index on failure.
    fn read_next<A: SeqAccess<'de>>(
        &mut self,
        seq: &mut A,
        trail: &Trail,
        index: usize,
    ) -> Result<bool, A::Error>;
    /// Adds a string the scanner found.
    fn push_scanned(&mut self, raw: &'de str, escapes: Escapes);
}

/// An owned app as the wire fills it: each string as it stands in the body (borrowed), decoded
/// and packed into the record's one buffer when the record is complete.
#[derive(Default)]
pub(crate) struct PendingApp<'de> {
    texts: [Option<PendingText<'de>>; SLOTS],
    permissions: Option<Vec<Permission>>,
}

/// A string of a [`PendingApp`]: as it stands in the body (decoded as it is packed), or
/// owned (from a deserializer that hands out strings).
pub(crate) enum PendingText<'de> {
    Json(JsonStr<'de>),
    Owned(String),
}

impl Piece for PendingText<'_> {
    #[inline]
    fn len_bound(&self) -> usize {
        match self {
            PendingText::Json(j) => j.len_bound(),
            PendingText::Owned(s) => s.len(),
        }
    }
    #[inline]
    fn push_to(&self, out: &mut String) {
        match self {
            PendingText::Json(j) => j.push_to(out),
            PendingText::Owned(s) => out.push_str(s),
        }
    }
}

impl<'de> Text<'de> for PendingText<'de> {
    fn read<D: Deserializer<'de>>(d: D) -> Result<Option<Self>, D::Error> {
        String::read(d).map(|t| t.map(PendingText::Owned))
    }
    #[inline]
    fn scanned(raw: &'de str, escapes: Escapes) -> Self {
        PendingText::Json(JsonStr::json(raw, escapes))
    }
}

impl PendingApp<'_> {
    /// The finished record.
    pub(crate) fn finish(self) -> AuthorizedConnectApp {
        AuthorizedConnectApp::from_parts(self.texts, self.permissions)
    }
}

/// The buffer slot of a string field.
fn slot(field: AppField) -> Option<Slot> {
    Some(match field {
        AppField::AccountSid => Slot::AccountSid,
        AppField::CompanyName => Slot::CompanyName,
        AppField::Description => Slot::Description,
        AppField::FriendlyName => Slot::FriendlyName,
        AppField::HomepageUrl => Slot::HomepageUrl,
        AppField::ConnectAppSid => Slot::ConnectAppSid,
        AppField::Uri => Slot::Uri,
        AppField::Permissions | AppField::Unknown => return None,
    })
}

impl<'de> AppRecord<'de> for PendingApp<'de> {
    type Text = PendingText<'de>;
    type Perms = Vec<Permission>;
    #[inline]
    fn text(&mut self, field: AppField) -> Option<&mut Option<PendingText<'de>>> {
        self.texts.get_mut(slot(field)? as usize)
    }
    fn perms(&mut self) -> &mut Option<Vec<Permission>> {
        &mut self.permissions
    }
}

impl<'de> AppRecord<'de> for AppView<'de> {
    type Text = JsonStr<'de>;
    type Perms = PermissionsView<'de>;
    #[inline]
    fn text(&mut self, field: AppField) -> Option<&mut Option<JsonStr<'de>>> {
        Some(match slot(field)? {
            Slot::AccountSid => &mut self.account_sid,
            Slot::CompanyName => &mut self.connect_app_company_name,
            Slot::Description => &mut self.connect_app_description,
            Slot::FriendlyName => &mut self.connect_app_friendly_name,
            Slot::HomepageUrl => &mut self.connect_app_homepage_url,
            Slot::ConnectAppSid => &mut self.connect_app_sid,
            Slot::Uri => &mut self.uri,
        })
    }
    fn perms(&mut self) -> &mut Option<PermissionsView<'de>> {
        &mut self.permissions
    }
}

impl<'de> Text<'de> for String {
    fn read<D: Deserializer<'de>>(d: D) -> Result<Option<Self>, D::Error> {
        // serde_json hands over the raw text, so that a lone surrogate escape decodes as it
        // does on the other paths (U+FFFD) instead of failing; any other deserializer (a
        // `serde_json::Value`, serde's buffered content for `flatten`, another format) gives
        // the string itself.
        d.deserialize_newtype_struct(RAW_TOKEN, OwnedText)
    }
    fn scanned(raw: &'de str, escapes: Escapes) -> Self {
        decode(raw, escapes.any()).into_owned()
    }
}

impl<'de> Text<'de> for JsonStr<'de> {
    fn read<D: Deserializer<'de>>(d: D) -> Result<Option<Self>, D::Error> {
        let raw = <&'de RawValue>::deserialize(d)?;
        let text = raw.get();
        match text.as_bytes().first() {
            Some(b'"') => Ok(Some(JsonStr::json(text, Escapes::of(text)))),
            Some(b'n') => Ok(None),
            _ => Err(not_a_string(text, "a string or null")),
        }
    }
    #[inline]
    fn scanned(raw: &'de str, escapes: Escapes) -> Self {
        JsonStr::json(raw, escapes)
    }
}

/// The name under which serde_json (feature `raw_value`, which this crate turns on) hands a
/// value's raw text to a visitor, as one map entry keyed by this name. It is serde_json's
/// private protocol behind `RawValue`; the tests of lone surrogates would fail if it changed.
const RAW_TOKEN: &str = "$serde_json::private::RawValue";

/// An owned string or `null`, from serde_json's raw text or from any deserializer's string.
struct OwnedText;

impl OwnedText {
    fn of_raw<E: de::Error>(text: &str) -> Result<Option<String>, E> {
        match text.as_bytes().first() {
            Some(b'"') => Ok(Some(
                JsonStr::json(text, Escapes::of(text)).to_str().into_owned(),
            )),
            Some(b'n') => Ok(None),
            _ => Err(not_a_string(text, "a string or null")),
        }
    }
}

impl<'de> Visitor<'de> for OwnedText {
    type Value = Option<String>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or null")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        // serde_json's raw text: one entry, keyed by the token.
        match map.next_key::<std::borrow::Cow<'de, str>>()? {
            Some(key) if key == RAW_TOKEN => {
                let raw: std::borrow::Cow<'de, str> = map.next_value()?;
                Self::of_raw(&raw)
            }
            _ => Err(de::Error::invalid_type(de::Unexpected::Map, &self)),
        }
    }
}

/// One permission of an owned list: a string (`None` at the end of the array).
struct OwnedPermission;

impl<'de> DeserializeSeed<'de> for OwnedPermission {
    type Value = String;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        String::read(d)?
            .ok_or_else(|| de::Error::invalid_type(de::Unexpected::Unit, &"a permission string"))
    }
}

fn not_a_string<E: de::Error>(text: &str, expected: &'static str) -> E {
    E::invalid_type(
        de::Unexpected::Other(text.get(..text.len().min(20)).unwrap_or("")),
        &expected,
    )
}

/// The next permission string of an array, as it stands in the body; `None` at the end.
fn next_permission<'de, A: SeqAccess<'de>>(
    seq: &mut A,
    trail: &Trail,
    index: usize,
) -> Result<Option<JsonStr<'de>>, A::Error> {
    let Some(raw) = seq
        .next_element::<&'de RawValue>()
        .map_err(trail.at(Segment::Index(index)))?
    else {
        return Ok(None);
    };
    let text = raw.get();
    if !text.starts_with('"') {
        trail.push(Segment::Index(index));
        return Err(not_a_string(text, "a permission string"));
    }
    too_many(trail, index)?;
    Ok(Some(JsonStr::json(text, Escapes::of(text))))
}

/// The permission at `index` is one too many.
fn too_many<E: de::Error>(trail: &Trail, index: usize) -> Result<(), E> {
    if index >= MAX_PERMISSIONS {
        trail.push(Segment::Index(index));
        return Err(de::Error::custom(format_args!(
            "more than {MAX_PERMISSIONS} permissions"
        )));
    }
    Ok(())
}

impl<'de> Perms<'de> for Vec<Permission> {
    fn read_next<A: SeqAccess<'de>>(
        &mut self,
        seq: &mut A,
        trail: &Trail,
        index: usize,
    ) -> Result<bool, A::Error> {
        let Some(next) = seq
            .next_element_seed(OwnedPermission)
            .map_err(trail.at(Segment::Index(index)))?
        else {
            return Ok(false);
        };
        too_many(trail, index)?;
        self.push(Permission::from_api(&next));
        Ok(true)
    }
    fn push_scanned(&mut self, raw: &'de str, escapes: Escapes) {
        self.push(Permission::from_api(&decode(raw, escapes.any())));
    }
}

impl<'de> Perms<'de> for PermissionsView<'de> {
    fn read_next<A: SeqAccess<'de>>(
        &mut self,
        seq: &mut A,
        trail: &Trail,
        index: usize,
    ) -> Result<bool, A::Error> {
        let next = next_permission(seq, trail, index)?;
        Ok(next.map(|p| self.push(p)).is_some())
    }
    #[inline]
    fn push_scanned(&mut self, raw: &'de str, escapes: Escapes) {
        self.push(JsonStr::json(raw, escapes));
    }
}

impl<'de> Deserialize<'de> for Permission {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::read(d)?
            .ok_or_else(|| de::Error::invalid_type(de::Unexpected::Unit, &"a permission string"))?;
        Ok(Permission::from_api(&text))
    }
}

/// `null` or a string, decoded as every string is (a lone surrogate is U+FFFD).
pub(crate) struct LossyText(pub(crate) Option<String>);

impl<'de> Deserialize<'de> for LossyText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <String as Text<'de>>::read(d).map(LossyText)
    }
}

/// The one app visitor: fills any [`AppRecord`].
struct AppSeed<'t, R>(&'t Trail, PhantomData<fn() -> R>);

impl<'de, R: AppRecord<'de>> DeserializeSeed<'de> for AppSeed<'_, R> {
    type Value = R;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<R, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, R: AppRecord<'de>> Visitor<'de> for AppSeed<'_, R> {
    type Value = R;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an authorized connect app object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<R, A::Error> {
        let trail = self.0;
        let mut app = R::default();
        while let Some(field) = map.next_key::<AppField>()? {
            let at = || trail.at(Segment::Key(field.name()));
            if let Some(slot) = app.text(field) {
                *slot = map.next_value_seed(TextSeed(PhantomData)).map_err(at())?;
            } else if field == AppField::Permissions {
                *app.perms() = map
                    .next_value_seed(OptionSeed(PermsSeed(trail, PhantomData)))
                    .map_err(at())?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(app)
    }
}

impl<'de> Wire<'de> for AuthorizedConnectApp {
    fn read<D: Deserializer<'de>>(trail: &Trail, d: D) -> Result<Self, D::Error> {
        AppSeed::<PendingApp<'de>>(trail, PhantomData)
            .deserialize(d)
            .map(PendingApp::finish)
    }
}

impl<'de> Wire<'de> for AppView<'de> {
    fn read<D: Deserializer<'de>>(trail: &Trail, d: D) -> Result<Self, D::Error> {
        AppSeed(trail, PhantomData).deserialize(d)
    }
}

impl<'de> Deserialize<'de> for AuthorizedConnectApp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::read(&Trail::default(), d)
    }
}

struct TextSeed<T>(PhantomData<fn() -> T>);

impl<'de, T: Text<'de>> DeserializeSeed<'de> for TextSeed<T> {
    type Value = Option<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
        T::read(d)
    }
}

/// `null` or the inner seed's value.
pub(crate) struct OptionSeed<S>(pub(crate) S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for OptionSeed<S> {
    type Value = Option<S::Value>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for OptionSeed<S> {
    type Value = Option<S::Value>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("null or a value")
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.deserialize(d).map(Some)
    }
}

struct PermsSeed<'t, P>(&'t Trail, PhantomData<fn() -> P>);

impl<'de, P: Perms<'de>> DeserializeSeed<'de> for PermsSeed<'_, P> {
    type Value = P;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<P, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, P: Perms<'de>> Visitor<'de> for PermsSeed<'_, P> {
    type Value = P;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of permission strings")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<P, A::Error> {
        let mut out = P::default();
        let mut index = 0;
        while out.read_next(&mut seq, self.0, index)? {
            index += 1;
        }
        Ok(out)
    }
}

/// Reads an array of at most `max` records of `R`, handing each to `each` as it is read; one
/// record more is an error found before that record is built. `each` returns `false` to stop
/// (its caller keeps the reason).
pub(crate) struct RecordsSeed<'t, R, F> {
    pub(crate) trail: &'t Trail,
    pub(crate) max: usize,
    pub(crate) each: F,
    pub(crate) marker: PhantomData<fn() -> R>,
}

impl<'de, R: Wire<'de>, F: FnMut(R) -> bool> DeserializeSeed<'de> for RecordsSeed<'_, R, F> {
    type Value = usize;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, R: Wire<'de>, F: FnMut(R) -> bool> Visitor<'de> for RecordsSeed<'_, R, F> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<usize, A::Error> {
        let mut index = 0;
        loop {
            let at = self.trail.at(Segment::Index(index));
            if index == self.max {
                // Look at the next element without building it.
                return match seq.next_element::<IgnoredAny>().map_err(at)? {
                    None => Ok(index),
                    Some(_) => {
                        self.trail.push(Segment::Index(index));
                        Err(de::Error::custom(format_args!(
                            "more records than the {} the page was asked for",
                            self.max
                        )))
                    }
                };
            }
            let seed = ReadSeed::<R>(self.trail, PhantomData);
            match seq.next_element_seed(seed).map_err(at)? {
                None => return Ok(index),
                Some(record) => {
                    index += 1;
                    if !(self.each)(record) {
                        return Err(de::Error::custom(STOPPED));
                    }
                }
            }
        }
    }
}

/// The message of the error that ends a parse the caller stopped (never shown: the caller
/// reports its own reason).
pub(crate) const STOPPED: &str = "stopped by the caller";

struct ReadSeed<'t, R>(&'t Trail, PhantomData<fn() -> R>);

impl<'de, R: Wire<'de>> DeserializeSeed<'de> for ReadSeed<'_, R> {
    type Value = R;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<R, D::Error> {
        R::read(self.0, d)
    }
}

#[cfg(test)]
#[path = "record_tests.rs"]
mod tests;
