//! The whole path a newcomer takes, in a real headless Chromium: sign up, apply as a
//! provider, get approved, list a helpout, get it approved, find it on its category page.

pub(crate) use crate::chrome::*;
use crate::common::*;
use fantoccini::Client;
use std::path::PathBuf;
use std::time::Duration;

/// Starts chromedriver and a headless Chromium, or says loudly why it cannot.
async fn browser() -> Option<(Driver, Client)> {
    browser_with(&[]).await
}

#[tokio::test]
async fn newcomer_becomes_a_provider_and_is_found() {
    let Some((_driver, c)) = browser().await else {
        return;
    };
    let app = spawn_app().await;
    app.operator("op@example.com").await;

    // Sign up.
    c.goto(&app.url("/")).await.unwrap();
    click(&c, "a[href='/signup']").await;
    fill(&c, "#display_name", "Paula Pereira").await;
    fill(&c, "#email", "paula@example.com").await;
    fill(&c, "#password", PASSWORD).await;
    click(&c, "form[action='/signup'] button[type=submit]").await;
    wait_text(&c, "Welcome to Onhand").await;

    // Apply as a provider.
    click(&c, "a[href='/dashboard/apply']").await;
    fill(
        &c,
        "#headline",
        "Portuguese tutor from Porto, patient with beginners",
    )
    .await;
    fill(
        &c,
        "#bio",
        "I teach European Portuguese to adults through conversation, with grammar when it helps.",
    )
    .await;
    fill(
        &c,
        "#experience",
        "Eight years teaching at a language school in Porto.",
    )
    .await;
    click(&c, "input[name=languages][value=pt]").await;
    click(&c, "input[name=languages][value=en]").await;
    select(&c, "#country", "PT").await;
    select(&c, "#time_zone", "Europe/Lisbon").await;
    click(&c, "form[action='/dashboard/apply'] button[type=submit]").await;
    wait_text(&c, "Application sent").await;

    // The operator approves the application.
    sign_out(&c).await;
    sign_in(&c, &app, "op@example.com").await;
    c.goto(&app.url("/admin/providers")).await.unwrap();
    wait_text(&c, "Paula Pereira").await;
    click(&c, "form[action$='/approve'] button").await;
    wait_text(&c, "Approved").await;
    sign_out(&c).await;

    // The new provider lists a helpout and submits it.
    sign_in(&c, &app, "paula@example.com").await;
    wait_text(&c, "approved provider").await;
    click(&c, "a[href='/dashboard/listings/new']").await;
    fill(&c, "#title", "Survival Portuguese for your trip to Lisbon").await;
    fill(&c, "#description", "Learn the phrases you need for cafés, trams and markets, and practise them in short role plays.").await;
    select(&c, "#category", "education-careers/languages").await;
    fill(&c, "#tags", "portuguese, travel").await;
    click(&c, "input[name=languages][value=pt]").await;
    fill(&c, "#price", "18.50").await;
    fill(&c, "#session_minutes", "45").await;
    click(&c, "button[value=submit]").await;
    wait_text(&c, "Sent for review").await;
    sign_out(&c).await;

    // The operator approves the listing.
    sign_in(&c, &app, "op@example.com").await;
    c.goto(&app.url("/admin/listings")).await.unwrap();
    wait_text(&c, "Survival Portuguese").await;
    click(&c, "form[action$='/approve'] button").await;
    wait_text(&c, "Approved.").await;
    sign_out(&c).await;

    // Anyone finds it on its category page.
    c.goto(&app.url("/c/education-careers")).await.unwrap();
    let text = body_text(&c).await;
    assert!(
        text.contains("Survival Portuguese for your trip to Lisbon"),
        "{text}"
    );
    assert!(text.contains("$18.50"), "{text}");
    click(&c, "a.card-link").await;
    wait_text(&c, "$18.50 per session").await;

    c.goto(&app.url("/")).await.unwrap();
    let png = c.screenshot().await.unwrap();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("home.png"), png).unwrap();
    c.close().await.unwrap();
}

#[tokio::test]
async fn a_booking_shows_the_same_instant_in_each_persons_zone() {
    let Some((_driver, c)) = browser().await else {
        return;
    };
    let app = spawn_app().await;
    let op = app.operator("op@example.com").await;
    let (gus, gus_id) = app.provider("gus@example.com", "Gus", &op).await;
    let (status, _) = app
        .send(
            reqwest::Method::PUT,
            "/api/v1/me/availability",
            Some(&gus),
            Some(serde_json::json!({
                "time_zone": "Asia/Kathmandu",
                "weekly": {"mon": ["09:00-17:00"], "tue": ["09:00-17:00"], "wed": ["09:00-17:00"], "thu": ["09:00-17:00"], "fri": ["09:00-17:00"], "sat": ["09:00-17:00"], "sun": ["09:00-17:00"]},
                "buffer_before_min": 0, "buffer_after_min": 0, "notice_min": 60, "horizon_days": 30, "step_min": 30
            })),
        )
        .await;
    assert_eq!(status, 200);
    let listing = app.live_listing(&gus, &op, "Guitar from Kathmandu").await;
    let bea = app.user("bea@example.com", "Bea").await;
    app.send(
        reqwest::Method::PATCH,
        "/api/v1/me",
        Some(&bea),
        Some(serde_json::json!({"display_name": "Bea", "time_zone": "America/St_Johns"})),
    )
    .await;

    sign_in(&c, &app, "bea@example.com").await;
    c.goto(&app.url(&format!("/listings/{listing}")))
        .await
        .unwrap();
    wait_text(&c, "Times shown in America/St_Johns").await;
    click(&c, "form.slot-form button").await;
    wait_text(&c, "Confirm your booking").await;
    click(&c, "#confirm-booking").await;
    wait_text(&c, "Booked!").await;
    let booking = app
        .store
        .bookings_of(
            gus_id,
            onhand_store::Page {
                offset: 0,
                limit: 1,
            },
        )
        .await
        .unwrap()
        .items[0]
        .clone();
    let at = |zone: &str| {
        booking
            .start
            .to_zoned_datetime(jiff::tz::TimeZone::get(zone).unwrap())
            .strftime("%a %-d %b %Y, %H:%M")
            .to_string()
    };
    let buyer_view = body_text(&c).await;
    assert!(buyer_view.contains(&at("America/St_Johns")), "{buyer_view}");
    assert!(buyer_view.contains(&at("Asia/Kathmandu")), "{buyer_view}");
    sign_out(&c).await;

    sign_in(&c, &app, "gus@example.com").await;
    c.goto(&app.url(&format!("/bookings/{}", booking.id)))
        .await
        .unwrap();
    wait_text(&c, "for Bea").await;
    let text = body_text(&c).await;
    assert!(
        text.contains(&format!("Your time\n{}", at("Asia/Kathmandu"))),
        "the provider sees it in Kathmandu time: {text}"
    );
    assert!(
        text.contains(&format!("Their time\n{}", at("America/St_Johns"))),
        "{text}"
    );
    c.close().await.unwrap();
}

#[tokio::test]
async fn a_help_now_request_rings_the_providers_open_dashboard() {
    let Some((_driver, c)) = browser().await else {
        return;
    };
    let app = spawn_app().await;
    let op = app.operator("op@example.com").await;
    let (gus, _) = app.provider("gus@example.com", "Gus", &op).await;
    let listing = app.live_listing(&gus, &op, "Guitar emergencies").await;
    let bea = app.user("bea@example.com", "Bea").await;

    sign_in(&c, &app, "gus@example.com").await;
    c.goto(&app.url("/dashboard")).await.unwrap();
    click(&c, "#go-online").await;
    wait_text(&c, "You are online").await;
    let (status, asked) = app
        .post_json(
            &format!("/api/v1/listings/{listing}/help-now"),
            Some(&bea),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, 201, "{asked}");
    wait_text(&c, "Bea asks for help now").await;
    click(&c, "#ring-accept button").await;
    wait_text(&c, "for Bea").await;
    let (_, status) = app
        .get_json(&format!("/api/v1/help-now/{}", asked["id"]), Some(&bea))
        .await;
    assert_eq!(status["state"], "accepted");
    c.close().await.unwrap();
}

#[tokio::test]
async fn a_buyer_tops_up_pays_for_a_session_and_the_provider_earns() {
    let Some((_driver, c)) = browser().await else {
        return;
    };
    let app = spawn_app().await;
    let op = app.operator("op@example.com").await;
    let (gus, _) = app.provider("gus@example.com", "Gus", &op).await;
    let listing = app.live_listing(&gus, &op, "Guitar emergencies").await;
    // A buyer with an empty wallet.
    let (status, body) = app
        .post_json(
            "/api/v1/auth/signup",
            None,
            serde_json::json!({"email": "bea@example.com", "password": PASSWORD, "display_name": "Bea", "time_zone": "Europe/Paris"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");

    // Top up in the browser with the sandbox card.
    sign_in(&c, &app, "bea@example.com").await;
    c.goto(&app.url("/wallet")).await.unwrap();
    wait_text(&c, "SANDBOX").await;
    fill(&c, "#amount", "30.00").await;
    fill(&c, "#card_number", "4242 4242 4242 4242").await;
    fill(&c, "#exp_month", "12").await;
    fill(&c, "#exp_year", "2040").await;
    fill(&c, "#cvc", "123").await;
    click(&c, "#top-up button[type=submit]").await;
    wait_text(&c, "Money added to your wallet").await;
    assert_eq!(
        find(&c, "#wallet-available").await.text().await.unwrap(),
        "$30.00"
    );

    // Ask for help now; the provider, online, accepts.
    let mut provider = crate::helpnow::socket(&app, &gus, true).await;
    c.goto(&app.url(&format!("/listings/{listing}")))
        .await
        .unwrap();
    click(&c, "form[action$='/help-now'] button").await;
    let ring = crate::helpnow::next_event(&mut provider, "ring").await;
    let request = ring["request"].as_i64().unwrap();
    let (status, booking) = app
        .post_json(
            &format!("/api/v1/help-now/{request}/accept"),
            Some(&gus),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, 201, "{booking}");
    let id = booking["id"].as_i64().unwrap();
    // The help-now page follows the acceptance live (its own test covers that); go to
    // the booking directly so this test does not race the page's socket.
    c.goto(&app.url(&format!("/bookings/{id}"))).await.unwrap();
    wait_text(&c, "Receipt").await;
    assert_eq!(
        find(&c, "#receipt-held").await.text().await.unwrap(),
        "$25.00"
    );
    click(&c, "#begin-session").await;
    wait_text(&c, "The session has begun").await;
    sign_out(&c).await;

    // The provider completes it and sees what they earned.
    sign_in(&c, &app, "gus@example.com").await;
    c.goto(&app.url(&format!("/bookings/{id}"))).await.unwrap();
    click(&c, "#complete-session").await;
    wait_text(&c, "Session complete").await;
    assert_eq!(
        find(&c, "#receipt-charged").await.text().await.unwrap(),
        "$25.00"
    );
    assert_eq!(
        find(&c, "#receipt-earned").await.text().await.unwrap(),
        "$20.00"
    );
    c.goto(&app.url("/earnings")).await.unwrap();
    wait_text(&c, "Earnings and payouts").await;
    assert_eq!(
        find(&c, "#earnings-balance").await.text().await.unwrap(),
        "$20.00"
    );
    assert_eq!(
        find(&c, "#earnings-available").await.text().await.unwrap(),
        "$0.00",
        "inside the guarantee window"
    );
    sign_out(&c).await;

    // The buyer's receipt and wallet.
    sign_in(&c, &app, "bea@example.com").await;
    c.goto(&app.url(&format!("/bookings/{id}"))).await.unwrap();
    wait_text(&c, "Not satisfied? Ask for a refund").await;
    assert_eq!(
        find(&c, "#receipt-charged").await.text().await.unwrap(),
        "$25.00"
    );
    assert_eq!(
        find(&c, "#receipt-held").await.text().await.unwrap(),
        "$0.00"
    );
    let png = c.screenshot().await.unwrap();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("receipt.png"), png).unwrap();
    c.goto(&app.url("/wallet")).await.unwrap();
    wait_text(&c, "Paid for a session").await;
    assert_eq!(
        find(&c, "#wallet-available").await.text().await.unwrap(),
        "$5.00"
    );
    app.assert_ledger_sound().await;
    c.close().await.unwrap();
}

#[tokio::test]
async fn a_misspelled_search_takes_a_suggestion_and_filters_by_language() {
    let Some((_driver, c)) = browser().await else {
        return;
    };
    let app = spawn_app().await;
    let op = app.operator("op@example.com").await;
    let (gus, _) = app.provider("gus@example.com", "Gus", &op).await;
    for (title, languages) in [
        ("Spanish conversation practice", vec!["en", "es"]),
        ("Spanish conversation for kids", vec!["es"]),
        ("Guitar chords for beginners", vec!["en"]),
    ] {
        let mut body = listing();
        body["title"] = serde_json::json!(title);
        body["languages"] = serde_json::json!(languages);
        body["submit"] = serde_json::json!(true);
        let (_, created) = app.post_json("/api/v1/listings", Some(&gus), body).await;
        let id = created["id"].as_i64().unwrap();
        app.post_json(
            &format!("/api/v1/admin/listings/{id}/approve"),
            Some(&op),
            serde_json::json!({}),
        )
        .await;
    }
    // The index catches up within a second.
    for _ in 0..50 {
        let (_, found) = app.get_json("/api/v1/search?q=spanish", None).await;
        if found["total"] == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    c.goto(&app.url("/")).await.unwrap();
    fill(&c, "#site-q", "spansih conversaton").await;
    let suggestion = find(&c, "#site-q-suggest a").await;
    assert!(
        suggestion
            .text()
            .await
            .unwrap()
            .starts_with("Spanish conversation"),
        "the misspelling still suggests"
    );
    suggestion.click().await.unwrap();
    wait_text(&c, "Results for “Spanish conversation").await;
    let text = body_text(&c).await;
    assert!(
        text.contains("Spanish conversation practice")
            || text.contains("Spanish conversation for kids")
    );

    c.goto(&app.url("/search?q=spanish")).await.unwrap();
    wait_text(&c, "2 helpouts").await;
    click(&c, "#language-facets a[data-language='English']").await;
    wait_text(&c, "1 helpout").await;
    let url = c.current_url().await.unwrap();
    assert!(
        url.as_str().contains("language=en"),
        "the filter is in the URL: {url}"
    );
    assert!(
        body_text(&c)
            .await
            .contains("Spanish conversation practice")
    );
    c.close().await.unwrap();
}

#[tokio::test]
async fn a_buyer_reviews_a_session_and_the_listing_rating_moves() {
    let Some((_driver, c)) = browser().await else {
        return;
    };
    let app = spawn_app().await;
    let (gus, _, listing, _) = crate::money::setup(&app).await;
    let bea = app.user("bea@example.com", "Bea").await;
    let id = crate::money::session_now(&app, &gus, &bea, listing).await;
    crate::money::step(&app, &bea, id, "start").await;
    crate::money::step(&app, &gus, id, "complete").await;

    c.goto(&app.url(&format!("/listings/{listing}")))
        .await
        .unwrap();
    wait_text(&c, "no reviews yet").await;
    assert_eq!(
        find(&c, "#listing-rating").await.text().await.unwrap(),
        "3.5"
    );

    sign_in(&c, &app, "bea@example.com").await;
    c.goto(&app.url(&format!("/bookings/{id}"))).await.unwrap();
    wait_text(&c, "How was your session?").await;
    click(&c, "#review-form input[name=stars][value='5']").await;
    fill(
        &c,
        "#review-body",
        "Gus found the buzzing fret in five minutes.",
    )
    .await;
    click(&c, "#review-form button[type=submit]").await;
    wait_text(&c, "Your review is on the listing").await;

    c.goto(&app.url(&format!("/listings/{listing}")))
        .await
        .unwrap();
    wait_text(&c, "Gus found the buzzing fret").await;
    assert_eq!(
        find(&c, "#listing-rating").await.text().await.unwrap(),
        format!("{:.1}", onhand_core::reputation::bayesian_rating(5.0, 1))
    );
    assert!(body_text(&c).await.contains("1 review"));
    sign_out(&c).await;

    // The provider replies from the booking page; the reply shows under the review.
    sign_in(&c, &app, "gus@example.com").await;
    c.goto(&app.url(&format!("/bookings/{id}"))).await.unwrap();
    fill(&c, "#reply-body", "Thanks Bea, enjoy the guitar!").await;
    click(&c, "form[action$='/reply'] button[type=submit]").await;
    wait_text(&c, "Your reply is on the listing").await;
    c.goto(&app.url(&format!("/listings/{listing}#reviews")))
        .await
        .unwrap();
    wait_text(&c, "Gus replied: Thanks Bea, enjoy the guitar!").await;
    let png = c.screenshot().await.unwrap();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("reviews.png"), png).unwrap();
    c.close().await.unwrap();
}

/// Gus's per-minute listing ($1.00 a minute) and Bea's session with him, starting now.
pub(crate) async fn per_minute_session_now(app: &TestApp) -> (String, String, i64) {
    let op = app.operator("op@example.com").await;
    let (gus, _) = app.provider("gus@example.com", "Gus", &op).await;
    let mut body = listing();
    body["title"] = serde_json::json!("Guitar help by the minute");
    body["price_model"] = serde_json::json!("per_minute");
    body["price_minor"] = serde_json::json!(100);
    body["minimum_minutes"] = serde_json::json!(1);
    body["submit"] = serde_json::json!(true);
    let (status, created) = app.post_json("/api/v1/listings", Some(&gus), body).await;
    assert_eq!(status, 201, "{created}");
    let listing_id = created["id"].as_i64().unwrap();
    let (status, _) = app
        .post_json(
            &format!("/api/v1/admin/listings/{listing_id}/approve"),
            Some(&op),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let bea = app.user("bea@example.com", "Bea").await;
    let id = crate::money::session_now(app, &gus, &bea, listing_id).await;
    (gus, bea, id)
}

#[tokio::test]
async fn a_browser_without_udp_joins_over_tcp_and_shares_its_screen() {
    let media = [
        FAKE_MEDIA[0],
        FAKE_MEDIA[1],
        "--auto-accept-this-tab-capture",
    ];
    // The provider's browser may not use UDP at all: its media must take ICE-TCP.
    let tcp_only = [
        &media[..],
        &["--webrtc-ip-handling-policy=disable_non_proxied_udp"],
    ]
    .concat();
    let Some((_d1, provider)) = browser_with(&tcp_only).await else {
        return;
    };
    let Some((_d2, buyer)) = browser_with(&media).await else {
        return;
    };
    let app = spawn_app().await;
    let (_, _, id) = per_minute_session_now(&app).await;
    sign_in(&provider, &app, "gus@example.com").await;
    sign_in(&buyer, &app, "bea@example.com").await;
    for c in [&provider, &buyer] {
        enter_room(c, &app, id).await;
    }
    wait_attr(
        &provider,
        "#room",
        "data-transport",
        |v| v == "tcp",
        "the provider's media goes over TCP",
    )
    .await;
    wait_attr(
        &buyer,
        "#room",
        "data-transport",
        |v| v == "udp",
        "the buyer's media goes over UDP",
    )
    .await;
    for (c, who) in [(&provider, "provider"), (&buyer, "buyer")] {
        wait_attr(
            c,
            "#room",
            "data-video-streams",
            |v| v == "1",
            &format!("the {who} decodes the other's camera"),
        )
        .await;
    }
    assert!(
        body_text(&provider).await.contains("connection (over TCP)"),
        "the quality line says the media takes TCP"
    );
    // The provider shares their screen: the buyer decodes a second video.
    click(&provider, "#share-screen").await;
    wait_attr(
        &provider,
        "#share-screen",
        "aria-pressed",
        |v| v == "true",
        "sharing starts",
    )
    .await;
    wait_attr(
        &buyer,
        "#room",
        "data-video-streams",
        |v| v == "2",
        "the buyer decodes camera and screen",
    )
    .await;
    let png = buyer.screenshot().await.unwrap();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("room-screen-share.png"), png).unwrap();
    // Stopping the share stops that stream; the camera goes on.
    click(&provider, "#share-screen").await;
    wait_attr(
        &provider,
        "#share-screen",
        "aria-pressed",
        |v| v == "false",
        "sharing stops",
    )
    .await;
    provider.close().await.unwrap();
    buyer.close().await.unwrap();
}

#[tokio::test]
async fn two_browsers_meet_on_video_chat_and_pay_for_connected_minutes() {
    let Some((_d1, provider)) = browser_with(&FAKE_MEDIA).await else {
        return;
    };
    let Some((_d2, buyer)) = browser_with(&FAKE_MEDIA).await else {
        return;
    };
    let app = spawn_app().await;
    let (gus, bea, id) = per_minute_session_now(&app).await;

    sign_in(&provider, &app, "gus@example.com").await;
    sign_in(&buyer, &app, "bea@example.com").await;
    for c in [&provider, &buyer] {
        enter_room(c, &app, id).await;
    } // Both decode the other's video.
    for (c, who) in [(&provider, "provider"), (&buyer, "buyer")] {
        wait_attr(
            c,
            "#room",
            "data-frames-decoded",
            |v| v.parse::<u64>().unwrap_or(0) > 10,
            &format!("the {who} decodes video"),
        )
        .await;
    }
    // A chat message crosses.
    fill(&buyer, "#chat-text", "Hello Gus, can you hear me?").await;
    click(&buyer, "#chat-form button[type=submit]").await;
    wait_text(&provider, "Bea: Hello Gus, can you hear me?").await;
    // The meter moves, on both sides.
    for c in [&provider, &buyer] {
        wait_attr(
            c,
            "#room-meter",
            "data-cost-minor",
            |v| v.parse::<i64>().unwrap_or(0) >= 100,
            "the cost meter moves",
        )
        .await;
    }
    let png = provider.screenshot().await.unwrap();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("room.png"), png).unwrap();
    let (_, during) = app
        .get_json(&format!("/api/v1/bookings/{id}"), Some(&bea))
        .await;
    assert_eq!(
        during["state"], "in_progress",
        "both connected: the session began"
    );

    // The provider ends it: connected minutes are charged (one begun minute, $1.00).
    click(&provider, "#end").await;
    provider.accept_alert().await.unwrap();
    wait_text(&buyer, "The session has ended").await;
    let (_, done) = app
        .get_json(&format!("/api/v1/bookings/{id}"), Some(&bea))
        .await;
    assert_eq!(done["state"], "completed", "{done}");
    assert_eq!(done["charged_minor"], 100, "{done}");
    let (_, transcript) = app
        .get_json(&format!("/api/v1/bookings/{id}/receipt"), Some(&bea))
        .await;
    assert_eq!(transcript["held_minor"], 0, "{transcript}");
    let (_, chat) = app
        .get_json(&format!("/api/v1/bookings/{id}/transcript"), Some(&gus))
        .await;
    assert_eq!(chat[0]["from"], "Bea");
    assert_eq!(chat[0]["text"], "Hello Gus, can you hear me?");
    app.assert_ledger_sound().await;
    provider.close().await.unwrap();
    buyer.close().await.unwrap();
}
