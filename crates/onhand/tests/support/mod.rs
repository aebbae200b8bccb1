//! Starting the real `onhand` binary for a test, and killing it when the test ends.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `onhand serve` on a free port with `dir` as its data folder, `--demo` when asked;
/// returns once it prints its address.
pub fn start(dir: &Path, demo: bool) -> Server {
    let mut args = vec!["serve", "--listen", "127.0.0.1:0", "--data-dir"];
    if demo {
        args.insert(1, "--demo");
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_onhand"))
        .args(&args)
        .arg(dir)
        .env("ONHAND_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut lines = stdout.lines();
    let base = loop {
        let line = lines
            .next()
            .expect("the server prints its address")
            .unwrap();
        if let Some(url) = line.strip_prefix("Onhand is running on ") {
            break url.to_string();
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, base }
}
