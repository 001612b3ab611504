//! Builds a report with one figure of each kind from synthetic data and writes
//! `demo.pdf`, one SVG per figure and the figures' data (JSON, CSV, .npy) into
//! the directory given on the command line.
//!
//! ```text
//! cargo run -p landscape-reports --example demo -- /tmp/demo
//! ```

#[path = "../tests/fixtures/mod.rs"]
mod fixtures;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: demo OUTPUT_DIR");
        return ExitCode::from(2);
    };
    match run(&dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn run(dir: &std::path::Path) -> Result<(), landscape_reports::ReportError> {
    std::fs::create_dir_all(dir).map_err(|e| landscape_reports::ReportError::Io {
        path: dir.to_path_buf(),
        source: e,
    })?;
    let doc = fixtures::document();
    for (k, section) in doc.sections.iter().enumerate() {
        for (j, figure) in section.figures.iter().enumerate() {
            let stem = format!("figure{}_{}", k + 1, j + 1);
            figure.write_svg(&dir.join(format!("{stem}.svg")))?;
            figure.write_data(&dir.join("data"), &stem)?;
        }
    }
    let pdf = dir.join("demo.pdf");
    landscape_reports::write_pdf(&doc, &pdf)?;
    println!("wrote {}", pdf.display());
    Ok(())
}
