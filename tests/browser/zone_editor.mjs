// The zone editor in headless Chromium: a real mosquitto and a real gridsight-edge with two
// cameras (the walkway footage looping from a file, with no zones or rules, and a gate camera
// nobody serves). Logs in, opens the editor, draws the walkway zone with the mouse on the
// camera's frame, sets its watched location and a motion rule with its units, previews, saves;
// then the configuration file holds the polygon (its comments kept), the reload touched only the
// walkway camera, and the rule fires on the footage (zone.intrusion events in the outbox).
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, check } from './lib.mjs';

const build = process.env.GRIDSIGHT_BUILD_DIR;
const artifacts = process.env.GRIDSIGHT_ARTIFACTS || join(build, 'test-artifacts');
check(build, 'GRIDSIGHT_BUILD_DIR is set');
mkdirSync(artifacts, { recursive: true });

const freePort = () => new Promise((resolve, reject) => {
  const s = createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let edgeExit = null;
// Polls until fn() is truthy; the limit only bounds a hang. Gives up at once if the edge died.
async function waitFor(what, fn, limitMs = 120000) {
  const end = Date.now() + limitMs;
  for (;;) {
    if (edgeExit !== null) throw new Error(`edge exited (${edgeExit}) while waiting for ${what}`);
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'gridsight-zone-editor-'));
const children = [];
function start(name, cmd, args) {
  const log = openSync(join(dir, `${name}.log`), 'a');
  const child = spawn(cmd, args, { stdio: ['ignore', log, log] });
  children.push(child);
  return child;
}
const edgeLog = () => readFileSync(join(dir, 'edge.log'), 'utf8');

let browser;
try {
  const mqttPort = await freePort();
  writeFileSync(join(dir, 'mosquitto.conf'), `listener ${mqttPort} 127.0.0.1\nallow_anonymous true\n`);
  start('mosquitto', '/usr/sbin/mosquitto', ['-c', join(dir, 'mosquitto.conf')]);

  const password = 'zones-' + Math.random().toString(36).slice(2);
  const hash = execFileSync(join(build, 'tools', 'gridsight-passwd'), { input: password + '\n' })
    .toString().trim();
  const statusPort = await freePort();
  const deadPort = await freePort();
  const footage = join(build, 'test-media', 'h264_b.mp4');
  const configPath = join(dir, 'edge.yaml');
  writeFileSync(configPath, `# box edge-walkway-08 (a comment the editor must keep)
device_id: edge-walkway-08
data_dir: ${join(dir, 'data')}
mqtt:
  port: ${mqttPort}
  allow_insecure: true
  reconnect: {initial: 100ms, max: 1s}
status:
  port: ${statusPort}
  password_hash: "${hash}"
cameras:
  - id: cam-walkway
    name: Walkway
    location: {lon: 120.15507, lat: 30.27408, crs: WGS84}
    url: ${footage}
    loop: true  # the footage plays again and again
  - id: cam-gate
    name: Gate
    location: {lon: 120.15607, lat: 30.27508, crs: WGS84}
    url: rtsp://127.0.0.1:${deadPort}/stream
    reconnect: {initial: 200ms, max: 2s}
evidence:
  directory: ${join(dir, 'evidence-work')}
  pre_roll: 1s
  post_roll: 1s
`);
  const edge = start('edge', join(build, 'edge', 'daemon', 'gridsight-edge'), ['-c', configPath]);
  edge.on('exit', (code, sig) => { edgeExit = `${code ?? sig}`; });
  const base = `http://127.0.0.1:${statusPort}`;
  await waitFor('the status page', async () => (await fetch(`${base}/healthz`)).ok, 60000).catch((e) => {
    throw new Error(`${e.message}\n${edgeLog().slice(-3000)}`);
  });

  browser = await launch();
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const scriptErrors = [];
  page.on('pageerror', (e) => scriptErrors.push(String(e)));

  // The editor is behind the login: without a session it answers with the login form.
  const first = await page.goto(base + '/zones');
  check(first.status() === 401, `unauthenticated editor answers 401 (got ${first.status()})`);
  await page.goto(base + '/login');
  await page.fill('#password', password);
  await Promise.all([page.waitForURL(base + '/'), page.click('button[type=submit]')]);
  await page.goto(base + '/zones?camera=cam-walkway');
  await page.waitForSelector('body[data-ready="1"]');
  check(await page.inputValue('#camera') === 'cam-walkway', 'the walkway camera is picked');
  // The camera's current frame under the drawing surface.
  await waitFor('the walkway frame', async () => page.evaluate(() => {
    const img = document.getElementById('frame');
    return !img.hidden && img.naturalWidth > 0 && document.getElementById('overlay').width > 0;
  }));

  // Draw the zone with the mouse: four clicks on the picture, then Finish shape.
  await page.click('#tool-zone');
  const box = await page.locator('#overlay').boundingBox();
  const corners = [[0.02, 0.30], [0.98, 0.30], [0.98, 0.98], [0.02, 0.98]];
  for (const [x, y] of corners) await page.mouse.click(box.x + x * box.width, box.y + y * box.height);
  await page.click('#finish');
  const zone = page.locator('fieldset.item[data-kind="zone"]');
  check(await zone.count() === 1, 'one zone drawn');
  await zone.locator('input.id').fill('walkway');
  await zone.locator('input.id').dispatchEvent('change');
  await zone.locator('input.loc-lon').fill('120.155123');
  await zone.locator('input.loc-lon').dispatchEvent('change');
  await zone.locator('select.loc-crs').selectOption('GCJ02');

  // A motion rule on it, with its parameters in seconds and percent.
  await page.click('#add-rule');
  const rule = page.locator('fieldset.rule');
  await rule.locator('input.id').fill('walkway-motion');
  await rule.locator('input.id').dispatchEvent('change');
  await rule.locator('input.target[value="walkway"]').check();
  for (const [cls, v] of [['min_duration', '1'], ['cooldown', '5'], ['min_area', '0.4']]) {
    await rule.locator(`input.${cls}`).fill(v);
    await rule.locator(`input.${cls}`).dispatchEvent('change');
  }
  // Preview: the configuration check accepts it; nothing is written yet.
  const unchanged = readFileSync(configPath, 'utf8');
  await page.click('#preview');
  await page.waitForSelector('#msg[data-state="ok"]');
  check(readFileSync(configPath, 'utf8') === unchanged, 'a preview writes nothing');
  check((await page.textContent('#yaml')).includes('polygon: ['), 'the preview shows the section');
  await page.screenshot({ path: join(artifacts, 'zone_editor.png'), fullPage: true });

  await page.click('#save');
  await page.waitForSelector('#msg[data-state="saved"], #msg[data-state="refused"]');
  const saved = await page.textContent('#msg');
  check(await page.getAttribute('#msg', 'data-state') === 'saved', `saved: ${saved}`);
  check(saved.includes('untouched: cam-gate'), `the gate camera is untouched: ${saved}`);

  // The file holds the polygon as drawn, and still its comments.
  const text = readFileSync(configPath, 'utf8');
  check(text.includes('# box edge-walkway-08 (a comment the editor must keep)'), 'the first comment is kept');
  check(text.includes('loop: true  # the footage plays again and again'), 'the camera line comment is kept');
  const poly = /id: "walkway"[\s\S]*?polygon: \[([^\]]*)\]/.exec(text) || /polygon: \[([^\]]*)\][\s\S]*?id: "walkway"/.exec(text);
  check(poly, `the file holds the walkway polygon:\n${text}`);
  const values = poly[1].split(',').map(Number);
  check(values.length === 8, `four points: ${poly[1]}`);
  corners.flat().forEach((v, i) => check(Math.abs(values[i] - v) < 0.01, `point value ${i}: ${values[i]} ~ ${v}`));
  check(/lon: 120\.155123/.test(text) && /crs: "GCJ02"/.test(text), `the watched location is saved:\n${text}`);
  check(/min_duration: "1s"/.test(text) && /cooldown: "5s"/.test(text) && /min_area: 0\.004/.test(text),
    `the rule's parameters are saved with their units:\n${text}`);
  // The daemon checks the saved file as --check-config does, and reloaded only the walkway.
  // (exit 3: the gate camera is unreachable; the configuration itself is accepted)
  const checked = spawnSync(join(build, 'edge', 'daemon', 'gridsight-edge'), ['-c', configPath, '--check-config'],
    { encoding: 'utf8' });
  check(checked.status === 3 && checked.stdout.includes('configuration OK: device edge-walkway-08, 2 camera(s)'),
    `--check-config accepts the saved file: ${checked.status} ${checked.stdout} ${checked.stderr}`);
  // (a camera that had no analytics gets its pipeline rebuilt; one with rules is reconfigured)
  check(/reload: configuration applied: .*"(reconfigured|restarted)":\["cam-walkway"\].*"unchanged":\["cam-gate"\]/.test(edgeLog()),
    `the reload changed the walkway only:\n${edgeLog().slice(-2000)}`);

  // The rule fires on the footage: zone.intrusion events in the box's recent events.
  const events = await waitFor('a zone.intrusion event from the drawn zone', async () => {
    const list = await page.evaluate(async () => (await (await fetch('/api/v1/events?limit=30')).json()));
    const items = Array.isArray(list) ? list : (list.events || []);
    const hit = items.filter((e) => e.type === 'zone.intrusion' && e.zone === 'walkway' && e.camera_id === 'cam-walkway');
    return hit.length ? hit : null;
  }, 180000);
  console.log(`zone editor OK: ${events.length} zone.intrusion event(s) in zone walkway; screenshot in ${artifacts}`);

  // A refused edit: a rule naming a zone that does not exist; nothing is written.
  const before = readFileSync(configPath, 'utf8');
  const refused = await page.evaluate(async () => {
    const r = await fetch('/api/v1/zones/cam-walkway', { method: 'PUT', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ detection: { rules: [{ id: 'r', detector: 'motion', zones: ['lawm'] }] } }) });
    return { status: r.status, body: await r.json() };
  });
  check(refused.status === 422 && refused.body.problems.some((p) => p.includes('no zone "lawm"') && p.includes(configPath + ':')),
    `a bad rule is refused with file:line:key: ${JSON.stringify(refused)}`);
  check(readFileSync(configPath, 'utf8') === before, 'a refused edit leaves the file as it was');
  check(scriptErrors.length === 0, `no script errors: ${scriptErrors.join('; ')}`);
} finally {
  if (browser) await browser.close();
  for (const c of children.reverse()) {
    if (c.exitCode === null) c.kill('SIGTERM');
  }
  await sleep(300);
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (!process.env.GRIDSIGHT_KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
}
