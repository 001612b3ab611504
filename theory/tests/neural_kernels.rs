//! The CK/NTK laws of `neural_kernels` against closed forms (MP, `docs/theory.md` §A2.4 moments), the Pennington–Worah
//! oracle value (`docs/theory.md` §A1.6) and the generic conformance checker.

use landscape_theory::activation::Activation;
use landscape_theory::conformance::{ConformanceTolerance, check_law};
use landscape_theory::neural_kernels::{
    ConjugateKernel, InputData, NetworkSpec, NeuralTangentKernel, Parameterization,
};
use landscape_theory::random_features::RandomFeatures;
use landscape_theory::{Complex64, MarchenkoPastur, SpectralLaw};

/// Moments from the engine's contour integral are good to ~1e-12 (measured); 1e-8 is the target of `docs/theory.md` §3.
const MOMENT_TOL: f64 = 1e-8;
/// Cauchy transforms: the fixed point is solved to ~1e-14 relative; 1e-11 leaves room for the engine's warm
/// starts.
const CAUCHY_TOL: f64 = 1e-11;
/// Conformance of a numerically tabulated law (the engine's table is good to ~1e-9; see `numerical`).
const NUMERICAL: ConformanceTolerance = ConformanceTolerance {
    mass: 1e-7,
    cdf: 1e-7,
    moment: 1e-7,
    cauchy: 1e-7,
    quantile: 1e-7,
    quadrature: 1e-10,
    max_moment: 4,
    grid_points: 12,
};

fn spec(n: f64, d0: f64, widths: &[f64], act: Activation, data: InputData) -> NetworkSpec {
    let mut s = NetworkSpec::new(n, d0, widths.to_vec(), act);
    s.data = data;
    s
}

/// Mean, variance and third cumulant of `r I + Σ q_k C_k` for constant b (`docs/theory.md` §A2.4), written out here
/// independently of the crate: `Q_i = Σ_{k≥i} q_k b^{2(k−i)}`, `Var = Σ g_i Q_i²`,
/// `κ3 = Σ g_i² Q_i³ + 3 Σ_{i<j} g_i g_j Q_i Q_j² b^{2(j−i)}` with `g_0² → κ3(μ_0)`.
fn closed_form_cumulants(
    q: &[f64],
    r: f64,
    b2: f64,
    gammas: &[f64],
    gamma0: Option<f64>,
) -> (f64, f64, f64) {
    let l = gammas.len();
    let qt: Vec<f64> = (0..=l)
        .map(|i| (i..=l).map(|k| q[k] * b2.powi((k - i) as i32)).sum())
        .collect();
    let g: Vec<f64> = (0..=l)
        .map(|i| {
            if i == 0 {
                gamma0.unwrap_or(0.0)
            } else {
                gammas[i - 1]
            }
        })
        .collect();
    let mean = r + q.iter().sum::<f64>();
    let var: f64 = (0..=l).map(|i| g[i] * qt[i] * qt[i]).sum();
    let mut k3: f64 = (0..=l).map(|i| g[i] * g[i] * qt[i].powi(3)).sum();
    for i in 0..=l {
        for j in i + 1..=l {
            k3 += 3.0 * g[i] * g[j] * qt[i] * qt[j] * qt[j] * b2.powi((j - i) as i32);
        }
    }
    (mean, var, k3)
}

fn raw_moments((mean, var, k3): (f64, f64, f64)) -> [f64; 3] {
    [
        mean,
        var + mean * mean,
        k3 + 3.0 * mean * var + mean.powi(3),
    ]
}

fn check_moments(law: &dyn SpectralLaw, want: [f64; 3]) {
    for (k, w) in (1..=3).zip(want) {
        let got = law.moment(k);
        assert!(
            (got - w).abs() < MOMENT_TOL * w.abs().max(1.0),
            "{law}: m{k} = {got}, closed form {w}"
        );
    }
}

#[test]
fn one_layer_ck_with_orthonormal_data_is_marchenko_pastur() {
    for (gamma1, act) in [
        (0.5, Activation::Tanh),
        (2.0, Activation::Relu),
        (1.0, Activation::Erf),
    ] {
        let ck = ConjugateKernel::new(spec(
            1000.0,
            1000.0,
            &[1000.0 / gamma1],
            act,
            InputData::Orthonormal,
        ))
        .unwrap();
        let mp = MarchenkoPastur::new(gamma1, 1.0).unwrap();
        for z in [
            Complex64::new(1.0, 0.5),
            Complex64::new(-0.3, 0.01),
            Complex64::new(3.0, 1e-3),
        ] {
            let (got, want) = (ck.cauchy(z), mp.cauchy(z));
            assert!(
                (got - want).norm() < CAUCHY_TOL * want.norm(),
                "{ck} at {z}: {got} vs {want}"
            );
        }
        let zero_mass: f64 = ck
            .atoms()
            .iter()
            .filter(|a| a.location.abs() < 1e-12)
            .map(|a| a.mass)
            .sum();
        assert!(
            (zero_mass - (1.0 - 1.0 / gamma1).max(0.0)).abs() < 1e-9,
            "{ck}: atom {zero_mass}"
        );
    }
}

#[test]
fn ck_reproduces_the_pennington_worah_oracle_for_centred_relu() {
    // PW at φ = ψ = ½: γ0 = 1/φ = 2, γ1 = ψ/φ = 1, and M = η·CK (n1 = m), so G_M(z) = G_CK(z/η)/η with
    // η = ½ − 1/(2π). Oracle from `docs/theory.md` §A1.6 (Cauchy convention: Im G < 0).
    let eta = 0.5 - 1.0 / (2.0 * std::f64::consts::PI);
    let ck = ConjugateKernel::new(spec(
        2.0,
        1.0,
        &[2.0],
        Activation::Relu,
        InputData::Gaussian,
    ))
    .unwrap();
    let z = Complex64::new(1.0, 0.5);
    let got = ck.cauchy(z / eta) / eta;
    let want = Complex64::new(0.66059114307375, -0.69110807776073);
    // The oracle has 14 digits.
    assert!((got - want).norm() < 1e-12, "{got} vs {want}");
    // And the crate's independent quartic solver of PW agrees.
    let pw = RandomFeatures::new(0.5, 0.5, eta, 0.25).unwrap();
    assert!(
        (pw.cauchy(z) - got).norm() < 1e-10,
        "{} vs {got}",
        pw.cauchy(z)
    );
}

#[test]
fn ck_and_ntk_moments_match_the_closed_forms_for_depth_one_to_three() {
    let width_sets: [&[f64]; 3] = [&[500.0], &[2000.0, 400.0], &[1000.0, 250.0, 4000.0]];
    for act in [Activation::Tanh, Activation::Relu, Activation::Gelu] {
        let c = act.constants();
        let b2 = c.b * c.b;
        for data in [InputData::Gaussian, InputData::Orthonormal] {
            for widths in width_sets {
                let (n, d0) = (1000.0, 2000.0);
                let gammas: Vec<f64> = widths.iter().map(|d| n / d).collect();
                let gamma0 = (data == InputData::Gaussian).then_some(n / d0);
                let l = widths.len();
                let s = spec(n, d0, widths, act, data);

                let ck = ConjugateKernel::new(s.clone()).unwrap();
                let mut q = vec![0.0; l + 1];
                q[l] = 1.0;
                check_moments(
                    &ck,
                    raw_moments(closed_form_cumulants(&q, 0.0, b2, &gammas, gamma0)),
                );

                let ntk = NeuralTangentKernel::new(s.clone()).unwrap();
                let q: Vec<f64> = (0..=l).map(|k| b2.powi((l - k) as i32)).collect();
                let r: f64 = (1..=l)
                    .map(|j| c.a.powi(j as i32) - b2.powi(j as i32))
                    .sum();
                check_moments(
                    &ntk,
                    raw_moments(closed_form_cumulants(&q, r, b2, &gammas, gamma0)),
                );
                // NTK mean = Σ_{j=0}^{L} a^j.
                let mean: f64 = (0..=l).map(|j| c.a.powi(j as i32)).sum();
                assert!((ntk.moment(1) - mean).abs() < MOMENT_TOL, "{ntk}");

                let mut sp = s.clone();
                sp.parameterization = Parameterization::Standard;
                let ntk_sp = NeuralTangentKernel::new(sp).unwrap();
                let g = |k: usize| if k == 0 { n / d0 } else { gammas[k - 1] };
                let q: Vec<f64> = (0..=l).map(|k| b2.powi((l - k) as i32) / g(k)).collect();
                let r: f64 = (1..=l)
                    .map(|ll| {
                        (c.a.powi((l - ll + 1) as i32) - b2.powi((l - ll + 1) as i32)) / g(ll - 1)
                    })
                    .sum();
                check_moments(
                    &ntk_sp,
                    raw_moments(closed_form_cumulants(&q, r, b2, &gammas, gamma0)),
                );
            }
        }
    }
}

#[test]
fn ntk_special_case_third_cumulants_match_the_notes() {
    // `docs/theory.md` §A2.4: NTK κ3, L = 2: 27B⁶γ0² + 36B⁵γ0γ1 + 9B⁴γ0γ2 + 8B³γ1² + 6B²γ1γ2 + γ2².
    let (n, d0, d1, d2) = (1000.0, 1500.0, 700.0, 1300.0);
    let (g0, g1, g2) = (n / d0, n / d1, n / d2);
    let ntk =
        NeuralTangentKernel::new(spec(n, d0, &[d1, d2], Activation::Erf, InputData::Gaussian))
            .unwrap();
    let b = Activation::Erf.constants().b.powi(2);
    let want = 27.0 * b.powi(6) * g0 * g0
        + 36.0 * b.powi(5) * g0 * g1
        + 9.0 * b.powi(4) * g0 * g2
        + 8.0 * b.powi(3) * g1 * g1
        + 6.0 * b * b * g1 * g2
        + g2 * g2;
    let (m1, m2, m3) = (ntk.moment(1), ntk.moment(2), ntk.moment(3));
    let var = m2 - m1 * m1;
    let k3 = m3 - 3.0 * m1 * var - m1.powi(3);
    assert!(
        (k3 - want).abs() < MOMENT_TOL * want,
        "κ3 = {k3}, notes {want}"
    );
}

#[test]
fn kernel_laws_pass_the_conformance_checker() {
    let cases = [
        ConjugateKernel::new(spec(
            1000.0,
            500.0,
            &[1000.0, 500.0],
            Activation::Tanh,
            InputData::Gaussian,
        ))
        .map(|l| Box::new(l) as Box<dyn SpectralLaw>),
        NeuralTangentKernel::new(spec(
            1000.0,
            500.0,
            &[2000.0, 500.0, 1000.0],
            Activation::Relu,
            InputData::Gaussian,
        ))
        .map(|l| Box::new(l) as Box<dyn SpectralLaw>),
        NeuralTangentKernel::new(spec(
            1000.0,
            2000.0,
            &[500.0],
            Activation::Tanh,
            InputData::Orthonormal,
        ))
        .map(|l| Box::new(l) as Box<dyn SpectralLaw>),
    ];
    for law in cases {
        let law = law.unwrap();
        let report = check_law(law.as_ref(), &NUMERICAL).unwrap_or_else(|e| panic!("{e}"));
        assert!(report.mass_error < NUMERICAL.mass, "{law}: {report:?}");
    }
}

#[test]
fn one_layer_ntk_with_orthonormal_data_has_the_atom_at_a() {
    // `docs/theory.md` §A1.7: ν = a + MP_{γ1}; with d1 < n an atom 1 − 1/γ1 at a.
    let ntk = NeuralTangentKernel::new(spec(
        1000.0,
        2000.0,
        &[500.0],
        Activation::Tanh,
        InputData::Orthonormal,
    ))
    .unwrap();
    let a = Activation::Tanh.constants().a;
    let atoms = ntk.atoms();
    assert_eq!(atoms.len(), 1, "{atoms:?}");
    assert!(
        (atoms[0].location - a).abs() < 1e-6 && (atoms[0].mass - 0.5).abs() < 1e-6,
        "{atoms:?}"
    );
}

#[test]
fn invalid_specs_are_rejected_with_the_argument_named() {
    let mut s = spec(
        1000.0,
        500.0,
        &[1000.0],
        Activation::Tanh,
        InputData::Orthonormal,
    );
    assert!(
        ConjugateKernel::new(s.clone())
            .unwrap_err()
            .to_string()
            .contains("d0")
    );
    s.data = InputData::Gaussian;
    s.layer = Some(2);
    assert!(
        ConjugateKernel::new(s.clone())
            .unwrap_err()
            .to_string()
            .contains("layer")
    );
    s.layer = None;
    s.widths = vec![];
    assert!(NeuralTangentKernel::new(s.clone()).is_err());
    let mut raw = spec(
        1000.0,
        500.0,
        &[1000.0, 1000.0],
        Activation::Relu,
        InputData::Gaussian,
    );
    raw.weight_variance = Some(2.0);
    assert!(
        NeuralTangentKernel::new(raw)
            .unwrap_err()
            .to_string()
            .contains("not centred")
    );
}

/// A linear network's CK has rank `min(n, d0, d_1, …)`: its atom at 0 has mass `1 − min(1, d0/n, d_ℓ/n)`. With
/// quadrature-computed constants `b² = 1 − 2e-16` the atom was lost (cdf(0) = 0 for `d0 = 500 < n = 1000`) and a
/// spurious support interval of width 1e-14 appeared; deeper linear CKs failed the mass balance.
#[test]
fn linear_ck_keeps_the_rank_atom_and_passes_the_mass_balance() {
    // (n, d0, widths, mass of the atom at 0 = 1 − min(1, d0/n, d_ℓ/n)).
    for (n, d0, widths, atom) in [
        (1000.0, 500.0, vec![2000.0], 0.5),
        (1000.0, 2000.0, vec![500.0], 0.5),
        (
            2000.0,
            926.0,
            vec![881.0, 3558.0, 2578.0],
            1.0 - 881.0 / 2000.0,
        ),
        (1000.0, 2000.0, vec![3000.0], 0.0),
    ] {
        let ck = ConjugateKernel::new(spec(
            n,
            d0,
            &widths,
            Activation::Linear,
            InputData::Gaussian,
        ))
        .unwrap_or_else(|e| panic!("d0 = {d0}, widths = {widths:?}: {e}"));
        let found: f64 = ck
            .atoms()
            .iter()
            .filter(|a| a.location.abs() < 1e-12)
            .map(|a| a.mass)
            .sum();
        // The rank fraction is exact arithmetic on the widths.
        assert!(
            (found - atom).abs() < 1e-12,
            "{ck}: atom at 0 of mass {found}, expected {atom}; atoms {:?}",
            ck.atoms()
        );
        assert!(
            (ck.cdf(0.0) - atom).abs() < 1e-12,
            "{ck}: cdf(0) = {}",
            ck.cdf(0.0)
        );
        let support = ck.support();
        assert!(
            support.intervals.iter().all(|i| i.width() > 1e-3),
            "{ck}: spurious support interval in {support:?}"
        );
        let report = check_law(&ck, &NUMERICAL).unwrap_or_else(|e| panic!("{ck}: {e}"));
        assert!(report.mass_error < NUMERICAL.mass, "{ck}: {report:?}");
    }
}

/// A square linear network (`n = d0 = d1`) puts a hard edge at 0 with no atom: the CK is `MP(1) ⊠ MP(1) = FC₂`
/// (an `x^{−2/3}` edge) and the NTK is `XᵀMX/d0` with `M = I + WᵀW/d1`, i.e. `MP(1) ⊠ (1 + MP(1))`, whose free
/// cumulants are the moments of `1 + MP(1)`: 2, 5, 15, 51, hence moments 2, 9, 53, 357. Both failed the mass balance
/// (the solver loses accuracy within ~1e-27 of the edge, and the NTK's edge was bisected to −1.2e-12 instead of 0).
#[test]
fn square_linear_kernels_resolve_their_hard_edge_at_zero() {
    let ck = ConjugateKernel::new(spec(
        1000.0,
        1000.0,
        &[1000.0],
        Activation::Linear,
        InputData::Gaussian,
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let fc2 = landscape_theory::FussCatalan::new(2).unwrap();
    // The engine's cdf is good to ~1e-9 away from edges; at x = 1e-6 the mass below is 8e-3 and still within it.
    for x in [1e-6, 1e-3, 0.5, 2.0, 6.0] {
        let (got, exact) = (ck.cdf(x), fc2.cdf(x));
        assert!(
            (got - exact).abs() < 1e-8,
            "CK cdf({x}) = {got}, FC₂ {exact}"
        );
    }
    let ntk = NeuralTangentKernel::new(spec(
        1000.0,
        1000.0,
        &[1000.0],
        Activation::Linear,
        InputData::Gaussian,
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(ntk.atoms().is_empty(), "{:?}", ntk.atoms());
    assert_eq!(ntk.support().lower_edge(), Some(0.0));
    // Moments from the contour are good to ~1e-12 relative (see `numerical`).
    for (k, exact) in [(1, 2.0), (2, 9.0), (3, 53.0), (4, 357.0)] {
        let got = ntk.moment(k);
        assert!(
            (got - exact).abs() < 1e-9 * exact,
            "NTK m_{k} = {got}, exact {exact}"
        );
    }
}
