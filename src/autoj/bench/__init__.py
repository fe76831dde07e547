"""Benchmarks and metrics for judges: agreement with humans, consistency, ratings, rankings."""
