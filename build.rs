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

/// One top-level statement of the cdef as the LuaJIT binding carries it.
enum Statement {
    /// Declared when the library is loaded: the enums, opaque structs and function-pointer types that
    /// nearly every function names (cheap to declare).
    Core(String),
    /// Declared when the binding first uses it: a function, a constant or a struct with fields (`name`,
    /// the declaration).
    Lazy(String, String),
}

/// The cdef split into top-level statements (a statement ends at a line ending in `;` outside braces), each
/// core or lazy. Lazy: a function (a `(` at the top level, not a `typedef` or `static`), a `static const`,
/// and a `typedef struct { ... } name;`.
fn split_statements(cdef: &str) -> Vec<Statement> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut depth = 0i32;
    // Past the first line (what the file is).
    for line in cdef.lines().skip(1) {
        text.push_str(line);
        text.push('\n');
        depth += line.matches('{').count() as i32 - line.matches('}').count() as i32;
        if depth != 0 || !line.trim_end().ends_with(';') {
            continue;
        }
        let decl = std::mem::take(&mut text);
        let first = decl.lines().next().unwrap_or("");
        let ident_before = |at: usize| {
            let head = decl[..at].trim_end();
            head.rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).next().unwrap_or("").to_owned()
        };
        let statement = if first.starts_with("static const") {
            Statement::Lazy(ident_before(decl.find('=').unwrap_or(0)), decl)
        } else if first.starts_with("typedef struct {") {
            let close = decl.rfind('}').unwrap_or(0);
            let name: String = decl[close + 1..].chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            Statement::Lazy(name, decl)
        } else if !first.starts_with("typedef") && first.contains('(') {
            Statement::Lazy(ident_before(decl.find('(').unwrap_or(0)), decl)
        } else {
            Statement::Core(decl)
        };
        if let Statement::Lazy(name, decl) = &statement {
            let identifier = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
            assert!(identifier, "build.rs cannot name the cdef statement {decl:?}");
        }
        out.push(statement);
    }
    assert!(text.trim().is_empty(), "build.rs: the cdef ends inside a statement: {text:?}");
    out
}

/// The identifiers of a C declaration.
fn identifiers(decl: &str) -> impl Iterator<Item = &str> {
    decl.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|w| !w.is_empty())
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

/// `lua` with the lines between its cdef markers replaced by the declarations: `CDEF`, the core types
/// (declared when the library is loaded); `CDEF_PROBED`, one more than the largest value of their enums;
/// `CDEF_LAZY`, name -> declaration of every function, constant and struct with fields (each declared when
/// the binding first uses it); and `CDEF_NEEDS`, name -> the lazy structs a declaration names (declared
/// before it). CDEF and the lazy declarations together hold the lines of include/importkit_cdef.h. None
/// when the markers are not there, once each.
fn lua_with_cdef(lua: &str, cdef: &str) -> Option<String> {
    let begin = lua.find(&format!("\n{LUA_BEGIN}"))? + 1;
    let body = begin + lua[begin..].find('\n')? + 1;
    let end = body + lua[body..].find(&format!("\n{LUA_END}"))? + 1;
    if lua[end + 1..].contains(LUA_BEGIN) {
        return None;
    }
    let statements = split_statements(cdef);
    let mut core = format!("{}\n", cdef.lines().next().unwrap_or(""));
    let mut lazy = Vec::new();
    for s in &statements {
        match s {
            Statement::Core(decl) => core.push_str(decl),
            Statement::Lazy(name, decl) => lazy.push((name.as_str(), decl.as_str())),
        }
    }
    let mut probed = 0u64;
    for s in &statements {
        if let Statement::Core(decl) = s {
            if decl.starts_with("typedef enum") {
                for value in decl.split('=').skip(1) {
                    let digits: String = value.trim_start().chars().take_while(char::is_ascii_digit).collect();
                    probed = probed.max(digits.parse::<u64>().map_or(0, |v| v + 1));
                }
            }
        }
    }
    let structs: std::collections::BTreeSet<&str> =
        lazy.iter().filter(|(_, d)| d.starts_with("typedef struct {")).map(|(n, _)| *n).collect();
    let mut block = format!("CDEF = {}\nCDEF_PROBED = {probed}\nCDEF_LAZY = {{\n", long_string(&core));
    let mut needs = String::from("CDEF_NEEDS = {\n");
    for (name, decl) in &lazy {
        block.push_str(&format!("  {name} = {},\n", long_string(decl)));
        let mut named: Vec<&str> = identifiers(decl).filter(|w| w != name && structs.contains(w)).collect();
        named.sort_unstable();
        named.dedup();
        if !named.is_empty() {
            let list: Vec<String> = named.iter().map(|n| format!("\"{n}\"")).collect();
            needs.push_str(&format!("  {name} = {{ {} }},\n", list.join(", ")));
        }
    }
    block.push_str("}\n");
    needs.push_str("}\n");
    block.push_str(&needs);
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
