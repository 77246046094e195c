//! Unit enums by their names on the wire, without a detour through `serde_json::Value`.

/// A name that is not one of an enum's wire names.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{name:?} is not a known {what}")]
pub struct UnknownName {
    /// What was looked up (the enum, in words).
    pub what: &'static str,
    /// The name given.
    pub name: String,
}

/// Gives a unit enum its wire names from one table: `as_str`, `ALL`, `Display` and `FromStr`.
/// The names must be the ones serde writes; each use has a test that checks that.
#[macro_export]
macro_rules! wire_names {
    ($what:literal, $ty:ty { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The name on the wire, as serde writes it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name),+
                }
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = $crate::wire_names::UnknownName;

            fn from_str(name: &str) -> Result<Self, Self::Err> {
                match name {
                    $($name => Ok(Self::$variant),)+
                    other => Err($crate::wire_names::UnknownName { what: $what, name: other.to_owned() }),
                }
            }
        }
    };
}

/// Checks that `as_str` of every value is what serde writes, and that it parses back.
#[cfg(test)]
pub(crate) fn assert_matches_serde<T>(all: &[T])
where
    T: serde::Serialize + std::str::FromStr + std::fmt::Display + PartialEq + std::fmt::Debug + Copy,
    <T as std::str::FromStr>::Err: std::fmt::Debug,
{
    for value in all {
        assert_eq!(serde_json::to_value(value).unwrap(), serde_json::Value::String(value.to_string()), "{value:?}");
        assert_eq!(value.to_string().parse::<T>().unwrap(), *value);
    }
}
