//! The CLI contract: JSON on stdout, one line on stderr and exit code 2 for bad input.

mod common;

use common::{json, landscape, rejects};

#[test]
fn theory_rejects_bad_law_expressions_with_one_line() {
    rejects(
        &["theory", "pdf", "--law", "wishart(ratio=1)", "--at", "1"],
        "unknown law",
    );
    rejects(
        &[
            "theory",
            "pdf",
            "--law",
            "mp(ratio=1, ratio=2)",
            "--at",
            "1",
        ],
        "repeated",
    );
    rejects(
        &["theory", "pdf", "--law", "mp(variance=1)", "--at", "1"],
        "missing argument `ratio`",
    );
    rejects(
        &["theory", "cdf", "--law", "mp(ratio=nan)", "--at", "1"],
        "finite",
    );
    rejects(
        &["theory", "pdf", "--law", "mp(ratio=1)", "--at", ""],
        "--at",
    );
    rejects(
        &["theory", "pdf", "--law", "mp(ratio=1)", "--at", "1,x"],
        "--at",
    );
    rejects(&["theory", "pdf", "--law", "mp(ratio=1)"], "--at");
    rejects(&["theory", "nonsense"], "nonsense");
}

#[test]
fn help_lists_examples() {
    let out = landscape(&["theory", "pdf", "--help"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("Example"));
    let _ = json; // used by the law tests below once laws are registered
}

/// Exact rational oracles from Baik–Ben Arous–Péché / Paul (spiked covariance, γ = 1/2, ℓ = 2 → λ = 3, overlap 1/3)
/// and the spiked Wigner model (θ = 2 → λ = 2.5, overlap 3/4); closed forms, so 1e-12 is rounding slack.
#[test]
fn theory_spike_matches_rational_oracles() {
    let w = json(&[
        "theory", "spike", "--model", "wishart", "--ratio", "0.5", "--spike", "2",
    ]);
    assert!((w["outlier"].as_f64().unwrap() - 3.0).abs() < 1e-12, "{w}");
    assert!(
        (w["overlap_sq"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-12,
        "{w}"
    );
    assert_eq!(w["detectable"], true);
    let g = json(&["theory", "spike", "--model", "wigner", "--spike", "2"]);
    assert!((g["outlier"].as_f64().unwrap() - 2.5).abs() < 1e-12, "{g}");
    assert!(
        (g["overlap_sq"].as_f64().unwrap() - 0.75).abs() < 1e-12,
        "{g}"
    );
    let below = json(&["theory", "spike", "--model", "wigner", "--spike", "0.5"]);
    assert_eq!(below["detectable"], false);
    assert_eq!(below["overlap_sq"].as_f64(), Some(0.0));
    rejects(
        &["theory", "spike", "--model", "wishart", "--spike", "2"],
        "--ratio",
    );
    rejects(
        &[
            "theory", "spike", "--model", "wishart", "--ratio", "-1", "--spike", "2",
        ],
        "ratio",
    );
    rejects(
        &["theory", "spike", "--model", "tensor", "--spike", "2"],
        "tensor",
    );
}

#[test]
fn theory_pdf_cdf_summary_follow_the_contract() {
    let pdf = json(&[
        "theory",
        "pdf",
        "--law",
        " mp( ratio = 5e-1 ) ",
        "--at",
        "0.5,1,4",
    ]);
    assert_eq!(pdf["law"], "mp(ratio=0.5, variance=1)");
    let values: Vec<f64> = pdf["pdf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    // MP(1/2, 1) at x = 1: √((λ₊−1)(1−λ₋))/(2π·½·1) with λ± = (1 ± 1/√2)², i.e. √(1 − (1.5 − 1)²·…) computed
    // independently here from the formula of `docs/theory.md` §1.2.
    let (lo, hi) = ((1.0 - 0.5f64.sqrt()).powi(2), (1.0 + 0.5f64.sqrt()).powi(2));
    let expect = |x: f64| ((hi - x) * (x - lo)).sqrt() / (2.0 * std::f64::consts::PI * 0.5 * x);
    assert!(
        (values[0] - expect(0.5)).abs() < 1e-12 && (values[1] - expect(1.0)).abs() < 1e-12,
        "{pdf}"
    );
    assert!(values[2].abs() < f64::MIN_POSITIVE, "outside the support");
    let cdf = json(&["theory", "cdf", "--law", "mp(ratio=2)", "--at", "-1,0,100"]);
    let values: Vec<f64> = cdf["cdf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(values[0].abs() < f64::MIN_POSITIVE);
    assert!(
        (values[1] - 0.5).abs() < 1e-12,
        "atom 1 − 1/ratio at 0: {cdf}"
    );
    assert!((values[2] - 1.0).abs() < 1e-12);
    let summary = json(&["theory", "summary", "--law", "mp(ratio=2, variance=3)"]);
    assert_eq!(summary["atoms"][0][1].as_f64(), Some(0.5));
    // m2 = σ⁴(1 + λ) = 27.
    assert!(
        (summary["moments"][2].as_f64().unwrap() - 27.0).abs() < 1e-9,
        "{summary}"
    );
}

#[test]
fn theory_index_is_zero_below_the_critical_energy_and_positive_above() {
    let below = json(&["theory", "index", "--phi", "0.5", "--energy", "0.005"]);
    let critical = below["critical_energy"].as_f64().unwrap();
    // ε_c(1/2) = (1 − 10 − 2 + 5^{3/2})/16.
    assert!(
        (critical - (5f64.powf(1.5) - 11.0) / 16.0).abs() < 1e-14,
        "{below}"
    );
    assert_eq!(below["index"].as_f64(), Some(0.0), "{below}");
    let above = json(&[
        "theory",
        "index",
        "--phi",
        "0.5",
        "--energy",
        &(2.0 * critical).to_string(),
    ]);
    // The sample value α(2ε_c, ½) of `docs/theory.md` §1.7 = 1.981e-2, quoted to 4 digits.
    assert!(
        (above["index"].as_f64().unwrap() - 1.981e-2).abs() < 1e-5,
        "{above}"
    );
    rejects(
        &["theory", "index", "--phi", "0.5", "--energy", "-1"],
        "energy",
    );
}

#[test]
fn simulate_esd_follows_the_contract_and_is_reproducible() {
    let args = [
        "simulate",
        "esd",
        "--law",
        "mp(ratio=0.5)",
        "--n",
        "300",
        "--seed",
        "7",
    ];
    let a = json(&args);
    let b = json(&args);
    assert_eq!(a, b, "same seed, same numbers");
    for key in ["law", "n", "seed", "ks", "w1", "largest", "smallest"] {
        assert!(a.get(key).is_some(), "missing {key}: {a}");
    }
    assert_eq!(a["largest"].as_array().unwrap().len(), 5);
    // KS of a Wishart spectrum is O(log n / n) (eigenvalue rigidity); 1.5 ln n / n is the simulate crate's
    // measured bound (max 0.75 ln n / n over 900 draws), here ≈ 0.029.
    let bound = 1.5 * 300f64.ln() / 300.0;
    assert!(a["ks"].as_f64().unwrap() < bound, "{a}");
    let largest: Vec<f64> = a["largest"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(
        largest.windows(2).all(|w| w[0] >= w[1]),
        "descending: {largest:?}"
    );
    let c = json(&[
        "simulate",
        "esd",
        "--law",
        "mp(ratio=0.5)",
        "--n",
        "300",
        "--seed",
        "8",
    ]);
    assert_ne!(a["ks"], c["ks"], "different seeds differ");
}

#[test]
fn simulate_rejects_bad_input() {
    rejects(
        &[
            "simulate",
            "esd",
            "--law",
            "mp(ratio=0.5)",
            "--n",
            "1",
            "--seed",
            "1",
        ],
        "--n",
    );
    rejects(
        &[
            "simulate",
            "esd",
            "--law",
            "mp(ratio=-1)",
            "--n",
            "10",
            "--seed",
            "1",
        ],
        "ratio",
    );
    rejects(
        &[
            "simulate",
            "esd",
            "--law",
            "tracy_widom(beta=1)",
            "--n",
            "10",
            "--seed",
            "1",
        ],
        "ensemble",
    );
    rejects(
        &[
            "simulate", "spiked", "--model", "wigner", "--n", "50", "--spike", "0", "--seed", "1",
        ],
        "spike",
    );
    rejects(
        &[
            "simulate", "spiked", "--model", "wishart", "--n", "50", "--spike", "2", "--seed", "1",
        ],
        "--ratio",
    );
    rejects(
        &[
            "simulate",
            "network",
            "--widths",
            "4,x,2",
            "--samples",
            "5",
            "--seed",
            "1",
        ],
        "--widths",
    );
    rejects(
        &[
            "simulate",
            "network",
            "--widths",
            "4,3,2",
            "--activation",
            "swish",
            "--samples",
            "5",
            "--seed",
            "1",
        ],
        "activation",
    );
    rejects(
        &[
            "simulate",
            "scaling",
            "--law",
            "semicircle()",
            "--n",
            "100",
            "--seeds",
            "3",
        ],
        "two sizes",
    );
}

#[test]
fn simulate_spiked_reports_measurement_and_prediction() {
    let out = json(&[
        "simulate", "spiked", "--model", "wigner", "--n", "400", "--spike", "3", "--seed", "2",
    ]);
    // θ = 3: λ → θ + 1/θ = 10/3 and |⟨v,u⟩|² → 1 − 1/θ² = 8/9 (BBP); fluctuations at N = 400 are O(N^{-1/2}) ≈ 0.05,
    // so 0.25 is five standard deviations.
    assert!((out["predicted"]["outlier"].as_f64().unwrap() - 10.0 / 3.0).abs() < 1e-12);
    assert!(
        (out["outlier"].as_f64().unwrap() - 10.0 / 3.0).abs() < 0.25,
        "{out}"
    );
    assert!(
        (out["overlap_sq"].as_f64().unwrap() - 8.0 / 9.0).abs() < 0.1,
        "{out}"
    );
}

#[test]
fn simulate_network_ggn_is_psd_with_the_cross_entropy_rank_bound() {
    let out = json(&[
        "simulate",
        "network",
        "--widths",
        "6,12,4",
        "--loss",
        "cross_entropy",
        "--samples",
        "5",
        "--seed",
        "3",
        "--operator",
        "ggn",
    ]);
    let p = out["n_params"].as_u64().unwrap() as usize;
    assert_eq!(p, 6 * 12 + 12 + 12 * 4 + 4);
    // rank(G) ≤ samples · (classes − 1) = 15, so at least P − 15 eigenvalues are numerically zero.
    assert!(out["n_zero"].as_u64().unwrap() as usize >= p - 15, "{out}");
    assert_eq!(out["n_negative"].as_u64(), Some(0), "G is PSD: {out}");
    let exact = out["trace_exact"].as_f64().unwrap();
    let (estimate, stderr) = (
        out["trace"]["estimate"].as_f64().unwrap(),
        out["trace"]["stderr"].as_f64().unwrap(),
    );
    // Hutch++ is unbiased with the reported standard error; 6 standard errors (plus round-off) bound a false failure
    // below 1e-8 for a Gaussian-like error.
    assert!(
        (estimate - exact).abs() <= 6.0 * stderr + 1e-9 * exact.abs(),
        "{out}"
    );
}

/// Inputs at the edges of the theory commands' domains: one value per `--at` item, `--beta` in float syntax,
/// `--energy 0`, a law whose moments overflow, and a free sum with a law on the whole line.
#[test]
fn theory_handles_the_edges_of_its_input_domain() {
    rejects(
        &["theory", "pdf", "--law", "mp(ratio=1)", "--at", "1,,2"],
        "item 2 of `1,,2` is empty",
    );
    rejects(
        &["theory", "cdf", "--law", "mp(ratio=1)", "--at", "1,2,"],
        "is empty",
    );
    let tw = json(&["theory", "tracy-widom", "--beta", "2.0", "--at", "-100"]);
    assert_eq!(tw["beta"].as_u64(), Some(2), "{tw}");
    // F₂(−100) ≈ e^{−83333}: exactly 0 in double precision (the 64-node determinant gave 1).
    assert_eq!(tw["cdf"][0].as_f64(), Some(0.0), "{tw}");
    rejects(
        &["theory", "tracy-widom", "--beta", "3.0", "--at", "0"],
        "--beta",
    );
    let index = json(&["theory", "index", "--phi", "1.5", "--energy", "0"]);
    assert_eq!(index["index"].as_f64(), Some(0.0), "{index}");
    // mp(ratio=1e308): m₃ ≈ 1e616 overflows; support and atom are still reported.
    let summary = json(&["theory", "summary", "--law", "mp(ratio=1e308)"]);
    assert_eq!(
        summary["moments_overflow"],
        serde_json::json!([3, 4]),
        "{summary}"
    );
    assert!(summary["moments"][3].is_null(), "{summary}");
    assert_eq!(summary["atoms"][0][1].as_f64(), Some(1.0), "{summary}");
    assert!(
        summary["support"][0][1].as_f64().unwrap() > 1e307,
        "{summary}"
    );
    rejects(
        &[
            "theory",
            "summary",
            "--law",
            "free_sum(tracy_widom(beta=1), semicircle())",
        ],
        "compact support",
    );
    let deep = format!(
        "{}mp(ratio=1){}",
        "free_sum(".repeat(3000),
        ")".repeat(3000)
    );
    rejects(
        &["theory", "summary", "--law", &deep],
        "nested deeper than 64",
    );
}

/// A law out of reach of the numerical engine (a sum whose operand's edge makes every solve slow) is refused in one
/// line within `--time-limit` (10 s by default), naming the limit and the flag, instead of running for minutes.
#[test]
fn theory_refuses_a_law_that_does_not_build_within_the_time_limit() {
    let law = "free_sum(free_product(mp(ratio=2.028, variance=3.624), mp(ratio=11.08, variance=0.406)), \
               semicircle(variance=0.02891))";
    let started = std::time::Instant::now();
    let out = landscape(&["theory", "--time-limit", "0.5", "summary", "--law", law]);
    // Each construction gets its own limit; the inner product builds in ~20 ms, so the whole call ends soon after
    // 0.5 s (the bound leaves room for a loaded test machine).
    assert!(
        started.elapsed().as_secs_f64() < 20.0,
        "{:?}",
        started.elapsed()
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("construction time limit") && stderr.contains("--time-limit"),
        "{stderr}"
    );
    rejects(
        &[
            "theory",
            "summary",
            "--time-limit",
            "0",
            "--law",
            "mp(ratio=1)",
        ],
        "--time-limit",
    );
}
