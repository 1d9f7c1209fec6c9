// The hookd console in a real browser: headless Debian chromium driven by
// puppeteer-core (pinned in package.json; no browser download), against the
// real hookd and two `hookctl listen` receivers, all on 127.0.0.1.
//
// usage: node console_test.mjs --hookd PATH --hookctl PATH --out DIR
// Exit 0: pass; 1: fail; 77: skipped (chromium or puppeteer-core missing).
// Every process it starts is killed at the end, on failure too, and the
// whole run is bounded (kDeadlineMs).

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const kDeadlineMs = 240_000;
const TOKEN = 'console-test-admin-token-0123456789';
const READ_TOKEN = 'console-test-read-token-0123456789';
const XSS_TYPE = '<img src=x onerror=window.__xss=1>';
const XSS_KEY = '<script>window.__xss=1</script>';

function arg(name) {
  const i = process.argv.indexOf('--' + name);
  return i > 0 ? process.argv[i + 1] : undefined;
}
const HOOKD = arg('hookd');
const HOOKCTL = arg('hookctl');
const OUT = arg('out') || join(process.cwd(), 'console-screenshots');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

function skip(why) {
  console.log('SKIP: ' + why);
  process.exit(77);
}
if (!HOOKD || !HOOKCTL) {
  console.error('usage: node console_test.mjs --hookd PATH --hookctl PATH [--out DIR]');
  process.exit(2);
}
if (!existsSync(CHROMIUM)) skip(`no chromium at ${CHROMIUM} (apt-get install chromium, or scripts/test.sh)`);
let puppeteer;
try {
  puppeteer = (await import('puppeteer-core')).default;
} catch (e) {
  skip('puppeteer-core is not installed: run `npm ci` in tests/browser (scripts/test.sh does)');
}

// ---- processes ---------------------------------------------------------------

const children = [];
let browser = null;
const dir = mkdtempSync(join(tmpdir(), 'hookd-console-'));

function start(name, cmd, args) {
  const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  p.name = name;
  p.out = '';
  p.err = '';
  p.stdout.on('data', (d) => { p.out += d; });
  p.stderr.on('data', (d) => { p.err += d; });
  p.exited = new Promise((resolve) => p.on('exit', resolve));
  children.push(p);
  return p;
}

async function until(what, fn, ms = 20_000, every = 100) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) { last = e; }
    await sleep(every);
  }
  throw new Error(`timed out waiting for ${what}` + (last instanceof Error ? `: ${last.message}` : ''));
}

async function port_of(p, re) {
  return Number(await until(`${p.name} to listen`, () => {
    if (p.exitCode !== null) throw new Error(`${p.name} exited ${p.exitCode}: ${p.err}`);
    const m = p.err.match(re);
    return m && m[1];
  }, 15_000, 50));
}

async function listener(name, extra) {
  const p = start(name, HOOKCTL, ['listen', '--port', '0', '--host', '127.0.0.1', '--json', ...extra]);
  return { p, port: await port_of(p, /listening on http:\/\/127\.0\.0\.1:(\d+)/) };
}

async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  for (const p of children) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
  await Promise.race([Promise.all(children.map((p) => p.exited)), sleep(5000)]);
  for (const p of children) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}

// ---- checks ------------------------------------------------------------------

let failures = 0;
function check(ok, what) {
  console.log((ok ? 'ok   ' : 'FAIL ') + what);
  if (!ok) failures++;
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  const good = await listener('listen-200', []);
  const flaky = await listener('listen-fail-first', ['--fail-first', '1']);
  const config = `[server]
listen = ["127.0.0.1:0"]
[admin]
listen = "127.0.0.1:0"
token = "${TOKEN}"
read_token = "${READ_TOKEN}"
allow_destinations = ["127.0.0.1/32"]
[storage]
path = "${join(dir, 'db')}"
sync = "none"
[[source]]
name = "shop"
format = "generic"
allow_from = ["127.0.0.1/32"]
[[subscription]]
name = "orders"
url = "http://127.0.0.1:${good.port}/hooks/orders"
sources = ["shop"]
events = ["order.*"]
retry = { attempts = 3, base = "100ms", cap = "1s" }
[[subscription]]
name = "flaky"
url = "http://127.0.0.1:${flaky.port}/hooks/flaky"
sources = ["shop"]
events = ["flaky.*"]
retry = { attempts = 1, base = "100ms", cap = "1s" }
`;
  writeFileSync(join(dir, 'hookd.toml'), config);
  const hookd = start('hookd', HOOKD, ['--config', join(dir, 'hookd.toml')]);
  const adminPort = await port_of(hookd, /admin\.listening address="?127\.0\.0\.1:(\d+)/);
  const ingestPort = await port_of(hookd, /server\.listening address="?127\.0\.0\.1:(\d+)/);
  const base = `http://127.0.0.1:${adminPort}`;
  const v1 = async (path, token = TOKEN) => {
    const r = await fetch(base + path, { headers: { Authorization: 'Bearer ' + token } });
    return r.json();
  };
  const post = async (type, key, body) => {
    const r = await fetch(`http://127.0.0.1:${ingestPort}/event/shop`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Event-Type': type, 'Idempotency-Key': key },
      body: JSON.stringify(body),
    });
    if (r.status !== 200) throw new Error(`ingest answered ${r.status}: ${await r.text()}`);
    return r.json();
  };
  await until('readyz', async () => (await fetch(base + '/readyz')).status === 200);

  // Headers of the console itself.
  const ui = await fetch(base + '/ui/');
  const csp = ui.headers.get('content-security-policy') || '';
  check(ui.status === 200 && csp.includes("default-src 'self'") && csp.includes("script-src 'self'") &&
        ui.headers.get('x-content-type-options') === 'nosniff', '/ui/ is served with the CSP and nosniff');
  const redirect = await fetch(base + '/ui', { redirect: 'manual' });
  check(redirect.status === 301 && redirect.headers.get('location') === '/ui/', '/ui redirects to /ui/');
  check((await fetch(base + '/v1/whoami')).status === 401, '/v1 still needs the token');

  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-extensions',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
  });

  const problems = [];
  const foreign = [];
  async function newPage(context) {
    const page = await context.newPage();
    await page.setViewport({ width: 1280, height: 800 });
    page.on('console', (m) => { if (m.type() === 'error') problems.push('console: ' + m.text()); });
    page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
    page.on('request', (r) => { if (!r.url().startsWith(base + '/') && !r.url().startsWith('data:')) foreign.push(r.url()); });
    await page.evaluateOnNewDocument(() => {
      window.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
    });
    return page;
  }
  async function login(page, token) {
    await page.goto(base + '/ui/', { waitUntil: 'load' });
    await page.waitForSelector('#login-form #token');
    await page.type('#token', token);
    await Promise.all([page.waitForSelector('#view[data-page="overview"]'), page.click('#login-form button[type=submit]')]);
  }
  async function open(page, hash, selector = '#view[data-page]') {
    await page.evaluate((h) => { location.hash = h; }, hash);
    // The view of this very route, not the previous page still on screen.
    await page.waitForFunction((h) => location.hash === h && document.getElementById('view').dataset.route === h, {}, hash);
    await page.waitForSelector(selector);
    await sleep(100);
  }
  const shot = async (page, name) => page.screenshot({ path: join(OUT, name + '.png'), fullPage: true });
  const text = (page, sel) => page.$eval(sel, (e) => e.textContent);

  const ctx = await browser.createBrowserContext();
  const page = await newPage(ctx);
  await page.goto(base + '/ui/', { waitUntil: 'load' });
  await page.waitForSelector('#login-form');
  await shot(page, 'login');
  await login(page, TOKEN);
  check(await text(page, '#who') === 'full access', 'logs in with the admin token (full access)');

  // Counts change after events are posted.
  await open(page, '#/subscriptions');
  const deliveredOf = (name) => page.evaluate((n) => {
    for (const tr of document.querySelectorAll('#view tbody tr')) {
      const cells = tr.querySelectorAll('td');
      if (cells[0] && cells[0].textContent === n) return Number(cells[6].textContent);
    }
    return null;
  }, name);
  const before = await deliveredOf('orders');
  for (let i = 0; i < 3; i++) await post('order.created', 'order-' + i, { order: i, total: 10 * i });
  const after = await until('the subscriptions page to show 3 more deliveries', async () => {
    const n = await deliveredOf('orders');
    return n !== null && n >= before + 3 ? n : null;
  }, 20_000, 250);
  check(before === 0 && after === 3, `subscription orders: delivered ${before} -> ${after} on the page`);
  await shot(page, 'subscriptions');

  // A dead delivery, retried from its page, then delivered.
  const flakyEvent = await post('flaky.order', 'flaky-1', { order: 'f1' });
  await until('the flaky delivery to go dead', async () =>
    (await v1('/v1/deliveries?subscription=flaky&state=dead')).deliveries.length === 1);
  await open(page, '#/dead');
  await shot(page, 'dead');
  await open(page, '#/deliveries?subscription=flaky&state=dead', '#view tbody a[href^="#/deliveries/"]');
  await shot(page, 'deliveries');
  const href = await page.$eval('#view tbody a[href^="#/deliveries/"]', (a) => a.getAttribute('href'));
  await open(page, href, 'button[data-action="Retry"]');
  check((await text(page, '#view h1')).includes('dead'), 'the delivery page shows the dead delivery');
  await page.click('button[data-action="Retry"]');
  await until('the retried delivery to show as delivered', async () => {
    await page.reload({ waitUntil: 'load' });
    await page.waitForSelector('#view[data-page="deliveries"] h1');
    return (await text(page, '#view h1')).includes('delivered');
  }, 20_000, 300);
  const attempts = await page.$$eval('#view table.attempts tbody tr', (rows) => rows.length);
  check(attempts === 2, `the delivery page lists both attempts (${attempts})`);
  await shot(page, 'delivery');
  const lines = flaky.p.out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  check(lines.length === 2 && lines[0].status === 500 && lines[1].status === 200 && lines[1].type === 'flaky.order',
    `hookctl listen saw the failed attempt and the retried one delivered (${lines.map((l) => l.status)})`);
  check(flakyEvent.accepted === 1, 'the flaky event was accepted');

  // Values from events are text, never HTML.
  const xss = await post(XSS_TYPE, XSS_KEY, { note: '<img src=x onerror=window.__xss=1>', s: '<script>window.__xss=1</script>' });
  const xssId = xss.ids[0];
  await open(page, '#/events');
  await shot(page, 'events');
  await open(page, '#/events/' + encodeURIComponent(xssId), '#event-type');
  check(await text(page, '#event-type') === XSS_TYPE, 'the event type is shown literally');
  check(await text(page, '#event-key') === XSS_KEY, 'the idempotency key is shown literally');
  check((await text(page, '#event-body')).includes('"note": "<img src=x onerror=window.__xss=1>"'), 'the body is pretty-printed text');
  const injected = await page.evaluate(() => ({
    xss: window.__xss,
    imgs: document.querySelectorAll('#view img').length,
    scripts: document.querySelectorAll('#view script').length,
  }));
  check(injected.xss === undefined && injected.imgs === 0 && injected.scripts === 0, 'nothing from the event ran or became an element');
  await shot(page, 'event');

  await open(page, '#/subscriptions/orders', 'button[data-action="Pause"]');
  await shot(page, 'subscription');

  // An API subscription made, changed and deleted through the console.
  page.on('dialog', (d) => d.accept());
  await open(page, '#/subscriptions/new', '#spec');
  await page.$eval('#spec', (t, url) => {
    t.value = JSON.stringify({ name: 'ui-made', url, events: ['order.*'], sources: ['shop'] });
  }, `http://127.0.0.1:${good.port}/hooks/ui`);
  await page.click('#spec-form button[type=submit]');
  await page.waitForSelector('#new-secret');
  check((await text(page, '#new-secret')).startsWith('whsec_'), 'creating a subscription shows its secret once');
  await shot(page, 'subscription-created');
  await page.click('button[data-action="Disable"]');
  await page.waitForFunction(() => (document.getElementById('notice') || {}).textContent === 'Disabled.');
  check((await text(page, '#view h1')).includes('disabled'), 'disable from the console');
  await page.$eval('#spec', (t) => { t.value = JSON.stringify({ events: ['order.created'] }); });
  await page.click('#spec-form button[type=submit]');
  await page.waitForFunction(() => (document.getElementById('notice') || {}).textContent === 'Saved.');
  check((await v1('/v1/subscriptions/ui-made')).subscription.events[0] === 'order.created', 'edit (PATCH) from the console');
  await page.click('button[data-action="Delete"]');
  await page.waitForFunction(() => location.hash === '#/subscriptions');
  check((await v1('/v1/subscriptions/ui-made')).error !== undefined, 'delete from the console');
  await open(page, '#/event-types');
  check((await page.$$eval('#view tbody tr', (r) => r.length)) >= 3, 'the event-type catalog is listed');
  await shot(page, 'event-types');
  await open(page, '#/overview', '#view .chart svg rect');
  check((await page.$$eval('#view .chart svg rect', (r) => r.length)) > 0, 'the overview chart has bars');
  await shot(page, 'overview');
  // A small copy for docs/console-overview.png (README).
  await page.setViewport({ width: 1280, height: 660, deviceScaleFactor: 0.6 });
  await sleep(200);
  await page.screenshot({ path: join(OUT, 'overview-small.png') });
  await page.setViewport({ width: 390, height: 844, isMobile: true });
  await open(page, '#/deliveries');
  await shot(page, 'deliveries-phone');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
  check(overflow, 'at phone width the page does not scroll sideways (tables scroll inside)');
  await page.setViewport({ width: 1280, height: 800 });
  await open(page, '#/subscriptions/orders');
  const fullActions = await page.$$eval('#view [data-action]', (b) => b.length);
  check(fullActions >= 3, `the full token shows action buttons (${fullActions} on a subscription)`);
  // A render still waiting for its data when the user moves on must leave
  // the view to the newer one: the deliveries listing is held back while the
  // subscription page opens, then let through.
  await page.setRequestInterception(true);
  let release;
  const held = new Promise((r) => { release = r; });
  let holding = false;
  const hold = (req) => {
    if (!holding && req.url().startsWith(base + '/v1/deliveries')) {
      holding = true;
      held.then(() => req.continue());
    } else {
      req.continue();
    }
  };
  page.on('request', hold);
  await page.evaluate(() => { location.hash = '#/deliveries'; });
  for (let waited = 0; !holding && waited < 10000; waited += 20) await sleep(20);
  await open(page, '#/subscriptions/orders');
  const answered = page.waitForResponse((r) => r.url().startsWith(base + '/v1/deliveries'));
  release();
  await answered;
  await sleep(300);  // the held render's page() returns and tries to fill the view
  const shown = await page.evaluate(() => [document.querySelector('#view h1').textContent, document.getElementById('view').dataset.page]);
  check(holding && shown[0].startsWith('Subscription orders') && shown[1] === 'subscriptions',
    `a render overtaken by navigation leaves the view to the newer one (${shown.join(', ')})`);
  page.off('request', hold);
  await page.setRequestInterception(false);
  check(await page.evaluate(() => window.__csp.length) === 0, 'no CSP violation (full token)');

  // The read-only token: the same pages, no action buttons.
  const ro = await browser.createBrowserContext();
  const rpage = await newPage(ro);
  await login(rpage, READ_TOKEN);
  check(await text(rpage, '#who') === 'read-only', 'logs in with the read token (read-only)');
  let buttons = 0;
  for (const h of ['#/overview', '#/subscriptions', '#/subscriptions/orders', '#/subscriptions/flaky', '#/events',
    '#/events/' + encodeURIComponent(xssId), '#/deliveries', '#/deliveries?state=dead', href, '#/dead', '#/event-types']) {
    await open(rpage, h);
    buttons += await rpage.$$eval('#view [data-action]', (b) => b.length);
  }
  check(buttons === 0, `the read-only token shows no action buttons (${buttons})`);
  await open(rpage, '#/subscriptions/orders');
  await shot(rpage, 'subscription-read-only');
  check(await rpage.evaluate(() => window.__csp.length) === 0, 'no CSP violation (read token)');

  check(foreign.length === 0, 'no request to another host' + (foreign.length ? ': ' + foreign.join(' ') : ''));
  check(problems.length === 0, 'no console errors' + (problems.length ? ':\n  ' + problems.join('\n  ') : ''));
  const v = await v1('/v1/whoami', READ_TOKEN);
  check(v.access === 'read', 'GET /v1/whoami tells the read token');
}

const deadline = setTimeout(async () => {
  console.error(`FAIL: over ${kDeadlineMs / 1000} s`);
  await cleanup();
  process.exit(1);
}, kDeadlineMs);

let code = 0;
try {
  await main();
  code = failures ? 1 : 0;
} catch (e) {
  console.error('FAIL: ' + (e.stack || e));
  for (const p of children) if (p.err) console.error(`--- ${p.name} stderr (tail)\n` + p.err.slice(-3000));
  code = 1;
} finally {
  clearTimeout(deadline);
  await cleanup();
}
console.log(code === 0 ? `PASS (screenshots in ${OUT})` : `FAIL (${failures} checks failed)`);
process.exit(code);
