"""The machine a figure was measured on: CPU model, cores and the flags that decide training speed.

Every speed figure and model card states it (bf16 is fast only with AVX512-BF16 or AMX).

>>> "cores" in machine()
True
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

CPU_FLAGS_OF_INTEREST = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile")


def cpu_flags(cpuinfo: str | Path = "/proc/cpuinfo") -> set[str]:
    """The CPU feature flags the kernel reports (empty where /proc/cpuinfo is missing)."""
    try:
        text = Path(cpuinfo).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def machine() -> str:
    """CPU model, core count and the flags that decide training speed here."""
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    flags = cpu_flags()
    present = " ".join(f for f in CPU_FLAGS_OF_INTEREST if f in flags) or "none of " + "/".join(CPU_FLAGS_OF_INTEREST)
    return f"{model}, {os.cpu_count()} cores, flags: {present}"
