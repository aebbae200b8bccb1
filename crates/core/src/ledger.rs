//! The double-entry ledger: accounts, immutable transfers, and two-phase holds.
//!
//! A transfer moves an amount from a debit account to a credit account and is never
//! changed. A hold is a pending transfer: it reserves the amount until it is posted
//! (wholly or partly, the rest released), voided or expired — exactly once, each outcome
//! being a new transfer that names the hold. Amounts are integer minor units of one
//! currency per ledger.
//!
//! Invariants, checked by `Ledger::check` and by property tests after every step:
//! - total debits equal total credits, posted and pending alike;
//! - a wallet or earnings account never goes below zero, counting its pending debits;
//! - every hold is resolved at most once, and a resolution never exceeds the hold.

use std::collections::BTreeMap;
use std::fmt;

/// Where money sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LedgerAccount {
    /// A buyer's prepaid balance.
    Wallet(i64),
    /// What a provider has earned and not yet been paid out.
    Earnings(i64),
    /// The platform's commission.
    Revenue,
    /// Money in flight with the payment gateway: top-ups come from it, payouts go to it.
    Clearing,
}

impl LedgerAccount {
    /// The stable name stored in the database: "wallet:12", "earnings:7", "revenue",
    /// "clearing".
    pub fn key(&self) -> String {
        match self {
            LedgerAccount::Wallet(id) => format!("wallet:{id}"),
            LedgerAccount::Earnings(id) => format!("earnings:{id}"),
            LedgerAccount::Revenue => "revenue".into(),
            LedgerAccount::Clearing => "clearing".into(),
        }
    }

    pub fn parse_key(key: &str) -> Option<LedgerAccount> {
        match key.split_once(':') {
            Some(("wallet", id)) => id.parse().ok().map(LedgerAccount::Wallet),
            Some(("earnings", id)) => id.parse().ok().map(LedgerAccount::Earnings),
            None if key == "revenue" => Some(LedgerAccount::Revenue),
            None if key == "clearing" => Some(LedgerAccount::Clearing),
            _ => None,
        }
    }

    /// Accounts whose debits may never exceed their credits.
    pub fn never_negative(&self) -> bool {
        matches!(self, LedgerAccount::Wallet(_) | LedgerAccount::Earnings(_))
    }
}

/// Sums for one account. Credit-normal: what it holds is credits minus debits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Balance {
    pub debits_posted: i64,
    pub credits_posted: i64,
    pub debits_pending: i64,
    pub credits_pending: i64,
}

impl Balance {
    /// Posted credits minus posted debits.
    pub fn posted(&self) -> i64 {
        self.credits_posted - self.debits_posted
    }

    /// What can still be spent: posted balance minus what holds reserve.
    pub fn available(&self) -> i64 {
        self.posted() - self.debits_pending
    }
}

pub type TransferId = u64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferKind {
    Posted,
    /// A hold.
    Pending,
    /// Posts `amount` of a hold; the rest of the hold is released.
    PostPending {
        hold: TransferId,
    },
    VoidPending {
        hold: TransferId,
    },
    ExpirePending {
        hold: TransferId,
    },
}

impl TransferKind {
    /// The stable name stored in the database.
    pub fn as_str(&self) -> &'static str {
        match self {
            TransferKind::Posted => "posted",
            TransferKind::Pending => "pending",
            TransferKind::PostPending { .. } => "post_pending",
            TransferKind::VoidPending { .. } => "void_pending",
            TransferKind::ExpirePending { .. } => "expire_pending",
        }
    }

    /// The hold this transfer resolves, if it resolves one.
    pub fn hold(&self) -> Option<TransferId> {
        match *self {
            TransferKind::PostPending { hold }
            | TransferKind::VoidPending { hold }
            | TransferKind::ExpirePending { hold } => Some(hold),
            TransferKind::Posted | TransferKind::Pending => None,
        }
    }

    pub fn parse(kind: &str, hold: Option<TransferId>) -> Option<TransferKind> {
        match (kind, hold) {
            ("posted", None) => Some(TransferKind::Posted),
            ("pending", None) => Some(TransferKind::Pending),
            ("post_pending", Some(hold)) => Some(TransferKind::PostPending { hold }),
            ("void_pending", Some(hold)) => Some(TransferKind::VoidPending { hold }),
            ("expire_pending", Some(hold)) => Some(TransferKind::ExpirePending { hold }),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transfer {
    pub id: TransferId,
    pub debit: LedgerAccount,
    pub credit: LedgerAccount,
    pub amount_minor: i64,
    pub kind: TransferKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerError {
    AmountNotPositive(i64),
    SameAccount(LedgerAccount),
    InsufficientFunds {
        account: LedgerAccount,
        available_minor: i64,
        needed_minor: i64,
    },
    UnknownHold(TransferId),
    HoldAlreadyResolved {
        hold: TransferId,
        by: TransferId,
    },
    PostExceedsHold {
        hold: TransferId,
        held_minor: i64,
        asked_minor: i64,
    },
}

impl fmt::Display for LedgerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LedgerError::AmountNotPositive(a) => write!(f, "amount_minor {a} must be positive"),
            LedgerError::SameAccount(a) => {
                write!(f, "a transfer from {a:?} to itself moves nothing")
            }
            LedgerError::InsufficientFunds {
                account,
                available_minor,
                needed_minor,
            } => {
                write!(
                    f,
                    "{account:?} has {available_minor} available; {needed_minor} is needed"
                )
            }
            LedgerError::UnknownHold(h) => write!(f, "there is no hold {h}"),
            LedgerError::HoldAlreadyResolved { hold, by } => {
                write!(f, "hold {hold} was already resolved by transfer {by}")
            }
            LedgerError::PostExceedsHold {
                hold,
                held_minor,
                asked_minor,
            } => {
                write!(
                    f,
                    "hold {hold} reserves {held_minor}; {asked_minor} cannot be posted"
                )
            }
        }
    }
}

impl std::error::Error for LedgerError {}

/// An in-memory ledger: the reference model the store's ledger must agree with, and
/// what simulations run against.
#[derive(Debug, Default, Clone)]
pub struct Ledger {
    balances: BTreeMap<LedgerAccount, Balance>,
    transfers: Vec<Transfer>,
    /// Each hold and the transfer that resolved it, if any.
    holds: BTreeMap<TransferId, Option<TransferId>>,
}

impl Ledger {
    pub fn balance(&self, account: LedgerAccount) -> Balance {
        self.balances.get(&account).copied().unwrap_or_default()
    }

    pub fn transfers(&self) -> &[Transfer] {
        &self.transfers
    }

    fn next_id(&self) -> TransferId {
        self.transfers.len() as TransferId + 1
    }

    fn check_new(
        &self,
        debit: LedgerAccount,
        credit: LedgerAccount,
        amount: i64,
    ) -> Result<(), LedgerError> {
        if amount <= 0 {
            return Err(LedgerError::AmountNotPositive(amount));
        }
        if debit == credit {
            return Err(LedgerError::SameAccount(debit));
        }
        let available = self.balance(debit).available();
        if debit.never_negative() && available < amount {
            return Err(LedgerError::InsufficientFunds {
                account: debit,
                available_minor: available,
                needed_minor: amount,
            });
        }
        Ok(())
    }

    fn record(&mut self, t: Transfer) -> TransferId {
        self.transfers.push(t);
        t.id
    }

    /// Moves money now.
    pub fn transfer(
        &mut self,
        debit: LedgerAccount,
        credit: LedgerAccount,
        amount_minor: i64,
    ) -> Result<TransferId, LedgerError> {
        self.check_new(debit, credit, amount_minor)?;
        self.balances.entry(debit).or_default().debits_posted += amount_minor;
        self.balances.entry(credit).or_default().credits_posted += amount_minor;
        let id = self.next_id();
        Ok(self.record(Transfer {
            id,
            debit,
            credit,
            amount_minor,
            kind: TransferKind::Posted,
        }))
    }

    /// Reserves money for a later post.
    pub fn hold(
        &mut self,
        debit: LedgerAccount,
        credit: LedgerAccount,
        amount_minor: i64,
    ) -> Result<TransferId, LedgerError> {
        self.check_new(debit, credit, amount_minor)?;
        self.balances.entry(debit).or_default().debits_pending += amount_minor;
        self.balances.entry(credit).or_default().credits_pending += amount_minor;
        let id = self.next_id();
        self.holds.insert(id, None);
        Ok(self.record(Transfer {
            id,
            debit,
            credit,
            amount_minor,
            kind: TransferKind::Pending,
        }))
    }

    fn open_hold(&self, hold: TransferId) -> Result<Transfer, LedgerError> {
        match self.holds.get(&hold) {
            None => Err(LedgerError::UnknownHold(hold)),
            Some(Some(by)) => Err(LedgerError::HoldAlreadyResolved { hold, by: *by }),
            Some(None) => Ok(self.transfers[(hold - 1) as usize]),
        }
    }

    fn release(&mut self, h: &Transfer) {
        self.balances.entry(h.debit).or_default().debits_pending -= h.amount_minor;
        self.balances.entry(h.credit).or_default().credits_pending -= h.amount_minor;
    }

    /// Posts `amount_minor` (at most the hold) and releases the rest. Posting zero is a
    /// void under another name and is refused: call `void`.
    pub fn post(&mut self, hold: TransferId, amount_minor: i64) -> Result<TransferId, LedgerError> {
        let h = self.open_hold(hold)?;
        if amount_minor <= 0 {
            return Err(LedgerError::AmountNotPositive(amount_minor));
        }
        if amount_minor > h.amount_minor {
            return Err(LedgerError::PostExceedsHold {
                hold,
                held_minor: h.amount_minor,
                asked_minor: amount_minor,
            });
        }
        self.release(&h);
        self.balances.entry(h.debit).or_default().debits_posted += amount_minor;
        self.balances.entry(h.credit).or_default().credits_posted += amount_minor;
        let id = self.next_id();
        self.holds.insert(hold, Some(id));
        Ok(self.record(Transfer {
            id,
            debit: h.debit,
            credit: h.credit,
            amount_minor,
            kind: TransferKind::PostPending { hold },
        }))
    }

    pub fn void(&mut self, hold: TransferId) -> Result<TransferId, LedgerError> {
        self.end_hold(hold, |hold| TransferKind::VoidPending { hold })
    }

    pub fn expire(&mut self, hold: TransferId) -> Result<TransferId, LedgerError> {
        self.end_hold(hold, |hold| TransferKind::ExpirePending { hold })
    }

    fn end_hold(
        &mut self,
        hold: TransferId,
        kind: impl Fn(TransferId) -> TransferKind,
    ) -> Result<TransferId, LedgerError> {
        let h = self.open_hold(hold)?;
        self.release(&h);
        let id = self.next_id();
        self.holds.insert(hold, Some(id));
        Ok(self.record(Transfer {
            id,
            debit: h.debit,
            credit: h.credit,
            amount_minor: h.amount_minor,
            kind: kind(hold),
        }))
    }

    /// Holds not yet resolved.
    pub fn open_holds(&self) -> impl Iterator<Item = TransferId> + '_ {
        self.holds
            .iter()
            .filter(|(_, by)| by.is_none())
            .map(|(id, _)| *id)
    }

    /// Checks every invariant from scratch, by replaying the transfers.
    pub fn check(&self) -> Result<(), String> {
        let mut replay: BTreeMap<LedgerAccount, Balance> = BTreeMap::new();
        let mut resolved: BTreeMap<TransferId, TransferId> = BTreeMap::new();
        for t in &self.transfers {
            match t.kind {
                TransferKind::Posted => {
                    replay.entry(t.debit).or_default().debits_posted += t.amount_minor;
                    replay.entry(t.credit).or_default().credits_posted += t.amount_minor;
                }
                TransferKind::Pending => {
                    replay.entry(t.debit).or_default().debits_pending += t.amount_minor;
                    replay.entry(t.credit).or_default().credits_pending += t.amount_minor;
                }
                TransferKind::PostPending { hold }
                | TransferKind::VoidPending { hold }
                | TransferKind::ExpirePending { hold } => {
                    if let Some(by) = resolved.insert(hold, t.id) {
                        return Err(format!("hold {hold} resolved twice, by {by} and {}", t.id));
                    }
                    let h = self.transfers[(hold - 1) as usize];
                    if t.amount_minor > h.amount_minor {
                        return Err(format!("transfer {} resolves more than hold {hold}", t.id));
                    }
                    replay.entry(h.debit).or_default().debits_pending -= h.amount_minor;
                    replay.entry(h.credit).or_default().credits_pending -= h.amount_minor;
                    if let TransferKind::PostPending { .. } = t.kind {
                        replay.entry(t.debit).or_default().debits_posted += t.amount_minor;
                        replay.entry(t.credit).or_default().credits_posted += t.amount_minor;
                    }
                }
            }
        }
        let sum = |f: fn(&Balance) -> i64| replay.values().map(f).sum::<i64>();
        if sum(|b| b.debits_posted) != sum(|b| b.credits_posted) {
            return Err("posted debits and credits differ".into());
        }
        if sum(|b| b.debits_pending) != sum(|b| b.credits_pending) {
            return Err("pending debits and credits differ".into());
        }
        for (account, b) in &replay {
            if account.never_negative() && b.available() < 0 {
                return Err(format!("{account:?} is below zero: {b:?}"));
            }
            if self.balance(*account) != *b {
                return Err(format!("{account:?} balance drifted from its transfers"));
            }
        }
        Ok(())
    }
}

/// Commission in basis points (2000 = 20 %).
pub type CommissionBps = u32;

/// Splits a payment into (provider, platform). The platform's share rounds down, so the
/// provider never loses a fraction to rounding; the parts always sum to the whole.
pub fn split(amount_minor: i64, commission_bps: CommissionBps) -> (i64, i64) {
    let platform = ((i128::from(amount_minor) * i128::from(commission_bps)) / 10_000) as i64;
    (amount_minor - platform, platform)
}

/// The platform's share of a refund of `refund_minor` out of a payment of `paid_minor`
/// that earned it `commission_minor`: proportional, rounded down.
pub fn commission_refund(refund_minor: i64, paid_minor: i64, commission_minor: i64) -> i64 {
    if paid_minor <= 0 {
        return 0;
    }
    ((i128::from(refund_minor) * i128::from(commission_minor)) / i128::from(paid_minor)) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use LedgerAccount::*;
    use proptest::prelude::*;

    #[test]
    fn a_booking_lifecycle() {
        let mut l = Ledger::default();
        l.transfer(Clearing, Wallet(1), 5000).unwrap();
        let hold = l.hold(Wallet(1), Earnings(2), 3000).unwrap();
        assert_eq!(l.balance(Wallet(1)).available(), 2000);
        assert_eq!(
            l.hold(Wallet(1), Earnings(2), 2500).unwrap_err(),
            LedgerError::InsufficientFunds {
                account: Wallet(1),
                available_minor: 2000,
                needed_minor: 2500
            }
        );
        assert_eq!(
            l.post(hold, 3500).unwrap_err(),
            LedgerError::PostExceedsHold {
                hold,
                held_minor: 3000,
                asked_minor: 3500
            }
        );
        let posted = l.post(hold, 2400).unwrap();
        assert_eq!(
            l.balance(Wallet(1)).available(),
            2600,
            "the rest of the hold is released"
        );
        assert_eq!(
            l.void(hold).unwrap_err(),
            LedgerError::HoldAlreadyResolved { hold, by: posted }
        );
        let (_, platform) = split(2400, 2000);
        l.transfer(Earnings(2), Revenue, platform).unwrap();
        assert_eq!(l.balance(Earnings(2)).posted(), 1920);
        assert_eq!(l.balance(Revenue).posted(), 480);
        l.check().unwrap();
    }

    #[test]
    fn splits_and_refunds_round_in_the_providers_favour() {
        assert_eq!(split(2500, 2000), (2000, 500));
        assert_eq!(split(999, 2000), (800, 199));
        assert_eq!(split(1000, 0), (1000, 0));
        assert_eq!(commission_refund(1250, 2500, 500), 250);
        assert_eq!(commission_refund(1, 3, 1), 0);
    }

    #[derive(Debug, Clone)]
    enum Op {
        TopUp(i64, i64),
        Hold(i64, i64, i64),
        Post(usize, i64),
        Void(usize),
        Expire(usize),
        Pay(i64, i64, i64),
        Payout(i64, i64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0i64..4, 1i64..10_000).prop_map(|(u, a)| Op::TopUp(u, a)),
            (0i64..4, 0i64..3, 1i64..8_000).prop_map(|(u, p, a)| Op::Hold(u, p, a)),
            (0usize..40, 1i64..8_000).prop_map(|(h, a)| Op::Post(h, a)),
            (0usize..40).prop_map(Op::Void),
            (0usize..40).prop_map(Op::Expire),
            (0i64..4, 0i64..3, 1i64..8_000).prop_map(|(u, p, a)| Op::Pay(u, p, a)),
            (0i64..3, 1i64..8_000).prop_map(|(p, a)| Op::Payout(p, a)),
        ]
    }

    proptest! {
        /// Whatever happens, in whatever order, no cent is created, lost or spent twice.
        #[test]
        fn invariants_hold_after_every_step(ops in prop::collection::vec(op(), 1..120)) {
            let mut l = Ledger::default();
            let mut holds: Vec<TransferId> = Vec::new();
            for op in ops {
                // Refusals are fine; what matters is that nothing breaks.
                let _ = match op {
                    Op::TopUp(u, a) => l.transfer(Clearing, Wallet(u), a),
                    Op::Hold(u, p, a) => l.hold(Wallet(u), Earnings(100 + p), a).inspect(|h| holds.push(*h)),
                    Op::Post(i, a) => match holds.get(i) { Some(h) => l.post(*h, a), None => continue },
                    Op::Void(i) => match holds.get(i) { Some(h) => l.void(*h), None => continue },
                    Op::Expire(i) => match holds.get(i) { Some(h) => l.expire(*h), None => continue },
                    Op::Pay(u, p, a) => l.transfer(Wallet(u), Earnings(100 + p), a),
                    Op::Payout(p, a) => l.transfer(Earnings(100 + p), Clearing, a),
                };
                prop_assert_eq!(l.check(), Ok(()));
            }
            let total: i64 = [Clearing, Revenue].iter().map(|a| l.balance(*a).posted()).sum::<i64>()
                + (0..4).map(|u| l.balance(Wallet(u)).posted()).sum::<i64>()
                + (0..3).map(|p| l.balance(Earnings(100 + p)).posted()).sum::<i64>();
            prop_assert_eq!(total, 0, "money is only ever moved, never made");
        }

        #[test]
        fn split_parts_sum_to_the_whole(amount in 0i64..1_000_000_000, bps in 0u32..=10_000) {
            let (provider, platform) = split(amount, bps);
            prop_assert_eq!(provider + platform, amount);
            prop_assert!(platform >= 0 && provider >= 0);
            prop_assert!(platform * 10_000 <= amount * i64::from(bps), "the platform never rounds up");
        }
    }
}
