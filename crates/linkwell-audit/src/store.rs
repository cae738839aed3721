//! The log directory on disk: segment files, `head.json`, the public key and
//! the signing key file. All file I/O of the crate lives here and in the
//! writer; the formats themselves are in `record` and `checkpoint`.

use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use ed25519_dalek::{SigningKey, VerifyingKey};

use crate::checkpoint::Checkpoint;
use crate::error::AuditError;
use crate::hash::{from_hex, to_hex};

pub const PUBLIC_KEY_FILE: &str = "audit.pub";
pub const HEAD_FILE: &str = "head.json";
pub const DEFAULT_KEY_FILE: &str = "audit.key";
pub const LOCK_FILE: &str = "lock";

pub fn segment_name(n: u64) -> String {
    format!("seg-{n:08}.log")
}

fn segment_number(name: &str) -> Option<u64> {
    name.strip_prefix("seg-")?
        .strip_suffix(".log")?
        .parse()
        .ok()
}

/// Segment numbers and paths, in order.
pub fn list_segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>, AuditError> {
    let rd = fs::read_dir(dir).map_err(|e| AuditError::io("cannot list", dir, e))?;
    let mut v: Vec<(u64, PathBuf)> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let n = segment_number(e.file_name().to_str()?)?;
            Some((n, e.path()))
        })
        .collect();
    v.sort_by_key(|(n, _)| *n);
    Ok(v)
}

/// The header line of a segment, reading only that line.
pub fn read_header(path: &Path) -> Result<Option<crate::checkpoint::SegmentHeader>, AuditError> {
    use std::io::BufRead as _;
    let f = File::open(path).map_err(|e| AuditError::io("cannot open", path, e))?;
    let mut line = Vec::new();
    std::io::BufReader::new(f)
        .read_until(b'\n', &mut line)
        .map_err(|e| AuditError::io("cannot read", path, e))?;
    Ok(line
        .strip_prefix(b"H ")
        .and_then(|b| serde_json::from_slice(b.strip_suffix(b"\n").unwrap_or(b)).ok()))
}

pub fn read(path: &Path) -> Result<Vec<u8>, AuditError> {
    fs::read(path).map_err(|e| AuditError::io("cannot read", path, e))
}

pub fn read_public_key(path: &Path) -> Result<VerifyingKey, AuditError> {
    let text = fs::read_to_string(path).map_err(|e| AuditError::io("cannot read", path, e))?;
    parse_public_key(text.trim()).ok_or_else(|| AuditError::Key {
        path: path.to_path_buf(),
        reason: "expected 64 hex characters (an Ed25519 public key)".into(),
    })
}

pub fn parse_public_key(hex: &str) -> Option<VerifyingKey> {
    let b: [u8; 32] = from_hex(hex)?.try_into().ok()?;
    VerifyingKey::from_bytes(&b).ok()
}

pub fn read_head(dir: &Path) -> Result<Option<Checkpoint>, AuditError> {
    let p = dir.join(HEAD_FILE);
    match fs::read(&p) {
        Ok(b) => serde_json::from_slice(&b)
            .map(Some)
            .map_err(|e| AuditError::Corrupt {
                dir: dir.to_path_buf(),
                reason: format!("{HEAD_FILE} does not parse: {e}"),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(AuditError::io("cannot read", p, e)),
    }
}

/// Replaces `head.json` atomically (write, optionally fsync, rename).
pub fn write_head(dir: &Path, c: &Checkpoint, sync: bool) -> Result<(), AuditError> {
    let tmp = dir.join("head.json.tmp");
    let bytes = serde_json::to_vec(c)?;
    let mut f = File::create(&tmp).map_err(|e| AuditError::io("cannot create", &tmp, e))?;
    f.write_all(&bytes)
        .map_err(|e| AuditError::io("cannot write", &tmp, e))?;
    if sync {
        f.sync_data()
            .map_err(|e| AuditError::io("cannot sync", &tmp, e))?;
    }
    fs::rename(&tmp, dir.join(HEAD_FILE)).map_err(|e| AuditError::io("cannot rename", &tmp, e))
}

pub fn sync_dir(dir: &Path) -> Result<(), AuditError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| AuditError::io("cannot sync directory", dir, e))
}

/// Loads the signing key (a raw 32-byte Ed25519 seed), or creates one from
/// the OS random source with mode 0600 when the file does not exist.
pub fn load_or_create_key(path: &Path) -> Result<SigningKey, AuditError> {
    match fs::read(path) {
        Ok(b) => {
            let seed: [u8; 32] = b.try_into().map_err(|_| AuditError::Key {
                path: path.to_path_buf(),
                reason: "expected exactly 32 bytes (a raw Ed25519 seed)".into(),
            })?;
            Ok(SigningKey::from_bytes(&seed))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed).map_err(|e| AuditError::Random(e.to_string()))?;
            let mut opts = OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt as _;
                opts.mode(0o600);
            }
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                fs::create_dir_all(parent)
                    .map_err(|e| AuditError::io("cannot create", parent, e))?;
            }
            let mut f = opts
                .open(path)
                .map_err(|e| AuditError::io("cannot create key file", path, e))?;
            f.write_all(&seed)
                .and_then(|()| f.sync_all())
                .map_err(|e| AuditError::io("cannot write key file", path, e))?;
            Ok(SigningKey::from_bytes(&seed))
        }
        Err(e) => Err(AuditError::io("cannot read key file", path, e)),
    }
}

/// Writes `audit.pub` beside the log on first use; refuses a key that does
/// not match the one the log was started with (that would make every
/// earlier checkpoint look forged).
pub fn ensure_public_key(dir: &Path, key: &SigningKey) -> Result<(), AuditError> {
    let p = dir.join(PUBLIC_KEY_FILE);
    let hex = to_hex(key.verifying_key().as_bytes());
    if p.exists() {
        let have = read_public_key(&p)?;
        if have != key.verifying_key() {
            return Err(AuditError::Key {
                path: p,
                reason: "the signing key does not match the log's public key".into(),
            });
        }
        return Ok(());
    }
    fs::write(&p, format!("{hex}\n")).map_err(|e| AuditError::io("cannot write", &p, e))
}
