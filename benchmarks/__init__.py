"""Benchmarks: tracegrad side by side with micrograd (``make bench``)."""
