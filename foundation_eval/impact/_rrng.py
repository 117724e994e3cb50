"""R's default random numbers (Mersenne-Twister seeded by ``set.seed``, normals by inversion).

The sensitivity analyses of Rambachan & Roth (R package ``HonestDiD``) simulate a critical value
from 1,000 normal draws after ``set.seed(seed)``. Reproducing the same draws makes our intervals
the package's to the digit, instead of differing by Monte Carlo noise. The generator is R's
documented default (``?RNGkind``): ``set.seed(s)`` scrambles the seed with the linear congruential
map ``s -> 69069 s + 1`` (50 times, then once per word of the 624-word Mersenne-Twister state);
``unif_rand`` is the 32-bit output times ``2^-32``; ``norm_rand`` ("Inversion") takes two uniforms,
``u = (floor(2^27 u1) + u2) / 2^27``, and returns the standard normal quantile of ``u``.
Checked in tests against R: ``set.seed(0); rnorm(3)`` gives 1.2629543, -0.3262334, 1.3297993.
"""
from __future__ import annotations

import numpy as np
from scipy.special import ndtri

_I2_32M1 = 2.328306437080797e-10  # R's bound that keeps a uniform inside (0, 1)


def r_uniform(n: int, seed: int) -> np.ndarray:
    """The first `n` values of R's ``runif`` after ``set.seed(seed)`` (default generator)."""
    s = np.uint32(seed % 2**32)
    key = np.empty(625, dtype=np.uint32)
    with np.errstate(over="ignore"):
        for _ in range(50):
            s = np.uint32(69069) * s + np.uint32(1)
        for j in range(625):
            s = np.uint32(69069) * s + np.uint32(1)
            key[j] = s
    bits = np.random.MT19937()
    # the first scrambled word is R's position counter, reset to 624 (regenerate on first use)
    bits.state = {"bit_generator": "MT19937", "state": {"key": key[1:], "pos": 624}}
    u = bits.random_raw(n).astype(np.float64) * 2.3283064365386963e-10
    u[u <= 0.0] = 0.5 * _I2_32M1
    u[1.0 - u <= 0.0] = 1.0 - 0.5 * _I2_32M1
    return u


def r_rnorm(n: int, seed: int) -> np.ndarray:
    """The first `n` values of R's ``rnorm`` after ``set.seed(seed)`` (inversion, two uniforms each)."""
    u = r_uniform(2 * n, seed)
    big = 134217728.0  # 2^27
    return ndtri((np.floor(big * u[0::2]) + u[1::2]) / big)


def r_rmvnorm(n: int, sigma: np.ndarray, seed: int) -> np.ndarray:
    """``set.seed(seed); mvtnorm::rmvnorm(n, sigma = sigma)`` with its default eigen method.

    The draws are the standard normals filled row by row times the symmetric square root of
    `sigma` (eigenvalues below zero set to zero), which is what ``rmvnorm`` computes.
    """
    sigma = np.asarray(sigma, dtype=float)
    d = sigma.shape[0]
    vals, vecs = np.linalg.eigh(sigma)
    root = (vecs * np.sqrt(np.clip(vals, 0.0, None))) @ vecs.T
    z = r_rnorm(n * d, seed).reshape(n, d)
    return z @ root
