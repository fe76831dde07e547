"""Do prediction-powered intervals cover what people decide? Two measurements in one run.

1. Simulation (seeded): a judge that favours the longer response much more than people do judges
   every pair of a fresh population; people's labels on a random tenth are revealed. The truth is
   the population's all-label share of "response 1 preferred". Coverage and mean width of the
   95% interval: PPI++ (autoj calibrate), the labels alone, and the naive interval on the judge.
2. Eval-P (1,392 pairs) with Auto-J-13B's released predictions (both orders) as the judge: a
   random tenth of the human labels revealed, many draws; coverage of the all-label value and
   mean width against the labels-only interval.

    PYTHONPATH=src python benchmarks/calibration_coverage.py [--runs 1000] [--draws 500]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from autoj.stats.ppi import Calibrated, ppi_mean
from autoj.trust.calibration import RESPONSE_1_VALUE, judge_value


def _preference(rng: np.random.Generator, logit: np.ndarray, tie: float) -> np.ndarray:
    """1 / 0.5 / 0 for response 1 preferred / a tie / response 2, from a logit and a tie rate."""
    first = rng.random(logit.size) < 1.0 / (1.0 + np.exp(-logit))
    return np.where(rng.random(logit.size) < tie, 0.5, first.astype(float))


def simulated_population(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(people, judge) values of `size` pairs: quality q and length difference d per pair;
    people weigh length a little (0.3 d), the judge four times as much (1.2 d)."""
    quality = rng.normal(0.2, 1.0, size)
    longer = rng.normal(0.3, 1.0, size)  # response 1 tends to be the longer one
    people = _preference(rng, 1.5 * quality + 0.3 * longer, tie=0.15)
    judge = _preference(rng, 2.5 * quality + 1.2 * longer, tie=0.05)
    return people, judge


def reveal(rng: np.random.Generator, people: np.ndarray, judge: np.ndarray, share: float) -> Calibrated:
    """PPI++ with a random `share` of the labels revealed."""
    picked = np.zeros(people.size, dtype=bool)
    picked[rng.choice(people.size, size=round(share * people.size), replace=False)] = True
    return ppi_mean(people[picked], judge[picked], judge[~picked])


def measure(
    runs: int, draw: Callable[[np.random.Generator], tuple[Calibrated, float]], seed: int
) -> dict[str, float]:
    """Coverage and mean width of the three intervals over `runs` seeded draws."""
    rng = np.random.default_rng(seed)
    covered = {"ppi++": 0, "labels only": 0, "judge only": 0}
    widths: dict[str, list[float]] = {name: [] for name in covered}
    for _ in range(runs):
        found, truth = draw(rng)
        for name, interval in (
            ("ppi++", found.interval),
            ("labels only", found.labels_only),
            ("judge only", found.judge_only),
        ):
            covered[name] += interval.covers(truth)
            widths[name].append(interval.width)
    figures = {f"{name} coverage": covered[name] / runs for name in covered}
    figures |= {f"{name} mean width": float(np.mean(widths[name])) for name in widths}
    return figures


def eval_p_values() -> tuple[np.ndarray, np.ndarray]:
    """(people, judge) values on Eval-P with Auto-J's released predictions in both orders."""
    from autoj.bench.data import load_eval_p, load_predictions
    from autoj.data import registry

    items = load_eval_p()
    original = load_predictions(registry.resolve("autoj-predictions", "pairwise"))
    swapped = load_predictions(registry.resolve("autoj-predictions", "pairwise-swapped"))
    people = np.array([RESPONSE_1_VALUE[item.label] for item in items if item.label is not None])
    judge = np.array([judge_value(a, b) for a, b in zip(original, swapped, strict=True)])
    return people, judge


def _print(title: str, figures: dict[str, float], runs: int, elapsed: float) -> None:
    print(f"\n{title} ({runs} runs, {elapsed:.1f} s)")
    print(f"{'interval':<12} {'coverage':>9} {'mean width':>11}")
    for name in ("ppi++", "labels only", "judge only"):
        print(f"{name:<12} {figures[f'{name} coverage']:>9.3f} {figures[f'{name} mean width']:>11.4f}")
    ratio = figures["ppi++ mean width"] / figures["labels only mean width"]
    print(f"PPI++ width / labels-only width: {ratio:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1000, help="simulation runs")
    parser.add_argument("--draws", type=int, default=500, help="Eval-P draws of revealed labels")
    parser.add_argument("--size", type=int, default=2000, help="simulated pairs per run")
    parser.add_argument("--share", type=float, default=0.1, help="share of labels revealed")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    def simulated(rng: np.random.Generator) -> tuple[Calibrated, float]:
        people, judge = simulated_population(rng, args.size)
        return reveal(rng, people, judge, args.share), float(people.mean())

    started = time.perf_counter()
    figures = measure(args.runs, simulated, args.seed)
    _print(
        f"simulation: {args.size} pairs, a length-biased judge, {args.share:.0%} labelled",
        figures,
        args.runs,
        time.perf_counter() - started,
    )

    people, judge = eval_p_values()
    truth = float(people.mean())
    print(f"\nEval-P: all-label share of response 1 preferred {truth:.4f}; Auto-J's own {judge.mean():.4f}")
    started = time.perf_counter()
    figures = measure(args.draws, lambda rng: (reveal(rng, people, judge, args.share), truth), args.seed)
    _print(
        f"Eval-P, Auto-J-13B released predictions, {args.share:.0%} of {people.size} labels revealed",
        figures,
        args.draws,
        time.perf_counter() - started,
    )


if __name__ == "__main__":
    main()
