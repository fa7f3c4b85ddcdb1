"""Thermodynamics from a density of states: direct sums, identities, limits, the paper's normalised C(T)."""
import math

import numpy as np
import pandas as pd
import pytest

from engine.errors import EngineError
from engine.exact import exact_density_of_states, exact_energies, exact_thermodynamics, square_lattice
from engine.ising import IsingModel
from engine.kernels.gray import all_states
from engine.network import Network
from engine.thermo import (DensityOfStates, Thermodynamics, critical_temperature, microcanonical,
                           normalised_specific_heat, specific_heat_peak, thermodynamics)


@pytest.fixture(scope="module")
def lattice_dos():
    return exact_density_of_states(square_lattice(4))


@pytest.fixture(scope="module")
def mlp():
    return IsingModel.from_network(Network.random([5, 4, 3], seed=11))


def test_thermodynamics_of_a_tiny_system_equal_a_direct_sum_over_states():
    rng = np.random.default_rng(1)
    J = np.triu(rng.integers(-2, 3, size=(6, 6)), 1).astype(float)
    model = IsingModel.from_couplings(J + J.T, rng.integers(-1, 2, size=6).astype(float))
    dos = exact_density_of_states(model)
    assert dos.exact_levels
    e = model.energy(all_states(6))
    T = np.array([0.25, 0.7, 2.0, 9.0])
    th = thermodynamics(dos, T)
    for k, t in enumerate(T):
        p = np.exp(-e / t)
        Z = p.sum()
        p /= Z
        U = p @ e
        assert np.isclose(th.log_Z[k], math.log(Z), rtol=1e-12)
        assert np.isclose(th.U[k], U, rtol=1e-12, atol=1e-12)
        assert np.isclose(th.C[k], p @ (e - U) ** 2 / t ** 2, rtol=1e-10, atol=1e-12)
        assert np.isclose(th.F[k], -t * math.log(Z), rtol=1e-12)
        assert np.isclose(th.S[k], -(p * np.log(p)).sum(), rtol=1e-10)  # Gibbs entropy


def test_thermodynamic_identities_hold(lattice_dos):
    T = np.linspace(0.5, 6.0, 400)
    th = thermodynamics(lattice_dos, T)
    assert np.allclose(th.F, th.U - T * th.S, rtol=1e-12, atol=1e-9)
    # C = dU/dT and S = -dF/dT (fluctuation-dissipation; F' by finite differences)
    assert np.allclose(np.gradient(th.U, T)[2:-2], th.C[2:-2], rtol=1e-3, atol=1e-3)
    assert np.allclose(-np.gradient(th.F, T)[2:-2], th.S[2:-2], rtol=1e-3, atol=1e-3)


def test_high_and_low_temperature_limits(mlp):
    dos = exact_density_of_states(mlp)
    cold, hot = thermodynamics(dos, [1e-3]), thermodynamics(dos, [1e7])
    n = mlp.n_spins
    p_inf = np.exp(dos.log_g[dos.visited] - n * math.log(2))
    assert np.isclose(hot.S[0], n * math.log(2), rtol=1e-6)
    assert np.isclose(hot.U[0], p_inf @ dos.energies[dos.visited], atol=1e-4)  # mean over all states
    assert np.isclose(cold.U[0], dos.energies[dos.visited][0], atol=1e-6)       # the lowest level
    assert np.isclose(cold.S[0], dos.log_g[dos.visited][0], atol=1e-6)          # ln(ground degeneracy)
    raw = exact_thermodynamics(mlp, [1e-3, 1e7])
    assert np.isclose(raw.U[1], exact_energies(mlp).mean(), atol=1e-4)
    assert np.isclose(raw.U[0], dos.e_min, atol=1e-6)


def test_binned_dos_reproduces_the_unbinned_thermodynamics(mlp):
    T = np.linspace(0.5, 4.0, 15)
    dos = exact_density_of_states(mlp)
    binned, raw = thermodynamics(dos, T), exact_thermodynamics(mlp, T)
    assert np.all(np.abs(binned.U - raw.U) <= dos.bin_width / 2)  # every state moved by <= half a bin
    assert np.allclose(binned.C, raw.C, rtol=0.02)


def test_per_spin_divides_by_n_and_frames_are_labelled(lattice_dos):
    th = thermodynamics(lattice_dos, [1.0, 2.0, 3.0])
    ps = th.per_spin()
    assert ps.is_per_spin and ps.per_spin() is ps
    for a in "UCSF":
        assert np.allclose(getattr(ps, a), getattr(th, a) / 16)
    assert list(ps.to_frame().columns) == ["T", "U/N", "C/N", "S/N", "F/N"]
    assert list(th.to_frame().columns) == ["T", "U", "C", "S", "F"]
    frame = lattice_dos.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) == lattice_dos.n_bins


def test_peak_of_the_square_lattice_specific_heat():
    # 4x4 periodic lattice: C(T) peaks near T = 2.4 (finite-size shift above T_c = 2.269)
    th = thermodynamics(exact_density_of_states(square_lattice(4)), np.linspace(1.0, 4.0, 31))
    fine = thermodynamics(exact_density_of_states(square_lattice(4)), np.linspace(1.0, 4.0, 3001))
    peak = specific_heat_peak(th)
    assert not peak.at_edge and 2.2 < peak.temperature < 2.7
    assert abs(peak.temperature - fine.T[np.argmax(fine.C)]) < 0.01  # refinement beats the 0.1 grid
    assert abs(peak.c_max - fine.C.max()) < 1e-3 * fine.C.max()
    assert critical_temperature(th) == peak.temperature


def test_parabolic_refinement_finds_the_vertex_and_flags_edges():
    T = np.linspace(0.1, 1.0, 10)
    th = Thermodynamics(T=T, U=T, C=5.0 - (T - 0.537) ** 2, S=T, F=T, log_Z=T, n_spins=1)
    peak = specific_heat_peak(th)
    assert np.isclose(peak.temperature, 0.537) and np.isclose(peak.c_max, 5.0) and not peak.at_edge
    rising = Thermodynamics(T=T, U=T, C=T ** 2, S=T, F=T, log_Z=T, n_spins=1)
    assert specific_heat_peak(rising).at_edge and specific_heat_peak(rising).temperature == 1.0


def test_microcanonical_temperature_is_odd_and_matches_the_canonical_one():
    model = IsingModel.from_network(Network.random([8, 8, 4], seed=2))
    dos = exact_density_of_states(model, bin_width=1.0)  # ~25 bins: a smooth S(E)
    mc = microcanonical(dos)
    assert np.array_equal(mc.entropy, dos.log_g[dos.visited])
    n = mc.energies.size
    assert np.allclose(mc.energies, -mc.energies[::-1])
    assert np.allclose(mc.beta, -mc.beta[::-1], atol=1e-9)  # β(-E) = -β(E)
    assert np.all(mc.beta[: n // 2 - 1] > 0) and np.all(mc.temperature[: n // 2 - 1] > 0)
    # the canonical U(T) sits where the microcanonical β(E) = 1/T (equivalence of ensembles)
    th = thermodynamics(dos, [2.0])
    assert abs(np.interp(th.U[0], mc.energies, mc.beta) - 0.5) < 0.05


def test_normalised_specific_heat_is_the_papers_formula(mlp):
    dos = exact_density_of_states(mlp)
    T = np.linspace(0.02, 1.0, 50)
    res = normalised_specific_heat(dos, T)
    assert res.e_min == dos.e_min and res.width == dos.width
    v = dos.visited
    x = (dos.energies[v] - dos.e_min) / dos.width
    for k in (0, 20, 49):
        w = np.exp(dos.log_g[v] / mlp.n_spins - x / T[k] - np.max(dos.log_g[v] / mlp.n_spins - x / T[k]))
        w /= w.sum()
        assert np.isclose(res.C[k], (w @ x ** 2 - (w @ x) ** 2) / T[k] ** 2, rtol=1e-9)
    # x -> x/2 is T -> 2T: C with reference width 2W at T equals C with W at 2T
    wider = normalised_specific_heat(dos, T, width=2 * dos.width)
    assert np.allclose(wider.C, normalised_specific_heat(dos, 2 * T).C, rtol=1e-9)
    assert specific_heat_peak(res).temperature > 0


# ------------------------------------------------------------------------------ bad input

@pytest.mark.parametrize("temps,match", [([0.0, 1.0], "> 0"), ([-1.0], "> 0"), ([1.0, np.nan], "finite"),
                                         ([2.0, 1.0], "increasing"), ([], "non-empty"), ("hot", "numeric")])
def test_bad_temperatures(lattice_dos, temps, match):
    with pytest.raises(EngineError, match=match):
        thermodynamics(lattice_dos, temps)
    with pytest.raises(EngineError, match=match):
        normalised_specific_heat(lattice_dos, temps)


def test_a_scalar_temperature_is_a_one_point_ladder(lattice_dos):
    assert thermodynamics(lattice_dos, 2.0).U.shape == (1,)


def test_bad_dos_and_references(lattice_dos):
    with pytest.raises(EngineError, match="DensityOfStates"):
        thermodynamics({"energies": [0.0]}, [1.0])
    with pytest.raises(EngineError, match="DensityOfStates"):
        microcanonical(None)
    empty = DensityOfStates(energies=np.zeros(1), log_g=np.full(1, -np.inf), visited=np.zeros(1, bool),
                            n_spins=1, bin_width=1.0, e_min=0.0, e_max=0.0)
    with pytest.raises(EngineError, match="visited"):
        thermodynamics(empty, [1.0])
    with pytest.raises(EngineError, match="width"):
        normalised_specific_heat(lattice_dos, [1.0], width=0.0)
    with pytest.raises(EngineError, match="e_min"):
        normalised_specific_heat(lattice_dos, [1.0], e_min=float("inf"))
    with pytest.raises(EngineError, match="thermo"):
        specific_heat_peak([1, 2, 3])
