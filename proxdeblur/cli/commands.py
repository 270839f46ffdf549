"""The handlers of the ``proxdeblur`` sub-commands: check the files, call the library, write.

Each takes the parsed arguments and returns the exit status; a bad value raises a
:class:`~proxdeblur.errors.ProxdeblurError` that :func:`proxdeblur.cli.main` prints
as one line.
"""

from __future__ import annotations

import sys
import time
from importlib import import_module

import numpy as np

from ..errors import InvalidArgumentError
from ..priors.bundled import check_network_name
from .files import FOLDER, KERNEL, WEIGHTS, Output, check_inputs, check_outputs
from .options import camera_options

__all__ = ["run_deconv", "run_deblur", "run_denoise", "run_restore", "run_zoo", "run_bench", "run_train",
           "DEFAULT_GENERATOR"]

#: The generator ``deblur --image-step gcm`` uses unless told otherwise.
DEFAULT_GENERATOR = "gcm_generator"
#: Largest noise level (standard deviation on the [0, 1] scale) an option accepts.
MAX_NOISE = 0.5


def _check_one_output(args) -> int:
    """The input image and the ``--output`` image of a one-image command, checked; the
    output's bit depth."""
    check_inputs([("input", args.input)])
    return check_outputs([Output("--output", args.output)], [args.input], args.force,
                         bit_depth=args.bit_depth, source=args.input)


def _finish(args, restored, seconds: float, bit_depth: int) -> int:
    from .. import io

    io.write_image(args.output, restored, bit_depth=bit_depth)
    if not args.quiet:
        print(f"wrote {args.output} in {seconds:.2f} s")
    return 0


def _read_photograph(path):
    """The input image of ``deconv``/``deblur``: float32 from ``SINGLE_PRECISION_PIXELS``
    per channel on (half the memory; the solver works per channel in its own precision
    there), float64 below, where the library's results are reproduced exactly."""
    import imageio.v3 as iio

    from .. import io
    from ..deconvolution import SINGLE_PRECISION_PIXELS

    try:
        shape = iio.improps(path).shape
    except Exception:  # noqa: BLE001 - read_image names the bad file itself
        shape = ()
    large = len(shape) >= 2 and shape[0] * shape[1] >= SINGLE_PRECISION_PIXELS
    return io.read_image(path, dtype=np.float32 if large else np.float64)


def _check_range(option: str, value, low: float, high: float) -> None:
    if value is not None and not (np.isfinite(value) and low <= value <= high):
        raise InvalidArgumentError(option, f"a number in [{low:g}, {high:g}]", value)


def check_kernel_size(sizes) -> None:
    """``--kernel-size``: one or two odd integers >= 3."""
    if len(sizes) > 2 or any(s < 3 or s % 2 == 0 for s in sizes):
        raise InvalidArgumentError("--kernel-size", "one or two odd integers >= 3",
                                   " ".join(map(str, sizes)))


def check_positive(option: str, value) -> None:
    if value is not None and not (np.isfinite(value) and value > 0):
        raise InvalidArgumentError(option, "a finite number > 0", value)


def run_deconv(args) -> int:
    from .. import io
    from ..deblurring import source_deconvolve_options
    from ..deconvolution import deconvolve

    check_positive("--lam", args.lam)
    check_inputs([("input", args.input), ("--kernel", args.kernel)])
    bit_depth = check_outputs([Output("--output", args.output)], [args.input, args.kernel],
                              args.force, bit_depth=args.bit_depth, source=args.input)
    if args.halo is not None and args.chunk is None:
        raise InvalidArgumentError("--halo", "to be used with --chunk", args.halo)
    camera = camera_options(args)
    kernel = io.read_kernel(args.kernel, variable=args.kernel_variable)
    if args.chunk is not None:
        return _deconv_chunked(args, kernel, bit_depth, camera)
    image = _read_photograph(args.input)
    start = time.perf_counter()
    restored = deconvolve(image, kernel, prior=args.prior, lam=args.lam, p=args.p,
                          boundary=args.boundary, max_iter=args.max_iter,
                          progress=not args.quiet, **camera,
                          **source_deconvolve_options(args.input))
    seconds = time.perf_counter() - start
    # a highlight restored beyond full scale cannot be stored: clipped here
    io.write_image(args.output, np.clip(restored, 0, 1, out=restored), bit_depth=bit_depth)
    if not args.quiet:
        print(f"wrote {args.output} ({restored.shape[1]}x{restored.shape[0]}, {bit_depth}-bit) "
              f"in {seconds:.2f} s")
    return 0


def _deconv_chunked(args, kernel, bit_depth: int, camera: dict) -> int:
    """``deconv --chunk``: block by block into a tiled TIFF (:mod:`proxdeblur.chunked`)."""
    from ..chunked import deconvolve_tiff
    from ..deblurring import source_deconvolve_options

    if args.output.suffix.lower() not in (".tif", ".tiff"):
        raise InvalidArgumentError("--output", "a .tif or .tiff file with --chunk (written "
                                   "tile by tile)", str(args.output))
    info = deconvolve_tiff(args.input, kernel, args.output, chunk=args.chunk, halo=args.halo,
                           bit_depth=bit_depth, progress=not args.quiet, prior=args.prior,
                           lam=args.lam, p=args.p, boundary=args.boundary,
                           max_iter=args.max_iter, **camera,
                           **source_deconvolve_options(args.input))
    if not args.quiet:
        print(f"wrote {args.output} ({info['blocks']} blocks, halo {info['halo']} px, "
              f"{bit_depth}-bit) in {info['seconds']:.2f} s")
    return 0


def _latent_step(args):
    """The kernel estimate's latent step that ``--image-step`` and ``--generator`` name."""
    from ..blind import CLASSICAL_GENERATOR, GCMLatentStep

    if args.generator is not None and args.image_step != "gcm":
        raise InvalidArgumentError("--generator", "to be used with --image-step gcm",
                                   args.generator)
    if args.generator not in (None, CLASSICAL_GENERATOR, "none"):
        check_network_name(args.generator, "restorer", "--generator")
    if args.model is not None and args.image_step != "restorer":
        raise InvalidArgumentError("--model", "to be used with --image-step restorer", args.model)
    if args.image_step == "restorer":
        from ..blind import RestorerLatentStep
        from ..restoration import DEFAULT_RESTORER, get_restorer

        return RestorerLatentStep(get_restorer(args.model or DEFAULT_RESTORER))
    if args.image_step != "gcm":
        return args.image_step
    if args.generator in (CLASSICAL_GENERATOR, "none"):
        return GCMLatentStep(None if args.generator == "none" else CLASSICAL_GENERATOR)
    from ..priors.zoo import load_prior

    return GCMLatentStep(load_prior(args.generator or DEFAULT_GENERATOR, "restorer"))


def _kernel_options(args) -> dict:
    from ..deblurring import source_kernel_options

    _check_range("--edge-softness", args.edge_softness, 0.0, 10.0)
    _check_range("--noise", args.noise, 0.0, MAX_NOISE)
    options = {"edge_softness": args.edge_softness}
    if args.noise is None:
        return {**options, **source_kernel_options(args.input)}
    return {**options, "noise": args.noise}


def _kernel_region(text: str, kernel_size):
    """``--kernel-region``: "auto", "full" (None) or a side of at least three kernel sides."""
    if text in ("auto", "full"):
        return None if text == "full" else text
    smallest = 3 * max(kernel_size)
    try:
        side = int(text)
    except ValueError:
        side = None
    if side is None or side < smallest:
        raise InvalidArgumentError("--kernel-region", f"auto, full or a side of at least three "
                                   f"kernel sides ({smallest} px)", repr(text))
    return side


def run_deblur(args) -> int:
    from .. import deblurring, io
    from ..blind import kernel_support
    from ..deblurring import source_deconvolve_options

    check_kernel_size(args.kernel_size)
    check_positive("--lam", args.lam)
    image_step, kernel_options = _latent_step(args), _kernel_options(args)
    camera = camera_options(args)
    if args.kernel_tone_curve != "linear":
        kernel_options["tone_curve"] = args.kernel_tone_curve
    region = _kernel_region(args.kernel_region, args.kernel_size)
    check_inputs([("input", args.input)])
    outputs = [Output("--output", args.output)]
    if args.kernel_out is not None:
        outputs.append(Output("--kernel-out", args.kernel_out, KERNEL))
    bit_depth = check_outputs(outputs, [args.input], args.force, bit_depth=args.bit_depth,
                              source=args.input)
    image = _read_photograph(args.input)
    size = args.kernel_size if len(args.kernel_size) == 2 else args.kernel_size[0]
    kernel_support(size, image.shape)  # at most a third of the image, before any work
    start = time.perf_counter()
    restored, kernel, info = deblurring.deblur(
        image, size, prior=args.prior, image_step=image_step, kernel_options=kernel_options,
        deconvolve_options={**source_deconvolve_options(args.input),
                            **({} if args.lam is None else {"lam": args.lam})},
        kernel_region=region, progress=not args.quiet, warn=False, safeguard=args.safeguard,
        light_streaks=args.light_streaks == "on", **camera)
    seconds = time.perf_counter() - start
    # a highlight restored beyond full scale cannot be stored: clipped here
    io.write_image(args.output, np.clip(restored, 0, 1, out=restored), bit_depth=bit_depth)
    if args.kernel_out is not None:
        io.write_kernel(args.kernel_out, kernel)
    for message in info.warnings:
        print(f"proxdeblur: warning: {message}", file=sys.stderr)
    if not args.quiet:
        wrote = f"{args.output}" + (f" and {args.kernel_out}" if args.kernel_out else "")
        print(f"wrote {wrote} in {seconds:.2f} s (kernel {info.kernel_seconds:.2f} s)")
        if info.streak is not None:
            row, column = info.streak.centre
            print(f"the kernel followed the light streak at row {row}, column {column} "
                  f"({info.streak.partners} other lights agree)")
        if info.check is not None:
            verdict = {None: "kept", "stronger-prior": "restored again with a stronger prior",
                       "input": "the input kept"}[info.fallback]
            agreement = ("" if np.isnan(info.check.agreement)
                         else f", kernel agreement {info.check.agreement:.2f}")
            print(f"do-no-harm check: ringing {info.check.ringing:.2f}, residual "
                  f"{info.check.residual:.2f} noise levels{agreement}: {verdict}")
    return 0


def run_denoise(args) -> int:
    from .. import io
    from ..denoising import DEFAULT_DENOISER, denoise

    if not (np.isfinite(args.sigma) and 0 <= args.sigma <= 50):
        raise InvalidArgumentError("--sigma", "a noise level in [0, 50] on the 0-255 scale",
                                   args.sigma)
    if args.weights is not None:
        check_network_name(args.weights, "denoiser", "--weights", joined=True)
    bit_depth = _check_one_output(args)
    image = io.read_image(args.input)
    start = time.perf_counter()
    restored = denoise(image, args.sigma / 255.0, denoiser=args.weights or DEFAULT_DENOISER,
                       ensemble=args.ensemble)
    return _finish(args, restored, time.perf_counter() - start, bit_depth)


def run_restore(args) -> int:
    from .. import io
    from ..restoration import get_restorer, restore

    bit_depth = _check_one_output(args)
    # a bad name, file or --steps: before reading the image
    restorer = get_restorer(str(args.model), steps=args.steps)
    image = io.read_image(args.input)
    start = time.perf_counter()
    restored = restore(image, restorer)
    return _finish(args, restored, time.perf_counter() - start, bit_depth)


def run_zoo(args) -> int:
    import json

    from ..priors.bundled import DENOISER_COMBINATIONS
    from ..priors.zoo import BUNDLED, model_card

    if not BUNDLED:
        print("no bundled priors")
    for name in sorted(BUNDLED):
        entry = BUNDLED[name]
        print(f"{name}: {entry['file']} (role {entry['role']}, sha256 {entry['sha256'][:12]}...)")
        print(json.dumps(model_card(name), indent=2))
    for name in DENOISER_COMBINATIONS:
        print(f"{name}: the bundled denoisers together (no file of its own): averaged by "
              "'denoise', one per iteration in turn by plug-and-play deconvolution")
    return 0


def run_bench(args) -> int:
    from ..bench import format_table, run_levin

    if not args.data.is_dir():
        raise InvalidArgumentError("--data", "an existing folder", str(args.data))
    if args.limit is not None and args.limit < 1:
        raise InvalidArgumentError("--limit", "an integer >= 1", args.limit)
    check_positive("--support-scale", args.support_scale)
    check_outputs([Output("--out", args.out, FOLDER)], [args.data], force=args.force)
    result = run_levin(args.data, args.out, limit=args.limit, image_step=args.image_step,
                       progress=not args.quiet, support_scale=args.support_scale)
    print(format_table(result))
    print(f"wrote {args.out / 'results.json'}")
    return 0


def run_train(args) -> int:
    """``proxdeblur train NETWORK``: the trainer's own ``run`` (torch loads only now)."""
    from ..training.arguments import TRAINERS

    if not args.data.is_dir():
        raise InvalidArgumentError("--data", "an existing folder of training images",
                                   str(args.data))
    check_outputs([Output("--out", args.out, WEIGHTS)], [args.data], force=True)
    module = import_module(f"..training.{TRAINERS[args.network][0]}", __package__)
    return module.run(args)
