//! Networks as the measured object of a conjecture: a model and data named as `landscape empirical` names them
//! (`empirical::spec`), optionally trained by full-batch gradient descent, and the spectrum of its curvature.
//!
//! One task is one network: its initialisation (and a Gaussian mixture's samples) come from the task's seed.
//! Extreme eigenvalues (`lambda_max`, `lambda_min`, `lambda(K)`) come from thick-restart Lanczos run to a
//! relative residual of [`LANCZOS_TOL`] (an unconverged run fails the task); every other statistic uses the
//! whole spectrum, computed densely from `P` operator products, so `P` is capped at [`MAX_DENSE_PARAMS`].

use landscape_empirical::EmpiricalError;
use landscape_empirical::experiments::eigenpairs::{End, extreme_eigenpairs_to};
use landscape_empirical::model::{CurvatureKind, CurvatureModel};
use landscape_empirical::native::NativeMlp;
use landscape_empirical::spec::{self, DataSpec, ModelSpec};
use landscape_empirical::train::{Optimizer, TrainConfig, train};
use landscape_simulate::SimulateError;
use landscape_simulate::dense;
use landscape_simulate::network::Loss;
use landscape_simulate::rng;

use super::schema::Statistic;

/// The largest parameter count whose whole curvature spectrum a task computes (P products and an O(P³)
/// eigendecomposition: about 10 s at 4000 on one core).
pub const MAX_DENSE_PARAMS: usize = 4000;

/// Relative residual `‖A v − θ v‖ ≤ tol·‖A‖` of Lanczos extreme eigenvalues.
pub const LANCZOS_TOL: f64 = 1e-10;

/// A cap on the products of one Lanczos run (runs stop at convergence, usually within a few hundred).
const LANCZOS_CAP: usize = 3000;

/// Full-batch training before the curvature is measured.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainSpec {
    /// Gradient descent or heavy-ball momentum.
    pub optimizer: Optimizer,
    /// The step η.
    pub learning_rate: f64,
    /// Steps of full-batch training.
    pub steps: usize,
}

/// The network of a grid point: `model` still holds `{n}`, which each size fills in.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkSpec {
    /// The `--model` text with `{n}` unsubstituted.
    pub model: String,
    /// The data.
    pub data: DataSpec,
    /// The first `samples` samples (all when `None`).
    pub samples: Option<usize>,
    /// Mean-squared error on one-hot targets, or cross-entropy.
    pub mse: bool,
    /// The loss Hessian or the Gauss–Newton matrix.
    pub operator: CurvatureKind,
    /// Training before the measurement.
    pub train: Option<TrainSpec>,
}

/// What a statistic needs from a network's spectrum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// The `k` largest eigenvalues (descending).
    Top(usize),
    /// The smallest eigenvalue.
    Bottom,
    /// All of them (ascending).
    All,
}

/// What `statistic` needs of a network's spectrum.
pub fn need(statistic: &Statistic) -> Need {
    match statistic {
        Statistic::LambdaMax => Need::Top(1),
        Statistic::Lambda(k) => Need::Top(*k),
        Statistic::LambdaMin => Need::Bottom,
        _ => Need::All,
    }
}

fn invalid(
    name: &'static str,
    value: impl std::fmt::Display,
    valid: impl Into<String>,
) -> SimulateError {
    SimulateError::invalid(name, value, valid.into())
}

fn empirical(e: EmpiricalError) -> SimulateError {
    invalid(
        "network",
        e,
        "a network the empirical layer can build and measure",
    )
}

impl NetworkSpec {
    /// The model at size `n`.
    ///
    /// # Errors
    /// A model text that does not parse once `{n}` is filled in, or that is not an MLP (conjecture files run
    /// the native backend).
    pub fn model_at(&self, n: usize) -> Result<ModelSpec, SimulateError> {
        let text = self.model.replace("{n}", &n.to_string());
        let model: ModelSpec = text
            .parse()
            .map_err(|e: landscape_empirical::spec::SpecError| invalid("model", &text, e.0))?;
        if !model.is_mlp() {
            return Err(invalid(
                "model",
                &text,
                "an mlp:widths=… model (conjecture files measure networks on the native backend)",
            ));
        }
        Ok(model)
    }

    /// Checks that the network at size `n` builds on its data and that `need` can be met (the dense cap, K ≤ P),
    /// without training or measuring: the file reader calls this for every size.
    ///
    /// # Errors
    /// As [`NetworkSpec::model_at`], data that cannot be loaded, or a model that does not fit the data.
    pub fn check(&self, n: usize, need: Need) -> Result<(), SimulateError> {
        let (model, _) = self.build(n, 0)?;
        if need == Need::All && model.n_params() > MAX_DENSE_PARAMS {
            return Err(invalid(
                "model",
                self.model.replace("{n}", &n.to_string()),
                format!(
                    "at most {MAX_DENSE_PARAMS} parameters for a statistic of the whole spectrum (this one has {}); \
                     use lambda_max, lambda_min or lambda(K), which Lanczos computes at any size",
                    model.n_params()
                ),
            ));
        }
        if let Need::Top(k) = need
            && k > model.n_params()
        {
            return Err(invalid(
                "lambda(K)",
                k,
                format!("K ≤ P = {}", model.n_params()),
            ));
        }
        Ok(())
    }

    fn build(
        &self,
        n: usize,
        seed: u64,
    ) -> Result<(NativeMlp, landscape_simulate::network::Dataset), SimulateError> {
        let model = self.model_at(n)?;
        let data = self
            .data
            .load(rng::derive_seed(seed, 0))
            .map_err(empirical)?;
        let data = match self.samples {
            Some(s) => data.head(s)?,
            None => data,
        };
        let data = if self.mse {
            spec::one_hot(data).map_err(empirical)?
        } else {
            spec::float_labels_as_classes(data).map_err(empirical)?
        };
        let mlp = model.native_mlp(&data).map_err(empirical)?;
        let params = mlp.init(&mut rng::task_rng(seed, 1));
        let loss = if self.mse {
            Loss::mse()
        } else {
            Loss::cross_entropy()
        };
        let network = NativeMlp::new(mlp, params, loss).map_err(empirical)?;
        Ok((network, data))
    }

    /// Builds the network of size `n` for the task seeded `seed`, trains it, and returns what `need` asks of
    /// its curvature spectrum.
    ///
    /// # Errors
    /// Building errors, training that diverges (a non-finite loss), and a Lanczos run that does not converge.
    pub fn spectrum(&self, n: usize, seed: u64, need: Need) -> Result<Vec<f64>, SimulateError> {
        let (mut network, data) = self.build(n, seed)?;
        if let Some(t) = &self.train {
            let config = TrainConfig {
                optimizer: t.optimizer,
                learning_rate: t.learning_rate,
                steps: t.steps,
                batch_size: None,
                seed: rng::derive_seed(seed, 2),
            };
            let outcome =
                train(&mut network, &data, &config, None, &mut |_, _| Ok(())).map_err(empirical)?;
            if let Some(step) = outcome.diverged_at {
                return Err(invalid(
                    "train",
                    format!("η = {}", t.learning_rate),
                    format!(
                        "a step at which training does not diverge (it diverged at step {step})"
                    ),
                ));
            }
        }
        let op = network
            .curvature_operator(&data, self.operator)
            .map_err(empirical)?;
        let p = op.dim();
        match need {
            Need::Top(_) | Need::Bottom => {
                let (k, end) = match need {
                    Need::Top(k) => (k, End::Top),
                    _ => (1, End::Bottom),
                };
                let pairs = extreme_eigenpairs_to(
                    op.as_ref(),
                    k,
                    end,
                    (LANCZOS_CAP.min(p.max(k)), LANCZOS_TOL),
                    None,
                    rng::derive_seed(seed, 3),
                )
                .map_err(empirical)?;
                if !pairs.converged.iter().all(|c| *c) {
                    return Err(invalid(
                        "statistic",
                        "an extreme eigenvalue",
                        format!(
                            "a Lanczos run that converges to {LANCZOS_TOL:e} within {LANCZOS_CAP} products ({} used)",
                            pairs.n_matvecs
                        ),
                    ));
                }
                Ok(pairs.values)
            }
            Need::All => {
                let mut a = faer::Mat::<f64>::zeros(p, p);
                let mut e = vec![0.0; p];
                let mut col = vec![0.0; p];
                for j in 0..p {
                    e[j] = 1.0;
                    op.apply(&e, &mut col)?;
                    e[j] = 0.0;
                    for (i, v) in col.iter().enumerate() {
                        a[(i, j)] = *v;
                    }
                }
                // Products of a symmetric operator agree with their transpose to rounding; symmetrise.
                for j in 0..p {
                    for i in 0..j {
                        let m = 0.5 * (a[(i, j)] + a[(j, i)]);
                        a[(i, j)] = m;
                        a[(j, i)] = m;
                    }
                }
                dense::eigenvalues(&a)
            }
        }
    }
}
