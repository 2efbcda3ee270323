//! `Text`: an immutable, shared UTF-8 string stored with a trailing NUL, so the C layer can hand out
//! `const char *` views of spec fields and error messages without copying, and specs can share names and
//! origins with the index they came from (cloning is a reference count, not a copy).

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

#[derive(Clone)]
pub struct Text(Arc<str>);

impl Text {
    /// Makes a text; the string must not contain NUL (importkit's validation guarantees it for every
    /// name, origin and path it stores; a NUL would only cut what C sees short).
    pub fn new(s: &str) -> Self {
        let mut owned = String::with_capacity(s.len() + 1);
        owned.push_str(s);
        Text::from(owned)
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

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl Hash for Text {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.as_str()
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
    fn from(mut s: String) -> Self {
        s.push('\0');
        Text(Arc::from(s))
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
    use std::collections::HashMap;

    #[test]
    fn keeps_a_nul_after_the_text_and_looks_up_as_str() {
        let t = Text::new("abc");
        assert_eq!(t.as_str(), "abc");
        assert_eq!(t.len(), 3);
        assert_eq!(t.as_bytes_with_nul(), b"abc\0");
        assert!(Text::new("").is_empty());
        let mut m = HashMap::new();
        m.insert(Text::from("k".to_owned()), 1);
        assert_eq!(m.get("k"), Some(&1));
    }
}
