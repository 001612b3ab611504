//! Top eigenpairs of sampled matrices and overlaps of eigenvectors with planted directions (all eigenvalues:
//! [`crate::dense::eigenvalues`], re-exported by [`crate::ensembles`]).

use crate::SimulateError;
use crate::dense::eigen;
use faer::Mat;

/// The largest eigenvalue of a symmetric matrix and a unit eigenvector for it, by [`crate::dense::eigen`] (which
/// validates the matrix). Cost O(N³).
///
/// # Errors
/// As [`crate::dense::eigen`], and [`SimulateError::InvalidArgument`] for an empty matrix.
pub fn top_eigenpair(m: &Mat<f64>) -> Result<(f64, Vec<f64>), SimulateError> {
    let (values, vectors) = eigen(m)?;
    let Some(&lambda) = values.last() else {
        return Err(SimulateError::invalid(
            "matrix",
            "0x0",
            "a non-empty square matrix",
        ));
    };
    let v: Vec<f64> = vectors.col(values.len() - 1).iter().copied().collect();
    if v.iter().any(|x| !x.is_finite()) {
        return Err(SimulateError::NonFinite {
            what: "top eigenvector",
            index: values.len() - 1,
        });
    }
    Ok((lambda, v))
}

/// The squared cosine `⟨v,u⟩² / (‖v‖²‖u‖²)` between two directions, in [0, 1] and blind to sign.
pub fn squared_overlap(v: &[f64], u: &[f64]) -> Result<f64, SimulateError> {
    if v.len() != u.len() {
        return Err(SimulateError::invalid(
            "direction length",
            u.len(),
            format!("the eigenvector length {}", v.len()),
        ));
    }
    let dot: f64 = v.iter().zip(u).map(|(a, b)| a * b).sum();
    let vv: f64 = v.iter().map(|a| a * a).sum();
    let uu: f64 = u.iter().map(|a| a * a).sum();
    if !(vv > 0.0 && uu > 0.0 && vv.is_finite() && uu.is_finite()) {
        return Err(SimulateError::invalid(
            "direction norm",
            format!("{} and {}", vv.sqrt(), uu.sqrt()),
            "two finite non-zero vectors",
        ));
    }
    Ok((dot * dot / (vv * uu)).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dense::eigenvalues;

    #[test]
    fn top_eigenpair_of_a_diagonal_matrix_is_its_largest_entry() {
        let m = Mat::from_fn(3, 3, |i, j| if i == j { [1.0, 5.0, 2.0][i] } else { 0.0 });
        let (lambda, v) = top_eigenpair(&m).unwrap();
        assert!((lambda - 5.0).abs() < 1e-14);
        let overlap = squared_overlap(&v, &[0.0, 1.0, 0.0]).unwrap();
        assert!((overlap - 1.0).abs() < 1e-14);
        assert_eq!(eigenvalues(&m).unwrap().len(), 3);
    }

    #[test]
    fn squared_overlap_rejects_mismatched_or_zero_vectors() {
        assert!(squared_overlap(&[1.0, 0.0], &[1.0]).is_err());
        assert!(squared_overlap(&[0.0, 0.0], &[1.0, 0.0]).is_err());
        let half = squared_overlap(&[1.0, 1.0], &[-1.0, 0.0]).unwrap();
        assert!((half - 0.5).abs() < 1e-15);
    }

    #[test]
    fn eigenvalues_reject_non_square_matrices() {
        assert!(eigenvalues(&Mat::<f64>::zeros(2, 3)).is_err());
    }
}
