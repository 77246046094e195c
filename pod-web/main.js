// The pod in the browser: load the pod core (wasm), checked against the hash this build
// published, then start the app (app.js), whose pages the pod core renders. `window.betaalpod`
// exposes the modules for tests and researchers.
import init, * as core from './pod_wasm.js';
import * as provider from './provider.js';
import * as fetching from './fetch.js';
import * as arrangements from './arrangements.js';
import { start } from './app.js';
import { WASM_INTEGRITY } from './build.js';

const status = document.getElementById('status');
try {
  // A wasm file fetched by script is covered by Subresource Integrity only through fetch().
  const wasm = await fetch(new URL('pod_wasm_bg.wasm', import.meta.url), { integrity: WASM_INTEGRITY });
  await init({ module_or_path: wasm });
  const app = start(core);
  window.betaalpod = { core, provider, fetching, arrangements, app };
  status.textContent = 'ready ' + core.version();
} catch (e) {
  status.textContent = 'failed: ' + e;
}
