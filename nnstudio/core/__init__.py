"""The headless core: network model, compiled engine, training, data and files.

Nothing below this package imports Qt (enforced by tests/test_architecture.py).
"""
