// The Mingus operator console. Polls GET /dashboard/live every interval (2 s), fills the page and
// appends the new history points to the uPlot charts. Retry and cancel go to /admin/tasks with the
// browser's own credentials. No framework, no inline script or style: the page runs under
// Content-Security-Policy default-src 'self'. Text from the server is only ever set as textContent.
(function () {
  'use strict';

  const KEEP = 150;            // points per chart: 5 minutes at 2 s
  const POOLS = ['main', 'worker', 'analytics'];
  const ROLES = { main: 'web requests', worker: 'background tasks', analytics: 'read-only reports' };
  const STATES = ['queued', 'running', 'failed', 'succeeded', 'cancelled'];

  const state = {
    seq: 0,
    interval: 2000,
    lastOk: 0,
    tab: 'failed',
    lists: { failed: [], running: [], queued: [] },
    overrides: new Map(),      // task id -> { state, until }: what an action just did, until the data catches up
    openStacks: new Set(),
    signature: '',
    charts: {},
    series: { x: [], pools: [[], [], []], tasks: [[], [], []], pickup: [[], []], comms: [[], [], [], []] },
  };
  window.mingusConsole = state; // for people poking around, and for the browser test

  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function css(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  // formatting
  const nf = new Intl.NumberFormat('en-US');
  function int(n) { return n === null || n === undefined ? '–' : nf.format(Math.round(n)); }
  function ms(x) {
    if (x === null || x === undefined) return '–';
    if (x < 10) return x.toFixed(2);
    if (x < 100) return x.toFixed(1);
    return nf.format(Math.round(x));
  }
  function tickNumber(v) { return v >= 10 || v === 0 ? int(v) : String(+v.toFixed(1)); }
  function clock(sec) {
    const d = new Date(sec * 1000);
    return [d.getHours(), d.getMinutes(), d.getSeconds()].map(n => String(n).padStart(2, '0')).join(':');
  }
  function pct(x) { return x === null || x === undefined ? '–' : (x * 100).toFixed(x < 0.1 ? 1 : 0) + '%'; }
  function ago(iso) {
    if (!iso) return '';
    const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.round(s / 60) + ' min ago';
    if (s < 86400) return Math.round(s / 3600) + ' h ago';
    return Math.round(s / 86400) + ' d ago';
  }

  function setText(sel, text, root) {
    for (const e of $$(sel, root)) e.textContent = text;
  }

  // pools: one card each, built once
  function buildPools() {
    for (const name of POOLS) {
      const card = $('[data-pool="' + name + '"]');
      const head = el('header');
      const h = el('h3', null, name);
      h.appendChild(el('span', 'role', ROLES[name]));
      head.append(h, el('span', 'badge', '–'));
      head.lastChild.dataset.f = 'status';
      const meter = el('div', 'meter');
      const fill = el('div', 'meter-fill');
      fill.dataset.f = 'bar';
      meter.appendChild(fill);
      const facts = el('dl', 'facts');
      const fact = (label, fields, wide) => {
        const d = el('div', wide ? 'wide' : null);
        d.appendChild(el('dt', null, label));
        const dd = el('dd');
        fields.forEach((f, i) => {
          if (i > 0) dd.appendChild(document.createTextNode(' / '));
          const s = el('span', null, '–');
          s.dataset.f = f;
          dd.appendChild(s);
        });
        d.appendChild(dd);
        facts.appendChild(d);
      };
      fact('In use', ['checked_out']);
      fact('Idle', ['checked_in']);
      fact('Waiting', ['pending']);
      fact('Overflow', ['overflow']);
      fact('Size / max', ['pool_size', 'max_size']);
      fact('Errors', ['connection_errors']);
      fact('Timeouts', ['timeouts']);
      fact('Checkout avg / p99 ms', ['average_checkout_time_ms', 'p99_checkout_time_ms'], true);
      const foot = el('footer');
      const breaker = el('span');
      breaker.append('Breaker ');
      const b = el('span', 'badge', '–');
      b.dataset.f = 'circuit_breaker';
      breaker.appendChild(b);
      const ping = el('span');
      ping.append('Ping ');
      const p = el('b', null, '–');
      p.dataset.f = 'response_time_ms';
      ping.append(p, ' ms');
      foot.append(breaker, ping);
      card.append(head, meter, facts, foot);
    }
  }

  function renderDatabase(db) {
    if (!db || db.error) return db ? 'Database: ' + db.error : null;
    const k = db.kpis || {};
    setText('[data-k="active_connections"]', int(k.active_connections));
    setText('[data-k="total_connections"]', int(k.total_connections));
    setText('[data-k="connection_utilization"]', pct(k.connection_utilization));
    setText('[data-k="error_rate"]', pct(k.error_rate));
    setText('[data-k="average_checkout_time_ms"]', ms(k.average_checkout_time_ms));
    for (const name of POOLS) {
      const card = $('[data-pool="' + name + '"]');
      card.hidden = !(db.pools && name in db.pools);   // a web or worker process opens only its pools
      const m = (db.pools || {})[name] || {};
      const h = (db.health || {})[name] || {};
      for (const f of ['checked_out', 'checked_in', 'pending', 'overflow', 'pool_size', 'max_size', 'connection_errors', 'timeouts']) {
        setText('[data-f="' + f + '"]', int(m[f]), card);
      }
      setText('[data-f="average_checkout_time_ms"]', ms(m.average_checkout_time_ms), card);
      setText('[data-f="p99_checkout_time_ms"]', ms(m.p99_checkout_time_ms), card);
      setText('[data-f="response_time_ms"]', ms(h.response_time_ms), card);
      const status = $('[data-f="status"]', card);
      status.textContent = h.status || 'unknown';
      status.className = 'badge ' + (h.status || '');
      status.title = h.error || '';
      const breaker = $('[data-f="circuit_breaker"]', card);
      breaker.textContent = (h.circuit_breaker || 'unknown').replace('_', ' ');
      breaker.className = 'badge ' + (h.circuit_breaker || '');
      const util = m.max_size ? Math.min(1, m.checked_out / m.max_size) : 0;
      $('[data-f="bar"]', card).style.width = (util * 100).toFixed(1) + '%';
    }
    const s = db.sessions || {};
    $('#sessions').textContent = int(s.total) + ' transactions · ' + int(s.committed) + ' committed · '
      + int(s.rollbacks) + ' rolled back · ' + int(s.retries) + ' retried · ' + int(s.slow_queries) + ' slow';
    setOverall(db.status);
    return null;
  }

  function setOverall(status) {
    const o = $('#overall');
    o.dataset.state = status || 'unknown';
    const labels = { healthy: 'Healthy', degraded: 'Degraded', unhealthy: 'Unhealthy', offline: 'Offline' };
    $('#overall-text').textContent = labels[status] || 'Unknown';
  }

  function renderTaskNumbers(t) {
    const m = t.last_minute || {};
    setText('[data-k="tasks_succeeded"]', int(m.succeeded));
    setText('[data-k="tasks_failed"]', int((m.failed || 0) + (m.retried || 0)));
    setText('[data-k="tasks_retried"]', int(m.retried));
    setText('[data-k="pickup_p50"]', ms(m.pickup_p50_ms));
    setText('[data-k="pickup_p99"]', ms(m.pickup_p99_ms));
    let queued = 0, running = 0;
    for (const q of Object.values(t.counts && !t.counts.error ? t.counts : {})) {
      queued += q.queued || 0;
      running += q.running || 0;
    }
    setText('[data-k="tasks_queued"]', t.counts && !t.counts.error ? int(queued) : '–');
    setText('[data-k="tasks_running"]', t.counts && !t.counts.error ? int(running) : '–');
    const body = $('#depth tbody');
    body.textContent = '';
    const counts = t.counts || {};
    if (counts.error) return 'Task counts: ' + counts.error;
    const queues = Object.keys(counts);
    if (queues.length === 0) {
      const tr = el('tr', 'empty');
      const td = el('td', null, 'No tasks yet.');
      td.colSpan = 6;
      tr.appendChild(td);
      body.appendChild(tr);
    }
    for (const q of queues) {
      const tr = el('tr');
      tr.dataset.queue = q;
      tr.appendChild(el('th', null, q));
      for (const s of STATES) {
        const n = counts[q][s] || 0;
        const td = el('td', n === 0 ? 'zero' : (s === 'failed' ? 'hot' : null), int(n));
        td.dataset.state = s;
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
    return null;
  }

  function renderTaskLists(lists) {
    if (!lists || lists.error) return lists ? 'Task lists: ' + lists.error : null;
    state.lists = lists;
    for (const s of ['failed', 'running', 'queued']) {
      const n = (lists[s] || []).length;
      const c = $('[data-count="' + s + '"]');
      c.textContent = n >= 20 ? '20+' : String(n);
      c.classList.toggle('some', n > 0);
    }
    drawList();
    return null;
  }

  function effective(task) {
    const o = state.overrides.get(task.id);
    if (o && o.until > Date.now()) return o.state;
    state.overrides.delete(task.id);
    return task.state;
  }

  function drawList() {
    const list = $('#task-list');
    const items = state.lists[state.tab] || [];
    const signature = state.tab + '|' + items.map(t => [t.id, effective(t), t.attempt, t.last_error_message].join(':')).join(',');
    if (signature === state.signature) {
      refreshAges();
      return;
    }
    state.signature = signature;
    list.textContent = '';
    if (items.length === 0) {
      const empty = { failed: 'No failed tasks.', running: 'Nothing running right now.', queued: 'No task is waiting.' };
      list.appendChild(el('li', 'list-empty', empty[state.tab]));
      return;
    }
    for (const t of items) list.appendChild(taskItem(t));
  }

  function taskItem(t) {
    const shown = effective(t);
    const li = el('li', 'task');
    li.dataset.taskId = t.id;
    li.dataset.state = shown;
    const main = el('div', 'task-main');
    const title = el('div', 'task-title');
    const badge = el('span', 'badge ' + shown, shown);
    badge.dataset.role = 'state';
    title.append(badge, el('strong', null, t.name));
    const when = shown === 'running' ? t.started_at : (shown === 'failed' ? t.finished_at : t.created_at);
    const meta = el('span', 'task-meta', '#' + t.id + ' · ' + t.queue + ' · attempt ' + t.attempt + '/' + t.max_attempts + ' · ');
    const age = el('span', 'age', ago(when));
    age.dataset.at = when || '';
    meta.appendChild(age);
    title.appendChild(meta);
    main.appendChild(title);
    if (t.last_error_message || t.last_error_kind) {
      const err = el('div', 'task-error');
      err.dataset.role = 'error';
      if (t.last_error_kind) {
        const kind = /^[A-Z_]+$/.test(t.last_error_kind) ? t.last_error_kind.toLowerCase().replace(/_/g, ' ') : t.last_error_kind;
        err.appendChild(el('span', 'kind', kind));
      }
      err.appendChild(document.createTextNode(t.last_error_message || ''));
      main.appendChild(err);
    }
    if (t.last_error_stack) {
      const d = el('details');
      d.open = state.openStacks.has(t.id);
      d.addEventListener('toggle', () => d.open ? state.openStacks.add(t.id) : state.openStacks.delete(t.id));
      d.append(el('summary', null, 'Stack trace'), el('pre', null, t.last_error_stack));
      main.appendChild(d);
    }
    const actions = el('div', 'task-actions');
    if (shown === 'failed' || shown === 'cancelled') {
      actions.appendChild(actionButton(t, 'retry', 'Retry', 'primary'));
    } else if (shown === 'queued' && t.state === 'queued') {
      actions.appendChild(actionButton(t, 'cancel', 'Cancel', ''));
    } else if (shown === 'queued') {
      actions.appendChild(el('span', 'done', 'Queued again'));
    } else if (t.worker) {
      actions.appendChild(el('span', 'task-meta', t.worker));
    }
    li.append(main, actions);
    return li;
  }

  function actionButton(t, action, label, cls) {
    const b = el('button', 'btn ' + cls, label);
    b.type = 'button';
    b.dataset.action = action;
    b.addEventListener('click', () => act(t, action, b));
    return b;
  }

  async function act(t, action, button) {
    button.disabled = true;
    try {
      const r = await fetch('/admin/tasks/' + t.id + '/' + action, {
        method: 'POST', credentials: 'same-origin', headers: { Accept: 'application/json' },
      });
      const body = await r.json().catch(() => ({}));
      if (!r.ok) {
        toast(body.detail || ('The server answered ' + r.status), true);
        button.disabled = false;
        return;
      }
      state.overrides.set(t.id, { state: body.state, until: Date.now() + 6000 });
      state.signature = '';
      drawList();
      toast('Task ' + t.id + (action === 'retry' ? ' is queued again.' : ' is cancelled.'), false);
    } catch (e) {
      toast('Could not reach the server: ' + e.message, true);
      button.disabled = false;
    }
  }

  function refreshAges() {
    for (const a of $$('#task-list .age')) if (a.dataset.at) a.textContent = ago(a.dataset.at);
  }

  let toastTimer = null;
  function toast(text, error) {
    const t = $('#toast');
    t.textContent = text;
    t.className = 'toast' + (error ? ' error' : '');
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { t.hidden = true; }, 4000);
  }

  function renderComms(c) {
    const minute = c.last_minute || {};
    let sent = 0, suppressed = 0, failed = 0;
    for (const ch of ['sms', 'email']) {
      const m = minute[ch] || {};
      const row = $('[data-channel="' + ch + '"]');
      for (const s of ['sent', 'suppressed', 'failed']) {
        const td = $('[data-s="' + s + '"]', row);
        td.textContent = int(m[s] || 0);
        td.className = (m[s] || 0) === 0 ? 'zero' : (s === 'failed' ? 'hot' : '');
      }
      sent += m.sent || 0;
      suppressed += m.suppressed || 0;
      failed += m.failed || 0;
    }
    setText('[data-k="comms_sent"]', int(sent));
    setText('[data-k="comms_suppressed"]', int(suppressed));
    setText('[data-k="comms_failed"]', int(failed));
    const e = c.engagement || {};
    if (e.error) return 'Engagement: ' + e.error;
    for (const f of ['users', 'reached_last_day', 'total_communications', 'sms_count', 'email_count']) {
      setText('[data-e="' + f + '"]', int(e[f]));
    }
    const total = (e.sms_count || 0) + (e.email_count || 0);
    $('.split-bar').classList.toggle('none', total === 0);
    $('#split-sms').style.width = total === 0 ? '0' : ((e.sms_count / total) * 100).toFixed(1) + '%';
    return null;
  }

  // charts
  function chart(id, series, opts) {
    const host = $('#' + id);
    const grid = { stroke: css('--border'), width: 1 };
    const axis = { stroke: css('--muted'), grid: grid, ticks: { stroke: css('--border'), width: 1 }, font: '11px system-ui, sans-serif' };
    const u = new uPlot({
      width: Math.max(200, host.clientWidth),
      height: 190,
      cursor: { drag: { x: false, y: false }, points: { size: 6 } },
      legend: { live: false },
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(opts.floor || 1, (max || 0) * 1.15)] } },
      axes: [
        Object.assign({}, axis, { space: 64, values: (u, vals) => vals.map(clock) }),
        Object.assign({}, axis, { size: 42, values: (u, vals) => vals.map(tickNumber) }),
      ],
      series: [{}].concat(series.map(s => ({
        label: s.label,
        stroke: css(s.color),
        width: 2,
        fill: s.fill ? css(s.color) + '1f' : undefined,
        points: { show: false },
        spanGaps: false,
      }))),
    }, [[]].concat(series.map(() => [])), host);
    new ResizeObserver(() => {
      const w = Math.max(200, host.clientWidth);
      if (Math.abs(w - u.width) > 1) u.setSize({ width: w, height: 190 });
    }).observe(host);
    return u;
  }

  function buildCharts() {
    const c = state.charts;
    c.pools = chart('chart-pools', [
      { label: 'main', color: '--series-1', fill: true },
      { label: 'worker', color: '--series-2', fill: true },
      { label: 'analytics', color: '--series-3', fill: true },
    ], { floor: 4 });
    c.tasks = chart('chart-tasks', [
      { label: 'succeeded', color: '--series-ok', fill: true },
      { label: 'retried', color: '--series-warn' },
      { label: 'failed', color: '--series-bad' },
    ], { floor: 5 });
    c.pickup = chart('chart-pickup', [
      { label: 'p50', color: '--series-1' },
      { label: 'p99', color: '--series-4' },
    ], { floor: 5 });
    c.comms = chart('chart-comms', [
      { label: 'SMS sent', color: '--series-1', fill: true },
      { label: 'email sent', color: '--series-2', fill: true },
      { label: 'suppressed', color: '--series-grey' },
      { label: 'failed', color: '--series-bad' },
    ], { floor: 5 });
  }

  function appendHistory(points) {
    const s = state.series;
    for (const p of points) {
      s.x.push(p.t / 1000);
      POOLS.forEach((name, i) => s.pools[i].push(p.pools[name] ? p.pools[name].active : null));
      s.tasks[0].push(p.succeeded);
      s.tasks[1].push(p.retried);
      s.tasks[2].push(p.failed);
      s.pickup[0].push(p.pickup_p50_ms);
      s.pickup[1].push(p.pickup_p99_ms);
      const c = p.comms || {};
      const get = (ch, st) => (c[ch] && c[ch][st]) || 0;
      s.comms[0].push(get('sms', 'sent'));
      s.comms[1].push(get('email', 'sent'));
      s.comms[2].push(get('sms', 'suppressed') + get('email', 'suppressed'));
      s.comms[3].push(get('sms', 'failed') + get('email', 'failed'));
    }
    const extra = s.x.length - KEEP;
    if (extra > 0) {
      s.x.splice(0, extra);
      for (const group of [s.pools, s.tasks, s.pickup, s.comms]) for (const a of group) a.splice(0, extra);
    }
    if (points.length === 0) return;
    state.charts.pools.setData([s.x].concat(s.pools));
    state.charts.tasks.setData([s.x].concat(s.tasks));
    state.charts.pickup.setData([s.x].concat(s.pickup));
    state.charts.comms.setData([s.x].concat(s.comms));
  }

  // polling
  async function poll() {
    let next = state.interval;
    try {
      const r = await fetch('/dashboard/live?since=' + state.seq, {
        credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' },
      });
      if (r.status === 401 || r.status === 403) {
        banner('This dashboard needs the admin token: reload the page and sign in (any user name, the token as password).');
        setOverall('offline');
        next = 10000;
      } else if (!r.ok) {
        banner('The server answered ' + r.status + ' for /dashboard/live; retrying.');
      } else {
        render(await r.json());
      }
    } catch (e) {
      banner('Cannot reach the server (' + e.message + '); retrying every few seconds.');
      setOverall('offline');
    }
    setTimeout(poll, next);
  }

  function render(doc) {
    state.interval = doc.interval_ms || 2000;
    if (doc.seq < state.seq) {       // the server restarted: start the charts over
      state.seq = 0;
      for (const group of Object.values(state.series)) {
        if (Array.isArray(group[0])) group.forEach(a => { a.length = 0; }); else group.length = 0;
      }
    }
    const problems = [
      renderDatabase(doc.database),
      renderTaskNumbers(doc.tasks || {}),
      renderTaskLists((doc.tasks || {}).lists),
      renderComms(doc.communications || {}),
    ].filter(Boolean);
    appendHistory(doc.history || []);
    state.seq = doc.seq;
    state.lastOk = Date.now();
    state.updates = (state.updates || 0) + 1;
    banner(problems.join(' · '));
    tick();
  }

  function banner(text) {
    const b = $('#banner');
    b.textContent = text || '';
    b.hidden = !text;
  }

  function tick() {
    if (state.lastOk) {
      const s = Math.round((Date.now() - state.lastOk) / 1000);
      $('#updated').textContent = s <= 1 ? 'live · updated just now' : 'live · updated ' + s + ' s ago';
    }
  }

  function start() {
    buildPools();
    buildCharts();
    for (const t of $$('.tab')) {
      t.addEventListener('click', () => {
        state.tab = t.dataset.tab;
        for (const o of $$('.tab')) o.setAttribute('aria-selected', String(o === t));
        drawList();
      });
    }
    setInterval(tick, 1000);
    poll();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();
})();
