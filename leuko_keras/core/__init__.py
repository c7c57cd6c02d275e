"""The floor under every layer: atomic writes, safe output paths, memory checks, TF log filtering.

NumPy-level (no TensorFlow); every other layer may import it.
"""
