import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { call, startApiNetwork, until, type ApiNetwork } from './api-helpers.js';

// The page functions below run in the browser; this project compiles without the DOM library.
declare const document: { body: { dataset: Record<string, string | undefined> }; querySelector(selector: string): { textContent: string | null } | null };

/** Debian's chromium (package `chromium`); `$VPP_CHROMIUM` overrides. */
const CHROMIUM = process.env.VPP_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = mkdtempSync(join(tmpdir(), 'vpp-dashboard-'));

/** Text of an element, as a number. */
async function numberIn(page: Page, selector: string): Promise<number> {
  return Number(await page.textContent(selector));
}

describe('dashboard in headless Chromium', () => {
  let net: ApiNetwork;
  let browser: BrowserContext;

  before(async () => {
    // A missing browser is a failure with the fix in it, never a skip.
    assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: install Debian's package (apt-get install chromium; .ci/run does) or set VPP_CHROMIUM`);
    net = await startApiNetwork();
    browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'vpp-chromium-')), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 1100 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  after(async () => {
    await browser?.close();
    await net?.stop();
  });

  it("loads a coordinator's dashboard and sees live commits, blocks and chart points arrive", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${net.coordinator.url}/#token=${net.readToken}`);
    await page.waitForSelector('#conn.live');
    await page.waitForFunction(() => document.querySelector('#k-chain')?.textContent !== '–');
    const chainAtLoad = await numberIn(page, '#k-chain');
    const pointsAtLoad = Number(await page.getAttribute('body', 'data-points'));
    // Live: the chain height and the chart grow while the page is open, from stream messages alone.
    await page.waitForFunction((h) => Number(document.querySelector('#k-chain')?.textContent) >= h + 2, chainAtLoad, { timeout: 30_000 });
    await page.waitForFunction((n) => Number(document.body.dataset.points) > n, pointsAtLoad, { timeout: 30_000 });
    assert.ok(Number(await page.getAttribute('body', 'data-updates')) >= 4);
    assert.match((await page.textContent('#title')) ?? '', /coordinator/);
    assert.ok(Number(await page.textContent('#k-height')) >= chainAtLoad, 'consensus height shown');
    assert.match((await page.textContent('#plan')) ?? '', /height \d+/);
    // Balances follow the blocks: the first settlements arrive a block after the first readings.
    await page.waitForFunction(() => /market/.test(document.querySelector('#balances')?.textContent ?? ''), undefined, { timeout: 30_000 });
    assert.equal(await page.locator('#fleet tr').count(), 1 + 15);
    assert.equal(await page.locator('#chart canvas').count(), 1);
    assert.deepEqual(errors, []);
    const shot = join(SHOTS, 'coordinator.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`dashboard screenshot: ${shot}`);
  });

  it("loads a peer's dashboard: its fleet with actor states and state of charge, updated from telemetry", async () => {
    const page = await browser.newPage();
    await page.goto(`${net.peer.url}/#token=${net.readToken}`);
    await page.waitForSelector('#conn.live');
    const before = Number(await page.getAttribute('body', 'data-updates'));
    await page.waitForFunction((n) => Number(document.body.dataset.updates) >= n + 3, before, { timeout: 30_000 });
    const fleet = (await page.textContent('#fleet')) ?? '';
    assert.match(fleet, /\d+\.\d %/, 'battery state of charge shown');
    assert.match(fleet, /dispatching|committed/);
    assert.match((await page.textContent('#title')) ?? '', /peer/);
    assert.match((await page.textContent('#balances')) ?? '', /keeps no settlement chain/);
    const shot = join(SHOTS, 'peer.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`dashboard screenshot: ${shot}`);
  });

  it('opens the results of a simulation run an operator started', async () => {
    const started = await call(`${net.coordinator.url}/api/runs`, { token: net.operatorToken, body: { scenario: net.smallScenario } });
    assert.equal(started.status, 202);
    const id = started.body.id as string;
    await until('the run to finish', async () => ((await call(`${net.coordinator.url}/api/runs/${id}`, { token: net.readToken })).body.state === 'done' ? true : undefined), 90_000);
    const page = await browser.newPage();
    await page.goto(`${net.coordinator.url}/?run=${id}#token=${net.readToken}`);
    await page.waitForFunction((run) => document.body.dataset.run === run, id);
    assert.match((await page.textContent('#run-summary')) ?? '', /valueVpp/);
    const report = page.frameLocator('#run-report');
    await report.locator('#power canvas').first().waitFor({ timeout: 20_000 });
    assert.match((await page.textContent('#runs')) ?? '', new RegExp(id));
    const shot = join(SHOTS, 'run.png');
    // Frames outside the viewport are not painted in a full-page shot: the results are shown where they are.
    await page.locator('#run').screenshot({ path: shot });
    console.log(`dashboard screenshot: ${shot}`);
  });
});
