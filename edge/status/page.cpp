#include "edge/status/page.h"

namespace gridsight::edge::status {
namespace {

// Shared look: system fonts, a light palette, readable on a phone in sunlight.
constexpr std::string_view kStyle = R"css(
:root{--bg:#f4f6f8;--card:#fff;--ink:#1d2630;--mute:#66727f;--line:#e1e6eb;--ok:#1a7f45;
--okbg:#e3f4ea;--warn:#9a6200;--warnbg:#fdf1dc;--bad:#b42318;--badbg:#fde7e5;--accent:#1f5fa8}
*{box-sizing:border-box}
body{margin:0;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
background:var(--bg);color:var(--ink)}
header{background:#17212b;color:#fff;padding:10px 16px;display:flex;flex-wrap:wrap;
align-items:center;gap:8px 16px}
header h1{font-size:16px;margin:0;font-weight:600;letter-spacing:.2px}
header .meta{color:#aeb9c4;font-size:12px}
header .spacer{flex:1}
button{font:inherit;border:1px solid var(--line);background:#fff;color:var(--ink);
border-radius:6px;padding:6px 12px;cursor:pointer}
header button{background:transparent;color:#dfe6ec;border-color:#3a4753}
main{padding:16px;max-width:1280px;margin:0 auto}
h2{font-size:13px;text-transform:uppercase;letter-spacing:.6px;color:var(--mute);
margin:20px 0 8px;font-weight:600}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:12px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;overflow:hidden}
.tile .frame{position:relative;aspect-ratio:16/9;background:#1b232b;display:flex;
align-items:center;justify-content:center;color:#8795a3;font-size:12px}
.tile .frame img{position:absolute;inset:0;width:100%;height:100%;object-fit:contain}
.tile .body{padding:10px 12px}
.row{display:flex;align-items:center;justify-content:space-between;gap:8px}
.name{font-weight:600;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.badge{display:inline-block;font-size:12px;font-weight:600;padding:2px 8px;border-radius:999px;
white-space:nowrap}
.ok{color:var(--ok);background:var(--okbg)}.warn{color:var(--warn);background:var(--warnbg)}
.bad{color:var(--bad);background:var(--badbg)}
dl{display:grid;grid-template-columns:auto 1fr;gap:2px 12px;margin:8px 0 0;font-size:13px}
dt{color:var(--mute)}dd{margin:0;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
.error{margin-top:8px;font-size:12px;color:var(--bad);background:var(--badbg);
border-radius:6px;padding:6px 8px;overflow-wrap:anywhere}
.panels{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:12px}
.panel{padding:10px 12px}.panel h3{margin:0;font-size:14px}
.bar{height:6px;background:var(--line);border-radius:3px;margin-top:4px;overflow:hidden}
.bar>span{display:block;height:100%;background:var(--accent)}
.events{display:flex;flex-direction:column}
.event{display:flex;gap:10px;padding:8px 12px;border-top:1px solid var(--line);align-items:center}
.event:first-child{border-top:0}
.event img,.event .noimg{width:96px;height:54px;object-fit:cover;border-radius:4px;
background:#1b232b;flex:none}
.event .t{font-weight:600}.event .s{color:var(--mute);font-size:12px}
.empty{padding:12px;color:var(--mute)}
#banner{display:none;margin:0 0 12px;padding:8px 12px;border-radius:6px}
footer{color:var(--mute);font-size:12px;padding:8px 16px 24px;text-align:center}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
)css";

constexpr std::string_view kStatusBody = R"html(
<header>
  <h1 id="device">gridsight edge</h1>
  <span class="meta" id="meta"></span>
  <span class="spacer"></span>
  <span class="badge" id="mqtt">MQTT …</span>
  <a href="/zones" style="color:#dfe6ec">Zones</a>
  <button id="logout" type="button">Log out</button>
</header>
<main>
  <div id="banner"></div>
  <h2>Cameras</h2>
  <section class="grid" id="cameras"><div class="empty">Loading…</div></section>
  <h2>Box</h2>
  <section class="panels" id="panels"></section>
  <h2>Recent events</h2>
  <section class="card events" id="events"><div class="empty">Loading…</div></section>
</main>
<footer id="footer"></footer>
<script>
"use strict";
const REFRESH_MS = 3000;
const $ = (id) => document.getElementById(id);
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}
function num(v, d) { return typeof v === "number" && isFinite(v) ? v.toFixed(d) : "—"; }
function bytes(v) {
  if (typeof v !== "number") return "—";
  const u = ["B", "KiB", "MiB", "GiB", "TiB"]; let i = 0;
  while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
  return v.toFixed(i ? 1 : 0) + " " + u[i];
}
function dur(s) {
  if (typeof s !== "number" || s < 0) return "—";
  s = Math.floor(s);
  const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
  if (d) return d + "d " + h + "h"; if (h) return h + "h " + m + "m";
  if (m) return m + "m " + (s % 60) + "s"; return s + "s";
}
function shortSum(h) { return h ? h.slice(0, 23) + "…" : "embedded defaults"; }
function when(ms) { return ms ? new Date(ms).toLocaleString() : "—"; }
function confirmedAt(c) {  // when the aggregator confirmed an event; "never" before the first
  return c ? when(c.confirmed_ms) + " · seq " + c.seq + " · " + c.camera_id : "never";
}
function stateClass(s) {
  if (s === "streaming") return "ok";
  if (s === "connecting" || s === "no_video") return "warn";
  return "bad";
}
function dl(pairs) {
  const d = el("dl");
  for (const [k, v] of pairs) { d.append(el("dt", "", k), el("dd", "", v)); }
  return d;
}
function bar(fraction) {
  const b = el("div", "bar"), s = el("span");
  s.style.width = Math.max(0, Math.min(100, fraction * 100)).toFixed(0) + "%";
  if (fraction > 0.9) s.style.background = "var(--bad)";
  b.append(s); return b;
}
async function getJson(url) {
  const r = await fetch(url, {cache: "no-store", credentials: "same-origin"});
  if (r.status === 401) { location.href = "/login"; throw new Error("login needed"); }
  if (!r.ok) throw new Error(url + ": HTTP " + r.status);
  return r.json();
}
const tiles = new Map();
function tileFor(id) {
  let t = tiles.get(id);
  if (t) return t;
  const root = el("article", "card tile"); root.dataset.camera = id;
  const frame = el("div", "frame"); const ph = el("span", "", "No frame yet");
  const img = new Image(); img.alt = "Latest frame of " + id; img.hidden = true;
  frame.append(ph, img);
  const body = el("div", "body"); const head = el("div", "row");
  const name = el("span", "name", id); const state = el("span", "badge state");
  head.append(name, state);
  const details = el("div"); const err = el("div", "error"); err.hidden = true;
  body.append(head, details, err); root.append(frame, body);
  t = {root, img, ph, state, details, err, loading: false};
  tiles.set(id, t); return t;
}
function refreshFrame(t, id) {
  if (t.loading) return;
  t.loading = true;
  const next = new Image();
  next.onload = () => { t.img.src = next.src; t.img.hidden = false; t.ph.hidden = true; t.loading = false; };
  next.onerror = () => { t.loading = false; };
  next.src = "/api/v1/cameras/" + encodeURIComponent(id) + "/frame.jpg?t=" + Date.now();
}
function renderCameras(s) {
  const box = $("cameras"); const cams = Array.isArray(s.cameras) ? s.cameras : [];
  const seen = new Set();
  if (!cams.length) { box.replaceChildren(el("div", "empty", "No cameras configured.")); tiles.clear(); return; }
  const order = [];
  for (const c of cams) {
    const t = tileFor(c.id); seen.add(c.id); order.push(t.root);
    const st = c.state || "unknown";
    t.state.textContent = st; t.state.className = "badge state " + stateClass(st);
    const since = c.state_since_ms ? dur((s.at_ms - c.state_since_ms) / 1000) : null;
    const fps = num(c.input_fps, 1) + " / " + num(c.decoded_fps, 1) + " / " + num(c.analysed_fps, 1);
    const rows = [["fps in / dec / ana", fps]];
    if (since) rows.push(["In this state", since]);
    const stream = [c.codec && c.codec !== c.decoder ? c.codec : "", c.width ? c.width + "×" + c.height : ""].filter(Boolean).join(", ");
    rows.push(["Decoder", (c.decoder || "—") + (stream ? " · " + stream : "")]);
    rows.push(["Reconnects", c.reconnects ?? "—"]);
    rows.push(["Decode errors / dropped", (c.decode_errors ?? "—") + " / " + (c.dropped ?? "—")]);
    if (Array.isArray(c.open_incidents) && c.open_incidents.length) rows.push(["Open incidents", c.open_incidents.join(", ")]);
    t.details.replaceChildren(dl(rows));
    t.err.hidden = !c.last_error; t.err.textContent = c.last_error ? "Last error: " + c.last_error : "";
    if (c.state !== "no_video") refreshFrame(t, c.id);
  }
  for (const id of [...tiles.keys()]) if (!seen.has(id)) tiles.delete(id);
  box.replaceChildren(...order);
}
function panel(title, badge, rows, extra) {
  const p = el("div", "card panel"); const h = el("div", "row");
  h.append(el("h3", "", title));
  if (badge) h.append(el("span", "badge " + badge[1], badge[0]));
  p.append(h, dl(rows)); if (extra) p.append(extra); return p;
}
function renderPanels(s) {
  const o = s.outbox || {}, u = s.uplink || s.mqtt || {}, d = s.disk || {}, y = s.system || {};
  const clk = s.clock || {synced: s.clock_synced};
  const age = o.oldest_pending_age_ms ?? (o.oldest_pending_ms && s.at_ms ? s.at_ms - o.oldest_pending_ms : null);
  const out = [];
  out.push(panel("Outbox", o.pending ? [o.pending + " pending", age > 60000 ? "bad" : "warn"] : ["empty", "ok"], [
    ["Pending events", o.pending ?? "—"],
    ["Oldest unconfirmed", age == null ? "—" : dur(age / 1000)],
    ["Confirmed (total)", o.confirmed_total ?? "—"],
    ["First confirmed", confirmedAt(o.first_confirmed)],
    ["Latest confirmed", confirmedAt(o.latest_confirmed)],
    ["Evicted / dead-lettered", (o.evicted_total ?? "—") + " / " + (o.dead_lettered_total ?? "—")],
    ["Evidence pending", (o.evidence_pending ?? "—") + " (" + bytes(o.evidence_bytes) + ")"]]));
  out.push(panel("MQTT uplink", u.connected ? ["connected", "ok"] : ["disconnected", "bad"], [
    ["Unconfirmed", u.unconfirmed ?? "—"], ["Published / resent", (u.published_total ?? "—") + " / " + (u.resent_total ?? "—")],
    ["Refused by broker", u.refused_total ?? "—"], ["Last error", u.last_error || "—"]]));
  const used = typeof d.used_fraction === "number" ? d.used_fraction : null;
  out.push(panel("Disk", used == null ? null : used > 0.9 ? [num(used * 100, 0) + "% used", "bad"] : [num(used * 100, 0) + "% used", "ok"], [
    ["Path", d.path || "—"], ["Free", bytes(d.available_bytes) + " of " + bytes(d.total_bytes)]],
    used == null ? null : bar(used)));
  const memUsed = y.mem_total_bytes ? 1 - y.mem_available_bytes / y.mem_total_bytes : null;
  const temp = typeof y.temperature_c === "number" ? y.temperature_c : null;
  out.push(panel("CPU, memory, temperature", temp == null ? null : [num(temp, 1) + " °C", temp > 80 ? "bad" : temp > 70 ? "warn" : "ok"], [
    ["Load (1/5/15 min)", num(y.load1, 2) + " / " + num(y.load5, 2) + " / " + num(y.load15, 2) + (y.cpus ? " on " + y.cpus + " CPUs" : "")],
    ["Memory used", memUsed == null ? "—" : num(memUsed * 100, 0) + "% of " + bytes(y.mem_total_bytes)],
    ["This process", bytes(y.rss_bytes)], ["Temperature", temp == null ? "no sensor" : num(temp, 1) + " °C"]],
    memUsed == null ? null : bar(memUsed)));
  out.push(panel("Clock", clk.synced ? ["synchronised", "ok"] : ["not synchronised", "bad"], [
    ["Box time", when(s.at_ms)], ["Max error", typeof clk.maxerror_us === "number" ? num(clk.maxerror_us / 1000, 1) + " ms" : "—"]]));
  out.push(panel("Software", null, [
    ["Version", s.version || "—"], ["Uptime", dur(s.uptime_s)], ["Started", when(s.started_ms)],
    ["Config checksum", shortSum((s.config && s.config.sha256) || s.config_sha256)]]));
  $("panels").replaceChildren(...out);
  const m = $("mqtt"); m.textContent = u.connected ? "MQTT connected" : "MQTT disconnected";
  m.className = "badge " + (u.connected ? "ok" : "bad");
  $("device").textContent = s.device_id || "gridsight edge";
  $("meta").textContent = "gridsight " + (s.version || "") + " · up " + dur(s.uptime_s);
}
function renderEvents(list) {
  const box = $("events"); const ev = Array.isArray(list.events) ? list.events : [];
  if (!ev.length) { box.replaceChildren(el("div", "empty", "No recent events.")); return; }
  box.replaceChildren(...ev.map((e) => {
    const r = el("div", "event");
    if (e.snapshot) { const i = new Image(); i.loading = "lazy"; i.alt = "Snapshot"; i.src = e.snapshot; r.append(i); }
    else r.append(el("div", "noimg"));
    const t = el("div"); t.append(el("div", "t", e.type + (e.zone ? " · " + e.zone : "")),
      el("div", "s", e.camera_id + " · " + when(e.start_ms) + " · #" + e.seq));
    r.append(t); return r;
  }));
}
async function refresh() {
  try {
    const [s, ev] = await Promise.all([getJson("/api/v1/status"), getJson("/api/v1/events?limit=10")]);
    renderCameras(s); renderPanels(s); renderEvents(ev);
    $("banner").style.display = "none";
    $("footer").textContent = "Updated " + new Date().toLocaleTimeString() + " · refreshes every " + REFRESH_MS / 1000 + " s";
    document.body.dataset.ready = "1";
  } catch (e) {
    const b = $("banner"); b.className = "bad"; b.style.display = "block";
    b.textContent = "Cannot reach the box: " + e.message;
  }
}
$("logout").onclick = async () => {
  await fetch("/api/v1/logout", {method: "POST", credentials: "same-origin"});
  location.href = "/login";
};
refresh();
setInterval(refresh, REFRESH_MS);
</script>
)html";

constexpr std::string_view kLoginBody = R"html(
<main style="max-width:360px;margin:12vh auto;padding:0 16px">
  <form class="card panel" id="form" style="padding:20px">
    <h1 style="font-size:18px;margin:0 0 4px">gridsight edge</h1>
    <p style="color:var(--mute);margin:0 0 16px">Status page — maintainer login</p>
    <label for="password" style="display:block;margin-bottom:4px">Password</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required
      style="width:100%;font:inherit;padding:8px;border:1px solid var(--line);border-radius:6px">
    <button type="submit" style="margin-top:12px;width:100%;background:var(--accent);color:#fff;border:0;padding:9px">Log in</button>
    <div id="msg" class="error" hidden></div>
  </form>
</main>
<script>
"use strict";
document.getElementById("form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const msg = document.getElementById("msg"); msg.hidden = true;
  const r = await fetch("/api/v1/login", {method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({password: document.getElementById("password").value})});
  if (r.ok) { location.href = "/"; return; }
  let reason = "HTTP " + r.status;
  try { reason = (await r.json()).reason || reason; } catch (e) {}
  if (r.status === 429) reason = "Too many failed attempts. Try again in " + (r.headers.get("Retry-After") || "a few") + " s.";
  else if (r.status === 401) reason = "Wrong password.";
  msg.textContent = reason; msg.hidden = false;
});
</script>
)html";

std::string document(std::string_view title, std::string_view body) {
  std::string out;
  out.reserve(kStyle.size() + body.size() + 512);
  out += "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
  out += "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">";
  out += "<title>";
  out += title;
  out += "</title><style>";
  out += kStyle;
  out += "</style></head><body>";
  out += body;
  out += "</body></html>\n";
  return out;
}

std::string escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

std::string_view status_page_html() {
  static const std::string page = document("gridsight edge — status", kStatusBody);
  return page;
}

std::string_view login_page_html() {
  static const std::string page = document("gridsight edge — log in", kLoginBody);
  return page;
}

std::string closed_page_html(std::string_view reason) {
  return document("gridsight edge — status page closed",
                  "<main style=\"max-width:560px;margin:12vh auto;padding:0 16px\">"
                  "<div class=\"card panel\" style=\"padding:20px\"><h1 style=\"font-size:18px;"
                  "margin:0 0 8px\">Status page closed</h1><p>" +
                      escape(reason) + "</p></div></main>");
}

}  // namespace gridsight::edge::status
