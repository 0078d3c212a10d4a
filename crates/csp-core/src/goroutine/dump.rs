//! Goroutine dumps in Go's format: [`dump()`], the deadlock report and the
//! SIGQUIT dump all format a registry snapshot here.
//!
//! # Invariants
//! - One block per goroutine, main first, then by id (Go's order); each block
//!   is a header `goroutine 7 [chan receive]:`, then `\tblocked at FILE:LINE:COL`
//!   when it waits in a csp primitive, then `\tcreated at FILE:LINE:COL`
//!   (Go: `created by main.main in goroutine 1`), then a blank line.
//! - As in Go, the wait duration appears only from one minute on, in whole
//!   minutes: `goroutine 7 [chan receive, 3 minutes]:` (Go prints "minutes"
//!   even for 1; so does csp, so tools that parse Go dumps parse these).

use std::fmt::Write as _;
use std::time::Instant;

use super::registry::{goroutines, GoroutineInfo, GoroutineState};

/// The first line of Go's deadlock report.
pub(crate) const DEADLOCK_MESSAGE: &str = "fatal error: all goroutines are asleep - deadlock!";

/// Formats every live goroutine as Go's goroutine dump does.
///
/// Mirrors the dump Go prints on `SIGQUIT` or `runtime.Stack(buf, true)`,
/// without stack frames: csp shows where each goroutine waits and where it
/// was created. Scope as for [`goroutines()`]: the current csp runtime's
/// goroutines (see also [`Runtime::dump`](crate::Runtime::dump)).
///
/// # Examples
///
/// ```
/// csp_core::run(async {
///     let (_tx, rx) = csp_core::chan::<()>(0);
///     csp_core::go(async move { rx.recv().await });
///     while csp_core::goroutines().iter().all(|g| g.wait_reason().is_none()) {
///         csp_core::gosched().await;
///     }
///     let dump = csp_core::dump();
///     assert!(dump.starts_with("goroutine 1 [running]:\n"));
///     assert!(dump.contains("goroutine 2 [chan receive]:\n\tblocked at "));
/// });
/// ```
pub fn dump() -> String {
    format_dump(&goroutines(), Instant::now())
}

/// Formats `infos` (a registry snapshot) as of `now`.
pub(crate) fn format_dump(infos: &[GoroutineInfo], now: Instant) -> String {
    let mut sorted: Vec<&GoroutineInfo> = infos.iter().collect();
    sorted.sort_by_key(|g| (!g.is_main, g.id));
    let mut out = String::new();
    for g in sorted {
        let _ = write!(out, "goroutine {} [", g.id);
        match g.state {
            GoroutineState::Running => out.push_str("running"),
            GoroutineState::Waiting { reason, since, .. } => {
                out.push_str(reason.as_str());
                let minutes = now.saturating_duration_since(since).as_secs() / 60;
                if minutes > 0 {
                    let _ = write!(out, ", {minutes} minutes");
                }
            }
        }
        out.push_str("]:\n");
        if let Some(at) = g.blocked_at() {
            let _ = writeln!(out, "\tblocked at {at}");
        }
        let _ = writeln!(out, "\tcreated at {}\n", g.spawned_at);
    }
    out
}

/// Go's deadlock report: the fatal error line, a blank line, the dump.
pub(crate) fn deadlock_report(infos: &[GoroutineInfo], now: Instant) -> String {
    format!("{DEADLOCK_MESSAGE}\n\n{}", format_dump(infos, now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::goroutine::WaitReason;
    use std::panic::Location;
    use std::time::Duration;

    fn info(id: u64, is_main: bool, state: GoroutineState) -> GoroutineInfo {
        GoroutineInfo {
            id,
            spawned_at: Location::caller(),
            is_main,
            state,
        }
    }

    #[test]
    fn go_format_main_first_minutes_only_past_one() {
        let now = Instant::now();
        let at = Location::caller();
        let waiting = |secs| GoroutineState::Waiting {
            reason: WaitReason::ChanSend,
            since: now - Duration::from_secs(secs),
            at,
        };
        let infos = [
            info(3, false, GoroutineState::Running),
            info(2, true, waiting(5)),
            info(1, false, waiting(125)),
        ];
        let text = deadlock_report(&infos, now);
        let headers: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("goroutine"))
            .collect();
        assert_eq!(
            headers,
            [
                "goroutine 2 [chan send]:",
                "goroutine 1 [chan send, 2 minutes]:",
                "goroutine 3 [running]:"
            ]
        );
        assert!(text.starts_with(&format!("{DEADLOCK_MESSAGE}\n\ngoroutine 2")));
        assert!(text.contains(&format!("\tblocked at {at}\n\tcreated at ")));
        assert!(text.ends_with("\n\n"));
    }
}
