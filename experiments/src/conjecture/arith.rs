//! The arithmetic language of conjecture files: `(1 + sqrt(ratio))^2`, `0.5 * n^(-2/3)`, densities in `x`.
//!
//! Grammar (recursive descent, usual precedence, `^` right associative and binding tighter than unary minus, so
//! `-x^2 = -(x^2)` and `2^3^2 = 2^9`):
//!
//! ```text
//! sum     := product (('+' | '-') product)*
//! product := unary (('*' | '/') unary)*
//! unary   := '-' unary | power
//! power   := atom ('^' unary)?
//! atom    := number | name | name '(' sum (',' sum)* ')' | '(' sum ')'
//! ```
//!
//! Functions: `sqrt exp log abs` (one argument), `min max` (two or more); constant `pi`. Variables are bound when
//! the expression is parsed, so an unknown name is an error at its column, never a NaN at run time.

use std::fmt;

/// A parse error: what is wrong and the 1-based column (in characters) where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct ArithError {
    /// 1-based column in characters.
    pub column: usize,
    /// What is wrong and what is valid.
    pub message: String,
}

/// A parsed expression over named variables, evaluated by [`Arith::eval`] with values in the order of the names
/// given to [`Arith::parse`].
#[derive(Debug, Clone, PartialEq)]
pub struct Arith {
    text: String,
    node: Node,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Number(f64),
    Var(usize),
    Neg(Box<Node>),
    Binary(char, Box<Node>, Box<Node>),
    Call(Func, Vec<Node>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Func {
    Sqrt,
    Exp,
    Log,
    Abs,
    Min,
    Max,
}

impl Func {
    fn named(name: &str) -> Option<Self> {
        Some(match name {
            "sqrt" => Self::Sqrt,
            "exp" => Self::Exp,
            "log" => Self::Log,
            "abs" => Self::Abs,
            "min" => Self::Min,
            "max" => Self::Max,
            _ => return None,
        })
    }
}

impl fmt::Display for Arith {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Arith {
    /// Parses `text` with the variables `names` (e.g. the grid's names and `n`).
    ///
    /// # Errors
    /// An unknown name or function, a wrong number of arguments, or a syntax error, at its column.
    pub fn parse(text: &str, names: &[&str]) -> Result<Self, ArithError> {
        let chars: Vec<char> = text.chars().collect();
        let mut p = Parser {
            chars: &chars,
            pos: 0,
            names,
        };
        let node = p.sum()?;
        p.skip_space();
        if p.pos < chars.len() {
            return Err(p.error(format!("unexpected '{}'", chars[p.pos])));
        }
        Ok(Self {
            text: text.to_string(),
            node,
        })
    }

    /// The value with `values[i]` bound to the `i`-th name given to [`Arith::parse`]. Domain errors give NaN
    /// (`sqrt(-1)`), which callers report with the point where it happened.
    ///
    /// # Panics
    /// If `values` is shorter than the list of names the expression was parsed with.
    #[track_caller]
    pub fn eval(&self, values: &[f64]) -> f64 {
        eval(&self.node, values)
    }

    /// Whether the expression reads the variable with index `idx`.
    pub fn uses(&self, idx: usize) -> bool {
        uses(&self.node, idx)
    }
}

fn uses(node: &Node, idx: usize) -> bool {
    match node {
        Node::Number(_) => false,
        Node::Var(i) => *i == idx,
        Node::Neg(a) => uses(a, idx),
        Node::Binary(_, a, b) => uses(a, idx) || uses(b, idx),
        Node::Call(_, args) => args.iter().any(|a| uses(a, idx)),
    }
}

fn eval(node: &Node, values: &[f64]) -> f64 {
    match node {
        Node::Number(x) => *x,
        Node::Var(i) => values[*i],
        Node::Neg(a) => -eval(a, values),
        Node::Binary(op, a, b) => {
            let (a, b) = (eval(a, values), eval(b, values));
            match op {
                '+' => a + b,
                '-' => a - b,
                '*' => a * b,
                '/' => a / b,
                _ => a.powf(b),
            }
        }
        Node::Call(func, args) => {
            let a = eval(&args[0], values);
            match func {
                Func::Sqrt => a.sqrt(),
                Func::Exp => a.exp(),
                Func::Log => a.ln(),
                Func::Abs => a.abs(),
                Func::Min => args[1..].iter().fold(a, |m, x| m.min(eval(x, values))),
                Func::Max => args[1..].iter().fold(a, |m, x| m.max(eval(x, values))),
            }
        }
    }
}

struct Parser<'a> {
    chars: &'a [char],
    pos: usize,
    names: &'a [&'a str],
}

impl Parser<'_> {
    fn error(&self, message: impl Into<String>) -> ArithError {
        ArithError {
            column: self.pos + 1,
            message: message.into(),
        }
    }

    fn skip_space(&mut self) {
        while self.pos < self.chars.len() && self.chars[self.pos].is_whitespace() {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_space();
        self.chars.get(self.pos).copied()
    }

    fn sum(&mut self) -> Result<Node, ArithError> {
        let mut left = self.product()?;
        while let Some(op @ ('+' | '-' | '−')) = self.peek() {
            self.pos += 1;
            let right = self.product()?;
            let op = if op == '+' { '+' } else { '-' };
            left = Node::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn product(&mut self) -> Result<Node, ArithError> {
        let mut left = self.unary()?;
        while let Some(op @ ('*' | '/')) = self.peek() {
            self.pos += 1;
            let right = self.unary()?;
            left = Node::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Node, ArithError> {
        match self.peek() {
            Some('-' | '−') => {
                self.pos += 1;
                Ok(Node::Neg(Box::new(self.unary()?)))
            }
            Some('+') => {
                self.pos += 1;
                self.unary()
            }
            _ => self.power(),
        }
    }

    fn power(&mut self) -> Result<Node, ArithError> {
        let base = self.atom()?;
        if self.peek() == Some('^') {
            self.pos += 1;
            // The exponent is a unary expression, which recurses into `power`: right associativity.
            let exponent = self.unary()?;
            return Ok(Node::Binary('^', Box::new(base), Box::new(exponent)));
        }
        Ok(base)
    }

    fn atom(&mut self) -> Result<Node, ArithError> {
        let Some(c) = self.peek() else {
            return Err(self.error("expected a number, a name or '(' but the expression ended"));
        };
        if c == '(' {
            self.pos += 1;
            let inner = self.sum()?;
            return self.expect(')').map(|()| inner);
        }
        if c.is_ascii_digit() || c == '.' {
            return self.number();
        }
        if c.is_alphabetic() || c == '_' {
            let start = self.pos;
            while self.pos < self.chars.len()
                && (self.chars[self.pos].is_alphanumeric() || self.chars[self.pos] == '_')
            {
                self.pos += 1;
            }
            let name: String = self.chars[start..self.pos].iter().collect();
            if self.peek() == Some('(') {
                let Some(func) = Func::named(&name) else {
                    self.pos = start;
                    return Err(self.error(format!(
                        "unknown function '{name}' (valid: sqrt, exp, log, abs, min, max)"
                    )));
                };
                self.pos += 1;
                let mut args = vec![self.sum()?];
                while self.peek() == Some(',') {
                    self.pos += 1;
                    args.push(self.sum()?);
                }
                let want_many = matches!(func, Func::Min | Func::Max);
                if want_many != (args.len() > 1) {
                    self.pos = start;
                    let needs = if want_many { "two or more" } else { "one" };
                    return Err(self.error(format!("{name} takes {needs} arguments")));
                }
                self.expect(')')?;
                return Ok(Node::Call(func, args));
            }
            if name == "pi" {
                return Ok(Node::Number(std::f64::consts::PI));
            }
            return match self.names.iter().position(|n| *n == name) {
                Some(i) => Ok(Node::Var(i)),
                None => {
                    self.pos = start;
                    let valid = if self.names.is_empty() {
                        "none".to_string()
                    } else {
                        self.names.join(", ")
                    };
                    Err(self.error(format!(
                        "unknown variable '{name}' (valid here: {valid}, pi)"
                    )))
                }
            };
        }
        Err(self.error(format!("unexpected '{c}'")))
    }

    fn number(&mut self) -> Result<Node, ArithError> {
        let start = self.pos;
        let digits = |p: &mut Self| {
            while p.pos < p.chars.len()
                && (p.chars[p.pos].is_ascii_digit() || p.chars[p.pos] == '.')
            {
                p.pos += 1;
            }
        };
        digits(self);
        if self.pos < self.chars.len() && matches!(self.chars[self.pos], 'e' | 'E') {
            let save = self.pos;
            self.pos += 1;
            if self.pos < self.chars.len() && matches!(self.chars[self.pos], '+' | '-') {
                self.pos += 1;
            }
            if self.pos < self.chars.len() && self.chars[self.pos].is_ascii_digit() {
                digits(self);
            } else {
                self.pos = save;
            }
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        text.parse::<f64>().map(Node::Number).map_err(|_| {
            self.pos = start;
            self.error(format!("'{text}' is not a number"))
        })
    }

    fn expect(&mut self, c: char) -> Result<(), ArithError> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(format!("expected '{c}'")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact binary arithmetic on small integers and the library's own `powf`/`sqrt`: equality up to one ulp.
    const ULP: f64 = 4.0 * f64::EPSILON;

    fn value(text: &str, names: &[&str], values: &[f64]) -> f64 {
        Arith::parse(text, names).unwrap().eval(values)
    }

    #[test]
    fn precedence_and_right_associative_power() {
        assert!((value("1 + 2 * 3", &[], &[]) - 7.0).abs() < ULP);
        assert!((value("2^3^2", &[], &[]) - 512.0).abs() < ULP);
        assert!((value("-2^2", &[], &[]) + 4.0).abs() < ULP);
        assert!((value("2^-1", &[], &[]) - 0.5).abs() < ULP);
        assert!((value("(1 + sqrt(r))^2", &["r"], &[0.25]) - 2.25).abs() < ULP);
        assert!((value("8 / 4 / 2", &[], &[]) - 1.0).abs() < ULP);
        assert!((value("n^(-2/3)", &["n"], &[8.0]) - 0.25).abs() < ULP);
        assert!((value("min(3, x, 2) + max(1, 4)", &["x"], &[5.0]) - 6.0).abs() < ULP);
        assert!((value("1.5e2 + exp(0) + log(1) + abs(-1)", &[], &[]) - 152.0).abs() < ULP);
        assert!((value("pi", &[], &[]) - std::f64::consts::PI).abs() < ULP);
    }

    #[test]
    fn errors_name_the_column_and_what_is_valid() {
        let e = Arith::parse("1 + rati", &["ratio", "n"]).unwrap_err();
        assert_eq!(e.column, 5, "{e}");
        assert!(e.message.contains("valid here: ratio, n"), "{e}");
        let e = Arith::parse("sin(x)", &["x"]).unwrap_err();
        assert_eq!(e.column, 1, "{e}");
        let e = Arith::parse("(1 + 2", &[]).unwrap_err();
        assert_eq!((e.column, e.message.as_str()), (7, "expected ')'"));
        let e = Arith::parse("1 2", &[]).unwrap_err();
        assert_eq!(e.column, 3, "{e}");
        let e = Arith::parse("sqrt(1, 2)", &[]).unwrap_err();
        assert!(e.message.contains("one argument"), "{e}");
        assert!(Arith::parse("", &[]).is_err());
    }

    #[test]
    fn domain_errors_are_nan_not_panics() {
        assert!(value("sqrt(x)", &["x"], &[-1.0]).is_nan());
        assert!(Arith::parse("x * 2", &["n", "x"]).unwrap().uses(1));
        assert!(!Arith::parse("x * 2", &["n", "x"]).unwrap().uses(0));
    }
}
