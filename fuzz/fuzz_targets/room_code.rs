//! The room-code parser: accepts exactly 8 ASCII letters and digits (white space
//! around them ignored), upper-cased; never panics.
#![no_main]

use chatcore::RoomCode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(code) = RoomCode::parse(text) else {
        return;
    };
    let s = code.as_str();
    assert_eq!(s.len(), RoomCode::LEN);
    assert!(s.bytes().all(|b| RoomCode::ALPHABET.contains(&b)));
    assert!(s.eq_ignore_ascii_case(text.trim()));
    assert_eq!(RoomCode::parse(s).expect("canonical form parses"), code);
    let json = serde_json::to_string(&code).expect("encodes");
    let back: RoomCode = serde_json::from_str(&json).expect("decodes");
    assert_eq!(back, code);
});
