"""Benchmarks: data generators and timed scenarios (see bench/README.md).

A package so that ``python -m bench.sla_sweep`` works as well as ``python bench/sla_sweep.py``.
"""
