//! iCalendar (RFC 5545) for bookings: one file per booking and each person's private feed.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use onhand_store::Booking;

/// Folds an iCalendar content line at 75 octets, as RFC 5545 requires.
fn ics_line(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

fn text(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
}

fn offset(o: jiff::tz::Offset) -> String {
    let secs = o.seconds();
    let sign = if secs < 0 { '-' } else { '+' };
    let abs = secs.unsigned_abs();
    format!("{sign}{:02}{:02}", abs / 3600, (abs % 3600) / 60)
}

/// A VTIMEZONE for `zone` with every transition from a year before `from` to `to`, so
/// calendars place `DTSTART;TZID=...` exactly even across daylight saving changes.
fn vtimezone(out: &mut String, zone: &TimeZone, name: &str, from: Timestamp, to: Timestamp) {
    ics_line(out, "BEGIN:VTIMEZONE");
    ics_line(out, &format!("TZID:{name}"));
    let start = from - jiff::SignedDuration::from_hours(24 * 366);
    let mut wrote = false;
    for t in zone
        .following(start)
        .take_while(|t| t.timestamp() <= to)
        .take(200)
    {
        let before = zone
            .to_offset_info(t.timestamp() - jiff::SignedDuration::from_secs(1))
            .offset();
        let kind = if t.dst().is_dst() {
            "DAYLIGHT"
        } else {
            "STANDARD"
        };
        ics_line(out, &format!("BEGIN:{kind}"));
        ics_line(
            out,
            &format!(
                "DTSTART:{}",
                before.to_datetime(t.timestamp()).strftime("%Y%m%dT%H%M%S")
            ),
        );
        ics_line(out, &format!("TZOFFSETFROM:{}", offset(before)));
        ics_line(out, &format!("TZOFFSETTO:{}", offset(t.offset())));
        ics_line(out, &format!("TZNAME:{}", t.abbreviation()));
        ics_line(out, &format!("END:{kind}"));
        wrote = true;
    }
    if !wrote {
        // No transitions in range (UTC, Asia/Kolkata, Asia/Kathmandu...): one fixed offset.
        let info = zone.to_offset_info(from);
        ics_line(out, "BEGIN:STANDARD");
        ics_line(out, "DTSTART:19700101T000000");
        ics_line(out, &format!("TZOFFSETFROM:{}", offset(info.offset())));
        ics_line(out, &format!("TZOFFSETTO:{}", offset(info.offset())));
        ics_line(out, &format!("TZNAME:{}", info.abbreviation()));
        ics_line(out, "END:STANDARD");
    }
    ics_line(out, "END:VTIMEZONE");
}

/// A calendar of bookings. Start and end are local times in `zone_name` (`TZID`, with its
/// VTIMEZONE); the stamp is UTC. `base` is the site's origin for links.
pub fn ics(bookings: &[Booking], base: &str, zone_name: &str) -> String {
    let stamp = |t: Timestamp| t.strftime("%Y%m%dT%H%M%SZ").to_string();
    let zone = TimeZone::get(zone_name).unwrap_or(TimeZone::UTC);
    let zone_name = if zone == TimeZone::UTC {
        "UTC"
    } else {
        zone_name
    };
    let local = |t: Timestamp| {
        t.to_zoned_datetime(zone.clone())
            .strftime("%Y%m%dT%H%M%S")
            .to_string()
    };
    let mut out = String::new();
    for line in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Onhand//Bookings//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:Onhand",
    ] {
        ics_line(&mut out, line);
    }
    ics_line(&mut out, &format!("X-WR-TIMEZONE:{zone_name}"));
    let first = bookings
        .iter()
        .map(|b| b.start)
        .min()
        .unwrap_or_else(Timestamp::now);
    let last = bookings
        .iter()
        .map(|b| b.end)
        .max()
        .unwrap_or_else(Timestamp::now);
    vtimezone(&mut out, &zone, zone_name, first, last);
    for b in bookings {
        let url = format!("{base}/bookings/{}", b.id);
        for line in [
            "BEGIN:VEVENT".to_string(),
            format!("UID:booking-{}@onhand", b.id),
            format!("DTSTAMP:{}", stamp(b.created_at)),
            format!("DTSTART;TZID={zone_name}:{}", local(b.start)),
            format!("DTEND;TZID={zone_name}:{}", local(b.end)),
            format!(
                "SUMMARY:{}",
                text(&format!("{} with {}", b.title, b.provider_name))
            ),
            format!(
                "DESCRIPTION:{}",
                text(&format!(
                    "Onhand session booked by {}. Details: {url}",
                    b.buyer_name
                ))
            ),
            format!("URL:{url}"),
            format!(
                "STATUS:{}",
                if b.state.holds_time() {
                    "CONFIRMED"
                } else {
                    "CANCELLED"
                }
            ),
            "END:VEVENT".into(),
        ] {
            ics_line(&mut out, &line);
        }
    }
    ics_line(&mut out, "END:VCALENDAR");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_folded_and_escaped() {
        let mut out = String::new();
        ics_line(&mut out, &format!("SUMMARY:{}", "é".repeat(60)));
        assert!(out.split("\r\n").all(|l| l.len() <= 75), "{out}");
        assert_eq!(text("a,b;c\nd"), "a\\,b\\;c\\nd");
        let cal = ics(&[], "http://x", "Asia/Kathmandu");
        assert!(cal.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(cal.contains("TZOFFSETTO:+0545"), "{cal}");
        let cal = ics(&[], "http://x", "America/New_York");
        assert!(
            cal.contains("BEGIN:DAYLIGHT")
                && cal.contains("TZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400"),
            "{cal}"
        );
    }
}
