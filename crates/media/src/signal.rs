//! The signaling protocol between a room page and the server, version 1: JSON text
//! frames over the room's WebSocket. Every message carries `"v": 1` and a `"type"`.
//!
//! Client to server:
//! - `{"v":1,"type":"join","sdp":"<offer>"}`: first message; the answer comes back.
//! - `{"v":1,"type":"answer","sdp":"<answer>"}`: the answer to a server `offer`.
//! - `{"v":1,"type":"chat","text":"..."}`: 1–2000 characters, kept as the transcript.
//! - `{"v":1,"type":"cap","minor":1234}`: the buyer's spending cap (per-minute sessions).
//! - `{"v":1,"type":"leave"}`: leaving now (the page is closing).
//! - `{"v":1,"type":"end"}`: the provider ends the session for everyone.
//!
//! Server to client: `answer`, `offer` (with `sdp`), `joined` (who is in the room),
//! `chat` (`from`, `text`, `at`), `meter` (`seconds`, `cost_minor`, `cap_minor`),
//! `ended` (`reason`), `error` (`message`).
//!
//! Architecture invariant: `parse` never panics, whatever the bytes; anything it does not
//! understand is an error that says what was wrong.

use serde::{Deserialize, Serialize};

pub const VERSION: u32 = 1;
/// The largest frame accepted (an SDP offer with many m-lines is ~10 kB).
pub const FRAME_MAX: usize = 64 * 1024;
pub const CHAT_CHARS_MAX: usize = 2000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientMessage {
    Join { sdp: String },
    Answer { sdp: String },
    Chat { text: String },
    Cap { minor: i64 },
    Leave,
    End,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    v: u32,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    sdp: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    minor: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SignalError(pub String);

fn err(m: impl Into<String>) -> SignalError {
    SignalError(m.into())
}

/// Reads one client frame.
pub fn parse(frame: &str) -> Result<ClientMessage, SignalError> {
    if frame.len() > FRAME_MAX {
        return Err(err(format!(
            "the message is {} bytes; at most {FRAME_MAX} are accepted",
            frame.len()
        )));
    }
    let raw: Raw = serde_json::from_str(frame)
        .map_err(|e| err(format!("the message is not protocol JSON: {e}")))?;
    if raw.v != VERSION {
        return Err(err(format!(
            "protocol version {} is not supported; this server speaks {VERSION}",
            raw.v
        )));
    }
    let sdp = |s: Option<String>| -> Result<String, SignalError> {
        let s = s.ok_or_else(|| err(format!("a {} message needs \"sdp\"", raw.kind)))?;
        if !s.starts_with("v=0") {
            return Err(err(
                "\"sdp\" is not a session description (it must start with v=0)",
            ));
        }
        Ok(s)
    };
    let only = |ok: bool| -> Result<(), SignalError> {
        if ok {
            Ok(())
        } else {
            Err(err(format!("a {} message takes no other fields", raw.kind)))
        }
    };
    match raw.kind.as_str() {
        "join" => {
            only(raw.text.is_none() && raw.minor.is_none())?;
            Ok(ClientMessage::Join { sdp: sdp(raw.sdp)? })
        }
        "answer" => {
            only(raw.text.is_none() && raw.minor.is_none())?;
            Ok(ClientMessage::Answer { sdp: sdp(raw.sdp)? })
        }
        "chat" => {
            only(raw.sdp.is_none() && raw.minor.is_none())?;
            let text = raw
                .text
                .ok_or_else(|| err("a chat message needs \"text\""))?;
            let text = text.trim().to_string();
            let chars = text.chars().count();
            if chars == 0 || chars > CHAT_CHARS_MAX {
                return Err(err(format!(
                    "chat text is {chars} characters; it must be 1 to {CHAT_CHARS_MAX}"
                )));
            }
            if text
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t')
            {
                return Err(err("chat text must not contain control characters"));
            }
            Ok(ClientMessage::Chat { text })
        }
        "cap" => {
            only(raw.sdp.is_none() && raw.text.is_none())?;
            let minor = raw
                .minor
                .ok_or_else(|| err("a cap message needs \"minor\""))?;
            if !(0..=100_000_000).contains(&minor) {
                return Err(err(format!(
                    "a cap of {minor} is not in 0..=100000000 (minor units)"
                )));
            }
            Ok(ClientMessage::Cap { minor })
        }
        "leave" => {
            only(raw.sdp.is_none() && raw.text.is_none() && raw.minor.is_none())?;
            Ok(ClientMessage::Leave)
        }
        "end" => {
            only(raw.sdp.is_none() && raw.text.is_none() && raw.minor.is_none())?;
            Ok(ClientMessage::End)
        }
        other => Err(err(format!(
            "{other:?} is not one of join, answer, chat, cap, leave, end"
        ))),
    }
}

/// What the server sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    Answer {
        sdp: String,
    },
    Offer {
        sdp: String,
    },
    Joined {
        participants: Vec<Participant>,
    },
    Chat {
        from: String,
        text: String,
        at: String,
    },
    Meter {
        seconds: u64,
        cost_minor: i64,
        cap_minor: Option<i64>,
    },
    Ended {
        reason: String,
    },
    Error {
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Participant {
    pub name: String,
    pub role: String,
    pub connected: bool,
}

impl ServerMessage {
    /// The frame, with the protocol version.
    pub fn to_frame(&self) -> String {
        let mut v = serde_json::to_value(self).expect("server messages serialize");
        v["v"] = serde_json::json!(VERSION);
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_message_parses_and_each_mistake_is_named() {
        assert_eq!(
            parse(r#"{"v":1,"type":"chat","text":"  hi "}"#).unwrap(),
            ClientMessage::Chat { text: "hi".into() }
        );
        assert_eq!(
            parse(r#"{"v":1,"type":"leave"}"#).unwrap(),
            ClientMessage::Leave
        );
        assert_eq!(
            parse(r#"{"v":1,"type":"cap","minor":500}"#).unwrap(),
            ClientMessage::Cap { minor: 500 }
        );
        assert!(matches!(
            parse(r#"{"v":1,"type":"join","sdp":"v=0\r\n"}"#),
            Ok(ClientMessage::Join { .. })
        ));
        for (frame, says) in [
            ("", "not protocol JSON"),
            ("[]", "not protocol JSON"),
            (r#"{"v":2,"type":"leave"}"#, "version 2"),
            (r#"{"v":1,"type":"dance"}"#, "\"dance\" is not one of"),
            (r#"{"v":1,"type":"join"}"#, "needs \"sdp\""),
            (r#"{"v":1,"type":"join","sdp":"hello"}"#, "start with v=0"),
            (r#"{"v":1,"type":"chat","text":""}"#, "1 to 2000"),
            (r#"{"v":1,"type":"chat","text":"a\u0000b"}"#, "control"),
            (r#"{"v":1,"type":"leave","text":"x"}"#, "no other fields"),
            (r#"{"v":1,"type":"leave","extra":1}"#, "unknown field"),
            (r#"{"v":1,"type":"cap","minor":-1}"#, "not in"),
        ] {
            let e = parse(frame).unwrap_err();
            assert!(e.0.contains(says), "{frame}: {e}");
        }
        let big = format!(
            r#"{{"v":1,"type":"chat","text":"{}"}}"#,
            "x".repeat(FRAME_MAX)
        );
        assert!(parse(&big).unwrap_err().0.contains("at most"));
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_parsed_or_refused_never_a_panic(s in ".{0,300}") {
            let _ = parse(&s);
        }

        #[test]
        fn json_shaped_garbage_is_refused_with_a_message(kind in "[a-z]{0,8}", v in 0u32..3, sdp in ".{0,20}", n in proptest::num::i64::ANY) {
            let frame = serde_json::json!({"v": v, "type": kind, "sdp": sdp, "minor": n}).to_string();
            if let Err(e) = parse(&frame) {
                proptest::prop_assert!(!e.0.is_empty());
            }
        }
    }

    #[test]
    fn server_frames_carry_the_version() {
        let f = ServerMessage::Ended {
            reason: "the provider ended the session".into(),
        }
        .to_frame();
        let v: serde_json::Value = serde_json::from_str(&f).unwrap();
        assert_eq!(
            (v["v"].as_u64(), v["type"].as_str()),
            (Some(1), Some("ended"))
        );
    }
}
