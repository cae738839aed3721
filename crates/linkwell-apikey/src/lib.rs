//! API keys kept only as salted hashes.
//!
//! A key is shown once, when it is issued: `lwk_<id>_<secret>`. The id
//! (public, 12 hex characters) finds the entry without scanning; the secret
//! (32 random bytes) is never stored — the registry keeps a random salt and
//! HMAC-SHA256(salt, secret), compared in constant time. A stolen registry
//! file therefore lets nobody call the API, and a guessed id without its
//! secret fails like an unknown key.
//!
//! Rotation issues a new secret for the same id (owner, scopes and history
//! stay) and can keep the old secret valid for a grace period so clients
//! can switch without an outage. Revocation is immediate and keeps the entry
//! (and its reason) for the audit trail.
//!
//! The registry is a versioned JSON file written atomically (temporary file,
//! then rename; mode 0600 on Unix). Time is passed in, never read here.

mod file;
mod key;

pub use file::{load, save};
pub use key::{Issued, KeyEntry, KeyOutcome, KeyStatus, Registry, RegistryError};
