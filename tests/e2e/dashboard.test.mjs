// The live merchant dashboard in Chromium against a real server: rows appear and change as
// the API changes sessions, without a reload; it works by keyboard and on a phone.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { createSession, gql, launch, recordedPage, screenshot, startServer } from './support.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const payment = (amount) => ({ purpose: 'PAYMENT', amount: { amount, currency: 'EUR' } });

/** Pays `session` with `number` through its client secret, as its hosted page would. */
async function pay(session, number = '4242424242424242') {
  const secret = decodeURIComponent(new URL(session.hostedUrl).pathname.split('/')[2]);
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${secret}` };
  const card = { number, expMonth: 12, expYear: 2034, cvc: '123' };
  const token = (await (await fetch(`${server.url}/vault/cards`, { method: 'POST', headers, body: JSON.stringify(card) })).json()).token;
  const confirm = `mutation($input: ConfirmPaymentSessionInput!) { confirmPaymentSession(input: $input) { paymentSession { status } } }`;
  const input = { id: session.id, paymentMethod: { cardToken: token } };
  const body = await (await fetch(`${server.url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query: confirm, variables: { input } }) })).json();
  assert.equal(body.data.confirmPaymentSession.paymentSession.status, 'COMPLETED', JSON.stringify(body));
}

async function openDashboard(page) {
  await page.goto(`${server.url}/dashboard`);
  await page.getByLabel('Secret key').fill(server.key);
  await page.getByLabel('Secret key').press('Enter');
  await page.getByText('live', { exact: true }).waitFor();
}

test('a session created and canceled through the API shows live, in place', async () => {
  await createSession(server, payment(1200));
  const { page, sent, close } = await recordedPage(browser);
  await openDashboard(page);
  await page.locator('#rows tr').first().waitFor();

  const created = await createSession(server, payment(4321));
  const row = page.locator(`#rows tr[data-id="${created.id}"]`);
  await row.waitFor({ timeout: 5_000 });
  assert.equal(await page.locator('#rows tr').first().getAttribute('data-id'), created.id, 'new sessions come in at the top');
  assert.match(await row.innerText(), /€43\.21|43\.21/);
  assert.match(await row.locator('.status').innerText(), /OPEN/);

  await gql(server, `mutation($id: ID!) { cancelPaymentSession(input: { id: $id }) { paymentSession { status } } }`, {
    id: created.id,
  });
  const canceledAt = Date.now();
  await row.locator('.status', { hasText: 'CANCELED' }).waitFor({ timeout: 1_000 });
  assert.ok(Date.now() - canceledAt <= 1_000, 'the row changed within a second');
  await page.locator('#counts li[data-status="CANCELED"] strong', { hasText: '1' }).waitFor({ timeout: 2_000 });

  // A payment completes: its row, the counts and the hour's volume follow.
  const paid = await createSession(server, payment(2500));
  await page.locator(`#rows tr[data-id="${paid.id}"]`).waitFor();
  await pay(paid);
  await page.locator(`#rows tr[data-id="${paid.id}"] .status`, { hasText: 'COMPLETED' }).waitFor({ timeout: 2_000 });
  await page.locator('#counts li[data-status="COMPLETED"] strong', { hasText: '1' }).waitFor({ timeout: 2_000 });
  // The chart reloads a second after the event (debounced), then asks the server.
  await page.locator('#chart rect.bar:not(.empty)').waitFor({ timeout: 5_000 });
  assert.match(await page.locator('#chart-currency').innerText(), /EUR/);

  // A refund through the API shows in the session's timeline.
  const payments = await gql(server, `query($id: ID!) { paymentSession(id: $id) { payments(first: 1) { nodes { id } } } }`, { id: paid.id });
  const paymentId = payments.paymentSession.payments.nodes[0].id;
  await gql(server, `mutation($input: RefundPaymentInput!) { refundPayment(input: $input) { refund { status } } }`, {
    input: { paymentId, amount: 500 },
  });
  await page.locator(`#rows tr[data-id="${paid.id}"]`).getByRole('button', { name: /Events of/ }).click();
  await page.locator('#timeline-events li', { hasText: '€5.00 refunded' }).waitFor({ timeout: 3_000 });
  await page.getByRole('button', { name: 'Close' }).click();
  await screenshot(page, 'dashboard');

  // The timeline, by keyboard: the row's button, Enter.
  await row.getByRole('button', { name: /Events of/ }).focus();
  await page.keyboard.press('Enter');
  await page.locator('#timeline-events li', { hasText: 'OPEN → CANCELED' }).waitFor();
  assert.equal(await page.locator('#timeline-events li').count(), 2);
  await page.keyboard.press('Enter'); // on Close, which took the focus
  await page.locator('#timeline').waitFor({ state: 'hidden' });
  await row.getByRole('button', { name: /Events of/ }).click();
  await screenshot(page, 'dashboard-timeline');

  // Filtered to CANCELED: only that session.
  await page.getByLabel('Status', { exact: true }).selectOption('CANCELED');
  await page.locator('#rows tr').first().waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll('#rows tr')].every((tr) => tr.dataset.status === 'CANCELED'));
  assert.equal(await page.locator('#rows tr').count(), 1);

  const elsewhere = sent.filter((r) => !r.url.startsWith(server.url) && !r.url.startsWith(server.url.replace('http', 'ws')));
  assert.deepEqual(elsewhere, [], 'the dashboard talks to paygraph only');
  await close();
});

test('a capture of a held payment shows in the timeline with what it took', async () => {
  const { page, close } = await recordedPage(browser);
  await openDashboard(page);
  const held = await createSession(server, { ...payment(2500), captureMethod: 'MANUAL' });
  await page.locator(`#rows tr[data-id="${held.id}"]`).waitFor({ timeout: 5_000 });
  await pay(held);
  const payments = await gql(server, `query($id: ID!) { paymentSession(id: $id) { payments(first: 1) { nodes { id status } } } }`, { id: held.id });
  const { id: paymentId, status } = payments.paymentSession.payments.nodes[0];
  assert.equal(status, 'AUTHORIZED');
  await gql(server, `mutation($input: CapturePaymentInput!) { capturePayment(input: $input) { payment { status } } }`, {
    input: { paymentId, amount: 1800 },
  });
  await page.locator(`#rows tr[data-id="${held.id}"]`).getByRole('button', { name: /Events of/ }).click();
  await page.locator('#timeline-events li', { hasText: '€18.00 captured' }).waitFor({ timeout: 3_000 });
  await close();
});

test('the dashboard fits a phone, and a bad key is told so', async () => {
  const { page, close } = await recordedPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true });
  await page.goto(`${server.url}/dashboard`);
  await page.getByLabel('Secret key').fill('sk_test_not_a_key');
  await page.getByRole('button', { name: 'Open dashboard' }).click();
  await page.getByRole('alert').getByText(/not valid/).waitFor();
  await openDashboard(page);
  await page.locator('#rows tr').first().waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no sideways scrolling on a phone (${overflow}px)`);
  await screenshot(page, 'dashboard-phone');
  await close();
});

test('a disputed payment is listed to answer, with the time left', async () => {
  const { page, close } = await recordedPage(browser);
  await openDashboard(page);
  const disputed = await createSession(server, payment(3100));
  // Stripe's dispute card: the test processor disputes the charge at its next pass.
  await pay(disputed, '4000000000000259');
  const item = page.locator('#disputes li', { hasText: '31.00' });
  await item.waitFor({ timeout: 5_000 });
  assert.match(await item.innerText(), /fraudulent · 6 d 23 h left|fraudulent · 7 d 0 h left/);
  await close();
});
