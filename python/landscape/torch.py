"""Hessian spectra of PyTorch models: Hessian-vector products by ``torch.autograd``, estimators from Rust.

The Hessian is that of ``loss(model(inputs), targets)`` with respect to the model's trainable parameters (those
with ``requires_grad``), flattened in ``model.parameters()`` order. The model is evaluated in float64 on a copy,
so the caller's model is left untouched. One gradient is formed with ``create_graph=True`` and retained; each
product ``H v`` is then one backward pass through it (Pearlmutter 1994)::

    g = ∇_θ L(θ),    H v = ∇_θ ⟨g, v⟩.

Any ``torch.nn.Module`` works (not TorchScript modules, whose graphs are not differentiable twice in general).
torch is an optional dependency: importing this module without it raises ``ImportError``.
"""

from __future__ import annotations

import copy
from typing import Any, Callable, Optional, Tuple

import numpy as np
import torch as _torch

import landscape as _landscape_pkg

__all__ = ["HessianOperator", "hessian", "hessian_operator"]


class HessianOperator:
    """The Hessian of a loss at a model's parameters as a matrix-free symmetric operator.

    ``matvec(v)`` (also ``op(v)``) takes and returns 1-D float64 numpy arrays of length ``dim`` (the number of
    trainable parameters); ``shape`` is ``(dim, dim)``, so the object is accepted wherever :mod:`landscape` takes
    an operator (and by ``scipy.sparse.linalg.aslinearoperator``). ``n_products`` counts the products made.
    """

    def __init__(self, model: _torch.nn.Module, data: Tuple[Any, Any], loss: Callable[[Any, Any], Any]):
        if isinstance(model, _torch.jit.ScriptModule):
            raise ValueError("invalid model = a TorchScript module: expected a torch.nn.Module "
                             "(TorchScript graphs are not differentiable twice in general)")
        if not isinstance(model, _torch.nn.Module):
            raise ValueError(f"invalid model = {type(model).__name__}: expected a torch.nn.Module")
        if not (isinstance(data, (tuple, list)) and len(data) == 2):
            raise ValueError("invalid data: expected a pair (inputs, targets)")
        self._model = copy.deepcopy(model).to(dtype=_torch.float64)
        self._params = [p for p in self._model.parameters() if p.requires_grad]
        if not self._params:
            raise ValueError("invalid model: expected at least one trainable parameter (requires_grad=True)")
        device = self._params[0].device
        inputs, targets = (_as_tensor(t, device) for t in data)
        value = loss(self._model(inputs), targets)
        if not (isinstance(value, _torch.Tensor) and value.numel() == 1):
            raise ValueError("invalid loss: expected a callable returning a scalar tensor")
        value = value.reshape(())
        #: The loss at the parameters.
        self.loss_value: float = float(value.detach().cpu())
        grads = _torch.autograd.grad(value, self._params, create_graph=True, allow_unused=True)
        self._device = device
        self._sizes = [p.numel() for p in self._params]
        #: The gradient ∇L at the parameters, flattened like the products.
        self.gradient = np.concatenate(
            [(g.detach() if g is not None else _torch.zeros_like(p)).reshape(-1).cpu().numpy()
             for g, p in zip(grads, self._params)]
        )
        # Gradient entries that do not depend on the parameters contribute zero rows of H and need no backward.
        self._live = [i for i, g in enumerate(grads) if g is not None and g.requires_grad]
        self._grads = [grads[i] for i in self._live]
        self.dim: int = sum(self._sizes)
        self.shape: Tuple[int, int] = (self.dim, self.dim)
        self.dtype = np.dtype(np.float64)
        self.n_products: int = 0

    def matvec(self, v: np.ndarray) -> np.ndarray:
        """``H v`` for a 1-D array ``v`` of length ``dim``."""
        v = np.asarray(v, dtype=np.float64).reshape(-1)
        if v.shape[0] != self.dim:
            raise ValueError(f"invalid v: length {v.shape[0]}: expected length {self.dim}")
        self.n_products += 1
        if not self._live:
            return np.zeros(self.dim)
        pieces = _torch.from_numpy(v).to(self._device).split(self._sizes)
        directions = [pieces[i].reshape(self._params[i].shape) for i in self._live]
        products = _torch.autograd.grad(
            self._grads,
            self._params,
            grad_outputs=directions,
            retain_graph=True,
            allow_unused=True,
        )
        return np.concatenate(
            [(h.detach() if h is not None else _torch.zeros_like(p)).reshape(-1).cpu().numpy()
             for h, p in zip(products, self._params)]
        )

    __call__ = matvec

    def __repr__(self) -> str:
        return f"landscape.torch.HessianOperator(dim={self.dim}, loss={self.loss_value:.6g})"


def _as_tensor(value: Any, device: _torch.device) -> _torch.Tensor:
    """``value`` as a tensor on ``device``; floating point data become float64, integer labels stay integers."""
    tensor = value if isinstance(value, _torch.Tensor) else _torch.as_tensor(np.asarray(value))
    tensor = tensor.to(device)
    return tensor.to(_torch.float64) if tensor.is_floating_point() else tensor


def hessian_operator(model: _torch.nn.Module, data: Tuple[Any, Any],
                     loss: Callable[[Any, Any], Any]) -> HessianOperator:
    """The Hessian of ``loss(model(inputs), targets)`` over the trainable parameters, as an operator for
    :func:`landscape.lanczos`, :func:`landscape.slq`, :func:`landscape.hutchpp` and scipy.

    ``data`` is a pair ``(inputs, targets)`` (tensors or array-likes; floating point ones become float64);
    ``loss`` is any callable returning a scalar tensor, e.g. ``torch.nn.MSELoss()``.
    """
    return HessianOperator(model, data, loss)


def hessian(
    model: _torch.nn.Module,
    data: Tuple[Any, Any],
    loss: Callable[[Any, Any], Any],
    *,
    k: int = 1,
    which: str = "largest",
    tol: float = 1e-8,
    max_matvecs: Optional[int] = None,
    seed: int = 0,
    return_eigenvectors: bool = False,
) -> _landscape_pkg.LanczosResult:
    """The ``k`` extreme eigenvalues of the loss Hessian of a PyTorch model by :func:`landscape.lanczos`.

    Arguments after ``loss`` are those of :func:`landscape.lanczos`; eigenvectors, when requested, are in the
    flattened order of the trainable parameters.

    >>> import torch, landscape.torch  # doctest: +SKIP
    >>> model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))  # doctest: +SKIP
    >>> x, y = torch.randn(32, 4), torch.randn(32, 1)  # doctest: +SKIP
    >>> landscape.torch.hessian(model, (x, y), torch.nn.MSELoss(), k=3).eigenvalues  # doctest: +SKIP
    """
    op = HessianOperator(model, data, loss)
    return _landscape_pkg.lanczos(
        op,
        k=k,
        which=which,
        tol=tol,
        max_matvecs=max_matvecs,
        seed=seed,
        return_eigenvectors=return_eigenvectors,
    )

