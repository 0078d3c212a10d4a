//! `cargo xtask soak` flags (clap derive).

use clap::Args;

/// The longest soak `--minutes` accepts (a day).
pub const MAX_MINUTES: f64 = 1440.0;
/// The shortest soak, in seconds: the trend checks need samples after the
/// warm-up.
pub const MIN_SECONDS: u64 = 12;
/// The longest warm-up left out of the checks without `--warmup`, in seconds.
pub const MAX_DEFAULT_WARMUP: u64 = 60;

/// Runs the mixed soak workload (csp-soak, release build) and fails if its
/// resident memory, heap in use or goroutine count trends upward after the
/// warm-up, or its throughput falls by more than half.
///
/// Writes target/soak/samples.csv and target/soak/soak.svg.
#[derive(Debug, Clone, Args)]
pub struct SoakArgs {
    /// How long to run, in minutes (decimals allowed, e.g. 0.5).
    #[arg(long, value_name = "N", value_parser = parse_minutes, default_value = "1", allow_negative_numbers = true)]
    pub minutes: Seconds,
    /// Seconds at the start left out of the checks (default: a quarter of
    /// the run, at most 60).
    #[arg(long, value_name = "SECS")]
    pub warmup: Option<u64>,
}

/// A duration in whole seconds, parsed from `--minutes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seconds(pub u64);

impl SoakArgs {
    /// (run seconds, warm-up seconds), or why the warm-up leaves nothing to check.
    ///
    /// # Errors
    /// A warm-up that leaves fewer than half the run's samples to check.
    pub fn plan(&self) -> Result<(u64, u64), String> {
        let secs = self.minutes.0;
        let warmup = self
            .warmup
            .unwrap_or_else(|| (secs / 4).min(MAX_DEFAULT_WARMUP));
        if warmup > secs / 2 {
            return Err(format!(
                "--warmup {warmup} leaves too little of a {secs}-second run to check (at most {})",
                secs / 2
            ));
        }
        Ok((secs, warmup))
    }
}

fn parse_minutes(v: &str) -> Result<Seconds, String> {
    let bad = || {
        format!(
            "--minutes must be a number of minutes from {} ({MIN_SECONDS} s) to {MAX_MINUTES}, got {v:?}",
            MIN_SECONDS as f64 / 60.0
        )
    };
    let minutes: f64 = v.trim().parse().map_err(|_| bad())?;
    if !minutes.is_finite() || minutes > MAX_MINUTES {
        return Err(bad());
    }
    let secs = (minutes * 60.0).round();
    if secs < MIN_SECONDS as f64 {
        return Err(bad());
    }
    Ok(Seconds(secs as u64))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: SoakArgs,
    }

    fn parse(args: &[&str]) -> Result<(u64, u64), String> {
        let argv = std::iter::once("soak").chain(args.iter().copied());
        Cli::try_parse_from(argv)
            .map_err(|e| e.to_string())?
            .args
            .plan()
    }

    #[test]
    fn minutes_and_warmup() {
        assert_eq!(parse(&[]), Ok((60, 15)));
        assert_eq!(parse(&["--minutes", "20"]), Ok((1200, 60)));
        assert_eq!(parse(&["--minutes=0.5"]), Ok((30, 7)));
        assert_eq!(parse(&["--minutes", "1", "--warmup", "30"]), Ok((60, 30)));
        assert_eq!(parse(&["--minutes", "1", "--warmup", "0"]), Ok((60, 0)));
    }

    #[test]
    fn bad_command_lines_are_refused_with_the_reason() {
        for bad in ["0", "-1", "0.1", "nan", "inf", "1441", "ten", ""] {
            let err = parse(&["--minutes", bad]).unwrap_err();
            assert!(err.contains("--minutes"), "{bad:?}: {err}");
        }
        let err = parse(&["--minutes", "1", "--warmup", "31"]).unwrap_err();
        assert!(err.contains("--warmup 31"), "{err}");
        assert!(parse(&["--warmup", "-3"]).is_err());
        assert!(parse(&["--hours", "1"]).unwrap_err().contains("--hours"));
    }
}
