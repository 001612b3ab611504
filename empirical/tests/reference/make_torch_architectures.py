"""Writes the torch.nn modules equivalent to landscape's built-in CNN and ResNet, traced to TorchScript.

Usage: python make_torch_architectures.py OUT_DIR

Writes OUT_DIR/cnn.pt (channels 3,5 on 1x8x8 images, 4 outputs) and OUT_DIR/resnet.pt (depth 2, width 4 on 3x5x5
images, 3 outputs), both float64. `benches/hvp.py` imports `cnn` from here, so both describe the built-in CNN once. The Rust test (empirical/tests/torch_architectures.rs) checks that the built-in
models have the same parameter names, shapes and order, and that with the same parameters they give the same
outputs, loss, gradient and Hessian-vector products.
"""

import sys

import torch
from torch import nn

def cnn(channels, image, n_outputs):
    """conv3x3(padding 1) + ReLU + AvgPool2d(2) while both sides are >= 2, then Flatten and Linear."""
    c_prev, h, w = image
    layers = []
    for c in channels:
        layers += [nn.Conv2d(c_prev, c, 3, padding=1), nn.ReLU()]
        if h >= 2 and w >= 2:
            layers.append(nn.AvgPool2d(2))
            h, w = h // 2, w // 2
        c_prev = c
    layers += [nn.Flatten(), nn.Linear(c_prev * h * w, n_outputs)]
    return nn.Sequential(*layers)


class Block(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.conv1 = nn.Conv2d(width, width, 3, padding=1)
        self.conv2 = nn.Conv2d(width, width, 3, padding=1)

    def forward(self, h):
        return torch.relu(h + self.conv2(torch.relu(self.conv1(h))))


class ResNet(nn.Module):
    def __init__(self, depth, width, channels, n_outputs):
        super().__init__()
        self.stem = nn.Conv2d(channels, width, 3, padding=1)
        self.blocks = nn.ModuleList([Block(width) for _ in range(depth)])
        self.fc = nn.Linear(width, n_outputs)

    def forward(self, x):
        h = torch.relu(self.stem(x))
        for block in self.blocks:
            h = block(h)
        return self.fc(h.mean(dim=(2, 3)))


if __name__ == "__main__":
    out_dir = sys.argv[1]
    torch.manual_seed(7)
    for name, module, image in [
        ("cnn", cnn([3, 5], (1, 8, 8), 4), (1, 8, 8)),
        ("resnet", ResNet(2, 4, 3, 3), (3, 5, 5)),
    ]:
        module = module.double().eval()
        example = torch.randn(2, *image, dtype=torch.float64)
        torch.jit.trace(module, example).save(f"{out_dir}/{name}.pt")
