//! Notifications: each event reaches the right people at their local time, in the app and
//! by email; reminders are scheduled, cancelled and survive a restart; preferences and
//! one-click unsubscribe hold; email goes out over real SMTP, with and without TLS.

use crate::common::*;
use crate::money::{setup, step};
use reqwest::Method;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Waits until `token`'s notifications include one whose title contains `needle`.
async fn wait_for(app: &TestApp, token: &str, needle: &str) -> Value {
    for _ in 0..200 {
        let (_, page) = app.get_json("/api/v1/notifications", Some(token)).await;
        if let Some(n) = page["items"].as_array().and_then(|items| {
            items
                .iter()
                .find(|n| n["title"].as_str().unwrap_or("").contains(needle))
        }) {
            return n.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "no notification {needle:?}; there are: {}",
        app.get_json("/api/v1/notifications", Some(token)).await.1
    );
}

async fn titles(app: &TestApp, token: &str) -> Vec<String> {
    let (_, page) = app.get_json("/api/v1/notifications", Some(token)).await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap().to_string())
        .collect()
}

/// The .eml files in the outbox, as text.
fn outbox(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir.join("outbox")) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

async fn signup(app: &TestApp, email: &str, name: &str, zone: &str) -> String {
    let (status, body) = app
        .post_json(
            "/api/v1/auth/signup",
            None,
            json!({"email": email, "password": PASSWORD, "display_name": name, "time_zone": zone}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let token = app.token(email).await;
    app.fund(&token, 50_000).await;
    token
}

fn local(t: &str, zone: &str) -> String {
    let t: jiff::Timestamp = t.parse().unwrap();
    t.to_zoned_datetime(jiff::tz::TimeZone::get(zone).unwrap())
        .strftime("%A %-d %B %Y at %H:%M (%Z)")
        .to_string()
}

async fn book(app: &TestApp, token: &str, listing: i64, pick: usize) -> Value {
    let (_, slots) = app
        .get_json(&format!("/api/v1/listings/{listing}/slots"), None)
        .await;
    let start = slots["slots"][pick]["start"].as_str().unwrap().to_string();
    let (status, b) = app
        .post_json(
            "/api/v1/bookings",
            Some(token),
            json!({"listing_id": listing, "start": start}),
        )
        .await;
    assert_eq!(status, 201, "{b}");
    b
}

async fn reminder_jobs(app: &TestApp, op: &str, state: &str, booking: i64) -> Vec<Value> {
    let (status, page) = app
        .get_json(
            &format!("/api/v1/admin/jobs?state={state}&per_page=100"),
            Some(op),
        )
        .await;
    assert_eq!(status, 200, "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|j| {
            let p: Value = serde_json::from_str(j["payload"].as_str().unwrap()).unwrap();
            p["event"] == "reminder" && p["booking"] == booking
        })
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_booking_is_confirmed_to_both_sides_at_their_local_time_with_the_ics() {
    let app = spawn_app().await;
    let (gus, _, listing, op) = setup(&app).await;
    let ana = signup(&app, "ana@example.com", "Ana", "America/St_Johns").await;
    let mut live = crate::helpnow::socket(&app, &ana, false).await;
    let b = book(&app, &ana, listing, 2).await;
    let start = b["start"].as_str().unwrap();
    // Pushed live to her open page, with the new unread count.
    let pushed = crate::helpnow::next_event(&mut live, "notification").await;
    assert_eq!(pushed["title"], "Booked: Guitar emergencies with Gus");
    assert_eq!(pushed["unread"], 1);

    let mine = wait_for(&app, &ana, "Booked: Guitar emergencies with Gus").await;
    assert!(
        mine["body"]
            .as_str()
            .unwrap()
            .contains(&local(start, "America/St_Johns")),
        "{mine}"
    );
    assert_eq!(mine["link"], format!("/bookings/{}", b["id"]));
    let theirs = wait_for(&app, &gus, "New booking: Guitar emergencies with Ana").await;
    assert!(
        theirs["body"]
            .as_str()
            .unwrap()
            .contains(&local(start, "Europe/Paris")),
        "the provider reads it in their zone: {theirs}"
    );

    // Both emails are in the outbox: multipart text and HTML, the .ics, the unsubscribe link.
    let booking_mails = |dir: &Path| {
        outbox(dir)
            .into_iter()
            .filter(|m| m.contains("Subject: Booked:") || m.contains("Subject: New booking:"))
            .collect::<Vec<_>>()
    };
    for _ in 0..100 {
        if booking_mails(app.data_dir()).len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mails = booking_mails(app.data_dir());
    assert_eq!(mails.len(), 2, "one to each side: {mails:?}");
    let to_ana = mails
        .iter()
        .find(|m| {
            m.contains("To: \"Ana\" <ana@example.com>") || m.contains("To: Ana <ana@example.com>")
        })
        .expect("a mail to Ana");
    for part in [
        "Subject: Booked: Guitar emergencies with Gus",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",
        "BEGIN:VCALENDAR",
        "List-Unsubscribe: <",
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
    ] {
        assert!(to_ana.contains(part), "{part} missing from:\n{to_ana}");
    }

    // Reminders wait for their time: 15 minutes before, and a day before when booked
    // earlier than that.
    let pending = reminder_jobs(&app, &op, "pending", b["id"].as_i64().unwrap()).await;
    let start_t: jiff::Timestamp = start.parse().unwrap();
    let mut due: Vec<jiff::Timestamp> = pending
        .iter()
        .map(|j| j["run_at"].as_str().unwrap().parse().unwrap())
        .collect();
    due.sort();
    let mut expected = vec![start_t - jiff::SignedDuration::from_mins(15)];
    if jiff::Timestamp::now() < start_t - jiff::SignedDuration::from_hours(24) {
        expected.insert(0, start_t - jiff::SignedDuration::from_hours(24));
    }
    assert_eq!(due, expected);

    // Cancelling tells both and takes the reminders back.
    let (status, _) = app
        .post_json(
            &format!("/api/v1/bookings/{}/cancel", b["id"]),
            Some(&ana),
            json!({"reason": "Something came up"}),
        )
        .await;
    assert_eq!(status, 200);
    let n = wait_for(&app, &gus, "Cancelled: Guitar emergencies").await;
    assert!(
        n["body"]
            .as_str()
            .unwrap()
            .contains("Reason: Something came up"),
        "{n}"
    );
    wait_for(&app, &ana, "Cancelled: Guitar emergencies").await;
    assert!(
        reminder_jobs(&app, &op, "pending", b["id"].as_i64().unwrap())
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn money_reviews_vetting_and_help_now_events_reach_the_right_person() {
    let app = spawn_app_with(|c| c.help_now_ring = Duration::from_millis(300)).await;
    let (gus, _, listing, op) = setup(&app).await;
    // Vetting decisions reached Gus while setting up.
    wait_for(&app, &gus, "You are an approved provider").await;
    wait_for(&app, &gus, "“Guitar emergencies” is live").await;

    let bea = app.quick_user("bea@example.com").await;
    let b = crate::money::session_now(&app, &gus, &bea, listing).await;
    step(&app, &bea, b, "start").await;
    step(&app, &gus, b, "complete").await;
    app.post_json(
        &format!("/api/v1/bookings/{b}/review"),
        Some(&bea),
        json!({"stars": 5, "body": "Great"}),
    )
    .await;
    wait_for(&app, &gus, "reviewed Guitar emergencies: 5 stars").await;

    let (status, r) = app
        .post_json(
            &format!("/api/v1/bookings/{b}/refund-requests"),
            Some(&bea),
            json!({"amount_minor": 500, "reason": "The last part was rushed."}),
        )
        .await;
    assert_eq!(status, 201, "{r}");
    wait_for(&app, &gus, "asks for a refund").await;
    app.post_json(
        &format!("/api/v1/refund-requests/{}/grant", r["id"]),
        Some(&gus),
        json!({}),
    )
    .await;
    wait_for(&app, &bea, "Your refund request was granted").await;
    assert!(
        !titles(&app, &op).await.iter().any(|t| t.contains("refund")),
        "the operator is not told about refunds they need not decide"
    );

    // A ring nobody answers: both sides hear.
    let _online = crate::helpnow::socket(&app, &gus, true).await;
    let (status, _) = app
        .post_json(
            &format!("/api/v1/listings/{listing}/help-now"),
            Some(&bea),
            json!({}),
        )
        .await;
    assert_eq!(status, 201);
    wait_for(&app, &gus, "You missed a help-now request").await;
    wait_for(&app, &bea, "Gus could not answer").await;
}

#[tokio::test]
async fn preferences_and_one_click_unsubscribe_stop_email_but_not_the_bell() {
    let app = spawn_app().await;
    let (_, _, listing, _) = setup(&app).await;
    let ana = signup(&app, "ana@example.com", "Ana", "Europe/London").await;
    let (status, body) = app
        .send(
            Method::PUT,
            "/api/v1/me/email-preferences",
            Some(&ana),
            Some(json!([{"kind": "bookings", "email": false}])),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, prefs) = app
        .send(
            Method::PUT,
            "/api/v1/me/email-preferences",
            Some(&ana),
            Some(json!([{"kind": "booking", "email": false}])),
        )
        .await;
    assert_eq!(status, 200, "{prefs}");
    assert_eq!(prefs[0]["email"], false);

    let before = outbox(app.data_dir()).len();
    book(&app, &ana, listing, 2).await;
    let n = wait_for(&app, &ana, "Booked:").await;
    assert_eq!(n["emailed"], false);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mails = outbox(app.data_dir());
    assert!(
        !mails[before..]
            .iter()
            .any(|m| m.contains("ana@example.com")),
        "no booking email to Ana"
    );

    // The unsubscribe link in the provider's email turns that kind off in one POST.
    let to_gus = mails[before..]
        .iter()
        .find(|m| m.contains("gus@example.com"))
        .expect("Gus was emailed");
    let link = to_gus
        .lines()
        .find_map(|l| l.strip_prefix("List-Unsubscribe: <"))
        .and_then(|l| l.strip_suffix('>'))
        .expect("an unsubscribe header");
    let path = &link[link.find("/unsubscribe/").unwrap()..];
    let res = app
        .browser()
        .post(app.url(path))
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("Unsubscribed"));
    let gus = app.token("gus@example.com").await;
    let (_, prefs) = app
        .get_json("/api/v1/me/email-preferences", Some(&gus))
        .await;
    assert_eq!(
        prefs[0],
        json!({"kind": "booking", "label": "Bookings confirmed", "email": false})
    );
    let res = app
        .browser()
        .post(app.url("/unsubscribe/not-a-token?kind=booking"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // Marking read.
    let (_, page) = app.get_json("/api/v1/notifications", Some(&ana)).await;
    assert!(page["unread"].as_i64().unwrap() >= 1);
    let (status, read) = app
        .post_json(
            &format!("/api/v1/notifications/{}/read", n["id"]),
            Some(&ana),
            json!({}),
        )
        .await;
    assert_eq!((status, read["marked"].as_i64()), (200, Some(1)));
    let (status, _) = app
        .post_json(
            &format!("/api/v1/notifications/{}/read", n["id"]),
            Some(&gus),
            json!({}),
        )
        .await;
    assert_eq!(status, 404, "someone else's notification");
}

#[tokio::test]
async fn a_reminder_due_while_the_server_was_down_is_sent_once_after_it_returns() {
    let app = spawn_app().await;
    let (gus, _, listing, _) = setup(&app).await;
    let ana = signup(&app, "ana@example.com", "Ana", "Asia/Tokyo").await;
    let b = book(&app, &ana, listing, 3).await;
    let id = b["id"].as_i64().unwrap();
    wait_for(&app, &ana, "Booked:").await;
    let store = app.store.clone();
    let dir = app.data_dir().to_path_buf();
    let restarted = {
        // The server stops; while it is down the day-before reminder comes due.
        let keep = app.restart_later();
        drop(app);
        tokio::time::sleep(Duration::from_millis(200)).await;
        store
            .cancel_jobs(&format!("reminder:{id}:"), jiff::Timestamp::now())
            .await
            .unwrap();
        let due = jiff::Timestamp::now() - jiff::SignedDuration::from_mins(5);
        store
            .enqueue(
                "notify",
                &json!({"event": "reminder", "booking": id, "lead": "24h"}).to_string(),
                Some(&format!("reminder:{id}:24h")),
                due,
                8,
                due,
            )
            .await
            .unwrap();
        keep.start().await
    };
    wait_for(&restarted, &ana, "Reminder: Guitar emergencies tomorrow").await;
    wait_for(&restarted, &gus, "Reminder: Guitar emergencies tomorrow").await;
    // Once, however often the server starts again.
    let again = restarted.restart().await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    for token in [&ana, &gus] {
        let count = titles(&again, token)
            .await
            .iter()
            .filter(|t| t.starts_with("Reminder:"))
            .count();
        assert_eq!(count, 1);
    }
    let reminders = outbox(&dir)
        .iter()
        .filter(|m| m.contains("Subject: Reminder:"))
        .count();
    assert_eq!(reminders, 2, "one email each");
}

/// Starts an SMTP server on loopback with Python's aiosmtpd, or says loudly why not.
struct Smtp {
    child: std::process::Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const SYSTEM_PYTHON: &str = "/usr/bin/python3";

fn smtp_server(tls: Option<(&str, &Path, &Path)>) -> Option<Smtp> {
    let available = std::process::Command::new(SYSTEM_PYTHON)
        .args(["-c", "import aiosmtpd"])
        .status()
        .is_ok_and(|s| s.success());
    if !available {
        let msg = "SKIPPED SMTP test: aiosmtpd is not installed (apt-get install python3-aiosmtpd)";
        if std::env::var_os("CI").is_some() {
            panic!("{msg}; CI must install it");
        }
        eprintln!("\n*** {msg} ***\n");
        return None;
    }
    let port = free_port();
    let maildir = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(SYSTEM_PYTHON);
    cmd.args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")]);
    match tls {
        Some(("starttls", cert, key)) => {
            cmd.arg("--tlscert").arg(cert).arg("--tlskey").arg(key);
        }
        Some((_, cert, key)) => {
            cmd.arg("--smtpscert").arg(cert).arg("--smtpskey").arg(key);
        }
        None => {}
    }
    cmd.args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(maildir.path().join("mail"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    // Owned by the guard at once, so the server is stopped however the test ends.
    let smtp = Smtp {
        child: cmd.spawn().expect("aiosmtpd starts"),
        port,
        maildir,
    };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(smtp);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("aiosmtpd did not listen on {port}");
}

fn received(smtp: &Smtp) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(smtp.maildir.path().join("mail").join("new")) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect()
}

fn self_signed(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let ok = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
        ])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(ok.success());
    (cert, key)
}

async fn mail_through(smtp: &Smtp, tls: onhand_web::mail::SmtpTls, ca: Option<String>) {
    let port = smtp.port;
    let app = spawn_app_with(move |c| {
        c.mail.smtp = Some(onhand_web::mail::SmtpConfig {
            host: "localhost".into(),
            port,
            tls,
            username: None,
            password: None,
            ca_pem: ca,
        });
        c.mail.from = "Onhand Test <help@onhand.test>".into();
    })
    .await;
    let (_, _, listing, _) = setup(&app).await;
    let ana = signup(&app, "ana@example.com", "Ana", "Europe/Berlin").await;
    book(&app, &ana, listing, 2).await;
    let mut mails = Vec::new();
    for _ in 0..200 {
        mails = received(smtp);
        if mails.iter().any(|m| m.contains("ana@example.com")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let to_ana = mails
        .iter()
        .find(|m| m.contains("ana@example.com") && m.contains("Subject: Booked:"))
        .unwrap_or_else(|| panic!("no booking mail to Ana over SMTP ({tls:?}): {mails:?}"));
    for part in [
        "From: \"Onhand Test\" <help@onhand.test>",
        "text/plain",
        "text/html",
        "text/calendar",
        "List-Unsubscribe: <",
    ] {
        assert!(
            to_ana.contains(part) || to_ana.contains(&part.replace('"', "")),
            "{part} missing ({tls:?}):\n{to_ana}"
        );
    }
    let n = wait_for(&app, &ana, "Booked:").await;
    for _ in 0..100 {
        let (_, page) = app.get_json("/api/v1/notifications", Some(&ana)).await;
        if page["items"][0]["emailed"] == true {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the notification was never marked emailed: {n}");
}

#[tokio::test]
async fn email_goes_out_over_smtp_plain_starttls_and_implicit_tls() {
    use onhand_web::mail::SmtpTls;
    let Some(plain) = smtp_server(None) else {
        return;
    };
    mail_through(&plain, SmtpTls::None, None).await;

    let certs = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(certs.path());
    let ca = std::fs::read_to_string(&cert).unwrap();
    let starttls = smtp_server(Some(("starttls", &cert, &key))).unwrap();
    mail_through(&starttls, SmtpTls::StartTls, Some(ca.clone())).await;
    let smtps = smtp_server(Some(("tls", &cert, &key))).unwrap();
    mail_through(&smtps, SmtpTls::Tls, Some(ca)).await;
}

#[tokio::test]
async fn the_bell_counts_unread_and_the_pages_read_and_set_preferences() {
    use crate::pages::{page, post_form, signed_in};
    let app = spawn_app().await;
    let (_, _, listing, _) = setup(&app).await;
    let ana = app.user("ana@example.com", "Ana").await;
    book(&app, &ana, listing, 2).await;
    wait_for(&app, &ana, "Booked:").await;
    let client = signed_in(&app, "ana@example.com").await;
    let (_, html) = page(&client, &app.url("/")).await;
    assert!(html.contains("id=\"bell-count\">1</span>"), "{html}");
    let (status, html) = page(&client, &app.url("/notifications")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Booked: Guitar emergencies with Gus"),
        "{html}"
    );
    let csrf = csrf_of(&html);
    let res = post_form(&client, &app.url("/notifications/read"), &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), 303);
    let (_, html) = page(&client, &app.url("/")).await;
    assert!(html.contains("id=\"bell-count\" hidden>0</span>"), "{html}");

    // Preferences: only the checked kinds stay on.
    let res = post_form(
        &client,
        &app.url("/settings/notifications"),
        &[("csrf", &csrf), ("email", "reminder"), ("email", "refund")],
    )
    .await;
    assert_eq!(res.status(), 303);
    let (_, prefs) = app
        .get_json("/api/v1/me/email-preferences", Some(&ana))
        .await;
    let on: Vec<&str> = prefs
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["email"] == true)
        .map(|p| p["kind"].as_str().unwrap())
        .collect();
    assert_eq!(on, ["reminder", "refund"]);
    let res = post_form(
        &client,
        &app.url("/settings/notifications"),
        &[("csrf", &csrf), ("email", "spam")],
    )
    .await;
    assert_eq!(res.status(), 422);
}

#[tokio::test]
async fn a_payout_sent_is_announced_to_the_provider() {
    use onhand_core::booking::{BookingEvent, BookingState};
    let app = spawn_app().await;
    let (gus, gus_id, listing, _) = setup(&app).await;
    let bea = app.quick_user("bea@example.com").await;
    let bea_id = app.get_json("/api/v1/me", Some(&bea)).await.1["id"]
        .as_i64()
        .unwrap();
    // A session a week ago, settled: its earnings are out of the guarantee window.
    let start = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * 7);
    let b = app
        .store
        .book_now(
            &onhand_store::NewBooking {
                listing_id: listing,
                provider_id: gus_id,
                buyer_id: bea_id,
                start,
                seats: 1,
                session_minutes: 30,
                group_size: 1,
                title: "Guitar emergencies",
                price_model: "fixed",
                price_minor: 2500,
                minimum_minutes: None,
                currency: "USD",
                cancellation_policy: "moderate",
                hold_minor: 2500,
                commission_bps: 2000,
            },
            start,
        )
        .await
        .unwrap();
    app.store
        .transition_booking(
            b.id,
            BookingState::Confirmed,
            BookingEvent::Start,
            None,
            None,
            onhand_store::Settle::Started,
            start,
        )
        .await
        .unwrap();
    let end = start + jiff::SignedDuration::from_mins(30);
    app.store
        .transition_booking(
            b.id,
            BookingState::InProgress,
            BookingEvent::Complete,
            None,
            None,
            onhand_store::Settle::Post { amount_minor: 2500 },
            end,
        )
        .await
        .unwrap();
    let (status, body) = app
        .post_json("/api/v1/payouts", Some(&gus), json!({"amount_minor": 2000}))
        .await;
    assert_eq!(status, 201, "{body}");
    let n = wait_for(&app, &gus, "Payout sent: $20.00").await;
    assert_eq!(n["link"], "/earnings");
    assert!(
        !titles(&app, &bea)
            .await
            .iter()
            .any(|t| t.contains("Payout"))
    );
}

#[tokio::test]
async fn a_moved_booking_tells_both_sides_the_old_and_new_time_and_moves_the_reminders() {
    let app = spawn_app().await;
    let (gus, _, listing, op) = setup(&app).await;
    let ana = signup(&app, "ana@example.com", "Ana", "Asia/Kolkata").await;
    let (_, slots) = app
        .get_json(&format!("/api/v1/listings/{listing}/slots"), None)
        .await;
    // Both times beyond the moderate policy's free window of 24 hours.
    let far: Vec<String> = slots["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["start"].as_str().unwrap().to_string())
        .filter(|s| {
            s.parse::<jiff::Timestamp>().unwrap()
                > jiff::Timestamp::now() + jiff::SignedDuration::from_hours(26)
        })
        .collect();
    let (status, b) = app
        .post_json(
            "/api/v1/bookings",
            Some(&ana),
            json!({"listing_id": listing, "start": far[0]}),
        )
        .await;
    assert_eq!(status, 201, "{b}");
    let (status, moved) = app
        .post_json(
            &format!("/api/v1/bookings/{}/reschedule", b["id"]),
            Some(&ana),
            json!({"start": far[2]}),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    let n = wait_for(&app, &ana, "New time: Guitar emergencies").await;
    assert_eq!(
        n["body"],
        format!(
            "Moved from {} to {}.",
            local(&far[0], "Asia/Kolkata"),
            local(&far[2], "Asia/Kolkata")
        )
    );
    assert_eq!(n["link"], format!("/bookings/{}", moved["id"]));
    let theirs = wait_for(&app, &gus, "New time: Guitar emergencies").await;
    assert!(
        theirs["body"]
            .as_str()
            .unwrap()
            .contains(&local(&far[2], "Europe/Paris")),
        "{theirs}"
    );
    assert!(
        reminder_jobs(&app, &op, "pending", b["id"].as_i64().unwrap())
            .await
            .is_empty(),
        "the old booking's reminders are gone"
    );
    assert_eq!(
        reminder_jobs(&app, &op, "pending", moved["id"].as_i64().unwrap())
            .await
            .len(),
        2,
        "the new time has both reminders"
    );
}
