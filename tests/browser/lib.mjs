// Shared by the browser tests: launches Debian's Chromium headless through playwright-core
// (no browser download), with the flags a closed network needs.
import { chromium } from 'playwright-core';

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

// Fails the test with a message; node exits non-zero.
export function check(condition, message) {
  if (!condition) {
    throw new Error(`check failed: ${message}`);
  }
}
