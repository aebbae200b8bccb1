//! The `onhand` binary as a user runs it: `serve --demo`, then SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Kills the server if the test fails before stopping it.
struct Guard(u32);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", &self.0.to_string()])
            .stderr(Stdio::null())
            .status();
    }
}

#[tokio::test]
async fn serve_demo_answers_and_shuts_down_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_onhand"))
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("ONHAND_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let _guard = Guard(child.id());
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut lines = stdout.lines();
    let mut printed = String::new();
    let base = loop {
        let line = lines
            .next()
            .expect("the server prints its address")
            .unwrap();
        printed.push_str(&line);
        printed.push('\n');
        if let Some(url) = line.strip_prefix("Onhand is running on ") {
            break url.to_string();
        }
    };
    assert!(
        printed.contains("operator@demo.onhand.test"),
        "credentials are printed: {printed}"
    );
    let home = reqwest::get(&base).await.unwrap();
    assert_eq!(home.status(), 200);
    assert!(home.text().await.unwrap().contains("Browse by category"));

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    loop {
        if let Some(exit) = child.try_wait().unwrap() {
            assert!(exit.success(), "graceful shutdown exits 0, got {exit:?}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the server stops after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(dir.path().join("onhand.sqlite3").exists());
}

#[test]
fn admin_create_prints_a_password_and_refuses_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_onhand"))
            .args([
                "admin",
                "create",
                "--email",
                "root@example.com",
                "--data-dir",
            ])
            .arg(dir.path())
            .env("ONHAND_LOG", "warn")
            .output()
            .unwrap()
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stdout).contains("password: "));
    let second = run();
    assert!(!second.status.success());
    assert!(String::from_utf8_lossy(&second.stderr).contains("already has an account"));
}

/// `onhand demo` on SQLite, `onhand migrate-to` into an empty PostgreSQL database, and
/// the same installation served from PostgreSQL: the demo's listings and operator are
/// there. Running migrate-to again refuses the now non-empty database.
#[tokio::test]
async fn migrate_to_moves_a_sqlite_installation_to_postgres() {
    let Some(server) = onhand_store::scratch::test_server("onhand migrate-to") else {
        return;
    };
    let database = onhand_store::scratch::ScratchDatabase::create(&server)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let onhand = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_onhand"))
            .args(args)
            .arg("--data-dir")
            .arg(dir.path())
            .env("ONHAND_LOG", "warn")
            .output()
            .unwrap()
    };
    let seeded = onhand(&["demo"]);
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    let moved = onhand(&["migrate-to", "--database-url", &database.url]);
    let said = String::from_utf8_lossy(&moved.stdout).to_string();
    assert!(
        moved.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&moved.stderr)
    );
    assert!(said.contains("the ledger replays"), "{said}");
    assert!(said.contains("listings"), "{said}");

    let sqlite = onhand_store::Store::open_sqlite(dir.path()).await.unwrap();
    let postgres = onhand_store::Store::open_postgres(&database.url)
        .await
        .unwrap();
    assert_eq!(
        sqlite.row_counts().await.unwrap(),
        postgres.row_counts().await.unwrap(),
        "every table has its rows"
    );
    postgres.verify_ledger().await.unwrap().unwrap();
    assert!(
        postgres
            .account_by_email("operator@demo.onhand.test")
            .await
            .is_ok()
    );

    let again = onhand(&["migrate-to", "--database-url", &database.url]);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("not empty"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let without = onhand(&["migrate-to"]);
    assert!(!without.status.success());
    assert!(String::from_utf8_lossy(&without.stderr).contains("needs --database-url"));
    postgres.close().await;
    sqlite.close().await;
}
