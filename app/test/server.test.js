'use strict';
const test = require('node:test');
const assert = require('node:assert');
const net = require('node:net');
const { config, escapeHtml, page, health, createApp, ConfigError, UNKNOWN, KEEP_ALIVE_MS } = require('../server.js');

const CFG = { host: 'web-1', commit: 'abc1234', build: '42', port: 0 };

async function running(cfg = CFG, options = {}) {
  const app = createApp({ ...cfg, port: 0 }, options);
  const port = await app.listen();
  return { app, base: `http://127.0.0.1:${port}`, port };
}

async function get(base, path, init) {
  const res = await fetch(`${base}${path}`, init);
  return { status: res.status, headers: res.headers, body: await res.text() };
}

function connects(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

test('config reads the environment', () => {
  const cfg = config({ APP_PORT: '9000', APP_COMMIT: 'deadbeef', APP_BUILD: '17' }, 'box');
  assert.deepStrictEqual(cfg, { port: 9000, commit: 'deadbeef', build: '17', host: 'box' });
});

test('unset or blank commit and build read "unknown", port defaults to 8080', () => {
  assert.deepStrictEqual(config({}, 'box'), { port: 8080, commit: UNKNOWN, build: UNKNOWN, host: 'box' });
  const blank = config({ APP_COMMIT: '  ', APP_BUILD: '', APP_PORT: '' }, 'box');
  assert.strictEqual(blank.commit, 'unknown');
  assert.strictEqual(blank.build, 'unknown');
  assert.strictEqual(blank.port, 8080);
});

test('a bad APP_PORT is a clear error naming the variable', () => {
  for (const bad of ['abc', '-1', '65536', '80.5']) {
    assert.throws(() => config({ APP_PORT: bad }, 'box'), (error) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /APP_PORT/);
      return true;
    });
  }
});

test('escapeHtml escapes the five special characters', () => {
  assert.strictEqual(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});

test('the page says host, commit and build, never "undefined"', () => {
  const html = page(CFG);
  assert.match(html, /Hi there! I'm being served from web-1/);
  assert.match(html, /AMI built from commit abc1234/);
  assert.match(html, /Build number 42/);
  const unknown = page(config({}, 'box'));
  assert.match(unknown, /AMI built from commit unknown/);
  assert.match(unknown, /Build number unknown/);
  assert.doesNotMatch(unknown, /undefined/);
});

test('values are HTML-escaped on the page', () => {
  const html = page({ host: 'h<1>', commit: '<script>alert(1)</script>', build: '"7"&' });
  assert.doesNotMatch(html, /<script>/);
  assert.match(html, /served from h&lt;1&gt;/);
  assert.match(html, /commit &lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.match(html, /Build number &quot;7&quot;&amp;/);
});

test('health reports commit, build and uptime in whole seconds', () => {
  assert.deepStrictEqual(health(CFG, 1_000, 4_500), { status: 'ok', host: 'web-1', commit: 'abc1234', build: '42', uptime: 3 });
});

test('GET / serves the HTML page', async () => {
  const { app, base } = await running();
  try {
    const res = await get(base, '/');
    assert.strictEqual(res.status, 200);
    assert.match(res.headers.get('content-type'), /text\/html/);
    assert.match(res.body, /served from web-1/);
    assert.match(res.body, /commit abc1234/);
  } finally {
    await app.shutdown();
  }
});

test('GET /health answers 200 with JSON', async () => {
  const { app, base } = await running();
  try {
    const res = await get(base, '/health');
    assert.strictEqual(res.status, 200);
    assert.match(res.headers.get('content-type'), /application\/json/);
    const body = JSON.parse(res.body);
    assert.strictEqual(body.commit, 'abc1234');
    assert.strictEqual(body.build, '42');
    assert.strictEqual(typeof body.uptime, 'number');
  } finally {
    await app.shutdown();
  }
});

test('HEAD has no body, other methods are 405, unknown paths 404', async () => {
  const { app, base } = await running();
  try {
    const head = await get(base, '/', { method: 'HEAD' });
    assert.strictEqual(head.status, 200);
    assert.strictEqual(head.body, '');
    const post = await get(base, '/', { method: 'POST', body: 'x' });
    assert.strictEqual(post.status, 405);
    assert.strictEqual(post.headers.get('allow'), 'GET, HEAD');
    assert.strictEqual((await get(base, '/nope')).status, 404);
  } finally {
    await app.shutdown();
  }
});

test('shutdown stops accepting, finishes the request in flight, then resolves', async () => {
  let arrived;
  const inFlight = new Promise((resolve) => {
    arrived = resolve;
  });
  let release;
  const held = new Promise((resolve) => {
    release = resolve;
  });
  const { app, base, port } = await running(CFG, {
    beforeRespond: async () => {
      arrived();
      await held;
    },
  });
  const pending = get(base, '/health');
  await inFlight;
  let stopped = false;
  const stopping = app.shutdown().then((clean) => {
    stopped = true;
    return clean;
  });
  assert.strictEqual(await connects(port), false, 'new connections are refused while draining');
  assert.strictEqual(stopped, false, 'shutdown waits for the request in flight');
  release();
  const res = await pending;
  assert.strictEqual(res.status, 200);
  assert.strictEqual(res.headers.get('connection'), 'close');
  assert.strictEqual(await stopping, true);
});

test('shutdown gives up on requests still open after the grace period', async () => {
  const { app, base } = await running(CFG, { graceMs: 50, beforeRespond: () => new Promise(() => {}) });
  const pending = get(base, '/').then(
    () => 'answered',
    () => 'dropped',
  );
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.strictEqual(await app.shutdown(), false);
  assert.strictEqual(await pending, 'dropped');
});

test('idle keep-alive connections outlive the load balancer idle timeout', async () => {
  // A target that closes an idle connection before the load balancer does
  // gets requests sent on it as it closes: 502s (ALB default idle timeout 60 s).
  const { app } = await running();
  try {
    assert.ok(KEEP_ALIVE_MS > 60_000);
    assert.strictEqual(app.server.keepAliveTimeout, KEEP_ALIVE_MS);
    assert.ok(app.server.headersTimeout > app.server.keepAliveTimeout);
  } finally {
    await app.shutdown();
  }
});
