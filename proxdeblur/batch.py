"""Folders of photographs on Dask distributed: :func:`run_batch`.

Every image of a folder goes through one task — ``deconv`` (a known kernel),
``deblur`` (an unknown one), ``denoise`` or ``restore`` — on the workers of a
``dask.distributed`` cluster: a local one by default (one single-threaded worker
process per core: the per-image work is independent, so processes beat threads
that would share the GIL-bound parts), or an existing one given by its scheduler
address. Each worker loads a task's network once (the library's per-process
caches, warmed before the first image) and keeps it for every image it gets.

The run is resumable and safe to interrupt: an output that already holds a
readable image of the input's size is skipped (any other file in the way is left
alone and reported, unless forced); every output is written to a
temporary file and renamed (:func:`proxdeblur.io.atomic_path`), and temporaries
that an interrupted worker leaves are removed. A file that cannot be read or
restored is recorded with its error and the rest completes. The report
(``batch_report.json`` in the output folder unless told otherwise) lists per
image the file, status (``done``, ``skipped``, ``error``), error, seconds and,
given a folder of references, PSNR and SSIM against the same-named reference
(aligned over shifts for ``deblur``, whose kernel fixes the image only up to one).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import InvalidArgumentError, ProxdeblurError

__all__ = ["BatchTask", "run_batch", "list_images", "process_image", "TASKS", "REPORT_NAME",
           "MissingDependencyError", "local_client"]

TASKS = ("deconv", "deblur", "denoise", "restore")
#: The report's file name in the output folder.
REPORT_NAME = "batch_report.json"
#: Statuses of a report's records.
DONE, SKIPPED, ERROR = "done", "skipped", "error"


class MissingDependencyError(ProxdeblurError, ImportError):
    """An optional dependency a feature needs is not installed."""


@dataclass(frozen=True)
class BatchTask:
    """What to do to each image: a task name and the keyword options of its library call.

    ``deconv`` needs ``kernel`` (a kernel file, or a folder holding one kernel per
    image, named by the image's stem); ``deblur`` needs ``kernel_size``; ``denoise``
    needs ``sigma`` (on the [0, 1] scale); ``restore`` takes ``model``. Every other
    option goes to :func:`~proxdeblur.deconvolve`, :func:`~proxdeblur.deblur`,
    :func:`~proxdeblur.denoise` or :func:`~proxdeblur.restore` as given, with what the
    single-image commands add for a file: ``deconv`` and ``deblur`` take a JPEG's error
    floor (:func:`~proxdeblur.deblurring.source_deconvolve_options`,
    :func:`~proxdeblur.deblurring.source_kernel_options`) unless the options set it, and
    ``tone_curve="auto"`` is each file's curve (:func:`~proxdeblur.deblurring.tone_curve_for`).
    """

    name: str
    options: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.name not in TASKS:
            raise InvalidArgumentError("task", f"one of {', '.join(TASKS)}", repr(self.name))
        required = {"deconv": "kernel", "deblur": "kernel_size", "denoise": "sigma"}.get(self.name)
        if required is not None and self.options.get(required) is None:
            raise InvalidArgumentError(required, f"a value for the {self.name} task")


def list_images(folder) -> list[Path]:
    """The image files of ``folder`` (by suffix, hidden files left out), sorted by name."""
    from .io import IMAGE_SUFFIXES

    folder = Path(folder)
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
                  and p.suffix.lower() in IMAGE_SUFFIXES)


def _kernel_for(kernel, source: Path):
    """The kernel of ``source``: ``kernel`` itself (an array or a file), or the file of a
    kernel folder whose stem is the image's."""
    from . import io

    if isinstance(kernel, np.ndarray):
        return kernel
    kernel = Path(kernel)
    if not kernel.is_dir():
        return io.read_kernel(kernel)
    matches = sorted(p for p in kernel.iterdir() if p.stem == source.stem
                     and p.suffix.lower() in io.KERNEL_SUFFIXES)
    if not matches:
        raise InvalidArgumentError("kernel", f"a kernel named {source.stem}.* in {kernel}")
    return io.read_kernel(matches[0])


def _warm(task: BatchTask) -> None:
    """Load the task's network into this process's cache (once per worker)."""
    options = task.options
    if task.name == "restore":
        from .restoration import DEFAULT_RESTORER, get_restorer

        get_restorer(options.get("model", DEFAULT_RESTORER), options.get("device"),
                     options.get("precision", "auto"))
    elif task.name == "denoise":  # the settings denoise() loads with
        from .denoising import DEFAULT_DENOISER, DENOISE_ENSEMBLE, DENOISE_PRECISION, get_denoiser

        get_denoiser(options.get("denoiser", DEFAULT_DENOISER), options.get("device"),
                     precision=options.get("precision", DENOISE_PRECISION),
                     ensemble=options.get("ensemble", DENOISE_ENSEMBLE))
    elif task.name in ("deconv", "deblur"):
        from .deconvolution import DENOISER_NAMES, PNP_LARGE_ENSEMBLE, pnp_denoiser

        prior = options.get("prior")
        if isinstance(prior, str) and all(p in DENOISER_NAMES for p in prior.split("+")):
            pnp_denoiser(prior)  # the settings of small images, and of large ones
            pnp_denoiser(prior, ensemble=PNP_LARGE_ENSEMBLE)


def _deblur_record(info) -> dict:
    """What :func:`~proxdeblur.deblur` decided about one photograph, for the report: its
    warnings, the do-no-harm check and what it did, the light streak it followed."""
    check = info.check
    return {
        "kernel_seconds": round(info.kernel_seconds, 4),
        "check": None if check is None else {
            "ringing": check.ringing, "residual": check.residual,
            "agreement": None if np.isnan(check.agreement) else check.agreement,
            "suspicious": check.suspicious},
        "fallback": info.fallback,
        "light_streak": (None if info.streak is None else
                         {"centre": list(info.streak.centre),
                          "partners": info.streak.partners}),
        "warnings": list(info.warnings)}


def _run(task: BatchTask, image: np.ndarray, source: Path) -> tuple[np.ndarray, dict]:
    """Apply the task to one image: the result and what the report adds about it."""
    options = dict(task.options)
    if task.name in ("deconv", "deblur"):
        from .deblurring import source_deconvolve_options, tone_curve_for

        options["tone_curve"] = tone_curve_for(options.get("tone_curve"), source)
        floor = source_deconvolve_options(source)
    if task.name == "deconv":
        from .deconvolution import deconvolve

        return deconvolve(image, _kernel_for(options.pop("kernel"), source),
                          **{**floor, **options}), {}
    if task.name == "deblur":
        from .deblurring import deblur, source_kernel_options

        size = options.pop("kernel_size")
        options["kernel_options"] = {**source_kernel_options(source),
                                     **options.get("kernel_options", {})}
        options["deconvolve_options"] = {**floor, **options.get("deconvolve_options", {})}
        restored, _, info = deblur(image, size, warn=False, **options)
        return restored, {"deblur": _deblur_record(info)}
    if task.name == "denoise":
        from .denoising import denoise

        return denoise(image, options.pop("sigma"), **options), {}
    from .restoration import restore

    return restore(image, **options), {}


def _valid_output(target: Path, source: Path) -> bool:
    """``target`` holds a readable image of ``source``'s size (a finished earlier output)."""
    from . import io

    if not target.is_file():
        return False
    try:
        return io.read_image(target).shape[:2] == io.read_image(source).shape[:2]
    except (ProxdeblurError, OSError):
        return False


def _metrics(task: BatchTask, restored: np.ndarray, reference: Path) -> dict:
    from . import io, metrics

    truth = io.read_image(reference)
    if truth.shape != restored.shape:
        raise InvalidArgumentError("reference", f"an image of shape {restored.shape}",
                                   f"{reference.name} of shape {truth.shape}")
    clipped = np.clip(restored, 0, 1)
    if task.name == "deblur":
        return {"psnr": metrics.aligned_psnr(clipped, truth),
                "ssim": metrics.aligned_ssim(clipped, truth)}
    return {"psnr": metrics.psnr(clipped, truth), "ssim": metrics.ssim(clipped, truth)}


def process_image(source, target, task: BatchTask, reference=None, threads: int | None = None,
                  bit_depth: int | None = None, force: bool = False) -> dict:
    """Run ``task`` on the image file ``source`` and write ``target`` atomically (a worker's
    unit of work). Never raises for a bad image: the record says what went wrong.
    An existing ``target`` that holds a readable image of the input's size is an
    earlier result and is skipped; any other existing file is left alone and
    recorded as an error; ``force`` replaces either.

    Returns the report record: file, status, error, seconds (and psnr/ssim given
    ``reference``, the ground-truth file; for ``deblur`` also ``"deblur"``: the kernel's
    seconds, the do-no-harm check, the fallback taken, the light streak followed and
    the warnings, so that a folder's report says which photographs were kept as they
    were). ``threads``: limit this process's numerical threads to so many
    (:func:`~proxdeblur.threads.set_threads`); None leaves them.
    """
    from . import io
    from .threads import set_threads

    source, target = Path(source), Path(target)
    record = {"file": source.name, "status": DONE, "error": None, "seconds": 0.0}
    start = time.perf_counter()
    try:
        if threads is not None:
            set_threads(threads)
        if target.exists() and not force:
            if _valid_output(target, source):
                record["status"] = SKIPPED
                return record
            raise InvalidArgumentError("output", "no file by this name, or an earlier result "
                                       "of this input (pass force=True to replace it)",
                                       str(target))
        image = io.read_image(source)
        restored, details = _run(task, image, source)
        record.update(details)
        # as the single-image commands: a highlight restored beyond full scale is clipped
        io.write_image(target, np.clip(restored, 0, 1), bit_depth=bit_depth or io.bit_depth(source))
        if reference is not None:
            record.update(_metrics(task, restored, Path(reference)))
    except (ProxdeblurError, OSError, ValueError, RuntimeError) as exc:
        record.update(status=ERROR, error=f"{type(exc).__name__}: {exc}")
    record["seconds"] = round(time.perf_counter() - start, 4)
    return record


def local_client(workers: int, processes: bool = True, scheduler: str | None = None):
    """A ``dask.distributed`` client: of an existing cluster at ``scheduler``, or of a new
    local cluster of ``workers`` single-threaded workers (processes or, for tests and
    notebooks, threads of this process). Raises :class:`MissingDependencyError` when
    the ``distributed`` extra is not installed."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise MissingDependencyError(
            "batch needs dask.distributed: pip install 'proxdeblur[distributed]'") from None
    import dask

    if scheduler is not None:
        return Client(scheduler)
    # distributed's nanny gives its workers MALLOC_TRIM_THRESHOLD_=65536, which returns
    # every freed block to the system: the solver's arrays are then page-faulted in afresh
    # on every step and a deconvolution takes twice as long (2.4 s -> 5.2 s on a 0.25 MP
    # photograph). The workers here keep the allocator's default.
    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}))
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=processes,
                               dashboard_address=":0")
    return Client(cluster)


def _references(reference_dir: Path | None, sources: list[Path]) -> list[Path | None]:
    """The reference of each source: same name, else same stem, in ``reference_dir``."""
    if reference_dir is None:
        return [None] * len(sources)
    by_stem = {p.stem: p for p in list_images(reference_dir)}
    found = []
    for source in sources:
        exact = reference_dir / source.name
        found.append(exact if exact.is_file() else by_stem.get(source.stem))
    return found


def _remove_temporaries(targets: list[Path]) -> None:
    """Delete the temporary files (``.STEM.*SUFFIX``, :func:`~proxdeblur.io.atomic_path`'s
    names) that a worker stopped in the middle of a write left beside its output."""
    for target in targets:
        for stale in target.parent.glob(f".{target.stem}.*{target.suffix}"):
            stale.unlink(missing_ok=True)


def _check_folders(input_dir: Path, output_dir: Path, reference_dir: Path | None,
                   report: Path | None) -> None:
    if not input_dir.is_dir():
        raise InvalidArgumentError("input_dir", "an existing folder", str(input_dir))
    if output_dir.exists() and not output_dir.is_dir():
        raise InvalidArgumentError("output_dir", "a folder (this is a file)", str(output_dir))
    if output_dir.resolve() == input_dir.resolve():
        raise InvalidArgumentError("output_dir", "a folder other than the input folder",
                                   str(output_dir))
    if reference_dir is not None and not reference_dir.is_dir():
        raise InvalidArgumentError("reference_dir", "an existing folder", str(reference_dir))
    if not output_dir.parent.is_dir():
        raise InvalidArgumentError("output_dir", "a folder in an existing folder",
                                   str(output_dir))
    if report is not None and (report.suffix.lower() != ".json" or report.is_dir()
                               or not (report.parent.is_dir() or report.parent == output_dir)):
        raise InvalidArgumentError("report", "a .json file in an existing folder (or OUT_DIR)",
                                   str(report))


def run_batch(input_dir, output_dir, task: BatchTask, *, workers: int = 2,
              scheduler: str | None = None, processes: bool = True, reference_dir=None,
              report=None, suffix: str | None = None, bit_depth: int | None = None,
              force: bool = False, progress: bool = False, client=None,
              on_record: Callable[[dict], None] | None = None) -> list[dict]:
    """Run ``task`` on every image of ``input_dir``, writing ``output_dir/NAME`` (module
    docstring).

    Parameters
    ----------
    input_dir, output_dir : path
        The images (:func:`list_images`) and where their results go (created; never
        the input folder).
    task : BatchTask
        The task and its options.
    workers : int
        Worker processes of the local cluster (one thread each); default 2, this
        machine's cores.
    scheduler : str, optional
        Address of an existing cluster's scheduler (``tcp://host:8786``) instead.
    processes : bool
        Local workers as processes (default) or as threads of this process.
    reference_dir : path, optional
        Ground truth by the same name (or stem): adds PSNR and SSIM to the report.
    report : path, optional
        The JSON report; default ``output_dir/batch_report.json``.
    suffix : str, optional
        Output format (``".png"``, ``".tif"``...); default each input's own.
    bit_depth : int, optional
        8 or 16; default each input's.
    force : bool
        Redo every image, replacing the outputs already present (by default an
        earlier result is kept and any other file in the way is left alone and
        recorded as an error).
    client : dask.distributed.Client, optional
        Run on this client (its cluster's workers) instead of making one.
    on_record : callable, optional
        Called with each record as it completes.

    Returns
    -------
    list of dict
        The report's records, in file-name order.
    """
    from . import io

    input_dir, output_dir = Path(input_dir), Path(output_dir)
    reference_dir = None if reference_dir is None else Path(reference_dir)
    report = None if report is None else Path(report)
    _check_folders(input_dir, output_dir, reference_dir, report)
    if suffix is not None and suffix.lower() not in io.IMAGE_SUFFIXES:
        raise InvalidArgumentError("suffix", f"one of {', '.join(io.IMAGE_SUFFIXES)}", suffix)
    if bit_depth not in (None, 8, 16):
        raise InvalidArgumentError("bit_depth", "8 or 16", bit_depth)
    if workers < 1:
        raise InvalidArgumentError("workers", "an integer >= 1", workers)
    sources = list_images(input_dir)
    targets = [output_dir / (s.name if suffix is None else s.stem + suffix) for s in sources]
    references = _references(reference_dir, sources)
    report = output_dir / REPORT_NAME if report is None else report
    own_client = client is None
    if own_client:
        client = local_client(workers, processes, scheduler)
    output_dir.mkdir(parents=True, exist_ok=True)
    records: dict[str, dict] = {}
    futures = []
    try:
        client.run(_warm, task)
        # one thread per worker process; threads of this process leave its settings alone
        threads = 1 if processes or scheduler is not None else None
        futures = [client.submit(process_image, s, t, task, r, threads, bit_depth, force,
                                 pure=False)
                   for s, t, r in zip(sources, targets, references, strict=True)]
        from dask.distributed import as_completed
        from tqdm.auto import tqdm

        with tqdm(total=len(futures), disable=not progress, unit="image") as bar:
            for future in as_completed(futures):
                record = future.result()
                records[record["file"]] = record
                if on_record is not None:
                    on_record(record)
                bar.update()
    except BaseException:
        client.cancel(futures)  # a shared cluster does not go on with an interrupted run
        raise
    finally:
        if own_client:
            cluster = client.cluster
            client.close()
            if cluster is not None:
                cluster.close()
        _remove_temporaries(targets)
        ordered = [records[s.name] for s in sources if s.name in records]
        io.write_json_atomic(report, {"task": task.name, "options": _jsonable(task.options),
                                      "input_dir": str(input_dir), "images": len(sources),
                                      "completed": len(ordered), "records": ordered})
    return ordered


def _jsonable(options: dict) -> dict:
    return {k: (v if isinstance(v, (int, float, str, bool, type(None), list, tuple)) else str(v))
            for k, v in options.items()}
