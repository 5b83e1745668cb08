// A session's events along time: one row per event type, a dot per event, drawn with uPlot
// from the page's #timeline-data block. Without uPlot the list below stays the timeline.
"use strict";
(function () {
  // UTC as everywhere on the pages: the time of day on the axis, date and milliseconds in the
  // legend.
  const iso = (ts) => new Date(ts * 1e3).toISOString();

  function draw(figure, events) {
    const types = [...new Set(events.map((e) => e.type))];
    const xs = events.map((e) => e.t);
    // One series per type: its row number at its events' times, null elsewhere.
    const rows = types.map((type, i) => events.map((e) => e.type === type ? i : null));
    const palette = ["#1f6feb", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#0891b2", "#6b7280"];
    const series = types.map((type, i) => ({
      label: type, stroke: palette[i % palette.length],
      paths: () => null, points: {show: true, size: 10, width: 1, fill: palette[i % palette.length]},
      value: (u, v) => v === null || v === undefined ? "" : "●",
    }));
    // The axis names the event (the legend has the category too); wide enough for the longest.
    const names = types.map((t) => t.split(" / ").slice(1).join(" / ") || t);
    const axisWidth = Math.min(24 + 7 * Math.max(...names.map((n) => n.length)), 260);
    const first = xs[0], last = xs[xs.length - 1];
    const pad = Math.max((last - first) * 0.03, 1);
    const opts = {
      width: Math.max(figure.clientWidth - 8, 300), height: 70 + 34 * types.length,
      series: [{value: (u, ts) => ts === null ? "–" : iso(ts).slice(0, 23).replace("T", " ")}].concat(series),
      cursor: {points: {size: 12}},
      scales: {x: {time: true, range: () => [first - pad, last + pad]},
               y: {range: () => [-0.6, types.length - 0.4]}},
      axes: [{space: 80, values: (u, splits) => splits.map((ts) => iso(ts).slice(11, 19))},
             {size: axisWidth, splits: () => types.map((_, i) => i),
              values: (u, splits) => splits.map((i) => names[i] || "")}],
    };
    return new uPlot(opts, [xs].concat(rows), figure);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const figure = document.getElementById("session-timeline");
    const block = document.getElementById("timeline-data");
    if (!figure || !block || typeof uPlot === "undefined") return;
    window.eyeTimeline = draw(figure, JSON.parse(block.textContent));
    window.addEventListener("resize", () => {
      window.eyeTimeline.setSize({width: Math.max(figure.clientWidth - 8, 300),
                                  height: window.eyeTimeline.height});
    });
  });
})();
