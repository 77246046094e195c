//! User-facing text in Dutch and English, through one mechanism in which a missing translation
//! does not compile.
//!
//! - [`texts!`](crate::texts): a table of fixed texts as an enum. Every row names its Dutch and
//!   its English text; a row with one of them missing is a syntax error, and a name that is not
//!   in the table is an unknown variant. Nothing looks a text up by string at run time except
//!   the browser app's script, through `FromStr`, which refuses an unknown key.
//! - [`say!`](crate::say): a text with values in it. Both format strings are required, and the
//!   expansion is an exhaustive `match` on [`Lang`](crate::lang::Lang), so a third language
//!   would fail to compile at every text until it is written.
//!
//! Why this and not Fluent: the pages are rendered per request in either language, natively and
//! in wasm; Fluent's compile-time check (`i18n-embed-fl`) only knows the fallback language, so a
//! missing Dutch text would fall back to English at run time. Two languages and a few hundred
//! texts fit a typed table.

/// A key that is not in a [`texts!`](crate::texts) table.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a known text")]
pub struct UnknownText(pub String);

/// Declares a table of texts as an enum: `Variant = "key" => ("Nederlands", "English"),` per
/// row. Gives `ALL`, `key`, `in_lang` and `FromStr` (by key); each variant's doc comment is its
/// two texts. Check the table with [`table_problems`] in a test.
#[macro_export]
macro_rules! texts {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($variant:ident = $key:literal => ($nl:literal, $en:literal $(,)?)),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        $vis enum $name {
            $(
                #[doc = concat!($nl, " / ", $en)]
                $variant,
            )+
        }

        impl $name {
            /// Every text, in table order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The key the browser app's script names this text by.
            pub fn key(self) -> &'static str {
                match self {
                    $(Self::$variant => $key),+
                }
            }

            /// The text in `lang`.
            pub fn in_lang(self, lang: $crate::lang::Lang) -> &'static str {
                match lang {
                    $crate::lang::Lang::Nl => match self {
                        $(Self::$variant => $nl),+
                    },
                    $crate::lang::Lang::En => match self {
                        $(Self::$variant => $en),+
                    },
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::text::UnknownText;

            fn from_str(key: &str) -> Result<Self, Self::Err> {
                match key {
                    $($key => Ok(Self::$variant),)+
                    _ => Err($crate::text::UnknownText(key.to_owned())),
                }
            }
        }
    };
}

/// A text with values: `say!(lang, nl: "… {x} …", args…; en: "… {x} …", args…)`. Both
/// languages are required; each is a `format!` string with its own arguments (dates and amounts
/// are written differently per language).
#[macro_export]
macro_rules! say {
    ($lang:expr, nl: $nl:literal $(, $nl_arg:expr)* ; en: $en:literal $(, $en_arg:expr)* $(,)?) => {
        match $lang {
            $crate::lang::Lang::Nl => format!($nl $(, $nl_arg)*),
            $crate::lang::Lang::En => format!($en $(, $en_arg)*),
        }
    };
}

/// What is wrong with a table of `(key, Dutch, English)` rows: a key used twice, an empty text,
/// or a text left the same in both languages (a missed translation) unless it is one of
/// `same_in_both`. Empty when the table is right.
pub fn table_problems<'a>(
    rows: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
    same_in_both: &[&str],
) -> Vec<String> {
    let mut problems = Vec::new();
    let mut keys = std::collections::HashSet::new();
    for (key, nl, en) in rows {
        if !keys.insert(key) {
            problems.push(format!("{key} is in the table twice"));
        }
        if nl.trim().is_empty() || en.trim().is_empty() {
            problems.push(format!("{key} has an empty text"));
        }
        if nl == en && !same_in_both.contains(&nl) {
            problems.push(format!("{key} is the same in Dutch and English: {nl:?}"));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use crate::lang::Lang;

    crate::texts! {
        /// A table for the tests.
        enum Sample {
            Hello = "hello" => ("Hallo", "Hello"),
            Total = "total" => ("Totaal", "Total"),
            Contact = "contact" => ("Contact", "Contact"),
        }
    }

    #[test]
    fn a_table_gives_each_text_in_each_language_and_by_key() {
        assert_eq!(Sample::Hello.in_lang(Lang::Nl), "Hallo");
        assert_eq!(Sample::Total.in_lang(Lang::En), "Total");
        assert_eq!("total".parse::<Sample>(), Ok(Sample::Total));
        assert_eq!(
            "missing".parse::<Sample>().unwrap_err().to_string(),
            "\"missing\" is not a known text"
        );
        assert_eq!(Sample::ALL.len(), 3);
        assert!(Sample::ALL.iter().all(|s| s.key().parse::<Sample>() == Ok(*s)));
    }

    #[test]
    fn table_problems_finds_duplicates_gaps_and_missed_translations() {
        let rows = Sample::ALL.iter().map(|s| (s.key(), s.in_lang(Lang::Nl), s.in_lang(Lang::En)));
        assert_eq!(
            super::table_problems(rows.clone(), &[]),
            vec!["contact is the same in Dutch and English: \"Contact\"".to_owned()]
        );
        assert!(super::table_problems(rows, &["Contact"]).is_empty());
        let bad = [("a", "x", "y"), ("a", "", "z")];
        assert_eq!(
            super::table_problems(bad, &[]),
            vec!["a is in the table twice".to_owned(), "a has an empty text".to_owned()]
        );
    }

    #[test]
    fn say_formats_each_language_with_its_own_arguments() {
        let amount = 1250;
        let said = |lang| crate::say!(lang, nl: "Te betalen: {amount} cent op {}", "1-2-2027"; en: "To pay: {amount} cents on {}", "2027-02-01");
        assert_eq!(said(Lang::Nl), "Te betalen: 1250 cent op 1-2-2027");
        assert_eq!(said(Lang::En), "To pay: 1250 cents on 2027-02-01");
    }
}
