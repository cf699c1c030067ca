// The hosted payment page and payment links, in headless Chromium against a real server.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { createSession, gql, launch, recordedPage, screenshot, sessionStatus, startServer } from './support.mjs';

const TEST_CARDS = ['4242424242424242', '4000000000000002', '4000002500003155', '4000000000009995', '5555555555554444'];

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launch();
  await gql(
    server,
    `mutation { updateMerchantBranding(input: {name: "Acme Coffee", accentColor: "#0f766e"}) { userErrors { code } } }`,
  );
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const payment = (extra = {}) => ({ purpose: 'PAYMENT', amount: { amount: 2500, currency: 'EUR' }, ...extra });

/** Types a card with the keyboard, through the fields' labels, and submits with Enter. */
async function payWithCard(page, number) {
  await page.getByLabel('Card number').fill(number.replace(/(\d{4})(?=\d)/g, '$1 '));
  await page.getByLabel('Expiry (MM/YY)').fill('12/34');
  await page.getByLabel('Security code').fill('123');
  await page.getByLabel('Security code').press('Enter');
}

test('a card pays the session, then the page returns to the merchant', async () => {
  const successUrl = `${server.url}/healthz`;
  const session = await createSession(server, payment({ successUrl }));
  const { page, sent, close } = await recordedPage(browser);
  await page.goto(session.hostedUrl);
  await assert.doesNotReject(page.getByText('Acme Coffee').waitFor());
  await assert.doesNotReject(page.getByText('€25.00').waitFor());
  assert.match(await page.locator('#expiry').textContent(), /Time left/);
  await screenshot(page, '01-open');

  await page.getByLabel('Card number').fill('4242');
  await assert.doesNotReject(page.getByText('Visa').waitFor());
  await payWithCard(page, '4242424242424242');
  await assert.doesNotReject(page.getByRole('heading', { name: 'Payment complete' }).waitFor());
  await screenshot(page, '02-completed');
  await page.waitForURL(successUrl);
  assert.equal((await sessionStatus(server, session.id)).status, 'COMPLETED');

  // The number went to the vault and nowhere else: not GraphQL, not the WebSocket.
  const carrying = sent.filter((r) => r.url.includes('4242424242424242') || r.body.includes('4242424242424242'));
  assert.deepEqual(carrying.map((r) => new URL(r.url).pathname), ['/vault/cards']);
  await close();
});

test('a declined card shows why, a double click sends one attempt, and the session stays open', async () => {
  const session = await createSession(server, payment());
  const { page, sent, close } = await recordedPage(browser);
  await page.goto(session.hostedUrl);
  await page.getByLabel('Card number').fill('4000 0000 0000 0002');
  await page.getByLabel('Expiry (MM/YY)').fill('12/34');
  await page.getByLabel('Security code').fill('123');
  await page.getByRole('button', { name: 'Pay', exact: true }).dblclick();
  await assert.doesNotReject(page.getByText('Your card was declined. Try another card.').waitFor());
  await screenshot(page, '03-declined');
  assert.equal(sent.filter((r) => r.url.endsWith('/vault/cards')).length, 1, 'one submission in flight at a time');
  assert.equal(await page.getByRole('button', { name: 'Pay', exact: true }).isEnabled(), true);
  const attempts = await gql(server, `query($id: ID!) { paymentSession(id: $id) { status attemptCount } }`, {
    id: session.id,
  });
  assert.deepEqual(attempts.paymentSession, { status: 'OPEN', attemptCount: 1 });
  await close();
});

test('the card form checks the number, expiry and code as they are typed', async () => {
  const session = await createSession(server, payment());
  const { page, sent, close } = await recordedPage(browser);
  await page.goto(session.hostedUrl);
  await page.getByLabel('Card number').fill('4242 4242 4242 4241');
  await assert.doesNotReject(page.getByText('This card number is not valid.').waitFor());
  await page.getByLabel('Expiry (MM/YY)').fill('01/20');
  await assert.doesNotReject(page.getByText('This card has expired.').waitFor());
  await page.getByLabel('Card number').fill('3782 822463 10005');
  await assert.doesNotReject(page.getByText('American Express').waitFor());
  await page.getByLabel('Security code').fill('123');
  await page.getByRole('button', { name: 'Pay', exact: true }).click();
  await assert.doesNotReject(page.getByText('The security code has 4 digits.').waitFor());
  assert.equal(sent.filter((r) => r.url.endsWith('/vault/cards')).length, 0, 'nothing is sent while invalid');
  await close();
});

test('3-D Secure: the challenge page passes, and the page shows the payment complete', async () => {
  const session = await createSession(server, payment());
  const { page, close } = await recordedPage(browser);
  await page.goto(session.hostedUrl);
  await payWithCard(page, '4000002500003155');
  await page.waitForURL(/\/challenge\//);
  await screenshot(page, '04-challenge');
  await page.getByRole('button', { name: 'Complete authentication' }).click();
  await page.waitForURL(session.hostedUrl);
  await assert.doesNotReject(page.getByRole('heading', { name: 'Payment complete' }).waitFor());
  assert.equal((await sessionStatus(server, session.id)).status, 'COMPLETED');
  await close();
});

test('the page updates live when the merchant cancels through the API', async () => {
  const session = await createSession(server, payment());
  const { page, close } = await recordedPage(browser);
  await page.goto(session.hostedUrl);
  await assert.doesNotReject(page.getByLabel('Card number').waitFor());
  // Give the page's subscription a moment to register, then cancel from elsewhere.
  await page.waitForTimeout(500);
  await gql(server, `mutation($id: ID!) { cancelPaymentSession(input: {id: $id}) { userErrors { code } } }`, {
    id: session.id,
  });
  await assert.doesNotReject(page.getByRole('heading', { name: 'Payment canceled' }).waitFor({ timeout: 10_000 }));
  await screenshot(page, '05-canceled-live');
  await close();
});

test('a bank transfer waits, then completes live when it settles', async () => {
  const session = await createSession(server, payment());
  const { page, close } = await recordedPage(browser);
  await page.goto(session.hostedUrl);
  await page.getByLabel('IBAN').fill('DE89 3704 0044 0532 0130 01');
  await assert.doesNotReject(page.getByText('This IBAN is not valid.').waitFor());
  await page.getByLabel('IBAN').fill('DE89 3704 0044 0532 0130 00');
  await page.getByRole('button', { name: 'Pay by bank transfer' }).click();
  await assert.doesNotReject(page.getByText('We are waiting for your bank transfer.', { exact: false }).waitFor());
  await screenshot(page, '06-awaiting-transfer');
  const payments = await gql(server, `query($id: ID!) { paymentSession(id: $id) { payments { nodes { id } } } }`, {
    id: session.id,
  });
  const paymentId = payments.paymentSession.payments.nodes[0].id;
  await gql(server, `mutation($id: ID!) { settleTestBankTransfer(input: {paymentId: $id, settled: true}) { userErrors { code } } }`, {
    id: paymentId,
  });
  await assert.doesNotReject(page.getByRole('heading', { name: 'Payment complete' }).waitFor({ timeout: 10_000 }));
  await close();
});

test('three declines end the session as failed', async () => {
  const session = await createSession(server, payment());
  const { page, close } = await recordedPage(browser);
  await page.goto(session.hostedUrl);
  for (let attempt = 1; attempt <= 3; attempt++) {
    await payWithCard(page, '4000000000009995');
    if (attempt < 3) {
      await assert.doesNotReject(page.getByText('Your card has insufficient funds.', { exact: false }).waitFor());
      await page.waitForFunction((n) => document.querySelector('#pay-card') && !document.querySelector('#pay-card').disabled, attempt);
    }
  }
  await assert.doesNotReject(page.getByRole('heading', { name: 'Payment failed' }).waitFor());
  assert.equal((await sessionStatus(server, session.id)).status, 'FAILED');
  await close();
});

test('a SETUP session saves the card without charging it', async () => {
  const customer = await gql(server, `mutation { createCustomer(input: {email: "setup@example.com"}) { customer { id } } }`);
  const customerId = customer.createCustomer.customer.id;
  const session = await createSession(server, { purpose: 'SETUP', customerId });
  const { page, close } = await recordedPage(browser);
  await page.goto(session.hostedUrl);
  await assert.doesNotReject(page.getByText('Save a payment method').waitFor());
  await page.getByLabel('Card number').fill('5555 5555 5555 4444');
  await page.getByLabel('Expiry (MM/YY)').fill('12/34');
  await page.getByLabel('Security code').fill('123');
  await page.getByRole('button', { name: 'Save card' }).click();
  await assert.doesNotReject(page.getByRole('heading', { name: 'Card saved' }).waitFor());
  const saved = await gql(
    server,
    `query($id: ID!) { node(id: $id) { ... on Customer { paymentProfiles { nodes { last4 isDefault } } payments { totalCount } } } }`,
    { id: customerId },
  );
  assert.deepEqual(saved.node.paymentProfiles.nodes, [{ last4: '4444', isDefault: true }]);
  assert.equal(saved.node.payments.totalCount, 0);
  await close();
});

test('a test wallet button pays', async () => {
  const session = await createSession(server, payment());
  const { page, close } = await recordedPage(browser);
  await page.goto(session.hostedUrl);
  await page.getByRole('button', { name: 'Pay with Google Pay (test)' }).click();
  await assert.doesNotReject(page.getByRole('heading', { name: 'Payment complete' }).waitFor());
  await close();
});

test('an expired session and an unknown secret get plain pages', async () => {
  const session = await createSession(server, payment());
  await gql(server, `mutation($id: ID!) { expirePaymentSession(input: {id: $id}) { userErrors { code } } }`, {
    id: session.id,
  });
  const { page, close } = await recordedPage(browser);
  await page.goto(session.hostedUrl);
  await assert.doesNotReject(page.getByRole('heading', { name: 'This payment has expired' }).waitFor());
  assert.equal(await page.getByLabel('Card number').isVisible(), false);
  await screenshot(page, '07-expired');

  const response = await page.goto(`${server.url}/pay/pscs_unknown`);
  assert.equal(response.status(), 404);
  await assert.doesNotReject(page.getByRole('heading', { name: 'Page not found' }).waitFor());
  await close();
});

test('a payment link opens a fresh session per visit, and stops when deactivated', async () => {
  const created = await gql(
    server,
    `mutation { createPaymentLink(input: {currency: "EUR", lineItems: [{name: "Flat white", quantity: 2, unitAmount: 350}]}) {
       paymentLink { id url } userErrors { code } } }`,
  );
  const link = created.createPaymentLink.paymentLink;
  const { page, close } = await recordedPage(browser);
  await page.goto(link.url);
  await page.waitForURL(/\/pay\/pscs_/);
  const first = page.url();
  await assert.doesNotReject(page.getByText('2 × Flat white').waitFor());
  await assert.doesNotReject(page.getByText('€7.00').first().waitFor());
  await screenshot(page, '08-link');
  await page.goto(link.url);
  await page.waitForURL(/\/pay\/pscs_/);
  assert.notEqual(page.url(), first, 'each visit opens its own session');
  const sessions = await gql(server, `query($id: ID!) { paymentLink(id: $id) { paymentSessions { totalCount } } }`, {
    id: link.id,
  });
  assert.equal(sessions.paymentLink.paymentSessions.totalCount, 2);

  await gql(server, `mutation($id: ID!) { deactivatePaymentLink(input: {id: $id}) { userErrors { code } } }`, { id: link.id });
  const response = await page.goto(link.url);
  assert.equal(response.status(), 410);
  await assert.doesNotReject(page.getByText('This payment link is no longer active.').waitFor());
  await screenshot(page, '09-link-inactive');
  await close();
});

test('the page fits a phone screen', async () => {
  const session = await createSession(server, payment());
  const { page, close } = await recordedPage(browser, { viewport: { width: 375, height: 667 }, isMobile: true });
  await page.goto(session.hostedUrl);
  await assert.doesNotReject(page.getByLabel('Card number').waitFor());
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
  await screenshot(page, '10-phone');
  await close();
});

test('no card number reached the server logs', () => {
  const logs = server.logs();
  assert.match(logs, /DEBUG/, 'the scan must see debug-level lines');
  for (const number of TEST_CARDS) {
    assert.equal(logs.includes(number), false, `${number} is in the server's logs`);
  }
});
