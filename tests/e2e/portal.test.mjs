// The customer portal in Chromium: another saved card made the default and the old one
// removed (asking first), a card added with 3-D Secure, a subscription canceled at period
// end and kept again, the
// outstanding balance paid on the hosted page and back, a cancel made through the API shown
// without a reload, the keyboard and a phone's width; screenshots in every language.
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

async function customer(email) {
  const data = await gql(server, `mutation($email: String) { createCustomer(input: { email: $email }) { customer { id } } }`, {
    email,
  });
  return data.createCustomer.customer.id;
}

/** Pays a session with a test card as an app would: the vault, then confirm. */
async function pay(input, number) {
  const data = await gql(
    server,
    `mutation($input: CreatePaymentSessionInput!) { createPaymentSession(input: $input) {
       paymentSession { id } clientSecret userErrors { code } } }`,
    { input },
  );
  const { clientSecret } = data.createPaymentSession;
  const { id } = data.createPaymentSession.paymentSession;
  const auth = { 'content-type': 'application/json', authorization: `Bearer ${clientSecret}` };
  const vault = await fetch(`${server.url}/vault/cards`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ number, expMonth: 12, expYear: 2040, cvc: '123' }),
  });
  const { token } = await vault.json();
  const confirmed = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({
      query: `mutation($input: ConfirmPaymentSessionInput!) { confirmPaymentSession(input: $input) { paymentSession { status } } }`,
      variables: { input: { id, paymentMethod: { cardToken: token } } },
    }),
  });
  const status = (await confirmed.json()).data.confirmPaymentSession.paymentSession.status;
  assert.equal(status, 'COMPLETED');
}

/** A customer with an ACTIVE subscription paid with a Visa, and a saved Mastercard. */
async function subscriber(email) {
  const id = await customer(email);
  const sub = await gql(
    server,
    `mutation($id: ID!) { createSubscription(input: { customerId: $id, price: { amount: 1900, currency: "EUR" }, interval: MONTH }) {
       subscription { id } } }`,
    { id },
  );
  const subscription = sub.createSubscription.subscription.id;
  await pay({ purpose: 'SUBSCRIPTION', subscriptionId: subscription }, '4242424242424242');
  await pay({ purpose: 'SETUP', customerId: id }, '5555555555554444');
  return { id, subscription };
}

async function portalOf(id, extra = {}) {
  const data = await gql(
    server,
    `mutation($input: CreateCustomerPortalSessionInput!) { createCustomerPortalSession(input: $input) {
       customerPortalSession { url } userErrors { code } } }`,
    { input: { customerId: id, returnUrl: 'https://shop.example/account', ...extra } },
  );
  return data.createCustomerPortalSession.customerPortalSession.url;
}

const method = (page, last4) => page.locator('#methods li', { hasText: `ending in ${last4}` });

test('another saved card becomes the default and the old one is removed, by keyboard', async () => {
  const { id } = await subscriber('cards@example.com');
  const { page, close } = await recordedPage(browser);
  await page.goto(await portalOf(id));
  await page.evaluate(() => (window.stayed = true));

  // The Visa pays the subscription: asked first, then refused, until the subscription renews on another.
  await method(page, '4444').getByRole('button', { name: 'Make default' }).focus();
  await page.keyboard.press('Enter');
  await method(page, '4444').getByText('Default').waitFor();
  await method(page, '4242').getByRole('link', { name: 'Remove' }).click();
  await page.getByText('Remove Visa ending in 4242? It will not be charged again.').waitFor();
  await screenshot(page, 'portal-remove-asks');
  await page.getByRole('button', { name: 'Yes, remove it' }).click();
  await page.getByText('A subscription renews with this method').waitFor();
  await page.getByLabel('Renews with').selectOption({ label: 'Mastercard ending in 4444' });
  await page.getByRole('button', { name: 'Change', exact: true }).click();
  await page.getByText('The subscription will renew with the method you chose.').waitFor();
  await method(page, '4242').getByRole('link', { name: 'Remove' }).click();
  await page.getByRole('button', { name: 'Yes, remove it' }).click();
  await page.getByText('The payment method is removed.').waitFor();
  assert.equal(await method(page, '4242').count(), 0);
  assert.equal(await page.evaluate(() => window.stayed), true, 'no reload');

  const data = await gql(
    server,
    `query($id: ID!) { node(id: $id) { ... on Customer { paymentProfiles { edges { node { last4 isDefault } } } } } }`,
    { id },
  );
  assert.deepEqual(data.node.paymentProfiles.edges.map((e) => e.node), [{ last4: '4444', isDefault: true }]);
  await close();
});

test('a subscription is canceled at period end, then kept', async () => {
  const { id, subscription } = await subscriber('cancel@example.com');
  const { page, close } = await recordedPage(browser);
  await page.goto(await portalOf(id));
  const row = page.locator('#subscriptions li');
  await row.getByText('Renews on').waitFor();
  await row.getByRole('button', { name: 'Cancel at period end' }).click();
  await row.getByText('Ends on').waitFor();
  await screenshot(page, 'portal-canceling');
  const read = `query($id: ID!) { node(id: $id) { ... on Subscription { cancelAtPeriodEnd status } } }`;
  assert.equal((await gql(server, read, { id: subscription })).node.cancelAtPeriodEnd, true);
  await row.getByRole('button', { name: 'Keep subscription' }).click();
  await row.getByText('Renews on').waitFor();
  assert.deepEqual((await gql(server, read, { id: subscription })).node, { cancelAtPeriodEnd: false, status: 'ACTIVE' });
  await close();
});

test('the outstanding balance is paid on the hosted page, and the portal shows it paid', async () => {
  const id = await customer('owes@example.com');
  await gql(
    server,
    `mutation($id: ID!) { createBalanceCharge(input: { customerId: $id, amount: { amount: 4250, currency: "EUR" } }) { userErrors { code } } }`,
    { id },
  );
  const url = await portalOf(id);
  const { page, close } = await recordedPage(browser);
  await page.goto(url);
  await page.getByText('You owe €42.50').waitFor();
  await page.getByRole('button', { name: 'Pay now' }).click();
  await page.waitForURL(/\/pay\/pscs_/);
  await page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await page.getByLabel('Expiry (MM/YY)').fill('12/34');
  await page.getByLabel('Security code').fill('123');
  await page.getByRole('button', { name: 'Pay', exact: true }).click();
  await page.waitForURL(url, { timeout: 15_000 });
  await page.getByText('You owe nothing.').waitFor();
  await page.locator('#payments li', { hasText: '€42.50' }).getByRole('link', { name: 'Receipt' }).click();
  await page.getByRole('heading', { name: 'Receipt from' }).waitFor();
  await screenshot(page, 'portal-receipt');
  await close();
});

test('a card is added on the hosted page, 3-D Secure where the card asks for it, and back', async () => {
  const id = await customer('adds@example.com');
  const url = await portalOf(id);
  const { page, close } = await recordedPage(browser);
  await page.goto(url);
  await page.getByRole('button', { name: 'Add a card' }).click();
  await page.waitForURL(/\/pay\/pscs_/);
  await page.getByLabel('Card number').fill('4000 0025 0000 3155');
  await page.getByLabel('Expiry (MM/YY)').fill('12/34');
  await page.getByLabel('Security code').fill('123');
  await page.getByRole('button', { name: 'Save card', exact: true }).click();
  await page.waitForURL(/\/challenge\/setup$/);
  await screenshot(page, 'portal-add-card-challenge');
  await page.getByRole('button', { name: 'Complete authentication' }).click();
  await page.waitForURL(url, { timeout: 15_000 });
  await page.locator('#methods li', { hasText: 'Visa ending in 3155' }).getByText('Default').waitFor();
  await close();
});

test('a cancel made through the API shows without a reload', async () => {
  const { id, subscription } = await subscriber('live@example.com');
  const { page, close } = await recordedPage(browser);
  await page.goto(await portalOf(id));
  await page.evaluate(() => (window.stayed = true));
  await page.locator('#subscriptions li').getByText('Renews on').waitFor();
  // The stream is open before the change is made.
  await page.locator('body[data-live="open"]').waitFor({ state: 'attached' });
  await gql(server, `mutation($id: ID!) { cancelSubscription(input: { id: $id, atPeriodEnd: true }) { userErrors { code } } }`, {
    id: subscription,
  });
  await page.locator('#subscriptions li').getByRole('button', { name: 'Keep subscription' }).waitFor({ timeout: 10_000 });
  assert.equal(await page.evaluate(() => window.stayed), true, 'no reload');
  await close();
});

test('on a phone, in each language: nothing wider than the screen; screenshots', async () => {
  const { id } = await subscriber('languages@example.com');
  for (const locale of ['en', 'sv', 'nb', 'da', 'fi', 'de']) {
    const { page, close } = await recordedPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true });
    await page.goto(await portalOf(id, { locale }));
    assert.equal(await page.locator('html').getAttribute('lang'), locale);
    const wider = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    assert.equal(wider, false, `${locale}: the page fits a phone`);
    await screenshot(page, `portal-${locale}`);
    await close();
  }
});
