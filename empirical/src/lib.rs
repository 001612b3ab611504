//! Empirical.
