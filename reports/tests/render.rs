//! Integration tests of the reports crate: figures render to well-formed SVG
//! with real text, data export round-trips, the PDF is deterministic and, where
//! poppler is installed, parses, renders and yields its verdict table as text.

mod fixtures;

use std::path::PathBuf;
use std::process::Command;

use landscape_reports::{Figure, ReportError, render_pages_svg, render_pdf, write_pdf};

fn usvg_options() -> usvg::Options<'static> {
    let mut db = usvg::fontdb::Database::new();
    db.load_font_data(landscape_reports::font::DEJAVU_SANS.to_vec());
    db.load_font_data(landscape_reports::font::DEJAVU_SANS_BOLD.to_vec());
    usvg::Options {
        fontdb: std::sync::Arc::new(db),
        ..usvg::Options::default()
    }
}

fn count_text_nodes(group: &usvg::Group) -> usize {
    group
        .children()
        .iter()
        .map(|node| match node {
            usvg::Node::Text(_) => 1,
            usvg::Node::Group(g) => count_text_nodes(g),
            _ => 0,
        })
        .sum()
}

fn xml_escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("landscape-reports-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Extra share of dark pixels that the density figure adds to page 2 at
/// 30 dpi: 0.0632 with the figure against 0.0325 without, measured with
/// poppler 22.12 (the test prints both).
const FIGURE_INK_MEASURED: f64 = 0.031;

/// Renders one page of `pdf` to a greyscale PGM at 30 dpi and returns its
/// share of dark pixels.
fn page_ink(pdf: &std::path::Path, page: u32, prefix: &std::path::Path) -> f64 {
    let page_arg = page.to_string();
    let status = Command::new("pdftoppm")
        .args([
            "-gray",
            "-r",
            "30",
            "-singlefile",
            "-f",
            &page_arg,
            "-l",
            &page_arg,
        ])
        .arg(pdf)
        .arg(prefix)
        .status()
        .unwrap();
    assert!(status.success(), "pdftoppm -gray failed: {status}");
    let pgm = std::fs::read(prefix.with_extension("pgm")).unwrap();
    ink_fraction(&pgm)
}

/// Share of pixels darker than 200/255 in a binary PGM (P5, 8-bit) image.
fn ink_fraction(pgm: &[u8]) -> f64 {
    // Header: "P5", width, height, maxval, separated by whitespace, then one
    // whitespace byte before the pixels.
    let mut fields = Vec::new();
    let mut pos = 0;
    while fields.len() < 4 {
        while pgm[pos].is_ascii_whitespace() {
            pos += 1;
        }
        let start = pos;
        while !pgm[pos].is_ascii_whitespace() {
            pos += 1;
        }
        fields.push(String::from_utf8_lossy(&pgm[start..pos]).to_string());
    }
    assert_eq!(fields[0], "P5", "not a binary PGM");
    let pixels = &pgm[pos + 1..];
    let dark = pixels.iter().filter(|&&v| v < 200).count();
    dark as f64 / pixels.len() as f64
}

fn tool_available(tool: &str) -> bool {
    Command::new(tool).arg("-v").output().is_ok()
}

#[test]
fn every_figure_kind_renders_well_formed_svg_with_its_title_as_text() {
    let opts = usvg_options();
    for figure in fixtures::all_figures() {
        let svg = figure
            .render_svg()
            .unwrap_or_else(|e| panic!("{}: {e}", figure.title()));
        // Well-formed XML, parsed by a strict parser.
        let xml = usvg::roxmltree::Document::parse(&svg)
            .unwrap_or_else(|e| panic!("{}: SVG is not well-formed XML: {e}", figure.title()));
        assert_eq!(xml.root_element().tag_name().name(), "svg");
        // The title is a <text> element, not outlines.
        let title_in_text = xml
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .any(|n| n.text().is_some_and(|t| t.trim() == figure.title()));
        assert!(
            title_in_text,
            "{}: title not found as <text>",
            figure.title()
        );
        assert!(svg.contains(&xml_escaped(figure.title())));
        // Every font request is the embedded family.
        for node in xml.descendants().filter(|n| n.has_tag_name("text")) {
            assert_eq!(
                node.attribute("font-family"),
                Some(landscape_reports::font::SVG_FAMILY),
                "{}",
                figure.title()
            );
        }
        // usvg resolves the text with the embedded font alone.
        let tree = usvg::Tree::from_str(&svg, &opts)
            .unwrap_or_else(|e| panic!("{}: usvg rejects the SVG: {e}", figure.title()));
        let n_text = count_text_nodes(tree.root());
        assert!(
            n_text >= 5,
            "{}: only {n_text} text nodes survived parsing",
            figure.title()
        );
    }
}

#[test]
fn figure_svg_is_deterministic() {
    for figure in fixtures::all_figures() {
        assert_eq!(
            figure.render_svg().unwrap(),
            figure.render_svg().unwrap(),
            "{}",
            figure.title()
        );
    }
}

#[test]
fn curves_beyond_y_max_are_clipped_to_the_plot() {
    let mut fig = fixtures::density();
    let top = 0.2;
    fig.y_max = Some(top);
    let svg = Figure::Density(fig).render_svg().unwrap();
    let xml = usvg::roxmltree::Document::parse(&svg).unwrap();
    // The theory curve (first palette colour) must stay inside the plot box:
    // its highest point is the top of the plotting area, not above it.
    let curve_color = "#D55E00";
    let mut min_y = f64::INFINITY;
    for node in xml.descendants().filter(|n| n.has_tag_name("polyline")) {
        if node.attribute("stroke") == Some(curve_color) {
            for pair in node.attribute("points").unwrap_or("").split_whitespace() {
                let y: f64 = pair.split(',').nth(1).unwrap().parse().unwrap();
                min_y = min_y.min(y);
            }
        }
    }
    assert!(min_y.is_finite(), "theory curve not found");
    // Title + margin occupy more than 30 px at the top of a 450 px figure.
    assert!(min_y > 30.0, "curve drawn above the plot: min y = {min_y}");
}

#[test]
fn bad_figure_data_is_an_error_not_a_panic() {
    let mut d = fixtures::density();
    d.curves[0].y.pop();
    let err = Figure::Density(d).render_svg().unwrap_err();
    assert!(matches!(err, ReportError::InvalidData { .. }), "{err}");
    assert!(err.to_string().contains("curve"), "{err}");

    let mut s = fixtures::scaling();
    s.error[2] = 0.0;
    let err = Figure::Scaling(s).render_svg().unwrap_err();
    assert!(err.to_string().contains("logarithmic"), "{err}");

    let mut h = fixtures::heatmap();
    h.z[3].pop();
    assert!(Figure::Heatmap(h).render_svg().is_err());

    let mut hist = fixtures::density();
    if let Some(hg) = hist.histogram.as_mut() {
        hg.edges.swap(3, 4);
    }
    assert!(Figure::Density(hist).render_svg().is_err());

    let mut t = fixtures::trajectory();
    t.series[0].y = vec![f64::NAN; t.series[0].x.len()];
    assert!(Figure::Trajectory(t).render_svg().is_err());
}

#[test]
fn figure_data_export_round_trips() {
    let dir = scratch_dir("data");
    for (k, figure) in fixtures::all_figures().into_iter().enumerate() {
        let stem = format!("fig{k}");
        let written = figure.write_data(&dir, &stem).unwrap();
        // JSON is the complete record.
        let json = std::fs::read_to_string(dir.join(format!("{stem}.json"))).unwrap();
        let back: Figure = serde_json::from_str(&json).unwrap();
        // Exact equality of every f64: needs serde_json's float_roundtrip.
        assert!(
            back == figure,
            "{stem}: JSON export does not round-trip exactly"
        );
        // Each table has its CSV and .npy with matching row counts.
        for table in figure.data_tables() {
            let csv =
                std::fs::read_to_string(dir.join(format!("{stem}_{}.csv", table.name))).unwrap();
            assert_eq!(
                csv.lines().count(),
                table.n_rows() + 1,
                "{stem}_{}",
                table.name
            );
            let npy = std::fs::read(dir.join(format!("{stem}_{}.npy", table.name))).unwrap();
            let header_len = usize::from(u16::from_le_bytes([npy[8], npy[9]]));
            let expected = 10 + header_len + 8 * table.n_rows() * table.columns.len();
            assert_eq!(npy.len(), expected, "{stem}_{}", table.name);
        }
        assert!(written.iter().all(|p| p.exists()));
    }
    // The heatmap's value matrix is a (y, x) array.
    let npy = std::fs::read(dir.join("fig4_z.npy")).unwrap();
    let header = String::from_utf8_lossy(&npy[10..80]);
    assert!(header.contains("'shape': (31, 41)"), "{header}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn pdf_is_byte_identical_across_renders() {
    let doc = fixtures::document();
    let a = render_pdf(&doc).unwrap();
    let b = render_pdf(&doc).unwrap();
    assert!(a.starts_with(b"%PDF-"), "no PDF header");
    assert!(
        a.len() > 20_000,
        "PDF suspiciously small: {} bytes",
        a.len()
    );
    assert!(a == b, "two renders of the same document differ");
    // The document round-trips through JSON and renders the same again.
    let json = serde_json::to_string(&doc).unwrap();
    let doc2: landscape_reports::Document = serde_json::from_str(&json).unwrap();
    assert!(
        render_pdf(&doc2).unwrap() == a,
        "JSON round trip changed the PDF"
    );
}

#[test]
fn pages_are_well_formed_svg_and_sections_start_new_pages() {
    let doc = fixtures::document();
    let pages = render_pages_svg(&doc).unwrap();
    assert!(
        pages.len() > doc.sections.len(),
        "{} pages for {} sections",
        pages.len(),
        doc.sections.len()
    );
    for (i, page) in pages.iter().enumerate() {
        usvg::roxmltree::Document::parse(page).unwrap_or_else(|e| panic!("page {}: {e}", i + 1));
        assert!(page.contains(&format!("Page {} of {}", i + 1, pages.len())));
    }
    assert!(pages[0].contains("mp_bulk_ks"));
}

#[test]
fn long_summary_table_flows_over_pages_with_repeated_header() {
    let mut doc = fixtures::document();
    let base = doc.summary.clone();
    doc.summary = (0..12).flat_map(|_| base.clone()).collect();
    doc.sections.clear();
    let pages = render_pages_svg(&doc).unwrap();
    assert!(pages.len() >= 2, "84 rows should need a second page");
    for page in &pages {
        assert!(
            page.contains(">Measured</text>"),
            "header missing on a page"
        );
    }
}

#[test]
fn write_pdf_writes_atomically_into_place() {
    let dir = scratch_dir("pdf");
    let path = dir.join("report.pdf");
    std::fs::write(&path, b"old").unwrap();
    write_pdf(&fixtures::document(), &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let others: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .collect();
    assert_eq!(others.len(), 1, "temporary files left: {others:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn pdf_renders_with_poppler_and_its_text_is_extractable() {
    if !(tool_available("pdftoppm") && tool_available("pdftotext")) {
        println!("SKIPPED: pdftoppm/pdftotext (poppler-utils) not on PATH");
        return;
    }
    let dir = scratch_dir("poppler");
    let doc = fixtures::document();
    let pdf = dir.join("report.pdf");
    write_pdf(&doc, &pdf).unwrap();

    // Page 1 renders to a PNG.
    let status = Command::new("pdftoppm")
        .args(["-png", "-r", "50", "-f", "1", "-l", "1"])
        .arg(&pdf)
        .arg(dir.join("page"))
        .status()
        .unwrap();
    assert!(status.success(), "pdftoppm failed: {status}");
    let png = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().ends_with(".png"))
        .expect("no PNG written");
    let bytes = std::fs::read(png.path()).unwrap();
    assert!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 1000,
        "bad PNG"
    );

    // Page 2 (a table and the density figure) renders with real ink: the
    // same page without its figure must be clearly lighter. Measured on the
    // fixture at 30 dpi: FIGURE_INK_MEASURED; the bound asks for half of
    // the figure's ink, so a figure that fails to draw cannot pass.
    let mut bare = doc.clone();
    bare.sections[0].figures.clear();
    let bare_pdf = dir.join("bare.pdf");
    write_pdf(&bare, &bare_pdf).unwrap();
    let with_figure = page_ink(&pdf, 2, &dir.join("with"));
    let without = page_ink(&bare_pdf, 2, &dir.join("without"));
    println!("page 2 ink: {with_figure:.4} with figure, {without:.4} without");
    assert!(
        with_figure - without > 0.5 * FIGURE_INK_MEASURED,
        "figure adds too little ink: {with_figure:.4} vs {without:.4}"
    );

    // The verdict table's text is extractable from page 1.
    let out = Command::new("pdftotext")
        .args(["-f", "1", "-l", "1", "-layout"])
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success(), "pdftotext failed");
    let text = String::from_utf8_lossy(&out.stdout);
    for row in &doc.summary {
        assert!(
            text.contains(&row.check),
            "check {:?} not in page-1 text:\n{text}",
            row.check
        );
        assert!(
            text.contains(row.verdict.as_str()),
            "verdict {} not in text",
            row.verdict
        );
    }
    assert!(text.contains("Summary of verdicts"));
    assert!(text.contains("70ab0f9c0ffee"), "commit not in text");

    // Figure text (titles, axis labels) is real text in the PDF too.
    let out = Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    let all = String::from_utf8_lossy(&out.stdout);
    for title in ["Edge error vs size", "eigenvalue λ", "2/η"] {
        assert!(
            all.contains(title),
            "{title:?} not extractable from the PDF"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn npy_bytes_match_numpy_reference() {
    // Reference produced by numpy's np.save (tests/reference/make_npy.py).
    let text = include_str!("reference/npy_reference.json");
    let reference: serde_json::Value = serde_json::from_str(text).unwrap();
    let cases = reference["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let shape: Vec<usize> = case["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        let values: Vec<f64> = case["bits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| f64::from_bits(v.as_u64().unwrap()))
            .collect();
        let ours = landscape_reports::data::npy_f64(&shape, &values);
        let hex: String = ours.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, case["npy_hex"].as_str().unwrap(), "case {name}");
    }
}

#[test]
fn minimal_and_markup_laden_documents_render() {
    let empty = landscape_reports::Document::default();
    let pdf = render_pdf(&empty).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));

    let doc = landscape_reports::Document {
        title: "a <b> & \"c\" 'd'".into(),
        meta: vec![("seed".into(), "<42> & more".into())],
        summary: vec![landscape_reports::VerdictRow {
            group: "g&".into(),
            check: "x<y".into(),
            prediction: "1 > 0".into(),
            measurement: String::new(),
            control: "\u{1}".into(),
            verdict: landscape_reports::Verdict::Pass,
        }],
        sections: vec![landscape_reports::Section {
            title: "no figures".into(),
            paragraphs: vec![String::new(), "x".repeat(500)],
            tables: vec![landscape_reports::Table {
                caption: String::new(),
                header: vec![],
                rows: vec![
                    vec!["ragged".into()],
                    vec!["a".into(), "b".into(), "c".into()],
                ],
            }],
            figures: vec![],
        }],
    };
    for page in render_pages_svg(&doc).unwrap() {
        usvg::roxmltree::Document::parse(&page).expect("page SVG must stay well-formed");
    }
    assert!(render_pdf(&doc).unwrap().starts_with(b"%PDF-"));
}
