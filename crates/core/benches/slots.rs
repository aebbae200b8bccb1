//! Slot computation for one provider over 90 days with 500 existing bookings.
//! Run: `cargo bench -p onhand-core --bench slots`

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use onhand_core::schedule::{Availability, Busy, DateOverride, SlotQuery, Span, free_slots};
use std::hint::black_box;
use std::time::Instant;

fn main() {
    let hours = vec![
        Span {
            start_min: 8 * 60,
            end_min: 12 * 60,
        },
        Span {
            start_min: 13 * 60,
            end_min: 20 * 60,
        },
    ];
    let availability = Availability {
        time_zone: TimeZone::get("America/New_York").unwrap(),
        weekly: [
            hours.clone(),
            hours.clone(),
            hours.clone(),
            hours.clone(),
            hours.clone(),
            hours.clone(),
            vec![],
        ],
        overrides: vec![DateOverride {
            date: "2027-01-01".parse().unwrap(),
            spans: vec![],
        }],
        buffer_before_min: 5,
        buffer_after_min: 10,
        notice_min: 120,
        horizon_days: 120,
        step_min: 15,
    };
    let now: Timestamp = "2026-11-01T12:00:00Z".parse().unwrap();
    // 500 bookings, one every ~4.3 hours across the 90 days, of 30 to 90 minutes.
    let busy: Vec<Busy> = (0..500)
        .map(|i| {
            let start = now + SignedDuration::from_mins(i * 259 + 60);
            Busy {
                start,
                end: start + SignedDuration::from_mins(30 + (i % 3) * 30),
                listing_id: i % 4,
                seats: 1,
            }
        })
        .collect();
    let query = SlotQuery {
        listing_id: 1,
        session_min: 45,
        group_size: 1,
        from: now,
        to: now + SignedDuration::from_hours(24 * 90),
        now,
    };
    let slots = free_slots(&availability, &busy, &query);
    let runs = 200;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        black_box(free_slots(
            black_box(&availability),
            black_box(&busy),
            black_box(&query),
        ));
        times.push(t.elapsed());
    }
    times.sort();
    let mean = times.iter().sum::<std::time::Duration>() / runs as u32;
    println!(
        "slots over 90 days, 500 bookings: {} slots; mean {:?}, p50 {:?}, p99 {:?} ({runs} runs)",
        slots.len(),
        mean,
        times[runs / 2],
        times[runs * 99 / 100]
    );
}
