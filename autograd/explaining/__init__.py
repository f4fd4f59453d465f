"""Explaining a backward pass: step by step (steps), the chain rule as one sum of products
(explain over record, grouping, derivation), a table (table_view) and the page (page.py with
page.js and page.css). Public names: tracegrad.autograd."""
