// The hosted page in the customer's language, in Chromium: Swedish by the browser's
// Accept-Language (a decline explained in Swedish, the amount written the Swedish way),
// German by the session's locale over the browser's, and a screenshot of each language.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { createSession, launch, recordedPage, screenshot, startServer } from './support.mjs';

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

test('Swedish by Accept-Language: the labels, the amount and a decline', async () => {
  const session = await createSession(server, { purpose: 'PAYMENT', amount: { amount: 123450, currency: 'SEK' } });
  const { page, close } = await recordedPage(browser, { extraHTTPHeaders: { 'Accept-Language': 'sv-SE,sv;q=0.9' } });
  await page.goto(session.hostedUrl);
  assert.equal(await page.locator('html').getAttribute('lang'), 'sv');
  assert.equal((await page.locator('#amount').innerText()).replace(/\s/g, ' '), '1 234,50 kr');
  await page.getByLabel('Kortnummer').fill('4000 0000 0000 0002');
  await page.getByLabel('Giltigt till (MM/ÅÅ)').fill('12/34');
  await page.getByLabel('Säkerhetskod').fill('123');
  await page.getByRole('button', { name: 'Betala', exact: true }).click();
  await assert.doesNotReject(page.getByText('Ditt kort nekades. Prova ett annat kort.').waitFor());
  await screenshot(page, 'lang-sv-declined');
  await close();
});

test("German by the session's locale, over the browser's Swedish", async () => {
  const session = await createSession(server, {
    purpose: 'PAYMENT',
    amount: { amount: 123450, currency: 'EUR' },
    locale: 'de',
  });
  const { page, close } = await recordedPage(browser, { extraHTTPHeaders: { 'Accept-Language': 'sv-SE,sv;q=0.9' } });
  await page.goto(session.hostedUrl);
  assert.equal(await page.locator('html').getAttribute('lang'), 'de');
  assert.equal((await page.locator('#amount').innerText()).replace(/\s/g, ' '), '1.234,50 €');
  await page.getByRole('button', { name: 'Bezahlen', exact: true }).waitFor();
  await close();
});

test('each language, screenshot', async () => {
  for (const locale of ['en', 'sv', 'nb', 'da', 'fi', 'de']) {
    const session = await createSession(server, {
      purpose: 'PAYMENT',
      amount: { amount: 99900, currency: locale === 'en' ? 'GBP' : 'EUR' },
      locale,
    });
    const { page, close } = await recordedPage(browser);
    await page.goto(session.hostedUrl);
    assert.equal(await page.locator('html').getAttribute('lang'), locale);
    await screenshot(page, `lang-${locale}`);
    await close();
  }
});
