"""The readable report of one run's results (`benchmarks.run`)."""

from __future__ import annotations

from typing import Any

__all__ = ["render"]


def _ms(ns: float) -> str:
    return f"{ns / 1e6:.2f}"


def _table(header: list[str], rows: list[list[str]], left: int = 1) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def render(results: dict[str, Any]) -> str:
    config, method = results["config"], results["method"]
    out = [
        f"translators benchmarks: {results['implementation']} {results['python']} on {results['platform']}, "
        f"orjson {results['orjson']}",
        f"Timings are ratios against the floor measured in the same run (floor = {method['floor']}).",
        f"Statistic: {method['statistic']}, {config['repeat']} rounds; GC {method['gc']}.",
        f"Reads: {method['reads']}.",
        "",
        "Throughput (ms per complete stream; 'x floor' = time / floor time)",
    ]
    header = [
        "workload",
        "events",
        "KiB",
        "floor",
        "stream",
        "x floor",
        "stream 4K",
        "x floor",
        "whole",
        "x floor",
        "translate",
        "x floor",
        "ns/event",
    ]
    rows = []
    for w in results["workloads"]:
        t, r = w["timings_ns"], w["ratios"]
        rows.append(
            [
                w["description"],
                str(w["events"]),
                f"{w['body_bytes'] / 1024:.0f}",
                _ms(t["floor"]["min"]),
                _ms(t["stream"]["min"]),
                f"{r['stream']:.2f}",
                _ms(t["stream_fixed"]["min"]),
                f"{r['stream_fixed']:.2f}",
                _ms(t["stream_whole"]["min"]),
                f"{r['stream_whole']:.2f}",
                _ms(t["translate"]["min"]),
                f"{r['translate']:.2f}",
                f"{w['ns_per_event']['stream']:.0f}",
            ]
        )
    out += _table(header, rows)
    medians = ", ".join(
        f"{w['name']}: stream {w['ratios_median']['stream']:.2f}x, translate {w['ratios_median']['translate']:.2f}x"
        for w in results["workloads"]
    )
    out += [f"(ratios of medians: {medians}; ns/event = stream min / events)", ""]

    memory = results["memory"]
    out.append("Peak memory (tracemalloc) while consuming stream() lazily, fed by a lazy generator of reads")
    out += _table(
        ["text deltas", "output MiB", "output pieces", "peak KiB"],
        [
            [
                f"{r['deltas']:,}",
                f"{r['output_bytes'] / 2**20:.1f}",
                str(r["output_pieces"]),
                f"{r['peak_bytes'] / 1024:.1f}",
            ]
            for r in memory["rows"]
        ],
        left=0,
    )
    out += [f"largest/smallest stream peak: {memory['ratio']:.2f} (max/min over all: {memory['spread']:.2f})", ""]

    imp = results["import"]
    by_module = ", ".join(f"{k.removeprefix('translators.') or k} {v:.2f}" for k, v in imp["self_ms_by_module"].items())
    heaviest = ", ".join(f"{name} {ms:.2f}" for name, ms in imp["heaviest_self"][:6])
    out += [
        f"Import time (fresh interpreters, bytecode cached, best of {imp['runs']})",
        f"  python -c 'import translators' minus -c pass:  {imp['wall_ms']:.1f} ms "
        f"({imp['python_import_ms']:.1f} - {imp['python_pass_ms']:.1f})",
        f"  + the anthropic provider (first stream() call):  {imp['wall_with_provider_ms']:.1f} ms",
        f"  -X importtime, self time of translators modules: {imp['self_ms']:.2f} ms "
        f"(with provider {imp['self_ms_with_provider']:.2f} ms; nothing cached {imp['self_ms_uncached']:.2f} ms)",
        f"  -X importtime, cumulative of 'import translators': {imp['cumulative_ms']:.2f} ms "
        f"(with provider {imp['cumulative_ms_with_provider']:.2f} ms)",
        f"  self ms by module: {by_module}",
        f"  heaviest modules in the tree (self ms): {heaviest}",
        "",
        "Targets (informational)",
    ]
    out += _table(
        ["check", "target", "measured", ""],
        [
            [t["name"], t["target"], f"{t['value']:.2f} {t['unit']}", "PASS" if t["pass"] else "MISS"]
            for t in results["targets"]
        ],
        left=2,
    )
    return "\n".join(out)
