// Browser-view tests of the load-balancer parts (issue 12) against the DEV/TEST stub feed:
// the Balancers tab (driver, host, last apply, the last error, routes), the health badge and
// "routed by" on every service row, live balancer deltas, and hostile text staying text.
// The same against a real agent and etcd: balancers-e2e.test.mjs (tests/integration/browser_balancers.sh).
// Screenshots go to $PORTOLAN_TEST_OUT (default /tmp/portolan-browser).

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { startStubFeed } from './stub-feed.mjs';

const OUT = process.env.PORTOLAN_TEST_OUT || '/tmp/portolan-browser';
mkdirSync(OUT, { recursive: true });
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];
const HOSTILE = '<img src=x onerror="window.__pwned=1">';

async function openPage(url, colorScheme = 'light') {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'portolan-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 }, colorScheme,
  });
  const page = context.pages()[0] || (await context.newPage());
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  await page.goto(url);
  await page.waitForSelector('#connection-state[data-state=live]', { timeout: 30_000 });
  return {
    page, errors,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// page.waitForFunction compiles with eval, which the page's CSP forbids; poll with evaluate.
async function waitUntil(page, fn, arg, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await page.evaluate(fn, arg)) return;
    if (Date.now() > deadline) throw new Error(`waitUntil timed out: ${fn} (${JSON.stringify(arg)})`);
    await new Promise((r) => setTimeout(r, 40));
  }
}

const ago = (ms) => new Date(Date.now() - ms).toISOString();
function haproxy(extra = {}) {
  return {
    name: 'lb-1', host: 'edge-01', driver: 'haproxy', driverVersion: '2.6.12', version: '0.1.0',
    startedAt: ago(3 * 3600_000), lastApplyAt: ago(12_000), lastApplyMethod: 'runtime',
    lastError: '', lastErrorAt: null,
    routes: [{ service: 'redis', backend: 'portolan_redis', servers: 3, ready: 2 },
      { service: 'api', backend: 'portolan_api', servers: 2, ready: 2 }],
    ...extra,
  };
}

describe('balancers and health (stub feed)', () => {
  test('the Balancers tab, health badges and routing follow the feed', async () => {
    const stub = await startStubFeed({ hosts: 3, services: 14, events: 10 });
    const redis = [...stub.cluster.services.values()].filter((s) => s.name === 'redis');
    assert.ok(redis.length >= 2, 'the stub has redis instances');
    stub.changeService(redis[0].id, { health: 'unhealthy' });
    stub.changeService(redis[1].id, { health: 'starting' });
    const lb1 = haproxy();
    stub.putBalancer(lb1);
    const view = await openPage(stub.url);
    const { page } = view;

    // Every row carries a health badge; unhealthy and starting are spelled out.
    const row = (id) => `[data-testid=service-row][data-service-id="${id}"]`;
    await page.waitForSelector(`${row(redis[0].id)} [data-testid=health][data-health=unhealthy]`);
    assert.equal(await page.textContent(`${row(redis[0].id)} [data-testid=health]`), 'unhealthy');
    assert.equal(await page.textContent(`${row(redis[1].id)} [data-testid=health]`), 'starting');
    const rows = await page.locator('[data-testid=service-row]').count();
    assert.equal(await page.locator('[data-testid=service-row] [data-testid=health]').count(), rows);
    const none = [...stub.cluster.services.values()].find((s) => s.health === 'none');
    if (none) assert.equal(await page.textContent(`${row(none.id)} [data-testid=health]`), 'no check');
    // Routed by lb-1; the unhealthy instance is routed but gets no traffic.
    assert.equal(await page.textContent(`${row(redis[0].id)} [data-testid=routed]`), 'no traffic · lb-1 as portolan_redis');
    const healthy = redis.find((s, i) => i > 1 && (s.health === 'healthy' || s.health === 'none' || !s.health));
    if (healthy) assert.equal(await page.textContent(`${row(healthy.id)} [data-testid=routed]`), 'lb-1 as portolan_redis');
    const pg = [...stub.cluster.services.values()].find((s) => s.name === 'postgres');
    assert.equal(await page.textContent(`${row(pg.id)} [data-testid=routed]`), '');
    assert.equal(await page.textContent('#balancers-badge'), '1');

    // Services tab: the group says where it is routed and how many instances are not healthy.
    await page.click('#tab-services');
    const group = '[data-testid=service-group][data-service-name=redis]';
    await page.waitForSelector(`${group} [data-testid=group-routed]`);
    assert.equal(await page.textContent(`${group} [data-testid=group-routed]`), 'routed by lb-1 as portolan_redis (2 of 3 ready)');
    assert.equal(await page.textContent(`${group} [data-testid=group-health]`), '1 unhealthy, 1 starting');
    assert.equal(await page.textContent('[data-testid=service-group][data-service-name=postgres] [data-testid=group-routed]'), 'not routed');
    await page.screenshot({ path: path.join(OUT, 'balancers-services.png') });

    // Balancers tab: one card with its facts and routes.
    await page.click('#tab-balancers');
    const card = '[data-testid=balancer-card][data-balancer=lb-1]';
    await page.waitForSelector(card);
    assert.equal(await page.textContent(`${card} [data-testid=balancer-driver]`), 'haproxy 2.6.12');
    assert.equal(await page.textContent(`${card} [data-testid=balancer-host]`), 'on edge-01');
    // The age is the record's, read now: a loaded machine may take many seconds to get here.
    const applied = await page.textContent(`${card} [data-testid=balancer-applied]`);
    const shown = applied.match(/^last applied (\d+)s ago through the Runtime API \(no reload\)$/);
    assert.ok(shown, applied);
    const age = (Date.now() - Date.parse(lb1.lastApplyAt)) / 1000;
    assert.ok(Number(shown[1]) >= 12 && Math.abs(Number(shown[1]) - age) <= 2, `${applied} (record is ${age.toFixed(1)} s old)`);
    assert.equal(await page.locator(`${card} [data-testid=balancer-error]`).count(), 0);
    const routes = await page.locator(`${card} [data-testid=balancer-route]`).allTextContents();
    assert.deepEqual(routes, ['redis→portolan_redis3 servers, 2 ready', 'api→portolan_api2 servers, 2 ready']);
    await page.screenshot({ path: path.join(OUT, 'balancers-ok.png') });

    // A refused config: the error is shown prominently, the tab turns red; hostile text stays text.
    stub.putBalancer(haproxy({ lastError: `haproxy -c refused portolan.cfg: ${HOSTILE}`, lastErrorAt: ago(4000),
      lastApplyMethod: 'reload' }));
    stub.putBalancer(haproxy({ name: 'lb-2', driver: 'nginx', driverVersion: '1.22.1', host: HOSTILE,
      routes: [{ service: 'redis', backend: HOSTILE, servers: 3, ready: 0 }] }));
    await page.waitForSelector(`${card} [data-testid=balancer-error]`);
    assert.equal(await page.textContent(`${card} .balancer-error-text`), `haproxy -c refused portolan.cfg: ${HOSTILE}`);
    await page.waitForSelector('[data-testid=balancer-card][data-balancer=lb-2]');
    assert.deepEqual(await page.locator('[data-testid=balancer-name]').allTextContents(), ['lb-1', 'lb-2']);
    assert.equal(await page.textContent('[data-balancer=lb-2] [data-testid=balancer-host]'), `on ${HOSTILE}`);
    assert.equal(await page.locator('img').count(), 0, 'no markup was made from data');
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    assert.equal(await page.textContent('#balancers-badge'), '2 · 1 failing');
    assert.ok(await page.evaluate(() => document.querySelector('#balancers-badge').classList.contains('is-bad')));
    await page.screenshot({ path: path.join(OUT, 'balancers-error.png') });
    await page.click('#tab-hosts');
    await waitUntil(page, (sel) => document.querySelector(sel)?.textContent.startsWith('no traffic · lb-1 as portolan_redis, lb-2 as <img'),
      `${row(redis[0].id)} [data-testid=routed]`);
    await page.screenshot({ path: path.join(OUT, 'balancers-hosts.png') });

    // The records go (lease expired): cards and "routed by" go with them; health changes live.
    stub.removeBalancer('lb-1');
    stub.removeBalancer('lb-2');
    stub.changeService(redis[0].id, { health: 'healthy' });
    await waitUntil(page, (sel) => document.querySelector(sel)?.textContent === 'healthy', `${row(redis[0].id)} [data-testid=health]`);
    await waitUntil(page, (sel) => document.querySelector(sel)?.textContent === '', `${row(redis[0].id)} [data-testid=routed]`);
    assert.equal(await page.isHidden('#balancers-badge'), true);
    await page.click('#tab-balancers');
    await waitUntil(page, () => !document.querySelector('#balancers-empty').hidden);
    assert.match(await page.textContent('#balancers-empty'), /No load balancer is running/);
    assert.equal(await page.locator('[data-testid=balancer-card]').count(), 0);
    assert.deepEqual(view.errors, []);
    await view.close();
    await stub.close();
  });

  test('dark mode screenshot of the Balancers tab', async () => {
    const stub = await startStubFeed({ hosts: 3, services: 14, events: 10 });
    stub.putBalancer(haproxy());
    stub.putBalancer(haproxy({ name: 'lb-2', driver: 'nginx', driverVersion: '1.22.1', lastApplyMethod: 'reload',
      lastError: 'nginx -t refused the new upstreams (host not found in upstream "x"); the previous file stays and nginx keeps serving',
      lastErrorAt: ago(30_000), routes: [{ service: 'nginx', backend: 'portolan_nginx', servers: 1, ready: 0 }] }));
    const view = await openPage(`${stub.url}#balancers`, 'dark');
    await view.page.waitForSelector('[data-testid=balancer-card][data-balancer=lb-2] [data-testid=balancer-error]');
    await view.page.screenshot({ path: path.join(OUT, 'dark-balancers.png') });
    assert.deepEqual(view.errors, []);
    await view.close();
    await stub.close();
  });
});
