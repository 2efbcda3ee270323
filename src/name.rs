//! Module names: validation under a profile, relative resolution from (package, level) as
//! `importlib._bootstrap._resolve_name` does it, and the trailing `.__init__` normalisation.

use std::borrow::Cow;

use crate::error::{Error, ErrorCode, Result};
use crate::limits::{MAX_NAME_LEN, MAX_NAME_SEGMENTS, MAX_SHOWN_NAME};
use crate::profile::{IdentifierRule, Profile};

fn invalid(name: &str, why: &str) -> Error {
    let shown: String = name.chars().take(MAX_SHOWN_NAME).collect();
    let more = if shown.len() < name.len() { "..." } else { "" };
    Error::new(ErrorCode::InvalidName, format!("invalid module name '{}{more}': {why}", shown.escape_debug()))
}

/// Checks an absolute dotted name: not empty, no empty segment (so no leading, trailing or doubled dot), no
/// `/`, `\` or NUL, every segment an identifier under the profile (any text under [`IdentifierRule::Any`]),
/// within the length limits.
pub fn validate(name: &str, profile: &Profile) -> Result<()> {
    if is_plain_ascii_name(name, profile.identifiers()) {
        return Ok(());
    }
    validate_slowly(name, profile)
}

/// What a byte may be in a plain name, one bit each: not allowed at all; not allowed first in a segment;
/// the dot that ends a segment.
const BAD: u8 = 1;
const NOT_FIRST: u8 = 2;
const DOT: u8 = 4;

const fn classes(rule: IdentifierRule) -> [u8; 256] {
    let mut t = [BAD; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = match c {
            b'.' => NOT_FIRST | DOT,
            b'/' | b'\\' | 0 => BAD,
            _ if matches!(rule, IdentifierRule::Any) => 0,
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => 0,
            b'0'..=b'9' if matches!(rule, IdentifierRule::Lua) => 0,
            b'0'..=b'9' => NOT_FIRST,
            b'-' if matches!(rule, IdentifierRule::Lua) => 0,
            _ => BAD,
        };
        b += 1;
    }
    t
}

static PYTHON_CLASSES: [u8; 256] = classes(IdentifierRule::Python);
static LUA_CLASSES: [u8; 256] = classes(IdentifierRule::Lua);
static ANY_CLASSES: [u8; 256] = classes(IdentifierRule::Any);

/// One pass over the bytes for the common case: ASCII segments of `[A-Za-z_][A-Za-z0-9_]*` (Python) or
/// `[A-Za-z0-9_-]+` (Lua) or anything but `/`, `\\` and NUL (Any: non-ASCII bytes too) joined by single dots,
/// within the limits. Anything else takes the full check,
/// which also says what is wrong. Branch-free per byte: a table lookup and a few bit operations.
fn is_plain_ascii_name(name: &str, rule: IdentifierRule) -> bool {
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.len() > MAX_NAME_LEN {
        return false;
    }
    let table = match rule {
        IdentifierRule::Python => &PYTHON_CLASSES,
        IdentifierRule::Lua => &LUA_CLASSES,
        IdentifierRule::Any => &ANY_CLASSES,
    };
    // `first` is NOT_FIRST at a segment's first byte, else 0.
    let mut first = NOT_FIRST;
    let mut bad = 0u8;
    let mut dots = 0usize;
    for &b in bytes {
        let c = table[b as usize];
        bad |= (c & BAD) | (c & first);
        let dot = c & DOT;
        first = dot >> 1;
        dots += usize::from(dot >> 2);
    }
    bad == 0 && first == 0 && dots < MAX_NAME_SEGMENTS
}

fn validate_slowly(name: &str, profile: &Profile) -> Result<()> {
    if name.is_empty() {
        return Err(Error::new(ErrorCode::InvalidName, "Empty module name"));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(invalid(name, &format!("{} bytes is over the limit of {MAX_NAME_LEN}", name.len())));
    }
    if let Some(c) = name.bytes().find(|c| matches!(c, b'/' | b'\\' | b'\0')) {
        let c = c as char;
        return Err(invalid(name, &format!("'{}' is not allowed in a module name", c.escape_debug())));
    }
    if name.starts_with('.') {
        return Err(invalid(name, "a leading '.' makes a relative name; give the package to resolve it against"));
    }
    let mut segments = 0;
    for segment in name.split('.') {
        segments += 1;
        if segment.is_empty() {
            return Err(invalid(name, "empty segment (a trailing or doubled '.')"));
        }
        if !is_identifier(segment, profile.identifiers()) {
            return Err(invalid(name, &format!("segment '{}' is not an identifier", segment.escape_debug())));
        }
    }
    if segments > MAX_NAME_SEGMENTS {
        return Err(invalid(name, &format!("{segments} segments is over the limit of {MAX_NAME_SEGMENTS}")));
    }
    Ok(())
}

fn is_identifier(segment: &str, rule: IdentifierRule) -> bool {
    match rule {
        IdentifierRule::Python if segment.is_ascii() => {
            let b = segment.as_bytes();
            (b[0] == b'_' || b[0].is_ascii_alphabetic()) && b.iter().all(|c| *c == b'_' || c.is_ascii_alphanumeric())
        }
        IdentifierRule::Python => {
            let mut chars = segment.chars();
            let first = chars.next();
            first.is_some_and(|c| c == '_' || unicode_ident::is_xid_start(c))
                && chars.all(unicode_ident::is_xid_continue)
        }
        IdentifierRule::Lua => segment.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
        IdentifierRule::Any => true,
    }
}

/// Removes one trailing `.<init stem>` (`foo.__init__` is `foo`), as an in-memory importer must for code in
/// the wild that writes `from .__init__ import x`. A top-level name equal to the stem is left alone.
pub fn normalize_init<'a>(name: &'a str, profile: &Profile) -> &'a str {
    let stem = profile.init_stem();
    match name.strip_suffix(stem).and_then(|n| n.strip_suffix('.')) {
        Some(head) if !head.is_empty() => head,
        _ => name,
    }
}

/// Splits `..a.b` into (`a.b`, 2): the leading dots of a name written as a relative import.
pub fn split_level(name: &str) -> (&str, usize) {
    let rest = name.trim_start_matches('.');
    (rest, name.len() - rest.len())
}

/// Resolves `name` at `level` against `package`, with CPython's checks and messages
/// (`_sanity_check` and `_resolve_name`). Returns the absolute name, not yet validated or normalised.
pub fn resolve<'a>(name: &'a str, package: Option<&str>, level: usize) -> Result<Cow<'a, str>> {
    if level == 0 {
        if name.is_empty() {
            return Err(Error::new(ErrorCode::InvalidName, "Empty module name"));
        }
        return Ok(Cow::Borrowed(name));
    }
    let package = match package {
        Some(p) if !p.is_empty() => p,
        _ => return Err(Error::new(ErrorCode::Import, "attempted relative import with no known parent package")),
    };
    // package.rsplit('.', level - 1) must give `level` parts; the first is the base.
    let mut base = package;
    for _ in 1..level {
        match base.rfind('.') {
            Some(i) => base = &base[..i],
            None => return Err(Error::new(ErrorCode::Import, "attempted relative import beyond top-level package")),
        }
    }
    Ok(Cow::Owned(if name.is_empty() { base.to_owned() } else { format!("{base}.{name}") }))
}

/// Where the last `.` of a name is (a byte loop: names are short, and this runs on every lookup).
fn last_dot(name: &str) -> Option<usize> {
    name.bytes().rposition(|b| b == b'.')
}

/// The parent of a dotted name (`a.b.c` -> `a.b`), or `None` for a top-level name.
pub fn parent(name: &str) -> Option<&str> {
    last_dot(name).map(|i| &name[..i])
}

/// The last segment of a dotted name.
pub fn tail(name: &str) -> &str {
    last_dot(name).map_or(name, |i| &name[i + 1..])
}

/// The first segment of a dotted name.
pub fn top_level(name: &str) -> &str {
    name.split('.').next().unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn py() -> Profile {
        Profile::python()
    }

    #[test]
    fn valid_names() {
        for n in ["a", "a.b.c", "_x", "ünïcode.名前", "a1.b_2", "if"] {
            validate(n, &py()).unwrap_or_else(|e| panic!("{n}: {e}"));
        }
    }

    /// Names no identifier rule takes, and what the message says.
    const REFUSED_BY_EVERY_RULE: [(&str, &str); 7] = [
        ("", "Empty module name"),
        (".a", "leading '.'"),
        ("a.", "empty segment"),
        ("a..b", "empty segment"),
        ("a/b", "'/' is not allowed"),
        ("a\\b", "'\\\\' is not allowed"),
        ("a\0b", "'\\0' is not allowed"),
    ];

    #[test]
    fn invalid_names_are_refused_with_the_reason() {
        let cases = REFUSED_BY_EVERY_RULE.into_iter().chain([
            ("1a", "segment '1a' is not an identifier"),
            ("a.b-c", "segment 'b-c' is not an identifier"),
            ("a b", "not an identifier"),
        ]);
        for (n, why) in cases {
            let e = validate(n, &py()).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidName, "{n}");
            assert!(e.message().contains(why), "{n}: {}", e.message());
        }
        let long = "a".repeat(MAX_NAME_LEN + 1);
        assert!(validate(&long, &py()).unwrap_err().message().contains("over the limit"));
        let many = vec!["a"; MAX_NAME_SEGMENTS + 1].join(".");
        assert!(validate(&many, &py()).unwrap_err().message().contains("segments"));
    }

    #[test]
    fn lua_rule_allows_hyphens_and_leading_digits() {
        let lua = Profile::lua();
        validate("lib.json-lua", &lua).unwrap();
        validate("5x", &lua).unwrap();
        assert!(validate("a.é", &lua).is_err());
    }

    #[test]
    fn the_any_rule_takes_what_cpython_takes_and_refuses_bad_input() {
        let mut any = py();
        any.set_identifiers(IdentifierRule::Any);
        for n in ["_sysconfigdata__linux_x86_64-linux-gnu", "my-module", "1a.b c", "pkg.ünï-code", "if", "a.-"] {
            validate(n, &any).unwrap_or_else(|e| panic!("{n}: {e}"));
            assert!(validate(n, &py()).is_err() || n == "if", "{n} is no identifier");
        }
        let cases = REFUSED_BY_EVERY_RULE.into_iter().chain([("x-\0", "'\\0' is not allowed")]);
        for (n, why) in cases {
            let e = validate(n, &any).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidName, "{n}");
            assert!(e.message().contains(why), "{n}: {}", e.message());
            assert!(e.message().contains("module name") || n.is_empty(), "{n}: {}", e.message());
        }
        assert!(validate(&"a-".repeat(MAX_NAME_LEN), &any).unwrap_err().message().contains("over the limit"));
    }

    #[test]
    fn relative_resolution_matches_cpython() {
        assert_eq!(resolve("b", Some("a"), 1).unwrap(), "a.b");
        assert_eq!(resolve("", Some("a.b"), 1).unwrap(), "a.b");
        assert_eq!(resolve("c", Some("a.b"), 2).unwrap(), "a.c");
        assert_eq!(resolve("", Some("a.b"), 2).unwrap(), "a");
        let e = resolve("c", Some("a"), 2).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Import);
        assert_eq!(e.message(), "attempted relative import beyond top-level package");
        let e = resolve("c", None, 1).unwrap_err();
        assert_eq!(e.message(), "attempted relative import with no known parent package");
        assert_eq!(e.module(), None, "CPython's ImportError here has no name either");
        assert_eq!(resolve("c", Some(""), 1).unwrap_err().code(), ErrorCode::Import);
        assert_eq!(resolve("", None, 0).unwrap_err().message(), "Empty module name");
    }

    #[test]
    fn split_and_normalize() {
        assert_eq!(split_level("..a.b"), ("a.b", 2));
        assert_eq!(split_level("a"), ("a", 0));
        assert_eq!(split_level("."), ("", 1));
        assert_eq!(normalize_init("foo.__init__", &py()), "foo");
        assert_eq!(normalize_init("foo.__init__.bar", &py()), "foo.__init__.bar");
        assert_eq!(normalize_init("__init__", &py()), "__init__");
        assert_eq!(normalize_init("a.init", &Profile::lua()), "a");
        assert_eq!(parent("a.b.c"), Some("a.b"));
        assert_eq!(parent("a"), None);
        assert_eq!(tail("a.b.c"), "c");
        assert_eq!(top_level("a.b.c"), "a");
    }
}
