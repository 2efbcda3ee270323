//! Host meta-path finders: the host's own `find_spec`, at a position of the meta path it chose.

use std::sync::Arc;

use crate::error::{Error, ErrorCode, Result};
use crate::executor::{HostFinder, HostFound};
use crate::limits::MAX_PATH_LEN;
use crate::spec::{Content, Found, ModuleKind, ModuleSpec};

fn check_text(place: &str, name: &str, what: &str, value: &str) -> Result<()> {
    if value.len() > MAX_PATH_LEN || value.contains('\0') {
        return Err(Error::new(
            ErrorCode::Host,
            format!("finder '{place}' gave an invalid {what} for '{name}': over {MAX_PATH_LEN} bytes or with a NUL"),
        )
        .for_module(name));
    }
    Ok(())
}

/// Asks a host finder for `name` and turns its answer into a spec.
pub fn find(finder: &Arc<dyn HostFinder>, name: &str, path: Option<&[&str]>) -> Result<Option<Found>> {
    let found = crate::finders::path::scope::outside(|| finder.find_spec(name, path)).map_err(|e| {
        let what = format!("finder 'host:{}' looking for", finder.name());
        Error::from_host(name, &what, crate::finders::path::host_failure(e))
    })?;
    match found {
        Some(h) => to_found(&format!("host:{}", finder.name()), name, h).map(Some),
        None => Ok(None),
    }
}

/// Checks what a host said it found (`place` names the host's finder or hook) and makes the spec.
pub fn to_found(place: &str, name: &str, found: HostFound) -> Result<Found> {
    let HostFound { origin, kind, is_package, locations, file, source } = found;
    check_text(place, name, "origin", &origin)?;
    for l in &locations {
        check_text(place, name, "location", l)?;
    }
    if let Some(f) = &file {
        check_text(place, name, "file", f)?;
    }
    if kind == ModuleKind::Native {
        return Err(Error::new(
            ErrorCode::Host,
            format!("finder '{place}' gave kind native for '{name}': register natives with the runtime instead"),
        )
        .for_module(name));
    }
    let is_package = is_package || kind == ModuleKind::Namespace;
    let origin = if origin.is_empty() { format!("{place}/{name}") } else { origin };
    let spec = ModuleSpec::new(name, &origin, kind, is_package).with_locations(locations).with_file(file.as_deref());
    let content = match source {
        Some(bytes) => Content::Host(bytes.into()),
        None => Content::None,
    };
    Ok(Found { spec: Arc::new(spec), content })
}
