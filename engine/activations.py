"""Activation functions by name, in NumPy and in torch.

A :class:`engine.network.Network` stores one activation *name* per layer; this
module is the single registry that turns a name into a function. ``linear`` is the
identity (used for the output logits).
"""
from __future__ import annotations

import numpy as np
from scipy import special

from .errors import expected

_NUMPY = {
    "linear": lambda x: x,
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0.0),
    "sigmoid": special.expit,
    "sin": np.sin,
    "erf": special.erf,
}

ACTIVATIONS: tuple[str, ...] = tuple(_NUMPY)


def check_activation(name) -> str:
    """Return ``name`` if it is a known activation, else raise ``EngineError``."""
    if name not in _NUMPY:
        raise expected("activation", f"one of {list(ACTIVATIONS)}", name)
    return name


def apply(name: str, x: np.ndarray) -> np.ndarray:
    """``σ(x)`` elementwise for the activation called ``name``."""
    return _NUMPY[check_activation(name)](x)


def torch_module(name: str):
    """A ``torch.nn.Module`` computing the activation (``None`` for linear)."""
    import torch

    check_activation(name)
    if name == "linear":
        return None

    class _Fn(torch.nn.Module):
        def __init__(self, fn, label):
            super().__init__()
            self.fn, self.label = fn, label

        def forward(self, x):
            return self.fn(x)

        def extra_repr(self):
            return self.label

    table = {
        "tanh": torch.nn.Tanh,
        "relu": torch.nn.ReLU,
        "sigmoid": torch.nn.Sigmoid,
    }
    if name in table:
        return table[name]()
    return _Fn({"sin": torch.sin, "erf": torch.erf}[name], name)


def name_of_torch_module(module) -> str | None:
    """The registry name of a torch activation module, or ``None`` if it is not one."""
    import torch

    for cls, name in ((torch.nn.Tanh, "tanh"), (torch.nn.ReLU, "relu"), (torch.nn.Sigmoid, "sigmoid"),
                      (torch.nn.Identity, "linear")):
        if isinstance(module, cls):
            return name
    label = getattr(module, "label", None)
    return label if label in _NUMPY else None
