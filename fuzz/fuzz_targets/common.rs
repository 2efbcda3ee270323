//! What every fuzz target checks of an error: a status with a code, a message a person can read, and no
//! NUL byte or control character anywhere in the message or the attempts (C reads them with `strlen`).

use importkit::Error;

#[allow(dead_code)]
pub fn check_error(e: &Error) {
    check_text("message", e.message());
    if let Some(m) = e.module() {
        check_text("module", m);
    }
    for a in e.attempts() {
        check_text("attempt place", &a.place);
        check_text("attempt reason", &a.reason);
    }
    assert!(!e.message().is_empty(), "an error without a message: {e:?}");
    // Errors stay readable: summarised, never megabytes.
    assert!(e.message().len() <= 64 * 1024, "a message of {} bytes", e.message().len());
}

#[allow(dead_code)]
pub fn check_text(what: &str, s: &str) {
    assert!(!s.chars().any(char::is_control), "{what} has a control character: {s:?}");
}

/// Splits fuzz input into up to `n` pieces at the byte 0xff (never part of UTF-8).
#[allow(dead_code)]
pub fn pieces(data: &[u8], n: usize) -> Vec<&[u8]> {
    data.splitn(n, |b| *b == 0xff).collect()
}
