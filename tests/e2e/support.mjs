// What the browser tests share: a real paygraph server (the binary cargo built, on a fresh
// SQLite file and a free loopback port, logging at debug level so its logs can be scanned),
// a GraphQL client, and Debian's Chromium driven by playwright-core.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = join(here, 'artifacts');
const BINARY = process.env.PAYGRAPH_BIN || join(here, '..', '..', 'target', 'debug', 'paygraph');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts paygraph and waits for its demo merchant's key and its listening line. */
export async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), 'paygraph-e2e-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(BINARY, ['serve'], {
    env: {
      ...process.env,
      DATABASE_URL: `sqlite://${join(dir, 'paygraph.db')}?mode=rwc`,
      PAYGRAPH_LISTEN: `127.0.0.1:${port}`,
      PAYGRAPH_PUBLIC_URL: url,
      PAYGRAPH_BACKGROUND_INTERVAL_MS: '200',
      RUST_LOG: 'debug',
      NO_COLOR: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const deadline = Date.now() + 30_000;
  while (!/listening on/.test(output)) {
    if (child.exitCode !== null) throw new Error(`paygraph exited early:\n${output}`);
    if (Date.now() > deadline) throw new Error(`paygraph did not start in 30 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const key = /(sk_test_[A-Za-z0-9_-]+)/.exec(output)?.[1];
  if (!key) throw new Error(`no demo merchant key in:\n${output}`);
  return {
    url,
    key,
    logs: () => output,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.on('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A GraphQL request with the merchant's secret key; fails on GraphQL errors. */
export async function gql(server, query, variables = {}) {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.key}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/** Creates a session and returns `{ id, hostedUrl }`. */
export async function createSession(server, input) {
  const data = await gql(
    server,
    `mutation($input: CreatePaymentSessionInput!) { createPaymentSession(input: $input) {
       paymentSession { id hostedUrl } userErrors { code message } } }`,
    { input },
  );
  const payload = data.createPaymentSession;
  if (payload.userErrors.length) throw new Error(JSON.stringify(payload.userErrors));
  return payload.paymentSession;
}

export async function sessionStatus(server, id) {
  const data = await gql(server, `query($id: ID!) { paymentSession(id: $id) { status version } }`, { id });
  return data.paymentSession;
}

export async function launch() {
  mkdirSync(ARTIFACTS, { recursive: true });
  // Running as root in CI containers needs --no-sandbox; nothing untrusted is loaded.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/**
 * A page that records every request it sends and every WebSocket frame, so a test can prove
 * where the card number went.
 */
export async function recordedPage(browser, options = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const sent = [];
  page.on('request', (request) => sent.push({ url: request.url(), body: request.postData() || '' }));
  page.on('websocket', (socket) => {
    socket.on('framesent', (frame) => sent.push({ url: socket.url(), body: String(frame.payload) }));
  });
  return { page, sent, close: () => context.close() };
}

export function screenshot(page, name) {
  return page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}
