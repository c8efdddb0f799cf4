// A constant-rate (open-loop) HTTP load generator, in a process of its own.
// Usage: node bench/constant-rate-load.mjs <spec.json>; prints the result as JSON.
// spec: { url, headers, connections, rate, seconds, bodies: [string, …] } (bodies are cycled);
// optionally method (POST by default; GET sends no body) and cookies: [string, …] (a Cookie
// header per request, cycled: one browser session each).
//
// Request i is due at start + i / rate, whatever happened to the requests before it, and its
// latency runs from that due time to the end of its response (as wrk2 measures): a server that
// stalls is charged for every request that fell due while it stalled, including the time they
// waited for one of the `connections` kept-open connections. autocannon's `overallRate` is not
// this: each connection sends back to back until it has used its share of the second, then waits
// for the next second, so its load is a burst at full speed at the start of every second.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import process from 'node:process';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const agent = new Agent({ keepAlive: true, maxSockets: spec.connections });
const target = new URL(spec.url);
const intervalMs = 1000 / spec.rate;
const REQUEST_TIMEOUT_MS = 10_000; // autocannon's default
const total = Math.round(spec.rate * spec.seconds);
const latencies = new Float64Array(total);
const statusCounts = {};
let completed = 0;
let errors = 0;
let sent = 0;

const method = spec.method ?? 'POST';

function send(index, dueAt) {
  const body = method === 'GET' ? '' : spec.bodies[index % spec.bodies.length];
  const cookie = spec.cookies ? { cookie: spec.cookies[index % spec.cookies.length] } : {};
  const outgoing = request(
    {
      host: target.hostname,
      port: target.port,
      path: target.pathname + target.search,
      method,
      agent,
      headers: {
        ...spec.headers,
        ...cookie,
        ...(method === 'GET' ? {} : { 'content-length': Buffer.byteLength(body) }),
      },
    },
    (response) => {
      response.on('data', () => undefined);
      response.on('end', () => {
        latencies[index] = performance.now() - dueAt;
        statusCounts[response.statusCode] = (statusCounts[response.statusCode] ?? 0) + 1;
        finish();
      });
    },
  );
  // A request that gets no answer counts as an error rather than holding up the report.
  outgoing.setTimeout(REQUEST_TIMEOUT_MS, () => outgoing.destroy(new Error('timed out')));
  outgoing.on('error', () => {
    latencies[index] = performance.now() - dueAt;
    errors += 1;
    finish();
  });
  outgoing.end(body);
}

const startedAt = performance.now();
function finish() {
  completed += 1;
  if (completed === total) report(performance.now() - startedAt);
}

// Every millisecond (the timers' resolution), send what has fallen due since the last tick.
const ticker = setInterval(() => {
  const due = Math.min(total, Math.floor((performance.now() - startedAt) / intervalMs) + 1);
  for (; sent < due; sent += 1) send(sent, startedAt + sent * intervalMs);
  if (sent === total) clearInterval(ticker);
}, 1);

function percentile(sorted, fraction) {
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)];
}

function report(elapsedMs) {
  const sorted = Float64Array.from(latencies).sort();
  const ok = Object.entries(statusCounts)
    .filter(([status]) => status.startsWith('2'))
    .reduce((sum, [, count]) => sum + count, 0);
  process.stdout.write(
    JSON.stringify({
      requests: total,
      requestsPerSecond: (total / elapsedMs) * 1000,
      latencyMs: {
        p50: percentile(sorted, 0.5),
        p90: percentile(sorted, 0.9),
        p99: percentile(sorted, 0.99),
        p999: percentile(sorted, 0.999),
        max: sorted[sorted.length - 1],
      },
      non2xx: total - ok - errors,
      errors,
    }),
  );
  agent.destroy();
}
