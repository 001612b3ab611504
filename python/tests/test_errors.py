"""Bad input raises ValueError with the CLI's one-line message; a user's exception propagates as itself."""

from __future__ import annotations

import numpy as np
import pytest

import landscape


@pytest.mark.parametrize(
    "text",
    ["mp(ratio=-1)", "semicircle(variance=0)", "pennington_bahri(phi=0.5, energy=-1)", "free_product(semicircle(variance=1), mp(ratio=1))"],
)
def test_invalid_parameters_raise_the_cli_message(cli, text: str) -> None:
    code, _, err = cli("theory", "pdf", "--law", text, "--at=1")
    assert code == 2
    with pytest.raises(ValueError) as info:
        landscape.law(text)
    assert str(info.value) == err
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("text", ["mp(ratio=0.5", "nope(x=1)", "mp(ratio=0.5, ratio=1)", "tracy_widom(beta=3)", ""])
def test_unparsable_expressions_raise_the_cli_message(cli, text: str) -> None:
    code, _, err = cli("theory", "pdf", "--law", text, "--at=1")
    assert code == 2
    with pytest.raises(ValueError) as info:
        landscape.law(text)
    # The CLI names its flag (`invalid --law: ...`); the bindings say `invalid law expression: ...`.
    assert err.startswith("invalid --law: ")
    assert str(info.value) == "invalid law expression: " + err[len("invalid --law: "):]


def test_argument_errors_name_the_argument() -> None:
    law = landscape.law("mp(ratio=0.5)")
    with pytest.raises(ValueError, match=r"^invalid x = NaN at index 1"):
        law.pdf([0.5, float("nan")])
    with pytest.raises(ValueError, match=r"^quantile: invalid p = 1.5"):
        law.quantile(1.5)
    with pytest.raises(ValueError, match=r"^invalid z = 1 at index 0"):
        law.cauchy(1.0)
    with pytest.raises(ValueError, match=r"^tracy_widom: invalid beta = 3"):
        landscape.tracy_widom(3)
    with pytest.raises(ValueError, match=r"^invalid beta = 300"):
        landscape.tracy_widom(300)
    with pytest.raises(ValueError, match=r"^spiked_covariance: invalid spike = -1"):
        landscape.spiked_covariance(0.5, -1.0)
    a = np.diag([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"^invalid k = 0"):
        landscape.lanczos(a, k=0)
    with pytest.raises(ValueError, match=r"^invalid k = 4"):
        landscape.lanczos(a, k=4)
    with pytest.raises(ValueError, match=r"^invalid which = 'top'"):
        landscape.lanczos(a, which="top")
    with pytest.raises(ValueError, match=r"^invalid tol = -1"):
        landscape.lanczos(a, tol=-1.0)
    with pytest.raises(ValueError, match=r"^invalid seed = -1"):
        landscape.lanczos(a, seed=-1)
    with pytest.raises(ValueError, match=r"^invalid max_matvecs = 1"):
        landscape.lanczos(a, max_matvecs=1)
    with pytest.raises(ValueError, match=r"^invalid matrix = a\[1, 0\]"):
        landscape.lanczos(np.array([[1.0, 2.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match=r"^invalid matrix shape"):
        landscape.lanczos(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"^invalid dim = None"):
        landscape.lanczos(lambda x: x)
    with pytest.raises(ValueError, match=r"^invalid dim = 4: expected the operator's side 3"):
        landscape.lanczos(a, 4)
    with pytest.raises(ValueError, match=r"^invalid probe = 'uniform'"):
        landscape.slq(a, probe="uniform")
    with pytest.raises(ValueError, match=r"^invalid n_matvecs = 3"):
        landscape.hutchpp(a, n_matvecs=3)
    with pytest.raises(ValueError, match=r"^invalid sigma = 0"):
        landscape.slq(a, steps=3, n_probes=1).density(1.0, 0.0)
    with pytest.raises(TypeError, match=r"^matvec: expected a callable"):
        landscape.lanczos(3.0)


def test_a_matvec_of_the_wrong_length_or_with_nan_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^invalid matvec output = shape \[2\]: expected 3 numbers"):
        landscape.lanczos(lambda x: x[:2], 3)
    with pytest.raises(ValueError, match=r"^non-finite value in operator output at index 0"):
        landscape.lanczos(lambda x: np.full(3, np.nan), 3)


class Boom(Exception):
    """A user's own exception type."""


def test_an_exception_in_matvec_propagates_as_itself() -> None:
    raised = Boom("from the user's operator")
    calls = 0

    def matvec(x: np.ndarray) -> np.ndarray:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise raised
        # Distinct eigenvalues 1..10, so no estimator can finish (or break down) within two products.
        return np.arange(1.0, 11.0) * x

    for run in (
        lambda: landscape.lanczos(matvec, 10, k=1),
        lambda: landscape.slq(matvec, 10, steps=8),
        lambda: landscape.hutchpp(matvec, 10, n_matvecs=30),
    ):
        calls = 0
        with pytest.raises(Boom) as info:
            run()
        assert info.value is raised
        # The estimator stopped at the failing product instead of carrying on.
        assert calls == 3


def test_keyboard_interrupt_in_matvec_propagates() -> None:
    def matvec(x: np.ndarray) -> np.ndarray:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        landscape.lanczos(matvec, 4)


def test_sampling_errors_name_the_argument() -> None:
    law = landscape.law("mp(ratio=0.5)")
    with pytest.raises(ValueError, match=r"^invalid n = 1: expected an integer in 2..=20000"):
        law.sample_eigenvalues(1)
    with pytest.raises(ValueError, match=r"^invalid seed = -2"):
        law.sample_eigenvalues(10, seed=-2)
    with pytest.raises(ValueError, match=r"a law with a matrix ensemble"):
        landscape.law("tracy_widom(beta=1)").sample_eigenvalues(10)
