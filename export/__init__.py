"""On-device runner for exported leuko-keras TFLite models (no TensorFlow needed).

The runner itself is :mod:`leuko_keras.runtime.run` (console command
``leuko-keras-run``); ``python -m export.run`` runs it from the repository::

    python -m export.run model_int8.tflite cell.png --out results/
"""
