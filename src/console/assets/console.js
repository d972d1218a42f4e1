// Hearthook console: progressive enhancement over server-rendered pages. Everything works
// without this file except the live parts (Server-Sent Events) and the charts (uPlot).
(() => {
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

  // Theme: the button flips between light and dark and remembers the choice in this browser.
  $('.theme-toggle')?.addEventListener('click', () => {
    const dark = document.documentElement.dataset.theme
      ? document.documentElement.dataset.theme === 'dark'
      : matchMedia('(prefers-color-scheme: dark)').matches;
    document.documentElement.dataset.theme = dark ? 'light' : 'dark';
    localStorage.setItem('hearthook-theme', document.documentElement.dataset.theme);
    for (const redraw of redraws) redraw();
  });

  for (const form of $$('form[data-confirm]')) {
    form.addEventListener('submit', (e) => {
      if (!confirm(form.dataset.confirm)) e.preventDefault();
    });
  }

  // Forms marked data-inline post in the background; the live stream shows what they changed.
  document.addEventListener('submit', async (e) => {
    const form = e.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-inline')) return;
    e.preventDefault();
    const button = $('button', form);
    button.disabled = true;
    try {
      const res = await fetch(form.action, {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(new FormData(form)),
        credentials: 'same-origin',
      });
      const answer = await res.json().catch(() => ({}));
      button.textContent = res.ok ? 'Queued' : 'Failed';
      button.title = answer.notice ?? answer.title ?? '';
      // The row is replaced by the live stream within a second: the answer stays readable above.
      if (button.title) say(button.title, res.ok ? 'ok' : 'error');
    } catch {
      button.disabled = false;
    }
  });

  /** A notice at the top of the page (a live region), replacing the previous one. */
  const say = (text, kind) => {
    $('[data-inline-notice]')?.remove();
    const notice = document.createElement('p');
    notice.className = `notice notice-${kind}`;
    notice.setAttribute('role', 'status');
    notice.dataset.inlineNotice = '';
    notice.textContent = text;
    $('#main')?.prepend(notice);
  };

  // A page that answered a form's POST carries the page's own address: put it in the address bar,
  // so a reload shows the page again instead of repeating the action (a second test event, a
  // recover run twice), and the address can be opened again later.
  const answered = $('[data-page-url]');
  if (answered && location.pathname + location.search !== answered.dataset.pageUrl) history.replaceState(null, '', answered.dataset.pageUrl);

  /** The live state beside a live page's title, in words (a live region) and as the dot. */
  const LIVE_TEXT = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', paused: 'Paused', off: 'Not live' };
  const setLive = (state) => {
    for (const el of $$('[data-live-state]')) {
      el.classList.toggle('on', state === 'live');
      el.dataset.liveState = state;
      const text = $('[data-live-text]', el);
      if (text && text.textContent !== LIVE_TEXT[state]) text.textContent = LIVE_TEXT[state];
    }
  };
  const refused = async (src) => {
    const asked = new AbortController();
    const res = await fetch(src, { headers: { accept: 'application/json' }, credentials: 'same-origin', signal: asked.signal }).catch(() => undefined);
    if (!res || res.ok) return asked.abort();
    const problem = await res.json().catch(() => ({}));
    const notice = document.createElement('p');
    notice.className = 'notice notice-error';
    notice.setAttribute('role', 'status');
    notice.dataset.liveRefused = '';
    notice.textContent = `Not live: ${problem.title ?? `the server answered ${res.status}`}.`;
    $('#main')?.prepend(notice);
  };
  /**
   * A live view's stream, open while its tab is shown. A hidden tab gives its connection back: a
   * browser keeps six per host over HTTP/1.1 and each open stream holds one, so six tabs left open
   * would stall every other page of the console. Shown again, the tab reopens it (one refused
   * before, e.g. while the session had too many open, is tried again then).
   */
  const stream = (src, handlers) => {
    let source;
    const open = () => {
      $('[data-live-refused]')?.remove();
      setLive('connecting');
      source = new EventSource(src);
      const opened = source;
      opened.onopen = () => setLive('live');
      opened.onerror = () => {
        // The connection dropped (the server restarting, the network gone): the browser retries.
        if (opened.readyState === EventSource.CONNECTING) return setLive('reconnecting');
        setLive('off');
        // Refused (e.g. this session has too many live views open), the browser does not retry: say why.
        refused(src);
      };
      opened.addEventListener('signed-out', () => {
        opened.close();
        location.assign('/console/sign-in');
      });
      for (const [name, fn] of Object.entries(handlers)) opened.addEventListener(name, (e) => fn(JSON.parse(e.data)));
    };
    const close = () => {
      source?.close();
      source = undefined;
      setLive('paused');
    };
    document.addEventListener('visibilitychange', () => {
      if (document.hidden) close();
      else if (!source || source.readyState === EventSource.CLOSED) open();
    });
    addEventListener('pagehide', close);
    if (!document.hidden) open();
  };

  /**
   * Where a row not shown yet goes in a log ordered newest first: above the row the server lists
   * just below it (`below`), else above the first row made before it. Older than every row shown,
   * it belongs to the Older pages when there are some (not added), else at the end.
   */
  const placeRow = (body, row, { below, createdAt }) => {
    const listedBelow = below && document.getElementById(`delivery-${below}`);
    const next = listedBelow?.parentElement === body ? listedBelow : $$('tr[data-created]', body).find((tr) => Number(tr.dataset.created) < createdAt);
    if (next) next.before(row);
    else if ($('[data-older]')) return false;
    else body.append(row);
    return true;
  };

  // The delivery log: each `row` event replaces its row or adds it where it belongs.
  const table = $('[data-live-table]');
  if (table) {
    const body = $('tbody', table);
    stream(table.dataset.src, {
      row: ({ id, html, ...place }) => {
        const t = document.createElement('template');
        t.innerHTML = html.trim();
        const row = t.content.firstElementChild;
        const old = document.getElementById(`delivery-${id}`);
        if (old) {
          if (old.outerHTML === row.outerHTML) return;
          old.replaceWith(row);
        } else {
          if (!placeRow(body, row, place)) return;
          keepNewest(body);
        }
        row.classList.add('flash');
        const empty = $('[data-empty]');
        if (empty) empty.hidden = true;
      },
    });
  }

  /**
   * A log left open keeps its newest LIVE_ROWS rows; "Older" then pages on from the last one
   * kept (the API's cursor: `after` is a row's id), so nothing falls between the two.
   */
  const LIVE_ROWS = 200;
  function keepNewest(body) {
    const rows = $$('tr', body);
    if (rows.length <= LIVE_ROWS) return;
    for (const row of rows.slice(LIVE_ROWS)) row.remove();
    let older = $('[data-older]');
    if (!older) {
      const pager = document.createElement('nav');
      pager.className = 'pager';
      pager.setAttribute('aria-label', 'Pages of the log');
      older = document.createElement('a');
      older.rel = 'next';
      older.dataset.older = '';
      older.textContent = 'Older →';
      pager.append(older);
      body.closest('.table-wrap').append(pager);
    }
    const next = new URL(location.href);
    next.searchParams.set('after', rows[LIVE_ROWS - 1].id.replace('delivery-', ''));
    older.href = next.pathname + next.search;
  }

  // Fleet counters.
  const counters = $('[data-live-counters]');
  if (counters) {
    stream(counters.dataset.src, {
      counters: (c) => {
        for (const el of $$('[data-counter]')) {
          const v = c[el.dataset.counter];
          el.textContent = el.dataset.format === 'age' ? `${(v / 1000).toFixed(1)} s` : String(v);
        }
        const dead = $('[data-dead-letters]');
        if (dead) {
          dead.replaceChildren(
            ...c.deadLetters.map((d) => {
              const tr = document.createElement('tr');
              const name = document.createElement('td');
              name.textContent = d.companyName;
              const n = document.createElement('td');
              n.className = 'num';
              n.textContent = String(d.dead);
              tr.append(name, n);
              return tr;
            }),
          );
          const empty = $('[data-dead-empty]');
          if (empty) empty.hidden = c.deadLetters.length > 0;
        }
      },
    });
  }

  // Charts: data from the database, per minute (hour) or quarter hour (day).
  const redraws = [];
  const PALETTE = ['#f97316', '#3b82f6', '#a855f7', '#14b8a6', '#eab308', '#ef4444'];
  const axis = (extra = {}) => ({
    size: 58,
    stroke: css('--muted'),
    grid: { stroke: css('--border'), width: 1 },
    ticks: { stroke: css('--border'), width: 1 },
    ...extra,
  });
  const line = (label, color, extra = {}) => ({ label, stroke: color, width: 2, points: { show: false }, ...extra });
  // A webhook's minutes without attempts are gaps: points show a lone minute between them.
  const dots = { points: { show: true, size: 5 } };
  // Sampled counters: a point only for a sample with no neighbour (the first one, the current minute).
  const lone = {
    points: {
      show: true,
      size: 5,
      filter: (u, si) => u.data[si].flatMap((v, i, d) => (v !== null && (d[i - 1] ?? null) === null && (d[i + 1] ?? null) === null ? [i] : [])),
    },
  };
  const ms = (_, ticks) => ticks.map((v) => (v === null ? '' : `${v} ms`));
  const perSecond = (_, ticks) => ticks.map((v) => `${v}/s`);
  // The footer says "times in UTC": so do the time axes and the cursor's legend.
  const utc = (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC');
  const hhmm = (_, ticks) => ticks.map((t) => new Date(t * 1000).toISOString().slice(11, 16));
  const when = { value: (_, t) => (t === null ? '—' : `${new Date(t * 1000).toISOString().slice(0, 16).replace('T', ' ')}Z`) };
  // Counts: whole-number ticks from 0.
  const whole = { y: { range: (_u, _min, max) => [0, Math.max(4, max ?? 0)] } };
  const wholeAxis = () => axis({ incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6] });
  const SHAPES = {
    webhook: (d) => ({
      data: [d.times, d.successRate.map((v) => (v === null ? null : v * 100)), d.p50, d.p99],
      series: [
        {},
        line('Success %', '#22c55e', { ...dots, scale: '%', value: (_, v) => (v === null ? '—' : `${v.toFixed(1)} %`) }),
        line('p50 ms', '#3b82f6', { ...dots, scale: 'ms' }),
        line('p99 ms', '#f97316', { ...dots, scale: 'ms', dash: [6, 4] }),
      ],
      scales: { '%': { range: [0, 100] }, ms: { range: (_u, _min, max) => [0, Math.max(10, max ?? 0)] } },
      axes: [axis(), axis({ scale: '%', values: (_, t) => t.map((v) => `${v}%`) }), axis({ scale: 'ms', side: 1, grid: { show: false }, values: ms })],
    }),
    events: (d) => ({
      data: [d.times, ...Object.values(d.events)],
      series: [{}, ...Object.keys(d.events).map((t, i) => line(t, PALETTE[i % PALETTE.length], { value: (_, v) => (v === null ? '—' : v.toFixed(2)) }))],
      axes: [axis(), axis({ values: perSecond })],
    }),
    outcomes: (d) => ({
      data: [d.times, d.delivered, d.failed, d.dead],
      series: [{}, line('delivered', '#22c55e'), line('failed, retried', '#f97316'), line('dead', '#ef4444', { dash: [6, 4] })],
      axes: [axis(), axis({ values: perSecond })],
    }),
    // Counters sampled once a minute (a gap where none was taken).
    gateways: (d) => ({
      data: [d.times, d.samples.gatewaysOnline, d.samples.gatewaysOffline],
      series: [{}, line('online', '#22c55e', lone), line('offline', '#94a3b8', lone)],
      scales: whole,
      axes: [axis(), wholeAxis()],
    }),
    queue: (d) => ({
      data: [d.times, d.samples.queueDepth, d.samples.oldestDueAge],
      series: [{}, line('queued', '#3b82f6', lone), line('oldest due, s', '#f97316', { ...lone, scale: 's', dash: [6, 4] })],
      scales: { ...whole, s: { range: (_u, _min, max) => [0, Math.max(1, max ?? 0)] } },
      axes: [axis(), wholeAxis(), axis({ scale: 's', side: 1, grid: { show: false }, values: (_, t) => t.map((v) => `${v} s`) })],
    }),
    endpoints: (d) => ({
      data: [d.times, d.samples.failingEndpoints, d.samples.openCircuits],
      series: [{}, line('failing', '#f97316', lone), line('circuit open', '#ef4444', { ...lone, dash: [6, 4] })],
      scales: whole,
      axes: [axis(), wholeAxis()],
    }),
    deadLetters: (d) => ({
      data: [d.times, d.samples.deadLetters],
      series: [{}, line('dead', '#ef4444', lone)],
      scales: whole,
      axes: [axis(), wholeAxis()],
    }),
  };
  // The system's theme can change under an open page (and the browser tests switch it).
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
    for (const redraw of redraws) redraw();
  });
  // Charts of one source share one request: the fleet page's six charts are one query every 15 s.
  const bySource = new Map();
  for (const fig of $$('[data-chart]')) {
    const plotEl = $('.plot', fig);
    let plot;
    let last;
    const draw = () => {
      if (!last || !window.uPlot) return;
      plot?.destroy();
      const shape = SHAPES[fig.dataset.chart](last);
      shape.series[0] = when;
      shape.axes[0] = axis({ values: hhmm });
      plot = new uPlot({ width: Math.max(plotEl.clientWidth, 260), height: 220, tzDate: utc, cursor: { drag: { x: false, y: false } }, ...shape }, shape.data, plotEl);
    };
    redraws.push(draw);
    if (!bySource.has(fig.dataset.src)) bySource.set(fig.dataset.src, []);
    bySource.get(fig.dataset.src).push({
      webhook: fig.dataset.chart === 'webhook',
      show: (data) => {
        last = data;
        draw();
      },
    });
    new ResizeObserver(() => plot && plot.width !== plotEl.clientWidth && plot.setSize({ width: Math.max(plotEl.clientWidth, 260), height: 220 })).observe(plotEl);
  }
  for (const [src, charts] of bySource) {
    const load = async () => {
      try {
        const res = await fetch(src, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
        if (res.ok) {
          const data = await res.json();
          for (const chart of charts) chart.show(data);
        }
      } catch {}
    };
    load();
    setInterval(load, charts.some((c) => c.webhook) ? 30_000 : 15_000);
  }
})();
