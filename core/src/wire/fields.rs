//! The field tables: each resource's JSON field names, written once. The serde visitors and
//! the fast scanner both read keys through them.

/// A record's field names, read without allocating: the enum, each variant's JSON name (for
/// error paths), the lookup by name, and a `Deserialize` that maps every other name to the
/// catch-all variant.
macro_rules! field_names {
    ($(#[$meta:meta])* enum $name:ident { $($variant:ident = $json:literal,)* _ => $other:ident $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum $name {
            $($variant,)*
            $other,
        }

        impl $name {
            /// Every name, quoted as it stands in a body, in the order declared (the order
            /// Twilio sends them in): the fast scanner tries the next one first.
            #[allow(dead_code)]
            pub(crate) const QUOTED: &'static [(&'static str, $name)] =
                &[$((concat!("\"", $json, "\""), $name::$variant),)*];

            /// The JSON name (`?` for the catch-all).
            pub(crate) fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $json,)*
                    $name::$other => "?",
                }
            }

            /// The field a JSON name stands for.
            #[inline]
            pub(crate) fn of(name: &str) -> Self {
                match name {
                    $($json => $name::$variant,)*
                    _ => $name::$other,
                }
            }

            /// The field a JSON string as it stands in a body (quotes included, no escape)
            /// names: the fast scanner's lookup, without cutting the quotes off first.
            #[inline]
            #[allow(dead_code)]
            pub(crate) fn of_quoted(raw: &str) -> Self {
                match raw {
                    $(concat!("\"", $json, "\"") => $name::$variant,)*
                    _ => $name::$other,
                }
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct Names;
                impl serde::de::Visitor<'_> for Names {
                    type Value = $name;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("a field name")
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$name, E> {
                        Ok($name::of(v))
                    }
                }
                d.deserialize_identifier(Names)
            }
        }
    };
}

field_names! {
    /// An app's field name (read by the owned and the view parsers, and the fast scanner).
    enum AppField {
        AccountSid = "account_sid",
        CompanyName = "connect_app_company_name",
        Description = "connect_app_description",
        FriendlyName = "connect_app_friendly_name",
        HomepageUrl = "connect_app_homepage_url",
        ConnectAppSid = "connect_app_sid",
        Permissions = "permissions",
        Uri = "uri",
        _ => Unknown,
    }
}

field_names! {
    /// An account's field name; everything else, `auth_token` included, is skipped unread.
    enum AccountField {
        Sid = "sid",
        FriendlyName = "friendly_name",
        Status = "status",
        Type = "type",
        Owner = "owner_account_sid",
        Created = "date_created",
        Updated = "date_updated",
        Uri = "uri",
        _ => Skipped,
    }
}

field_names! {
    /// A top-level key of a page envelope (the records array's key is the resource's own).
    enum EnvelopeField {
        Page = "page",
        PageSize = "page_size",
        Start = "start",
        End = "end",
        Uri = "uri",
        FirstPageUri = "first_page_uri",
        NextPageUri = "next_page_uri",
        PreviousPageUri = "previous_page_uri",
        Meta = "meta",
        Total = "total",
        NumPages = "num_pages",
        LastPageUri = "last_page_uri",
        _ => Other,
    }
}

field_names! {
    /// A key of the newer `meta` envelope.
    enum MetaField {
        Key = "key",
        Page = "page",
        PageSize = "page_size",
        Url = "url",
        FirstPageUrl = "first_page_url",
        NextPageUrl = "next_page_url",
        PreviousPageUrl = "previous_page_url",
        _ => Other,
    }
}
