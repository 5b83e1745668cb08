"""The pages: session list and detail, errors by reason, and the live pipeline panel."""

from __future__ import annotations

import base64
import binascii
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote_to_bytes

import orjson
from aiohttp import web

from base.web import SETTINGS
from kafka_edge.lag import LAG, LagUnavailable
from pages import assets
from pages.auth import protected
from pages.html import SECURITY_HEADERS, attr, esc, page, url, when
from pages.sampler import HISTORY
from store import pages as q
from store.db import POOL

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
TIMELINE_MAX = 1000  # events drawn on a session's page
LATEST_PER_REASON = 3
REJECTED_WINDOW = 30.0  # seconds over which the live panel's rejection rate is counted
WINDOWS = {"1h": timedelta(hours=1), "24h": timedelta(days=1), "7d": timedelta(days=7),
           "30d": timedelta(days=30), "all": None}


def bad_request(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=message)


def clean(text: str, name: str) -> str:
    """`text` if it holds no control characters (NUL above all, which PostgreSQL refuses in
    text, so the query would fail with a 500) nor undecodable bytes."""
    if any(c < " " or c == "\x7f" or c == "\ufffd" or "\ud800" <= c <= "\udfff" for c in text):
        raise bad_request(f"{name}: control characters or bytes that are not UTF-8")
    return text


def _session_id(request: web.Request) -> str:
    # From the raw path: the router leaves a percent sequence that is not UTF-8 (%FF) as it
    # came, which would name a session of that literal text.
    raw = request.raw_path.partition("?")[0].rsplit("/", 1)[-1]
    try:
        text = unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request("session id: bytes that are not UTF-8") from None
    return clean(text, "session id")


def parse_time(text: str | None, name: str) -> datetime | None:
    """A form's datetime-local (read as UTC) or an ISO 8601 instant."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise bad_request(f"{name}: not a date and time: {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def encode_cursor(first_seen: datetime, session_id: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([first_seen.isoformat(), session_id])).decode()


def decode_cursor(text: str | None) -> tuple[datetime, str] | None:
    if not text:
        return None
    try:
        stamp, sid = orjson.loads(base64.urlsafe_b64decode(text.encode()))
        when_, sid = datetime.fromisoformat(stamp), str(sid)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise bad_request(f"before: not a cursor of this list ({exc})") from None
    return when_, clean(sid, "before")


def _int(text: str | None, name: str, default: int | None, lo: int = 1,
         hi: int = 2**62) -> int | None:
    if not text:
        return default
    try:
        return min(max(int(text), lo), hi)
    except ValueError:
        raise bad_request(f"{name}: not a number: {text!r}") from None


# ---- Sessions ------------------------------------------------------------------------------


@protected
async def session_list(request: web.Request) -> web.Response:
    pool, query = request.app[POOL], request.query
    since, until = parse_time(query.get("from"), "from"), parse_time(query.get("to"), "to")
    app_id = _int(query.get("app"), "app", None)
    size = _int(query.get("size"), "size", PAGE_SIZE, hi=MAX_PAGE_SIZE)
    assert size is not None
    before = decode_cursor(query.get("before"))
    rows = await q.sessions(pool, application_id=app_id, since=since, until=until, before=before,
                            limit=size + 1)
    more, rows = len(rows) > size, rows[:size]
    apps = await q.applications(pool)

    options = ['<option value="">all applications</option>'] + [
        f'<option value={attr(a["id"])}{" selected" if a["id"] == app_id else ""}>'
        f'{esc(a["name"])}{" (revoked)" if a["revoked_at"] else ""}</option>' for a in apps]
    local = "%Y-%m-%dT%H:%M"
    form = f"""<form class="filters" method="get" action="/ui/sessions">
  <label>First seen from (UTC) <input type="datetime-local" name="from"
    value={attr(since.astimezone(UTC).strftime(local) if since else "")}></label>
  <label>to <input type="datetime-local" name="to"
    value={attr(until.astimezone(UTC).strftime(local) if until else "")}></label>
  <label>Application <select name="app">{"".join(options)}</select></label>
  <input type="hidden" name="size" value={attr(size)}>
  <button type="submit">Filter</button>
</form>"""
    if not rows:
        table = '<p class="empty">No sessions match.</p>'
    else:
        body_rows = "".join(_session_row(r) for r in rows)
        table = f"""<table class="sessions">
<thead><tr><th>Session</th><th>Application</th><th>First seen (UTC)</th><th>Duration</th>
<th>Events</th><th>Page views</th><th>Entry page</th><th>Exit page</th><th>Bounce</th></tr></thead>
<tbody>{body_rows}</tbody></table>"""
    filters = {"from": query.get("from"), "to": query.get("to"), "app": query.get("app"),
               "size": query.get("size")}
    links = []
    if before is not None:
        links.append(f'<a href={attr(url("/ui/sessions", **filters))}>Newest</a>')
    if more:
        cursor = encode_cursor(rows[-1]["first_seen"], rows[-1]["session_id"])
        older = url("/ui/sessions", **filters, before=cursor)
        links.append(f'<a rel="next" href={attr(older)}>Older sessions →</a>')
    nav = f'<nav class="pager">{" ".join(links)}</nav>' if links else ""
    return page("Sessions", form + table + nav, current="sessions")


def _session_row(r: dict[str, Any]) -> str:
    link = "/ui/sessions/" + _path(r["session_id"])
    return f"""<tr>
  <td><a class="session" href={attr(link)}>{esc(r["session_id"])}</a></td>
  <td>{esc(r["application"] or r["application_id"] or "")}</td>
  <td class="time">{when(r["first_seen"])}</td>
  <td class="num">{r["duration_seconds"]:.1f}&nbsp;s</td>
  <td class="num">{r["event_count"]}</td><td class="num">{r["pageviews"]}</td>
  <td>{esc(r["entry_page"])}</td><td>{esc(r["exit_page"])}</td>
  <td>{"yes" if r["bounce"] else "no"}</td></tr>"""


def _path(session_id: str) -> str:
    from urllib.parse import quote

    return quote(session_id, safe="")


def _summary(event: dict[str, Any]) -> str:
    data = event["data"] if isinstance(event["data"], dict) else {}
    parts = [str(data[k]) for k in ("host", "path", "element", "form", "url") if
             isinstance(data.get(k), (str, int, float))]
    return " ".join(parts)


@protected
async def session_detail(request: web.Request) -> web.Response:
    pool, sid = request.app[POOL], _session_id(request)
    session = await q.session(pool, sid)
    events = await q.session_events(pool, sid, TIMELINE_MAX)
    if session is None and not events:
        return page("No such session", f'<p class="empty">No session {esc(sid)} is stored.</p>'
                    '<p><a href="/ui/sessions">All sessions</a></p>', status=404,
                    current="sessions")
    facts = ""
    if session is not None:
        facts = f"""<dl class="facts">
<dt>Application</dt><dd>{esc(session["application"] or session["application_id"] or "")}</dd>
<dt>First seen</dt><dd class="time">{when(session["first_seen"])}</dd>
<dt>Last seen</dt><dd class="time">{when(session["last_seen"])}</dd>
<dt>Duration</dt><dd>{session["duration_seconds"]:.1f} s</dd>
<dt>Events</dt><dd>{session["event_count"]}</dd>
<dt>Page views</dt><dd>{session["pageviews"]}</dd>
<dt>Entry page</dt><dd>{esc(session["entry_page"])}</dd>
<dt>Exit page</dt><dd>{esc(session["exit_page"])}</dd>
<dt>Bounce</dt><dd>{"yes" if session["bounce"] else "no"}</dd></dl>"""
    items = "".join(_timeline_item(e, events[0]["timestamp"]) for e in events)
    cut = ""
    if session is not None and session["event_count"] > len(events) == TIMELINE_MAX:
        cut = f'<p class="hint">The first {TIMELINE_MAX} of {session["event_count"]} events.</p>'
    chart = ('<figure class="chart" id="session-timeline"><figcaption>Events along time '
             '(UTC), one row per type</figcaption></figure>'
             f'<script type="application/json" id="timeline-data">{_timeline_json(events)}'
             '</script>') if events else ""
    body = (f'<p class="session-id"><code>{esc(sid)}</code> · '
            f'<a href="/ui/sessions">All sessions</a></p>{facts}'
            f'<h2>Timeline</h2>{cut}{chart}<ol class="timeline">{items}</ol>')
    return page("Session", body, current="sessions",
                head=assets.HEAD + '\n<script src="/ui/static/session.js" defer></script>')


def _timeline_json(events: list[dict[str, Any]]) -> str:
    """The events for the chart, as JSON safe inside a <script> element: a data block, which
    the Content-Security-Policy lets through since it is never run."""
    data = [{"t": e["timestamp"].timestamp(), "type": f'{e["category"]} / {e["name"]}',
             "summary": _summary(e)} for e in events]
    text = orjson.dumps(data).decode()
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _timeline_item(e: dict[str, Any], start: datetime) -> str:
    data = orjson.dumps(e["data"], option=orjson.OPT_INDENT_2).decode()
    return f"""<li class="event">
  <span class="time">{when(e["timestamp"])}</span>
  <span class="delta">+{(e["timestamp"] - start).total_seconds():.3f} s</span>
  <span class="kind"><span class="category">{esc(e["category"])}</span> /
    <strong>{esc(e["name"])}</strong></span>
  <span class="summary">{esc(_summary(e))}</span>
  <details><summary>data</summary><pre>{esc(data)}</pre>
  <p class="meta">partition {e["kafka_partition"]} offset {e["kafka_offset"]} ·
  received {when(e["received_at"])} · stored {when(e["stored_at"])}</p></details>
</li>"""


# ---- Errors --------------------------------------------------------------------------------


@protected
async def errors(request: web.Request) -> web.Response:
    pool = request.app[POOL]
    window = request.query.get("window", "24h")
    if window not in WINDOWS:
        raise bad_request(f"window: one of {', '.join(WINDOWS)}")
    span = WINDOWS[window]
    since = datetime.now(UTC) - span if span is not None else None
    app_id = _int(request.query.get("app"), "app", None)
    session = request.query.get("session", "").strip() or None
    counts = await q.error_counts(pool, since, app_id, session)
    latest = await q.latest_errors(pool, [c["reason"] for c in counts], since, LATEST_PER_REASON,
                                   app_id, session)
    apps = await q.applications(pool)
    options = "".join(f'<option value="{w}"{" selected" if w == window else ""}>'
                      f'{"all time" if w == "all" else "last " + w}</option>' for w in WINDOWS)
    app_options = ['<option value="">all applications</option>'] + [
        f'<option value={attr(a["id"])}{" selected" if a["id"] == app_id else ""}>'
        f'{esc(a["name"])}{" (revoked)" if a["revoked_at"] else ""}</option>' for a in apps]
    form = f"""<form class="filters" method="get" action="/ui/errors">
  <label>Rejected in <select name="window">{options}</select></label>
  <label>Application <select name="app">{"".join(app_options)}</select></label>
  <label>Session <input type="search" name="session" value={attr(session or "")}
    placeholder="any session"></label>
  <button type="submit">Show</button></form>"""
    if not counts:
        return page("Errors by reason", form + '<p class="empty">No rejected messages.</p>',
                    current="errors")
    total = sum(c["count"] for c in counts)
    rows = "".join(f"""<tr><td><a href="#{esc(c["reason"])}">{esc(c["reason"])}</a></td>
<td class="num">{c["count"]}</td><td class="time">{when(c["latest"])}</td></tr>"""
                   for c in counts)
    table = f"""<table class="reasons"><thead><tr><th>Reason</th><th class="num">Messages</th>
<th>Latest (UTC)</th></tr></thead><tbody>{rows}</tbody>
<tfoot><tr><th>total</th><td class="num">{total}</td><td></td></tr></tfoot></table>"""
    sections = []
    for c in counts:
        mine = [e for e in latest if e["reason"] == c["reason"]]
        items = "".join(f"""<li class="rejection">
  <p><span class="time">{when(e["received_at"])}</span> ·
  <code>{esc(e["topic"])}[{e["partition"]}] offset={e["offset"]}</code></p>
  <p class="detail">{esc(e["detail"])}</p>
  <pre class="payload">{esc(_payload(e["payload_head"], e["payload_bytes"]))}</pre></li>"""
                        for e in mine)
        sections.append(f'<section class="reason" id={attr(c["reason"])}>'
                        f'<h2>{esc(c["reason"])} <small>{c["count"]}</small></h2>'
                        f'<ol class="latest">{items}</ol></section>')
    return page("Errors by reason", form + table + "".join(sections), current="errors")


def _payload(head: bytes | None, size: int | None) -> str:
    if head is None:
        return "(no payload)"
    text = bytes(head).decode("utf-8", errors="replace")
    return text + (f" … ({size} bytes)" if size and size > len(head) else "")


# ---- Live pipeline -------------------------------------------------------------------------


@protected
async def live(request: web.Request) -> web.Response:
    span = _span(request.app[SETTINGS].live_history)
    body = f"""<section class="live" id="live" aria-live="polite">
<p class="status" id="live-status">Measuring…</p>
<div class="tiles">
  <div class="tile"><span class="label">Lag</span><span class="value" id="lag-total">–</span>
    <span class="unit">records</span></div>
  <div class="tile"><span class="label">Oldest unstored</span>
    <span class="value" id="lag-seconds">–</span><span class="unit">seconds</span></div>
  <div class="tile"><span class="label">In</span><span class="value" id="rate-in">–</span>
    <span class="unit">records/s</span></div>
  <div class="tile"><span class="label">Stored</span><span class="value" id="rate-stored">–</span>
    <span class="unit">events/s</span></div>
  <div class="tile"><span class="label">Rejected</span>
    <span class="value" id="rate-rejected">–</span><span class="unit">messages/s</span></div>
</div>
<div class="charts">
  <figure class="chart" id="chart-lag"><figcaption>Lag, last {span}</figcaption></figure>
  <figure class="chart" id="chart-rates"><figcaption>Records per second, last {span}
    </figcaption></figure>
</div>
<p class="hint" id="charts-missing" hidden>The charts' library is not installed on this server
(scripts/ui-assets.sh).</p>
<table class="partitions"><thead><tr><th>Partition</th><th>Committed</th><th>End</th>
<th>Lag</th><th>Lag seconds</th><th></th></tr></thead><tbody id="partitions"></tbody></table>
<p class="hint">Lag is measured from the broker (log end minus the worker group's committed
offset), so it is right while the worker is down. Rates are over the last 30 seconds; stored
is records committed minus rejections. Refreshes every 2 seconds. The charts are sampled by
this server every few seconds (EYE_LIVE_SAMPLE_INTERVAL) and start when it does.</p>
</section>"""
    return page("Live pipeline", body, current="live",
                head=assets.HEAD + '\n<script src="/ui/static/live.js" defer></script>'
                '\n<script src="/ui/static/live-charts.js" defer></script>')


def _span(seconds: float) -> str:
    return f"{seconds / 60:g} minutes" if seconds >= 120 else f"{seconds:g} seconds"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


@protected
async def live_json(request: web.Request) -> web.Response:
    monitor = request.app[LAG]
    try:
        lag = await monitor.current()
    except LagUnavailable as exc:
        return web.json_response({"ok": False, "error": str(exc)}, headers=SECURITY_HEADERS)
    rates = monitor.rates()
    rejected = await q.rejected_recently(request.app[POOL], REJECTED_WINDOW) / REJECTED_WINDOW
    stored = None if rates.consumed is None else max(rates.consumed - rejected, 0.0)
    body = {
        "ok": True, "group": lag.group, "topic": lag.topic,
        "measured_at": datetime.fromtimestamp(lag.measured_at, UTC).isoformat(),
        "lag": lag.total, "lag_seconds": round(lag.max_seconds, 3),
        "rates": {"in": _round(rates.produced), "processed": _round(rates.consumed),
                  "stored": _round(stored), "rejected": round(rejected, 2)},
        "partitions": [{"partition": p.partition, "committed": p.committed, "end": p.high,
                        "lag": p.lag, "lag_seconds": round(p.lag_seconds(lag.measured_at), 3)}
                       for p in lag.partitions],
    }
    return web.json_response(body, headers=SECURITY_HEADERS)


@protected
async def live_history(request: web.Request) -> web.Response:
    """The charts' samples: one list per column (at, lag, lag_seconds, received, stored,
    rejected), oldest first; null where the broker or database did not answer."""
    settings = request.app[SETTINGS]
    body = {"interval": settings.live_sample_interval, "span": settings.live_history,
            "columns": request.app[HISTORY].columns(time.time())}
    return web.json_response(body, headers=SECURITY_HEADERS)
