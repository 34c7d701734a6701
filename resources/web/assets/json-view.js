// Pretty-prints a value from etcd: JSON is indented and coloured with spans (built as DOM
// nodes, never markup), anything else is shown as text.

import { el } from './dom.js';

export function renderValue(text) {
  const trimmed = (text || '').trim();
  if (trimmed && (trimmed[0] === '{' || trimmed[0] === '[' || trimmed[0] === '"')) {
    try {
      const value = JSON.parse(trimmed);
      const out = el('pre', { class: 'value-json', 'data-testid': 'value-json' });
      appendJson(out, value, 0);
      return { node: out, kind: 'JSON' };
    } catch {
      /* not JSON after all: shown as text below */
    }
  }
  const pre = el('pre', { class: 'value-text', 'data-testid': 'value-text' });
  pre.textContent = text === '' ? '' : text;
  if (text === '') pre.append(el('span', { class: 'muted', text: '(empty value)' }));
  return { node: pre, kind: 'text' };
}

function appendJson(out, value, depth) {
  const pad = '  '.repeat(depth);
  if (value === null) out.append(el('span', { class: 'j-null', text: 'null' }));
  else if (Array.isArray(value)) {
    if (!value.length) return out.append('[]');
    out.append('[\n');
    value.forEach((v, i) => {
      out.append(`${pad}  `);
      appendJson(out, v, depth + 1);
      out.append(i < value.length - 1 ? ',\n' : '\n');
    });
    out.append(`${pad}]`);
  } else if (typeof value === 'object') {
    const entries = Object.entries(value);
    if (!entries.length) return out.append('{}');
    out.append('{\n');
    entries.forEach(([k, v], i) => {
      out.append(`${pad}  `, el('span', { class: 'j-key', text: JSON.stringify(k) }), ': ');
      appendJson(out, v, depth + 1);
      out.append(i < entries.length - 1 ? ',\n' : '\n');
    });
    out.append(`${pad}}`);
  } else {
    const cls = typeof value === 'string' ? 'j-string' : typeof value === 'number' ? 'j-number' : 'j-bool';
    out.append(el('span', { class: cls, text: JSON.stringify(value) }));
  }
  return out;
}
