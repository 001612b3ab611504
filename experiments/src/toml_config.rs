//! What the TOML configurations (`landscape sweep`, `landscape optimize`) share: reading the file, errors located
//! at `file:line:column` with the offending field, and typed, range-checked field getters.
//!
//! A value `v` out of range reads `field at file:line:col: v is not …`, e.g.
//! `grid.toml:3:6: n: 1 is not an integer in 2..=4000`.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use toml::Spanned;

/// A list whose items keep their place in the text.
pub type List<T> = Spanned<Vec<Spanned<T>>>;

/// A configuration error, located in its file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: {field}: {message}", file.display())]
pub struct ConfigError {
    /// The configuration file.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// The offending field (a key, or a table such as `[simulate.esd]`).
    pub field: String,
    /// What is wrong and what is valid.
    pub message: String,
}

/// Reads the configuration at `path`; the error is the message to show (a wrong path is the user's mistake).
///
/// # Errors
/// `PATH: cannot read the configuration: CAUSE` if the file cannot be read.
pub fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read the configuration: {e}", path.display()))
}

/// A configuration's text and file name, to locate errors.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// The file (only named in errors).
    pub file: &'a Path,
    /// Its text.
    pub text: &'a str,
}

impl<'a> Source<'a> {
    /// The source `text` of `file`.
    pub fn new(file: &'a Path, text: &'a str) -> Self {
        Self { file, text }
    }

    /// An error at the start of `span` (byte offsets into the text).
    pub fn error(
        &self,
        span: Range<usize>,
        field: &str,
        message: impl Into<String>,
    ) -> ConfigError {
        let start = span.start.min(self.text.len());
        let before = &self.text[..start];
        ConfigError {
            file: self.file.to_path_buf(),
            line: before.matches('\n').count() + 1,
            column: before
                .rsplit('\n')
                .next()
                .map_or(1, |l| l.chars().count() + 1),
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// The key written on the line holding `offset` (`n = [1, 2]` gives `n`), or the nearest table header above.
    pub fn field_at(&self, offset: usize) -> String {
        let offset = offset.min(self.text.len());
        let line_start = self.text[..offset].rfind('\n').map_or(0, |i| i + 1);
        let line_end = self.text[offset..]
            .find('\n')
            .map_or(self.text.len(), |i| offset + i);
        let line = self.text[line_start..line_end].trim();
        if line.starts_with('[') {
            return line.to_string();
        }
        if let Some((key, _)) = line.split_once('=') {
            return key.trim().to_string();
        }
        self.text[..line_start]
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| l.starts_with('['))
            .map_or_else(|| "(top level)".to_string(), str::to_string)
    }

    /// Deserializes the text; a syntax error, a wrong type or an unknown key is located and names its field.
    ///
    /// # Errors
    /// The parser's message at its span.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, ConfigError> {
        toml::from_str(self.text).map_err(|err| {
            let span = err.span().unwrap_or(0..0);
            let field = self.field_at(span.start);
            self.error(span, &field, err.message().trim().to_string())
        })
    }

    /// The items of `list`, or `message` at the list if it is empty.
    ///
    /// # Errors
    /// An empty list.
    pub fn non_empty<'l, T>(
        &self,
        list: &'l List<T>,
        field: &str,
        message: &str,
    ) -> Result<&'l [Spanned<T>], ConfigError> {
        if list.get_ref().is_empty() {
            return Err(self.error(list.span(), field, message));
        }
        Ok(list.get_ref())
    }

    /// An integer in `lo..=hi`.
    ///
    /// # Errors
    /// `V is not an integer in LO..=HI` at the value.
    pub fn int(&self, v: &Spanned<i64>, field: &str, lo: u64, hi: u64) -> Result<u64, ConfigError> {
        u64::try_from(*v.get_ref())
            .ok()
            .filter(|x| (lo..=hi).contains(x))
            .ok_or_else(|| {
                self.error(
                    v.span(),
                    field,
                    format!("{} is not an integer in {lo}..={hi}", v.get_ref()),
                )
            })
    }

    /// [`int`](Self::int), or `default` if the field is absent.
    ///
    /// # Errors
    /// As [`int`](Self::int).
    pub fn int_or(
        &self,
        v: Option<&Spanned<i64>>,
        field: &str,
        default: u64,
        lo: u64,
        hi: u64,
    ) -> Result<u64, ConfigError> {
        v.map_or(Ok(default), |v| self.int(v, field, lo, hi))
    }

    /// A finite number accepted by `ok`; `valid` describes the accepted numbers.
    ///
    /// # Errors
    /// `V is not VALID` at the value.
    pub fn real(
        &self,
        v: &Spanned<f64>,
        field: &str,
        valid: &str,
        ok: impl Fn(f64) -> bool,
    ) -> Result<f64, ConfigError> {
        let x = *v.get_ref();
        if x.is_finite() && ok(x) {
            Ok(x)
        } else {
            Err(self.error(v.span(), field, format!("{x} is not {valid}")))
        }
    }

    /// [`real`](Self::real), or `default` if the field is absent.
    ///
    /// # Errors
    /// As [`real`](Self::real).
    pub fn real_or(
        &self,
        v: Option<&Spanned<f64>>,
        field: &str,
        default: f64,
        valid: &str,
        ok: impl Fn(f64) -> bool,
    ) -> Result<f64, ConfigError> {
        v.map_or(Ok(default), |v| self.real(v, field, valid, ok))
    }

    /// Every item of `items` by [`int`](Self::int).
    ///
    /// # Errors
    /// The first item out of range.
    pub fn ints(
        &self,
        items: &[Spanned<i64>],
        field: &str,
        lo: u64,
        hi: u64,
    ) -> Result<Vec<u64>, ConfigError> {
        items.iter().map(|v| self.int(v, field, lo, hi)).collect()
    }

    /// Every item of `items` by [`real`](Self::real).
    ///
    /// # Errors
    /// The first item rejected.
    pub fn reals(
        &self,
        items: &[Spanned<f64>],
        field: &str,
        valid: &str,
        ok: impl Fn(f64) -> bool,
    ) -> Result<Vec<f64>, ConfigError> {
        items
            .iter()
            .map(|v| self.real(v, field, valid, &ok))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Raw {
        n: Spanned<i64>,
        x: Option<List<f64>>,
    }

    fn src(text: &str) -> Source<'_> {
        Source::new(Path::new("c.toml"), text)
    }

    #[test]
    fn errors_count_lines_and_columns_in_characters_from_one() {
        let text = "# é\nn = 1\nx = [1.0, -2.0]\n";
        let raw: Raw = src(text).parse().unwrap();
        let x = raw.x.unwrap();
        let e = src(text)
            .reals(x.get_ref(), "x", "a finite number > 0", |v| v > 0.0)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "c.toml:3:11: x: -2 is not a finite number > 0"
        );
        let e = src(text).int(&raw.n, "n", 2, 9).unwrap_err();
        assert_eq!(e.to_string(), "c.toml:2:5: n: 1 is not an integer in 2..=9");
    }

    #[test]
    fn parse_errors_name_the_key_or_the_table_above() {
        let e = src("n = 1\ny = 2\n").parse::<Raw>().unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (2, "y"), "{e}");
        assert!(e.message.contains("unknown field"), "{e}");
        let e = src("n = 1\n[t]\n").parse::<Raw>().unwrap_err();
        assert_eq!(e.field, "[t]", "{e}");
        let e = src("x = []\n").parse::<Raw>().unwrap_err();
        assert!(e.message.contains("missing field `n`"), "{e}");
        assert_eq!(src("a\n").field_at(0), "(top level)");
    }

    #[test]
    fn absent_fields_take_their_default_and_empty_lists_are_errors() {
        let s = src("x = []\n");
        assert_eq!(s.int_or(None, "n", 7, 0, 1), Ok(7));
        assert_eq!(s.real_or(None, "r", 0.5, "", |_| false), Ok(0.5));
        let list: List<f64> = Spanned::new(4..6, vec![]);
        let e = s.non_empty(&list, "x", "empty list").unwrap_err();
        assert_eq!(e.to_string(), "c.toml:1:5: x: empty list");
    }
}
