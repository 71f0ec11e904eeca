"""The statistics read side: indicators of completed dossiers, summaries, CSV, chart series."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

from lienthong_survey.aggregate import Dimension, summarise
from lienthong_survey.charts import Series, bar_chart, line_chart
from lienthong_survey.projection import DossierProjection
from lienthong_survey.questions import Evaluation, QuestionSet
from lienthong_survey.scoring import Indicators, dossier_indicators

CSV_COLUMNS = (
    "month",
    "unit",
    "dossiers",
    "on_time",
    "on_time_rate",
    "invited",
    "answered",
    "participation_rate",
    "trusted_answers",
    "satisfied",
    "satisfaction_rate",
    "flagged_answers",
    "average_score_18",
    "d766_progress",
    "d766_online_service",
    "d766_satisfaction",
    "d766_digitisation",
)


@dataclass(frozen=True)
class StatsFilter:
    month_from: str | None = None
    month_to: str | None = None
    procedure: str | None = None
    unit: str | None = None


class Statistics:
    def __init__(
        self, projection: DossierProjection, questions: QuestionSet, evaluation: Evaluation
    ) -> None:
        self._projection, self._questions, self._evaluation = projection, questions, evaluation

    async def indicators(self, filters: StatsFilter) -> list[Indicators]:
        records = await self._projection.completed(
            filters.month_from, filters.month_to, filters.procedure
        )
        return [dossier_indicators(r, self._questions, self._evaluation) for r in records]

    async def summary(self, filters: StatsFilter, by: Dimension) -> dict[str, Any]:
        found = await self.indicators(filters)
        summary = summarise(found, by, self._questions, self._evaluation, unit=filters.unit)
        return {"filters": asdict(filters), **summary}

    async def dossier(self, dossier_id: str) -> dict[str, Any] | None:
        record = await self._projection.get(dossier_id)
        if record is None:
            return None
        found = dossier_indicators(record, self._questions, self._evaluation)
        return {**asdict(found), "answered": found.answered, "trusted": found.trusted}

    async def csv(self, filters: StatsFilter) -> str:
        """One row per month and unit: the figures a bonus calculation needs."""
        by_month: defaultdict[str, list[Indicators]] = defaultdict(list)
        for found in await self.indicators(filters):
            by_month[found.month or "?"].append(found)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for month in sorted(by_month):
            summary = summarise(
                by_month[month], "unit", self._questions, self._evaluation, unit=filters.unit
            )
            for group in summary["groups"]:
                writer.writerow(_csv_row(month, group))
        return out.getvalue()

    async def charts(self, filters: StatsFilter) -> list[str]:
        """SVG charts: the rates over months, and satisfaction by unit and by procedure."""
        found = await self.indicators(filters)
        months = summarise(found, "month", self._questions, self._evaluation, filters.unit)
        labels = [g["key"] for g in months["groups"]]
        trend = [
            Series(name, [g[key] for g in months["groups"]])
            for name, key in (
                ("hài lòng / satisfaction", "satisfaction_rate"),
                ("tham gia / participation", "participation_rate"),
                ("đúng hạn / on time", "on_time_rate"),
            )
        ]
        charts = [line_chart("Theo tháng / By month", labels, trend)]
        dimensions: tuple[tuple[Dimension, str], ...] = (
            ("unit", "Theo đơn vị / By unit"),
            ("procedure", "Theo thủ tục / By procedure"),
        )
        for by, title in dimensions:
            groups = summarise(found, by, self._questions, self._evaluation, filters.unit)["groups"]
            rows = [(g["key"], g["satisfaction_rate"]) for g in groups]
            charts.append(bar_chart(f"{title}: hài lòng / satisfaction", rows))
        charts.append(self._trend(found, labels, "unit", "on_time_rate", filters.unit))
        charts.append(self._trend(found, labels, "procedure", "satisfaction_rate", filters.unit))
        return charts

    def _trend(
        self, found: list[Indicators], months: list[str], by: Dimension, rate: str, unit: str | None
    ) -> str:
        """One rate over the months, one line per group (the six with most months of data)."""
        per_group: defaultdict[str, dict[str, float | None]] = defaultdict(dict)
        for month in months:
            in_month = [i for i in found if i.month == month]
            summary = summarise(in_month, by, self._questions, self._evaluation, unit)
            for group in summary["groups"]:
                per_group[group["key"]][month] = group[rate]
        busiest = sorted(per_group, key=lambda key: -len(per_group[key]))[:6]
        series = [Series(k, [per_group[k].get(m) for m in months]) for k in sorted(busiest)]
        return line_chart(_TREND_TITLES[by, rate], months, series)


_TREND_TITLES = {
    ("unit", "on_time_rate"): "Đúng hạn theo đơn vị / On time by unit",
    ("procedure", "satisfaction_rate"): "Hài lòng theo thủ tục / Satisfaction by procedure",
}


def _csv_row(month: str, group: dict[str, Any]) -> list[Any]:
    d766 = group["decision_766"]
    values = {
        **group,
        "month": month,
        "unit": group["key"],
        **{f"d766_{name}": d766[name]["points"] for name in d766},
    }
    return ["" if values[column] is None else values[column] for column in CSV_COLUMNS]
