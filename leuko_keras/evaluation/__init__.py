"""Evaluation: score models x scales, bootstrap the gains, render tables and figures.

>>> from leuko_keras.evaluation import evaluate, render
>>> ev = evaluate(["bicubic"], scales=[4])  # doctest: +SKIP
>>> print(render(ev.results, ev.comparisons, ev.protocol))  # doctest: +SKIP
"""

from __future__ import annotations

from leuko_keras.evaluation.bootstrap import GainCI, paired_bootstrap
from leuko_keras.evaluation.compare import compare
from leuko_keras.evaluation.evaluate import Evaluation, evaluate, load_eval_examples, open_backends, score
from leuko_keras.evaluation.figures import write_figures
from leuko_keras.evaluation.results import Comparison, ModelResult
from leuko_keras.evaluation.table import render, results_table, write_json, write_markdown

__all__ = [
    "Comparison",
    "Evaluation",
    "GainCI",
    "ModelResult",
    "compare",
    "evaluate",
    "load_eval_examples",
    "open_backends",
    "paired_bootstrap",
    "render",
    "results_table",
    "score",
    "write_figures",
    "write_json",
    "write_markdown",
]
