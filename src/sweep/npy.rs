//! A writer for NumPy's `.npy` format (version 1.0, or 2.0 when the header needs it) holding one record per row
//! with named little-endian f64 fields, so `numpy.load("results.npy")["ks"]` is a column.
//!
//! Format (numpy.org/doc/stable/reference/generated/numpy.lib.format.html): the magic `\x93NUMPY`, a major and a
//! minor version byte, the header length (u16 little-endian in 1.0, u32 in 2.0), an ASCII header that is a Python
//! dict literal padded with spaces and a final newline so the data starts at a multiple of 64 bytes, then the data.

/// Data alignment numpy uses for the start of the data.
const ALIGN: usize = 64;

/// The bytes of a `.npy` file with a structured dtype of f64 fields `names` and one record per row.
///
/// Missing values should be passed as NaN. Field names are written inside single quotes; a quote or backslash
/// in a name is replaced by `_`.
///
/// # Panics
/// If a row's length differs from the number of names (a caller bug, not input).
#[track_caller]
pub fn structured_f64(names: &[String], rows: &[Vec<f64>]) -> Vec<u8> {
    let fields: Vec<String> = names
        .iter()
        .map(|n| {
            let clean: String = n
                .chars()
                .map(|c| {
                    if c == '\'' || c == '\\' || !c.is_ascii() {
                        '_'
                    } else {
                        c
                    }
                })
                .collect();
            format!("('{clean}', '<f8')")
        })
        .collect();
    let descr = format!("[{}]", fields.join(", "));
    let dict = format!(
        "{{'descr': {descr}, 'fortran_order': False, 'shape': ({},), }}",
        rows.len()
    );
    // Version 1.0 stores the header length in 2 bytes; larger headers need version 2.0 (4 bytes).
    let (version, len_bytes) = if dict.len() + 1 + 12 < usize::from(u16::MAX) {
        (1u8, 2)
    } else {
        (2u8, 4)
    };
    let prefix = 6 + 2 + len_bytes;
    let unpadded = prefix + dict.len() + 1;
    let padded = unpadded.div_ceil(ALIGN) * ALIGN;
    let header_len = padded - prefix;
    let mut out = Vec::with_capacity(padded + rows.len() * names.len() * 8);
    out.extend_from_slice(b"\x93NUMPY");
    out.push(version);
    out.push(0);
    if len_bytes == 2 {
        out.extend_from_slice(&(header_len as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(header_len as u32).to_le_bytes());
    }
    out.extend_from_slice(dict.as_bytes());
    out.resize(padded - 1, b' ');
    out.push(b'\n');
    for row in rows {
        assert_eq!(
            row.len(),
            names.len(),
            "row length differs from the field count"
        );
        for v in row {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_aligned_and_data_follows() {
        let names = vec!["n".to_string(), "k's".to_string()];
        let bytes = structured_f64(&names, &[vec![1.0, 2.5], vec![3.0, f64::NAN]]);
        assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00");
        let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        assert_eq!((10 + header_len) % ALIGN, 0);
        let header = std::str::from_utf8(&bytes[10..10 + header_len]).unwrap();
        assert!(
            header.starts_with(
                "{'descr': [('n', '<f8'), ('k_s', '<f8')], 'fortran_order': False, 'shape': (2,), }"
            ),
            "{header}"
        );
        assert!(header.ends_with('\n'));
        let data = &bytes[10 + header_len..];
        assert_eq!(data.len(), 4 * 8);
        assert_eq!(
            f64::from_le_bytes(data[8..16].try_into().unwrap()).to_bits(),
            2.5f64.to_bits()
        );
    }
}
