/**
 * The status page served at `/` by `bamstream daemon --http`: one HTML file,
 * no external resources, reading the JSON API once a second. Read-only.
 */

/** The page. */
export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>bamstream daemon</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
  header { background: #1d2330; color: #fff; padding: 10px 20px; display: flex; gap: 24px; align-items: baseline; flex-wrap: wrap; }
  header h1 { font-size: 18px; margin: 0; }
  main { padding: 12px 20px; display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 16px; }
  section { background: #fff; border: 1px solid #dde1e7; border-radius: 6px; padding: 10px 12px; overflow: auto; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid #eef0f3; white-space: nowrap; }
  td.src { white-space: normal; word-break: break-all; }
  tr.run { cursor: pointer; } tr.run:hover, tr.sel { background: #eef4ff; }
  .st { font-weight: 600; font-size: 12px; padding: 1px 6px; border-radius: 3px; }
  .QUEUED { background: #e8eaef; } .STARTED { background: #dbe8ff; color: #0b4bb3; } .SUCCESS { background: #dcf5e3; color: #11692f; }
  .FAILURE { background: #fde1e1; color: #a11414; } .CANCELED { background: #f1e7d0; } .SKIPPED { background: #efe3f7; }
  .filters button { margin: 0 4px 6px 0; border: 1px solid #c9ced8; background: #fff; border-radius: 4px; padding: 2px 8px; cursor: pointer; }
  .filters button.on { background: #1d2330; color: #fff; }
  .bar { background: #e8eaef; height: 8px; border-radius: 4px; overflow: hidden; } .bar > div { background: #3b82f6; height: 8px; }
  .warn { background: #fde1e1; color: #a11414; padding: 6px 20px; font-weight: 600; }
  pre { white-space: pre-wrap; word-break: break-all; background: #f6f7f9; padding: 6px; margin: 4px 0; }
  .muted { color: #6b7280; }
</style>
</head>
<body>
<header><h1>bamstream daemon</h1><span id="daemon" class="muted">loading…</span><span id="backlog"></span><span id="lag"></span></header>
<div id="outage" class="warn" hidden></div>
<main>
  <section>
    <h2>Runs <span id="total" class="muted"></span></h2>
    <div class="filters" id="filters"></div>
    <table><thead><tr><th>ID</th><th>Status</th><th>Sensor</th><th>Op</th><th>Tries</th><th>Created</th><th>Progress</th><th>Source</th></tr></thead>
    <tbody id="runs"></tbody></table>
  </section>
  <div>
    <section id="detail"><h2>Run</h2><p class="muted">Select a run.</p></section>
    <section style="margin-top:16px"><h2>Sensors</h2>
      <table><thead><tr><th>Name</th><th>State</th><th>Op</th><th>Last tick</th><th>Took</th><th>Requested</th><th>Skipped</th><th>Queued</th></tr></thead>
      <tbody id="sensors"></tbody></table>
    </section>
  </div>
</main>
<script>
const STATUSES = ['QUEUED', 'STARTED', 'SUCCESS', 'FAILURE', 'CANCELED', 'SKIPPED']
let filter = new URLSearchParams(location.search).get('status') || ''
let selected = Number(new URLSearchParams(location.search).get('run')) || 0
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]))
const time = (ms) => ms ? new Date(ms).toLocaleString() : '-'
const dur = (ms) => ms == null ? '-' : ms < 1000 ? ms + ' ms' : (ms / 1000).toFixed(1) + ' s'
const mb = (b) => (b / 1e6).toFixed(1) + ' MB'
const badge = (s) => '<span class="st ' + s + '">' + s + '</span>'
const get = (u) => fetch(u, { cache: 'no-store' }).then((r) => r.json())
function progress(r) {
  const bytes = r.live ? r.live.bytes : r.progressBytes
  if (r.status !== 'STARTED' || bytes == null) return r.status === 'SUCCESS' && r.progressRecords != null ? r.progressRecords + ' rec' : ''
  const pct = r.size ? Math.min(100, 100 * bytes / r.size) : 0
  return '<div class="bar" title="' + mb(bytes) + '"><div style="width:' + pct.toFixed(0) + '%"></div></div>'
}
function filters(counts) {
  document.getElementById('filters').innerHTML = ['', ...STATUSES].map((s) =>
    '<button data-filter="' + s + '" class="' + (s === filter ? 'on' : '') + '">' + (s || 'ALL') + (s ? ' ' + (counts[s] || 0) : '') + '</button>').join('')
}
document.getElementById('filters').addEventListener('click', (e) => {
  const b = e.target.closest('button'); if (!b) return
  filter = b.dataset.filter; refresh()
})
document.getElementById('runs').addEventListener('click', (e) => {
  const tr = e.target.closest('tr.run'); if (!tr) return
  selected = Number(tr.dataset.runId); refresh()
})
async function refresh() {
  try {
    const [status, runs, sensors] = await Promise.all([get('/api/status'), get('/api/runs?limit=200' + (filter ? '&status=' + filter : '')), get('/api/sensors')])
    const l = status.lease
    document.getElementById('daemon').textContent = l ? 'pid ' + l.pid + ' on ' + l.host + ' since ' + time(l.startedAt) : 'no lease'
    document.getElementById('backlog').textContent = STATUSES.map((s) => s + ' ' + status.counts[s]).join(' · ')
    document.getElementById('lag').textContent = status.lagMs == null ? 'no backlog' : 'lag ' + dur(status.lagMs)
    const o = status.daemon.outage
    const banner = document.getElementById('outage')
    banner.hidden = !o
    if (o) banner.textContent = 'Output unavailable since ' + time(o.since) + ': ' + o.error.message + ' — claiming paused, resuming by itself'
    filters(runs.counts)
    document.getElementById('total').textContent = '(' + runs.runs.length + ' of ' + runs.total + ')'
    document.getElementById('runs').innerHTML = runs.runs.map((r) =>
      '<tr class="run' + (r.id === selected ? ' sel' : '') + '" data-run-id="' + r.id + '" data-status="' + r.status + '"><td>' + r.id + '</td><td>' + badge(r.status) +
      '</td><td>' + esc(r.sensor) + '</td><td>' + esc(r.op.split('/').pop()) + '</td><td>' + r.attempts + '</td><td>' + time(r.createdAt) +
      '</td><td>' + progress(r) + '</td><td class="src">' + esc(r.source) + '</td></tr>').join('')
    document.getElementById('sensors').innerHTML = sensors.map((s) =>
      '<tr data-sensor="' + esc(s.name) + '"><td>' + esc(s.name) + '</td><td>' + (s.stopped ? 'STOPPED' : 'RUNNING') + '</td><td>' + esc(s.op.split('/').pop()) +
      '</td><td>' + time(s.lastTickAt) + '</td><td>' + (s.lastTick ? dur(s.lastTick.ms) : '-') + '</td><td>' + (s.lastTick ? s.lastTick.requested : '-') +
      '</td><td>' + (s.lastTick ? esc(Object.entries(s.lastTick.skipped).map(([k, v]) => k + ' ' + v).join(', ')) : '-') + '</td><td>' + s.queued + '</td></tr>').join('')
    if (selected) await detail(selected)
  } catch (e) {
    document.getElementById('daemon').textContent = 'daemon not answering (' + e.message + ')'
  }
}
async function detail(id) {
  const r = await get('/api/runs/' + id)
  if (r.error) return
  const bytes = r.live ? r.live.bytes : r.progressBytes
  const rows = [
    ['Status', badge(r.status)], ['Sensor', esc(r.sensor)], ['Source', esc(r.source) + (r.size != null ? ' (' + mb(r.size) + ')' : '')],
    ['Op', esc(r.op) + ' ' + esc(JSON.stringify(r.options))], ['Engine', esc(JSON.stringify(r.engine))], ['Run key', esc(r.runKey)],
    ['Attempts', r.attempts + ' started, ' + r.failures + ' failed, at most ' + r.maxAttempts],
    ['Created', time(r.createdAt)], ['Started', time(r.startedAt)], ['Ended', time(r.endedAt)],
  ]
  if (r.status === 'STARTED') rows.push(['Progress', (bytes != null ? mb(bytes) : '-') + (r.size ? ' of ' + mb(r.size) : '') + (r.live ? ', ' + r.live.records + ' records' : '') + progress(r)])
  if (r.error) rows.push(['Error', '<pre>' + esc((r.error.code || r.error.name) + ': ' + r.error.message) + '</pre>'])
  if (r.outputs.length) rows.push(['Outputs', r.outputs.map(esc).join('<br>')])
  if (r.result != null) rows.push(['Result', '<pre>' + esc(JSON.stringify(r.result)) + '</pre>'])
  const log = r.log.map((e) => time(e.time) + ' ' + e.level.toUpperCase() + ' #' + (e.attempt ?? '-') + ' ' + e.event + ' ' + JSON.stringify(e.fields)).join('\\n')
  document.getElementById('detail').innerHTML = '<h2>Run ' + r.id + '</h2><table id="run-detail" data-run-id="' + r.id + '" data-status="' + r.status + '">' +
    rows.map(([k, v]) => '<tr><th>' + k + '</th><td class="src">' + v + '</td></tr>').join('') + '</table>' +
    '<h2 style="margin-top:10px">Attempts</h2><pre>' + esc(r.history.map((a) => '#' + a.attempt + ' pid ' + a.owner + ' ' + time(a.startedAt) + ' ' + (a.outcome || 'STARTED') + (a.error ? ' — ' + a.error.message : '')).join('\\n')) + '</pre>' +
    '<h2>Log</h2><pre>' + esc(log) + '</pre>'
}
refresh()
setInterval(refresh, 1000)
</script>
</body>
</html>
`
