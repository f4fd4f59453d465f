"""Drawing a graph: which nodes (tracing), how each reads (dot_style), DOT to a picture (render),
Graphviz in WebAssembly (embedded), SVG to PNG and PDF (convert).

Public names: tracegrad.autograd."""
