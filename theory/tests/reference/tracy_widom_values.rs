// PARTIAL (first four β = 1 rows of an earlier run with m = 56 and 72 nodes); being regenerated in full by
// theory/tests/reference/tracy_widom.py (mpmath 1.3.0, dps=32). Columns: beta, s, F_beta(s), f_beta(s).
pub const TRACY_WIDOM_REFERENCE: &[(u8, f64, f64, f64)] = &[
    (1, -6.0, 2.7073193253047730514e-6, 1.4554512265200473634e-5), // m-convergence 2.7e-26
    (1, -4.0, 7.5676785987964005219e-3, 2.0595851115704250078e-2), // m-convergence 9.4e-27
    (1, -3.0, 6.9600118867369888436e-2, 1.2221341802126299255e-1), // m-convergence 8.1e-28
    (1, -2.0, 2.7432019790921785767e-1, 2.8138843090267282625e-1), // m-convergence 1.1e-29
];
