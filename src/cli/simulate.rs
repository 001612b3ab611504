//! `landscape simulate ...`: sample ensembles and networks and measure them against theory.

use clap::{Args, Subcommand};
use serde_json::json;

use super::args::parse_list;
use super::{CliError, CliResult};

use super::args::named;
use crate::simulation::{self, CurvatureKind, Method, NetworkConfig, SpikeModel};

#[derive(Debug, Args)]
pub struct SimulateArgs {
    #[command(subcommand)]
    command: SimulateCommand,
}

#[derive(Debug, Subcommand)]
enum SimulateCommand {
    /// Sample the ensemble whose limit is LAW and measure the KS and W1 distances of its spectrum from LAW.
    #[command(
        after_help = "Ensembles: mp → Wishart, semicircle → GOE, free_sum → A + OBOᵀ (O Haar), free_product → \
A^{1/2}OBOᵀA^{1/2}, fuss_catalan → products of square Gaussian matrices, pennington_bahri → Wishart + GOE, \
random_features → Pennington–Worah Gram matrix.\n\nExample:\n  landscape simulate esd --law 'mp(ratio=0.5)' --n 1000 --seed 1\n\
Output: {\"law\": \"...\", \"n\": N, \"seed\": S, \"ks\": ..., \"w1\": ..., \"largest\": [5, descending], \"smallest\": [5, ascending]}"
    )]
    Esd {
        /// A law expression with a matrix ensemble (see `landscape theory pdf --help`).
        #[arg(long)]
        law: String,
        /// Matrix side N (2..=20000).
        #[arg(long)]
        n: usize,
        /// Seed of the portable RNG (ChaCha8).
        #[arg(long)]
        seed: u64,
        /// dense: all eigenvalues; slq: stochastic Lanczos quadrature (10 probes, 80 steps) and Lanczos extremes.
        #[arg(long, value_parser = named::<Method>(), default_value_t = Method::Dense)]
        method: Method,
    },
    /// Sample a spiked model and compare its top eigenvalue and eigenvector overlap with the BBP prediction.
    #[command(
        after_help = "Examples:\n  landscape simulate spiked --model wishart --n 1000 --ratio 0.5 --spike 3 --seed 1\n  \
landscape simulate spiked --model wigner --n 1000 --spike 2 --seed 1\n\
Output: {\"outlier\": ..., \"overlap_sq\": ..., \"predicted\": {\"outlier\": ..., \"overlap_sq\": ...}}"
    )]
    Spiked {
        /// wishart (spiked covariance, p = n) or wigner.
        #[arg(long, value_parser = named::<SpikeModel>())]
        model: SpikeModel,
        /// Matrix side (p for wishart).
        #[arg(long)]
        n: usize,
        /// p/n for wishart.
        #[arg(long, allow_hyphen_values = true)]
        ratio: Option<f64>,
        /// Population eigenvalue ℓ (wishart) or signal strength θ (wigner), > 0.
        #[arg(long, allow_hyphen_values = true)]
        spike: f64,
        /// Noise variance σ².
        #[arg(long, default_value_t = 1.0, allow_hyphen_values = true)]
        variance: f64,
        /// Seed.
        #[arg(long)]
        seed: u64,
    },
    /// Curvature spectrum of an MLP at initialization: exact eigenvalues (P ≤ 4000), top eigenvalues, trace and SLQ
    /// density.
    #[command(
        after_help = "Example:\n  landscape simulate network --widths 16,32,4 --activation tanh --loss cross_entropy \
--samples 64 --seed 1 --operator ggn\n\
Weights: PyTorch's default nn.Linear init; inputs N(0, 1/d0) entries; labels uniform (cross_entropy) or N(0,1) targets (mse); \
loss is the mean over samples."
    )]
    Network {
        /// Widths d0,hidden…,outputs, e.g. 64,128,128,10.
        #[arg(long)]
        widths: String,
        /// linear, tanh, relu, erf or gelu.
        #[arg(long, default_value = "tanh")]
        activation: String,
        /// mse or cross_entropy.
        #[arg(long, default_value = "cross_entropy")]
        loss: String,
        /// Number of samples.
        #[arg(long)]
        samples: usize,
        /// Seed.
        #[arg(long)]
        seed: u64,
        /// hessian or ggn.
        #[arg(long, value_parser = named::<CurvatureKind>(), default_value_t = CurvatureKind::Hessian)]
        operator: CurvatureKind,
        /// `ntk`: instead, build the Fan–Wang network with these widths (NTK parameterisation, no bias, N(0,1)
        /// inputs, raw activation) and print the KS/W1 distance, edge errors and moments of its NTK JJᵀ against
        /// the predicted law ntk(..., weight_variance=1).
        #[arg(long)]
        compare: Option<String>,
    },
    /// Finite-size scaling: KS distance per n (mean and sd over seeds) and the fitted decay exponent.
    #[command(
        after_help = "Example:\n  landscape simulate scaling --law 'semicircle()' --n 100,200,400,800 --seeds 4\n\
Output: {\"law\": ..., \"rows\": [{\"n\", \"ks_mean\", \"ks_sd\", ...}], \"exponent\": ..., \"exponent_stderr\": ...}"
    )]
    Scaling {
        /// A law expression with a matrix ensemble.
        #[arg(long)]
        law: String,
        /// Comma-separated sizes, e.g. 250,500,1000,2000.
        #[arg(long)]
        n: String,
        /// Seeds per size (≥ 2).
        #[arg(long)]
        seeds: usize,
        /// Base seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
}

impl From<landscape_simulate::SimulateError> for CliError {
    fn from(err: landscape_simulate::SimulateError) -> Self {
        match err {
            landscape_simulate::SimulateError::InvalidArgument { .. } => {
                CliError::Usage(err.to_string())
            }
            _ => CliError::Failure(err.to_string()),
        }
    }
}

fn sizes(text: &str) -> Result<Vec<usize>, CliError> {
    parse_list("--n", text)?
        .into_iter()
        .map(|v| {
            if v.fract() == 0.0 && (2.0..=simulation::MAX_DENSE_N as f64).contains(&v) {
                Ok(v as usize)
            } else {
                Err(CliError::usage(format!(
                    "--n: {v} is not an integer in 2..={}",
                    simulation::MAX_DENSE_N
                )))
            }
        })
        .collect()
}

pub fn run(args: SimulateArgs) -> CliResult {
    match args.command {
        SimulateCommand::Esd {
            law,
            n,
            seed,
            method,
        } => {
            let expr = landscape_theory::expr::parse(&law)?;
            // Ask for the ensemble first: a law without one (tracy_widom) is a usage error about the ensemble.
            crate::compare::ensemble_for(&expr, n.max(2))?;
            let law = expr.build()?;
            let result = simulation::esd(&expr, law.as_ref(), n, seed, method)?;
            Ok(serde_json::to_value(result).map_err(|e| CliError::Failure(e.to_string()))?)
        }
        SimulateCommand::Spiked {
            model,
            n,
            ratio,
            spike,
            variance,
            seed,
        } => {
            let prediction = match model {
                SpikeModel::Wishart => {
                    let ratio = ratio.ok_or_else(|| {
                        CliError::usage("--ratio is required with --model wishart (p/n > 0)")
                    })?;
                    landscape_theory::SpikedCovariance::new(ratio, spike, variance)?.predict()
                }
                SpikeModel::Wigner => {
                    if ratio.is_some() {
                        return Err(CliError::usage("--ratio applies only to --model wishart"));
                    }
                    landscape_theory::SpikedWigner::new(spike, variance)?.predict()
                }
            };
            let measured =
                simulation::spiked(model, n, ratio.unwrap_or(1.0), spike, variance, seed)?;
            Ok(json!({
                "model": model,
                "n": n,
                "seed": seed,
                "spike": spike,
                "outlier": measured.outlier,
                "overlap_sq": measured.overlap_sq,
                "predicted": {
                    "threshold": prediction.threshold,
                    "detectable": prediction.detectable,
                    "outlier": prediction.outlier,
                    "overlap_sq": prediction.overlap_sq,
                },
            }))
        }
        SimulateCommand::Network {
            widths,
            activation,
            loss,
            samples,
            seed,
            operator,
            compare,
        } => {
            let widths = parse_list("--widths", &widths)?
                .into_iter()
                .map(|v| {
                    if v.fract() == 0.0 && (1.0..=1e6).contains(&v) {
                        Ok(v as usize)
                    } else {
                        Err(CliError::usage(format!(
                            "--widths: {v} is not a positive integer width"
                        )))
                    }
                })
                .collect::<Result<Vec<_>, _>>()?;
            if let Some(what) = compare {
                if what != "ntk" {
                    return Err(CliError::usage(format!(
                        "--compare: {what:?} is not supported; valid: ntk"
                    )));
                }
                let result = simulation::compare_ntk(&widths, &activation, samples, seed)
                    .map_err(|e| CliError::Failure(e.to_string()))?;
                return Ok(serde_json::json!({ "compare": result }));
            }
            let config = NetworkConfig {
                widths,
                activation,
                loss,
                samples,
                seed,
                operator,
            };
            let result = simulation::network(&config)?;
            Ok(serde_json::to_value(result).map_err(|e| CliError::Failure(e.to_string()))?)
        }
        SimulateCommand::Scaling {
            law,
            n,
            seeds,
            seed,
        } => {
            let expr = landscape_theory::expr::parse(&law)?;
            let sizes = sizes(&n)?;
            let law = expr.build()?;
            let result = simulation::scaling(&expr, law.as_ref(), &sizes, seeds, seed)?;
            Ok(serde_json::to_value(result).map_err(|e| CliError::Failure(e.to_string()))?)
        }
    }
}
