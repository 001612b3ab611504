//! Path figure: the loss along several paths between minima, parametrized by
//! t ∈ [0, 1] (t = 0 and t = 1 are the end points).

use serde::{Deserialize, Serialize};

use super::common::{
    Curve, DrawResult, Legend, Occupancy, Span, chart_builder, check_curve, draw_curve, draw_error,
    draw_legend, draw_mesh, new_root,
};
use crate::ReportError;
use crate::data::DataTable;
use crate::style;

fn default_t_label() -> String {
    "t (0 and 1 are the minima)".to_string()
}

fn default_loss_label() -> String {
    "loss".to_string()
}

/// Loss along paths between minima.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathFigure {
    /// Figure title.
    pub title: String,
    /// Label of the path-parameter axis; `"t (0 and 1 are the minima)"` when omitted.
    #[serde(default = "default_t_label")]
    pub x_label: String,
    /// Label of the loss axis; `"loss"` when omitted.
    #[serde(default = "default_loss_label")]
    pub y_label: String,
    /// One curve per path (`x` = t in [0, 1], `y` = loss), e.g. "linear",
    /// "Bézier".
    pub paths: Vec<Curve>,
    /// Legend placement.
    #[serde(default)]
    pub legend: Legend,
}

impl PathFigure {
    pub(crate) fn validate(&self) -> Result<(), ReportError> {
        let what = format!("path figure {:?}, paths", self.title);
        if self.paths.is_empty() {
            return Err(ReportError::invalid(what, "no path"));
        }
        for p in &self.paths {
            check_curve(&what, p)?;
        }
        Ok(())
    }

    pub(crate) fn render(&self) -> Result<String, ReportError> {
        self.validate()?;
        let mut svg = String::new();
        self.draw(&mut svg).map_err(draw_error(&self.title))?;
        Ok(svg)
    }

    fn draw(&self, svg: &mut String) -> DrawResult {
        let mut xs = Span::empty();
        let mut ys = Span::empty();
        xs.add(0.0, false);
        xs.add(1.0, false);
        for p in &self.paths {
            xs.add_all(&p.x, false);
            ys.add_all(&p.y, false);
        }
        let x_box = xs.padded_linear();
        let y_box = ys.padded_linear();
        let root = new_root(svg)?;
        let mut chart =
            chart_builder(&root, &self.title).build_cartesian_2d(x_box.clone(), y_box.clone())?;
        draw_mesh(&mut chart, &self.x_label, &self.y_label, true)?;
        let mut occ = Occupancy::new(&x_box, &y_box, false, false);
        for (idx, p) in self.paths.iter().enumerate() {
            draw_curve(&mut chart, p, style::series_color(idx), &x_box, &y_box)?;
            occ.label(&p.label);
            occ.polyline(&p.x, &p.y);
        }
        draw_legend(&mut chart, self.legend, &occ)?;
        root.present()
    }

    pub(crate) fn data_tables(&self) -> Vec<DataTable> {
        vec![super::curves_table("paths", &self.paths)]
    }
}
