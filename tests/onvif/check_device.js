// Checks the ONVIF test device (tests/support/onvif_device.py) with the npm `onvif` client, a
// widely-used third-party implementation: if it connects, reads the device information, the
// profiles and their stream URIs, and (with --multicast) discovers the device by WS-Discovery,
// the test device speaks ONVIF as cameras do.
//
//   node check_device.js DEVICE_SCRIPT [--multicast]
//
// --multicast needs a network namespace whose loopback carries multicast (run.sh makes one).
'use strict';
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const onvif = require('onvif');

const deviceScript = process.argv[2];
const multicast = process.argv.includes('--multicast');
const MAIN = 'rtsp://127.0.0.1:8554/main';
const SUB = 'rtsp://127.0.0.1:8554/sub';
const USER = 'installer';
const PASSWORD = 'p@ss:w,rd"1';  // characters that need care in both authentication schemes

const children = [];
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

// Starts a device; resolves {httpPort, discoveryPort, stop} once it wrote its port file.
async function startDevice(extra) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onvif-check-'));
  const portFile = path.join(dir, 'ports');
  const child = spawn('python3', [deviceScript, portFile, '--main', MAIN, '--sub', SUB,
    '--user', USER, '--password', PASSWORD, ...extra], { stdio: ['ignore', 'inherit', 'inherit'] });
  children.push(child);
  let exited = false;
  child.on('exit', () => { exited = true; });
  for (let i = 0; i < 3000 && !fs.existsSync(portFile); i++) {  // bounded: ~60 s
    assert.ok(!exited, 'the test device exited before listening');
    await sleep(20);
  }
  const [httpPort, discoveryPort] = fs.readFileSync(portFile, 'utf8').trim().split(' ').map(Number);
  return { httpPort, discoveryPort, stop: () => child.kill('SIGKILL') };
}

function connect(options) {
  return new Promise((resolve, reject) => {
    const cam = new onvif.Cam({ autoconnect: false, timeout: 30000, ...options });
    cam.connect((err) => (err ? reject(err) : resolve(cam)));
  });
}

function call(cam, fn, ...args) {
  return new Promise((resolve, reject) =>
    cam[fn](...args, (err, data) => (err ? reject(err) : resolve(data))));
}

async function checkCamera(cam) {
  const info = await call(cam, 'getDeviceInformation');
  assert.equal(info.manufacturer, 'Gridsight Test');
  assert.equal(info.model, 'GS-TEST-1');
  assert.ok(cam.uri.media, 'media service found');
  assert.equal(cam.profiles.length, 2);
  const [main, sub] = cam.profiles;
  assert.equal(main.videoEncoderConfiguration.encoding, 'H264');
  assert.equal(main.videoEncoderConfiguration.resolution.width, 1920);
  assert.equal(main.videoEncoderConfiguration.resolution.height, 1080);
  assert.equal(main.videoEncoderConfiguration.rateControl.frameRateLimit, 25);
  assert.equal(sub.videoEncoderConfiguration.resolution.width, 640);
  const mainUri = await call(cam, 'getStreamUri', { protocol: 'RTSP', profileToken: main.$.token });
  const subUri = await call(cam, 'getStreamUri', { protocol: 'RTSP', profileToken: sub.$.token });
  assert.equal(mainUri.uri, MAIN);
  assert.equal(subUri.uri, SUB);
  return info;
}

async function state(port) {
  const res = await fetch(`http://127.0.0.1:${port}/_state`);
  return res.json();
}

async function main() {
  // WS-UsernameToken (the client's default).
  let dev = await startDevice(['--auth', 'wsse']);
  await checkCamera(await connect({ hostname: '127.0.0.1', port: dev.httpPort, username: USER,
    password: PASSWORD }));
  let st = await state(dev.httpPort);
  assert.ok(st.auth.wsse >= 4, `WS-UsernameToken calls accepted: ${JSON.stringify(st.auth)}`);
  assert.equal(st.auth.refused, 0);
  dev.stop();
  console.log('ok: npm onvif reads the test device with WS-UsernameToken');

  // HTTP digest only: the client answers the device's 401 challenge.
  dev = await startDevice(['--auth', 'digest']);
  await checkCamera(await connect({ hostname: '127.0.0.1', port: dev.httpPort, username: USER,
    password: PASSWORD, useWSSecurity: false }));
  st = await state(dev.httpPort);
  assert.ok(st.auth.digest >= 4, `digest calls accepted: ${JSON.stringify(st.auth)}`);
  dev.stop();
  console.log('ok: npm onvif reads the test device with HTTP digest');

  // A wrong password is refused.
  dev = await startDevice(['--auth', 'either']);
  await assert.rejects(connect({ hostname: '127.0.0.1', port: dev.httpPort, username: USER,
    password: 'wrong' }));
  dev.stop();
  console.log('ok: a wrong password is refused');

  if (multicast) {
    dev = await startDevice(['--discovery', '0.0.0.0:3702', '--multicast']);
    const cams = await new Promise((resolve, reject) => onvif.Discovery.probe(
      { timeout: 3000, resolve: true }, (err, found) => (err ? reject(err) : resolve(found))));
    assert.equal(cams.length, 1, 'one device discovered');
    assert.equal(cams[0].hostname, '127.0.0.1');
    assert.equal(Number(cams[0].port), dev.httpPort);
    cams[0].username = USER;
    cams[0].password = PASSWORD;
    await new Promise((resolve, reject) => cams[0].connect((e) => (e ? reject(e) : resolve())));
    await checkCamera(cams[0]);
    st = await state(dev.httpPort);
    assert.equal(st.probes, 1);
    dev.stop();
    console.log('ok: npm onvif discovers the test device by WS-Discovery multicast');
  }
}

main().then(() => process.exit(0), (err) => {
  console.error('FAILED:', err && err.stack ? err.stack : err);
  process.exit(1);
});
