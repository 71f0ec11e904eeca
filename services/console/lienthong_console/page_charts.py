"""The charts of the lag and charts pages, drawn from the console's samples and views."""

from __future__ import annotations

from lienthong.domain.localtime import to_local
from lienthong_console import charts
from lienthong_console.i18n import Translate
from lienthong_console.sampler import Sample, rates
from lienthong_console.views import ConsoleViews
from lienthong_console.web import utc_hour


def lag_charts(samples: list[Sample], t: Translate) -> tuple[str, str]:
    """Lag per group and events per second per topic over the samples ('' with fewer than 2)."""
    if len(samples) < 2:
        return "", ""
    span = (samples[-1].at - samples[0].at).total_seconds()
    clock = "%H:%M:%S" if span < 600 else "%H:%M"
    labels = [to_local(s.at).strftime(clock) for s in samples]
    names = sorted({g for s in samples for g in s.lag})
    lag_chart = charts.lines(
        t("lag_chart"),
        labels,
        [charts.Line(g, [float(s.lag.get(g, 0)) for s in samples]) for g in names],
    )
    series = rates(samples)
    rate_labels = labels[1:]
    rate_chart = charts.lines(
        t("rate_chart"),
        rate_labels,
        [
            charts.Line(topic, [value for _, value in points])
            for topic, points in sorted(series.items())
            if any(value for _, value in points)
        ][:6],
        unit="/s",
    )
    return lag_chart, rate_chart


async def overview_charts(views: ConsoleViews, t: Translate) -> tuple[str, str, str]:
    """Throughput per hour, satisfaction per day, on-time rate per unit ('' with no unit)."""
    flow = await views.throughput()
    mood = await views.satisfaction()
    units = await views.on_time_by_unit()
    throughput = charts.lines(
        t("throughput"),
        [f"{to_local(utc_hour(h)).hour:02d}h" for h in flow["hours"]],
        [
            charts.Line(t("received"), [float(v) for v in flow["received"]]),
            charts.Line(t("completed"), [float(v) for v in flow["completed"]]),
        ],
    )
    satisfaction = charts.lines(
        t("satisfaction"),
        [f"{d[8:10]}/{d[5:7]}" for d in mood["days"]],
        [charts.Line(t("satisfaction"), [None if r is None else r * 100 for r in mood["rate"]])],
        unit="%",
        ceiling=100,
    )
    on_time = (
        charts.rate_bars(
            t("on_time_by_unit"),
            [(r["unit"], r["on_time_rate"], f"({r['completed']})") for r in units[:40]],
        )
        if units
        else ""
    )
    return throughput, satisfaction, on_time
