"""The verdict that ends the report: each target of bench/README.md ("Targets") met (✓), missed
(✗) or not measured (–, with why), and the count of failed requests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from http_bench.loads import LABELS
from http_bench.paths import shown
from http_bench.runner import Run
from http_bench.wrk import Figure

TARGET_GET, TARGET_LIST, TARGET_WRITES = 0.40, 0.30, 2000.0  # × ceiling, × ceiling, requests/s
TARGET_RSS_MB, TARGET_STARTUP_S = 200.0, 2.0
TARGET_COLD_GET = 0.15  # × ceiling: a GET whose document must be rendered
# PostgreSQL's (issue 20): (load, ratio, what it is a ratio to, what the report calls the load).
PG_TARGETS = (
    ("cold-get", 0.30, "SELECT floor", "cold GET (document not cached)"),
    ("get", 0.30, "ceiling", "GET /conversations/{id}"),
    ("list", 0.20, "ceiling", "list page"),
    ("reply", 0.25, "INSERT floor", "reply"),
    ("parts", 0.25, "INSERT floor", "close ⇄ open"),
)
# Read-after-write: the GET after a reply is "as fast as a cached GET" when its p50 is at most this
# many times the p50 of the cached GETs measured in the same load (10 %: within the noise of the run),
# at the lowest concurrency: there nothing else is in line, so a GET's latency is its own cost; higher
# up, either GET's latency is mostly its wait behind the replies of the other connections.
TARGET_AFTER_WRITE = 1.10


def verdicts(run: Run) -> list[str]:
    r = run.results
    ceiling: dict[int, Figure] = r["ceiling"].get("figures", {})
    top = max(run.concurrency)
    out: list[str] = []

    def line(ok: bool | None, text: str) -> None:
        out.append(_mark(ok, text))

    for engine_name, e in r["engines"].items():
        figures = e["figures"]
        if engine_name == "sqlite":
            out += _sqlite_targets(run, engine_name, figures, ceiling, top)
        else:
            out += _postgresql_targets(engine_name, figures, ceiling, r["floors"], top)
        if "read-after-write" in figures:
            line(*_after_write(engine_name, figures["read-after-write"], min(run.concurrency)))
    big = r["big"]
    # The targets name the 1M database; a smaller one (--big-db) is reported, not judged.
    judged = bool(big) and big["conversations"] >= 1_000_000
    if big and "rss_peak" in big:
        peak = max(big["rss_peak"], default=0.0)
        elsewhere = ", ".join(
            f"{name} {max(e['rss_peak']):.0f} MB" for name, e in r["engines"].items() if e.get("rss_peak")
        )
        line(
            peak < TARGET_RSS_MB if judged else None,
            f"each worker under {TARGET_RSS_MB:.0f} MB serving the 1M database: peak {peak:.0f} MB"
            + ("" if judged else f" on {big['conversations']:,} conversations, not judged")
            + (f" (for comparison, peak over the {run.args.conversations:,} runs: {elsewhere})" if elsewhere else ""),
        )
    else:
        line(None, f"each worker under {TARGET_RSS_MB:.0f} MB serving the 1M database: not measured (skipped)")
    if r["soak"]:
        workers = r["soak"]["workers"]
        flat = all(w["flat"] for w in workers.values()) and bool(workers)
        detail = ", ".join(f"{w['first']:.0f} → {w['last']:.0f} MB (max {w['max']:.0f})" for w in workers.values())
        line(
            flat,
            f"worker memory flat over the {r['soak']['seconds']} s soak (end within 10 % of first sample): {detail}",
        )
    else:
        line(None, "worker memory flat over a soak: not measured (--soak 0)")
    if big and "startup_s" in big:
        worst = max(big["startup_s"])
        line(
            worst < TARGET_STARTUP_S if judged else None,
            f"start-up under {TARGET_STARTUP_S:.0f} s on the 1M database: {worst:.2f} s (worst of 3)"
            + ("" if judged else f" on {big['conversations']:,} conversations, not judged"),
        )
    else:
        line(None, f"start-up under {TARGET_STARTUP_S:.0f} s on the 1M database: not measured (skipped)")
    errors = total_errors(run)
    line(errors == 0, f"no request failed: {errors} errors")
    return out


def _mark(ok: bool | None, text: str) -> str:
    return f"- {'✓' if ok else '✗' if ok is not None else '–'} {text}"


def _sqlite_targets(
    run: Run, engine_name: str, figures: dict[str, dict[int, Figure]], ceiling: dict[int, Figure], top: int
) -> list[str]:
    """SQLite's targets (bench/README.md, "Targets"): ratios to the ceiling, writes per second."""
    out = []
    ratio_targets = (
        ("get", TARGET_GET, "GET /conversations/{id}"),
        ("list", TARGET_LIST, "list page"),
        ("cold-get", TARGET_COLD_GET, "cold GET (document not cached)"),
    )
    for key, target, what in ratio_targets:
        f = figures.get(key, {}).get(top)
        if f is None or top not in ceiling:
            out.append(_mark(None, f"{engine_name}: {what} ≥ {target:.2f} × ceiling at c={top}: not measured"))
            continue
        ratio = f.rps / ceiling[top].rps
        where = "" if ratio >= target else _profiled(run, key, engine_name)
        out.append(
            _mark(ratio >= target, f"{engine_name}: {what} ≥ {target:.2f} × ceiling at c={top}: {ratio:.2f}{where}")
        )
    for key, what in (("reply", "reply"), ("parts", "close")):
        f = figures.get(key, {}).get(top)
        if f is not None:
            out.append(
                _mark(
                    f.rps >= TARGET_WRITES,
                    f"{engine_name}: {what} ≥ {TARGET_WRITES:,.0f} requests/s at c={top}: {f.rps:,.0f}",
                )
            )
    return out


def _postgresql_targets(
    engine_name: str,
    figures: dict[str, dict[int, Figure]],
    ceiling: dict[int, Figure],
    floors: dict[str, dict[int, Figure]],
    top: int,
) -> list[str]:
    """PostgreSQL's targets (bench/README.md, "Targets"), for one process and for several: ratios
    to the ceiling and to the floors of the same run."""
    out = []
    bases = {
        "ceiling": ceiling,
        "SELECT floor": floors.get("select-floor", {}),
        "INSERT floor": floors.get("insert-floor", {}),
    }
    for key, target, base, what in PG_TARGETS:
        f, against = figures.get(key, {}).get(top), bases[base].get(top)
        if f is None or against is None or not against.rps:
            out.append(_mark(None, f"{engine_name}: {what} ≥ {target:.2f} × the {base} at c={top}: not measured"))
            continue
        ratio = f.rps / against.rps
        out.append(
            _mark(
                ratio >= target,
                f"{engine_name}: {what} ≥ {target:.2f} × the {base} at c={top}: {ratio:.2f} "
                f"({f.rps:,.0f} vs {against.rps:,.0f} rps)",
            )
        )
    return out


def _profiled(run: Run, key: str, engine_name: str) -> str:
    """Where the load's profile is, for a missed target."""
    for p in run.results["profiles"]:
        if p["load"] == LABELS[key] and p["engine"] == engine_name and "error" not in p:
            return f" (profile: {shown(Path(p['file']))})"
    return ""


def _after_write(engine_name: str, by_c: dict[int, Figure], c: int) -> tuple[bool | None, str]:
    what = (
        f"{engine_name}: GET after a write as fast as a cached GET (p50 ≤ {TARGET_AFTER_WRITE:.2f} × the "
        f"control's, same load) at c={c}"
    )
    f = by_c.get(c)
    split = f.split if f is not None else None
    if not split or not split["after-write"].requests or not split["cached"].requests:
        return None, f"{what}: not measured"
    fresh, cached = split["after-write"], split["cached"]
    ok = fresh.p50_ms <= TARGET_AFTER_WRITE * cached.p50_ms
    compared = "" if engine_name == "sqlite" else " (a comparison: the targets are SQLite's)"
    return ok, (
        f"{what}: {fresh.p50_ms:.2f} vs {cached.p50_ms:.2f} ms ({fresh.p50_ms / cached.p50_ms:.2f} ×; "
        f"p99 {fresh.p99_ms:.2f} vs {cached.p99_ms:.2f}){compared}"
    )


def all_figures(run: Run) -> Iterator[Figure]:
    r = run.results
    for e in r["engines"].values():
        for by_c in e["figures"].values():
            yield from by_c.values()
    yield from r["ceiling"].get("figures", {}).values()
    for by_c in r["floors"].values():
        yield from by_c.values()
    if r["soak"]:
        yield r["soak"]["figure"]
    if r["big"] and "get" in r["big"]:
        yield r["big"]["get"]


def total_errors(run: Run) -> int:
    return sum(f.error_count for f in all_figures(run))
