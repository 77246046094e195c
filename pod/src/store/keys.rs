//! The citizen's age identity at rest: wrapped by the passphrase (`identity.age`) and by the
//! recovery code (`identity.recovery.age`). Wrapping and unwrapping live in
//! [`pod_core::identity`] (re-exported here); this module writes and destroys the files.

use std::io::Write;
use std::path::Path;

use rand::RngCore;

pub use pod_core::identity::*;

/// Writes `bytes` to `path` so that a crash leaves either the old file or the new one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        restrict_permissions(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    sync_dir(dir)
}

/// Makes a rename durable.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// Owner-only access: the files are ciphertext, but nobody else has reason to read them.
pub fn restrict_permissions(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if path.is_dir() { 0o700 } else { 0o600 };
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

/// Overwrites a file with random bytes, syncs, and removes it. Missing files are fine.
pub fn shred_file(path: &Path) -> std::io::Result<()> {
    let len = match std::fs::metadata(path) {
        Ok(meta) => meta.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    {
        let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
        let mut noise = vec![0u8; 64 * 1024];
        let mut left = len;
        while left > 0 {
            let n = left.min(noise.len() as u64) as usize;
            rand::rngs::OsRng.fill_bytes(&mut noise[..n]);
            file.write_all(&noise[..n])?;
            left -= n as u64;
        }
        file.sync_all()?;
    }
    std::fs::remove_file(path)
}

/// Shreds every file under `dir`, then removes it. Missing directories are fine.
pub fn shred_dir(dir: &Path) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() {
            shred_dir(&path)?
        } else {
            shred_file(&path)?
        }
    }
    std::fs::remove_dir(dir)
}
