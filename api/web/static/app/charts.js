// Bar charts drawn as SVG by our own code: no chart library.
'use strict';
window.Charts = (function () {
  const NS = 'http://www.w3.org/2000/svg';

  function node(name, attrs, text) {
    const n = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
    if (text !== undefined) n.textContent = text; // text nodes only: names stay text
    return n;
  }

  function shorten(s, n) { return s.length > n ? s.slice(0, n - 1) + '…' : s; }

  // barChart returns an SVG of horizontal bars, one per row
  // ({id, label, value, note}), scaled to the largest value and laid out
  // for width pixels so that text keeps its size on a phone.
  // A row's note goes on a second line, under its bar.
  function barChart(rows, opts) {
    const width = Math.max(280, Math.round(opts.width || 560));
    const notes = rows.some(function (r) { return r.note; });
    const rowH = notes ? 44 : 28, pad = 6;
    const labelW = Math.round(Math.min(200, width * 0.38));
    const longest = Math.max(1, ...rows.map(function (r) { return String(r.value).length; }));
    const barMax = Math.max(20, width - labelW - longest * 8 - 18);
    const height = Math.max(rows.length, 1) * rowH + 2 * pad;
    const svg = node('svg', { viewBox: '0 0 ' + width + ' ' + height, width: width, height: height,
      class: 'chart ' + (opts.className || ''), role: 'img', 'aria-label': opts.title });
    svg.appendChild(node('title', {}, opts.title));
    if (!rows.length) {
      svg.appendChild(node('text', { x: pad, y: pad + 18 }, opts.empty));
      return svg;
    }
    const top = Math.max(1, ...rows.map(function (r) { return r.value; }));
    rows.forEach(function (r, i) {
      const y = pad + i * rowH;
      const g = node('g', { class: 'row', 'data-id': r.id, 'data-value': r.value });
      const label = node('text', { x: labelW - 6, y: y + 18, 'text-anchor': 'end' }, shorten(r.label, Math.floor(labelW / 7)));
      label.appendChild(node('title', {}, r.label));
      g.appendChild(label);
      const w = Math.max(2, (r.value / top) * barMax);
      const bar = node('rect', { class: 'bar', x: labelW, y: y + 5, width: w.toFixed(1), height: 18, rx: 3 });
      bar.appendChild(node('title', {}, r.label + ': ' + r.value));
      g.appendChild(bar);
      g.appendChild(node('text', { class: 'value', x: labelW + w + 6, y: y + 18 }, String(r.value)));
      if (r.note) g.appendChild(node('text', { class: 'note', x: labelW, y: y + 37 }, r.note));
      svg.appendChild(g);
    });
    return svg;
  }

  return { barChart: barChart };
})();
