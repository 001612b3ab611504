"""Laws through the bindings: the very bits the CLI prints, closed forms, shapes and vectorisation."""

from __future__ import annotations

import math

import numpy as np
import pytest

import landscape
from conftest import points

# Laws covering every construction path: closed forms, the numerical engine (free sum, free product,
# Pennington–Bahri, random features), a law with an atom (mp with ratio > 1) and Tracy–Widom.
LAWS = [
    "mp(ratio=0.5)",
    "mp(ratio=2, variance=0.5)",
    "semicircle(variance=1)",
    "fuss_catalan(depth=2)",
    "free_sum(mp(ratio=0.5), semicircle(variance=0.5))",
    "free_product(mp(ratio=0.5), mp(ratio=0.25))",
    "pennington_bahri(phi=0.5, energy=0.1)",
    "random_features(phi=0.5, psi=0.5, eta=1, zeta=0.5)",
    "tracy_widom(beta=2)",
]


def grid(text: str, with_ends: bool) -> np.ndarray:
    """Points across and beyond the support (and atoms) of the law, with the edges themselves if `with_ends`
    (a density may be infinite at an edge, which the CLI refuses to print)."""
    law = landscape.law(text)
    ends = [e for interval in law.support for e in interval] + [a for a, _ in law.atoms]
    lo, hi = min(ends), max(ends)
    pad = 0.1 * (hi - lo)
    inner = np.linspace(lo - pad, hi + pad, 23)
    return np.concatenate([inner, ends]) if with_ends else inner


@pytest.mark.parametrize("text", LAWS)
@pytest.mark.parametrize("what", ["pdf", "cdf"])
def test_pdf_and_cdf_equal_the_cli_bit_for_bit(cli, text: str, what: str) -> None:
    xs = grid(text, with_ends=what == "cdf")
    code, out, err = cli("theory", what, "--law", text, f"--at={points(xs)}")
    assert code == 0, err
    law = landscape.law(text)
    assert out["law"] == law.expression
    assert out["x"] == xs.tolist()
    got = getattr(law, what)(xs)
    # Exact equality: the same Rust function on the same doubles; JSON carries the shortest round-trip form.
    assert got.tolist() == out[what], f"{text}: {what} differs from the CLI"


@pytest.mark.parametrize("text", LAWS)
def test_support_atoms_and_moments_equal_the_cli_summary(cli, text: str) -> None:
    code, out, err = cli("theory", "summary", "--law", text)
    assert code == 0, err
    law = landscape.law(text)
    assert [list(i) for i in law.support] == out["support"]
    assert [list(a) for a in law.atoms] == out["atoms"]
    assert law.moments(4).tolist() == out["moments"]


@pytest.mark.parametrize("beta", [1, 2, 4])
def test_tracy_widom_equals_the_cli(cli, beta: int) -> None:
    s = np.array([-4.0, -2.0, -1.5, 0.0, 1.0, 3.0])
    code, out, err = cli("theory", "tracy-widom", "--beta", str(beta), f"--at={points(s)}")
    assert code == 0, err
    tw = landscape.tracy_widom(beta)
    assert tw.beta == beta
    assert tw.cdf(s).tolist() == out["cdf"]
    assert tw.pdf(s).tolist() == out["pdf"]
    assert tw.mean() == out["mean"]
    assert tw.variance() == out["variance"]


@pytest.mark.parametrize(
    "args, call",
    [
        (["--model", "wishart", "--ratio", "0.5", "--spike", "2"], lambda: landscape.spiked_covariance(0.5, 2.0)),
        (["--model", "wishart", "--ratio", "0.5", "--spike", "1.5"], lambda: landscape.spiked_covariance(0.5, 1.5)),
        (["--model", "wigner", "--spike", "2", "--variance", "1"], lambda: landscape.spiked_wigner(2.0, 1.0)),
        (["--model", "wigner", "--spike", "0.5"], lambda: landscape.spiked_wigner(0.5)),
    ],
)
def test_spike_predictions_equal_the_cli(cli, args, call) -> None:
    code, out, err = cli("theory", "spike", *args)
    assert code == 0, err
    p = call()
    assert (p.threshold, p.detectable, p.outlier, p.overlap_sq) == (
        out["threshold"],
        out["detectable"],
        out["outlier"],
        out["overlap_sq"],
    )


def test_pennington_bahri_index_equals_the_cli(cli) -> None:
    code, out, err = cli("theory", "index", "--phi", "0.5", "--energy", "0.1")
    assert code == 0, err
    assert landscape.pennington_bahri_index(0.5, 0.1) == out["index"]
    assert landscape.critical_energy(0.5) == out["critical_energy"]


# Round-off of the closed forms evaluated in two orders of operations (Rust and numpy): a few ulps of values O(1).
CLOSED_FORM_ATOL = 1e-14


def test_semicircle_and_marchenko_pastur_match_their_closed_forms() -> None:
    x = np.linspace(-2.5, 2.5, 101)
    sc = landscape.law("semicircle(variance=1)")
    expected = np.where(np.abs(x) < 2, np.sqrt(np.clip(4 - x * x, 0, None)) / (2 * math.pi), 0.0)
    np.testing.assert_allclose(sc.pdf(x), expected, rtol=0, atol=CLOSED_FORM_ATOL)
    # MP(γ = 0.5, σ² = 1): ρ(x) = √((b − x)(x − a)) / (2π γ x) on [a, b] = [(1 − √γ)², (1 + √γ)²].
    gamma = 0.5
    a, b = (1 - math.sqrt(gamma)) ** 2, (1 + math.sqrt(gamma)) ** 2
    x = np.linspace(a, b, 57)[1:-1]
    mp = landscape.law("mp(ratio=0.5)")
    np.testing.assert_allclose(
        mp.pdf(x), np.sqrt((b - x) * (x - a)) / (2 * math.pi * gamma * x), rtol=0, atol=CLOSED_FORM_ATOL
    )
    assert mp.support == [(a, b)] or np.allclose(mp.support, [(a, b)], rtol=0, atol=CLOSED_FORM_ATOL)
    # mp with ratio 2 has an atom of mass 1 − 1/γ at 0.
    assert landscape.law("mp(ratio=2)").atoms == [(0.0, 0.5)]


# Bornemann (2010), Math. Comp. 79, Table 10: E[TW₂] and Var[TW₂] to 13 digits; the Nyström discretisation is
# accurate to ~1e-15, so the last printed digit bounds the difference.
BORNEMANN_DIGITS_ATOL = 1e-12


def test_tracy_widom_moments_match_bornemann() -> None:
    tw = landscape.tracy_widom(2)
    assert abs(tw.mean() - (-1.7710868074116)) < BORNEMANN_DIGITS_ATOL
    assert abs(tw.variance() - 0.8131947928329) < BORNEMANN_DIGITS_ATOL


def test_cauchy_transform_sign_convention_and_inversion() -> None:
    sc = landscape.law("semicircle(variance=1)")
    # Closed form for SC(1): G(z) = (z − √(z − 2)√(z + 2)) / 2 with principal roots.
    z = np.array([0.3 + 1e-1j, -1.0 + 0.5j, 3.0 + 0.0j, 1.0 - 2.0j])
    expected = (z - np.sqrt(z - 2) * np.sqrt(z + 2)) / 2
    np.testing.assert_allclose(sc.cauchy(z), expected, rtol=1e-13, atol=0)
    np.testing.assert_array_equal(sc.stieltjes(z), -sc.cauchy(z))
    assert sc.cauchy(1j).imag < 0
    assert isinstance(sc.cauchy(3.0), complex)


def test_quantile_inverts_the_cdf() -> None:
    law = landscape.law("free_sum(mp(ratio=0.5), semicircle(variance=0.5))")
    p = np.linspace(0.01, 0.99, 25)
    # The default quantile bisects the CDF to 1e-13 of the support's width; the CDF's slope is at most
    # max pdf ≈ 0.6 here, so F(Q(p)) is within ~1e-13 of p, plus the tabulated CDF's own error (~1e-12).
    np.testing.assert_allclose(law.cdf(law.quantile(p)), p, rtol=0, atol=1e-11)


def test_shapes_scalars_and_lists_round_trip() -> None:
    law = landscape.law("mp(ratio=0.5)")
    assert isinstance(law.pdf(1.0), float)
    assert isinstance(law.cdf(1), float)
    grid2 = np.linspace(0.1, 3, 12).reshape(3, 4)
    assert law.pdf(grid2).shape == (3, 4)
    assert law.pdf([0.5, 1.0]).tolist() == [law.pdf(0.5), law.pdf(1.0)]
    # A strided view is read in logical order.
    assert law.cdf(grid2.T).tolist() == law.cdf(grid2).T.tolist()
    assert law.moments(2)[0] == 1.0
    assert str(law) == law.expression == "mp(ratio=0.5, variance=1)"
    assert landscape.law(law.expression).pdf(1.0) == law.pdf(1.0)


def test_a_million_points_pay_the_call_overhead_once() -> None:
    import time

    law = landscape.law("mp(ratio=0.5)")
    x = np.linspace(0.0, 3.0, 1_000_000)
    repeats = 20_000
    start = time.perf_counter()
    for v in x[:repeats]:
        law.pdf(float(v))
    per_scalar_call = (time.perf_counter() - start) / repeats
    start = time.perf_counter()
    values = law.pdf(x)
    per_point = (time.perf_counter() - start) / x.size
    assert values.shape == x.shape and np.isfinite(values).all()
    # One scalar call pays the Python → Rust crossing (~0.3 µs) on top of the closed form (~20 ns); a vectorised
    # call must not, so a point costs well under half of a scalar call (measured ratio ≈ 0.05–0.1).
    assert per_point < 0.5 * per_scalar_call, f"{per_point * 1e9:.0f} ns per point vs {per_scalar_call * 1e9:.0f} ns per call"


def test_vectorised_calls_release_the_interpreter() -> None:
    import threading

    law = landscape.law("free_sum(mp(ratio=0.5), semicircle(variance=0.5))")
    x = np.linspace(-1.0, 4.0, 400_000)
    started, done = threading.Event(), threading.Event()
    ticks = 0

    def evaluate() -> None:
        started.set()
        law.cdf(x)
        done.set()

    worker = threading.Thread(target=evaluate)
    worker.start()
    started.wait()
    while not done.is_set():
        ticks += 1
    worker.join()
    # `started.wait()` returns once this thread holds the interpreter again. Were it held for the whole call,
    # that would be after `done` is set and the loop would not run; released, the loop spins for the whole
    # evaluation (~0.1 s, 10⁵–10⁶ iterations).
    assert ticks > 1_000, f"main thread advanced only {ticks} times while the law was evaluated"


@pytest.mark.parametrize(
    "text, n",
    [
        ("mp(ratio=0.5)", 200),
        ("free_sum(mp(ratio=0.5), semicircle(variance=0.5))", 150),
        ("pennington_bahri(phi=0.5, energy=0.1)", 120),
    ],
)
def test_sampled_eigenvalues_and_their_distances_equal_the_cli_esd(cli, text: str, n: int) -> None:
    code, out, err = cli("simulate", "esd", "--law", text, "--n", str(n), "--seed", "3")
    assert code == 0, err
    law = landscape.law(text)
    eigenvalues = law.sample_eigenvalues(n, seed=3)
    assert eigenvalues.shape == (n,) and np.all(np.diff(eigenvalues) >= 0)
    assert eigenvalues[::-1][:5].tolist() == out["largest"]
    assert eigenvalues[:5].tolist() == out["smallest"]
    d = landscape.distance(eigenvalues, law)
    assert (d.ks, d.w1) == (out["ks"], out["w1"])


def test_sampling_is_seeded() -> None:
    law = landscape.law("semicircle(variance=1)")
    first = law.sample_eigenvalues(100, seed=5)
    assert first.tobytes() == law.sample_eigenvalues(100, seed=5).tobytes()
    assert first.tobytes() != law.sample_eigenvalues(100, seed=6).tobytes()
    assert first.tobytes() == law.sample_eigenvalues(100, 5).tobytes()
