//! The soak's samples: parsed from `csp-soak`'s CSV lines, written back out
//! with the throughput between samples added.

use std::fmt::Write;

use super::verdict::rates;

/// The header `csp-soak` prints before its samples.
pub const HEADER: &str = "secs,rss_bytes,heap_bytes,goroutines,rounds";

/// One sample of the soak workload (see `csp_workloads::soak::Sample`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Seconds since the workload started.
    pub secs: f64,
    /// Resident set size in bytes.
    pub rss_bytes: u64,
    /// Heap bytes in use (allocated, not freed).
    pub heap_bytes: u64,
    /// Live goroutines.
    pub goroutines: u64,
    /// Rounds completed so far.
    pub rounds: u64,
}

impl Sample {
    /// Parses one CSV line of `csp-soak`.
    ///
    /// # Errors
    /// A line without four fields, or a field that is not a number.
    pub fn parse(line: &str) -> Result<Sample, String> {
        let fields: Vec<&str> = line.trim().split(',').collect();
        let [secs, rss, heap, goroutines, rounds] = fields.as_slice() else {
            return Err(format!("expected 5 comma-separated fields in {line:?}"));
        };
        let int = |s: &str| {
            s.parse::<u64>()
                .map_err(|_| format!("not a whole number: {s:?} in {line:?}"))
        };
        let secs = secs
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s >= 0.0)
            .ok_or_else(|| format!("not a time in seconds: {secs:?} in {line:?}"))?;
        Ok(Sample {
            secs,
            rss_bytes: int(rss)?,
            heap_bytes: int(heap)?,
            goroutines: int(goroutines)?,
            rounds: int(rounds)?,
        })
    }
}

/// `samples.csv`: the samples with the rounds a second since the previous one
/// (empty on the first).
pub fn to_csv(samples: &[Sample]) -> String {
    let mut out = format!("{HEADER},rounds_per_sec\n");
    let rate = rates(samples);
    for (i, s) in samples.iter().enumerate() {
        let r = i
            .checked_sub(1)
            .and_then(|j| rate.get(j))
            .map_or(String::new(), |r| format!("{:.1}", r.1));
        let _ = writeln!(
            out,
            "{:.3},{},{},{},{},{r}",
            s.secs, s.rss_bytes, s.heap_bytes, s.goroutines, s.rounds
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The workload's own CSV line reads back as the same sample.
    #[test]
    fn reads_what_the_workload_writes() {
        use csp_workloads::soak;
        assert_eq!(soak::HEADER, HEADER);
        let s = soak::Sample {
            secs: 12.5,
            rss_bytes: 3_600_000,
            heap_bytes: 250_000,
            goroutines: 27,
            rounds: 81_234,
        };
        let back = Sample::parse(&s.to_csv()).unwrap();
        assert_eq!(
            (
                back.secs,
                back.rss_bytes,
                back.heap_bytes,
                back.goroutines,
                back.rounds
            ),
            (12.5, 3_600_000, 250_000, 27, 81_234)
        );
    }

    #[test]
    fn bad_lines_are_refused_with_the_reason() {
        assert!(Sample::parse("1,2,3,4").unwrap_err().contains("5 comma"));
        assert!(Sample::parse("1,2,3,4,5,6")
            .unwrap_err()
            .contains("5 comma"));
        assert!(Sample::parse("x,2,3,4,5").unwrap_err().contains("\"x\""));
        assert!(Sample::parse("-1,2,3,4,5").unwrap_err().contains("\"-1\""));
        assert!(Sample::parse("1,2,3,-4,5").unwrap_err().contains("\"-4\""));
    }

    #[test]
    fn csv_has_the_rate_since_the_previous_sample() {
        let s = |secs, rounds| Sample {
            secs,
            rss_bytes: 1,
            heap_bytes: 3,
            goroutines: 2,
            rounds,
        };
        let csv = to_csv(&[s(0.0, 0), s(1.0, 100), s(3.0, 500)]);
        assert_eq!(
            csv,
            "secs,rss_bytes,heap_bytes,goroutines,rounds,rounds_per_sec\n\
             0.000,1,3,2,0,\n1.000,1,3,2,100,100.0\n3.000,1,3,2,500,200.0\n"
        );
    }
}
