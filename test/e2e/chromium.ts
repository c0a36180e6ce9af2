// Debian's chromium through playwright-core, as the browser tests launch it.
import { chromium, type Browser } from 'playwright-core';
import { requirePrerequisite } from '@peergroup/test-support/prerequisites';

/** Headless, no sandbox, none of the background traffic; launch() gives every run a fresh temporary profile. */
export function launchChromium(): Promise<Browser> {
  requirePrerequisite('chromium');
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
