//! The pages as a browser uses them: forms, cookies, CSRF, sessions.

use crate::common::*;
use std::time::Duration;

pub async fn page(client: &reqwest::Client, url: &str) -> (u16, String) {
    let res = client.get(url).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

pub async fn post_form(
    client: &reqwest::Client,
    url: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client.post(url).form(form).send().await.unwrap()
}

/// Signs up through the form and returns the signed-in client.
pub async fn signed_up(app: &TestApp, email: &str) -> reqwest::Client {
    let client = app.browser();
    let (_, html) = page(&client, &app.url("/signup")).await;
    let csrf = csrf_of(&html);
    let res = post_form(
        &client,
        &app.url("/signup"),
        &[
            ("csrf", &csrf),
            ("display_name", "Ana"),
            ("email", email),
            ("password", PASSWORD),
            ("time_zone", "America/St_Johns"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303, "signup redirects");
    client
}

pub async fn signed_in(app: &TestApp, email: &str) -> reqwest::Client {
    let client = app.browser();
    let (_, html) = page(&client, &app.url("/signin")).await;
    let csrf = csrf_of(&html);
    let res = post_form(
        &client,
        &app.url("/signin"),
        &[("csrf", &csrf), ("email", email), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(res.status(), 303, "signin redirects");
    client
}

#[tokio::test]
async fn sign_up_in_and_out() {
    let app = spawn_app().await;
    let client = signed_up(&app, "ana@example.com").await;
    let (status, html) = page(&client, &app.url("/dashboard")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Welcome to Onhand") || html.contains("Your dashboard"));
    let account = app.store.account_by_email("ana@example.com").await.unwrap();
    assert_eq!(
        account.time_zone, "America/St_Johns",
        "the browser's zone is kept"
    );

    let csrf = csrf_of(&html);
    let res = post_form(&client, &app.url("/signout"), &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), 303);
    let res = client.get(app.url("/dashboard")).send().await.unwrap();
    assert_eq!(
        res.status(),
        303,
        "signed out: the dashboard sends you to sign in"
    );
    assert_eq!(res.headers()["location"], "/signin");
    assert_eq!(
        app.counts()
            .await
            .iter()
            .find(|(t, _)| t == "sessions")
            .unwrap()
            .1,
        0,
        "the session is gone server side"
    );

    let client = signed_in(&app, "ana@example.com").await;
    assert_eq!(page(&client, &app.url("/dashboard")).await.0, 200);
}

#[tokio::test]
async fn sessions_are_hashed_http_only_and_lax() {
    let app = spawn_app().await;
    let client = app.browser();
    let (_, html) = page(&client, &app.url("/signup")).await;
    let csrf = csrf_of(&html);
    let res = post_form(
        &client,
        &app.url("/signup"),
        &[
            ("csrf", &csrf),
            ("display_name", "Ana"),
            ("email", "ana@example.com"),
            ("password", PASSWORD),
        ],
    )
    .await;
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("onhand_session="))
        .expect("a session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let token = cookie
        .trim_start_matches("onhand_session=")
        .split(';')
        .next()
        .unwrap();
    assert!(token.len() >= 22, "at least 128 bits");
    // The database holds only the hash: the raw token finds no session.
    assert!(app.store.session(token.as_bytes()).await.is_err());
    assert!(
        app.store
            .session(&onhand_web::auth::hash_token(token))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn forms_without_the_right_csrf_token_are_refused() {
    let app = spawn_app().await;
    let client = app.browser();
    page(&client, &app.url("/signup")).await;
    for csrf in ["", "forged-token"] {
        let res = post_form(
            &client,
            &app.url("/signup"),
            &[
                ("csrf", csrf),
                ("display_name", "Mallory"),
                ("email", "m@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
        assert_eq!(res.status(), 403, "csrf {csrf:?}");
    }
    // A token from another browser is no good either.
    let other = app.browser();
    let (_, html) = page(&other, &app.url("/signup")).await;
    let res = post_form(
        &client,
        &app.url("/signup"),
        &[
            ("csrf", &csrf_of(&html)),
            ("display_name", "Mallory"),
            ("email", "m@example.com"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(res.status(), 403);
    // A cross-site post is refused by its Origin even with a token.
    let (_, html) = page(&client, &app.url("/signup")).await;
    let res = client
        .post(app.url("/signup"))
        .header("origin", "https://evil.example")
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("display_name", "Mallory"),
            ("email", "m@example.com"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(
        app.store.account_by_email("m@example.com").await.is_err(),
        "nothing was written"
    );

    // Signed in, the session's own token is required.
    let client = signed_up(&app, "ana@example.com").await;
    let res = post_form(
        &client,
        &app.url("/settings/profile"),
        &[
            ("csrf", "nope"),
            ("display_name", "Hacked"),
            ("time_zone", "UTC"),
        ],
    )
    .await;
    assert_eq!(res.status(), 403);
    assert_eq!(
        app.store
            .account_by_email("ana@example.com")
            .await
            .unwrap()
            .display_name,
        "Ana"
    );
}

#[tokio::test]
async fn idle_sessions_expire() {
    let app = spawn_app_with(|c| c.session_idle = Duration::from_secs(1)).await;
    let client = signed_up(&app, "ana@example.com").await;
    assert_eq!(
        client
            .get(app.url("/dashboard"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        client
            .get(app.url("/dashboard"))
            .send()
            .await
            .unwrap()
            .status(),
        303,
        "idle too long"
    );
}

#[tokio::test]
async fn sessions_end_at_their_absolute_limit() {
    let app = spawn_app_with(|c| c.session_max = Duration::from_secs(2)).await;
    let client = signed_up(&app, "ana@example.com").await;
    for _ in 0..3 {
        assert_eq!(
            client
                .get(app.url("/dashboard"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(
        client
            .get(app.url("/dashboard"))
            .send()
            .await
            .unwrap()
            .status(),
        303,
        "however active, the session ended"
    );
}

#[tokio::test]
async fn changing_the_password_ends_other_sessions() {
    let app = spawn_app().await;
    let first = signed_up(&app, "ana@example.com").await;
    let second = signed_in(&app, "ana@example.com").await;
    let (_, html) = page(&first, &app.url("/settings")).await;
    let res = post_form(
        &first,
        &app.url("/settings/password"),
        &[
            ("csrf", &csrf_of(&html)),
            ("current_password", PASSWORD),
            ("new_password", "a brand new passphrase"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        first
            .get(app.url("/settings"))
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "the session that changed it stays"
    );
    assert_eq!(
        second
            .get(app.url("/settings"))
            .send()
            .await
            .unwrap()
            .status(),
        303,
        "every other session ended"
    );

    let (_, html) = page(&first, &app.url("/settings")).await;
    let res = post_form(
        &first,
        &app.url("/settings/password"),
        &[
            ("csrf", &csrf_of(&html)),
            ("current_password", "not it at all"),
            ("new_password", "another passphrase!"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("is not your current password")
    );
}

#[tokio::test]
async fn failed_sign_ins_are_throttled_per_account() {
    let app = spawn_app().await;
    app.user("ana@example.com", "Ana").await;
    let client = app.browser();
    for _ in 0..5 {
        let (_, html) = page(&client, &app.url("/signin")).await;
        let res = post_form(
            &client,
            &app.url("/signin"),
            &[
                ("csrf", &csrf_of(&html)),
                ("email", "ana@example.com"),
                ("password", "wrong password"),
            ],
        )
        .await;
        assert_eq!(res.status(), 401);
    }
    let (_, html) = page(&client, &app.url("/signin")).await;
    let res = post_form(
        &client,
        &app.url("/signin"),
        &[
            ("csrf", &csrf_of(&html)),
            ("email", "ana@example.com"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(
        res.status(),
        429,
        "even the right password waits out the lock"
    );
    assert!(res.headers().contains_key("retry-after"));
    // The API door shares the same throttle.
    let (status, _) = app
        .post_json(
            "/api/v1/auth/token",
            None,
            serde_json::json!({"email": "ana@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 429);
}

#[tokio::test]
async fn suspended_people_cannot_sign_in_and_are_signed_out() {
    let app = spawn_app().await;
    let op = app.operator("op@example.com").await;
    let client = signed_up(&app, "ana@example.com").await;
    let id = app
        .store
        .account_by_email("ana@example.com")
        .await
        .unwrap()
        .id;
    app.post_json(
        &format!("/api/v1/admin/accounts/{id}/suspend"),
        Some(&op),
        serde_json::json!({"reason": "Spam listings everywhere."}),
    )
    .await;
    assert_eq!(
        client
            .get(app.url("/dashboard"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    let fresh = app.browser();
    let (_, html) = page(&fresh, &app.url("/signin")).await;
    let res = post_form(
        &fresh,
        &app.url("/signin"),
        &[
            ("csrf", &csrf_of(&html)),
            ("email", "ana@example.com"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("suspended"));
}

#[tokio::test]
async fn a_form_with_errors_keeps_what_was_typed() {
    let app = spawn_app().await;
    let client = app.browser();
    let (_, html) = page(&client, &app.url("/signup")).await;
    let res = post_form(
        &client,
        &app.url("/signup"),
        &[
            ("csrf", &csrf_of(&html)),
            ("display_name", "Ana <b>Bold</b>"),
            ("email", "not-an-email"),
            ("password", "short"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("value=\"not-an-email\""), "the email is kept");
    assert!(
        html.contains("Ana &#60;b&#62;Bold&#60;/b&#62;")
            || html.contains("Ana &lt;b&gt;Bold&lt;/b&gt;"),
        "kept and escaped"
    );
    assert!(html.contains("has no @"));
    assert!(html.contains("at least 10"));
}

#[tokio::test]
async fn unapproved_listings_stay_off_the_pages_and_others_cannot_edit() {
    let app = spawn_app().await;
    let op = app.operator("op@example.com").await;
    let (gus, _) = app.provider("gus@example.com", "Gus", &op).await;
    let (status, created) = app
        .post_json("/api/v1/listings", Some(&gus), listing())
        .await;
    assert_eq!(status, 201);
    let id = created["id"].as_i64().unwrap();
    let anon = app.browser();
    assert_eq!(
        page(&anon, &app.url(&format!("/listings/{id}"))).await.0,
        404
    );
    assert!(
        !page(&anon, &app.url("/c/art-music"))
            .await
            .1
            .contains("Your first three guitar chords")
    );

    let other = signed_up(&app, "oda@example.com").await;
    assert_eq!(
        page(&other, &app.url(&format!("/listings/{id}"))).await.0,
        404
    );
    let res = other
        .get(app.url(&format!("/dashboard/listings/{id}/edit")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let (_, html) = page(&other, &app.url("/dashboard")).await;
    let res = post_form(
        &other,
        &app.url(&format!("/dashboard/listings/{id}/pause")),
        &[("csrf", &csrf_of(&html))],
    )
    .await;
    assert_eq!(res.status(), 404);
    assert_eq!(
        page(&other, &app.url("/admin/providers")).await.0,
        403,
        "only operators see the console"
    );

    app.post_json(
        &format!("/api/v1/listings/{id}/submit"),
        Some(&gus),
        serde_json::json!({}),
    )
    .await;
    app.post_json(
        &format!("/api/v1/admin/listings/{id}/approve"),
        Some(&op),
        serde_json::json!({}),
    )
    .await;
    let (status, html) = page(&anon, &app.url("/c/art-music?sub=guitar")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Your first three guitar chords"));
    assert!(
        page(&anon, &app.url(&format!("/listings/{id}")))
            .await
            .1
            .contains("$25.00 per session")
    );
}

#[tokio::test]
async fn providers_edit_their_schedule_in_a_form() {
    let app = spawn_app().await;
    let op = app.operator("op@example.com").await;
    app.provider("gus@example.com", "Gus", &op).await;
    let client = signed_in(&app, "gus@example.com").await;
    let (status, html) = page(&client, &app.url("/dashboard/schedule")).await;
    assert_eq!(status, 200);
    assert!(html.contains("09:00-17:00"), "default hours are shown");
    let csrf = csrf_of(&html);
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("time_zone", "Asia/Kathmandu"),
        ("mon", "08:00-12:00, 13:00-18:00"),
        ("tue", ""),
        ("wed", "10:00-14:00"),
        ("overrides", "2030-12-24: off\n2030-12-28: 10:00-12:00"),
        ("buffer_before_min", "5"),
        ("buffer_after_min", "10"),
        ("notice_min", "120"),
        ("horizon_days", "45"),
        ("step_min", "15"),
    ];
    let res = post_form(&client, &app.url("/dashboard/schedule"), &form).await;
    assert_eq!(res.status(), 303);
    let id = app
        .store
        .account_by_email("gus@example.com")
        .await
        .unwrap()
        .id;
    let a = app.store.availability(id).await.unwrap();
    assert_eq!(a.time_zone.iana_name(), Some("Asia/Kathmandu"));
    assert_eq!(a.weekly[0].len(), 2);
    assert!(a.weekly[1].is_empty());
    assert_eq!(
        (
            a.buffer_before_min,
            a.buffer_after_min,
            a.notice_min,
            a.horizon_days,
            a.step_min
        ),
        (5, 10, 120, 45, 15)
    );
    assert_eq!(a.overrides.len(), 2);

    form[2] = ("mon", "18:00-08:00");
    form[10] = ("step_min", "7");
    let res = post_form(&client, &app.url("/dashboard/schedule"), &form).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("18:00–08:00 is not a time range within one day"),
        "{html}"
    );
    assert!(html.contains("step_min 7 is not one of"), "{html}");
    assert_eq!(
        app.store.availability(id).await.unwrap().step_min,
        15,
        "nothing was saved"
    );
}
