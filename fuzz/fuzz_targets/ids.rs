//! The record identifier parsers (path parameters and JSON fields): never panic, and
//! what they accept prints back to an equal identifier.
#![no_main]

use chatcore::{MessageId, RoomId, SessionId, UserId};
use libfuzzer_sys::fuzz_target;

fn check<T>(text: &str)
where
    T: std::str::FromStr + std::fmt::Display + PartialEq + std::fmt::Debug,
{
    if let Ok(id) = text.parse::<T>() {
        let printed = id.to_string();
        let again: T = printed.parse().ok().expect("a printed id parses");
        assert_eq!(again, id);
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    check::<UserId>(text);
    check::<RoomId>(text);
    check::<MessageId>(text);
    check::<SessionId>(text);
});
