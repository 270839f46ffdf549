"""The demo's figures: a blind-deblurring panel and a convergence plot (matplotlib, Agg)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["save_blind_panel", "plot_convergence"]


def save_blind_panel(path: Path, blurred, restored, true_kernel, kernel, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..io import atomic_path

    fig, axes = plt.subplots(1, 4, figsize=(14, 4), gridspec_kw={"width_ratios": [3, 3, 1.2, 1.2]})
    for ax, img, name in zip(axes, (blurred, restored, true_kernel, kernel),
                             ("blurred", "restored (blind)", "true kernel", "estimated kernel"),
                             strict=True):
        ax.imshow(img, cmap="gray", vmin=0, vmax=1 if img is blurred or img is restored else None)
        ax.set_title(name)
        ax.axis("off")
    fig.suptitle(title)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    plt.close(fig)


def plot_convergence(result, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..io import atomic_path

    history = result.history
    iterations = np.arange(len(history["objective"]))
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    axes[0].semilogy(iterations, history["objective"], "o-")
    axes[0].set_xlabel("iteration")
    axes[0].set_ylabel("objective ½‖Au−y‖² + φ(u)")
    if "psnr" in history:
        axes[1].plot(history["seconds"], history["psnr"], "o-")
        axes[1].set_xlabel("seconds")
        axes[1].set_ylabel("PSNR (dB)")
    fig.suptitle(title)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    plt.close(fig)
