"""Train a :class:`~engine.network.Network` with torch (CPU), reproducibly.

``train(network_or_spec, dataset, ...)`` runs mini-batch gradient descent on the
cross-entropy, records loss and train/test accuracy after every epoch, keeps
snapshots of the weights along the way ("how does the physics change as it
learns"), reports progress through ``callback`` and stops when it returns True.
The same seed gives the same weights: initial weights come from NumPy's seeded
generator and the batch order from a seeded ``torch.Generator``, never from global
state.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field


from .activations import check_activation
from .data import Dataset
from .errors import expected
from .network import Network
from .progress import Callback, report
from .validation import choice, integer, positive, real

OPTIMIZERS = ("adam", "sgd")


@dataclass(frozen=True)
class NetworkSpec:
    """An architecture to initialise: hidden ``widths`` between the data's input and output."""

    hidden: tuple = (32,)
    activation: str = "tanh"
    weight_variance: float = 1.0
    bias_variance: float = 0.0

    def build(self, n_in: int, n_out: int, seed) -> Network:
        check_activation(self.activation)
        return Network.random([n_in, *self.hidden, n_out], self.activation,
                              weight_variance=self.weight_variance, bias_variance=self.bias_variance, seed=seed)


@dataclass
class TrainingResult:
    """The trained network, its per-epoch history and the snapshots taken."""

    network: Network
    history: dict = field(default_factory=lambda: {"epoch": [], "loss": [], "train_accuracy": [],
                                                   "test_accuracy": []})
    snapshots: list = field(default_factory=list)  # [(epoch, Network)]
    stopped_early: bool = False
    diverged: bool = False
    seconds: float = 0.0


def train(network_or_spec, dataset: Dataset, *, epochs: int = 30, lr: float = 1e-2, batch_size: int = 64,
          optimizer: str = "adam", weight_decay: float = 0.0, seed: int = 0, callback: Callback = None,
          snapshot_every: int | None = None, name: str | None = None,
          stop_on_divergence: bool = False) -> TrainingResult:
    """Train on ``dataset`` with cross-entropy; return a :class:`TrainingResult`.

    Parameters
    ----------
    network_or_spec : a ``Network`` to continue from (copied, never modified) or a
        :class:`NetworkSpec` (initialised with ``seed``).
    epochs, lr, batch_size, optimizer ("adam" | "sgd"), weight_decay : the usual.
    seed : initial weights (for a spec) and batch order.
    callback : called after every epoch with ``Progress(epoch, epochs, msg, data)`` where
        ``data = {"history": history so far, "network": a function returning the network as it is
        now}``; return True to stop.
    snapshot_every : keep a copy of the network every this many epochs (epoch 0 = the
        initial network is always kept when this is set).
    stop_on_divergence : when the weights stop being finite, stop and return the last finite
        network with ``diverged=True`` (and NaN in the history for the diverged epoch)
        instead of raising ``EngineError`` (the default: a learning rate that is too large).
    """
    import torch

    epochs = integer("epochs", epochs, low=0, high=100_000)
    lr = positive("lr", lr)
    batch_size = integer("batch_size", batch_size, low=1)
    choice("optimizer", optimizer, OPTIMIZERS)
    weight_decay = real("weight_decay", weight_decay, low=0.0)
    seed = integer("seed", seed, low=0)
    if snapshot_every is not None:
        snapshot_every = integer("snapshot_every", snapshot_every, low=1)
    if not isinstance(dataset, Dataset):
        raise expected("dataset", "an engine.data.Dataset", type(dataset).__name__)

    if isinstance(network_or_spec, NetworkSpec):
        net0 = network_or_spec.build(dataset.n_features, dataset.n_classes, seed)
    elif isinstance(network_or_spec, Network):
        net0 = network_or_spec.copy()
    else:
        raise expected("network_or_spec", "a Network or a NetworkSpec", type(network_or_spec).__name__)
    if net0.widths[0] != dataset.n_features or net0.widths[-1] < dataset.n_classes:
        raise expected("network", f"{dataset.n_features} inputs and >= {dataset.n_classes} outputs for "
                       f"{dataset.name}", f"widths {net0.widths}")

    t0 = time.perf_counter()
    torch_threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny nets: threads cost more than they give, and results stay bitwise stable
    try:
        model = net0.to_torch(torch.float64)
        gen = torch.Generator().manual_seed(seed)
        Xtr = torch.from_numpy(dataset.X_train)
        ytr = torch.from_numpy(dataset.y_train)
        Xte = torch.from_numpy(dataset.X_test)
        yte = torch.from_numpy(dataset.y_test)
        opt_cls = torch.optim.Adam if optimizer == "adam" else torch.optim.SGD
        kwargs = {"lr": lr, "weight_decay": weight_decay}
        if optimizer == "sgd":
            kwargs["momentum"] = 0.9
        opt = opt_cls(model.parameters(), **kwargs)
        loss_fn = torch.nn.CrossEntropyLoss()

        result = TrainingResult(network=net0)

        def evaluate(epoch):
            with torch.no_grad():
                out = model(Xtr)
                loss = float(loss_fn(out, ytr))
                tr = float((out.argmax(1) == ytr).double().mean())
                te = float((model(Xte).argmax(1) == yte).double().mean())
            h = result.history
            h["epoch"].append(epoch)
            h["loss"].append(loss)
            h["train_accuracy"].append(tr)
            h["test_accuracy"].append(te)
            return tr, te

        tr, te = evaluate(0)
        last_finite = {k: v.clone() for k, v in model.state_dict().items()} if stop_on_divergence else None
        if snapshot_every is not None:
            result.snapshots.append((0, _to_network(model, net0, dataset, seed, 0, tr, te, name)))
        n = Xtr.shape[0]
        for epoch in range(1, epochs + 1):
            model.train()
            perm = torch.randperm(n, generator=gen)
            for start in range(0, n, batch_size):
                idx = perm[start:start + batch_size]
                opt.zero_grad()
                loss = loss_fn(model(Xtr[idx]), ytr[idx])
                loss.backward()
                opt.step()
            if not all(bool(torch.isfinite(p).all()) for p in model.parameters()):
                if not stop_on_divergence:
                    raise expected("lr", "small enough for training to stay finite", lr)
                # keep the last finite state as the result; record the diverged epoch as NaN
                model.load_state_dict(last_finite)
                for key in ("loss", "train_accuracy", "test_accuracy"):
                    result.history[key].append(float("nan"))
                result.history["epoch"].append(epoch)
                result.diverged = True
                break
            tr, te = evaluate(epoch)
            if stop_on_divergence:
                last_finite = {k: v.clone() for k, v in model.state_dict().items()}
            if snapshot_every is not None and (epoch % snapshot_every == 0 or epoch == epochs):
                result.snapshots.append((epoch, _to_network(model, net0, dataset, seed, epoch, tr, te, name)))
            partial = {"history": result.history,
                       "network": lambda e=epoch, a=tr, b=te: _to_network(model, net0, dataset, seed, e, a, b, name)}
            if report(callback, epoch, epochs, f"epoch {epoch}/{epochs}: loss {result.history['loss'][-1]:.4f}, "
                      f"test accuracy {te:.3f}", partial):
                result.stopped_early = epoch < epochs
                break
        last = result.history["epoch"][-1] - (1 if result.diverged else 0)
        result.network = _to_network(model, net0, dataset, seed, last, tr, te, name)
        result.network.card.update(lr=lr, batch_size=batch_size, optimizer=optimizer, weight_decay=weight_decay)
        result.seconds = time.perf_counter() - t0
        return result
    finally:
        torch.set_num_threads(torch_threads)


def model_name(dataset: str, widths, activation: str, seed: int, epoch: int) -> str:
    """The lab's model naming scheme, e.g. ``digits-64-32-10-tanh-s0-e30``."""
    return f"{dataset.replace('_', '')}-{'-'.join(map(str, widths))}-{activation}-s{seed}-e{epoch}"


def _to_network(model, net0, dataset, seed, epoch, tr, te, name) -> Network:
    net = Network.from_torch(model)
    net.activations = list(net0.activations)
    net.card = {
        "name": name or model_name(dataset.name, net0.widths, net0.activations[0], seed, epoch),
        "dataset": dataset.name,
        "dataset_info": dict(dataset.info),
        "seed": seed,
        "epochs": epoch,
        "train_accuracy": round(tr, 6),
        "test_accuracy": round(te, 6),
        "provenance": "engine.training.train (torch, CPU)",
    }
    return net
