// What developer tools do first: introspect the schema with graphql-js's own query, and
// build a client schema from the answer (as GraphiQL, Apollo and GraphQL Code Generator do).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { buildClientSchema, getIntrospectionQuery, printSchema } from 'graphql';

import { gql, startServer } from './support.mjs';

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
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
