// hookd console: plain DOM, no framework, no other host.
// Every value from the API is put on the page as text (textContent or text
// nodes, through el()); nothing here assigns innerHTML, so an event type
// such as <img onerror=...> is shown, never parsed.
'use strict';

const TOKEN_KEY = 'hookd.token';
const PAGE = 50;
const state = { access: null, timer: null, route: '', renders: 0 };

// ---- DOM helpers -----------------------------------------------------------

// el('a', {href: '#/x', class: 'c', onclick: fn}, 'text', child, ...)
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k === 'class') node.className = v;
    else if (k === 'value') node.value = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function svg(tag, attrs) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  return node;
}

const view = () => document.getElementById('view');
const canAct = () => state.access === 'full';

function badge(text) {
  return el('span', { class: 'badge ' + String(text).replace(/[^a-z-]/g, '') }, text);
}

function message(text, kind) {
  return el('div', { class: 'msg ' + (kind || 'error'), role: kind === 'info' ? 'status' : 'alert' }, text);
}

function table(headers, rows, cls) {
  const head = el('tr', {}, headers.map((h) => {
    const num = h.startsWith('#');
    return el('th', { class: num ? 'num' : null, scope: 'col' }, num ? h.slice(1) : h);
  }));
  const body = rows.length
    ? rows.map((r) => el('tr', {}, r.map((c, i) => {
        const num = headers[i].startsWith('#');
        if (c instanceof Node && c.tagName === 'TD') return c;
        return el('td', { class: num ? 'num' : null }, c);
      })))
    : [el('tr', {}, el('td', { colspan: headers.length, class: 'muted' }, 'Nothing here.'))];
  return el('div', { class: 'scroll' }, el('table', { class: cls }, el('thead', {}, head), el('tbody', {}, body)));
}

function kv(pairs) {
  return el('div', { class: 'scroll' }, el('table', { class: 'kv' }, el('tbody', {},
    pairs.map(([k, v]) => el('tr', {}, el('th', { scope: 'row' }, k), el('td', {}, v))))));
}

function link(href, text) { return el('a', { href }, text); }
function mono(text) { return el('td', { class: 'mono wrap' }, text); }
function show(v) {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
function enc(s) { return encodeURIComponent(s); }
function subHref(name) { return '#/subscriptions/' + enc(name); }

// ---- API -------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, msg) { super(msg); this.status = status; }
}

async function api(method, path, body) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) { toLogin(); throw new ApiError(401, 'not logged in'); }
  const init = { method, headers: { Authorization: 'Bearer ' + token }, credentials: 'omit', cache: 'no-store' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (res.status === 401) { toLogin('The token was refused; log in again.'); throw new ApiError(401, 'token refused'); }
  if (!res.ok) {
    let msg = (data && data.error) || ('HTTP ' + res.status);
    if (data && Array.isArray(data.errors)) msg += ': ' + data.errors.join('; ');
    throw new ApiError(res.status, msg);
  }
  return { status: res.status, data };
}

// Runs an action, then re-renders with a note (or shows the error).
async function act(button, fn, done) {
  button.disabled = true;
  const box = document.getElementById('notice');
  try {
    const note = await fn();
    await render();
    const fresh = document.getElementById('notice');
    if (fresh && note) fresh.replaceChildren(message(note, 'info'));
    if (done) done();
  } catch (e) {
    button.disabled = false;
    if (box && e.status !== 401) box.replaceChildren(message(e.message));
  }
}

function actionButton(text, fn, cls) {
  if (!canAct()) return null;
  const b = el('button', { type: 'button', class: cls || null, 'data-action': text });
  b.textContent = text;
  b.addEventListener('click', () => act(b, fn));
  return b;
}

// ---- login -----------------------------------------------------------------

let loginNote = '';
function toLogin(note) {
  sessionStorage.removeItem(TOKEN_KEY);
  state.access = null;
  loginNote = note || '';
  if (location.hash !== '#/login') location.hash = '#/login';
  else render();
}

function renderLogin() {
  const input = el('input', { type: 'password', id: 'token', name: 'token', autocomplete: 'off', required: true });
  const form = el('form', { class: 'card login', id: 'login-form' },
    el('h1', {}, 'hookd console'),
    el('p', { class: 'note' }, 'Enter the admin token ([admin] token, or the read-only read_token). ' +
      'It stays in this tab (sessionStorage) and is sent as a Bearer header; no cookie is set.'),
    loginNote ? message(loginNote) : null,
    el('label', { for: 'token' }, 'Admin token', input),
    el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'primary' }, 'Log in')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, input.value.trim());
    loginNote = '';
    try {
      await whoami();
      location.hash = '#/overview';
    } catch (e) {
      if (e.status !== 401) form.appendChild(message(e.message));
    }
  });
  view().replaceChildren(form);
  input.focus();
}

async function whoami() {
  const r = await api('GET', '/v1/whoami');
  state.access = r.data.access === 'full' ? 'full' : 'read';
  return state.access;
}

// ---- charts (SVG built with DOM calls) -------------------------------------

// Stacked bars per minute (`bars`: [{key, label, values}]) and optional lines
// on their own scale (`lines`: [{key, label, values (null: no point)}]).
function chart(title, start, bars, lines, lineUnit) {
  const W = 640, H = 200, L = 40, R = lines && lines.length ? 48 : 10, T = 10, B = 24;
  const n = bars[0] ? bars[0].values.length : 60;
  const totals = Array.from({ length: n }, (_, i) => bars.reduce((s, b) => s + (b.values[i] || 0), 0));
  const maxBar = Math.max(1, ...totals);
  const pw = W - L - R, ph = H - T - B, bw = pw / n;
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title });
  const y = (v) => T + ph - (v / maxBar) * ph;
  for (const f of [0, 0.5, 1]) {
    root.appendChild(svg('line', { class: 'grid-line', x1: L, x2: L + pw, y1: y(maxBar * f), y2: y(maxBar * f) }));
    const t = svg('text', { x: L - 4, y: y(maxBar * f) + 3, 'text-anchor': 'end' });
    t.textContent = String(Math.round(maxBar * f));
    root.appendChild(t);
  }
  for (let i = 0; i < n; i++) {
    let acc = 0;
    for (const b of bars) {
      const v = b.values[i] || 0;
      if (!v) continue;
      const r = svg('rect', { class: 's-' + b.key, x: L + i * bw + 0.5, width: Math.max(1, bw - 1), y: y(acc + v), height: y(acc) - y(acc + v) });
      const tip = svg('title', {});
      tip.textContent = `${b.label}: ${v}`;
      r.appendChild(tip);
      root.appendChild(r);
      acc += v;
    }
  }
  if (lines && lines.length) {
    const maxLine = Math.max(1, ...lines.flatMap((l) => l.values.filter((v) => v !== null)));
    const ly = (v) => T + ph - (v / maxLine) * ph;
    for (const l of lines) {
      let d = '';
      l.values.forEach((v, i) => {
        if (v === null) return;
        d += (d && l.values[i - 1] !== null ? 'L' : 'M') + (L + i * bw + bw / 2).toFixed(1) + ' ' + ly(v).toFixed(1);
      });
      if (d) root.appendChild(svg('path', { class: 'l-' + l.key, d }));
      l.values.forEach((v, i) => {
        if (v === null) return;
        const c = svg('circle', { class: 'l-' + l.key + ' dot', cx: (L + i * bw + bw / 2).toFixed(1), cy: ly(v).toFixed(1), r: 2.5 });
        const tip = svg('title', {});
        tip.textContent = `${l.label}: ${fmtLatency(v)}`;
        c.appendChild(tip);
        root.appendChild(c);
      });
    }
    const t = svg('text', { x: L + pw + 4, y: T + 8 });
    t.textContent = fmtLatency(maxLine, lineUnit);
    root.appendChild(t);
  }
  root.appendChild(svg('line', { class: 'axis', x1: L, x2: L + pw, y1: T + ph, y2: T + ph }));
  const startMs = Date.parse(start);
  for (const i of [0, 15, 30, 45, n - 1]) {
    const t = svg('text', { x: L + i * bw + bw / 2, y: H - 8, 'text-anchor': 'middle' });
    t.textContent = isNaN(startMs) ? '' : new Date(startMs + i * 60000).toISOString().slice(11, 16);
    root.appendChild(t);
  }
  const legend = el('div', { class: 'legend' },
    bars.map((b) => el('span', {}, el('span', { class: 'swatch s-' + b.key }), b.label)),
    (lines || []).map((l) => el('span', {}, el('span', { class: 'swatch l-' + l.key }), l.label)));
  return el('figure', { class: 'card chart' }, el('figcaption', {}, el('strong', {}, title)), root, legend);
}

function fmtLatency(us) {
  if (us === null || us === undefined) return '—';
  if (us >= 1e6) return (us / 1e6).toFixed(2) + ' s';
  if (us >= 1000) return (us / 1000).toFixed(1) + ' ms';
  return Math.round(us) + ' µs';
}

const sum = (a) => a.reduce((s, v) => s + (v || 0), 0);
function sumSeries(list, key) {
  const out = new Array(60).fill(0);
  for (const s of list) s[key].forEach((v, i) => { out[i] += v || 0; });
  return out;
}

function deliveryChart(title, series, subs) {
  const lines = subs.length === 1
    ? [{ key: 'p50', label: 'latency p50', values: subs[0].latency_p50_us },
       { key: 'p99', label: 'latency p99', values: subs[0].latency_p99_us }]
    : [{ key: 'p50', label: 'latency p50 (slowest subscription)', values: maxPer(subs, 'latency_p50_us') },
       { key: 'p99', label: 'latency p99 (slowest subscription)', values: maxPer(subs, 'latency_p99_us') }];
  return chart(title, series.start, [
    { key: 'delivered', label: 'delivered', values: sumSeries(subs, 'delivered') },
    { key: 'failed', label: 'failed attempts', values: sumSeries(subs, 'failed') },
    { key: 'dead', label: 'dead', values: sumSeries(subs, 'dead') }], lines);
}

function maxPer(subs, key) {
  return Array.from({ length: 60 }, (_, i) => {
    const vs = subs.map((s) => s[key][i]).filter((v) => v !== null);
    return vs.length ? Math.max(...vs) : null;
  });
}

function successRate(s) {
  const ok = sum(s.delivered), bad = sum(s.failed);
  if (ok + bad === 0) return '—';
  return (100 * ok / (ok + bad)).toFixed(1) + ' %';
}

// ---- pages -----------------------------------------------------------------

async function overview() {
  let ready = 'not ready', reason = '';
  try {
    const r = await fetch('/readyz', { cache: 'no-store', credentials: 'omit' });
    const j = await r.json();
    ready = j.status; reason = j.reason || '';
  } catch (e) { reason = e.message; }
  const [subs, series] = await Promise.all([api('GET', '/v1/subscriptions'), api('GET', '/v1/stats/series')]);
  const bySub = new Map(series.data.subscriptions.map((s) => [s.subscription, s]));
  const sources = series.data.sources;
  const last = (a) => a[a.length - 1] || 0;
  const out = [
    el('h1', {}, 'Overview'),
    el('p', {}, 'Readiness: ', badge(ready === 'ready' ? 'ready' : 'not-ready'), ' ', ready, reason ? ' (' + reason + ')' : ''),
    el('h2', {}, 'Events per minute by source'),
    table(['Source', '#routed (this min)', '#unrouted', '#duplicate', '#rejected', '#unavailable',
      '#routed (hour)', '#unrouted (hour)', '#duplicate (hour)', '#rejected (hour)', '#unavailable (hour)'],
      sources.map((s) => [s.source, last(s.routed), last(s.unrouted), last(s.duplicate), last(s.rejected),
        last(s.unavailable), sum(s.routed), sum(s.unrouted), sum(s.duplicate), sum(s.rejected),
        sum(s.unavailable)])),
    el('h2', {}, 'Subscriptions'),
    table(['Subscription', 'State', '#Pending', '#In flight', '#Delivered', '#Dead', '#Success (hour)'],
      subs.data.subscriptions.map((s) => [link(subHref(s.name), s.name), badge(s.state), show(s.pending), show(s.in_flight),
        show(s.delivered), show(s.dead), bySub.has(s.name) ? successRate(bySub.get(s.name)) : '—'])),
    el('p', { class: 'note' }, 'Counts refresh every 5 seconds. Success rate: delivered over delivered plus failed attempts in the last hour.'),
    el('div', { class: 'grid' },
      deliveryChart('Deliveries per minute, last hour', series.data, series.data.subscriptions),
      chart('Events per minute, last hour', series.data.start, [
        { key: 'routed', label: 'routed', values: sumSeries(sources, 'routed') },
        { key: 'unrouted', label: 'unrouted', values: sumSeries(sources, 'unrouted') },
        { key: 'duplicate', label: 'duplicate', values: sumSeries(sources, 'duplicate') },
        { key: 'rejected', label: 'rejected', values: sumSeries(sources, 'rejected') },
        { key: 'unavailable', label: 'unavailable', values: sumSeries(sources, 'unavailable') }])),
  ];
  return out;
}

async function subscriptions() {
  const r = await api('GET', '/v1/subscriptions');
  const out = [el('h1', {}, 'Subscriptions')];
  if (canAct()) out.push(el('div', { class: 'actions' }, el('a', { href: '#/subscriptions/new', class: 'button', 'data-action': 'new' }, 'New subscription')));
  out.push(table(['Name', 'Origin', 'State', 'URL', '#Pending', '#In flight', '#Delivered', '#Dead'],
    r.data.subscriptions.map((s) => [link(subHref(s.name), s.name), show(s.origin), badge(s.state), mono(show(s.url)),
      show(s.pending), show(s.in_flight), show(s.delivered), show(s.dead)])));
  return out;
}

const EDITABLE = ['url', 'events', 'sources', 'filter', 'body', 'extra', 'timeout', 'retry', 'max_in_flight', 'labels'];

function specEditor(initial, submitText, onSubmit) {
  const area = el('textarea', { id: 'spec', name: 'spec', spellcheck: 'false' });
  area.value = JSON.stringify(initial, null, 2);
  const form = el('form', { class: 'card', id: 'spec-form' },
    el('label', { for: 'spec' }, 'Subscription (JSON, the fields of a [[subscription]] table)', area),
    el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'primary', 'data-action': submitText }, submitText)));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    let spec;
    try { spec = JSON.parse(area.value); } catch (e) {
      document.getElementById('notice').replaceChildren(message('Not valid JSON: ' + e.message));
      return;
    }
    act(form.querySelector('button'), () => onSubmit(spec));
  });
  return form;
}

async function newSubscription() {
  if (!canAct()) return [el('h1', {}, 'New subscription'), message('The read-only token cannot create subscriptions.')];
  return [el('h1', {}, 'New subscription'),
    el('p', { class: 'note' }, 'A secret is generated unless you give one; it is shown once, below, after creation.'),
    specEditor({ name: 'my-hook', url: 'http://127.0.0.1:9901/hook', events: ['*'], retry: { attempts: 5, base: '500ms', cap: '30s' } },
      'Create', async (spec) => {
        const r = await api('POST', '/v1/subscriptions', spec);
        const name = r.data.subscription && r.data.subscription.name ? r.data.subscription.name : spec.name;
        pendingSecret = r.data.secret ? { name, secret: r.data.secret } : null;
        location.hash = subHref(name);
        return null;
      })];
}

let pendingSecret = null;

async function subscription(name) {
  const [r, series] = await Promise.all([api('GET', '/v1/subscriptions/' + enc(name)), api('GET', '/v1/stats/series')]);
  const s = r.data.subscription;
  const api_ = s.origin === 'api';
  const out = [el('h1', {}, 'Subscription ', s.name, ' ', badge(s.state))];
  // Shown until the user leaves this page (render() forgets it then).
  if (pendingSecret && pendingSecret.name === name) {
    out.push(el('div', { class: 'card' }, el('strong', {}, 'Signing secret (shown once; store it now):'),
      el('div', { class: 'secret', id: 'new-secret' }, pendingSecret.secret)));
  }
  out.push(el('p', { class: 'note' }, api_
    ? 'Created over the API: it can be edited and deleted here.'
    : 'Defined in the config file' + (s.file ? ' ' + s.file : '') + ': read-only here; change the file and reload hookd.'));
  const actions = el('div', { class: 'actions' },
    s.state === 'paused'
      ? actionButton('Resume', async () => { await api('POST', `/v1/subscriptions/${enc(name)}/resume`); return 'Resumed.'; })
      : actionButton('Pause', async () => { await api('POST', `/v1/subscriptions/${enc(name)}/pause`); return 'Paused.'; }),
    api_ && (s.enabled === false
      ? actionButton('Enable', async () => { await api('POST', `/v1/subscriptions/${enc(name)}/enable`); return 'Enabled.'; })
      : actionButton('Disable', async () => { await api('POST', `/v1/subscriptions/${enc(name)}/disable`); return 'Disabled.'; })),
    actionButton('Send test event', async () => {
      const t = await api('POST', `/v1/subscriptions/${enc(name)}/test`);
      return 'Test delivery ' + t.data.delivery_id + ' queued.';
    }),
    api_ && actionButton('Delete', async () => {
      if (!confirm('Delete subscription ' + name + '? Its pending deliveries are cancelled.')) return null;
      await api('DELETE', '/v1/subscriptions/' + enc(name));
      location.hash = '#/subscriptions';
      return null;
    }, 'danger'),
    link('#/deliveries?subscription=' + enc(name), 'Deliveries'),
    link('#/deliveries?state=dead&subscription=' + enc(name), 'Dead letters'));
  out.push(actions);
  const ser = series.data.subscriptions.find((x) => x.subscription === name);
  if (ser) out.push(deliveryChart('Deliveries per minute, last hour', series.data, [ser]));
  out.push(el('h2', {}, 'Configuration'));
  out.push(kv(Object.entries(s).map(([k, v]) => [k, typeof v === 'object' && v !== null ? el('span', { class: 'mono' }, JSON.stringify(v)) : show(v)])));
  if (canAct()) {
    const hourAgo = new Date(Date.now() - 3600e3).toISOString();
    const since = el('input', { id: 'since', name: 'since', value: hourAgo, size: 26 });
    const until = el('input', { id: 'until', name: 'until', placeholder: 'now', size: 26 });
    const form = el('form', { class: 'inline card', id: 'replay-form' },
      el('label', { for: 'since' }, 'Replay since (RFC 3339)', since),
      el('label', { for: 'until' }, 'until (empty: now)', until),
      el('button', { type: 'submit', 'data-action': 'Replay' }, 'Replay'));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      act(form.querySelector('button'), async () => {
        const body = { since: since.value.trim() };
        if (until.value.trim()) body.until = until.value.trim();
        const j = await api('POST', `/v1/subscriptions/${enc(name)}/replay`, body);
        if (j.status === 202) return 'Replay running as job ' + j.data.id + ' (see GET /v1/jobs/' + j.data.id + ').';
        return 'Replayed: ' + j.data.replayed + ' deliveries created.';
      });
    });
    out.push(el('h2', {}, 'Replay a time range'), form);
    if (api_) {
      const editable = {};
      for (const k of EDITABLE) if (k in s) editable[k] = s[k];
      out.push(el('h2', {}, 'Edit'), specEditor(editable, 'Save (PATCH)', async (spec) => {
        await api('PATCH', '/v1/subscriptions/' + enc(name), spec);
        return 'Saved.';
      }));
    }
  }
  return out;
}

function pager(next, base, params) {
  if (!next) return null;
  const q = new URLSearchParams(params);
  q.set('after', next);
  return el('div', { class: 'actions' }, el('a', { href: base + '?' + q.toString(), class: 'button', id: 'next-page' }, 'Next page'));
}

function filterForm(base, fields, params) {
  const form = el('form', { class: 'filters' }, fields.map((f) => {
    const input = f.options
      ? el('select', { id: 'f-' + f.name, name: f.name }, f.options.map((o) => el('option', { value: o }, o || 'any')))
      : el('input', { id: 'f-' + f.name, name: f.name, placeholder: f.placeholder || '', size: 18 });
    input.value = params.get(f.name) || '';
    return el('label', { for: 'f-' + f.name }, f.label, input);
  }), el('button', { type: 'submit' }, 'Filter'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const f of fields) {
      const v = form.elements[f.name].value.trim();
      if (v) q.set(f.name, v);
    }
    location.hash = base + (q.toString() ? '?' + q.toString() : '');
  });
  return form;
}

function listQuery(params, names) {
  const q = new URLSearchParams();
  for (const n of names) if (params.get(n)) q.set(n, params.get(n));
  q.set('limit', String(PAGE));
  return q;
}

async function events(params) {
  const r = await api('GET', '/v1/events?' + listQuery(params, ['source', 'type', 'after']));
  const keep = {};
  for (const n of ['source', 'type']) if (params.get(n)) keep[n] = params.get(n);
  return [el('h1', {}, 'Events'),
    filterForm('#/events', [{ name: 'source', label: 'Source' }, { name: 'type', label: 'Type', placeholder: 's3:ObjectCreated:*' }], params),
    params.get('after') ? el('p', { class: 'note' }, 'After ', params.get('after'), ' · ', link('#/events', 'first page')) : null,
    table(['Id', 'Source', 'Type', 'Time', 'Received', 'Idempotency key'],
      r.data.events.map((e) => [link('#/events/' + enc(e.id), e.id), e.source, mono(e.type), e.time, e.received, mono(e.idempotency_key)])),
    r.data.events.length === 0 && r.data.next ? el('p', { class: 'note' }, 'No match in this stretch of the log; the next page scans on.') : null,
    pager(r.data.next, '#/events', keep)];
}

function prettyBody(body) {
  try { return JSON.stringify(JSON.parse(body), null, 2); } catch (e) { return body; }
}

function deliveryRows(list) {
  return list.map((d) => [link('#/deliveries/' + enc(d.id), d.id), link(subHref(d.subscription), d.subscription), badge(d.state),
    show(d.attempts), show(d.next_attempt), show(d.updated), mono(show(d.last_error)),
    d.state !== 'delivered' && d.state !== 'cancelled'
      ? actionButton('Retry', async () => { await api('POST', `/v1/deliveries/${enc(d.id)}/retry`); return 'Delivery ' + d.id + ' is due now.'; })
      : null]);
}

async function eventPage(id) {
  const r = await api('GET', '/v1/events/' + enc(id));
  const e = r.data.event;
  return [el('h1', {}, 'Event ', e.id),
    kv([['Source', e.source], ['Type', el('span', { class: 'mono', id: 'event-type' }, e.type)], ['Time', e.time], ['Received', e.received],
      ['Idempotency key', el('span', { class: 'mono', id: 'event-key' }, e.idempotency_key)]]),
    el('h2', {}, 'Body'),
    el('pre', { class: 'body', id: 'event-body' }, prettyBody(r.data.body)),
    el('h2', {}, 'Deliveries'),
    table(['Id', 'Subscription', 'State', '#Attempts', 'Next attempt', 'Updated', 'Last error', ''], deliveryRows(r.data.deliveries))];
}

async function deliveries(params) {
  const [r, subs] = await Promise.all([
    api('GET', '/v1/deliveries?' + listQuery(params, ['subscription', 'state', 'after'])),
    api('GET', '/v1/subscriptions')]);
  const keep = {};
  for (const n of ['subscription', 'state']) if (params.get(n)) keep[n] = params.get(n);
  return [el('h1', {}, 'Deliveries'),
    filterForm('#/deliveries', [
      { name: 'subscription', label: 'Subscription', options: [''].concat(subs.data.subscriptions.map((s) => s.name)) },
      { name: 'state', label: 'State', options: ['', 'pending', 'delivered', 'dead', 'cancelled'] }], params),
    table(['Id', 'Subscription', 'State', '#Attempts', 'Next attempt', 'Updated', 'Last error', ''], deliveryRows(r.data.deliveries)),
    pager(r.data.next, '#/deliveries', keep)];
}

async function deliveryPage(id) {
  const r = await api('GET', '/v1/deliveries/' + enc(id));
  const d = r.data.delivery;
  return [el('h1', {}, 'Delivery ', d.id, ' ', badge(d.state)),
    el('div', { class: 'actions' }, d.state !== 'delivered' && d.state !== 'cancelled'
      ? actionButton('Retry', async () => { await api('POST', `/v1/deliveries/${enc(id)}/retry`); return 'Retry queued: the delivery is due now.'; }, 'primary')
      : null),
    kv([['Event', link('#/events/' + enc(d.event_id), d.event_id)], ['Subscription', link(subHref(d.subscription), d.subscription)],
      ['State', d.state], ['Attempts', show(d.attempts)], ['Next attempt', show(d.next_attempt)], ['Created', d.created],
      ['Updated', d.updated], ['Last error', show(d.last_error)]]),
    el('h2', {}, 'Attempts'),
    table(['#', 'Started', '#Status', '#Latency', 'Error', 'Response excerpt'],
      r.data.attempts.map((a) => [show(a.number), a.started, show(a.status), fmtLatency(a.latency_us), mono(show(a.error)), mono(show(a.response_excerpt))]), 'attempts')];
}

async function dead() {
  const r = await api('GET', '/v1/subscriptions');
  return [el('h1', {}, 'Dead letters'),
    el('p', { class: 'note' }, 'Dead deliveries ran out of attempts or were refused. Redeliver makes every dead delivery of the subscription pending again with a fresh attempt budget.'),
    table(['Subscription', 'State', '#Dead', '', ''], r.data.subscriptions.map((s) => [link(subHref(s.name), s.name), badge(s.state), show(s.dead),
      link('#/deliveries?state=dead&subscription=' + enc(s.name), 'List'),
      s.dead > 0 ? actionButton('Redeliver all', async () => {
        if (!confirm('Redeliver every dead delivery of ' + s.name + '?')) return null;
        const j = await api('POST', '/v1/dead/redeliver?subscription=' + enc(s.name));
        return j.data.redelivered + ' deliveries of ' + s.name + ' pending again.';
      }) : null]))];
}

async function eventTypes(params) {
  const q = params.get('source') ? '?source=' + enc(params.get('source')) : '';
  const r = await api('GET', '/v1/event-types' + q);
  return [el('h1', {}, 'Event types'),
    filterForm('#/event-types', [{ name: 'source', label: 'Source' }], params),
    r.data.dropped ? message(r.data.dropped + ' events were not catalogued: the catalog is full.', 'info') : null,
    table(['Source', 'Type', '#Count', 'First seen', 'Last seen', ''], r.data.event_types.map((t) => [t.source, mono(t.type), show(t.count), t.first_seen, t.last_seen,
      link('#/events?' + new URLSearchParams({ source: t.source, type: t.type }).toString(), 'Events')]))];
}

// ---- routing ---------------------------------------------------------------

// The pages whose counts refresh every 5 s: the overview and the
// subscription list. Armed by render() once the page is on screen, so that a
// render another one overtook arms nothing.
const refreshes = (segs) => segs.length <= 1 && (!segs[0] || segs[0] === 'overview' || segs[0] === 'subscriptions');

function autoRefresh() {
  const route = state.route;
  state.timer = setTimeout(() => { if (state.route === route && !document.hidden) render(true); else autoRefresh(); }, 5000);
}

function parseHash() {
  const h = location.hash.replace(/^#/, '') || '/overview';
  const qi = h.indexOf('?');
  const path = qi < 0 ? h : h.slice(0, qi);
  const params = new URLSearchParams(qi < 0 ? '' : h.slice(qi + 1));
  const segs = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { path, segs, params };
}

async function page(segs, params) {
  const [a, b] = segs;
  if (a === 'overview' || !a) return overview();
  if (a === 'subscriptions' && b === 'new') return newSubscription();
  if (a === 'subscriptions' && b !== undefined) return subscription(b);
  if (a === 'subscriptions') return subscriptions();
  if (a === 'events' && b !== undefined) return eventPage(b);
  if (a === 'events') return events(params);
  if (a === 'deliveries' && b !== undefined) return deliveryPage(b);
  if (a === 'deliveries') return deliveries(params);
  if (a === 'dead') return dead();
  if (a === 'event-types') return eventTypes(params);
  return [el('h1', {}, 'Not found'), el('p', {}, 'No such page: ', location.hash)];
}

async function render(refresh) {
  clearTimeout(state.timer);
  const { path, segs, params } = parseHash();
  const token = sessionStorage.getItem(TOKEN_KEY);
  const loggedIn = !!token && path !== '/login';
  document.getElementById('nav').hidden = !loggedIn;
  document.getElementById('logout').hidden = !loggedIn;
  if (!token || path === '/login') {
    document.getElementById('who').textContent = '';
    renderLogin();
    return;
  }
  // Only the newest render may fill the view: a refresh still awaiting its
  // data when the user navigates must not show its page under the new route.
  const seq = ++state.renders;
  const route = location.hash;
  state.route = route;
  if (pendingSecret && !(segs[0] === 'subscriptions' && segs[1] === pendingSecret.name)) pendingSecret = null;
  try {
    if (!state.access) await whoami();
    document.getElementById('who').textContent = state.access === 'full' ? 'full access' : 'read-only';
    for (const a of document.querySelectorAll('#nav a'))
      a.classList.toggle('current', path.startsWith(a.getAttribute('href').slice(1)));
    const nodes = await page(segs, params);
    if (seq !== state.renders || route !== location.hash) return;  // superseded meanwhile
    const notice = el('div', { id: 'notice', 'aria-live': 'polite' });
    const old = document.getElementById('notice');
    if (refresh && old) notice.replaceChildren(...old.childNodes);
    view().replaceChildren(notice, ...nodes.flat().filter(Boolean));
    view().setAttribute('data-page', segs[0] || 'overview');
    view().setAttribute('data-route', route);  // what the view shows now
    if (refreshes(segs)) autoRefresh();
    if (!refresh) view().focus({ preventScroll: true });
  } catch (e) {
    if (e.status === 401 || seq !== state.renders) return;
    view().replaceChildren(el('h1', {}, 'Error'), message(e.message),
      el('div', { class: 'actions' }, el('button', { type: 'button', onclick: () => render() }, 'Try again')));
  }
}

document.getElementById('logout').addEventListener('click', () => toLogin('Logged out.'));
window.addEventListener('hashchange', () => render());
render();
