"""The data layer: reading images and maps, datasets and splits, degradations, and the training stream.

NumPy-level modules (``imageio``, ``tiff``, ``normalize``, ``masks``,
``labelme``, ``dataset``, ``split``, ``pairs``, ``degradations``, ``source``,
``examples``, ``crops``) import without TensorFlow; ``source`` holds the
:class:`~leuko_keras.data.source.DataSource` every loader takes, ``examples``
loads a split of one, ``pipeline`` (with ``tf_transforms`` and ``epochs``)
builds ``tf.data`` streams and ``h5pack`` packs folders into one file.

>>> from leuko_keras.data import DataSource
>>> DataSource.of("cells/", seed=1).seed
1
"""

from leuko_keras.data.source import DataSource, source_fingerprint

__all__ = ["DataSource", "source_fingerprint"]
