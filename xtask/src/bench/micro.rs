//! `--micro`: runs the criterion benches (`cargo bench`) and compares csp
//! with the best peer in each benchmark group from criterion's JSON output
//! (`target/criterion/**/new/estimates.json`).

use std::path::{Path, PathBuf};
use std::process::Command;

/// One criterion benchmark: its id split on `/`, and its median in ns.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// `group/function/parameter` as components.
    pub id: Vec<String>,
    /// The median's point estimate, in nanoseconds.
    pub median_ns: f64,
}

/// csp against its fastest peer on one benchmark.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The benchmark id with csp's component shown as `*`.
    pub bench: String,
    /// csp's median.
    pub csp_ns: f64,
    /// The fastest peer's name (its id component).
    pub peer: String,
    /// The fastest peer's median.
    pub peer_ns: f64,
}

/// Peers that are references, not rivals (blocking threads, not async).
fn is_reference(name: &str) -> bool {
    name.contains("crossbeam")
}

/// Pairs every csp benchmark with the fastest async peer whose id differs
/// only in the component that names the implementation.
pub fn compare(estimates: &[Estimate]) -> Vec<Comparison> {
    let mut out = Vec::new();
    for c in estimates {
        for (i, name) in c.id.iter().enumerate() {
            if !name.to_ascii_lowercase().starts_with("csp") {
                continue;
            }
            let best = estimates
                .iter()
                .filter(|p| {
                    p.id.len() == c.id.len()
                        && !p.id[i].to_ascii_lowercase().starts_with("csp")
                        && !is_reference(&p.id[i])
                        && (0..c.id.len()).all(|k| k == i || p.id[k] == c.id[k])
                })
                .min_by(|a, b| a.median_ns.total_cmp(&b.median_ns));
            if let Some(p) = best {
                let mut bench = c.id.clone();
                bench[i] = "*".into();
                let mut bench = bench.join("/");
                // A csp variant (`csp-unconstrained`, `csp::gosched`) keeps its name.
                if !name.eq_ignore_ascii_case("csp") {
                    bench = format!("{bench} ({name})");
                }
                out.push(Comparison {
                    bench,
                    csp_ns: c.median_ns,
                    peer: p.id[i].clone(),
                    peer_ns: p.median_ns,
                });
                break;
            }
        }
    }
    out
}

/// Reads one `new/estimates.json` (and the `benchmark.json` beside it for
/// the id, else the directory names under `root`).
fn read_estimate(root: &Path, estimates: &Path) -> Option<Estimate> {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(estimates).ok()?).ok()?;
    let median_ns = v["median"]["point_estimate"].as_f64()?;
    let new_dir = estimates.parent()?;
    let id = std::fs::read_to_string(new_dir.join("benchmark.json"))
        .ok()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
        .and_then(|b| b["full_id"].as_str().map(str::to_owned))
        .map(|full| full.split('/').map(str::to_owned).collect())
        .or_else(|| {
            let rel = new_dir.parent()?.strip_prefix(root).ok()?;
            Some(
                rel.iter()
                    .map(|c| c.to_string_lossy().into_owned())
                    .collect(),
            )
        })?;
    Some(Estimate { id, median_ns })
}

fn find_estimates(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            find_estimates(&path, found);
        } else if path.ends_with("new/estimates.json") {
            found.push(path);
        }
    }
}

/// Runs `cargo bench` in `root` and prints csp's ratio to the best peer.
///
/// # Errors
/// When `cargo bench` fails.
pub fn run(cargo: &str, root: &Path, target: &Path) -> Result<(), String> {
    eprintln!("xtask bench --micro: cargo bench -p csp-benches");
    let status = Command::new(cargo)
        .args(["bench", "-p", "csp-benches"])
        .current_dir(root)
        .status()
        .map_err(|e| format!("cannot run {cargo}: {e}"))?;
    if !status.success() {
        return Err(format!("cargo bench failed ({status})"));
    }
    let criterion = target.join("criterion");
    let mut files = Vec::new();
    find_estimates(&criterion, &mut files);
    files.sort();
    let estimates: Vec<Estimate> = files
        .iter()
        .filter_map(|f| read_estimate(&criterion, f))
        .collect();
    let comparisons = compare(&estimates);
    if comparisons.is_empty() {
        println!(
            "no csp benchmark with a peer in {} ({} estimates read): nothing to compare",
            criterion.display(),
            estimates.len()
        );
        return Ok(());
    }
    println!("| benchmark (* = implementation) | csp median | best async peer | peer median | csp/peer |");
    println!("|---|---:|---|---:|---:|");
    for c in comparisons {
        println!(
            "| {} | {:.1} ns | {} | {:.1} ns | {:.2} |",
            c.bench,
            c.csp_ns,
            c.peer,
            c.peer_ns,
            c.csp_ns / c.peer_ns
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est(id: &str, median_ns: f64) -> Estimate {
        Estimate {
            id: id.split('/').map(str::to_owned).collect(),
            median_ns,
        }
    }

    #[test]
    fn csp_meets_its_fastest_async_peer_per_benchmark() {
        let all = [
            est("spsc/csp/64", 10.0),
            est("spsc/flume/64", 12.0),
            est("spsc/kanal/64", 8.0),
            est("spsc/crossbeam-channel/64", 1.0),
            est("spsc/kanal/0", 3.0),
            est("spsc/csp/0", 6.0),
            est("select4/csp", 50.0),
            est("lonely/csp", 1.0),
            est("spsc/csp-unconstrained/64", 9.0),
        ];
        let c = compare(&all);
        assert_eq!(c.len(), 3, "{c:?}");
        assert_eq!(
            (c[0].bench.as_str(), c[0].peer.as_str(), c[0].peer_ns),
            ("spsc/*/64", "kanal", 8.0)
        );
        assert_eq!((c[1].bench.as_str(), c[1].csp_ns), ("spsc/*/0", 6.0));
        assert_eq!(
            (c[2].bench.as_str(), c[2].peer.as_str(), c[2].csp_ns),
            ("spsc/*/64 (csp-unconstrained)", "kanal", 9.0)
        );
    }

    #[test]
    fn reads_criterion_output_and_tolerates_junk() {
        let root = std::env::temp_dir().join(format!("xtask-micro-{}", std::process::id()));
        let new = root.join("mpmc").join("csp").join("new");
        std::fs::create_dir_all(&new).unwrap();
        std::fs::write(
            new.join("estimates.json"),
            r#"{"median":{"point_estimate":42.5}}"#,
        )
        .unwrap();
        let junk = root.join("junk").join("new");
        std::fs::create_dir_all(&junk).unwrap();
        std::fs::write(junk.join("estimates.json"), "not json").unwrap();
        let mut files = Vec::new();
        find_estimates(&root, &mut files);
        files.sort();
        let read: Vec<_> = files
            .iter()
            .filter_map(|f| read_estimate(&root, f))
            .collect();
        std::fs::remove_dir_all(&root).unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(read, vec![est("mpmc/csp", 42.5)]);
    }
}
