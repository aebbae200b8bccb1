//! iCalendar (RFC 5545) for bookings: one file per booking and each person's private feed.

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

/// A calendar of bookings. Times are UTC (`Z`), which every calendar shows correctly in
/// its own zone whatever the daylight saving rules; `base` is the site's origin for links.
pub fn ics(bookings: &[Booking], base: &str) -> String {
    let stamp = |t: jiff::Timestamp| t.strftime("%Y%m%dT%H%M%SZ").to_string();
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
    for b in bookings {
        let url = format!("{base}/bookings/{}", b.id);
        for line in [
            "BEGIN:VEVENT".to_string(),
            format!("UID:booking-{}@onhand", b.id),
            format!("DTSTAMP:{}", stamp(b.created_at)),
            format!("DTSTART:{}", stamp(b.start)),
            format!("DTEND:{}", stamp(b.end)),
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
        assert!(ics(&[], "http://x").starts_with("BEGIN:VCALENDAR\r\n"));
    }
}
