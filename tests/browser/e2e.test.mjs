// End-to-end browser test against the REAL agent (not the stub): started by
// tests/integration/browser_e2e.sh, which runs a private etcd, two private dockerds and two
// agents (host-a serving the page with -feed, host-b with a short -ttl), then hands over:
//
//   PORTOLAN_E2E_FEED_URL       http://127.0.0.1:PORT/ (agent A's feed)
//   PORTOLAN_E2E_DOCKER_HOST_A  unix socket URL of host A's dockerd (image example/redis there)
//   PORTOLAN_E2E_AGENT_B_PID    pid of agent B, which this test SIGKILLs
//   PORTOLAN_E2E_TTL_B          agent B's -ttl in seconds
//   PORTOLAN_E2E_B_SERVICE_ID   the service already registered by agent B
//   PORTOLAN_E2E_OUT            where screenshots and figures.json go
//   PORTOLAN_E2E_PROFILE_DIR    where the fresh chromium profile is made (default: os.tmpdir())
//
// Steps (the list): open the page; docker run on host A and see the row under host-a
// within a second; docker stop and see it go, with "added" and "removed" in the timeline; SIGKILL
// agent B and see host-b "gone" after its TTL; screenshots. Times are taken in the page by a
// MutationObserver (performance.timeOrigin + performance.now(), i.e. wall clock) the moment the
// DOM changes, and compared with the wall-clock moments docker returned and Docker's StartedAt.
// Without the variables (e.g. `node --test` in this folder) the test is skipped.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';

const env = process.env;
const FEED = env.PORTOLAN_E2E_FEED_URL;
const OUT = env.PORTOLAN_E2E_OUT || path.join(env.PORTOLAN_TEST_OUT || '/tmp', 'browser_e2e');
const TTL_B = Number(env.PORTOLAN_E2E_TTL_B || 3);
const AGENT_B_PID = Number(env.PORTOLAN_E2E_AGENT_B_PID || 0);
const B_SERVICE_ID = env.PORTOLAN_E2E_B_SERVICE_ID || 'host-b:redis.b1:6379';
const CONTAINER = 'redis.e2e';
const SERVICE_ID = `host-a:${CONTAINER}:6379`;
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
  // network rule: the browser resolves no name but loopback, whatever a page might ask for
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'];

const run = promisify(execFile);
const docker = (...args) => run('docker', args, {
  env: { ...env, DOCKER_HOST: env.PORTOLAN_E2E_DOCKER_HOST_A }, timeout: 60_000,
});
const rowSel = (host, id) => `[data-testid=host-card][data-host="${host}"] [data-testid=service-row][data-service-id="${id}"]`;
const goneSel = (host) => `[data-testid=host-card][data-host="${host}"].is-gone`;
// Docker's RFC 3339 times carry nanoseconds; Date.parse wants at most milliseconds.
const dockerTime = (s) => Date.parse(s.trim().replace(/(\.\d{3})\d*/, '$1'));
const log = (...a) => console.log('#', ...a);

// Runs in the page before its own scripts. watch(name, selector, present) records the wall-clock
// moment (ms) the selector first matches (present) or stops matching (!present), checked on every
// DOM mutation, plus the start of the next animation frame (when it is painted).
function pageInit() {
  const now = () => performance.timeOrigin + performance.now();
  const watches = {};
  const check = () => {
    const t = now();
    for (const w of Object.values(watches)) {
      if (w.at != null) continue;
      if (!!document.querySelector(w.selector) === w.present) {
        w.at = t;
        requestAnimationFrame(() => { w.frameAt = now(); });
      }
    }
  };
  window.__e2e = {
    watch(name, selector, present) {
      watches[name] = { selector, present, armedAt: now(), at: null, frameAt: null };
      check();
    },
    get: (name) => watches[name],
  };
  new MutationObserver(check).observe(document, {
    childList: true, subtree: true, attributes: true, characterData: true,
  });
}

async function watched(page, name) {
  const w = await page.evaluate((n) => window.__e2e.get(n), name);
  assert.ok(w && w.at != null, `the page recorded no time for ${name}`);
  return w;
}

async function feedEvents() {
  const r = await fetch(new URL('api/v1/events', FEED));
  assert.equal(r.status, 200);
  return (await r.json()).events;
}

describe('browser view end to end (real agent, etcd and dockerd)', { skip: !FEED && 'run by tests/integration/browser_e2e.sh' }, () => {
  let context;
  let page;
  let profile;
  let failed = false;
  const errors = [];
  const offLoopback = [];
  const fig = { ttl: TTL_B };
  const shot = async (name) => {
    const file = path.join(OUT, `${name}.png`);
    await page.screenshot({ path: file });
    log(`screenshot ${file}`);
  };
  // Each step runs only when the ones before it passed (they build on each other).
  const step = (name, fn) => test(name, async (t) => {
    if (failed) return t.skip('an earlier step failed');
    try {
      await fn(t);
    } catch (e) {
      failed = true;
      if (page) await shot(`failed-${name.replace(/\W+/g, '-')}`).catch(() => {});
      throw e;
    }
  });

  before(async () => {
    mkdirSync(OUT, { recursive: true });
    profile = mkdtempSync(path.join(env.PORTOLAN_E2E_PROFILE_DIR || os.tmpdir(), 'chromium-profile-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 }, colorScheme: 'light',
    });
    page = context.pages()[0] || (await context.newPage());
    const hostOf = (u) => { try { return new URL(u).hostname; } catch { return u; } };
    context.on('request', (r) => { if (hostOf(r.url()) !== '127.0.0.1') offLoopback.push(r.url()); });
    page.on('websocket', (ws) => { if (hostOf(ws.url()) !== '127.0.0.1') offLoopback.push(ws.url()); });
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    await page.addInitScript(pageInit);
  });

  after(async () => {
    if (context) await context.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    if (!failed) writeFileSync(path.join(OUT, 'figures.json'), `${JSON.stringify(fig, null, 2)}\n`);
    log('figures', JSON.stringify(fig));
  });

  step('1. the page opens live with host-a and host-b up', async () => {
    await page.goto(FEED);
    await page.waitForSelector('#connection-state[data-state=live]', { timeout: 10_000 });
    await page.waitForSelector('#etcd-state[data-state=ready]', { timeout: 10_000 }).catch(async () => {
      assert.fail(`etcd state is ${await page.getAttribute('#etcd-state', 'data-state')}, not ready`);
    });
    await page.waitForSelector(rowSel('host-b', B_SERVICE_ID), { timeout: 10_000 });
    await page.waitForSelector('[data-testid=host-card][data-host=host-a]', { timeout: 10_000 });
    for (const h of ['host-a', 'host-b']) {
      const card = page.locator(`[data-testid=host-card][data-host=${h}]`);
      assert.equal(await card.evaluate((e) => e.classList.contains('is-gone')), false, `${h} is up`);
      assert.equal(await card.locator('.pill[data-state]').first().textContent(), 'up', `${h} pill`);
    }
    assert.equal(await page.textContent('#summary-hosts-up'), '2');
    assert.equal(await page.textContent('#summary-services'), '1');
    assert.equal(await page.locator(`[data-testid=service-row][data-service-id="${SERVICE_ID}"]`).count(), 0,
      `${SERVICE_ID} must not exist yet`);
    await shot('0-hosts-initial');
  });

  step('2. docker run on host A: the row appears under host-a within a second', async () => {
    await page.evaluate((sel) => window.__e2e.watch('added', sel, true), rowSel('host-a', SERVICE_ID));
    const t0 = Date.now();
    await docker('run', '-d', '--name', CONTAINER, '-P', 'example/redis');
    const tRun = Date.now();
    const startedAt = dockerTime((await docker('inspect', '-f', '{{.State.StartedAt}}', CONTAINER)).stdout);
    const published = (await docker('port', CONTAINER, '6379/tcp')).stdout.trim().split('\n')[0];
    await page.waitForSelector(rowSel('host-a', SERVICE_ID), { timeout: 10_000 });
    const w = await watched(page, 'added');
    fig.dockerRunMs = tRun - t0;
    fig.addFromRunMs = w.at - tRun;
    fig.addFromStartedMs = w.at - startedAt;
    fig.addFrameFromStartedMs = (w.frameAt ?? w.at) - startedAt;
    const ev = (await feedEvents()).find((e) => e.action === 'added' && e.serviceId === SERVICE_ID);
    assert.ok(ev, 'the feed has an "added" event for the service');
    fig.addFeedEventFromStartedMs = Date.parse(ev.time) - startedAt;
    log(`docker run took ${fig.dockerRunMs} ms; row in DOM ${fig.addFromRunMs} ms after it returned, `
      + `${fig.addFromStartedMs} ms after StartedAt (feed event at +${fig.addFeedEventFromStartedMs} ms, `
      + `next frame at +${fig.addFrameFromStartedMs.toFixed(0)} ms)`);
    const text = await page.textContent(rowSel('host-a', SERVICE_ID));
    assert.ok(text.includes(published), `row shows the published address ${published}: ${text}`);
    assert.ok(text.includes(CONTAINER) && text.includes('example/redis'), `row shows container and image: ${text}`);
    assert.equal(await page.textContent('#summary-services'), '2');
    assert.ok(fig.addFromStartedMs <= 1000, `row appeared ${fig.addFromStartedMs} ms after the container started (limit 1000 ms)`);
    await shot('1-hosts-after-add');
  });

  step('3. docker stop: the row goes, and "added" and "removed" are in the timeline', async () => {
    await page.evaluate((sel) => window.__e2e.watch('removed', sel, false), rowSel('host-a', SERVICE_ID));
    const t0 = Date.now();
    await docker('stop', CONTAINER);
    const tStop = Date.now();
    const finishedAt = dockerTime((await docker('inspect', '-f', '{{.State.FinishedAt}}', CONTAINER)).stdout);
    await page.waitForSelector(rowSel('host-a', SERVICE_ID), { state: 'detached', timeout: 10_000 });
    const w = await watched(page, 'removed');
    fig.dockerStopMs = tStop - t0;
    fig.removeFromStopMs = w.at - tStop;
    fig.removeFromFinishedMs = w.at - finishedAt;
    log(`docker stop took ${fig.dockerStopMs} ms; row left the DOM ${fig.removeFromStopMs} ms after it returned, `
      + `${fig.removeFromFinishedMs} ms after FinishedAt`);
    assert.ok(fig.removeFromFinishedMs <= 5000, `row went ${fig.removeFromFinishedMs} ms after the container exited`);
    assert.equal(await page.textContent('#summary-services'), '1');

    await page.click('#tab-events');
    const evSel = (a) => `[data-testid=event-row][data-action=${a}][data-host=host-a][data-service=redis]`;
    await page.waitForSelector(evSel('added'), { timeout: 5000 });
    await page.waitForSelector(evSel('removed'), { timeout: 5000 });
    const rows = await page.$$eval('[data-testid=event-row]', (r) => r.map((x) => [x.dataset.action, x.dataset.host, x.dataset.service, Number(x.dataset.seq)]));
    // docker stop's SIGTERM first marks the instance "stopping" (a changed event: balancers drain
    // it), unless the removal overtakes that write; then the container dies and is removed.
    const mine = rows.filter(([, h, s]) => h === 'host-a' && s === 'redis')
      .filter(([a]) => a !== 'changed');
    assert.deepEqual(mine.map(([a]) => a), ['removed', 'added'], `host-a/redis events newest first: ${JSON.stringify(rows)}`);
    assert.ok(mine[0][3] > mine[1][3], 'removed has the higher seq');
    const addedText = await page.textContent(evSel('added'));
    assert.ok(addedText.includes(SERVICE_ID), `added row names the service id: ${addedText}`);
    await shot('2-events-added-removed');
  });

  step(`4. SIGKILL agent B: host-b is "gone" after its ${TTL_B} s TTL`, async () => {
    assert.ok(AGENT_B_PID > 0, 'PORTOLAN_E2E_AGENT_B_PID is set');
    await page.click('#tab-hosts');
    await page.waitForSelector(rowSel('host-b', B_SERVICE_ID));
    await page.evaluate((sel) => window.__e2e.watch('gone', sel, true), goneSel('host-b'));
    process.kill(AGENT_B_PID, 'SIGKILL');
    const tKill = Date.now();
    await page.waitForSelector(goneSel('host-b'), { timeout: (TTL_B + 10) * 1000 });
    const w = await watched(page, 'gone');
    fig.goneFromKillMs = w.at - tKill;
    const events = await feedEvents();
    const ev = events.find((e) => e.action === 'host-gone' && e.host === 'host-b');
    assert.ok(ev, 'the feed has a "host-gone" event for host-b');
    log('host-b events in the feed:', events.filter((e) => e.host === 'host-b')
      .map((e) => `seq ${e.seq} rev ${e.revision} ${e.action} ${e.serviceId || ''}`).join('; '));
    fig.goneFeedEventFromKillMs = Date.parse(ev.time) - tKill;
    log(`host-b gone in the page ${fig.goneFromKillMs} ms after SIGKILL (feed event at +${fig.goneFeedEventFromKillMs} ms, ttl ${TTL_B} s)`);
    assert.ok(fig.goneFromKillMs >= 1000, `host-b went gone ${fig.goneFromKillMs} ms after SIGKILL: sooner than a ${TTL_B} s lease allows`);
    assert.ok(fig.goneFromKillMs <= (TTL_B + 3) * 1000, `host-b went gone ${fig.goneFromKillMs} ms after SIGKILL (limit ${TTL_B + 3} s)`);
    const card = page.locator('[data-testid=host-card][data-host=host-b]');
    assert.match(await card.locator('.pill[data-state=gone]').textContent(), /^gone/);
    // Its service went with the lease; host-a is still up.
    await page.waitForSelector(rowSel('host-b', B_SERVICE_ID), { state: 'detached', timeout: 3000 });
    assert.equal(await page.locator('[data-testid=host-card][data-host=host-a].is-gone').count(), 0);
    assert.equal(await page.textContent('#summary-hosts-up'), '1');
    assert.equal(await page.textContent('#summary-hosts-gone'), '1');
    assert.equal(await page.getAttribute('#connection-state', 'data-state'), 'live');
    await shot('3-hosts-host-b-gone');
    await page.click('#tab-events');
    await page.waitForSelector('[data-testid=event-row][data-action=host-gone][data-host=host-b]', { timeout: 3000 });
    await shot('4-events-host-b-gone');
  });

  step('5. no console errors, and every request went to loopback', async () => {
    assert.deepEqual(errors, []);
    assert.deepEqual(offLoopback, []);
  });
});
