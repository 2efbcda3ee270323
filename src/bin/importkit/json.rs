//! JSON as the tool prints it: strings escaped, lists of strings, attempts.

use importkit::Attempt;

pub fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

pub fn json_list<'a>(out: &mut String, items: impl Iterator<Item = &'a str>) {
    out.push('[');
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        json_str(out, item);
    }
    out.push(']');
}

pub fn json_attempts(out: &mut String, attempts: &[Attempt]) {
    out.push('[');
    for (i, a) in attempts.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str("{\"place\": ");
        json_str(out, &a.place);
        out.push_str(", \"reason\": ");
        json_str(out, &a.reason);
        out.push('}');
    }
    out.push(']');
}
