"""Judging a student's figures: right, carried forward, or the named slip, and the report."""
