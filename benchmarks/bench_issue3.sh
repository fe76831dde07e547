#!/usr/bin/env bash
# Issue 3's measurements: the judge's figures on Eval-P (116 pairs, both orders) and a small
# system-ranking run. Prints tables; asserts nothing. Usage: benchmarks/bench_issue3.sh [JUDGE]
set -euo pipefail
JUDGE="${1:-llamacpp}"
OUT="${OUT:-benchmarks/out}"
mkdir -p "$OUT"
slug="$(echo "$JUDGE" | tr -c 'A-Za-z0-9._-' '_')"
# Released Auto-J predictions: must print 54.96 / 83.41 beside the longer-wins baseline.
autoj bench pairwise \
  --predictions ../shared/data/autoj/outputs/pairwise_example_output.jsonl \
  --swapped-predictions ../shared/data/autoj/outputs/pairwise_exchange_example_output.jsonl
autoj bench critique
time autoj bench pairwise --judge "$JUDGE" --per-scenario 2 --output "$OUT/pairwise-$slug.jsonl"
time autoj bench ranking --judge "$JUDGE" --instructions 10 --output "$OUT/ranking-$slug.jsonl"
