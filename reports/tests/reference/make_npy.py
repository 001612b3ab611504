"""Reference .npy files for reports/src/data.rs, written by numpy itself.

Run: python3 make_npy.py > npy_reference.json   (numpy 2.4.6 was used)
Each case holds the shape, the values (C order) and the hex of np.save's output.
"""
import io
import json

import numpy as np

cases = [
    ("matrix_2x3", np.array([[1.0, 2.0, 3.0], [4.0, 5.0, -0.5]])),
    ("vector_3", np.array([0.1, -2.5e-300, 7.0e17])),
    ("empty_0x3", np.zeros((0, 3))),
    ("special", np.array([[np.inf, -np.inf], [-0.0, 1.0 / 3.0]])),
]
out = []
for name, arr in cases:
    buf = io.BytesIO()
    np.save(buf, arr)
    out.append({
        "name": name,
        "shape": list(arr.shape),
        # inf cannot go into strict JSON: store the bit patterns.
        "bits": [int(v) for v in arr.astype("<f8").ravel().view("<u8")],
        "npy_hex": buf.getvalue().hex(),
    })
print(json.dumps({"numpy_version": np.__version__, "cases": out}, indent=1))
