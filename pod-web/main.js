// The pod in the browser: load the pod core (wasm) and expose the app's modules. The pages of
// the hosted pod are built on these (issue 14); until then this page only says it is ready.
import init, * as core from './pod_wasm.js';
import * as provider from './provider.js';
import * as fetching from './fetch.js';
import * as arrangements from './arrangements.js';

try {
  await init();
  window.betaalpod = { core, provider, fetching, arrangements };
  document.getElementById('status').textContent = 'ready ' + core.version();
} catch (e) {
  document.getElementById('status').textContent = 'failed: ' + e;
}
