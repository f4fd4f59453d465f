# The seed article's 2-2-2 sigmoid network (Kordonsky, 2021), one forward and backward pass.
from tracegrad import draw, seed

net = seed.build()  # every Value by its textbook name: w1..w8, h1, o1, E, ...
E = net["E"]
E.backward()
print(f"E = {E.data:.4f}")
for name in ["w1", "w5", "b1"]:
    print(f"dE/d{name} = {net[name].grad:.4f}")
draw(E)
