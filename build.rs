//! Regenerates include/importkit.h (cbindgen), include/importkit_cdef.h (the same declarations without
//! preprocessor lines, for LuaJIT's ffi.cdef) and the copy of those declarations that the LuaJIT binding
//! carries (between the generated markers of bindings/luajit/importkit.lua, so that the binding is one file
//! to vendor). Files are rewritten only when their text changes.

use std::path::{Path, PathBuf};

fn write_if_changed(path: &Path, text: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }
}

/// The header's declarations as LuaJIT's `ffi.cdef` takes them: no preprocessor, no `extern "C"`, and
/// integer macros as `static const` values.
fn cdef(header: &str) -> String {
    let mut out = String::from(
        "/* importkit_cdef.h: GENERATED from importkit.h by build.rs for LuaJIT's ffi.cdef; do not edit. */\n",
    );
    let mut skip_cpp = 0;
    for line in header.lines() {
        let t = line.trim();
        if t.starts_with("#ifdef __cplusplus") || t.starts_with("#if defined(__cplusplus)") {
            skip_cpp = 1;
            continue;
        }
        if skip_cpp > 0 {
            if t.starts_with("#endif") {
                skip_cpp = 0;
            }
            continue;
        }
        if let Some(rest) = t.strip_prefix("#define ") {
            let mut parts = rest.split_whitespace();
            if let (Some(name), Some(value), None) = (parts.next(), parts.next(), parts.next()) {
                if value.chars().all(|c| c.is_ascii_digit()) {
                    out.push_str(&format!("static const uint32_t {name} = {value};\n"));
                }
            }
            continue;
        }
        if t.starts_with('#') {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    without_comments(&out)
}

/// `text` with its C comments taken out (the header's documentation: `ffi.cdef` would lex it at every
/// load), trailing blanks trimmed and no empty lines; the first line (what the file is) kept.
fn without_comments(text: &str) -> String {
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let mut bare = String::with_capacity(rest.len());
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('/', Some('*')) => {
                chars.next();
                let mut last = ' ';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
            }
            ('/', Some('/')) => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        bare.push('\n');
                        break;
                    }
                }
            }
            _ => bare.push(c),
        }
    }
    let mut out = format!("{first}\n");
    for line in bare.lines().map(str::trim_end).filter(|l| !l.trim().is_empty()) {
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The markers around the cdef block of bindings/luajit/importkit.lua (whole lines).
const LUA_BEGIN: &str = "-- BEGIN GENERATED CDEF";
const LUA_END: &str = "-- END GENERATED CDEF";

/// The cdef split for the LuaJIT binding: every statement but the functions (types, constants), then each
/// function's declaration with its name, in order. A function starts on a line at the top level (not
/// indented, outside braces) with a `(` that is no `typedef` or `static` and ends at the line ending in `;`.
fn split_functions(cdef: &str) -> (String, Vec<(String, String)>) {
    let (mut types, mut functions) = (String::new(), Vec::new());
    let mut current: Option<(String, String)> = None;
    let mut depth = 0i32;
    for line in cdef.lines() {
        if let Some((_, decl)) = current.as_mut() {
            decl.push_str(line);
            decl.push('\n');
            if line.trim_end().ends_with(';') {
                functions.extend(current.take());
            }
            continue;
        }
        let top = depth == 0 && !line.starts_with(char::is_whitespace);
        if top && line.contains('(') && !line.starts_with("typedef") && !line.starts_with("static ") {
            let head = &line[..line.find('(').unwrap_or(line.len())];
            let name = head.rsplit(|c: char| c.is_whitespace() || c == '*').next().unwrap_or("").to_owned();
            let decl = format!("{line}\n");
            if line.trim_end().ends_with(';') {
                functions.push((name, decl));
            } else {
                current = Some((name, decl));
            }
            continue;
        }
        depth += line.matches('{').count() as i32 - line.matches('}').count() as i32;
        types.push_str(line);
        types.push('\n');
    }
    functions.extend(current);
    (types, functions)
}

/// A Lua long string holding `text` (with a bracket level `text` does not close).
fn long_string(text: &str) -> String {
    let mut level = 0;
    while text.contains(&format!("]{}]", "=".repeat(level))) {
        level += 1;
    }
    let eq = "=".repeat(level);
    format!("[{eq}[\n{text}]{eq}]")
}

/// `lua` with the lines between its cdef markers replaced by the declarations: `CDEF`, the types and
/// constants (declared when the library is loaded), and `CDEF_FUNCTIONS`, each function's name and
/// declaration in turn (each declared when the binding first uses it); None when the markers are not there,
/// once each. CDEF followed by the declarations, in order, is include/importkit_cdef.h.
fn lua_with_cdef(lua: &str, cdef: &str) -> Option<String> {
    let begin = lua.find(&format!("\n{LUA_BEGIN}"))? + 1;
    let body = begin + lua[begin..].find('\n')? + 1;
    let end = body + lua[body..].find(&format!("\n{LUA_END}"))? + 1;
    if lua[end + 1..].contains(LUA_BEGIN) {
        return None;
    }
    let (types, functions) = split_functions(cdef);
    let mut block = format!("CDEF = {}\nCDEF_FUNCTIONS = {{\n", long_string(&types));
    for (name, decl) in &functions {
        block.push_str(&format!("  \"{name}\", {},\n", long_string(decl)));
    }
    block.push_str("}\n");
    Some(format!("{}{block}{}", &lua[..body], &lua[end..]))
}

fn main() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    // The shared library's SONAME: libimportkit.so.MAJOR (scripts/install.sh installs
    // libimportkit.so.MAJOR.MINOR.PATCH with the two links to it).
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        let major = std::env::var("CARGO_PKG_VERSION_MAJOR").expect("cargo sets the version");
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libimportkit.so.{major}");
    }
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml is valid");
    let bindings = cbindgen::Builder::new()
        .with_crate(&dir)
        .with_config(config)
        .generate()
        .expect("cbindgen could not read the sources");
    let mut header = Vec::new();
    bindings.write(&mut header);
    let header = String::from_utf8(header).expect("the header is UTF-8");
    std::fs::create_dir_all(dir.join("include")).expect("include/ can be made");
    write_if_changed(&dir.join("include/importkit.h"), &header);
    let cdef = cdef(&header);
    write_if_changed(&dir.join("include/importkit_cdef.h"), &cdef);
    let lua_path = dir.join("bindings/luajit/importkit.lua");
    if let Ok(lua) = std::fs::read_to_string(&lua_path) {
        match lua_with_cdef(&lua, &cdef) {
            Some(text) => write_if_changed(&lua_path, &text),
            None => println!(
                "cargo:warning={} has no \"{LUA_BEGIN}\" ... \"{LUA_END}\" block (once each); its cdef is not updated",
                lua_path.display()
            ),
        }
    }
}
