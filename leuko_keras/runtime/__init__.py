"""The TensorFlow-free runtime: what a device needs to run an exported model, and nothing else.

NumPy, Pillow, tifffile and ai-edge-litert only; no module here imports
TensorFlow or Keras (a test checks it in a subprocess). The library and the
on-device runner share it, so there is one implementation of each:

* :mod:`.color`: MATLAB BT.601 studio-range RGB <-> YCbCr;
* :mod:`.imresize`: MATLAB-exact bicubic ``imresize``;
* :mod:`.tiling`: any size in tiles with a halo and blended seams, streamed;
* :mod:`.maps`: the paper's class colours and the overlay;
* :mod:`.tflite`: the one TFLite reader (outputs by signature name, scale and tile alignment);
* :mod:`.run`: the runner, console command ``leuko-keras-run``.

>>> from leuko_keras.runtime.color import rgb_to_y
>>> from leuko_keras.runtime.tflite import TFLiteModel  # doctest: +SKIP
"""
