// The test processor's 3-D Secure challenge: the customer passes or fails it, then goes back
// to the payment page, which shows the outcome.
'use strict';

(function () {
  const data = JSON.parse(document.getElementById('challenge-data').textContent);
  const CHALLENGE = `mutation($input: CompleteTestChallengeInput!) { completeTestChallenge(input: $input) {
    paymentSession { status } userErrors { code message } } }`;

  async function finish(passed) {
    for (const button of document.querySelectorAll('button')) button.disabled = true;
    try {
      const response = await fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', authorization: 'Bearer ' + data.clientSecret },
        body: JSON.stringify({
          query: CHALLENGE,
          variables: {
            input: data.paymentSessionId ? { paymentSessionId: data.paymentSessionId, passed } : { paymentId: data.paymentId, passed },
          },
        }),
      });
      const body = await response.json();
      const payload = body.data && body.data.completeTestChallenge;
      if (payload && payload.userErrors.length > 0 && payload.userErrors[0].code !== 'CARD_DECLINED') {
        const box = document.getElementById('error');
        box.textContent = (data.text || {}).challenge_gone || '';
        box.hidden = false;
        setTimeout(() => location.assign(data.returnTo), 1500);
        return;
      }
    } catch (error) {
      // The payment page shows where the session stands either way.
    }
    location.assign(data.returnTo);
  }

  document.getElementById('pass').addEventListener('click', () => finish(true));
  document.getElementById('fail').addEventListener('click', () => finish(false));
})();
