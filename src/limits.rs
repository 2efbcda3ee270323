//! The limits on inputs, in one place. Anything over a limit is refused with `InvalidArgument` or
//! `InvalidName`, never truncated silently (host messages, which are only shown, are the one exception).

/// Longest module name, in bytes.
pub const MAX_NAME_LEN: usize = 4096;
/// Most segments in a dotted name.
pub const MAX_NAME_SEGMENTS: usize = 256;
/// Longest path, origin, location, prefix or mount path, in bytes.
pub const MAX_PATH_LEN: usize = 4096;
/// Longest file suffix or init stem of a profile, in bytes.
pub const MAX_SUFFIX_LEN: usize = 64;
/// Longest host message kept; a longer one is cut at a character boundary and marked.
pub const MAX_HOST_MESSAGE_LEN: usize = 65_536;
/// Most names in one fromlist or `__all__`.
pub const MAX_FROMLIST: usize = 65_536;
/// Deepest nesting of imports on one thread (an import whose module imports another, and so on).
pub const MAX_IMPORT_DEPTH: usize = 200;

/// Cuts a host message to [`MAX_HOST_MESSAGE_LEN`], keeping whole characters.
pub fn clip_message(mut message: String) -> String {
    if message.len() > MAX_HOST_MESSAGE_LEN {
        let mut end = MAX_HOST_MESSAGE_LEN;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
        message.push_str("... [truncated]");
    }
    message
}
