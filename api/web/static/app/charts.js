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
  // ({id, label, value, text, note}), scaled to the largest value and laid
  // out for width pixels so that text keeps its size on a phone. A row's
  // text (default: its value) is written after its bar, its note on a
  // second line, under it.
  function barChart(rows, opts) {
    const width = Math.max(280, Math.round(opts.width || 560));
    const notes = rows.some(function (r) { return r.note; });
    const rowH = notes ? 44 : 28, pad = 6;
    const labelW = Math.round(Math.min(200, width * 0.38));
    const shown = function (r) { return r.text !== undefined ? r.text : String(r.value); };
    const longest = Math.max(1, ...rows.map(function (r) { return shown(r).length; }));
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
      const label = node('text', { x: labelW - 6, y: y + 18, 'text-anchor': 'end' }, shorten(r.label, Math.floor((labelW - 8) / 8)));
      label.appendChild(node('title', {}, r.label));
      g.appendChild(label);
      const w = Math.max(2, (r.value / top) * barMax);
      const bar = node('rect', { class: 'bar', x: labelW, y: y + 5, width: w.toFixed(1), height: 18, rx: 3 });
      bar.appendChild(node('title', {}, r.label + ': ' + shown(r)));
      g.appendChild(bar);
      g.appendChild(node('text', { class: 'value', x: labelW + w + 6, y: y + 18 }, shown(r)));
      if (r.note) g.appendChild(node('text', { class: 'note', x: labelW, y: y + 37 }, r.note));
      svg.appendChild(g);
    });
    return svg;
  }

  // columnChart returns an SVG of vertical bars: a group per column
  // ({id, label, sub, values}), one bar per series (opts.series: [{name}]),
  // scaled to the largest value. The label goes under its group, and sub
  // (the year of a month) under that. A bar's value is written above it
  // when it fits; opts.format writes values (default String).
  function columnChart(cols, opts) {
    const width = Math.max(280, Math.round(opts.width || 560));
    const series = opts.series || [{ name: '' }];
    const fmt = opts.format || String;
    const legendH = series.length > 1 ? 24 : 0;
    const top = legendH + 20, plotH = 150, left = 4, right = 4;
    const height = top + plotH + 36;
    const svg = node('svg', { viewBox: '0 0 ' + width + ' ' + height, width: width, height: height,
      class: 'chart columns ' + (opts.className || ''), role: 'img', 'aria-label': opts.title });
    svg.appendChild(node('title', {}, opts.title));
    if (!cols.length) {
      svg.appendChild(node('text', { x: left + 2, y: 24 }, opts.empty));
      return svg;
    }
    if (legendH) {
      let x = left;
      series.forEach(function (s, i) {
        svg.appendChild(node('rect', { class: 'bar s' + i, x: x, y: 6, width: 12, height: 12, rx: 2 }));
        const label = node('text', { class: 'legend', x: x + 17, y: 16 }, s.name);
        svg.appendChild(label);
        x += 17 + s.name.length * 7 + 18;
      });
    }
    const max = Math.max(1e-9, ...cols.map(function (c) { return Math.max(0, ...c.values); }));
    const base = top + plotH;
    // The largest value, as a line across the plot: a scale when the bars
    // are too narrow to carry their own numbers.
    svg.appendChild(node('line', { class: 'grid', x1: left, x2: width - right, y1: top, y2: top }));
    svg.appendChild(node('text', { class: 'value', x: width - right, y: top - 4, 'text-anchor': 'end' }, fmt(max)));
    svg.appendChild(node('line', { class: 'axis', x1: left, x2: width - right, y1: base, y2: base }));
    const groupW = (width - left - right) / cols.length;
    const gap = Math.max(2, groupW * 0.22);
    const barW = (groupW - gap) / series.length;
    cols.forEach(function (c, i) {
      const x0 = left + i * groupW + gap / 2;
      const g = node('g', { class: 'col', 'data-id': c.id, 'data-values': c.values.join(' ') });
      c.values.forEach(function (v, j) {
        const h = v > 0 ? Math.max(2, (v / max) * plotH) : 0;
        const x = x0 + j * barW;
        const bar = node('rect', { class: 'bar s' + j, x: x.toFixed(1), y: (base - h).toFixed(1), width: Math.max(1, barW - 1).toFixed(1), height: h.toFixed(1), rx: 2 });
        bar.appendChild(node('title', {}, c.label + (c.sub ? ' ' + c.sub : '') + (series[j].name ? ' · ' + series[j].name : '') + ': ' + fmt(v)));
        g.appendChild(bar);
        const text = fmt(v);
        if (text.length * 6.2 <= barW + gap * 0.8 && (v > 0 || opts.zeros)) {
          g.appendChild(node('text', { class: 'value', x: (x + barW / 2).toFixed(1), y: (base - h - 3).toFixed(1), 'text-anchor': 'middle' }, text));
        }
      });
      const mid = (left + (i + 0.5) * groupW).toFixed(1);
      g.appendChild(node('text', { class: 'tick', x: mid, y: base + 14, 'text-anchor': 'middle' }, c.label));
      if (c.sub) g.appendChild(node('text', { class: 'tick sub', x: mid, y: base + 29, 'text-anchor': 'middle' }, c.sub));
      svg.appendChild(g);
    });
    return svg;
  }

  return { barChart: barChart, columnChart: columnChart };
})();
