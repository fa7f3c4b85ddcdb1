"""Boltzmann machines: a restricted Boltzmann machine trained on binarised digits, and its Ising view.

Composes ``engine.boltzmann`` (CD-k / persistent CD training, Gibbs sampling, the scikit-learn check,
``RBM.to_ising``) with the figure builders of ``ui.fig_hopfield``. The sidebar's current network
model is not used; the trained RBM is kept in this session (``st.session_state``).
"""

import numpy as np
import pandas as pd
import streamlit as st

from engine import boltzmann as bm
from ui import catalog, params, results, state
from ui.downloads import figure_with_downloads
from ui.errors import engine_errors
from ui.fig_hopfield import digit_examples, gibbs_grid, rbm_filters, rbm_history, wrap_note
from ui.plotting import provenance
from ui.progress import partial as partial_result
from ui.progress import run_with_progress
from ui.shell import page_header

TINY = catalog.TINY
INFO = catalog.page_info("boltzmann.py")
THERMO = next(p for infos in catalog.SECTIONS.values() for p in infos if p.file == "thermodynamics.py")

page_header(
    INFO.title,
    "A restricted Boltzmann machine (RBM) has binary visible units v (here the 64 pixels of a digit) and hidden "
    "units h, coupled only across the two layers: E(v, h) = -aᵀv - bᵀh - vᵀWh and P(v, h) = e^{-E}/Z. "
    "Given v the hidden units are independent, p(h_j = 1 | v) = σ(b_j + Σ_i v_i W_ij), and summing them out "
    "gives the free energy F(v) = -aᵀv - Σ_j ln(1 + e^{b_j + (vᵀW)_j}), P(v) = e^{-F(v)}/Z. Learning follows "
    "the Boltzmann rule ΔW_ij ∝ ⟨v_i h_j⟩_data - ⟨v_i h_j⟩_model; contrastive divergence (CD-k) estimates the "
    "model term with k Gibbs steps started at the data, persistent CD (PCD) with chains kept across updates.",
    source=INFO.source)

RESULT = "bm:result"  # (settings, RBMTrainingResult) of this session's last finished training


@st.cache_data(show_spinner=False)
def digits_data():
    """scikit-learn's 8×8 digits binarised to {0, 1}: (X_train, X_test, y_train, y_test)."""
    return bm.binary_digits(seed=0)


@st.cache_data(show_spinner=False, max_entries=16)
def gibbs(_rbm, token, start, n_steps, seed):
    """Eight block-Gibbs chains, ten records each (``token`` identifies the machine ``_rbm`` for the cache)."""
    initial = digits_data()[1][:8] if start == "test digits" else None
    return bm.gibbs_chain(_rbm, 8, n_steps, record_every=max(1, n_steps // 10), initial=initial, seed=seed)


X_train, X_test, y_train, y_test = digits_data()

# ---------------------------------------------------------------------------- controls
c1, c2, c3, c4 = st.columns(4)
with c1:
    n_hidden = params.slider("Hidden units", key="bm_h", default=16 if TINY else 64, min_value=16, max_value=128,
                             step=16)
    method_label = params.segmented("Method", key="bm_method", default="PCD", options=["PCD", "CD"],
                                    help="CD-k: k Gibbs steps from the data batch. PCD-k: k steps of chains kept "
                                         "from update to update (scikit-learn's BernoulliRBM uses PCD-1).")
with c2:
    k = params.slider("Gibbs steps k", key="bm_k", default=1, min_value=1, max_value=5)
    lr = params.select_slider("Learning rate", key="bm_lr", default=0.1, options=[0.01, 0.02, 0.05, 0.1, 0.2])
with c3:
    batch = params.select_slider("Batch size", key="bm_batch", default=10, options=[5, 10, 20, 50, 100])
    epochs = params.slider("Epochs", key="bm_epochs", default=5 if TINY else 20, min_value=5, max_value=50)
with c4:
    seed = params.number_input("Seed", key="bm_seed", default=0, min_value=0, max_value=2**31 - 1, step=1)
    st.caption(f"Data: {len(X_train)} training and {len(X_test)} test digits, 8×8 pixels binarised "
               "(ink ≥ 8 of 16 → 1).")

method = method_label.lower()
settings = dict(n_hidden=int(n_hidden), method=method, k=int(k), learning_rate=float(lr), batch_size=int(batch),
                epochs=int(epochs), seed=int(seed))
key = results.make_key("rbm-digits", settings)

if st.button("Train", key="bm_go", type="primary", icon=":material/play_arrow:",
             help="About 5 s for 20 epochs of 64 hidden units; Stop keeps the history so far."):
    with engine_errors("Training the RBM"):
        st.session_state["bm:running"] = settings
        st.session_state.pop("bm:stopped_note", None)
        with (slot := st.empty()).container():  # emptied afterwards: the bar and Stop button go away
            res = run_with_progress("bm_train", f"Training an RBM 64-{n_hidden} by {method_label}-{k}", bm.train_rbm,
                                    X_train, int(n_hidden), method=method, k=int(k), learning_rate=float(lr),
                                    batch_size=int(batch), n_epochs=int(epochs), test_data=X_test,
                                    image_shape=(8, 8), seed=int(seed))
        slot.empty()
        st.session_state.pop("bm_train:partial", None)
        results.put(key, res)
        st.session_state[RESULT] = (settings, res)

stopped = partial_result("bm_train")
if stopped is not None:  # a Stop click interrupted training: keep the machine as it was then
    st.session_state.pop("bm_train:partial", None)
    run = st.session_state.get("bm:running", settings)
    hist = stopped["history"]
    res = bm.RBMTrainingResult(stopped["rbm"], hist, run["method"], run["k"], run["learning_rate"],
                               run["batch_size"], int(hist.updates[-1]), run["seed"], True)
    st.session_state[RESULT] = (dict(run, epochs=int(hist.epochs[-1])), res)
    st.session_state["bm:stopped_note"] = (int(hist.epochs[-1]), run["epochs"])
if "bm:stopped_note" in st.session_state:
    done, asked = st.session_state["bm:stopped_note"]
    st.warning(f"Training stopped after epoch {done} of {asked}: the machine as it was then is shown below.",
               icon=":material/stop_circle:")

found = results.get(key)
if found is not None:
    shown = (settings, found)
    st.session_state[RESULT] = shown  # a result someone trained with the same settings: keep it in this session
else:
    shown = st.session_state.get(RESULT)

if shown is None:
    fig, df = digit_examples(X_train[:16].reshape(-1, 8, 8), y_train[:16])
    figure_with_downloads(fig, df, "rbm training digits", key="bm_data")
    st.info("Press **Train** to fit an RBM to these digits; its history, filters, Gibbs samples, a check against "
            "scikit-learn and its Ising view appear here.", icon=":material/info:")
    st.stop()

s, res = shown
rbm = res.rbm
if s != settings:
    st.caption("Showing the machine trained last in this session, with the settings in its subtitles; "
               "press **Train** for the current ones.")
note = provenance(RBM=f"64-{s['n_hidden']}", method=f"{s['method'].upper()}-{s['k']}", lr=s["learning_rate"],
                  batch=s["batch_size"], epochs=int(res.history.epochs[-1]), seed=s["seed"])
h = res.history
m1, m2, m3, m4 = st.columns(4)
m1.metric("Reconstruction error", f"{h.reconstruction_error[-1]:.4f}",
          f"{h.reconstruction_error[-1] - h.reconstruction_error[0]:+.4f}", delta_color="inverse",
          help="Mean squared error per pixel of a mean-field up-down pass v → p(h|v) → p(v|h).")
m2.metric("Pseudo-log-likelihood", f"{h.pseudo_log_likelihood[-1]:.2f}",
          f"{h.pseudo_log_likelihood[-1] - h.pseudo_log_likelihood[0]:+.2f}",
          help="Σ_i ln P(v_i | v_-i) per image (nats), on 256 fixed training digits; 64 ln ½ = -44.4 for a "
               "machine that knows nothing.")
m3.metric("Free energy gap test - train", f"{h.free_energy_test[-1] - h.free_energy_train[-1]:+.3f}",
          help="⟨F⟩_test - ⟨F⟩_train per image; it grows when the machine over-fits the training digits.")
m4.metric("Updates", f"{res.n_updates:,}", help=f"{res.history.seconds[-1]:.1f} s")

# keyed, so that a button inside a tab (which reruns the page) keeps that tab open
tabs = st.tabs(["Training history", "Filters", "Gibbs samples", "Check against scikit-learn", "As a spin system"],
               key="bm_tabs")

with tabs[0]:
    fig, df = rbm_history(h, note=note)
    figure_with_downloads(fig, df, "rbm history", key="bm_hist")
    st.caption("Reconstruction error falls as the machine learns, but it is not the quantity CD optimises; the "
               "pseudo-log-likelihood is a deterministic proxy for ln P(v). Free energies carry the unknown ln Z, "
               "so only differences mean something: test against train (over-fitting), not their absolute level. "
               "With PCD and a large learning rate ⟨F⟩ wanders while the likelihood proxy still improves.")

with tabs[1]:
    fig, df = rbm_filters(rbm.filters(), note=note)
    figure_with_downloads(fig, df, "rbm filters", key="bm_filters")
    st.caption("Each tile is one column of W: the pixels that switch that hidden unit on (blue) or off (red). "
               "Trained filters are local blobs and strokes: each hidden unit detects ink in one region of the "
               "image, and the digits are built from several of them. At the start W is noise of size 0.01.")

with tabs[2]:
    g1, g2, g3, g4 = st.columns(4)
    start = g1.segmented_control("Chains start from", ["random pixels", "test digits"], default="random pixels",
                                 key="bm_g_start") or "random pixels"
    n_steps = g2.select_slider("Gibbs steps", options=[10, 100, 1000, 5000], value=1000, key="bm_g_steps")
    show_p = g3.toggle("Show p(v = 1 | h)", value=True, key="bm_g_prob",
                       help="Off: the binary samples v. On: the probabilities they were drawn from (smoother).")
    g_seed = g4.number_input("Seed", value=0, min_value=0, max_value=2**31 - 1, step=1, key="bm_g_seed")

    with engine_errors("Gibbs sampling"):
        chain = gibbs(rbm, results.make_key("rbm", s), start, int(n_steps), int(g_seed))
        imgs = chain.probabilities if show_p else chain.states
        fig, df = gibbs_grid(chain.steps, imgs.reshape(imgs.shape[:2] + (8, 8)), probabilities=show_p,
                             note=note + f" · chains from {start} · sampling seed {g_seed}")
        figure_with_downloads(fig, df, "rbm gibbs chains", key="bm_gibbs")
    st.caption("Block Gibbs sampling v → h ~ p(h|v) → v ~ p(v|h) draws from the machine's own distribution P(v). "
               "Digit-like samples mean the model has learnt the data; chains that stay on one digit show slow "
               "mixing between the modes of P(v).")

with tabs[3]:
    st.markdown(
        "The same algorithm, persistent CD-1 without shuffling, run by `engine.boltzmann` and by scikit-learn's "
        f"`BernoulliRBM` with the settings above ({s['n_hidden']} hidden units, learning rate {s['learning_rate']:g}, "
        f"batch size {s['batch_size']}, {s['epochs']} epochs); both machines are then measured with the same code.")
    sk_key = results.make_key("rbm-sklearn", {k_: v for k_, v in s.items() if k_ not in ("method", "k")})
    if st.button("Train both machines", key="bm_sk_go", icon=":material/compare_arrows:",
                 help="Trains two RBMs (about 3 s per 10 epochs for ours, which also records its history)."):
        with engine_errors("Comparison with scikit-learn"):
            cmp = run_with_progress("bm_sk", "Training engine.boltzmann, then scikit-learn's BernoulliRBM",
                                    bm.compare_with_sklearn, X_train, test_data=X_test, n_hidden=s["n_hidden"],
                                    learning_rate=s["learning_rate"], batch_size=s["batch_size"],
                                    n_epochs=s["epochs"], seed=s["seed"])
            results.put(sk_key, cmp)
    cmp = results.get(sk_key)
    if cmp is None:
        st.info("Press **Train both machines** to run the comparison.", icon=":material/info:")
    else:
        names = {"reconstruction_error": "reconstruction error (per pixel)",
                 "pseudo_log_likelihood": "pseudo-log-likelihood (exact, nats per image)",
                 "sklearn_score": "scikit-learn score_samples (mean, nats per image)",
                 "free_energy_train": "⟨F⟩ train (nats per image)", "free_energy_test": "⟨F⟩ test (nats per image)",
                 "weight_std": "standard deviation of W", "weight_mean_abs": "mean |W|",
                 "seconds": "seconds to train"}
        table = cmp.to_frame().set_index("implementation").rename(columns=names).T
        table.index.name = "measured on the training digits (F also on the test digits)"
        st.dataframe(table.reset_index(), hide_index=True, width="stretch",
                     column_config={c: st.column_config.NumberColumn(format="%.4f") for c in table.columns})
        st.caption(
            f"{cmp.n_updates:,} updates each. **Comparable:** reconstruction error, pseudo-log-likelihood (ours: the "
            "exact sum over all pixels; scikit-learn's score_samples: a one-pixel random estimate of it) and the "
            "weight scale. They agree loosely, not exactly: the two use different random streams. **Not comparable "
            "across machines:** the free energies, which carry each machine's own ln Z (an arbitrary offset); compare "
            "⟨F⟩ test with ⟨F⟩ train within one column. Seconds: ours includes recording the history every epoch.")
        a, b = st.columns(2)
        for col, machine, name in ((a, cmp.ours, "engine.boltzmann"), (b, cmp.theirs, "scikit-learn")):
            with col:
                fig, df = rbm_filters(machine.filters()[:32], n_cols=8, note=provenance(machine=name, **cmp.settings),
                                      title=f"{name}: the first 32 filters", width=480)
                wrap_note(fig)
                figure_with_downloads(fig, df, f"rbm filters {name}", key=f"bm_cmp_{name}")

with tabs[4]:
    st.markdown(
        "With spins s = 2v - 1 and t = 2h - 1 the RBM is a two-layer Ising model: couplings J = W/4 between the "
        "layers, fields a/2 + (row sums of W)/4 on the visible and b/2 + (column sums of W)/4 on the hidden spins, "
        "and E(v, h) = E_Ising(s, t) + E_0 with a constant E_0. At temperature T = 1 its Boltzmann distribution "
        "*is* the RBM's; at other T it is the same machine heated or cooled, so its heat capacity C(T) can be "
        "measured like any network's.")
    with engine_errors("Ising view"):
        model = rbm.to_ising()
        rng = np.random.default_rng(0)
        v = (rng.random((4, rbm.n_visible)) < 0.5).astype(float)
        hid = (rng.random((4, rbm.n_hidden)) < 0.5).astype(float)
        spins = np.concatenate([2 * v - 1, 2 * hid - 1], axis=1)
        check = pd.DataFrame({"random state": np.arange(1, 5), "E_RBM(v, h)": rbm.energy(v, hid),
                              "E_Ising(s, t) + E_0": model.energy(spins) + rbm.ising_offset})
        i1, i2, i3 = st.columns([1, 1, 3])
        i1.metric("Spins", f"{model.n_spins}", help=f"{rbm.n_visible} visible + {rbm.n_hidden} hidden")
        i1.metric("Couplings", f"{rbm.n_visible * rbm.n_hidden:,}", help="J = W/4, between the layers only")
        i2.metric("Offset E_0", f"{rbm.ising_offset:.3f}", help="E(v, h) = E_Ising(s, t) + E_0")
        i2.metric("max |J|", f"{np.abs(rbm.weights).max() / 4:.3f}")
        i3 = i3.container()
        i3.caption("The energy of four random states (v, h), both ways:")
        i3.dataframe(check, hide_index=True, width="stretch",
                     column_config={c: st.column_config.NumberColumn(format="%.6f") for c in check.columns[1:]})
    machine_key = results.make_key("rbm", s)
    added = st.session_state.get("bm:added")
    clicked = st.button("Study as a spin system", key="bm_ising", icon=":material/grain:",
                        help="Add this RBM's Ising model to the spin systems of this session.")
    if clicked and (added is None or added[0] != machine_key):  # each machine is added once
        with engine_errors("Ising view"):
            name = state.add_spin_system(
                f"RBM 64-{s['n_hidden']} ({s['method'].upper()}-{s['k']}, {int(h.epochs[-1])} epochs, "
                f"seed {s['seed']})",
                rbm.to_ising(),
                "A restricted Boltzmann machine trained on binarised digits, as a two-layer Ising model in ±1 spins "
                "(visible layer first): J = W/4; at T = 1 its Boltzmann distribution is the RBM's.",
                marks={1.0: "T = 1: the RBM's own distribution"})
            st.session_state["bm:added"] = (machine_key, name)
    if "bm:added" in st.session_state:
        st.success(f"**{st.session_state['bm:added'][1]}** is now available on the Thermodynamics page, next to the "
                   "current network.", icon=":material/check_circle:")
        if THERMO.path.exists():
            st.page_link(str(THERMO.path), label="Open the Thermodynamics page", icon=THERMO.icon)
