// paygraph's hosted payment page. No dependencies, no third-party requests: the card number
// goes from this page to POST /vault/cards and nowhere else; everything else is GraphQL with
// the session's client secret, and live status arrives over the GraphQL WebSocket.
'use strict';

(function () {
  const data = JSON.parse(document.getElementById('session-data').textContent);
  const page = document.getElementById('page');
  const auth = 'Bearer ' + data.clientSecret;
  const FINAL = new Set(['COMPLETED', 'CANCELED', 'EXPIRED', 'FAILED']);

  let status = data.status;
  let version = data.version;
  let busy = false;
  let awaitingTransfer = false;
  let challengeUrl = null;
  let redirecting = false;

  // What the page says, in the customer's language (the server's catalog, in the data block).
  const T = data.text || {};
  const say = (key, values) => (T[key] || '').replace(/\{(\w+)\}/g, (_, name) => String((values || {})[name] ?? ''));
  // What each error code means to the customer.
  const messageFor = (code) => T['decline.' + code] || T['decline.default'];

  // ---- rendering -------------------------------------------------------------------------

  const $ = (id) => document.getElementById(id);

  function showError(text) {
    const box = $('error');
    if (!box) return;
    box.textContent = text || '';
    box.hidden = !text;
  }

  function render() {
    page.dataset.status = status;
    for (const panel of page.querySelectorAll('[data-when]')) {
      panel.hidden = panel.dataset.when !== status;
    }
    const processing = $('processing-text');
    if (processing) {
      processing.textContent = awaitingTransfer
        ? say('waiting_transfer')
        : say('processing');
    }
    const link = $('challenge-link');
    if (link && challengeUrl) link.href = challengeUrl;
    if (status === 'COMPLETED' && data.successUrl && !redirecting) {
      redirecting = true; // Rendering again must not start a second navigation.
      $('redirect-note').hidden = false;
      setTimeout(() => location.assign(data.successUrl), 1500);
    }
    if (FINAL.has(status)) $('expiry').hidden = true;
  }

  // Applies a status seen anywhere (a mutation's answer, the live stream); older news is ignored.
  function apply(nextStatus, nextVersion) {
    if (nextVersion < version) return;
    version = nextVersion;
    if (status !== nextStatus) {
      status = nextStatus;
      if (status === 'OPEN') awaitingTransfer = false;
      render();
    }
  }

  function setBusy(on) {
    busy = on;
    for (const button of page.querySelectorAll('button')) button.disabled = on;
    page.setAttribute('aria-busy', on ? 'true' : 'false');
  }

  // ---- GraphQL ---------------------------------------------------------------------------

  async function gql(query, variables) {
    const response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: auth },
      body: JSON.stringify({ query, variables }),
    });
    return response.json();
  }

  function randomKey() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  const CONFIRM = `mutation($input: ConfirmPaymentSessionInput!) { confirmPaymentSession(input: $input) {
    paymentSession { status version } nextAction { type url paymentId } userErrors { code message } } }`;

  async function confirm(paymentMethod) {
    const body = await gql(CONFIRM, { input: { id: data.id, paymentMethod, idempotencyKey: randomKey() } });
    const payload = body.data && body.data.confirmPaymentSession;
    if (!payload) {
      showError(say('error'));
      return false;
    }
    const action = payload.nextAction;
    if (action && action.type === 'AWAIT_BANK_TRANSFER') awaitingTransfer = true;
    if (action && action.type === 'THREE_D_SECURE_CHALLENGE') challengeUrl = action.url;
    if (payload.paymentSession) apply(payload.paymentSession.status, payload.paymentSession.version);
    render();
    if (payload.userErrors.length > 0) {
      showError(messageFor(payload.userErrors[0].code));
      return false;
    }
    showError('');
    if (challengeUrl && status === 'REQUIRES_ACTION') location.assign(challengeUrl);
    return true;
  }

  // Runs one payment attempt with the buttons disabled, so it cannot be sent twice.
  async function attempt(work) {
    if (busy) return;
    setBusy(true);
    try {
      await work();
    } catch (error) {
      showError('A network problem stopped the payment. Please try again.');
    } finally {
      setBusy(false);
    }
  }

  // ---- card ------------------------------------------------------------------------------

  const digits = (text) => text.replace(/\D/g, '');

  function luhn(number) {
    let sum = 0;
    let double = false;
    for (let i = number.length - 1; i >= 0; i--) {
      let d = number.charCodeAt(i) - 48;
      if (double) {
        d *= 2;
        if (d > 9) d -= 9;
      }
      sum += d;
      double = !double;
    }
    return sum % 10 === 0;
  }

  // Brand, card number lengths and CVC length, as the vault decides them.
  function brandOf(number) {
    if (/^4/.test(number)) return { name: 'Visa', lengths: [13, 16, 19], cvc: 3 };
    if (/^(5[1-5]|222[1-9]|22[3-9]\d|2[3-6]\d\d|27[01]\d|2720)/.test(number)) return { name: 'Mastercard', lengths: [16], cvc: 3 };
    if (/^3[47]/.test(number)) return { name: 'American Express', lengths: [15], cvc: 4 };
    if (/^(6011|65|64[4-9])/.test(number)) return { name: 'Discover', lengths: [16, 19], cvc: 3 };
    if (/^(36|30[0-5]|38|39)/.test(number)) return { name: 'Diners Club', lengths: [14, 16, 19], cvc: 3 };
    if (/^35(2[89]|[3-8]\d)/.test(number)) return { name: 'JCB', lengths: [16, 19], cvc: 3 };
    if (/^62/.test(number)) return { name: 'UnionPay', lengths: [16, 17, 18, 19], cvc: 3 };
    return null;
  }

  function parseExpiry(text) {
    const match = /^\s*(\d{1,2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec(text);
    if (!match) return null;
    const month = Number(match[1]);
    let year = Number(match[2]);
    if (year < 100) year += 2000;
    if (month < 1 || month > 12) return null;
    return { month, year };
  }

  // Checks the card fields; `final` also flags fields the customer has not finished.
  function checkCard(final) {
    const number = digits($('card-number').value);
    const brand = brandOf(number);
    $('card-brand').textContent = brand ? brand.name : '';
    let numberProblem = '';
    if (number.length === 0) numberProblem = final ? say('number_empty') : '';
    else if (!brand) numberProblem = number.length >= 2 ? say('number_brand') : '';
    else if (number.length >= Math.max(...brand.lengths) && !brand.lengths.includes(number.length)) numberProblem = say('number_long');
    else if (brand.lengths.includes(number.length) && !luhn(number)) numberProblem = say('number_invalid');
    else if (final && !brand.lengths.includes(number.length)) numberProblem = say('number_incomplete');
    $('card-number-hint').textContent = numberProblem;
    $('card-number').setAttribute('aria-invalid', numberProblem ? 'true' : 'false');

    const expiryText = $('card-expiry').value;
    const expiry = parseExpiry(expiryText);
    let expiryProblem = '';
    if (expiry) {
      const now = new Date();
      const thisMonth = now.getUTCFullYear() * 12 + now.getUTCMonth() + 1;
      if (expiry.year * 12 + expiry.month < thisMonth) expiryProblem = say('card_expired');
    } else if (final || expiryText.length >= 5) {
      expiryProblem = say('expiry_format');
    }
    $('card-expiry-hint').textContent = expiryProblem;
    $('card-expiry').setAttribute('aria-invalid', expiryProblem ? 'true' : 'false');

    const cvc = digits($('card-cvc').value);
    const cvcLength = brand ? brand.cvc : 3;
    let cvcProblem = '';
    if ((final || cvc.length > cvcLength) && cvc.length !== cvcLength) cvcProblem = say('cvc_digits', { n: cvcLength });
    $('card-cvc-hint').textContent = cvcProblem;
    $('card-cvc').setAttribute('aria-invalid', cvcProblem ? 'true' : 'false');

    const ok = !numberProblem && !expiryProblem && !cvcProblem;
    return ok ? { number, expMonth: expiry.month, expYear: expiry.year, cvc } : null;
  }

  function setUpCard() {
    const form = $('card-form');
    if (!form) return;
    for (const id of ['card-number', 'card-expiry', 'card-cvc']) $(id).addEventListener('input', () => checkCard(false));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const card = checkCard(true);
      if (!card) return;
      attempt(async () => {
        const response = await fetch('/vault/cards', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: auth },
          body: JSON.stringify(card),
        });
        const answer = await response.json();
        if (!response.ok) {
          showError(messageFor(answer.error && answer.error.code));
          return;
        }
        // The page keeps no card data once it has its token.
        $('card-number').value = '';
        $('card-cvc').value = '';
        checkCard(false);
        await confirm({ cardToken: answer.token });
      });
    });
  }

  // ---- wallets and bank transfers --------------------------------------------------------

  function setUpWallets() {
    for (const button of page.querySelectorAll('button.wallet')) {
      button.addEventListener('click', () =>
        attempt(() => confirm({ wallet: { type: button.dataset.wallet, token: button.dataset.token } })),
      );
    }
  }

  // ISO 13616: letters become two digits, the country and check digits move to the end, and
  // the remainder mod 97 is 1. The server checks the country's length too.
  function ibanValid(text) {
    const iban = text.replace(/\s+/g, '').toUpperCase();
    if (!/^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$/.test(iban)) return false;
    const moved = iban.slice(4) + iban.slice(0, 4);
    let remainder = 0;
    for (const c of moved) {
      const value = c >= 'A' ? String(c.charCodeAt(0) - 55) : c;
      for (const d of value) remainder = (remainder * 10 + Number(d)) % 97;
    }
    return remainder === 1;
  }

  function setUpBank() {
    const form = $('bank-form');
    if (!form) return;
    const check = (final) => {
      const value = $('iban').value;
      const complete = value.replace(/\s+/g, '').length >= 15;
      const problem = (final || complete) && !ibanValid(value) ? say('iban_invalid') : '';
      $('iban-hint').textContent = problem;
      $('iban').setAttribute('aria-invalid', problem ? 'true' : 'false');
      return !problem && value.trim().length > 0;
    };
    $('iban').addEventListener('input', () => check(false));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (check(true)) attempt(() => confirm({ bankTransfer: { iban: $('iban').value } }));
    });
  }

  // ---- live status -----------------------------------------------------------------------

  const UPDATED = `subscription($id: ID!, $after: Int) { paymentSessionUpdated(id: $id, afterVersion: $after) {
    version status } }`;
  let retryMs = 500;

  function live() {
    if (FINAL.has(status)) return;
    const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    const socket = new WebSocket(scheme + location.host + '/graphql/ws', 'graphql-transport-ws');
    socket.onopen = () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: auth } }));
    socket.onmessage = (message) => {
      const frame = JSON.parse(message.data);
      if (frame.type === 'connection_ack') {
        retryMs = 500;
        const payload = { query: UPDATED, variables: { id: data.id, after: version } };
        socket.send(JSON.stringify({ id: 'session', type: 'subscribe', payload }));
      } else if (frame.type === 'ping') {
        socket.send(JSON.stringify({ type: 'pong' }));
      } else if (frame.type === 'next') {
        const event = frame.payload.data && frame.payload.data.paymentSessionUpdated;
        if (event) apply(event.status, event.version);
      }
    };
    socket.onclose = () => {
      if (FINAL.has(status)) return;
      setTimeout(live, retryMs);
      retryMs = Math.min(retryMs * 2, 10000);
    };
  }

  // What the page's first render cannot know: the payment a challenge or transfer waits on.
  async function loadLatestPayment() {
    if (status !== 'PROCESSING' && status !== 'REQUIRES_ACTION') return;
    const body = await gql(
      `query($id: ID!) { paymentSession(id: $id) { status version payments(first: 1) { nodes { id methodType status } } } }`,
      { id: data.id },
    );
    const session = body.data && body.data.paymentSession;
    const payment = session && session.payments.nodes[0];
    if (payment && payment.methodType === 'BANK_TRANSFER') awaitingTransfer = true;
    if (payment && payment.status === 'REQUIRES_ACTION') {
      challengeUrl = `/pay/${encodeURIComponent(data.clientSecret)}/challenge/${encodeURIComponent(payment.id)}`;
    } else if (!payment && session && session.status === 'REQUIRES_ACTION') {
      // A SETUP session's card waits on 3-D Secure: it is verified, not charged.
      challengeUrl = `/pay/${encodeURIComponent(data.clientSecret)}/challenge/setup`;
    }
    if (session) apply(session.status, session.version);
    render();
  }

  // ---- expiry ----------------------------------------------------------------------------

  function tick() {
    const left = Math.floor((Date.parse(data.expiresAt) - Date.now()) / 1000);
    const expiry = $('expiry');
    if (FINAL.has(status)) return;
    if (left <= 0) {
      // The server expires it within seconds; the customer need not wait to be told.
      expiry.textContent = say('expired');
      if (status === 'OPEN') {
        status = 'EXPIRED';
        render();
      }
      return;
    }
    const hours = Math.floor(left / 3600);
    const minutes = Math.floor((left % 3600) / 60);
    const seconds = String(left % 60).padStart(2, '0');
    const shown = hours > 0 ? say('hours', { h: hours, m: String(minutes).padStart(2, '0') }) : `${minutes}:${seconds}`;
    expiry.textContent = say('time_left', { left: shown });
    setTimeout(tick, 1000);
  }

  setUpCard();
  setUpWallets();
  setUpBank();
  render();
  tick();
  loadLatestPayment().catch(() => {});
  live();
})();
