// What the dashboard and the scan page share: their texts and their calls
// to the REST API.
'use strict';
window.Freezer = {
  // text returns the text of key in lang (English when lang lacks it);
  // {0}, {1}… take the arguments after key.
  text: function (lang, key) {
    const table = window.I18N[lang] || window.I18N.en;
    let s = table[key] !== undefined ? table[key] : window.I18N.en[key] !== undefined ? window.I18N.en[key] : key;
    for (let i = 2; i < arguments.length; i++) s = s.replace('{' + (i - 2) + '}', arguments[i]);
    return s;
  },

  // applyTexts writes the text of each [data-i18n] element in lang.
  applyTexts: function (lang) {
    document.documentElement.lang = lang;
    document.querySelectorAll('[data-i18n]').forEach(function (n) { n.textContent = window.Freezer.text(lang, n.dataset.i18n); });
  },

  // api calls /api/v1/path with a bearer token, body (when given) as JSON,
  // and returns the JSON answered (null for 204); an error carries the
  // API's message and the HTTP status.
  api: async function (token, method, path, body) {
    const opts = { method: method, headers: { Authorization: 'Bearer ' + token, Accept: 'application/json' } };
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    const res = await fetch('/api/v1/' + path, opts);
    if (res.status === 204) return null;
    const data = await res.json().catch(function () { return null; });
    if (!res.ok) {
      const err = new Error((data && data.error && data.error.message) || res.statusText);
      err.status = res.status;
      throw err;
    }
    return data;
  },
};
