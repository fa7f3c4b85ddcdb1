"""A network as a spin system: the Ising model of an MLP, or of any coupling graph.

Stosic, Stosic & Stosic, "Ising models of deep neural networks", arXiv:2209.08678
(PHYSICS.md section 1): every neuron of every layer (inputs and outputs included) is a
spin s = ±1, the couplings are the raw weights, only consecutive layers couple::

    E(s) = - Σ_l s_{l+1}ᵀ W_l s_l  [ - Σ_l b_lᵀ s_{l+1}  with fields=True ]

Spins are ordered layer by layer, input layer first. A layered model keeps each
``W_l`` and its transpose as C-contiguous float64 arrays so that kernels stream rows
in both directions; every model (layered or not) also carries a symmetric CSR
adjacency ``(indptr, indices, data)`` for the generic single-spin kernels.

``IsingModel.from_couplings(J, h)`` takes any graph:
``E(s) = - Σ_{i<j} J_ij s_i s_j - Σ_i h_i s_i`` with ``J`` symmetric, zero diagonal.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .errors import EngineError, expected
from .validation import finite_array

#: Models larger than this are refused (memory for CSR and kernels).
MAX_SPINS = 200_000


class IsingModel:
    """Couplings and fields of an Ising model; spins are int8 ±1 in storage.

    Attributes
    ----------
    n_spins : N.
    fields : (N,) float64, ``h``.
    layer_sizes : ``[n_0, ..., n_L]`` for a layered model, else ``None``.
    layer_weights, layer_weights_t : ``W_l`` (n_{l+1}, n_l) and ``W_lᵀ``, C-contiguous (layered only).
    offsets : (L+2,) int64, spins of layer k are ``offsets[k]:offsets[k+1]`` (layered only).
    indptr, indices, data : symmetric CSR of J (every model).
    name : label for figures.
    """

    def __init__(self, *, n_spins, fields, indptr, indices, data, layer_weights=None, name="Ising model"):
        self.n_spins = int(n_spins)
        self.fields = np.ascontiguousarray(fields, dtype=np.float64)
        self.indptr = np.ascontiguousarray(indptr, dtype=np.int64)
        self.indices = np.ascontiguousarray(indices, dtype=np.int64)
        self.data = np.ascontiguousarray(data, dtype=np.float64)
        self._kernel_data = None
        self.name = name
        if layer_weights is not None:
            self.layer_weights = [np.ascontiguousarray(w, dtype=np.float64) for w in layer_weights]
            self.layer_weights_t = [np.ascontiguousarray(w.T) for w in self.layer_weights]
            self.layer_sizes = [self.layer_weights[0].shape[1]] + [w.shape[0] for w in self.layer_weights]
            self.offsets = np.concatenate([[0], np.cumsum(self.layer_sizes)]).astype(np.int64)
        else:
            self.layer_weights = self.layer_weights_t = self.layer_sizes = self.offsets = None

    # ------------------------------------------------------------ builders
    @classmethod
    def from_network(cls, net, fields: bool = False) -> "IsingModel":
        """Spins on all neurons of ``net`` (an :class:`engine.network.Network`), couplings = weights.

        ``fields=True`` adds each layer's biases as fields on the spins of the layer they
        feed (the input layer has no field).
        """
        weights = [np.asarray(w, dtype=np.float64) for w in net.weights]
        sizes = [weights[0].shape[1]] + [w.shape[0] for w in weights]
        n = int(sum(sizes))
        if n > MAX_SPINS:
            raise expected("network", f"at most {MAX_SPINS} neurons for the Ising mapping", n)
        h = np.zeros(n)
        if fields:
            h[sizes[0]:] = np.concatenate([np.asarray(b, dtype=np.float64) for b in net.biases])
        indptr, indices, data = _layered_csr(weights, sizes)
        return cls(n_spins=n, fields=h, indptr=indptr, indices=indices, data=data, layer_weights=weights,
                   name=getattr(net, "name", "network") + (" (+fields)" if fields else ""))

    @classmethod
    def from_layers(cls, weights, fields=None, name="layered model") -> "IsingModel":
        """A layered model straight from a list of ``W_l`` (n_{l+1}, n_l) and optional (N,) fields."""
        ws = [finite_array(f"weights[{l}]", w, ndim=2) for l, w in enumerate(weights)]
        for l in range(1, len(ws)):
            if ws[l].shape[1] != ws[l - 1].shape[0]:
                raise expected(f"weights[{l}]", f"{ws[l - 1].shape[0]} columns", f"shape {ws[l].shape}")
        sizes = [ws[0].shape[1]] + [w.shape[0] for w in ws]
        n = int(sum(sizes))
        h = np.zeros(n) if fields is None else finite_array("fields", fields, ndim=1, shape=(n,))
        indptr, indices, data = _layered_csr(ws, sizes)
        return cls(n_spins=n, fields=h, indptr=indptr, indices=indices, data=data, layer_weights=ws, name=name)

    @classmethod
    def from_couplings(cls, J, h=None, name="coupling graph") -> "IsingModel":
        """Any graph: ``J`` dense (N, N) or scipy.sparse, symmetric with zero diagonal; ``h`` (N,)."""
        if sp.issparse(J):
            Jc = sp.csr_matrix(J, dtype=np.float64)
            if Jc.shape[0] != Jc.shape[1]:
                raise expected("J", "a square matrix", f"shape {Jc.shape}")
            if not np.all(np.isfinite(Jc.data)):
                raise expected("J", "finite couplings (no NaN or inf)", "non-finite entries")
            if np.any(Jc.diagonal() != 0):
                raise expected("J", "a zero diagonal (no self-couplings)", "non-zero diagonal entries")
            asym = abs(Jc - Jc.T)
            if asym.nnz and asym.max() > 1e-12 * max(1.0, abs(Jc).max()):
                raise expected("J", "a symmetric matrix (J_ij = J_ji)", f"max |J - Jᵀ| = {asym.max():.3g}")
        else:
            Jd = finite_array("J", J, ndim=2)
            if Jd.shape[0] != Jd.shape[1]:
                raise expected("J", "a square matrix", f"shape {Jd.shape}")
            if np.any(np.diag(Jd) != 0):
                raise expected("J", "a zero diagonal (no self-couplings)",
                               f"{int(np.count_nonzero(np.diag(Jd)))} non-zero diagonal entries")
            err = np.max(np.abs(Jd - Jd.T)) if Jd.size else 0.0
            if err > 1e-12 * max(1.0, np.max(np.abs(Jd)) if Jd.size else 1.0):
                raise expected("J", "a symmetric matrix (J_ij = J_ji)", f"max |J - Jᵀ| = {err:.3g}")
            Jc = sp.csr_matrix(Jd)
        n = Jc.shape[0]
        if n == 0 or n > MAX_SPINS:
            raise expected("J", f"between 1 and {MAX_SPINS} spins", n)
        Jc.eliminate_zeros()
        Jc.sort_indices()
        hh = np.zeros(n) if h is None else finite_array("h", h, ndim=1, shape=(n,))
        return cls(n_spins=n, fields=hh, indptr=Jc.indptr, indices=Jc.indices, data=Jc.data, name=name)

    # ---------------------------------------------------------- properties
    @property
    def is_layered(self) -> bool:
        return self.layer_weights is not None

    @property
    def has_fields(self) -> bool:
        return bool(np.any(self.fields != 0))

    @property
    def n_couplings(self) -> int:
        """Number of bonds (i < j with J_ij != 0)."""
        return int(self.data.size // 2)

    @property
    def kernel_data(self) -> np.ndarray:
        """The CSR values as the single-spin kernels read them: float32 when that holds every
        coupling exactly (a network trained in float32, PyTorch's default; the zoo's networks are
        trained in float64 and keep float64), else ``data``.

        The same numbers (float32 -> float64 is exact, so every product and sum is unchanged) at
        half the memory traffic of a field update (on 784-128-64-10, ~35 instead of ~55 ns per
        field update of a flip).
        """
        if self._kernel_data is None:
            d32 = self.data.astype(np.float32)
            self._kernel_data = d32 if np.array_equal(d32.astype(np.float64), self.data) else self.data
        return self._kernel_data

    @property
    def is_integer(self) -> bool:
        """All couplings and fields are integers: energies then lie on a lattice of spacing 2."""
        return bool(np.all(self.data == np.round(self.data)) and np.all(self.fields == np.round(self.fields)))

    def layer_slices(self) -> list[slice]:
        """Spin index ranges of each layer (layered) or one slice for everything."""
        if not self.is_layered:
            return [slice(0, self.n_spins)]
        return [slice(int(a), int(b)) for a, b in zip(self.offsets[:-1], self.offsets[1:])]

    def couplings(self) -> sp.csr_matrix:
        """J as a symmetric scipy CSR matrix."""
        return sp.csr_matrix((self.data, self.indices, self.indptr), shape=(self.n_spins, self.n_spins))

    def dense_couplings(self) -> np.ndarray:
        """J as a dense (N, N) array (small models only)."""
        if self.n_spins > 20_000:
            raise expected("model", "at most 20000 spins for a dense coupling matrix", self.n_spins)
        return self.couplings().toarray()

    def energy_bound(self) -> float:
        """An upper bound on |E|: Σ_{i<j} |J_ij| + Σ |h_i|."""
        return float(0.5 * np.abs(self.data).sum() + np.abs(self.fields).sum())

    def __repr__(self):
        kind = f"layers {self.layer_sizes}" if self.is_layered else f"{self.n_couplings} bonds"
        return f"IsingModel({self.name!r}, N={self.n_spins}, {kind}, fields={self.has_fields})"

    # -------------------------------------------------------------- physics
    def check_spins(self, s) -> np.ndarray:
        """``s`` as a float64 (N,) or (R, N) array of ±1 (raises ``EngineError`` otherwise)."""
        arr = np.asarray(s)
        if arr.ndim not in (1, 2) or arr.shape[-1] != self.n_spins:
            raise expected("spins", f"shape ({self.n_spins},) or (R, {self.n_spins})", f"shape {arr.shape}")
        arr = arr.astype(np.float64)
        if not np.all(np.abs(arr) == 1):
            raise expected("spins", "entries ±1", "other values")
        return arr

    def local_fields(self, s) -> np.ndarray:
        """``h_i + Σ_j J_ij s_j`` for one configuration (N,) or a batch (R, N)."""
        S = self.check_spins(s)
        return _local_fields(self, S)

    def energy(self, s):
        """``E(s) = - Σ_{i<j} J_ij s_i s_j - Σ_i h_i s_i``; a float for (N,), an (R,) array for (R, N)."""
        S = self.check_spins(s)
        one = S.ndim == 1
        S2 = np.atleast_2d(S)
        if self.is_layered:
            e = np.zeros(S2.shape[0])
            for l, w in enumerate(self.layer_weights):
                lo, mid, hi = self.offsets[l], self.offsets[l + 1], self.offsets[l + 2]
                e -= np.einsum("ri,ri->r", S2[:, mid:hi], S2[:, lo:mid] @ w.T)
        else:
            e = -0.5 * np.einsum("ri,ri->r", S2, np.asarray(self.couplings() @ S2.T).T)
        e -= S2 @ self.fields
        return float(e[0]) if one else e

    def random_spins(self, n_replicas=None, seed=None) -> np.ndarray:
        """Uniformly random ±1 spins, int8, shape (N,) or (R, N)."""
        from .random import as_generator

        rng = as_generator(seed)
        shape = (self.n_spins,) if n_replicas is None else (int(n_replicas), self.n_spins)
        return (2 * rng.integers(0, 2, size=shape, dtype=np.int8) - 1).astype(np.int8)

    def odd_layer_flip(self) -> np.ndarray:
        """The gauge vector g with g_i = -1 on odd layers: E(g*s) = -E(s) without fields (layered only)."""
        if not self.is_layered:
            raise EngineError("the odd-layer flip needs a layered model")
        g = np.ones(self.n_spins, dtype=np.int8)
        for k, sl in enumerate(self.layer_slices()):
            if k % 2 == 1:
                g[sl] = -1
        return g


def _local_fields(model: IsingModel, S: np.ndarray) -> np.ndarray:
    one = S.ndim == 1
    S2 = np.atleast_2d(S)
    if model.is_layered:
        out = np.tile(model.fields, (S2.shape[0], 1))
        off = model.offsets
        for l, w in enumerate(model.layer_weights):
            lo, mid, hi = off[l], off[l + 1], off[l + 2]
            out[:, mid:hi] += S2[:, lo:mid] @ w.T  # from the layer below
            out[:, lo:mid] += S2[:, mid:hi] @ w    # from the layer above
    else:
        out = model.fields[None, :] + np.asarray(model.couplings() @ S2.T).T
    return out[0] if one else out


def _layered_csr(weights, sizes):
    """Symmetric CSR adjacency of a layered model; rows sorted by column."""
    n = int(sum(sizes))
    off = np.concatenate([[0], np.cumsum(sizes)])
    rows, cols, vals = [], [], []
    for l, w in enumerate(weights):
        r, c = np.nonzero(w)
        r = r + off[l + 1]
        c = c + off[l]
        v = w[np.nonzero(w)]
        rows += [r, c]
        cols += [c, r]
        vals += [v, v]
    if rows:
        A = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))
    else:
        A = sp.csr_matrix((n, n))
    A.sort_indices()
    return A.indptr, A.indices, A.data
