//! Did a login fail? Each login endpoint says it its own way.
//!
//! A 401 is the textbook answer, but OAuth 2.0 token endpoints answer 400
//! `invalid_grant` (RFC 6749 §5.2), some forms answer 403 or 422, and many
//! single-page-app backends answer 200 with a small error body. So every
//! login endpoint gets a learned signature:
//!
//! - its status mix: a 400 or 422 is a failed login where it is the
//!   endpoint's usual refusal (it outnumbers the 401s and 403s), not where
//!   401 is;
//! - the sizes of its 200 answers, in logarithmic buckets: a success carries
//!   a token or a profile, an error body is a short fixed sentence, so when
//!   the sizes form a heavy upper mode and a separate mode at least four
//!   times smaller, with nothing in between, the small mode is the failure;
//! - where the source keeps response bodies, their words (`invalid_grant`,
//!   `"success":false`, `access_token`) decide directly and label the size
//!   bucket they came in, so later calls without a body are read by size.
//!
//! Size learning is used only where status failures are rare: an endpoint
//! that answers 401 has told us how it fails. A signature is a few hundred
//! bytes and there is one per login endpoint (capped).

use linkwell_core::CallRecord;

use super::endpoint::{Login, LoginKind};
use crate::state::GenMap;

/// What a login attempt's answer says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Failed(Failure),
    Succeeded,
    /// Rate-limited, server error, redirect, malformed request: no verdict
    /// about the credentials.
    Unknown,
}

/// Why the answer counts as a failed login; reported with findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    Status(u16),
    /// OAuth 2.0 `invalid_grant` / `invalid_client` (or a bare 400 at a token endpoint).
    OAuth,
    /// The response body said so.
    ErrorBody,
    /// A 200 of the size this endpoint's error bodies have.
    ErrorSize,
}

impl Failure {
    pub(crate) fn describe(self) -> String {
        match self {
            Failure::Status(s) => format!("failure signal: status {s}"),
            Failure::OAuth => "failure signal: OAuth 2.0 400 invalid_grant/invalid_client".into(),
            Failure::ErrorBody => "failure signal: error words in the response body".into(),
            Failure::ErrorSize => {
                "failure signal: 200 with an error-sized body (learned response sizes)".into()
            }
        }
    }
}

/// The most login endpoints with a learned signature; beyond it the least
/// recently used are relearned from scratch.
const MAX_SIGNATURES: usize = 1024;

pub(crate) struct Signatures {
    map: GenMap<u64, Signature>,
}

impl Signatures {
    pub(crate) fn new() -> Self {
        Signatures {
            map: GenMap::new(MAX_SIGNATURES),
        }
    }

    /// Reads the call's answer and learns from it.
    pub(crate) fn judge(&mut self, login: &Login, call: &CallRecord<'_>) -> Outcome {
        let body = call.response_body.as_deref().map(body_says);
        if login.kind == LoginKind::Basic {
            // Basic credentials on an ordinary resource: only the 401 is
            // about the password; the resource's own answers are not.
            return match call.status {
                401 => Outcome::Failed(Failure::Status(401)),
                200..=299 => Outcome::Succeeded,
                _ => Outcome::Unknown,
            };
        }
        let sig = self.map.entry(login.id, Signature::default);
        sig.judge(login.kind, call, body)
    }
}

#[cfg(test)]
impl Signatures {
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
}

/// What a response body's words say about the credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodySays {
    Failed,
    Succeeded,
    /// An OAuth error that is not about credentials (`invalid_request`,
    /// `unsupported_grant_type`, `invalid_scope`).
    NotCredentials,
    Nothing,
}

/// The part of a response body searched; error sentences are short.
const BODY_PREFIX: usize = 2048;

const FAIL_WORDS: &[&str] = &[
    "invalid_grant",
    "invalid_client",
    "unauthorized_client",
    "invalid_credentials",
    "invalid credentials",
    "bad credentials",
    "invalid username",
    "invalid password",
    "incorrect",
    "wrong password",
    "authentication failed",
    "login failed",
    "account locked",
    "\"success\":false",
    "\"ok\":false",
    "\"authenticated\":false",
];
const NOT_CREDENTIAL_WORDS: &[&str] =
    &["invalid_request", "unsupported_grant_type", "invalid_scope"];
const OK_WORDS: &[&str] = &[
    "access_token",
    "id_token",
    "\"token\"",
    "session_id",
    "sessionid",
    "mfa_required",
    "\"success\":true",
    "\"ok\":true",
    "\"authenticated\":true",
];

fn body_says(body: &str) -> BodySays {
    let mut buf = [0u8; BODY_PREFIX];
    let mut n = body.len().min(BODY_PREFIX);
    while !body.is_char_boundary(n) {
        n -= 1;
    }
    for (d, s) in buf.iter_mut().zip(&body.as_bytes()[..n]) {
        *d = s.to_ascii_lowercase();
    }
    // ASCII lower-casing of a whole-character prefix keeps it UTF-8.
    let Ok(text) = std::str::from_utf8(&buf[..n]) else {
        return BodySays::Nothing;
    };
    let has = |words: &[&str]| words.iter().any(|w| text.contains(w));
    if has(FAIL_WORDS) {
        BodySays::Failed
    } else if has(NOT_CREDENTIAL_WORDS) {
        BodySays::NotCredentials
    } else if has(OK_WORDS) {
        BodySays::Succeeded
    } else {
        BodySays::Nothing
    }
}

/// Size buckets: exact below 16 bytes, then four per power of two (each
/// about 19% wide) up to 256 MiB.
const BUCKETS: usize = 112;

fn bucket(size: u64) -> usize {
    if size < 16 {
        return size as usize;
    }
    let k = 63 - size.leading_zeros() as usize;
    let sub = ((size >> (k - 2)) & 3) as usize;
    (16 + (k - 4) * 4 + sub).min(BUCKETS - 1)
}

/// The smallest size in bucket `b`.
fn bucket_low(b: usize) -> u64 {
    if b < 16 {
        return b as u64;
    }
    let k = (b - 16) / 4 + 4;
    let sub = ((b - 16) % 4) as u64;
    (4 + sub) << (k - 2)
}

/// Empty buckets between the error and success modes: eight buckets is a
/// factor of four in size, well beyond a token's length varying.
const GAP: usize = 8;
/// Observations of a mode before it counts.
const MODE_MIN: u32 = 5;
/// 200s seen before sizes are read at all.
const SIZES_MIN: u32 = 30;
/// Size counts saturate here so an attack's flood of error bodies cannot
/// drown the success mode; all counts halve every `AGE_EVERY` observations.
const SIZE_CAP: u16 = 4095;
const AGE_EVERY: u32 = 1 << 16;

#[derive(Default)]
struct StatusMix {
    total: u32,
    s400: u32,
    s401_403: u32,
    s422: u32,
}

impl StatusMix {
    fn add(&mut self, status: u16) {
        self.total += 1;
        match status {
            400 => self.s400 += 1,
            401 | 403 => self.s401_403 += 1,
            422 => self.s422 += 1,
            _ => {}
        }
        if self.total >= AGE_EVERY {
            self.total /= 2;
            self.s400 /= 2;
            self.s401_403 /= 2;
            self.s422 /= 2;
        }
    }

    /// Failures are told by status here (more than 5% of answers).
    fn status_failures_common(&self) -> bool {
        let f = u64::from(self.s400 + self.s401_403 + self.s422);
        f * 20 > u64::from(self.total)
    }
}

/// Where a 200's size says failure and where success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Boundary {
    /// A 200 smaller than this is an error body.
    error_below: u64,
    /// A 200 this large or larger is a success; in between is unknown.
    success_from: u64,
}

struct Signature {
    status: StatusMix,
    sizes: [u16; BUCKETS],
    sized: u32,
    /// Buckets a response body labelled as error or success.
    body_failed: u128,
    body_succeeded: u128,
    since_learned: u32,
    boundary: Option<Boundary>,
}

impl Default for Signature {
    fn default() -> Self {
        Signature {
            status: StatusMix::default(),
            sizes: [0; BUCKETS],
            sized: 0,
            body_failed: 0,
            body_succeeded: 0,
            since_learned: 0,
            boundary: None,
        }
    }
}

impl Signature {
    fn judge(&mut self, kind: LoginKind, call: &CallRecord<'_>, body: Option<BodySays>) -> Outcome {
        let status = call.status;
        self.status.add(status);
        match (status, kind) {
            (200..=299, _) => self.judge_ok(call, body),
            (401, _) => Outcome::Failed(Failure::Status(401)),
            (400, LoginKind::OAuthToken) => match body {
                Some(BodySays::NotCredentials) => Outcome::Unknown,
                _ => Outcome::Failed(Failure::OAuth),
            },
            (403, _) => Outcome::Failed(Failure::Status(403)),
            (400 | 422, LoginKind::Password) => {
                if body == Some(BodySays::Failed) {
                    return Outcome::Failed(Failure::ErrorBody);
                }
                let same = if status == 400 {
                    self.status.s400
                } else {
                    self.status.s422
                };
                if same > self.status.s401_403 && body != Some(BodySays::NotCredentials) {
                    Outcome::Failed(Failure::Status(status))
                } else {
                    Outcome::Unknown
                }
            }
            _ => Outcome::Unknown,
        }
    }

    fn judge_ok(&mut self, call: &CallRecord<'_>, body: Option<BodySays>) -> Outcome {
        let sized = (call.status == 200)
            .then_some(call.response_bytes)
            .flatten()
            .map(bucket);
        if let Some(b) = sized {
            self.learn_size(b, body);
        }
        match body {
            Some(BodySays::Failed) => return Outcome::Failed(Failure::ErrorBody),
            Some(BodySays::Succeeded) => return Outcome::Succeeded,
            _ => {}
        }
        let Some(b) = sized else {
            return Outcome::Succeeded;
        };
        let bit = 1u128 << b;
        if self.body_failed & bit != 0 && self.body_succeeded & bit == 0 {
            return Outcome::Failed(Failure::ErrorBody);
        }
        if self.status.status_failures_common() {
            return Outcome::Succeeded;
        }
        match self.boundary {
            Some(bd) if bucket_low(b) < bd.error_below => Outcome::Failed(Failure::ErrorSize),
            Some(bd) if bucket_low(b) < bd.success_from => Outcome::Unknown,
            _ => Outcome::Succeeded,
        }
    }

    fn learn_size(&mut self, b: usize, body: Option<BodySays>) {
        if self.sizes[b] < SIZE_CAP {
            self.sizes[b] += 1;
        }
        match body {
            Some(BodySays::Failed) => self.body_failed |= 1 << b,
            Some(BodySays::Succeeded) => self.body_succeeded |= 1 << b,
            _ => {}
        }
        self.sized += 1;
        if self.sized >= AGE_EVERY {
            self.sized /= 2;
            self.sizes.iter_mut().for_each(|c| *c /= 2);
        }
        self.since_learned += 1;
        // Relearning scans 112 buckets; every 16th answer keeps it cheap
        // and still follows a new error mode within a few dozen calls.
        if self.since_learned >= 16 || self.boundary.is_none() && self.since_learned >= 4 {
            self.since_learned = 0;
            self.boundary = learn_boundary(&self.sizes);
        }
    }
}

/// Finds a heavy upper (success) mode and, separated from it by `GAP`
/// quiet buckets, a lower (error) mode.
fn learn_boundary(sizes: &[u16; BUCKETS]) -> Option<Boundary> {
    let total: u32 = sizes.iter().map(|&c| u32::from(c)).sum();
    if total < SIZES_MIN {
        return None;
    }
    let quiet = 1 + total / 1024;
    let top = (0..BUCKETS)
        .rev()
        .find(|&i| u32::from(sizes[i]) >= MODE_MIN)?;
    let mut success_low = top;
    let mut run = 0;
    let mut i = top;
    while i > 0 && run < GAP {
        i -= 1;
        if u32::from(sizes[i]) <= quiet {
            run += 1;
        } else {
            run = 0;
            success_low = i;
        }
    }
    if run < GAP {
        return None;
    }
    let error_top = (0..=i).rev().find(|&j| u32::from(sizes[j]) > quiet)?;
    let error_mass: u32 = sizes[..=error_top].iter().map(|&c| u32::from(c)).sum();
    (error_mass >= MODE_MIN).then(|| Boundary {
        error_below: bucket_low(error_top + 1),
        success_from: bucket_low(success_low),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::detect::auth::endpoint::Recognised;
    use crate::detect::testkit::call;
    use linkwell_core::Method;

    fn login(kind: LoginKind) -> Login {
        Login {
            kind,
            how: Recognised::PathWords,
            id: 7,
        }
    }

    fn answer(status: u16, bytes: Option<u64>, body: Option<&str>) -> CallRecord<'static> {
        let mut c = call("198.51.100.1", Method::Post, "/login", status, 0);
        c.response_bytes = bytes;
        c.response_body = body.map(|b| b.to_string().into());
        c
    }

    #[test]
    fn buckets_are_monotonic_and_cover() {
        let mut last = 0;
        for s in [
            0u64,
            1,
            15,
            16,
            19,
            20,
            24,
            28,
            32,
            100,
            1000,
            1 << 20,
            u64::MAX,
        ] {
            let b = bucket(s);
            assert!(b >= last, "{s}");
            assert!(bucket_low(b) <= s || b == BUCKETS - 1);
            last = b;
        }
        assert_eq!(bucket(1200), bucket(1250));
        assert!(bucket(48) + GAP < bucket(1200));
    }

    #[test]
    fn status_rules() {
        let mut s = Signatures::new();
        let pw = login(LoginKind::Password);
        assert_eq!(
            s.judge(&pw, &answer(401, None, None)),
            Outcome::Failed(Failure::Status(401))
        );
        assert_eq!(s.judge(&pw, &answer(429, None, None)), Outcome::Unknown);
        assert_eq!(s.judge(&pw, &answer(503, None, None)), Outcome::Unknown);
        assert_eq!(s.judge(&pw, &answer(302, None, None)), Outcome::Unknown);
        // This endpoint refuses with 401, so a 400 is a malformed request...
        assert_eq!(s.judge(&pw, &answer(400, None, None)), Outcome::Unknown);
        // ...unless its body says otherwise.
        assert_eq!(
            s.judge(
                &pw,
                &answer(400, None, Some("{\"error\":\"Invalid credentials\"}"))
            ),
            Outcome::Failed(Failure::ErrorBody)
        );
        // An endpoint that refuses with 422 has 422 as its failure.
        let other = Login { id: 8, ..pw };
        for _ in 0..3 {
            assert_eq!(
                s.judge(&other, &answer(422, None, None)),
                Outcome::Failed(Failure::Status(422))
            );
        }
        let tok = Login {
            id: 9,
            ..login(LoginKind::OAuthToken)
        };
        assert_eq!(
            s.judge(
                &tok,
                &answer(400, None, Some(r#"{"error":"invalid_grant"}"#))
            ),
            Outcome::Failed(Failure::OAuth)
        );
        assert_eq!(
            s.judge(&tok, &answer(400, None, None)),
            Outcome::Failed(Failure::OAuth)
        );
        assert_eq!(
            s.judge(
                &tok,
                &answer(400, None, Some(r#"{"error":"unsupported_grant_type"}"#))
            ),
            Outcome::Unknown
        );
        assert_eq!(
            s.judge(
                &tok,
                &answer(200, Some(1400), Some(r#"{"access_token":"x"}"#))
            ),
            Outcome::Succeeded
        );
        let basic = login(LoginKind::Basic);
        assert_eq!(s.judge(&basic, &answer(403, None, None)), Outcome::Unknown);
        assert_eq!(
            s.judge(&basic, &answer(401, None, None)),
            Outcome::Failed(Failure::Status(401))
        );
    }

    /// A backend answering 200 `{"ok":false,...}` (48 bytes) on failure and a
    /// token of about 1.2 kB on success: learned from sizes alone.
    #[test]
    fn two_hundred_with_an_error_body_is_learned_from_size() {
        let mut s = Signatures::new();
        let pw = login(LoginKind::Password);
        let mut outcomes = vec![];
        for i in 0..200u64 {
            let size = if i % 12 == 5 {
                48
            } else {
                1150 + (i * 37) % 150
            };
            outcomes.push(s.judge(&pw, &answer(200, Some(size), None)));
        }
        // Before the signature is learned every 200 is a success.
        assert_eq!(outcomes[5], Outcome::Succeeded);
        assert_eq!(
            s.judge(&pw, &answer(200, Some(48), None)),
            Outcome::Failed(Failure::ErrorSize)
        );
        assert_eq!(
            s.judge(&pw, &answer(200, Some(1210), None)),
            Outcome::Succeeded
        );
        // A flood of error bodies (an attack) does not unlearn the success mode.
        for _ in 0..20_000 {
            s.judge(&pw, &answer(200, Some(47), None));
        }
        assert_eq!(
            s.judge(&pw, &answer(200, Some(48), None)),
            Outcome::Failed(Failure::ErrorSize)
        );
        assert_eq!(
            s.judge(&pw, &answer(200, Some(1300), None)),
            Outcome::Succeeded
        );
    }

    #[test]
    fn one_size_mode_is_all_success() {
        let mut s = Signatures::new();
        let pw = login(LoginKind::Password);
        for i in 0..500u64 {
            let size = 700 + (i * 53) % 400;
            assert_eq!(
                s.judge(&pw, &answer(200, Some(size), None)),
                Outcome::Succeeded
            );
        }
        // Successes of widely varying size, no gap: still all successes.
        for i in 0..500u64 {
            let size = 100 + (i * 97) % 5000;
            assert_eq!(
                s.judge(&pw, &answer(200, Some(size), None)),
                Outcome::Succeeded
            );
        }
    }

    #[test]
    fn sizes_are_ignored_where_status_says_failure() {
        let mut s = Signatures::new();
        let pw = login(LoginKind::Password);
        for i in 0..300u64 {
            let (status, size) = match i % 10 {
                0 => (401, 60),
                1 => (200, 40),
                _ => (200, 1200),
            };
            s.judge(&pw, &answer(status, Some(size), None));
        }
        assert_eq!(
            s.judge(&pw, &answer(200, Some(40), None)),
            Outcome::Succeeded
        );
    }

    #[test]
    fn bodies_label_size_buckets() {
        let mut s = Signatures::new();
        let pw = login(LoginKind::Password);
        s.judge(
            &pw,
            &answer(
                200,
                Some(52),
                Some(r#"{"success":false,"message":"Incorrect password"}"#),
            ),
        );
        // The next call of that size without a body is read as the same answer.
        assert_eq!(
            s.judge(&pw, &answer(200, Some(52), None)),
            Outcome::Failed(Failure::ErrorBody)
        );
        assert_eq!(
            s.judge(&pw, &answer(200, Some(900), None)),
            Outcome::Succeeded
        );
    }
}
