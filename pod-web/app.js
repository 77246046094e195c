// The pages of the hosted pod. Every page is rendered by the pod core (wasm, `pod_ui`): the same
// Rust code that renders `pod serve`'s pages. This script only routes: links are fragments
// (`#/…`), which never reach the provider's server, and each form's action names what to do
// here. Keys, documents and the provider's bearer token stay in this tab's memory.
import * as provider from './provider.js';
import { endChain, fetchOne, LOGIN_WINDOW, newChain } from './fetch.js';
import * as arrangements from './arrangements.js';

// The client id organisations register for this app, with {origin}/app/callback.html as its
// redirect URI and the provider's origin as its web origin (docs/PROVIDER.md).
const CLIENT_ID = 'betaalpod-web';
const LANG_KEY = 'betaalpod-lang';
const POD_ID_KEY = 'betaalpod-pod-id';
const DESCRIPTOR_PATH = '/.well-known/betaalpod-source';

export function start(core) {
  const state = {
    lang: localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'nl',
    pod: null,
    session: null,
    error: null,
    welcome: null,
    progress: null,
    pendingLogin: null,
    busy: false,
  };
  const app = document.getElementById('app');
  const status = document.getElementById('status');
  const text = (key) => core.text(state.lang, key);
  const now = () => new Date().toISOString();
  const offset = () => -new Date().getTimezoneOffset();
  const loginOptions = (extra = {}) => ({ clientId: CLIENT_ID, redirectUri: window.location.origin + '/app/callback.html', ...extra });

  function show(html) {
    const page = new DOMParser().parseFromString(html, 'text/html');
    document.title = page.title;
    document.documentElement.lang = page.documentElement.lang || state.lang;
    app.replaceChildren(...Array.from(page.body.childNodes).map((node) => document.importNode(node, true)));
    const heading = app.querySelector('h1');
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: true });
    }
  }

  function alertOnPage(message) {
    const main = app.querySelector('main') || app;
    const note = document.createElement('p');
    note.setAttribute('role', 'alert');
    note.className = 'error';
    note.textContent = message;
    main.prepend(note);
  }

  function path() {
    return (window.location.hash || '#/').slice(1) || '/';
  }

  function go(route) {
    if (path() === route) render();
    else window.location.hash = route;
  }

  function render(message) {
    try {
      const route = path();
      if (!state.pod) {
        if (route === '/welcome' && state.welcome) {
          show(core.renderWelcome(state.lang, state.welcome.podId, state.welcome.code));
        } else {
          show(core.renderStart(state.lang, localStorage.getItem(POD_ID_KEY) || '', state.error));
          state.error = null;
        }
      } else if (route === '/welcome' && state.welcome) {
        show(core.renderWelcome(state.lang, state.welcome.podId, state.welcome.code));
      } else if (state.welcome) {
        // The recovery code is shown once: gone from memory as soon as the citizen moves on.
        state.welcome = null;
        render(message);
        return;
      } else if (state.progress && route === state.progress.route) {
        show(core.renderProgress(state.lang, JSON.stringify(state.progress.organisations)));
      } else {
        show(state.pod.page(route, state.lang, now(), offset()));
      }
      if (message) alertOnPage(message);
    } catch (e) {
      show(state.pod ? state.pod.page('/', state.lang, now(), offset()) : core.renderStart(state.lang, '', null));
      alertOnPage(String(e.message || e));
    }
  }

  function download(bytes, name, type) {
    const url = URL.createObjectURL(new Blob([bytes], { type }));
    const link = document.createElement('a');
    link.href = url;
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  async function openPod(podId, passphrase) {
    const session = await provider.logIn(core, podId, passphrase);
    const info = await session.info();
    const wrappedKey = await session.get(core.Pod.dataKeyName());
    const pod = core.Pod.open(provider.b64.decode(info.identity_file), passphrase, wrappedKey);
    await session.loadInto(pod);
    state.pod = pod;
    state.session = session;
    localStorage.setItem(POD_ID_KEY, podId);
  }

  function forget() {
    if (state.pod) state.pod.free();
    state.pod = null;
    state.session = null;
    state.progress = null;
  }

  /**
   * Shows a progress page while `run(hooks)` talks to `organisations` in turn; `hooks.begin`
   * and `hooks.end` move each line on, and `hooks.openLogin` offers its login as a link that
   * opens on the citizen's click (which no pop-up blocker stops).
   */
  async function withProgress(route, organisations, run, done) {
    state.progress = { route, organisations: organisations.map((o) => ({ id: o.id, name: o.name, stage: 'fetching', login_url: null, message: null })) };
    go(route);
    const line = (id) => state.progress.organisations.find((o) => o.id === id) || {};
    let current = null;
    const hooks = {
      begin(id) { current = id; },
      end(id, result) {
        Object.assign(line(id), { stage: result.ok ? 'done' : 'failed', login_url: null, message: result.message });
        render();
      },
      openLogin: (url) => new Promise((resolve) => {
        Object.assign(line(current), { stage: 'login', login_url: url });
        state.pendingLogin = { url, resolve, line: line(current) };
        render();
      }),
    };
    try {
      await run(hooks);
    } finally {
      state.pendingLogin = null;
      state.progress = null;
    }
    done();
  }

  async function checkOrganisation(url) {
    const base = new URL(url);
    const descriptor = await fetch(new URL(DESCRIPTOR_PATH, base), { credentials: 'omit', cache: 'no-store' });
    if (!descriptor.ok) throw new Error(text('unreachable'));
    const descriptorBytes = new Uint8Array(await descriptor.arrayBuffer());
    const jwksUri = JSON.parse(new TextDecoder().decode(descriptorBytes)).jwks_uri;
    const jwks = await fetch(jwksUri, { credentials: 'omit', cache: 'no-store' });
    if (!jwks.ok) throw new Error(text('unreachable'));
    return JSON.parse(core.descriptorToPin(descriptorBytes, new Uint8Array(await jwks.arrayBuffer())));
  }

  const actions = {
    async '/login'(form) {
      try {
        await openPod(form.get('pod_id').trim(), form.get('passphrase'));
      } catch (e) {
        if (e.status === 429) throw new Error(text('wait'));
        if (String(e.message).includes('wrong passphrase')) throw new Error(text('wrong_passphrase'));
        throw e;
      }
      go('/');
    },
    async '/signup'(form) {
      if (form.get('passphrase') !== form.get('repeat')) throw new Error(text('passphrases_differ'));
      const code = core.Pod.newRecoveryCode();
      const pod = core.Pod.create(form.get('passphrase'), code);
      const { podId, firstWrites } = await provider.signUp(core, pod, form.get('passphrase'), code);
      const session = await provider.logIn(core, podId, form.get('passphrase'));
      session.attach(pod);
      await session.batch(firstWrites);
      Object.assign(state, { pod, session, welcome: { podId, code } });
      localStorage.setItem(POD_ID_KEY, podId);
      go('/welcome');
    },
    async '/recover'(form) {
      const podId = form.get('pod_id').trim();
      const code = await provider.recover(core, podId, form.get('code'), form.get('passphrase'));
      await openPod(podId, form.get('passphrase'));
      state.welcome = { podId, code };
      go('/welcome');
    },
    async '/import'(form) {
      const file = form.get('backup');
      const imported = await provider.importBackup(core, new Uint8Array(await file.arrayBuffer()), form.get('passphrase'));
      Object.assign(state, { pod: imported.pod, session: imported.session, welcome: { podId: imported.podId, code: imported.recoveryCode } });
      localStorage.setItem(POD_ID_KEY, imported.podId);
      go('/welcome');
    },
    async '/lock'() {
      const session = state.session;
      forget();
      state.welcome = null;
      await session.logOut().catch(() => {});
      go('/');
    },
    async '/fetch'(form) {
      const chosen = form.getAll('source');
      const descriptors = JSON.parse(state.pod.pinned()).filter((d) => chosen.includes(d.id));
      const fetchId = crypto.randomUUID();
      // One chain of logins in one window: the citizen opens it once, with a click.
      const chain = newChain();
      await withProgress('/fetch/progress', descriptors, async (hooks) => {
        try {
          for (const descriptor of descriptors) {
            hooks.begin(descriptor.id);
            hooks.end(descriptor.id, await fetchOne(core, state.pod, state.session, descriptor,
              loginOptions({ openLogin: hooks.openLogin, fetchId, chain })));
          }
        } finally {
          endChain(chain);
        }
      }, () => go('/'));
    },
    async '/arrangement'(form) {
      show(state.pod.arrangementPage(new URLSearchParams(form).toString(), state.lang, now(), offset()));
    },
    async '/arrangement/save'(form) {
      const saved = await arrangements.save(state.pod, state.session, JSON.parse(form.get('input')));
      go('/arrangements/' + saved.record);
    },
    async '/settings/passphrase'(form) {
      const podId = localStorage.getItem(POD_ID_KEY);
      try {
        await provider.logIn(core, podId, form.get('current')).then((s) => s.logOut());
      } catch (e) {
        throw new Error(text('wrong_passphrase'));
      }
      await provider.changePassphrase(core, state.pod, state.session, form.get('new'));
      show(state.pod.settingsPage(state.lang, text('passphrase_changed'), null));
    },
    async '/settings/scheme/check'(form) {
      let checked;
      try {
        checked = await checkOrganisation(form.get('url').trim());
      } catch (e) {
        throw new Error(text('unreachable') + ' (' + (e.message || e) + ')');
      }
      const pending = { url: form.get('url').trim(), name: checked.descriptor.name, id: checked.descriptor.id, fingerprints: checked.fingerprints };
      show(state.pod.settingsPage(state.lang, null, JSON.stringify(pending)));
    },
    async '/settings/scheme/pin'(form) {
      const checked = await checkOrganisation(form.get('url'));
      if (checked.fingerprints !== form.get('fingerprints')) throw new Error(text('key_changed'));
      await state.session.batch(JSON.parse(state.pod.pin(JSON.stringify([checked.descriptor]), now())));
      show(state.pod.settingsPage(state.lang, text('pinned'), null));
    },
    async '/settings/scheme/remove'(form) {
      await state.session.batch(JSON.parse(state.pod.unpin(form.get('id'), now())));
      show(state.pod.settingsPage(state.lang, text('removed'), null));
    },
    async '/export/share'(form) {
      download(state.pod.shareOverview(form.get('recipient'), now(), offset()), 'betaaloverzicht.json.age', 'application/age');
    },
    async '/account/delete'(form) {
      if (form.get('confirm') !== 'yes') return;
      const guardKey = state.session.guardKey();
      await provider.deletePod(state.session);
      forget();
      localStorage.removeItem(POD_ID_KEY);
      localStorage.removeItem(guardKey);
      go('/');
    },
  };

  async function arrangementJob(route, form) {
    const [, id, what] = route.match(/^\/arrangements\/([^/]+)\/(submit|status)$/) || [];
    if (!id) return false;
    const descriptors = JSON.parse(state.pod.pinned());
    const plan = JSON.parse(state.pod.submissions(id));
    let organisations;
    if (what === 'submit') {
      const prepared = JSON.parse(state.pod.prepareParts(id, false));
      const done = new Set(plan.map((s) => s.org));
      organisations = prepared.parts.map((p) => p.org).filter((org) => !done.has(org));
    } else {
      organisations = plan.map((s) => s.org);
    }
    const chosen = descriptors.filter((d) => organisations.includes(d.id));
    const shareEverything = form.get('share_everything') === 'yes';
    await withProgress('/arrangements/' + id + '/progress', chosen, (hooks) => {
      const options = loginOptions({ ...hooks, only: organisations, shareEverything });
      return what === 'submit'
        ? arrangements.submit(core, state.pod, state.session, descriptors, id, options)
        : arrangements.checkStatus(core, state.pod, state.session, descriptors, id, options);
    }, () => go('/arrangements/' + id));
    return true;
  }

  document.addEventListener('submit', async (event) => {
    const form = event.target;
    const action = form.getAttribute('action') || '';
    if (!action.startsWith('#/')) return;
    event.preventDefault();
    if (state.busy) return;
    const route = action.slice(1);
    const data = new FormData(form);
    state.busy = true;
    status.textContent = '…';
    form.querySelectorAll('button').forEach((b) => { b.disabled = true; });
    try {
      if (actions[route]) await actions[route](data);
      else if (!(await arrangementJob(route, data))) throw new Error('unknown action ' + route);
    } catch (e) {
      const message = String(e.message || e);
      if (!state.pod) state.error = message;
      render(state.pod ? message : undefined);
    } finally {
      state.busy = false;
      status.textContent = 'ready ' + core.version();
    }
  });

  document.addEventListener('click', async (event) => {
    const link = event.target.closest && event.target.closest('a');
    if (!link) return;
    const href = link.getAttribute('href') || '';
    if (link.classList.contains('login-link') && state.pendingLogin) {
      event.preventDefault();
      const pending = state.pendingLogin;
      state.pendingLogin = null;
      Object.assign(pending.line, { stage: 'fetching', login_url: null });
      pending.resolve(window.open(pending.url, LOGIN_WINDOW));
      render();
      return;
    }
    if (href.startsWith('#/lang/')) {
      event.preventDefault();
      state.lang = href.endsWith('/en') ? 'en' : 'nl';
      localStorage.setItem(LANG_KEY, state.lang);
      render();
    } else if (href.startsWith('#/api/export')) {
      event.preventDefault();
      const format = href.endsWith('csv') ? 'csv' : 'json';
      download(state.pod.exportOverview(format, now(), offset()), 'betaaloverzicht.' + format, format === 'csv' ? 'text/csv' : 'application/json');
    } else if (href === '#/account/export') {
      event.preventDefault();
      download(await provider.exportPod(state.session), 'betaalpod-backup.age', 'application/octet-stream');
    }
  });

  window.addEventListener('hashchange', () => render());
  render();
  return state;
}
