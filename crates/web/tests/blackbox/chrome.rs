//! Driving headless Chromium for black-box tests: chromedriver in a process group of
//! its own, a browser with the flags a test needs, and the waits and clicks the tests
//! share. Used by this suite and by the binary's multi-node test (`#[path]`), so it holds
//! helpers only, no tests.

use crate::common::*;
use fantoccini::{Client, ClientBuilder, Locator};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// chromedriver for the test's lifetime. It runs in a process group of its own, which
/// the browsers it starts join; the whole group is killed on drop, so a test that fails
/// before closing its browser leaves nothing running.
pub(crate) struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        kill_group(&mut self.0);
    }
}

/// Starts `command` as the leader of a new process group.
pub(crate) fn spawn_group(command: &mut Command) -> std::io::Result<Child> {
    use std::os::unix::process::CommandExt;
    command.process_group(0).spawn()
}

/// Kills a process group started by `spawn_group`, then reaps its leader.
pub(crate) fn kill_group(leader: &mut Child) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", leader.id())])
        .stderr(Stdio::null())
        .status();
    let _ = leader.kill();
    let _ = leader.wait();
}

pub(crate) fn find_binary(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| PathBuf::from(dir).join(name))
        .find(|p| p.is_file())
}

/// Chromium's fake camera and microphone, allowed without a prompt.
pub(crate) const FAKE_MEDIA: [&str; 2] = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
];

/// A browser with extra Chromium flags (a fake camera and microphone, say).
pub(crate) async fn browser_with(extra: &[&str]) -> Option<(Driver, Client)> {
    let (Some(driver), Some(chromium)) = (find_binary("chromedriver"), find_binary("chromium"))
    else {
        let msg = "SKIPPED browser test: chromium and chromedriver are not installed (apt-get install chromium chromium-driver)";
        if std::env::var_os("CI").is_some() {
            panic!("{msg}; CI must install them");
        }
        eprintln!("\n*** {msg} ***\n");
        return None;
    };
    let port = free_port();
    let child = spawn_group(
        Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    )
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
    let mut caps = caps;
    for flag in extra {
        caps["goog:chromeOptions"]["args"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!(flag));
    }
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

/// Finds an element, retrying while a navigation replaces the page.
pub(crate) async fn find(c: &Client, css: &str) -> fantoccini::elements::Element {
    let mut last = None;
    for _ in 0..50 {
        match c.find(Locator::Css(css)).await {
            Ok(el) => return el,
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css}: {last:?}");
}

pub(crate) async fn fill(c: &Client, css: &str, text: &str) {
    for _ in 0..20 {
        let el = find(c, css).await;
        if el.clear().await.is_ok() && el.send_keys(text).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("could not type into {css}");
}

pub(crate) async fn click(c: &Client, css: &str) {
    for _ in 0..20 {
        if find(c, css).await.click().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("could not click {css}");
}

pub(crate) async fn select(c: &Client, css: &str, value: &str) {
    for _ in 0..20 {
        if find(c, css).await.select_by_value(value).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("could not select {value} in {css}");
}

pub(crate) async fn sign_in(c: &Client, app: &TestApp, email: &str) {
    c.goto(&app.url("/signin")).await.unwrap();
    fill(c, "#email", email).await;
    fill(c, "#password", PASSWORD).await;
    click(c, "form[action='/signin'] button[type=submit]").await;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("form[action='/signout']"))
        .await
        .expect("signed in");
}

pub(crate) async fn sign_out(c: &Client) {
    click(c, "form[action='/signout'] button").await;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("nav.nav a[href='/signin']"))
        .await
        .expect("signed out");
}

/// Waits until the page's main content shows `text` (a click's navigation may still be
/// under way when the click returns).
pub(crate) async fn wait_text(c: &Client, text: &str) {
    for _ in 0..100 {
        if body_text(c).await.contains(text) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the page never showed {text:?}; it shows:\n{}",
        body_text(c).await
    );
}

/// The text of the page's main content, or nothing while a navigation replaces it.
pub(crate) async fn body_text(c: &Client) -> String {
    match c.find(Locator::Css("main")).await {
        Ok(main) => main.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// The value of an attribute of the first element matching `css`.
pub(crate) async fn attr(c: &Client, css: &str, name: &str) -> String {
    find(c, css)
        .await
        .attr(name)
        .await
        .unwrap()
        .unwrap_or_default()
}

/// Waits until `check` holds for the attribute, or fails saying what it was.
pub(crate) async fn wait_attr(
    c: &Client,
    css: &str,
    name: &str,
    check: impl Fn(&str) -> bool,
    what: &str,
) {
    let mut last = String::new();
    for _ in 0..300 {
        last = attr(c, css, name).await;
        if check(&last) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "{what}: {css} [{name}] stayed {last:?}; the page shows:\n{}",
        body_text(c).await
    );
}

/// From the booking page into the room, past the lobby.
pub(crate) async fn enter_room(c: &Client, app: &TestApp, id: i64) {
    c.goto(&app.url(&format!("/bookings/{id}"))).await.unwrap();
    click(c, "#enter-room").await;
    wait_text(c, "Join the session").await;
    click(c, "#join").await;
}
