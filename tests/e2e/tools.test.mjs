// What developer tools do first: introspect the schema with graphql-js's own query, and
// build a client schema from the answer (as GraphiQL, Apollo and GraphQL Code Generator do);
// and GraphiQL itself, served by paygraph, in Chromium with no internet access.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { buildClientSchema, getIntrospectionQuery, printSchema } from 'graphql';

import { gql, launch, recordedPage, screenshot, startServer } from './support.mjs';

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

const EVERY_OPTION = {
  descriptions: true,
  specifiedByUrl: true,
  directiveIsRepeatable: true,
  schemaDescription: true,
  inputValueDeprecation: true,
  oneOf: true,
};

test("graphql-js's introspection query with every option builds a client schema", async () => {
  const data = await gql(server, getIntrospectionQuery(EVERY_OPTION));
  const schema = buildClientSchema(data);
  const session = schema.getType('PaymentSession');
  assert.ok(session, 'PaymentSession is in the schema');
  assert.ok(session.getFields().status, 'PaymentSession.status is in the schema');
  assert.ok(schema.getMutationType().getFields().createPaymentSession);
  assert.ok(schema.getSubscriptionType().getFields().paymentSessionUpdated);
  assert.match(printSchema(schema), /type PaymentSession implements Node/);
});

test('the default introspection query works too', async () => {
  const data = await gql(server, getIntrospectionQuery());
  assert.ok(buildClientSchema(data).getType('Money'));
});

test('GraphiQL loads from paygraph alone, runs a query with the key and documents PaymentSession', async () => {
  const { page, sent, close } = await recordedPage(browser);
  const failed = [];
  page.on('requestfailed', (request) => failed.push(request.url()));
  page.on('pageerror', (error) => failed.push(String(error)));
  await page.goto(`${server.url}/graphql`);
  await page.getByLabel('Secret key', { exact: true }).fill(server.key);
  await page.getByRole('button', { name: 'Use key' }).click();
  await page.getByRole('button', { name: /Execute query/ }).click();
  await page.locator('.result-window').getByText('"paymentSessions"').waitFor({ timeout: 10_000 });

  await page.getByRole('button', { name: /Show Documentation Explorer/ }).click();
  const docs = page.locator('.graphiql-doc-explorer');
  await docs.getByRole('combobox').fill('PaymentSession');
  await page.getByRole('option', { name: 'PaymentSession', exact: true }).click();
  await docs.locator('.graphiql-doc-explorer-title').getByText('PaymentSession', { exact: true }).waitFor();
  await docs.getByText('hostedUrl').first().waitFor();
  await screenshot(page, 'graphiql');

  const elsewhere = sent.filter((r) => !r.url.startsWith(server.url) && !r.url.startsWith(server.url.replace('http', 'ws')));
  assert.deepEqual(elsewhere, [], 'every request goes to paygraph');
  assert.deepEqual(failed, [], 'nothing failed to load');
  const authorized = sent.filter((r) => r.url === `${server.url}/graphql` && r.body.includes('paymentSessions'));
  assert.ok(authorized.length > 0, 'the query was sent');
  await close();
});
