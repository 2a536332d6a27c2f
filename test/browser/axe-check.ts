// An accessibility check of the page on screen: axe-core (from npm) evaluated in the page through
// the browser's protocol (so the page's CSP does not block it) and run against WCAG 2.1 A and AA.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly targets: string[];
}

/** The WCAG 2.1 A/AA violations axe finds on `page` now (empty: none), and how many rules ran. */
export async function axeViolations(page: Page): Promise<{ violations: AxeViolation[]; rulesRun: number }> {
  // The test's TypeScript has no DOM types: the page's globals are reached through globalThis.
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const g = globalThis as unknown as {
      axe: { run: (ctx: unknown, o: unknown) => Promise<unknown> };
      document: unknown;
    };
    const r = (await g.axe.run(g.document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      resultTypes: ['violations'],
    })) as {
      violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[];
      passes: unknown[];
      incomplete: unknown[];
    };
    return {
      violations: r.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        targets: v.nodes.slice(0, 5).map((n) => n.target.map(String).join(' ')),
      })),
      rulesRun: r.violations.length + r.passes.length + r.incomplete.length,
    };
  });
}

/** "id (impact): help — targets" per violation, for a failing test's message. */
export function describeViolations(where: string, v: readonly AxeViolation[]): string {
  return `${where}: ${v.map((x) => `${x.id} (${x.impact}): ${x.help} — ${x.targets.join(', ')}`).join('\n')}`;
}
