// The live panel's charts: lag and rates over the server's recent samples, from
// /ui/live/history.json, redrawn at each new sample. Drawn with uPlot (/ui/assets/uPlot.js);
// without it the page keeps its tiles and says the charts are missing.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  // The pages show UTC everywhere (uPlot would use the browser's zone): HH:MM:SS.
  const utc = (ts) => new Date(ts * 1e3).toISOString().slice(11, 19);
  const charts = {};
  window.eyeCharts = charts;  // for the browser tests, and curious operators

  function size(figure) {
    return {width: Math.max(figure.clientWidth - 8, 300), height: 220};
  }

  function make(id, series, axes) {
    const figure = $(id);
    const x = {value: (u, ts) => ts === null ? "–" : utc(ts) + " UTC"};
    axes[0] = {space: 80, values: (u, splits) => splits.map(utc)};
    const opts = Object.assign({series: [x].concat(series), axes: axes,
                                scales: {x: {time: true}}}, size(figure));
    const empty = [[]].concat(series.map(() => []));
    return new uPlot(opts, empty, figure);
  }

  function line(label, stroke, scale) {
    return {label: label, stroke: stroke, width: 2, scale: scale || "y", spanGaps: false,
            value: (u, v) => v === null || v === undefined ? "–" : v.toFixed(2)};
  }

  function start() {
    charts.lag = make("chart-lag", [line("lag (records)", "#1f6feb"),
                                   line("oldest unstored (s)", "#d97706", "s")],
                      [{}, {label: "records"}, {side: 1, scale: "s", label: "seconds",
                                               grid: {show: false}}]);
    charts.rates = make("chart-rates", [line("received", "#6b7280"), line("stored", "#16a34a"),
                                       line("rejected", "#dc2626")],
                        [{}, {label: "per second"}]);
    window.addEventListener("resize", () => {
      for (const id of ["lag", "rates"]) charts[id].setSize(size($("chart-" + id)));
    });
  }

  function draw(history) {
    const c = history.columns;
    charts.lag.setData([c.at, c.lag, c.lag_seconds]);
    charts.rates.setData([c.at, c.received, c.stored, c.rejected]);
  }

  async function tick() {
    let wait = 5;
    try {
      const response = await fetch("/ui/live/history.json", {credentials: "same-origin"});
      if (response.ok) {
        const history = await response.json();
        wait = Math.max(history.interval, 1);
        draw(history);
      }
    } catch (err) {
      // live.js reports an unreachable server; the charts keep their last picture.
    }
    setTimeout(tick, wait * 1000);
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (typeof uPlot === "undefined") {
      $("charts-missing").hidden = false;
      return;
    }
    start();
    tick();
  });
})();
