//! Money: integer minor units with a currency. There are no floats anywhere near money.

use crate::invalid::Invalid;
use std::fmt;

/// A currency Onhand can price in, with the number of digits after its decimal point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    pub code: &'static str,
    pub symbol: &'static str,
    pub exponent: u32,
}

/// The currencies a platform may be configured with, sorted by code.
pub static CURRENCIES: &[Currency] = &[
    Currency {
        code: "AUD",
        symbol: "A$",
        exponent: 2,
    },
    Currency {
        code: "BRL",
        symbol: "R$",
        exponent: 2,
    },
    Currency {
        code: "CAD",
        symbol: "CA$",
        exponent: 2,
    },
    Currency {
        code: "CHF",
        symbol: "CHF ",
        exponent: 2,
    },
    Currency {
        code: "EUR",
        symbol: "€",
        exponent: 2,
    },
    Currency {
        code: "GBP",
        symbol: "£",
        exponent: 2,
    },
    Currency {
        code: "INR",
        symbol: "₹",
        exponent: 2,
    },
    Currency {
        code: "JPY",
        symbol: "¥",
        exponent: 0,
    },
    Currency {
        code: "MXN",
        symbol: "MX$",
        exponent: 2,
    },
    Currency {
        code: "USD",
        symbol: "$",
        exponent: 2,
    },
];

impl Currency {
    pub fn parse(code: &str) -> Result<Currency, Invalid> {
        let upper = code.trim().to_uppercase();
        CURRENCIES
            .iter()
            .find(|c| c.code == upper)
            .copied()
            .ok_or_else(|| {
                let known: Vec<_> = CURRENCIES.iter().map(|c| c.code).collect();
                Invalid::one(
                    "currency",
                    format!("{code:?} is not one of {}", known.join(", ")),
                )
            })
    }

    pub fn usd() -> Currency {
        Currency::parse("USD").expect("USD is in the table")
    }

    fn unit(&self) -> i64 {
        10_i64.pow(self.exponent)
    }

    /// Reads an amount typed in major units ("25", "25.5", "25.50") into minor units.
    pub fn parse_amount(&self, field: &'static str, input: &str) -> Result<i64, Invalid> {
        let s = input.trim().trim_start_matches(self.symbol.trim());
        let s = s.trim();
        let bad = || {
            Invalid::one(
                field,
                format!(
                    "{input:?} is not an amount in {} (like {})",
                    self.code,
                    if self.exponent == 0 { "2500" } else { "25.00" }
                ),
            )
        };
        if s.is_empty() {
            return Err(Invalid::one(field, "is required"));
        }
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        if whole.is_empty() && frac.is_empty() {
            return Err(bad());
        }
        if !whole.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        if frac.len() > self.exponent as usize || whole.len() > 12 {
            return Err(bad());
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| bad())?
        };
        let mut frac_minor: i64 = 0;
        for (i, c) in frac.chars().enumerate() {
            let digit = i64::from(c.to_digit(10).expect("checked ascii digit"));
            frac_minor += digit * 10_i64.pow(self.exponent - 1 - i as u32);
        }
        Ok(whole * self.unit() + frac_minor)
    }
}

/// An amount of money in minor units (cents for USD).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount_minor: i64, currency: Currency) -> Money {
        Money {
            amount_minor,
            currency,
        }
    }

    /// The amount in major units without a symbol, as a form field shows it ("25.00").
    pub fn plain(&self) -> String {
        let unit = self.currency.unit();
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        let abs = self.amount_minor.unsigned_abs();
        if self.currency.exponent == 0 {
            return format!("{sign}{abs}");
        }
        let unit = unit as u64;
        format!(
            "{sign}{}.{:0width$}",
            abs / unit,
            abs % unit,
            width = self.currency.exponent as usize
        )
    }
}

impl fmt::Display for Money {
    /// "$25.00", "€9.50", "¥2500".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plain = self.plain();
        match plain.strip_prefix('-') {
            Some(abs) => write!(f, "-{}{abs}", self.currency.symbol),
            None => write!(f, "{}{plain}", self.currency.symbol),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_with_symbol_and_exponent() {
        let usd = Currency::usd();
        assert_eq!(Money::new(2500, usd).to_string(), "$25.00");
        assert_eq!(Money::new(5, usd).to_string(), "$0.05");
        assert_eq!(Money::new(-150, usd).to_string(), "-$1.50");
        assert_eq!(
            Money::new(2500, Currency::parse("jpy").unwrap()).to_string(),
            "¥2500"
        );
    }

    #[test]
    fn parses_typed_amounts() {
        let usd = Currency::usd();
        assert_eq!(usd.parse_amount("p", "25").unwrap(), 2500);
        assert_eq!(usd.parse_amount("p", "25.5").unwrap(), 2550);
        assert_eq!(usd.parse_amount("p", "$0.05").unwrap(), 5);
        assert_eq!(usd.parse_amount("p", ".5").unwrap(), 50);
        for bad in [
            "",
            "abc",
            "1.234",
            "-5",
            "1e3",
            "1,000",
            ".",
            "99999999999999",
        ] {
            assert!(usd.parse_amount("p", bad).is_err(), "{bad}");
        }
        assert!(Currency::parse("XYZ").is_err());
    }

    proptest! {
        #[test]
        fn plain_round_trips(minor in 0_i64..1_000_000_000_000) {
            for c in CURRENCIES {
                let m = Money::new(minor, *c);
                prop_assert_eq!(c.parse_amount("p", &m.plain()).unwrap(), minor);
            }
        }
    }
}
