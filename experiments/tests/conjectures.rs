//! The shipped conjectures (`conjectures/*.toml`) at quick scale against their `expect`, the calibration of the
//! decisions run through the whole engine, and resuming and sharding of stored runs.

use std::path::{Path, PathBuf};

use landscape_experiments::conjecture::{
    self, ConjectureResult, RunOptions, Scale, Shard, Verdict, schema,
};

fn shipped(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../conjectures")
        .join(name)
}

fn options(seed: u64) -> RunOptions {
    RunOptions {
        seed,
        scale: Scale::Quick,
        jobs: 2,
        store: None,
        shard: None,
    }
}

/// Runs a shipped file at quick scale and checks its verdict against its `expect`.
fn check_shipped(name: &str) -> ConjectureResult {
    let result = conjecture::check(&shipped(name), &options(0)).unwrap();
    assert!(
        result.as_expected(),
        "{name}: verdict {:?}, expected {:?}: {}\n{}",
        result.verdict,
        result.expect,
        result.reason,
        serde_json::to_string_pretty(&result.points).unwrap()
    );
    result
}

#[test]
fn mp_density_as_proposed_is_refuted_because_it_is_not_a_density() {
    let r = check_shipped("mp_density_proposal.toml");
    assert!(
        r.reason.contains("not a probability density"),
        "{}",
        r.reason
    );
    assert_eq!(r.tasks_total, 0, "an invalid density needs no sampling");
}

#[test]
fn mp_density_written_correctly_is_supported() {
    check_shipped("mp_density_correct.toml");
}

#[test]
fn wishart_edge_is_supported_as_a_limit() {
    let r = check_shipped("wishart_edge_limit.toml");
    assert!(r.points.iter().all(|p| p.fit.is_some()));
    // The report material: a figure of the deviation against n with the fit, and a section with one row per point.
    let section = conjecture::figures::section("wishart_edge_limit", &r);
    assert_eq!(section.tables[0].rows.len(), r.points.len());
    let svg = section.figures[0].render_svg().unwrap();
    assert!(svg.contains("fit b + c"), "the figure draws the fit");
}

#[test]
fn wishart_edge_at_one_small_n_is_refuted_by_finite_size_bias_and_the_output_says_so() {
    let r = check_shipped("wishart_edge_small_n.toml");
    assert!(r.reason.contains("test = \"limit\""), "{}", r.reason);
}

#[test]
fn bbp_outlier_matches_prediction_above_threshold() {
    check_shipped("bbp_outlier.toml");
}

#[test]
fn bbp_top_eigenvalue_sticks_to_the_edge_below_threshold() {
    check_shipped("bbp_below_threshold.toml");
}

#[test]
fn pennington_bahri_index_matches_the_negative_fraction() {
    check_shipped("pennington_bahri_index.toml");
}

/// A claim about the trace of a Wishart matrix, whose finite-n mean is exactly `n` (each diagonal entry of
/// `XXᵀ/m` has mean 1) and whose variance is `2n/m = 2·ratio`. `offset` shifts the prediction.
fn trace_claim(offset: f64, tolerance: f64) -> conjecture::Conjecture {
    let text = format!(
        "claim = \"trace\"\n[measure]\nensemble = \"mp(ratio=0.5)\"\nn = [10]\nseeds = {SEEDS}\n\
         statistic = \"trace\"\n[predict]\nvalue = \"n + {offset}\"\n[decide]\ntest = \"equal\"\n\
         tolerance = {tolerance}\n"
    );
    schema::parse(Path::new("trace.toml"), &text).unwrap()
}

/// Seeds per claim in the calibration runs.
const SEEDS: u64 = 8;
/// Independent base seeds of the calibration runs.
const REPLICATES: u64 = 300;

#[test]
fn a_true_claim_is_refuted_at_most_alpha_of_the_time_and_a_wrong_one_is_refuted() {
    let alpha = 0.05;
    // The hardest true claim: the true deviation (−0.5) sits exactly on the tolerance.
    let edge = trace_claim(0.5, 0.5);
    // Wrong by five standard errors beyond the tolerance: sd = √(2·0.5) = 1, se = 1/√8.
    let wrong = trace_claim(0.5 + 5.0 / (SEEDS as f64).sqrt(), 0.5);
    let (mut refuted, mut wrong_refuted) = (0u64, 0u64);
    for seed in 0..REPLICATES {
        let o = options(1000 + seed);
        refuted += u64::from(
            conjecture::run(&edge, "edge", &o).unwrap().verdict == Some(Verdict::Refuted),
        );
        wrong_refuted += u64::from(
            conjecture::run(&wrong, "wrong", &o).unwrap().verdict == Some(Verdict::Refuted),
        );
    }
    let rate = refuted as f64 / REPLICATES as f64;
    // Three binomial standard deviations of a rate of exactly α: a false failure about once in 700 runs.
    let slack = 3.0 * (alpha * (1.0 - alpha) / REPLICATES as f64).sqrt();
    assert!(
        rate <= alpha + slack,
        "true claim refuted at rate {rate} > {alpha} + {slack}"
    );
    let power = wrong_refuted as f64 / REPLICATES as f64;
    // Power at 5 se beyond the tolerance with 7 degrees of freedom is about 0.93 (noncentral t).
    assert!(
        power >= 0.8,
        "a claim wrong by 5 se was refuted at rate {power} only"
    );
}

#[test]
fn results_do_not_depend_on_jobs_and_a_stored_run_resumes_and_shards_to_the_same_verdict() {
    let file = shipped("wishart_edge_small_n.toml");
    let one = conjecture::check(
        &file,
        &RunOptions {
            jobs: 1,
            ..options(3)
        },
    )
    .unwrap();
    let dir = std::env::temp_dir().join(format!("landscape-conjecture-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let stored = |shard| RunOptions {
        store: Some(dir.clone()),
        shard,
        ..options(3)
    };
    // Shard 1 of 2 alone is incomplete and says so.
    let half = conjecture::check(&file, &stored(Some(Shard { index: 0, count: 2 }))).unwrap();
    assert_eq!(half.verdict, None);
    assert!(half.tasks_done < half.tasks_total);
    // A "killed" run: delete one stored task; the rerun recomputes only what is missing.
    let tasks: Vec<_> = std::fs::read_dir(dir.join("tasks"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap() != "manifest.json")
        .collect();
    std::fs::remove_file(&tasks[0]).unwrap();
    let rest = conjecture::check(&file, &stored(Some(Shard { index: 1, count: 2 }))).unwrap();
    assert!(
        rest.tasks_done < rest.tasks_total,
        "the deleted task is not in shard 2"
    );
    let all = conjecture::check(&file, &stored(None)).unwrap();
    assert_eq!(all.tasks_done, all.tasks_total);
    let a = serde_json::to_value(&one.points).unwrap();
    let b = serde_json::to_value(&all.points).unwrap();
    assert_eq!(
        a, b,
        "jobs = 1 in memory and jobs = 2 resumed from shards differ"
    );
    // Another seed refuses to mix with these results.
    let other = conjecture::check(
        &file,
        &RunOptions {
            store: Some(dir.clone()),
            ..options(4)
        },
    );
    assert!(
        other
            .unwrap_err()
            .to_string()
            .contains("another file, seed or scale")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn gradient_descent_on_digits_sits_at_the_edge_of_stability() {
    let r = check_shipped("edge_of_stability.toml");
    // A prediction 10% off (2.2/η) would be outside every interval: the file can reject a nearby wrong claim.
    for p in &r.points {
        assert!(
            p.detectable.unwrap() < 0.1 * p.prediction,
            "{:?}",
            p.detectable
        );
    }
}

#[test]
fn the_classical_stability_bound_is_refuted_on_digits() {
    check_shipped("classical_stability.toml");
}

#[test]
fn fan_wang_ntk_spectrum_converges_to_the_ntk_law() {
    check_shipped("fan_wang_ntk.toml");
}
