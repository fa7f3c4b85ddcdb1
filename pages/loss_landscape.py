"""Loss landscape: interpolations, random and Hessian directions, the Hessian spectrum, zoo sharpness.

Composes ``engine.landscape`` (PHYSICS.md section 9) with the figure builders of
``ui.fig_landscape``. Works on the current model of the sidebar; the loss is measured on the
data set its card names. The Zoo sharpness view reads the shipped table
``sample_models/zoo_sharpness.csv`` and works for any current model.
"""
import json
import math

import numpy as np
import pandas as pd
import streamlit as st

from engine import landscape as L
from engine.zoo import ZOO_DIR
from ui import catalog, params, results, state
from ui.downloads import figure_with_downloads
from ui.errors import engine_errors
from ui.fig_landscape import (EIG_UNIT, centre_cuts_figure, hutchinson_figure, interpolation_summary, line_figure, sharpness_figure,
                              spectrum_figure, stage_medians, surface_figure)
from ui.plotting import provenance
from ui.progress import partial as partial_result
from ui.progress import run_with_progress
from ui.shell import page_header

TINY = catalog.TINY
INFO = catalog.page_info("loss_landscape.py")
#: Up to this many parameters the quick computations (spectrum, trace) run by themselves and the
#: loss uses every example; bigger nets (the 26k-parameter digits net) wait for a button and use 256.
SMALL = 5000
AUTO_SUBSET = 256
SHARPNESS_CSV = ZOO_DIR / "zoo_sharpness.csv"

page_header(
    INFO.title,
    "Training moves the P weights and biases θ of a network downhill on the **loss** L(θ), here the mean "
    "cross-entropy in nats per example on the training data. L lives in P dimensions; these views cut through it "
    "along lines and planes, and measure its curvature with the Hessian H = ∂²L/∂θ∂θᵀ, whose eigenvalues are "
    f"in {EIG_UNIT}.",
    source=INFO.source)

VIEWS = ["Interpolation", "Random directions", "Hessian directions", "Spectrum", "Zoo sharpness"]
view = params.segmented(
    "View", key="ls_view", default="Interpolation", options=VIEWS,
    help="Interpolation: the straight line between two models. Random directions: a 1D cut and a 2D surface "
         "around the current model. Hessian directions: the surface along the most and least curved directions. "
         "Spectrum: all curvatures. Zoo sharpness: curvature against test accuracy across the zoo.")

net = state.current_network()
name = state.current_name()


# ================================================================================ helpers

def computed(key, fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` kept in the process-wide store under ``key`` (computed once per key)."""
    value = results.get(key)
    if value is None:
        value = results.put(key, fn(*args, **kwargs))
    return value


def card_data_key(network) -> str:
    """What the loss data depends on besides the split and the subset: the card's data set and its recipe."""
    card = network.card
    return json.dumps([card.get("dataset"), card.get("dataset_info"), network.widths[0], network.widths[-1]],
                      sort_keys=True, default=str)


@st.cache_data(show_spinner=False, max_entries=32)
def _loss_data(digest: str, card_key: str, split: str, n_samples, _network):
    return L.loss_data(_network, split=split, n_samples=n_samples, seed=0)


def data_controls():
    """The loss data (split, how many examples) and the memory budget, in a popover."""
    with st.popover("Loss data and memory budget", icon=":material/tune:"):
        split = params.segmented("Split", key="ls_split", default="train", options=list(L.SPLITS),
                                 help="train: the landscape that training descended (default). test: the same "
                                      "parameters judged on held-out examples.")
        auto = "all" if net.n_params <= SMALL else str(AUTO_SUBSET)
        n_choice = params.selectbox(
            "Examples", key="ls_n", default="auto", options=["auto", "all", "1024", "512", "256", "128", "64"],
            format_func=lambda v: f"auto ({auto})" if v == "auto" else v,
            help=f"A seeded random subset makes surfaces faster. auto: every example up to {SMALL:,} parameters, "
                 f"{AUTO_SUBSET} above (this model has {net.n_params:,}).")
        budget = params.number_input(
            "Memory budget (MB)", key="ls_mem", default=512, min_value=1, max_value=8192, step=64,
            help="Working memory of one batched evaluation of grid points, and the ceiling for the exact "
                 "Hessian (about 24 P² bytes). A grid that does not fit is refused with a message.")
    choice = auto if n_choice == "auto" else n_choice
    n_samples = None if choice == "all" else int(choice)
    return split, n_samples, int(budget) * 2**20


def current_data(split, n_samples):
    """The current model's loss data, or None after showing why there is none."""
    data = None
    with engine_errors(f"The loss of {name}"):
        data = _loss_data(net.digest(), card_data_key(net), split, n_samples, net)
    if data is None:
        st.info("The landscape views need the data the model was trained on, named by its card. Pick a zoo model "
                "or upload the model together with its JSON card (Models page). The **Zoo sharpness** view works "
                "without it.", icon=":material/info:")
    return data


def show_as():
    return params.segmented("Show the surface as", key="ls_show", default="contour", options=["contour", "3D"],
                            help="One 3D view at a time: the contour map is the same surface seen from above.")


def last_or_stored(key, session_key, settings):
    """The result for ``settings`` (stored) or this session's last result with its settings, and a flag."""
    value = results.get(key)
    if value is not None:
        return value, settings, False
    last = st.session_state.get(session_key)
    if last is not None and last[0]["model"] == settings["model"]:
        return last[2], last[1], True
    return None, settings, False


# =========================================================================== interpolation

def _architecture(network):
    return tuple(network.widths), tuple(network.activations)


def partner_options(any_architecture: bool) -> list[str]:
    """Models that can be the other end: the same architecture first (all models if asked)."""
    mine = _architecture(net)
    same, other = [], []
    for n in state.all_names():
        if n == name:
            continue
        if n in state.session_models():
            arch = _architecture(state.session_models()[n])
        else:
            card = next((c for c in state.zoo_cards() if c["name"] == n), {})
            arch = (tuple(card.get("widths", ())), tuple(card.get("activations", ())))
        (same if arch == mine else other).append(n)
    return same + (other if any_architecture else [])


def run_prefix(model_name: str) -> str:
    """``digits-64-32-10-tanh-s0`` of ``digits-64-32-10-tanh-s0-e30``: the training run (zoo naming)."""
    head, sep, tail = model_name.rpartition("-e")
    return head if sep and tail.isdigit() else model_name


def interpolation_view(data, budget):
    st.markdown(
        "The straight line θ(t) = (1 − t) θ_A + t θ_B between two networks of one architecture, with the **current "
        "model at t = 1**. From a network's initialisation (t = 0) to its trained weights the loss usually falls "
        "smoothly and monotonically (Goodfellow, Vinyals & Saxe 2015); between two independently trained networks "
        "it often rises on the way: a **barrier** between two minima. Beyond [0, 1] the line extrapolates.")
    c1, c2, c3 = st.columns([3, 1, 1])
    with c3:
        any_arch = params.toggle("Any architecture", key="ls_any", default=False,
                                 help="List every model. Two architectures cannot be interpolated: the engine "
                                      "refuses and says why.")
    options = partner_options(any_arch)
    if not options:
        st.info(f"No other model has the architecture of {name} ({net.describe()}). Train a second one on the "
                "Models page (e.g. another seed), or switch on **Any architecture**.", icon=":material/info:")
        return
    initial = f"{run_prefix(name)}-e0"
    default = initial if initial in options else options[0]
    if "ctl:ls_a" in st.session_state and st.session_state["ctl:ls_a"] not in options:
        # the current model changed: a fresh default partner (a first view takes ?ls_a= or the default)
        st.session_state["ctl:ls_a"] = default
        st.session_state.get("_controls", {}).pop("ls_a", None)

    def role(n):
        if n == initial:
            return f"{n}  (this run's initialisation)"
        if run_prefix(n) == run_prefix(name):
            return f"{n}  (this run, another epoch)"
        return n

    with c1:
        partner = params.selectbox("Model A at t = 0", key="ls_a", default=default, options=options,
                                   format_func=role)
    with c2:
        points = params.select_slider("Points", key="ls_tn", default=41, options=[21, 41, 81],
                                      help="Evenly spaced t in [-0.5, 1.5]; every choice contains t = 0 and t = 1.")
    model_a = state.get_network(partner)
    line = None
    with engine_errors(f"Interpolating from {partner} to {name}"):
        key = results.make_key("ls-interp", model_a.digest(), net.digest(), card_data_key(net), data.split,
                               data.n_samples, points)
        line = computed(key, L.interpolate, model_a, net, data, resolution=points, memory_budget=budget)
    if line is None:
        return
    st.session_state["ls:interp"] = (partner, name, line)
    s = interpolation_summary(line)
    k1, k2, k3, k4 = st.columns(4)
    k1.metric("L at t = 0 (A)", f"{s['loss_a']:.4g} nats")
    k2.metric("L at t = 1 (B, current)", f"{s['loss_b']:.4g} nats")
    k3.metric("Barrier above the chord", f"{s['barrier']:.3g} nats",
              help="max over 0 ≤ t ≤ 1 of L(t) − [(1 − t) L_A + t L_B]: how far the path rises above the straight "
                   "line joining the two end losses (0: no barrier).")
    k4.metric("Monotone from A to B", "yes" if s["monotone"] else "no",
              help="L never rises between t = 0 and t = 1 on the grid.")
    note = provenance(A=partner, B=name, data=data.describe(), points=points)
    fig, df = line_figure(line, title="Loss along the straight line from A to B", note=note,
                          marks={0.0: "A (t = 0)", 1.0: "B = current (t = 1)"})
    figure_with_downloads(fig, df, f"interpolation {partner} to {name}", key="ls_interp")
    if s["barrier"] > 0.05 * max(s["loss_a"], s["loss_b"]):
        st.markdown(f"**What comes out:** the path rises {s['barrier']:.3g} nats above the chord near "
                    f"t = {s['t_barrier']:.2f}: A and B sit in different basins of this slice.")
    elif s["monotone"]:
        st.markdown("**What comes out:** the loss falls all the way from A to B: no barrier on this line.")
    else:
        st.markdown(f"**What comes out:** the path stays within {s['barrier']:.2g} nats of the chord; the small "
                    "rises are local wiggles rather than a barrier.")
    st.caption("Try model A = another seed of the same architecture (e.g. …-s1-e30 for …-s0-e30): two trained "
               "solutions. Accuracy (dotted, right axis) is measured on the same examples as the loss.")


# ======================================================================= random directions

def surface_settings_row(res_default, *, random: bool):
    cols = st.columns([1.4, 1, 1, 1.2, 1] if random else 3)
    out = {}
    i = 0
    if random:
        with cols[0]:
            out["normalization"] = params.segmented(
                "Normalisation", key="ls_norm", default="filter", options=list(L.NORMALIZATIONS),
                help="filter (Li et al. 2018): each row of each weight matrix of the direction (the weights into "
                     "one neuron) is rescaled to the norm of the same row of θ*. layer: each matrix as a whole. "
                     "none: a raw Gaussian direction. Bias directions are 0 in all three.")
        with cols[1]:
            out["span"] = params.slider("Span", key="ls_span", default=1.0, min_value=0.1, max_value=2.0, step=0.1,
                                        help="α and β run from −span to +span; with filter normalisation α = 1 "
                                             "moves every neuron's weights by their own length.")
        with cols[2]:
            out["seed"] = int(params.number_input("Direction seed", key="ls_seed", default=0, min_value=0,
                                                  max_value=2**31 - 1, step=1))
        i = 3
    else:
        with cols[0]:
            out["factor"] = params.select_slider(
                "Span (× √(8/λ_max))", key="ls_hspan", default=0.25, options=[0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0],
                help="At α = √(8/λ_max) the quadratic model ½ λ_max α² has risen by 4 nats. A weak negative "
                     "curvature shows only close to θ*: try 0.05-0.25.")
        i = 1
    with cols[i]:
        out["resolution"] = params.slider("Resolution (points per axis)", key="ls_res", default=res_default,
                                          min_value=11, max_value=101, step=2,
                                          help="Odd, so the grid passes through the model itself.")
    with cols[i + 1]:
        out["mode"] = show_as()
    return out


def stopped_surface(key, settings, kind, eigenvalues=None, *, base):
    """The partial surface a stopped run left (NaN where not evaluated) if it had the settings ``base``, or None."""
    raw = partial_result(key)
    if raw is None or settings is None or any(settings.get(k) != v for k, v in base.items()):
        return None
    n = settings["resolution"]
    loss, acc = np.asarray(raw["loss"]), np.asarray(raw["accuracy"])
    if loss.size != n * n:
        return None
    axis = np.linspace(-settings["span_value"], settings["span_value"], n)
    return L.LossSurface(axis, axis, loss.reshape(n, n), acc.reshape(n, n), kind, name, settings["data"],
                         float("nan"), (float("nan"), float("nan")), seed=settings.get("seed"),
                         normalization=settings.get("normalization"), eigenvalues=eigenvalues, stopped_early=True)


def random_view(data, budget):
    st.markdown(
        "Two random directions δ, η in parameter space and the loss L(θ* + αδ + βη) around the current model θ*. "
        "With **filter normalisation** (Li et al. 2018) a step α = 1 changes every neuron's incoming weights by "
        "their own length, so plots of different networks can be compared. The 1D cut is the α axis of the "
        "surface (the same δ).")
    s = surface_settings_row(11 if TINY else 31, random=True)
    base = dict(model=name, digest=net.digest(), data=data.describe(), split=data.split, n=data.n_samples,
                seed=s["seed"], normalization=s["normalization"], span=float(s["span"]), resolution=s["resolution"])
    note = provenance(model=name, data=data.describe(), directions=f"random, {s['normalization']}-normalised",
                      seed=s["seed"], span=s["span"])
    line = None
    with engine_errors("The 1D cut"):
        key = results.make_key("ls-line", base, card_data_key(net))
        line = computed(key, L.loss_line, net, data, seed=s["seed"], normalization=s["normalization"],
                        span=float(s["span"]), resolution=max(s["resolution"], 51), memory_budget=budget)
    if line is not None:
        st.session_state["ls:line"] = (base, line)
        fig, df = line_figure(line, title="1D: loss along one random direction δ", note=note,
                              marks={0.0: "θ* (current model)"})
        figure_with_downloads(fig, df, f"random line {name}", key="ls_line")

    key = results.make_key("ls-surface", base, card_data_key(net))
    go_ = st.button("Compute the 2D surface", key="ls_surf_go", type="primary", icon=":material/play_arrow:",
                    help=f"{s['resolution']}² = {s['resolution'] ** 2:,} grid points in batched forwards "
                         "(the default model: about a second at 31 × 31; the 128-128 net much longer).")
    if go_:
        with engine_errors("The 2D surface"):
            st.session_state["ls:surf_running"] = dict(base, span_value=float(s["span"]))
            surface = run_with_progress("ls_surf", "Evaluating the loss on the grid", L.loss_surface, net, data,
                                        seed=s["seed"], normalization=s["normalization"], span=float(s["span"]),
                                        resolution=s["resolution"], memory_budget=budget)
            st.session_state.pop("ls_surf:partial", None)
            results.put(key, surface)
            st.session_state["ls:surface"] = (base, base, surface)
    surface, shown, old = last_or_stored(key, "ls:surface", base)
    stopped = stopped_surface("ls_surf", st.session_state.get("ls:surf_running"), "random", base=base)
    if stopped is not None:
        done = int(np.isfinite(stopped.loss).sum())
        st.warning(f"Stopped after {done} of {stopped.loss.size} grid points; the rest is blank.",
                   icon=":material/stop_circle:")
        surface, shown, old = stopped, st.session_state["ls:surf_running"], False
    if surface is None:
        st.info("Press **Compute the 2D surface**: the loss on a grid around the model.", icon=":material/info:")
        return
    if old:
        st.caption("Showing the last surface computed for this model (settings in its subtitle); press **Compute** "
                   "for the current settings.")
    snote = provenance(model=name, data=shown["data"], directions=f"random, {shown['normalization']}-normalised",
                       seed=shown["seed"], span=shown["span"], grid=f"{shown['resolution']}²")
    fig, df = surface_figure(surface, mode="3d" if s["mode"] == "3D" else "contour",
                             title="2D: loss on the plane of two random directions", note=snote)
    figure_with_downloads(fig, df, f"random surface {name}", key="ls_surf")
    if not surface.stopped_early:
        st.caption(f"L(θ*) = {surface.center_loss:.4g} nats at the centre; the grid ranges from "
                   f"{np.nanmin(surface.loss):.3g} to {np.nanmax(surface.loss):.3g} nats "
                   f"({surface.seconds:.1f} s, {surface.points_per_batch} points per batched forward). Random "
                   "directions almost always see a bowl: see **Hessian directions** for why."
                   + (" The lowest grid point lies slightly below L(θ*): the model is near, not exactly at, a "
                      "minimum (its gradient is not zero)." if np.nanmin(surface.loss) < surface.center_loss else ""))


# ===================================================================== Hessian and spectrum

def spectrum_method() -> str:
    return "exact" if net.n_params <= L.EXACT_AUTO_PARAMS else "lanczos"


def spectrum_key(data, method):
    return results.make_key("ls-spectrum", net.digest(), card_data_key(net), data.split, data.n_samples, method)


def best_spectrum(data):
    """The exact spectrum if computed, else the quick one (Lanczos), else None."""
    return results.get(spectrum_key(data, "exact")) or results.get(spectrum_key(data, spectrum_method()))


def quick_spectrum(data, budget, callback=None):
    """Exact up to 1000 parameters, else Lanczos for the 5 largest and the smallest eigenvalue."""
    method = spectrum_method()
    return computed(spectrum_key(data, method), L.hessian_spectrum, net, data, method=method, top=5, bottom=1,
                    memory_budget=budget, callback=callback)


def curvature_caption(spec) -> str:
    lmax, lmin = spec.lambda_max, spec.lambda_min
    text = f"λ_max = {lmax:.4g}, λ_min = {lmin:.4g} {EIG_UNIT}"
    if lmin >= 0:
        text += (". **λ_min ≥ 0: no saddle direction in view** — every direction curves up, so θ* is a minimum to "
                 "the precision of the eigensolver, and the β axis is merely the flattest direction.")
    else:
        text += (f". **λ_min < 0: a saddle direction.** Along β the loss curves down "
                 f"(|λ_min| / λ_max = {abs(lmin) / lmax:.2g}): θ* is not an exact minimum"
                 if lmax > 0 else ". λ_min < 0: a saddle direction")
        text += "."
    text += (f" The gradient norm at θ* is ‖∇L‖ = {spec.grad_norm:.3g}: training stopped near, not at, a critical "
             "point, so the quadratic picture holds only close to the centre.")
    return text


def saddle_verdict(surface) -> str:
    """What the β cut of a Hessian surface shows, read off the computed points."""
    lmax, lmin = surface.eigenvalues
    ia, ib = int(np.argmin(np.abs(surface.alpha))), int(np.argmin(np.abs(surface.beta)))
    cut = surface.loss[:, ia] - surface.loss[ib, ia]
    if not np.any(np.isfinite(cut)):
        return ""
    k = int(np.nanargmin(cut))
    if lmin < 0 and cut[k] < -1e-10:
        return (f"**What comes out:** along β the loss dips by {-cut[k]:.2g} nats (at β = {surface.beta[k]:.2g}) "
                f"before it rises again: a saddle direction, but a shallow and local one, next to a rise of "
                f"{np.nanmax(surface.loss[ib] - surface.loss[ib, ia]):.3g} nats along α.")
    if lmin < 0:
        return ("**What comes out:** λ_min < 0, yet on this grid the loss never falls below L(θ*) along β: the "
                "negative curvature acts only very close to θ* before higher-order terms bend the loss up. "
                "Choose a smaller span (0.05-0.25) to see the dip.")
    return "**What comes out:** the loss rises along both axes: a minimum in this plane."


def hessian_view(data, budget):
    st.markdown(
        "The plane spanned by the unit eigenvectors of the Hessian's **largest** eigenvalue λ_max (the steepest "
        "curvature) and of its **smallest** λ_min (the most negative, if any). α and β are Euclidean distances in "
        "parameter space.")
    with st.expander("Why random directions hide saddles", icon=":material/school:"):
        st.markdown(
            "Near θ*, L(θ* + αv) ≈ L(θ*) + α ∇L·v + ½ α² vᵀHv. Along a random unit vector v the curvature "
            "vᵀHv = Σᵢ λᵢ (uᵢ·v)² averages **all** P eigenvalues with nearly equal weights, "
            "1/P each: it is about **tr H / P**, the mean curvature. A handful of negative eigenvalues among "
            "thousands of positive ones barely moves that mean, so a random 2D slice looks like a bowl even at a "
            "saddle point. Along the eigenvector u_min the curvature is λ_min itself: if it is negative the loss "
            "curves **down** along β. That is why the Hessian directions reveal what random directions hide "
            "(PHYSICS.md section 9; Böttcher & Wheeler 2022).")
    s = surface_settings_row(11 if TINY else 31, random=False)
    base = dict(model=name, digest=net.digest(), data=data.describe(), split=data.split, n=data.n_samples,
                factor=float(s["factor"]), resolution=s["resolution"])
    spec = best_spectrum(data)
    key = results.make_key("ls-hsurface", base, card_data_key(net), spec.method if spec else None)
    go_ = st.button("Compute the Hessian directions and the surface", key="ls_hess_go", type="primary",
                    icon=":material/play_arrow:",
                    help="First λ_max, λ_min and their eigenvectors (exact up to 1000 parameters, Lanczos above), "
                         "then the loss on the grid.")
    if go_:
        with engine_errors("The Hessian surface"):
            if spec is None:
                spec = run_with_progress("ls_hspec", "Hessian eigenvectors", quick_spectrum, data, budget)
                key = results.make_key("ls-hsurface", base, card_data_key(net), spec.method)
            span = s["factor"] * (math.sqrt(8.0 / spec.lambda_max) if spec.lambda_max > 0 else 1.0)
            st.session_state["ls:hsurf_running"] = dict(base, span_value=span, method=spec.method)
            surface = run_with_progress("ls_hsurf", "Evaluating the loss on the grid", L.hessian_surface, net, data,
                                        spectrum=spec, span=span, resolution=s["resolution"], memory_budget=budget)
            st.session_state.pop("ls_hsurf:partial", None)
            results.put(key, surface)
            st.session_state["ls:hsurface"] = (base, base, surface)
    surface, shown, old = last_or_stored(key, "ls:hsurface", base)
    running = st.session_state.get("ls:hsurf_running")
    stopped = stopped_surface("ls_hsurf", running, "hessian",
                              (spec.lambda_max, spec.lambda_min) if spec is not None else None, base=base)
    if stopped is not None and spec is not None:
        st.warning(f"Stopped after {int(np.isfinite(stopped.loss).sum())} of {stopped.loss.size} grid points.",
                   icon=":material/stop_circle:")
        surface, shown, old = stopped, running, False
    if surface is None:
        st.info("Press the button: the surface along the two extreme curvature directions.", icon=":material/info:")
        if spec is not None:
            st.markdown(curvature_caption(spec))
        return
    if old:
        st.caption("Showing the last Hessian surface computed for this model (settings in its subtitle).")
    lmax, lmin = surface.eigenvalues
    snote = provenance(model=name, data=shown["data"], span=f"{shown['factor']:g} × √(8/λ_max)",
                       grid=f"{shown['resolution']}²")
    fig, df = surface_figure(surface, mode="3d" if s["mode"] == "3D" else "contour",
                             title="Loss along the Hessian's extreme eigenvectors", note=snote)
    figure_with_downloads(fig, df, f"hessian surface {name}", key="ls_hsurf")
    fig, df = centre_cuts_figure(surface, note=snote)
    figure_with_downloads(fig, df, f"hessian cuts {name}", key="ls_hcuts")
    st.markdown(saddle_verdict(surface))
    spec = spec or best_spectrum(data)
    if spec is not None:
        st.markdown(curvature_caption(spec))
        if np.isfinite(spec.trace):
            st.caption(f"For comparison, a random unit direction sees about tr H / P = {spec.trace / spec.n_params:.3g}"
                       f" (tr H = {spec.trace:.4g}, P = {spec.n_params:,}).")


def spectrum_view(data, budget):
    P = net.n_params
    method = spectrum_method()
    st.markdown(
        f"The eigenvalues of the Hessian H at the current model ({P:,} parameters). Large ones are stiff "
        "directions (a small step raises the loss a lot), near-zero ones flat valleys, negative ones downhill "
        "directions. " + ("Small enough for the **exact** spectrum (torch.func, all P eigenvalues)." if method ==
                          "exact" else "By default **Lanczos** finds the five largest and the smallest eigenvalue "
                          "from Hessian-vector products; the exact spectrum of all P is a button away."))
    c1, c2, c3 = st.columns([2, 1, 2])
    with c1:
        probes = params.slider("Hutchinson probes", key="ls_probes", default=20 if TINY else 100, min_value=10,
                               max_value=500, step=10,
                               help="tr H ≈ mean of vᵀHv over random ±1 vectors v; the error bar shrinks as "
                                    "1/√(probes).")
    with c2:
        hseed = int(params.number_input("Probe seed", key="ls_hseed", default=0, min_value=0, max_value=2**31 - 1,
                                        step=1))
    hkey = results.make_key("ls-hutch", net.digest(), card_data_key(net), data.split, data.n_samples, probes, hseed)
    auto = P <= SMALL  # small nets: Lanczos or the exact spectrum and the trace take well under a second
    go_ = False
    if not auto:
        with c3:
            st.write("")
            go_ = st.button("Compute", key="ls_spec_go", type="primary", icon=":material/play_arrow:",
                            help="Lanczos (the five largest and the smallest eigenvalue) and Hutchinson's trace.")
    spec = est = None
    with engine_errors("The Hessian spectrum"):
        if auto or go_ or results.get(spectrum_key(data, method)) is not None:
            with st.spinner("Hessian eigenvalues…"):
                spec = quick_spectrum(data, budget)
        if auto or go_ or results.get(hkey) is not None:
            with st.spinner("Hutchinson's trace…"):
                est = computed(hkey, L.hutchinson_trace, net, data, n_probes=probes, seed=hseed)
    exact = results.get(spectrum_key(data, "exact"))
    if method == "lanczos":
        if st.button("Exact spectrum (~15–60 s)", key="ls_exact_go", icon=":material/functions:",
                     disabled=exact is not None,
                     help="All P eigenvalues from the full Hessian (torch.func); refused when 24 P² bytes exceed the "
                          "memory budget."):
            with engine_errors("The exact Hessian"):
                exact = run_with_progress("ls_exact", "The exact Hessian", L.hessian_spectrum, net, data,
                                          method="exact", memory_budget=budget)
                results.put(spectrum_key(data, "exact"), exact)
    shown = exact or spec
    if shown is None:
        st.info(f"This model has {P:,} parameters: press **Compute** (Lanczos and the trace take seconds here).",
                icon=":material/info:")
        return
    st.session_state["ls:spectrum"] = (name, shown, est)
    trace = shown.trace if shown.complete else (est.trace if est is not None else float("nan"))
    k = st.columns(5)
    k[0].metric("λ_max", f"{shown.lambda_max:.4g}", help=f"Largest eigenvalue of H ({EIG_UNIT}): the sharpness.")
    k[1].metric("λ_min", f"{shown.lambda_min:.3g}", help="Smallest eigenvalue; negative: a downhill direction.")
    if shown.complete:
        k[2].metric("tr H (exact)", f"{shown.trace:.4g}", help="Σ λ over all P eigenvalues.")
    elif est is not None:
        k[2].metric("tr H (Hutchinson)", f"{est.trace:.4g}", f"± {est.stderr:.2g} (1 s.e.)", delta_color="off",
                    delta_arrow="off", help=f"{est.n_probes} Rademacher probes; ± one standard error.")
    else:
        k[2].metric("tr H", "—")
    k[3].metric("mean curvature tr H / P", f"{trace / P:.3g}" if np.isfinite(trace) else "—",
                help="What a random unit direction sees, on average.")
    k[4].metric("negative eigenvalues", f"{shown.negative_fraction:.1%}" if shown.complete else "—",
                help="Share of all P eigenvalues below 0 (exact spectrum only).")
    note = provenance(model=name, data=data.describe(), method=("exact (torch.func)" if shown.complete else
                                                                "Lanczos, 5 largest + smallest"),
                      grad_norm=f"{shown.grad_norm:.3g}")
    fig, df = spectrum_figure(shown, note=note, trace=trace)
    figure_with_downloads(fig, df, f"hessian spectrum {name}", key="ls_spec")
    if shown.complete:
        near = np.mean(np.abs(shown.eigenvalues) < 1e-3 * shown.lambda_max)
        st.markdown(f"**What comes out:** {near:.0%} of the {P:,} eigenvalues lie within 10⁻³ λ_max of zero "
                    f"(a bulk of flat directions); the largest is {shown.lambda_max:.3g}; "
                    f"{shown.negative_fraction:.1%} are negative, the most negative being {shown.lambda_min:.3g} "
                    f"({abs(shown.lambda_min) / shown.lambda_max:.1%} of λ_max)."
                    + (f" The mean curvature tr H / P = {trace / P:.3g}, what a random direction sees, is "
                       f"{shown.lambda_max * P / trace:.0f}× smaller than λ_max." if trace > 0 else ""))
    elif np.isfinite(trace) and trace > 0:
        st.markdown(f"**What comes out:** only the ends of the spectrum are computed (the bulk of the other "
                    f"{P - shown.eigenvalues.size:,} lies between them; press **Exact spectrum** to see it). The mean "
                    f"curvature tr H / P = {trace / P:.3g}, what a random direction sees, is "
                    f"{shown.lambda_max * P / trace:.0f}× smaller than λ_max = {shown.lambda_max:.3g}"
                    + (f", and of the opposite sign to λ_min = {shown.lambda_min:.3g}: the downhill direction is "
                       "invisible to random slices." if shown.lambda_min < 0 else "."))
    if est is not None:
        hnote = provenance(model=name, data=data.describe(), probes=est.n_probes, seed=hseed)
        fig, df = hutchinson_figure(est, note=hnote, exact=shown.trace if shown.complete else None)
        figure_with_downloads(fig, df, f"hutchinson trace {name}", key="ls_hutch")
        if shown.complete:
            dev = (est.trace - shown.trace) / est.stderr if est.stderr > 0 else float("nan")
            st.caption(f"Hutchinson's estimate is {dev:+.1f} standard errors from the exact trace.")


# ========================================================================= zoo sharpness

@st.cache_data(show_spinner=False)
def sharpness_table(mtime: float) -> pd.DataFrame:
    df = pd.read_csv(SHARPNESS_CSV, comment="#")
    stages = {c["name"]: c.get("stage", "") for c in state.zoo_cards()}
    df["stage"] = df["name"].map(stages).fillna("")
    return df


MEASURES = {"λ_max": ("lambda_max", f"λ_max ({EIG_UNIT})"),
            "ε-sharpness": ("epsilon_sharpness", "ε-sharpness (% rise of 1 + L, ε = 10⁻³)")}


def zoo_view():
    from engine.fingerprint import rank_correlations  # scipy's Spearman ρ with the lab's missing-value rules

    st.markdown(
        "Is a **flat** minimum a better one (Hochreiter & Schmidhuber 1997)? For every model of the zoo: the "
        "sharpness λ_max (largest Hessian eigenvalue) and Keskar et al.'s ε-sharpness (the largest rise of the "
        "loss in a box of relative size ε = 10⁻³, found by L-BFGS-B: a lower bound), both on the card's full "
        "training split, against the test accuracy on the card.")
    if not SHARPNESS_CSV.exists():
        st.error(f"{SHARPNESS_CSV.name} is missing; make it with `python -m engine landscape sharpness --out "
                 f"sample_models/{SHARPNESS_CSV.name}`.")
        return
    df = sharpness_table(SHARPNESS_CSV.stat().st_mtime)
    datasets = sorted(df["dataset"].unique())
    c1, c2, c3 = st.columns([2, 2, 2])
    with c1:
        ds = params.selectbox("Data set", key="ls_zds", default="digits", options=["all"] + datasets)
    with c2:
        measure_label = params.segmented("Sharpness measure", key="ls_zm", default="λ_max", options=list(MEASURES))
    with c3:
        stages = params.segmented("Stages", key="ls_zst", default="all stages",
                                  options=["all stages", "trained only"])
    column, label = MEASURES[measure_label]
    sub = df if ds == "all" else df[df["dataset"] == ds]
    if stages == "trained only":
        sub = sub[sub["stage"] == "trained"]
    if sub.empty:
        st.info("No model in this selection.", icon=":material/info:")
        return
    corr = rank_correlations(sub, [column]).iloc[0]
    k1, k2, k3 = st.columns(3)
    k1.metric("Spearman ρ", f"{corr['rho']:+.2f}" if np.isfinite(corr["rho"]) else "—",
              help="Rank correlation with test accuracy: −1 means sharper models are always worse.")
    k2.metric("p-value", f"{corr['p']:.2g}" if np.isfinite(corr["p"]) else "—",
              help="Two-sided, for no rank correlation (scipy.stats.spearmanr); few models: treat with care.")
    k3.metric("models", f"{int(corr['n'])}")
    note = provenance(data=ds, stages=stages, table=SHARPNESS_CSV.name, seed=0)
    fig, table = sharpness_figure(sub, column, label, note=note, current=name)
    figure_with_downloads(fig, table, f"zoo sharpness {ds}", key="ls_zoo")

    # what the shipped numbers show, computed from them (not hard-coded)
    lines = []
    digits = df[df["dataset"] == "digits"]
    for what, part in (("the trained digits models", digits[digits["stage"] == "trained"]),
                       ("all digits models, every stage", digits)):
        c = rank_correlations(part, ["lambda_max", "epsilon_sharpness"]).set_index("indicator")
        if len(part) >= 3:
            lines.append(f"On {what} (n = {len(part)}), ρ = {c.loc['lambda_max', 'rho']:+.2f} "
                         f"(p = {c.loc['lambda_max', 'p']:.2g}) for λ_max and {c.loc['epsilon_sharpness', 'rho']:+.2f} "
                         f"(p = {c.loc['epsilon_sharpness', 'p']:.2g}) for ε-sharpness.")
    med = stage_medians(df, "lambda_max")
    if {"trained", "untrained"} <= set(med.columns):
        up = [d for d in med.index if med.loc[d, "trained"] > med.loc[d, "untrained"]]
        down = [d for d in med.index if med.loc[d, "trained"] < med.loc[d, "untrained"]]
        if down:
            lines.append(f"Training lowers the median λ_max on {', '.join(down)}.")
        if up:
            lines.append(f"It **raises** it on {', '.join(up)}: there the trained models are the sharpest ones, "
                         "though they are also the most accurate.")
    st.markdown("**What the data shows.** " + " ".join(lines) + " Across stages much of the correlation comes from "
                "the stage itself (untrained nets are both poor and sharp on digits); within one stage and data set "
                "the zoo has few models, so p-values are large. Sharpness alone is not a reliable predictor of "
                "quality here.")
    with st.expander(f"Median {measure_label} per data set and stage"):
        st.dataframe(stage_medians(df, column).style.format("{:.3g}"), width="stretch")
    st.caption(f"Precomputed by `python -m engine landscape sharpness --out sample_models/{SHARPNESS_CSV.name}` "
               "(about 15 s for the whole zoo).")
    if name not in set(df["name"]):
        current_sharpness()


def current_sharpness():
    """Measure the current (session) model the way the table was made, and compare."""
    st.markdown(f"**{name}** is not in the table.")
    key = results.make_key("ls-sharp", net.digest(), card_data_key(net))
    if st.button("Measure the current model", key="ls_sharp_go", icon=":material/straighten:"):
        with engine_errors(f"The sharpness of {name}"):
            with st.spinner("λ_max by Lanczos and ε-sharpness by L-BFGS-B…"):
                results.put(key, L.sharpness(net, epsilon=1e-3))
    s = results.get(key)
    if s is not None:
        acc = net.card.get("test_accuracy")
        st.markdown(f"λ_max = **{s.lambda_max:.4g}**, ε-sharpness = **{s.epsilon_sharpness:.3g}**, training loss "
                    f"{s.loss:.4g} nats, test accuracy " + (f"{acc:.3f}" if isinstance(acc, (int, float)) else "—")
                    + ". Compare with the points above.")


# ================================================================================ the page

if view == "Zoo sharpness":
    zoo_view()
else:
    split, n_samples, budget = data_controls()
    data = current_data(split, n_samples)
    if data is not None:
        st.caption(f"Model **{name}** ({net.describe()}, {net.n_params:,} parameters) · loss on {data.describe()} · "
                   "loss in nats per example.")
        {"Interpolation": interpolation_view, "Random directions": random_view, "Hessian directions": hessian_view,
         "Spectrum": spectrum_view}[view](data, budget)
