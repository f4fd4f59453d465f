"""The tour (``make demo``, ``python -m tracegrad.demo``, ``tracegrad demo``), in one place.

- ``tracegrad.demo.tour``: the sections in order and ``main``.
- ``tracegrad.demo.network``: the network sections (the seed homework trained, two moons).
- ``tracegrad.demo.homework``: the homework checker on the seed article's figures.
"""
