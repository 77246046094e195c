// The end of an organisation's login: hand the answer (in the fragment, which no server saw) to
// the page that opened this window, on our own origin only, and forget it. That page sends this
// window on to the next organisation's login, or closes it.
const params = window.location.hash.slice(1);
history.replaceState(null, '', window.location.pathname);
if (window.opener && params) {
  window.opener.postMessage({ type: 'betaalpod-login', params }, window.location.origin);
} else {
  document.getElementById('status').textContent =
    'Er is geen pagina die op deze login wacht; begin opnieuw. / No page is waiting for this login; start again.';
}
