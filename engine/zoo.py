"""The shipped model zoo: small MLPs at several training stages, built by the repo's own code.

``python -m engine zoo`` trains every entry of :data:`ZOO` with :func:`engine.training.train`
and writes, for each kept training stage, ``sample_models/<name>.safetensors`` plus its JSON
card (measured train/test accuracy, data set, seed, epochs, provenance). The spread of
stages — untrained (epoch 0), partly trained, well trained — gives test accuracies from
chance to the best, so "does the physics predict quality without data?" can be asked
across the zoo. The build is deterministic for the seeds listed here.
"""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

from .data import load_dataset
from .errors import expected
from .network import Network
from .training import NetworkSpec, model_name, train

ZOO_DIR = Path(__file__).resolve().parents[1] / "sample_models"
#: The model every page opens on.
DEFAULT_MODEL = "digits-64-32-10-tanh-s0-e30"


@dataclass(frozen=True)
class ZooEntry:
    """One training run; ``stages`` are the epochs whose snapshots are kept."""

    dataset: str
    hidden: tuple
    activation: str
    seed: int
    stages: tuple
    lr: float = 1e-3
    batch_size: int = 32
    dataset_kwargs: tuple = ()

    @property
    def epochs(self) -> int:
        return max(self.stages)

    def name(self, n_in: int, n_out: int, epoch: int) -> str:
        return model_name(self.dataset, (n_in, *self.hidden, n_out), self.activation, self.seed, epoch)


ZOO: tuple[ZooEntry, ...] = (
    # digits: depth 1 to 6, widths 16 to 128, three activations, two seeds for the reference net
    # the reference architecture at many stages and three seeds: quality varies, architecture does not
    ZooEntry("digits", (32,), "tanh", 0, (0, 1, 2, 4, 8, 30)),
    ZooEntry("digits", (32,), "tanh", 1, (0, 1, 2, 4, 8, 30)),
    ZooEntry("digits", (32,), "tanh", 2, (0, 1, 2, 4, 8, 30)),
    ZooEntry("digits", (64,), "relu", 0, (0, 1, 30)),
    ZooEntry("digits", (32,), "sigmoid", 0, (0, 2, 30)),
    ZooEntry("digits", (128, 128), "tanh", 0, (0, 1, 20)),
    ZooEntry("digits", (32, 32, 32), "tanh", 0, (0, 1, 30)),
    ZooEntry("digits", (16, 16, 16, 16, 16), "relu", 0, (0, 3, 40)),
    # small tabular and generated sets
    ZooEntry("moons", (16, 16), "tanh", 0, (0, 3, 100), lr=3e-3),
    ZooEntry("moons", (16, 16), "tanh", 1, (0, 3, 100), lr=3e-3),
    ZooEntry("circles", (16, 16), "relu", 0, (0, 5, 100), lr=3e-3),
    ZooEntry("teacher_student", (32,), "tanh", 0, (0, 2, 60)),
    ZooEntry("iris", (8,), "tanh", 0, (0, 10, 200), lr=3e-3),
    ZooEntry("breast_cancer", (16,), "relu", 0, (0, 1, 40)),
)


def build_zoo(out_dir=ZOO_DIR, entries=ZOO, *, verbose: bool = True) -> list[dict]:
    """Train every entry, save the kept stages to ``out_dir``; return their cards."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cards = []
    for entry in entries:
        t0 = time.perf_counter()
        data = load_dataset(entry.dataset, seed=0, **dict(entry.dataset_kwargs))
        spec = NetworkSpec(entry.hidden, entry.activation)
        stages = set(entry.stages)
        result = train(spec, data, epochs=entry.epochs, lr=entry.lr, batch_size=entry.batch_size,
                       seed=entry.seed, snapshot_every=1)
        for epoch, net in result.snapshots:
            if epoch not in stages:
                continue
            name = entry.name(data.n_features, data.n_classes, epoch)
            stage = "untrained" if epoch == 0 else ("trained" if epoch == entry.epochs else "partly trained")
            net.card.update(name=name, stage=stage, lr=entry.lr, batch_size=entry.batch_size, optimizer="adam",
                            dataset_description=data.description,
                            provenance=f"python -m engine zoo (engine.zoo.ZOO entry, seed {entry.seed})")
            net.save(out_dir / f"{name}.safetensors")
            cards.append(json.loads(net.card_json()))
            if verbose:
                print(f"  {name:<44} test accuracy {net.card['test_accuracy']:.3f}")
        if verbose:
            print(f"{entry.dataset} {entry.hidden} {entry.activation} s{entry.seed}: {time.perf_counter() - t0:.1f} s")
    return cards


def list_zoo(folder=ZOO_DIR) -> list[dict]:
    """The cards of every model in ``folder`` (a card plus its ``path``), sorted by name."""
    folder = Path(folder)
    cards = []
    for card_path in sorted(folder.glob("*.json")):
        model_path = card_path.with_suffix(".safetensors")
        if not model_path.exists():
            continue
        try:
            card = json.loads(card_path.read_text())
        except ValueError:
            continue
        card["path"] = str(model_path)
        cards.append(card)
    return cards


def load_zoo_model(name: str, folder=ZOO_DIR) -> Network:
    """Load the zoo model called ``name``."""
    path = Path(folder) / f"{name}.safetensors"
    if not path.exists():
        known = [c["name"] for c in list_zoo(folder)]
        raise expected("model", f"one of the {len(known)} zoo models (e.g. {known[:2]})", name)
    return Network.load(path)


def cli(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine zoo", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ZOO_DIR), help="folder to write the models to (default: sample_models/)")
    parser.add_argument("--only", default=None, help="only entries whose data set matches this name")
    args = parser.parse_args(argv)
    entries = [e for e in ZOO if args.only is None or e.dataset == args.only]
    t0 = time.perf_counter()
    cards = build_zoo(args.out, entries)
    print(f"wrote {len(cards)} models to {args.out} in {time.perf_counter() - t0:.0f} s")
    return 0
