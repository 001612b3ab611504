"""Writes a traced TorchScript MLP and PyTorch's own curvature products for the round-trip test.

Usage: python make_torchscript_mlp.py OUT_DIR

Writes OUT_DIR/mlp.pt (torch.jit.trace of a float64 nn.Sequential) and OUT_DIR/reference.json with the inputs,
labels, flat parameters (named_parameters order), outputs, the mean cross-entropy loss, its gradient, the
Hessian-vector product (torch.autograd.functional.hvp) and the Gauss-Newton product (torch.func jvp/vjp) for a
fixed vector v. Run by empirical/tests/torch_curvature.rs with the torch feature.
"""

import json
import math
import sys

import torch
from torch.func import functional_call, jvp, vjp

out_dir = sys.argv[1]
torch.manual_seed(1234)
model = torch.nn.Sequential(
    torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3)
).double()
n = 7
x = torch.randn(n, 4, dtype=torch.float32)
y = torch.tensor([0, 2, 1, 1, 0, 2, 2], dtype=torch.int64)
traced = torch.jit.trace(model, x.double())
traced.save(f"{out_dir}/mlp.pt")

names = [k for k, _ in model.named_parameters()]
shapes = [p.shape for _, p in model.named_parameters()]
theta = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
n_params = theta.numel()
v = torch.tensor([math.sin(1.0 + i) for i in range(n_params)], dtype=torch.float64)
xd = x.double()


def unflatten(flat):
    out, offset = {}, 0
    for name, shape in zip(names, shapes):
        k = math.prod(shape)
        out[name] = flat[offset : offset + k].reshape(shape)
        offset += k
    return out


def outputs(flat):
    return functional_call(model, unflatten(flat), (xd,))


def loss_of_outputs(z):
    return torch.nn.functional.cross_entropy(z, y)


def loss(flat):
    return loss_of_outputs(outputs(flat))


value = loss(theta)
t = theta.clone().requires_grad_(True)
grad = torch.autograd.grad(loss(t), t)[0]
_, hv = torch.autograd.functional.hvp(loss, theta, v)
z, jv = jvp(outputs, (theta,), (v,))
_, hl_jv = torch.autograd.functional.hvp(loss_of_outputs, z, jv)
_, vjp_fn = vjp(outputs, theta)
gv = vjp_fn(hl_jv)[0]

json.dump(
    {
        "torch_version": torch.__version__,
        "names": names,
        "x": x.reshape(-1).tolist(),
        "y": y.tolist(),
        "theta": theta.tolist(),
        "outputs": outputs(theta).detach().reshape(-1).tolist(),
        "loss": value.item(),
        "grad": grad.tolist(),
        "v": v.tolist(),
        "hv": hv.tolist(),
        "gv": gv.tolist(),
    },
    open(f"{out_dir}/reference.json", "w"),
)
