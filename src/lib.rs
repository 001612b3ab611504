//! landscape.
