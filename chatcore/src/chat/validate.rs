//! Input validation shared by every operation.

use crate::error::{Error, Result};

/// Reject control characters other than newline and tab.
fn check_chars(field: &'static str, s: &str, allow_newlines: bool) -> Result<()> {
    if let Some(c) = s
        .chars()
        .find(|c| c.is_control() && !(allow_newlines && (*c == '\n' || *c == '\t')))
    {
        return Err(Error::invalid(
            field,
            format!("contains a control character (U+{:04X})", u32::from(c)),
        ));
    }
    Ok(())
}

/// Bidirectional formatting characters (ranges, inclusive): the embeddings and
/// overrides U+202A–202E, the isolates U+2066–2069, and the marks U+200E, U+200F and
/// U+061C. They reorder what is shown after them (`n\u{202e}gnp.exe` shows as
/// `nexe.png`), so names, which are shown inline beside other text, refuse them.
pub(crate) const BIDI_CONTROLS: &[(char, char)] = &[
    ('\u{061c}', '\u{061c}'),
    ('\u{200e}', '\u{200f}'),
    ('\u{202a}', '\u{202e}'),
    ('\u{2066}', '\u{2069}'),
];

/// Characters that show nothing (ranges, inclusive): zero-width spaces and joiners,
/// invisible operators, the byte-order mark, fillers (Hangul, Mongolian), variation
/// selectors, the soft hyphen and the blank Braille pattern. A name or message body
/// must have at least one character that is neither one of these, white space nor a
/// bidirectional control; inside visible text they stay allowed (a zero-width joiner
/// joins emoji).
pub(crate) const INVISIBLE: &[(char, char)] = &[
    ('\u{00ad}', '\u{00ad}'),
    ('\u{034f}', '\u{034f}'),
    ('\u{115f}', '\u{1160}'),
    ('\u{17b4}', '\u{17b5}'),
    ('\u{180b}', '\u{180f}'),
    ('\u{200b}', '\u{200d}'),
    ('\u{2060}', '\u{2064}'),
    ('\u{206a}', '\u{206f}'),
    ('\u{2800}', '\u{2800}'),
    ('\u{3164}', '\u{3164}'),
    ('\u{fe00}', '\u{fe0f}'),
    ('\u{feff}', '\u{feff}'),
    ('\u{ffa0}', '\u{ffa0}'),
];

/// Whether `c` is one of [`BIDI_CONTROLS`].
pub(crate) fn is_bidi_control(c: char) -> bool {
    in_ranges(c, BIDI_CONTROLS)
}

fn in_ranges(c: char, ranges: &[(char, char)]) -> bool {
    ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&c))
}

/// Reject the bidirectional controls of [`BIDI_CONTROLS`].
fn check_bidi(field: &'static str, s: &str) -> Result<()> {
    if let Some(c) = s.chars().find(|c| in_ranges(*c, BIDI_CONTROLS)) {
        return Err(Error::invalid(
            field,
            format!(
                "contains a bidirectional control character (U+{:04X})",
                u32::from(c)
            ),
        ));
    }
    Ok(())
}

/// Whether `s` shows something: a character that is not white space, not
/// [`INVISIBLE`] and not a bidirectional control.
pub(crate) fn visible(s: &str) -> bool {
    s.chars()
        .any(|c| !c.is_whitespace() && !in_ranges(c, INVISIBLE) && !in_ranges(c, BIDI_CONTROLS))
}

/// Whether `s` has at most `max_chars` characters (Unicode scalar values, as JSON
/// Schema's `maxLength` counts them).
pub(crate) fn fits(s: &str, max_chars: usize) -> bool {
    // Cheap upper bound first: a string of at most max_chars chars has at most 4× bytes.
    s.len() <= max_chars.saturating_mul(4) && s.chars().count() <= max_chars
}

fn check_len(field: &'static str, s: &str, max_chars: usize) -> Result<()> {
    if !fits(s, max_chars) {
        return Err(Error::TooLarge {
            field,
            limit: max_chars,
        });
    }
    Ok(())
}

// Each rule is checked on the input as sent (length and characters), so that a JSON
// Schema can state it exactly (`chatcore::openapi` writes them into the OpenAPI
// document); what is stored is then trimmed.

/// A one-line name: at most `max` characters, no control characters, no
/// bidirectional controls, at least one visible character; stored trimmed.
pub(crate) fn name(field: &'static str, s: &str, max_chars: usize) -> Result<String> {
    check_len(field, s, max_chars)?;
    check_chars(field, s, false)?;
    check_bidi(field, s)?;
    let s = s.trim();
    if s.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if !visible(s) {
        return Err(Error::invalid(field, "must have a visible character"));
    }
    Ok(s.to_owned())
}

/// Multi-line free text that may be empty: at most `max` characters, no control
/// characters but newline and tab; stored trimmed.
pub(crate) fn text(field: &'static str, s: &str, max_chars: usize) -> Result<String> {
    check_len(field, s, max_chars)?;
    check_chars(field, s, true)?;
    Ok(s.trim().to_owned())
}

/// A message body: as [`text`], and not blank nor invisible only. Kept as written (not trimmed) apart
/// from trailing white space.
pub(crate) fn body(s: &str, max_chars: usize) -> Result<String> {
    check_len("body", s, max_chars)?;
    check_chars("body", s, true)?;
    if s.trim().is_empty() {
        return Err(Error::invalid("body", "must not be empty"));
    }
    if !visible(s) {
        return Err(Error::invalid("body", "must have a visible character"));
    }
    Ok(s.trim_end().to_owned())
}

/// An optional http(s) URL or absolute path, at most `max` characters; `""` is none.
pub(crate) fn url(
    field: &'static str,
    s: Option<&str>,
    max_chars: usize,
) -> Result<Option<String>> {
    let Some(s) = s.filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    check_len(field, s, max_chars)?;
    let lower = s.to_ascii_lowercase();
    let ok_scheme =
        lower.starts_with("https://") || lower.starts_with("http://") || s.starts_with('/');
    if !ok_scheme || s.starts_with("//") || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid(
            field,
            "must be an http(s) URL or a path starting with /",
        ));
    }
    Ok(Some(s.to_owned()))
}

/// Longest email address, in characters.
pub(crate) const MAX_EMAIL_CHARS: usize = 254;

/// An optional email address (`""` is none), lower-cased.
pub(crate) fn email(s: Option<&str>) -> Result<Option<String>> {
    let Some(s) = s.filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    check_len("email", s, MAX_EMAIL_CHARS)?;
    let mut parts = s.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(Error::invalid("email", "not an email address"));
    };
    if local.is_empty()
        || domain.len() < 3
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || s.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(Error::invalid("email", "not an email address"));
    }
    Ok(Some(s.to_lowercase()))
}

/// Most characters of a password the strength estimate looks at: zxcvbn's work grows
/// quickly with length, and a longer password's prefix already shows its patterns.
const STRENGTH_MAX_CHARS: usize = 100;

/// Refuse a new password that zxcvbn scores below `min_score` (0 to 4; 0 accepts
/// everything), with zxcvbn's warning and suggestion as the reason.
pub(crate) fn password_strength(password: &str, min_score: u8) -> Result<()> {
    if min_score == 0 {
        return Ok(());
    }
    let end = password
        .char_indices()
        .nth(STRENGTH_MAX_CHARS)
        .map_or(password.len(), |(i, _)| i);
    let estimate = zxcvbn::zxcvbn(&password[..end], &[]);
    if u8::from(estimate.score()) >= min_score {
        return Ok(());
    }
    let mut reason = String::new();
    if let Some(f) = estimate.feedback() {
        if let Some(w) = f.warning() {
            reason.push_str(&w.to_string());
        }
        if let Some(s) = f.suggestions().first() {
            if !reason.is_empty() {
                reason.push(' ');
            }
            reason.push_str(&s.to_string());
        }
    }
    if reason.is_empty() {
        reason.push_str(
            "It is too easy to guess. Add another word or two. Uncommon words are better.",
        );
    }
    Err(Error::WeakPassword { reason })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(name("n", "  General ", 64).ok().as_deref(), Some("General"));
        assert!(matches!(name("n", "   ", 64), Err(Error::Invalid { .. })));
        assert!(matches!(
            name("n", "a\u{7}b", 64),
            Err(Error::Invalid { .. })
        ));
        assert!(matches!(
            name("n", &"x".repeat(65), 64),
            Err(Error::TooLarge { .. })
        ));
        assert!(name("n", &"é".repeat(64), 64).is_ok());
    }

    #[test]
    fn names_refuse_bidi_controls_and_invisible_only_text() {
        for bad in [
            "n\u{202e}gnp.exe",
            "a\u{202a}b",
            "a\u{2066}b\u{2069}",
            "\u{200f}abc",
            "x\u{061c}",
        ] {
            let err = name("n", bad, 64);
            assert!(
                matches!(&err, Err(Error::Invalid { .. })),
                "{bad:?}: {err:?}"
            );
        }
        for bad in [
            "\u{200b}",
            "\u{200b}\u{200c}\u{200d}",
            " \u{feff} ",
            "\u{3164}",
            "\u{2800}",
        ] {
            assert!(name("n", bad, 64).is_err(), "{bad:?}");
            assert!(body(bad, 64).is_err(), "{bad:?}");
        }
        // Joiners inside visible text stay allowed (emoji sequences), and right-to-left
        // scripts need no control character.
        assert!(name("n", "\u{1f468}\u{200d}\u{1f469}", 64).is_ok());
        assert!(name("n", "\u{05e9}\u{05dc}\u{05d5}\u{05dd}", 64).is_ok());
        assert!(body("a\u{200b}b", 64).is_ok());
        // Messages may carry directional marks (right-to-left writers use them).
        assert!(body("\u{05e9}\u{200f}!", 64).is_ok());
    }

    #[test]
    fn bodies() {
        assert!(body("hi\nthere", 10).is_ok());
        assert!(body(" \n ", 10).is_err());
        assert!(body("a\u{0}", 10).is_err());
        assert!(matches!(
            body(&"a".repeat(11), 10),
            Err(Error::TooLarge { .. })
        ));
    }

    #[test]
    fn urls_and_emails() {
        assert_eq!(url("u", Some(""), 10).ok(), Some(None));
        assert!(url("u", Some("javascript:alert(1)"), 100).is_err());
        assert!(url("u", Some("//evil.example/x"), 100).is_err());
        assert!(url("u", Some("https://x.example/a.png"), 100).is_ok());
        // Checked as sent: white space around is refused, not trimmed away.
        assert!(url("u", Some(" https://x.example/a.png"), 100).is_err());
        assert!(email(Some(" bob@example.com")).is_err());
        assert!(name("n", "General\n", 64).is_err());
        // Lengths count characters, as sent.
        assert!(name("n", &format!(" {}", "x".repeat(64)), 64).is_err());
        assert!(url("u", Some(&format!("/{}", "é".repeat(99))), 100).is_ok());
        assert_eq!(
            email(Some("Bob@Example.com")).ok().flatten().as_deref(),
            Some("bob@example.com")
        );
        assert!(email(Some("bob@")).is_err());
        assert!(email(Some("a@b@c.d")).is_err());
    }

    #[test]
    fn weak_passwords_are_refused_with_a_reason() {
        for weak in [
            "password",
            "12345678",
            "        ",
            "password1",
            "qwertyuiop",
        ] {
            match password_strength(weak, 3) {
                Err(Error::WeakPassword { reason }) => assert!(!reason.is_empty(), "{weak}"),
                other => panic!("{weak:?} was not refused: {other:?}"),
            }
        }
        assert!(password_strength("correct horse battery", 3).is_ok());
        assert!(password_strength("violet tram cellar ninety", 4).is_ok());
        // 0 turns the check off; very long passwords are estimated on their prefix.
        assert!(password_strength("password", 0).is_ok());
        assert!(password_strength(&"correct horse battery ".repeat(11), 3).is_ok());
    }
}
