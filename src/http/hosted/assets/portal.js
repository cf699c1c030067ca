// paygraph's customer portal. Every action is a plain form the server answers with the page
// again; this script only makes that happen without a reload, and reads the page again when
// the live stream says something it shows has changed (a change made by the merchant, or in
// another tab). No dependencies, nothing from other hosts.
'use strict';

(function () {
  const current = () => document.getElementById('portal');
  if (!current()) return;
  const live = current().dataset.live;

  // Puts the page an answer holds in place of this one; anything else (an expired portal,
  // a fault page) is shown as the browser would.
  function show(response, text) {
    const next = new DOMParser().parseFromString(text, 'text/html').getElementById('portal');
    if (!next || !response.ok) {
      location.assign(response.url);
      return;
    }
    const focused = document.activeElement && document.activeElement.id;
    current().replaceWith(document.importNode(next, true));
    if (response.url && response.url !== location.href) history.replaceState(null, '', response.url);
    const wanted = current().querySelector('[data-focus]') || (focused && document.getElementById(focused));
    if (wanted) wanted.focus();
  }

  // Fetches `url` and shows the answer, unless something newer was asked for meanwhile.
  async function load(url, init, stillWanted) {
    try {
      const response = await fetch(url, Object.assign({ credentials: 'same-origin' }, init));
      const text = await response.text();
      if (stillWanted()) show(response, text);
    } catch (_) {
      if (stillWanted()) location.assign(url); // The network failed: let the browser try and say so.
    }
  }

  // What the customer does wins: the latest action's answer is shown, and a live read that
  // started before it is dropped (it would show the page as it was).
  let asked = 0;
  let acting = 0;
  async function act(url, init) {
    const mine = ++asked;
    acting += 1;
    await load(url, init, () => mine === asked);
    acting -= 1;
    if (again && !acting) {
      again = false;
      refresh();
    }
  }

  document.addEventListener('click', (event) => {
    const link = event.target.closest('a[data-stay]');
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    act(link.href);
  });

  // A choice made in a form and not yet sent is not thrown away by a live read: the read
  // waits for the form to be sent.
  let unsent = false;
  document.addEventListener('change', () => (unsent = true));

  document.addEventListener('submit', (event) => {
    const form = event.target;
    unsent = false;
    if (form.hasAttribute('data-leave')) return; // To the hosted page: a real navigation.
    event.preventDefault();
    for (const button of form.querySelectorAll('button')) button.disabled = true;
    act(form.action, { method: 'POST', body: new URLSearchParams(new FormData(form)) });
  });

  // One read at a time, none while the customer acts; changes that arrive meanwhile are
  // covered by one more read. The page read again keeps its address, so what the last
  // action said stays said.
  let reading = false;
  let again = false;
  async function refresh() {
    if (reading || unsent || acting) {
      again = true;
      return;
    }
    reading = true;
    const before = asked;
    await load(location.href, undefined, () => before === asked);
    reading = false;
    if (again && !acting) {
      again = false;
      refresh();
    }
  }

  if (window.EventSource && live) {
    const source = new EventSource(live);
    source.addEventListener('changed', refresh);
    // After a reconnection, what changed while the stream was down is read too.
    let opened = false;
    source.addEventListener('open', () => {
      if (opened) refresh();
      opened = true;
      document.body.dataset.live = 'open';
    });
    // The stream ends when the portal expires; the page then says so.
    source.addEventListener('error', () => {
      if (source.readyState === EventSource.CLOSED) refresh();
    });
  }
})();
