//! Several nodes as one: two `onhand serve` processes on one PostgreSQL database.
//!
//! A buyer on node A asks for help now from a provider whose dashboard is open on node
//! B; the ring crosses (LISTEN/NOTIFY), the provider accepts on B, the buyer's page on A
//! hears it, and both end up in the one room the first node to show it hosts: one of
//! them is sent to the other node's media server, and video flows both ways. A listing
//! approved through B is found by A's search, and the scheduling race runs across both
//! nodes: one slot, 64 buyers split between A and B, exactly one booking.
//!
//! Needs `ONHAND_TEST_POSTGRES_URL` (skipped loudly without it) and Chromium.

#[allow(dead_code)]
#[path = "../../web/tests/blackbox/chrome.rs"]
mod chrome;
#[allow(dead_code)]
#[path = "../../web/tests/blackbox/common.rs"]
mod common;

use chrome::*;
use common::*;
use onhand_store::Store;
use onhand_store::scratch::{ScratchDatabase, test_server};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// One `onhand serve` process, killed on drop.
struct Node {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A node on `database_url`, reachable (and telling browsers to reach it) at its own
/// address; returns once it serves.
fn start_node(database_url: &str) -> Node {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_onhand"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--node-url", &base, "--media-listen", "127.0.0.1:0"])
        .args(["--database-url", database_url, "--data-dir"])
        .arg(dir.path())
        .env("ONHAND_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    loop {
        let line = lines.next().expect("the node prints its address").unwrap();
        if line.starts_with("Onhand is running on ") {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    Node {
        child,
        base,
        _dir: dir,
    }
}

/// Two nodes on a fresh database, and a test client for each.
async fn cluster(what: &str) -> Option<(ScratchDatabase, Node, Node, TestApp, TestApp)> {
    let server = test_server(what)?;
    let database = ScratchDatabase::create(&server).await.unwrap();
    // The test's own handle migrates the database before either node starts.
    let store = Store::open_postgres(&database.url).await.unwrap();
    let (a, b) = (start_node(&database.url), start_node(&database.url));
    let (at_a, at_b) = (
        TestApp::attach(a.base.clone(), store.clone()),
        TestApp::attach(b.base.clone(), store),
    );
    Some((database, a, b, at_a, at_b))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_now_rings_across_nodes_and_both_meet_in_one_room() {
    let Some((_d1, buyer)) = browser_with(&FAKE_MEDIA).await else {
        return;
    };
    let Some((_d2, provider)) = browser_with(&FAKE_MEDIA).await else {
        return;
    };
    let Some((_db, a, b, at_a, at_b)) = cluster("the multi-node help-now test").await else {
        return;
    };
    // Tokens and sessions are the database's: made on one node, good on the other.
    let op = at_a.operator("op@example.com").await;
    let (gus, _) = at_a.provider("gus@example.com", "Gus", &op).await;
    let listing = at_b.live_listing(&gus, &op, "Guitar emergencies").await;
    at_a.user("bea@example.com", "Bea").await;
    // Approved through B, found by A's search index.
    let mut found = false;
    for _ in 0..100 {
        let (status, page) = at_a.get_json("/api/v1/search?q=guitar", None).await;
        assert_eq!(status, 200, "{page}");
        if page["items"]
            .as_array()
            .is_some_and(|items| items.iter().any(|i| i["id"] == listing))
        {
            found = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        found,
        "node A's search never heard of the listing approved on B"
    );

    sign_in(&provider, &at_b, "gus@example.com").await;
    provider.goto(&at_b.url("/dashboard")).await.unwrap();
    click(&provider, "#go-online").await;
    wait_text(&provider, "You are online").await;

    sign_in(&buyer, &at_a, "bea@example.com").await;
    buyer
        .goto(&at_a.url(&format!("/listings/{listing}")))
        .await
        .unwrap();
    click(
        &buyer,
        &format!("form[action='/listings/{listing}/help-now'] button"),
    )
    .await;
    find(&buyer, "[data-help-request]").await;

    wait_text(&provider, "Bea asks for help now").await;
    click(&provider, "#ring-accept button").await;
    wait_text(&provider, "for Bea").await;
    // The buyer's page on A hears of the acceptance on B and goes to the booking.
    let mut booking = None;
    for _ in 0..100 {
        let url = buyer.current_url().await.unwrap();
        if let Some(id) = url
            .path()
            .strip_prefix("/bookings/")
            .and_then(|rest| rest.parse::<i64>().ok())
        {
            booking = Some(id);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let id = booking.expect("the buyer's page on node A went to the new booking");
    assert!(
        buyer
            .current_url()
            .await
            .unwrap()
            .as_str()
            .starts_with(&a.base),
        "the buyer stays on node A"
    );

    enter_room(&provider, &at_b, id).await;
    enter_room(&buyer, &at_a, id).await;
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
    // The provider showed the room first, so B hosts it and the buyer was sent there.
    assert_eq!(attr(&provider, "#room", "data-signal-url").await, "");
    let sent_to = attr(&buyer, "#room", "data-signal-url").await;
    let b_ws = b.base.replace("http://", "ws://");
    assert!(
        sent_to.starts_with(&format!("{b_ws}/bookings/{id}/room/ws?ticket=")),
        "the buyer's page signals to node B: {sent_to:?}"
    );
    // A chat line crosses inside the room.
    fill(&buyer, "#chat-text", "Hello Gus, can you hear me?").await;
    click(&buyer, "#chat-form button[type=submit]").await;
    wait_text(&provider, "Bea: Hello Gus, can you hear me?").await;
    let png = buyer.screenshot().await.unwrap();
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("multinode-buyer-room.png"), png).unwrap();
    buyer.close().await.unwrap();
    provider.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_buyers_on_two_nodes_get_exactly_one_booking_per_slot() {
    let Some((_db, _a, _b, at_a, at_b)) = cluster("the multi-node booking race").await else {
        return;
    };
    let op = at_a.operator("op@example.com").await;
    let (gus, _) = at_a.provider("gus@example.com", "Gus", &op).await;
    let listing = at_a.live_listing(&gus, &op, "Guitar lessons").await;
    let mut buyers = Vec::new();
    for i in 0..64 {
        buyers.push(at_a.quick_user(&format!("b{i}@example.com")).await);
    }
    let open = slots(&at_b, listing, "").await;
    assert!(open.len() > 20, "{open:?}");
    for slot in open.iter().skip(4).step_by(7).take(3) {
        let start = slot["start"].as_str().unwrap();
        let codes = race(&[&at_a, &at_b], &buyers, listing, start).await;
        assert_sold_once(&codes, start);
        let after = slots(&at_a, listing, "").await;
        assert!(
            after.iter().all(|s| s["start"] != slot["start"]),
            "the sold slot is gone on node A too"
        );
    }
    at_a.assert_ledger_sound().await;
}
