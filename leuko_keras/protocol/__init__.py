"""The paper's protocol: its degradation (modcrop, MATLAB bicubic LR, bicubic baseline) and its metrics.

NumPy only; what makes our numbers comparable to the literature lives here and nowhere else.
"""
