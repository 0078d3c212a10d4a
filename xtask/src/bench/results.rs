//! One run's JSON line, the answer check, and the statistics, table, JSON
//! and CSV made from many runs.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::spec::Workload;

/// The line both workload binaries print for one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Line {
    /// The workload's name.
    pub workload: String,
    /// GOMAXPROCS the run had.
    pub procs: usize,
    /// Wall time of the concurrent part.
    pub elapsed_ns: u64,
    /// The verifiable result.
    pub answer: u64,
    /// Resident-set growth over the run.
    pub rss_bytes: u64,
}

/// Which program ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Impl {
    /// `csp-workloads`.
    Csp,
    /// The Go twin.
    Go,
}

impl Impl {
    /// `"csp"` or `"go"`.
    pub fn name(self) -> &'static str {
        match self {
            Impl::Csp => "csp",
            Impl::Go => "go",
        }
    }
}

/// Parses the last non-empty line of a workload's stdout.
///
/// # Errors
/// No line, or a line that is not the expected JSON object.
pub fn parse_line(stdout: &str) -> Result<Line, String> {
    let line = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .ok_or("the workload printed nothing")?;
    serde_json::from_str(line).map_err(|e| format!("unreadable result line {line:?}: {e}"))
}

/// Checks one run: the workload and GOMAXPROCS it reports, and its answer
/// against [`Workload::expected`] (passed in as `expected`).
///
/// # Errors
/// A message naming the program, workload, GOMAXPROCS and both values.
pub fn check(
    line: &Line,
    imp: Impl,
    workload: Workload,
    procs: usize,
    expected: u64,
) -> Result<(), String> {
    let who = format!("{} {} at GOMAXPROCS={procs}", imp.name(), workload.name());
    if line.workload != workload.name() {
        return Err(format!("{who}: reported workload {:?}", line.workload));
    }
    if line.procs != procs {
        return Err(format!("{who}: ran with GOMAXPROCS={}", line.procs));
    }
    if line.answer != expected {
        return Err(format!(
            "{who}: wrong answer {} (expected {expected}); a fast wrong program does not count",
            line.answer
        ));
    }
    Ok(())
}

/// Every run of one program on one workload at one GOMAXPROCS, summarised.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// The workload's name.
    pub workload: &'static str,
    /// `csp` or `go`.
    #[serde(rename = "impl")]
    pub imp: Impl,
    /// GOMAXPROCS.
    pub procs: usize,
    /// The `SIZE` argument.
    pub size: u64,
    /// The (checked) answer.
    pub answer: u64,
    /// Every run's elapsed time, in run order.
    pub elapsed_ns: Vec<u64>,
    /// Median elapsed time.
    pub median_ns: u64,
    /// Fastest run.
    pub min_ns: u64,
    /// Slowest run.
    pub max_ns: u64,
    /// Median resident-set growth.
    pub rss_bytes: u64,
    /// Median time per unit of size (per goroutine for `spawn`).
    pub ns_per_item: f64,
    /// Median resident-set growth per unit of size.
    pub bytes_per_item: f64,
    /// Median time at GOMAXPROCS=1 over this median (None without a
    /// GOMAXPROCS=1 row).
    pub speedup: Option<f64>,
    /// `speedup / procs`.
    pub efficiency: Option<f64>,
}

/// The median: the mean of the middle two for an even count; 0 for none.
pub fn median(values: &[u64]) -> u64 {
    let mut v = values.to_vec();
    v.sort_unstable();
    match v.len() {
        0 => 0,
        n if n % 2 == 1 => v[n / 2],
        n => ((u128::from(v[n / 2 - 1]) + u128::from(v[n / 2])) / 2) as u64,
    }
}

impl Row {
    /// Summarises the checked `lines` of one program, workload and GOMAXPROCS.
    pub fn new(workload: Workload, imp: Impl, procs: usize, size: u64, lines: &[Line]) -> Row {
        let elapsed: Vec<u64> = lines.iter().map(|l| l.elapsed_ns).collect();
        let rss: Vec<u64> = lines.iter().map(|l| l.rss_bytes).collect();
        let median_ns = median(&elapsed);
        let rss_bytes = median(&rss);
        Row {
            workload: workload.name(),
            imp,
            procs,
            size,
            answer: lines.first().map_or(0, |l| l.answer),
            min_ns: elapsed.iter().copied().min().unwrap_or(0),
            max_ns: elapsed.iter().copied().max().unwrap_or(0),
            elapsed_ns: elapsed,
            median_ns,
            rss_bytes,
            ns_per_item: median_ns as f64 / size as f64,
            bytes_per_item: rss_bytes as f64 / size as f64,
            speedup: None,
            efficiency: None,
        }
    }
}

/// Fills in speedup and efficiency against each (workload, impl)'s
/// GOMAXPROCS=1 row.
pub fn add_speedups(rows: &mut [Row]) {
    let base: Vec<(&'static str, Impl, u64)> = rows
        .iter()
        .filter(|r| r.procs == 1)
        .map(|r| (r.workload, r.imp, r.median_ns))
        .collect();
    for r in rows.iter_mut() {
        if let Some(&(_, _, b)) = base
            .iter()
            .find(|(w, i, _)| *w == r.workload && *i == r.imp)
        {
            let s = b as f64 / r.median_ns.max(1) as f64;
            r.speedup = Some(s);
            r.efficiency = Some(s / r.procs as f64);
        }
    }
}

/// csp's median time over Go's on one workload at one GOMAXPROCS.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ratio {
    /// The workload's name.
    pub workload: &'static str,
    /// GOMAXPROCS.
    pub procs: usize,
    /// csp median / Go median: below 1, csp is faster.
    pub csp_over_go: f64,
}

/// The csp/Go ratio for every (workload, GOMAXPROCS) that has both rows.
pub fn ratios(rows: &[Row]) -> Vec<Ratio> {
    rows.iter()
        .filter(|r| r.imp == Impl::Csp)
        .filter_map(|c| {
            let g = rows
                .iter()
                .find(|g| g.imp == Impl::Go && g.workload == c.workload && g.procs == c.procs)?;
            Some(Ratio {
                workload: c.workload,
                procs: c.procs,
                csp_over_go: c.median_ns as f64 / g.median_ns.max(1) as f64,
            })
        })
        .collect()
}

/// Where and how the numbers were taken.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Machine {
    /// Cores available to this process.
    pub cores: usize,
    /// `std::env::consts::OS`.
    pub os: &'static str,
    /// `std::env::consts::ARCH`.
    pub arch: &'static str,
}

/// Everything `results.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Results {
    /// Schema name and version of this file.
    pub schema: &'static str,
    /// UTC time of the run, RFC 3339.
    pub date: String,
    /// The machine.
    pub machine: Machine,
    /// `go version`'s output, None when Go was not run.
    pub go_version: Option<String>,
    /// Whether `--quick` sizes were used.
    pub quick: bool,
    /// Runs per row.
    pub runs: usize,
    /// GOMAXPROCS values measured.
    pub procs: Vec<usize>,
    /// One row per (workload, impl, GOMAXPROCS).
    pub results: Vec<Row>,
    /// csp/Go ratios.
    pub ratios: Vec<Ratio>,
}

/// The schema tag written into `results.json`.
pub const SCHEMA: &str = "csp-xtask-bench/1";

impl Results {
    /// `results.json`'s text.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("plain data serialises")
    }

    /// `results.csv`'s text: one line per row, the csp/Go ratio on csp rows.
    pub fn to_csv(&self) -> String {
        let mut out = String::from(
            "workload,impl,procs,size,runs,median_ns,min_ns,max_ns,rss_bytes,speedup,efficiency,csp_over_go\n",
        );
        for r in &self.results {
            let ratio = self
                .ratios
                .iter()
                .find(|x| r.imp == Impl::Csp && x.workload == r.workload && x.procs == r.procs)
                .map(|x| format!("{:.4}", x.csp_over_go));
            let opt = |v: Option<f64>| v.map(|v| format!("{v:.4}")).unwrap_or_default();
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{},{},{}",
                r.workload,
                r.imp.name(),
                r.procs,
                r.size,
                r.elapsed_ns.len(),
                r.median_ns,
                r.min_ns,
                r.max_ns,
                r.rss_bytes,
                opt(r.speedup),
                opt(r.efficiency),
                ratio.unwrap_or_default()
            );
        }
        out
    }

    /// The terminal (and README) table, Markdown-shaped.
    pub fn table(&self) -> String {
        let mut out = String::from(
            "| workload | procs | csp median ms (min–max) | csp speedup | csp eff. | Go median ms (min–max) | Go speedup | Go eff. | csp/Go time |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        let ms = |ns: u64| ns as f64 / 1e6;
        let cell = |r: Option<&Row>| match r {
            Some(r) => format!(
                "{:.1} ({:.1}–{:.1})",
                ms(r.median_ns),
                ms(r.min_ns),
                ms(r.max_ns)
            ),
            None => "–".into(),
        };
        let num = |v: Option<f64>| v.map_or("–".into(), |v| format!("{v:.2}"));
        for c in self.results.iter().filter(|r| r.imp == Impl::Csp) {
            let g = self
                .results
                .iter()
                .find(|g| g.imp == Impl::Go && g.workload == c.workload && g.procs == c.procs);
            let ratio = self
                .ratios
                .iter()
                .find(|x| x.workload == c.workload && x.procs == c.procs)
                .map(|x| x.csp_over_go);
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                c.workload,
                c.procs,
                cell(Some(c)),
                num(c.speedup),
                num(c.efficiency),
                cell(g),
                num(g.and_then(|g| g.speedup)),
                num(g.and_then(|g| g.efficiency)),
                num(ratio)
            );
        }
        let spawn: Vec<&Row> = self
            .results
            .iter()
            .filter(|r| r.workload == "spawn")
            .collect();
        if !spawn.is_empty() {
            out.push('\n');
        }
        for r in spawn {
            let _ = writeln!(
                out,
                "spawn, {} at GOMAXPROCS={}: {:.0} ns and {:.0} resident bytes per blocked goroutine",
                r.imp.name(),
                r.procs,
                r.ns_per_item,
                r.bytes_per_item
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(answer: u64, elapsed_ns: u64) -> Line {
        Line {
            workload: "sieve".into(),
            procs: 2,
            elapsed_ns,
            answer,
            rss_bytes: 4096,
        }
    }

    #[test]
    fn parses_the_line_both_programs_print() {
        let out = "noise\n{\"workload\":\"sieve\",\"procs\":2,\"elapsed_ns\":5,\"answer\":541,\"rss_bytes\":4096}\n\n";
        assert_eq!(parse_line(out), Ok(line(541, 5)));
        assert!(parse_line("").unwrap_err().contains("printed nothing"));
        assert!(parse_line("{\"workload\":\"sieve\"}").is_err());
        assert!(parse_line(
            "{\"workload\":\"sieve\",\"procs\":2,\"elapsed_ns\":5,\"answer\":-1,\"rss_bytes\":0}"
        )
        .is_err());
    }

    #[test]
    fn a_wrong_answer_is_rejected() {
        let expected = Workload::Sieve.expected(100);
        assert_eq!(
            check(&line(541, 1), Impl::Csp, Workload::Sieve, 2, expected),
            Ok(())
        );
        let e = check(&line(547, 1), Impl::Go, Workload::Sieve, 2, expected).unwrap_err();
        assert!(
            e.contains("go sieve at GOMAXPROCS=2: wrong answer 547 (expected 541)"),
            "{e}"
        );
        assert!(check(&line(541, 1), Impl::Csp, Workload::Sieve, 1, expected).is_err());
        assert!(check(&line(541, 1), Impl::Csp, Workload::Sum, 2, expected).is_err());
    }

    #[test]
    fn medians_speedups_and_ratios() {
        assert_eq!(median(&[5, 1, 3]), 3);
        assert_eq!(median(&[4, 1, 3, 2]), 2);
        assert_eq!(median(&[]), 0);
        let mut rows = vec![
            Row::new(
                Workload::Sieve,
                Impl::Csp,
                1,
                100,
                &[line(541, 400), line(541, 300), line(541, 500)],
            ),
            Row::new(Workload::Sieve, Impl::Csp, 2, 100, &[line(541, 200)]),
            Row::new(Workload::Sieve, Impl::Go, 2, 100, &[line(541, 100)]),
        ];
        add_speedups(&mut rows);
        assert_eq!(
            (rows[0].min_ns, rows[0].median_ns, rows[0].max_ns),
            (300, 400, 500)
        );
        assert_eq!(rows[1].speedup, Some(2.0));
        assert_eq!(rows[1].efficiency, Some(1.0));
        assert_eq!(rows[2].speedup, None, "no Go row at GOMAXPROCS=1");
        let r = ratios(&rows);
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].procs, r[0].csp_over_go), (2, 2.0));
    }

    /// Pins the JSON schema of `results.json`: the keys and their types.
    #[test]
    fn results_json_schema() {
        let mut rows = vec![
            Row::new(Workload::Sieve, Impl::Csp, 1, 100, &[line(541, 10)]),
            Row::new(Workload::Sieve, Impl::Go, 1, 100, &[line(541, 20)]),
        ];
        add_speedups(&mut rows);
        let results = Results {
            schema: SCHEMA,
            date: "2026-01-02T03:04:05Z".into(),
            machine: Machine {
                cores: 2,
                os: "linux",
                arch: "x86_64",
            },
            go_version: Some("go version go1.19.8 linux/amd64".into()),
            quick: true,
            runs: 1,
            procs: vec![1],
            ratios: ratios(&rows),
            results: rows,
        };
        let v: serde_json::Value = serde_json::from_str(&results.to_json()).unwrap();
        let keys = |v: &serde_json::Value| {
            let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            k.sort();
            k
        };
        assert_eq!(
            keys(&v),
            [
                "date",
                "go_version",
                "machine",
                "procs",
                "quick",
                "ratios",
                "results",
                "runs",
                "schema"
            ]
        );
        assert_eq!(v["schema"], SCHEMA);
        assert_eq!(keys(&v["machine"]), ["arch", "cores", "os"]);
        let row = &v["results"][0];
        assert_eq!(
            keys(row),
            [
                "answer",
                "bytes_per_item",
                "efficiency",
                "elapsed_ns",
                "impl",
                "max_ns",
                "median_ns",
                "min_ns",
                "ns_per_item",
                "procs",
                "rss_bytes",
                "size",
                "speedup",
                "workload"
            ]
        );
        assert_eq!(row["impl"], "csp");
        assert_eq!(row["answer"], 541);
        assert!(row["elapsed_ns"].is_array() && row["speedup"].is_f64());
        assert_eq!(v["results"][1]["impl"], "go");
        assert_eq!(keys(&v["ratios"][0]), ["csp_over_go", "procs", "workload"]);
        assert_eq!(v["ratios"][0]["csp_over_go"], 0.5);
        let csv = results.to_csv();
        assert_eq!(csv.lines().count(), 3);
        assert!(csv
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("sieve,csp,1,100,1,10,10,10,4096,1.0000,1.0000,0.5000"));
        assert!(results.table().contains("| sieve | 1 |"));
    }
}
