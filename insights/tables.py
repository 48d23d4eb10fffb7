"""The tables of each dashboard section, from its plain-value dict: what the CSV exports hold (pure)."""

from __future__ import annotations

from typing import Any

from portal.charts import Chart

Table = tuple[list[str], list[list[Any]]]


def _rate_cells(r: dict[str, Any]) -> list[Any]:
    if not r["enough"]:
        return [r["k"], r["n"], "not enough data", "", ""]
    return [r["k"], r["n"], round(100 * r["value"], 2), round(100 * r["low"], 2), round(100 * r["high"], 2)]


_RATE_HEADER = ["failed", "deployed", "rate %", "95% low %", "95% high %"]


def _charts(data: dict[str, Any]) -> dict[str, Table]:
    tables = {}
    for key, value in data.items():
        if isinstance(value, dict) and "x_labels" in value and "series" in value:
            header, rows = Chart.from_dict(value).table()
            tables[key] = (["label", *header[1:]], rows)
    return tables


def pipeline_tables(p: dict[str, Any]) -> dict[str, Table]:
    weeks = (
        ["period", "inflow", "inflow minutes", "signed off", "signed-off minutes", "capacity minutes", "over by"],
        [
            [
                w["label"],
                w["inflow"],
                w["inflow_minutes"],
                w["signoffs"],
                w["signoff_minutes"],
                w["capacity_minutes"],
                w["over_minutes"],
            ]
            for w in p["weeks"]
        ],
    )
    latency = (
        ["measure", "changes", "p50 hours", "p90 hours"],
        [
            ["time to first review", p["first_review"]["n"], p["first_review"]["p50"], p["first_review"]["p90"]],
            ["time to sign-off", p["sign_off"]["n"], p["sign_off"]["p50"], p["sign_off"]["p90"]],
        ],
    )
    return {"weeks": weeks, "latency": latency, **_charts(p)}


def seniors_tables(s: dict[str, Any]) -> dict[str, Table]:
    keys = ["capacity_minutes", "load_minutes", "spent_minutes", "verdicts", "load_pct"]
    header = ["capacity minutes", "load minutes", "time spent minutes", "verdicts", "load % of capacity"]
    tables: dict[str, Table] = {
        "teams": (
            ["team", "seniors", "away", *header],
            [[t["team"], t["seniors"], t["away"], *(t[k] for k in keys)] for t in s["teams"]],
        ),
    }
    if s["per_person"]:
        tables["people"] = (
            ["senior", "level", "team", "away until", *header],
            [
                [
                    p["name"],
                    p["level"],
                    p["team"],
                    p["away_until"] or ("yes" if p["away"] else ""),
                    *(p[k] for k in keys),
                ]
                for p in s["people"]
            ],
        )
    return {**tables, **_charts(s)}


def quality_tables(q: dict[str, Any]) -> dict[str, Table]:
    cfr = q["cfr"]
    rows = [["all changes", "all sizes", *_rate_cells(cfr["all"])]]
    rows += [[r["label"], "all sizes", *_rate_cells(r)] for r in cfr["by_ai"]]
    for b in cfr["by_bucket"]:
        rows += [["AI-assisted", b["bucket"], *_rate_cells(b["ai"])], ["other", b["bucket"], *_rate_cells(b["other"])]]
    missing = (
        ["change", "title", "repository", "author", "merged at", "approvals", "needed"],
        [
            [c["id"], c["title"], c["repository"], c["author"], c["merged_at"], c["approvals"], c["needed"]]
            for c in q["missing_sign_off"]["changes"]
        ],
    )
    return {
        "cfr": (["changes", "size", *_RATE_HEADER], rows),
        "missing": missing,
        **trend_tables(q["trend"]),
        **_charts(q),
    }


def knowledge_tables(k: dict[str, Any]) -> dict[str, Table]:
    keys = ["files", "files_single", "files_none", "directories", "directories_single", "people", "bus_factor"]
    return {
        "repositories": (
            [
                "repository",
                "files",
                "known by one",
                "known by none",
                "directories",
                "directories known by one",
                "people",
                "bus factor",
                "as of",
            ],
            [[r["repository"], *(r[key] for key in keys), r["as_of"]] for r in k["repositories"]],
        ),
        "holders": (["person", "files only they know"], [[h["name"], h["files"]] for h in k["holders"]]),
        **_charts(k),
    }


def trend_tables(t: dict[str, Any]) -> dict[str, Table]:
    header = ["week", *(f"AI {h}" for h in _RATE_HEADER), *(f"other {h}" for h in _RATE_HEADER)]
    return {
        "trend": (header, [[w["label"], *_rate_cells(w["ai"]), *_rate_cells(w["other"])] for w in t["weeks"]]),
        **_charts(t),
    }


TABLES = {
    "pipeline": pipeline_tables,
    "seniors": seniors_tables,
    "quality": quality_tables,
    "knowledge": knowledge_tables,
}
