// Starts GraphiQL against this server, with the key from the field above it (kept in
// sessionStorage for the tab, sent as `Authorization: Bearer <key>`; on the socket in
// `connection_init`).
(function () {
  'use strict';
  const STORE = 'paygraph.key';
  const input = document.getElementById('key');
  const state = document.getElementById('key-state');
  const root = ReactDOM.createRoot(document.getElementById('graphiql'));
  input.value = sessionStorage.getItem(STORE) || '';

  function render() {
    const key = sessionStorage.getItem(STORE) || '';
    const authorization = key ? 'Bearer ' + key : undefined;
    const socket = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/graphql/ws';
    const fetcher = GraphiQL.createFetcher({
      url: location.origin + '/graphql',
      subscriptionUrl: socket,
      headers: authorization ? { Authorization: authorization } : {},
      wsConnectionParams: authorization ? { authorization } : {},
    });
    state.textContent = key ? 'key set for this tab' : 'no key: only introspection answers';
    // A new `key` prop remounts GraphiQL, so the schema is fetched again with the key.
    root.render(
      React.createElement(GraphiQL, {
        key: key || 'anonymous',
        fetcher,
        defaultEditorToolsVisibility: true,
        defaultQuery: '{\n  paymentSessions(first: 5) {\n    nodes { id status amount { formatted } }\n  }\n}\n',
      }),
    );
  }

  document.getElementById('key-form').addEventListener('submit', function (event) {
    event.preventDefault();
    sessionStorage.setItem(STORE, input.value.trim());
    render();
  });
  render();
})();
