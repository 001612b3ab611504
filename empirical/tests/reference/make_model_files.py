#!/usr/bin/env python3
"""The model files people save, one of each kind, for `landscape_empirical::model_file` (which tells them apart
without libtorch) and the CLI's messages. A 4-3-2 tanh MLP, seed 0.

  script.pt   torch.jit.script(model).save(...)        TorchScript (what landscape loads)
  trace.pt    torch.jit.trace(model, x).save(...)      TorchScript
  vgg_mini_w16_trained200.pt   the same trace saved under this name (an archive layout a zip reader misread)
  state.pth   torch.save(model.state_dict(), ...)      a state dict (zip)
  pickled.pt  torch.save(model, ...)                   a pickled module (zip)
  legacy.pt   torch.save(..., _use_new_zipfile_serialization=False)   a pre-1.6 pickle
  export.pt2  torch.export.save(torch.export.export(model, (x,)), ...)  an ExportedProgram archive
  tuple_out.pt    TorchScript of the same model returning (logits, hidden)
  dict_out.pt     TorchScript returning {"hidden": ..., "logits": ...}
  dict_keys.pt    TorchScript returning {"a": logits, "b": hidden} (no `logits` key: --output must choose)
  tiny.npz        x [6, 4] float32, y [6] int64 in {0, 1}: data these models fit
  bn_traced.pt    Linear-BatchNorm-Tanh-Linear traced in eval mode (its training flag frozen at False)
  bn_scripted.pt  the same module scripted (train() and eval() differ)
  dropout.pt      Linear-Dropout(0.5)-Tanh-Linear, scripted (a new mask on every forward pass in train mode)
  casts_float.pt  the 4-3-2 model scripted behind a forward that casts its input, self.model(x.float())
  frozen.pt       the 4-3-2 model scripted with its first layer frozen (requires_grad=False), and
  frozen.json     its trainable/frozen counts and the top eigenvalue of the mean cross-entropy Hessian on tiny.npz
                  over the trainable parameters only (dense torch.autograd.functional.hessian, float64)

Run: .venv/bin/python empirical/tests/reference/make_model_files.py   (torch 2.13, from scripts/setup-torch.sh)
"""
import json
import os
from typing import Dict, Tuple

import numpy as np
import torch

class TupleOut(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x) -> Tuple[torch.Tensor, torch.Tensor]:
        return self.model(x), self.model[0](x)


class DictOut(torch.nn.Module):
    def __init__(self, model, logits_key: str, hidden_key: str):
        super().__init__()
        self.model = model
        self.logits_key = logits_key
        self.hidden_key = hidden_key

    def forward(self, x) -> Dict[str, torch.Tensor]:
        return {self.hidden_key: self.model[0](x), self.logits_key: self.model(x)}


class CastsFloat(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x.float())


OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "model_files")

if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh(), torch.nn.Linear(3, 2))
    x = torch.randn(2, 4)
    torch.jit.script(model).save(os.path.join(OUT, "script.pt"))
    torch.jit.trace(model, x).save(os.path.join(OUT, "trace.pt"))
    # The same trace under a name whose archive layout made the zip crate's automatic archive-offset detection
    # misread torch's central directory ("Invalid Central Directory header"), although torch reads it.
    torch.jit.trace(model, x).save(os.path.join(OUT, "vgg_mini_w16_trained200.pt"))
    torch.save(model.state_dict(), os.path.join(OUT, "state.pth"))
    torch.save(model, os.path.join(OUT, "pickled.pt"))
    torch.save(model.state_dict(), os.path.join(OUT, "legacy.pt"), _use_new_zipfile_serialization=False)
    torch.export.save(torch.export.export(model, (x,)), os.path.join(OUT, "export.pt2"))
    torch.jit.script(TupleOut(model)).save(os.path.join(OUT, "tuple_out.pt"))
    torch.jit.script(DictOut(model, "logits", "hidden")).save(os.path.join(OUT, "dict_out.pt"))
    torch.jit.script(DictOut(model, "a", "b")).save(os.path.join(OUT, "dict_keys.pt"))
    bn = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3), torch.nn.Tanh(), torch.nn.Linear(3, 2))
    bn.eval()
    torch.jit.trace(bn, x).save(os.path.join(OUT, "bn_traced.pt"))
    torch.jit.script(bn).save(os.path.join(OUT, "bn_scripted.pt"))
    dropout = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Dropout(0.5), torch.nn.Tanh(), torch.nn.Linear(3, 2))
    torch.jit.script(dropout).save(os.path.join(OUT, "dropout.pt"))
    torch.jit.script(CastsFloat(model)).save(os.path.join(OUT, "casts_float.pt"))
    rng = np.random.default_rng(0)
    tiny_x = rng.standard_normal((6, 4)).astype(np.float32)
    tiny_y = np.array([0, 1, 0, 1, 1, 0], dtype=np.int64)
    np.savez(os.path.join(OUT, "tiny.npz"), x=tiny_x, y=tiny_y)
    frozen = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh(), torch.nn.Linear(3, 2))
    for p in frozen[0].parameters():
        p.requires_grad_(False)
    torch.jit.script(frozen).save(os.path.join(OUT, "frozen.pt"))
    f64 = frozen.double()
    xs, ys = torch.from_numpy(tiny_x).double(), torch.from_numpy(tiny_y)
    trainable = [(n, p) for n, p in f64.named_parameters() if p.requires_grad]
    shapes = [p.shape for _, p in trainable]

    def loss_of(flat):
        params, at = {}, 0
        for (name, _), shape in zip(trainable, shapes):
            k = int(np.prod(shape))
            params[name] = flat[at:at + k].reshape(shape)
            at += k
        out = torch.func.functional_call(f64, params, (xs,))
        return torch.nn.functional.cross_entropy(out, ys)

    theta = torch.cat([p.detach().reshape(-1) for _, p in trainable])
    hessian = torch.autograd.functional.hessian(loss_of, theta)
    with open(os.path.join(OUT, "frozen.json"), "w") as f:
        json.dump({"trainable": int(theta.numel()),
                   "frozen": int(sum(p.numel() for p in f64.parameters() if not p.requires_grad)),
                   "top_eigenvalue": float(torch.linalg.eigvalsh(hessian)[-1])}, f, indent=1)
