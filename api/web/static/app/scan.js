// The scan page: the phone at the freezer door is a scanner of the household.
// Each code the camera reads (or that is typed) is a scan with its own id,
// sent to POST /api/v1/devices/{id}/scans: the hub's pipeline applies it
// once and answers its ack. Scans that cannot be sent wait in localStorage
// and are sent again, with the same ids, when the connection is back.
'use strict';
(function () {
  const TOKEN_KEY = 'freezer_token';
  const DEVICE_KEY = 'freezer_scan_device'; // {id, user}: this browser's scanner
  const QUEUE_KEY = 'freezer_scan_queue';   // scans not answered yet, oldest first
  const SAME_CODE_MS = 2500;                // a label out of view for less than this is still the same scan
  const FRAME_MS = 350;                     // between two frames read
  const params = new URLSearchParams(location.search);
  const state = { lang: 'en', token: '', me: null, device: null, mode: 'out', sent: 0, run: randomPart(),
    last: { code: '', at: 0, left: false }, flushing: false, detector: null, reading: false };

  const $ = function (sel) { return document.querySelector(sel); };
  function t() { return window.Freezer.text.apply(null, [state.lang].concat(Array.from(arguments))); }
  function applyTexts() { window.Freezer.applyTexts(state.lang); }
  // randomPart is this page load's part of every scan id: ids never repeat,
  // whatever a previous load counted.
  function randomPart() {
    const b = new Uint8Array(6);
    crypto.getRandomValues(b);
    return Array.from(b, function (x) { return x.toString(16).padStart(2, '0'); }).join('');
  }

  function api(method, path, body) { return window.Freezer.api(state.token, method, path, body); }

  // --- the scanner device of this browser ---------------------------------
  async function scannerDevice() {
    const kept = JSON.parse(localStorage.getItem(DEVICE_KEY) || 'null');
    if (kept && kept.user === state.me.user.id) {
      try {
        return await api('GET', 'devices/' + encodeURIComponent(kept.id));
      } catch (e) {
        if (e.status !== 404) throw e; // revoked: make another
      }
    }
    const household = state.me.households[0];
    const created = await api('POST', 'devices', { household_id: household.id, name: t('scan_device_name'), kind: 'scanner', mode: 'out' });
    const device = created.device;
    localStorage.setItem(DEVICE_KEY, JSON.stringify({ id: device.id, user: state.me.user.id }));
    return device;
  }

  // --- the queue of scans -------------------------------------------------
  function queue() { return JSON.parse(localStorage.getItem(QUEUE_KEY) || '[]'); }
  function saveQueue(q) {
    localStorage.setItem(QUEUE_KEY, JSON.stringify(q));
    const n = q.filter(function (s) { return s.device === state.device.id; }).length;
    $('#queue-state').hidden = n === 0;
    $('#queue-state').textContent = t('scan_queued', n);
  }

  function scan(code, mode) {
    state.sent++;
    const s = { device: state.device.id, id: state.device.id + '-' + state.run + '-' + state.sent, code: code };
    if (mode) s.mode = mode;
    const q = queue();
    q.push(s);
    saveQueue(q);
    flush();
  }

  // flush sends the queued scans of this device in order, each until it is
  // answered; a failed send keeps it (and those after it) for later.
  async function flush() {
    if (state.flushing) return;
    state.flushing = true;
    try {
      for (;;) {
        const next = queue().find(function (s) { return s.device === state.device.id; });
        if (!next) break;
        let ack;
        try {
          ack = await api('POST', 'devices/' + encodeURIComponent(next.device) + '/scans', { id: next.id, code: next.code, mode: next.mode });
        } catch (e) {
          if (e.status >= 400 && e.status < 500 && e.status !== 408 && e.status !== 429) {
            ack = { id: next.id, status: 'error', msg: e.message }; // refused for good: not sent again
          } else {
            show({ status: 'queued', msg: t('scan_offline') }, next.code);
            break;
          }
        }
        saveQueue(queue().filter(function (s) { return s.id !== next.id; }));
        answered(ack, next.code);
      }
    } finally {
      state.flushing = false;
    }
  }

  function answered(ack, code) {
    if (ack.op === 'mode' && ack.status === 'ok') setMode(ack.msg.replace(/^mode /, ''));
    show(ack, code);
    feedback(ack.status === 'ok');
    const li = document.createElement('li');
    li.className = 'st-' + ack.status;
    li.textContent = [ack.status, ack.op, ack.product, ack.location, ack.msg].filter(Boolean).join(' · ');
    $('#recent').prepend(li);
    while ($('#recent').children.length > 8) $('#recent').lastChild.remove();
  }

  function show(ack, code) {
    const banner = $('#banner');
    banner.className = 'banner st-' + ack.status;
    banner.replaceChildren();
    const title = document.createElement('strong');
    title.textContent = ack.product || code;
    const detail = document.createElement('span');
    detail.textContent = [t('scan_status_' + ack.status), ack.location, ack.msg].filter(Boolean).join(' · ');
    banner.append(title, detail);
    banner.dataset.status = ack.status;
  }

  // feedback beeps and vibrates: one short high beep for ok, two low ones otherwise.
  let audio = null;
  function feedback(ok) {
    if (navigator.vibrate) navigator.vibrate(ok ? 80 : [150, 80, 150]);
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      const beeps = ok ? [0] : [0, 0.22];
      beeps.forEach(function (at) {
        const osc = audio.createOscillator(), gain = audio.createGain();
        osc.frequency.value = ok ? 1320 : 330;
        gain.gain.value = 0.15;
        osc.connect(gain).connect(audio.destination);
        osc.start(audio.currentTime + at);
        osc.stop(audio.currentTime + at + (ok ? 0.09 : 0.16));
      });
    } catch (e) { /* no sound here */ }
  }

  function setMode(mode) {
    if (!['in', 'out', 'move'].includes(mode)) return;
    state.mode = mode;
    document.querySelectorAll('.mode').forEach(function (b) {
      b.setAttribute('aria-checked', String(b.dataset.mode === mode));
      b.classList.toggle('active', b.dataset.mode === mode);
    });
  }

  // seen takes what one camera frame shows ('' for no code). A label that
  // stays in view is one scan, however slow the frames come: it is scanned
  // again only once a frame saw it gone and SAME_CODE_MS passed.
  function seen(code) {
    const now = Date.now();
    if (!code) {
      state.last.left = true;
      return;
    }
    if (code === state.last.code && (!state.last.left || now - state.last.at < SAME_CODE_MS)) {
      state.last.at = now;
      state.last.left = false;
      return;
    }
    state.last = { code: code, at: now, left: false };
    scan(code, state.mode);
  }

  // --- the camera ----------------------------------------------------------
  async function startCamera() {
    const video = $('#camera');
    try {
      video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment', width: { ideal: 1280 } }, audio: false });
    } catch (e) {
      $('#camera-error').hidden = false;
      $('#camera-error').textContent = t('scan_no_camera');
      return;
    }
    await video.play().catch(function () {});
    if (params.get('decoder') !== 'server' && 'BarcodeDetector' in window) {
      const formats = await window.BarcodeDetector.getSupportedFormats().catch(function () { return []; });
      const wanted = ['qr_code', 'ean_13', 'ean_8', 'upc_a', 'upc_e'].filter(function (f) { return formats.includes(f); });
      if (wanted.includes('qr_code')) state.detector = new window.BarcodeDetector({ formats: wanted });
    }
    document.body.dataset.decoder = state.detector ? 'browser' : 'server';
    setInterval(readFrame, FRAME_MS);
  }

  const canvas = document.createElement('canvas');
  async function readFrame() {
    const video = $('#camera');
    if (state.reading || !video.videoWidth || document.hidden) return;
    state.reading = true;
    try {
      if (state.detector) {
        const found = await state.detector.detect(video);
        seen(found.length ? found[0].rawValue : '');
        return;
      }
      if (!navigator.onLine) return;
      const scale = Math.min(1, 960 / Math.max(video.videoWidth, video.videoHeight));
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      canvas.getContext('2d').drawImage(video, 0, 0, canvas.width, canvas.height);
      const found = await api('POST', 'scan-image', { image: canvas.toDataURL('image/jpeg', 0.85) })
        .catch(function (e) { return e.status === 422 ? { code: '' } : null; }); // 422: no code in view
      if (found) seen(found.code);
    } finally {
      state.reading = false;
    }
  }

  // --- start ---------------------------------------------------------------
  async function boot() {
    state.lang = (navigator.language || 'en').toLowerCase().startsWith('fr') ? 'fr' : 'en';
    applyTexts();
    const res = await fetch('/app/session', { credentials: 'same-origin', headers: { Accept: 'application/json' } }).catch(function () { return null; });
    state.token = res && res.ok ? (await res.json()).token : sessionStorage.getItem(TOKEN_KEY) || '';
    if (!state.token) {
      $('#scan-connect').hidden = false;
      return;
    }
    try {
      state.me = await api('GET', 'me');
      state.lang = state.me.user.language === 'fr' ? 'fr' : 'en';
      applyTexts();
      state.device = await scannerDevice();
    } catch (e) {
      $('#scan-connect').hidden = false;
      return;
    }
    document.querySelectorAll('.mode').forEach(function (b) { b.addEventListener('click', function () { setMode(b.dataset.mode); }); });
    setMode('out');
    $('#manual').addEventListener('submit', function (e) {
      e.preventDefault();
      const code = e.target.code.value.trim();
      if (code) scan(code, state.mode); // typed twice on purpose: two scans
      e.target.code.value = '';
    });
    $('#undo').addEventListener('click', function () { scan('FZ-C-UNDO'); });
    window.addEventListener('online', flush);
    setInterval(flush, 5000);
    saveQueue(queue());
    document.body.dataset.ready = 'true';
    flush();
    startCamera();
  }

  document.addEventListener('DOMContentLoaded', boot);
})();
