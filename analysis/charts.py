"""Plotly figures with one consistent look. Plain data in, a figure out."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

ACCENT = "#2f6f73"
FONT = "Source Sans Pro, Helvetica, Arial, sans-serif"


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}},
        font={"family": FONT, "size": 13, "color": "#1f2a2e"},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
        xaxis_title=x_title,
        yaxis_title=y_title,
    )
    fig.update_xaxes(gridcolor="#e3e8e6", zeroline=False)
    return fig


def count_axis(top: float) -> dict:
    """Axis settings for a count: whole numbers from zero, a tick for each up to ten and
    plotly's own spacing beyond (a tick for each of hundreds is an unreadable smear)."""
    return {"rangemode": "tozero", "tickformat": ",d", "gridcolor": "#e3e8e6"} | (
        {"dtick": 1} if top <= 10 else {}
    )


def caseload_by_stage(frame: pd.DataFrame) -> go.Figure:
    """Horizontal bars: clients per stage, stage 1 at the top, named by the guide."""
    labels = [f"{n}. {name}" for n, name in zip(frame["stage"], frame["stage_name"], strict=True)]
    fig = go.Figure(
        go.Bar(
            x=frame["clients"],
            y=labels,
            orientation="h",
            marker_color=ACCENT,
            text=frame["clients"],
            textposition="outside",
            cliponaxis=False,  # the longest bar's number stands beyond the axis
            hovertemplate="%{y}: %{x} clients<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(count_axis(frame["clients"].max()))
    fig.update_layout(height=360)
    return _layout(fig, "Clients by stage (open cases)", "Clients", "")


PALETTE = ["#2f6f73", "#c26d3a", "#6b5b95", "#8a9a5b"]


def empty(title: str, message: str) -> go.Figure:
    """A titled figure that says there is nothing to show yet."""
    fig = go.Figure()
    fig.add_annotation(
        text=message,
        showarrow=False,
        font={"size": 14, "color": "#6b7780"},
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(height=220)
    return _layout(fig, title, "", "")


def stage_journey(steps: pd.DataFrame, stage_names: list[str]) -> go.Figure:
    """Each client's stage over time as a step line; the axis names the stages.

    steps columns: client_id, client_name, date, stage (one row per move, plus one for
    today). Partners who share a name are still two lines.
    """
    title = "Stages over time"
    if steps.empty:
        return empty(title, "No stage moves yet.")
    fig = go.Figure()
    clients = steps.groupby("client_id", sort=False)
    for i, (_, rows) in enumerate(clients):
        name = rows["client_name"].iloc[0]
        # Partners often stand at one stage (both start at 1): each line is lifted a little
        # apart, or the second hides the first. The hover says the stage itself.
        lift = (i - (len(clients) - 1) / 2) * 0.08
        fig.add_trace(
            go.Scatter(
                x=rows["date"],
                y=rows["stage"] + lift,
                customdata=rows["stage"],
                name=name,
                mode="lines+markers",
                line={"shape": "hv", "width": 3, "color": PALETTE[i % len(PALETTE)]},
                hovertemplate="%{x|%d %b %Y}: stage %{customdata}<extra>" + name + "</extra>",
            )
        )
    fig.update_yaxes(
        tickvals=list(range(1, len(stage_names) + 1)),
        ticktext=[f"{n}. {s}" for n, s in enumerate(stage_names, start=1)],
        range=[0.5, len(stage_names) + 0.5],
        gridcolor="#e3e8e6",
    )
    first, last = pd.Timestamp(steps["date"].min()), pd.Timestamp(steps["date"].max())
    if first == last:  # a case opened today: a week around it, not milliseconds of one day
        fig.update_xaxes(range=[first - pd.Timedelta(days=3), last + pd.Timedelta(days=3)])
    # No "Date" under the axis: its two-line dates say so, and the legend sits there.
    fig.update_layout(height=380, legend={"orientation": "h", "y": -0.15})
    return _layout(fig, title, "", "")


def measure_trend(
    scores: pd.DataFrame,
    *,
    measure_name: str,
    cutoff: float | None,
    higher_is_better: bool,
    total_range: tuple[int, int],
) -> go.Figure:
    """Each client's totals over time, the cut-off band shaded, reliable change marked.

    scores columns: client_id, client_name, scored_on, total, reliable (bool: reliable change
    from the client's first score). Partners who share a name are still two lines.
    """
    title = f"{measure_name}: totals over time"
    if scores.empty:
        return empty(title, "No scores recorded yet.")
    low, high = total_range
    fig = go.Figure()
    if cutoff is not None:
        y0, y1 = (low, cutoff) if higher_is_better else (cutoff, high)
        fig.add_hrect(
            y0=y0,
            y1=y1,
            fillcolor="#c26d3a",
            opacity=0.08,
            line_width=0,
            annotation_text="below the cut-off" if higher_is_better else "above the cut-off",
            annotation_position="top left",
        )
        fig.add_hline(
            y=cutoff,
            line_dash="dash",
            line_color="#c26d3a",
            annotation_text=f"cut-off {cutoff:g}",
            annotation_position="bottom right",
        )
    for i, (_, rows) in enumerate(scores.groupby("client_id", sort=False)):
        name = rows["client_name"].iloc[0]
        color = PALETTE[i % len(PALETTE)]
        fig.add_trace(
            go.Scatter(
                x=rows["scored_on"],
                y=rows["total"],
                name=name,
                mode="lines+markers",
                line={"color": color, "width": 3},
                marker={"size": 8},
                hovertemplate="%{x|%d %b %Y}: %{y}<extra>" + name + "</extra>",
            )
        )
        reliable = rows[rows["reliable"]]
        if not reliable.empty:
            fig.add_trace(
                go.Scatter(
                    x=reliable["scored_on"],
                    y=reliable["total"],
                    mode="markers",
                    name=f"{name}: reliable change",
                    marker={"symbol": "star", "size": 16, "color": color},
                    hovertemplate="Reliable change from the first score<extra></extra>",
                )
            )
    fig.update_yaxes(range=[low - 0.5, high + 0.5], gridcolor="#e3e8e6")
    first, last = pd.Timestamp(scores["scored_on"].min()), pd.Timestamp(scores["scored_on"].max())
    if first == last:  # a first score: a week around it, not milliseconds of one day
        fig.update_xaxes(range=[first - pd.Timedelta(days=3), last + pd.Timedelta(days=3)])
    fig.update_layout(height=360, legend={"orientation": "h", "y": -0.2})
    return _layout(fig, title, "", "Total")  # no "Date" title: the legend sits there


def homework_completion(frame: pd.DataFrame, label: str) -> go.Figure:
    """Stacked bars of worksheets on time, late, overdue and open, per `label` column."""
    title = "Homework completion"
    if frame.empty or frame["assigned"].sum() == 0:
        return empty(title, "No worksheets assigned yet.")
    fig = go.Figure()
    parts = [
        ("on_time", "On time", "#2f6f73"),
        ("late", "Late", "#8a9a5b"),
        ("overdue", "Overdue", "#c26d3a"),
        ("open", "Not yet due", "#b8c4c2"),
    ]
    for column, name, color in parts:
        fig.add_trace(go.Bar(x=frame[label], y=frame[column], name=name, marker_color=color))
    fig.update_layout(barmode="stack", height=320, legend={"orientation": "h", "y": -0.2})
    fig.update_yaxes(count_axis(frame[[c for c, _, _ in parts]].sum(axis=1).max()))
    return _layout(fig, title, "", "Worksheets")


def counts_bar(frame: pd.DataFrame, x: str, y: str, title: str, x_title: str) -> go.Figure:
    """A plain bar chart of counts (outcomes of closed cases, caseload per counsellor)."""
    if frame.empty or frame[y].sum() == 0:
        return empty(title, "Nothing to show yet.")
    fig = go.Figure(
        go.Bar(
            x=frame[x],
            y=frame[y],
            marker_color=ACCENT,
            text=frame[y],
            textposition="outside",
            cliponaxis=False,
        )
    )
    fig.update_yaxes(count_axis(frame[y].max()))
    fig.update_layout(height=320)
    return _layout(fig, title, x_title, "Count")
