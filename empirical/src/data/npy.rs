//! NumPy `.npy` arrays (format versions 1–3): little-endian `f4`, `f8`, `i4`, `i8`, `u1`, C order; the other
//! integer widths (`i1`, `i2`, `u2`, `u4`, `u8`) are read into `i64`.
//!
//! Format: the magic `\x93NUMPY`, major and minor version bytes, the header length (`u16` LE for version 1,
//! `u32` LE for 2 and 3), then a Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (n, d), }`
//! padded with spaces, then the raw data (numpy.org/doc/stable/reference/generated/numpy.lib.format.html).

use crate::EmpiricalError;
use std::path::Path;

const MAGIC: &[u8] = b"\x93NUMPY";

/// The element type and values of an array.
#[derive(Debug, Clone, PartialEq)]
pub enum NpyData {
    /// `<f4`
    F32(Vec<f32>),
    /// `<f8`
    F64(Vec<f64>),
    /// `<i4`
    I32(Vec<i32>),
    /// `<i8`
    I64(Vec<i64>),
    /// `|u1`
    U8(Vec<u8>),
}

impl NpyData {
    /// The number of elements.
    pub fn len(&self) -> usize {
        match self {
            Self::F32(v) => v.len(),
            Self::F64(v) => v.len(),
            Self::I32(v) => v.len(),
            Self::I64(v) => v.len(),
            Self::U8(v) => v.len(),
        }
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The dtype as `.npy` writes it.
    pub fn descr(&self) -> &'static str {
        match self {
            Self::F32(_) => "<f4",
            Self::F64(_) => "<f8",
            Self::I32(_) => "<i4",
            Self::I64(_) => "<i8",
            Self::U8(_) => "|u1",
        }
    }
}

/// An n-dimensional array in C (row-major) order.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyArray {
    /// The shape; empty for a scalar.
    pub shape: Vec<usize>,
    /// The values, `∏ shape` of them.
    pub data: NpyData,
}

/// Reads a `.npy` file.
///
/// # Errors
/// [`EmpiricalError::Io`], or [`EmpiricalError::Format`] for a bad magic, header, unsupported dtype, Fortran order
/// or a data length that does not match the shape.
pub fn read_npy(path: &Path) -> Result<NpyArray, EmpiricalError> {
    let bytes = std::fs::read(path).map_err(|e| EmpiricalError::io(path, &e))?;
    parse_npy(&bytes, path)
}

/// Parses the bytes of a `.npy` file; `path` names it in errors.
///
/// # Errors
/// As [`read_npy`].
pub fn parse_npy(bytes: &[u8], path: &Path) -> Result<NpyArray, EmpiricalError> {
    let bad = |detail: String| EmpiricalError::format(path, "npy", detail);
    if bytes.len() < 10 || !bytes.starts_with(MAGIC) {
        return Err(bad("missing the \\x93NUMPY magic".into()));
    }
    let major = bytes[6];
    let (header_len, header_start) = match major {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        _ => return Err(bad(format!("unsupported format version {major}"))),
    };
    let data_start = header_start + header_len;
    let header = bytes
        .get(header_start..data_start)
        .ok_or_else(|| bad("truncated header".into()))?;
    let header = std::str::from_utf8(header).map_err(|_| bad("header is not text".into()))?;
    let descr = dict_value(header, "descr").ok_or_else(|| bad("header has no 'descr'".into()))?;
    let descr = descr.trim_matches(|c| c == '\'' || c == '"');
    let fortran = dict_value(header, "fortran_order")
        .ok_or_else(|| bad("header has no 'fortran_order'".into()))?;
    if fortran.starts_with("True") {
        return Err(bad(
            "Fortran-ordered arrays are not supported; save with np.ascontiguousarray".into(),
        ));
    }
    let shape_text =
        dict_value(header, "shape").ok_or_else(|| bad("header has no 'shape'".into()))?;
    let shape = parse_shape(shape_text).ok_or_else(|| bad(format!("bad shape {shape_text}")))?;
    let count = shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| bad("shape overflows".into()))?;
    let raw = &bytes[data_start..];
    let elem_size = match descr {
        "<f4" | "=f4" | "<i4" | "=i4" => 4,
        "<f8" | "=f8" | "<i8" | "=i8" => 8,
        "|u1" | "<u1" | "=u1" | "|i1" | "<i1" | "=i1" => 1,
        "<i2" | "=i2" | "<u2" | "=u2" => 2,
        "<u4" | "=u4" => 4,
        "<u8" | "=u8" => 8,
        other => {
            return Err(bad(format!(
                "unsupported dtype {other:?} (expected little-endian float32/float64 or an integer type)"
            )));
        }
    };
    let expected = count
        .checked_mul(elem_size)
        .ok_or_else(|| bad("shape overflows".into()))?;
    if raw.len() != expected {
        return Err(bad(format!(
            "{} data bytes for shape {shape:?} of {descr}, expected {expected}",
            raw.len()
        )));
    }
    let data = match &descr[1..] {
        "f4" => NpyData::F32(
            raw.chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().unwrap_or_default()))
                .collect(),
        ),
        "f8" => NpyData::F64(
            raw.chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().unwrap_or_default()))
                .collect(),
        ),
        "i4" => NpyData::I32(
            raw.chunks_exact(4)
                .map(|c| i32::from_le_bytes(c.try_into().unwrap_or_default()))
                .collect(),
        ),
        "i8" => NpyData::I64(
            raw.chunks_exact(8)
                .map(|c| i64::from_le_bytes(c.try_into().unwrap_or_default()))
                .collect(),
        ),
        "i1" => NpyData::I64(raw.iter().map(|&b| i64::from(b as i8)).collect()),
        "i2" => NpyData::I64(
            raw.chunks_exact(2)
                .map(|c| i64::from(i16::from_le_bytes([c[0], c[1]])))
                .collect(),
        ),
        "u2" => NpyData::I64(
            raw.chunks_exact(2)
                .map(|c| i64::from(u16::from_le_bytes([c[0], c[1]])))
                .collect(),
        ),
        "u4" => NpyData::I64(
            raw.chunks_exact(4)
                .map(|c| i64::from(u32::from_le_bytes(c.try_into().unwrap_or_default())))
                .collect(),
        ),
        "u8" => NpyData::I64(
            raw.chunks_exact(8)
                .map(|c| {
                    i64::try_from(u64::from_le_bytes(c.try_into().unwrap_or_default()))
                        .map_err(|_| bad("a uint64 value above 2^63 − 1".into()))
                })
                .collect::<Result<_, _>>()?,
        ),
        _ => NpyData::U8(raw.to_vec()),
    };
    Ok(NpyArray { shape, data })
}

/// The text after `'key':` up to the next top-level comma (a tuple counts as one value).
fn dict_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let start = header
        .find(&format!("'{key}'"))
        .or_else(|| header.find(&format!("\"{key}\"")))?;
    let rest = &header[start + key.len() + 2..];
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    let mut depth = 0usize;
    for (i, c) in rest.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' | '}' if depth == 0 => return Some(rest[..i].trim()),
            _ => {}
        }
    }
    None
}

fn parse_shape(text: &str) -> Option<Vec<usize>> {
    let inner = text.trim().strip_prefix('(')?.strip_suffix(')')?;
    inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_end_matches('L').parse().ok())
        .collect()
}

/// Serializes an array as `.npy` version 1.0 bytes (the header padded so the data starts at a multiple of 64).
///
/// # Panics
/// If `data.len()` is not the product of `shape`.
#[track_caller]
pub fn npy_bytes(shape: &[usize], data: &NpyData) -> Vec<u8> {
    assert_eq!(
        shape.iter().product::<usize>(),
        data.len(),
        "shape and data length disagree"
    );
    let shape_text = match shape {
        [d] => format!("({d},)"),
        dims => format!(
            "({})",
            dims.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut header = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {shape_text}, }}",
        data.descr()
    );
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + data.len() * 8);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(
        &u16::try_from(header.len())
            .unwrap_or(u16::MAX)
            .to_le_bytes(),
    );
    out.extend_from_slice(header.as_bytes());
    match data {
        NpyData::F32(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        NpyData::F64(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        NpyData::I32(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        NpyData::I64(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        NpyData::U8(v) => out.extend_from_slice(v),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dtype_round_trips_through_bytes() {
        let p = Path::new("mem.npy");
        for (shape, data) in [
            (
                vec![2, 3],
                NpyData::F32(vec![1.5, -2.0, 0.0, 3.25, 1e-3, 7.0]),
            ),
            (vec![3], NpyData::F64(vec![1.0, f64::MIN_POSITIVE, -0.5])),
            (vec![2, 1, 2], NpyData::I64(vec![0, -1, 9, i64::MAX])),
            (vec![1], NpyData::I32(vec![-7])),
            (vec![4], NpyData::U8(vec![0, 1, 254, 255])),
        ] {
            let bytes = npy_bytes(&shape, &data);
            assert_eq!(parse_npy(&bytes, p).unwrap(), NpyArray { shape, data });
        }
    }

    #[test]
    fn header_written_by_numpy_parses() {
        // Byte for byte what numpy 1.26 writes for np.save(f, np.arange(3, dtype='<i8')).
        let mut bytes = b"\x93NUMPY\x01\x00v\x00".to_vec();
        let mut header = "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }".to_string();
        while header.len() < 117 {
            header.push(' ');
        }
        header.push('\n');
        bytes.extend_from_slice(header.as_bytes());
        for v in 0i64..3 {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        let arr = parse_npy(&bytes, Path::new("numpy.npy")).unwrap();
        assert_eq!(arr.shape, vec![3]);
        assert_eq!(arr.data, NpyData::I64(vec![0, 1, 2]));
    }

    /// `bytes` with the first occurrence of `from` overwritten by `to` (same length).
    fn replace(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
        let at = bytes.windows(from.len()).position(|w| w == from).unwrap();
        let mut out = bytes.to_vec();
        out[at..at + to.len()].copy_from_slice(to);
        out
    }

    #[test]
    fn corrupt_npy_files_are_format_errors() {
        let p = Path::new("bad.npy");
        assert!(parse_npy(b"hello world", p).is_err());
        let mut truncated = npy_bytes(&[4], &NpyData::F32(vec![1.0; 4]));
        truncated.pop();
        let err = parse_npy(&truncated, p).unwrap_err().to_string();
        assert!(err.contains("15 data bytes"), "{err}");
        let fortran = replace(&npy_bytes(&[1], &NpyData::U8(vec![1])), b"False", b"True ");
        assert!(
            parse_npy(&fortran, p)
                .unwrap_err()
                .to_string()
                .contains("Fortran")
        );
        let big_endian = replace(&npy_bytes(&[1], &NpyData::U8(vec![1])), b"|u1", b">u2");
        assert!(
            parse_npy(&big_endian, p)
                .unwrap_err()
                .to_string()
                .contains("dtype")
        );
    }
}
