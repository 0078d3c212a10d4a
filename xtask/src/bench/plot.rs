//! `speedup.svg`: speedup over GOMAXPROCS=1 against GOMAXPROCS, one panel
//! per workload, csp and Go with the ideal (linear) line.

use std::path::Path;

use plotters::prelude::*;

use super::results::{Impl, Row};

const CSP_COLOR: RGBColor = RGBColor(0xb7, 0x41, 0x0e);
const GO_COLOR: RGBColor = RGBColor(0x00, 0x7d, 0x9c);
const IDEAL_COLOR: RGBColor = RGBColor(0x80, 0x80, 0x80);

/// The points (procs, speedup) of one program on one workload.
fn series(rows: &[Row], workload: &str, imp: Impl) -> Vec<(i32, f64)> {
    rows.iter()
        .filter(|r| r.workload == workload && r.imp == imp)
        .filter_map(|r| Some((i32::try_from(r.procs).ok()?, r.speedup?)))
        .collect()
}

/// Draws the plot of `rows` (with speedups filled in) into `path`.
///
/// # Errors
/// When plotters cannot draw or write the file.
pub fn speedup_svg(rows: &[Row], path: &Path) -> Result<(), String> {
    let mut workloads: Vec<&str> = Vec::new();
    for r in rows {
        if !workloads.contains(&r.workload) {
            workloads.push(r.workload);
        }
    }
    let cols = workloads.len().clamp(1, 3);
    let lines = workloads.len().div_ceil(cols).max(1);
    let size = (360 * cols as u32, 300 * lines as u32 + 40);
    draw(rows, &workloads, (lines, cols), size, path)
        .map_err(|e| format!("plotting {}: {e}", path.display()))
}

fn draw(
    rows: &[Row],
    workloads: &[&str],
    grid: (usize, usize),
    size: (u32, u32),
    path: &Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(
        "Speedup over GOMAXPROCS=1 (median of runs)",
        ("sans-serif", 20),
    )?;
    let max_procs = rows
        .iter()
        .map(|r| r.procs)
        .max()
        .unwrap_or(1)
        .clamp(2, 1024) as i32;
    for (panel, workload) in root.split_evenly(grid).iter().zip(workloads) {
        let csp = series(rows, workload, Impl::Csp);
        let go = series(rows, workload, Impl::Go);
        let top = csp
            .iter()
            .chain(&go)
            .map(|p| p.1)
            .fold(f64::from(max_procs), f64::max)
            * 1.1;
        let mut chart = ChartBuilder::on(panel)
            .caption(*workload, ("sans-serif", 16))
            .margin(10)
            .margin_right(20)
            .x_label_area_size(30)
            .y_label_area_size(40)
            .build_cartesian_2d(1..max_procs, 0.0..top)?;
        chart
            .configure_mesh()
            .x_desc("GOMAXPROCS")
            .y_desc("speedup")
            .x_labels(max_procs as usize)
            .light_line_style(WHITE)
            .draw()?;
        chart
            .draw_series(DashedLineSeries::new(
                [(1, 1.0), (max_procs, f64::from(max_procs))],
                6,
                4,
                IDEAL_COLOR.stroke_width(1),
            ))?
            .label("ideal")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], IDEAL_COLOR));
        for (points, color, name) in [(csp, CSP_COLOR, "csp"), (go, GO_COLOR, "Go")] {
            if points.is_empty() {
                continue;
            }
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2))
                });
            chart.draw_series(
                points
                    .into_iter()
                    .map(|p| Circle::new(p, 3, color.filled())),
            )?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()?;
    }
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::results::{add_speedups, Line};
    use crate::bench::spec::Workload;

    #[test]
    fn draws_one_panel_per_workload_with_both_programs_and_the_ideal() {
        let line = |elapsed_ns| Line {
            workload: "sum".into(),
            procs: 1,
            elapsed_ns,
            answer: 0,
            rss_bytes: 0,
        };
        let mut rows = Vec::new();
        for w in [Workload::Sum, Workload::Sieve] {
            for (procs, ns) in [(1, 100), (2, 60)] {
                rows.push(Row::new(w, Impl::Csp, procs, 10, &[line(ns)]));
                rows.push(Row::new(w, Impl::Go, procs, 10, &[line(ns + 10)]));
            }
        }
        add_speedups(&mut rows);
        let dir = std::env::temp_dir().join(format!("xtask-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("speedup.svg");
        speedup_svg(&rows, &path).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..40.min(svg.len())]);
        for text in ["sum", "sieve", "csp", "Go", "ideal", "GOMAXPROCS"] {
            assert!(svg.contains(text), "the plot lacks {text:?}");
        }
        assert!(
            svg.matches("<polyline").count() >= 6,
            "two series per panel plus ideal lines"
        );
    }
}
