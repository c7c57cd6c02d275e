"""Packaging for leuko-keras; the CPU pins CI uses are in requirements.txt."""

import re
from pathlib import Path

from setuptools import find_packages, setup

here = Path(__file__).parent
# One version number: the package's own (leuko_keras.__version__).
version = re.search(r'^__version__ = "([^"]+)"', (here / "leuko_keras" / "__init__.py").read_text(), re.M).group(1)

setup(
    name="leuko-keras",
    version=version,
    description="Super-resolution of leukocyte micrographs with a geometry (parsing-map) prior, in Keras 3",
    long_description=(here / "README.md").read_text(encoding="utf-8") if (here / "README.md").exists() else "",
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.11",
    packages=find_packages(include=["leuko_keras", "leuko_keras.*"]),
    # The shipped pretrained models (leuko_keras.pretrained("gp-lite-x4")): weights, config and card per name.
    package_data={"leuko_keras": ["weights/*/*"]},
    install_requires=[
        # Any TensorFlow 2.21 build: tensorflow-cpu (CI), tensorflow[and-cuda] (GPU).
        "keras>=3.15,<4",
        "numpy>=1.26,<3",
        "pillow>=10.0",
        "tifffile>=2024.8",
        "h5py>=3.10",
        "typer>=0.12",
        "matplotlib>=3.8",
        "ai-edge-litert>=2.0",
        "tensorboard>=2.21",
    ],
    extras_require={
        # bioimage.io validator for the model-zoo export test (see requirements-dev.txt for the pydantic cap).
        "test": [
            "pytest>=8",
            "ruff>=0.6",
            "bioimageio.core>=0.11,<0.12",
            "bioimageio.spec>=0.5.12,<0.6",
            "pydantic>=2.10,<2.14",
        ],
        "cpu": ["tensorflow-cpu==2.21.*"],
        "gpu": ["tensorflow[and-cuda]==2.21.*"],
    },
    entry_points={
        "console_scripts": [
            "leuko-keras=leuko_keras.cli:main",
            # The on-device runner: needs only requirements-runtime.txt (install the package with --no-deps).
            "leuko-keras-run=leuko_keras.runtime.run:entry_point",
        ]
    },
)
