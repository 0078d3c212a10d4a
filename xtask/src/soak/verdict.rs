//! The soak's checks: after the warm-up, resident memory, heap bytes in use
//! and the goroutine count must not trend upward, and throughput must not
//! fall by more than half.
//!
//! "Trends upward" needs two signs at once, so one spike (a burst of
//! goroutines at the sampling instant, the allocator keeping a freed arena)
//! fails nothing while a leak fails both: the mean of the last third of the
//! checked samples exceeds the first third's by more than the tolerance,
//! and the least-squares line's rise over the checked span does too.

use super::samples::Sample;

/// Memory may grow by this fraction of the first third's mean ...
pub const MEM_TOLERANCE_FRACTION: f64 = 0.10;
/// ... or by this many bytes, whichever is more.
pub const MEM_TOLERANCE_BYTES: f64 = 1024.0 * 1024.0;
/// Heap bytes in use may grow by this fraction of the first third's mean ...
pub const HEAP_TOLERANCE_FRACTION: f64 = 0.10;
/// ... or by this many bytes, whichever is more.
pub const HEAP_TOLERANCE_BYTES: f64 = 256.0 * 1024.0;
/// The goroutine count may grow by this fraction of the first third's mean ...
pub const GOROUTINE_TOLERANCE_FRACTION: f64 = 0.25;
/// ... or by this many goroutines, whichever is more.
pub const GOROUTINE_TOLERANCE: f64 = 16.0;
/// The last third's throughput must stay above this fraction of the first's.
pub const MIN_THROUGHPUT_RATIO: f64 = 0.5;
/// The fewest checked samples (after the warm-up) a verdict needs.
pub const MIN_CHECKED: usize = 6;

/// One checked quantity: its first- and last-third means and fitted rise.
#[derive(Debug, Clone, PartialEq)]
pub struct Trend {
    /// Mean over the first third of the checked samples.
    pub first: f64,
    /// Mean over the last third.
    pub last: f64,
    /// The least-squares line's rise over the checked span.
    pub rise: f64,
    /// The growth allowed.
    pub tolerance: f64,
}

impl Trend {
    fn of(points: &[(f64, f64)], fraction: f64, floor: f64) -> Trend {
        let third = (points.len() / 3).max(1);
        let mean = |p: &[(f64, f64)]| p.iter().map(|q| q.1).sum::<f64>() / p.len() as f64;
        let first = mean(&points[..third]);
        let last = mean(&points[points.len() - third..]);
        let span = points[points.len() - 1].0 - points[0].0;
        Trend {
            first,
            last,
            rise: slope(points) * span,
            tolerance: (first * fraction).max(floor),
        }
    }

    /// Whether both signs of growth exceed the tolerance.
    pub fn upward(&self) -> bool {
        self.last - self.first > self.tolerance && self.rise > self.tolerance
    }
}

/// The least-squares slope of `points` (0 for fewer than two distinct x).
fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    if sxx == 0.0 {
        0.0
    } else {
        sxy / sxx
    }
}

/// Rounds a second between consecutive samples: (end time, rate).
pub fn rates(samples: &[Sample]) -> Vec<(f64, f64)> {
    samples
        .windows(2)
        .filter(|w| w[1].secs > w[0].secs)
        .map(|w| {
            let done = w[1].rounds.saturating_sub(w[0].rounds) as f64;
            (w[1].secs, done / (w[1].secs - w[0].secs))
        })
        .collect()
}

/// What the checks found.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Resident memory in bytes.
    pub memory: Trend,
    /// Heap bytes in use.
    pub heap: Trend,
    /// Live goroutines.
    pub goroutines: Trend,
    /// Rounds a second: first- and last-third means.
    pub throughput: (f64, f64),
    /// Every failed check, worded for the user; empty if the soak passed.
    pub failures: Vec<String>,
}

/// Checks the samples taken after `warmup` seconds.
///
/// # Errors
/// Fewer than [`MIN_CHECKED`] samples after the warm-up.
pub fn judge(samples: &[Sample], warmup: f64) -> Result<Verdict, String> {
    let checked: Vec<Sample> = samples
        .iter()
        .copied()
        .filter(|s| s.secs >= warmup)
        .collect();
    if checked.len() < MIN_CHECKED {
        return Err(format!(
            "only {} samples after the {warmup} s warm-up, at least {MIN_CHECKED} are needed",
            checked.len()
        ));
    }
    let series = |f: fn(&Sample) -> f64| checked.iter().map(|s| (s.secs, f(s))).collect();
    let mem: Vec<(f64, f64)> = series(|s| s.rss_bytes as f64);
    let heap: Vec<(f64, f64)> = series(|s| s.heap_bytes as f64);
    let gor: Vec<(f64, f64)> = series(|s| s.goroutines as f64);
    let memory = Trend::of(&mem, MEM_TOLERANCE_FRACTION, MEM_TOLERANCE_BYTES);
    let heap = Trend::of(&heap, HEAP_TOLERANCE_FRACTION, HEAP_TOLERANCE_BYTES);
    let goroutines = Trend::of(&gor, GOROUTINE_TOLERANCE_FRACTION, GOROUTINE_TOLERANCE);
    let rate = rates(&checked);
    let third = (rate.len() / 3).max(1);
    let mean = |p: &[(f64, f64)]| p.iter().map(|q| q.1).sum::<f64>() / p.len() as f64;
    let throughput = (mean(&rate[..third]), mean(&rate[rate.len() - third..]));
    let mut failures = Vec::new();
    const MIB: f64 = 1024.0 * 1024.0;
    if memory.upward() {
        failures.push(format!(
            "resident memory trends upward: {:.2} MiB -> {:.2} MiB (fitted rise {:.2} MiB, tolerance {:.2} MiB)",
            memory.first / MIB,
            memory.last / MIB,
            memory.rise / MIB,
            memory.tolerance / MIB
        ));
    }
    if heap.upward() {
        failures.push(format!(
            "heap bytes in use trend upward (a leak): {:.0} KiB -> {:.0} KiB (fitted rise {:.0} KiB, tolerance {:.0} KiB)",
            heap.first / 1024.0,
            heap.last / 1024.0,
            heap.rise / 1024.0,
            heap.tolerance / 1024.0
        ));
    }
    if goroutines.upward() {
        failures.push(format!(
            "the goroutine count trends upward: {:.1} -> {:.1} (fitted rise {:.1}, tolerance {:.1})",
            goroutines.first, goroutines.last, goroutines.rise, goroutines.tolerance
        ));
    }
    if throughput.0 <= 0.0 {
        failures.push("no round completed in the first third after the warm-up".into());
    } else if throughput.1 < throughput.0 * MIN_THROUGHPUT_RATIO {
        failures.push(format!(
            "throughput fell by more than half: {:.0} -> {:.0} rounds/s",
            throughput.0, throughput.1
        ));
    }
    Ok(Verdict {
        memory,
        heap,
        goroutines,
        throughput,
        failures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One sample a second for `secs`, memory, goroutines and rounds a
    /// second given by the closures; the heap is a tenth of the memory.
    fn run(
        secs: u64,
        mem: impl Fn(f64) -> f64,
        gor: impl Fn(f64) -> f64,
        rate: impl Fn(f64) -> f64,
    ) -> Vec<Sample> {
        run_heap(secs, mem, |t| 0.4 * MB + 0.01 * MB * noise(t), gor, rate)
    }

    fn run_heap(
        secs: u64,
        mem: impl Fn(f64) -> f64,
        heap: impl Fn(f64) -> f64,
        gor: impl Fn(f64) -> f64,
        rate: impl Fn(f64) -> f64,
    ) -> Vec<Sample> {
        let mut rounds = 0.0;
        (0..=secs)
            .map(|t| {
                let t = t as f64;
                if t > 0.0 {
                    rounds += rate(t);
                }
                Sample {
                    secs: t,
                    rss_bytes: mem(t) as u64,
                    heap_bytes: heap(t) as u64,
                    goroutines: gor(t) as u64,
                    rounds: rounds as u64,
                }
            })
            .collect()
    }

    /// A deterministic wobble in [-1, 1].
    fn noise(t: f64) -> f64 {
        (t * 12.9898).sin()
    }

    const MB: f64 = 1024.0 * 1024.0;

    #[test]
    fn a_flat_noisy_run_passes() {
        let s = run(
            60,
            |t| 4.0 * MB + 0.3 * MB * noise(t),
            |t| 20.0 + 10.0 * noise(t + 1.0),
            |t| 5000.0 + 1500.0 * noise(t + 2.0),
        );
        let v = judge(&s, 15.0).unwrap();
        assert!(v.failures.is_empty(), "{:?}", v.failures);
        assert!((v.memory.first / MB - 4.0).abs() < 0.3, "{v:?}");
    }

    #[test]
    fn warm_up_growth_is_not_a_trend() {
        let s = run(
            60,
            |t| if t < 10.0 { t * MB } else { 10.0 * MB },
            |t| if t < 10.0 { t * 50.0 } else { 500.0 },
            |t| if t < 10.0 { 100.0 } else { 5000.0 },
        );
        assert!(judge(&s, 15.0).unwrap().failures.is_empty());
        // Checked from the start, memory and goroutines trend upward (a
        // rising throughput is no failure).
        let f = judge(&s, 0.0).unwrap().failures;
        assert_eq!(f.len(), 2, "{f:?}");
    }

    #[test]
    fn a_memory_leak_fails() {
        let s = run(60, |t| 4.0 * MB + t * 0.1 * MB, |_| 20.0, |_| 5000.0);
        let f = judge(&s, 15.0).unwrap().failures;
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].contains("resident memory trends upward"), "{f:?}");
    }

    #[test]
    fn a_heap_leak_fails_while_resident_memory_hides_it() {
        // 16 KiB a second: within the resident set's tolerance, not the heap's.
        let s = run_heap(
            60,
            |_| 4.0 * MB,
            |t| 0.4 * MB + t * 16384.0,
            |_| 20.0,
            |_| 5000.0,
        );
        let f = judge(&s, 15.0).unwrap().failures;
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].contains("heap bytes in use trend upward"), "{f:?}");
    }

    #[test]
    fn a_goroutine_leak_fails() {
        let s = run(60, |_| 4.0 * MB, |t| 20.0 + t, |_| 5000.0);
        let f = judge(&s, 15.0).unwrap().failures;
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].contains("goroutine count trends upward"), "{f:?}");
    }

    #[test]
    fn a_burst_is_no_trend() {
        // Memory and goroutines jump for a few seconds mid-run, then return.
        let burst = |t: f64| (35.0..40.0).contains(&t);
        let s = run(
            60,
            |t| if burst(t) { 40.0 * MB } else { 4.0 * MB },
            |t| if burst(t) { 2000.0 } else { 20.0 },
            |_| 5000.0,
        );
        let v = judge(&s, 15.0).unwrap();
        assert!(v.failures.is_empty(), "{:?}", v.failures);
        // One sign alone is not enough either: one sample early in the last
        // third lifts its mean past the tolerance, not the fitted line.
        let tail = run(
            60,
            |t| if t == 46.0 { 22.0 * MB } else { 4.0 * MB },
            |_| 20.0,
            |_| 5000.0,
        );
        let v = judge(&tail, 15.0).unwrap();
        assert!(v.memory.last - v.memory.first > v.memory.tolerance, "{v:?}");
        assert!(v.memory.rise < v.memory.tolerance, "{v:?}");
        assert!(v.failures.is_empty(), "{:?}", v.failures);
    }

    #[test]
    fn a_slowdown_by_more_than_half_fails() {
        let s = run(60, |_| 4.0 * MB, |_| 20.0, |t| 10_000.0 - 150.0 * t);
        let f = judge(&s, 15.0).unwrap().failures;
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].contains("throughput fell"), "{f:?}");
        let stalled = run(60, |_| 4.0 * MB, |_| 20.0, |_| 0.0);
        let f = judge(&stalled, 15.0).unwrap().failures;
        assert!(f[0].contains("no round completed"), "{f:?}");
    }

    #[test]
    fn too_few_samples_is_an_error() {
        let s = run(8, |_| MB, |_| 1.0, |_| 1.0);
        assert!(judge(&s, 4.0).unwrap_err().contains("only 5 samples"));
    }

    #[test]
    fn rates_between_samples() {
        let s = run(3, |_| 0.0, |_| 0.0, |t| 10.0 * t);
        assert_eq!(rates(&s), vec![(1.0, 10.0), (2.0, 20.0), (3.0, 30.0)]);
    }
}
