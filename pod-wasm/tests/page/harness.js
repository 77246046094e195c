// Loads the wasm pod core and exposes it to the WebDriver scripts of tests/chromium.rs, with
// base64 helpers: WebDriver carries JSON, so bytes cross as base64 strings.
import init, * as pod from '/pkg/pod_wasm.js';

window.b64 = {
  decode: (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0)),
  encode: (bytes) => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join('')),
};

try {
  await init();
  window.pod = pod;
  document.getElementById('status').textContent = 'ready ' + pod.version();
} catch (e) {
  document.getElementById('status').textContent = 'failed: ' + e;
}
