// The dashboard's client of the public API: queries over HTTP and the merchant's event
// stream over `graphql-transport-ws`, resumed after the last event's cursor whenever the
// socket comes back, so no change is missed.
'use strict';

window.PaygraphApi = function (key) {
  const authorization = 'Bearer ' + key;

  async function query(text, variables) {
    const response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({ query: text, variables: variables || {} }),
    });
    const body = await response.json();
    if (body.errors && !body.data) {
      const error = new Error(body.errors[0].message);
      error.code = body.errors[0].extensions && body.errors[0].extensions.code;
      throw error;
    }
    return body.data;
  }

  // Calls `onEvent` with each event of `subscription` (which takes `$after`), in commit
  // order; `onState` with 'live', 'reconnecting' or 'offline'. Returns a function that stops.
  function stream(subscription, onEvent, onState) {
    let socket = null;
    let after = null;
    let retryMs = 500;
    let stopped = false;

    function connect() {
      const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
      socket = new WebSocket(scheme + location.host + '/graphql/ws', 'graphql-transport-ws');
      socket.onopen = () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization } }));
      socket.onmessage = (message) => {
        const frame = JSON.parse(message.data);
        if (frame.type === 'connection_ack') {
          retryMs = 500;
          const payload = { query: subscription, variables: { after } };
          socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload }));
          onState('live');
        } else if (frame.type === 'next' && frame.payload.data) {
          const event = frame.payload.data.paymentSessionEvents;
          after = event.cursor;
          onEvent(event);
        } else if (frame.type === 'ping') {
          socket.send(JSON.stringify({ type: 'pong' }));
        }
      };
      socket.onclose = () => {
        if (stopped) return;
        onState('reconnecting');
        setTimeout(connect, retryMs);
        retryMs = Math.min(retryMs * 2, 10000);
      };
    }

    connect();
    return () => {
      stopped = true;
      onState('offline');
      if (socket) socket.close();
    };
  }

  return { query, stream };
};
