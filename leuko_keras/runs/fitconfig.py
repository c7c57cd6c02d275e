"""Every setting of one training run, with the paper's defaults.

The run folder's ``config.json`` is this dataclass (plus provenance), so a
run can be resumed or repeated from its folder alone.

>>> cfg = FitConfig(out="runs/gp_x4")
>>> cfg.learning_rate, cfg.batch_size, cfg.epochs, cfg.size, cfg.lambda_map
(0.0001, 8, 100, 224, 1.0)
>>> FitConfig.from_dict(cfg.to_dict()) == cfg
True
>>> lite = FitConfig.for_model("gp-lite", out="runs/lite", epochs=3)
>>> lite.learning_rate, lite.batch_size, lite.size, lite.lr_schedule, lite.epochs
(0.0004, 16, 192, 'cosine', 3)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from leuko_keras.errors import LeukoInputError

if TYPE_CHECKING:
    from leuko_keras.data.source import DataSource

PRECISIONS = ("fp32", "bf16", "fp16", "auto")
SCHEDULES = ("constant", "step", "cosine")


@dataclass
class FitConfig:
    """Settings of ``leuko-keras fit``; defaults follow the paper (Adam 0.9, 1e-4, batch 8, 100 epochs, 224 px)."""

    out: str
    model: str = "gp"
    scale: int = 4
    data: str | list[str] | None = None  # one folder, or several trained on together (each split on its own)
    h5: str | None = None
    pairs: str | None = None  # a folder of real lr/ + hr/ pairs (leuko_keras.data.pairs), not re-degraded
    epochs: int = 100
    steps_per_epoch: int | None = None
    validation_steps: int | None = None
    size: int = 224
    batch_size: int = 8  # global batch: split across replicas, learning rate unchanged
    learning_rate: float = 1e-4
    beta_1: float = 0.9
    lambda_map: float = 1.0
    prior_steps: int = 0  # steps that train the map prior alone first (training.prior_warmup); in the time budget
    lr_decay: bool = False  # the paper's step halving; same as schedule="step"
    schedule: str = "constant"  # constant, step (halve every lr_decay_every epochs) or cosine (to 0 over the run)
    lr_decay_every: int = 10
    lr_decay_factor: float = 0.5
    seed: int = 0
    synthetic_count: int = 48
    augment: bool = True
    time_budget_minutes: float | None = None
    devices: str = "auto"
    precision: str = "fp32"
    xla: bool = False  # XLA-compiled train steps; Keras leaves them off on CPU by default
    model_settings: dict[str, Any] = field(default_factory=dict)
    resume: bool = False
    overwrite: bool = False
    tensorboard: bool = True
    verbose: int = 1
    deterministic: bool = True
    summary: bool = True  # the closing validation table (callers that evaluate on their own can skip it)
    degradation: dict[str, Any] | None = None  # a leuko_keras.data.degradations record; None = bicubic (the paper's)
    init: str | None = None  # start from these weights (run folder, .keras file or pretrained name)
    # The input intensity rule (leuko_keras.data.normalize spec: "bits=12", "percentile=1,99.8"); None = the
    # container's range. Applied to training and validation images; predict and evaluate reuse it.
    normalize: str | None = None

    @classmethod
    def for_model(cls, model: str, **given: Any) -> FitConfig:
        """A config for ``model`` with its registered training recipe where ``given`` says nothing.

        The paper's models have no recipe (the paper's defaults stand); the lite models bring the
        CPU recipe measured for them (docs/lite.md).
        """
        from leuko_keras.models.registry import model_info

        recipe = {k: v for k, v in model_info(model).recipe.items() if given.get(k) is None}
        return cls(model=model, **recipe, **{k: v for k, v in given.items() if v is not None})

    @property
    def lr_schedule(self) -> str:
        """The learning-rate schedule in force (``--lr-decay`` is the step schedule)."""
        return "step" if self.lr_decay else self.schedule

    @property
    def source(self) -> str | list[str] | None:
        """The data source handed to the pipeline: pairs, an .h5 file, a folder (or several), or None (synthetic)."""
        return self.pairs or self.h5 or self.data

    def data_source(self) -> DataSource:
        """The run's examples as the data layer takes them: the source, the split seed and how LR is made.

        Training, validation, the fingerprint in ``config.json`` all read this one value.

        >>> FitConfig(out="r", data="cells/", seed=2, synthetic_count=10).data_source().location
        'cells/'
        """
        from leuko_keras.data.source import DataSource

        return DataSource.of(
            self.source,
            synthetic_count=self.synthetic_count,
            seed=self.seed,
            degradation=self.degradation,
            normalize=self.normalize,
        )

    def validate(self) -> FitConfig:
        """Raise :class:`LeukoInputError` on impossible settings; return self."""
        if self.data and self.h5:
            raise LeukoInputError("--data and --h5 both given; pass one of them")
        if isinstance(self.scale, bool) or not isinstance(self.scale, int) or self.scale < 2:
            raise LeukoInputError(f"--scale {self.scale}: must be a whole factor such as 2, 3, 4 or 8")
        from leuko_keras.core.seeds import check_seed

        check_seed(self.seed)
        self._check_model_settings()
        self._check_pairs_and_degradation()
        if self.normalize is not None:
            from leuko_keras.data.normalize import parse_normalize

            parse_normalize(self.normalize)  # a bad rule fails here, not at the first image
        checks = [
            (self.epochs >= 1, f"--epochs {self.epochs}: must be at least 1"),
            (self.batch_size >= 1, f"--batch-size {self.batch_size}: must be at least 1"),
            (self.size >= 8, f"--size {self.size}: must be at least 8 pixels"),
            (self.size % self.scale == 0, f"--size {self.size}: must be a multiple of --scale {self.scale}"),
            (self.learning_rate > 0, f"--lr {self.learning_rate}: must be positive"),
            (self.steps_per_epoch is None or self.steps_per_epoch >= 1, "--steps-per-epoch: must be at least 1"),
            (self.synthetic_count >= 2, f"--synthetic-count {self.synthetic_count}: need at least 2 cells"),
            (
                self.time_budget_minutes is None or self.time_budget_minutes > 0,
                f"--time-budget {self.time_budget_minutes}: must be positive minutes",
            ),
            (self.precision in PRECISIONS, f"--precision {self.precision}: choose one of {', '.join(PRECISIONS)}"),
            (self.schedule in SCHEDULES, f"--schedule {self.schedule}: choose one of {', '.join(SCHEDULES)}"),
            (not (self.resume and self.overwrite), "--resume and --overwrite both given; pass one of them"),
            (self.prior_steps >= 0, f"--prior-steps {self.prior_steps}: must be 0 or more"),
        ]
        for ok, message in checks:
            if not ok:
                raise LeukoInputError(message)
        self._check_prior_steps()
        from leuko_keras.core.memory import check_memory

        # One batch of inputs, targets and a 64-channel activation at full size: a floor, not an estimate.
        check_memory(
            self.batch_size * self.size**2 * 280.0,
            f"--size {self.size} with --batch-size {self.batch_size}",
            "pass a smaller --size or --batch-size",
        )
        return self

    def _check_prior_steps(self) -> None:
        # Refused before the run folder is touched: a model without a map, or the multi-worker loop (which has no
        # Keras fit to run the warm-up with).
        if not self.prior_steps:
            return
        from leuko_keras.core.tfconfig import read_tf_config
        from leuko_keras.models.registry import model_info

        try:
            outputs = model_info(self.model).outputs
        except LeukoInputError:  # a model the registry does not know (a test's stand-in): its graph decides later
            outputs = ("mask",)
        if "mask" not in outputs:
            raise LeukoInputError(
                f"--prior-steps {self.prior_steps}: {self.model} has no parsing-map prior to warm up; "
                "drop the flag or use gp-lite"
            )
        if read_tf_config() is not None:
            raise LeukoInputError("--prior-steps is not supported by the multi-worker loop; warm up on one machine")

    def _check_model_settings(self) -> None:
        # Typed and ranged from the builder's signature here, before the run folder is made or touched.
        from leuko_keras.models.registry import check_settings, model_info

        try:
            model_info(self.model)
        except LeukoInputError:  # a model the registry does not know (a test's stand-in): its builder decides
            return
        self.model_settings = check_settings(self.model, self.model_settings)

    def _check_pairs_and_degradation(self) -> None:
        """Pairs alone, at their own scale and never degraded again; a valid degradation record."""
        if self.pairs and (self.data or self.h5):
            raise LeukoInputError("--pairs and --data/--h5 both given; pass one of them")
        if self.degradation:
            from leuko_keras.data.degradations import degradation_record

            record = degradation_record(**self.degradation)
            if self.pairs and record["kind"] != "bicubic":
                raise LeukoInputError(f"--pairs {self.pairs}: real pairs are not degraded again; drop --degradation")
        if self.pairs:
            from leuko_keras.data.pairs import read_scale

            found = read_scale(self.pairs)
            if found != self.scale:
                raise LeukoInputError(
                    f"--pairs {self.pairs}: the pairs are x{found}, not x{self.scale}; pass --scale {found}"
                )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict of every setting."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> FitConfig:
        """Rebuild from :meth:`to_dict` output, ignoring keys this version does not know."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})

    def replace(self, **changes: Any) -> FitConfig:
        """A copy with some settings changed."""
        return dataclasses.replace(self, **changes)
