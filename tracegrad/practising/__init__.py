"""Practice at the terminal: the learner works out each gradient of a backward pass.

- ``tracegrad.practising.loop``: the loop (questions in backward order, ``= ? ``, the score)
  and ``practice(root)``, which ``tracegrad.practice`` names.
- ``tracegrad.practising.judge``: a learner's figure judged by the homework checker's rules.
- ``tracegrad.practising.exercises``: generated exercises, levels 1-3, well posed.

(Not ``tracegrad/practice/``: ``tracegrad.practice`` is the function, and a sub-package of
that name would replace it.)
"""
