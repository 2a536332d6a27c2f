// The web UI in Firefox: Debian's firefox-esr driven over WebDriver BiDi by puppeteer-core (a stock
// Firefox speaks BiDi; playwright-core needs its own patched build, which cannot be downloaded
// here). A smoke test against one real instance: log in, the job list updates live when a photo is
// dropped, and the job's before/after previews load. Screenshot: test-artifacts/screenshots/.
import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeDrive,
  repoRoot,
  startInstance,
  waitFor,
  type Drive,
  type RunningInstance,
} from '../fixtures/instance-drive.js';
import { freePorts } from '../support/free-ports.js';

const firefox = '/usr/bin/firefox-esr';
const password = 'firefox-test-pass';
const shots = join(repoRoot, 'test-artifacts/screenshots');

let d: Drive;
let a: RunningInstance;
let http: number;
let browser: Browser | undefined;
let page: Page;
const seen: string[] = [];
const describeAll = () =>
  `--- page ${page?.url()}\n${seen.slice(-30).join('\n')}\n--- a\n${a?.output().slice(-3000)}`;

beforeAll(async () => {
  if (!existsSync(firefox))
    throw new Error(
      `${firefox} is missing: install Debian's firefox-esr (.ci/run does: apt-get install firefox-esr)`,
    );
  const [cluster, h] = (await freePorts(2)) as [number, number];
  http = h;
  d = await makeDrive([`a@127.0.0.1:${cluster}:${http}`]);
  a = startInstance(d.conf, 'a', { DARKROOM_ADMIN_PASSWORD: password });
  await waitFor('a running', () => a.output().includes('running (inc'), 150_000, describeAll);
  // The channel the test drops into, made through the API with the admin's session.
  const login = await fetch(`http://127.0.0.1:${http}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: 'admin', password }),
  });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  const made = await fetch(`http://127.0.0.1:${http}/api/channels`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ name: 'fox', settings: { type: 'process', fileReadyDelayMs: 200 } }),
  });
  expect(made.status, await made.text()).toBe(201);
  await mkdir(shots, { recursive: true });
  browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: firefox,
    headless: true,
    protocol: 'webDriverBiDi',
  });
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  page.on('console', (m) => seen.push(`console ${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => seen.push(`pageerror: ${String(e)}`));
  page.setDefaultTimeout(60_000);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  if (a !== undefined && a.child.exitCode === null && a.child.signalCode === null) a.signal('SIGTERM');
  await a?.exited;
  await d?.cleanup();
});

describe('the web UI in Firefox (firefox-esr over WebDriver BiDi)', () => {
  it('logs in, shows a dropped photo complete live in the job list, and opens its before/after', async () => {
    await page.goto(`http://127.0.0.1:${http}/ui/#/jobs?channel=fox`);
    await page.waitForSelector('#login-user');
    await page.type('#login-user', 'admin');
    await page.type('#login-password', password);
    await page.click('button[type="submit"]');
    await page.waitForFunction(() => {
      const g = globalThis as unknown as {
        document: { querySelector(s: string): { textContent: string } | null };
      };
      return g.document.querySelector('#user')?.textContent.includes('admin') === true;
    });
    expect(page.url()).toContain('#/jobs?channel=fox'); // on to the page asked for
    await page.waitForSelector('h1');

    // Live: the row appears and turns completed without a reload.
    const loads = await page.evaluate(
      () => (globalThis as unknown as { performance: { timeOrigin: number } }).performance.timeOrigin,
    );
    const dir = join(d.shared, 'hotfolders', 'fox', 'in');
    await mkdir(dir, { recursive: true });
    await copyFile(join(repoRoot, 'demo-assets', 'coffee.jpg'), join(dir, 'coffee.jpg'));
    await waitFor(
      'coffee.jpg completed in the list',
      () =>
        page.evaluate(() => {
          const g = globalThis as unknown as {
            document: { querySelectorAll(s: string): { textContent: string }[] };
          };
          return [...g.document.querySelectorAll('tr[data-state="completed"]')].some((r) =>
            r.textContent.includes('coffee.jpg'),
          );
        }),
      90_000,
      describeAll,
    );
    expect(
      await page.evaluate(
        () => (globalThis as unknown as { performance: { timeOrigin: number } }).performance.timeOrigin,
      ),
    ).toBe(loads); // the same document: updated from the event stream, not reloaded

    // Before and after.
    await page.click('tr[data-state="completed"] a');
    await page.waitForSelector('img.before');
    await waitFor(
      'before and after previews loaded',
      () =>
        page.evaluate(() => {
          const g = globalThis as unknown as {
            document: { querySelector(s: string): { complete: boolean; naturalWidth: number } | null };
          };
          const ok = (s: string) => {
            const img = g.document.querySelector(s);
            return img !== null && img.complete && img.naturalWidth > 0;
          };
          return ok('img.before') && ok('img.after');
        }),
      30_000,
      describeAll,
    );
    await page.screenshot({ path: join(shots, 'firefox-job.png') });
  });
});
