// The Freezer Manager dashboard. It is a third-party app of the REST API:
// everything it shows and changes goes through /api/v1 with a bearer token.
// Every text that comes from the API is put in the page as a text node,
// never as HTML.
'use strict';
(function () {
  const $ = function (sel, root) { return (root || document).querySelector(sel); };
  const $$ = function (sel, root) { return Array.from((root || document).querySelectorAll(sel)); };
  const TOKEN_KEY = 'freezer_token';

  const state = {
    token: '', mode: '', lang: 'en', me: null,
    types: new Map(), freezers: [], products: [],
    productsQuery: '', productsNext: null, productsSeq: 0, // the list's query, its next_cursor, the latest load
    sort: { key: 'use_by', dir: 1 }, editing: null, tab: 'products',
    view: [], returnTab: '', // the freezer view's data; the tab the product form goes back to
  };

  // --- texts -----------------------------------------------------------
  function t() { return window.Freezer.text.apply(null, [state.lang].concat(Array.from(arguments))); }

  function applyTexts() {
    window.Freezer.applyTexts(state.lang);
    document.title = t('title');
  }

  // el builds an element; children that are strings become text nodes.
  function el(tag, attrs) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') n.className = v;
      else if (k.startsWith('on')) n.addEventListener(k.slice(2), v);
      else if (k === 'dataset') Object.assign(n.dataset, v);
      else n.setAttribute(k, v === true ? '' : v);
    }
    for (let i = 2; i < arguments.length; i++) {
      const c = arguments[i];
      if (c === null || c === undefined || c === false) continue;
      n.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return n;
  }

  function message(text, kind) {
    const m = $('#message');
    m.textContent = text;
    m.className = 'alert ' + (kind || 'notice');
    m.hidden = false;
    clearTimeout(message.timer);
    if (kind !== 'error') message.timer = setTimeout(function () { m.hidden = true; }, 6000);
  }

  // run reports the outcome of an action to the user.
  async function run(fn, done) {
    try {
      await fn();
      if (done) message(done);
    } catch (e) {
      if (e.status === 401) return disconnect(t('token_rejected'));
      message(e.message, 'error');
    }
  }

  // --- API -------------------------------------------------------------
  function api(method, path, body) { return window.Freezer.api(state.token, method, path, body); }

  // listAll follows next_cursor through every page of a list.
  async function listAll(path) {
    let items = [], cursor = null;
    for (let page = 0; page < 100; page++) {
      const sep = path.includes('?') ? '&' : '?';
      const data = await api('GET', path + (cursor ? sep + 'cursor=' + encodeURIComponent(cursor) : ''));
      items = items.concat(data.items);
      cursor = data.next_cursor;
      if (!cursor) break;
    }
    return items;
  }

  // --- start -----------------------------------------------------------
  async function boot() {
    state.lang = (navigator.language || 'en').toLowerCase().startsWith('fr') ? 'fr' : 'en';
    applyTexts();
    wire();
    const res = await fetch('/app/session', { credentials: 'same-origin', headers: { Accept: 'application/json' } }).catch(function () { return null; });
    if (res && res.ok) {
      state.token = (await res.json()).token;
      state.mode = 'session';
    } else if (sessionStorage.getItem(TOKEN_KEY)) {
      state.token = sessionStorage.getItem(TOKEN_KEY);
      state.mode = 'token';
    }
    if (!state.token) return disconnect();
    await start();
  }

  async function start() {
    try {
      state.me = await api('GET', 'me');
      const types = await listAll('product-types?limit=500');
      state.types = new Map(types.map(function (ty) { return [ty.id, ty]; }));
      await loadFreezers();
    } catch (e) {
      return disconnect(e.status === 401 ? t('token_rejected') : e.message);
    }
    state.lang = state.me.user.language === 'fr' ? 'fr' : 'en';
    applyTexts();
    $('#loading').hidden = true;
    $('#connect').hidden = true;
    $('#who').textContent = state.me.user.email;
    $('#account-link').hidden = $('#sign-out-link').hidden = state.mode !== 'session';
    $('#forget-token').hidden = state.mode !== 'token';
    $('#admin-link').hidden = !(state.mode === 'session' && state.me.user.admin);
    $('#tabs').hidden = false;
    fillSortSelect();
    renderTypes();
    showTab((location.hash || '#products').slice(1));
  }

  function disconnect(why) {
    sessionStorage.removeItem(TOKEN_KEY);
    state.token = '';
    $('#loading').hidden = true;
    $('#tabs').hidden = true;
    $$('.tab').forEach(function (s) { s.hidden = true; });
    $('#connect').hidden = false;
    if (why) message(why, 'error');
  }

  function showTab(name) {
    if (!$('#tab-' + name)) name = 'products';
    state.tab = name;
    $$('#tabs button').forEach(function (b) { b.setAttribute('aria-selected', String(b.dataset.tab === name)); });
    $$('.tab').forEach(function (s) { s.hidden = s.id !== 'tab-' + name; });
    if (location.hash !== '#' + name) history.replaceState(null, '', '#' + name);
    run(LOADERS[name]);
  }

  const LOADERS = {
    products: function () { return loadProducts(); }, view: function () { return loadView(); },
    freezers: function () { return loadFreezers(); }, types: function () { return renderTypes(); },
    trends: function () { return loadTrends(); }, devices: function () { return loadDevices(); },
  };

  // reload shows the open tab again after a change.
  function reload() { return LOADERS[state.tab](); }

  function wire() {
    $$('#tabs button').forEach(function (b) { b.addEventListener('click', function () { showTab(b.dataset.tab); }); });
    $('#token-form').addEventListener('submit', function (e) {
      e.preventDefault();
      state.token = e.target.token.value.trim();
      state.mode = 'token';
      sessionStorage.setItem(TOKEN_KEY, state.token);
      start();
    });
    $('#forget-token').addEventListener('click', function () { disconnect(); });
    $('#filter-state').addEventListener('change', function () { run(loadProducts); });
    $('#filter-freezer').addEventListener('change', function () { run(loadProducts); });
    let typing;
    $('#filter-q').addEventListener('input', function () { clearTimeout(typing); typing = setTimeout(function () { run(loadProducts); }, 250); });
    $('#add-product').addEventListener('click', function () { openProductForm(null); });
    $('#product-cancel').addEventListener('click', function () { closeProductForm(); goBack(); });
    $('#product-form').addEventListener('submit', saveProduct);
    $('#product-form').freezer_id.addEventListener('change', fillNextSlot);
    $('#product-form').box.addEventListener('change', fillNextSlot);
    $$('#product-table th[data-sort] button').forEach(function (b) {
      b.addEventListener('click', function () { sortBy(b.parentElement.dataset.sort); });
    });
    $('#sort-select').addEventListener('change', function (e) { state.sort.key = e.target.value; run(loadProducts); });
    $('#sort-direction').addEventListener('click', function () { state.sort.dir = -state.sort.dir; run(loadProducts); });
    $('#products-more').addEventListener('click', function () { run(loadMoreProducts); });
    $('#freezer-form').addEventListener('submit', addFreezer);
    $('#device-form').addEventListener('submit', addDevice);
    // Only a scanner has a scan mode.
    $('#device-form').kind.addEventListener('change', function (e) { $('#device-mode-field').hidden = e.target.value !== 'scanner'; });
    window.addEventListener('hashchange', function () { if (state.token) showTab(location.hash.slice(1)); });
    // The charts are drawn for their width: draw them again when it changes.
    let resizing, drawnWidth = innerWidth;
    window.addEventListener('resize', function () {
      clearTimeout(resizing);
      resizing = setTimeout(function () {
        if (innerWidth === drawnWidth) return;
        drawnWidth = innerWidth;
        if (state.token && state.tab === 'trends') run(loadTrends);
      }, 250);
    });
  }

  // --- helpers on the data ---------------------------------------------
  function typeName(id) {
    const ty = state.types.get(id);
    if (!ty) return '#' + id;
    return state.lang === 'fr' ? ty.name_fr : ty.name_en;
  }

  function freezerOf(id) { return state.freezers.find(function (f) { return f.id === id; }); }
  function freezerName(id) { const f = freezerOf(id); return f ? f.name : '#' + id; }

  // The server's day (its --tz), not the browser's: one calendar for every rule.
  function today() { return state.me.today; }

  // dateTime shows an instant as YYYY-MM-DD HH:MM in the browser's zone:
  // the one way the dashboard writes a time, as dates are YYYY-MM-DD.
  function dateTime(iso) {
    const d = new Date(iso);
    if (isNaN(d)) return iso;
    const two = function (n) { return String(n).padStart(2, '0'); };
    return d.getFullYear() + '-' + two(d.getMonth() + 1) + '-' + two(d.getDate()) + ' ' + two(d.getHours()) + ':' + two(d.getMinutes());
  }

  function placeText(p) { return t('place_text', freezerName(p.freezer_id), p.box, p.slot); }

  // stageBadge is the overdue / due soon badge of a product, or for a
  // product out its outcome (eaten, thrown away), or null.
  function stageBadge(p) {
    if (p.stage === 'out') {
      const thrown = p.outcome === 'discarded';
      return el('span', { class: 'badge outcome ' + (thrown ? 'discarded' : 'out'), dataset: { outcome: thrown ? 'discarded' : 'eaten' } },
        t(thrown ? 'outcome_discarded' : 'outcome_eaten'));
    }
    const badge = STAGE_BADGE[p.stage];
    return badge ? el('span', { class: 'badge ' + badge[0] }, t(badge[1])) : null;
  }

  function fillSelect(select, options, keepFirst) {
    const first = keepFirst ? select.options[0] : null;
    const value = select.value;
    select.replaceChildren();
    if (first) select.append(first);
    options.forEach(function (o) { select.append(new Option(o[1], o[0])); });
    if ($$('option', select).some(function (o) { return o.value === value; })) select.value = value;
  }

  function freezerOptions() { return state.freezers.map(function (f) { return [f.id, f.name]; }); }

  // --- freezers --------------------------------------------------------
  async function loadFreezers() {
    state.freezers = await listAll('freezers');
    fillSelect($('#filter-freezer'), freezerOptions(), true);
    fillSelect($('#device-form').freezer_id, freezerOptions(), true);
    renderFreezers();
  }

  function renderFreezers() {
    const rows = state.freezers.map(function (f) {
      const formID = 'freezer-' + f.id;
      return el('tr', { dataset: { id: f.id } },
        el('td', { 'data-label': t('col_id'), class: 'id num' }, f.id),
        el('td', { 'data-label': t('name') }, el('input', { name: 'name', value: f.name, form: formID, required: true, maxlength: 256, 'aria-label': t('name') })),
        el('td', { 'data-label': t('number_boxes') }, el('input', { name: 'number_boxes', type: 'number', min: 1, max: 1000, value: f.number_boxes, form: formID, required: true, 'aria-label': t('number_boxes') })),
        el('td', {}, el('form', { id: formID, class: 'actions-cell', onsubmit: function (e) { e.preventDefault(); updateFreezer(f, e.target); } },
          el('button', { type: 'submit', class: 'small' }, t('save')),
          el('button', { type: 'button', class: 'small danger', onclick: function () { removeFreezer(f); } }, t('remove')))));
    });
    $('#freezer-table tbody').replaceChildren.apply($('#freezer-table tbody'), rows);
    $('#freezers-empty').hidden = rows.length > 0;
  }

  function addFreezer(e) {
    e.preventDefault();
    const form = e.target;
    run(async function () {
      const f = await api('POST', 'freezers', { name: form.name.value, number_boxes: Number(form.number_boxes.value) });
      form.reset();
      await loadFreezers();
      message(t('freezer_added', f.name));
    });
  }

  function updateFreezer(f, form) {
    const inputs = $$('input[form="' + form.id + '"]');
    const value = function (name) { return inputs.find(function (i) { return i.name === name; }).value; };
    run(async function () {
      await api('PATCH', 'freezers/' + f.id, { name: value('name'), number_boxes: Number(value('number_boxes')) });
      await loadFreezers();
    }, t('freezer_saved'));
  }

  function removeFreezer(f) {
    if (!confirm(t('confirm_remove_freezer', f.name))) return;
    run(async function () {
      try {
        await api('DELETE', 'freezers/' + f.id);
      } catch (e) {
        if (e.status !== 409 || !confirm(t('confirm_archive_freezer'))) throw e;
        await api('POST', 'freezers/' + f.id + '/archive');
      }
      await loadFreezers();
    }, t('freezer_removed'));
  }

  // --- types -----------------------------------------------------------
  function renderTypes() {
    const rows = Array.from(state.types.values()).map(function (ty) {
      return el('tr', {},
        el('td', { 'data-label': t('col_id'), class: 'id num' }, ty.id),
        el('td', { 'data-label': t('name_en') }, ty.name_en),
        el('td', { 'data-label': t('name_fr') }, ty.name_fr));
    });
    $('#type-table tbody').replaceChildren.apply($('#type-table tbody'), rows);
    fillSelect($('#product-form').type_id, Array.from(state.types.values()).map(function (ty) { return [ty.id, typeName(ty.id)]; }));
  }

  // --- products --------------------------------------------------------
  const SORT_KEYS = ['id', 'name', 'type', 'place', 'quantity', 'date_in', 'use_by', 'date_out'];

  function fillSortSelect() {
    fillSelect($('#sort-select'), SORT_KEYS.map(function (k) { return [k, t(k === 'id' ? 'col_id' : k === 'quantity' ? 'col_quantity' : k)]; }));
    $('#sort-select').value = state.sort.key;
  }

  // PRODUCTS_PAGE is how many products the list shows at first and adds
  // with each "show more": the server filters, sorts and pages.
  const PRODUCTS_PAGE = 100;

  async function loadProducts() {
    const sort = (state.sort.dir < 0 ? '-' : '') + state.sort.key;
    const params = new URLSearchParams({ state: $('#filter-state').value, sort: sort, lang: state.lang, limit: String(PRODUCTS_PAGE) });
    if ($('#filter-freezer').value) params.set('freezer_id', $('#filter-freezer').value);
    if ($('#filter-q').value.trim()) params.set('q', $('#filter-q').value.trim());
    const seq = ++state.productsSeq;
    state.me = await api('GET', 'me'); // a new day may have begun since the page opened
    const both = await Promise.all([api('GET', 'products?' + params), api('GET', 'products/eat-next?limit=' + EAT_NEXT)]);
    if (seq !== state.productsSeq) return; // a newer filter or order is loading
    state.productsQuery = 'products?' + params;
    state.products = both[0].items;
    state.productsNext = both[0].next_cursor || null;
    renderProducts();
    renderEatNext(both[1].items);
  }

  // loadMoreProducts adds the next page of the list as it is sorted and filtered.
  async function loadMoreProducts() {
    if (!state.productsNext) return;
    const seq = state.productsSeq;
    const data = await api('GET', state.productsQuery + '&cursor=' + encodeURIComponent(state.productsNext));
    if (seq !== state.productsSeq) return;
    state.products = state.products.concat(data.items);
    state.productsNext = data.next_cursor || null;
    renderProducts();
  }

  // --- eat next ----------------------------------------------------------
  // The first thing on the first screen: what to eat next (the API's order:
  // overdue, due soon, then the oldest), each taken out with one tap.
  const EAT_NEXT = 6;

  function renderEatNext(list) {
    const items = list.map(function (p) {
      return el('li', { class: 'eat-item ' + p.stage, dataset: { id: p.id, stage: p.stage } },
        el('div', { class: 'eat-what' },
          el('span', { class: 'name-line' }, el('strong', { class: 'eat-name' }, p.name), ' ', stageBadge(p)),
          el('div', { class: 'hint eat-meta' },
            el('span', { class: 'eat-place' }, placeText(p)), ' · ',
            el('span', { class: 'nowrap' }, t('use_by'), ' ', el('span', { class: 'date eat-use-by' }, p.use_by)), ' · ',
            el('span', { class: 'nowrap' }, t('in_since', p.date_in)))),
        outcomeButtons(p, 'small'));
    });
    $('#eat-next-list').replaceChildren(...items);
    $('#eat-next-empty').hidden = items.length > 0;
  }

  function sortBy(key) {
    state.sort = { key: key, dir: state.sort.key === key ? -state.sort.dir : 1 };
    $('#sort-select').value = key;
    run(loadProducts);
  }

  // renderProducts shows the list in the server's order.
  function renderProducts() {
    const key = state.sort.key, dir = state.sort.dir;
    $$('#product-table th[data-sort]').forEach(function (th) {
      if (th.dataset.sort === key) th.setAttribute('aria-sort', dir > 0 ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    });
    $('#sort-direction').textContent = dir > 0 ? '▲' : '▼';
    const rows = state.products.map(productRow);
    $('#product-table tbody').replaceChildren.apply($('#product-table tbody'), rows);
    $('#products-empty').hidden = rows.length > 0;
    $('#products-more').hidden = !state.productsNext;
  }

  const STAGE_BADGE = { overdue: ['late', 'stage_overdue'], due_soon: ['soon', 'stage_due_soon'] };

  // productRow is one product: a table row on a desktop; on a phone (CSS)
  // one compact line with its name, place, use-by, stage and main action,
  // the other actions behind the "more" button.
  function productRow(p) {
    const inside = !p.date_out;
    const tr = el('tr', { class: p.stage, dataset: { id: p.id, stage: p.stage } });
    // Take out asks, with one more tap, whether it was eaten or thrown away.
    const main = inside
      ? el('button', {
        type: 'button', class: 'small main-action take-out', 'aria-expanded': 'false',
        onclick: function (e) { e.currentTarget.setAttribute('aria-expanded', String(tr.classList.toggle('choosing'))); },
      }, t('take_out'))
      : el('button', { type: 'button', class: 'small main-action put-back', onclick: function () { putBack(p); } }, t('put_back'));
    const toggle = el('button', {
      type: 'button', class: 'small more-toggle', 'aria-expanded': 'false', 'aria-label': t('more'), title: t('more'),
      onclick: function (e) { e.currentTarget.setAttribute('aria-expanded', String(tr.classList.toggle('open'))); },
    }, '⋯');
    tr.append(
      el('td', { 'data-label': t('col_id'), class: 'id num' }, p.id),
      el('td', { 'data-label': t('name'), class: 'product-name' },
        el('span', { class: 'name-line' }, el('strong', {}, p.name), ' ', stageBadge(p)),
        p.description ? el('div', { class: 'hint description' }, p.description) : null,
        el('div', { class: 'phone-meta' }, placeText(p), ' · ', t(inside ? 'use_by' : 'date_out'), ' ',
          el('span', { class: 'date' }, inside ? p.use_by : p.date_out))),
      el('td', { 'data-label': t('type') }, typeName(p.type_id)),
      el('td', { 'data-label': t('place') }, placeText(p)),
      el('td', { 'data-label': t('col_quantity'), class: 'num' }, p.quantity),
      el('td', { 'data-label': t('date_in'), class: 'date' }, p.date_in),
      el('td', { 'data-label': t('use_by'), class: 'date' }, p.use_by),
      el('td', { 'data-label': t('date_out'), class: 'date' }, p.date_out || '—'),
      el('td', { class: 'row-actions' }, el('div', { class: 'actions-cell' },
        el('span', { class: 'more-actions' },
          el('button', { type: 'button', class: 'small edit', onclick: function () { openProductForm(p); } }, t('edit')),
          el('button', { type: 'button', class: 'small download-label', onclick: function () { label(p, false); } }, t('label')),
          el('button', { type: 'button', class: 'small print-label', onclick: function () { label(p, true); } }, t('print'))),
        main, toggle, inside ? outcomeButtons(p, 'small') : null)));
    return tr;
  }

  // outcomeButtons are the two ways to take a product out: eaten, thrown away.
  function outcomeButtons(p, size) {
    return el('span', { class: 'outcome-choice', role: 'group', 'aria-label': t('take_out') + ': ' + p.name },
      el('button', { type: 'button', class: size + ' take-out-eaten', onclick: function () { takeOut(p, 'eaten'); } }, t('eaten')),
      el('button', { type: 'button', class: size + ' danger take-out-discarded', onclick: function () { takeOut(p, 'discarded'); } }, t('thrown_away')));
  }

  // takeOut takes a product out, eaten or thrown away (outcome).
  function takeOut(p, outcome) {
    run(async function () {
      await api('POST', 'products/' + p.id + '/take-out', { version: p.version, outcome: outcome });
      await reload();
    }, t(outcome === 'discarded' ? 'thrown_out' : 'taken_out', p.name));
  }

  function putBack(p) {
    run(async function () {
      const back = await api('POST', 'products/' + p.id + '/put-back', { version: p.version });
      await reload();
      message(t('put_back_done', back.name, freezerName(back.freezer_id), back.box, back.slot));
    });
  }

  // openProductForm opens the form to edit p, or to add a product (at
  // place, {freezer_id, box, slot}, when given: "add here" of the freezer view).
  function openProductForm(p, place) {
    state.editing = p;
    const form = $('#product-form');
    form.reset();
    fillSelect(form.freezer_id, freezerOptions());
    $('#product-form-title').textContent = p ? t('edit_product', p.id) : t('add_product');
    $('#date-out-field').hidden = !(p && p.date_out);
    form.date_in.max = form.date_out.max = today();
    if (p) {
      form.name.value = p.name;
      form.description.value = p.description;
      form.type_id.value = p.type_id;
      form.freezer_id.value = p.freezer_id;
      form.box.value = p.box;
      form.slot.value = p.slot;
      form.date_in.value = p.date_in;
      form.period_months.value = p.period_months;
      form.quantity.value = p.quantity;
      form.barcode.value = p.barcode || '';
      form.date_out.value = p.date_out || '';
    } else {
      if (!state.freezers.length) return message(t('need_freezer'), 'error');
      form.date_in.value = today();
      if (place) {
        form.freezer_id.value = place.freezer_id;
        form.box.value = place.box;
        form.slot.value = place.slot;
      } else {
        form.freezer_id.value = $('#filter-freezer').value || state.freezers[0].id;
        fillNextSlot();
      }
    }
    boxLimit();
    form.hidden = false;
    form.name.focus();
  }

  function closeProductForm() {
    state.editing = null;
    $('#product-form').hidden = true;
  }

  function boxLimit() {
    const form = $('#product-form');
    const f = freezerOf(Number(form.freezer_id.value));
    if (f) form.box.max = f.number_boxes;
  }

  // fillNextSlot puts the next free slot of the chosen box in the form.
  async function fillNextSlot() {
    const form = $('#product-form');
    boxLimit();
    if (state.editing || !form.freezer_id.value) return;
    const box = Number(form.box.value) || 1;
    try {
      const boxes = await api('GET', 'freezers/' + form.freezer_id.value + '/boxes');
      const b = boxes.items.find(function (x) { return x.box === box; });
      if (b && !state.editing) form.slot.value = b.next_free_slot;
    } catch (e) {
      message(e.message, 'error');
    }
  }

  function saveProduct(e) {
    e.preventDefault();
    const form = e.target, p = state.editing;
    const body = {
      name: form.name.value, description: form.description.value, type_id: Number(form.type_id.value),
      date_in: form.date_in.value, period_months: Number(form.period_months.value), quantity: Number(form.quantity.value),
      barcode: form.barcode.value.trim(),
    };
    const place = { freezer_id: Number(form.freezer_id.value), box: Number(form.box.value), slot: Number(form.slot.value) };
    run(async function () {
      if (p) {
        if (place.freezer_id !== p.freezer_id || place.box !== p.box || place.slot !== p.slot) Object.assign(body, place);
        if (p.date_out && form.date_out.value) body.date_out = form.date_out.value;
        body.version = p.version;
        await api('PATCH', 'products/' + p.id, body);
      } else {
        await api('POST', 'products', Object.assign(body, place));
      }
      closeProductForm();
      if (!goBack()) await loadProducts();
    }, p ? t('product_saved', body.name) : t('product_added', body.name));
  }

  // goBack returns to the tab that opened the product form, if another.
  function goBack() {
    const back = state.returnTab;
    state.returnTab = '';
    if (!back || back === state.tab) return false;
    showTab(back);
    return true;
  }

  // label downloads or prints a product's label, the PNG the API draws.
  function label(p, print) {
    run(async function () {
      const res = await fetch('/api/v1/products/' + p.id + '/label.png?lang=' + state.lang, { headers: { Authorization: 'Bearer ' + state.token } });
      if (!res.ok) {
        const data = await res.json().catch(function () { return null; });
        throw new Error((data && data.error && data.error.message) || res.statusText);
      }
      const url = URL.createObjectURL(await res.blob());
      const name = 'label-' + p.id + '.png';
      if (print) {
        const img = el('img', { src: url, alt: name, class: 'label-preview' });
        $('#print-area').replaceChildren(img);
        await img.decode().catch(function () {});
        window.print();
      } else {
        const a = el('a', { href: url, download: name });
        document.body.append(a);
        a.click();
        a.remove();
      }
      setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
    });
  }

  // --- the freezer view -------------------------------------------------
  // Each freezer as it is: its boxes, and in each box its products by slot,
  // with the next free slot marked (tap it to add a product there).
  async function loadView() {
    await loadFreezers();
    const live = state.freezers.filter(function (f) { return !f.archived_at; });
    state.view = await Promise.all(live.map(async function (f) {
      const both = await Promise.all([
        api('GET', 'freezers/' + f.id + '/boxes'),
        listAll('products?' + new URLSearchParams({ state: 'inside', freezer_id: f.id, limit: '500' })),
      ]);
      return { freezer: f, boxes: both[0].items, products: both[1] };
    }));
    renderView();
  }

  function renderView() {
    $('#slot-panel').hidden = true;
    const cards = state.view.map(function (v) {
      return el('section', { class: 'card freezer-card', dataset: { freezer: v.freezer.id } },
        el('h2', {}, v.freezer.name),
        el('div', { class: 'boxes' }, ...v.boxes.map(function (b) {
          return boxView(v.freezer, b, v.products.filter(function (p) { return p.box === b.box; }));
        })));
    });
    $('#freezer-view').replaceChildren(...cards);
    $('#view-empty').hidden = cards.length > 0;
  }

  function boxView(f, b, products) {
    const items = [];
    let free = false;
    products.sort(function (x, y) { return x.slot - y.slot; }).forEach(function (p) {
      if (!free && b.next_free_slot < p.slot) { items.push(freeSlot(f, b)); free = true; }
      items.push(el('li', {}, el('button', {
        type: 'button', class: 'slot ' + p.stage, dataset: { id: p.id, stage: p.stage },
        'aria-label': t('slot_n', p.slot) + ': ' + p.name,
        onclick: function (e) { openSlotPanel(p, e.currentTarget); },
      }, el('span', { class: 'slot-no' }, p.slot), el('span', { class: 'slot-name' }, p.name), stageBadge(p))));
    });
    if (!free) items.push(freeSlot(f, b));
    return el('div', { class: 'box', dataset: { box: b.box } },
      el('h3', {}, t('box_n', b.box), ' ', el('span', { class: 'hint' }, t('n_inside', products.length))),
      el('ol', { class: 'slots' }, ...items));
  }

  function freeSlot(f, b) {
    return el('li', {}, el('button', {
      type: 'button', class: 'slot free add-here', dataset: { slot: b.next_free_slot },
      'aria-label': t('slot_n', b.next_free_slot) + ': ' + t('add_here'),
      onclick: function () {
        state.returnTab = 'view';
        showTab('products');
        openProductForm(null, { freezer_id: f.id, box: b.box, slot: b.next_free_slot });
      },
    }, el('span', { class: 'slot-no' }, b.next_free_slot), el('span', { class: 'slot-name' }, t('free_slot')), el('span', { class: 'add' }, '+ ' + t('add_here'))));
  }

  // openSlotPanel shows what can be done with the product of a tapped slot.
  function openSlotPanel(p, tile) {
    const panel = $('#slot-panel');
    const close = function () {
      panel.hidden = true;
      $$('button.slot.selected').forEach(function (b) { b.classList.remove('selected'); });
    };
    const live = state.freezers.filter(function (f) { return !f.archived_at; });
    const freezerSel = el('select', { name: 'freezer_id', required: true });
    fillSelect(freezerSel, live.map(function (f) { return [f.id, f.name]; }));
    freezerSel.value = p.freezer_id;
    const boxIn = el('input', { name: 'box', type: 'number', min: 1, value: p.box, required: true });
    const limit = function () { const f = freezerOf(Number(freezerSel.value)); if (f) boxIn.max = f.number_boxes; };
    freezerSel.addEventListener('change', limit);
    limit();
    panel.replaceChildren(
      el('h3', {}, el('span', { class: 'slot-name' }, p.name), ' ', stageBadge(p)),
      el('p', { class: 'hint' }, placeText(p), ' · ', t('use_by'), ' ', el('span', { class: 'date' }, p.use_by)),
      el('div', { class: 'actions-cell take-out-row' }, el('span', { class: 'take-out-how' }, t('take_out_how')), outcomeButtons(p, '')),
      el('div', { class: 'actions-cell' },
        el('button', { type: 'button', class: 'download-label', onclick: function () { label(p, false); } }, t('label')),
        el('button', { type: 'button', class: 'print-label', onclick: function () { label(p, true); } }, t('print')),
        el('button', { type: 'button', class: 'close', onclick: close }, t('close'))),
      el('form', { class: 'row move-form', onsubmit: function (e) { e.preventDefault(); move(p, Number(freezerSel.value), Number(boxIn.value)); } },
        el('h4', {}, t('move_to')),
        el('label', {}, el('span', {}, t('freezer')), freezerSel),
        el('label', {}, el('span', {}, t('box')), boxIn),
        el('button', { type: 'submit', class: 'move' }, t('move'))));
    close();
    panel.dataset.id = p.id;
    tile.classList.add('selected');
    panel.hidden = false;
  }

  // move puts a product in another box, in that box's next free slot.
  function move(p, freezerID, box) {
    run(async function () {
      const moved = await api('POST', 'products/' + p.id + '/move', { freezer_id: freezerID, box: box, version: p.version });
      await reload();
      message(t('moved', moved.name, freezerName(moved.freezer_id), moved.box, moved.slot));
    });
  }

  // --- trends ----------------------------------------------------------
  // Pictures of the household's habits, each with its numbers in a table
  // under it (a <details>: compact on screen, read by screen readers).
  async function loadTrends() {
    const got = await Promise.all([
      api('GET', 'stats/monthly?months=12'), api('GET', 'stats/waste?months=12'), api('GET', 'stats/time-in-freezer'),
      listAll('stats/tendency/general'), listAll('stats/tendency/personal'),
    ]);
    const monthly = got[0].items, waste = got[1], time = got[2];
    const typeLabel = function (ty) { return state.lang === 'fr' ? ty.name_fr : ty.name_en; };
    const monthCol = function (m, i, all) {
      const parts = m.month.split('-');
      return { id: m.month, label: parts[1], sub: i === 0 || parts[1] === '01' || i === all.length - 1 ? parts[0] : '' };
    };

    drawFigure('chart-monthly', function (title, width) {
      return window.Charts.columnChart(monthly.map(function (m, i, all) { return Object.assign(monthCol(m, i, all), { values: [m.in, m.out] }); }),
        { title: title, empty: t('no_data'), width: width, className: 'monthly', series: [{ name: t('series_in') }, { name: t('series_out') }], format: num });
    }, [t('col_month'), t('col_in'), t('col_out')], monthly.map(function (m) { return [m.month, num(m.in), num(m.out)]; }));

    const wasteCols = [t('col_out'), t('col_discarded'), t('col_late'), t('col_wasted')];
    const wasteCells = function (w) { return [num(w.taken_out), num(w.discarded), num(w.late), t('n_share', num(w.wasted), pct(w.share))]; };
    const o = waste.overall;
    drawFigure('chart-waste-month', function (title, width) {
      return window.Charts.columnChart(waste.months.map(function (m, i, all) { return Object.assign(monthCol(m, i, all), { values: [m.share] }); }),
        { title: title, empty: t('no_data'), width: width, className: 'waste', format: pct });
    }, [t('col_month')].concat(wasteCols), waste.months.map(function (m) { return [m.month].concat(wasteCells(m)); }),
    t('waste_overall', num(o.wasted), num(o.taken_out), pct(o.share), num(o.discarded), num(o.late)));

    drawFigure('chart-waste-type', function (title, width) {
      return window.Charts.barChart(waste.types.map(function (w) {
        return { id: w.type.id, label: typeLabel(w.type), value: w.share, text: pct(w.share), note: t('n_of', num(w.wasted), num(w.taken_out)) };
      }), { title: title, empty: t('no_data'), className: 'waste', width: width });
    }, [t('type')].concat(wasteCols), waste.types.map(function (w) { return [typeLabel(w.type)].concat(wasteCells(w)); }));

    drawFigure('chart-time', function (title, width) {
      return window.Charts.barChart(time.types.map(function (d) {
        return { id: d.type.id, label: typeLabel(d.type), value: d.average_days, text: t('days_short', num(d.average_days, 1)), note: t('n_taken_out', num(d.count)) };
      }), { title: title, empty: t('no_data'), className: 'time', width: width });
    }, [t('type'), t('col_avg_days'), t('col_out')], time.types.map(function (d) { return [typeLabel(d.type), num(d.average_days), num(d.count)]; }));

    const row = function (r) {
      return { id: r.type.id, label: typeLabel(r.type), value: r.count, note: r.latest ? t('last_out', r.latest) : '' };
    };
    drawFigure('chart-general', function (title, width) {
      return window.Charts.barChart(got[3].map(function (r) { return Object.assign(row(r), { note: '' }); }), { title: title, empty: t('no_data'), className: 'general', width: width });
    }, [t('type'), t('col_products')], got[3].map(function (r) { return [typeLabel(r.type), num(r.count)]; }));
    drawFigure('chart-personal', function (title, width) {
      return window.Charts.barChart(got[4].map(row), { title: title, empty: t('no_data'), className: 'personal', width: width });
    }, [t('type'), t('col_products'), t('col_last_out')], got[4].map(function (r) { return [typeLabel(r.type), num(r.count), r.latest || '—']; }));
  }

  // drawFigure puts a chart in the figure id, with a summary line and its
  // numbers (head: the column names, rows: the cells) in a table under it.
  // Months (YYYY-MM) are never broken across lines.
  function drawFigure(id, chart, head, rows, summary) {
    const fig = $('#' + id), box = $('.chart-box', fig);
    const caption = $('figcaption', fig).textContent;
    const table = el('table', { class: 'chart-table' },
      el('caption', { class: 'visually-hidden' }, caption),
      el('thead', {}, el('tr', {}, ...head.map(function (h, i) { return el('th', { scope: 'col', class: i ? 'num' : '' }, h); }))),
      el('tbody', {}, ...rows.map(function (r) {
        return el('tr', {}, ...r.map(function (c, i) { return i ? el('td', { class: 'num' }, c) : el('th', { scope: 'row', class: /^\d{4}-\d\d$/.test(c) ? 'date' : '' }, c); }));
      })));
    const parts = [chart(caption, box.clientWidth)];
    if (summary) parts.push(el('p', { class: 'hint chart-summary' }, summary));
    parts.push(el('details', { class: 'numbers' }, el('summary', {}, t('numbers')),
      rows.length ? el('div', { class: 'table-scroll' }, table) : el('p', { class: 'hint' }, t('no_data'))));
    box.replaceChildren(...parts);
  }

  // num writes a number the user's way; pct a share (0..1) as a percentage.
  function num(n, digits) { return new Intl.NumberFormat(state.lang, { maximumFractionDigits: digits === undefined ? 2 : digits }).format(n); }
  function pct(share) { return new Intl.NumberFormat(state.lang, { style: 'percent', maximumFractionDigits: 0 }).format(share); }

  // --- devices ---------------------------------------------------------
  async function loadDevices() {
    const list = await listAll('devices');
    const rows = list.map(function (d) {
      return el('tr', { dataset: { id: d.id } },
        el('td', { 'data-label': t('name') }, d.name),
        el('td', { 'data-label': t('kind') }, t('kind_' + d.kind)),
        el('td', { 'data-label': t('device_id') }, el('code', {}, d.id)),
        el('td', { 'data-label': t('freezer') }, d.freezer_id ? freezerName(d.freezer_id) : '—'),
        el('td', { 'data-label': t('mode') }, d.mode ? t('mode_' + d.mode) : '—'), // an integration has none
        el('td', { 'data-label': t('online') }, el('span', { class: 'badge ' + (d.online ? 'online' : 'out') }, t(d.online ? 'online' : 'offline'))),
        el('td', { 'data-label': t('last_seen'), class: 'date' }, d.last_seen_at ? dateTime(d.last_seen_at) : '—'),
        el('td', {}, el('button', { type: 'button', class: 'small danger', onclick: function () { revokeDevice(d); } }, t('revoke'))));
    });
    $('#device-table tbody').replaceChildren.apply($('#device-table tbody'), rows);
    $('#devices-empty').hidden = rows.length > 0;
  }

  function addDevice(e) {
    e.preventDefault();
    const form = e.target;
    const body = { name: form.name.value, kind: form.kind.value };
    if (body.kind === 'scanner') body.mode = form.mode.value;
    if (form.freezer_id.value) body.freezer_id = Number(form.freezer_id.value);
    run(async function () {
      const created = await api('POST', 'devices', body);
      form.reset();
      const dl = $('#device-credentials dl');
      dl.replaceChildren();
      for (const [k, v] of Object.entries(created.credentials)) {
        if (!v) continue; // an integration has no scan settings
        dl.append(el('dt', {}, t('cred_' + k)), el('dd', {}, k === 'esphome' || k === 'scanner_bridge' ? el('pre', {}, v) : el('code', {}, v)));
      }
      $('#device-credentials').hidden = false;
      await loadDevices();
    }, t('device_added', body.name));
  }

  function revokeDevice(d) {
    if (!confirm(t('confirm_revoke_device', d.name))) return;
    run(async function () {
      await api('DELETE', 'devices/' + encodeURIComponent(d.id));
      $('#device-credentials').hidden = true;
      await loadDevices();
    }, t('device_revoked', d.name));
  }

  document.addEventListener('DOMContentLoaded', function () { boot().catch(function (e) { message(e.message, 'error'); }); });
})();
