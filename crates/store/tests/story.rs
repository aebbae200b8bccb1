//! The storage story: one suite, run against every backend the store has.
//!
//! Each test takes a fresh store from `backends()`: SQLite, and PostgreSQL when
//! `ONHAND_TEST_POSTGRES_URL` is set. Every story passes on both unchanged.

mod support;

use jiff::{SignedDuration, Timestamp};
use onhand_core::money::Currency;
use onhand_store::{
    AskRefusal, LineChange, ListingFilter, NewAccount, Page, SortOrder, Store, StoreError,
};
use support::*;

fn all() -> Page {
    Page {
        offset: 0,
        limit: 100,
    }
}

#[tokio::test]
async fn accounts_are_unique_by_email_and_suspension_ends_sessions() {
    for b in backends().await {
        let s = &b.store;
        let id = account(s, "ana@example.com").await;
        let again = s
            .create_account(
                &NewAccount {
                    email: "ana@example.com",
                    password_hash: "x",
                    display_name: "A",
                    time_zone: "UTC",
                    languages: &[],
                    country: None,
                    is_operator: false,
                },
                t0(),
            )
            .await;
        assert!(
            matches!(again, Err(StoreError::Conflict("email"))),
            "{}",
            b.name
        );
        s.create_session(b"hash-one", id, "csrf", t0())
            .await
            .unwrap();
        assert_eq!(s.session(b"hash-one").await.unwrap().account.id, id);
        s.suspend(id, id, "spam", t0()).await.unwrap();
        assert!(
            matches!(s.session(b"hash-one").await, Err(StoreError::NotFound)),
            "{}",
            b.name
        );
        assert!(matches!(
            s.suspend(id, id, "again", t0()).await,
            Err(StoreError::WrongState(_))
        ));
        s.unsuspend(id, id, t0()).await.unwrap();
        assert!(matches!(
            s.unsuspend(id, id, t0()).await,
            Err(StoreError::WrongState(_))
        ));
        assert!(matches!(
            s.suspend(9999, id, "nobody", t0()).await,
            Err(StoreError::NotFound)
        ));
    }
}

#[tokio::test]
async fn a_published_version_never_changes_under_an_edit() {
    for b in backends().await {
        let s = &b.store;
        let p = approved_provider(s, "pia@example.com").await;
        let id = live(s, p, "First piano lesson", 3000, t0()).await;
        let edited = s
            .update_listing(
                id,
                &content("First piano lesson, revised", 3500),
                Currency::usd(),
                t0(),
            )
            .await
            .unwrap();
        assert_eq!(edited.review_status, "draft");
        assert_eq!(
            edited.published.as_ref().unwrap().title,
            "First piano lesson",
            "{}",
            b.name
        );
        assert_eq!(edited.working.title, "First piano lesson, revised");
        assert!(
            edited.is_public,
            "the approved version stays public during review"
        );
        s.submit_listing(id, t0()).await.unwrap();
        let rejected = s
            .decide_listing(id, false, Some("The price went up without a reason."), t0())
            .await
            .unwrap();
        assert_eq!(rejected.published.as_ref().unwrap().price_minor, 3000);
        s.submit_listing(id, t0()).await.unwrap();
        let approved = s.decide_listing(id, true, None, t0()).await.unwrap();
        assert_eq!(
            approved.published.as_ref().unwrap().title,
            "First piano lesson, revised"
        );
        assert_eq!(
            approved.published_at,
            Some(t0()),
            "first publication time is kept"
        );
    }
}

#[tokio::test]
async fn decisions_happen_exactly_once_even_when_racing() {
    for b in backends().await {
        let s = &b.store;
        let p = approved_provider(s, "pia@example.com").await;
        let l = s
            .create_listing(
                p,
                None,
                &content("Scales without tears", 2000),
                Currency::usd(),
                t0(),
            )
            .await
            .unwrap();
        assert!(
            matches!(
                s.decide_listing(l.id, true, None, t0()).await,
                Err(StoreError::WrongState(_))
            ),
            "a draft cannot be approved"
        );
        s.submit_listing(l.id, t0()).await.unwrap();
        let mut tasks = Vec::new();
        for i in 0..8 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                s.decide_listing(l.id, i % 2 == 0, Some("race"), t0()).await
            }));
        }
        let mut ok = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => ok += 1,
                Err(StoreError::WrongState(_)) => {}
                Err(e) => panic!("{}: {e:?}", b.name),
            }
        }
        assert_eq!(ok, 1, "{}: exactly one decision lands", b.name);
    }
}

#[tokio::test]
async fn the_public_sees_only_live_listings_of_active_approved_providers() {
    for b in backends().await {
        let s = &b.store;
        let p = approved_provider(s, "pia@example.com").await;
        let q = approved_provider(s, "quinn@example.com").await;
        let cheap = live(s, p, "Cheap lesson", 1500, t0()).await;
        let dear = live(
            s,
            p,
            "Dear lesson",
            9000,
            t0() + SignedDuration::from_mins(5),
        )
        .await;
        let other = live(
            s,
            q,
            "Another lesson",
            4000,
            t0() + SignedDuration::from_mins(10),
        )
        .await;
        s.create_listing(
            p,
            None,
            &content("A draft nobody sees", 1000),
            Currency::usd(),
            t0(),
        )
        .await
        .unwrap();

        let ids = |page: onhand_store::Paged<onhand_store::Listing>| {
            page.items.iter().map(|l| l.id).collect::<Vec<_>>()
        };
        let f = ListingFilter::default();
        assert_eq!(
            ids(s
                .public_listings(&f, SortOrder::Newest, all())
                .await
                .unwrap()),
            [other, dear, cheap],
            "{}",
            b.name
        );
        assert_eq!(
            ids(s
                .public_listings(&f, SortOrder::PriceLow, all())
                .await
                .unwrap()),
            [cheap, other, dear]
        );
        assert_eq!(
            ids(s
                .public_listings(
                    &f,
                    SortOrder::PriceHigh,
                    Page {
                        offset: 1,
                        limit: 1
                    }
                )
                .await
                .unwrap()),
            [other]
        );
        let text = ListingFilter {
            text: Some("dear LESSON".into()),
            ..Default::default()
        };
        assert_eq!(
            ids(s
                .public_listings(&text, SortOrder::Newest, all())
                .await
                .unwrap()),
            [dear]
        );
        let wild = ListingFilter {
            text: Some("%".into()),
            ..Default::default()
        };
        assert_eq!(
            s.public_listings(&wild, SortOrder::Newest, all())
                .await
                .unwrap()
                .total,
            0,
            "LIKE wildcards match literally"
        );

        s.set_listing_paused(cheap, true).await.unwrap();
        s.suspend(q, q, "fraud", t0()).await.unwrap();
        assert_eq!(
            ids(s
                .public_listings(&f, SortOrder::Newest, all())
                .await
                .unwrap()),
            [dear]
        );
        assert_eq!(
            s.public_counts_by_category().await.unwrap(),
            [("art-music".to_string(), 1)]
        );
    }
}

#[tokio::test]
async fn api_tokens_are_found_by_hash_and_revoked_once() {
    for b in backends().await {
        let s = &b.store;
        let id = account(s, "ana@example.com").await;
        let other = account(s, "bob@example.com").await;
        let t = s
            .create_api_token(id, "laptop", b"token-hash", t0())
            .await
            .unwrap();
        assert_eq!(
            s.account_by_api_token(b"token-hash", t0())
                .await
                .unwrap()
                .id,
            id
        );
        assert!(
            matches!(
                s.revoke_api_token(other, t.id, t0()).await,
                Err(StoreError::NotFound)
            ),
            "not theirs"
        );
        s.revoke_api_token(id, t.id, t0()).await.unwrap();
        assert!(
            matches!(
                s.revoke_api_token(id, t.id, t0()).await,
                Err(StoreError::NotFound)
            ),
            "{}",
            b.name
        );
        assert!(matches!(
            s.account_by_api_token(b"token-hash", t0()).await,
            Err(StoreError::NotFound)
        ));
    }
}

fn monday_ten() -> Timestamp {
    // A Monday, 10:00 in Vienna (UTC+1 in winter), inside the default 09:00-17:00 hours.
    "2026-02-02T09:00:00Z".parse().unwrap()
}

fn booking_for<'a>(
    listing_id: i64,
    provider_id: i64,
    buyer_id: i64,
    start: Timestamp,
    group_size: u32,
) -> onhand_store::NewBooking<'a> {
    onhand_store::NewBooking {
        listing_id,
        provider_id,
        buyer_id,
        start,
        seats: 1,
        session_minutes: 45,
        group_size,
        title: "Piano",
        price_model: "fixed",
        price_minor: 3000,
        minimum_minutes: None,
        currency: "USD",
        cancellation_policy: "moderate",
        // Money has its own tests (tests/money.rs); these bookings move none.
        hold_minor: 0,
        commission_bps: 0,
    }
}

#[tokio::test]
async fn a_slot_is_sold_once_and_seats_never_go_negative() {
    for b in backends().await {
        let s = &b.store;
        let p = approved_provider(s, "pia@example.com").await;
        let one = live(s, p, "One-to-one lesson", 3000, t0()).await;
        let group = live(s, p, "Group class", 1500, t0()).await;
        let mut buyers = Vec::new();
        for i in 0..64 {
            buyers.push(account(s, &format!("buyer{i}@example.com")).await);
        }
        let now: Timestamp = "2026-01-20T00:00:00Z".parse().unwrap();
        for (listing, group_size, winners) in [(one, 1, 1), (group, 5, 5)] {
            let start =
                monday_ten() + SignedDuration::from_hours(if listing == one { 0 } else { 3 });
            let mut tasks = Vec::new();
            for buyer in &buyers {
                let (s, buyer) = (s.clone(), *buyer);
                tasks.push(tokio::spawn(async move {
                    s.book(
                        &booking_for(listing, p, buyer, start, group_size),
                        None,
                        now,
                    )
                    .await
                }));
            }
            let mut ok = 0;
            for t in tasks {
                match t.await.unwrap() {
                    Ok(_) => ok += 1,
                    Err(onhand_store::BookError::SlotGone) => {}
                    Err(e) => panic!("{}: {e:?}", b.name),
                }
            }
            assert_eq!(ok, winners, "{}: listing {listing}", b.name);
        }
        // The provider's other listing cannot take the same hour.
        let clash = s
            .book(
                &booking_for(group, p, buyers[0], monday_ten(), 5),
                None,
                now,
            )
            .await;
        assert!(
            matches!(clash, Err(onhand_store::BookError::SlotGone)),
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn bookings_move_through_the_state_machine_once() {
    use onhand_core::booking::{BookingEvent, BookingState, Party};
    for b in backends().await {
        let s = &b.store;
        let p = approved_provider(s, "pia@example.com").await;
        let listing = live(s, p, "One-to-one lesson", 3000, t0()).await;
        let buyer = account(s, "bea@example.com").await;
        let now: Timestamp = "2026-01-20T00:00:00Z".parse().unwrap();
        let first = s
            .book(&booking_for(listing, p, buyer, monday_ten(), 1), None, now)
            .await
            .unwrap();
        assert_eq!(first.state, BookingState::Confirmed);
        assert_eq!(first.price_minor, 3000, "the price is snapshotted");

        let later = monday_ten() + SignedDuration::from_hours(2);
        let moved = s
            .reschedule(first.id, &booking_for(listing, p, buyer, later, 1), now)
            .await
            .unwrap();
        assert_eq!(moved.start, later);
        let old = s.booking(first.id).await.unwrap();
        assert_eq!(
            (old.state, old.rescheduled_to),
            (BookingState::Rescheduled, Some(moved.id)),
            "{}",
            b.name
        );
        // The old time is free again.
        s.book(
            &booking_for(
                listing,
                p,
                account(s, "cid@example.com").await,
                monday_ten(),
                1,
            ),
            None,
            now,
        )
        .await
        .unwrap();

        let cancelled = s
            .transition_booking(
                moved.id,
                BookingState::Confirmed,
                BookingEvent::Cancel(Party::Buyer),
                Some("ill"),
                Some(0),
                onhand_store::Settle::Void,
                now,
            )
            .await
            .unwrap();
        assert_eq!(cancelled.state, BookingState::CancelledByBuyer);
        assert_eq!(cancelled.cancel_reason.as_deref(), Some("ill"));
        assert!(matches!(
            s.transition_booking(
                moved.id,
                BookingState::Confirmed,
                BookingEvent::Start,
                None,
                None,
                onhand_store::Settle::Started,
                now
            )
            .await,
            Err(StoreError::WrongState(_))
        ));
        assert!(matches!(
            s.reschedule(moved.id, &booking_for(listing, p, buyer, later, 1), now)
                .await,
            Err(onhand_store::BookError::Store(StoreError::WrongState(_)))
        ));
    }
}

#[tokio::test]
async fn ended_sessions_are_purged() {
    for b in backends().await {
        let s = &b.store;
        let id = account(s, "ana@example.com").await;
        s.create_session(b"old", id, "c", t0()).await.unwrap();
        s.create_session(b"new", id, "c", t0() + SignedDuration::from_hours(48))
            .await
            .unwrap();
        let now = t0() + SignedDuration::from_hours(49);
        let purged = s
            .purge_sessions(
                now - SignedDuration::from_hours(24),
                now - SignedDuration::from_hours(24 * 30),
            )
            .await
            .unwrap();
        assert_eq!(purged, 1, "{}", b.name);
        assert!(matches!(s.session(b"old").await, Err(StoreError::NotFound)));
        assert!(s.session(b"new").await.is_ok());
    }
}

async fn top_up(s: &Store, account: i64, amount_minor: i64, at: Timestamp) {
    s.record_top_up(
        account,
        amount_minor,
        "USD",
        "sandbox",
        "4242",
        &onhand_store::ChargeOutcome::Succeeded {
            gateway_ref: format!("t{account}-{amount_minor}"),
        },
        None,
        at,
    )
    .await
    .unwrap();
}

async fn sound(s: &Store) {
    s.verify_ledger()
        .await
        .unwrap()
        .expect("the ledger replays to the stored balances");
}

#[tokio::test]
async fn a_paid_booking_holds_posts_splits_refunds_and_pays_out() {
    use onhand_core::booking::{BookingEvent, BookingState};
    use onhand_store::Settle;
    for b in backends().await {
        let s = &b.store;
        let p = approved_provider(s, "pia@example.com").await;
        let listing = live(s, p, "One-to-one lesson", 3000, t0()).await;
        let buyer = account(s, "bea@example.com").await;
        let now: Timestamp = "2026-01-20T00:00:00Z".parse().unwrap();
        let paid = |start| onhand_store::NewBooking {
            hold_minor: 3000,
            commission_bps: 2000,
            ..booking_for(listing, p, buyer, start, 1)
        };

        let broke = s.book(&paid(monday_ten()), None, now).await;
        assert!(
            matches!(
                broke,
                Err(onhand_store::BookError::Store(
                    StoreError::InsufficientFunds {
                        available_minor: 0,
                        needed_minor: 3000
                    }
                ))
            ),
            "{}: {broke:?}",
            b.name
        );
        assert!(
            s.bookings_of(buyer, all()).await.unwrap().items.is_empty(),
            "no money, no booking"
        );

        top_up(s, buyer, 5000, now).await;
        let booked = s.book(&paid(monday_ten()), None, now).await.unwrap();
        assert!(booked.hold_id.is_some());
        let w = s.wallet(buyer, "USD").await.unwrap();
        assert_eq!(
            (w.posted_minor(), w.held_minor(), w.available_minor()),
            (5000, 3000, 2000)
        );
        sound(s).await;

        let started = s
            .transition_booking(
                booked.id,
                BookingState::Confirmed,
                BookingEvent::Start,
                None,
                None,
                Settle::Started,
                now,
            )
            .await
            .unwrap();
        assert_eq!(started.started_at, Some(now));
        let done = s
            .transition_booking(
                booked.id,
                BookingState::InProgress,
                BookingEvent::Complete,
                None,
                None,
                Settle::Post { amount_minor: 3000 },
                now,
            )
            .await
            .unwrap();
        assert_eq!((done.charged_minor, done.commission_minor), (3000, 600));
        let w = s.wallet(buyer, "USD").await.unwrap();
        assert_eq!((w.posted_minor(), w.held_minor()), (2000, 0));
        let e = s.earnings(p, "USD", now).await.unwrap();
        assert_eq!(
            (e.posted_minor(), e.locked_minor, e.available_minor()),
            (2400, 2400, 0),
            "earnings wait out the guarantee window"
        );
        sound(s).await;

        // A partial refund, granted: the provider and the platform give back in proportion.
        let r = s
            .request_refund(
                booked.id,
                buyer,
                1000,
                "The second half was cut short.",
                None,
                now,
            )
            .await
            .unwrap();
        assert_eq!(r.state, "open");
        let again = s
            .request_refund(
                booked.id,
                buyer,
                500,
                "And another thing went wrong.",
                None,
                now,
            )
            .await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
        let r = s
            .answer_refund(r.id, p, true, None, None, now)
            .await
            .unwrap();
        assert_eq!(r.state, "granted");
        assert_eq!(s.wallet(buyer, "USD").await.unwrap().posted_minor(), 3000);
        assert_eq!(
            s.earnings(p, "USD", now).await.unwrap().posted_minor(),
            1600
        );
        sound(s).await;

        // After the window, the rest may be paid out; the payout holds until settled.
        let later = now + SignedDuration::from_hours(73);
        let too_much = s
            .start_payout(p, 1700, "USD", 1000, "sandbox", None, later)
            .await;
        assert!(matches!(
            too_much,
            Err(StoreError::InsufficientFunds { .. })
        ));
        let payout = s
            .start_payout(p, 1600, "USD", 1000, "sandbox", None, later)
            .await
            .unwrap();
        assert_eq!(payout.state, "pending");
        assert_eq!(
            s.earnings(p, "USD", later).await.unwrap().available_minor(),
            0
        );
        sound(s).await;
        let paid_out = s
            .settle_payout(
                payout.id,
                &onhand_store::ChargeOutcome::Succeeded {
                    gateway_ref: "po_1".into(),
                },
                None,
                later,
            )
            .await
            .unwrap();
        assert_eq!(paid_out.state, "paid");
        assert!(
            s.settle_payout(
                payout.id,
                &onhand_store::ChargeOutcome::Succeeded {
                    gateway_ref: "po_1".into()
                },
                None,
                later
            )
            .await
            .is_err(),
            "a payout settles once"
        );
        let f = s.finance("USD", later).await.unwrap();
        assert_eq!(
            (
                f.volume_minor,
                f.revenue_minor,
                f.refunded_minor,
                f.open_holds
            ),
            (3000, 400, 1000, 0)
        );
        sound(s).await;
    }
}

#[tokio::test]
async fn idempotency_claims_replay_refuse_and_survive_their_owner() {
    use onhand_store::Claim;
    for b in backends().await {
        let s = &b.store;
        let bea = account(s, "bea@example.com").await;
        let now = t0();
        let claim = |fp: &'static str, owner: &'static str| {
            s.claim_idempotency(bea, "key-0001", fp, owner, now)
        };
        assert_eq!(claim("fp-a", "node-1").await.unwrap(), Claim::Fresh);
        assert_eq!(
            claim("fp-a", "node-1").await.unwrap(),
            Claim::InFlight,
            "{}: a concurrent duplicate waits",
            b.name
        );
        assert_eq!(claim("fp-b", "node-1").await.unwrap(), Claim::Mismatch);
        // The process that claimed it died: its successor takes the claim over.
        assert_eq!(claim("fp-a", "node-2").await.unwrap(), Claim::Fresh);
        s.finish_idempotency(bea, "key-0001", 201, "{\"id\":1}")
            .await
            .unwrap();
        assert_eq!(
            claim("fp-a", "node-3").await.unwrap(),
            Claim::Replay {
                status: 201,
                body: "{\"id\":1}".into()
            }
        );
        // A released claim (the request failed on our side) can be made again.
        s.claim_idempotency(bea, "key-0002", "fp", "node-3", now)
            .await
            .unwrap();
        s.release_idempotency(bea, "key-0002").await.unwrap();
        assert_eq!(
            s.claim_idempotency(bea, "key-0002", "fp-other", "node-3", now)
                .await
                .unwrap(),
            Claim::Fresh
        );
        // Kept at least seven days, then forgotten.
        assert_eq!(
            s.purge_idempotency(now + SignedDuration::from_hours(24 * 7))
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            s.purge_idempotency(now + SignedDuration::from_hours(24 * 9))
                .await
                .unwrap(),
            2
        );
    }
}

#[tokio::test]
async fn reviews_ratings_reports_and_suspension_keep_their_rules() {
    use onhand_core::booking::{BookingEvent, BookingState};
    use onhand_core::reputation::{EDIT_WINDOW, Moderation, ReportTarget, ReviewInput};
    use onhand_store::{ReviewSort, ReviewSubject, Settle};
    for b in backends().await {
        let s = &b.store;
        let op = account(s, "op@example.com").await;
        let p = approved_provider(s, "pia@example.com").await;
        let listing = live(s, p, "One-to-one lesson", 3000, t0()).await;
        let other = live(s, p, "Second listing", 3000, t0()).await;
        let buyer = account(s, "bea@example.com").await;
        let voter = account(s, "vic@example.com").await;
        let now: Timestamp = "2026-01-20T00:00:00Z".parse().unwrap();
        top_up(s, buyer, 20_000, now).await;
        let paid = |listing, start| onhand_store::NewBooking {
            hold_minor: 3000,
            commission_bps: 2000,
            ..booking_for(listing, p, buyer, start, 1)
        };
        // Two completed sessions.
        let mut done = Vec::new();
        for (i, l) in [listing, other].into_iter().enumerate() {
            let start = monday_ten() + jiff::SignedDuration::from_hours(24 * i as i64);
            let bk = s.book(&paid(l, start), None, now).await.unwrap();
            s.transition_booking(
                bk.id,
                BookingState::Confirmed,
                BookingEvent::Start,
                None,
                None,
                Settle::Started,
                now,
            )
            .await
            .unwrap();
            done.push(
                s.transition_booking(
                    bk.id,
                    BookingState::InProgress,
                    BookingEvent::Complete,
                    None,
                    None,
                    Settle::Post { amount_minor: 3000 },
                    now,
                )
                .await
                .unwrap(),
            );
        }
        let r = s
            .create_review(
                &done[0],
                &ReviewInput::parse(5, "Lovely lesson").unwrap(),
                now,
            )
            .await
            .unwrap();
        assert!(matches!(
            s.create_review(&done[0], &ReviewInput::parse(1, "again").unwrap(), now)
                .await,
            Err(StoreError::Conflict("review"))
        ));
        s.create_review(&done[1], &ReviewInput::parse(2, "").unwrap(), now)
            .await
            .unwrap();
        assert_eq!(
            s.stars(ReviewSubject::Listing(listing))
                .await
                .unwrap()
                .counts,
            [0, 0, 0, 0, 1]
        );
        assert_eq!(
            s.stars(ReviewSubject::Provider(p)).await.unwrap().counts,
            [0, 1, 0, 0, 1]
        );

        // Edits inside the window only; one reply.
        let edited = s
            .edit_review(
                r.id,
                &ReviewInput::parse(4, "Lovely, a bit fast").unwrap(),
                now + EDIT_WINDOW - jiff::SignedDuration::from_secs(1),
            )
            .await
            .unwrap();
        assert_eq!((edited.stars, edited.edited_at.is_some()), (4, true));
        assert!(matches!(
            s.edit_review(r.id, &ReviewInput::parse(1, "").unwrap(), now + EDIT_WINDOW)
                .await,
            Err(StoreError::WrongState(_))
        ));
        s.reply_to_review(r.id, "Thank you!", now).await.unwrap();
        assert!(matches!(
            s.reply_to_review(r.id, "Again", now).await,
            Err(StoreError::WrongState(_))
        ));

        // Helpful votes: one per account; sorting by them.
        assert_eq!(s.vote_helpful(r.id, voter, now).await.unwrap(), 1);
        assert!(matches!(
            s.vote_helpful(r.id, voter, now).await,
            Err(StoreError::Conflict("vote"))
        ));
        let by_helpful = s
            .reviews(ReviewSubject::Provider(p), ReviewSort::Helpful, all())
            .await
            .unwrap();
        assert_eq!(by_helpful.items[0].id, r.id);
        let newest = s
            .reviews(ReviewSubject::Provider(p), ReviewSort::Newest, all())
            .await
            .unwrap();
        assert_ne!(newest.items[0].id, r.id);

        // Reports: one open per reporter and item; hiding closes them all and is logged.
        let rep = s
            .create_report(voter, ReportTarget::Review, r.id, "rude", now)
            .await
            .unwrap();
        assert!(matches!(
            s.create_report(voter, ReportTarget::Review, r.id, "still rude", now)
                .await,
            Err(StoreError::Conflict("report"))
        ));
        assert!(matches!(
            s.create_report(voter, ReportTarget::Listing, 9999, "nothing", now)
                .await,
            Err(StoreError::NotFound)
        ));
        s.create_report(buyer, ReportTarget::Review, r.id, "mine, regret", now)
            .await
            .unwrap();
        assert_eq!(s.report(rep.id).await.unwrap().open_on_target, 2);
        s.moderate(rep.id, op, Moderation::Hide, "abusive", now)
            .await
            .unwrap();
        assert_eq!(s.reports("open", all()).await.unwrap().total, 0);
        assert_eq!(
            s.stars(ReviewSubject::Listing(listing))
                .await
                .unwrap()
                .count(),
            0,
            "hidden reviews do not count"
        );
        assert!(matches!(
            s.moderate(rep.id, op, Moderation::Dismiss, "late", now)
                .await,
            Err(StoreError::WrongState(_))
        ));

        // Suspending the provider through a report cancels the future booking, refunds it
        // in full, hides the listings, and logs it.
        let future = s
            .book(
                &paid(
                    listing,
                    monday_ten() + jiff::SignedDuration::from_hours(24 * 7),
                ),
                None,
                now,
            )
            .await
            .unwrap();
        let before = s.wallet(buyer, "USD").await.unwrap();
        assert_eq!(before.held_minor(), 3000);
        let lr = s
            .create_report(buyer, ReportTarget::Listing, listing, "scam", now)
            .await
            .unwrap();
        let (cancelled, suspended) = s
            .moderate(lr.id, op, Moderation::Suspend, "fraud", now)
            .await
            .unwrap();
        assert_eq!(suspended, Some(p));
        assert_eq!(
            cancelled.iter().map(|c| c.id).collect::<Vec<_>>(),
            [future.id]
        );
        assert_eq!(cancelled[0].state, BookingState::CancelledByProvider);
        let after = s.wallet(buyer, "USD").await.unwrap();
        assert_eq!(
            (after.posted_minor(), after.held_minor()),
            (before.posted_minor(), 0)
        );
        assert!(!s.listing(listing).await.unwrap().is_public);
        sound(s).await;
        let log = s.moderation_log(all()).await.unwrap();
        let actions: Vec<&str> = log.items.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["suspend", "hide"], "{}", b.name);

        // Blocks.
        s.block(p, buyer, now).await.unwrap();
        s.block(p, buyer, now).await.unwrap();
        assert!(s.is_blocked(p, buyer).await.unwrap());
        s.unblock(p, buyer).await.unwrap();
        assert!(matches!(
            s.unblock(p, buyer).await,
            Err(StoreError::NotFound)
        ));

        // Response stats.
        s.record_ring(p, now, Some(4000)).await.unwrap();
        s.record_ring(p, now, Some(10_000)).await.unwrap();
        s.record_ring(p, now, None).await.unwrap();
        let st = s
            .response_stats(p, now - jiff::SignedDuration::from_hours(1))
            .await
            .unwrap();
        assert_eq!(
            (st.rings, st.answered, st.median_answer_ms),
            (3, 2, Some(4000))
        );
        assert_eq!(
            (
                st.sessions_completed,
                st.sessions_failed,
                st.completion_percent()
            ),
            (2, 1, Some(67))
        );
    }
}

#[tokio::test]
async fn jobs_run_at_least_once_retry_with_backoff_and_keep_their_failures() {
    use jiff::SignedDuration;
    for b in backends().await {
        let s = &b.store;
        let t = t0();
        let lease = SignedDuration::from_mins(5);
        // Not due yet: nothing to claim. Due: claimed once, leased.
        let later = s
            .enqueue(
                "notify",
                "{}",
                Some("reminder:1:24h"),
                t + SignedDuration::from_hours(1),
                3,
                t,
            )
            .await
            .unwrap();
        let again = s
            .enqueue("notify", "{}", Some("reminder:1:24h"), t, 3, t)
            .await
            .unwrap();
        assert_eq!(
            again.id, later.id,
            "{}: the same dedupe key schedules once",
            b.name
        );
        assert!(s.claim_job(lease, t).await.unwrap().is_none());
        let now = t + SignedDuration::from_hours(1);
        let j = s.claim_job(lease, now).await.unwrap().unwrap();
        assert_eq!(
            (j.id, j.state.as_str(), j.attempts),
            (later.id, "running", 1)
        );
        assert!(s.claim_job(lease, now).await.unwrap().is_none(), "leased");
        // Its runner died: after the lease another takes it.
        let j = s
            .claim_job(lease, now + lease + SignedDuration::from_secs(1))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(j.attempts, 2);
        // Fails: back in line after the backoff; out of attempts: kept as failed.
        let failed = s
            .fail_job(j.id, "SMTP: connection refused", now)
            .await
            .unwrap();
        assert_eq!(failed.state, "pending");
        assert_eq!(failed.run_at, now + onhand_store::backoff(2));
        let j = s
            .claim_job(lease, now + SignedDuration::from_hours(1))
            .await
            .unwrap()
            .unwrap();
        let failed = s.fail_job(j.id, "SMTP: still refused", now).await.unwrap();
        assert_eq!(
            (failed.state.as_str(), failed.last_error.as_deref()),
            ("failed", Some("SMTP: still refused"))
        );
        assert_eq!(s.job_counts().await.unwrap().failed, 1);
        let retried = s.retry_job(j.id, now).await.unwrap();
        assert_eq!((retried.state.as_str(), retried.attempts), ("pending", 0));
        let j = s.claim_job(lease, now).await.unwrap().unwrap();
        s.finish_job(j.id, now).await.unwrap();
        assert_eq!(s.job(j.id).await.unwrap().state, "done");

        // Cancelling by key prefix frees the key.
        s.enqueue(
            "notify",
            "{}",
            Some("reminder:2:15m"),
            now + SignedDuration::from_hours(5),
            3,
            now,
        )
        .await
        .unwrap();
        assert_eq!(s.cancel_jobs("reminder:2:", now).await.unwrap(), 1);
        assert_eq!(s.cancel_jobs("reminder:2:", now).await.unwrap(), 0);
        let fresh = s
            .enqueue("notify", "{}", Some("reminder:2:15m"), now, 3, now)
            .await
            .unwrap();
        assert_eq!(fresh.state, "pending");

        // A notification is written once per job and person.
        let a = account(s, "ana@example.com").await;
        let (n, first) = s
            .notify(
                a,
                "booking",
                "Booked",
                "",
                "/bookings/1",
                Some(fresh.id),
                now,
            )
            .await
            .unwrap();
        let (m, second) = s
            .notify(
                a,
                "booking",
                "Booked",
                "",
                "/bookings/1",
                Some(fresh.id),
                now,
            )
            .await
            .unwrap();
        assert!(first && !second);
        assert_eq!(n.id, m.id);
        assert_eq!(s.unread_count(a).await.unwrap(), 1);
        assert_eq!(s.mark_read(a, None, now).await.unwrap(), 1);
        assert_eq!(s.unread_count(a).await.unwrap(), 0);
    }
}

#[tokio::test]
async fn help_now_lines_are_shared_by_nodes_and_each_change_happens_once() {
    for b in backends().await {
        let (a, other) = (&b.store, b.second_node().await);
        let provider = approved_provider(a, "gus@example.com").await;
        let listing = live(a, provider, "Guitar help", 2000, t0()).await;
        let (bea, cid) = (
            account(a, "bea@example.com").await,
            account(a, "cid@example.com").await,
        );
        let ring = SignedDuration::from_secs(30);
        let since = t0() - SignedDuration::from_secs(30);
        let ask = |s: Store, buyer: i64, name: &'static str| async move {
            s.help_now_ask(provider, listing, buyer, name, "Guitar help", since, t0())
                .await
                .unwrap()
        };
        assert_eq!(
            ask(a.clone(), bea, "Bea").await,
            Err(AskRefusal::Offline),
            "{}",
            b.name
        );
        // The dashboard is open on the other node: this node sees the provider online.
        other
            .help_now_socket(provider, "node-b", 1, t0())
            .await
            .unwrap();
        assert_eq!(a.help_now_online(since).await.unwrap(), vec![provider]);
        let first = ask(a.clone(), bea, "Bea").await.unwrap();
        let second = ask(other.clone(), cid, "Cid").await.unwrap();
        assert_eq!(
            ask(other.clone(), bea, "Bea").await,
            Err(AskRefusal::AlreadyWaiting)
        );
        assert_eq!(
            a.help_now_request(second.id).await.unwrap().1,
            2,
            "second in line"
        );
        // Both nodes tick at the same moment; the head rings once.
        let (x, y) = tokio::join!(
            a.help_now_tick(ring, since, &[], t0()),
            other.help_now_tick(ring, since, &[], t0())
        );
        let rang: Vec<LineChange> = x.unwrap().into_iter().chain(y.unwrap()).collect();
        assert_eq!(rang.len(), 1, "{}: {rang:?}", b.name);
        assert!(matches!(&rang[0], LineChange::Rang(r) if r.id == first.id));
        assert!(
            a.help_now_take(provider, second.id)
                .await
                .unwrap()
                .is_none(),
            "only the ringing one can be taken"
        );
        // Unanswered for the ring time: expired once, and the next one moves up.
        let later = t0() + ring;
        let (x, y) = tokio::join!(
            a.help_now_tick(ring, later - ring, &[], later),
            other.help_now_tick(ring, later - ring, &[], later)
        );
        let changes: Vec<LineChange> = x.unwrap().into_iter().chain(y.unwrap()).collect();
        assert_eq!(
            changes
                .iter()
                .filter(|c| matches!(c, LineChange::Expired(r) if r.id == first.id))
                .count(),
            1,
            "{}: {changes:?}",
            b.name
        );
        assert_eq!(
            a.help_now_request(first.id).await.unwrap().0.state,
            "expired"
        );
        assert_eq!(a.help_now_request(second.id).await.unwrap().1, 1);
        // A provider in a session is not rung.
        let busy = a
            .help_now_tick(ring, later - ring, &[provider], later)
            .await
            .unwrap();
        assert!(
            busy.iter().all(|c| !matches!(c, LineChange::Rang(_))),
            "{busy:?}"
        );
        // Two nodes accepting the same ring: one takes it.
        other
            .help_now_tick(ring, later - ring, &[], later)
            .await
            .unwrap();
        let (x, y) = tokio::join!(
            a.help_now_take(provider, second.id),
            other.help_now_take(provider, second.id)
        );
        assert_eq!(
            [x.unwrap(), y.unwrap()]
                .iter()
                .filter(|t| t.is_some())
                .count(),
            1,
            "{}",
            b.name
        );
        other.help_now_put_back(second.id).await.unwrap();
        assert!(a.help_now_leave(cid, second.id).await.unwrap().is_some());
        assert!(
            a.help_now_leave(cid, second.id).await.unwrap().is_none(),
            "leaving happens once"
        );
        // The dashboard closes; and a node that stops refreshing stops counting.
        other
            .help_now_socket(provider, "node-b", -1, t0())
            .await
            .unwrap();
        assert!(!a.help_now_is_online(provider, since).await.unwrap());
        other
            .help_now_socket(provider, "node-b", 1, t0())
            .await
            .unwrap();
        a.help_now_heartbeat("node-a", later, later).await.unwrap();
        assert!(
            a.help_now_online(t0()).await.unwrap().is_empty(),
            "{}: node-b's presence went stale",
            b.name
        );
        // Finished requests are forgotten after a while; one still in line is kept.
        other
            .help_now_socket(provider, "node-b", 1, later)
            .await
            .unwrap();
        let waiting = ask(a.clone(), bea, "Bea").await.unwrap();
        let purged = a
            .purge_help_now(t0() + SignedDuration::from_hours(25))
            .await
            .unwrap();
        assert_eq!(purged, 2, "{}: the expired and the left request", b.name);
        assert_eq!(a.help_now_request(waiting.id).await.unwrap().1, 1);
        assert!(matches!(
            a.help_now_request(first.id).await,
            Err(StoreError::NotFound)
        ));
        other.close().await;
    }
}

#[tokio::test]
async fn a_room_belongs_to_the_first_node_until_it_goes_quiet() {
    for b in backends().await {
        let s = &b.store;
        let provider = approved_provider(s, "gus@example.com").await;
        let listing = live(s, provider, "Guitar help", 2000, t0()).await;
        let stale = SignedDuration::from_secs(60);
        let (na, nb) = ("http://a.example", "http://b.example");
        let at = |secs: i64| t0() + SignedDuration::from_secs(secs);
        assert_eq!(
            s.claim_room_node(listing, t0(), na, at(0), at(0) - stale)
                .await
                .unwrap(),
            na
        );
        assert_eq!(
            s.claim_room_node(listing, t0(), nb, at(1), at(1) - stale)
                .await
                .unwrap(),
            na
        );
        s.refresh_room_nodes(na, &[(listing, t0())], at(50))
            .await
            .unwrap();
        assert_eq!(
            s.claim_room_node(listing, t0(), nb, at(100), at(100) - stale)
                .await
                .unwrap(),
            na
        );
        assert_eq!(
            s.claim_room_node(listing, t0(), nb, at(111), at(111) - stale)
                .await
                .unwrap(),
            nb,
            "{}: node a went quiet",
            b.name
        );
        s.create_room_ticket("hash", provider, listing, t0(), at(600))
            .await
            .unwrap();
        assert_eq!(
            s.room_ticket("hash", at(10)).await.unwrap(),
            Some((provider, listing, t0()))
        );
        assert_eq!(
            s.room_ticket("hash", at(601)).await.unwrap(),
            None,
            "expired"
        );
        assert_eq!(s.room_ticket("other", at(10)).await.unwrap(), None);
    }
}
