// The live dashboard: recent sessions whose rows change in place as events arrive, counts
// per status, disputes to answer with the time left, captured volume per hour, and a
// session's events on demand. Everything
// comes from the public API (`api.js`).
'use strict';

(function () {
  const STORE = 'paygraph.dashboard.key';
  const STATUSES = ['OPEN', 'PROCESSING', 'REQUIRES_ACTION', 'COMPLETED', 'EXPIRED', 'CANCELED', 'FAILED'];
  const MAX_ROWS = 50;
  const ROW_FIELDS = 'id status purpose version createdAt amount { formatted } customer { email name }';
  // The same document docs/api.md measures on the wire (tests/api/persisted.rs).
  const SESSIONS = `query Sessions($first: Int!, $filter: PaymentSessionFilter) {
  paymentSessions(first: $first, filter: $filter) { totalCount edges { cursor node {
    id status purpose version createdAt amount { formatted } customer { email name } } } } }`;
  const COUNTS = 'query Counts { ' + STATUSES.map((s) =>
    `${s.toLowerCase()}: paymentSessions(filter: { status: [${s}] }) { totalCount }`).join(' ') + ' }';
  const VOLUME = `query Volume($since: DateTime!) { paymentSessionStats(since: $since, interval: HOUR) {
    buckets { start statuses { status capturedAmounts { amount currency formatted } } } } }`;
  const EVENTS = `subscription Events($after: String) { paymentSessionEvents(after: $after) {
    cursor version kind previousStatus status occurredAt paymentSession { ${ROW_FIELDS} } } }`;
  const DISPUTES = `query Disputes { disputes(first: 20, filter: { status: [NEEDS_RESPONSE] }) { nodes {
    id reason evidenceDueBy amount { formatted } } } }`;
  const TIMELINE = `query Timeline($id: ID!) { paymentSession(id: $id) { amount { formatted }
    events(first: 50) { nodes { version kind previousStatus status occurredAt refund { amount { formatted } }
      payment { amountCaptured { formatted } } } } } }`;
  // How each kind of event reads in the timeline.
  const KIND_WORDS = {
    REFUND_CREATED: 'refund created', REFUND_SUCCEEDED: 'refunded', REFUND_FAILED: 'refund failed',
    PAYMENT_CAPTURED: 'captured', PAYMENT_VOIDED: 'hold released',
    DISPUTE_OPENED: 'disputed', DISPUTE_UPDATED: 'dispute updated', DISPUTE_CLOSED: 'dispute closed',
    SUBSCRIPTION_UPDATED: 'subscription changed', PAYMENT_METHOD_UPDATED: 'saved method made default',
    PAYMENT_METHOD_REMOVED: 'saved method removed',
  };

  const $ = (id) => document.getElementById(id);
  let api = null;
  let stop = null;
  let filter = '';
  const later = {};

  // Runs `task` once, `ms` after the last call for `name`: a burst of events costs one read.
  function debounce(name, ms, task) {
    clearTimeout(later[name]);
    later[name] = setTimeout(task, ms);
  }

  function cell(text, className) {
    const td = document.createElement('td');
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  function fillRow(tr, session) {
    const customer = session.customer ? session.customer.email || session.customer.name || '—' : '—';
    tr.dataset.id = session.id;
    tr.dataset.version = session.version;
    tr.dataset.status = session.status;
    tr.replaceChildren(
      cell(session.amount ? session.amount.formatted : '—', 'amount'),
      cell(session.status, 'status status-' + session.status.toLowerCase()),
      cell(session.purpose),
      cell(customer),
      cell(new Date(session.createdAt).toLocaleString()),
    );
    const td = document.createElement('td');
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Events';
    button.setAttribute('aria-label', `Events of the ${session.amount ? session.amount.formatted + ' ' : ''}session`);
    button.addEventListener('click', (event) => {
      event.stopPropagation();
      showTimeline(session.id);
    });
    td.appendChild(button);
    tr.appendChild(td);
  }

  function row(session) {
    const tr = document.createElement('tr');
    tr.addEventListener('click', () => showTimeline(tr.dataset.id));
    fillRow(tr, session);
    return tr;
  }

  function findRow(id) {
    return [...$('rows').children].find((tr) => tr.dataset.id === id);
  }

  async function loadRows() {
    const variables = { first: 20, filter: filter ? { status: [filter] } : null };
    const data = await api.query(SESSIONS, variables);
    $('rows').replaceChildren(...data.paymentSessions.edges.map((edge) => row(edge.node)));
    $('empty').hidden = data.paymentSessions.edges.length > 0;
  }

  async function loadCounts() {
    const data = await api.query(COUNTS);
    $('counts').replaceChildren(...STATUSES.map((status) => {
      const li = document.createElement('li');
      li.dataset.status = status;
      const count = document.createElement('strong');
      count.textContent = data[status.toLowerCase()].totalCount;
      li.append(count, ' ' + status);
      return li;
    }));
  }

  async function loadVolume() {
    const since = new Date(Date.now() - 23 * 3600 * 1000);
    since.setUTCMinutes(0, 0, 0);
    const data = await api.query(VOLUME, { since: since.toISOString() });
    drawChart(data.paymentSessionStats.buckets);
  }

  // Bars of each hour's captured volume (what payments took, not what sessions asked for)
  // in the currency with the most of it.
  function drawChart(buckets) {
    const byCurrency = {};
    const captured = (bucket) => bucket.statuses.flatMap((s) => s.capturedAmounts);
    for (const bucket of buckets) {
      for (const m of captured(bucket)) byCurrency[m.currency] = (byCurrency[m.currency] || 0) + m.amount;
    }
    const currency = Object.keys(byCurrency).sort((a, b) => byCurrency[b] - byCurrency[a])[0];
    $('chart-currency').textContent = currency ? `(${currency})` : '(none yet)';
    const hourly = buckets.map((bucket) => {
      const amount = captured(bucket).filter((m) => m.currency === currency).reduce((sum, m) => sum + m.amount, 0);
      const label = captured(bucket).find((m) => m.currency === currency);
      return { start: bucket.start, amount, label: label && amount === label.amount ? label.formatted : String(amount) };
    });
    const max = Math.max(1, ...hourly.map((h) => h.amount));
    const width = 480 / Math.max(1, hourly.length);
    const svg = $('chart');
    svg.replaceChildren(...hourly.map((hour, index) => {
      const rect = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
      const height = Math.max(1, (hour.amount / max) * 110);
      rect.setAttribute('x', String(index * width + 1));
      rect.setAttribute('y', String(120 - height));
      rect.setAttribute('width', String(Math.max(1, width - 2)));
      rect.setAttribute('height', String(height));
      rect.setAttribute('class', hour.amount ? 'bar' : 'bar empty');
      const title = document.createElementNS('http://www.w3.org/2000/svg', 'title');
      title.textContent = `${new Date(hour.start).toLocaleString()}: ${hour.label}`;
      rect.appendChild(title);
      return rect;
    }));
  }

  // How long the merchant has left to answer, in words.
  function timeLeft(due) {
    const hours = Math.floor((new Date(due) - Date.now()) / 3_600_000);
    if (hours < 0) return 'past due';
    const days = Math.floor(hours / 24);
    return days > 0 ? `${days} d ${hours % 24} h left` : `${hours} h left`;
  }

  async function loadDisputes() {
    const data = await api.query(DISPUTES);
    const nodes = data.disputes.nodes;
    $('disputes').replaceChildren(...nodes.map((d) => {
      const li = document.createElement('li');
      li.dataset.id = d.id;
      li.textContent = `${d.amount.formatted} · ${d.reason.toLowerCase().replaceAll('_', ' ')} · ${timeLeft(d.evidenceDueBy)}`;
      return li;
    }));
    $('disputes-section').hidden = nodes.length === 0;
  }

  // One event of the merchant's stream: the row changes in place, or a new session comes in
  // at the top; counts, disputes and volume follow.
  function apply(event) {
    if (event.kind && event.kind.startsWith('DISPUTE_')) debounce('disputes', 200, () => loadDisputes().catch(report));
    const session = event.paymentSession;
    const existing = findRow(session.id);
    const matches = !filter || session.status === filter;
    // Counts and volume follow every event, also one whose row a reload already brought up
    // to date (a resumed socket replays what came after its cursor).
    debounce('counts', 200, () => loadCounts().catch(report));
    if (event.status === 'COMPLETED') debounce('volume', 1000, () => loadVolume().catch(report));
    if (existing && Number(existing.dataset.version) >= session.version && event.previousStatus) return;
    if (existing && matches) fillRow(existing, session);
    else if (existing) existing.remove();
    else if (matches) {
      $('rows').prepend(row(session));
      $('empty').hidden = true;
      while ($('rows').children.length > MAX_ROWS) $('rows').lastElementChild.remove();
    }
  }

  // The amount an event moved: its refund's, or what a capture took.
  function eventAmount(e) {
    if (e.refund) return e.refund.amount.formatted + ' ';
    if (e.kind === 'PAYMENT_CAPTURED' && e.payment) return e.payment.amountCaptured.formatted + ' ';
    return '';
  }

  async function showTimeline(id) {
    const data = await api.query(TIMELINE, { id });
    const session = data.paymentSession;
    if (!session) return;
    $('timeline-title').textContent = `Events of the ${session.amount ? session.amount.formatted + ' ' : ''}session`;
    $('timeline-events').replaceChildren(...session.events.nodes.map((e) => {
      const li = document.createElement('li');
      const change = e.kind !== 'STATUS_CHANGED'
        ? `${eventAmount(e)}${KIND_WORDS[e.kind] || e.kind}`
        : e.previousStatus ? `${e.previousStatus} → ${e.status}` : `created ${e.status}`;
      li.textContent = `v${e.version} · ${change} · ${new Date(e.occurredAt).toLocaleString()}`;
      return li;
    }));
    $('timeline').hidden = false;
    $('timeline-close').focus();
  }

  function report(error) {
    $('live').textContent = 'error: ' + error.message;
  }

  async function open(key) {
    api = window.PaygraphApi(key);
    try {
      await api.query('{ merchant { name } }');
    } catch (error) {
      sessionStorage.removeItem(STORE);
      $('key-error').textContent = error.code === 'UNAUTHENTICATED' ? 'That key is not valid.' : error.message;
      $('key-form').hidden = false;
      return;
    }
    $('key-form').hidden = true;
    $('dashboard').hidden = false;
    $('forget').hidden = false;
    // Subscribe first, then read: an event that lands in between updates what was read.
    stop = api.stream(EVENTS, apply, (state) => ($('live').textContent = state));
    await Promise.all([loadRows(), loadCounts(), loadDisputes(), loadVolume()]).catch(report);
  }

  for (const status of STATUSES) {
    const option = document.createElement('option');
    option.value = status;
    option.textContent = status;
    $('status-filter').appendChild(option);
  }
  $('status-filter').addEventListener('change', (event) => {
    filter = event.target.value;
    loadRows().catch(report);
  });
  $('timeline-close').addEventListener('click', () => ($('timeline').hidden = true));
  $('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const key = $('key').value.trim();
    sessionStorage.setItem(STORE, key);
    $('key-error').textContent = '';
    open(key);
  });
  $('forget').addEventListener('click', () => {
    sessionStorage.removeItem(STORE);
    if (stop) stop();
    location.reload();
  });

  const saved = sessionStorage.getItem(STORE);
  if (saved) open(saved);
  else $('key-form').hidden = false;
})();
