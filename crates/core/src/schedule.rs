//! Availability and free slots: weekly hours in the provider's zone, date overrides,
//! buffers, notice and horizon, turned into bookable instants. Pure: `now` is an input.
//!
//! Rules, by construction:
//! - Hours are civil times in the provider's IANA zone. Each candidate start is a civil
//!   time on the slot grid (`start of hours + k * step`), resolved in that zone. A civil
//!   time that does not exist (a spring-forward gap) is skipped; one that happens twice
//!   (an autumn fold) is taken at its first occurrence. Durations are real elapsed time.
//! - A session occupies `[start - buffer_before, end + buffer_after)`. A slot is free
//!   when its occupied span overlaps no existing booking's occupied span, so two
//!   sessions are always at least `buffer_after + buffer_before` apart.
//! - Bookings of the same group listing at the same start share the slot's seats instead
//!   of blocking it; every other booking of the provider blocks, whatever the listing.

use crate::invalid::Invalid;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp};

pub const MINUTES_PER_DAY: u16 = 24 * 60;
pub const BUFFER_MINUTES_MAX: u16 = 240;
pub const NOTICE_MINUTES_MAX: u32 = 60 * 24 * 30;
pub const HORIZON_DAYS: std::ops::RangeInclusive<u16> = 1..=365;
pub const STEP_MINUTES: &[u16] = &[5, 10, 15, 20, 30, 60];
pub const SPANS_PER_DAY_MAX: usize = 8;
pub const OVERRIDES_MAX: usize = 366;
/// The widest window one slot query may cover.
pub const QUERY_DAYS_MAX: i64 = 62;

/// Local working time on one day: `[start_min, end_min)` minutes after midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Span {
    pub start_min: u16,
    pub end_min: u16,
}

impl Span {
    pub fn new(start_min: u16, end_min: u16) -> Result<Span, Invalid> {
        if start_min >= end_min || end_min > MINUTES_PER_DAY {
            return Err(Invalid::one(
                "hours",
                format!(
                    "{}–{} is not a time range within one day",
                    clock(start_min),
                    clock(end_min)
                ),
            ));
        }
        Ok(Span { start_min, end_min })
    }

    /// Parses "09:00-17:30".
    pub fn parse(text: &str) -> Result<Span, Invalid> {
        let bad = || Invalid::one("hours", format!("{text:?} is not a range like 09:00-17:30"));
        let (a, b) = text.trim().split_once('-').ok_or_else(bad)?;
        Span::new(
            minutes(a.trim()).ok_or_else(bad)?,
            minutes(b.trim()).ok_or_else(bad)?,
        )
    }
}

fn minutes(hhmm: &str) -> Option<u16> {
    let (h, m) = hhmm.split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    if m >= 60 || h > 24 || (h == 24 && m != 0) || hhmm.len() > 5 {
        return None;
    }
    Some(h * 60 + m)
}

/// "09:05" from 545.
pub fn clock(min: u16) -> String {
    format!("{:02}:{:02}", min / 60, min % 60)
}

/// Checks a day's spans: valid, sorted, not overlapping, not too many.
pub fn day_spans(mut spans: Vec<Span>) -> Result<Vec<Span>, Invalid> {
    spans.sort_by_key(|s| s.start_min);
    if spans.len() > SPANS_PER_DAY_MAX {
        return Err(Invalid::one(
            "hours",
            format!("at most {SPANS_PER_DAY_MAX} ranges per day"),
        ));
    }
    for pair in spans.windows(2) {
        if pair[1].start_min < pair[0].end_min {
            return Err(Invalid::one(
                "hours",
                format!(
                    "{}–{} overlaps {}–{}",
                    clock(pair[0].start_min),
                    clock(pair[0].end_min),
                    clock(pair[1].start_min),
                    clock(pair[1].end_min)
                ),
            ));
        }
    }
    Ok(spans)
}

/// Hours for one date that replace the weekly hours; empty means a day off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateOverride {
    pub date: Date,
    pub spans: Vec<Span>,
}

/// When a provider can be booked.
#[derive(Debug, Clone)]
pub struct Availability {
    pub time_zone: TimeZone,
    /// Monday first.
    pub weekly: [Vec<Span>; 7],
    pub overrides: Vec<DateOverride>,
    pub buffer_before_min: u16,
    pub buffer_after_min: u16,
    pub notice_min: u32,
    pub horizon_days: u16,
    pub step_min: u16,
}

impl Availability {
    /// Checks the numbers; spans are checked by `day_spans` as they are built.
    pub fn check(&self) -> Result<(), Invalid> {
        let mut errors = Invalid::default();
        if self.buffer_before_min > BUFFER_MINUTES_MAX {
            errors.push(
                "buffer_before_min",
                format!(
                    "buffer_before_min {} is not in 0..={BUFFER_MINUTES_MAX}",
                    self.buffer_before_min
                ),
            );
        }
        if self.buffer_after_min > BUFFER_MINUTES_MAX {
            errors.push(
                "buffer_after_min",
                format!(
                    "buffer_after_min {} is not in 0..={BUFFER_MINUTES_MAX}",
                    self.buffer_after_min
                ),
            );
        }
        if self.notice_min > NOTICE_MINUTES_MAX {
            errors.push(
                "notice_min",
                format!(
                    "notice_min {} is not in 0..={NOTICE_MINUTES_MAX}",
                    self.notice_min
                ),
            );
        }
        if !HORIZON_DAYS.contains(&self.horizon_days) {
            errors.push(
                "horizon_days",
                format!("horizon_days {} is not in 1..=365", self.horizon_days),
            );
        }
        if !STEP_MINUTES.contains(&self.step_min) {
            errors.push(
                "step_min",
                format!("step_min {} is not one of {STEP_MINUTES:?}", self.step_min),
            );
        }
        if self.overrides.len() > OVERRIDES_MAX {
            errors.push(
                "overrides",
                format!("at most {OVERRIDES_MAX} date overrides"),
            );
        }
        errors.finish(|| ())
    }

    fn spans_on(&self, date: Date) -> &[Span] {
        match self.overrides.iter().find(|o| o.date == date) {
            Some(o) => &o.spans,
            None => &self.weekly[date.weekday().to_monday_zero_offset() as usize],
        }
    }
}

/// An existing booking of the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy {
    pub start: Timestamp,
    pub end: Timestamp,
    pub listing_id: i64,
    pub seats: u32,
}

/// What to look for.
#[derive(Debug, Clone, Copy)]
pub struct SlotQuery {
    pub listing_id: i64,
    pub session_min: u32,
    pub group_size: u32,
    pub from: Timestamp,
    pub to: Timestamp,
    pub now: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub start: Timestamp,
    pub end: Timestamp,
    pub seats_left: u32,
}

fn mins(m: impl Into<i64>) -> SignedDuration {
    SignedDuration::from_mins(m.into())
}

/// Resolves a civil time on `date` in `tz`: `None` inside a gap, the first instant in a fold.
fn resolve(tz: &TimeZone, date: Date, minute: u16) -> Option<Timestamp> {
    let dt = if minute >= MINUTES_PER_DAY {
        DateTime::from_parts(date.tomorrow().ok()?, Time::midnight())
    } else {
        date.at((minute / 60) as i8, (minute % 60) as i8, 0, 0)
    };
    let amb = tz.to_ambiguous_timestamp(dt);
    match amb.offset() {
        AmbiguousOffset::Gap { .. } => None,
        _ => amb.earlier().ok(),
    }
}

/// The free slots in `[q.from, q.to)`, ordered by start, at most one per instant.
pub fn free_slots(avail: &Availability, busy: &[Busy], q: &SlotQuery) -> Vec<Slot> {
    let session = mins(q.session_min);
    let before = mins(avail.buffer_before_min);
    let after = mins(avail.buffer_after_min);
    let earliest = (q.now + mins(avail.notice_min)).max(q.from);
    let latest = (q.now + SignedDuration::from_hours(24 * i64::from(avail.horizon_days))).min(q.to);
    if earliest >= latest || q.session_min == 0 || q.group_size == 0 {
        return Vec::new();
    }
    let tz = &avail.time_zone;
    // Bookings sorted by start, so each candidate looks only at its neighbours.
    let mut sorted: Vec<Busy> = busy.to_vec();
    sorted.sort_by_key(|b| b.start);
    let longest = sorted
        .iter()
        .map(|b| b.end.duration_since(b.start))
        .max()
        .unwrap_or(SignedDuration::ZERO);
    // Civil dates that can hold a start in the window, with a day of slack either side
    // for zones far from UTC.
    let (Ok(first), Ok(last)) = (
        earliest.to_zoned_datetime(tz.clone()).date().yesterday(),
        latest.to_zoned_datetime(tz.clone()).date().tomorrow(),
    ) else {
        return Vec::new();
    };
    let mut out: Vec<Slot> = Vec::new();
    let mut date = first;
    while date <= last {
        for span in avail.spans_on(date) {
            let Some(span_end) = resolve(tz, date, span.end_min) else {
                continue;
            };
            let mut minute = span.start_min;
            while minute < span.end_min {
                let m = minute;
                minute += avail.step_min;
                let Some(start) = resolve(tz, date, m) else {
                    continue;
                };
                let end = start + session;
                if end > span_end || start < earliest || start >= latest {
                    continue;
                }
                // Only bookings starting in (start - before - after - longest, end + after + before)
                // can touch this slot.
                let lo = sorted.partition_point(|b| b.start <= start - before - after - longest);
                let hi = sorted.partition_point(|b| b.start < end + after + before);
                if let Some(seats_left) =
                    seats_left(&sorted[lo..hi.max(lo)], q, start, end, before, after)
                    && out.last().is_none_or(|s| s.start < start)
                {
                    out.push(Slot {
                        start,
                        end,
                        seats_left,
                    });
                }
            }
        }
        let Ok(next) = date.tomorrow() else { break };
        date = next;
    }
    out.sort_by_key(|s| s.start);
    out.dedup_by_key(|s| s.start);
    out
}

/// Seats still open for a session `[start, end)`, or `None` when the provider is busy.
fn seats_left(
    busy: &[Busy],
    q: &SlotQuery,
    start: Timestamp,
    end: Timestamp,
    before: SignedDuration,
    after: SignedDuration,
) -> Option<u32> {
    let mut taken: u32 = 0;
    for b in busy {
        if b.listing_id == q.listing_id && b.start == start && q.group_size > 1 {
            taken = taken.saturating_add(b.seats);
            continue;
        }
        if start - before < b.end + after && b.start - before < end + after {
            return None;
        }
    }
    let left = q.group_size.saturating_sub(taken);
    (left > 0).then_some(left)
}

/// Is `start` a bookable slot with at least `seats` free? The booking path asks this,
/// inside the same database transaction that then writes the booking.
pub fn is_bookable(
    avail: &Availability,
    busy: &[Busy],
    q: &SlotQuery,
    start: Timestamp,
    seats: u32,
) -> bool {
    let q = SlotQuery {
        from: start,
        to: start + SignedDuration::from_secs(1),
        ..*q
    };
    free_slots(avail, busy, &q)
        .first()
        .is_some_and(|s| s.start == start && s.seats_left >= seats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn weekdays(span: Span) -> [Vec<Span>; 7] {
        [
            vec![span],
            vec![span],
            vec![span],
            vec![span],
            vec![span],
            vec![],
            vec![],
        ]
    }

    fn avail(zone: &str, span: Span) -> Availability {
        Availability {
            time_zone: TimeZone::get(zone).unwrap(),
            weekly: [
                vec![span],
                vec![span],
                vec![span],
                vec![span],
                vec![span],
                vec![span],
                vec![span],
            ],
            overrides: vec![],
            buffer_before_min: 0,
            buffer_after_min: 0,
            notice_min: 0,
            horizon_days: 365,
            step_min: 30,
        }
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn query(from: &str, to: &str, session_min: u32) -> SlotQuery {
        SlotQuery {
            listing_id: 1,
            session_min,
            group_size: 1,
            from: ts(from),
            to: ts(to),
            now: ts("2026-01-01T00:00:00Z"),
        }
    }

    fn local(slots: &[Slot], zone: &str) -> Vec<String> {
        let tz = TimeZone::get(zone).unwrap();
        slots
            .iter()
            .map(|s| {
                s.start
                    .to_zoned_datetime(tz.clone())
                    .strftime("%a %H:%M %z")
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn spans_parse_and_refuse_nonsense() {
        assert_eq!(
            Span::parse("09:00-17:30").unwrap(),
            Span {
                start_min: 540,
                end_min: 1050
            }
        );
        assert_eq!(Span::parse("22:00-24:00").unwrap().end_min, 1440);
        for bad in [
            "17:00-09:00",
            "9-5",
            "25:00-26:00",
            "09:60-10:00",
            "09:00-24:30",
            "",
        ] {
            assert!(Span::parse(bad).is_err(), "{bad}");
        }
        assert!(
            day_spans(vec![
                Span::new(540, 720).unwrap(),
                Span::new(700, 800).unwrap()
            ])
            .is_err()
        );
    }

    #[test]
    fn new_york_spring_forward_keeps_local_hours() {
        // 2026-03-08: clocks jump from 02:00 to 03:00 in New York.
        let a = avail("America/New_York", Span::new(60, 240).unwrap());
        let q = query("2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z", 30);
        let slots = free_slots(&a, &[], &q);
        assert_eq!(
            local(&slots, "America/New_York"),
            [
                "Sun 01:00 -0500",
                "Sun 01:30 -0500",
                "Sun 03:00 -0400",
                "Sun 03:30 -0400"
            ]
        );
    }

    #[test]
    fn new_york_fall_back_offers_the_first_occurrence_once() {
        // 2026-11-01: 01:00-02:00 happens twice.
        let a = avail("America/New_York", Span::new(0, 180).unwrap());
        let q = query("2026-11-01T04:00:00Z", "2026-11-02T00:00:00Z", 60);
        let slots = free_slots(&a, &[], &q);
        assert_eq!(
            local(&slots, "America/New_York"),
            [
                "Sun 00:00 -0400",
                "Sun 00:30 -0400",
                "Sun 01:00 -0400",
                "Sun 01:30 -0400",
                "Sun 02:00 -0500"
            ]
        );
        // The last hour of work really is an hour long: 02:00 EST to 03:00 EST.
        assert_eq!(slots.last().unwrap().end, ts("2026-11-01T08:00:00Z"));
    }

    #[test]
    fn london_changes_and_a_viewer_in_tokyo() {
        let a = avail("Europe/London", Span::new(9 * 60, 10 * 60).unwrap());
        // 2026-03-29 London springs forward: 09:00 local is 08:00 UTC, the day before 09:00 UTC.
        let slots = free_slots(
            &a,
            &[],
            &query("2026-03-28T00:00:00Z", "2026-03-30T00:00:00Z", 60),
        );
        assert_eq!(
            slots.iter().map(|s| s.start).collect::<Vec<_>>(),
            [ts("2026-03-28T09:00:00Z"), ts("2026-03-29T08:00:00Z")]
        );
        assert_eq!(
            local(&slots, "Asia/Tokyo"),
            ["Sat 18:00 +0900", "Sun 17:00 +0900"]
        );
        // 2026-10-25 London falls back.
        let slots = free_slots(
            &a,
            &[],
            &query("2026-10-24T00:00:00Z", "2026-10-26T00:00:00Z", 60),
        );
        assert_eq!(
            slots.iter().map(|s| s.start).collect::<Vec<_>>(),
            [ts("2026-10-24T08:00:00Z"), ts("2026-10-25T09:00:00Z")]
        );
    }

    #[test]
    fn sydney_kolkata_and_kathmandu_offsets() {
        // Sydney leaves DST on 2026-04-05 (03:00 -> 02:00).
        let a = avail("Australia/Sydney", Span::new(9 * 60, 9 * 60 + 30).unwrap());
        let slots = free_slots(
            &a,
            &[],
            &query("2026-04-03T00:00:00Z", "2026-04-06T00:00:00Z", 30),
        );
        assert_eq!(
            local(&slots, "Australia/Sydney"),
            ["Sat 09:00 +1100", "Sun 09:00 +1000", "Mon 09:00 +1000"]
        );
        assert_eq!(slots[1].start, ts("2026-04-04T23:00:00Z"));
        let a = avail("Asia/Kathmandu", Span::new(9 * 60, 10 * 60).unwrap());
        let slots = free_slots(
            &a,
            &[],
            &query("2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z", 60),
        );
        assert_eq!(slots[0].start, ts("2026-06-01T03:15:00Z"));
        assert_eq!(local(&slots, "Asia/Kolkata"), ["Mon 08:45 +0530"]);
    }

    #[test]
    fn sydney_spring_forward_and_a_viewer_in_new_york() {
        // 2026-10-04: Sydney jumps from 02:00 to 03:00 (+10:00 -> +11:00).
        let a = avail("Australia/Sydney", Span::new(60, 4 * 60).unwrap());
        let slots = free_slots(
            &a,
            &[],
            &query("2026-10-03T12:00:00Z", "2026-10-04T12:00:00Z", 60),
        );
        assert_eq!(
            local(&slots, "Australia/Sydney"),
            ["Sun 01:00 +1000", "Sun 01:30 +1000", "Sun 03:00 +1100"]
        );
        // The 01:30 session ends at 03:30 local: an hour of real time, across the jump.
        assert_eq!(
            slots[1].end.duration_since(slots[1].start),
            SignedDuration::from_hours(1)
        );
        assert_eq!(
            local(&slots, "America/New_York"),
            ["Sat 11:00 -0400", "Sat 11:30 -0400", "Sat 12:00 -0400"]
        );
    }

    #[test]
    fn buffers_notice_horizon_and_overrides() {
        let mut a = avail("UTC", Span::new(9 * 60, 12 * 60).unwrap());
        a.buffer_before_min = 15;
        a.buffer_after_min = 15;
        let busy = [Busy {
            start: ts("2026-02-02T10:00:00Z"),
            end: ts("2026-02-02T10:30:00Z"),
            listing_id: 2,
            seats: 1,
        }];
        let slots = free_slots(
            &a,
            &busy,
            &query("2026-02-02T00:00:00Z", "2026-02-03T00:00:00Z", 30),
        );
        // A slot needs 15 min after itself and the booking needs 15 before: 09:00 ends 09:30,
        // +15 = 09:45, but the booking's buffer starts 09:45 - ok; 09:30 would end 10:00.
        assert_eq!(
            local(&slots, "UTC"),
            ["Mon 09:00 +0000", "Mon 11:00 +0000", "Mon 11:30 +0000"]
        );

        a.notice_min = 24 * 60;
        let q = SlotQuery {
            now: ts("2026-02-01T10:00:00Z"),
            ..query("2026-02-01T00:00:00Z", "2026-02-03T00:00:00Z", 30)
        };
        let first = free_slots(&a, &[], &q)[0].start;
        assert_eq!(
            first,
            ts("2026-02-02T10:00:00Z"),
            "nothing before now + notice"
        );

        a.horizon_days = 1;
        assert!(
            free_slots(
                &a,
                &[],
                &query("2026-02-05T00:00:00Z", "2026-02-06T00:00:00Z", 30)
            )
            .is_empty(),
            "nothing beyond the horizon"
        );

        let mut a = avail("UTC", Span::new(9 * 60, 10 * 60).unwrap());
        a.overrides.push(DateOverride {
            date: "2026-02-02".parse().unwrap(),
            spans: vec![],
        });
        a.overrides.push(DateOverride {
            date: "2026-02-03".parse().unwrap(),
            spans: vec![Span::new(20 * 60, 21 * 60).unwrap()],
        });
        let slots = free_slots(
            &a,
            &[],
            &query("2026-02-02T00:00:00Z", "2026-02-04T00:00:00Z", 60),
        );
        assert_eq!(local(&slots, "UTC"), ["Tue 20:00 +0000"]);
    }

    #[test]
    fn group_seats_are_shared_and_other_listings_block() {
        let a = avail("UTC", Span::new(9 * 60, 10 * 60).unwrap());
        let start = ts("2026-02-02T09:00:00Z");
        let end = ts("2026-02-02T10:00:00Z");
        let mut q = query("2026-02-02T00:00:00Z", "2026-02-03T00:00:00Z", 60);
        q.group_size = 5;
        let mine = [Busy {
            start,
            end,
            listing_id: 1,
            seats: 3,
        }];
        assert_eq!(free_slots(&a, &mine, &q)[0].seats_left, 2);
        assert!(is_bookable(&a, &mine, &q, start, 2));
        assert!(!is_bookable(&a, &mine, &q, start, 3));
        let full = [Busy {
            start,
            end,
            listing_id: 1,
            seats: 5,
        }];
        assert!(free_slots(&a, &full, &q).is_empty());
        let other = [Busy {
            start,
            end,
            listing_id: 9,
            seats: 1,
        }];
        assert!(
            free_slots(&a, &other, &q).is_empty(),
            "the provider is busy with another listing"
        );
    }

    proptest! {
        #[test]
        fn slots_respect_hours_bookings_buffers_notice_and_horizon(
            zone in prop::sample::select(vec!["America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns", "UTC"]),
            start_min in 0u16..1200, len in 30u16..600,
            before in 0u16..60, after in 0u16..60, notice in 0u32..3000,
            session in 15u32..120, step in prop::sample::select(STEP_MINUTES.to_vec()),
            day_offset in 0i64..400, bookings in prop::collection::vec((0i64..14 * 24 * 4, 1i64..8), 0..12),
        ) {
            let span = Span::new(start_min, (start_min + len).min(MINUTES_PER_DAY)).unwrap();
            let mut a = avail(zone, span);
            a.weekly = weekdays(span);
            a.buffer_before_min = before;
            a.buffer_after_min = after;
            a.notice_min = notice;
            a.step_min = step;
            a.horizon_days = 10;
            let now = ts("2026-01-01T00:00:00Z") + SignedDuration::from_hours(24 * day_offset);
            let busy: Vec<Busy> = bookings.iter().map(|(q15, quarters)| {
                let s = now + SignedDuration::from_mins(15 * q15);
                Busy { start: s, end: s + SignedDuration::from_mins(15 * quarters), listing_id: 7, seats: 1 }
            }).collect();
            let q = SlotQuery { listing_id: 1, session_min: session, group_size: 1, from: now, to: now + SignedDuration::from_hours(24 * 14), now };
            let slots = free_slots(&a, &busy, &q);
            let tz = TimeZone::get(zone).unwrap();
            for s in &slots {
                prop_assert!(s.start >= now + mins(notice));
                prop_assert!(s.start < now + SignedDuration::from_hours(24 * 10));
                prop_assert_eq!(s.end, s.start + mins(session));
                prop_assert!(s.seats_left >= 1);
                for b in &busy {
                    prop_assert!(!(s.start - mins(before) < b.end + mins(after) && b.start - mins(before) < s.end + mins(after)), "slot {:?} hits booking {:?}", s, b);
                }
                // Inside the hours of its local day, whatever the offset that day.
                let local = s.start.to_zoned_datetime(tz.clone());
                let day = local.date();
                let wd = day.weekday().to_monday_zero_offset() as usize;
                prop_assert!(wd < 5, "weekends have no hours");
                let open = resolve(&tz, day, span.start_min).unwrap_or(s.start);
                let close = resolve(&tz, day, span.end_min).unwrap_or(s.end);
                prop_assert!(s.start >= open && s.end <= close, "{:?} outside {:?}..{:?}", s, open, close);
            }
            for pair in slots.windows(2) {
                prop_assert!(pair[0].start < pair[1].start);
            }
        }

        #[test]
        fn group_seats_are_counted_exactly(group in 2u32..=12, taken in prop::collection::vec((0i64..4, 1u32..4), 0..10)) {
            let a = avail("UTC", Span::new(9 * 60, 11 * 60).unwrap());
            let now = ts("2026-02-01T00:00:00Z");
            let day = ts("2026-02-02T09:00:00Z");
            let busy: Vec<Busy> = taken.iter().map(|(slot, seats)| {
                let start = day + SignedDuration::from_mins(30 * slot);
                Busy { start, end: start + SignedDuration::from_mins(30), listing_id: 1, seats: *seats }
            }).collect();
            let q = SlotQuery { listing_id: 1, session_min: 30, group_size: group, from: day, to: day + SignedDuration::from_hours(2), now };
            let slots = free_slots(&a, &busy, &q);
            for k in 0..4i64 {
                let start = day + SignedDuration::from_mins(30 * k);
                let used: u32 = busy.iter().filter(|b| b.start == start).map(|b| b.seats).sum();
                match slots.iter().find(|s| s.start == start) {
                    Some(s) => {
                        prop_assert_eq!(s.seats_left, group - used);
                        prop_assert!(s.seats_left >= 1 && s.seats_left <= group);
                    }
                    None => prop_assert!(used >= group, "slot {} missing with {} of {} seats used", k, used, group),
                }
            }
        }
    }
}
