"""tracegrad: the command line, the worked seed example and the homework checker.

The engine is the ``autograd`` package and the networks are ``nn``; this package sits on top.
"""

__version__ = "0.1.0"
