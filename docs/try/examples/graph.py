# The graph behind y: a box per Value (its data and grad), a small node per operation.
from tracegrad import Value, draw

x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(6.5, label="b")
z = x * w + b
z.label = "z"
y = z.tanh()
y.label = "y"
y.backward()
draw(y)
