"""On-device runner for exported leuko-keras TFLite models (no TensorFlow needed).

Install with ``pip install -r export/requirements.txt`` (ai-edge-litert,
numpy, pillow) and run from the folder holding ``export/``::

    python -m export.run model_int8.tflite cell.png --out results/
"""
