"""A multilayer perceptron as plain arrays, and its safe file format.

``Network`` is the object every page and physics module works on: an ordered stack
of dense layers following torch's convention (``weights[l]`` has shape
``(n_out, n_in)``, ``h_{l+1} = weights[l] @ s_l + biases[l]``) with one activation
name per layer. It is NumPy only; torch is imported lazily by the two converters.

Files are data, never code. A model is a ``.safetensors`` file (tensors
``layers.{l}.weight`` / ``layers.{l}.bias`` plus string metadata with the
activations) and a JSON card beside it (``name.json``) describing architecture,
data set, seed, epochs, measured accuracies and provenance. Pickles
(``torch.save`` files) are recognised and refused, never unpickled.
A plain ``torch.nn.Sequential`` state dict saved with
``safetensors.torch.save_file`` (keys ``0.weight``, ``0.bias``, ``2.weight`` ...)
is accepted too, with the activation taken from the card or given by the caller.
"""
from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import activations as act
from .errors import EngineError, expected
from .random import as_generator
from .validation import fraction as _fraction, integer

#: Uploads and files larger than this are refused before they are parsed.
MAX_MODEL_BYTES = 50 * 1024 * 1024
#: Layers wider than this are refused (the lab is for small MLPs).
MAX_WIDTH = 4096

_FORMAT = "nn-physics-lab/network/1"


@dataclass
class Network:
    """An MLP: ``weights[l]`` (n_out, n_in) float64, ``biases[l]`` (n_out,), ``activations[l]``.

    ``activations[l]`` is applied after layer ``l``; the last is usually ``"linear"``
    (logits). ``card`` holds the model's JSON card (free-form, JSON-serialisable).
    Construction validates shapes, finiteness and activation names.
    """

    weights: list
    biases: list
    activations: list
    card: dict = field(default_factory=dict)

    def __post_init__(self):
        if len(self.weights) == 0:
            raise expected("weights", "at least one layer", "an empty list")
        if len(self.biases) != len(self.weights):
            raise expected("biases", f"one per layer ({len(self.weights)})", f"{len(self.biases)}")
        if isinstance(self.activations, str):
            self.activations = [self.activations] * (len(self.weights) - 1) + ["linear"]
        if len(self.activations) != len(self.weights):
            raise expected("activations", f"one per layer ({len(self.weights)})", f"{len(self.activations)}")
        ws, bs = [], []
        for l, (w, b) in enumerate(zip(self.weights, self.biases)):
            w = _finite(f"weights[{l}]", w, 2)
            b = _finite(f"biases[{l}]", b, 1)
            if b.shape[0] != w.shape[0]:
                raise expected(f"biases[{l}]", f"shape ({w.shape[0]},) to match weights[{l}] {w.shape}", f"{b.shape}")
            if l > 0 and w.shape[1] != ws[-1].shape[0]:
                raise expected(f"weights[{l}]", f"{ws[-1].shape[0]} inputs (the outputs of layer {l - 1})",
                               f"shape {w.shape}")
            if max(w.shape) > MAX_WIDTH:
                raise expected(f"weights[{l}]", f"layers at most {MAX_WIDTH} wide", f"shape {w.shape}")
            ws.append(w)
            bs.append(b)
        self.weights, self.biases = ws, bs
        self.activations = [act.check_activation(a) for a in self.activations]
        self.card = dict(self.card or {})

    # ------------------------------------------------------------------ shape
    @property
    def widths(self) -> list[int]:
        """Neurons per layer, input first: ``[n_0, n_1, ..., n_L]``."""
        return [self.weights[0].shape[1]] + [w.shape[0] for w in self.weights]

    @property
    def n_layers(self) -> int:
        """Number of weight layers L."""
        return len(self.weights)

    @property
    def n_params(self) -> int:
        return int(sum(w.size + b.size for w, b in zip(self.weights, self.biases)))

    @property
    def n_neurons(self) -> int:
        """All neurons including inputs and outputs (= spins of the Ising mapping)."""
        return int(sum(self.widths))

    @property
    def name(self) -> str:
        return str(self.card.get("name", "unnamed"))

    def digest(self) -> str:
        """A short content hash of the weights, biases and activations (cache keys, provenance)."""
        import hashlib

        h = hashlib.sha256(json.dumps(self.activations).encode())
        for w, b in zip(self.weights, self.biases):
            h.update(np.ascontiguousarray(w).tobytes())
            h.update(np.ascontiguousarray(b).tobytes())
        return h.hexdigest()[:16]

    def describe(self) -> str:
        """``64-32-10 tanh`` style one-line description."""
        hidden = sorted(set(self.activations[:-1])) or [self.activations[-1]]
        return "-".join(map(str, self.widths)) + " " + "/".join(hidden)

    # ------------------------------------------------------------ computation
    def forward(self, X, *, return_hidden: bool = False):
        """Outputs for inputs ``X`` (B, n_0) -> (B, n_L); optionally every layer's post-activations."""
        h = _finite("X", X, None)
        one = h.ndim == 1
        h = np.atleast_2d(h)
        if h.shape[1] != self.widths[0]:
            raise expected("X", f"{self.widths[0]} features per row", f"shape {h.shape}")
        hidden = [h]
        for w, b, a in zip(self.weights, self.biases, self.activations):
            h = act.apply(a, h @ w.T + b)
            hidden.append(h)
        out = h[0] if one else h
        return (out, hidden) if return_hidden else out

    def predict(self, X) -> np.ndarray:
        """Class index (argmax of the outputs) per row."""
        return np.argmax(np.atleast_2d(self.forward(X)), axis=1)

    def accuracy(self, X, y) -> float:
        return float(np.mean(self.predict(X) == np.asarray(y)))

    # -------------------------------------------------------------- variants
    def copy(self, **card_updates) -> "Network":
        net = Network([w.copy() for w in self.weights], [b.copy() for b in self.biases],
                      list(self.activations), copy.deepcopy(self.card))
        net.card.update(card_updates)
        return net

    def shuffled(self, fraction: float = 1.0, seed=None) -> "Network":
        """The untrained control: permute a random ``fraction`` of all weights among themselves.

        All layers' weights are pooled; ``round(fraction * n)`` positions are chosen
        uniformly and their values permuted uniformly at random, so the multiset of
        weights (the weight distribution) is kept exactly while its arrangement is
        destroyed. Biases are untouched. ``fraction = 1`` is a full shuffle
        (Stosic et al. 2022, PHYSICS.md section 1).
        """
        f = _fraction("fraction", fraction)
        rng = as_generator(seed)
        flat = np.concatenate([w.ravel() for w in self.weights])
        k = int(round(f * flat.size))
        if k > 1:
            pos = rng.choice(flat.size, size=k, replace=False)
            flat[pos] = flat[rng.permutation(pos)]
        ws, start = [], 0
        for w in self.weights:
            ws.append(flat[start:start + w.size].reshape(w.shape))
            start += w.size
        card = copy.deepcopy(self.card)
        card["name"] = f"{self.name} shuffled f={f:g}"
        card["shuffled_fraction"] = f
        card["parent"] = self.name
        return Network(ws, [b.copy() for b in self.biases], list(self.activations), card)

    def first_layers(self, b: int) -> "Network":
        """The sub-network made of the first ``b`` weight layers (1 <= b <= L)."""
        b = integer("b", b, low=1, high=self.n_layers)
        card = copy.deepcopy(self.card)
        card["name"] = f"{self.name} first {b}" if b < self.n_layers else self.name
        card["parent"] = self.name
        return Network([w.copy() for w in self.weights[:b]], [x.copy() for x in self.biases[:b]],
                       list(self.activations[:b]), card)

    # ---------------------------------------------------------------- random
    @classmethod
    def random(cls, widths, activation: str = "tanh", *, weight_variance: float = 1.0,
               bias_variance: float = 0.0, seed=None, name: str | None = None) -> "Network":
        """Random MLP, ``W_ij ~ N(0, weight_variance / fan_in)``, ``b_i ~ N(0, bias_variance)``.

        Hidden layers use ``activation``; the last layer is linear.
        """
        widths = [integer("widths[i]", w, low=1, high=MAX_WIDTH) for w in widths]
        if len(widths) < 2:
            raise expected("widths", "at least two layer sizes", widths)
        rng = as_generator(seed)
        ws, bs = [], []
        for n_in, n_out in zip(widths[:-1], widths[1:]):
            ws.append(rng.normal(0.0, np.sqrt(weight_variance / n_in), size=(n_out, n_in)))
            bs.append(rng.normal(0.0, np.sqrt(bias_variance), size=n_out) if bias_variance > 0 else np.zeros(n_out))
        acts = [activation] * (len(ws) - 1) + ["linear"]
        card = {"name": name or f"random {'-'.join(map(str, widths))}", "provenance": "random initialisation",
                "weight_variance": float(weight_variance), "bias_variance": float(bias_variance)}
        return cls(ws, bs, acts, card)

    # ----------------------------------------------------------------- torch
    @classmethod
    def from_torch(cls, module, card: dict | None = None) -> "Network":
        """From a ``torch.nn.Sequential`` of ``Linear`` and activation modules."""
        import torch

        modules = list(module.children()) if isinstance(module, torch.nn.Sequential) else [module]
        ws, bs, acts = [], [], []
        for m in modules:
            if isinstance(m, torch.nn.Linear):
                ws.append(m.weight.detach().cpu().double().numpy().copy())
                bs.append(m.bias.detach().cpu().double().numpy().copy() if m.bias is not None
                          else np.zeros(m.out_features))
                acts.append("linear")
            else:
                name = act.name_of_torch_module(m)
                if name is None:
                    raise expected("module", "only Linear layers and tanh/relu/sigmoid/sin/erf activations",
                                   type(m).__name__)
                if not ws:
                    raise expected("module", "a Linear layer first", type(m).__name__)
                acts[-1] = name
        if not ws:
            raise expected("module", "at least one torch.nn.Linear", type(module).__name__)
        return cls(ws, bs, acts, card or {})

    def to_torch(self, dtype=None):
        """A ``torch.nn.Sequential`` computing the same function (``dtype`` default float32)."""
        import torch

        dtype = dtype or torch.float32
        layers = []
        for w, b, a in zip(self.weights, self.biases, self.activations):
            lin = torch.nn.Linear(w.shape[1], w.shape[0], dtype=dtype)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(w))
                lin.bias.copy_(torch.from_numpy(b))
            layers.append(lin)
            m = act.torch_module(a)
            if m is not None:
                layers.append(m)
        return torch.nn.Sequential(*layers)

    # ----------------------------------------------------------------- files
    def to_safetensors_bytes(self) -> bytes:
        """The model as ``.safetensors`` bytes (float32 where exact, else float64)."""
        from safetensors.numpy import save

        tensors = {}
        for l, (w, b) in enumerate(zip(self.weights, self.biases)):
            tensors[f"layers.{l}.weight"] = _compact(w)
            tensors[f"layers.{l}.bias"] = _compact(b)
        meta = {"format": _FORMAT, "activations": json.dumps(self.activations), "name": self.name}
        return save(tensors, metadata=meta)

    def card_json(self) -> str:
        """The JSON card, with the architecture fields filled in from the arrays."""
        card = dict(self.card)
        card.update(widths=self.widths, activations=self.activations, n_params=self.n_params,
                    format=_FORMAT)
        return json.dumps(card, indent=2, sort_keys=True, default=_json_default)

    def save(self, path) -> Path:
        """Write ``path`` (.safetensors) and the card beside it (same stem, .json)."""
        path = Path(path)
        if path.suffix != ".safetensors":
            path = path.with_suffix(".safetensors")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.to_safetensors_bytes())
        path.with_suffix(".json").write_text(self.card_json() + "\n")
        return path

    @classmethod
    def load(cls, path, *, activation: str | None = None) -> "Network":
        """Read ``path`` (.safetensors) and its JSON card if present."""
        path = Path(path)
        if not path.exists():
            raise expected("path", "an existing .safetensors file", str(path))
        size = path.stat().st_size
        if size > MAX_MODEL_BYTES:
            raise expected("model file", f"at most {MAX_MODEL_BYTES // 2**20} MB", f"{size / 2**20:.1f} MB")
        card_path = path.with_suffix(".json")
        card = card_path.read_bytes() if card_path.exists() else None
        try:
            return cls.from_bytes(path.read_bytes(), card, activation=activation)
        except EngineError as e:
            raise EngineError(f"{path.name}: {e}") from e

    @classmethod
    def from_bytes(cls, data: bytes, card: bytes | str | dict | None = None, *,
                   activation: str | None = None) -> "Network":
        """Parse an uploaded ``.safetensors`` (+ optional JSON card) without running any code.

        ``activation`` is the hidden-layer activation to use when neither the file's
        metadata nor the card names the activations (plain torch state dicts).
        """
        if len(data) > MAX_MODEL_BYTES:
            raise expected("model file", f"at most {MAX_MODEL_BYTES // 2**20} MB", f"{len(data) / 2**20:.1f} MB")
        _refuse_pickle(data)
        card_dict = _parse_card(card)
        try:
            from safetensors.numpy import load
            tensors = load(bytes(data))
            meta = _safetensors_metadata(data)
        except Exception as e:  # the parser's own error types vary by version
            raise expected("model file", "a valid .safetensors file", f"unreadable data ({e})") from e
        weights, biases = _layers_from_tensors(tensors)
        acts = None
        if meta.get("activations"):
            acts = _json_list("activations (file metadata)", meta["activations"])
        elif card_dict.get("activations"):
            acts = card_dict["activations"]
        elif activation is not None:
            acts = [activation] * (len(weights) - 1) + ["linear"]
        else:
            raise expected("activations", "named in the file metadata, the JSON card, or chosen by you",
                           "a file that does not say which activation it uses")
        if card_dict.get("widths") and list(card_dict["widths"]) != [weights[0].shape[1]] + [w.shape[0] for w in weights]:
            raise expected("card widths", f"{[weights[0].shape[1]] + [w.shape[0] for w in weights]} (the file's shapes)",
                           card_dict["widths"])
        card_dict.setdefault("name", meta.get("name", "uploaded model"))
        return cls(weights, biases, acts, card_dict)


# ---------------------------------------------------------------- helpers
def _finite(name, value, ndim):
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise EngineError(f"`{name}` must be numeric, got {type(value).__name__}") from e
    if ndim is not None and arr.ndim != ndim:
        raise expected(name, f"a {ndim}-d array", f"shape {arr.shape}")
    if arr.size == 0:
        raise expected(name, "non-empty", f"shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = int(arr.size - np.count_nonzero(np.isfinite(arr)))
        raise expected(name, "finite (no NaN or inf)", f"{bad} non-finite values")
    return np.ascontiguousarray(arr)


def _compact(a: np.ndarray) -> np.ndarray:
    a32 = a.astype(np.float32)
    return a32 if np.array_equal(a32.astype(np.float64), a) else a


_PICKLE_MAGIC = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")


def _refuse_pickle(data: bytes):
    head = bytes(data[:4])
    if head.startswith(b"PK\x03\x04") or head[:2] in _PICKLE_MAGIC:
        raise expected("model file", "a .safetensors file",
                       "a PyTorch/pickle file (.pt/.pth/.pkl). Pickles can run code and are never loaded here; "
                       "export with safetensors.torch.save_file(model.state_dict(), 'model.safetensors')")


def _safetensors_metadata(data: bytes) -> dict:
    n = int.from_bytes(bytes(data[:8]), "little")
    header = json.loads(bytes(data[8:8 + n]))
    return dict(header.get("__metadata__") or {})


def _parse_card(card) -> dict:
    if card is None:
        return {}
    if isinstance(card, dict):
        return copy.deepcopy(card)
    try:
        parsed = json.loads(card)
    except (ValueError, UnicodeDecodeError) as e:
        raise expected("card", "a JSON object", f"invalid JSON ({e})") from e
    if not isinstance(parsed, dict):
        raise expected("card", "a JSON object", type(parsed).__name__)
    return parsed


def _json_list(name, text):
    try:
        out = json.loads(text)
    except ValueError as e:
        raise expected(name, "a JSON list", text) from e
    if not isinstance(out, list):
        raise expected(name, "a JSON list", text)
    return out


_KEY = re.compile(r"^(?:(?P<prefix>.*?)\.)?(?P<index>\d+)\.(?P<kind>weight|bias)$")


def _layers_from_tensors(tensors: dict):
    """Order the tensors into layers: ``layers.{l}.weight`` or torch's ``{i}.weight``."""
    if not tensors:
        raise expected("model file", "at least one weight tensor", "an empty file")
    found: dict[int, dict] = {}
    for key, value in tensors.items():
        m = _KEY.match(key)
        if m is None:
            raise expected("tensor names", "'layers.<l>.weight' / '.bias' or torch's '<i>.weight' / '.bias'", key)
        found.setdefault(int(m["index"]), {})[m["kind"]] = value
    weights, biases = [], []
    for idx in sorted(found):
        entry = found[idx]
        if "weight" not in entry:
            raise expected("model file", f"a weight for layer {idx}", f"only {sorted(entry)}")
        w = entry["weight"]
        weights.append(w)
        biases.append(entry.get("bias", np.zeros(w.shape[0] if w.ndim == 2 else 1)))
    return weights, biases


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
