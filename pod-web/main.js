// The pod in the browser: load the pod core (wasm), checked against the hash this build
// published, and expose the app's modules. The pages of the hosted pod are built on these
// (issue 14); until then this page only says it is ready.
import init, * as core from './pod_wasm.js';
import * as provider from './provider.js';
import * as fetching from './fetch.js';
import * as arrangements from './arrangements.js';
import { WASM_INTEGRITY } from './build.js';

try {
  // A wasm file fetched by script is covered by Subresource Integrity only through fetch().
  const wasm = await fetch(new URL('pod_wasm_bg.wasm', import.meta.url), { integrity: WASM_INTEGRITY });
  await init({ module_or_path: wasm });
  window.betaalpod = { core, provider, fetching, arrangements };
  document.getElementById('status').textContent = 'ready ' + core.version();
} catch (e) {
  document.getElementById('status').textContent = 'failed: ' + e;
}
