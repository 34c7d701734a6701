// The browser view with a feed token (-feed-token-file), against the REAL agent: issue 15,
// finding 6 ("the browser view is blank with a token"). Started by
// tests/integration/browser_token.sh, which runs a private etcd and dockerd, an agent with
// -feed=127.0.0.1:P -feed-token-file=F and one container with a published port, then hands over:
//
//   PORTOLAN_TOKEN_FEED_URL      http://127.0.0.1:PORT/ (the agent's feed)
//   PORTOLAN_TOKEN_FILE          the token file the agent was given (the token is read from it)
//   PORTOLAN_TOKEN_HOST          the agent's -hostname
//   PORTOLAN_TOKEN_SERVICE_ID    the container's service id (HOST:CONTAINER:PORT)
//   PORTOLAN_TOKEN_SERVICE_ADDR  its published address (127.0.0.1:HOSTPORT), shown in the row
//   PORTOLAN_TOKEN_OUT           where screenshots and figures.json go
//   PORTOLAN_TOKEN_PROFILE_DIR   where the fresh chromium profiles are made (default: os.tmpdir())
//
// Three cases, each in its own fresh chromium profile (no cache shared between them, so every
// case fetches the page and its assets itself):
//   a. /?token=T      the service row is visible within 10 s, no request got a 4xx, the page is live;
//   b. /              the page and its assets answer 200, the page says the agent requires a token,
//                     and shows no row;
//   c. /?token=wrong  the page and its assets answer 200, the page says the token was refused, no row.
// Every response the browser got (and every WebSocket it opened) is recorded with its status and
// written to figures.json; the token is redacted from everything recorded or printed.
// Without the variables (e.g. `node --test` in this folder) the test is skipped.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';

const env = process.env;
const FEED = env.PORTOLAN_TOKEN_FEED_URL;
const OUT = env.PORTOLAN_TOKEN_OUT || path.join(env.PORTOLAN_TEST_OUT || '/tmp', 'browser_token');
const HOST = env.PORTOLAN_TOKEN_HOST || 'host-tok';
const SERVICE_ID = env.PORTOLAN_TOKEN_SERVICE_ID || `${HOST}:redis.tok:6379`;
const SERVICE_ADDR = env.PORTOLAN_TOKEN_SERVICE_ADDR || '';
const ROW_TIMEOUT_MS = 10_000;
const MESSAGE_TIMEOUT_MS = 6_000;
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
  // network rule: the browser resolves no name but loopback, whatever a page might ask for
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'];
// The wording of resources/web/assets/feed-connection.js (FeedConnection.lost).
const MSG_REQUIRED = 'the agent requires a token: open this page as';
const MSG_REFUSED = 'the agent refused the token in the page URL';

const TOKEN = FEED ? readFileSync(env.PORTOLAN_TOKEN_FILE, 'utf8').trim() : '';
const redact = (s) => (TOKEN ? String(s).split(TOKEN).join('<token>') : String(s));
const shortUrl = (u) => {
  try {
    const x = new URL(u);
    return redact(`${x.protocol.startsWith('ws') ? 'ws ' : ''}${x.pathname}${x.search}`);
  } catch {
    return redact(u);
  }
};
const rowSel = `[data-testid=host-card][data-host="${HOST}"] [data-testid=service-row][data-service-id="${SERVICE_ID}"]`;
const anyRowSel = '[data-testid=service-row][data-service-id]';
const isAsset = (p) => p === '/' || p === '/index.html' || p.startsWith('/assets/');
const log = (...a) => console.log('#', ...a.map(redact));

// Runs in the page before its own scripts: the moment (ms since navigation start) the row for
// the service first appears in the DOM.
function pageInit(selector) {
  const check = () => {
    if (window.__firstRowMs == null && document.querySelector(selector)) window.__firstRowMs = performance.now();
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true, attributes: true });
}

describe('browser view with a feed token (real agent, etcd and dockerd)', { skip: !FEED && 'run by tests/integration/browser_token.sh' }, () => {
  const fig = { service: SERVICE_ID, cases: {} };

  before(() => mkdirSync(OUT, { recursive: true }));
  after(() => {
    writeFileSync(path.join(OUT, 'figures.json'), `${redact(JSON.stringify(fig, null, 2))}\n`);
    log('figures', JSON.stringify(fig));
  });

  // Opens `query` on the feed in a fresh profile, records every response and WebSocket, lets
  // body(page, rec) look at the page, always takes a screenshot, then closes the browser.
  async function visit(name, query, body) {
    const rec = { url: shortUrl(new URL(query, FEED).toString()), requests: [], sockets: [], consoleErrors: [] };
    fig.cases[name] = rec;
    const profile = mkdtempSync(path.join(env.PORTOLAN_TOKEN_PROFILE_DIR || os.tmpdir(), `chromium-token-${name}-`));
    let context;
    try {
      context = await chromium.launchPersistentContext(profile, {
        executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS,
        viewport: { width: 1280, height: 800 }, colorScheme: 'light',
      });
      const page = context.pages()[0] || (await context.newPage());
      // Statuses from the DevTools protocol: it reports a response even when chromium then
      // aborts the load (a stylesheet answered 401 with a JSON body is blocked by its MIME type,
      // and playwright then reports only the failure), and it reports WebSocket handshakes.
      const byId = new Map();
      const cdp = await context.newCDPSession(page);
      const early = new Map(); // ...ExtraInfo can come before requestWillBeSent
      cdp.on('Network.requestWillBeSent', (e) => {
        if (byId.has(e.requestId)) return; // a redirect keeps its id; the first URL is enough
        const r = { path: shortUrl(e.request.url), type: (e.type || '').toLowerCase(), status: early.get(e.requestId) ?? null };
        byId.set(e.requestId, r);
        rec.requests.push(r);
      });
      const answered = (id, status) => {
        const r = byId.get(id) || byId.get(`ws-${id}`);
        if (!r) early.set(id, status);
        else if (r.status == null) r.status = status;
      };
      cdp.on('Network.responseReceived', (e) => answered(e.requestId, e.response.status));
      // ...ExtraInfo carries the status even for a response chromium blocks (no responseReceived then)
      cdp.on('Network.responseReceivedExtraInfo', (e) => answered(e.requestId, e.statusCode));
      cdp.on('Network.loadingFailed', (e) => {
        const r = byId.get(e.requestId);
        if (r) r.failed = e.blockedReason || e.corsErrorStatus?.corsError || e.errorText;
      });
      cdp.on('Network.webSocketCreated', (e) => {
        const s = { path: shortUrl(e.url), status: null, frames: 0, error: '' };
        byId.set(`ws-${e.requestId}`, s);
        rec.sockets.push(s);
      });
      cdp.on('Network.webSocketHandshakeResponseReceived', (e) => answered(`ws-${e.requestId}`, e.response.status));
      cdp.on('Network.webSocketFrameReceived', (e) => { const s = byId.get(`ws-${e.requestId}`); if (s) s.frames += 1; });
      cdp.on('Network.webSocketFrameError', (e) => { const s = byId.get(`ws-${e.requestId}`); if (s) s.error = redact(e.errorMessage); });
      await cdp.send('Network.enable');
      page.on('console', (m) => { if (m.type() === 'error') rec.consoleErrors.push(redact(m.text())); });
      page.on('pageerror', (e) => rec.consoleErrors.push(redact(`pageerror: ${e.message}`)));
      await page.addInitScript(pageInit, rowSel);

      const response = await page.goto(new URL(query, FEED).toString(), { waitUntil: 'load', timeout: 10_000 });
      rec.pageStatus = response ? response.status() : null;
      try {
        await body(page, rec);
      } finally {
        rec.connectionState = await page.getAttribute('#connection-state', 'data-state', { timeout: 500 }).catch(() => null);
        rec.shownText = redact((await page.evaluate(() => document.body?.innerText || '').catch(() => ''))
          .replace(/\s+/g, ' ').trim().slice(0, 300));
        rec.screenshot = path.join(OUT, `${name}.png`);
        await page.screenshot({ path: rec.screenshot }).catch((e) => { rec.screenshot = `failed: ${e.message}`; });
        log(`${name}: screenshot ${rec.screenshot}`);
      }
    } finally {
      if (context) await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
      log(`${name} ${rec.url}: ${describeRequests(rec)}`);
    }
    return rec;
  }

  const describeRequest = (r) => `${r.path} ${r.status ?? 'no answer'}${r.failed ? ` (${r.failed})` : ''}`;
  const describeSocket = (s) => `${s.path} ${s.status ?? 'no handshake answer'}`
    + `${s.frames ? ` (${s.frames} frames)` : ''}${s.error ? ` (${s.error})` : ''}`;
  const okAsset = (r) => (r.status === 200 || r.status === 304) && !r.failed; // 304: revalidated in this visit
  // Assets that loaded are counted by status; everything else is listed with its status.
  function describeRequests(rec) {
    const assets = rec.requests.filter((r) => r.path.startsWith('/assets/') && okAsset(r));
    const counts = {};
    for (const r of assets) counts[r.status] = (counts[r.status] || 0) + 1;
    const parts = rec.requests.filter((r) => !assets.includes(r)).map(describeRequest);
    if (assets.length) {
      parts.splice(Math.min(1, parts.length), 0, `/assets/* ${Object.entries(counts).map(([st, n]) => `${n}x${st}`).join(' ')}`);
    }
    return [...parts, ...rec.sockets.map(describeSocket)].join(', ') || 'no requests';
  }

  const clientErrors = (rec) => [...rec.requests, ...rec.sockets].filter((r) => r.status >= 400 && r.status < 500);
  // The page and its assets: what a browser needs to draw anything, with or without a token.
  const pageAndAssets = (rec) => rec.requests.filter((r) => isAsset(r.path.split('?')[0]));

  async function expectMessage(page, rec, text) {
    const why = [];
    const t0 = Date.now();
    const shown = await page.getByText(text).locator('visible=true').first().waitFor({ state: 'visible', timeout: MESSAGE_TIMEOUT_MS })
      .then(() => true, () => false);
    rec.messageMs = shown ? Date.now() - t0 : null;
    if (rec.pageStatus !== 200) why.push(`the page itself answered HTTP ${rec.pageStatus}`);
    const bad = pageAndAssets(rec).filter((r) => !okAsset(r));
    if (bad.length) why.push(`page/assets not 200: ${bad.map(describeRequest).join(', ')}`);
    if (!shown) why.push(`no visible "${text}…" within ${MESSAGE_TIMEOUT_MS / 1000} s`);
    const state = await page.getAttribute('#connection-state', 'data-state', { timeout: 500 }).catch(() => null);
    if (shown && state !== 'unauthorized') why.push(`connection state is ${state}, not unauthorized`);
    rec.rows = await page.locator(anyRowSel).count();
    if (rec.rows) why.push(`${rec.rows} service row(s) shown without a valid token`);
    const shownText = (await page.evaluate(() => document.body?.innerText || '').catch(() => ''))
      .replace(/\s+/g, ' ').trim().slice(0, 160);
    assert.deepEqual(why, [], `${rec.url}: ${why.join('; ')} (the page shows: "${redact(shownText)}"; `
      + `requests: ${describeRequests(rec)})`);
  }

  test('a. /?token=T: the service row is visible within 10 s and no request got a 4xx', async () => {
    await visit('a-token', `?token=${encodeURIComponent(TOKEN)}`, async (page, rec) => {
      const visible = await page.waitForSelector(rowSel, { state: 'visible', timeout: ROW_TIMEOUT_MS })
        .then(() => true, () => false);
      rec.firstRowMs = await page.evaluate(() => window.__firstRowMs ?? null).catch(() => null);
      if (rec.firstRowMs != null) rec.firstRowMs = Math.round(rec.firstRowMs);
      const why = [];
      if (rec.pageStatus !== 200) why.push(`the page answered HTTP ${rec.pageStatus}`);
      if (!visible) why.push(`no visible row for ${SERVICE_ID} within ${ROW_TIMEOUT_MS / 1000} s`);
      const bad = clientErrors(rec);
      if (bad.length) why.push(`4xx answers: ${bad.map((r) => `${r.path} ${r.status}`).join(', ')}`);
      if (!rec.sockets.some((s) => s.status === 101 && s.frames > 0)) why.push('no WebSocket to /ws was opened and answered');
      if (visible) {
        const text = await page.textContent(rowSel);
        if (SERVICE_ADDR && !text.includes(SERVICE_ADDR)) why.push(`the row does not show ${SERVICE_ADDR}: ${text}`);
        const state = await page.getAttribute('#connection-state', 'data-state');
        if (state !== 'live') why.push(`connection state is ${state}, not live`);
      }
      const shownText = (await page.evaluate(() => document.body?.innerText || '').catch(() => ''))
        .replace(/\s+/g, ' ').trim().slice(0, 160);
      assert.deepEqual(why, [], `${rec.url}: ${why.join('; ')} (the page shows: "${redact(shownText)}"; `
        + `requests: ${describeRequests(rec)})`);
      log(`a: row visible ${rec.firstRowMs} ms after navigation start`);
    });
  });

  test('b. / without a token: the page loads and says a token is required, no rows', async () => {
    await visit('b-no-token', '', (page, rec) => expectMessage(page, rec, MSG_REQUIRED));
  });

  test('c. /?token=wrong: the page loads and says the token was refused, no rows', async () => {
    await visit('c-wrong-token', '?token=wrong', (page, rec) => expectMessage(page, rec, MSG_REFUSED));
  });
});
