"""The course kit: templates with ranges for givens, a different sheet for every student,
and grading a class into Gradescope and a gradebook.

- ``tracegrad.kit.template``: load and check a template, draw a student's variant.
- ``tracegrad.kit.assign``: student IDs, rosters, the course secret, writing the files.
- ``tracegrad.kit.files``: the blank, the key and the question page of one variant.
- ``tracegrad.kit.grade``: points per answer, Gradescope's results.json, the gradebook.
- ``tracegrad.kit.latex``: the worked solution as a LaTeX document.

It sits on top of the checker (``tracegrad.checker``) and never changes what it computes.
"""
