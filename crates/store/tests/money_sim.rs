//! A deterministic simulation of the marketplace's money, run against the real store.
//!
//! From a seed, a random sequence of top-ups, bookings (fixed, per-minute, free; one or
//! more seats), cancellations (early or late, by either side), starts, completions,
//! no-shows, refund requests with their answers and disputes, payouts and their
//! settlement, expiries and the passing of time runs across several buyers and
//! providers. The same steps run through `onhand_core::ledger::Ledger` and the payment
//! rules as the reference. After every step every balance in the store equals the
//! reference's, the reference's invariants hold (debits equal credits, no wallet or
//! earnings below zero, each hold resolved at most once) and the books balance; after
//! each seed the store's whole transfer log replays to its stored balances.
//!
//! `cargo test -p onhand-store --test money_sim` runs `DEFAULT_SEEDS` seeds;
//! `ONHAND_SIM_SEEDS=20000 cargo test --release -p onhand-store --test money_sim` runs
//! more, and `ONHAND_SIM_SEED=1234` replays one. A failure names its seed.
//! With `ONHAND_TEST_POSTGRES_URL` set, `POSTGRES_SEEDS` seeds (`ONHAND_SIM_PG_SEEDS`)
//! also run on PostgreSQL, four stores at once on one database server.

mod support;

use jiff::{SignedDuration, Timestamp};
use onhand_core::booking::{BookingEvent, BookingState, Party};
use onhand_core::catalog::{CancellationPolicy, PriceModel};
use onhand_core::ledger::{Ledger, LedgerAccount, TransferId};
use onhand_core::payments::{self, GUARANTEE_WINDOW, Settlement};
use onhand_store::{BookError, ChargeOutcome, NewBooking, Settle, Store, StoreError};
use support::*;

const DEFAULT_SEEDS: u64 = 2000;
const STEPS: usize = 50;
const SEEDS_PER_STORE: usize = 20;
const POSTGRES_SEEDS: u64 = 400;
const BUYERS: usize = 4;
const PROVIDERS: usize = 2;
const COMMISSION_BPS: u32 = 2000;
const PAYOUT_MINIMUM: i64 = 1000;
const STALE_AFTER: SignedDuration = SignedDuration::from_hours(7 * 24);

/// splitmix64: small, fast and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            Some(&items[self.below(items.len() as u64) as usize])
        }
    }
}

#[derive(Debug, Clone)]
struct Sim {
    id: i64,
    buyer: i64,
    provider: i64,
    price: PriceModel,
    seats: u32,
    minutes: u32,
    commission_bps: u32,
    hold: Option<TransferId>,
    state: BookingState,
    start: Timestamp,
    started_at: Option<Timestamp>,
    settled_at: Option<Timestamp>,
    charged: i64,
    commission: i64,
    refunded: i64,
    expired: bool,
    /// An unanswered or disputed refund request: (id, amount, disputed).
    pending_refund: Option<(i64, i64, bool)>,
}

struct PendingPayout {
    id: i64,
    hold: TransferId,
    amount: i64,
}

struct World {
    store: Store,
    ledger: Ledger,
    buyers: Vec<i64>,
    providers: Vec<(i64, i64)>,
    bookings: Vec<Sim>,
    payouts: Vec<PendingPayout>,
    now: Timestamp,
    next_start: Timestamp,
    seed: u64,
    log: Vec<String>,
    baseline: Vec<(LedgerAccount, onhand_store::Balance)>,
}

const POLICY: CancellationPolicy = CancellationPolicy::Moderate;

impl World {
    fn fail(&self, what: String) -> ! {
        panic!(
            "seed {} failed: {what}\nreplay with ONHAND_SIM_SEED={}\nsteps:\n  {}",
            self.seed,
            self.seed,
            self.log.join("\n  ")
        )
    }

    fn locked(&self, provider: i64) -> i64 {
        self.bookings
            .iter()
            .filter(|b| b.provider == provider && b.charged > 0)
            .filter(|b| {
                b.settled_at
                    .is_some_and(|t| t > self.now - GUARANTEE_WINDOW)
                    || b.pending_refund.is_some()
            })
            .map(|b| {
                let returned = b.refunded * b.commission / b.charged;
                (b.charged - b.commission) - (b.refunded - returned)
            })
            .sum()
    }

    fn pay_refund(&mut self, i: usize, amount: i64) {
        let b = self.bookings[i].clone();
        let parts = payments::refund_split(amount, b.refunded, b.charged, b.commission);
        if parts.provider_minor > 0 {
            self.ledger
                .transfer(
                    LedgerAccount::Earnings(b.provider),
                    LedgerAccount::Wallet(b.buyer),
                    parts.provider_minor,
                )
                .unwrap_or_else(|e| self.fail(format!("the reference refused a refund: {e}")));
        }
        if parts.commission_minor > 0 {
            self.ledger
                .transfer(
                    LedgerAccount::Revenue,
                    LedgerAccount::Wallet(b.buyer),
                    parts.commission_minor,
                )
                .unwrap();
        }
        self.bookings[i].refunded += amount;
    }

    async fn replay(&self) {
        match self.store.verify_ledger().await.unwrap() {
            Ok(()) => {}
            Err(e) => self.fail(format!("the stored ledger does not replay: {e}")),
        }
        for b in &self.buyers {
            let a = LedgerAccount::Wallet(*b);
            let stored = self.store.ledger_balance(a, "USD").await.unwrap();
            if self.store.recompute_balance(a, "USD").await.unwrap() != stored {
                self.fail(format!("{a:?}: the audit recomputation differs"));
            }
            // The history's running balance ends where the wallet stands, and each
            // entry's balance follows from the one before.
            let h = self
                .store
                .ledger_history(
                    a,
                    "USD",
                    onhand_store::Page {
                        offset: 0,
                        limit: 500,
                    },
                )
                .await
                .unwrap();
            let mut expected = 0;
            for e in h.items.iter().rev() {
                if e.kind == "posted" || e.kind == "post_pending" {
                    expected += e.amount_minor;
                }
                if e.running_minor != expected {
                    self.fail(format!(
                        "{a:?}: history entry {} shows {}, expected {expected}",
                        e.transfer_id, e.running_minor
                    ));
                }
            }
            if h.items.first().map_or(0, |e| e.running_minor) != stored.posted() {
                self.fail(format!("{a:?}: history does not end at the balance"));
            }
        }
    }

    async fn check(&self) {
        if let Err(e) = self.ledger.check() {
            self.fail(format!("the reference broke: {e}"));
        }
        let mut accounts = vec![LedgerAccount::Revenue, LedgerAccount::Clearing];
        accounts.extend(self.buyers.iter().map(|b| LedgerAccount::Wallet(*b)));
        accounts.extend(
            self.providers
                .iter()
                .map(|(p, _)| LedgerAccount::Earnings(*p)),
        );
        let mut total = 0;
        for a in accounts {
            let mut stored = self.store.ledger_balance(a, "USD").await.unwrap();
            // Revenue and clearing are shared by every seed on this store: compare what
            // this seed added to them.
            if let Some((_, base)) = self.baseline.iter().find(|(b, _)| *b == a) {
                stored.debits_posted -= base.debits_posted;
                stored.credits_posted -= base.credits_posted;
                stored.debits_pending -= base.debits_pending;
                stored.credits_pending -= base.credits_pending;
            }
            let expected = self.ledger.balance(a);
            if stored != expected {
                self.fail(format!("{a:?}: stored {stored:?}, expected {expected:?}"));
            }
            total += stored.posted();
        }
        if total != 0 {
            self.fail(format!(
                "the books do not balance: posted balances sum to {total}"
            ));
        }
        for b in &self.bookings {
            let open = b
                .hold
                .is_some_and(|h| self.ledger.open_holds().any(|o| o == h));
            if b.state.is_final() && open {
                self.fail(format!(
                    "booking {} is {:?} with its hold open",
                    b.id, b.state
                ));
            }
            if b.refunded > b.charged {
                self.fail(format!("booking {} refunded more than charged", b.id));
            }
        }
    }

    async fn step(&mut self, rng: &mut Rng) {
        self.now += SignedDuration::from_mins(rng.range(1, 240));
        match rng.below(100) {
            0..=11 => self.top_up(rng).await,
            12..=31 => self.book(rng).await,
            32..=41 => self.cancel(rng).await,
            42..=51 => self.start(rng).await,
            52..=61 => self.complete(rng).await,
            62..=65 => self.no_show(rng).await,
            66..=75 => self.ask_refund(rng).await,
            76..=81 => self.answer_refund(rng).await,
            82..=87 => self.pay_out(rng).await,
            88..=92 => self.settle_payout(rng).await,
            93..=95 => self.expire().await,
            _ => {
                let hours = rng.range(1, 100);
                self.now += SignedDuration::from_hours(hours);
                self.log.push(format!("wait {hours}h"));
            }
        }
        self.check().await;
    }

    async fn top_up(&mut self, rng: &mut Rng) {
        let buyer = *rng.pick(&self.buyers).unwrap();
        let amount = rng.range(100, 20_000);
        self.log.push(format!("top up {buyer} {amount}"));
        self.store
            .record_top_up(
                buyer,
                amount,
                "USD",
                "sandbox",
                "4242",
                &ChargeOutcome::Succeeded {
                    gateway_ref: "sim".into(),
                },
                None,
                self.now,
            )
            .await
            .unwrap();
        self.ledger
            .transfer(
                LedgerAccount::Clearing,
                LedgerAccount::Wallet(buyer),
                amount,
            )
            .unwrap();
    }

    async fn book(&mut self, rng: &mut Rng) {
        let buyer = *rng.pick(&self.buyers).unwrap();
        let (provider, listing) = *rng.pick(&self.providers).unwrap();
        let price = match rng.below(4) {
            0 => PriceModel::Free,
            1 => PriceModel::PerMinute {
                rate_minor: rng.range(10, 300),
                minimum_minutes: rng.range(5, 15) as u32,
            },
            _ => PriceModel::Fixed {
                price_minor: rng.range(100, 9_000),
            },
        };
        let seats = if rng.chance(20) {
            rng.range(2, 4) as u32
        } else {
            1
        };
        let minutes = [15, 30, 45, 60][rng.below(4) as usize];
        // Health and free sessions pay no commission.
        let category = if rng.chance(15) {
            "health"
        } else {
            "art-music"
        };
        let commission_bps = payments::commission_for(price, category, COMMISSION_BPS);
        let hold = payments::hold_minor(price, seats, minutes);
        self.next_start = self.next_start.max(self.now) + SignedDuration::from_hours(2);
        let start = self.next_start;
        self.log.push(format!(
            "book {buyer} with {provider}: {price:?} x{seats} {minutes}min, hold {hold}"
        ));
        let new = NewBooking {
            listing_id: listing,
            provider_id: provider,
            buyer_id: buyer,
            start,
            seats,
            session_minutes: minutes,
            group_size: 4,
            title: "Sim",
            price_model: price.kind(),
            price_minor: price.amount_minor(),
            minimum_minutes: price.minimum_minutes().map(i64::from),
            currency: "USD",
            cancellation_policy: POLICY.as_str(),
            hold_minor: hold,
            commission_bps,
        };
        let affordable = self
            .ledger
            .balance(LedgerAccount::Wallet(buyer))
            .available()
            >= hold;
        match (self.store.book_now(&new, self.now).await, affordable) {
            (Ok(b), true) => {
                let model_hold = (hold > 0).then(|| {
                    self.ledger
                        .hold(
                            LedgerAccount::Wallet(buyer),
                            LedgerAccount::Earnings(provider),
                            hold,
                        )
                        .unwrap()
                });
                self.bookings.push(Sim {
                    id: b.id,
                    buyer,
                    provider,
                    price,
                    seats,
                    minutes,
                    commission_bps,
                    hold: model_hold,
                    state: BookingState::Confirmed,
                    start,
                    started_at: None,
                    settled_at: None,
                    charged: 0,
                    commission: 0,
                    refunded: 0,
                    expired: false,
                    pending_refund: None,
                });
            }
            (Err(BookError::Store(StoreError::InsufficientFunds { .. })), false) => {}
            (got, affordable) => self.fail(format!(
                "booking (affordable: {affordable}) answered {got:?}"
            )),
        }
    }

    fn live_booking(&self, rng: &mut Rng, states: &[BookingState]) -> Option<usize> {
        let candidates: Vec<usize> = (0..self.bookings.len())
            .filter(|i| {
                let b = &self.bookings[*i];
                !b.expired && states.contains(&b.state)
            })
            .collect();
        rng.pick(&candidates).copied()
    }

    /// Applies `event` with the settlement the rules give, in the store and the reference.
    async fn transition(&mut self, i: usize, event: BookingEvent, fee: i64, charge: i64) {
        let b = self.bookings[i].clone();
        let settlement = payments::settlement(event, fee, charge);
        let settle = match settlement {
            Settlement::Keep if event == BookingEvent::Start => Settle::Started,
            Settlement::Keep => Settle::Keep,
            Settlement::Void => Settle::Void,
            Settlement::Post { amount_minor } => Settle::Post { amount_minor },
        };
        self.log
            .push(format!("booking {} {event:?}: {settle:?}", b.id));
        let next = b.state.apply(event).unwrap();
        let done = self
            .store
            .transition_booking(b.id, b.state, event, None, Some(fee), settle, self.now)
            .await
            .unwrap_or_else(|e| self.fail(format!("transition refused: {e:?}")));
        let sim = &mut self.bookings[i];
        sim.state = next;
        match settle {
            Settle::Keep => {}
            Settle::Started => sim.started_at = Some(self.now),
            Settle::Void => {
                if let Some(h) = sim.hold {
                    self.ledger.void(h).unwrap();
                }
                sim.settled_at = Some(self.now);
            }
            Settle::Post { amount_minor } => {
                let hold = sim.hold.expect("a post has a hold");
                self.ledger.post(hold, amount_minor).unwrap();
                let split = payments::split_payment(amount_minor, sim.commission_bps);
                if split.commission_minor > 0 {
                    self.ledger
                        .transfer(
                            LedgerAccount::Earnings(sim.provider),
                            LedgerAccount::Revenue,
                            split.commission_minor,
                        )
                        .unwrap();
                }
                sim.charged = amount_minor;
                sim.commission = split.commission_minor;
                sim.settled_at = Some(self.now);
            }
        }
        let sim = self.bookings[i].clone();
        if (done.charged_minor, done.commission_minor, done.state)
            != (sim.charged, sim.commission, sim.state)
        {
            self.fail(format!(
                "booking {} stored {done:?}, expected {sim:?}",
                sim.id
            ));
        }
    }

    fn fee(&self, i: usize) -> i64 {
        let b = &self.bookings[i];
        let held = payments::hold_minor(b.price, b.seats, b.minutes);
        (POLICY.late_fee_minor(b.price) * i64::from(b.seats)).min(held)
    }

    async fn cancel(&mut self, rng: &mut Rng) {
        let Some(i) = self.live_booking(rng, &[BookingState::Confirmed]) else {
            return;
        };
        let party = if rng.chance(50) {
            Party::Buyer
        } else {
            Party::Provider
        };
        let late = rng.chance(50);
        let fee = if party == Party::Buyer && late {
            self.fee(i)
        } else {
            0
        };
        self.transition(i, BookingEvent::Cancel(party), fee, 0)
            .await;
    }

    async fn start(&mut self, rng: &mut Rng) {
        if let Some(i) = self.live_booking(rng, &[BookingState::Confirmed]) {
            self.transition(i, BookingEvent::Start, 0, 0).await;
        }
    }

    async fn complete(&mut self, rng: &mut Rng) {
        let Some(i) = self.live_booking(rng, &[BookingState::InProgress]) else {
            return;
        };
        let b = &self.bookings[i];
        let started = b.started_at.unwrap();
        let ended = started + SignedDuration::from_mins(rng.range(0, i64::from(b.minutes) + 20));
        // Completion is recorded now; per-minute billing runs on the session's own times.
        let charge = payments::completed_charge_minor(b.price, b.seats, b.minutes, started, ended);
        self.transition(i, BookingEvent::Complete, 0, charge).await;
    }

    async fn no_show(&mut self, rng: &mut Rng) {
        let Some(i) = self.live_booking(rng, &[BookingState::Confirmed, BookingState::InProgress])
        else {
            return;
        };
        let party = if rng.chance(50) {
            Party::Buyer
        } else {
            Party::Provider
        };
        let fee = if party == Party::Buyer {
            self.fee(i)
        } else {
            0
        };
        self.transition(i, BookingEvent::NoShow(party), fee, 0)
            .await;
    }

    async fn ask_refund(&mut self, rng: &mut Rng) {
        let candidates: Vec<usize> = (0..self.bookings.len())
            .filter(|i| self.bookings[*i].charged > 0)
            .collect();
        let Some(&i) = rng.pick(&candidates) else {
            return;
        };
        let b = self.bookings[i].clone();
        let left = b.charged - b.refunded;
        let amount = if rng.chance(10) {
            left + rng.range(1, 500)
        } else {
            rng.range(1, left.max(1))
        };
        let in_window = b
            .settled_at
            .is_some_and(|t| self.now <= t + GUARANTEE_WINDOW);
        let ok = in_window && amount <= left && b.pending_refund.is_none();
        self.log.push(format!(
            "ask refund {amount} of booking {} (ok: {ok})",
            b.id
        ));
        match (
            self.store
                .request_refund(
                    b.id,
                    b.buyer,
                    amount,
                    "Simulated dissatisfaction.",
                    None,
                    self.now,
                )
                .await,
            ok,
        ) {
            (Ok(r), true) => self.bookings[i].pending_refund = Some((r.id, amount, false)),
            (Err(StoreError::WrongState(_) | StoreError::Conflict(_)), false) => {}
            (got, ok) => self.fail(format!("refund request (ok: {ok}) answered {got:?}")),
        }
    }

    async fn answer_refund(&mut self, rng: &mut Rng) {
        let candidates: Vec<usize> = (0..self.bookings.len())
            .filter(|i| self.bookings[*i].pending_refund.is_some())
            .collect();
        let Some(&i) = rng.pick(&candidates) else {
            return;
        };
        let b = self.bookings[i].clone();
        let (id, amount, disputed) = b.pending_refund.unwrap();
        let yes = rng.chance(50);
        self.log.push(format!(
            "{} refund {id} of booking {}: {yes}",
            if disputed {
                "operator decides"
            } else {
                "provider answers"
            },
            b.id
        ));
        let r = if disputed {
            self.store
                .decide_dispute(id, yes, "Decided.", None, self.now)
                .await
        } else {
            self.store
                .answer_refund(id, b.provider, yes, Some("Answered."), None, self.now)
                .await
        }
        .unwrap_or_else(|e| self.fail(format!("answering refund {id}: {e:?}")));
        if yes {
            self.pay_refund(i, amount);
            self.bookings[i].pending_refund = None;
        } else if disputed {
            self.bookings[i].pending_refund = None;
        } else {
            self.bookings[i].pending_refund = Some((id, amount, true));
        }
        let expected = match (disputed, yes) {
            (false, true) => "granted",
            (false, false) => "disputed",
            (true, true) => "upheld",
            (true, false) => "rejected",
        };
        if r.state != expected {
            self.fail(format!("refund {id} is {}, expected {expected}", r.state));
        }
    }

    async fn pay_out(&mut self, rng: &mut Rng) {
        let (provider, _) = *rng.pick(&self.providers).unwrap();
        let available = (self
            .ledger
            .balance(LedgerAccount::Earnings(provider))
            .available()
            - self.locked(provider))
        .max(0);
        let amount = rng.range(PAYOUT_MINIMUM / 2, available.max(PAYOUT_MINIMUM) + 500);
        let ok = amount >= PAYOUT_MINIMUM && amount <= available;
        self.log.push(format!(
            "pay out {amount} to {provider} (available {available})"
        ));
        match (
            self.store
                .start_payout(
                    provider,
                    amount,
                    "USD",
                    PAYOUT_MINIMUM,
                    "sandbox",
                    None,
                    self.now,
                )
                .await,
            ok,
        ) {
            (Ok(p), true) => {
                let hold = self
                    .ledger
                    .hold(
                        LedgerAccount::Earnings(provider),
                        LedgerAccount::Clearing,
                        amount,
                    )
                    .unwrap();
                self.payouts.push(PendingPayout {
                    id: p.id,
                    hold,
                    amount,
                });
            }
            (Err(StoreError::WrongState(_) | StoreError::InsufficientFunds { .. }), false) => {}
            (got, ok) => self.fail(format!("payout (ok: {ok}) answered {got:?}")),
        }
    }

    async fn settle_payout(&mut self, rng: &mut Rng) {
        if self.payouts.is_empty() {
            return;
        }
        let p = self
            .payouts
            .remove(rng.below(self.payouts.len() as u64) as usize);
        let paid = rng.chance(80);
        self.log.push(format!(
            "settle payout {} of {}: paid {paid}",
            p.id, p.amount
        ));
        let outcome = if paid {
            ChargeOutcome::Succeeded {
                gateway_ref: "po".into(),
            }
        } else {
            ChargeOutcome::Declined {
                reason: "bank refused".into(),
            }
        };
        self.store
            .settle_payout(p.id, &outcome, None, self.now)
            .await
            .unwrap_or_else(|e| self.fail(format!("settling payout {}: {e:?}", p.id)));
        if paid {
            self.ledger.post(p.hold, p.amount).unwrap();
        } else {
            self.ledger.void(p.hold).unwrap();
        }
    }

    async fn expire(&mut self) {
        let stale: Vec<usize> = (0..self.bookings.len())
            .filter(|i| {
                let b = &self.bookings[*i];
                b.state == BookingState::Confirmed
                    && !b.expired
                    && b.hold.is_some()
                    && b.start + SignedDuration::from_mins(i64::from(b.minutes))
                        < self.now - STALE_AFTER
            })
            .collect();
        self.log
            .push(format!("expire stale holds ({} expected)", stale.len()));
        let mine: Vec<i64> = self.bookings.iter().map(|b| b.id).collect();
        let mut expired: Vec<i64> = self
            .store
            .expire_stale_holds(STALE_AFTER, self.now)
            .await
            .unwrap()
            .into_iter()
            .filter(|id| mine.contains(id))
            .collect();
        expired.sort();
        let expected: Vec<i64> = stale.iter().map(|i| self.bookings[*i].id).collect();
        if expired != expected {
            self.fail(format!(
                "holds of {expired:?} expired, {expected:?} expected"
            ));
        }
        for i in stale {
            self.ledger.expire(self.bookings[i].hold.unwrap()).unwrap();
            self.bookings[i].expired = true;
            self.bookings[i].settled_at = Some(self.now);
        }
    }
}

/// Runs one seed on `store`, with accounts of its own.
async fn run_seed(store: &Store, seed: u64) {
    let mut buyers = Vec::new();
    for i in 0..BUYERS {
        buyers.push(account(store, &format!("buyer{i}-{seed}@sim.test")).await);
    }
    let mut providers = Vec::new();
    for i in 0..PROVIDERS {
        let p = approved_provider(store, &format!("provider{i}-{seed}@sim.test")).await;
        let l = live(store, p, "Simulated lesson", 1000, t0()).await;
        providers.push((p, l));
    }
    let mut baseline = Vec::new();
    for a in [LedgerAccount::Revenue, LedgerAccount::Clearing] {
        baseline.push((a, store.ledger_balance(a, "USD").await.unwrap()));
    }
    let mut world = World {
        store: store.clone(),
        ledger: Ledger::default(),
        buyers,
        providers,
        bookings: Vec::new(),
        payouts: Vec::new(),
        now: t0(),
        next_start: t0(),
        seed,
        log: Vec::new(),
        baseline,
    };
    let mut rng = Rng(seed);
    for _ in 0..STEPS {
        world.step(&mut rng).await;
    }
    world.replay().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_cent_is_created_lost_or_taken_twice() {
    if let Some(seed) = std::env::var("ONHAND_SIM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        let backend = backends().await.remove(0);
        run_seed(&backend.store, seed).await;
        return;
    }
    let seeds: u64 = std::env::var("ONHAND_SIM_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEEDS);
    let started = std::time::Instant::now();
    let workers = 4;
    let mut tasks = Vec::new();
    for w in 0..workers {
        tasks.push(tokio::spawn(async move {
            // A fresh store every few seeds keeps each replay short.
            let mut seed = w;
            while seed < seeds {
                let backend = backends().await.remove(0);
                for _ in 0..SEEDS_PER_STORE {
                    if seed >= seeds {
                        break;
                    }
                    run_seed(&backend.store, seed).await;
                    seed += workers;
                }
            }
        }));
    }
    for t in tasks {
        if let Err(e) = t.await {
            std::panic::resume_unwind(e.into_panic());
        }
    }
    eprintln!(
        "money simulation: {seeds} seeds x {STEPS} steps in {:.1}s",
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_cent_is_created_lost_or_taken_twice_on_postgres() {
    let Some(server) = onhand_store::scratch::test_server("the money simulation") else {
        return;
    };
    let seeds: u64 = std::env::var("ONHAND_SIM_PG_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(POSTGRES_SEEDS);
    let started = std::time::Instant::now();
    let workers = 4;
    let mut tasks = Vec::new();
    for w in 0..workers {
        let server = server.clone();
        tasks.push(tokio::spawn(async move {
            let mut seed = w;
            while seed < seeds {
                let database = onhand_store::scratch::ScratchDatabase::create(&server)
                    .await
                    .unwrap();
                let store = Store::open_postgres(&database.url).await.unwrap();
                for _ in 0..SEEDS_PER_STORE {
                    if seed >= seeds {
                        break;
                    }
                    run_seed(&store, seed).await;
                    seed += workers;
                }
                store.close().await;
            }
        }));
    }
    for t in tasks {
        if let Err(e) = t.await {
            std::panic::resume_unwind(e.into_panic());
        }
    }
    eprintln!(
        "money simulation on PostgreSQL: {seeds} seeds x {STEPS} steps in {:.1}s",
        started.elapsed().as_secs_f64()
    );
}

/// Every row of every table, each rendered as text, sorted: equal dumps mean equal data.
async fn dump(url: &str, tables: &[String]) -> Vec<(String, Vec<String>)> {
    use sqlx::{Column, Row};
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let mut out = Vec::new();
    for table in tables {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM {table}")))
            .fetch_all(&pool)
            .await
            .unwrap();
        let mut rendered: Vec<String> = rows
            .iter()
            .map(|row| {
                (0..row.columns().len())
                    .map(|i| {
                        let name = row.columns()[i].name().to_string();
                        let value = if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
                            format!("{v:?}")
                        } else if let Ok(v) = row.try_get::<Option<String>, _>(i) {
                            format!("{v:?}")
                        } else {
                            format!("{:?}", row.try_get::<Option<Vec<u8>>, _>(i).unwrap())
                        };
                        format!("{name}={value}")
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        rendered.sort();
        out.push((table.clone(), rendered));
    }
    pool.close().await;
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_installation_moves_to_postgres_row_for_row() {
    let Some(server) = onhand_store::scratch::test_server("migrate-to (SQLite to PostgreSQL)")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Store::open_sqlite(dir.path()).await.unwrap();
    for seed in 0..SEEDS_PER_STORE as u64 {
        run_seed(&sqlite, 9_000 + seed).await;
    }
    let database = onhand_store::scratch::ScratchDatabase::create(&server)
        .await
        .unwrap();
    let postgres = Store::open_postgres(&database.url).await.unwrap();
    let report = sqlite.copy_into(&postgres).await.unwrap();
    assert!(report.rows() > 500, "a real history was copied: {report:?}");
    let tables: Vec<String> = report.tables.iter().map(|(t, _)| t.clone()).collect();
    assert!(tables.contains(&"ledger_transfers".to_string()));
    let sqlite_url = format!(
        "sqlite://{}",
        dir.path().join(onhand_store::SQLITE_FILE).display()
    );
    let before = dump(&sqlite_url, &tables).await;
    let after = dump(&database.url, &tables).await;
    for ((table, a), (_, b)) in before.iter().zip(&after) {
        assert_eq!(a.len(), b.len(), "{table}: row count");
        for (x, y) in a.iter().zip(b) {
            assert_eq!(x, y, "{table}: a row changed on the way");
        }
    }
    postgres.verify_ledger().await.unwrap().unwrap();
    // The copy goes on where SQLite left off: new ids follow the copied ones, and the
    // simulation keeps running on the moved data with every balance right.
    run_seed(&postgres, 9_100).await;
    postgres.verify_ledger().await.unwrap().unwrap();
    // A second copy into the now non-empty database is refused, writing nothing.
    let refused = sqlite.copy_into(&postgres).await.unwrap_err();
    assert!(refused.to_string().contains("not empty"), "{refused}");
    postgres.close().await;
}
