// One service as a dense table row, used by the Hosts view (first column: service name) and the
// Services view (first column: host), with its Docker health and the balancers that route it.
// Cells are built once per row element and only their text changes when the row is reused for
// another service.

import { el, formatAge, setAttr, setText } from './dom.js';

export const SERVICE_ROW_HEIGHT = 28;

export function createServiceRow(testid) {
  const cells = {
    first: el('span', { class: 'cell cell-first' }),
    health: el('span', { class: 'cell cell-health' }),
    address: el('span', { class: 'cell mono cell-address' }),
    container: el('span', { class: 'cell mono cell-container' }),
    image: el('span', { class: 'cell mono cell-image' }),
    tags: el('span', { class: 'cell cell-tags' }),
    routed: el('span', { class: 'cell cell-routed', 'data-testid': 'routed' }),
    age: el('span', { class: 'cell cell-age num' }),
  };
  cells.badge = el('span', { class: 'health', 'data-testid': 'health' });
  cells.health.append(cells.badge);
  const row = el('div', { class: 'row service-row', role: 'listitem', 'data-testid': testid },
    cells.first, cells.health, cells.address, cells.container, cells.image, cells.tags, cells.routed, cells.age);
  row._cells = cells;
  row._item = null;
  return row;
}

// What a health value shows: Docker's three states as words; "none" as "no check"; nothing for
// an agent too old to say. Anything else is shown as sent (as text).
const HEALTH_LABELS = {
  healthy: 'healthy', unhealthy: 'unhealthy', starting: 'starting', stopping: 'stopping', none: 'no check',
};
const HEALTH_TITLES = {
  healthy: 'Docker health check: healthy',
  unhealthy: 'Docker health check: unhealthy; balancers send it no traffic',
  starting: 'Docker health check: starting; balancers send it no traffic yet',
  stopping: 'Docker sent it its stop signal; balancers drain it until it exits',
  none: 'The container has no health check',
  '': 'The agent that registered it does not report health',
};

export function healthLabel(health) {
  const h = typeof health === 'string' ? health : '';
  return Object.hasOwn(HEALTH_LABELS, h) ? HEALTH_LABELS[h] : h;
}

// Whether a balancer sends it traffic: healthy, or no health check at all (ServiceRecord::takesTraffic).
export function takesTraffic(s) {
  return !s.health || s.health === 'none' || s.health === 'healthy';
}

// "lb-1 as portolan_web, lb-2 as web"; "" when no balancer routes the service.
export function routesText(routes) {
  return routes.map((r) => (r.backend ? `${r.balancer} as ${r.backend}` : r.balancer)).join(', ');
}

export function renderHealth(badge, health) {
  const h = typeof health === 'string' ? health : '';
  setText(badge, healthLabel(h));
  setAttr(badge, 'data-health', Object.hasOwn(HEALTH_TITLES, h) ? h || 'unknown' : 'other');
  badge.title = Object.hasOwn(HEALTH_TITLES, h) ? HEALTH_TITLES[h] : `Docker health: ${h}`;
}

export function renderServiceRow(row, s, firstField, now, routes = []) {
  const c = row._cells;
  if (row._item !== s || row._routes !== routes) {
    row._item = s;
    row._routes = routes;
    renderHealth(c.badge, s.health);
    setAttr(row, 'data-health', typeof s.health === 'string' ? s.health : '');
    const routed = routesText(routes);
    const held = routed && !takesTraffic(s);
    // "no traffic" first, so a narrow column still shows it.
    setText(c.routed, held ? `no traffic · ${routed}` : routed);
    c.routed.classList.toggle('is-held', !!held);
    c.routed.title = routed
      ? `Routed by ${routes.map((r) => `${r.balancer} (backend ${r.backend || '?'}, ${r.ready} of ${r.servers} servers ready)`).join('; ')}${held ? `; this instance is ${s.health}, so it gets no traffic` : ''}`
      : `No load balancer routes ${s.name || 'this service'}`;
    setAttr(row, 'data-service-id', s.id || '');
    setAttr(row, 'data-host', s.host || '');
    setAttr(row, 'data-service', s.name || '');
    setText(c.first, s[firstField] || '');
    c.first.title = firstField === 'name' ? s.id || '' : s.host || '';
    setText(c.address, s.address || `${s.ip}:${s.port}`);
    c.address.title = `${s.protocol || 'tcp'} · ${s.registryKey || s.key || ''}`;
    setText(c.container, s.containerName || (s.containerId || '').slice(0, 12));
    c.container.title = s.containerId || '';
    setText(c.image, s.image || '');
    c.image.title = s.image || '';
    c.tags.replaceChildren(...(s.tags || []).map((t) => el('span', { class: 'tag', text: t })));
    const attrs = Object.entries(s.attributes || {}).map(([k, v]) => `${k}=${v}`);
    c.tags.title = [...(s.tags || []).map((t) => `tag ${t}`), ...attrs].join('\n');
    c.age.title = s.registeredAt ? `registered ${s.registeredAt}` : '';
  }
  setText(c.age, formatAge(s.registeredAt, now));
}

// Case-insensitive match over everything a person might type to find a service. The lowered
// text is built once per service object (deltas bring new objects), so filtering 10k is cheap.
const haystacks = new WeakMap();
export function serviceMatches(s, needle) {
  if (!needle) return true;
  let hay = haystacks.get(s);
  if (hay === undefined) {
    hay = [s.name, s.id, s.host, s.address, s.containerName, s.containerId, s.image, s.health, ...(s.tags || [])]
      .filter(Boolean).join('\n').toLowerCase();
    haystacks.set(s, hay);
  }
  return hay.includes(needle);
}

export function columnHeader(firstLabel) {
  return el('div', { class: 'row service-row column-header', role: 'presentation' },
    el('span', { class: 'cell cell-first', text: firstLabel }),
    el('span', { class: 'cell cell-health', text: 'Health' }),
    el('span', { class: 'cell cell-address', text: 'Address' }),
    el('span', { class: 'cell cell-container', text: 'Container' }),
    el('span', { class: 'cell cell-image', text: 'Image' }),
    el('span', { class: 'cell cell-tags', text: 'Tags' }),
    el('span', { class: 'cell cell-routed', text: 'Routed by' }),
    el('span', { class: 'cell cell-age num', text: 'Age' }));
}
