# Check a homework sheet: paste yours between the triple quotes and press Run.
import tomllib

from tracegrad.checker import check

text = """
title = "A tanh neuron, one slip"

[variables]
x = 2.0
w = -3.0
b = 6.5

[expressions]
z = "x*w + b"
y = "tanh(z)"

[answers]
z = 0.5
y = 0.4621
"dy/dz" = 0.5379       # the slip: 1 - y instead of 1 - y**2
"dy/dw" = 1.0758
"""
print(check(tomllib.loads(text)))
