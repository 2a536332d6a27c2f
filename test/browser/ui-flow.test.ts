// The web UI in real Chromium (Debian's, driven by playwright-core) against two real instances
// sharing one drive: log in, create a channel through the generated form (a field error from the
// server first), watch a dropped photo complete live, open before/after, reprocess with a changed
// strength, approve a job in the review queue with the keyboard, then stop the instance the page
// talks to (SIGSTOP: it hangs) and see the page carry on through the other, reached under another host name
// (127.0.0.1 → localhost: the session follows by handoff). Every main page passes axe-core's WCAG
// 2.1 A/AA rules; the cluster view shows load, storage health and the warnings (a server of the
// conf that never started). Screenshots (1280×800) go to test-artifacts/.
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeDrive,
  fastConf,
  repoRoot,
  startInstance,
  waitFor,
  type Drive,
  type RunningInstance,
} from '../fixtures/instance-drive.js';
import { freePorts } from '../support/free-ports.js';
import { axeViolations, describeViolations, type AxeViolation } from './axe-check.js';

const password = 'browser-test-pass';
const shots = join(repoRoot, 'test-artifacts/screenshots');
const photo = (name: string) => join(repoRoot, 'demo-assets', name);

let d: Drive;
let a: RunningInstance;
let b: RunningInstance;
let httpA: number;
let httpB: number;
let browser: Browser;
let page: Page;
const seen: string[] = [];
const a11y = new Map<string, AxeViolation[]>();
/** Runs axe on the page on screen and remembers what it found under `name`. */
async function checkA11y(name: string): Promise<void> {
  const r = await axeViolations(page);
  // axe ran its rules on a real page (labels, names, contrast, landmarks …), not on nothing.
  expect(r.rulesRun, name).toBeGreaterThan(15);
  a11y.set(name, r.violations);
}
const describeAll = async () =>
  `--- page ${page?.url()}\n${seen.slice(-30).join('\n')}\n--- a\n${a?.output().slice(-3000)}\n--- b\n${b?.output().slice(-3000)}`;

async function hotIn(channel: string): Promise<string> {
  const dir = join(d.shared, 'hotfolders', channel, 'in');
  await mkdir(dir, { recursive: true });
  return dir;
}

async function api(port: number, path: string): Promise<unknown> {
  const cookies = await page.context().cookies();
  const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { cookie } });
  return res.json();
}

beforeAll(async () => {
  const [ca, ha, cb, hb, cc, hc] = (await freePorts(6)) as [number, number, number, number, number, number];
  httpA = ha;
  httpB = hb;
  // b is reached as localhost, a as 127.0.0.1: two origins, so no cookie is shared between them.
  // c is in the conf but never started: the cluster view warns about it.
  d = await makeDrive([`a@127.0.0.1:${ca}:${ha}`, `b@localhost:${cb}:${hb}`, `c@127.0.0.1:${cc}:${hc}`], {
    ...fastConf,
    slots: '2',
  });
  const env = { DARKROOM_ADMIN_PASSWORD: password };
  a = startInstance(d.conf, 'a', env);
  b = startInstance(d.conf, 'b', env);
  await waitFor(
    'a and b running',
    () => [a, b].every((i) => i.output().includes('running (inc')),
    150_000,
    describeAll,
  );
  await mkdir(shots, { recursive: true });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('console', (m) => seen.push(`console ${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => seen.push(`pageerror: ${e.message}`));
  page.setDefaultTimeout(30_000);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  for (const i of [a, b])
    if (i !== undefined && i.child.exitCode === null && i.child.signalCode === null) {
      i.signal('SIGCONT');
      i.signal('SIGTERM');
    }
  await Promise.all([a?.exited, b?.exited]);
  await d?.cleanup();
});

describe('the web UI in Chromium over a two-instance cluster', () => {
  it('logs in, creates a channel, shows a job complete live, reprocesses, reviews, and survives its instance stopping', async () => {
    // --- log in -------------------------------------------------------------------------
    await page.goto(`http://127.0.0.1:${httpA}/ui/`);
    await page.getByLabel('User').fill('admin');
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'E_AUTH_FAILED' }).waitFor();
    await page.screenshot({ path: join(shots, 'login.png') });
    await checkA11y('login');
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('#user').filter({ hasText: 'admin' }).waitFor();

    // --- keyboard: the skip link moves focus to the page without changing the route; Tab goes on
    // to the navigation --------------------------------------------------------------------
    const routeBefore = page.url();
    const focused = () =>
      page.evaluate(() => {
        const el = (
          globalThis as unknown as { document: { activeElement: { id: string; textContent: string } | null } }
        ).document.activeElement;
        return el === null ? '' : el.id || el.textContent;
      });
    await page.locator('a.skip').focus();
    expect((await page.locator('a.skip').boundingBox())?.x).toBeGreaterThanOrEqual(0); // on screen when focused
    await page.keyboard.press('Enter');
    expect(await focused()).toBe('main');
    expect(page.url()).toBe(routeBefore);
    await page.locator('a.skip').focus();
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Inspector');

    // --- create a channel through the generated form (a server field error first) --------
    await page.getByRole('link', { name: 'Channels' }).click();
    await page.locator('#new-channel').click();
    await page.getByLabel('Name', { exact: true }).fill('desk');
    await page.locator('[data-path="fileReadyDelayMs"]').fill('200');
    await page.locator('[data-path="priority"]').fill('500');
    await page.locator('#channel-save').click();
    const priorityError = page.locator('#cs-priority-error');
    await priorityError.waitFor({ state: 'visible' });
    expect(await priorityError.textContent()).toMatch(/100/);
    expect(await page.locator('[data-path="priority"]').getAttribute('aria-invalid')).toBe('true');
    await page.screenshot({ path: join(shots, 'channel-form.png'), fullPage: false });
    await checkA11y('channel form with a field error');
    await page.locator('[data-path="priority"]').fill('60');
    await page.locator('#channel-save').click();
    await page.getByRole('heading', { name: 'Channel desk' }).waitFor();

    // --- drop a photo and watch it complete live in the Inspector ------------------------
    await page.goto(`http://127.0.0.1:${httpA}/ui/#/jobs?channel=desk`);
    await page.getByRole('heading', { name: /Inspector/ }).waitFor();
    await copyFile(photo('coffee.jpg'), join(await hotIn('desk'), 'coffee.jpg'));
    const row = page.locator('tr[data-state="completed"]').filter({ hasText: 'coffee.jpg' });
    await row.waitFor({ timeout: 60_000 });
    await page.screenshot({ path: join(shots, 'inspector.png') });
    await checkA11y('inspector');

    // --- before/after, histograms, corrections --------------------------------------------
    await row.getByRole('link', { name: 'coffee.jpg' }).click();
    await page.getByRole('heading', { name: 'Before and after' }).waitFor();
    const loaded = async (sel: string) =>
      page
        .locator(sel)
        .first()
        .evaluate(
          (img) =>
            (img as unknown as { complete: boolean; naturalWidth: number }).complete &&
            (img as unknown as { naturalWidth: number }).naturalWidth > 0,
        );
    await waitFor(
      'before and after previews loaded',
      async () => (await loaded('img.before')) && (await loaded('img.after')),
      30_000,
      describeAll,
    );
    await page.locator('.histograms svg').first().waitFor();
    await page.locator('table.corrections tr[data-step="cast"]').waitFor();
    await page.locator('.compare-slider').fill('20');
    await page.screenshot({ path: join(shots, 'job.png') });
    await checkA11y('job');

    // --- change a strength and reprocess; the new result appears beside this one -------
    await page.locator('#rp-cast').fill('0');
    await page.getByRole('button', { name: 'Reprocess', exact: true }).click();
    const panel = page.locator('[data-reprocess]');
    await panel.locator('.state-completed').waitFor({ timeout: 60_000 });
    const childId = await panel.getAttribute('data-reprocess');
    const child = (await api(httpA, `/api/jobs/${childId}/inspect`)) as {
      corrections?: { cast?: { applied?: boolean } };
    };
    expect(child.corrections?.cast?.applied).toBe(false); // strength 0: no cast removal

    // --- the review queue: switch the channel to all-to-review, approve with the keyboard
    await page.goto(`http://127.0.0.1:${httpA}/ui/#/channels/desk`);
    await page.locator('[data-path="workflow"]').selectOption('all-to-review');
    await page.locator('#channel-save').click();
    await page.getByText(/Saved: revision 2/).waitFor();
    await copyFile(photo('rocket.jpg'), join(await hotIn('desk'), 'rocket.jpg'));
    await page.locator('#review-count').filter({ hasText: /^1$/ }).waitFor({ timeout: 60_000 });
    await page.getByRole('link', { name: /^Review/ }).click();
    await page.locator('.review-item').filter({ hasText: 'rocket.jpg' }).waitFor();
    await page.screenshot({ path: join(shots, 'review.png') });
    await checkA11y('review');
    await page.locator('body').press('a');
    await page.getByText('Nothing waits for review.').waitFor();
    await page.locator('#review-count').filter({ hasText: /^0$/ }).waitFor();
    const reviewed = (await api(httpA, '/api/jobs?channel=desk&state=completed')) as {
      jobs: { relPath: string }[];
    };
    expect(reviewed.jobs.map((j) => j.relPath)).toContain('rocket.jpg');

    // --- stop the instance the page talks to: the page carries on through the other ------
    await page.goto(`http://127.0.0.1:${httpA}/ui/#/users`);
    await page.getByRole('heading', { name: /Users/ }).waitFor();
    await page.locator('tr').filter({ hasText: 'admin' }).first().waitFor();
    await checkA11y('users');
    await page.goto(`http://127.0.0.1:${httpA}/ui/#/cluster`);
    // What a observed: b running with its load and a working drive, its cluster port answering;
    // c of the conf never started, named in a warning.
    const rowB = page.locator('tr[data-instance="b"][data-state="running"]');
    await rowB.locator('[data-storage="ok"]').waitFor({ timeout: 30_000 });
    await rowB.locator('[data-port="reachable"]').waitFor();
    expect(await rowB.locator('.load').textContent()).toMatch(/^\d+\.\d\d$/);
    await page.locator('#cluster-warnings li[data-code="never-started"][data-about="c"]').waitFor();
    // The throughput chart counts what completed so far (coffee, its reprocess, rocket at least).
    const chart = page.getByRole('img', { name: /^throughput: / });
    await chart.waitFor();
    expect(
      Number(/(\d+) completed/.exec((await chart.getAttribute('aria-label')) ?? '')?.[1]),
    ).toBeGreaterThanOrEqual(3);
    await page.screenshot({ path: join(shots, 'cluster.png') });
    await checkA11y('cluster');
    await page.goto(`http://127.0.0.1:${httpA}/ui/#/jobs?channel=desk`);
    await page.locator('tr[data-job]').first().waitFor();
    const pageBefore = page.mainFrame();
    // SIGSTOP: a keeps its connections open and never answers (the hard case: no error, no bye).
    a.signal('SIGSTOP');
    // The same place (route and filter) on the other instance, under its own host name.
    const placeOnB = `http://localhost:${httpB}/ui/#/jobs?channel=desk`;
    await waitFor('the page moved to b, same route', () => page.url() === placeOnB, 60_000, describeAll);
    expect(page.mainFrame()).toBe(pageBefore); // the same tab, not a new one
    await page.locator('#user').filter({ hasText: 'admin' }).waitFor(); // the same user, no login page
    expect(await page.locator('#login-user').count()).toBe(0);
    // The session was handed over: b set its own cookie for localhost.
    const cookies = await page.context().cookies(`http://localhost:${httpB}`);
    expect(cookies.map((c) => c.name)).toContain('darkroom_session');
    await page.locator('#instance').filter({ hasText: 'on b' }).waitFor();
    a.signal('SIGKILL');
    await copyFile(photo('chelsea.jpg'), join(await hotIn('desk'), 'chelsea.jpg'));
    await page
      .locator('tr[data-job]')
      .filter({ hasText: 'chelsea.jpg' })
      .locator('.state-review')
      .waitFor({ timeout: 60_000 });

    const found = [...a11y].filter(([, v]) => v.length > 0);
    expect(found.map(([where, v]) => describeViolations(where, v)).join('\n')).toBe('');
    expect([...a11y.keys()]).toHaveLength(7);
  });
});
