//! `landscape theory ...`: evaluate analytic laws.

use clap::{Args, Subcommand};
use serde_json::json;

use super::args::{finite, parse_list};
use super::{CliError, CliResult};

#[derive(Debug, Args)]
pub struct TheoryArgs {
    #[command(subcommand)]
    command: TheoryCommand,
    /// Seconds one numerical law may take to build (each operand of a nested expression has its own); a law
    /// that needs longer is refused with a one-line error. At most 3600.
    #[arg(long, global = true, default_value = "10", value_parser = time_limit)]
    time_limit: f64,
}

/// A construction that ran out of time says which flag gives it more.
fn with_time_limit_hint(err: landscape_theory::LawError) -> CliError {
    let text = err.to_string();
    if text.contains("(the construction time limit)") {
        CliError::Failure(format!("{text}; --time-limit SECONDS allows more"))
    } else {
        err.into()
    }
}

/// `--time-limit`: a number of seconds in (0, 3600].
fn time_limit(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 3600.0 => Ok(v),
        _ => Err(format!("`{text}` is not a number of seconds in (0, 3600]")),
    }
}

const LAW_HELP: &str = "A law expression: mp(ratio=R, variance=V), semicircle(variance=V), free_sum(LAW, LAW), \
free_product(LAW, LAW), fuss_catalan(depth=L), pennington_bahri(phi=P, energy=E), \
random_features(phi=, psi=, eta=, zeta=), tracy_widom(beta=B)";

#[derive(Debug, Subcommand)]
enum TheoryCommand {
    /// Density of the absolutely continuous part at each point (atoms are reported by `summary`).
    #[command(
        after_help = "Example:\n  landscape theory pdf --law 'mp(ratio=0.5, variance=1)' --at 0.5,1,2\n\
Output: {\"law\": \"...\", \"x\": [...], \"pdf\": [...]}"
    )]
    Pdf {
        #[arg(long, help = LAW_HELP)]
        law: String,
        /// Comma-separated points, e.g. 0.5,1,2.
        #[arg(long, allow_hyphen_values = true)]
        at: String,
    },
    /// Distribution function F(x) = μ((−∞, x]), atoms included.
    #[command(
        after_help = "Example:\n  landscape theory cdf --law 'semicircle(variance=1)' --at -1,0,1\n\
Output: {\"law\": \"...\", \"x\": [...], \"cdf\": [...]}"
    )]
    Cdf {
        #[arg(long, help = LAW_HELP)]
        law: String,
        /// Comma-separated points, e.g. -1,0,1.
        #[arg(long, allow_hyphen_values = true)]
        at: String,
    },
    /// Support intervals, atoms and the first moments m0..m4.
    #[command(
        after_help = "Example:\n  landscape theory summary --law 'mp(ratio=2)'\n\
Output: {\"law\": \"...\", \"support\": [[a, b], ...], \"atoms\": [[x, mass], ...], \"moments\": [m0, m1, m2, m3, m4]}\n\
A moment beyond the double-precision range is null and its order is listed in \"moments_overflow\"."
    )]
    Summary {
        #[arg(long, help = LAW_HELP)]
        law: String,
    },
    /// BBP prediction for a rank-one spike: threshold, detectability, outlier location, squared overlap.
    #[command(
        after_help = "Examples:\n  landscape theory spike --model wishart --ratio 0.5 --spike 2\n  \
landscape theory spike --model wigner --spike 2 --variance 1\n\
Output: {\"threshold\": ..., \"detectable\": true|false, \"outlier\": ..., \"overlap_sq\": ...}\n\
wishart: population covariance σ²I + (spike − σ²)uuᵀ, ratio = p/n; wigner: spike·uuᵀ + GOE with semicircle variance σ²."
    )]
    Spike {
        /// wishart (spiked covariance) or wigner (spiked Wigner).
        #[arg(long)]
        model: SpikeModel,
        /// p/n, for --model wishart.
        #[arg(long, allow_hyphen_values = true)]
        ratio: Option<f64>,
        /// The population eigenvalue ℓ (wishart) or the signal strength θ (wigner).
        #[arg(long, allow_hyphen_values = true)]
        spike: f64,
        /// Noise variance σ².
        #[arg(long, default_value_t = 1.0, allow_hyphen_values = true)]
        variance: f64,
    },
    /// Tracy–Widom distribution of the largest eigenvalue: cdf, pdf, mean and variance.
    #[command(
        name = "tracy-widom",
        after_help = "Example:\n  landscape theory tracy-widom --beta 1 --at -2,0,2\n\
Output: {\"beta\": ..., \"s\": [...], \"cdf\": [...], \"pdf\": [...], \"mean\": ..., \"variance\": ...}\n\
F_β by Bornemann's Nyström discretisation of the Fredholm determinants (absolute accuracy ~1e-12); \
β = 4 in the Tracy–Widom convention F₄(s) = ½[det(I − B_t) + det(I + B_t)], t = √2 s."
    )]
    TracyWidom {
        /// Symmetry class: 1 (real), 2 (complex) or 4 (quaternion).
        #[arg(long)]
        beta: String,
        /// Comma-separated points s.
        #[arg(long, allow_hyphen_values = true)]
        at: String,
    },
    /// Pennington–Bahri index: the fraction of negative Hessian eigenvalues α(ε, φ), and the critical energy ε_c(φ).
    #[command(
        after_help = "Example:\n  landscape theory index --phi 0.5 --energy 0.1\n\
Output: {\"index\": ..., \"critical_energy\": ...}"
    )]
    Index {
        /// φ: parameters over data points (H0 is Marchenko–Pastur with ratio φ).
        #[arg(long, allow_hyphen_values = true)]
        phi: f64,
        /// ε ≥ 0: the loss value (H1 is Wigner with variance 2ε; at ε = 0 the index is 0).
        #[arg(long, allow_hyphen_values = true)]
        energy: f64,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum SpikeModel {
    Wishart,
    Wigner,
}

pub fn run(args: TheoryArgs) -> CliResult {
    landscape_theory::numerical::set_build_time_limit(std::time::Duration::from_secs_f64(
        args.time_limit,
    ));
    match args.command {
        TheoryCommand::Pdf { law, at } => evaluate(&law, &at, "pdf"),
        TheoryCommand::Cdf { law, at } => evaluate(&law, &at, "cdf"),
        TheoryCommand::Summary { law } => summary(&law),
        TheoryCommand::Spike {
            model,
            ratio,
            spike,
            variance,
        } => spike_command(model, ratio, spike, variance),
        TheoryCommand::Index { phi, energy } => index_command(phi, energy),
        TheoryCommand::TracyWidom { beta, at } => tracy_widom_command(&beta, &at),
    }
}

fn evaluate(law_text: &str, at: &str, what: &str) -> CliResult {
    let expr = landscape_theory::expr::parse(law_text)?;
    let xs = parse_list("--at", at)?;
    let law = expr.build().map_err(with_time_limit_hint)?;
    let values = xs
        .iter()
        .map(|&x| {
            let v = if what == "pdf" {
                law.pdf(x)
            } else {
                law.cdf(x)
            };
            finite(&format!("{what}({x})"), v)
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    Ok(json!({ "law": law.to_string(), "x": xs, what: values }))
}

fn summary(law_text: &str) -> CliResult {
    let expr = landscape_theory::expr::parse(law_text)?;
    let law = expr.build().map_err(with_time_limit_hint)?;
    let support: Vec<[f64; 2]> = law
        .support()
        .intervals
        .iter()
        .map(|i| [i.lo, i.hi])
        .collect();
    let atoms: Vec<[f64; 2]> = law.atoms().iter().map(|a| [a.location, a.mass]).collect();
    // A moment beyond the double-precision range (m₃ of mp(ratio=1e308) is ~1e616) is written as null and listed
    // in `moments_overflow`; the support and atoms are still reported. NaN is still a bug.
    let mut overflow = Vec::new();
    let mut moments = Vec::new();
    for k in 0..=4u32 {
        let m = law.moment(k);
        if m.is_infinite() {
            overflow.push(k);
            moments.push(serde_json::Value::Null);
        } else {
            moments.push(finite(&format!("moment {k}"), m)?);
        }
    }
    let mut out =
        json!({ "law": law.to_string(), "support": support, "atoms": atoms, "moments": moments });
    if !overflow.is_empty() {
        out["moments_overflow"] = json!(overflow);
    }
    Ok(out)
}

fn spike_command(model: SpikeModel, ratio: Option<f64>, spike: f64, variance: f64) -> CliResult {
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
    Ok(json!({
        "threshold": finite("threshold", prediction.threshold)?,
        "detectable": prediction.detectable,
        "outlier": finite("outlier", prediction.outlier)?,
        "overlap_sq": finite("overlap_sq", prediction.overlap_sq)?,
    }))
}

fn index_command(phi: f64, energy: f64) -> CliResult {
    let index =
        landscape_theory::pennington_bahri::index(phi, energy).map_err(with_time_limit_hint)?;
    let critical = landscape_theory::pennington_bahri::critical_energy(phi)?;
    Ok(json!({
        "phi": phi,
        "energy": energy,
        "index": finite("index", index)?,
        "critical_energy": finite("critical_energy", critical)?,
    }))
}

fn tracy_widom_command(beta: &str, at: &str) -> CliResult {
    // The same values a law expression accepts for `tracy_widom(beta=...)`: 1, 2 or 4 in any float syntax.
    let beta: u8 = match beta.trim().parse::<f64>() {
        Ok(v) if [1.0, 2.0, 4.0].contains(&v) => v as u8,
        _ => {
            return Err(CliError::usage(format!(
                "--beta: `{}` is not valid; expected 1, 2 or 4",
                beta.trim()
            )));
        }
    };
    let s = parse_list("--at", at)?;
    let law = landscape_theory::tracy_widom::TracyWidom::new(beta)?;
    let mut cdf = Vec::with_capacity(s.len());
    let mut pdf = Vec::with_capacity(s.len());
    for &x in &s {
        let (f, p) = law.cdf_and_pdf(x);
        cdf.push(finite(&format!("cdf({x})"), f)?);
        pdf.push(finite(&format!("pdf({x})"), p)?);
    }
    Ok(json!({
        "beta": beta,
        "s": s,
        "cdf": cdf,
        "pdf": pdf,
        "mean": finite("mean", law.mean())?,
        "variance": finite("variance", law.variance())?,
    }))
}
