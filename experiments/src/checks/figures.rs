//! Figures that checks attach to their outcomes: data only, drawn by `landscape-reports`.

use landscape_reports::{
    Curve, DensityFigure, Figure, Histogram, Legend, Marker, PowerLawFit, ScalingFigure,
};
use landscape_theory::SpectralLaw;
use landscape_theory::law::hull;

/// A histogram of `eigenvalues` (density-normalised, `bins` equal bins over their range) against the law's
/// density on a 400-point grid; atoms are marked as vertical lines, `outliers` as points.
pub fn spectrum_vs_law(
    title: &str,
    eigenvalues: &[f64],
    law: &dyn SpectralLaw,
    bins: usize,
    outliers: &[(String, f64)],
) -> Figure {
    let (law_lo, law_hi) = hull(law);
    let (mut lo, mut hi) = (law_lo, law_hi);
    for &v in eigenvalues {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if hi <= lo {
        hi = lo + 1.0;
    }
    let width = (hi - lo) / bins as f64;
    let mut heights = vec![0.0; bins];
    for &v in eigenvalues {
        let idx = (((v - lo) / width) as usize).min(bins - 1);
        heights[idx] += 1.0;
    }
    let scale = 1.0 / (eigenvalues.len().max(1) as f64 * width);
    heights.iter_mut().for_each(|h| *h *= scale);
    let edges: Vec<f64> = (0..=bins).map(|i| lo + width * i as f64).collect();
    let grid: Vec<f64> = (0..400)
        .map(|i| lo + (hi - lo) * (i as f64 + 0.5) / 400.0)
        .collect();
    let density: Vec<f64> = grid.iter().map(|&x| law.pdf(x)).collect();
    // Cap the y axis at 1.5× the histogram's tallest bar so an integrable edge singularity does not flatten the plot.
    let tallest = heights.iter().cloned().fold(0.0_f64, f64::max);
    let vlines = law
        .atoms()
        .iter()
        .map(|a| Marker {
            label: format!("atom, mass {:.3}", a.mass),
            value: a.location,
        })
        .collect();
    let points = outliers
        .iter()
        .map(|(label, x)| Marker {
            label: label.clone(),
            value: *x,
        })
        .collect();
    Figure::Density(DensityFigure {
        title: title.to_string(),
        x_label: "eigenvalue λ".to_string(),
        y_label: "density".to_string(),
        histogram: Some(Histogram { edges, heights }),
        curves: vec![Curve {
            label: format!("theory: {law}"),
            x: grid,
            y: density,
        }],
        vlines,
        points,
        y_max: (tallest > 0.0).then_some(1.5 * tallest),
        legend: Legend::Auto,
    })
}

/// KS distance against n on log–log axes with its fitted power law and the iid rate n^{-1/2} for reference.
pub fn scaling(title: &str, n: &[f64], error: &[f64], sd: &[f64], fit: (f64, f64, f64)) -> Figure {
    let (intercept, slope, slope_se) = fit;
    Figure::Scaling(ScalingFigure {
        title: title.to_string(),
        x_label: "n".to_string(),
        y_label: "KS distance".to_string(),
        n: n.to_vec(),
        error: error.to_vec(),
        error_bar: Some(sd.to_vec()),
        fit: Some(PowerLawFit {
            intercept,
            slope,
            slope_se,
        }),
        predicted_slope: Some(-0.5),
        identity: false,
        legend: Legend::Auto,
    })
}
