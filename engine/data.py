"""Data sets that ship with the install: scikit-learn's built-ins and generated sets.

Nothing is downloaded. ``load_dataset(name, ...)`` returns a :class:`Dataset` with a
seeded, stratified train/test split; features standardised on the training set
(optional) or binarised to ±1 (optional).

Names: ``digits`` (8×8 images, 10 classes), ``iris``, ``wine``, ``breast_cancer``,
``moons``, ``circles``, ``blobs`` and ``teacher_student`` (labels given by a random
teacher MLP on Gaussian inputs).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import expected
from .random import as_generator
from .validation import choice, fraction as _fraction, integer, real

DATASETS = ("digits", "iris", "wine", "breast_cancer", "moons", "circles", "blobs", "teacher_student")
_GENERATED = {"moons", "circles", "blobs", "teacher_student"}


@dataclass
class Dataset:
    """Train/test arrays: ``X_*`` float64 (n, n_features), ``y_*`` int64 class indices."""

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    description: str = ""
    info: dict = field(default_factory=dict)

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])

    def __repr__(self):
        return (f"Dataset({self.name!r}, train={self.X_train.shape}, test={self.X_test.shape}, "
                f"classes={self.n_classes})")


def load_dataset(name: str, *, test_fraction: float = 0.25, seed: int = 0, standardize: bool = True,
                 binarize: bool = False, classes=None, n_samples: int | None = None,
                 noise: float | None = None, n_features: int = 20, teacher_widths=(32,),
                 teacher_seed: int = 1234) -> Dataset:
    """Load a data set by name.

    Parameters
    ----------
    name : one of :data:`DATASETS`.
    test_fraction : share of the samples held out, stratified by class, split with ``seed``.
    standardize : scale features to zero mean and unit variance using training statistics.
    binarize : map features to ±1 instead (digits: pixel >= 8 of 16 is +1; others: above the
        training median is +1). Overrides ``standardize``.
    classes : keep only these class labels (e.g. ``(0, 1)`` for digits 0 vs 1); they are
        relabelled 0..k-1 in the given order.
    n_samples, noise : size and noise of the generated sets (ignored for the built-ins,
        except that ``n_samples`` sub-samples them).
    n_features, teacher_widths, teacher_seed : the teacher-student set's input dimension,
        the teacher's hidden widths and the seed of the teacher's weights.
    """
    choice("name", name, DATASETS)
    tf = _fraction("test_fraction", test_fraction)
    if not 0.0 < tf < 1.0:
        raise expected("test_fraction", "strictly between 0 and 1", test_fraction)
    seed = integer("seed", seed, low=0)
    rng = as_generator(seed)
    X, y, desc = _raw(name, rng, n_samples, noise, n_features, teacher_widths, teacher_seed)
    info = {"seed": seed, "test_fraction": tf}
    # what it takes to rebuild exactly this split (model cards keep it)
    if n_samples is not None:
        info["n_samples"] = int(n_samples)
    if noise is not None:
        info["noise"] = float(noise)
    if classes is not None:
        classes = [int(c) for c in classes]
        missing = [c for c in classes if c not in set(np.unique(y).tolist())]
        if len(classes) < 2 or missing:
            raise expected("classes", f"at least two of {sorted(set(np.unique(y).tolist()))}", classes)
        keep = np.isin(y, classes)
        order = {c: i for i, c in enumerate(classes)}
        X, y = X[keep], np.array([order[c] for c in y[keep].tolist()], dtype=np.int64)
        info["classes"] = classes
        desc += f" (classes {', '.join(map(str, classes))})"
    if n_samples is not None and name not in _GENERATED:
        n = integer("n_samples", n_samples, low=4)
        if n < len(y):
            idx = np.sort(rng.choice(len(y), size=n, replace=False))
            X, y = X[idx], y[idx]
    train, test = _stratified_split(y, tf, rng)
    X_train, X_test = X[train], X[test]
    if binarize:
        # digits: half of the 0..16 ink scale; others: the training median (ties go to -1)
        thr = np.full(X.shape[1], 7.5) if name == "digits" else np.median(X_train, axis=0)
        X_train, X_test = np.where(X_train > thr, 1.0, -1.0), np.where(X_test > thr, 1.0, -1.0)
        info["features"] = "±1"
    elif standardize:
        mu, sd = X_train.mean(axis=0), X_train.std(axis=0)
        sd[sd == 0] = 1.0
        X_train, X_test = (X_train - mu) / sd, (X_test - mu) / sd
        info["features"] = "standardised"
    else:
        info["features"] = "raw"
    n_classes = int(max(y.max() + 1, 2))
    return Dataset(name, np.ascontiguousarray(X_train, dtype=np.float64), y[train].astype(np.int64),
                   np.ascontiguousarray(X_test, dtype=np.float64), y[test].astype(np.int64), n_classes, desc, info)


def _stratified_split(y, test_fraction, rng):
    train, test = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        k = int(round(test_fraction * idx.size))
        k = min(max(k, 1), idx.size - 1) if idx.size > 1 else 0
        test.append(idx[:k])
        train.append(idx[k:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def _raw(name, rng, n_samples, noise, n_features, teacher_widths, teacher_seed):
    from sklearn import datasets as skd

    if name in _GENERATED:
        n = integer("n_samples", 600 if n_samples is None else n_samples, low=8, high=200_000)
        rs = int(rng.integers(2**31 - 1))
    if name == "digits":
        d = skd.load_digits()
        return d.data.astype(np.float64), d.target.astype(np.int64), "8×8 handwritten digits (scikit-learn)"
    if name in ("iris", "wine", "breast_cancer"):
        d = getattr(skd, f"load_{name}")()
        return d.data.astype(np.float64), d.target.astype(np.int64), f"{name.replace('_', ' ')} (scikit-learn)"
    if name == "moons":
        nz = real("noise", 0.2 if noise is None else noise, low=0.0)
        X, y = skd.make_moons(n, noise=nz, random_state=rs)
        return X, y.astype(np.int64), f"two moons, noise {nz:g}"
    if name == "circles":
        nz = real("noise", 0.1 if noise is None else noise, low=0.0)
        X, y = skd.make_circles(n, noise=nz, factor=0.5, random_state=rs)
        return X, y.astype(np.int64), f"two circles, noise {nz:g}"
    if name == "blobs":
        sd = real("noise", 1.5 if noise is None else noise, low=0.0)
        X, y = skd.make_blobs(n, centers=4, n_features=2, cluster_std=sd, random_state=rs)
        return X, y.astype(np.int64), f"four Gaussian blobs, std {sd:g}"
    # teacher_student: a fixed random tanh teacher labels Gaussian inputs
    from .network import Network

    d = integer("n_features", n_features, low=1, high=4096)
    teacher = Network.random([d, *teacher_widths, 2], "tanh", weight_variance=1.0, seed=teacher_seed)
    X = rng.normal(size=(n, d))
    y = teacher.predict(X).astype(np.int64)
    if noise:
        flip = rng.random(n) < _fraction("noise", noise)
        y[flip] = 1 - y[flip]
    return X, y, f"teacher-student: a random tanh teacher {[d, *teacher_widths, 2]} (seed {teacher_seed})"
