// The zone editor's page: one document, CSS and JS inline (the status page's CSP allows
// nothing else). Drawing happens on a canvas laid over the camera's latest frame;
// coordinates are normalised to the frame (0..1, origin top-left) as the configuration wants.
#include "edge/status/zone_editor.h"

namespace gridsight::edge::status {
namespace {

constexpr std::string_view kPage = R"html(<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>gridsight edge — zones</title>
<style>
:root{--bg:#f4f6f8;--card:#fff;--ink:#1d2630;--mute:#66727f;--line:#e1e6eb;--ok:#1a7f45;
--okbg:#e3f4ea;--bad:#b42318;--badbg:#fde7e5;--accent:#1f5fa8}
*{box-sizing:border-box}
body{margin:0;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--ink)}
header{background:#17212b;color:#fff;padding:10px 16px;display:flex;gap:12px;align-items:center;flex-wrap:wrap}
header h1{font-size:16px;margin:0;font-weight:600}header a{color:#aeb9c4}
main{padding:16px;max-width:1280px;margin:0 auto;display:grid;grid-template-columns:minmax(0,2fr) minmax(280px,1fr);gap:16px}
@media (max-width:800px){main{grid-template-columns:1fr}}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 12px;margin-bottom:12px}
.stage{position:relative;background:#1b232b;min-height:120px}
.stage img{display:block;width:100%;height:auto}
.stage canvas{position:absolute;left:0;top:0;cursor:crosshair;touch-action:none}
.stage .none{color:#8795a3;padding:40px;text-align:center}
button,select,input{font:inherit;border:1px solid var(--line);border-radius:6px;padding:5px 8px;background:#fff;color:var(--ink)}
button{cursor:pointer}button.on{background:var(--accent);color:#fff;border-color:var(--accent)}
button.primary{background:var(--accent);color:#fff;border-color:var(--accent)}
.tools{display:flex;flex-wrap:wrap;gap:6px;margin:8px 0}
h2{font-size:13px;text-transform:uppercase;letter-spacing:.6px;color:var(--mute);margin:4px 0 8px}
fieldset{border:1px solid var(--line);border-radius:6px;margin:0 0 8px;padding:6px 8px}
legend{font-weight:600;font-size:12px;color:var(--mute)}
label{display:inline-flex;gap:4px;align-items:center;margin:2px 8px 2px 0;font-size:12px}
input[type=number]{width:90px}input.id{width:130px}
.unit{color:var(--mute)}
#msg{margin-top:8px;padding:6px 8px;border-radius:6px;display:none;white-space:pre-wrap}
#msg.ok{display:block;color:var(--ok);background:var(--okbg)}#msg.bad{display:block;color:var(--bad);background:var(--badbg)}
pre{background:#f0f3f6;border-radius:6px;padding:8px;overflow:auto;max-height:300px;font-size:12px}
.hint{color:var(--mute);font-size:12px}
</style></head><body>
<header><h1>Zones</h1><label style="color:#fff">Camera <select id="camera"></select></label>
<span class="hint" id="where"></span><span style="flex:1"></span><a href="/">Status page</a></header>
<main>
<section>
  <div class="card">
    <div class="tools">
      <button id="tool-zone" data-tool="zone">Draw zone</button>
      <button id="tool-mask" data-tool="mask">Draw mask</button>
      <button id="tool-line" data-tool="line">Draw line</button>
      <button id="finish">Finish shape</button>
      <button id="cancel">Cancel</button>
      <span class="hint" id="tool-hint">Pick a tool, then click on the picture: a zone or mask needs 3 or more points (Finish shape or double-click), a line 2.</span>
    </div>
    <div class="stage" id="stage"><img id="frame" alt="" hidden><canvas id="overlay"></canvas><div class="none" id="noframe">No frame yet</div></div>
  </div>
  <div class="card"><h2>Zones, masks and lines</h2><div id="items"></div></div>
</section>
<section>
  <div class="card"><h2>Rules</h2><div id="rules"></div><button id="add-rule">Add rule</button></div>
  <div class="card">
    <button id="preview">Preview (check)</button> <button id="save" class="primary">Save and apply</button>
    <div id="msg"></div>
    <pre id="yaml" hidden></pre>
  </div>
</section>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
let cameras = [], cam = null, det = {}, tool = null, draft = [];
const KINDS = {zone: "zones", mask: "masks", line: "lines"};
const r4 = (v) => Math.round(Math.min(1, Math.max(0, v)) * 10000) / 10000;
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "on") for (const [ev, f] of Object.entries(v)) e.addEventListener(ev, f);
    else if (k in e && k !== "list") e[k] = v; else e.setAttribute(k, v);
  }
  e.append(...kids); return e;
}
// Durations in the configuration ("1s", "500ms", "2m") shown and edited in seconds.
function seconds(v) {
  if (typeof v === "number") return v;
  const m = /^([0-9.]+)\s*(ms|s|m|h)?$/.exec(String(v || ""));
  if (!m) return "";
  return +m[1] * ({ms: 0.001, s: 1, m: 60, h: 3600}[m[2] || "s"]);
}
function list(name) { if (!Array.isArray(det[name])) det[name] = []; return det[name]; }
function nextId(prefix, arr) { let n = 1; while (arr.some((x) => x.id === prefix + "-" + n)) n++; return prefix + "-" + n; }
function pts(flat) { const p = []; for (let i = 0; i + 1 < flat.length; i += 2) p.push([flat[i], flat[i + 1]]); return p; }

function draw() {
  const c = $("overlay"), img = $("frame");
  c.width = img.clientWidth; c.height = img.clientHeight;
  const g = c.getContext("2d"), W = c.width, H = c.height;
  g.clearRect(0, 0, W, H); g.lineWidth = 2; g.font = "12px system-ui";
  const poly = (p, stroke, fill, label) => {
    if (!p.length) return;
    g.beginPath(); p.forEach(([x, y], i) => i ? g.lineTo(x * W, y * H) : g.moveTo(x * W, y * H)); g.closePath();
    g.fillStyle = fill; g.fill(); g.strokeStyle = stroke; g.stroke();
    g.fillStyle = "#fff"; g.fillText(label, p[0][0] * W + 4, p[0][1] * H + 14);
  };
  for (const z of list("zones")) poly(pts(z.polygon || []), "#2ecc71", "rgba(46,204,113,.25)", z.id);
  for (const m of list("masks")) poly(pts(m.polygon || []), "#95a5a6", "rgba(20,20,20,.55)", m.id);
  for (const l of list("lines")) {
    if (!l.from || !l.to) continue;
    g.strokeStyle = "#3498db"; g.beginPath(); g.moveTo(l.from[0] * W, l.from[1] * H); g.lineTo(l.to[0] * W, l.to[1] * H); g.stroke();
    g.fillStyle = "#fff"; g.fillText(l.id + (l.direction && l.direction !== "any" ? " (" + l.direction + ")" : ""), l.from[0] * W + 4, l.from[1] * H - 4);
  }
  if (draft.length) {
    g.strokeStyle = "#f1c40f"; g.fillStyle = "#f1c40f"; g.beginPath();
    draft.forEach(([x, y], i) => i ? g.lineTo(x * W, y * H) : g.moveTo(x * W, y * H)); g.stroke();
    for (const [x, y] of draft) { g.beginPath(); g.arc(x * W, y * H, 4, 0, 7); g.fill(); }
  }
}

function locationFields(item) {
  const loc = item.location || (item.location = Object.assign({}, cam.location || {lon: 0, lat: 0, crs: "WGS84"}));
  const num = (k) => el("input", {type: "number", step: "0.000001", value: loc[k] ?? "", className: "loc-" + k,
    on: {change: (e) => { loc[k] = parseFloat(e.target.value); }}});
  const crs = el("select", {className: "loc-crs", on: {change: (e) => { loc.crs = e.target.value; }}},
    ...["WGS84", "GCJ02", "CGCS2000"].map((v) => el("option", {value: v, selected: (loc.crs || "WGS84") === v}, v)));
  return [el("label", {}, "lon", num("lon"), el("span", {className: "unit"}, "°")),
          el("label", {}, "lat", num("lat"), el("span", {className: "unit"}, "°")), el("label", {}, "crs", crs)];
}
function renderItems() {
  const box = $("items"); box.replaceChildren();
  for (const [kind, name] of Object.entries(KINDS)) {
    list(name).forEach((item, i) => {
      const idInput = el("input", {className: "id", value: item.id || "", on: {change: (e) => { item.id = e.target.value.trim(); renderRules(); draw(); }}});
      const f = el("fieldset", {className: "item", "data-kind": kind},
        el("legend", {}, kind), el("label", {}, "id", idInput));
      if (kind !== "mask") f.append(el("div", {className: "hint"}, "watched location"), ...locationFields(item));
      if (kind === "line") {
        f.append(el("label", {}, "direction", el("select", {className: "direction", on: {change: (e) => { item.direction = e.target.value; draw(); }}},
          ...["any", "left_to_right", "right_to_left"].map((v) => el("option", {value: v, selected: (item.direction || "any") === v}, v)))));
      }
      f.append(el("button", {className: "remove", on: {click: () => { list(name).splice(i, 1); renderItems(); renderRules(); draw(); }}}, "Remove"));
      box.append(f);
    });
  }
  if (!box.children.length) box.append(el("div", {className: "hint"}, "Nothing drawn yet: the rules watch the whole frame."));
}
function renderRules() {
  const box = $("rules"); box.replaceChildren();
  list("rules").forEach((rule, i) => {
    const target = rule.detector === "line_crossing" ? "lines" : "zones";
    const choices = rule.detector === "tamper" ? [] : list(target).map((x) => x.id);
    const picked = new Set(rule[target] || []);
    const secs = (key, label, def) => el("label", {}, label, el("input", {type: "number", min: "0", step: "0.1", className: key,
      value: rule[key] === undefined ? "" : seconds(rule[key]), placeholder: def,
      on: {change: (e) => { if (e.target.value === "") delete rule[key]; else rule[key] = e.target.value + "s"; }}}), el("span", {className: "unit"}, "s"));
    const f = el("fieldset", {className: "rule"}, el("legend", {}, "rule"),
      el("label", {}, "id", el("input", {className: "id", value: rule.id || "", on: {change: (e) => { rule.id = e.target.value.trim(); }}})),
      el("label", {}, "detector", el("select", {className: "detector", on: {change: (e) => { rule.detector = e.target.value; delete rule.zones; delete rule.lines; renderRules(); }}},
        ...["motion", "line_crossing", "tamper"].map((v) => el("option", {value: v, selected: rule.detector === v}, v)))));
    if (choices.length) {
      f.append(el("div", {className: "hint"}, target + " (none ticked: all)"),
        ...choices.map((id) => el("label", {}, el("input", {type: "checkbox", className: "target", value: id, checked: picked.has(id),
          on: {change: (e) => { const s = new Set(rule[target] || []); e.target.checked ? s.add(id) : s.delete(id);
            if (s.size) rule[target] = [...s]; else delete rule[target]; }}}), id)));
    }
    f.append(el("br"), secs("min_duration", "lasts at least", rule.detector === "motion" ? "1" : "0"),
      secs("cooldown", "cooldown", rule.detector === "motion" ? "60" : "0"));
    if (rule.detector === "motion") {
      f.append(el("label", {}, "min area", el("input", {type: "number", min: "0", max: "100", step: "0.1", className: "min_area",
        value: rule.min_area === undefined ? "" : r4(rule.min_area) * 100, placeholder: "2",
        on: {change: (e) => { if (e.target.value === "") delete rule.min_area; else rule.min_area = r4(parseFloat(e.target.value) / 100); }}}),
        el("span", {className: "unit"}, "% of the zone")));
    }
    f.append(el("button", {className: "remove", on: {click: () => { list("rules").splice(i, 1); renderRules(); }}}, "Remove"));
    box.append(f);
  });
}

function setTool(t) {
  tool = t; draft = [];
  document.querySelectorAll("[data-tool]").forEach((b) => b.classList.toggle("on", b.dataset.tool === t));
  draw();
}
function finish() {
  if (!tool) return;
  const name = KINDS[tool];
  if (tool === "line") {
    if (draft.length < 2) return;
    list(name).push({id: nextId("line", list(name)), from: draft[0], to: draft[1], direction: "any", location: Object.assign({}, cam.location)});
  } else {
    if (draft.length < 3) return;
    const item = {id: nextId(tool, list(name)), polygon: draft.flat()};
    if (tool === "zone") item.location = Object.assign({}, cam.location);
    list(name).push(item);
  }
  setTool(null); renderItems(); renderRules(); draw();
}
$("overlay").addEventListener("click", (e) => {
  if (!tool) return;
  const c = e.currentTarget;
  draft.push([r4(e.offsetX / c.clientWidth), r4(e.offsetY / c.clientHeight)]);
  if (tool === "line" && draft.length === 2) finish(); else draw();
});
$("overlay").addEventListener("dblclick", (e) => { e.preventDefault(); finish(); });
document.querySelectorAll("[data-tool]").forEach((b) => b.addEventListener("click", () => setTool(tool === b.dataset.tool ? null : b.dataset.tool)));
$("finish").addEventListener("click", finish);
$("cancel").addEventListener("click", () => setTool(null));
$("add-rule").addEventListener("click", () => {
  list("rules").push({id: nextId("rule", list("rules")), detector: "motion"}); renderRules();
});

function show(ok, text) { const m = $("msg"); m.className = ok ? "ok" : "bad"; m.textContent = text; m.dataset.state = ok ? "ok" : "refused"; }
async function send(save) {
  setTool(null);
  const r = await fetch("/api/v1/zones/" + encodeURIComponent(cam.id) + (save ? "" : "/check"), {
    method: save ? "PUT" : "POST", credentials: "same-origin", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({detection: det})});
  let j = {}; try { j = await r.json(); } catch (e) {}
  $("yaml").hidden = !j.yaml; $("yaml").textContent = j.yaml ? "detection:\n" + j.yaml.replace(/^/gm, "  ") : "";
  if (!r.ok) { show(false, "Refused:\n" + ((j.problems || []).join("\n") || j.reason || "HTTP " + r.status)); return; }
  if (!save) { show(true, "The configuration check accepts it (not saved yet)."); return; }
  const rl = j.reload || {};
  show(true, "Saved to " + (j.file || "the configuration") + " and applied. Changed: " +
    [...(rl.reconfigured || []), ...(rl.restarted || []), ...(rl.started || [])].join(", ") +
    "; untouched: " + ((rl.unchanged || []).join(", ") || "none") + ".");
  $("msg").dataset.state = "saved";
}
$("preview").addEventListener("click", () => send(false));
$("save").addEventListener("click", () => send(true));

function refreshFrame() {
  if (!cam) return;
  const probe = new Image();
  probe.onload = () => { $("frame").src = probe.src; $("frame").hidden = false; $("noframe").hidden = true; };
  probe.src = "/api/v1/cameras/" + encodeURIComponent(cam.id) + "/frame.jpg?t=" + Date.now();
}
$("frame").addEventListener("load", draw);
window.addEventListener("resize", draw);
function pick(id) {
  cam = cameras.find((c) => c.id === id) || cameras[0];
  if (!cam) return;
  det = JSON.parse(JSON.stringify(cam.detection || {}));
  $("where").textContent = cam.location ? "looks at " + cam.location.lon + ", " + cam.location.lat + " (" + (cam.location.crs || "WGS84") + ")" : "";
  $("frame").hidden = true; $("noframe").hidden = false; $("msg").className = ""; $("yaml").hidden = true;
  setTool(null); renderItems(); renderRules(); refreshFrame();
}
$("camera").addEventListener("change", (e) => pick(e.target.value));
(async () => {
  const r = await fetch("/api/v1/zones", {credentials: "same-origin"});
  if (r.status === 401) { location.href = "/login"; return; }
  cameras = (await r.json()).cameras || [];
  $("camera").replaceChildren(...cameras.map((c) => el("option", {value: c.id}, c.name ? c.name + " (" + c.id + ")" : c.id)));
  pick(new URLSearchParams(location.search).get("camera") || (cameras[0] && cameras[0].id));
  setInterval(refreshFrame, 3000);
  document.body.dataset.ready = "1";
})();
</script>
</body></html>
)html";

}  // namespace

std::string_view zone_editor_html() {
  return kPage;
}

}  // namespace gridsight::edge::status
