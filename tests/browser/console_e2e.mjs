// The dispatch console end to end, in headless Chromium against the real services: a
// mosquitto broker, the aggregator (grid engine on the example district, HTTP API with three
// users) and an edge whose camera plays OpenCV's real walkway footage. A person stepping onto
// the lawn raises an intrusion at the edge; the case appears live in the dispatcher's queue;
// the dispatcher confirms it (review) and dispatches it; the department user resolves it; the
// supervisor verifies and closes it; the indicators change; the case's H.264 clip plays.
// The console speaks Chinese by default (and the names render as glyphs, not as boxes),
// English on request; review works by keyboard; the map's counts are the API's; at phone
// width (360 px) no page scrolls sideways. Screenshots of every page (desktop and phone) go
// to $GRIDSIGHT_ARTIFACTS/console.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { launch, check } from './lib.mjs';

const BUILD = process.env.GRIDSIGHT_BUILD_DIR;
const SOURCE = process.env.GRIDSIGHT_SOURCE_DIR;
check(BUILD && SOURCE, 'GRIDSIGHT_BUILD_DIR and GRIDSIGHT_SOURCE_DIR are set (run through ctest)');
const ARTIFACTS = path.join(process.env.GRIDSIGHT_ARTIFACTS || path.join(BUILD, 'test-artifacts'), 'console');
fs.mkdirSync(ARTIFACTS, { recursive: true });
const VTEST = process.env.GRIDSIGHT_VTEST_AVI || '/usr/share/doc/opencv-doc/examples/data/vtest.avi';
const bin = {
  aggregator: path.join(BUILD, 'aggregator/daemon/gridsight-aggregator'),
  edge: path.join(BUILD, 'edge/daemon/gridsight-edge'),
  passwd: path.join(BUILD, 'tools/gridsight-passwd'),
  mosquitto: fs.existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto' : 'mosquitto',
};
// Waits bound a hang only; nothing here asserts on speed.
const LONG = 180_000;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gridsight-console-'));
const children = [];
let failed = true;

function stopAll() {
  for (const c of children.reverse()) {
    if (c.exitCode === null && c.signalCode === null) {
      try { process.kill(c.pid, 'SIGTERM'); } catch { /* gone */ }
    }
  }
}
process.on('exit', () => {
  for (const c of children) {
    try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
  }
  if (!failed && !process.env.GRIDSIGHT_KEEP_TEST_DIRS) fs.rmSync(dir, { recursive: true, force: true });
  else console.error(`console_e2e: logs and data kept in ${dir}`);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(1));

// Children die with this process even if it is killed (setpriv sets PR_SET_PDEATHSIG).
const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => fs.existsSync(p));
function start(name, argv) {
  const log = fs.openSync(path.join(dir, `${name}.log`), 'a');
  const [cmd, args] = setpriv ? [setpriv, ['--pdeathsig', 'KILL', '--', ...argv]] : [argv[0], argv.slice(1)];
  const child = spawn(cmd, args, { stdio: ['ignore', log, log] });
  child.name = name;
  children.push(child);
  return child;
}
const logOf = (name) => {
  try { return fs.readFileSync(path.join(dir, `${name}.log`), 'utf8').slice(-3000); } catch { return ''; }
};

async function waitFor(what, fn, timeout = LONG, watched = children) {
  const end = Date.now() + timeout;
  for (;;) {
    const dead = watched.find((c) => c.exitCode !== null || c.signalCode !== null);
    if (dead) throw new Error(`${dead.name} exited (${dead.exitCode ?? dead.signalCode}) while waiting for ${what}:\n${logOf(dead.name)}`);
    try {
      const v = await fn();
      if (v) return v;
    } catch { /* not yet */ }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
const accepts = (port) => new Promise((resolve) => {
  const sock = net.connect(port, '127.0.0.1');
  sock.on('connect', () => { sock.destroy(); resolve(true); });
  sock.on('error', () => resolve(false));
});

const hash = (password) => execFileSync(bin.passwd, [], { input: `${password}\n` }).toString().trim();

// ---- services --------------------------------------------------------------------------------

// Two cameras of the example district (config/grid/cameras.yaml), ~300 m apart: two cases.
const CAMERA_H264 = '11010500001320000001';
const CAMERA_H265 = '11010500001320000002';

const USERS = {
  dispatcher: { name: 'ana', password: 'dispatch-ana-2026', role: 'dispatcher' },
  department: { name: 'bo', password: 'security-bo-2026', role: 'department', department: 'public-security' },
  supervisor: { name: 'chen', password: 'supervise-chen-2026', role: 'supervisor' },
};

async function startServices() {
  for (const b of [bin.aggregator, bin.edge, bin.passwd]) check(fs.existsSync(b), `${b} is built`);
  const mqttPort = await freePort();
  fs.writeFileSync(path.join(dir, 'mosquitto.conf'), [
    `listener ${mqttPort} 127.0.0.1`, 'allow_anonymous true', 'persistence false',
    'log_dest stderr', 'log_type error', 'log_type warning', 'log_type notice',
    ...(process.getuid && process.getuid() === 0 ? ['user root'] : []), ''].join('\n'));
  const broker = start('mosquitto', [bin.mosquitto, '-c', path.join(dir, 'mosquitto.conf')]);
  await waitFor('the broker', () => accepts(mqttPort), LONG, [broker]);

  // The example district, with the intrusion class (L0102) reviewed by an operator and
  // dispatched by hand, so the console's review and dispatch steps have something to do.
  const grid = path.join(SOURCE, 'config/grid');
  const classes = fs.readFileSync(path.join(grid, 'classes.yaml'), 'utf8').replace(
    /(code: "L0102"[^}]*?)review: false\}/s, '$1review: true, auto_dispatch: false}');
  check(/code: "L0102"[^}]*review: true, auto_dispatch: false\}/s.test(classes), 'L0102 made reviewable');
  fs.writeFileSync(path.join(dir, 'classes.yaml'), classes);

  const apiPort = await freePort();
  const users = Object.values(USERS).map((u) => [
    `    - name: ${u.name}`, `      role: ${u.role}`,
    ...(u.department ? [`      department: ${u.department}`] : []),
    `      password_hash: "${hash(u.password)}"`]).flat();
  fs.writeFileSync(path.join(dir, 'aggregator.yaml'), [
    `data_dir: ${path.join(dir, 'aggregator')}`,
    'mqtt:', '  host: 127.0.0.1', '  allow_insecure: true', `  port: ${mqttPort}`,
    'cases:', '  enabled: true',
    `  grid_file: ${grid}/district-example.geojson`, `  cameras_file: ${grid}/cameras.yaml`,
    `  classes_file: ${path.join(dir, 'classes.yaml')}`, `  calendar_file: ${grid}/calendar-2026.yaml`,
    `  engine_file: ${grid}/engine.yaml`,
    'api:', '  enabled: true', '  bind: 127.0.0.1', `  port: ${apiPort}`, '  users:', ...users, ''].join('\n'));
  const aggregator = start('aggregator', [bin.aggregator, '--config', path.join(dir, 'aggregator.yaml')]);
  await waitFor('the aggregator API', async () => (await fetch(`http://127.0.0.1:${apiPort}/healthz`)).ok, LONG, [broker, aggregator]);

  // The part of the walkway footage where two people step onto the lawn, as H.264.
  const clip = path.join(dir, 'walkway.mp4');
  execFileSync('ffmpeg', ['-loglevel', 'error', '-nostdin', '-y', '-ss', '44', '-t', '16', '-i', VTEST,
    '-c:v', 'libx264', '-preset', 'veryfast', '-g', '20', '-pix_fmt', 'yuv420p', '-an', clip]);
  // A second camera sends the same footage as H.265 (what many cameras send): browsers cannot
  // play its clip, so the console offers it for download beside the snapshot.
  const clip265 = path.join(dir, 'walkway-h265.mp4');
  execFileSync('ffmpeg', ['-loglevel', 'error', '-nostdin', '-y', '-i', clip, '-vf', 'scale=640:480',
    '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error', '-tag:v', 'hvc1',
    '-pix_fmt', 'yuv420p', '-an', clip265]);
  const camera = (id, url, location) => [
    `  - id: "${id}"`,
    `    location: ${location}`,
    `    url: ${url}`,
    '    realtime: false',
    '    detection:',
    '      zones:',
    '        - id: lawn',
    '          polygon: [0.00, 0.50, 0.50, 0.66, 0.80, 0.82, 1.00, 0.92, 1.00, 1.00, 0.00, 1.00]',
    '      rules:',
    '        - {id: lawn-intrusion, detector: motion, type: zone.intrusion, zones: [lawn],',
    '           min_area: 0.004, min_duration: 1s, end_hold: 3s, cooldown: 30s}'];
  fs.writeFileSync(path.join(dir, 'edge.yaml'), [
    'device_id: edge-jianwai-01', `data_dir: ${path.join(dir, 'edge')}`,
    'mqtt:', '  host: 127.0.0.1', '  allow_insecure: true', `  port: ${mqttPort}`,
    'cameras:', ...camera(CAMERA_H264, clip, '{lon: 116.4512, lat: 39.9112, crs: GCJ02}'),
    ...camera(CAMERA_H265, clip265, '{lon: 116.4545, lat: 39.9100, crs: GCJ02}'),
    'evidence:', `  directory: ${path.join(dir, 'edge', 'evidence-work')}`, '  pre_roll: 3s', '  post_roll: 2s', ''].join('\n'));
  return { broker, aggregator, apiPort, startEdge: () => start('edge', [bin.edge, '--config', path.join(dir, 'edge.yaml')]) };
}

// ---- the browser -----------------------------------------------------------------------------

const services = await startServices();
const BASE = `http://127.0.0.1:${services.apiPort}`;
const browser = await launch();
const pageErrors = [];
let shot = 0;

async function newSession(role, viewport = { width: 1440, height: 900 }) {
  const context = await browser.newContext({ viewport, isMobile: viewport.width < 600, hasTouch: viewport.width < 600 });
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`${role}: ${e}`));
  page.setDefaultTimeout(LONG);
  await page.goto(`${BASE}/`);
  await page.waitForSelector('form.login #user');
  const u = USERS[role];
  await page.fill('#user', u.name);
  await page.fill('#password', u.password);
  await page.click('form.login button[type=submit]');
  await page.waitForSelector('header#top:not([hidden]) #who b');
  check((await page.textContent('#who b')) === u.name, `${role} is signed in`);
  await page.waitForSelector('#live[data-state="on"]');  // subscribed to the live feed
  return { context, page };
}
async function screenshot(page, name) {
  shot += 1;
  await page.waitForTimeout(300);  // let toasts and transitions settle for the picture
  await page.screenshot({ path: path.join(ARTIFACTS, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
}
// Chinese text renders as real glyphs, not as the "missing glyph" box: each character of
// `text`, drawn in the element's own font, differs from a code point no font has (U+10FFFD)
// and the distinct characters differ from each other (boxes would all look alike).
async function rendersAsGlyphs(page, selector) {
  return page.evaluate((sel) => {
    const el = document.querySelector(sel);
    if (!el) return { ok: false, why: `no ${sel}` };
    const text = el.textContent.trim();
    const chars = [...new Set([...text].filter((ch) => /\p{Script=Han}/u.test(ch)))];
    if (chars.length < 2) return { ok: false, why: `no Chinese in "${text}"` };
    const font = getComputedStyle(el).font;
    const draw = (ch) => {
      const c = document.createElement('canvas');
      c.width = 64; c.height = 64;
      const g = c.getContext('2d');
      g.font = font.replace(/\d+(\.\d+)?px/, '40px');
      g.fillStyle = '#000';
      g.fillText(ch, 8, 48);
      return { px: Array.from(g.getImageData(0, 0, 64, 64).data).join(','), w: g.measureText(ch).width };
    };
    const missing = draw(String.fromCodePoint(0x10FFFD));
    const drawn = chars.map(draw);
    const tofu = drawn.filter((d) => d.px === missing.px).length;
    const distinct = new Set(drawn.map((d) => d.px)).size;
    return { ok: tofu === 0 && distinct === chars.length, why: `${text}: ${tofu} of ${chars.length} as the missing glyph, ${distinct} distinct`, text };
  }, selector);
}
// No page scrolls sideways at phone width.
async function noSidewaysScroll(page, what) {
  const w = await page.evaluate(() => {
    // The innermost elements reaching past 360 px name the culprit when the check fails.
    const wide = Array.from(document.body.querySelectorAll('*'))
      .filter((el) => el.getBoundingClientRect().right > 360.5)
      .filter((el) => !Array.from(el.children).some((c) => c.getBoundingClientRect().right > 360.5))
      .slice(0, 5)
      .map((el) => {
        const name = (e) => `${e.tagName.toLowerCase()}${e.className && typeof e.className === 'string' ? '.' + e.className.trim().replace(/\s+/g, '.') : ''}${e.dataset && e.dataset.testid ? `[${e.dataset.testid}]` : ''}`;
        const trail = [];
        for (let e = el; e && e !== document.body && trail.length < 4; e = e.parentElement) trail.unshift(name(e));
        return `${trail.join(' > ')} (right ${Math.round(el.getBoundingClientRect().right)})`;
      });
    return { doc: document.documentElement.scrollWidth, body: document.body.scrollWidth, vw: window.innerWidth, wide };
  });
  check(w.doc <= 360 && w.body <= 360, `${what} fits 360 px (scrollWidth ${w.doc}/${w.body}, viewport ${w.vw}; widest: ${w.wide.join(', ')})`);
}
const badgeState = (page) => page.getAttribute('.casehead .badge', 'data-state');
async function act(page, action, expectState) {
  await page.click(`[data-testid="action-${action}"]`);
  await page.waitForFunction((s) => document.querySelector('.casehead .badge')?.dataset.state === s, expectState);
}
async function indicatorTiles(page) {
  await page.goto(`${BASE}/#/indicators?group_by=department&days=30`);
  await page.waitForSelector('[data-testid="ind-closed"] .v');
  const read = async (k) => (await page.textContent(`[data-testid="ind-${k}"] .v`)).trim();
  return { closed: Number(await read('closed')), closure: await read('closure_rate'), due: Number(await read('due_to_close')) };
}

try {
  // The login page, then the dispatcher's (empty) queue.
  {
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const p = await ctx.newPage();
    await p.goto(`${BASE}/`);
    await p.waitForSelector('form.login');
    await screenshot(p, 'login');
    // A wrong password is refused with a reason, and the user stays on the login page.
    await p.fill('#user', USERS.dispatcher.name);
    await p.fill('#password', 'not-the-password');
    await p.click('form.login button[type=submit]');
    await p.waitForFunction(() => document.querySelector('form.login .error')?.textContent.length > 0);
    await ctx.close();
  }
  const disp = await newSession('dispatcher');
  const dp = disp.page;
  await dp.waitForSelector('[data-testid="queue-table"]');
  check(await dp.locator('[data-nav]').count() === 4, 'the dispatcher has map, cases, review and indicators');
  // Chinese by default.
  check(await dp.evaluate(() => document.documentElement.lang) === 'zh-CN', 'the console is in Chinese');
  check((await dp.textContent('[data-nav="queue"]')).trim() === '案件', 'the navigation speaks Chinese');

  // The edge starts now: its intrusion becomes a case that appears without a reload.
  await dp.evaluate(() => { window.gridsightSamePage = true; });  // gone if the page reloads
  services.startEdge();
  // The H.264 camera's case is the one worked below; the H.265 one is looked at last.
  const caseOf = (camera) => dp.evaluate((cam) => fetch('/api/v1/cases?limit=200').then((r) => r.json())
    .then((j) => (j.items.find((c) => c.camera_id === cam) || {}).id), camera);
  const caseId = String(await waitFor('the H.264 camera\'s case', () => caseOf(CAMERA_H264)));
  const row = dp.locator(`[data-testid="queue-table"] tbody tr[data-case-id="${caseId}"]`);
  await waitFor('the case to appear live in the queue', async () => (await row.count()) > 0);
  check(await dp.evaluate(() => window.gridsightSamePage === true), 'the queue was updated in place, without a reload');
  check(await row.getAttribute('data-state') === 'reported', 'a reviewable AI report waits in state reported');
  check((await row.getAttribute('class')).includes('flash'), 'the row came from the live feed');
  // Names, not codes: the class's Chinese name, rendered as glyphs (a CJK font is present).
  const clsSel = `[data-testid="queue-table"] tr[data-case-id="${caseId}"] .cls .name`;
  await dp.waitForSelector(clsSel);
  check((await dp.textContent(clsSel)).includes('区域入侵'), 'the queue names the class (区域入侵)');
  const glyphs = await rendersAsGlyphs(dp, clsSel);
  check(glyphs.ok, `Chinese renders as glyphs, not boxes: ${glyphs.why}`);
  check(/\d/.test(await dp.textContent('[data-testid="count"]')), 'the queue shows its count and total');
  await screenshot(dp, 'queue-live');

  // Review by keyboard: j/k to the case (each row shows its snapshot), c confirms (file).
  await dp.click('[data-nav="review"]');
  await dp.waitForSelector(`[data-testid="review-table"] tr[data-case-id="${caseId}"]`);
  await waitFor('the review row\'s snapshot', async () => {
    if (await dp.locator(`[data-testid="review-table"] tr[data-case-id="${caseId}"] .thumb img`).count()) return true;
    await dp.reload();
    await dp.waitForSelector(`[data-testid="review-table"] tr[data-case-id="${caseId}"]`);
    return false;
  });
  await screenshot(dp, 'review');
  const reviewRows = await dp.locator('[data-testid="review-table"] tbody tr').count();
  for (let i = 0; i <= reviewRows && await dp.getAttribute('tr.sel', 'data-case-id') !== caseId; i++) {
    await dp.keyboard.press('j');
  }
  for (let i = 0; i <= reviewRows && await dp.getAttribute('tr.sel', 'data-case-id') !== caseId; i++) {
    await dp.keyboard.press('k');
  }
  check(await dp.getAttribute('tr.sel', 'data-case-id') === caseId, 'the keyboard reaches the case');
  await dp.keyboard.press('c');
  await dp.waitForSelector(`[data-testid="review-table"] tr[data-case-id="${caseId}"]`, { state: 'detached' });

  // The case page: filed; exactly the dispatcher's actions; dispatch to public security.
  await dp.goto(`${BASE}/#/case/${caseId}`);
  await dp.waitForSelector('.casehead .badge');
  check(await badgeState(dp) === 'filed', 'confirmed case is filed');
  const detail = await dp.evaluate((id) => fetch(`/api/v1/cases/${id}`).then((r) => r.json()), caseId);
  const shown = await dp.$$eval('[data-testid^="action-"]', (els) => els.map((e) => e.dataset.action));
  check(JSON.stringify(shown) === JSON.stringify(detail.allowed_actions), `buttons ${shown} are exactly allowed_actions ${detail.allowed_actions}`);
  check(shown.includes('dispatch') && !shown.includes('close') && !shown.includes('resolve'), 'a dispatcher dispatches, never resolves or closes');
  await dp.fill('input[name="departments"]', USERS.department.department);
  await dp.fill('textarea[name="note"]', 'Guard on duty please check the lawn');
  await act(dp, 'dispatch', 'dispatched');
  check((await dp.textContent('[data-testid="cell-path"]')).includes('›'), 'the case page shows the cell\'s path');
  check(/UTC\+08:00/.test(await dp.textContent('[data-testid="deadline"]')), 'the deadline names its timezone');
  await dp.waitForSelector('[data-testid="minimap"] svg .cell.here');
  check((await dp.textContent('[data-testid="history"]')).includes('Guard on duty please check the lawn'), 'the note is in the history');
  check((await dp.textContent('[data-testid="history"]')).includes(`user:${USERS.dispatcher.name}`), 'the history names the dispatcher');
  check(await dp.inputValue('textarea[name="note"]') === '', 'the note field is empty after the action');
  await screenshot(dp, 'case-dispatched');

  // The map shows the case as a marker coloured by its state.
  await dp.click('[data-nav="map"]');
  await dp.waitForSelector(`.marker[data-case="${caseId}"]`);
  check((await dp.getAttribute(`.marker[data-case="${caseId}"]`, 'class')).includes('st-dispatched'), 'the marker shows the state');
  check(await dp.locator('path.cell').count() > 10, 'grid cells are drawn');
  // The marker (a WGS-84 location) sits inside the case's own cell (GCJ-02 map data).
  const inCell = await dp.evaluate(([id, code]) => {
    const r = document.querySelector(`.marker[data-case="${id}"] circle:last-of-type`).getBoundingClientRect();
    const under = document.elementsFromPoint(r.x + r.width / 2, r.y + r.height / 2);
    return under.some((el) => el.matches && el.matches(`path.cell[data-code="${code}"]`));
  }, [caseId, detail.cell_code]);
  check(inCell, `the marker lies in its cell ${detail.cell_code}`);
  // The map's counts are the API's.
  const apiOpen = await dp.evaluate(() => Promise.all([fetch('/api/v1/map/open').then((r) => r.json()),
    fetch('/api/v1/cases?open=true').then((r) => r.json())]));
  check(apiOpen[0].open === apiOpen[1].total, `the map's open count ${apiOpen[0].open} is the list's ${apiOpen[1].total}`);
  await dp.waitForFunction((n) => document.querySelector('[data-testid="map-count"]').textContent.includes(` ${n} `), apiOpen[0].open);
  check(await dp.locator('.marker[data-case]').count() === apiOpen[0].open, 'every open case has its marker');
  await screenshot(dp, 'map');

  // The department user on a phone: its open cases, nothing wider than the screen.
  {
    const phone = await newSession('department', { width: 360, height: 740 });
    const ph = phone.page;
    await ph.waitForSelector(`[data-testid="queue-table"] tr[data-case-id="${caseId}"]`);
    await noSidewaysScroll(ph, 'the queue');
    await screenshot(ph, 'phone-queue');
    await ph.goto(`${BASE}/#/case/${caseId}`);
    await ph.waitForSelector('[data-testid="action-resolve"]');
    await ph.waitForSelector('[data-testid="minimap"] svg');
    await noSidewaysScroll(ph, 'the case page');
    await screenshot(ph, 'phone-case');
    await ph.goto(`${BASE}/#/indicators`);
    await ph.waitForSelector('[data-testid="ind-closed"] .v');
    await noSidewaysScroll(ph, 'the indicators');
    await screenshot(ph, 'phone-indicators');
    await ph.goto(`${BASE}/#/map`);
    await ph.waitForSelector(`.marker[data-case="${caseId}"]`);
    await noSidewaysScroll(ph, 'the map');
    await screenshot(ph, 'phone-map');
    await phone.context.close();
  }

  // The department user resolves it (and sees it live in its queue).
  const dep = await newSession('department');
  const pp = dep.page;
  await pp.waitForSelector(`[data-testid="queue-table"] tr[data-case-id="${caseId}"]`);
  await screenshot(pp, 'department-queue');
  await pp.click(`[data-testid="queue-table"] tr[data-case-id="${caseId}"] td.id a`);
  await pp.waitForSelector('[data-testid="action-resolve"]');
  check(!(await pp.locator('[data-testid="action-dispatch"]').count()), 'a department user cannot dispatch');
  await pp.fill('textarea[name="note"]', 'Patrol cleared the lawn');
  await act(pp, 'resolve', 'resolved');
  await screenshot(pp, 'case-resolved');
  // The dispatcher's open map heard about it live.
  await dp.waitForSelector(`.marker.st-resolved[data-case="${caseId}"]`);

  // The supervisor: indicators before, then verify and close, then indicators after.
  const sup = await newSession('supervisor');
  const sp = sup.page;
  const before = await indicatorTiles(sp);
  await sp.goto(`${BASE}/#/case/${caseId}`);
  await sp.waitForSelector('[data-testid="action-verify"]');
  await act(sp, 'verify', 'verified');
  await act(sp, 'close', 'closed');
  await screenshot(sp, 'case-closed');
  const after = await indicatorTiles(sp);
  check(after.closed === before.closed + 1, `closed count ${before.closed} → ${after.closed}`);
  check(after.closure !== before.closure || before.closed === 0, `closure rate ${before.closure} → ${after.closure}`);
  check(/%/.test(after.closure), `closure rate is shown (${after.closure})`);
  // The closure-rate chart by department draws public security's bar.
  await sp.waitForFunction(() => [...document.querySelectorAll('svg.chart.rate .cbar')]
    .some((bar) => Number(bar.getAttribute('width')) > 0));
  check(Number((await sp.textContent('[data-testid="ind-open"] .v')).trim()) >= 0, 'open cases stand beside the rates');
  check(await sp.locator('[data-testid="ind-overdue"]').count() === 1, 'so do overdue ones');
  check((await sp.textContent('[data-testid="formulas"]')).includes('四舍五入'), 'the formula and its rounding are shown');
  check((await sp.getAttribute('[data-testid="csv"]', 'href')).includes('format=csv'), 'a CSV export is offered');
  await screenshot(sp, 'indicators');
  // English on request (kept in the browser), then back.
  await sp.click('[data-testid="lang"]');
  await sp.waitForFunction(() => document.documentElement.lang === 'en');
  await sp.waitForSelector('[data-testid="ind-closed"] .v');
  check((await sp.textContent('[data-nav="queue"]')).trim() === 'Cases', 'English is available');
  await screenshot(sp, 'indicators-en');
  await sp.click('[data-testid="lang"]');
  await sp.waitForFunction(() => document.documentElement.lang === 'zh-CN');

  // The H.264 clip plays in the browser: the <video> element reaches HAVE_CURRENT_DATA.
  // The API offers it once its chunks are all in; the page then shows it.
  let lastEvidence = null;
  try {
    await waitFor('the API to offer the case\'s clip as playable', async () => {
      const c = await sp.evaluate((id) => fetch(`/api/v1/cases/${id}`).then((r) => r.json()), caseId);
      lastEvidence = (c.reports || []).map((r) => r.evidence || []);
      return lastEvidence.flat().some((e) => e.role === 'clip' && e.available && e.playable);
    });
  } catch (e) {
    throw new Error(`${e.message}; the reports' evidence: ${JSON.stringify(lastEvidence)}`);
  }
  await sp.goto(`${BASE}/#/case/${caseId}`);
  await sp.reload();
  await sp.waitForSelector('video[data-testid="clip"]');
  await sp.waitForFunction(() => document.querySelector('video[data-testid="clip"]').readyState >= 2);
  const src = await sp.getAttribute('video[data-testid="clip"]', 'src');
  check(src.startsWith('/api/v1/evidence/'), `the clip comes from the evidence route (${src})`);
  await screenshot(sp, 'case-clip');

  const hevcId = await waitFor('the H.265 camera\'s case', () => caseOf(CAMERA_H265));

  // Filters and keyset paging: the closed filter shows the closed case only; one case a page,
  // "More" brings the next, older one.
  await sp.goto(`${BASE}/#/queue?state=closed`);
  await sp.waitForSelector(`[data-testid="queue-table"] tr[data-case-id="${caseId}"]`);
  check((await sp.$$eval('[data-testid="queue-table"] tbody tr', (rows) => rows.map((r) => r.dataset.state)))
    .every((st) => st === 'closed'), 'the state filter keeps closed cases only');
  check(await sp.inputValue('select[name="state"]') === 'closed', 'the filter bar shows the filter');
  await sp.goto(`${BASE}/#/queue?limit=1`);
  await sp.waitForSelector('[data-testid="queue-table"] tbody tr[data-case-id]');
  check(await sp.locator('[data-testid="queue-table"] tbody tr').count() === 1, 'a page of one');
  await sp.click('[data-testid="more"]');
  await sp.waitForFunction(() => document.querySelectorAll('[data-testid="queue-table"] tbody tr').length === 2);
  const ids = await sp.$$eval('[data-testid="queue-table"] tbody tr', (rows) => rows.map((r) => Number(r.dataset.caseId)));
  check(ids[0] > ids[1] && ids.includes(Number(caseId)) && ids.includes(Number(hevcId)), `newest first across pages (${ids})`);
  await sp.waitForSelector('[data-testid="more"]', { state: 'hidden' });

  // The H.265 camera's clip: offered for download beside its snapshot, not played.
  await sp.goto(`${BASE}/#/case/${hevcId}`);
  await waitFor('the H.265 clip to be offered', async () => {
    if (await sp.locator('[data-testid="clip-download"]').count()) return true;
    await sp.reload();
    await sp.waitForSelector('.casehead .badge');
    return false;
  });
  check(await sp.locator('[data-testid="snapshot"]').count() === 1, 'the H.265 case shows its snapshot');
  check(await sp.locator('video').count() === 0, 'an H.265 clip is not put in a <video> element');
  const href = await sp.getAttribute('[data-testid="clip-download"]', 'href');
  const head = await sp.evaluate((u) => fetch(u, { headers: { Range: 'bytes=0-15' } })
    .then((r) => ({ status: r.status, disposition: r.headers.get('content-disposition') || '' })), href);
  check(head.status === 206 && head.disposition.startsWith('attachment'), `the H.265 clip downloads (${JSON.stringify(head)})`);
  check((await sp.textContent('[data-testid="clip-download"]')).includes('H265'), 'the link names the codec');
  await screenshot(sp, 'case-h265');

  // Every page above ran without a script error.
  check(pageErrors.length === 0, `no page errors: ${pageErrors.join('; ')}`);
  failed = false;
  console.log(`console_e2e: case ${caseId} worked from the edge to closure; screenshots in ${ARTIFACTS}`);
} finally {
  await browser.close();
  stopAll();
}
