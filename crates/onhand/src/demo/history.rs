//! Demo history: past sessions between demo buyers and providers, paid from sandbox
//! top-ups, completed, settled and reviewed, so ratings, reviews and response stats have
//! something to show. Deterministic: the same demo every time.

use jiff::{SignedDuration, Timestamp};
use onhand_core::booking::{BookingEvent, BookingState};
use onhand_core::catalog::PriceModel;
use onhand_core::payments;
use onhand_core::reputation::ReviewInput;
use onhand_store::{ChargeOutcome, Listing, NewAccount, Settle, Store};

/// The demo's past buyers.
const REVIEWERS: [(&str, &str); 10] = [
    ("maya.buyer@demo.onhand.test", "Maya R."),
    ("tomas.buyer@demo.onhand.test", "Tomás G."),
    ("aisha.buyer@demo.onhand.test", "Aisha K."),
    ("liam.buyer@demo.onhand.test", "Liam O."),
    ("sofia.buyer@demo.onhand.test", "Sofia B."),
    ("kenji.buyer@demo.onhand.test", "Kenji T."),
    ("grace.buyer@demo.onhand.test", "Grace M."),
    ("omar.buyer@demo.onhand.test", "Omar H."),
    ("ingrid.buyer@demo.onhand.test", "Ingrid S."),
    ("david.buyer@demo.onhand.test", "David L."),
];

/// What they said, by stars. Mostly good, as on a marketplace that works, not only.
const SAID: [(u8, &str); 16] = [
    (
        5,
        "Exactly what I needed. Clear, patient and practical; I left with a plan.",
    ),
    (
        5,
        "Worth every minute. We fixed the problem in the first quarter of an hour and spent the rest on why it happened.",
    ),
    (
        4,
        "Very knowledgeable and friendly. We ran a little over, but I learned a lot.",
    ),
    (
        5,
        "I was nervous about asking a basic question and never felt silly. Highly recommend.",
    ),
    (
        4,
        "Good session with useful tips. The video dropped once but we picked up where we left off.",
    ),
    (
        3,
        "Helpful, though more general than I hoped; I'd have liked more time on my specific case.",
    ),
    (
        5,
        "Prepared before the call, looked at my photos and came with answers. Brilliant.",
    ),
    (
        4,
        "Solid advice and a friendly manner. I'll book again for the next step.",
    ),
    (5, ""),
    (
        2,
        "Started late and felt rushed. The advice itself was fine.",
    ),
    (5, "Best hour I've spent on this all year."),
    (4, "Clear explanations, good examples, kind."),
    (
        3,
        "Okay. Some of it I already knew, but the last part was new to me.",
    ),
    (5, "Patient, precise and encouraging."),
    (4, ""),
    (5, "Answered everything and sent me off with a checklist."),
];

/// Seeds past sessions for most listings (between none and four each), a completed
/// session of the demo buyer waiting for their review, and the providers' help-now rings.
/// Returns how many reviews were written.
pub async fn seed(
    store: &Store,
    hash: &str,
    listings: &[Listing],
    demo_buyer: i64,
    now: Timestamp,
) -> anyhow::Result<usize> {
    let mut reviewers = Vec::new();
    for (email, name) in REVIEWERS {
        let a = store
            .create_account(
                &NewAccount {
                    email,
                    password_hash: hash,
                    display_name: name,
                    time_zone: "Europe/London",
                    languages: &["en".to_string()],
                    country: Some("GB"),
                    is_operator: false,
                },
                now - SignedDuration::from_hours(24 * 120),
            )
            .await?;
        reviewers.push(a.id);
    }
    // Sessions are five hours apart across the whole demo, so none overlaps another.
    let mut at = now - SignedDuration::from_hours(24 * 90);
    let mut n = 0usize;
    let mut reviews = 0usize;
    for (i, l) in listings.iter().enumerate() {
        let sessions = (i * 7 + 3) % 5;
        for s in 0..sessions {
            let buyer = reviewers[(i + s * 3) % reviewers.len()];
            let b = session(store, l, buyer, at, n).await?;
            let (stars, body) = SAID[(i * 5 + s * 11) % SAID.len()];
            let input = ReviewInput::parse(i64::from(stars), body)
                .map_err(|e| anyhow::anyhow!("demo review: {e}"))?;
            store
                .create_review(&b, &input, b.end + SignedDuration::from_hours(2))
                .await?;
            reviews += 1;
            n += 1;
            at += SignedDuration::from_hours(5);
        }
    }
    // The demo buyer's last session, yesterday: theirs to review.
    if let Some(l) = listings.iter().find(|l| {
        l.published
            .as_ref()
            .is_some_and(|v| v.price_model == "fixed" && v.group_size == 1)
    }) {
        session(
            store,
            l,
            demo_buyer,
            now - SignedDuration::from_hours(26),
            n,
        )
        .await?;
    }
    Ok(reviews)
}

/// One past session: a help-now ring answered, the booking with its hold (topped up
/// for exactly that), begun and completed, the charge posted.
async fn session(
    store: &Store,
    l: &Listing,
    buyer: i64,
    start: Timestamp,
    n: usize,
) -> anyhow::Result<onhand_store::Booking> {
    let v = l.published.as_ref().expect("demo listings are published");
    let minimum = v.minimum_minutes.and_then(|m| u32::try_from(m).ok());
    let price =
        PriceModel::parse(&v.price_model, Some(v.price_minor), minimum).unwrap_or(PriceModel::Free);
    let minutes = v.session_minutes as u32;
    let hold = payments::hold_minor(price, 1, minutes);
    if hold > 0 {
        store
            .record_top_up(
                buyer,
                hold,
                &v.currency,
                "sandbox",
                "4242",
                &ChargeOutcome::Succeeded {
                    gateway_ref: format!("sandbox_ch_demo_history_{n}"),
                },
                None,
                start - SignedDuration::from_hours(1),
            )
            .await?;
    }
    // Every ninth ring went unanswered; the others were answered in 15 s to 3 min.
    let rang = start - SignedDuration::from_mins(1);
    if n % 9 == 8 {
        store
            .record_ring(l.provider_id, rang - SignedDuration::from_mins(30), None)
            .await?;
    }
    store
        .record_ring(
            l.provider_id,
            rang,
            Some(15_000 + (n as i64 * 37_000) % 165_000),
        )
        .await?;
    let b = store
        .book_now(
            &onhand_store::NewBooking {
                listing_id: l.id,
                provider_id: l.provider_id,
                buyer_id: buyer,
                start,
                seats: 1,
                session_minutes: minutes,
                group_size: v.group_size as u32,
                title: &v.title,
                price_model: &v.price_model,
                price_minor: v.price_minor,
                minimum_minutes: v.minimum_minutes,
                currency: &v.currency,
                cancellation_policy: &v.cancellation_policy,
                hold_minor: hold,
                commission_bps: payments::commission_for(
                    price,
                    &v.category,
                    payments::DEFAULT_COMMISSION_BPS,
                ),
            },
            start,
        )
        .await
        .map_err(|e| anyhow::anyhow!("demo session on listing {}: {e:?}", l.id))?;
    store
        .transition_booking(
            b.id,
            BookingState::Confirmed,
            BookingEvent::Start,
            None,
            None,
            Settle::Started,
            start,
        )
        .await?;
    let end = start + SignedDuration::from_mins(i64::from(minutes));
    let charge = payments::completed_charge_minor(price, 1, minutes, start, end);
    let settle = if charge > 0 {
        Settle::Post {
            amount_minor: charge,
        }
    } else {
        Settle::Void
    };
    Ok(store
        .transition_booking(
            b.id,
            BookingState::InProgress,
            BookingEvent::Complete,
            None,
            None,
            settle,
            end,
        )
        .await?)
}
