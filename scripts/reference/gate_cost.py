"""
Sample cost of the peeking-safe gate against a fixed-horizon test, by simulation outside the
engine (numpy; the Bayes factor formula is re-derived here). The effect's z-path is Brownian
with 28 equally spaced looks up to the planned sample N; the gate is the one-sided normal-mixture
Bayes factor with prior variance r x (the effect's variance at N), threshold B. For each r it
reports the realised false-positive rate over the 28 looks (alpha28) and the sample, as a
multiple of N_fixed, at which the gate reaches 80% power, where N_fixed is the single-look sample
for 80% power at the same alpha (same error rates) or at a one-sided 5%.

Run: python3 scripts/reference/gate_cost.py
"""
import numpy as np
from scipy.stats import norm

LOOKS = 28
PATHS = 40000
rng = np.random.default_rng(1)
steps = np.cumsum(rng.standard_normal((PATHS, LOOKS)), axis=1)


def log_bf(z, r):
    return np.log(2) - 0.5 * np.log(1 + r) + z * z * r / (2 * (1 + r)) + norm.logcdf(z * np.sqrt(r / (1 + r)))


def power(drift, r_n, b, m=1.0):
    info = m * np.arange(1, LOOKS + 1) / LOOKS
    w = drift * info + steps * np.sqrt(m / LOOKS)
    return (log_bf(w / np.sqrt(info), r_n * info) >= np.log(b)).any(axis=1).mean()


def multiple(drift, r_n, b):
    lo, hi = 0.3, 6.0
    for _ in range(30):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if power(drift, r_n, b, mid) >= 0.8 else (mid, hi)
    return hi


print("| B | r | alpha over 28 looks | sample / fixed (same alpha) | sample / fixed (5%) |")
print("|---|---|---:|---:|---:|")
for b in [20]:
    for r_n in [1, 2, 5, 10, 20, 50]:
        a = power(0.0, r_n, b)
        same = multiple(norm.ppf(1 - a) + norm.ppf(0.8), r_n, b)
        five = multiple(norm.ppf(0.95) + norm.ppf(0.8), r_n, b)
        print(f"| {b} | {r_n} | {100 * a:.2f}% | {same:.2f} | {five:.2f} |")
