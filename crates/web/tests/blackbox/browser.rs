//! The whole path a newcomer takes, in a real headless Chromium: sign up, apply as a
//! provider, get approved, list a helpout, get it approved, find it on its category page.

use crate::common::*;
use fantoccini::{Client, ClientBuilder, Locator};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// chromedriver for the test's lifetime; killed on drop.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn find_binary(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| PathBuf::from(dir).join(name))
        .find(|p| p.is_file())
}

/// Starts chromedriver and a headless Chromium, or says loudly why it cannot.
async fn browser() -> Option<(Driver, Client)> {
    let (Some(driver), Some(chromium)) = (find_binary("chromedriver"), find_binary("chromium"))
    else {
        let msg = "SKIPPED browser test: chromium and chromedriver are not installed (apt-get install chromium chromium-driver)";
        if std::env::var_os("CI").is_some() {
            panic!("{msg}; CI must install them");
        }
        eprintln!("\n*** {msg} ***\n");
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver(child);
    let profile = tempfile::tempdir().unwrap();
    let caps = serde_json::json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1280,1600", format!("--user-data-dir={}", profile.keep().display()),
            ]
        }
    });
    let caps: serde_json::Map<String, serde_json::Value> = caps.as_object().unwrap().clone();
    for _ in 0..50 {
        if let Ok(client) = ClientBuilder::native()
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            return Some((driver, client));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not answer on port {port}");
}

async fn fill(c: &Client, css: &str, text: &str) {
    let el = c
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    el.clear().await.unwrap();
    el.send_keys(text).await.unwrap();
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

async fn sign_in(c: &Client, app: &TestApp, email: &str) {
    c.goto(&app.url("/signin")).await.unwrap();
    fill(c, "#email", email).await;
    fill(c, "#password", PASSWORD).await;
    click(c, "form[action='/signin'] button[type=submit]").await;
}

async fn sign_out(c: &Client) {
    click(c, "form[action='/signout'] button").await;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("nav.nav a[href='/signin']"))
        .await
        .expect("signed out");
}

async fn body_text(c: &Client) -> String {
    c.find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
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
    assert!(body_text(&c).await.contains("Welcome to Onhand"));

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
    c.find(Locator::Css("#country"))
        .await
        .unwrap()
        .select_by_value("PT")
        .await
        .unwrap();
    c.find(Locator::Css("#time_zone"))
        .await
        .unwrap()
        .select_by_value("Europe/Lisbon")
        .await
        .unwrap();
    click(&c, "form[action='/dashboard/apply'] button[type=submit]").await;
    assert!(
        body_text(&c).await.contains("Application sent"),
        "{}",
        body_text(&c).await
    );

    // The operator approves the application.
    sign_out(&c).await;
    sign_in(&c, &app, "op@example.com").await;
    c.goto(&app.url("/admin/providers")).await.unwrap();
    assert!(body_text(&c).await.contains("Paula Pereira"));
    click(&c, "form[action$='/approve'] button").await;
    assert!(body_text(&c).await.contains("Approved"));
    sign_out(&c).await;

    // The new provider lists a helpout and submits it.
    sign_in(&c, &app, "paula@example.com").await;
    assert!(body_text(&c).await.contains("approved provider"));
    click(&c, "a[href='/dashboard/listings/new']").await;
    fill(&c, "#title", "Survival Portuguese for your trip to Lisbon").await;
    fill(&c, "#description", "Learn the phrases you need for cafés, trams and markets, and practise them in short role plays.").await;
    c.find(Locator::Css("#category"))
        .await
        .unwrap()
        .select_by_value("education-careers/languages")
        .await
        .unwrap();
    fill(&c, "#tags", "portuguese, travel").await;
    click(&c, "input[name=languages][value=pt]").await;
    fill(&c, "#price", "18.50").await;
    fill(&c, "#session_minutes", "45").await;
    click(&c, "button[value=submit]").await;
    assert!(
        body_text(&c).await.contains("Sent for review"),
        "{}",
        body_text(&c).await
    );
    sign_out(&c).await;

    // The operator approves the listing.
    sign_in(&c, &app, "op@example.com").await;
    c.goto(&app.url("/admin/listings")).await.unwrap();
    assert!(body_text(&c).await.contains("Survival Portuguese"));
    click(&c, "form[action$='/approve'] button").await;
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
    assert!(body_text(&c).await.contains("$18.50 per session"));

    c.goto(&app.url("/")).await.unwrap();
    let png = c.screenshot().await.unwrap();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("home.png"), png).unwrap();
    c.close().await.unwrap();
}
