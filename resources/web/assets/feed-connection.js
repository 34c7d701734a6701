// The browser's side of docs/feed.md: one WebSocket to /ws that reconnects by itself, plus
// URL builders for the JSON API. The token from the page URL (?token=...) rides along as the
// query parameter on every request, because browsers cannot set headers on a WebSocket.

const PING_EVERY_MS = 10_000;
const SILENCE_LIMIT_MS = 25_000; // no frame at all for this long: the socket is dead
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 10_000];

export function pageToken() {
  return new URLSearchParams(location.search).get('token') || '';
}

// Paths are resolved against the page, so the view works from any host:port and under a
// reverse-proxy prefix; ws:// or wss:// follows the page's scheme.
export function feedUrl(path, params = {}, { websocket = false } = {}) {
  const url = new URL(path, document.baseURI);
  if (websocket) url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
  }
  const token = pageToken();
  if (token) url.searchParams.set('token', token);
  return url.toString();
}

export async function fetchJson(path, params) {
  let response;
  try {
    response = await fetch(feedUrl(path, params), { cache: 'no-store' });
  } catch (err) {
    throw new Error(`the agent did not answer (${err.message})`);
  }
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) {
    const detail = (body && (body.error || body.message)) || text.trim() || response.statusText;
    if (response.status === 401) throw new Error('the agent refused the token (HTTP 401)');
    throw new Error(`HTTP ${response.status}${detail ? `: ${detail}` : ''}`);
  }
  if (body === null) throw new Error('the agent sent an empty or invalid JSON answer');
  return body;
}

// States: connecting (first attempt), live (snapshot received), reconnecting (lost; waiting or
// trying again), unauthorized (the agent refused the token; still retrying, slowly).
export class FeedConnection {
  constructor({ onMessage, onState }) {
    this.onMessage = onMessage;
    this.onState = onState;
    this.state = { name: 'connecting', detail: '', retryAt: 0, attempt: 0 };
    this.attempt = 0;
    this.everLive = false;
    this.socket = null;
    this.pingId = 0;
    this.timers = { retry: 0, ping: 0, watchdog: 0 };
    this.lastFrameAt = 0;
    addEventListener('online', () => this.retryNow());
  }

  start() {
    this.open();
  }

  retryNow() {
    if (this.socket) return;
    clearTimeout(this.timers.retry);
    this.open();
  }

  resync() {
    this.send({ type: 'resync' });
  }

  send(obj) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(obj));
  }

  setState(name, detail = '', retryAt = 0) {
    this.state = { name, detail, retryAt, attempt: this.attempt };
    this.onState(this.state);
  }

  open() {
    const url = feedUrl('ws', {}, { websocket: true });
    this.setState(this.everLive ? 'reconnecting' : this.state.name === 'unauthorized' ? 'unauthorized' : 'connecting',
      this.attempt ? `attempt ${this.attempt + 1}` : '');
    let socket;
    try {
      socket = new WebSocket(url);
    } catch (err) {
      this.lost(`could not open ${url.replace(/token=[^&]*/, 'token=…')}: ${err.message}`, false);
      return;
    }
    this.socket = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      this.lastFrameAt = Date.now();
      this.timers.ping = setInterval(() => this.send({ type: 'ping', id: ++this.pingId }), PING_EVERY_MS);
      this.timers.watchdog = setInterval(() => {
        if (Date.now() - this.lastFrameAt > SILENCE_LIMIT_MS) this.drop(socket, 'no answer from the agent for 25 s', true);
      }, 1000);
    };
    socket.onmessage = (e) => {
      this.lastFrameAt = Date.now();
      let msg;
      try {
        msg = JSON.parse(e.data);
      } catch {
        return; // the agent only sends JSON; a bad frame is ignored rather than fatal
      }
      if (msg.type === 'snapshot') {
        this.attempt = 0;
        this.everLive = true;
        this.setState('live');
      }
      this.onMessage(msg);
    };
    socket.onclose = (e) => {
      if (this.socket !== socket) return;
      const why = e.reason ? `code ${e.code}, ${e.reason}` : `code ${e.code}`;
      this.drop(socket, opened ? `the connection closed (${why})` : 'could not connect', opened);
    };
    socket.onerror = () => {}; // onclose follows and carries what there is to know
  }

  drop(socket, reason, wasOpen) {
    if (this.socket !== socket) return;
    socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
    try {
      socket.close();
    } catch {
      /* already closing */
    }
    this.lost(reason, wasOpen);
  }

  async lost(reason, wasOpen) {
    this.socket = null;
    clearInterval(this.timers.ping);
    clearInterval(this.timers.watchdog);
    let unauthorized = false;
    if (!wasOpen) {
      // A refused upgrade looks the same as no agent at all; one plain request tells them apart.
      try {
        const r = await fetch(feedUrl('api/v1/hosts'), { cache: 'no-store' });
        unauthorized = r.status === 401;
        if (!unauthorized) reason = `the agent answered HTTP ${r.status} but refused the WebSocket`;
      } catch {
        reason = 'the agent is not reachable';
      }
    }
    const delay = unauthorized ? 10_000 : BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    const jittered = Math.round(delay * (0.85 + Math.random() * 0.3));
    this.attempt += 1;
    const retryAt = Date.now() + jittered;
    if (unauthorized) {
      this.setState('unauthorized', pageToken()
        ? 'the agent refused the token in the page URL (HTTP 401)'
        : 'the agent requires a token: open this page as …/?token=<token>', retryAt);
    } else {
      this.setState(this.everLive ? 'reconnecting' : 'connecting', reason, retryAt);
    }
    clearTimeout(this.timers.retry);
    this.timers.retry = setTimeout(() => this.open(), jittered);
  }
}
