//! The network against the CK/NTK theory: the empirical NTK of the Fan–Wang network, its predicted law, the
//! comparison `landscape simulate network --compare ntk` prints, and width sweeps (`docs/theory.md` §A1).

use serde::Serialize;

use landscape_simulate::SimulateError;
use landscape_simulate::dense::DenseSymmetric;
use landscape_simulate::rng::{seeded, task_rng};
use landscape_simulate::scaling::{ScalingPoint, fit_power_law};
use landscape_theory::SpectralLaw;
use landscape_theory::expr::LawExpr;

use crate::compare::eigenvalue_distances;

/// The comparison printed by `landscape simulate network ... --compare ntk`.
#[derive(Debug, Clone, Serialize)]
pub struct NtkComparison {
    /// The predicted law, as a law expression.
    pub law: String,
    /// KS and W1 distances of the empirical NTK spectrum from the law.
    pub ks: f64,
    /// Wasserstein-1 distance.
    pub w1: f64,
    /// Edge errors (simulated − predicted) of the bulk: smallest and largest eigenvalue against the support's
    /// lower and upper edges (the largest eigenvalue excludes a predicted spike).
    pub edge_error: EdgeError,
    /// The first four normalised moments `(1/n) tr K^k` of the simulation.
    pub moments_simulated: [f64; 4],
    /// The law's first four moments.
    pub moments_predicted: [f64; 4],
    /// The predicted outlier (raw non-centred activation, depth 1), if any.
    pub spike: Option<f64>,
}

/// Simulated minus predicted bulk edges.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct EdgeError {
    /// `λ_min − lower edge`.
    pub lower: f64,
    /// `λ_max − upper edge`.
    pub upper: f64,
}

/// Eigenvalues (ascending) of the empirical NTK `K = JJᵀ` (`nk × nk`) of the Fan–Wang network at initialisation:
/// an MLP with `widths = [d0, d_1…d_L, k]`, the NTK parameterisation without biases, the raw `activation`, and
/// `samples` inputs with N(0, 1) entries (`docs/theory.md` §A1.1: this is exactly FW's network on data with ‖x‖ ≈ 1).
/// `K` comes from forward features and backward sensitivities
/// ([`kernel_grams`](landscape_simulate::network::kernel_grams)), equal to `J Jᵀ` without forming J.
///
/// Cost: `O(n² Σ_ℓ d_ℓ k²)` time and `O(n Σ_ℓ d_ℓ k + (nk)²)` memory for K, then `O((nk)³)` for its eigenvalues.
pub fn ntk_eigenvalues(
    widths: &[usize],
    activation: &str,
    samples: usize,
    seed: u64,
) -> Result<Vec<f64>, SimulateError> {
    ntk_eigenvalues_with(widths, activation, samples, &mut seeded(seed))
}

/// [`ntk_eigenvalues`] drawing the weights, then the inputs, from `rng`.
fn ntk_eigenvalues_with(
    widths: &[usize],
    activation: &str,
    samples: usize,
    rng: &mut landscape_simulate::rng::Rng,
) -> Result<Vec<f64>, SimulateError> {
    let (mlp, params, dataset) = fan_wang_network(widths, activation, samples, rng)?;
    ntk_spectrum(&mlp, &params, &dataset)
}

/// Eigenvalues (ascending) of the NTK Gram matrix `K = J Jᵀ` (`nk × nk`) of `mlp` at `params` on the inputs of
/// `dataset`, from [`kernel_grams`](landscape_simulate::network::kernel_grams). For MSE with mean reduction the
/// Gauss–Newton matrix `(2/(nk)) JᵀJ` has these eigenvalues times `2/(nk)` as its nonzero spectrum.
pub fn ntk_spectrum(
    mlp: &landscape_simulate::network::Mlp,
    params: &[f64],
    dataset: &landscape_simulate::network::Dataset,
) -> Result<Vec<f64>, SimulateError> {
    let grams = landscape_simulate::network::kernel_grams(
        mlp,
        params,
        dataset.inputs(),
        dataset.n_samples(),
    )?;
    DenseSymmetric::from_row_major(dataset.n_samples() * mlp.n_outputs(), &grams.ntk)?.eigenvalues()
}

/// The Fan–Wang network of [`ntk_eigenvalues`] and its data (N(0, 1) inputs, N(0, 1) regression targets), the
/// weights drawn from `rng` first, then the inputs and targets.
pub(crate) fn fan_wang_network(
    widths: &[usize],
    activation: &str,
    samples: usize,
    rng: &mut landscape_simulate::rng::Rng,
) -> Result<
    (
        landscape_simulate::network::Mlp,
        Vec<f64>,
        landscape_simulate::network::Dataset,
    ),
    SimulateError,
> {
    use landscape_simulate::network::{
        Activation, InputScale, Mlp, MlpConfig, Parameterization, data,
    };
    if widths.len() < 3 || widths.contains(&0) {
        return Err(SimulateError::invalid(
            "--widths",
            format!("{widths:?}"),
            "d0, at least one hidden width, and the outputs, all positive, e.g. 200,400,1",
        ));
    }
    let activation: Activation = activation.parse()?;
    let mlp = Mlp::new(MlpConfig {
        widths: widths.to_vec(),
        activation,
        parameterization: Parameterization::Ntk { bias_scale: 0.0 },
        bias: false,
    })?;
    let params = mlp.init(rng);
    let k = widths[widths.len() - 1];
    let dataset = data::isotropic_regression(samples, widths[0], k, InputScale::UnitVariance, rng)?;
    Ok((mlp, params, dataset))
}

/// The NTK law predicted for the network of [`ntk_eigenvalues`]: `ntk(n, d0, widths=[hidden], activation,
/// weight_variance=1)` (the raw activation with per-layer constants, `docs/theory.md` §A1.10).
pub fn ntk_law_expr(widths: &[usize], activation: &str, samples: usize) -> String {
    let hidden: Vec<String> = widths[1..widths.len() - 1]
        .iter()
        .map(|d| d.to_string())
        .collect();
    format!(
        "ntk(n={samples}, d0={}, widths=[{}], activation={activation}, weight_variance=1)",
        widths[0],
        hidden.join(", ")
    )
}

/// The law of [`ntk_law_expr`], built.
pub(crate) fn ntk_law(
    widths: &[usize],
    activation: &str,
    samples: usize,
) -> Result<landscape_theory::neural_kernels::NeuralTangentKernel, BoxError> {
    let LawExpr::Ntk(spec) =
        landscape_theory::expr::parse(&ntk_law_expr(widths, activation, samples))?
    else {
        return Err("internal: ntk_law_expr did not give an ntk law".into());
    };
    Ok(landscape_theory::neural_kernels::NeuralTangentKernel::new(
        spec,
    )?)
}

/// The error type of the experiments that mix simulation and theory errors.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Simulates the network of [`ntk_eigenvalues`] and measures its NTK spectrum against the predicted law
/// ([`ntk_law_expr`]): KS, W1, bulk edge errors and moments.
pub fn compare_ntk(
    widths: &[usize],
    activation: &str,
    samples: usize,
    seed: u64,
) -> Result<NtkComparison, BoxError> {
    let values = ntk_eigenvalues(widths, activation, samples, seed)?;
    let law = ntk_law(widths, activation, samples)?;
    let d = eigenvalue_distances(&values, &law)?;
    let support = law.support();
    let spike = law.spike();
    let bulk_top = match spike {
        Some(_) if values.len() > 1 => values[values.len() - 2],
        _ => values[values.len() - 1],
    };
    let count = values.len() as f64;
    let moment = |k: i32| values.iter().map(|v| v.powi(k)).sum::<f64>() / count;
    Ok(NtkComparison {
        law: law.to_string(),
        ks: d.ks,
        w1: d.w1,
        edge_error: EdgeError {
            lower: values[0] - support.lower_edge().unwrap_or(f64::NAN),
            upper: bulk_top - support.upper_edge().unwrap_or(f64::NAN),
        },
        moments_simulated: [moment(1), moment(2), moment(3), moment(4)],
        moments_predicted: [law.moment(1), law.moment(2), law.moment(3), law.moment(4)],
        spike,
    })
}

/// A width sweep of the NTK spectrum against the Fan–Wang law ([`ntk_width_scaling`]).
#[derive(Debug, Clone, Serialize)]
pub struct NtkScalingConfig {
    /// Depths (numbers of hidden layers) to sweep.
    pub depths: Vec<usize>,
    /// `γ = n/d`: samples per hidden unit; the input dimension is `d0 = 2n` (`γ0 = ½`).
    pub gamma: f64,
    /// Hidden widths `d`, increasing.
    pub widths: Vec<usize>,
    /// Networks per (depth, width).
    pub seeds: u64,
    /// Activation name (`tanh`, `erf`, …), raw, with weights N(0, 1) in the NTK parameterisation.
    pub activation: String,
    /// Base seed; network `t` of the sweep draws from `task_rng(seed, t)`.
    pub seed: u64,
}

/// One width of an [`NtkScalingRow`].
#[derive(Debug, Clone, Serialize)]
pub struct NtkScalingPoint {
    /// Hidden width d.
    pub width: usize,
    /// Samples n = round(γ d).
    pub samples: usize,
    /// KS distance of each network's NTK spectrum from its law.
    pub ks_per_seed: Vec<f64>,
    /// Mean KS over seeds.
    pub ks_mean: f64,
    /// Standard deviation of KS across seeds.
    pub ks_sd: f64,
    /// Mean W1 distance over seeds.
    pub w1_mean: f64,
}

/// One depth of an NTK width sweep, with the fitted power law `KS ≈ exp(a)·d^{−b}`.
#[derive(Debug, Clone, Serialize)]
pub struct NtkScalingRow {
    /// Number of hidden layers.
    pub depth: usize,
    /// The predicted law at the largest width.
    pub law: String,
    /// One entry per width.
    pub points: Vec<NtkScalingPoint>,
    /// The fitted decay exponent b.
    pub exponent: f64,
    /// Its standard error (Birge-inflated, see [`fit_power_law`]).
    pub exponent_stderr: f64,
    /// The fitted intercept a.
    pub log_prefactor: f64,
    /// Eigenvalues of the first network at the largest width (for a density figure; not serialised).
    #[serde(skip)]
    pub largest_spectrum: Vec<f64>,
}

/// For each depth and hidden width, the KS and W1 distances of the NTK spectra of `seeds` Fan–Wang networks
/// ([`ntk_eigenvalues`], widths `[2n, d, …, d, 1]`, `n = round(γ d)`) from the predicted law ([`ntk_law_expr`]),
/// and the power law `KS ≈ exp(a)·d^{−b}` fitted by [`fit_power_law`] over widths (seeds → mean and standard
/// deviation per width). Cost per network: `O(n² Σ d_ℓ + n³)`.
pub fn ntk_width_scaling(config: &NtkScalingConfig) -> Result<Vec<NtkScalingRow>, BoxError> {
    if config.widths.len() < 3 || config.seeds < 2 {
        return Err("an NTK width sweep needs at least 3 widths and 2 seeds per width".into());
    }
    if !(config.gamma > 0.0 && config.gamma.is_finite()) {
        return Err(format!("gamma = {} must be finite and > 0", config.gamma).into());
    }
    let mut rows = Vec::with_capacity(config.depths.len());
    let mut task = 0u64;
    for &depth in &config.depths {
        let mut points = Vec::with_capacity(config.widths.len());
        let mut law_text = String::new();
        let mut largest_spectrum = Vec::new();
        for &width in &config.widths {
            let samples = ((config.gamma * width as f64).round() as usize).max(1);
            let mut widths = vec![2 * samples];
            widths.extend(std::iter::repeat_n(width, depth));
            widths.push(1);
            let law = ntk_law(&widths, &config.activation, samples)?;
            let (mut ks, mut w1) = (Vec::new(), Vec::new());
            for s in 0..config.seeds {
                let values = ntk_eigenvalues_with(
                    &widths,
                    &config.activation,
                    samples,
                    &mut task_rng(config.seed, task),
                )?;
                task += 1;
                let d = eigenvalue_distances(&values, &law)?;
                ks.push(d.ks);
                w1.push(d.w1);
                if s == 0 {
                    largest_spectrum = values;
                }
            }
            let count = ks.len() as f64;
            let ks_mean = ks.iter().sum::<f64>() / count;
            let ks_sd =
                (ks.iter().map(|k| (k - ks_mean).powi(2)).sum::<f64>() / (count - 1.0)).sqrt();
            law_text = law.to_string();
            points.push(NtkScalingPoint {
                width,
                samples,
                ks_mean,
                ks_sd,
                w1_mean: w1.iter().sum::<f64>() / count,
                ks_per_seed: ks,
            });
        }
        let scaling: Vec<ScalingPoint> = points
            .iter()
            .map(|p| ScalingPoint {
                n: p.width as f64,
                mean_error: p.ks_mean,
                sd: p.ks_sd,
                n_seeds: p.ks_per_seed.len(),
            })
            .collect();
        let fit = fit_power_law(&scaling)?;
        rows.push(NtkScalingRow {
            depth,
            law: law_text,
            points,
            exponent: fit.exponent,
            exponent_stderr: fit.exponent_std_error,
            log_prefactor: fit.log_prefactor,
            largest_spectrum,
        });
    }
    Ok(rows)
}
