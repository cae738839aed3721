//! The registry file: versioned JSON, written atomically.

use std::io::Write as _;
use std::path::Path;

use crate::key::{Registry, RegistryError};

fn err(path: &Path, detail: impl std::fmt::Display) -> RegistryError {
    RegistryError::File {
        path: path.display().to_string(),
        detail: detail.to_string(),
    }
}

/// Reads a registry; a missing file is an empty registry (the first `add`
/// creates it).
pub fn load(path: &Path) -> Result<Registry, RegistryError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Registry::new()),
        Err(e) => return Err(err(path, e)),
    };
    let reg: Registry = serde_json::from_slice(&bytes).map_err(|e| err(path, e))?;
    if reg.version != 1 {
        return Err(RegistryError::Version(reg.version));
    }
    Ok(reg)
}

/// Writes the registry next to its final name and renames it into place,
/// so a reader (the proxy reloading it) never sees half a file.
pub fn save(reg: &Registry, path: &Path) -> Result<(), RegistryError> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| err(path, "not a file name"))?;
    let tmp = dir.join(format!(".{}.tmp", name.to_string_lossy()));
    let text = serde_json::to_vec_pretty(reg).map_err(|e| err(path, e))?;
    {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp).map_err(|e| err(&tmp, e))?;
        f.write_all(&text).map_err(|e| err(&tmp, e))?;
        f.sync_all().map_err(|e| err(&tmp, e))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| err(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_registries_load_back_and_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        assert_eq!(load(&path).unwrap(), Registry::new());
        let mut r = Registry::new();
        let k = r
            .add("ops", vec![], vec![], Some("gold".into()), None, 1)
            .unwrap();
        save(&r, &path).unwrap();
        let back = load(&path).unwrap();
        assert_eq!(back, r);
        assert!(back.check(&k.key, "any", 2).allowed());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{mode:o}");
        }
        std::fs::write(&path, "{not json").unwrap();
        assert!(load(&path).is_err());
    }
}
