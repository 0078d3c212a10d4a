//! The service-toolkit ports in `examples/` (`pipelines`, `google_search`,
//! `errgroup`) keep doing what their Go originals do. As in
//! `tests/examples.rs`, each example file is compiled into this binary with
//! `#[path]`, so the tests call the very functions the examples run.

use std::time::Duration;

use csp::context;

#[allow(dead_code)]
#[path = "../examples/errgroup.rs"]
mod errgroup;
#[allow(dead_code)]
#[path = "../examples/google_search.rs"]
mod google_search;
#[allow(dead_code)]
#[path = "../examples/pipelines.rs"]
mod pipelines;

/// How long goroutines of a cancelled pipeline get to exit.
const SETTLE: Duration = Duration::from_secs(5);

/// Waits until at most `n` goroutines are alive, failing after [`SETTLE`].
async fn settle_to(n: usize) {
    let start = std::time::Instant::now();
    while csp::num_goroutine() > n {
        assert!(
            start.elapsed() < SETTLE,
            "{} goroutines left",
            csp::num_goroutine()
        );
        csp::sleep(Duration::from_millis(5)).await;
    }
}

#[csp::test(timeout_secs = 10)]
async fn pipelines_first_square_stops_the_pipeline() {
    let before = csp::num_goroutine();
    let first = pipelines::first_square().await;
    assert!(first == 4 || first == 9, "Go prints 4 or 9, got {first}");
    settle_to(before).await;
}

#[csp::test(timeout_secs = 10)]
async fn pipelines_md5_matches_md5sum() {
    let sums = pipelines::md5_all(pipelines::FILES).await.unwrap();
    let want = [
        ("a.txt", "d41d8cd98f00b204e9800998ecf8427e"),
        ("b.txt", "900150983cd24fb0d6963f7d28e17f72"),
        ("c.txt", "f96b697d7cb7938d525a2f31aaf161d0"),
        ("d.txt", "9e107d9d372bb6826bd81d3542a419d6"),
    ];
    let got: Vec<(&str, &str)> = sums.iter().map(|(p, s)| (*p, s.as_str())).collect();
    assert_eq!(got, want);
}

#[csp::test(timeout_secs = 10)]
async fn pipelines_an_unreadable_file_cancels_the_rest() {
    let before = csp::num_goroutine();
    let err = pipelines::md5_all(pipelines::WITH_BAD).await.unwrap_err();
    assert_eq!(err, "open secret.txt: permission denied");
    settle_to(before).await;
}

/// How often the timed Google Search versions may be run before their
/// results must have come out as Pike's: the fake backends race real timers
/// 15 ms or more apart, which a heavily loaded machine can reorder once.
const TIMED_ATTEMPTS: usize = 3;

#[csp::test(timeout_secs = 20)]
async fn google_search_versions_give_pikes_results() {
    let kind = |r: &String| r.split(' ').next().unwrap().to_owned();
    let v1 = google_search::google_1_0("golang").await;
    assert_eq!(
        v1.iter().map(kind).collect::<Vec<_>>(),
        ["web", "image", "video"]
    );
    let mut v2: Vec<_> = google_search::google_2_0("golang")
        .await
        .iter()
        .map(kind)
        .collect();
    v2.sort();
    assert_eq!(v2, ["image", "video", "web"]);
    let mut seen = Vec::new();
    for _ in 0..TIMED_ATTEMPTS {
        // Arrival order follows the latencies; compare sorted, and check
        // what made the cut.
        let mut v21 = google_search::google_2_1("golang").await;
        let timed_out = v21.pop();
        v21.sort();
        let mut v3 = google_search::google_3_0("golang").await;
        v3.sort();
        let pikes = timed_out.as_deref() == Some("timed out") // video (99 ms) misses 80 ms
            && v21
                == [
                    r#"image result for "golang" (image)"#,
                    r#"web result for "golang" (web)"#,
                ]
            // The fastest replica of each kind wins within the timeout.
            && v3
                == [
                    r#"image result for "golang" (image2)"#,
                    r#"video result for "golang" (video2)"#,
                    r#"web result for "golang" (web2)"#,
                ];
        if pikes {
            return;
        }
        seen.push((timed_out, v21, v3));
    }
    panic!("{TIMED_ATTEMPTS} runs, none gave Pike's results: {seen:#?}");
}

#[csp::test(timeout_secs = 10)]
async fn errgroup_handler_fails_once_and_cancels_the_rest() {
    let (log, result) = errgroup::handle(&context::background(), &errgroup::BACKENDS).await;
    assert_eq!(log, ["users: ok", "recommendations: context canceled"]);
    assert_eq!(result, Err("orders: backend unavailable".to_string()));
}
