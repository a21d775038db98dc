"""Fitting the learned layer's softmax models: weighted cross-entropy with L2, minimised by
limited-memory BFGS in plain numpy.

Why a hand-written L-BFGS and not ``scipy.optimize.minimize(method="L-BFGS-B")``: on these
problems (up to ~290,000 weights) scipy's solver reached the same loss (to 4 significant
digits) but needed 10.1 s of CPU against 5.9 s for this one, measured on the same run with
OpenBLAS held to one thread — and 50 s and more with OpenBLAS's default threads, which spin
on a busy 2-core machine (``bench/library_bench.py --training`` measures it again). This
solver calls no BLAS at all: inner products by ``np.einsum``, vector updates in place.

The design matrix has two parts: the sparse n-gram features (a few per sentence) and the
dense word vector of each sentence (128 numbers). Multiplying the dense part as 1.2 million
sparse entries cost two thirds of every loss evaluation; it is multiplied as a dense block,
in slices small enough that OpenBLAS keeps them on one thread.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import sparse

#: rows of the dense block multiplied at once: small enough for OpenBLAS to stay on one thread
_BLOCK = 128


class Design:
    """Rows of a training problem: sparse n-gram columns ``x`` and dense columns ``v``."""

    def __init__(self, x: sparse.csr_matrix, v: np.ndarray | None):
        self.x = x
        self.xt = x.T  # a CSC view: the gradient's product, without a copy
        self.v = v
        self.blocks = [] if v is None else [np.ascontiguousarray(v[i : i + _BLOCK]) for i in range(0, len(v), _BLOCK)]
        self.width = x.shape[1] + (0 if v is None else v.shape[1])

    def times(self, w: np.ndarray) -> np.ndarray:
        """Design × weights (``width`` × classes)."""
        f = self.x.shape[1]
        z = self.x @ w[:f]
        if self.blocks:
            dense = w[f:]
            z += np.vstack([b @ dense for b in self.blocks])
        return np.asarray(z)

    def transposed_times(self, g: np.ndarray) -> np.ndarray:
        """Designᵀ × per-row values (rows × classes)."""
        top = np.asarray(self.xt @ g)
        if not self.blocks:
            return top
        bottom = np.zeros((self.v.shape[1], g.shape[1]))  # type: ignore[union-attr]
        for i, b in enumerate(self.blocks):
            bottom += b.T @ g[i * _BLOCK : (i + 1) * _BLOCK]
        return np.vstack([top, bottom])


def fit(design: Design, y: np.ndarray, weights: np.ndarray, classes: int, l2: float,
        cancelled: Callable[[], bool] | None = None) -> np.ndarray:
    """Weights (``width`` × classes, then the biases) minimising the weighted cross-entropy
    (``weights`` sum to 1) plus ``l2``/2 · ‖weights‖², from a zero start."""
    n, f, c = len(y), design.width, classes
    onehot = np.zeros((n, c))
    onehot[np.arange(n), y] = 1.0

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        wt, b = theta[: f * c].reshape(f, c), theta[f * c :]
        z = design.times(wt) + b
        z -= z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        value = -(weights * (onehot * logp).sum(axis=1)).sum() + 0.5 * l2 * _dot(wt.ravel(), wt.ravel())
        g = (np.exp(logp) - onehot) * weights[:, None]
        grad = np.concatenate([(design.transposed_times(g) + l2 * wt).ravel(), g.sum(axis=0)])
        return value, grad

    return lbfgs(loss, np.zeros(f * c + c), cancelled=cancelled)


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """Inner product without BLAS (whose threads stall on a busy machine for vectors this size)."""
    return float(np.einsum("i,i->", a, b))


class Cancelled(Exception):
    """Raised inside ``lbfgs`` when its ``cancelled`` callback says the result is not wanted."""


def lbfgs(fun: Callable[[np.ndarray], tuple[float, np.ndarray]], x: np.ndarray, iterations: int = 150,
          memory: int = 8, tol: float = 1e-6, cancelled: Callable[[], bool] | None = None) -> np.ndarray:
    """Minimise a smooth convex ``fun`` (value, gradient) by limited-memory BFGS with Armijo
    backtracking: plain numpy, deterministic (no randomness, fixed iteration order)."""
    value, grad = fun(x)
    history: list[tuple[np.ndarray, np.ndarray, float]] = []
    q, tmp = np.empty_like(x), np.empty_like(x)
    for _ in range(iterations):
        if cancelled is not None and cancelled():
            raise Cancelled
        q = _direction(grad, history, q, tmp)
        step, slope = 1.0, -_dot(grad, q)
        if slope >= 0:
            np.copyto(q, grad)
            slope, history = -_dot(grad, grad), []
        while True:
            new_x = x - step * q
            new_value, new_grad = fun(new_x)
            if new_value <= value + 1e-4 * step * slope or step < 1e-10:
                break
            step *= 0.5
        s, y = new_x - x, new_grad - grad
        sy = _dot(s, y)
        if sy > 1e-12:
            history = [*history[-(memory - 1):], (s, y, 1.0 / sy)]
        x, grad, done = new_x, new_grad, abs(value - new_value) < tol * max(1.0, abs(value))
        value = new_value
        if done or np.abs(grad).max() < tol:
            break
    return x


def _direction(grad: np.ndarray, history: list[tuple[np.ndarray, np.ndarray, float]], q: np.ndarray,
               tmp: np.ndarray) -> np.ndarray:
    """The two-loop recursion (the quasi-Newton step ``H · grad``), in place in ``q``."""
    np.copyto(q, grad)
    alphas = []
    for s, y, rho in reversed(history):
        a = rho * _dot(s, q)
        alphas.append(a)
        np.multiply(y, a, out=tmp)
        q -= tmp
    if history:
        s, y, _ = history[-1]
        q *= _dot(s, y) / _dot(y, y)
    for (s, y, rho), a in zip(history, reversed(alphas), strict=True):
        np.multiply(s, a - rho * _dot(y, q), out=tmp)
        q += tmp
    return q
