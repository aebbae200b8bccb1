//! Any bytes at all: the signaling parser answers Ok or a named error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        match onhand_media::signal::parse(text) {
            Ok(_) => {}
            Err(e) => assert!(!e.0.is_empty()),
        }
    }
});
