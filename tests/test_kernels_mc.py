"""Monte Carlo kernels against their NumPy references, and the invariants of cached fields.

Every kernel (single-spin on layered and CSR graphs, block heat-bath) must reproduce its
slow reference exactly for the same random streams, including the tempering swaps.
"""
import subprocess
import sys

import numpy as np
import pytest

from engine.ising import IsingModel
from engine.kernels import block as bk
from engine.kernels import spin_flip as sf
from engine.kernels.rng import seeded_state
from engine.network import Network

C, P, T = 2, 3, 7  # chains, rows per chain, sweeps


def _mlp(fields=False):
    net = Network.random([4, 3, 3, 2], seed=1, bias_variance=0.5 if fields else 0.0)
    return IsingModel.from_network(net, fields=fields)


def _dense(n=9, seed=2):
    rng = np.random.default_rng(seed)
    J = np.triu(rng.normal(0.0, 1.0 / np.sqrt(n), (n, n)), 1)
    return IsingModel.from_couplings(J + J.T, h=rng.normal(0.0, 0.3, n))


def _setup(model, seed=0):
    rng = np.random.default_rng(seed)
    N = model.n_spins
    spins = (2 * rng.integers(0, 2, (C, P, N)) - 1).astype(np.int8)
    betas = np.array([[1.3, 0.8, 0.35]] * C)
    seeds = rng.integers(1, 2**63, (C, P), dtype=np.uint64)
    swap_seeds = rng.integers(1, 2**63, C, dtype=np.uint64)
    scale = np.linspace(1.0, 1.6, T)  # an annealing factor on β, to exercise it
    return spins, betas, seeds, swap_seeds, scale


def _streams(seeds):
    return np.ascontiguousarray(np.stack([seeded_state(s) for s in np.ravel(seeds)]).reshape(np.shape(seeds) + (4,)))


def _run_single(model, kind, rule, spins, betas, seeds, swap_seeds, scale, n_sweeps=None):
    """Run a single-spin chain kernel; return its state arrays."""
    N = model.n_spins
    n_sweeps = len(scale) if n_sweeps is None else n_sweeps
    s = spins.copy()
    h = model.local_fields(s.reshape(-1, N)).reshape(C, P, N).copy()
    e = model.energy(s.reshape(-1, N)).reshape(C, P).copy()
    st = {
        "spins": s, "h": h, "e": e, "betas": betas.copy(), "flips": np.zeros((C, P), np.int64),
        "pos": np.tile(np.arange(P), (C, 1)), "acc": np.zeros((C, P - 1), np.int64),
        "att": np.zeros((C, P - 1), np.int64), "trace": np.full((n_sweeps, C, P), np.nan),
        "samples": np.zeros((2, C, P, N), np.int8), "n_done": np.zeros(C, np.int64),
    }
    sample_at = np.full(n_sweeps, -1, np.int64)
    sample_at[min(1, n_sweeps - 1)] = 0
    sample_at[n_sweeps - 1] = 1
    tail = (rule, scale, st["pos"], _streams(swap_seeds), st["acc"], st["att"], True, 0, st["trace"], sample_at,
            st["samples"], st["n_done"])
    head = (0, C, s, h, e, st["betas"], _streams(seeds), st["flips"])
    if kind == "layered":
        sf.layered_chains(*head, *sf.pack_layers(model), *tail)
    else:
        sf.csr_chains(*head, model.indptr, model.indices, model.data, *tail)
    return st


@pytest.mark.parametrize("kind", ["layered", "csr"])
@pytest.mark.parametrize("rule", ["metropolis", "heat_bath", "greedy"])
def test_single_spin_kernel_equals_reference(kind, rule):
    model = _mlp(fields=True) if kind == "layered" else _dense()
    spins, betas, seeds, swap_seeds, scale = _setup(model)
    r = sf.RULES[rule]
    st = _run_single(model, kind, r, spins, betas, seeds, swap_seeds, scale)
    ref_s, ref_trace, ref_b, ref_pos, ref_flips, ref_acc, ref_att, ref_done = sf.chains_reference(
        model.dense_couplings(), model.fields, spins, betas, seeds, r, scale, swap_seeds=swap_seeds)
    np.testing.assert_array_equal(st["spins"], ref_s)
    np.testing.assert_array_equal(st["flips"], ref_flips)
    np.testing.assert_array_equal(st["betas"], ref_b)
    np.testing.assert_array_equal(st["pos"], ref_pos)
    np.testing.assert_array_equal(st["acc"], ref_acc)
    np.testing.assert_array_equal(st["att"], ref_att)
    np.testing.assert_array_equal(st["n_done"], ref_done)
    np.testing.assert_allclose(st["trace"], ref_trace, rtol=0, atol=1e-12)
    assert st["flips"].sum() > 0
    if rule != "greedy":
        assert st["att"].sum() > 0 and 0 < st["acc"].sum() < st["att"].sum()  # swaps happen, not always
        by_temperature = np.take_along_axis(st["spins"], st["pos"][:, :, None], axis=1)
        np.testing.assert_array_equal(st["samples"][1], by_temperature)  # the sample of the last sweep


def test_block_kernel_equals_reference():
    model = _mlp(fields=True)
    N = model.n_spins
    spins, betas, seeds, swap_seeds, scale = _setup(model, seed=3)
    w, wt, w_off, off = sf.pack_layers(model, bk.DTYPE)
    x = bk.to_block_layout(spins, off)
    a = np.zeros((C, P * max(model.layer_sizes)), bk.DTYPE)
    b = np.zeros_like(a)
    e = np.zeros((C, P))
    bt = betas.copy()
    flips = np.zeros((C, P), np.int64)
    pos = np.tile(np.arange(P), (C, 1))
    acc = np.zeros((C, P - 1), np.int64)
    att = np.zeros_like(acc)
    trace = np.full((T, C, P), np.nan)
    sample_at = np.full(T, -1, np.int64)
    sample_at[-1] = 0
    samples = np.zeros((1, C, P, N), np.int8)
    bk.block_chains(0, C, x, a, b, w, wt, w_off, off, model.fields, e, bt, _streams(seeds), flips, scale, pos,
                    _streams(swap_seeds), acc, att, True, 0, trace, sample_at, samples)
    ref_s, ref_trace, ref_b, ref_pos, ref_flips, ref_acc, ref_att = bk.block_chains_reference(
        model.layer_weights, model.fields, spins, betas, seeds, scale, swap_seeds=swap_seeds)
    out = bk.from_block_layout(x, off, P)
    np.testing.assert_array_equal(out, ref_s)
    np.testing.assert_array_equal(flips, ref_flips)
    np.testing.assert_array_equal(bt, ref_b)
    np.testing.assert_array_equal(pos, ref_pos)
    np.testing.assert_array_equal((acc, att), (ref_acc, ref_att))
    np.testing.assert_allclose(trace, ref_trace, rtol=1e-12, atol=1e-12)
    assert att.sum() > 0 and flips.sum() > 0
    # energies from the float32 fields agree with the exact float64 energy to float32 rounding
    np.testing.assert_allclose(e, model.energy(out.reshape(-1, N)).reshape(C, P), rtol=0, atol=1e-5)
    # samples are the final spins sorted by temperature
    np.testing.assert_array_equal(samples[0], np.take_along_axis(out, pos[:, :, None], axis=1))


@pytest.mark.parametrize("kind", ["layered", "csr"])
def test_cached_fields_and_energies_equal_a_fresh_computation_after_a_run(kind):
    model = IsingModel.from_network(Network.random([6, 5, 4], seed=4, bias_variance=0.2), fields=True)
    if kind == "csr":
        model = IsingModel.from_couplings(model.dense_couplings(), h=model.fields)
    spins, betas, seeds, swap_seeds, _ = _setup(model, seed=5)
    st = _run_single(model, kind, sf.METROPOLIS, spins, betas, seeds, swap_seeds, np.ones(200))
    N = model.n_spins
    fresh = model.local_fields(st["spins"].reshape(-1, N)).reshape(C, P, N)
    np.testing.assert_allclose(st["h"], fresh, rtol=0, atol=1e-11)
    np.testing.assert_allclose(st["e"], model.energy(st["spins"].reshape(-1, N)).reshape(C, P), rtol=0, atol=1e-10)
    assert st["flips"].min() > 100


@pytest.mark.parametrize("model", [_mlp(fields=True), _dense()], ids=["layered", "dense"])
def test_incremental_delta_e_equals_energy_difference(model):
    rng = np.random.default_rng(6)
    s = model.random_spins(seed=rng)
    h = model.local_fields(s)
    e0 = model.energy(s)
    for i in range(model.n_spins):
        t = s.copy()
        t[i] = -t[i]
        assert 2.0 * s[i] * h[i] == pytest.approx(model.energy(t) - e0, abs=1e-12)


def test_one_sweep_accumulates_delta_e_exactly():
    model = _mlp(fields=True)
    spins, betas, seeds, swap_seeds, _ = _setup(model, seed=7)
    before = model.energy(spins.reshape(-1, model.n_spins)).reshape(C, P)
    st = _run_single(model, "layered", sf.HEAT_BATH, spins, betas, seeds, swap_seeds, np.ones(1))
    after = model.energy(st["spins"].reshape(-1, model.n_spins)).reshape(C, P)
    assert np.any(after != before)
    np.testing.assert_allclose(st["e"] - before, after - before, atol=1e-12)


def test_energy_is_even_without_fields():
    for model in (_mlp(fields=False), IsingModel.from_couplings(_dense().dense_couplings())):
        s = model.random_spins(16, seed=8)
        np.testing.assert_allclose(model.energy(s), model.energy(-s), atol=1e-12)
        h = model.local_fields(s)  # and so is every single-flip cost 2 s_i h_i
        np.testing.assert_allclose(s * h, (-s) * model.local_fields(-s), atol=1e-12)


def test_block_layout_round_trip():
    model = _mlp()
    spins = _setup(model)[0]
    off = model.offsets
    x = bk.to_block_layout(spins, off)
    assert x.shape == (C, P * model.n_spins) and x.dtype == bk.DTYPE
    # layer 1 of chain 0 is a (P, n_1) block right after layer 0's (P, n_0) block
    np.testing.assert_array_equal(x[0, P * off[1]:P * off[2]].reshape(P, -1), spins[0, :, off[1]:off[2]])
    np.testing.assert_array_equal(bk.from_block_layout(x, off, P), spins)


def test_pack_layers_rows_are_contiguous_weights():
    model = _mlp()
    w, wt, w_off, off = sf.pack_layers(model)
    for l, W in enumerate(model.layer_weights):
        np.testing.assert_array_equal(w[w_off[l]:w_off[l + 1]].reshape(W.shape), W)
        np.testing.assert_array_equal(wt[w_off[l]:w_off[l + 1]].reshape(W.T.shape), W.T)


def test_compiled_kernels_load_from_the_cache_in_a_new_process(root):
    """numba ``cache=True``: a second process loads the kernels instead of compiling them."""
    from engine import montecarlo as mc

    mc._warm()  # compiled (or loaded) here first, so the cache is filled
    code = (
        "import sys; sys.path.insert(0, %r)\n"
        "from engine import montecarlo as mc\n"
        "from engine.kernels import spin_flip as sf, block as bk\n"
        "mc._warm()\n"
        "for k in (sf.layered_chains, sf.csr_chains, bk.block_chains):\n"
        "    print(len(k.stats.cache_misses), len(k.stats.cache_hits))\n" % str(root))
    mc_warm = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert mc_warm.returncode == 0, mc_warm.stderr
    counts = [tuple(map(int, line.split())) for line in mc_warm.stdout.split("\n") if line.strip()]
    assert len(counts) == 3
    for misses, hits in counts:
        assert misses == 0 and hits >= 1

