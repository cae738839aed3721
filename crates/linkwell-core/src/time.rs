//! Timestamps as microseconds since the Unix epoch, UTC.
//!
//! Gateways write time in half a dozen shapes (CLF local time, RFC 3339 with or
//! without fractions, epoch seconds with millis, epoch ms or ns). The parsers here
//! are hand-written because they run once per log line and a general date library
//! would dominate the profile.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Microseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub const MICROS_PER_SEC: i64 = 1_000_000;

    pub fn from_secs(secs: i64) -> Self {
        Timestamp(secs.saturating_mul(Self::MICROS_PER_SEC))
    }

    pub fn from_millis(ms: i64) -> Self {
        Timestamp(ms.saturating_mul(1000))
    }

    pub fn secs(self) -> i64 {
        self.0.div_euclid(Self::MICROS_PER_SEC)
    }

    pub fn millis(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// Epoch seconds as written by NGINX `$msec` (`1772446530.123`).
    pub fn parse_epoch_decimal(s: &str) -> Option<Self> {
        let (int, frac) = match s.split_once('.') {
            Some((i, f)) => (i, f),
            None => (s, ""),
        };
        let secs: i64 = int.parse().ok()?;
        let mut micros = 0i64;
        let mut scale = 100_000i64;
        for b in frac.bytes() {
            if !b.is_ascii_digit() {
                return None;
            }
            micros += i64::from(b - b'0') * scale;
            scale /= 10;
            if scale == 0 {
                break;
            }
        }
        Some(Timestamp(
            secs.checked_mul(Self::MICROS_PER_SEC)?
                .checked_add(micros)?,
        ))
    }

    /// An integer epoch whose unit is guessed from its magnitude (s, ms, µs or ns),
    /// which is how Cloudflare (`unix`, `unixnano`) and Kong (`started_at` ms) differ.
    pub fn from_epoch_guess(v: i64) -> Self {
        let a = v.unsigned_abs();
        if a < 100_000_000_000 {
            Self::from_secs(v)
        } else if a < 100_000_000_000_000 {
            Self::from_millis(v)
        } else if a < 100_000_000_000_000_000 {
            Timestamp(v)
        } else {
            Timestamp(v / 1000)
        }
    }

    /// RFC 3339 / ISO 8601: `2026-03-02T10:15:30.123456789Z`, `...+01:00`,
    /// a space instead of `T`, or no offset (taken as UTC).
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() < 19 {
            return None;
        }
        let year = digits(b, 0, 4)?;
        if b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b't' || b[10] == b' ') {
            return None;
        }
        let month = digits(b, 5, 2)?;
        let day = digits(b, 8, 2)?;
        if b[13] != b':' || b[16] != b':' {
            return None;
        }
        let hour = digits(b, 11, 2)?;
        let min = digits(b, 14, 2)?;
        let sec = digits(b, 17, 2)?;
        let mut i = 19;
        let mut micros = 0i64;
        if i < b.len() && (b[i] == b'.' || b[i] == b',') {
            i += 1;
            let mut scale = 100_000i64;
            while i < b.len() && b[i].is_ascii_digit() {
                micros += i64::from(b[i] - b'0') * scale;
                scale /= 10;
                i += 1;
            }
        }
        let offset = parse_offset(&b[i..])?;
        let secs = civil_to_epoch(year, month, day, hour, min, sec)? - offset;
        Some(Timestamp(secs * Self::MICROS_PER_SEC + micros))
    }

    /// Common Log Format: `02/Mar/2026:10:15:30 +0000` (brackets optional).
    pub fn parse_clf(s: &str) -> Option<Self> {
        let s = s.trim_start_matches('[').trim_end_matches(']');
        let b = s.as_bytes();
        if b.len() < 20 || b[2] != b'/' || b[6] != b'/' || b[11] != b':' {
            return None;
        }
        let day = digits(b, 0, 2)?;
        let month = month_from_abbrev(&b[3..6])?;
        let year = digits(b, 7, 4)?;
        let hour = digits(b, 12, 2)?;
        let min = digits(b, 15, 2)?;
        let sec = digits(b, 18, 2)?;
        let rest = s.get(20..)?.trim_start();
        let offset = parse_offset(rest.as_bytes())?;
        let secs = civil_to_epoch(year, month, day, hour, min, sec)? - offset;
        Some(Timestamp(secs * Self::MICROS_PER_SEC))
    }

    /// Any of the textual forms above, tried from the most specific.
    pub fn parse_any(s: &str) -> Option<Self> {
        let s = s.trim();
        if let Some(t) = Self::parse_rfc3339(s) {
            return Some(t);
        }
        if let Some(t) = Self::parse_clf(s) {
            return Some(t);
        }
        if s.contains('.') {
            return Self::parse_epoch_decimal(s);
        }
        s.parse::<i64>().ok().map(Self::from_epoch_guess)
    }

    /// Civil date and time in UTC: (year, month, day, hour, minute, second).
    pub fn to_civil(self) -> (i64, u32, u32, u32, u32, u32) {
        let secs = self.secs();
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        (
            y,
            m,
            d,
            (sod / 3600) as u32,
            ((sod % 3600) / 60) as u32,
            (sod % 60) as u32,
        )
    }
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<i64> {
    let mut v = 0i64;
    for &c in b.get(at..at + n)? {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Some(v)
}

/// Parses `Z`, `+hh:mm`, `+hhmm`, `-hh` or nothing (UTC); returns seconds east of UTC.
fn parse_offset(b: &[u8]) -> Option<i64> {
    match b {
        [] | [b'Z'] | [b'z'] => Some(0),
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let h = digits(rest, 0, 2)?;
            let m = match rest.len() {
                2 => 0,
                4 => digits(rest, 2, 2)?,
                5 if rest[2] == b':' => digits(rest, 3, 2)?,
                _ => return None,
            };
            let off = h * 3600 + m * 60;
            Some(if *sign == b'-' { -off } else { off })
        }
        _ => None,
    }
}

fn month_from_abbrev(b: &[u8]) -> Option<i64> {
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(b))
        .map(|i| i as i64 + 1)
}

fn civil_to_epoch(y: i64, m: i64, d: i64, hh: i64, mm: i64, ss: i64) -> Option<i64> {
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    Some(days_from_civil(y, m, d) * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// Howard Hinnant's days-from-civil algorithm (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC with millisecond precision.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s) = self.to_civil();
        let ms = self.0.rem_euclid(Self::MICROS_PER_SEC) / 1000;
        write!(f, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Timestamp::parse_any(&s).ok_or_else(|| serde::de::Error::custom("not a timestamp"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_772_446_530; // 2026-03-02T10:15:30Z

    #[test]
    fn rfc3339_forms() {
        assert_eq!(
            Timestamp::parse_rfc3339("2026-03-02T10:15:30Z"),
            Some(Timestamp::from_secs(T0))
        );
        assert_eq!(
            Timestamp::parse_rfc3339("2026-03-02T10:15:30.123456789Z"),
            Some(Timestamp(T0 * 1_000_000 + 123_456))
        );
        assert_eq!(
            Timestamp::parse_rfc3339("2026-03-02T11:15:30+01:00"),
            Some(Timestamp::from_secs(T0))
        );
        assert_eq!(
            Timestamp::parse_rfc3339("2026-03-02 10:15:30"),
            Some(Timestamp::from_secs(T0))
        );
        assert_eq!(Timestamp::parse_rfc3339("2026-13-02T10:15:30Z"), None);
        assert_eq!(Timestamp::parse_rfc3339("garbage-in-here-xx"), None);
    }

    #[test]
    fn clf_and_epoch() {
        assert_eq!(
            Timestamp::parse_clf("[02/Mar/2026:10:15:30 +0000]"),
            Some(Timestamp::from_secs(T0))
        );
        assert_eq!(
            Timestamp::parse_clf("02/Mar/2026:12:15:30 +0200"),
            Some(Timestamp::from_secs(T0))
        );
        assert_eq!(
            Timestamp::parse_epoch_decimal("1772446530.123"),
            Some(Timestamp(T0 * 1_000_000 + 123_000))
        );
        assert_eq!(Timestamp::from_epoch_guess(T0), Timestamp::from_secs(T0));
        assert_eq!(Timestamp::parse_epoch_decimal("9223372036854.999999"), None);
        assert_eq!(
            Timestamp::from_epoch_guess(T0 * 1000 + 5),
            Timestamp(T0 * 1_000_000 + 5000)
        );
        assert_eq!(
            Timestamp::from_epoch_guess(T0 * 1_000_000_000),
            Timestamp::from_secs(T0)
        );
    }

    #[test]
    fn display_round_trips() {
        let t = Timestamp(T0 * 1_000_000 + 7_000);
        assert_eq!(t.to_string(), "2026-03-02T10:15:30.007Z");
        assert_eq!(Timestamp::parse_any(&t.to_string()), Some(t));
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00.000Z");
    }
}
