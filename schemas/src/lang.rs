//! The two languages Betaalpod speaks, and money written the way each expects it.

/// A display language. Dutch is the default; English is one switch away.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    /// Nederlands.
    #[default]
    Nl,
    /// English.
    En,
}

/// Formats integer euro cents: `€ 1.234,56` in Dutch, `€1,234.56` in English. Negative amounts
/// keep their sign, so a credit is never hidden.
pub fn format_cents(cents: i64, lang: Lang) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let magnitude = cents.unsigned_abs();
    let (euros, rest) = (magnitude / 100, magnitude % 100);
    let (group, decimal, prefix) = match lang {
        Lang::Nl => ('.', ',', "€ "),
        Lang::En => (',', '.', "€"),
    };
    let digits = euros.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(digit);
    }
    format!("{sign}{prefix}{grouped}{decimal}{rest:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_both_languages() {
        assert_eq!(format_cents(123456, Lang::Nl), "€ 1.234,56");
        assert_eq!(format_cents(123456, Lang::En), "€1,234.56");
        assert_eq!(format_cents(5, Lang::Nl), "€ 0,05");
        assert_eq!(format_cents(-2500, Lang::En), "-€25.00");
        assert_eq!(format_cents(100_000_000_000, Lang::Nl), "€ 1.000.000.000,00");
        assert_eq!(format_cents(i64::MIN, Lang::En), "-€92,233,720,368,547,758.08");
    }
}
