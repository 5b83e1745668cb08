// The live pipeline panel: refresh lag and rates from /ui/live.json every 2 seconds.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const fmt = (v, digits) => (v === null || v === undefined) ? "–" : Number(v).toFixed(digits);

  function cell(row, text, cls) {
    const td = row.insertCell();
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  }

  function show(data) {
    const status = $("live-status");
    if (!data.ok) {
      status.textContent = "Broker not answering: " + data.error;
      status.className = "status down";
      return;
    }
    status.textContent = "Group " + data.group + " on " + data.topic + " · measured " +
      new Date(data.measured_at).toISOString().replace("T", " ").slice(0, 19) + " UTC";
    status.className = "status ok";
    $("lag-total").textContent = data.lag;
    $("lag-seconds").textContent = fmt(data.lag_seconds, 1);
    $("rate-in").textContent = fmt(data.rates.in, 1);
    $("rate-stored").textContent = fmt(data.rates.stored, 1);
    $("rate-rejected").textContent = fmt(data.rates.rejected, 2);
    const most = Math.max(1, ...data.partitions.map((p) => p.lag));
    const body = $("partitions");
    body.replaceChildren();
    for (const p of data.partitions) {
      const row = body.insertRow();
      row.dataset.partition = p.partition;
      cell(row, p.partition, "num");
      cell(row, p.committed === null ? "–" : p.committed, "num");
      cell(row, p.end, "num");
      cell(row, p.lag, "num lag");
      cell(row, fmt(p.lag_seconds, 1), "num");
      const bar = document.createElement("span");
      bar.className = "bar";
      bar.style.width = (100 * p.lag / most) + "px";
      cell(row, "").appendChild(bar);
    }
  }

  async function tick() {
    try {
      const response = await fetch("/ui/live.json", {credentials: "same-origin"});
      if (response.status === 401) { location.href = "/ui/login?next=/ui/live"; return; }
      show(await response.json());
    } catch (err) {
      $("live-status").textContent = "The Eye is not answering: " + err;
      $("live-status").className = "status down";
    }
    setTimeout(tick, 2000);
  }
  tick();
})();
