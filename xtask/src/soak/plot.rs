//! `soak.svg`: memory (resident and heap in use), goroutines and throughput
//! over the run, one panel each, the warm-up shaded.

use std::path::Path;

use plotters::prelude::*;

use super::samples::Sample;
use super::verdict::rates;

const LINE_COLOR: RGBColor = RGBColor(0xb7, 0x41, 0x0e);
const SECOND_COLOR: RGBColor = RGBColor(0x00, 0x7d, 0x9c);
const WARMUP_COLOR: RGBColor = RGBColor(0xe0, 0xe0, 0xe0);

/// Draws the plot of `samples`, with the first `warmup` seconds shaded, into `path`.
///
/// # Errors
/// When plotters cannot draw or write the file.
pub fn soak_svg(samples: &[Sample], warmup: f64, title: &str, path: &Path) -> Result<(), String> {
    draw(samples, warmup, title, path).map_err(|e| format!("plotting {}: {e}", path.display()))
}

fn draw(
    samples: &[Sample],
    warmup: f64,
    title: &str,
    path: &Path,
) -> Result<(), Box<dyn std::error::Error>> {
    const MIB: f64 = 1024.0 * 1024.0;
    type Series = (&'static str, Vec<(f64, f64)>, RGBColor);
    let series = |name, f: &dyn Fn(&Sample) -> f64, color| -> Series {
        (
            name,
            samples.iter().map(|s| (s.secs, f(s))).collect(),
            color,
        )
    };
    let panels: [(&str, Vec<Series>); 3] = [
        (
            "memory (MiB)",
            vec![
                series("resident", &|s| s.rss_bytes as f64 / MIB, LINE_COLOR),
                series("heap in use", &|s| s.heap_bytes as f64 / MIB, SECOND_COLOR),
            ],
        ),
        (
            "goroutines",
            vec![series("goroutines", &|s| s.goroutines as f64, LINE_COLOR)],
        ),
        (
            "throughput (rounds/s)",
            vec![("rounds/s", rates(samples), LINE_COLOR)],
        ),
    ];
    let end = samples.last().map_or(1.0, |s| s.secs).max(1.0);
    let root = SVGBackend::new(path, (900, 760)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(title, ("sans-serif", 20))?;
    for (area, (name, lines)) in root.split_evenly((3, 1)).iter().zip(panels) {
        let top = lines
            .iter()
            .flat_map(|l| l.1.iter().map(|p| p.1))
            .fold(0.0, f64::max)
            .max(1.0)
            * 1.15;
        let mut chart = ChartBuilder::on(area)
            .caption(name, ("sans-serif", 16))
            .margin(8)
            .margin_right(24)
            .x_label_area_size(30)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..end, 0.0..top)?;
        chart
            .configure_mesh()
            .x_desc("seconds")
            .light_line_style(WHITE)
            .draw()?;
        if warmup > 0.0 {
            chart
                .draw_series([Rectangle::new(
                    [(0.0, 0.0), (warmup.min(end), top)],
                    WARMUP_COLOR.filled(),
                )])?
                .label("warm-up (not checked)")
                .legend(|(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 16, y + 5)], WARMUP_COLOR.filled())
                });
        }
        for (label, points, color) in lines {
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))?
                .label(label)
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
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

    #[test]
    fn draws_three_panels_with_the_warm_up() {
        let samples: Vec<Sample> = (0..30)
            .map(|t| Sample {
                secs: f64::from(t),
                rss_bytes: 4 << 20,
                heap_bytes: 1 << 19,
                goroutines: 20,
                rounds: 1000 * t as u64,
            })
            .collect();
        let dir = std::env::temp_dir().join(format!("xtask-soak-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("soak.svg");
        soak_svg(&samples, 7.0, "soak test", &path).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..40.min(svg.len())]);
        for text in [
            "soak test",
            "resident",
            "heap in use",
            "goroutines",
            "throughput",
            "warm-up",
        ] {
            assert!(svg.contains(text), "the plot lacks {text:?}");
        }
        assert!(
            svg.matches("<polyline").count() >= 4,
            "two memory lines, one in each other panel"
        );
    }
}
