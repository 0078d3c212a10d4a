//! The soak's samples: parsed from `csp-soak`'s CSV lines, written back out
//! with the throughput between samples added.

use std::fmt::Write;

use super::verdict::rates;

#[path = "../../../benches/workloads/src/soak/sample.rs"]
mod sample;
pub use sample::{Sample, HEADER};

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
        let _ = writeln!(out, "{},{r}", s.to_csv());
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
