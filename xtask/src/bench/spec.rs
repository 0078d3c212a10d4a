//! What each workload is: its name, its sizes, and its expected answer,
//! computed here independently of the programs under test.

/// `sum`'s passes over its slice (`SUM_ROUNDS` in the workloads).
const SUM_ROUNDS: u64 = 10;
/// [`mix`] iterations per job of `workers`.
const WORKER_ITERS: u32 = 50_000;
/// [`mix`] iterations per item of `pipeline`.
const PIPELINE_ITERS: u32 = 1_000;

/// One of the CSP workloads both `csp-workloads` and the Go twin implement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Workload {
    /// Parallel sum of a slice split across goroutines.
    Sum,
    /// A worker pool fed by a channel, CPU-bound jobs.
    Workers,
    /// The concurrent prime sieve daisy chain.
    Sieve,
    /// Fan-out/fan-in with `select` over the result channels.
    Pipeline,
    /// Goroutines blocked on one channel: time and bytes per goroutine.
    Spawn,
}

impl Workload {
    /// Every workload, in run order.
    pub const ALL: [Workload; 5] = [
        Workload::Sum,
        Workload::Workers,
        Workload::Sieve,
        Workload::Pipeline,
        Workload::Spawn,
    ];

    /// The name on the command line and in the JSON line.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Sum => "sum",
            Workload::Workers => "workers",
            Workload::Sieve => "sieve",
            Workload::Pipeline => "pipeline",
            Workload::Spawn => "spawn",
        }
    }

    /// The workload called `name`, if any.
    pub fn from_name(name: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|w| w.name() == name)
    }

    /// The `SIZE` argument: full sizes, or small ones for `--quick`.
    pub fn size(self, quick: bool) -> u64 {
        match (self, quick) {
            (Workload::Sum, false) => 8_000_000,
            (Workload::Sum, true) => 100_000,
            (Workload::Workers, false) => 2_000,
            (Workload::Workers, true) => 40,
            (Workload::Sieve, false) => 1_000,
            (Workload::Sieve, true) => 100,
            (Workload::Pipeline, false) => 100_000,
            (Workload::Pipeline, true) => 2_000,
            (Workload::Spawn, false) => 1_000_000,
            (Workload::Spawn, true) => 10_000,
        }
    }

    /// The right answer at `size`: the sum formula, the last prime, the
    /// wrapping checksum of the jobs, the number of goroutines released.
    pub fn expected(self, size: u64) -> u64 {
        match self {
            Workload::Sum => {
                let n = u128::from(size);
                let once = n * n.saturating_sub(1) / 2;
                (once * u128::from(SUM_ROUNDS)) as u64
            }
            Workload::Workers => (0..size).fold(0, |a, j| a.wrapping_add(mix(j, WORKER_ITERS))),
            Workload::Sieve => nth_prime(size),
            Workload::Pipeline => (0..size).fold(0, |a, x| a.wrapping_add(mix(x, PIPELINE_ITERS))),
            Workload::Spawn => size,
        }
    }
}

/// The job of `workers` and `pipeline`, computed from its definition rather
/// than from the workloads' code: round `i` (from 0) maps `x` to
/// `g(f(x)) + i` modulo 2^64, with `f(x) = (x xor x / 2^33) * K` and
/// `g(y) = y xor y / 2^29`, `K = 0xff51afd7ed558ccd`. The arithmetic runs on
/// 128 bits and reduces explicitly, so it shares no wrapping operation with
/// the kernels under test; the tests pin its values to the Go twin's answers.
pub fn mix(seed: u64, rounds: u32) -> u64 {
    const K: u128 = 0xff51_afd7_ed55_8ccd;
    const LOW_64: u128 = (1 << 64) - 1;
    let x = (0..u128::from(rounds)).fold(u128::from(seed), |x, i| {
        let y = ((x ^ (x >> 33)) * K) & LOW_64;
        ((y ^ (y >> 29)) + i) & LOW_64
    });
    u64::try_from(x).expect("reduced modulo 2^64")
}

/// The `n`th prime (1-based: `nth_prime(1) == 2`) by trial division;
/// 0 for `n == 0`.
pub fn nth_prime(n: u64) -> u64 {
    let mut found = 0;
    let mut candidate = 1;
    while found < n {
        candidate += 1;
        if (2..)
            .take_while(|d| d * d <= candidate)
            .all(|d| candidate % d != 0)
        {
            found += 1;
        }
    }
    if n == 0 {
        0
    } else {
        candidate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for w in Workload::ALL {
            assert_eq!(Workload::from_name(w.name()), Some(w));
        }
        assert_eq!(Workload::from_name("nope"), None);
    }

    #[test]
    fn known_answers() {
        assert_eq!(nth_prime(1), 2);
        assert_eq!(nth_prime(100), 541);
        assert_eq!(nth_prime(1_000), 7_919);
        assert_eq!(Workload::Sum.expected(4), 10 * 6);
        assert_eq!(Workload::Sum.expected(8_000_000), 319_999_960_000_000);
        assert_eq!(Workload::Spawn.expected(7), 7);
        assert_eq!(mix(0, 0), 0);
        assert_eq!(mix(7, 0), 7);
        assert_eq!(
            mix(1, 1),
            0xff51_afd7_ed55_8ccd ^ (0xff51_afd7_ed55_8ccd >> 29)
        );
    }

    /// The answers of the Go twin (`benches/go`, `GOMAXPROCS=2 workloads
    /// WORKLOAD SIZE`), an implementation in another language by another
    /// compiler: the reference must agree with them.
    #[test]
    fn answers_agree_with_the_go_twin() {
        assert_eq!(mix(0, WORKER_ITERS), 13_241_678_852_920_983_910);
        assert_eq!(mix(0, PIPELINE_ITERS), 9_087_724_002_790_887_594);
        assert_eq!(Workload::Workers.expected(1), 13_241_678_852_920_983_910);
        assert_eq!(Workload::Pipeline.expected(1), 9_087_724_002_790_887_594);
        let workers = Workload::Workers.size(true);
        assert_eq!(workers, 40);
        assert_eq!(
            Workload::Workers.expected(workers),
            15_057_276_104_316_627_205
        );
        let pipeline = Workload::Pipeline.size(true);
        assert_eq!(pipeline, 2_000);
        assert_eq!(
            Workload::Pipeline.expected(pipeline),
            8_930_926_750_347_770_506
        );
    }

    #[test]
    fn quick_sizes_are_smaller() {
        for w in Workload::ALL {
            assert!(w.size(true) < w.size(false), "{}", w.name());
        }
    }
}
