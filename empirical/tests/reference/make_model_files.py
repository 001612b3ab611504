#!/usr/bin/env python3
"""The model files people save, one of each kind, for `landscape_empirical::model_file` (which tells them apart
without libtorch) and the CLI's messages. A 4-3-2 tanh MLP, seed 0.

  script.pt   torch.jit.script(model).save(...)        TorchScript (what landscape loads)
  trace.pt    torch.jit.trace(model, x).save(...)      TorchScript
  state.pth   torch.save(model.state_dict(), ...)      a state dict (zip)
  pickled.pt  torch.save(model, ...)                   a pickled module (zip)
  legacy.pt   torch.save(..., _use_new_zipfile_serialization=False)   a pre-1.6 pickle
  export.pt2  torch.export.save(torch.export.export(model, (x,)), ...)  an ExportedProgram archive

Run: .venv/bin/python empirical/tests/reference/make_model_files.py   (torch 2.13, from scripts/setup-torch.sh)
"""
import os

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "model_files")

if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh(), torch.nn.Linear(3, 2))
    x = torch.randn(2, 4)
    torch.jit.script(model).save(os.path.join(OUT, "script.pt"))
    torch.jit.trace(model, x).save(os.path.join(OUT, "trace.pt"))
    torch.save(model.state_dict(), os.path.join(OUT, "state.pth"))
    torch.save(model, os.path.join(OUT, "pickled.pt"))
    torch.save(model.state_dict(), os.path.join(OUT, "legacy.pt"), _use_new_zipfile_serialization=False)
    torch.export.save(torch.export.export(model, (x,)), os.path.join(OUT, "export.pt2"))
