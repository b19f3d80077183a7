"""The report: the Markdown block the run prints and writes into bench/BENCHMARKS.md between the
``http-results`` markers (the rest of that file is written by hand), and the results as JSON."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from http_bench.databases import NOW, SEED
from http_bench.id_sets import GET_PARTS
from http_bench.loads import FLOOR_LABELS, LABELS
from http_bench.paths import shown
from http_bench.read_after_write import SPLIT_LABELS
from http_bench.runner import Run
from http_bench.servers import WORKERS
from http_bench.verdict import verdicts
from http_bench.wrk import Figure

MARK_START, MARK_END = "<!-- http-results:start -->", "<!-- http-results:end -->"


def mb(values: list[float]) -> str:
    return " + ".join(f"{v:.0f}" for v in values) + " MB" if values else "?"


def report(run: Run, command: str) -> str:
    r = run.results
    args = run.args
    ceiling: dict[int, Figure] = r["ceiling"].get("figures", {})
    lines = [
        "## HTTP load (`make bench`)",
        "",
        "Written by `bench/http_bench.py` (how it works: [README.md](README.md#http-make-bench)); "
        "edit outside the `http-results` markers.",
        "",
        f"- command: `{command}`",
        *(f"- {k}: {v}" for k, v in r["machine"].items()),
        f"- data: {args.conversations:,} conversations (`inboxd seed --seed {SEED['seed']} --now {NOW} "
        f"--parts-per-conversation {SEED['parts']}`, snoozes woken), a copy per run; "
        f"server: `inboxd serve --workers {WORKERS} --rate-limit 0`",
        f"- wrk from loopback, {'1 thread at c=1, 2 above' if 1 in run.concurrency else '2 threads'}; "
        f"{args.warmup} s warm-up then {args.duration} s measured per row; latency in ms (wrk's p50/p99, "
        "no coordinated-omission correction); errors = socket errors + timeouts + HTTP ≥ 400"
        " (+ close/open answers that changed nothing, + read-after-write GETs that did not show their reply)",
        f"- ceiling: bench/ceiling.py (granian + Starlette, {WORKERS} workers, no database) answering "
        f"a pre-encoded {r['ceiling'].get('document_bytes', 0):,}-byte document, the median-size "
        "GET /conversations/{id} response of this run; ratio = rps / ceiling rps at the same concurrency",
        "",
    ]
    if r["skipped"]:
        lines += [*(f"- skipped: {k}: {v}" for k, v in r["skipped"].items()), ""]
    if ceiling:
        lines += ["### ceiling", "", "| c | rps | p50 | p99 | errors |", "|---:|---:|---:|---:|---:|"]
        for c, f in sorted(ceiling.items()):
            lines.append(f"| {c} | {f.rps:,.0f} | {f.p50_ms:.2f} | {f.p99_ms:.2f} | {f.error_count} |")
        lines.append("")
    if r["floors"]:
        lines += [
            "### PostgreSQL floors",
            "",
            f"bench/floors.py: the same stack ({WORKERS} workers) and pool as `inboxd serve`, on the PostgreSQL run's "
            "database, doing one statement per request in autocommit: a primary-key SELECT of a conversation "
            "of the GET set, or a single-row INSERT (the reply ids); the PostgreSQL targets are ratios to these.",
            "",
            "| floor | c | rps | p50 | p99 | errors | × ceiling |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for key, by_c in r["floors"].items():
            for c, f in sorted(by_c.items()):
                ratio = f"{f.rps / ceiling[c].rps:.2f}" if c in ceiling and ceiling[c].rps else "—"
                lines.append(_row(FLOOR_LABELS[key], c, f, f"{f.error_count} ✗" if f.error_count else "0", ratio))
        lines.append("")
    for engine_name, e in r["engines"].items():
        lines += [
            f"### {engine_name}",
            "",
            f"GET ids: {e.get('get_ids', 0):,} conversations with {GET_PARTS[0]}-{GET_PARTS[1]} parts "
            f"(median response {e.get('document_bytes', 0):,} bytes); start-up to /readyz "
            f"{e.get('startup_s', 0):.2f} s; worker RSS idle {mb(e.get('rss_idle', []))}, "
            f"peak over the run {mb(e.get('rss_peak', []))}.",
            "",
            *(
                [
                    f"GET is measured after every one of those conversations was fetched {fv.get('passes', 1)} "
                    f"times, each on a connection of its own, so that each worker has drawn it (a worker keeps "
                    f"the documents it drew: api/render_cache.py), the steady state of a running server. The "
                    f"first round (each view a render) ran at {fv['rps']:,.0f} rps ({fv['clients']} Python "
                    f"clients).",
                    "",
                ]
                if (fv := e.get("first_views"))
                else []
            ),
            *(
                [
                    f"{e['processes']} `inboxd serve --workers {WORKERS}` processes on the one database, each load "
                    "spread evenly over them (one wrk per process, run at once: requests added, p50 the mean of "
                    "theirs weighted by requests, p99 the worst of theirs), at the highest concurrency only.",
                    "",
                ]
                if e.get("processes")
                else []
            ),
            "| endpoint | c | rps | p50 | p99 | errors | × ceiling |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for key, by_c in e["figures"].items():
            for c, f in sorted(by_c.items()):
                # A pair of requests is no figure of the ceiling's kind: no ratio for read-after-write.
                ratio = f"{f.rps / ceiling[c].rps:.2f}" if c in ceiling and ceiling[c].rps and not f.split else "—"
                err = f"{f.error_count} ✗" if f.error_count else "0"
                lines.append(_row(LABELS.get(key, key), c, f, err, ratio))
                for name, part in (f.split or {}).items():
                    lines.append(_row(f"↳ {SPLIT_LABELS.get(name, name)}", c, part, "", "—"))
        lines.append("")
        lines += _notes(e["figures"], e.get("get_ids", 0))
    if r["soak"]:
        s = r["soak"]
        f = s["figure"]
        lines += [
            f"### soak (sqlite): {s['seconds']} s of mixed GET 8 : list 1 : search 1 at c={s['concurrency']}",
            "",
            f"{f.rps:,.0f} rps, p50 {f.p50_ms:.2f} ms, p99 {f.p99_ms:.2f} ms, errors {f.error_count}. "
            "Worker RSS (MB) every 10 s: "
            + "; ".join(f"{t} s: {', '.join(f'{v:.0f}' for v in vals)}" for t, vals in s["samples"]),
            "",
        ]
    if r["big"]:
        b = r["big"]
        lines += [
            f"### start-up and memory on {b['path']} ({b['conversations']:,} conversations)",
            "",
            "- start-up, spawn of `inboxd serve --workers 2` to /readyz 200: "
            + ", ".join(f"{s:.2f}" for s in b["startup_s"])
            + f" s; worker RSS at ready {mb(b['rss_ready'])}",
        ]
        if "get" in b:
            g = b["get"]
            lines.append(
                f"- {b['seconds']} s of the soak's mix (GET by random id 8 : list page 1 : search 1) at "
                f"c={max(run.concurrency)}, served by bench/frozen_serve.py (inboxd's app, the clock at the seed's "
                f"now, the file read-only): {g.rps:,.0f} rps, p99 {g.p99_ms:.2f} ms, errors {g.error_count}; "
                f"worker RSS peak {mb(b['rss_peak'])}, after {mb(b['rss_after'])}"
            )
        lines.append("")
    if r["profiles"]:
        lines += ["### profiles (py-spy, one worker, an extra run at the highest concurrency)", ""]
        for p in r["profiles"]:
            if "error" in p:
                lines.append(f"- {p['engine']}, {p['load']}: {p['error']}")
                continue
            link = os.path.relpath(p["file"], args.output.resolve().parent)
            lines.append(
                f"- {p['engine']}, {p['load']} ({p['rps_under_profiler']:,} rps under the profiler): "
                f"[{shown(Path(p['file']))}]({link})"
            )
            for kind, what in (("self", "samples in"), ("inboxd", "inboxd's functions, with what they call")):
                shares = "; ".join(f"`{name}` {share:.0f} %" for name, share in p["top"][kind][:6])
                lines.append(f"  - {what}: {shares}")
        lines.append("")
    lines += ["### verdict", "", *verdicts(run), ""]
    return "\n".join(lines)


def _row(label: str, c: int, f: Figure, errors: str, ratio: str) -> str:
    cells = [label, str(c), f"{f.rps:,.0f}", f"{f.p50_ms:.2f}", f"{f.p99_ms:.2f}", errors, ratio]
    return "| " + " | ".join(cells) + " |"


def _notes(figures: dict[str, dict[int, Figure]], get_ids: int) -> list[str]:
    """What the rows of the cold GET and of read-after-write are, under the table that has them."""
    out = []
    if "cold-get" in figures:
        out += [
            f"Cold GET: just before each run, the {get_ids:,} conversations of the GET set got a new version "
            "(as a write does); each wrk thread then reads its share of them once and "
            "stops, so every request renders its document, and a row lasts as long as that takes (at most the "
            "run's duration).",
            "",
        ]
    if "read-after-write" in figures:
        out += [
            "Read-after-write: on each connection an admin reply to a conversation of one half of the GET set, "
            "then a GET, pipelined (the server reads the GET once the reply's answer has left); every other GET "
            "reads a cached conversation of the other half instead, as a control. The row counts both requests "
            "of each pair and times the pair (wrk); the ↳ rows are timed by the script: a reply from sending to "
            "its answer, a GET from the reply's answer to its own.",
            "",
        ]
    return out


def write_markdown(path: Path, block: str) -> None:
    """Replace what is between the markers (append them when absent), in one quick read-modify-write:
    the rest of the file is edited by hand, by others, meanwhile."""
    section = f"{MARK_START}\n{block}\n{MARK_END}"
    old = path.read_text() if path.exists() else ""
    if MARK_START in old and MARK_END in old:
        start = old.index(MARK_START)
        end = old.index(MARK_END, start) + len(MARK_END)
        new = old[:start] + section + old[end:]
    else:
        new = old + ("" if old.endswith("\n") or not old else "\n") + "\n" + section + "\n"
    path.write_text(new)


def to_json(value: Any) -> Any:
    if isinstance(value, Figure):
        return value.as_json()
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value
