//! Parsing helpers for CLI values and the final JSON check.

use super::CliError;

/// Parses a comma-separated list of finite numbers (`--at 0.5,1,2e-1`).
pub fn parse_list(flag: &str, text: &str) -> Result<Vec<f64>, CliError> {
    let items: Vec<&str> = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if items.is_empty() {
        return Err(CliError::usage(format!(
            "{flag}: expected a comma-separated list of numbers, got an empty list"
        )));
    }
    items
        .iter()
        .map(|item| match item.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(CliError::usage(format!(
                "{flag}: `{item}` is not a finite number"
            ))),
        })
        .collect()
}

/// Serializes `value`, refusing any non-finite number (serde_json would silently write `null`).
pub fn to_json_checked(value: &serde_json::Value) -> Result<String, CliError> {
    fn find_bad(value: &serde_json::Value, path: &str) -> Option<String> {
        match value {
            serde_json::Value::Number(n) if n.as_f64().is_some_and(|v| !v.is_finite()) => {
                Some(path.to_string())
            }
            serde_json::Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, v)| find_bad(v, &format!("{path}[{i}]"))),
            serde_json::Value::Object(map) => map
                .iter()
                .find_map(|(k, v)| find_bad(v, &format!("{path}.{k}"))),
            _ => None,
        }
    }
    if let Some(path) = find_bad(value, "") {
        return Err(CliError::Failure(format!(
            "internal error: non-finite value at {path}"
        )));
    }
    serde_json::to_string_pretty(value).map_err(|e| CliError::Failure(e.to_string()))
}

/// A JSON number for a value that must be finite (NaN and ±∞ become an error, never `null`).
pub fn finite(name: &str, value: f64) -> Result<serde_json::Value, CliError> {
    if value.is_finite() {
        Ok(serde_json::json!(value))
    } else {
        Err(CliError::Failure(format!(
            "{name} evaluated to {value}; this is a bug, please report it"
        )))
    }
}

/// A clap value parser for a library enum chosen by name (`--method dense|slq`): clap lists the names in `--help`
/// and rejects others with exit code 2.
pub fn named<T: landscape_experiments::Named + Send + Sync>()
-> impl clap::builder::TypedValueParser<Value = T> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(T::names())
        .map(|s: String| T::from_name(&s).expect("clap accepted only listed names"))
}
