/**
 * The monitor's one page: plain HTML, CSS and script, no external assets (it
 * works offline). It polls the JSON API each second and draws the job graph,
 * the throughput chart (inline SVG), the checkpoint history and the restarts.
 * Kept free of backticks and `${` so it can live in this template literal.
 */
export const monitorPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>onceflow monitor</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2430; background: #f5f6f8; }
  header { background: #1d2430; color: #fff; padding: 10px 20px; display: flex; gap: 24px; align-items: baseline; flex-wrap: wrap; }
  header h1 { font-size: 18px; margin: 0; }
  main { padding: 12px 20px; display: grid; gap: 16px; }
  section { background: #fff; border: 1px solid #d9dde3; border-radius: 6px; padding: 10px 14px; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eceef1; white-space: nowrap; }
  td.error { white-space: normal; }
  .status { padding: 2px 8px; border-radius: 10px; font-weight: 600; }
  .s-running, .s-COMPLETED, .s-finished, .s-drained { background: #d7f5dd; color: #14632a; }
  .s-restarting, .s-IN_PROGRESS { background: #fff1c2; color: #7a5600; }
  .s-failed, .s-FAILED, .s-stopped { background: #fbd9d9; color: #8a1c1c; }
  .muted { color: #6b7483; }
  svg text { font: 12px system-ui, sans-serif; }
</style>
</head>
<body>
<header>
  <h1>onceflow: <span data-testid="job-id">-</span></h1>
  <span>status <span class="status" data-testid="job-status">-</span></span>
  <span>guarantee <b data-testid="job-guarantee">-</b></span>
  <span>attempt <b data-testid="job-attempt">-</b></span>
  <span>up <b data-testid="job-uptime">-</b></span>
  <span class="muted" data-testid="job-updated"></span>
</header>
<main>
  <section><h2>Job graph</h2><svg data-testid="job-graph" width="100%" height="120"></svg></section>
  <section><h2>Throughput <span class="muted">(records/s; blue: out of the sources, green: into the sink)</span></h2>
    <svg data-testid="throughput-chart" width="100%" height="140" viewBox="0 0 600 140" preserveAspectRatio="none"></svg>
    <div class="muted"><span data-testid="throughput-now"></span>; <span data-testid="throughput-max"></span></div></section>
  <section><h2>Stages</h2><table data-testid="stages"><thead><tr><th>id</th><th>kind</th><th>guarantee</th><th>records in</th><th>records out</th><th>in/s</th><th>out/s</th></tr></thead><tbody></tbody></table>
    <p class="muted" data-testid="flow-control"></p></section>
  <section><h2>Splits</h2><table data-testid="splits"><thead><tr><th>source</th><th>split</th><th>position</th><th>lag</th></tr></thead><tbody></tbody></table></section>
  <section><h2>Checkpoints <span class="muted" data-testid="checkpoint-counts"></span></h2>
    <table data-testid="checkpoints"><thead><tr><th>ID</th><th>Status</th><th>Trigger time</th><th>End to end duration</th><th>Checkpointed data size</th><th>Alignment duration</th><th>Store write</th></tr></thead><tbody></tbody></table></section>
  <section><h2>Restarts</h2><table data-testid="restarts"><thead><tr><th>attempt</th><th>time</th><th>delay</th><th>error</th></tr></thead><tbody></tbody></table></section>
</main>
<script>
(function () {
  var svgNs = 'http://www.w3.org/2000/svg';
  var jobId = new URLSearchParams(location.search).get('job');

  function el(tag, attrs, text) {
    var node = tag.indexOf('svg:') === 0 ? document.createElementNS(svgNs, tag.slice(4)) : document.createElement(tag);
    for (var k in attrs || {}) node.setAttribute(k, attrs[k]);
    if (text !== undefined) node.textContent = String(text);
    return node;
  }
  function byTestId(id) { return document.querySelector('[data-testid="' + id + '"]'); }
  function compact(n) {
    if (n === null || n === undefined) return '-';
    return n >= 1e6 ? (n / 1e6).toFixed(2) + 'M' : n >= 1e4 ? (n / 1e3).toFixed(1) + 'k' : String(Math.round(n));
  }
  function num(n) { return n === null || n === undefined ? '-' : Math.round(n).toLocaleString('en-US'); }
  function ms(n) { return n === null || n === undefined ? '-' : (n < 10 ? n.toFixed(1) : Math.round(n)) + ' ms'; }
  function bytes(n) { return n === null || n === undefined ? '-' : n < 1024 ? n + ' B' : n < 1048576 ? (n / 1024).toFixed(1) + ' KiB' : (n / 1048576).toFixed(1) + ' MiB'; }
  function time(t) { return new Date(t).toLocaleTimeString('en-GB'); }
  function duration(msTotal) { var s = Math.floor(msTotal / 1000); return Math.floor(s / 60) + 'm ' + (s % 60) + 's'; }
  function rows(table, list, cells) {
    var body = table.querySelector('tbody');
    body.textContent = '';
    list.forEach(function (item) {
      var tr = el('tr', { 'data-testid': table.getAttribute('data-testid') + '-row' });
      cells(item).forEach(function (cell) {
        var td = el('td', cell.error ? { 'class': 'error' } : {});
        if (cell.badge) td.appendChild(el('span', { 'class': 'status s-' + cell.badge }, cell.badge));
        else td.textContent = String(cell.text === undefined ? cell : cell.text);
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }

  function drawGraph(svg, job) {
    svg.textContent = '';
    var depth = {};
    job.vertices.forEach(function (v) { depth[v.id] = 0; });
    // Longest path from a source: a few passes suffice for the small graphs of a pipeline.
    for (var pass = 0; pass < job.vertices.length; pass++) {
      job.plan.edges.forEach(function (e) { if (depth[e.source] !== undefined && depth[e.target] <= depth[e.source]) depth[e.target] = depth[e.source] + 1; });
    }
    var columns = {}, pos = {}, w = 190, h = 64, gapX = 40, gapY = 16;
    job.vertices.forEach(function (v) {
      var d = depth[v.id]; columns[d] = (columns[d] || 0) + 1;
      pos[v.id] = { x: 10 + d * (w + gapX), y: 10 + (columns[d] - 1) * (h + gapY) };
    });
    var maxRows = Math.max.apply(null, Object.keys(columns).map(function (k) { return columns[k]; }).concat([1]));
    var maxDepth = Math.max.apply(null, Object.keys(columns).map(Number).concat([0]));
    svg.setAttribute('height', String(20 + maxRows * (h + gapY)));
    svg.setAttribute('viewBox', '0 0 ' + (20 + (maxDepth + 1) * (w + gapX)) + ' ' + (20 + maxRows * (h + gapY)));
    var defs = el('svg:defs');
    var marker = el('svg:marker', { id: 'arrow', viewBox: '0 0 10 10', refX: '10', refY: '5', markerWidth: '6', markerHeight: '6', orient: 'auto' });
    marker.appendChild(el('svg:path', { d: 'M0,0 L10,5 L0,10 z', fill: '#6b7483' }));
    defs.appendChild(marker); svg.appendChild(defs);
    job.plan.edges.forEach(function (e) {
      var a = pos[e.source], b = pos[e.target];
      if (!a || !b) return;
      svg.appendChild(el('svg:line', { x1: a.x + w, y1: a.y + h / 2, x2: b.x, y2: b.y + h / 2, stroke: '#6b7483', 'marker-end': 'url(#arrow)' }));
    });
    job.vertices.forEach(function (v) {
      var p = pos[v.id], m = v.metrics;
      var g = el('svg:g', { 'data-testid': 'node', 'data-node-id': v.id, transform: 'translate(' + p.x + ',' + p.y + ')' });
      var fill = v.kind === 'source' ? '#e3efff' : v.kind === 'sink' ? '#e2f6e7' : '#f1f2f5';
      g.appendChild(el('svg:rect', { width: w, height: h, rx: 6, fill: fill, stroke: '#9aa3b1' }));
      g.appendChild(el('svg:text', { x: 8, y: 17, 'font-weight': '600' }, v.kind + ': ' + v.name));
      g.appendChild(el('svg:text', { x: 8, y: 34 }, v.guarantee));
      var rate = v.kind === 'sink' ? m['read-records-per-second'] : m['write-records-per-second'];
      var count = v.kind === 'sink' ? m['read-records'] : m['write-records'];
      g.appendChild(el('svg:text', { x: 8, y: 52, 'data-testid': 'node-rate' }, compact(rate) + ' rec/s, ' + compact(count) + ' in all'));
      svg.appendChild(g);
    });
  }

  function drawChart(svg, samples) {
    svg.textContent = '';
    var width = 600, height = 140, top = 14;
    var max = 1;
    samples.forEach(function (s) { max = Math.max(max, s.sourceOut, s.sinkIn); });
    svg.appendChild(el('svg:line', { x1: 0, y1: height - 1, x2: width, y2: height - 1, stroke: '#d9dde3' }));
    byTestId('throughput-max').textContent = 'top of the chart: ' + num(max) + ' rec/s';
    function line(pick, color, name) {
      if (samples.length < 2) return;
      var points = samples.map(function (s, i) {
        return (i * width / (samples.length - 1)).toFixed(1) + ',' + (height - 2 - (pick(s) / max) * (height - top - 4)).toFixed(1);
      }).join(' ');
      svg.appendChild(el('svg:polyline', { points: points, fill: 'none', stroke: color, 'stroke-width': 2, 'data-testid': 'throughput-' + name, 'vector-effect': 'non-scaling-stroke' }));
    }
    line(function (s) { return s.sourceOut; }, '#2f6fd6', 'sources');
    line(function (s) { return s.sinkIn; }, '#23944a', 'sink');
  }

  function render(job, checkpoints) {
    byTestId('job-id').textContent = job.jid;
    var status = byTestId('job-status');
    status.textContent = job.state; status.className = 'status s-' + job.state;
    byTestId('job-guarantee').textContent = job.guarantee;
    byTestId('job-attempt').textContent = job.attempt;
    byTestId('job-uptime').textContent = duration(job.duration);
    byTestId('job-updated').textContent = 'updated ' + time(job.now);
    drawGraph(byTestId('job-graph'), job);
    drawChart(byTestId('throughput-chart'), job.throughput);
    var last = job.throughput[job.throughput.length - 1];
    byTestId('throughput-now').textContent = last ? 'now: ' + num(last.sourceOut) + ' rec/s out of the sources, ' + num(last.sinkIn) + ' rec/s into the sink' : 'measuring...';
    rows(byTestId('stages'), job.vertices, function (v) {
      var m = v.metrics;
      return [v.id, v.kind, v.guarantee, num(m['read-records']), num(m['write-records']), num(m['read-records-per-second']), num(m['write-records-per-second'])];
    });
    var fc = job['flow-control'];
    byTestId('flow-control').textContent = 'Flow control: ' + (fc.paused ? 'sources paused now; ' : '') + 'paused ' + ms(fc['paused-ms']) + ' in ' + fc.pauses + ' pause(s).';
    rows(byTestId('splits'), job.splits, function (s) { return [s.source, s.split, s.position, s.lag === null ? '-' : num(s.lag)]; });
    var c = checkpoints.counts;
    byTestId('checkpoint-counts').textContent = '(' + c.completed + ' completed, ' + c.failed + ' failed, ' + c.in_progress + ' in progress' +
      (checkpoints.latest.restored ? '; restored from ' + checkpoints.latest.restored.id : '') + ')';
    rows(byTestId('checkpoints'), checkpoints.history, function (h) {
      return [h.id + (h.is_final ? ' (final)' : ''), { badge: h.status }, time(h.trigger_timestamp), ms(h.end_to_end_duration),
        bytes(h.state_size), ms(h.alignment_duration), ms(h.store_write_duration)];
    });
    rows(byTestId('restarts'), exceptions.exceptionHistory.entries, function (r) {
      return [r.attempt, time(r.timestamp), ms(r.restartDelay), { text: r.exceptionName + ': ' + r.message, error: true }];
    });
  }

  var exceptions = { exceptionHistory: { entries: [] } };
  function get(path) { return fetch(path, { cache: 'no-store' }).then(function (r) { if (!r.ok) throw new Error(path + ': ' + r.status); return r.json(); }); }
  function refresh() {
    var id = jobId;
    var chosen = id ? Promise.resolve(id) : get('/jobs').then(function (list) { return list.jobs.length ? list.jobs[0].id : null; });
    chosen.then(function (found) {
      if (!found) { byTestId('job-status').textContent = 'no job'; return; }
      var base = '/jobs/' + encodeURIComponent(found);
      return Promise.all([get(base), get(base + '/checkpoints'), get(base + '/exceptions')]).then(function (r) { exceptions = r[2]; render(r[0], r[1]); });
    }).catch(function (error) {
      byTestId('job-updated').textContent = 'not reachable (' + error.message + '): the job may have ended';
    }).then(function () { setTimeout(refresh, 1000); });
  }
  refresh();
})();
</script>
</body>
</html>
`;
