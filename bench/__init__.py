"""Benchmarks: not tests. Each prints its figures beside the reference it is compared with."""
