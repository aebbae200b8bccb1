//! The payment gateway: where top-ups come from and payouts go. A trait, so a real card
//! processor is one more implementation; the built-in one is a sandbox that moves no
//! real money and says so wherever a user could mistake it for real.
//!
//! Architecture invariant: every call carries our idempotency reference, and an
//! implementation must answer a repeated reference with the first outcome, so a retry
//! after a crash never charges or pays twice.

use onhand_core::Invalid;
use onhand_store::ChargeOutcome;
use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

pub type GatewayFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The gateway could not answer now; the same request may be retried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the payment processor could not be reached: {0}")]
pub struct Unavailable(pub String);

/// Card details as typed, checked for shape only; the gateway decides the rest.
#[derive(Debug, Clone)]
pub struct Card {
    pub number: String,
    pub exp_month: u8,
    pub exp_year: u16,
    pub cvc: String,
}

impl Card {
    /// Checks the number (12–19 digits, spaces allowed, Luhn), the expiry (not past at
    /// `today`) and the CVC (3–4 digits).
    pub fn parse(
        number: &str,
        exp_month: u8,
        exp_year: u16,
        cvc: &str,
        today: jiff::civil::Date,
    ) -> Result<Card, Invalid> {
        let mut errors = Invalid::default();
        let digits: String = number.chars().filter(|c| !c.is_whitespace()).collect();
        if !(12..=19).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) {
            errors.push("card_number", "must be 12 to 19 digits");
        } else if !luhn(&digits) {
            errors.push(
                "card_number",
                "is not a valid card number (its check digit is wrong)",
            );
        }
        if !(1..=12).contains(&exp_month) {
            errors.push("exp_month", format!("{exp_month} is not a month 1..=12"));
        } else if (i32::from(exp_year), i32::from(exp_month))
            < (i32::from(today.year()), i32::from(today.month()))
        {
            errors.push(
                "exp_year",
                format!("the card expired in {exp_month:02}/{exp_year}"),
            );
        }
        if !(3..=4).contains(&cvc.len()) || !cvc.chars().all(|c| c.is_ascii_digit()) {
            errors.push("cvc", "must be 3 or 4 digits");
        }
        errors.finish(|| Card {
            number: digits,
            exp_month,
            exp_year,
            cvc: cvc.to_string(),
        })
    }

    pub fn last4(&self) -> &str {
        &self.number[self.number.len() - 4..]
    }
}

fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .chars()
        .rev()
        .filter_map(|c| c.to_digit(10))
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 1 {
                let d2 = d * 2;
                if d2 > 9 { d2 - 9 } else { d2 }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

pub trait Gateway: Send + Sync {
    /// A short name stored with every top-up and payout ("sandbox").
    fn name(&self) -> &'static str;
    /// True when no real money moves; pages then say "sandbox".
    fn is_sandbox(&self) -> bool;
    /// Charges a card. `reference` is our idempotency reference.
    fn charge<'a>(
        &'a self,
        card: &'a Card,
        amount_minor: i64,
        currency: &'a str,
        reference: &'a str,
    ) -> GatewayFuture<'a, Result<ChargeOutcome, Unavailable>>;
    /// Sends a provider's payout. `reference` is our idempotency reference.
    fn pay_out<'a>(
        &'a self,
        provider_id: i64,
        amount_minor: i64,
        currency: &'a str,
        reference: &'a str,
    ) -> GatewayFuture<'a, Result<ChargeOutcome, Unavailable>>;
}

/// Test cards of the sandbox, like Stripe's.
pub const SANDBOX_CARD_OK: &str = "4242424242424242";
pub const SANDBOX_CARD_DECLINED: &str = "4000000000000002";
pub const SANDBOX_CARD_NO_FUNDS: &str = "4000000000009995";
/// Fails with "try again" the first time a reference is charged, then succeeds.
pub const SANDBOX_CARD_RETRY: &str = "4000000000000119";

/// The built-in gateway: no network, no real money.
#[derive(Debug, Default)]
pub struct Sandbox {
    /// References whose first attempt already failed with "try again".
    retried: Mutex<HashSet<String>>,
}

impl Gateway for Sandbox {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    fn is_sandbox(&self) -> bool {
        true
    }

    fn charge<'a>(
        &'a self,
        card: &'a Card,
        _amount_minor: i64,
        _currency: &'a str,
        reference: &'a str,
    ) -> GatewayFuture<'a, Result<ChargeOutcome, Unavailable>> {
        let outcome = match card.number.as_str() {
            SANDBOX_CARD_DECLINED => Ok(ChargeOutcome::Declined {
                reason: "the card was declined".into(),
            }),
            SANDBOX_CARD_NO_FUNDS => Ok(ChargeOutcome::Declined {
                reason: "the card has insufficient funds".into(),
            }),
            SANDBOX_CARD_RETRY
                if self
                    .retried
                    .lock()
                    .expect("sandbox lock")
                    .insert(reference.to_string()) =>
            {
                Err(Unavailable(
                    "the sandbox processor had a hiccup; try again".into(),
                ))
            }
            _ => Ok(ChargeOutcome::Succeeded {
                gateway_ref: format!("sandbox_ch_{reference}"),
            }),
        };
        Box::pin(std::future::ready(outcome))
    }

    fn pay_out<'a>(
        &'a self,
        _provider_id: i64,
        _amount_minor: i64,
        _currency: &'a str,
        reference: &'a str,
    ) -> GatewayFuture<'a, Result<ChargeOutcome, Unavailable>> {
        Box::pin(std::future::ready(Ok(ChargeOutcome::Succeeded {
            gateway_ref: format!("sandbox_po_{reference}"),
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> jiff::civil::Date {
        jiff::civil::date(2026, 11, 29)
    }

    #[test]
    fn cards_are_checked_for_shape() {
        assert!(Card::parse("4242 4242 4242 4242", 12, 2030, "123", today()).is_ok());
        let e = Card::parse("4242424242424241", 12, 2030, "123", today()).unwrap_err();
        assert_eq!(e.0[0].field, "card_number");
        let e = Card::parse("4242424242424242", 10, 2026, "12", today()).unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|f| f.field).collect();
        assert_eq!(fields, ["exp_year", "cvc"]);
    }

    #[test]
    fn the_retry_card_fails_once_per_reference() {
        let g = Sandbox::default();
        let card = Card::parse(SANDBOX_CARD_RETRY, 1, 2031, "123", today()).unwrap();
        let run = |r| futures_lite(g.charge(&card, 100, "USD", r));
        assert!(run("a").is_err());
        assert!(matches!(run("a"), Ok(ChargeOutcome::Succeeded { .. })));
        assert!(run("b").is_err());
    }

    /// Polls a future that is ready at once (the sandbox never waits).
    fn futures_lite<T>(f: GatewayFuture<'_, T>) -> T {
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut f = f;
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("the sandbox never waits"),
        }
    }
}
