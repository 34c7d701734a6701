// The browser view's load-balancer parts against the REAL agent and a real etcd (issue 12),
// started by tests/integration/browser_balancers.sh, which hands over:
//
//   PORTOLAN_LB_FEED_URL     http://127.0.0.1:PORT/ (the agent's feed; host-a runs web.1)
//   PORTOLAN_LB_ETCD         http://127.0.0.1:PORT (the etcd the agent reads; etcdctl writes here)
//   PORTOLAN_LB_SERVICE_ID   the agent's own service (name "web")
//   PORTOLAN_LB_OUT          where screenshots and figures.json go
//   PORTOLAN_LB_PROFILE_DIR  where the fresh chromium profile is made (default: os.tmpdir())
//
// The records are written with etcdctl exactly as portolan-lb and an agent that reports health
// write them (records/Records.h: etcd field names). Times are from etcdctl returning to the
// page showing the change (polled every 20 ms). Without the variables the test is skipped.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';

const env = process.env;
const FEED = env.PORTOLAN_LB_FEED_URL;
const OUT = env.PORTOLAN_LB_OUT || path.join(env.PORTOLAN_TEST_OUT || '/tmp', 'browser_balancers');
const OWN_ID = env.PORTOLAN_LB_SERVICE_ID || 'host-a:web.1:80';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'];
const HOSTILE = '<img src=x onerror="window.__pwned=1">';

const run = promisify(execFile);
const etcdctl = (...args) => run('etcdctl', [`--endpoints=${env.PORTOLAN_LB_ETCD}`, '--dial-timeout=2s',
  '--command-timeout=5s', ...args], { env: { ...env, ETCDCTL_API: '3' }, timeout: 15_000 });
const put = async (key, value) => { await etcdctl('put', '--', key, typeof value === 'string' ? value : JSON.stringify(value)); return Date.now(); };
const del = async (key) => { await etcdctl('del', '--', key); return Date.now(); };
const ago = (ms) => new Date(Date.now() - ms).toISOString();

// A detail record of another host, as an agent with health writes it.
function service(container, name, port, health) {
  const id = `core-01:${container}:80`;
  return [`/portolan/services/core-01/${id}`, {
    attributes: {}, containerId: `${container}0000000000`, containerName: container, health, host: 'core-01', id,
    image: `example/${name}:1`, ip: '127.0.0.1', key: `/services/${name}/${id}`, name, port, protocol: 'tcp',
    registeredAt: ago(60_000), tags: [],
  }];
}
function balancer(name, extra = {}) {
  return {
    driver: 'haproxy', driverVersion: '2.6.12', host: 'edge-01', lastApplyAt: ago(2000), lastApplyMethod: 'runtime',
    name, routes: [{ backend: 'portolan_web', ready: 2, servers: 3, service: 'web' }], startedAt: ago(3600_000),
    version: '0.1.0', ...extra,
  };
}

async function waitUntil(page, fn, arg, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await page.evaluate(fn, arg)) return Date.now();
    if (Date.now() > deadline) throw new Error(`waitUntil timed out: ${fn} (${JSON.stringify(arg)})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const textIs = (sel, text) => [([s, t]) => document.querySelector(s)?.textContent === t, [sel, text]];

describe('balancers and health in the browser view (real agent and etcd)', { skip: !FEED && 'run by tests/integration/browser_balancers.sh' }, () => {
  let context;
  let page;
  let profile;
  const errors = [];
  const fig = {};
  const row = (id) => `[data-testid=service-row][data-service-id="${id}"]`;
  const shot = (name) => page.screenshot({ path: path.join(OUT, `${name}.png`) });
  const [unhealthy, healthy, starting] = [service('web.2', 'web', 32001, 'unhealthy'),
    service('redis.1', 'redis', 32002, 'healthy'), service('web.3', 'web', 32003, 'starting')];

  before(async () => {
    mkdirSync(OUT, { recursive: true });
    profile = mkdtempSync(path.join(env.PORTOLAN_LB_PROFILE_DIR || os.tmpdir(), 'chromium-profile-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 }, colorScheme: 'light',
    });
    page = context.pages()[0] || (await context.newPage());
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  });

  after(async () => {
    if (context) await context.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    writeFileSync(path.join(OUT, 'figures.json'), `${JSON.stringify(fig, null, 2)}\n`);
    console.log('# figures', JSON.stringify(fig));
  });

  test('health badges, routing and the Balancers tab follow etcd', async () => {
    for (const [key, value] of [unhealthy, healthy, starting]) await put(key, value);
    await page.goto(FEED);
    await page.waitForSelector('#connection-state[data-state=live]', { timeout: 10_000 });
    await page.waitForSelector(row(unhealthy[1].id), { timeout: 10_000 });
    await page.waitForSelector(row(OWN_ID));
    for (const [, s] of [unhealthy, healthy, starting]) {
      assert.equal(await page.textContent(`${row(s.id)} [data-testid=health]`), s.health);
    }
    // The agent's own container has no HEALTHCHECK: "no check", or nothing from an agent that
    // does not report health yet.
    assert.match(await page.getAttribute(`${row(OWN_ID)} [data-testid=health]`, 'data-health'), /^(none|unknown)$/);
    assert.equal(await page.textContent(`${row(OWN_ID)} [data-testid=routed]`), '');
    assert.equal(await page.isHidden('#balancers-badge'), true);

    // a. portolan-lb's record appears: every "web" row is routed by it.
    const t0 = await put('/portolan/balancers/lb-1', balancer('lb-1'));
    fig.cardMs = await waitUntil(page, ...textIs(`${row(OWN_ID)} [data-testid=routed]`, 'lb-1 as portolan_web')) - t0;
    assert.equal(await page.textContent(`${row(unhealthy[1].id)} [data-testid=routed]`), 'no traffic · lb-1 as portolan_web');
    assert.equal(await page.textContent(`${row(starting[1].id)} [data-testid=routed]`), 'no traffic · lb-1 as portolan_web');
    assert.equal(await page.textContent(`${row(healthy[1].id)} [data-testid=routed]`), '');
    await shot('hosts');
    await page.click('#tab-balancers');
    const card = '[data-testid=balancer-card][data-balancer=lb-1]';
    await page.waitForSelector(card);
    assert.equal(await page.textContent(`${card} [data-testid=balancer-driver]`), 'haproxy 2.6.12');
    assert.equal(await page.textContent(`${card} [data-testid=balancer-host]`), 'on edge-01');
    assert.match(await page.textContent(`${card} [data-testid=balancer-applied]`), /^last applied \ds ago through the Runtime API \(no reload\)$/);
    assert.deepEqual(await page.locator(`${card} [data-testid=balancer-route]`).allTextContents(), ['web→portolan_web3 servers, 2 ready']);

    // b. A refused config and a second balancer: the error is shown as text, prominently.
    const t1 = await put('/portolan/balancers/lb-1', balancer('lb-1', {
      lastApplyMethod: 'reload', lastError: `haproxy -c refused portolan.cfg: ${HOSTILE}`, lastErrorAt: ago(1000) }));
    await put('/portolan/balancers/lb-2', balancer('lb-2', { driver: 'nginx', driverVersion: '1.22.1', lastApplyMethod: 'reload',
      routes: [{ backend: 'web_upstream', ready: 0, servers: 3, service: 'web' }] }));
    fig.errorMs = await waitUntil(page, ...textIs(`${card} .balancer-error-text`, `haproxy -c refused portolan.cfg: ${HOSTILE}`)) - t1;
    await page.waitForSelector('[data-testid=balancer-card][data-balancer=lb-2]');
    assert.equal(await page.textContent('#balancers-badge'), '2 · 1 failing');
    assert.equal(await page.locator('img').count(), 0, 'no markup was made from the record');
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    await shot('balancers');
    const snapshot = await (await fetch(new URL('api/v1/snapshot', FEED))).json();
    assert.deepEqual(snapshot.balancers.map((b) => [b.name, b.lastError]),
      [['lb-1', `haproxy -c refused portolan.cfg: ${HOSTILE}`], ['lb-2', '']]);

    // c. The instance turns healthy; the records go (portolan-lb stopped): the page follows.
    await page.click('#tab-hosts');
    const t2 = await put(unhealthy[0], { ...unhealthy[1], health: 'healthy' });
    fig.healthMs = await waitUntil(page, ...textIs(`${row(unhealthy[1].id)} [data-testid=health]`, 'healthy')) - t2;
    assert.equal(await page.textContent(`${row(unhealthy[1].id)} [data-testid=routed]`), 'lb-1 as portolan_web, lb-2 as web_upstream');
    await del('/portolan/balancers/lb-2');
    const t3 = await del('/portolan/balancers/lb-1');
    fig.goneMs = await waitUntil(page, ...textIs(`${row(OWN_ID)} [data-testid=routed]`, '')) - t3;
    await page.click('#tab-balancers');
    await waitUntil(page, () => !document.querySelector('#balancers-empty').hidden);
    assert.equal(await page.locator('[data-testid=balancer-card]').count(), 0);
    assert.deepEqual(errors, []);
  });
});
