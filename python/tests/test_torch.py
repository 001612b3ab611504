"""The PyTorch shim against the Hessian formed explicitly by torch.autograd.functional.hessian (skipped without
torch)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import landscape  # noqa: E402
import landscape.torch as lt  # noqa: E402

# Round-off of float64 Hessian-vector products against the explicitly formed Hessian, relative to ‖H‖: both are
# sums of O(n_params · batch) products of O(1) terms.
HVP_ROUNDOFF_REL = 1e-12


def small_problem(seed: int = 0):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))
    x = torch.randn(16, 3)
    y = torch.randint(0, 2, (16,))
    return model, (x, y), torch.nn.CrossEntropyLoss()


def explicit_hessian(model, data, loss) -> np.ndarray:
    model = model.double()
    params = [p for p in model.parameters() if p.requires_grad]
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    shapes = [p.shape for p in params]
    sizes = [p.numel() for p in params]
    x, y = data

    def f(flat):
        pieces = flat.split(sizes)
        values = {n: piece.reshape(s) for n, piece, s in zip(names, pieces, shapes)}
        out = torch.func.functional_call(model, values, (x.double(),))
        return loss(out, y)

    flat = torch.cat([p.detach().reshape(-1) for p in params])
    return torch.autograd.functional.hessian(f, flat).numpy()


def test_hessian_vector_products_match_the_explicit_hessian() -> None:
    model, data, loss = small_problem()
    op = lt.hessian_operator(model, data, loss)
    h = explicit_hessian(*small_problem())
    assert op.shape == h.shape
    rng = np.random.default_rng(0)
    v = rng.standard_normal(op.dim)
    np.testing.assert_allclose(op.matvec(v), h @ v, rtol=0, atol=HVP_ROUNDOFF_REL * np.abs(h).sum())
    # The caller's model is untouched: still float32.
    assert next(model.parameters()).dtype == torch.float32


def test_top_eigenvalues_match_the_explicit_hessian_within_their_residuals() -> None:
    model, data, loss = small_problem()
    h = explicit_hessian(*small_problem())
    exact = np.linalg.eigvalsh((h + h.T) / 2)[::-1]
    r = lt.hessian(model, data, loss, k=3, max_matvecs=h.shape[0] + 3, seed=1)
    # Kahan's bound: an eigenvalue lies within the residual of each Ritz value (plus round-off).
    assert np.all(np.abs(r.eigenvalues - exact[:3]) <= r.residuals + HVP_ROUNDOFF_REL * np.abs(exact).max() * 10)


@pytest.mark.filterwarnings("ignore:.*torch.jit.script.*:DeprecationWarning")
def test_frozen_parameters_are_left_out_and_torchscript_is_refused() -> None:
    model, data, loss = small_problem()
    model[0].weight.requires_grad_(False)
    op = lt.hessian_operator(model, data, loss)
    assert op.dim == sum(p.numel() for p in model.parameters() if p.requires_grad)
    trace = landscape.hutchpp(op, n_matvecs=3 * op.dim, seed=0)
    h = np.array([op.matvec(e) for e in np.eye(op.dim)])
    assert abs(trace.estimate - np.trace(h)) < 1e-9 * np.abs(h).sum()
    with pytest.raises(ValueError, match="TorchScript"):
        lt.hessian_operator(torch.jit.script(torch.nn.Linear(2, 1)), data, loss)
