//! One sample of the soak workload, as `csp-soak` prints it and
//! `cargo xtask soak` reads it back: one definition of the CSV format for
//! both (xtask includes this file by path, so it needs no csp).

/// The CSV header `csp-soak` prints before its samples.
pub const HEADER: &str = "secs,rss_bytes,heap_bytes,goroutines,rounds";

/// One line of the soak's CSV output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Seconds since the workload started.
    pub secs: f64,
    /// Resident set size in bytes (0 where `/proc` is missing).
    pub rss_bytes: u64,
    /// Heap bytes in use (allocated, not freed; 0 without the counting
    /// allocator).
    pub heap_bytes: u64,
    /// Live goroutines (`csp::num_goroutine`).
    pub goroutines: u64,
    /// Rounds completed by all workers so far.
    pub rounds: u64,
}

impl Sample {
    /// The sample as a CSV line (no newline), columns as [`HEADER`].
    pub fn to_csv(self) -> String {
        format!(
            "{:.3},{},{},{},{}",
            self.secs, self.rss_bytes, self.heap_bytes, self.goroutines, self.rounds
        )
    }

    /// Parses one CSV line, as [`to_csv`](Self::to_csv) writes it.
    ///
    /// # Errors
    /// A line without five fields, or a field that is not a number.
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
