//! `.npz` data sets: a zip archive (as `np.savez` or `np.savez_compressed` writes it) holding `x.npy` (inputs of
//! shape `[n, ...]`) and `y.npy` (integer class labels of any width, shape `[n]` or `[n, 1]`, or float targets of
//! shape `[n]` or `[n, d]`).
//!
//! Inputs are stored as float64, the storage type of [`Dataset`]: float32 and float64 inputs exactly, integer
//! inputs (e.g. uint8 pixels) converted, and the data set's name then says so, so every output records it.

use super::npy::{NpyArray, NpyData, parse_npy};
use super::{Dataset, Targets, classes_from_labels};
use crate::EmpiricalError;
use std::io::Read;
use std::path::Path;

/// Reads `x` and `y` from an `.npz` file.
///
/// # Errors
/// [`EmpiricalError::Io`]; [`EmpiricalError::Format`] when the file is not a zip, lacks `x.npy`/`y.npy` or holds
/// unsupported dtypes; [`EmpiricalError::Shape`] when `x` and `y` disagree on `n`; the validation errors of
/// [`Dataset::new`] (NaN, negative labels).
pub fn read_npz(path: &Path) -> Result<Dataset, EmpiricalError> {
    let file = std::fs::File::open(path).map_err(|e| EmpiricalError::io(path, &e))?;
    // NumPy writes archives from byte 0; the zip crate's guessed offset of prepended data can misread valid
    // archives (see `model_file`), so it is fixed at 0.
    let config = zip::read::Config {
        archive_offset: zip::read::ArchiveOffset::Known(0),
    };
    let mut archive = zip::ZipArchive::with_config(config, std::io::BufReader::new(file))
        .map_err(|e| EmpiricalError::format(path, "npz (zip)", e.to_string()))?;
    let mut member = |name: &str| -> Result<NpyArray, EmpiricalError> {
        let mut entry = archive.by_name(name).map_err(|_| {
            EmpiricalError::format(path, "npz", format!("no array named {:?}", &name[..1]))
        })?;
        let mut bytes = Vec::new();
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| EmpiricalError::format(path, "npz", format!("{name}: {e}")))?;
        parse_npy(&bytes, &path.join(name))
    };
    let x = member("x.npy")?;
    let y = member("y.npy")?;
    dataset_from_arrays(&path.display().to_string(), x, y)
}

/// Builds a data set from an input array `x` `[n, ...]` and a target array `y`.
///
/// # Errors
/// As [`read_npz`].
pub fn dataset_from_arrays(
    name: &str,
    x: NpyArray,
    y: NpyArray,
) -> Result<Dataset, EmpiricalError> {
    let Some((&n, sample_shape)) = x.shape.split_first() else {
        return Err(EmpiricalError::Shape(format!(
            "{name}: x must have a sample dimension, got a scalar"
        )));
    };
    let sample_shape = if sample_shape.is_empty() {
        vec![1]
    } else {
        sample_shape.to_vec()
    };
    let mut notes = Vec::new();
    let inputs = match x.data {
        NpyData::F32(v) => super::widen(v),
        NpyData::F64(v) => v,
        NpyData::I32(v) => {
            notes.push("x converted from integers to float64");
            v.into_iter().map(f64::from).collect()
        }
        NpyData::I64(v) => {
            notes.push("x converted from integers to float64");
            v.into_iter().map(|v| v as f64).collect()
        }
        NpyData::U8(v) => {
            notes.push("x converted from uint8 to float64");
            v.into_iter().map(f64::from).collect()
        }
    };
    let n_targets = y.shape.first().copied().unwrap_or(0);
    if n_targets != n {
        return Err(EmpiricalError::Shape(format!(
            "{name}: x has {n} samples but y has {n_targets}"
        )));
    }
    // Class labels come as a vector or as one column, in any integer width.
    let label_shape = y.shape.len() == 1 || (y.shape.len() == 2 && y.shape[1] == 1);
    let targets = match y.data {
        NpyData::I64(labels) if label_shape => classes_from_labels(labels)?,
        NpyData::I32(labels) if label_shape => {
            classes_from_labels(labels.into_iter().map(i64::from).collect())?
        }
        NpyData::U8(labels) if label_shape => {
            classes_from_labels(labels.into_iter().map(i64::from).collect())?
        }
        NpyData::F32(values) if y.shape.len() <= 2 => Targets::Values {
            dim: y.shape.get(1).copied().unwrap_or(1),
            values: super::widen(values),
        },
        NpyData::F64(values) if y.shape.len() <= 2 => Targets::Values {
            dim: y.shape.get(1).copied().unwrap_or(1),
            values,
        },
        other => {
            return Err(EmpiricalError::Shape(format!(
                "{name}: y must be integer labels of shape [n] or [n, 1], or float targets of shape [n] or [n, d]; got {} of shape {:?}",
                other.descr(),
                y.shape
            )));
        }
    };
    let name = if notes.is_empty() {
        name.to_string()
    } else {
        format!("{name} ({})", notes.join("; "))
    };
    Ok(Dataset::new(name, inputs, sample_shape, targets)?)
}

#[cfg(test)]
mod tests {
    use super::super::npy::npy_bytes;
    use super::*;
    use std::io::Write;

    fn write_npz(path: &Path, members: &[(&str, Vec<u8>)], compressed: bool) {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
        let method = if compressed {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        let options = zip::write::SimpleFileOptions::default().compression_method(method);
        for (name, bytes) in members {
            zip.start_file(*name, options).unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap();
    }

    fn temp_dir(tag: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("landscape-npz-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn stored_and_deflated_npz_round_trip() {
        let dir = temp_dir("ok");
        let x: Vec<f32> = (0..24).map(|i| i as f32 * 0.5).collect();
        for compressed in [false, true] {
            let path = dir.join(format!("d{compressed}.npz"));
            write_npz(
                &path,
                &[
                    ("x.npy", npy_bytes(&[3, 2, 4], &NpyData::F32(x.clone()))),
                    ("y.npy", npy_bytes(&[3], &NpyData::I64(vec![2, 0, 1]))),
                ],
                compressed,
            );
            let data = read_npz(&path).unwrap();
            assert_eq!(data.sample_shape(), &[2, 4]);
            assert!(
                data.inputs()
                    .iter()
                    .copied()
                    .eq(x.iter().map(|&v| f64::from(v)))
            );
            assert_eq!(data.n_classes(), Some(3));
        }
        let path = dir.join("reg.npz");
        write_npz(
            &path,
            &[
                ("x.npy", npy_bytes(&[2, 1], &NpyData::F64(vec![1.0, 2.0]))),
                (
                    "y.npy",
                    npy_bytes(&[2, 2], &NpyData::F32(vec![0.5, 1.5, 2.5, 3.5])),
                ),
            ],
            true,
        );
        let data = read_npz(&path).unwrap();
        assert_eq!(
            data.targets(),
            &Targets::Values {
                values: vec![0.5, 1.5, 2.5, 3.5],
                dim: 2
            }
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn bad_npz_files_give_one_line_errors() {
        let dir = temp_dir("bad");
        let missing = dir.join("missing.npz");
        assert!(matches!(read_npz(&missing), Err(EmpiricalError::Io { .. })));

        let not_zip = dir.join("not_zip.npz");
        std::fs::write(&not_zip, b"definitely not a zip archive").unwrap();
        assert!(matches!(
            read_npz(&not_zip),
            Err(EmpiricalError::Format { .. })
        ));

        let cases: [(&str, Vec<u8>, Vec<u8>, &str); 3] = [
            (
                "nan",
                npy_bytes(&[2, 1], &NpyData::F32(vec![0.0, f32::NAN])),
                npy_bytes(&[2], &NpyData::I64(vec![0, 1])),
                "non-finite value in data inputs at index 1",
            ),
            (
                "n_mismatch",
                npy_bytes(&[2, 1], &NpyData::F32(vec![0.0, 1.0])),
                npy_bytes(&[3], &NpyData::I64(vec![0, 1, 1])),
                "x has 2 samples but y has 3",
            ),
            (
                "negative_label",
                npy_bytes(&[2, 1], &NpyData::F32(vec![0.0, 1.0])),
                npy_bytes(&[2], &NpyData::I64(vec![0, -3])),
                "label -3 of sample 1 is out of range",
            ),
        ];
        for (tag, x, y, expected) in cases {
            let path = dir.join(format!("{tag}.npz"));
            write_npz(&path, &[("x.npy", x), ("y.npy", y)], false);
            let err = read_npz(&path).unwrap_err().to_string();
            assert!(err.contains(expected), "{tag}: {err}");
            assert!(!err.contains('\n'), "{tag}: multi-line error {err}");
        }

        let no_y = dir.join("no_y.npz");
        write_npz(
            &no_y,
            &[("x.npy", npy_bytes(&[1], &NpyData::F32(vec![0.0])))],
            false,
        );
        let err = read_npz(&no_y).unwrap_err().to_string();
        assert!(err.contains("no array named \"y\""), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The bytes of a `.npy` file of `descr` whose raw data the caller gives (for dtypes `NpyData` does not hold).
    fn raw_npy(shape: &str, descr: &str, data: &[u8]) -> Vec<u8> {
        let mut header =
            format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn data_as_people_save_it_uint8_pixels_label_columns_and_any_integer_width() {
        let dir = temp_dir("dtypes");
        // CIFAR-style: uint8 pixels and a [n, 1] column of uint8 labels.
        let path = dir.join("u8.npz");
        write_npz(
            &path,
            &[
                (
                    "x.npy",
                    npy_bytes(&[3, 2], &NpyData::U8(vec![0, 255, 1, 2, 3, 4])),
                ),
                ("y.npy", npy_bytes(&[3, 1], &NpyData::U8(vec![2, 0, 1]))),
            ],
            false,
        );
        let data = read_npz(&path).unwrap();
        assert_eq!(data.inputs(), &[0.0, 255.0, 1.0, 2.0, 3.0, 4.0]);
        assert_eq!(data.n_classes(), Some(3));
        assert!(
            data.name().contains("x converted from uint8 to float64"),
            "{}",
            data.name()
        );
        // int16 and uint64 labels.
        for (descr, bytes) in [
            (
                "<i2",
                [1i16, 0, 2]
                    .iter()
                    .flat_map(|v| v.to_le_bytes())
                    .collect::<Vec<u8>>(),
            ),
            (
                "<u8",
                [1u64, 0, 2].iter().flat_map(|v| v.to_le_bytes()).collect(),
            ),
        ] {
            let path = dir.join(format!("{}.npz", &descr[1..]));
            write_npz(
                &path,
                &[
                    (
                        "x.npy",
                        npy_bytes(&[3, 1], &NpyData::F32(vec![0.0, 1.0, 2.0])),
                    ),
                    ("y.npy", raw_npy("(3,)", descr, &bytes)),
                ],
                false,
            );
            let data = read_npz(&path).unwrap();
            assert_eq!(data.n_classes(), Some(3), "{descr}");
            assert_eq!(
                data.name(),
                path.display().to_string(),
                "float32 inputs need no note"
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
