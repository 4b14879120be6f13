//! The username parser: accepts only 3–32 ASCII letters, digits, `_`, `-`, `.`,
//! starting with a letter or digit; never panics.
#![no_main]

use chatcore::Username;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(name) = Username::parse(text) else {
        return;
    };
    let s = name.as_str();
    assert_eq!(s, text);
    assert!((Username::MIN_LEN..=Username::MAX_LEN).contains(&s.len()));
    assert!(s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric()));
    assert!(
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    );
    let normalized = name.normalized();
    assert_eq!(normalized, s.to_ascii_lowercase());
    assert!(Username::parse(&normalized).is_ok());
    // Through JSON, as the REST API reads it.
    let json = serde_json::to_string(&name).expect("encodes");
    let back: Username = serde_json::from_str(&json).expect("decodes");
    assert_eq!(back, name);
});
