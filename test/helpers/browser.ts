// A real browser for the console tests: Debian's chromium driven by playwright-core, headless, one per test file;
// and axe-core run in a page against the WCAG rules, answering its serious and critical violations.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Test } from 'tap';

export const CHROMIUM = process.env.PERMGATE_CHROMIUM ?? '/usr/bin/chromium';

export async function launchBrowser(t: Test): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // --no-sandbox: CI runs as root, where chromium's sandbox cannot start. The machine has no internet, and chromium
    // otherwise keeps trying to reach its update and sync services.
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
  t.teardown(() => browser.close());
  return browser;
}

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: number;
}

/**
 * axe-core's WCAG 2.x A/AA checks of the page as it is; only serious and critical violations. Evaluated through the
 * DevTools protocol, which the page's CSP does not govern, so the console's own CSP stays as strict as it ships.
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE);
  const result = (await page.evaluate(`axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] })
    .then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length, targets: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) })))`)) as (AxeViolation & { targets: string[] })[];
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
