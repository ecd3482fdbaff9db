'use strict';
// The real process, as systemd runs it: environment in, signals in, exit code out.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { spawn } = require('node:child_process');

const SERVER = path.join(__dirname, '..', 'server.js');
const WAIT_MS = 10_000;

function start(env) {
  const child = spawn(process.execPath, [SERVER], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), WAIT_MS);
  exited.then(() => clearTimeout(timer));
  const listening = new Promise((resolve, reject) => {
    const check = () => {
      const match = /listening on port (\d+)/.exec(stdout);
      if (match) resolve(Number(match[1]));
    };
    child.stdout.on('data', check);
    exited.then((result) => reject(new Error(`exited early: ${JSON.stringify(result)}`)));
  });
  return { child, listening, exited };
}

test('serves with values from the environment and exits 0 on SIGTERM', async () => {
  const app = start({ APP_PORT: '0', APP_COMMIT: 'c0ffee1', APP_BUILD: '99' });
  const port = await app.listening;
  const res = await fetch(`http://127.0.0.1:${port}/`);
  const body = await res.text();
  assert.strictEqual(res.status, 200);
  assert.match(body, /AMI built from commit c0ffee1/);
  assert.match(body, /Build number 99/);
  app.child.kill('SIGTERM');
  const result = await app.exited;
  assert.deepStrictEqual([result.code, result.signal], [0, null]);
  assert.match(result.stdout, /SIGTERM/);
});

test('without APP_COMMIT and APP_BUILD the page says unknown', async () => {
  const app = start({ APP_PORT: '0' });
  const port = await app.listening;
  const body = await (await fetch(`http://127.0.0.1:${port}/`)).text();
  assert.match(body, /AMI built from commit unknown/);
  assert.match(body, /Build number unknown/);
  app.child.kill('SIGTERM');
  assert.strictEqual((await app.exited).code, 0);
});

test('a bad APP_PORT exits non-zero and says why', async () => {
  const app = start({ APP_PORT: 'eighty' });
  app.listening.catch(() => {});
  const result = await app.exited;
  assert.strictEqual(result.code, 2);
  assert.match(result.stderr, /APP_PORT must be an integer/);
});
