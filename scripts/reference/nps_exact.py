"""
Exact NPS reference values for test/fixtures/stats/nps-exact.json, computed without the engine.

With (D, P, R) ~ Dirichlet(1 + detractors, 1 + passives, 1 + promoters), condition on the
detractor share d: D ~ Beta(aD, aP + aR) and R / (1 - d) ~ Beta(aR, aP), independent of D. So
    F(t) = P(R - D <= t) = integral over d of f_D(d) * I((t + d) / (1 - d); aR, aP),
a one-dimensional integral of a regularized incomplete beta function (scipy), split where its
argument leaves [0, 1] (d = -t and d = (1 - t) / 2); the density is the same integral of the beta
density. This conditions on a different share than the engine does (it uses the passive share and
the detractor split), so agreement is not a shared mistake. P(variant > control) is the integral of
the control's density times the variant's survival function; quantiles are roots of F.

Run: python3 scripts/reference/nps_exact.py > test/fixtures/stats/nps-exact.json
"""
import json
import sys

from scipy import integrate, optimize, special, stats

EPS = dict(epsabs=1e-13, epsrel=1e-12, limit=400)


def shares(c):
    return 1.0 + c[0], 1.0 + c[1], 1.0 + c[2]


def cdf(c, t):
    aD, aP, aR = shares(c)
    if t <= -1:
        return 0.0
    if t >= 1:
        return 1.0
    fD = stats.beta(aD, aP + aR).pdf

    def g(d):
        x = (t + d) / (1 - d)
        if x <= 0:
            return 0.0
        if x >= 1:
            return fD(d)
        return fD(d) * special.betainc(aR, aP, x)

    lo = max(0.0, -t)
    hi = (1 - t) / 2
    # Below lo the promoter share would have to be negative: zero; above hi the event is certain.
    inner = integrate.quad(g, lo, hi, **EPS)[0] if hi > lo else 0.0
    certain = stats.beta(aD, aP + aR).sf(hi) if hi < 1 else 0.0
    return inner + certain


def pdf(c, t):
    aD, aP, aR = shares(c)
    if t <= -1 or t >= 1:
        return 0.0
    fD = stats.beta(aD, aP + aR).pdf
    fY = stats.beta(aR, aP).pdf

    def g(d):
        x = (t + d) / (1 - d)
        if x <= 0 or x >= 1:
            return 0.0
        return fD(d) * fY(x) / (1 - d)

    lo = max(0.0, -t)
    hi = (1 - t) / 2
    return integrate.quad(g, lo, hi, **EPS)[0] if hi > lo else 0.0


def mean(c):
    aD, aP, aR = shares(c)
    return (aR - aD) / (aD + aP + aR)


def quantile(c, p):
    return optimize.brentq(lambda t: cdf(c, t) - p, -1 + 1e-15, 1 - 1e-15, xtol=1e-13, rtol=1e-15)


def chance_greater(variant, control):
    # P(NPS_variant > NPS_control) = integral of f_control(y) * (1 - F_variant(y)).
    m = mean(control)
    pts = sorted({0.0, m})
    val = integrate.quad(
        lambda y: pdf(control, y) * (1 - cdf(variant, y)), -1, 1, points=pts, epsabs=1e-11, epsrel=1e-10, limit=400
    )[0]
    return val


ARMS = [
    [0, 0, 30], [0, 30, 0], [30, 0, 0], [0, 0, 200], [0, 0, 0], [1, 2, 3], [2, 1, 4], [5, 0, 12], [0, 7, 9],
    [4, 9, 0], [12, 40, 0], [0, 1, 1],
]
PAIRS = [
    {"control": [1, 2, 3], "variant": [2, 1, 4]},
    {"control": [0, 2, 28], "variant": [0, 0, 30]},
    {"control": [3, 27, 0], "variant": [0, 30, 0]},
    {"control": [1, 0, 15], "variant": [0, 0, 12]},
    {"control": [5, 0, 12], "variant": [0, 7, 9]},
]


def main():
    arms = []
    for c in ARMS:
        arms.append({
            "counts": {"detractors": c[0], "passives": c[1], "promoters": c[2]},
            "estimate": 100 * mean(c),
            "ci95": [100 * quantile(c, 0.025), 100 * quantile(c, 0.975)],
        })
        print("arm", c, arms[-1]["ci95"], file=sys.stderr)
    pairs = []
    for p in PAIRS:
        v = chance_greater(p["variant"], p["control"])
        print("pair", p, v, file=sys.stderr)
        as_counts = lambda c: {"detractors": c[0], "passives": c[1], "promoters": c[2]}
        pairs.append({"control": as_counts(p["control"]), "variant": as_counts(p["variant"]), "chanceToBeatControl": v})
    out = {
        "about": "Exact NPS posteriors (Dirichlet(1, 1, 1) prior) with empty categories, computed by "
        "scripts/reference/nps_exact.py with scipy quadrature conditioned on the detractor share, "
        "independently of the engine. Interval ends and estimates in NPS points. Tolerances: 1e-6 on "
        "chances, 0.001 points on interval ends.",
        "arms": arms,
        "pairs": pairs,
    }
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
