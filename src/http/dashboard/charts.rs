//! Bar charts drawn on the server as SVG: every coordinate is computed here, the template
//! only writes the elements. No chart library, no JavaScript needed to see them.

/// Drawing area inside the SVG's viewBox.
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 44.0;
const BOTTOM: f64 = 28.0;
const TOP: f64 = 12.0;

pub struct Bar {
    pub x: String,
    pub y: String,
    pub width: String,
    pub height: String,
    /// Tooltip and accessible text: "2025-12-06: 14 chats".
    pub title: String,
}

pub struct AxisLabel {
    pub x: String,
    pub y: String,
    pub text: String,
}

pub struct BarChart {
    pub id: &'static str,
    pub title: &'static str,
    pub description: String,
    pub view_box: String,
    pub bars: Vec<Bar>,
    pub x_labels: Vec<AxisLabel>,
    pub y_labels: Vec<AxisLabel>,
    /// Horizontal grid lines: (y, x1, x2).
    pub grid: Vec<(String, String, String)>,
    pub empty: bool,
}

fn num(v: f64) -> String {
    format!("{v:.1}")
}

/// A rounded-up axis maximum with 4 even steps.
fn nice_max(max: f64) -> f64 {
    if max <= 0.0 {
        return 4.0;
    }
    let raw = max / 4.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(raw);
    (step * 4.0).max(4.0)
}

/// `points` are (label, value); `unit` completes tooltips ("chats", "s"); `label_every`
/// thins the x labels when there are many bars.
pub fn bar_chart(
    id: &'static str,
    title: &'static str,
    points: &[(String, f64)],
    unit: &str,
    label_every: usize,
) -> BarChart {
    let max = nice_max(points.iter().map(|(_, v)| *v).fold(0.0, f64::max));
    let plot_w = WIDTH - LEFT - 8.0;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = plot_w / points.len().max(1) as f64;
    let bar_w = (slot * 0.7).max(1.0);
    let bars = points
        .iter()
        .enumerate()
        .map(|(i, (label, value))| {
            let h = if max > 0.0 { plot_h * value / max } else { 0.0 };
            let x = LEFT + slot * i as f64 + (slot - bar_w) / 2.0;
            Bar {
                x: num(x),
                y: num(TOP + plot_h - h),
                width: num(bar_w),
                height: num(h),
                title: format!("{label}: {} {unit}", trim_number(*value)),
            }
        })
        .collect();
    let every = label_every.max(1);
    let x_labels = points
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0)
        .map(|(i, (label, _))| AxisLabel {
            x: num(LEFT + slot * i as f64 + slot / 2.0),
            y: num(HEIGHT - 8.0),
            text: label.clone(),
        })
        .collect();
    let mut y_labels = Vec::new();
    let mut grid = Vec::new();
    for step in 0..=4 {
        let value = max * step as f64 / 4.0;
        let y = TOP + plot_h - plot_h * step as f64 / 4.0;
        y_labels.push(AxisLabel {
            x: num(LEFT - 6.0),
            y: num(y + 4.0),
            text: trim_number(value),
        });
        grid.push((num(y), num(LEFT), num(WIDTH - 8.0)));
    }
    let total: f64 = points.iter().map(|(_, v)| *v).sum();
    BarChart {
        id,
        title,
        description: format!(
            "{title}: {} bars, highest {} {unit}",
            points.len(),
            trim_number(points.iter().map(|(_, v)| *v).fold(0.0, f64::max))
        ),
        view_box: format!("0 0 {WIDTH} {HEIGHT}"),
        bars,
        x_labels,
        y_labels,
        grid,
        empty: total == 0.0,
    }
}

fn trim_number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_a_nice_maximum() {
        assert_eq!(nice_max(7.0), 8.0);
        assert_eq!(nice_max(0.0), 4.0);
        assert_eq!(nice_max(95.0), 100.0);
        let chart = bar_chart(
            "c",
            "Chats",
            &[("a".into(), 2.0), ("b".into(), 4.0)],
            "chats",
            1,
        );
        assert_eq!(chart.bars.len(), 2);
        assert_eq!(chart.bars[1].height, num(HEIGHT - TOP - BOTTOM));
        assert_eq!(chart.bars[0].title, "a: 2 chats");
        assert!(!chart.empty);
    }
}
