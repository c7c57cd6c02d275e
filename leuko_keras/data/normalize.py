"""Intensity normalisation of the network input, and its inverse on the output.

The networks see intensities in [0, 1]. By default that is the full range of
the file's container (8-bit / 255, 16-bit / 65535), as in training. Two
alternatives for microscopy data:

- ``bits=N``: the data has N significant bits in a wider container (12-bit
  camera data in 16-bit TIFFs), so it is divided by 2**N - 1, not 65535;
  without it such an image reaches the network at 1/16 of its brightness.
- ``percentile=LOW,HIGH``: per image, the LOW and HIGH percentiles map to 0
  and 1 (CSBDeep's ``normalize``), for data whose range varies per file.

The inverse maps the network's output back to the file's units, so a
12-bit input gives a 12-bit output in the same container.

>>> import numpy as np
>>> norm = parse_normalize("bits=12").fit(np.array([[0.0, 4095 / 65535]]), bit_depth=16)
>>> norm.forward(np.array([4095 / 65535])).round(6).tolist(), round(float(norm.inverse(np.array([1.0]))[0]) * 65535)
([1.0], 4095)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from leuko_keras.errors import LeukoInputError

_HELP = "use --normalize bits=N (e.g. bits=12) or --normalize percentile=LOW,HIGH (e.g. percentile=1,99.8)"


@dataclass(frozen=True)
class Normalization:
    """A normalisation rule (not yet fitted to an image): ``kind`` is ``container``, ``bits`` or ``percentile``."""

    kind: str = "container"
    bits: int | None = None
    low: float | None = None
    high: float | None = None

    @property
    def spec(self) -> str:
        """The text form that :func:`parse_normalize` reads back.

        >>> parse_normalize("percentile=1,99.8").spec
        'percentile=1,99.8'
        """
        if self.kind == "bits":
            return f"bits={self.bits}"
        if self.kind == "percentile":
            return f"percentile={self.low:g},{self.high:g}"
        return "container"

    def to_dict(self) -> dict[str, Any]:
        """JSON form for ``config.json`` and export metadata (with a sentence saying what it does)."""
        if self.kind == "bits":
            meaning = f"input / (2**{self.bits} - 1); output * (2**{self.bits} - 1), in the input's container"
        elif self.kind == "percentile":
            meaning = (
                f"per image, percentile {self.low:g} -> 0 and {self.high:g} -> 1 over all channels; "
                "the output mapped back with the same two values"
            )
        else:
            meaning = "input / (2**container_bits - 1): 8-bit / 255, 16-bit / 65535"
        return {
            "spec": self.spec,
            "kind": self.kind,
            "bits": self.bits,
            "low": self.low,
            "high": self.high,
            "meaning": meaning,
        }

    def fit(self, pixels01: np.ndarray, bit_depth: int, name: str = "image") -> Normalizer:
        """The affine map for one image (``pixels01``: the file's values / container maximum).

        >>> parse_normalize("percentile=0,100").fit(np.array([0.25, 0.75]), 16).forward(np.array([0.5]))
        array([0.5])
        """
        if self.kind == "container":
            return Normalizer(1.0, 0.0, 1.0, clip_network=True)
        container = float(2**bit_depth - 1)
        if self.kind == "bits":
            bits = int(self.bits or 0)
            if bits > bit_depth:
                raise LeukoInputError(
                    f"{name}: --normalize bits={bits} but the image is {bit_depth}-bit; "
                    f"use bits={bit_depth} or less, or leave --normalize out"
                )
            top = float(2**bits - 1)
            peak = float(np.max(pixels01)) * container
            if peak > top + 0.5:
                raise LeukoInputError(
                    f"{name}: values up to {peak:.0f} do not fit in {bits} bits (max {top:.0f}); "
                    f"use a larger bits=, or percentile= for data of unknown range"
                )
            return Normalizer(container / top, 0.0, top / container, clip_network=True)
        lo, hi = np.percentile(pixels01, [self.low, self.high])
        if not hi > lo:
            raise LeukoInputError(
                f"{name}: percentiles {self.low:g} and {self.high:g} are equal ({lo * container:.0f}), "
                "the image is flat there; widen the percentiles or use bits="
            )
        return Normalizer(1.0 / float(hi - lo), float(lo), 1.0, clip_network=False)


@dataclass(frozen=True)
class Normalizer:
    """``network = (pixels01 - offset) * gain``; the inverse clips to ``[0, top]`` (file units / container max)."""

    gain: float
    offset: float
    top: float
    # The container and bits rules keep the network's output in [0, 1] as in training; percentile
    # data may lie beyond its two anchor values and must not be cut there.
    clip_network: bool

    def forward(self, pixels01: np.ndarray) -> np.ndarray:
        """File units to network units."""
        if self.gain == 1.0 and self.offset == 0.0:
            return pixels01
        return (pixels01 - self.offset) * self.gain

    def network(self, values: np.ndarray) -> np.ndarray:
        """Network output as it continues to the colour conversion (clipped to [0, 1] where training was)."""
        return np.clip(values, 0.0, 1.0) if self.clip_network else values

    def inverse(self, values: np.ndarray) -> np.ndarray:
        """Network units back to file units, clipped to what the file can hold."""
        return np.clip(values / self.gain + self.offset, 0.0, self.top)


def parse_normalize(text: str | None) -> Normalization:
    """Read ``bits=N``, ``percentile=LOW,HIGH`` or nothing/``container`` (the default).

    >>> parse_normalize("bits=12"), parse_normalize(None).kind
    (Normalization(kind='bits', bits=12, low=None, high=None), 'container')
    >>> parse_normalize("bits=40")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    leuko_keras.errors.LeukoInputError: --normalize bits=40: N must be 1 to 16; ...
    """
    if text is None or not str(text).strip() or str(text).strip() in ("container", "none"):
        return Normalization()
    key, sep, value = str(text).strip().partition("=")
    key = key.strip().lower()
    if sep and key == "bits":
        try:
            bits = int(value)
        except ValueError:
            bits = 0
        if not 1 <= bits <= 16:
            raise LeukoInputError(f"--normalize {text}: N must be 1 to 16; {_HELP}")
        return Normalization("bits", bits=bits)
    if sep and key == "percentile":
        try:
            low, high = (float(part) for part in value.split(","))
        except ValueError:
            low = high = -1.0
        if not 0.0 <= low < high <= 100.0:
            raise LeukoInputError(f"--normalize {text}: need 0 <= LOW < HIGH <= 100; {_HELP}")
        return Normalization("percentile", low=low, high=high)
    raise LeukoInputError(f"--normalize {text}: unknown rule; {_HELP}")


def from_config(config: dict[str, Any] | None) -> Normalization:
    """The rule a run or export recorded (``{"normalize": {"spec": ...}}``), or the default.

    >>> from_config({"normalize": {"spec": "bits=12"}}).bits
    12
    """
    recorded = (config or {}).get("normalize")
    if isinstance(recorded, dict):
        return parse_normalize(recorded.get("spec"))
    return parse_normalize(recorded if isinstance(recorded, str) else None)


def normalize_example(example: Any, rule: Normalization, scale: int, real_lr: bool = False) -> Any:
    """``example`` in network units: its HR by ``rule``, its LR made again from that HR (training, evaluate).

    The rule acts before the degradation, as on a user's file at predict time: the LR the network
    learns from is the LR of the normalised image, quantised to ``2**bits - 1`` levels for ``bits=N``
    (what an N-bit camera file gives the network) and to the container's levels otherwise. The
    rule is fitted on the HR image (its percentiles: the LR of a file has nearly the same ones);
    for real pairs (``real_lr``) it is fitted on the LR image and applied to both, the LR kept.
    Values leaving [0, 1] (percentile rules) are clipped, as the LR quantisation does anyway.

    >>> from leuko_keras.data.dataset import make_example
    >>> ex = make_example("a", np.full((32, 32), 1000 / 65535), None, 4, bit_depth=16)
    >>> round(float(normalize_example(ex, parse_normalize("bits=12"), 4).hr_y[0, 0]) * 4095)
    1000
    """
    if rule.kind == "container":
        return example
    import dataclasses

    from leuko_keras.data.dataset import make_example

    colour = example.hr_rgb is not None
    hr = np.asarray(example.hr_rgb if colour else example.hr_y, dtype=np.float64)
    if real_lr:
        lr = np.asarray(example.lr_rgb if example.lr_rgb is not None else example.lr_y, dtype=np.float64)
        norm = rule.fit(lr, example.bit_depth, example.name)

        def forward(pixels: Any) -> Any:
            if pixels is None:
                return None
            return np.clip(norm.forward(np.asarray(pixels, np.float64)), 0.0, 1.0).astype(np.float32)

        parts = {key: forward(getattr(example, key)) for key in ("hr_y", "lr_y", "hr_rgb", "lr_rgb")}
        return dataclasses.replace(example, **parts)
    norm = rule.fit(hr, example.bit_depth, example.name)
    levels = 2 ** int(rule.bits) - 1 if rule.kind == "bits" else None
    return make_example(
        example.name, np.clip(norm.forward(hr), 0.0, 1.0), example.labels, scale, example.bit_depth, levels
    )


def as_rule(value: Normalization | str | dict[str, Any] | None) -> Normalization:
    """A rule from itself, its spec text, its ``to_dict`` form, or None (the container default).

    >>> as_rule("bits=12") == as_rule({"spec": "bits=12"}) == parse_normalize("bits=12")
    True
    """
    if isinstance(value, Normalization):
        return value
    if isinstance(value, dict):
        return parse_normalize(value.get("spec"))
    return parse_normalize(value)
