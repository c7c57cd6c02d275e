"""The data layer: reading images and maps, datasets and splits, degradations, and the training stream.

NumPy-level modules (``imageio``, ``tiff``, ``normalize``, ``masks``,
``labelme``, ``dataset``, ``split``, ``pairs``, ``degradations``) import
without TensorFlow; ``pipeline`` builds ``tf.data`` streams and ``h5pack``
packs folders into one file.

>>> from leuko_keras.data.imageio import read_image  # doctest: +SKIP
"""
