//! The room in Firefox, meeting Chromium: Firefox speaks WebDriver BiDi itself (no
//! geckodriver), so this drives it over that WebSocket with a few commands.

use crate::browser::{
    FAKE_MEDIA, browser_with, enter_room, find_binary, kill_group, per_minute_session_now, sign_in,
    spawn_group, wait_attr, wait_text,
};
use crate::common::*;
use futures_util::{SinkExt, StreamExt};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A headless Firefox with a fresh profile: fake camera and microphone, no permission
/// prompts, real host addresses in candidates (not mDNS names).
struct Firefox {
    child: Child,
    ws: Socket,
    next: u64,
    context: String,
    _profile: tempfile::TempDir,
}

impl Drop for Firefox {
    fn drop(&mut self) {
        // Its content processes too.
        kill_group(&mut self.child);
    }
}

impl Firefox {
    async fn start() -> Option<Firefox> {
        let Some(binary) = find_binary("firefox").or_else(|| find_binary("firefox-esr")) else {
            let msg =
                "SKIPPED Firefox test: firefox is not installed (apt-get install firefox-esr)";
            if std::env::var_os("CI").is_some() {
                panic!("{msg}; CI must install it");
            }
            eprintln!("\n*** {msg} ***\n");
            return None;
        };
        let profile = tempfile::tempdir().unwrap();
        std::fs::write(
            profile.path().join("user.js"),
            [
                "media.navigator.streams.fake",
                "media.navigator.permission.disabled",
            ]
            .iter()
            .map(|p| format!("user_pref(\"{p}\", true);\n"))
            .collect::<String>()
                + "user_pref(\"media.peerconnection.ice.obfuscate_host_addresses\", false);\n\
                   user_pref(\"media.autoplay.default\", 0);\n\
                   user_pref(\"browser.shell.checkDefaultBrowser\", false);\n",
        )
        .unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = spawn_group(
            Command::new(binary)
                .args(["--headless", "--no-remote", "--profile"])
                .arg(profile.path())
                .args(["--remote-debugging-port", &port.to_string(), "about:blank"])
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        )
        .expect("firefox starts");
        let mut ws = None;
        for _ in 0..300 {
            if let Ok((socket, _)) =
                tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/session")).await
            {
                ws = Some(socket);
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut ff = Firefox {
            child,
            ws: ws.expect("firefox opens WebDriver BiDi"),
            next: 0,
            context: String::new(),
            _profile: profile,
        };
        ff.command("session.new", serde_json::json!({"capabilities": {}}))
            .await
            .expect("a BiDi session");
        let tree = ff
            .command("browsingContext.getTree", serde_json::json!({}))
            .await
            .unwrap();
        ff.context = tree["contexts"][0]["context"].as_str().unwrap().to_string();
        // For failures: every peer connection's ICE states and, when it fails, its candidate pairs.
        ff.command(
            "script.addPreloadScript",
            serde_json::json!({"functionDeclaration": RTC_LOG}),
        )
        .await
        .unwrap();
        Some(ff)
    }

    /// Sends one command and waits for its answer (events are not subscribed to).
    async fn command(
        &mut self,
        method: &str,
        params: serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        self.next += 1;
        let id = self.next;
        let message = serde_json::json!({"id": id, "method": method, "params": params});
        self.ws
            .send(Message::Text(message.to_string().into()))
            .await
            .unwrap();
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(30), self.ws.next())
                .await
                .unwrap_or_else(|_| panic!("firefox did not answer {method}"))
                .expect("firefox closed its socket")
                .unwrap();
            let Message::Text(text) = frame else { continue };
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            if v["id"] != id {
                continue;
            }
            return match v["type"].as_str() {
                Some("success") => Ok(v["result"].clone()),
                _ => Err(format!("{method}: {v}")),
            };
        }
    }

    async fn goto(&mut self, url: &str) {
        let context = self.context.clone();
        self.command(
            "browsingContext.navigate",
            serde_json::json!({"context": context, "url": url, "wait": "complete"}),
        )
        .await
        .unwrap();
    }

    /// Evaluates a script in the page (awaiting a promise); its value as JSON, or an error
    /// (a script exception, or the page navigating away).
    async fn eval(&mut self, script: &str) -> Result<serde_json::Value, String> {
        let context = self.context.clone();
        let r = self
            .command(
                "script.evaluate",
                serde_json::json!({"expression": script, "target": {"context": context}, "awaitPromise": true}),
            )
            .await?;
        if r["type"] == "exception" {
            return Err(r["exceptionDetails"]["text"].to_string());
        }
        Ok(r["result"]["value"].clone())
    }

    /// Waits until `script` evaluates to true.
    async fn wait_for(&mut self, script: &str, what: &str) {
        let mut last = Err(String::new());
        for _ in 0..300 {
            last = self.eval(script).await;
            if last == Ok(serde_json::json!(true)) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let page = self.eval("document.body.innerText").await;
        let room = self
            .eval("JSON.stringify(Object.assign({}, (document.getElementById('room') || {}).dataset))")
            .await;
        let rtc = self.eval("JSON.stringify(window.__rtcLog || [])").await;
        panic!(
            "{what}: `{script}` stayed {last:?}; the room says {room:?}; WebRTC: {rtc:?}; the page shows:\n{page:?}"
        );
    }
}

/// The address this machine reaches the outside from (a routing lookup; nothing is sent).
fn outward_ip() -> Option<std::net::IpAddr> {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("192.0.2.254:9").ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

const RTC_LOG: &str = r#"() => {
  window.__rtcLog = [];
  const Original = window.RTCPeerConnection;
  window.RTCPeerConnection = function (...args) {
    const pc = new Original(...args);
    const log = (what) => window.__rtcLog.push(what);
    pc.addEventListener("iceconnectionstatechange", async () => {
      log("ice " + pc.iceConnectionState);
      if (pc.iceConnectionState === "failed" || pc.iceConnectionState === "connected") {
        (await pc.getStats()).forEach((r) => {
          if (r.type === "candidate-pair" || r.type === "local-candidate" || r.type === "remote-candidate") {
            log(JSON.stringify(r));
          }
        });
      }
    });
    pc.addEventListener("connectionstatechange", () => log("pc " + pc.connectionState));
    pc.addEventListener("signalingstatechange", () => log("signaling " + pc.signalingState));
    return pc;
  };
  window.RTCPeerConnection.prototype = Original.prototype;
}"#;

#[tokio::test]
async fn firefox_and_chromium_meet_in_one_room() {
    let Some((_driver, provider)) = browser_with(&FAKE_MEDIA).await else {
        return;
    };
    let Some(mut buyer) = Firefox::start().await else {
        return;
    };
    // Firefox never pairs with loopback candidates, so the media server listens on the
    // machine's outward address here.
    let Some(ip) = outward_ip() else {
        let msg = "SKIPPED Firefox test: this machine has no address but loopback";
        if std::env::var_os("CI").is_some() {
            panic!("{msg}");
        }
        eprintln!("\n*** {msg} ***\n");
        return;
    };
    let app = spawn_app_with(|c| {
        c.media_listen = std::net::SocketAddr::new(ip, 0);
    })
    .await;
    let (_, _, id) = per_minute_session_now(&app).await;

    // The buyer signs in with Firefox, through the form.
    buyer.goto(&app.url("/signin")).await;
    buyer
        .eval(&format!(
            "document.querySelector('#email').value = 'bea@example.com';\
             document.querySelector('#password').value = {};\
             document.querySelector(\"form[action='/signin'] button[type=submit]\").click(); true",
            serde_json::json!(PASSWORD)
        ))
        .await
        .unwrap();
    buyer
        .wait_for(
            "document.querySelector(\"form[action='/signout']\") !== null",
            "Firefox signs in",
        )
        .await;
    sign_in(&provider, &app, "gus@example.com").await;

    enter_room(&provider, &app, id).await;
    buyer.goto(&app.url(&format!("/bookings/{id}/room"))).await;
    buyer
        .wait_for("document.getElementById('join') !== null && !!document.getElementById('preview').srcObject", "Firefox previews its camera")
        .await;
    buyer
        .eval("document.getElementById('join').click(); true")
        .await
        .unwrap();

    // Each decodes the other's video.
    buyer
        .wait_for(
            "Number(document.getElementById('room').dataset.framesDecoded || 0) > 10",
            "Firefox decodes Chromium's video",
        )
        .await;
    wait_attr(
        &provider,
        "#room",
        "data-frames-decoded",
        |v| v.parse::<u64>().unwrap_or(0) > 10,
        "Chromium decodes Firefox's video",
    )
    .await;
    // Chat crosses from Firefox to Chromium.
    buyer
        .eval(
            "document.getElementById('chat-text').value = 'Hello from Firefox';\
             document.querySelector('#chat-form button[type=submit]').click(); true",
        )
        .await
        .unwrap();
    wait_text(&provider, "Bea: Hello from Firefox").await;
    provider.close().await.unwrap();
}
