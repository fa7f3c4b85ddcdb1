"""Exact enumeration: the Gray-code kernel against brute force, and the density of states it counts."""
import math

import numpy as np
import pytest

from engine.errors import EngineError
from engine.exact import (exact_density_of_states, exact_energies, exact_thermodynamics, square_lattice)
from engine.ising import IsingModel
from engine.kernels.gray import all_states, energies_reference, neighbour_segments
from engine.network import Network
from engine.wang_landau import default_bin_width, energy_grid, energy_spacing, symmetry_gauge


def dense_model(n, seed, *, fields=0.0, integer=False):
    rng = np.random.default_rng(seed)
    J = rng.choice([-1.0, 1.0], size=(n, n)) if integer else rng.normal(size=(n, n))
    J = np.triu(J, 1)
    h = rng.normal(size=n) * fields
    return IsingModel.from_couplings(J + J.T, np.round(h) if integer else h), J + J.T, h


def mlp_model(widths, seed, fields=False):
    return IsingModel.from_network(Network.random(widths, seed=seed, bias_variance=0.5 if fields else 0.0),
                                   fields=fields)


# ------------------------------------------------------------------------------ the kernel

@pytest.mark.parametrize("fields", [0.0, 0.7])
def test_gray_code_equals_brute_force_on_dense_couplings(fields):
    model, J, h = dense_model(11, seed=1, fields=fields)
    assert np.allclose(exact_energies(model), energies_reference(J, h), rtol=0, atol=1e-10)


def test_gray_code_equals_the_models_own_energy_on_a_layered_net():
    model = mlp_model([4, 5, 3], seed=2, fields=True)
    states = all_states(model.n_spins)
    assert np.allclose(exact_energies(model), model.energy(states), rtol=0, atol=1e-10)


def test_neighbour_segments_rebuild_the_csr_and_stream_rows_of_a_layered_net():
    model = mlp_model([6, 5, 4], seed=3)
    seg_ptr, target, start, length = neighbour_segments(model.indptr, model.indices)
    assert np.all(np.diff(seg_ptr) <= 2)  # one row of W below, one row of Wᵀ above
    rebuilt = np.zeros((model.n_spins, model.n_spins))
    for i in range(model.n_spins):
        for q in range(seg_ptr[i], seg_ptr[i + 1]):
            rebuilt[i, target[q]:target[q] + length[q]] = model.data[start[q]:start[q] + length[q]]
    assert np.array_equal(rebuilt, model.dense_couplings())


def test_neighbour_segments_of_a_sparse_graph_split_at_gaps():
    model = square_lattice(3)
    seg_ptr, target, start, length = neighbour_segments(model.indptr, model.indices)
    assert length.sum() == model.data.size
    rows = np.repeat(np.arange(model.n_spins), np.diff(seg_ptr))
    cols = np.concatenate([t + np.arange(n) for t, n in zip(target, length)])
    assert set(zip(np.repeat(rows, length), cols)) == set(zip(*model.couplings().nonzero()))


# ------------------------------------------------------------------------------ density of states

def test_dos_sums_to_2_to_the_n_and_counts_every_state():
    model = mlp_model([5, 4, 3], seed=4, fields=True)
    dos = exact_density_of_states(model)
    assert dos.info["counts"].sum() == 2 ** model.n_spins
    assert np.isclose(np.logaddexp.reduce(dos.log_g[dos.visited]), model.n_spins * math.log(2), rtol=1e-12)
    assert dos.method == "exact" and dos.converged


def test_square_lattice_4x4_has_the_textbook_density_of_states():
    model = square_lattice(4)
    dos = exact_density_of_states(model)
    # Beale, PRL 76, 78 (1996): E = -32 ... 0 (E = -28 and its mirror are impossible)
    textbook = {-32: 2, -24: 32, -20: 64, -16: 424, -12: 1728, -8: 6688, -4: 13568, 0: 20524}
    textbook |= {-e: g for e, g in textbook.items()}
    assert dos.exact_levels and dos.bin_width == energy_spacing(model) == 4.0
    got = dict(zip(dos.energies[dos.visited].astype(int).tolist(), dos.info["counts"][dos.visited].tolist()))
    assert got == textbook
    assert not dos.visited[np.flatnonzero(dos.energies == -28)].any()


def test_field_free_layered_dos_is_exactly_symmetric_and_with_fields_it_is_not():
    free = exact_density_of_states(mlp_model([5, 4, 4], seed=5))
    assert free.symmetric and free.symmetry_error() < 1e-12
    assert np.isclose(free.e_min, -free.e_max)
    with_fields = exact_density_of_states(mlp_model([5, 4, 4], seed=5, fields=True))
    assert not with_fields.symmetric and with_fields.symmetry_error() > 0.1


def test_integer_model_bins_are_the_exact_levels():
    model, _, _ = dense_model(12, seed=6, fields=1.0, integer=True)
    e = exact_energies(model)
    levels, counts = np.unique(e, return_counts=True)
    dos = exact_density_of_states(model)
    assert dos.exact_levels
    assert np.array_equal(dos.energies[dos.visited], levels)
    assert np.array_equal(dos.info["counts"][dos.visited], counts)
    assert np.all(np.mod(levels - levels[0], energy_spacing(model)) == 0)


def test_binned_dos_is_the_histogram_of_the_raw_energies_on_the_shared_grid():
    model, _, _ = dense_model(12, seed=7, fields=0.3)
    dos = exact_density_of_states(model)
    assert not dos.exact_levels and dos.bin_width == default_bin_width(model)
    e = exact_energies(model)
    assert np.isclose(dos.e_min, e.min()) and np.isclose(dos.e_max, e.max())
    grid = energy_grid(model, dos.bin_width, e.min(), e.max())
    counts = np.bincount(grid.index(e), minlength=grid.n_bins)
    assert np.array_equal(grid.centres()[counts > 0], dos.energies[dos.visited])
    assert np.array_equal(counts[counts > 0], dos.info["counts"][dos.visited])
    # the continuous grid is centred on 0, so mirror bins exist
    assert np.allclose(np.mod(dos.energies / dos.bin_width + 0.5, 1.0), 0.5)


def test_symmetry_gauge_maps_energy_to_minus_energy():
    rng = np.random.default_rng(8)
    for model in (square_lattice(4), mlp_model([4, 3, 3], seed=8)):
        g = symmetry_gauge(model)
        s = model.random_spins(5, seed=rng)
        assert np.allclose(model.energy(g * s), -model.energy(s))
    triangle = IsingModel.from_couplings(np.ones((3, 3)) - np.eye(3))
    assert symmetry_gauge(triangle) is None and symmetry_gauge(square_lattice(3)) is None
    assert symmetry_gauge(mlp_model([3, 3], seed=1, fields=True)) is None


def test_exact_thermodynamics_is_a_direct_boltzmann_sum():
    model, J, h = dense_model(8, seed=9, fields=0.5)
    T = np.array([0.2, 1.0, 3.0])
    th = exact_thermodynamics(model, T)
    e = energies_reference(J, h)
    for k, t in enumerate(T):
        w = np.exp(-(e - e.min()) / t)
        Z = w.sum()
        U = (w * e).sum() / Z
        C = ((w * e ** 2).sum() / Z - U ** 2) / t ** 2
        F = -t * (np.log(Z) - e.min() / t)
        assert np.allclose([th.U[k], th.C[k], th.F[k], th.S[k]], [U, C, F, (U - F) / t], rtol=1e-9, atol=1e-9)


# ------------------------------------------------------------------------------ bad input

def test_enumeration_refuses_too_many_spins_and_non_models():
    big = IsingModel.from_couplings(np.zeros((31, 31)))
    with pytest.raises(EngineError, match="at most 30 spins"):
        exact_density_of_states(big)
    with pytest.raises(EngineError, match="at most 30 spins"):
        exact_energies(big)
    with pytest.raises(EngineError, match="IsingModel"):
        exact_energies(np.eye(3))


def test_storing_energies_needs_the_memory(monkeypatch):
    import engine.exact as ex

    monkeypatch.setattr(ex, "_available_bytes", lambda: 1 << 20)
    with pytest.raises(EngineError, match="at most 26 spins"):
        exact_energies(IsingModel.from_couplings(np.zeros((27, 27))))


@pytest.mark.parametrize("width", [0.0, -1.0, float("nan"), "wide"])
def test_bad_bin_width(width):
    with pytest.raises(EngineError, match="bin_width"):
        exact_density_of_states(mlp_model([3, 3], seed=1), bin_width=width)


def test_bin_width_too_small_for_memory():
    with pytest.raises(EngineError, match="bin_width"):
        exact_density_of_states(mlp_model([3, 3], seed=1), bin_width=1e-9)


def test_energy_spacing_needs_integer_couplings():
    with pytest.raises(EngineError, match="integer"):
        energy_spacing(mlp_model([3, 3], seed=1))
