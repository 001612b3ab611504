//! CIFAR-10 binary files (`data_batch_1.bin` …, www.cs.toronto.edu/~kriz/cifar.html): records of one label byte
//! (0..=9) followed by 3072 pixel bytes, the red, green and blue 32×32 planes in row-major order.

use super::{Dataset, Targets, read_maybe_gz};
use crate::EmpiricalError;
use std::path::Path;

/// Image side length.
pub const SIDE: usize = 32;
/// Colour channels.
pub const CHANNELS: usize = 3;
/// Bytes per record: the label and the pixels.
pub const RECORD_LEN: usize = 1 + CHANNELS * SIDE * SIDE;
/// Number of classes.
pub const N_CLASSES: usize = 10;

/// Reads and concatenates CIFAR-10 binary batches: inputs of shape `[3, 32, 32]` scaled to `[0, 1]` by `/255`,
/// labels `0..10`.
///
/// # Errors
/// [`EmpiricalError::Io`]; [`EmpiricalError::Format`] when a file is empty or not a whole number of 3073-byte
/// records; [`EmpiricalError::LabelOutOfRange`] for a label byte above 9 (a sign of a wrong file, e.g. CIFAR-100).
pub fn read_cifar10(paths: &[&Path]) -> Result<Dataset, EmpiricalError> {
    let mut inputs = Vec::new();
    let mut labels = Vec::new();
    for &path in paths {
        let bytes = read_maybe_gz(path)?;
        if bytes.is_empty() || bytes.len() % RECORD_LEN != 0 {
            return Err(EmpiricalError::format(
                path,
                "CIFAR-10 binary",
                format!(
                    "{} bytes is not a positive multiple of the record length {RECORD_LEN}",
                    bytes.len()
                ),
            ));
        }
        for record in bytes.chunks_exact(RECORD_LEN) {
            labels.push(i64::from(record[0]));
            inputs.extend(record[1..].iter().map(|&p| f32::from(p) / 255.0));
        }
    }
    let name = paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join("+");
    Dataset::new(
        name,
        super::widen(inputs),
        vec![CHANNELS, SIDE, SIDE],
        Targets::Classes {
            labels: super::class_indices(&labels)?,
            n_classes: N_CLASSES,
        },
    )
    .map_err(EmpiricalError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(label: u8, fill: u8) -> Vec<u8> {
        let mut r = vec![label];
        r.extend((0..RECORD_LEN - 1).map(|i| fill.wrapping_add(i as u8)));
        r
    }

    #[test]
    fn cifar_batches_concatenate_in_order() {
        let dir = std::env::temp_dir().join(format!("landscape-cifar-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (a, b) = (dir.join("a.bin"), dir.join("b.bin"));
        std::fs::write(&a, [record(3, 0), record(9, 5)].concat()).unwrap();
        std::fs::write(&b, record(0, 100)).unwrap();
        let data = read_cifar10(&[&a, &b]).unwrap();
        assert_eq!(data.n_samples(), 3);
        assert_eq!(data.sample_shape(), &[3, 32, 32]);
        assert_eq!(
            data.targets(),
            &Targets::Classes {
                labels: vec![3, 9, 0],
                n_classes: 10
            }
        );
        // Sample 1 starts with pixel byte 5 (red plane, row 0, column 0); sample 2 with 100.
        assert_eq!(
            data.sample(1)[0].to_bits(),
            f64::from(5.0f32 / 255.0).to_bits()
        );
        assert_eq!(
            data.sample(2)[0].to_bits(),
            f64::from(100.0f32 / 255.0).to_bits()
        );

        std::fs::write(&b, &record(0, 0)[..100]).unwrap();
        let err = read_cifar10(&[&a, &b]).unwrap_err().to_string();
        assert!(err.contains("100 bytes"), "{err}");
        std::fs::write(&b, record(10, 0)).unwrap();
        let err = read_cifar10(&[&b]).unwrap_err().to_string();
        assert!(
            err.contains("label 10 of sample 0 is out of range"),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
