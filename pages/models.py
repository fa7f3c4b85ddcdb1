"""Models: the zoo, live training, upload and download, and a look at the current model's weights."""
import pandas as pd
import streamlit as st

from engine.data import DATASETS, load_dataset
from engine.errors import EngineError
from engine.network import MAX_MODEL_BYTES, Network
from engine.training import OPTIMIZERS, NetworkSpec, train
from engine.activations import ACTIVATIONS
from ui import params, state
from ui.shell import page_header
from ui.downloads import figure_with_downloads
from ui.errors import engine_errors
from ui.fig_models import network_drawing, training_curves, weight_histograms

page_header("Models", "Every analysis page works on the current model (sidebar). Zoo models ship with the app; "
            "models you train or upload here stay in this browser session only.")

tab_zoo, tab_current, tab_train, tab_upload = st.tabs(["Zoo", "Current model", "Train a model", "Upload"])

# ------------------------------------------------------------------ zoo
with tab_zoo:
    cards = state.zoo_cards()
    df = pd.DataFrame(state.card_table_rows(cards))
    datasets = sorted(df["dataset"].unique()) if len(df) else []
    chosen = st.multiselect("Data sets", datasets, default=datasets, key="zoo_datasets")
    view = df[df["dataset"].isin(chosen)].reset_index(drop=True)
    st.caption(f"{len(view)} of {len(df)} models. Click a row to make it the current model; click a column "
               "header to sort. Test accuracy is measured on the held-out split named in each card.")
    event = st.dataframe(
        view, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row", key="zoo_table",
        column_config={
            "test_accuracy": st.column_config.ProgressColumn("test accuracy", min_value=0.0, max_value=1.0,
                                                             format="%.3f"),
            "train_accuracy": st.column_config.NumberColumn("train accuracy", format="%.3f"),
            "params": st.column_config.NumberColumn("parameters", format="%d"),
        })
    rows = event.selection.rows if event is not None else []
    if rows:
        picked = view.loc[rows[0], "name"]
        if picked != state.current_name():
            state.set_current(picked)
            st.rerun()

# ------------------------------------------------------------- current
with tab_current:
    net = state.current_network()
    st.subheader(net.name)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Architecture", "-".join(map(str, net.widths)))
    c2.metric("Activations", "/".join(sorted(set(net.activations[:-1]))) or net.activations[-1])
    c3.metric("Parameters", f"{net.n_params:,}")
    acc = net.card.get("test_accuracy")
    c4.metric("Test accuracy", f"{acc:.3f}" if isinstance(acc, (int, float)) else "—")
    fig = network_drawing(net)
    st.plotly_chart(fig, width="stretch", key="drawing")
    fig_h, df_h = weight_histograms(net)
    figure_with_downloads(fig_h, df_h, f"weights {net.name}", key="weights")
    d1, d2, _ = st.columns([1, 1, 3])
    d1.download_button("Model (.safetensors)", lambda: net.to_safetensors_bytes(),
                       file_name=f"{net.name}.safetensors", mime="application/octet-stream",
                       icon=":material/download:", on_click="ignore", key="dl_model")
    d2.download_button("Card (.json)", lambda: net.card_json(), file_name=f"{net.name}.json",
                       mime="application/json", icon=":material/download:", on_click="ignore", key="dl_card")
    with st.expander("Model card"):
        st.json(state.card_of(net))

# --------------------------------------------------------------- train
with tab_train:
    st.markdown("Train a new MLP with Adam or SGD on a data set that ships with the app. The curves update "
                "live; **Stop** keeps the model as it is at that epoch.")
    c1, c2, c3 = st.columns(3)
    with c1:
        dataset = params.selectbox("Data set", key="train_data", default="digits", options=DATASETS)
        hidden_text = st.text_input("Hidden widths (comma-separated)", value="32", key="train_hidden",
                                    help="e.g. `64, 64` for two hidden layers of 64 neurons")
        activation = params.selectbox("Activation", key="train_act", default="tanh",
                                      options=[a for a in ACTIVATIONS if a != "linear"])
    with c2:
        epochs = params.number_input("Epochs", key="train_epochs", default=20, min_value=1,
                                     max_value=2000, step=1)
        lr = params.select_slider("Learning rate", key="train_lr", default=1e-3,
                                  options=[1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1])
        batch = params.select_slider("Batch size", key="train_batch", default=32, options=[8, 16, 32, 64, 128, 256])
    with c3:
        optimizer = params.selectbox("Optimizer", key="train_opt", default="adam", options=OPTIMIZERS)
        wd = params.select_slider("Weight decay", key="train_wd", default=0.0, options=[0.0, 1e-5, 1e-4, 1e-3, 1e-2])
        seed = params.number_input("Seed", key="train_seed", default=0, min_value=0, max_value=2**31 - 1, step=1)

    go = st.button("Train", type="primary", icon=":material/play_arrow:", key="train_go")
    message = st.empty()
    live = st.empty()
    if go:
        with engine_errors("Training"):
            hidden = params.parse_numbers(hidden_text, "hidden widths")
            if any(h < 1 or h > 1024 for h in hidden):
                raise EngineError(f"`hidden widths` must be 1 to 1024 neurons each, got {hidden_text!r}")
            data = load_dataset(dataset, seed=0)
            spec = NetworkSpec(hidden, activation)
            with message.container():
                bar = st.progress(0.0, text="Training…")
                st.button("Stop", key="train_stop", icon=":material/stop_circle:",
                          help="Stop training; the model as it is now is kept.")

            def on_epoch(p):
                st.session_state["train:partial"] = p.data["network"]()
                st.session_state["train:history"] = {k: list(v) for k, v in p.data["history"].items()}
                fig_t, _ = training_curves(p.data["history"], title=f"Training on {dataset} (live)")
                live.plotly_chart(fig_t, width="stretch", key=f"train_live_{int(p.done)}")
                bar.progress(p.fraction, text=p.message)

            st.session_state.pop("train:partial", None)
            result = train(spec, data, epochs=int(epochs), lr=float(lr), batch_size=int(batch), optimizer=optimizer,
                           weight_decay=float(wd), seed=int(seed), callback=on_epoch)
            st.session_state.pop("train:partial", None)
            name = state.add_session_model(result.network)
            st.session_state["train:history"] = result.history
            st.session_state["train:done"] = (name, result.seconds)
            st.rerun()
    partial = st.session_state.pop("train:partial", None)
    if partial is not None:  # a Stop click interrupted training: keep what was learned
        name = state.add_session_model(partial.copy(name=f"{partial.name} (stopped)"))
        st.session_state["train:done"] = (name, None)
        st.rerun()
    if "train:done" in st.session_state:
        name, seconds = st.session_state["train:done"]
        took = f" in {seconds:.1f} s" if seconds else " (stopped early)"
        message.success(f"Trained **{name}**{took}; it is now the current model.", icon=":material/check_circle:")
    if "train:history" in st.session_state:
        fig_t, df_t = training_curves(st.session_state["train:history"], title="Last training run")
        with live.container():
            figure_with_downloads(fig_t, df_t, "training history", key="train_hist")

# -------------------------------------------------------------- upload
with tab_upload:
    st.markdown(
        "Upload a model as **`.safetensors`** (tensors `layers.<l>.weight` / `.bias`, or a "
        "`torch.nn.Sequential` state dict saved with `safetensors.torch.save_file`) and, optionally, its "
        "**JSON card**. Pickled PyTorch files (`.pt`, `.pth`) are refused: unpickling can run arbitrary code. "
        f"At most {MAX_MODEL_BYTES // 2**20} MB.")
    up_model = st.file_uploader("Model file", type=["safetensors", "pt", "pth", "pkl", "bin"], key="up_model")
    up_card = st.file_uploader("Card (optional)", type=["json"], key="up_card")
    fallback = st.selectbox("Hidden activation, if neither file says", [a for a in ACTIVATIONS if a != "linear"],
                            key="up_act")
    add = st.button("Add model", key="up_go", icon=":material/upload:")
    if add and up_model is None:
        st.warning("Choose a model file first.")
    elif add:
        with engine_errors(f"Upload of {up_model.name}"):
            data = up_model.getvalue()
            card = up_card.getvalue() if up_card is not None else None
            net = Network.from_bytes(data, card, activation=fallback)
            if net.name in ("uploaded model", "unnamed"):
                net.card["name"] = up_model.name.rsplit(".", 1)[0]
            net.card.setdefault("provenance", f"uploaded as {up_model.name}")
            name = state.add_session_model(net)
            st.session_state["upload:done"] = name
            st.rerun()
    if "upload:done" in st.session_state:
        st.success(f"Added **{st.session_state.pop('upload:done')}**; it is now the current model.",
                   icon=":material/check_circle:")
