//! MNIST-style IDX files (yann.lecun.com/exdb/mnist): an images file and a labels file, each optionally gzip'd.
//!
//! Format: two zero bytes, a type byte (`0x08` = unsigned byte, the only type MNIST uses), the number of
//! dimensions `d`, then `d` big-endian `u32` sizes and the data in C order.

use super::{Dataset, classes_from_labels, read_maybe_gz};
use crate::EmpiricalError;
use std::path::Path;

/// An unsigned-byte IDX array: its dimensions and bytes.
fn parse_idx(bytes: &[u8], path: &Path) -> Result<(Vec<usize>, Vec<u8>), EmpiricalError> {
    let bad = |detail: String| EmpiricalError::format(path, "IDX", detail);
    if bytes.len() < 4 || bytes[0] != 0 || bytes[1] != 0 {
        return Err(bad("missing the 0x0000 magic".into()));
    }
    if bytes[2] != 0x08 {
        return Err(bad(format!(
            "element type 0x{:02x} is not unsigned byte (0x08)",
            bytes[2]
        )));
    }
    let n_dims = usize::from(bytes[3]);
    let header_len = 4 + 4 * n_dims;
    let header = bytes
        .get(4..header_len)
        .ok_or_else(|| bad("truncated header".into()))?;
    let dims: Vec<usize> = header
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let count = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| bad("dimensions overflow".into()))?;
    let data = &bytes[header_len..];
    if data.len() != count {
        return Err(bad(format!(
            "{} data bytes for dimensions {dims:?}, expected {count}",
            data.len()
        )));
    }
    Ok((dims, data.to_vec()))
}

/// Reads MNIST (or Fashion-MNIST) images and labels: inputs of shape `[1, rows, cols]` scaled to `[0, 1]` by
/// `/255`, labels `0..n_classes` with `n_classes` the largest label plus one.
///
/// # Errors
/// [`EmpiricalError::Io`]; [`EmpiricalError::Format`] for a bad magic, type, or length; [`EmpiricalError::Shape`]
/// when the images are not 3-dimensional, the labels not 1-dimensional, or their counts differ.
pub fn read_mnist(images: &Path, labels: &Path) -> Result<Dataset, EmpiricalError> {
    let (image_dims, pixels) = parse_idx(&read_maybe_gz(images)?, images)?;
    let (label_dims, label_bytes) = parse_idx(&read_maybe_gz(labels)?, labels)?;
    let [n, rows, cols] = image_dims[..] else {
        return Err(EmpiricalError::Shape(format!(
            "{}: images must have 3 dimensions [n, rows, cols], got {image_dims:?}",
            images.display()
        )));
    };
    if label_dims.len() != 1 || label_dims[0] != n {
        return Err(EmpiricalError::Shape(format!(
            "{}: labels have dimensions {label_dims:?}, expected [{n}] to match the images",
            labels.display()
        )));
    }
    let inputs = pixels
        .iter()
        .map(|&p| f64::from(f32::from(p) / 255.0))
        .collect();
    let targets = classes_from_labels(label_bytes.into_iter().map(i64::from).collect())?;
    Dataset::new(
        images.display().to_string(),
        inputs,
        vec![1, rows, cols],
        targets,
    )
    .map_err(EmpiricalError::from)
}

/// Serializes an unsigned-byte IDX array (for tests and for exporting subsets).
///
/// # Panics
/// If `data.len()` is not the product of `dims` or a dimension exceeds `u32::MAX`.
#[track_caller]
pub fn idx_bytes(dims: &[usize], data: &[u8]) -> Vec<u8> {
    assert_eq!(dims.iter().product::<usize>(), data.len());
    let mut out = vec![
        0,
        0,
        0x08,
        u8::try_from(dims.len()).expect("at most 255 dimensions"),
    ];
    for &d in dims {
        out.extend_from_slice(&u32::try_from(d).expect("dimension fits u32").to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Targets;

    #[test]
    fn mnist_images_and_labels_round_trip_plain_and_gzipped() {
        let dir = std::env::temp_dir().join(format!("landscape-idx-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pixels: Vec<u8> = (0..2 * 3 * 4).map(|i| (i * 10) as u8).collect();
        let images = idx_bytes(&[2, 3, 4], &pixels);
        let labels = idx_bytes(&[2], &[7, 3]);
        let (img_path, lbl_path) = (dir.join("img.idx"), dir.join("lbl.idx.gz"));
        std::fs::write(&img_path, &images).unwrap();
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut enc, &labels).unwrap();
        std::fs::write(&lbl_path, enc.finish().unwrap()).unwrap();

        let data = read_mnist(&img_path, &lbl_path).unwrap();
        assert_eq!(data.sample_shape(), &[1, 3, 4]);
        assert_eq!(
            data.inputs()[1].to_bits(),
            f64::from(10.0f32 / 255.0).to_bits()
        );
        assert_eq!(
            data.targets(),
            &Targets::Classes {
                labels: vec![7, 3],
                n_classes: 8
            }
        );

        // Labels for a different number of images.
        std::fs::write(&lbl_path, idx_bytes(&[3], &[1, 2, 3])).unwrap();
        let err = read_mnist(&img_path, &lbl_path).unwrap_err().to_string();
        assert!(err.contains("expected [2]"), "{err}");
        // A truncated image file.
        std::fs::write(&img_path, &images[..images.len() - 1]).unwrap();
        let err = read_mnist(&img_path, &lbl_path).unwrap_err().to_string();
        assert!(err.contains("23 data bytes"), "{err}");
        // Not an IDX file at all.
        std::fs::write(&img_path, b"GIF89a").unwrap();
        assert!(
            read_mnist(&img_path, &lbl_path)
                .unwrap_err()
                .to_string()
                .contains("magic")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
