//! The WebSocket command decoder: any text a client sends is either refused or decoded
//! into a frame that survives a round trip; it never panics.
#![no_main]

use chatcore::protocol::ClientFrame;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Exactly what the server does with a text frame.
    let Ok(frame) = serde_json::from_str::<ClientFrame>(text) else {
        // The server then looks for a request id to echo; that must not panic either.
        let _ = serde_json::from_str::<serde_json::Value>(text);
        return;
    };
    let encoded = serde_json::to_string(&frame).expect("a decoded frame encodes");
    let again: ClientFrame = serde_json::from_str(&encoded).expect("an encoded frame decodes");
    assert_eq!(frame, again);
});
