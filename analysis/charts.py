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
            hovertemplate="%{y}: %{x} clients<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(dtick=1, rangemode="tozero")
    fig.update_layout(height=360)
    return _layout(fig, "Clients by stage (open cases)", "Clients", "")
