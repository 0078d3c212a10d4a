//! The Go ports in `examples/` keep doing what their Go originals do.
//!
//! Each example file is compiled into this binary with `#[path]`, so the
//! tests call the very functions the examples run. Output that Go makes
//! deterministic is checked exactly (the sum, the Fibonacci numbers, the 100
//! primes, the order of the cakes); the rest by invariant (the worker pool's
//! two ways agree, the pump loses nothing, the slow sleeper dies with main,
//! every goroutine joins). `sleepers` must see its process's main return, so
//! it runs in a child process: this binary re-executed with
//! `common::CHILD_ENV = sleepers`, running only the `child` test; so does
//! the tour, whose printed output is checked whole.

mod common;

use std::time::{Duration, Instant};

use common::{as_child, run_child};
use csp::prelude::*;

#[allow(dead_code)]
#[path = "../examples/cakes.rs"]
mod cakes;
#[allow(dead_code)]
#[path = "../examples/fibonacci.rs"]
mod fibonacci;
#[allow(dead_code)]
#[path = "../examples/many_goroutines.rs"]
mod many_goroutines;
#[allow(dead_code)]
#[path = "../examples/prime_sieve.rs"]
mod prime_sieve;
#[allow(dead_code)]
#[path = "../examples/pump.rs"]
mod pump;
#[path = "../examples/sleepers.rs"]
mod sleepers;
#[allow(dead_code)]
#[path = "../examples/sum.rs"]
mod sum;
#[allow(dead_code)]
#[path = "../examples/tour.rs"]
mod tour;
#[allow(dead_code)]
#[path = "../examples/workers.rs"]
mod workers;

/// Cakes baked by the cakes tests.
const CAKES: usize = 30;
/// Tasks and workers for the worker-pool tests.
const TASKS: u64 = 300;
/// Goroutines started by the many_goroutines test (the example starts 100,000).
const MANY: usize = 2_000;

#[csp::test(timeout_secs = 10)]
async fn sum_halves_add_up_to_the_total() {
    let (x, y) = sum::sum_halves(&sum::S).await;
    let mut halves = [x, y];
    halves.sort_unstable();
    assert_eq!(halves, [-5, 17], "Go prints -5 17 12 (or 17 -5 12)");
    assert_eq!(x + y, 12);

    let long: Vec<i64> = (1..=1_001)
        .map(|i| if i % 3 == 0 { -i } else { i })
        .collect();
    let (x, y) = sum::sum_halves(&long).await;
    assert_eq!(x + y, long.iter().sum::<i64>());
}

#[csp::test(timeout_secs = 10)]
async fn fibonacci_ranges_until_close() {
    assert_eq!(
        fibonacci::first(10).await,
        [0, 1, 1, 2, 3, 5, 8, 13, 21, 34],
        "the tour's output"
    );
    let long = fibonacci::first(60).await;
    assert_eq!(long.len(), 60);
    assert!(long.windows(3).all(|w| w[2] == w[0] + w[1]));
    assert!(
        fibonacci::first(0).await.is_empty(),
        "cap 0: nothing, then close"
    );
}

#[csp::test(timeout_secs = 10)]
async fn prime_sieve_prints_the_first_100_primes() {
    let primes = prime_sieve::primes(prime_sieve::PRIMES).await;
    let expected: Vec<u64> = (2u64..)
        .filter(|&n| (2..n).take_while(|d| d * d <= n).all(|d| n % d != 0))
        .take(100)
        .collect();
    assert_eq!(primes, expected);
    assert_eq!(primes.last(), Some(&541));

    // Dropping the last channel unwinds the chain of 100 filters and the generator.
    let deadline = Instant::now() + Duration::from_secs(5);
    while num_goroutine() > 1 {
        assert!(
            Instant::now() < deadline,
            "{} goroutines left",
            num_goroutine()
        );
        sleep(Duration::from_millis(10)).await;
    }
}

/// Checks the cakes log: both sides in order, each cake made before it is
/// packed, and the baker never further ahead than `capacity + 1`.
fn check_cakes(lines: &[String], count: usize, capacity: usize) {
    assert_eq!(lines.len(), 2 * count, "{lines:#?}");
    let made: Vec<&String> = lines.iter().filter(|l| l.starts_with("Making")).collect();
    let packed: Vec<&String> = lines.iter().filter(|l| l.starts_with("Packing")).collect();
    for i in 1..=count {
        let cake = format!("Strawberry Cake {i}");
        assert_eq!(
            *made[i - 1],
            format!("Making a cake and sending ... {cake}")
        );
        assert_eq!(*packed[i - 1], format!("Packing received cake: {cake}"));
        let at = |line: &String| lines.iter().position(|l| l == line).unwrap();
        assert!(
            at(made[i - 1]) < at(packed[i - 1]),
            "{cake} packed before made"
        );
    }
    let ahead = cakes::max_ahead(lines);
    assert!(ahead <= capacity + 1, "ahead by {ahead}: {lines:#?}");
}

#[csp::test(timeout_secs = 10)]
async fn cakes_unbuffered_baker_is_never_two_cakes_ahead() {
    for _ in 0..5 {
        let lines = cakes::bake_and_pack(CAKES, 0, false).await;
        check_cakes(&lines, CAKES, 0);
    }
}

#[csp::test(timeout_secs = 10)]
async fn cakes_buffered_lets_the_baker_run_ahead_by_the_buffer() {
    let lines = cakes::bake_and_pack(CAKES, 3, false).await;
    check_cakes(&lines, CAKES, 3);
}

#[csp::test(timeout_secs = 10)]
async fn workers_both_ways_give_the_same_results() {
    let expected: Vec<workers::Done> = (1..=TASKS).map(workers::work).collect();
    for n in [1, 4, 16] {
        assert_eq!(
            workers::with_mutex(TASKS, n).await,
            expected,
            "mutex, {n} workers"
        );
        assert_eq!(
            workers::with_channels(TASKS, n).await,
            expected,
            "channels, {n} workers"
        );
    }
    assert_eq!(workers::work(27), (27, 111));
}

#[csp::test(timeout_secs = 10)]
async fn pump_that_finishes_moves_every_value_then_closes() {
    let r = pump::run(20, None, Duration::from_secs(3)).await;
    assert_eq!(r.ended, pump::Ended::Closed);
    assert_eq!(r.received, (0..20).collect::<Vec<u64>>());
    assert_eq!(r.sent, 20);
}

#[csp::test(timeout_secs = 10)]
async fn pump_that_stalls_times_out_and_stops_without_losing_a_value() {
    let r = pump::run(20, Some(4), Duration::from_millis(400)).await;
    assert_eq!(r.ended, pump::Ended::TimedOut);
    assert_eq!(r.sent, 4, "the pump stopped where it stalled");
    assert_eq!(r.received, (0..r.sent).collect::<Vec<u64>>());
}

#[csp::test(timeout_secs = 10)]
async fn many_goroutines_are_alive_at_once_and_all_join() {
    let s = many_goroutines::spawn_and_join(MANY).await;
    assert_eq!(s.n, MANY);
    assert_eq!(s.joined, MANY);
    assert!(
        s.peak_goroutines > MANY,
        "all {MANY} and main alive at once"
    );
    if cfg!(target_os = "linux") {
        assert!(
            many_goroutines::rss_bytes().is_some(),
            "VmRSS readable on Linux"
        );
        assert!(s.rss_growth.is_some());
    }
}

/// The child side: runs the program named by [`common::CHILD_ENV`].
#[test]
fn child() {
    as_child(|name| match name {
        "sleepers" => {
            sleepers::main(); // returns once main's sleep is over
            std::thread::sleep(
                sleepers::SLOW.saturating_sub(sleepers::MAIN) + Duration::from_millis(500),
            );
            println!("child: the slow sleeper's wake-up time has passed");
        }
        "tour" => tour::main(),
        other => panic!("no child program {other:?}"),
    });
}

/// Lines of `text` (trimmed) in order, each found after the previous one.
fn assert_in_order(text: &str, lines: &[&str]) {
    let got: Vec<&str> = text.lines().map(str::trim_end).collect();
    let mut at = 0;
    for line in lines {
        match got[at..].iter().position(|l| l == line) {
            Some(i) => at += i + 1,
            None => panic!("no {line:?} after line {at} in:\n{text}"),
        }
    }
}

#[test]
fn the_tour_prints_what_each_section_shows() {
    let stdout = run_child("child", "tour");
    assert_in_order(
        &stdout,
        &[
            "== goroutines",
            "4 goroutines squared 1..=4; the squares sum to 30",
            "== unbuffered channel: send and receive meet",
            "  player got \"ping\", answers \"pong\"",
            "  main got \"pong\"",
            "  player got \"ping\", answers \"pong\"",
            "  main got \"pong\"",
            "== buffered channel: len and cap",
            "  3 sends, no receiver: len=3 cap=3",
        ],
    );
    let try_send = stdout
        .lines()
        .find(|l| l.starts_with("  a 4th would wait: try_send says"))
        .unwrap_or_else(|| panic!("no try_send line in:\n{stdout}"));
    assert!(try_send.ends_with("and gives back 4"), "{try_send}");
    assert_in_order(
        &stdout,
        &[
            "  FIFO: Some(1) first",
            "== select with a timeout",
            "  waiting up to 500ms: got Some(\"reply after 20ms\")",
            "  waiting up to 5ms: timed out",
            "== WaitGroup",
            "  all 3 workers done, in finishing order [3, 2, 1]",
            "== gosched (GOMAXPROCS=1)",
            "  hello 0",
            "  world 0",
            "  hello 1",
            "  world 1",
            "  hello 2",
            "  world 2",
            "== close and range",
            "  received until close: [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]",
            "  after close: recv() = None (Go: v, ok = 0, false)",
            "== main returns with 2 goroutines alive: the program ends",
        ],
    );
}

#[test]
fn sleepers_die_with_main() {
    let stdout = run_child("child", "sleepers");
    let at = |line: &str| {
        stdout
            .find(line)
            .unwrap_or_else(|| panic!("no {line:?} in:\n{stdout}"))
    };
    assert!(at("short sleeper: done") < at("main: returning"));
    assert!(at("main: returning") < at("child: the slow sleeper's wake-up time has passed"));
    assert!(stdout.contains("slow sleeper: sleeping"), "{stdout}");
    assert!(
        !stdout.contains("slow sleeper: done"),
        "the slow sleeper outlived main:\n{stdout}"
    );
}
