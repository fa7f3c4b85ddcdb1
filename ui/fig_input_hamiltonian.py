"""Figures of a random MLP viewed as a Hamiltonian over its inputs (pure functions: data -> Figure, no st calls).

Winer & Hanin, "Deep Neural Nets as Hamiltonians", arXiv:2503.23982 (2025); PHYSICS.md section 6;
the numbers come from :mod:`engine.input_hamiltonian`. Its conventions hold here too:
H(x) = √N0 · z_out(x) on the sphere |x|² = N0, Gibbs measure ∝ e^{-βH}; energies are drawn as
⟨H⟩/N0 (negative: the theory's ``energy`` = -u), so simulation and theory share one axis; the
ground state GS = max H/N0 > 0, so the lowest energy density is -GS; entropies are relative to the
uniform measure on the sphere (s ≤ 0, s = 0 at β = 0).

Every builder returns ``(figure, data frame)``; the frame is what the CSV download holds.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .plotting import COLORS, style

PHASES = ("RS", "1RSB", "full-RSB-like")
#: Background / cell colour per phase (RS plain; the two RSB phases in Okabe-Ito orange and pink).
PHASE_COLORS = {"RS": "#FFFFFF", "1RSB": COLORS["partial"], "full-RSB-like": COLORS["accent"]}

E_LABEL = "energy per input dimension ⟨H⟩/N0"
BETA_LABEL = "inverse temperature β = 1/T (T in units of H)"
Q_LABEL = "overlap q = x·x′/N0"
S_LABEL = "entropy per input dimension s"

#: Width convergence measured by ``benchmarks/bench_input_hamiltonian.py`` (the engine author's run,
#: on a shared machine): tanh, C_W = 1, C_b = 0, one hidden layer, N0 = 64, 32 weight draws,
#: β = 0.5, 1, 2, 4; mean |⟨H⟩/N0 (simulation) - energy (theory)| over the four β.
BENCHMARK_WIDTH_GAP = pd.DataFrame({"width ratio N1/N0": [1, 4, 16, 64],
                                    "mean |gap| to theory": [0.043, 0.0087, 0.0062, 0.0048]})
#: The theory's ground state of that case (descent minima approach -GS as the width grows).
BENCHMARK_GS = 0.6815


def fmt(x, digits: int = 4) -> str:
    """A number for metrics and hover text: ∞ for inf, '–' for NaN/None."""
    if x is None:
        return "–"
    x = float(x)
    if math.isnan(x):
        return "–"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    return f"{x:.{digits}g}"


def _minus(x: float, digits: int = 4) -> str:
    """A number with a typographic minus sign (as in the labels' −GS)."""
    return f"{x:.{digits}f}".replace("-", "−")


def setting_note(activation, depth, weight_variance, bias_variance, extra: str | None = None) -> str:
    """Provenance line: ``activation: tanh · depth L: 1 · C_W: 1 · C_b: 0 · extra``.

    (Written by hand: :func:`ui.plotting.provenance` would turn the underscore of C_W into a space.)
    """
    parts = [f"activation: {activation}", f"depth L: {int(depth)}", f"C_W: {float(weight_variance):.4g}",
             f"C_b: {float(bias_variance):.4g}"]
    if extra:
        parts.append(extra)
    return " · ".join(parts)


def sim_note(sim) -> str:
    """What a simulation was: N0, width, draws, β ladder, seed (for a figure's provenance)."""
    done = "" if sim.complete else " (stopped early)"
    return (f"simulation: N0 = {sim.n0}, hidden width {sim.width} (N1/N0 = {sim.width_ratio:g}), "
            f"{sim.n_draws} weight draws{done}, β = {', '.join(f'{b:g}' for b in sim.beta)}, seed {sim.seed}")


def _legend_below(fig: go.Figure, height: int, shift: float = -0.2) -> go.Figure:
    """Legend in a row under the x-axis titles (above, it would cover the subplot titles)."""
    fig.update_layout(legend=dict(orientation="h", x=0.0, xanchor="left", y=shift, yanchor="top"),
                      margin=dict(b=120, t=120), height=height + 80)
    return fig


def _runs(mask):
    """[(start, stop)] index ranges (stop exclusive) where the boolean ``mask`` is True."""
    out, start = [], None
    for i, m in enumerate(list(mask) + [False]):
        if m and start is None:
            start = i
        elif not m and start is not None:
            out.append((start, i))
            start = None
    return out


def _axis(letter: str, k: int) -> str:
    """Plotly's name of subplot k's axis: x, x2, x3, ..."""
    return letter if k == 1 else f"{letter}{k}"


class _Marks:
    """Reference lines, bands and notes, put into the layout in one update.

    (``fig.add_hline``/``add_vrect`` re-validate every shape on each call: about 50 ms apiece on a
    busy machine, which made figures the slowest part of a change of parameters.)
    """

    def __init__(self):
        self.shapes, self.notes = [], []

    def band(self, x0, x1, *, color, opacity, k=1):
        self.shapes.append(dict(type="rect", xref=_axis("x", k), yref=_axis("y", k) + " domain", x0=x0, x1=x1,
                                y0=0, y1=1, fillcolor=color, opacity=opacity, line_width=0, layer="below"))

    def hline(self, y, *, line, text=None, right=False, below=False, k=1):
        xa, ya = _axis("x", k), _axis("y", k)
        self.shapes.append(dict(type="line", xref=xa + " domain", x0=0, x1=1, yref=ya, y0=y, y1=y, line=line))
        if text:
            self.notes.append(dict(xref=xa + " domain", x=1.0 if right else 0.0, yref=ya, y=y, text=text,
                                   showarrow=False, xanchor="right" if right else "left",
                                   yanchor="top" if below else "bottom", font=dict(size=11, color="#555555")))

    def vline(self, x, *, line, text=None, bottom=False, k=1):
        xa, ya = _axis("x", k), _axis("y", k)
        self.shapes.append(dict(type="line", yref=ya + " domain", y0=0, y1=1, xref=xa, x0=x, x1=x, line=line))
        if text:
            self.notes.append(dict(xref=xa, x=x, yref=ya + " domain", y=0.0 if bottom else 1.0, text=text,
                                   showarrow=False, xanchor="left", yanchor="bottom" if bottom else "top",
                                   xshift=3, font=dict(size=11, color="#555555")))

    def note(self, **kw):
        self.notes.append(dict(dict(showarrow=False, font=dict(size=11)), **kw))

    def apply(self, fig: go.Figure) -> go.Figure:
        fig.update_layout(shapes=list(fig.layout.shapes) + self.shapes,
                          annotations=list(fig.layout.annotations) + self.notes)
        return fig


def _ticks_125(lo: float, hi: float) -> list:
    """1-2-5 tick values covering [lo, hi] (a log axis labelled in full: 0.1, 0.2, 0.5, 1, ...)."""
    out = []
    for k in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        out += [m * 10.0 ** k for m in (1, 2, 5) if lo * 0.999 <= m * 10.0 ** k <= hi * 1.001]
    return [float(f"{t:.6g}") for t in out]


def _rs_branch(broken):
    """Where to draw the RS branch dashed: where RS is not the solution, plus the RS point before each
    such run (so the dashed line starts where the solid one leaves it)."""
    broken = np.asarray(broken, dtype=bool)
    before = np.zeros_like(broken)
    before[:-1] = broken[1:] & ~broken[:-1]
    return broken | before


def _phase_bands(marks: _Marks, beta, phase, cols, *, log=True):
    """Shade the β ranges where the solution breaks replica symmetry, one colour per phase."""
    b = np.asarray(beta, dtype=float)
    edges = np.sqrt(b[1:] * b[:-1]) if log else 0.5 * (b[1:] + b[:-1])
    edges = np.concatenate([[b[0]], edges, [b[-1]]])
    labelled = set()
    for name in PHASES[1:]:
        for i0, i1 in _runs(np.asarray(phase) == name):
            for col in cols:
                marks.band(edges[i0], edges[i1], color=PHASE_COLORS[name], opacity=0.15, k=col)
            if name not in labelled:
                labelled.add(name)
                marks.note(x=math.log10(edges[i1]) if log else edges[i1], y=1.0, xref="x", yref="y domain",
                           text=name, xanchor="right", yanchor="top", font=dict(size=11, color="#555555"))


# ---------------------------------------------------------------------------------------------
# Theory: kernel, finite temperature, zero temperature
# ---------------------------------------------------------------------------------------------

def kernel_figure(frame: pd.DataFrame, *, setting: str, height: int = 400) -> tuple[go.Figure, pd.DataFrame]:
    """ξ(q), ξ'(q) (left) and ξ''(q) against ξ'(1) (right) on q in [0, 1].

    ``frame`` has columns q, xi, dxi, d2xi (:meth:`engine.nngp.NNGPCovariance.to_frame`). The right
    panel shows the zero-temperature AT condition ξ''(1) ≤ ξ'(1); an infinite ξ'' (ReLU-type kinks,
    at q = 1) is left out and the axis is cut at a few times ξ'(1), which the figure says.
    """
    q = frame["q"].to_numpy(float)
    d2 = frame["d2xi"].to_numpy(float)
    dxi1 = float(frame["dxi"].to_numpy(float)[-1])
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1,
                        subplot_titles=("covariance ξ(q) = E[H(x)H(x′)]/N0 and ξ′(q)",
                                        "curvature ξ″(q): RS at T = 0 needs ξ″(1) ≤ ξ′(1)"))
    fig.add_trace(go.Scatter(x=q, y=frame["xi"], mode="lines", name="ξ(q)", line=dict(color=COLORS["theory"], width=2),
                             hovertemplate="q %{x:.3f}: ξ %{y:.4g}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Scatter(x=q, y=frame["dxi"], mode="lines", name="ξ′(q)",
                             line=dict(color=COLORS["trained"], width=2, dash="dash"),
                             hovertemplate="q %{x:.3f}: ξ′ %{y:.4g}<extra></extra>"), row=1, col=1)
    finite = np.isfinite(d2)
    fig.add_trace(go.Scatter(x=q[finite], y=d2[finite], mode="lines", name="ξ″(q)",
                             line=dict(color=COLORS["shuffled"], width=2),
                             hovertemplate="q %{x:.3f}: ξ″ %{y:.4g}<extra></extra>"), row=1, col=2)
    marks = _Marks()
    marks.hline(dxi1, line=dict(color=COLORS["trained"], dash="dash", width=1.5), text=f"ξ′(1) = {dxi1:.4g}", k=2)
    top = max(1.3 * dxi1, 1.15 * float(np.max(d2[finite & (q <= 0.98)], initial=0.0)))
    if not finite.all() or np.any(d2[finite] > top):
        fig.update_yaxes(range=[0, top], row=1, col=2)
        marks.note(x=0.96, y=top, xref="x2", yref="y2", text="ξ″ → ∞ at q → 1 ↑", xanchor="right", yanchor="top",
                   font=dict(size=11, color=COLORS["shuffled"]))
    else:
        fig.update_yaxes(rangemode="tozero", row=1, col=2)
    fig.update_xaxes(title_text=Q_LABEL, range=[0, 1])
    fig.update_yaxes(title_text="ξ, ξ′ (output variance per N0)", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text="ξ″", row=1, col=2)
    marks.apply(fig)
    style(fig, title="The network's covariance: a mixed p-spin mixture ξ(q)", height=height,
          note=setting + " · infinite width (NNGP)")
    _legend_below(fig, height)
    return fig, frame.copy()


def thermo_figure(th, at, *, setting: str, sim=None, theory_at_sim=None, height: int = 430
                  ) -> tuple[go.Figure, pd.DataFrame]:
    """Energy ⟨H⟩/N0 (left) and overlaps (right) against β, with the AT point and the RSB phases.

    ``th`` an :class:`engine.input_hamiltonian.Thermodynamics` on a β grid; ``at`` an ``ATPoint``.
    Solid: the solution (RS, 1RSB, or the general Crisanti-Sommers minimiser where 1RSB is not
    exact); dashed: the RS branch where it is not the solution. Right: q(β) of RS, q0 and q1 of 1RSB.
    ``sim`` (a ``SimulationResult``) adds ⟨H⟩/N0 and the mean overlap of two chains ± one standard
    error; ``theory_at_sim`` (a ``Thermodynamics`` at the simulated β) adds the theory there, so
    temperatures beyond the grid are compared too.
    """
    b = np.asarray(th.beta, dtype=float)
    phase = np.asarray(th.phase).astype(str)
    broken = phase != "RS"
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1,
                        subplot_titles=("energy: theory (N0 → ∞, infinite width) and simulation",
                                        "overlap of two inputs drawn at the same β"))
    dashed = _rs_branch(broken)
    th_line = dict(color=COLORS["theory"], width=2.2)
    fig.add_trace(go.Scatter(x=b, y=th.energy, mode="lines", name="theory: the solution", line=th_line,
                             legendgroup="th", customdata=phase,
                             hovertemplate="β %{x:.3g}: ⟨H⟩/N0 %{y:.4f} (%{customdata})<extra>theory</extra>"),
                  row=1, col=1)
    if broken.any():
        fig.add_trace(go.Scatter(x=b[dashed], y=-np.asarray(th.u_rs)[dashed], mode="lines",
                                 name="RS branch (not the solution)", legendgroup="rs",
                                 line=dict(color=COLORS["theory"], width=1.5, dash="dash"),
                                 hovertemplate="β %{x:.3g}: RS ⟨H⟩/N0 %{y:.4f}<extra>RS branch</extra>"),
                      row=1, col=1)
    q_rs = np.asarray(th.q_rs, dtype=float)
    fig.add_trace(go.Scatter(x=np.where(broken, np.nan, b), y=q_rs, mode="lines", name="q (RS)", line=th_line,
                             legendgroup="th", showlegend=False,
                             hovertemplate="β %{x:.3g}: q %{y:.4f}<extra>RS</extra>"), row=1, col=2)
    if broken.any():
        fig.add_trace(go.Scatter(x=b[dashed], y=q_rs[dashed], mode="lines", legendgroup="rs", showlegend=False,
                                 line=dict(color=COLORS["theory"], width=1.5, dash="dash"),
                                 hovertemplate="β %{x:.3g}: q %{y:.4f}<extra>RS branch</extra>"), row=1, col=2)
        for name, values, dash in (("q₁ (RSB: within a valley)", th.q1, None),
                                   ("q₀ (RSB: between valleys)", th.q0, "dot")):
            fig.add_trace(go.Scatter(x=b, y=values, mode="lines", name=name,
                                     line=dict(color=COLORS["partial"], width=2.2, dash=dash),
                                     hovertemplate="β %{x:.3g}: %{y:.4f}<extra>" + name.split()[0] + "</extra>"),
                          row=1, col=2)
    if at is not None and math.isfinite(at.beta) and b[0] <= at.beta <= b[-1]:
        for col, y in ((1, at.energy), (2, at.q)):
            fig.add_trace(go.Scatter(x=[at.beta], y=[y], mode="markers", name=f"AT point β = {at.beta:.3g}",
                                     legendgroup="at", showlegend=col == 1,
                                     marker=dict(symbol="diamond", size=11, color=COLORS["shuffled"],
                                                 line=dict(color="white", width=1)),
                                     hovertemplate="AT: β %{x:.4g}, %{y:.4f}<extra>de Almeida-Thouless</extra>"),
                          row=1, col=col)
    marks = _Marks()
    _phase_bands(marks, b, phase, (1, 2))
    frames = [th.to_frame().assign(kind="theory")]
    if theory_at_sim is not None:
        tb = np.asarray(theory_at_sim.beta, dtype=float)
        fig.add_trace(go.Scatter(x=tb, y=theory_at_sim.energy, mode="markers", name="theory at the simulated β",
                                 legendgroup="ths", marker=dict(symbol="circle-open", size=12, color=COLORS["theory"],
                                                                line=dict(width=2)),
                                 hovertemplate="β %{x:.3g}: theory ⟨H⟩/N0 %{y:.4f}<extra></extra>"), row=1, col=1)
        frames.append(theory_at_sim.to_frame().assign(kind="theory at simulated beta"))
    if sim is not None and sim.n_draws:
        name = f"simulation: N0 = {sim.n0}, N1/N0 = {sim.width_ratio:g}, mean ± s.e. over {sim.n_draws} draws"
        green = dict(color=COLORS["simulation"], size=9)
        fig.add_trace(go.Scatter(x=sim.beta, y=sim.energy, mode="markers", name=name, legendgroup="sim", marker=green,
                                 error_y=dict(array=sim.energy_err, color=COLORS["simulation"], thickness=1.5),
                                 hovertemplate="β %{x:.3g}: ⟨H⟩/N0 %{y:.4f} ± %{error_y.array:.2g}"
                                               "<extra>simulation</extra>"), row=1, col=1)
        fig.add_trace(go.Scatter(x=sim.beta, y=sim.q_mean, mode="markers", legendgroup="sim", showlegend=False,
                                 marker=green,
                                 error_y=dict(array=sim.q_mean_err, color=COLORS["simulation"], thickness=1.5),
                                 hovertemplate="β %{x:.3g}: mean q %{y:.4f} ± %{error_y.array:.2g}"
                                               "<extra>simulation</extra>"), row=1, col=2)
        frames.append(sim.to_frame().assign(kind="simulation"))
    lo, hi = float(b[0]), float(b[-1])
    if sim is not None and len(sim.beta):
        lo, hi = min(lo, float(np.min(sim.beta))), max(hi, float(np.max(sim.beta)))
    ticks = _ticks_125(lo, hi)
    fig.update_xaxes(title_text=BETA_LABEL, type="log", range=[math.log10(lo) - 0.03, math.log10(hi) + 0.06],
                     tickvals=ticks, ticktext=[f"{t:g}" for t in ticks])
    fig.update_yaxes(title_text=E_LABEL, row=1, col=1)
    fig.update_yaxes(title_text=Q_LABEL, range=[0, 1.02], row=1, col=2)
    marks.apply(fig)
    extra = f"β grid {b[0]:g}–{b[-1]:g} ({b.size} points)"
    if at is not None:
        extra += (" · no AT point for β ≤ 1000" if not math.isfinite(at.beta) else
                  f" · AT point β = {fmt(at.beta)}" + (" (beyond the grid)" if at.beta > b[-1] else ""))
    if sim is not None:
        extra += " · " + sim_note(sim)
    style(fig, title="Energy and overlap against inverse temperature", height=height, note=setting + " · " + extra)
    _legend_below(fig, height)
    return fig, pd.concat(frames, ignore_index=True)


def entropy_figure(th, at, gs, *, setting: str, height: int = 430) -> tuple[go.Figure, pd.DataFrame]:
    """The entropy curve s(E) (log volume of inputs at energy density E), with the ground state.

    Solid: the solution; dashed: the RS branch where it is not. The AT point is marked; the
    vertical line is E = -GS (zero temperature, N0 → ∞), where s → -∞; a second, dotted one the
    RS estimate -√ξ'(1) when replica symmetry breaks at T = 0.
    """
    curve = th.entropy_curve()
    phase = np.asarray(th.phase).astype(str)
    broken = phase != "RS"
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=curve["energy"], y=curve["entropy"], mode="lines", name="theory: the solution",
                             line=dict(color=COLORS["theory"], width=2.2),
                             customdata=np.c_[curve["beta"], curve["phase"]],
                             hovertemplate="E %{x:.4f}: s %{y:.4f}<br>β %{customdata[0]:.3g} (%{customdata[1]})"
                                           "<extra>theory</extra>"))
    frames = [curve.assign(kind="solution")]
    if broken.any():
        dashed = _rs_branch(broken)
        rs = pd.DataFrame({"energy": -np.asarray(th.u_rs)[dashed], "entropy": np.asarray(th.entropy_rs)[dashed],
                           "beta": np.asarray(th.beta)[dashed], "phase": "RS branch"})
        fig.add_trace(go.Scatter(x=rs["energy"], y=rs["entropy"], mode="lines", name="RS branch (not the solution)",
                                 line=dict(color=COLORS["theory"], width=1.5, dash="dash"),
                                 hovertemplate="E %{x:.4f}: s %{y:.4f}<extra>RS branch</extra>"))
        frames.append(rs.assign(kind="RS branch"))
    if at is not None and math.isfinite(at.beta) and at.beta <= float(np.max(th.beta)):
        fig.add_trace(go.Scatter(x=[at.energy], y=[at.entropy], mode="markers", name=f"AT point β = {at.beta:.3g}",
                                 marker=dict(symbol="diamond", size=11, color=COLORS["shuffled"],
                                             line=dict(color="white", width=1)),
                                 hovertemplate="AT: E %{x:.4f}, s %{y:.4f}<extra></extra>"))
    marks = _Marks()
    marks.vline(-gs.energy, line=dict(color=COLORS["trained"], width=2),
                text=f"ground state −GS = {_minus(-gs.energy)}")
    if gs.rs_energy - gs.energy > 1e-4 * gs.energy:
        marks.vline(-gs.rs_energy, line=dict(color=COLORS["trained"], width=1.5, dash="dot"), bottom=True,
                    text=f"RS estimate −√ξ′(1) = {_minus(-gs.rs_energy)}")
    marks.apply(fig)
    b = np.asarray(th.beta, dtype=float)
    e_max = float(np.max(curve["energy"]))
    fig.update_xaxes(range=[-gs.rs_energy - 0.04 * (gs.rs_energy + e_max), e_max + 0.02 * gs.rs_energy])
    style(fig, title="Entropy of inputs at a given energy, s(E)", x=E_LABEL, y=S_LABEL, height=height,
          note=setting + f" · β {b.min():g}–{b.max():g} · s relative to the whole sphere (s = 0 at β = 0) · "
                         "ground state at T = 0")
    fig.update_layout(legend=dict(orientation="h", x=0.0, xanchor="left", y=-0.2, yanchor="top"),
                      margin=dict(b=110), height=height + 40)
    return fig, pd.concat(frames, ignore_index=True)


def ground_state_figure(gs, *, setting: str, height: int = 400) -> tuple[go.Figure, pd.DataFrame]:
    """The zero-temperature solution: χ(q) (left, concave non-increasing) and α(q) = -χ′(q) (right).

    GS = inf_χ ½[ξ′(0)χ(0) + ∫(ξ″χ + 1/χ)] (Chen & Sen 2017). RS is χ constant = 1/√ξ′(1) (dashed),
    1RSB a single kink (α jumps once), a full-RSB-like solution an α that grows continuously.
    """
    q = np.asarray(gs.q, dtype=float)
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1,
                        subplot_titles=("χ(q): the zero-temperature order parameter",
                                        "α(q) = −χ′(q): where the measure sits"))
    fig.add_trace(go.Scatter(x=q, y=gs.chi, mode="lines", name=f"optimal χ ({gs.verdict})",
                             line=dict(color=COLORS["theory"], width=2.2),
                             hovertemplate="q %{x:.3f}: χ %{y:.4g}<extra></extra>"), row=1, col=1)
    marks = _Marks()
    marks.hline(1 / gs.rs_energy, line=dict(color=COLORS["trained"], dash="dash", width=1.5), below=True,
                text="RS: χ = 1/√ξ′(1)")
    fig.add_trace(go.Scatter(x=q, y=gs.alpha, mode="lines", name="α(q)", line=dict(color=COLORS["partial"], width=2.2),
                             line_shape="hv", showlegend=False,
                             hovertemplate="q %{x:.3f}: α %{y:.4g}<extra></extra>"), row=1, col=2)
    alpha = np.asarray(gs.alpha, dtype=float)
    inner = alpha[q <= 0.98]
    cap = 1.2 * float(np.max(inner, initial=0.0))
    if cap > 0 and np.nanmax(alpha) > 4 * cap:  # α = -χ' diverges where χ -> 0 at q -> 1 (ReLU-type ξ)
        fig.update_yaxes(range=[0, cap], row=1, col=2)
        marks.note(x=0.96, y=cap, xref="x2", yref="y2", text="α → ∞ at q → 1 ↑", xanchor="right", yanchor="top",
                   font=dict(size=11, color=COLORS["partial"]))
    else:
        fig.update_yaxes(rangemode="tozero", row=1, col=2)
    fig.update_xaxes(title_text=Q_LABEL, range=[0, 1])
    fig.update_yaxes(title_text="χ(q)", range=[0, 1.15 * max(float(np.max(gs.chi)), 1 / gs.rs_energy)], row=1, col=1)
    fig.update_yaxes(title_text="α(q)", row=1, col=2)
    marks.apply(fig)
    style(fig, title=f"Zero temperature: GS = {gs.energy:.5f} ({gs.verdict})", height=height,
          note=setting + f" · RS value √ξ′(1) = {gs.rs_energy:.5f} · " + (gs.note or "χ on a grid"))
    _legend_below(fig, height)
    return fig, gs.to_frame()


# ---------------------------------------------------------------------------------------------
# Simulation against theory
# ---------------------------------------------------------------------------------------------

def theory_mean_overlap(ot) -> float:
    """E[q] under the theory's overlap distribution (atoms, or the Parisi function where continuous).

    0 when ξ is even (P(q) mirrored at -q).
    """
    if ot.symmetric:
        return 0.0
    if np.size(ot.x):
        dx = np.diff(np.concatenate([[0.0], np.asarray(ot.x, float)]))
        return float(np.sum(np.asarray(ot.x_q, float)[: dx.size] * dx))
    return float(np.sum(np.asarray(ot.q) * np.asarray(ot.weight)))


def _continuum(ot):
    """(low, high) q where the Parisi function x(q) rises continuously, or None."""
    if not np.size(ot.x):
        return None
    x = np.asarray(ot.x, float)
    qn = np.asarray(ot.x_q, float)[: x.size]
    inside = (x > 1e-3) & (x < 1 - 1e-3)
    if inside.sum() < 2:
        return None
    return float(qn[inside].min()), float(qn[inside].max())


def overlap_figure(sim, theories, *, setting: str, height_per_row: int = 330) -> tuple[go.Figure, pd.DataFrame]:
    """Simulated P(q) per β (bars ± one standard error over weight draws) over the theory's atoms.

    ``theories`` one ``OverlapTheory`` per β of ``sim``: RS one atom, 1RSB two (weights m and
    1 - m), full-RSB-like a continuum (shaded where the Parisi function rises). At finite N0 every
    atom is a peak of width ~1/√N0.
    """
    nb = len(sim.beta)
    cols = min(nb, 4)
    rows = int(math.ceil(nb / cols))
    titles = [f"β = {b:g}: theory {ot.phase}" for b, ot in zip(sim.beta, theories)]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.06,
                        vertical_spacing=0.22 if rows > 1 else 0.1)
    marks = _Marks()
    edges = np.asarray(sim.q_edges, float)
    centres = 0.5 * (edges[1:] + edges[:-1])
    atoms = []
    for k, (b, ot) in enumerate(zip(sim.beta, theories)):
        r, c = k // cols + 1, k % cols + 1
        p = np.asarray(sim.p_q[k], float)
        err = np.asarray(sim.p_q_err[k], float)
        fig.add_trace(go.Bar(x=centres, y=p, width=np.diff(edges), marker_color=COLORS["simulation"], opacity=0.75,
                             name=f"simulation P(q), N0 = {sim.n0}", legendgroup="sim", showlegend=bool(k == 0),
                             error_y=dict(array=np.nan_to_num(err), color="#1b5e4a", thickness=1)
                             if np.isfinite(err).any() else None,
                             hovertemplate="q %{x:.3f}: P %{y:.3g}<extra>simulation</extra>"), row=r, col=c)
        span = _continuum(ot) if ot.phase == "full-RSB-like" else None
        if span is not None:
            marks.band(span[0], span[1], color=PHASE_COLORS["full-RSB-like"], opacity=0.25, k=k + 1)
        top = max(float(np.nanmax(p)) if np.isfinite(p).any() else 1.0, 1.0) * 1.15
        for sign in ((1, -1) if ot.symmetric else (1,)):
            for i, (qa, w) in enumerate(zip(ot.q, ot.weight)):
                wt = w / 2 if ot.symmetric else w
                x = sign * float(qa)
                fig.add_trace(go.Scatter(x=[x, x], y=[0, top * (0.35 + 0.65 * wt)], mode="lines+text",
                                         text=["", f"{wt:.2f}"], textposition="top center",
                                         line=dict(color=COLORS["theory"], width=1.5 + 3 * wt),
                                         name="theory atoms (line length ∝ weight)", legendgroup="th",
                                         showlegend=bool(k == 0 and sign == 1 and i == 0),
                                         hovertemplate=f"theory atom q = {x:.4f}, weight {wt:.3f}<extra></extra>"),
                              row=r, col=c)
                atoms.append({"beta": float(b), "q": x, "p": np.nan, "p_err": np.nan, "theory_weight": wt,
                              "theory_phase": ot.phase, "kind": "theory atom"})
        fig.update_yaxes(range=[0, top * 1.12], row=r, col=c)
    fig.update_xaxes(title_text=Q_LABEL, range=[-1, 1])
    fig.update_yaxes(title_text="P(q) (density)", col=1)
    marks.apply(fig)
    style(fig, title="Overlap distribution P(q): one peak (RS), two (1RSB), a plateau (full RSB)",
          height=height_per_row * rows, note=setting + " · " + sim_note(sim) + " · 4 chains per β, all pairs")
    _legend_below(fig, height_per_row * rows, shift=-0.3 if rows == 1 else -0.15)
    df = sim.overlap_frame().assign(theory_weight=np.nan, theory_phase="", kind="simulation")
    return fig, pd.concat([df, pd.DataFrame(atoms)], ignore_index=True)


def descent_figure(sim, gs, *, setting: str, height: int = 400) -> tuple[go.Figure, pd.DataFrame]:
    """The lowest H/N0 reached by each gradient descent, per weight draw, against -GS of the theory.

    The theory's -GS is the N0 → ∞, infinite-width value; a descent may stop in a local minimum
    above the global one, and at finite N0 the global minimum itself fluctuates from draw to draw.
    """
    df = sim.ground_frame()
    fig = go.Figure()
    n_desc = max(int(df["descent"].max()) + 1, 1) if len(df) else 1
    jitter = (df["descent"] - (n_desc - 1) / 2) / max(n_desc, 1) * 0.5
    fig.add_trace(go.Scatter(x=df["draw"] + 1 + jitter, y=df["energy"], mode="markers",
                             name=f"gradient descents ({n_desc} per draw)",
                             marker=dict(color=COLORS["simulation"], size=7, opacity=0.7),
                             customdata=np.c_[df["draw"] + 1, df["descent"] + 1],
                             hovertemplate="draw %{customdata[0]}, descent %{customdata[1]}: min H/N0 %{y:.4f}"
                                           "<extra></extra>"))
    if len(df):
        best = df.groupby("draw")["energy"].min()
        fig.add_trace(go.Scatter(x=best.index + 1, y=best.values, mode="markers", name="lowest per draw",
                                 marker=dict(symbol="line-ew-open", size=22, color=COLORS["simulation"],
                                             line=dict(width=3)),
                                 hovertemplate="draw %{x}: lowest %{y:.4f}<extra></extra>"))
    mean, err, spread = sim.ground_energy
    marks = _Marks()
    marks.hline(-gs.energy, line=dict(color=COLORS["theory"], width=2),
                text=f"theory −GS = {_minus(-gs.energy)} ({gs.verdict})")
    if gs.rs_energy - gs.energy > 1e-4 * gs.energy:  # (lower than -GS: its label goes below, on the right)
        marks.hline(-gs.rs_energy, line=dict(color=COLORS["theory"], width=1.2, dash="dot"), below=True, right=True,
                    text=f"RS estimate −√ξ′(1) = {_minus(-gs.rs_energy)}")
    if math.isfinite(mean):
        marks.hline(mean, line=dict(color=COLORS["simulation"], width=1.5, dash="dash"), right=True,
                    text=f"mean of descents {_minus(mean)} ± {fmt(err, 2)} (spread {fmt(spread, 2)})")
    marks.apply(fig)
    fig.update_xaxes(title_text="weight draw", tickmode="linear", dtick=1 if sim.n_draws <= 20 else 5)
    style(fig, title="Ground states: gradient descents against the theory's −GS", y="lowest energy H/N0 reached",
          height=height, note=setting + " · " + sim_note(sim))
    fig.update_layout(legend=dict(orientation="h", x=0.0, xanchor="left", y=-0.2, yanchor="top"),
                      margin=dict(b=110), height=height + 40)
    return fig, df


def comparison_frame(sim, theory_at_sim, theories) -> pd.DataFrame:
    """Per β: theory and simulated ⟨H⟩/N0 and mean overlap, the gaps, and the tempering swap rate."""
    sw = np.concatenate([np.asarray(sim.swap_acceptance, float), [np.nan]])[: len(sim.beta)]
    e_th = np.asarray(theory_at_sim.energy, float)
    q_th = np.array([theory_mean_overlap(ot) for ot in theories])
    gap = np.asarray(sim.energy, float) - e_th
    with np.errstate(invalid="ignore", divide="ignore"):
        sig = np.abs(gap) / np.asarray(sim.energy_err, float)
    return pd.DataFrame({
        "β": sim.beta, "theory phase": [ot.phase for ot in theories], "theory ⟨H⟩/N0": e_th,
        "simulated ⟨H⟩/N0": sim.energy, "± s.e.": sim.energy_err, "gap": gap, "|gap| / s.e.": sig,
        "theory mean q": q_th, "simulated mean q": sim.q_mean, "q ± s.e.": sim.q_mean_err,
        "swap acceptance to next β": sw})


# ---------------------------------------------------------------------------------------------
# Overview: verdicts across activations and depths
# ---------------------------------------------------------------------------------------------

def verdict_figure(table: pd.DataFrame, *, height: int | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """A grid of verdicts (rows: activations, columns: depths), coloured by phase.

    ``table`` from :func:`engine.input_hamiltonian.verdict_table`. Each cell names the verdict,
    GS, and how much replica-symmetry breaking lowers GS (``rsb_gain``) — often tiny.
    """
    acts = list(dict.fromkeys(table["activation"]))
    depths = sorted(set(int(d) for d in table["depth"]))
    z = np.full((len(acts), len(depths)), np.nan)
    text = np.full(z.shape, "", dtype=object)
    hover = np.full(z.shape, "", dtype=object)
    for _, row in table.iterrows():
        i, j = acts.index(row["activation"]), depths.index(int(row["depth"]))
        z[i, j] = PHASES.index(row["verdict"])
        gain = "" if row["verdict"] == "RS" else f"<br>RSB gain {row['rsb_gain']:.1e}"
        text[i, j] = f"<b>{row['verdict']}</b><br>GS {row['ground_energy']:.4f}{gain}"
        hover[i, j] = (f"{row['activation']}, L = {int(row['depth'])}: {row['verdict']}<br>"
                       f"GS = {row['ground_energy']:.5f}, RS value {row['rs_energy']:.5f}<br>"
                       f"ξ″(1)/ξ′(1) = {fmt(row['at_ratio'])}, β_AT = {fmt(row['beta_at'])}")
    n = len(PHASES)
    scale = []
    for k, name in enumerate(PHASES):  # a discrete colour scale: one flat band per phase
        scale += [[k / n, PHASE_COLORS[name] if name != "RS" else "#DCEBF5"],
                  [(k + 1) / n, PHASE_COLORS[name] if name != "RS" else "#DCEBF5"]]
    fig = go.Figure(go.Heatmap(
        x=[f"L = {d}" for d in depths], y=acts, z=z, zmin=-0.5, zmax=n - 0.5, colorscale=scale, text=text,
        texttemplate="%{text}", textfont=dict(size=12), customdata=hover, hovertemplate="%{customdata}<extra></extra>",
        xgap=3, ygap=3,
        colorbar=dict(tickvals=list(range(n)), ticktext=list(PHASES), title=dict(text="verdict"), len=0.9)))
    fig.update_yaxes(autorange="reversed", title_text="activation")
    fig.update_xaxes(title_text="depth L (hidden layers)", side="bottom")
    r = table.iloc[0]
    height = height or 170 + 78 * len(acts)
    style(fig, title="Replica symmetry at zero temperature, infinite width", height=height, legend=False,
          note=f"C_W: {r['weight_variance']:.4g} · C_b: {r['bias_variance']:.4g} · GS = max H/N0 · "
               "RSB gain = (RS value − GS)/GS")
    return fig, table.drop(columns=["note"], errors="ignore")
