// One service as a dense table row, used by the Hosts view (first column: service name) and the
// Services view (first column: host). Cells are built once per row element and only their text
// changes when the row is reused for another service.

import { el, formatAge, setAttr, setText } from './dom.js';

export const SERVICE_ROW_HEIGHT = 28;

export function createServiceRow(testid) {
  const cells = {
    first: el('span', { class: 'cell cell-first' }),
    address: el('span', { class: 'cell mono cell-address' }),
    container: el('span', { class: 'cell mono cell-container' }),
    image: el('span', { class: 'cell mono cell-image' }),
    tags: el('span', { class: 'cell cell-tags' }),
    age: el('span', { class: 'cell cell-age num' }),
  };
  const row = el('div', { class: 'row service-row', role: 'listitem', 'data-testid': testid },
    cells.first, cells.address, cells.container, cells.image, cells.tags, cells.age);
  row._cells = cells;
  row._item = null;
  return row;
}

export function renderServiceRow(row, s, firstField, now) {
  const c = row._cells;
  if (row._item !== s) {
    row._item = s;
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
    hay = [s.name, s.id, s.host, s.address, s.containerName, s.containerId, s.image, ...(s.tags || [])]
      .filter(Boolean).join('\n').toLowerCase();
    haystacks.set(s, hay);
  }
  return hay.includes(needle);
}

export function columnHeader(firstLabel) {
  return el('div', { class: 'row service-row column-header', role: 'presentation' },
    el('span', { class: 'cell cell-first', text: firstLabel }),
    el('span', { class: 'cell cell-address', text: 'Address' }),
    el('span', { class: 'cell cell-container', text: 'Container' }),
    el('span', { class: 'cell cell-image', text: 'Image' }),
    el('span', { class: 'cell cell-tags', text: 'Tags' }),
    el('span', { class: 'cell cell-age num', text: 'Age' }));
}
