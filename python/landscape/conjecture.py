"""Conjectures as files: a claim in TOML answered ``supported``, ``refuted`` or ``inconclusive``.

The same engine as ``landscape conjecture check FILE.toml`` (the schema is ``docs/conjectures.md``)::

    import landscape.conjecture
    result = landscape.conjecture.check("conjectures/wishart_edge_limit.toml", scale="quick")
    result["verdict"], result["reason"]
    for point in result["points"]:
        point["grid"], point["estimate"], point["interval"], point["detectable"], point["seeds_needed"]

A claim can also be given as text (``check(text=..., name="mine.toml")``). The result is the dict the CLI prints
as JSON: ``claim``, ``verdict``, ``reason``, ``points`` (per grid point: ``estimate``, ``stderr``, ``interval``,
``prediction``, ``p_value``, ``detectable``, ``seeds_needed``, ...), plus ``file``, ``seed`` and ``version``.
Results do not depend on ``jobs``. With ``out``, each (grid point, size, seed) sample is stored in ``out/tasks``
as it finishes, and a rerun with the same ``out`` resumes where a killed one stopped.

Errors: ``ValueError`` for a bad file (located as ``file:line:column`` and naming the key) or bad arguments,
``RuntimeError`` for a sample that fails or a results folder that belongs to another claim.
"""

from __future__ import annotations

import json
import os
from typing import Any, Optional, Union

from . import _landscape

__all__ = ["check"]

_PathLike = Union[str, "os.PathLike[str]"]


def check(
    path: Optional[_PathLike] = None,
    *,
    text: Optional[str] = None,
    name: str = "conjecture.toml",
    scale: str = "quick",
    seed: int = 0,
    jobs: Optional[int] = None,
    out: Optional[_PathLike] = None,
) -> dict[str, Any]:
    """Runs a conjecture and returns its verdict and statistics (see the module's documentation).

    Give either ``path`` (a TOML file) or ``text`` (its contents; ``name`` then names it in errors and in the
    result). ``scale`` is ``"quick"`` (the file's ``[quick]`` sizes and seeds) or ``"full"``; ``seed`` the base
    seed; ``jobs`` the worker threads (default: the available cores).
    """
    if (path is None) == (text is None):
        raise ValueError("give exactly one of path (a conjecture file) and text (its TOML contents)")
    if not isinstance(scale, str):
        raise ValueError(f"invalid scale = {scale!r}: expected \"quick\" or \"full\"")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**64:
        raise ValueError(f"invalid seed = {seed!r}: expected an integer in [0, 2^64)")
    if jobs is None:
        jobs = os.cpu_count() or 1
    if isinstance(jobs, bool) or not isinstance(jobs, int) or not 1 <= jobs <= 4096:
        raise ValueError(f"invalid jobs = {jobs!r}: expected an integer in [1, 4096]")
    where = os.fspath(path) if path is not None else name
    store = os.fspath(out) if out is not None else None
    return json.loads(_landscape.conjecture_check(where, text, scale, seed, jobs, store))
