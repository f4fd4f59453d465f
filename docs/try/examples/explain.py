# One gradient written out by the engine, factor by factor, as you would by hand.
from tracegrad import explain, seed

net = seed.build()
E = net["E"]
E.backward()
print(explain(E, wrt=net["w5"]))
