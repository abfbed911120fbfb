#!/usr/bin/python3
"""The Python lifetimes library on the inputs of tradewind's BTYD benchmarks.

Runs BG/NBD (BetaGeoFitter) and Gamma-Gamma (GammaGammaFitter) as lifetimes'
documentation does -- transactions summarised with
summary_data_from_transaction_data(freq='D', freq_multiplier=7), i.e. weeks
as days / 7 after the same-day merge, as BTYD and tradewind do -- on

  * the CDNOW sample (cdnowElog.csv, calibration to 1997-09-30), and on
    BTYD's exact summary cdnowSummary_cbs.csv;
  * the 1,000,000-customer log written by tradewind's
    internal/predict/btyd TestWriteBenchData (CDNOW replicated with jitter),
    then scores every customer: P(alive), expected purchases in 52 weeks and
    12-month CLV (GammaGammaFitter.customer_lifetime_value, freq='W',
    monthly discount rate 1.10**(1/12) - 1, i.e. 10% a year);

times each step (median of --repeat runs; the 1M steps run --repeat-million
times) and compares the parameters with tradewind's (go_fits.json, written
by the same test) to 3 significant digits.

lifetimes is not part of tradewind: it is imported from the directories in
$LIFETIMES_PATH (colon-separated; e.g. an unpacked snapshot of
CamDavidsonPilon/lifetimes and of HIPS/autograd), with numpy, scipy, pandas
and dill from Debian (run it with /usr/bin/python3).

Usage: LIFETIMES_PATH=DIR[:DIR] lifetimes_bench.py --cdnow DIR --data DIR
           [--repeat 5] [--repeat-million 3] [--skip-million] [--out FILE.json]
"""

import argparse
import json
import math
import os
import statistics
import sys
import time
import warnings

for p in reversed([p for p in os.environ.get("LIFETIMES_PATH", "").split(":") if p]):
    sys.path.insert(0, p)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

try:
    import lifetimes  # noqa: E402
    from lifetimes import BetaGeoFitter, GammaGammaFitter  # noqa: E402
    from lifetimes.utils import summary_data_from_transaction_data  # noqa: E402
except ImportError as e:  # pragma: no cover
    sys.exit(f"cannot import lifetimes ({e}); set LIFETIMES_PATH to the directories holding lifetimes/ and autograd/")

warnings.simplefilter("ignore")

CAL_END = "19970930"  # in the log's date format (lifetimes parses it with it)
MONTHLY_DISCOUNT = 1.10 ** (1 / 12) - 1


CPU = {}  # label -> median CPU seconds (process time) of the last timed() with that label


def timed(f, repeat, label=None):
    """Runs f repeat times; returns its last result and the median wall
    seconds (and the runs'); records the median CPU seconds under label."""
    ts, cs, out = [], [], None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = f()
        ts.append(time.perf_counter() - t)
        cs.append(time.process_time() - c)
    if label:
        CPU[label] = statistics.median(cs)
    return out, statistics.median(ts), ts


def summarise(df, cust, date, amount):
    return summary_data_from_transaction_data(
        df, cust, date, monetary_value_col=amount, datetime_format="%Y%m%d",
        observation_period_end=CAL_END, freq="D", freq_multiplier=7)


def fit_bg(s):
    return BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])


def fit_gg(s):
    r = s[s["frequency"] > 0]
    return GammaGammaFitter().fit(r["frequency"], r["monetary_value"])


def score(bg, gg, s):
    """P(alive), expected purchases in 52 weeks, 12-month CLV, as arrays in
    s's order; and the seconds of the first two and of the CLV."""
    f, r, T, m = s["frequency"], s["recency"], s["T"], s["monetary_value"]
    t = time.perf_counter()
    p_alive = np.asarray(bg.conditional_probability_alive(f, r, T))
    expected = np.asarray(bg.conditional_expected_number_of_purchases_up_to_time(52, f, r, T))
    t1 = time.perf_counter()
    clv = np.asarray(gg.customer_lifetime_value(bg, f, r, T, m, time=12, discount_rate=MONTHLY_DISCOUNT, freq="W"))
    return p_alive, expected, clv, t1 - t, time.perf_counter() - t1


def sig3(a, b):
    """Whether a and b agree to 3 significant digits: |a - b| at most half a
    unit in b's third significant digit."""
    if b == 0:
        return a == 0
    return abs(a - b) <= 0.5 * 10 ** (math.floor(math.log10(abs(b))) - 2)


def compare(name, py, go):
    rows, ok = [], True
    for k, v in py.items():
        g = go[k]
        same = sig3(v, g)
        ok &= same
        rows.append({"param": k, "lifetimes": v, "tradewind": g, "rel_diff": (v - g) / g, "agree_3_sig": same})
        print(f"  {name:11s} {k:6s} lifetimes {v:12.6g}  tradewind {g:12.6g}  rel.diff {((v - g) / g):+.1e}  {'ok' if same else 'DIFFERS'}")
    return rows, ok


def go_params(fit):
    r, alpha, a, b = fit["bgnbd"]
    p, q, g = fit["gamma_gamma"]
    return {"r": r, "alpha": alpha, "a": a, "b": b}, {"p": p, "q": q, "v": g}


def run_set(label, s, go_fit, repeat, times, agreement):
    bg, t_bg, ts_bg = timed(lambda: fit_bg(s), repeat, label + "/bgnbd")
    gg, t_gg, ts_gg = timed(lambda: fit_gg(s), repeat, label + "/gammagamma")
    times[label + "/bgnbd"] = t_bg
    times[label + "/gammagamma"] = t_gg
    times[label + "/fit"] = t_bg + t_gg
    print(f"{label}: {len(s)} customers, {int((s['frequency'] > 0).sum())} repeat; "
          f"BG/NBD {t_bg * 1000:.1f} ms, Gamma-Gamma {t_gg * 1000:.1f} ms (medians of {repeat}: "
          f"{[round(t * 1000, 1) for t in ts_bg]}, {[round(t * 1000, 1) for t in ts_gg]})")
    # lifetimes fits BG/NBD on time rescaled to max(T) = 10; its
    # log-likelihood in weeks, at its parameters, is comparable with
    # tradewind's.
    n = len(s)
    ll_bg = -n * bg._negative_log_likelihood(
        np.log(bg.params_[["r", "alpha", "a", "b"]].values), s["frequency"].values.astype(int),
        s["recency"].values, s["T"].values, np.ones(n), 0)
    ll_gg = -gg._negative_log_likelihood_ * int((s["frequency"] > 0).sum())
    print(f"  lifetimes log-likelihood: BG/NBD {ll_bg:.6f}, Gamma-Gamma {ll_gg:.6f}")
    if go_fit is not None:
        gb, gq = go_params(go_fit)
        print(f"  tradewind log-likelihood: BG/NBD {go_fit['bgnbd_log_likelihood']:.6f}, Gamma-Gamma {go_fit['gamma_gamma_log_likelihood']:.6f}")
        rows_b, ok_b = compare("BG/NBD", {k: float(bg.params_[k]) for k in ["r", "alpha", "a", "b"]}, gb)
        rows_g, ok_g = compare("Gamma-Gamma", {k: float(gg.params_[k]) for k in ["p", "q", "v"]}, gq)
        agreement[label] = {"bgnbd": rows_b, "gamma_gamma": rows_g, "all_agree_3_sig": bool(ok_b and ok_g),
                            "log_likelihood": {"lifetimes": {"bgnbd": float(ll_bg), "gamma_gamma": float(ll_gg)},
                                               "tradewind": {"bgnbd": go_fit["bgnbd_log_likelihood"],
                                                             "gamma_gamma": go_fit["gamma_gamma_log_likelihood"]}}}
    return bg, gg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cdnow", required=True, help="directory of cdnowElog.csv and cdnowSummary_cbs.csv")
    ap.add_argument("--data", required=True, help="directory of million_transactions.csv and go_fits.json")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--repeat-million", type=int, default=3)
    ap.add_argument("--skip-million", action="store_true")
    ap.add_argument("--out")
    a = ap.parse_args()

    go = json.load(open(os.path.join(a.data, "go_fits.json")))
    times, agreement = {}, {}
    print(f"lifetimes {lifetimes.__version__} from {os.path.dirname(lifetimes.__file__)}; numpy {np.__version__}, pandas {pd.__version__}; "
          f"python {sys.version.split()[0]}")

    # CDNOW from the raw log.
    elog = pd.read_csv(os.path.join(a.cdnow, "cdnowElog.csv"), dtype={"date": str})
    s, t_sum, _ = timed(lambda: summarise(elog, "sampleid", "date", "sales"), a.repeat, "cdnow_elog/summarize")
    times["cdnow_elog/summarize"] = t_sum
    print(f"cdnow_elog: summary_data_from_transaction_data {t_sum * 1000:.1f} ms")
    run_set("cdnow_elog", s, go["cdnow_elog"], a.repeat, times, agreement)

    # CDNOW from BTYD's exact summary.
    cbs = pd.read_csv(os.path.join(a.cdnow, "cdnowSummary_cbs.csv"))
    cbs = pd.DataFrame({"frequency": cbs["x"].astype(float), "recency": cbs["t.x"], "T": cbs["T.cal"], "monetary_value": cbs["m.x"]})
    run_set("cdnow_cbs", cbs, go["cdnow_cbs"], a.repeat, times, agreement)

    if not a.skip_million:
        rm = a.repeat_million
        path = os.path.join(a.data, "million_transactions.csv")
        df, t_read, _ = timed(lambda: pd.read_csv(path, dtype={"customer": str, "date": str}), 1)
        times["million/read_csv"] = t_read
        s, t_sum, ts = timed(lambda: summarise(df, "customer", "date", "amount"), rm, "million/summarize")
        times["million/summarize"] = t_sum
        print(f"million: read {len(df)} transactions {t_read:.2f} s; summary_data_from_transaction_data {t_sum:.2f} s ({[round(t, 2) for t in ts]})")
        bg, gg = run_set("million", s, go["million"], rm, times, agreement)
        (pa, ex, clv, t_pe, t_clv), t_score, ts = timed(lambda: score(bg, gg, s), rm, "million/score")
        times["million/score"] = t_score
        times["million/score/p_alive+expected"] = t_pe
        times["million/score/clv"] = t_clv
        times["million/fit+score"] = times["million/fit"] + t_score
        print(f"million: score (P(alive), E[purchases in 52 weeks], 12-month CLV) {t_score:.2f} s ({[round(t, 2) for t in ts]}; "
              f"last run: P(alive) + expected {t_pe:.2f} s, CLV {t_clv:.2f} s); fit + score {times['million/fit+score']:.2f} s")
        # The same customers' scores on both sides.
        sample = go["million"]["scores"]
        pos = [s.index.get_loc(r["ID"]) for r in sample]
        diff = {"p_alive": [], "expected_52": [], "clv_12m": []}
        for r, i in zip(sample, pos):
            diff["p_alive"].append(abs(float(pa[i]) - r["PAlive"]))
            diff["expected_52"].append(abs(float(ex[i]) - r["Expected52"]) / max(r["Expected52"], 1e-9))
            diff["clv_12m"].append(abs(float(clv[i]) - r["CLV12m"]) / max(r["CLV12m"], 1e-9))
        agreement["million_scores"] = {k: {"max": max(v), "median": statistics.median(v)} for k, v in diff.items()}
        agreement["million_scores"]["customers_compared"] = len(pos)
        print(f"  scores of {len(pos)} customers: |P(alive) diff| max {max(diff['p_alive']):.2e}; "
              f"expected purchases rel. diff max {max(diff['expected_52']):.2e}; CLV rel. diff max {max(diff['clv_12m']):.2e}, "
              f"median {statistics.median(diff['clv_12m']):.2e} (lifetimes' month is 4.345 weeks, tradewind's 365.25/12/7 = 4.348)")

    if a.out:
        print("median CPU seconds:", {k: round(v, 4) for k, v in CPU.items()})
        json.dump({"lifetimes_version": lifetimes.__version__, "seconds": times, "cpu_seconds": CPU, "agreement": agreement,
                   "repeat": a.repeat, "repeat_million": a.repeat_million}, open(a.out, "w"), indent=1)


if __name__ == "__main__":
    main()
