//! The profile the options name: `--profile`, with `--cache-tag` or `--python-from` for python.

use std::process::Command;

use importkit::Profile;

/// What an interpreter says of itself: its cache tag (`None` for CPython's None) and extension suffixes.
fn ask_python(exe: &str) -> Result<(Option<String>, Vec<String>), String> {
    const SCRIPT: &str = "import sys, importlib.machinery as m\n\
                          print(sys.implementation.cache_tag or '')\n\
                          print('\\n'.join(m.EXTENSION_SUFFIXES))";
    let out = Command::new(exe)
        .args(["-I", "-S", "-c", SCRIPT])
        .output()
        .map_err(|e| format!("--python-from: cannot run {exe}: {e}"))?;
    if !out.status.success() {
        let why = String::from_utf8_lossy(&out.stderr);
        return Err(format!("--python-from: {exe} failed ({}): {}", out.status, why.trim()));
    }
    let text = String::from_utf8(out.stdout).map_err(|_| format!("--python-from: {exe} printed no UTF-8"))?;
    let mut lines = text.lines();
    let tag = lines.next().ok_or_else(|| format!("--python-from: {exe} printed nothing"))?;
    Ok((cache_tag(tag), lines.map(str::to_owned).collect()))
}

/// A cache tag as given on the command line: empty for none.
pub fn cache_tag(tag: &str) -> Option<String> {
    Some(tag.to_owned()).filter(|t| !t.is_empty())
}

/// The profile the options name: `--profile`, with `--cache-tag` or `--python-from` for python.
pub fn make_profile(name: &str, tag: Option<Option<String>>, python_from: Option<String>) -> Result<Profile, String> {
    match name {
        "python" => match (python_from, tag) {
            (None, None) => Ok(Profile::python()),
            (None, Some(tag)) => {
                let mut p = Profile::python();
                p.set_cache_tag(tag.as_deref()).map_err(|e| format!("--cache-tag: {e}"))?;
                Ok(p)
            }
            (Some(exe), tag) => {
                let (asked, suffixes) = ask_python(&exe)?;
                let tag = tag.unwrap_or(asked);
                Profile::python_for(tag.as_deref(), &suffixes).map_err(|e| format!("--python-from {exe}: {e}"))
            }
        },
        "lua" if python_from.is_some() || tag.is_some() => {
            Err("--cache-tag and --python-from are for the python profile".to_owned())
        }
        "lua" => Ok(Profile::lua()),
        other => Err(format!("unknown profile '{other}': use python or lua")),
    }
}
