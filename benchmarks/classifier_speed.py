"""Load time and queries/s of a shipped scenario classifier on the 623 test queries.

    PYTHONPATH=src python benchmarks/classifier_speed.py [--kind encoder|tfidf] [--repeats 3] [--json]

Each repeat loads the model afresh (files read, base checkpoint hashed, delta applied) and
classifies the whole test set in one call, as `autoj bench classifier` does; the best repeat is
reported, since other jobs on a shared machine only ever slow a run down.
"""

from __future__ import annotations

import argparse
import json
import time

from autoj.scenarios._evaluate import CLASSIFIER_TEST_DATA, default_data, load_labelled_queries
from autoj.scenarios._linear import Classifier


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", default="encoder")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    queries = [r.query for r in load_labelled_queries(default_data(CLASSIFIER_TEST_DATA))]
    loads, predicts = [], []
    for _ in range(args.repeats):
        started = time.perf_counter()
        classifier = Classifier(kind=args.kind)
        loads.append(time.perf_counter() - started)
        started = time.perf_counter()
        classifier.predict(queries)
        predicts.append(time.perf_counter() - started)
    result = {
        "kind": args.kind,
        "queries": len(queries),
        "load_seconds": round(min(loads), 2),
        "predict_seconds": round(min(predicts), 2),
        "queries_per_second": round(len(queries) / min(predicts), 1),
        "all_load_seconds": [round(s, 2) for s in loads],
        "all_predict_seconds": [round(s, 2) for s in predicts],
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{args.kind}: load {result['load_seconds']} s, {result['queries']} queries in "
            f"{result['predict_seconds']} s = {result['queries_per_second']} queries/s "
            f"(best of {args.repeats})"
        )


if __name__ == "__main__":
    main()
