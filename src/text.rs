//! `Text`: an immutable UTF-8 string stored with a trailing NUL, so the C layer can hand out
//! `const char *` views of spec fields and error messages without copying.

use std::fmt;

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Text(Box<str>);

impl Text {
    /// Makes a text; the string must not contain NUL (importkit's validation guarantees it for every
    /// name, origin and path it stores; a NUL would only cut what C sees short).
    pub fn new(s: &str) -> Self {
        let mut owned = String::with_capacity(s.len() + 1);
        owned.push_str(s);
        owned.push('\0');
        Text(owned.into_boxed_str())
    }

    pub fn as_str(&self) -> &str {
        &self.0[..self.0.len() - 1]
    }

    /// The bytes including the trailing NUL.
    pub fn as_bytes_with_nul(&self) -> &[u8] {
        self.0.as_bytes()
    }

    pub fn len(&self) -> usize {
        self.0.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text::new(s)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text::new(&s)
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::Text;

    #[test]
    fn keeps_a_nul_after_the_text() {
        let t = Text::new("abc");
        assert_eq!(t.as_str(), "abc");
        assert_eq!(t.len(), 3);
        assert_eq!(t.as_bytes_with_nul(), b"abc\0");
        assert!(Text::new("").is_empty());
    }
}
