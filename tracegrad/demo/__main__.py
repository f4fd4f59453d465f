"""``python -m tracegrad.demo``: the tour (``tracegrad.demo.tour.main``)."""

from tracegrad.demo.tour import main

raise SystemExit(main())
