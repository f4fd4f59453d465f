"""Solving a sheet: the engine works the problem and writes the worked solution."""
