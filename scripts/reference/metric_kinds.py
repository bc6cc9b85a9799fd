"""
Reference values for the ratio, ordinal, CUPED and survey-response checks, computed without the
engine (numpy, scipy), written to test/fixtures/stats/metric-kinds.json.

- Response bias: scipy.stats.chi2_contingency (no continuity correction) on arms x answered.
- Ratio: the delta-method variance in its matrix form, grad' Sigma grad / n, with Sigma the
  sample covariance of (x, y) from numpy, on seeded simulated units.
- CUPED on Hillstrom (spend, with the pre-period `history` as covariate): theta is the slope of
  the least-squares fit spend ~ arm dummies + history (numpy lstsq), which equals the pooled
  within-arm slope; the variance reduction is 1 - residual variance / within-arm variance.
- Ordinal: the top-2-box posterior Beta(2 + top, k - 2 + rest) quantiles from scipy; the mean
  score's quantiles and a chance to beat from 4,000,000 seeded Dirichlet draws.

Run: python3 scripts/reference/metric_kinds.py > test/fixtures/stats/metric-kinds.json
"""
import csv
import json
import os

import numpy as np
from scipy import stats

out = {}

# Response bias
tables = [
    [[1000, 200], [1000, 200]],
    [[1000, 200], [1000, 260]],
    [[5000, 400], [5000, 480], [5000, 410]],
    [[300, 30], [310, 55]],
]
out["responseBias"] = []
for t in tables:
    obs = np.array([[r, e - r] for e, r in t], dtype=float)
    chi2, p, dof, _ = stats.chi2_contingency(obs, correction=False)
    out["responseBias"].append(
        {"arms": [{"exposed": e, "responded": r} for e, r in t], "chiSquare": chi2, "pValue": p, "df": int(dof)}
    )

# Ratio
rng = np.random.default_rng(20261201)
out["ratio"] = []
for n, lam_y, per in [(50, 2.0, 0.3), (1000, 1.5, 0.2), (20000, 3.0, 0.05)]:
    y = rng.poisson(lam_y, n) + 1  # tickets per customer, at least one
    x = rng.binomial(y, per)  # contacts among them
    x = x.astype(float)
    y = y.astype(float)
    mx, my = x.mean(), y.mean()
    cov = np.cov(np.vstack([x, y]))  # n - 1
    grad = np.array([1 / my, -mx / my**2])
    var = float(grad @ cov @ grad / n)
    out["ratio"].append(
        {
            "sums": {
                "n": n,
                "sumX": float(x.sum()),
                "sumY": float(y.sum()),
                "sumX2": float((x * x).sum()),
                "sumY2": float((y * y).sum()),
                "sumXY": float((x * y).sum()),
            },
            "ratio": float(mx / my),
            "variance": var,
        }
    )

# CUPED on Hillstrom
path = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "hillstrom.csv")
arms = {"No E-Mail": "no-email", "Mens E-Mail": "mens", "Womens E-Mail": "womens"}
ys = {k: [] for k in arms.values()}
xs = {k: [] for k in arms.values()}
with open(path) as f:
    for row in csv.DictReader(f):
        k = arms[row["segment"]]
        ys[k].append(float(row["spend"]))
        xs[k].append(float(row["history"]))
sums = {}
Y, X, D = [], [], []
keys = list(arms.values())
for k in keys:
    y = np.array(ys[k])
    x = np.array(xs[k])
    sums[k] = {
        "n": int(len(y)),
        "sumY": float(y.sum()),
        "sumY2": float((y * y).sum()),
        "sumX": float(x.sum()),
        "sumX2": float((x * x).sum()),
        "sumXY": float((x * y).sum()),
    }
    Y.append(y)
    X.append(x)
    D.append(np.full(len(y), keys.index(k)))
Y = np.concatenate(Y)
X = np.concatenate(X)
D = np.concatenate(D)
design = np.column_stack([(D == i).astype(float) for i in range(len(keys))] + [X])
coef, *_ = np.linalg.lstsq(design, Y, rcond=None)
theta = float(coef[-1])
resid = Y - design @ coef
within = Y - np.array([Y[D == i].mean() for i in range(len(keys))])[D]
dof = len(Y) - len(keys)
reduction = 1 - (resid @ resid / dof) / (within @ within / dof)
xbar = X.mean()
adjusted = {k: float(Y[D == i].mean() - theta * (X[D == i].mean() - xbar)) for i, k in enumerate(keys)}
out["cupedHillstrom"] = {"sums": sums, "theta": theta, "varianceReduction": float(reduction), "adjustedMeans": adjusted}

# Ordinal
draws = 4_000_000
scores = np.arange(1, 6)
out["ordinal"] = []
cases = [[0, 1, 2, 3, 4], [2, 3, 10, 40, 45], [30, 20, 50, 200, 300], [0, 0, 0, 0, 12], [120, 80, 300, 900, 600]]
for c in cases:
    a = np.array(c) + 1.0
    top = c[-1] + c[-2]
    rest = sum(c) - top
    b = stats.beta(2 + top, 3 + rest)
    g = rng.gamma(a, size=(draws, 5))
    m = (g * scores).sum(1) / g.sum(1)
    out["ordinal"].append(
        {
            "counts": c,
            "top2": {"mean": float(b.mean()), "q025": float(b.ppf(0.025)), "q975": float(b.ppf(0.975))},
            "mean": {"mean": float((a * scores).sum() / a.sum()), "q025": float(np.quantile(m, 0.025)), "q975": float(np.quantile(m, 0.975))},
        }
    )
pair = ([20, 15, 40, 120, 100], [18, 12, 35, 118, 125])
ms = []
for c in pair:
    g = rng.gamma(np.array(c) + 1.0, size=(draws, 5))
    ms.append((g * scores).sum(1) / g.sum(1))
out["ordinalPair"] = {"control": pair[0], "variant": pair[1], "chanceToBeatMean": float((ms[1] > ms[0]).mean())}

print(json.dumps(out, indent=2))
