// The edge status page in headless Chromium: a real mosquitto and a real gridsight-edge with
// two cameras (the walkway footage looping from a file, and an RTSP camera nobody serves).
// Logs in through the page, waits until its scripts rendered, checks one tile per camera whose
// state text equals /api/v1/status, and takes screenshots into $GRIDSIGHT_ARTIFACTS.
import { spawn, execFileSync } from 'node:child_process';
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

const dir = mkdtempSync(join(tmpdir(), 'gridsight-status-page-'));
const children = [];
function start(name, cmd, args) {
  const log = openSync(join(dir, `${name}.log`), 'a');
  const child = spawn(cmd, args, { stdio: ['ignore', log, log] });
  children.push(child);
  return child;
}

let browser;
try {
  const mqttPort = await freePort();
  writeFileSync(join(dir, 'mosquitto.conf'), `listener ${mqttPort} 127.0.0.1\nallow_anonymous true\n`);
  start('mosquitto', '/usr/sbin/mosquitto', ['-c', join(dir, 'mosquitto.conf')]);

  const password = 'status-page-' + Math.random().toString(36).slice(2);
  const hash = execFileSync(join(build, 'tools', 'gridsight-passwd'), { input: password + '\n' })
    .toString().trim();
  const statusPort = await freePort();
  const deadPort = await freePort();
  const footage = join(build, 'test-media', 'h264_b.mp4');
  writeFileSync(join(dir, 'edge.yaml'), `device_id: edge-walkway-07
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
    loop: true
    detection:
      zones:
        - id: walkway
          polygon: [0.0, 0.3, 1.0, 0.3, 1.0, 1.0, 0.0, 1.0]
      rules:
        - {id: walkway-motion, detector: motion, type: zone.intrusion, zones: [walkway],
           min_area: 0.004, min_duration: 1s, end_hold: 2s, cooldown: 5s}
  - id: cam-gate
    name: Gate
    location: {lon: 120.15607, lat: 30.27508, crs: WGS84}
    url: rtsp://127.0.0.1:${deadPort}/stream
    reconnect: {initial: 200ms, max: 2s}
evidence:
  directory: ${join(dir, 'evidence-work')}
  pre_roll: 2s
  post_roll: 1s
`);
  const edge = start('edge', join(build, 'edge', 'daemon', 'gridsight-edge'), ['-c', join(dir, 'edge.yaml')]);
  edge.on('exit', (code, sig) => { edgeExit = `${code ?? sig}`; });
  const base = `http://127.0.0.1:${statusPort}`;
  await waitFor('the status page', async () => (await fetch(`${base}/healthz`)).ok, 60000).catch((e) => {
    throw new Error(`${e.message}\n${readFileSync(join(dir, 'edge.log'), 'utf8').slice(-3000)}`);
  });

  browser = await launch();
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const scriptErrors = [];
  page.on('pageerror', (e) => scriptErrors.push(String(e)));

  // Without a session the page is the login form; a wrong password is told as such.
  const first = await page.goto(base + '/');
  check(first.status() === 401, `unauthenticated page answers 401 (got ${first.status()})`);
  await page.fill('#password', 'not the password');
  await page.click('button[type=submit]');
  await page.waitForSelector('#msg:not([hidden])');
  check((await page.textContent('#msg')).includes('Wrong password'), 'wrong password is reported');

  await page.fill('#password', password);
  await Promise.all([page.waitForURL(base + '/'), page.click('button[type=submit]')]);
  await page.waitForSelector('body[data-ready="1"]');

  // Wait until both cameras settled (the walkway streams and shows a frame, the gate failed).
  await waitFor('camera states', async () => page.evaluate(() => {
    const walk = document.querySelector('.tile[data-camera="cam-walkway"]');
    const gate = document.querySelector('.tile[data-camera="cam-gate"]');
    if (!walk || !gate) return false;
    const img = walk.querySelector('.frame img');
    return walk.querySelector('.state').textContent === 'streaming' && !img.hidden &&
      img.naturalWidth > 0 && !['connecting', 'streaming'].includes(gate.querySelector('.state').textContent) &&
      !gate.querySelector('.error').hidden;
  }));
  // An event with its snapshot, when the footage produced one (motion on the walkway).
  await waitFor('an event with a snapshot', async () => page.evaluate(
    () => [...document.querySelectorAll('#events .event img')].some((i) => i.complete && i.naturalWidth > 0)),
  60000).catch(() => console.log('note: no event snapshot appeared'));

  // One tile per camera, each showing the state the API reports. The page refreshes every few
  // seconds, so the DOM and a fresh API answer are compared until they were read in step.
  const compare = async () => {
    const dom = await page.evaluate(() => Object.fromEntries(
      [...document.querySelectorAll('.tile')].map((t) => [t.dataset.camera, t.querySelector('.state').textContent])));
    const api = await page.evaluate(async () => (await (await fetch('/api/v1/status')).json()).cameras);
    return { dom, api };
  };
  let last;
  await waitFor('DOM and API agreeing', async () => {
    last = await compare();
    const ids = last.api.map((c) => c.id).sort();
    return JSON.stringify(Object.keys(last.dom).sort()) === JSON.stringify(ids) &&
      last.api.every((c) => last.dom[c.id] === c.state);
  }, 60000).catch((e) => { throw new Error(`${e.message}: ${JSON.stringify(last)}`); });
  check(Object.keys(last.dom).length === 2, 'one tile per camera');
  check(scriptErrors.length === 0, `no script errors: ${scriptErrors.join('; ')}`);

  await page.screenshot({ path: join(artifacts, 'status_page.png'), fullPage: true });
  // A phone on the box's Wi-Fi.
  await page.setViewportSize({ width: 390, height: 844 });
  await sleep(500);
  await page.screenshot({ path: join(artifacts, 'status_page_phone.png'), fullPage: true });
  console.log(`status page OK: ${JSON.stringify(last.dom)}; screenshots in ${artifacts}`);
} finally {
  if (browser) await browser.close();
  for (const c of children.reverse()) {
    if (c.exitCode === null) c.kill('SIGTERM');
  }
  await sleep(300);
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (!process.env.GRIDSIGHT_KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
}
