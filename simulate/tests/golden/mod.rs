//! Golden values: seeded outputs committed to a JSON file, so a change of any value fails by name.
//!
//! In the style of rand_distr's `tests/value_stability.rs`, with rust-analyzer's `UPDATE_EXPECT=1` refresh: a
//! test compares what it computes with the entry of the same name in a golden file, and `UPDATE_GOLDEN=1`
//! rewrites that entry instead. Each entry stores the exact bits (`"bits"`, hexadecimal, compared) and the
//! decimal values (`"values"`, for people). The test binaries of several crates include this one file with
//! `#[path]`, so there is one golden format in the workspace.

#![allow(dead_code)]

use std::path::Path;
use std::sync::Mutex;

use serde_json::{Map, Value, json};

/// How a value may differ from its golden copy.
#[derive(Debug, Clone, Copy)]
pub enum Tolerance {
    /// The same bits: for outputs of the RNG and of IEEE-exact arithmetic on them (+, −, ×, ÷, √ are correctly
    /// rounded), which no CPU changes.
    Bitwise,
    /// `|a − g| ≤ max(rel·|g|, abs)`: for outputs of faer's kernels, whose SIMD paths (chosen at run time per CPU)
    /// sum in different orders.
    Close { rel: f64, abs: f64 },
}

/// Serialises read-modify-write of golden files by the tests of one binary, which run on parallel threads.
static GOLDEN_FILE_LOCK: Mutex<()> = Mutex::new(());

/// The environment variable that turns comparisons into refreshes.
const UPDATE_VAR: &str = "UPDATE_GOLDEN";

fn updating() -> bool {
    std::env::var(UPDATE_VAR).is_ok_and(|v| v == "1")
}

fn read_entries(file: &Path) -> Map<String, Value> {
    match std::fs::read_to_string(file) {
        Ok(text) => serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("golden file {} is not valid JSON: {e}", file.display())),
        Err(_) => Map::new(),
    }
}

fn refresh_hint(file: &Path, refresh: &str) -> String {
    format!(
        "if the change is intended (a dependency upgrade or a deliberate change of an algorithm), refresh {} with \
         `UPDATE_GOLDEN=1 {refresh}` and flag the change **[values]** in CHANGELOG.md",
        file.display()
    )
}

fn store(file: &Path, name: &str, bits: &[u64], values: Value) {
    let mut entries = read_entries(file);
    let hex: Vec<String> = bits.iter().map(|b| format!("{b:#018x}")).collect();
    entries.insert(name.to_owned(), json!({ "bits": hex, "values": values }));
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).expect("create the golden folder");
    }
    let text = serde_json::to_string_pretty(&Value::Object(entries))
        .expect("serialise golden values")
        + "\n";
    std::fs::write(file, text).unwrap_or_else(|e| panic!("write {}: {e}", file.display()));
}

fn golden_bits(file: &Path, name: &str, refresh: &str) -> Vec<u64> {
    let entries = read_entries(file);
    let Some(entry) = entries.get(name) else {
        panic!(
            "{name}: no golden value in {}; {}",
            file.display(),
            refresh_hint(file, refresh)
        );
    };
    entry["bits"]
        .as_array()
        .unwrap_or_else(|| {
            panic!(
                "{name}: golden entry without \"bits\" in {}",
                file.display()
            )
        })
        .iter()
        .map(|v| {
            let text = v.as_str().unwrap_or_default();
            u64::from_str_radix(text.trim_start_matches("0x"), 16)
                .unwrap_or_else(|e| panic!("{name}: golden bits {text:?} are not hexadecimal: {e}"))
        })
        .collect()
}

/// Compares `actual` with the golden entry `name` of `file` (or stores it under `UPDATE_GOLDEN=1`).
///
/// `refresh` is the command that reruns this test, quoted in the failure message.
///
/// # Panics
/// When a value differs beyond `tolerance`, the lengths differ, or the entry is missing.
#[track_caller]
pub fn assert_f64(file: &Path, name: &str, actual: &[f64], tolerance: Tolerance, refresh: &str) {
    let _guard = GOLDEN_FILE_LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let bits: Vec<u64> = actual.iter().map(|v| v.to_bits()).collect();
    if updating() {
        store(file, name, &bits, json!(actual));
        return;
    }
    let golden: Vec<f64> = golden_bits(file, name, refresh)
        .into_iter()
        .map(f64::from_bits)
        .collect();
    assert_eq!(
        golden.len(),
        actual.len(),
        "{name}: {} golden values, {} computed; {}",
        golden.len(),
        actual.len(),
        refresh_hint(file, refresh)
    );
    for (idx, (&g, &a)) in golden.iter().zip(actual).enumerate() {
        let same = match tolerance {
            Tolerance::Bitwise => g.to_bits() == a.to_bits(),
            Tolerance::Close { rel, abs } => (a - g).abs() <= (rel * g.abs()).max(abs),
        };
        assert!(
            same,
            "{name}[{idx}]: computed {a:e}, golden {g:e} (difference {:e}, tolerance {tolerance:?}); {}",
            a - g,
            refresh_hint(file, refresh)
        );
    }
}

/// Compares integer outputs (RNG words, seeds, indices) bit for bit with the golden entry `name` of `file`.
///
/// # Panics
/// When a value differs, the lengths differ, or the entry is missing.
#[track_caller]
pub fn assert_u64(file: &Path, name: &str, actual: &[u64], refresh: &str) {
    let _guard = GOLDEN_FILE_LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if updating() {
        store(file, name, actual, json!(actual));
        return;
    }
    let golden = golden_bits(file, name, refresh);
    assert_eq!(
        golden,
        actual,
        "{name}: values changed; {}",
        refresh_hint(file, refresh)
    );
}
