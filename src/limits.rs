//! The limits on inputs, in one place. Anything over a limit is refused with `InvalidArgument` or
//! `InvalidName`, never truncated silently (host messages, which are only shown, are the one exception).
//! Every limit is also in the C header, as `IK_<NAME>` (cbindgen.toml renames them).

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
/// Most entries one call sets as the search path (`ik_runtime_path_set`).
pub const MAX_PATH_ENTRIES: usize = 65_536;
/// Most suffixes in one profile (directory listings index them in a 64-bit set).
pub const MAX_SUFFIXES: usize = 64;
/// Most names in one fromlist or `__all__`.
pub const MAX_FROMLIST: usize = 65_536;
/// Most names a host finder's listing callback gives (`resources`, `iter_modules`).
pub const MAX_LISTED: usize = 1_000_000;
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

/// Most `.ref` files followed in one chain (a ref file's target holding another ref file, and so on).
pub const MAX_REF_HOPS: usize = 8;
/// Largest `.ref` file read, in bytes.
pub const MAX_REF_SIZE: u64 = 65_536;
/// Most `.ref` targets examined, and `.ref` files read, by one operation (an import with all its levels and
/// searches, a find): the bound on the work a hostile tree of ref files can cause.
pub const MAX_REF_TARGETS: usize = 4096;
/// Most bytes of `.ref` files one operation reads.
pub const MAX_REF_BYTES: u64 = 4 * 1024 * 1024;
/// Most symbolic links followed while resolving one path under confinement (as Linux's limit).
pub const MAX_LINKS: usize = 40;
/// Longest piece of outside text (a `.ref` target) quoted in a message, in bytes.
pub const MAX_QUOTED: usize = 200;
/// Most places one search of the path notes; the rest are counted in one last note.
pub const MAX_NOTES: usize = 64;
/// Most attempts listed in a "No module named" message; the error keeps them all.
pub const MAX_LISTED_ATTEMPTS: usize = 64;
/// About the longest "No module named" message: places past it are counted, not listed.
pub const MAX_MESSAGE_LEN: usize = 16 * 1024;
/// Longest place or reason of one attempt, in bytes (a longer one is cut, its length said).
pub const MAX_ATTEMPT_TEXT: usize = 1024;
/// Most characters of an invalid module name its error message shows (a longer one is cut and marked `...`).
pub const MAX_SHOWN_NAME: usize = 80;
/// Most characters of a refused mount path its error message shows.
pub const MAX_SHOWN_PATH: usize = 120;
/// Longest name of a host finder or path hook (`ik_finder.name`, `ik_path_hook.name`), in bytes.
pub const MAX_FINDER_NAME_LEN: usize = 64;
/// Most runtimes whose ready modules one thread keeps in its cache (the least recently added is dropped).
pub const MAX_CACHED_RUNTIMES: usize = 4;

/// Most members of one zip archive indexed (entries of its central directory).
pub const MAX_ZIP_MEMBERS: usize = 1_000_000;
/// Largest central directory of a zip archive read, in bytes.
pub const MAX_ZIP_DIRECTORY: u64 = 256 * 1024 * 1024;
/// Largest member of a zip archive read (its inflated size), in bytes: a member that declares more, or
/// inflates past what it declares, is refused.
pub const MAX_ZIP_MEMBER_SIZE: u64 = 256 * 1024 * 1024;
/// Largest blob of a bundle read (a module's bytes, compiled code or a resource; its stored and its inflated
/// length), in bytes: a blob that records more is refused, and one that inflates past what it records too.
pub const MAX_BUNDLE_BLOB_SIZE: u64 = 256 * 1024 * 1024;
/// Largest compiled code the code cache takes or hands over (what `compile` gives, a module's code from its
/// source, the code of a cache file), in bytes, and largest source file it reads to look code up: code over
/// it is not used (a compile that gives more fails its import).
pub const MAX_CODE_SIZE: u64 = 256 * 1024 * 1024;

#[cfg(test)]
mod tests {
    /// Every limit reaches the C header under its `IK_` name (cbindgen.toml's renames), none without it.
    #[test]
    fn every_limit_is_in_the_header_with_its_ik_name() {
        let here = include_str!("limits.rs");
        let header = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/importkit.h")).unwrap();
        let limits: Vec<&str> = here.lines().filter_map(|l| l.strip_prefix("pub const ")?.split(':').next()).collect();
        assert!(limits.len() > 10);
        for name in limits {
            assert!(header.contains(&format!("#define IK_{name} ")), "IK_{name} is not in the header");
        }
        assert!(!header.lines().any(|l| l.starts_with("#define MAX_")), "a limit without its IK_ name");
    }
}
