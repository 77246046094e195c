//! Reading any of our JSON documents from untrusted bytes, with a size limit and a JSON path in
//! every error.

use std::fmt;

use serde::Deserialize;

/// Why a document was refused, with the JSON path of the problem (`$` is the document root).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidDocument {
    /// Where the problem is, such as `$.body.financiele_zaken[0].gebeurtenissen[2].bedrag`.
    pub path: String,
    /// What is wrong, in words.
    pub problem: String,
}

impl InvalidDocument {
    /// An error at `path`.
    pub fn new(path: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            problem: problem.into(),
        }
    }
}

impl fmt::Display for InvalidDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.problem)
    }
}

impl std::error::Error for InvalidDocument {}

/// Deserialises `json` as `T`, reporting errors with `prefix` (a JSON path) before serde's path.
pub(crate) fn read_at<'de, T: Deserialize<'de>>(json: &'de str, prefix: &str) -> Result<T, InvalidDocument> {
    let mut de = serde_json::Deserializer::from_str(json);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let inner = e.path().to_string();
        let path = if inner == "." {
            prefix.to_owned()
        } else {
            format!("{prefix}.{inner}")
        };
        InvalidDocument::new(path, e.into_inner().to_string())
    })?;
    de.end().map_err(|e| InvalidDocument::new(prefix, e.to_string()))?;
    Ok(value)
}

/// Joins a JSON path prefix and serde_path_to_error's path (`.` for the root, `?` when unknown,
/// `[3]` for a bare index).
pub(crate) fn join_path(prefix: &str, inner: &str) -> String {
    // An unknown last segment (a syntax error inside a value) adds nothing to the path.
    let mut inner = inner;
    while let Some(known) = inner.strip_suffix(".?") {
        inner = known;
    }
    match inner {
        "." | "?" | "" => prefix.to_owned(),
        index if index.starts_with('[') => format!("{prefix}{index}"),
        field => format!("{prefix}.{field}"),
    }
}

/// Reads one document of type `T` from untrusted bytes, refusing anything over `max_bytes`
/// before parsing.
pub fn from_json<T: for<'de> Deserialize<'de>>(bytes: &[u8], max_bytes: usize) -> Result<T, InvalidDocument> {
    if bytes.len() > max_bytes {
        return Err(InvalidDocument::new(
            "$",
            format!("the document is {} bytes; the limit is {max_bytes} bytes", bytes.len()),
        ));
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|e| InvalidDocument::new("$", format!("the document is not UTF-8 text: {e}")))?;
    read_at(text, "$")
}

/// Declares a unit type that (de)serialises as one fixed format string, such as
/// `"betaalpod-scheme/1"`, so that a document of another format or version is refused by name.
macro_rules! format_tag {
    ($(#[$doc:meta])* $name:ident = $value:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct $name;

        impl $name {
            /// The format string.
            pub const VALUE: &'static str = $value;
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str($value)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                if raw == $value {
                    Ok($name)
                } else {
                    Err(serde::de::Error::custom(format!(
                        "expected format {:?}, got {:?}; this Betaalpod reads {:?}",
                        $value, crate::ids::truncate(&raw), $value
                    )))
                }
            }
        }
    };
}
pub(crate) use format_tag;
