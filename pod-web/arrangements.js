// Betalingsregeling Rijk from the browser: the plan is computed and saved by the pod core (wasm),
// each organisation receives only its own part, sent from this browser straight to it after the
// citizen logs in there, and its signed receipt and statuses are checked and sealed in wasm. The
// provider receives sealed writes only.
import { accessToken, organisationApi } from './fetch.js';

/** Plans and saves: `{ record, plan }`. */
export async function save(pod, session, input) {
  const saved = JSON.parse(pod.saveArrangement(JSON.stringify(input), new Date().toISOString()));
  await session.batch(saved.writes);
  return { record: saved.record, plan: saved.plan };
}

// `options.only` limits the organisations (say, those whose part has not arrived yet);
// `options.begin(org)` and `options.end(org, result)` report progress to the page.
async function forEachOrganisation(list, descriptors, work, options = {}) {
  const results = {};
  for (const item of list) {
    if (options.only && !options.only.includes(item.org)) continue;
    if (options.begin) options.begin(item.org);
    const descriptor = descriptors.find((d) => d.id === item.org);
    if (!descriptor) {
      results[item.org] = { ok: false, message: item.org + ' is not one of your pinned organisations; add it first.' };
    } else {
      results[item.org] = await work(item, descriptor);
    }
    if (options.end) options.end(item.org, results[item.org]);
  }
  return results;
}

/** Submits each organisation's part of the saved plan `record`. */
export async function submit(core, pod, session, descriptors, record, options) {
  const prepared = JSON.parse(pod.prepareParts(record, Boolean(options.shareEverything)));
  return forEachOrganisation(prepared.parts, descriptors, async (part, descriptor) => {
    const startedAt = new Date().toISOString();
    const descriptorJson = JSON.stringify(descriptor);
    try {
      const token = await accessToken(core, descriptor, 'arrangement:submit', options);
      const answer = await organisationApi(descriptor.arrangements_endpoint, token, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: Uint8Array.from(atob(part.bytes), (c) => c.charCodeAt(0)),
      });
      if (answer.status !== 201) throw new Error(descriptor.name + ' refused the part (HTTP ' + answer.status + ').');
      const writes = JSON.parse(pod.acceptReceipt(descriptorJson, prepared.arrangement_id, await answer.text(),
        startedAt, new Date().toISOString()));
      await session.batch(writes);
      return { ok: true, message: null };
    } catch (e) {
      const message = String(e.message || e);
      await session.batch(JSON.parse(pod.recordArrangementFailure(descriptorJson, 'submit', prepared.arrangement_id,
        message, startedAt, new Date().toISOString())));
      return { ok: false, message };
    }
  }, options);
}

/** Asks each organisation for the signed status of its part of the saved plan `record`. */
export async function checkStatus(core, pod, session, descriptors, record, options) {
  const submitted = JSON.parse(pod.submissions(record));
  return forEachOrganisation(submitted, descriptors, async (submission, descriptor) => {
    const startedAt = new Date().toISOString();
    const descriptorJson = JSON.stringify(descriptor);
    try {
      const token = await accessToken(core, descriptor, 'arrangement:submit', options);
      const url = descriptor.arrangements_endpoint.replace(/\/$/, '') + '/' + encodeURIComponent(submission.receipt_id);
      const answer = await organisationApi(url, token, {});
      if (!answer.ok) throw new Error(descriptor.name + ' could not say (HTTP ' + answer.status + ').');
      const writes = JSON.parse(pod.acceptStatus(descriptorJson, await answer.text(), submission.receipt_id,
        startedAt, new Date().toISOString()));
      await session.batch(writes);
      return { ok: true, message: null };
    } catch (e) {
      const message = String(e.message || e);
      await session.batch(JSON.parse(pod.recordArrangementFailure(descriptorJson, 'status', submission.receipt_id,
        message, startedAt, new Date().toISOString())));
      return { ok: false, message };
    }
  }, options);
}
