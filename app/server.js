'use strict';
// nodeapp: says which host served the request and which build it runs.
//
// Configured by the environment (/etc/nodeapp/app.env on a baked image):
//   APP_PORT   TCP port to listen on (default 8080; 0 picks a free one)
//   APP_COMMIT commit the image was baked from ("unknown" when unset)
//   APP_BUILD  CI build number of the bake ("unknown" when unset)
//
// Routes: GET / (the page), GET /health (JSON for load balancer checks).
// On SIGTERM or SIGINT it stops accepting connections, lets the requests in
// flight finish, and exits 0, so a draining load balancer loses no request.
const http = require('node:http');
const os = require('node:os');

const UNKNOWN = 'unknown';
const DEFAULT_PORT = 8080;
// Below the unit's TimeoutStopSec, so systemd never has to SIGKILL us.
const DEFAULT_GRACE_MS = 10_000;
// Idle keep-alive connections are kept longer than a load balancer's default
// idle timeout (60 s); see createApp.
const KEEP_ALIVE_MS = 65_000;

class ConfigError extends Error {}

function text(value) {
  const trimmed = typeof value === 'string' ? value.trim() : '';
  return trimmed === '' ? UNKNOWN : trimmed;
}

function parsePort(value) {
  if (value === undefined || value.trim() === '') return DEFAULT_PORT;
  const port = Number(value.trim());
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`APP_PORT must be an integer from 0 to 65535, got ${JSON.stringify(value)}`);
  }
  return port;
}

function config(env = process.env, host = os.hostname()) {
  return {
    port: parsePort(env.APP_PORT),
    commit: text(env.APP_COMMIT),
    build: text(env.APP_BUILD),
    host: text(host),
  };
}

const HTML_ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

function page(cfg) {
  const host = escapeHtml(cfg.host);
  const commit = escapeHtml(cfg.commit);
  const build = escapeHtml(cfg.build);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>nodeapp on ${host}</title>
</head>
<body>
<h1>Hi there! I'm being served from ${host}</h1>
<p>AMI built from commit ${commit}</p>
<p>Build number ${build}</p>
</body>
</html>
`;
}

function health(cfg, started, now = Date.now()) {
  return {
    status: 'ok',
    host: cfg.host,
    commit: cfg.commit,
    build: cfg.build,
    uptime: Math.max(0, Math.floor((now - started) / 1000)),
  };
}

// options.beforeRespond(req): awaited before each answer (tests use it to
// hold a request in flight). options.isDraining(): true once shutting down.
function handler(cfg, options = {}) {
  const started = options.started ?? Date.now();
  const beforeRespond = options.beforeRespond ?? (async () => {});
  const isDraining = options.isDraining ?? (() => false);
  return async (req, res) => {
    try {
      await beforeRespond(req);
    } catch {
      // A failing hook must not cost the client its answer.
    }
    const headers = { 'cache-control': 'no-store' };
    // While draining, ask keep-alive clients to reconnect elsewhere.
    if (isDraining()) headers.connection = 'close';
    const send = (status, type, body) => {
      res.writeHead(status, { ...headers, 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      headers.allow = 'GET, HEAD';
      send(405, 'text/plain; charset=utf-8', 'method not allowed\n');
      return;
    }
    let path;
    try {
      path = new URL(req.url, 'http://localhost').pathname;
    } catch {
      send(400, 'text/plain; charset=utf-8', 'bad request\n');
      return;
    }
    if (path === '/health') {
      send(200, 'application/json', `${JSON.stringify(health(cfg, started))}\n`);
    } else if (path === '/') {
      send(200, 'text/html; charset=utf-8', page(cfg));
    } else {
      send(404, 'text/plain; charset=utf-8', 'not found\n');
    }
  };
}

// Creates the server; `listen()` resolves with the bound port, `shutdown()`
// stops accepting, waits for requests in flight (at most graceMs, then
// drops what is left) and resolves with true when nothing was dropped.
function createApp(cfg, options = {}) {
  let draining = false;
  const server = http.createServer(handler(cfg, { ...options, isDraining: () => draining }));
  // The load balancer keeps its connections to us open and reuses them. If we
  // closed an idle one first, a request it sends on it at that moment would
  // fail with a 502: AWS asks targets to keep connections open longer than
  // the load balancer's idle timeout (ALB user guide, "Connection idle
  // timeout"; 60 s by default, roundrobin_lb's `idle_timeout`).
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = KEEP_ALIVE_MS + 1000;
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;

  const listen = () =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(cfg.port, () => {
        server.off('error', reject);
        resolve(server.address().port);
      });
    });

  let closing = null;
  const shutdown = () => {
    if (closing) return closing;
    draining = true;
    closing = new Promise((resolve) => {
      const deadline = setTimeout(() => {
        server.closeAllConnections();
        resolve(false);
      }, graceMs);
      deadline.unref();
      server.close(() => {
        clearTimeout(deadline);
        resolve(true);
      });
      // Keep-alive connections with no request in flight go now; busy ones
      // close after their answer (which carries `connection: close`).
      server.closeIdleConnections();
    });
    return closing;
  };

  return { server, listen, shutdown };
}

async function main() {
  let cfg;
  try {
    cfg = config();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`nodeapp: ${error.message}`);
    process.exit(2);
  }
  const app = createApp(cfg);
  let port;
  try {
    port = await app.listen();
  } catch (error) {
    console.error(`nodeapp: cannot listen on port ${cfg.port}: ${error.message}`);
    process.exit(1);
  }
  console.log(`nodeapp listening on port ${port} (host ${cfg.host}, commit ${cfg.commit}, build ${cfg.build})`);
  const stop = async (signal) => {
    console.log(`nodeapp: ${signal}: no new connections, finishing requests in flight`);
    const clean = await app.shutdown();
    console.log(clean ? 'nodeapp: stopped' : 'nodeapp: stopped, dropping requests still open after the grace period');
    process.exit(0);
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

if (require.main === module) {
  main();
}

module.exports = { UNKNOWN, KEEP_ALIVE_MS, ConfigError, config, escapeHtml, page, health, handler, createApp };
