//! Connected time: when a participant's media was actually flowing, and the overlap of
//! two participants' time, which is what a per-minute session bills.
//!
//! A participant is *present* from the first media packet after they connect until they
//! leave, drop, or send nothing for `GAP`; a silence ends the interval at the last packet.
//! Time is a `Duration` since the room opened, so this module never reads a clock.

use std::time::Duration;

/// Media silence longer than this ends an interval (at the last packet).
pub const GAP: Duration = Duration::from_secs(5);

/// `[start, end)` since the room opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    pub start: Duration,
    pub end: Duration,
}

impl Interval {
    pub fn len(&self) -> Duration {
        self.end.saturating_sub(self.start)
    }

    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
}

/// One participant's presence: closed intervals and the one running now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Presence {
    closed: Vec<Interval>,
    /// Start and last packet of the running interval.
    open: Option<(Duration, Duration)>,
}

impl Presence {
    /// A media packet arrived at `t`.
    pub fn media(&mut self, t: Duration) {
        match &mut self.open {
            Some((_, last)) if t.saturating_sub(*last) <= GAP => *last = (*last).max(t),
            Some(_) => {
                self.close();
                self.open = Some((t, t));
            }
            None => self.open = Some((t, t)),
        }
    }

    /// Time passes: a running interval whose media stopped more than `GAP` ago ends at its
    /// last packet.
    pub fn tick(&mut self, t: Duration) {
        if let Some((_, last)) = self.open
            && t.saturating_sub(last) > GAP
        {
            self.close();
        }
    }

    /// The participant left or dropped at `t`: the running interval ends at the last
    /// packet (or `t`, if sooner).
    pub fn leave(&mut self, t: Duration) {
        if let Some((start, last)) = self.open.take() {
            self.push(Interval {
                start,
                end: last.min(t).max(start),
            });
        }
    }

    fn close(&mut self) {
        if let Some((start, last)) = self.open.take() {
            self.push(Interval { start, end: last });
        }
    }

    fn push(&mut self, i: Interval) {
        if !i.is_empty() {
            self.closed.push(i);
        }
    }

    pub fn is_flowing(&self) -> bool {
        self.open.is_some()
    }

    /// Every interval, the running one counted up to its last packet.
    pub fn intervals(&self) -> Vec<Interval> {
        let mut all = self.closed.clone();
        if let Some((start, last)) = self.open
            && last > start
        {
            all.push(Interval { start, end: last });
        }
        all
    }

    pub fn total(&self) -> Duration {
        self.intervals().iter().map(Interval::len).sum()
    }
}

/// The time during which both `a` and `b` were present.
pub fn overlap(a: &[Interval], b: &[Interval]) -> Duration {
    let mut sum = Duration::ZERO;
    for x in a {
        for y in b {
            let start = x.start.max(y.start);
            let end = x.end.min(y.end);
            if end > start {
                sum += end - start;
            }
        }
    }
    sum
}

/// The time during which the provider and at least one buyer were both present: a group
/// session bills each buyer on their own overlap with the provider.
pub fn billable(provider: &[Interval], buyer: &[Interval]) -> Duration {
    overlap(&merge(provider), &merge(buyer))
}

/// Sorted, non-overlapping intervals covering the same time.
pub fn merge(intervals: &[Interval]) -> Vec<Interval> {
    let mut v: Vec<Interval> = intervals
        .iter()
        .copied()
        .filter(|i| !i.is_empty())
        .collect();
    v.sort_by_key(|i| i.start);
    let mut out: Vec<Interval> = Vec::with_capacity(v.len());
    for i in v {
        match out.last_mut() {
            Some(last) if i.start <= last.end => last.end = last.end.max(i.end),
            _ => out.push(i),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(secs: u64) -> Duration {
        Duration::from_secs(secs)
    }

    fn flow(p: &mut Presence, from: u64, to: u64) {
        let mut t = from;
        while t <= to {
            p.media(s(t));
            p.tick(s(t));
            t += 1;
        }
    }

    #[test]
    fn media_makes_an_interval_and_silence_ends_it_at_the_last_packet() {
        let mut p = Presence::default();
        flow(&mut p, 10, 70);
        assert!(p.is_flowing());
        p.tick(s(76));
        assert!(!p.is_flowing());
        assert_eq!(
            p.intervals(),
            [Interval {
                start: s(10),
                end: s(70)
            }]
        );
        // A drop and rejoin make a second interval.
        flow(&mut p, 100, 130);
        p.leave(s(131));
        assert_eq!(p.total(), s(90));
        assert_eq!(p.intervals().len(), 2);
    }

    #[test]
    fn short_gaps_do_not_split_an_interval() {
        let mut p = Presence::default();
        p.media(s(0));
        p.media(s(4));
        p.tick(s(8));
        p.media(s(9));
        p.leave(s(9));
        assert_eq!(
            p.intervals(),
            [Interval {
                start: s(0),
                end: s(9)
            }]
        );
    }

    #[test]
    fn billing_is_the_overlap_and_nothing_without_both_sides() {
        let provider = [Interval {
            start: s(0),
            end: s(600),
        }];
        let buyer = [
            Interval {
                start: s(60),
                end: s(120),
            },
            Interval {
                start: s(300),
                end: s(900),
            },
        ];
        assert_eq!(billable(&provider, &buyer), s(60 + 300));
        assert_eq!(billable(&provider, &[]), Duration::ZERO);
        assert_eq!(billable(&[], &buyer), Duration::ZERO);
        // Overlapping intervals of one side count once.
        let twice = [
            provider[0],
            Interval {
                start: s(100),
                end: s(200),
            },
        ];
        assert_eq!(billable(&twice, &buyer), s(360));
    }
}
