"""A traced graph turned into another program: a tape replayed on numpy batches (tape, grouped
by vectape, with the array math of arraymath) and a PyTorch function (to_torch). Public names:
tracegrad.autograd."""
