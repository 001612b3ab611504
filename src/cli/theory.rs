//! `landscape theory ...`: evaluate analytic laws.

use clap::{Args, Subcommand};
use serde_json::json;

use super::args::{finite, parse_list};
use super::{CliError, CliResult};
use crate::laws::build_law;

#[derive(Debug, Args)]
pub struct TheoryArgs {
    #[command(subcommand)]
    command: TheoryCommand,
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
Output: {\"law\": \"...\", \"support\": [[a, b], ...], \"atoms\": [[x, mass], ...], \"moments\": [m0, m1, m2, m3, m4]}"
    )]
    Summary {
        #[arg(long, help = LAW_HELP)]
        law: String,
    },
}

pub fn run(args: TheoryArgs) -> CliResult {
    match args.command {
        TheoryCommand::Pdf { law, at } => evaluate(&law, &at, "pdf"),
        TheoryCommand::Cdf { law, at } => evaluate(&law, &at, "cdf"),
        TheoryCommand::Summary { law } => summary(&law),
    }
}

fn evaluate(law_text: &str, at: &str, what: &str) -> CliResult {
    let expr = landscape_theory::expr::parse(law_text)?;
    let xs = parse_list("--at", at)?;
    let law = build_law(&expr)?;
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
    let law = build_law(&expr)?;
    let support: Vec<[f64; 2]> = law
        .support()
        .intervals
        .iter()
        .map(|i| [i.lo, i.hi])
        .collect();
    let atoms: Vec<[f64; 2]> = law.atoms().iter().map(|a| [a.location, a.mass]).collect();
    let moments = (0..=4u32)
        .map(|k| finite(&format!("moment {k}"), law.moment(k)))
        .collect::<Result<Vec<_>, CliError>>()?;
    Ok(json!({ "law": law.to_string(), "support": support, "atoms": atoms, "moments": moments }))
}
