//! Law expressions: the text syntax in which users, the CLI and the simulate crate name a law.
//!
//! ```text
//! law   := name '(' [item (',' item)*] ')'
//! item  := key '=' value | law              (laws are positional, only in free_sum / free_product)
//! value := number | '[' number (',' number)* ']' | word
//! ```
//!
//! Arguments are named, in any order, with free whitespace and any float syntax Rust accepts (`1`, `0.5`, `.5`,
//! `5e-1`, `+2E3`); `inf` and `NaN` are rejected. Laws nest at most [`MAX_NESTING`] calls deep (the depth of
//! `free_sum(free_product(mp(ratio=1), mp(ratio=2)), semicircle())` is 3); deeper expressions are a parse error,
//! since every level costs a numerical solve inside the one below it. Every law's [`std::fmt::Display`] prints this syntax, and
//! `parse(law.to_string())` gives the same law back.
//!
//! | expression | law |
//! |---|---|
//! | `mp(ratio=R, variance=V)` | Marchenko–Pastur, `variance` defaults to 1 |
//! | `semicircle(variance=V)` | Wigner semicircle, `variance` defaults to 1 |
//! | `free_sum(LAW, LAW)` | free additive convolution |
//! | `free_product(LAW, LAW)` | free multiplicative convolution |
//! | `fuss_catalan(depth=L)` | Fuss–Catalan law of order L |
//! | `pennington_bahri(phi=P, energy=E)` | the Pennington–Bahri Hessian model |
//! | `random_features(phi=, psi=, eta=, zeta=)` | Pennington–Worah random-feature Gram law |
//! | `tracy_widom(beta=B)` | Tracy–Widom law, β ∈ {1, 2, 4} |
//! | `ck(n=, d0=, widths=[..], activation=, layer=, data=, weight_variance=)` | conjugate kernel of a deep net |
//! | `ntk(n=, d0=, widths=[..], activation=, parameterization=, data=, weight_variance=)` | its neural tangent kernel |
//!
//! In `ck`/`ntk`, `activation` is one of `linear, tanh, relu, erf, gelu` (required),
//! `data` is `gaussian` (default) or `orthonormal`, `parameterization` is `ntk` (default) or `standard`, and
//! `weight_variance` (optional) selects the raw activation at that weight variance instead of the Fan–Wang
//! normalised one (see [`crate::neural_kernels`]).

use std::fmt;

use crate::activation::Activation;
use crate::neural_kernels::{InputData, NetworkSpec, Parameterization};

/// A parsed law expression, before any parameter is validated against its law's domain.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum LawExpr {
    /// `mp(ratio=R, variance=V)`.
    MarchenkoPastur {
        /// p/n.
        ratio: f64,
        /// Entry variance σ².
        variance: f64,
    },
    /// `semicircle(variance=V)`.
    Semicircle {
        /// Variance σ² (radius 2σ).
        variance: f64,
    },
    /// `free_sum(A, B)`.
    FreeSum(Box<LawExpr>, Box<LawExpr>),
    /// `free_product(A, B)`.
    FreeProduct(Box<LawExpr>, Box<LawExpr>),
    /// `fuss_catalan(depth=L)`.
    FussCatalan {
        /// Number of factors L ≥ 1.
        depth: u32,
    },
    /// `pennington_bahri(phi=P, energy=E)`.
    PenningtonBahri {
        /// Parameters over data points φ.
        phi: f64,
        /// Loss value ε.
        energy: f64,
    },
    /// `random_features(phi=, psi=, eta=, zeta=)`.
    RandomFeatures {
        /// φ = n0/m.
        phi: f64,
        /// ψ = n0/n1.
        psi: f64,
        /// η = E f².
        eta: f64,
        /// ζ = (E f')².
        zeta: f64,
    },
    /// `tracy_widom(beta=B)`.
    TracyWidom {
        /// Symmetry class β.
        beta: u8,
    },
    /// `ck(n=, d0=, widths=[..], activation=, layer=, data=, weight_variance=)`.
    Ck(NetworkSpec),
    /// `ntk(n=, d0=, widths=[..], activation=, parameterization=, data=, weight_variance=)`.
    Ntk(NetworkSpec),
}

/// Why an expression could not be parsed. `Display` is one line naming the argument and what is valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ExprError {
    /// The whole message.
    pub message: String,
}

fn err<T>(message: impl Into<String>) -> Result<T, ExprError> {
    Err(ExprError {
        message: message.into(),
    })
}

/// The names `parse` accepts, for error messages.
pub const LAW_NAMES: &str = "mp, semicircle, free_sum, free_product, fuss_catalan, pennington_bahri, random_features, tracy_widom, ck, ntk";

/// The deepest nesting of law calls `parse` accepts (a bare law has depth 1). Far beyond any law used in practice
/// (every level of `free_sum`/`free_product` nests a numerical solver inside the one below), yet it bounds the
/// parser's recursion and the cost of building a law.
pub const MAX_NESTING: usize = 64;

/// Parses a law expression.
///
/// ```
/// use landscape_theory::expr::{parse, LawExpr};
/// assert_eq!(
///     parse(" mp( variance = 2 , ratio=5e-1 )").unwrap(),
///     LawExpr::MarchenkoPastur { ratio: 0.5, variance: 2.0 }
/// );
/// assert!(parse("mp(ratio=0.5, ratio=1)").unwrap_err().to_string().contains("repeated"));
/// ```
pub fn parse(text: &str) -> Result<LawExpr, ExprError> {
    let mut parser = Parser {
        text,
        pos: 0,
        depth: 0,
    };
    let call = parser.call()?;
    parser.skip_ws();
    if parser.pos != text.len() {
        return err(format!(
            "unexpected text after the law at byte {}: {:?}",
            parser.pos,
            &text[parser.pos..]
        ));
    }
    call.into_expr()
}

/// The untyped parse tree: a call with named and positional items.
#[derive(Debug, Clone)]
struct Call {
    name: String,
    named: Vec<(String, Value)>,
    positional: Vec<Call>,
}

#[derive(Debug, Clone)]
enum Value {
    Number(f64),
    List(Vec<f64>),
    Word(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Number(v) => write!(f, "{v}"),
            Value::List(items) => {
                let items: Vec<String> = items.iter().map(f64::to_string).collect();
                write!(f, "[{}]", items.join(", "))
            }
            Value::Word(word) => write!(f, "{word}"),
        }
    }
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    /// Law calls open at `pos`.
    depth: usize,
}

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
    }

    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn expect(&mut self, want: char) -> Result<(), ExprError> {
        self.skip_ws();
        match self.peek() {
            Some(c) if c == want => {
                self.pos += c.len_utf8();
                Ok(())
            }
            Some(c) => err(format!(
                "expected '{want}' at byte {} but found '{c}' in {:?}",
                self.pos, self.text
            )),
            None => err(format!(
                "expected '{want}' but the expression ended: {:?}",
                self.text
            )),
        }
    }

    fn word(&mut self) -> String {
        self.skip_ws();
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '+' || c == '-' {
                self.pos += 1;
            } else {
                break;
            }
        }
        self.text[start..self.pos].to_string()
    }

    fn call(&mut self) -> Result<Call, ExprError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return err(format!(
                "laws nested deeper than {MAX_NESTING} calls at byte {}; nest at most {MAX_NESTING} laws",
                self.pos
            ));
        }
        let call = self.call_body();
        self.depth -= 1;
        call
    }

    fn call_body(&mut self) -> Result<Call, ExprError> {
        let name = self.word();
        if name.is_empty() {
            return err(format!(
                "expected a law name ({LAW_NAMES}) at byte {} in {:?}",
                self.pos, self.text
            ));
        }
        self.expect('(')?;
        let mut call = Call {
            name,
            named: Vec::new(),
            positional: Vec::new(),
        };
        self.skip_ws();
        if self.peek() == Some(')') {
            self.pos += 1;
            return Ok(call);
        }
        loop {
            let save = self.pos;
            let key = self.word();
            self.skip_ws();
            match self.peek() {
                Some('=') => {
                    self.pos += 1;
                    let value = self.value(&call.name, &key)?;
                    call.named.push((key, value));
                }
                Some('(') => {
                    self.pos = save;
                    call.positional.push(self.call()?);
                }
                _ => {
                    return err(format!(
                        "{}: expected `name=value` or a law at byte {} in {:?}",
                        call.name, save, self.text
                    ));
                }
            }
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(')') => {
                    self.pos += 1;
                    return Ok(call);
                }
                _ => {
                    return err(format!(
                        "{}: expected ',' or ')' at byte {} in {:?}",
                        call.name, self.pos, self.text
                    ));
                }
            }
        }
    }

    fn value(&mut self, law: &str, key: &str) -> Result<Value, ExprError> {
        self.skip_ws();
        if self.peek() == Some('[') {
            self.pos += 1;
            let mut items = Vec::new();
            loop {
                let token = self.word();
                items.push(number(law, key, &token)?);
                self.skip_ws();
                match self.peek() {
                    Some(',') => self.pos += 1,
                    Some(']') => {
                        self.pos += 1;
                        return Ok(Value::List(items));
                    }
                    _ => {
                        return err(format!(
                            "{law}: {key}: expected ',' or ']' in a list at byte {}",
                            self.pos
                        ));
                    }
                }
            }
        }
        let token = self.word();
        if token.is_empty() {
            return err(format!(
                "{law}: {key}: missing value at byte {} in {:?}",
                self.pos, self.text
            ));
        }
        match token.parse::<f64>() {
            Ok(_) => Ok(Value::Number(number(law, key, &token)?)),
            Err(_) => Ok(Value::Word(token)),
        }
    }
}

fn number(law: &str, key: &str, token: &str) -> Result<f64, ExprError> {
    match token.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => err(format!("{law}: {key} = {token}: expected a finite number")),
        Err(_) => err(format!("{law}: {key} = {token:?}: expected a number")),
    }
}

impl Call {
    /// Takes the named arguments `keys` (with defaults), rejecting unknown, repeated and missing ones.
    fn numbers(&self, keys: &[(&str, Option<f64>)]) -> Result<Vec<f64>, ExprError> {
        let valid = keys.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ");
        for (i, (key, _)) in self.named.iter().enumerate() {
            if !keys.iter().any(|(k, _)| k == key) {
                return err(format!(
                    "{}: unknown argument `{key}`; valid arguments: {valid}",
                    self.name
                ));
            }
            if self.named[..i].iter().any(|(k, _)| k == key) {
                return err(format!("{}: argument `{key}` is repeated", self.name));
            }
        }
        if !self.positional.is_empty() {
            return err(format!(
                "{}: takes only named arguments ({valid}), not laws",
                self.name
            ));
        }
        keys.iter()
            .map(
                |(key, default)| match self.named.iter().find(|(k, _)| k == key) {
                    Some((_, Value::Number(v))) => Ok(*v),
                    Some((_, other)) => err(format!(
                        "{}: {key} = {other:?}: expected a number",
                        self.name
                    )),
                    None => match default {
                        Some(d) => Ok(*d),
                        None => err(format!(
                            "{}: missing argument `{key}`; required: {valid}",
                            self.name
                        )),
                    },
                },
            )
            .collect()
    }

    /// Parses `ck(...)` / `ntk(...)` arguments: `keys` are the valid ones for this law.
    fn network(&self, keys: &[&str]) -> Result<NetworkSpec, ExprError> {
        let valid = keys.join(", ");
        for (i, (key, _)) in self.named.iter().enumerate() {
            if !keys.contains(&key.as_str()) {
                return err(format!(
                    "{}: unknown argument `{key}`; valid arguments: {valid}",
                    self.name
                ));
            }
            if self.named[..i].iter().any(|(k, _)| k == key) {
                return err(format!("{}: argument `{key}` is repeated", self.name));
            }
        }
        if !self.positional.is_empty() {
            return err(format!(
                "{}: takes only named arguments ({valid}), not laws",
                self.name
            ));
        }
        let get = |key: &str| self.named.iter().find(|(k, _)| k == key).map(|(_, v)| v);
        let missing = |key: &str| {
            err::<NetworkSpec>(format!(
                "{}: missing argument `{key}`; required: n, d0, widths, activation",
                self.name
            ))
        };
        let number = |key: &str| -> Result<Option<f64>, ExprError> {
            match get(key) {
                None => Ok(None),
                Some(Value::Number(v)) => Ok(Some(*v)),
                Some(other) => err(format!("{}: {key} = {other}: expected a number", self.name)),
            }
        };
        let word = |key: &str| -> Result<Option<&str>, ExprError> {
            match get(key) {
                None => Ok(None),
                Some(Value::Word(w)) => Ok(Some(w.as_str())),
                Some(other) => err(format!("{}: {key} = {other}: expected a word", self.name)),
            }
        };
        let Some(n) = number("n")? else {
            return missing("n");
        };
        let Some(d0) = number("d0")? else {
            return missing("d0");
        };
        let widths = match get("widths") {
            None => return missing("widths"),
            Some(Value::List(items)) => items.clone(),
            Some(Value::Number(v)) => vec![*v],
            Some(other) => {
                return err(format!(
                    "{}: widths = {other}: expected a list of widths like [1000, 500]",
                    self.name
                ));
            }
        };
        let Some(activation) = word("activation")? else {
            return missing("activation");
        };
        let activation: Activation = activation.parse().map_err(|e| ExprError {
            message: format!("{}: {e}", self.name),
        })?;
        let mut spec = NetworkSpec::new(n, d0, widths, activation);
        if let Some(layer) = number("layer")? {
            spec.layer = Some(small_integer(&self.name, "layer", layer, 1, 64)? as usize);
        }
        spec.parameterization = match word("parameterization")? {
            None | Some("ntk") => Parameterization::Ntk,
            Some("standard") => Parameterization::Standard,
            Some(other) => {
                return err(format!(
                    "{}: parameterization = {other}: expected ntk or standard",
                    self.name
                ));
            }
        };
        spec.data = match word("data")? {
            None | Some("gaussian") => InputData::Gaussian,
            Some("orthonormal") => InputData::Orthonormal,
            Some(other) => {
                return err(format!(
                    "{}: data = {other}: expected gaussian or orthonormal",
                    self.name
                ));
            }
        };
        spec.weight_variance = number("weight_variance")?;
        Ok(spec)
    }

    fn two_laws(&self) -> Result<(Box<LawExpr>, Box<LawExpr>), ExprError> {
        if !self.named.is_empty() || self.positional.len() != 2 {
            return err(format!(
                "{}: expects exactly two laws, e.g. {}(mp(ratio=0.5), semicircle(variance=1))",
                self.name, self.name
            ));
        }
        Ok((
            Box::new(self.positional[0].clone().into_expr()?),
            Box::new(self.positional[1].clone().into_expr()?),
        ))
    }

    fn into_expr(self) -> Result<LawExpr, ExprError> {
        Ok(match self.name.as_str() {
            "mp" | "marchenko_pastur" => {
                let v = self.numbers(&[("ratio", None), ("variance", Some(1.0))])?;
                LawExpr::MarchenkoPastur {
                    ratio: v[0],
                    variance: v[1],
                }
            }
            "semicircle" => {
                let v = self.numbers(&[("variance", Some(1.0))])?;
                LawExpr::Semicircle { variance: v[0] }
            }
            "free_sum" => {
                let (a, b) = self.two_laws()?;
                LawExpr::FreeSum(a, b)
            }
            "free_product" => {
                let (a, b) = self.two_laws()?;
                LawExpr::FreeProduct(a, b)
            }
            "fuss_catalan" => {
                let v = self.numbers(&[("depth", None)])?;
                LawExpr::FussCatalan {
                    depth: small_integer(&self.name, "depth", v[0], 1, 64)? as u32,
                }
            }
            "pennington_bahri" => {
                let v = self.numbers(&[("phi", None), ("energy", None)])?;
                LawExpr::PenningtonBahri {
                    phi: v[0],
                    energy: v[1],
                }
            }
            "random_features" => {
                let v =
                    self.numbers(&[("phi", None), ("psi", None), ("eta", None), ("zeta", None)])?;
                LawExpr::RandomFeatures {
                    phi: v[0],
                    psi: v[1],
                    eta: v[2],
                    zeta: v[3],
                }
            }
            "tracy_widom" => {
                let v = self.numbers(&[("beta", None)])?;
                let beta = v[0];
                if ![1.0, 2.0, 4.0].contains(&beta) {
                    return err(format!("tracy_widom: beta = {beta}: expected 1, 2 or 4"));
                }
                LawExpr::TracyWidom { beta: beta as u8 }
            }
            "ck" => LawExpr::Ck(self.network(&[
                "n",
                "d0",
                "widths",
                "activation",
                "layer",
                "data",
                "weight_variance",
            ])?),
            "ntk" => LawExpr::Ntk(self.network(&[
                "n",
                "d0",
                "widths",
                "activation",
                "parameterization",
                "data",
                "weight_variance",
            ])?),
            other => return err(format!("unknown law `{other}`; valid laws: {LAW_NAMES}")),
        })
    }
}

fn small_integer(law: &str, key: &str, value: f64, min: u64, max: u64) -> Result<u64, ExprError> {
    if value.fract() == 0.0 && value >= min as f64 && value <= max as f64 {
        Ok(value as u64)
    } else {
        err(format!(
            "{law}: {key} = {value}: expected an integer in {min}..={max}"
        ))
    }
}

impl fmt::Display for LawExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LawExpr::MarchenkoPastur { ratio, variance } => {
                write!(f, "mp(ratio={ratio}, variance={variance})")
            }
            LawExpr::Semicircle { variance } => write!(f, "semicircle(variance={variance})"),
            LawExpr::FreeSum(a, b) => write!(f, "free_sum({a}, {b})"),
            LawExpr::FreeProduct(a, b) => write!(f, "free_product({a}, {b})"),
            LawExpr::FussCatalan { depth } => write!(f, "fuss_catalan(depth={depth})"),
            LawExpr::PenningtonBahri { phi, energy } => {
                write!(f, "pennington_bahri(phi={phi}, energy={energy})")
            }
            LawExpr::RandomFeatures {
                phi,
                psi,
                eta,
                zeta,
            } => {
                write!(
                    f,
                    "random_features(phi={phi}, psi={psi}, eta={eta}, zeta={zeta})"
                )
            }
            LawExpr::TracyWidom { beta } => write!(f, "tracy_widom(beta={beta})"),
            LawExpr::Ck(spec) => spec.write_expr(f, "ck"),
            LawExpr::Ntk(spec) => spec.write_expr(f, "ntk"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_round_trips_through_parse() {
        let texts = [
            "mp(ratio=0.5, variance=1)",
            "free_sum(mp(ratio=0.25, variance=2), semicircle(variance=0.1))",
            "free_product(mp(ratio=0.5, variance=1), free_product(fuss_catalan(depth=2), mp(ratio=3, variance=1)))",
            "pennington_bahri(phi=0.5, energy=0.001)",
            "random_features(phi=0.5, psi=0.25, eta=0.3408450569, zeta=0.25)",
            "tracy_widom(beta=4)",
            "ck(n=1000, d0=500, widths=[2000, 1000.5], activation=tanh, layer=1)",
            "ck(n=1000, d0=2000, widths=[500], activation=gelu, data=orthonormal, weight_variance=2)",
            "ntk(n=1000, d0=500, widths=[2000, 1000, 250], activation=relu)",
            "ntk(n=10, d0=20, widths=[5], activation=erf, parameterization=standard, data=orthonormal)",
        ];
        for text in texts {
            let expr = parse(text).unwrap();
            assert_eq!(expr.to_string(), text);
            assert_eq!(parse(&expr.to_string()).unwrap(), expr);
        }
    }

    #[test]
    fn accepts_any_float_syntax_and_whitespace() {
        for (text, ratio) in [
            ("mp(ratio=1)", 1.0),
            ("mp( ratio = .5 )", 0.5),
            ("mp(ratio=+2E-3)", 2e-3),
        ] {
            assert_eq!(
                parse(text).unwrap(),
                LawExpr::MarchenkoPastur {
                    ratio,
                    variance: 1.0
                },
                "{text}"
            );
        }
    }

    /// `free_sum(` nested `depth − 1` times around `mp(ratio=1)`, with `semicircle()` as every second argument:
    /// an expression whose nesting depth is exactly `depth`.
    fn deep_sum(depth: usize) -> String {
        let mut text = "mp(ratio=1)".to_string();
        for _ in 1..depth {
            text = format!("free_sum({text}, semicircle())");
        }
        text
    }

    #[test]
    fn nesting_up_to_the_documented_depth_parses_and_beyond_it_is_one_line_error() {
        let at_limit = parse(&deep_sum(MAX_NESTING)).unwrap();
        assert_eq!(parse(&at_limit.to_string()).unwrap(), at_limit);
        let beyond = parse(&deep_sum(MAX_NESTING + 1)).unwrap_err().to_string();
        assert!(
            beyond.contains("nested deeper than 64") && !beyond.contains('\n'),
            "{beyond}"
        );
        let started = std::time::Instant::now();
        let message = parse(&format!("{}{}", "free_sum(".repeat(3000), ")".repeat(3000)))
            .unwrap_err()
            .to_string();
        assert!(message.contains("nested deeper than 64"), "{message}");
        // A linear-time parse of 30 kB; the bound is 10⁴ times what it takes, so only a hang fails it.
        assert!(started.elapsed().as_secs_f64() < 1.0);
    }

    #[test]
    fn bad_input_names_the_argument() {
        let cases = [
            ("wishart(ratio=1)", "unknown law `wishart`"),
            ("mp()", "missing argument `ratio`"),
            ("mp(ratio=1, ratio=2)", "repeated"),
            ("mp(ratio=1, scale=2)", "unknown argument `scale`"),
            ("mp(ratio=nan)", "expected a finite number"),
            ("mp(ratio=inf)", "expected a finite number"),
            ("mp(ratio=abc)", "expected a number"),
            ("tracy_widom(beta=3)", "expected 1, 2 or 4"),
            ("fuss_catalan(depth=1.5)", "expected an integer"),
            ("free_sum(mp(ratio=1))", "exactly two laws"),
            ("mp(ratio=1) extra", "unexpected text"),
            ("mp(ratio=1", "expected ',' or ')'"),
            (
                "ntk(n=10, d0=5, widths=[5])",
                "missing argument `activation`",
            ),
            (
                "ntk(n=10, d0=5, widths=[5], activation=sigmoid)",
                "unknown activation `sigmoid`",
            ),
            (
                "ntk(n=10, d0=5, widths=[5], activation=tanh, layer=1)",
                "unknown argument `layer`",
            ),
            (
                "ck(n=10, d0=5, widths=[5], activation=tanh, parameterization=standard)",
                "unknown argument `parameterization`",
            ),
            (
                "ntk(n=10, d0=5, widths=tanh, activation=tanh)",
                "expected a list",
            ),
            (
                "ntk(n=10, d0=5, widths=[5], activation=tanh, data=mnist)",
                "expected gaussian or orthonormal",
            ),
            (
                "ntk(n=10, d0=5, widths=[5], activation=tanh, parameterization=mup)",
                "expected ntk or standard",
            ),
            (
                "ck(n=10, d0=5, widths=[5], activation=tanh, layer=0.5)",
                "expected an integer",
            ),
            (
                "ntk(n=relu, d0=5, widths=[5], activation=tanh)",
                "expected a number",
            ),
        ];
        for (text, needle) in cases {
            let message = parse(text).unwrap_err().to_string();
            assert!(message.contains(needle), "{text}: {message}");
            assert!(!message.contains('\n'), "error must be one line: {message}");
        }
    }
}
