// Runs the graphql-http server audits (the GraphQL over HTTP spec's conformance suite)
// against a live paygraph: `node graphql-http-audit.mjs http://127.0.0.1:PORT/graphql`.
// Prints one line per audit and exits non-zero when any audit fails.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node graphql-http-audit.mjs <url>');
  process.exit(2);
}

let passed = 0;
let failed = 0;
for (const audit of serverAudits({ url, fetchFn: fetch })) {
  const result = await audit.fn();
  if (result.status === 'ok') {
    passed++;
    console.log(`ok    ${audit.name}`);
  } else {
    failed++;
    console.log(`FAIL  ${audit.name}: ${result.reason}`);
  }
}
console.log(`graphql-http audit: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
