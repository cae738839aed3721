//! A small seedable PRNG (xoshiro256**, seeded through splitmix64) and the
//! few distributions the simulator needs.
//!
//! Why not a crate: the output must be byte-identical for a seed on every
//! machine and every future build, so the generator and the distributions
//! are pinned here. For the same reason `ln` and `exp` are computed with
//! plain IEEE arithmetic instead of the platform's libm, whose last bits may
//! differ between glibc, musl and macOS.

/// One step of splitmix64; also used to derive independent streams.
pub(crate) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A stable 64-bit hash of a string (FNV-1a, then mixed), for ids that must
/// follow from a name.
pub(crate) fn hash_str(s: &str) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01B3);
    }
    splitmix64(&mut h)
}

/// xoshiro256** by Blackman and Vigna.
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    s: [u64; 4],
}

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        let mut sm = seed;
        let s = [
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
        ];
        Rng { s }
    }

    /// An independent stream for one purpose (users, benign traffic, one
    /// attack), so that changing one part of the simulation does not shift
    /// the random numbers of another.
    pub(crate) fn stream(seed: u64, stream: u64) -> Self {
        let mut a = seed;
        let mut b = stream ^ 0x5DEE_CE66_D1CE_4E5B;
        Rng::new(splitmix64(&mut a) ^ splitmix64(&mut b).rotate_left(17))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    pub(crate) fn next_u128(&mut self) -> u128 {
        (u128::from(self.next_u64()) << 64) | u128::from(self.next_u64())
    }

    /// Uniform in `0..n` (`n > 0`; 0 for `n == 0`). Lemire's multiply-shift;
    /// the bias is far below anything a test could see.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// Uniform index into a slice of length `len` (which must be non-zero).
    pub(crate) fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// Uniform in `[0, 1)`.
    pub(crate) fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// Standard normal (Marsaglia's polar method: no trigonometry).
    pub(crate) fn normal(&mut self) -> f64 {
        loop {
            let u = 2.0 * self.f64() - 1.0;
            let v = 2.0 * self.f64() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                return u * (-2.0 * ln(s) / s).sqrt();
            }
        }
    }

    /// Log-normal with the given median and shape.
    pub(crate) fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * exp(sigma * self.normal())
    }

    /// Exponential with the given mean.
    pub(crate) fn exponential(&mut self, mean: f64) -> f64 {
        -mean * ln(1.0 - self.f64())
    }

    /// An index drawn with the given integer weights (not all zero).
    pub(crate) fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut x = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if x < u64::from(w) {
                return i;
            }
            x -= u64::from(w);
        }
        weights.len().saturating_sub(1)
    }
}

const LN2: f64 = std::f64::consts::LN_2;

// The math below is table-driven: the tables are computed at compile time
// from slow but precise series, and the per-call work is a table lookup and
// a short polynomial. Every step is a basic IEEE operation, so the result is
// the same on every platform.

/// 1/(2k+1) for k = 0..12 (the atanh series).
const ATANH: [f64; 12] = [
    1.0,
    1.0 / 3.0,
    1.0 / 5.0,
    1.0 / 7.0,
    1.0 / 9.0,
    1.0 / 11.0,
    1.0 / 13.0,
    1.0 / 15.0,
    1.0 / 17.0,
    1.0 / 19.0,
    1.0 / 21.0,
    1.0 / 23.0,
];

/// 1/k! for k = 0..15.
const EXP: [f64; 15] = [
    1.0,
    1.0,
    1.0 / 2.0,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5_040.0,
    1.0 / 40_320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
    1.0 / 479_001_600.0,
    1.0 / 6_227_020_800.0,
    1.0 / 87_178_291_200.0,
];

/// `e^r` by its Taylor series; precise for `|r| <= 0.35`.
const fn exp_series(r: f64) -> f64 {
    let mut sum = 0.0;
    let mut i = EXP.len();
    while i > 0 {
        i -= 1;
        sum = sum * r + EXP[i];
    }
    sum
}

/// `ln(m)` by the atanh series; precise for `m` in `[0.7, 1.42]`.
const fn ln_series(m: f64) -> f64 {
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    let mut sum = 0.0;
    let mut i = ATANH.len();
    while i > 0 {
        i -= 1;
        sum = sum * t2 + ATANH[i];
    }
    2.0 * t * sum
}

const TABLE: usize = 256;

/// `2^(j/256)`.
static EXP2_FRAC: [f64; TABLE] = {
    let mut t = [0.0; TABLE];
    let mut j = 0;
    while j < TABLE {
        let half = exp_series(j as f64 / (2 * TABLE) as f64 * LN2);
        t[j] = half * half;
        j += 1;
    }
    t
};

/// For `c = 1 + (j + 0.5)/256`: `(1/c, ln c)`.
static LN_CENTRE: [(f64, f64); TABLE] = {
    let mut t = [(0.0, 0.0); TABLE];
    let mut j = 0;
    while j < TABLE {
        let c = 1.0 + (j as f64 + 0.5) / TABLE as f64;
        let ln_c = if c > std::f64::consts::SQRT_2 {
            ln_series(c * 0.5) + LN2
        } else {
            ln_series(c)
        };
        t[j] = (1.0 / c, ln_c);
        j += 1;
    }
    t
};

/// Natural logarithm (for `x > 0`; `-inf` otherwise).
pub(crate) fn ln(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NEG_INFINITY;
    }
    let bits = x.to_bits();
    let e = ((bits >> 52) & 0x7FF) as i64 - 1023;
    if e == -1023 {
        // Subnormal: renormalise (never reached by the simulator's inputs).
        return ln(x * (1u64 << 52) as f64) - 52.0 * LN2;
    }
    let m = f64::from_bits((bits & 0x000F_FFFF_FFFF_FFFF) | (1023u64 << 52));
    let j = ((bits >> 44) & 0xFF) as usize;
    let (inv_c, ln_c) = LN_CENTRE[j];
    // m = c (1 + u), |u| < 1/512.
    let u = (m - (1.0 + (j as f64 + 0.5) / TABLE as f64)) * inv_c;
    let p = u * (1.0 + u * (-0.5 + u * (1.0 / 3.0 + u * (-0.25 + u * (0.2 - u / 6.0)))));
    e as f64 * LN2 + ln_c + p
}

/// `e^x` (clamped to avoid overflow).
pub(crate) fn exp(x: f64) -> f64 {
    let x = x.clamp(-700.0, 700.0);
    let v = x * (TABLE as f64 / LN2);
    let n = (if v >= 0.0 { v + 0.5 } else { v - 0.5 }) as i64;
    // x = (n/256) ln 2 + r, |r| <= ln 2 / 512.
    let r = x - n as f64 * (LN2 / TABLE as f64);
    let p = 1.0 + r * (1.0 + r * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r / 120.0))));
    let k = n >> 8;
    let scale = f64::from_bits(((k + 1023) as u64) << 52);
    scale * EXP2_FRAC[(n & 0xFF) as usize] * p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn math_matches_libm_closely() {
        for &x in &[1e-9, 0.001, 0.3, 1.0, 1.5, 2.0, 10.0, 12345.678] {
            assert!(
                (ln(x) - x.ln()).abs() < 1e-12 * x.ln().abs().max(1.0),
                "{x}"
            );
        }
        for &x in &[-20.0, -1.0, -0.1, 0.0, 0.5, 1.0, 3.7, 30.0] {
            assert!((exp(x) - x.exp()).abs() < 1e-13 * x.exp(), "{x}");
        }
    }

    #[test]
    fn streams_are_deterministic_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| Rng::stream(7, 1).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(Rng::stream(7, 1).next_u64(), Rng::stream(7, 2).next_u64());
        assert_ne!(Rng::stream(7, 1).next_u64(), Rng::stream(8, 1).next_u64());
    }

    #[test]
    fn distributions_are_sane() {
        let mut r = Rng::new(42);
        let n = 20_000;
        let mean = (0..n).map(|_| r.exponential(5.0)).sum::<f64>() / n as f64;
        assert!((mean - 5.0).abs() < 0.25, "{mean}");
        let mut v: Vec<f64> = (0..n).map(|_| r.lognormal(100.0, 0.5)).collect();
        v.sort_by(f64::total_cmp);
        let median = v[n / 2];
        assert!((median - 100.0).abs() < 5.0, "{median}");
        let w = [1, 0, 3];
        let picks: Vec<usize> = (0..1000).map(|_| r.weighted(&w)).collect();
        assert!(!picks.contains(&1));
        assert!(picks.iter().filter(|&&i| i == 2).count() > 650);
        assert!((0..1000).all(|_| r.range(3, 5) >= 3 && r.range(3, 5) <= 5));
    }
}
