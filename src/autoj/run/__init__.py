"""Judging: the `Judge`, its engine (concurrency, both orders, cache, context cuts), the one
batching layer, the judgment cache, the run loop that streams results to a file, and ranking."""
