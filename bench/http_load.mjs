/**
 * The load generator of `bench/http_load.py`: autocannon (npm, pinned in package.json) against
 * one server on loopback, with a sequence of requests each connection repeats.
 *
 * Usage: node bench/http_load.mjs '<json spec>'
 *   spec: {url, host, connections, duration_s, warmup_s, requests: [{method, path, headers?, body?}]}
 *   A request whose body contains "{n}" gets a per-process counter there each time it is sent,
 *   so repeated writes differ (an edit that changes nothing may be answered without a write).
 * Prints one JSON object: {requests, duration_s, rps, latency_ms_p50, latency_ms_p99,
 *   statuses: {"200": n, ...}, errors, timeouts}.
 */
import autocannon from "autocannon";

const spec = JSON.parse(process.argv[2]);
let counter = 0;

function requests() {
  return spec.requests.map((r) => {
    const request = { method: r.method, path: r.path, headers: { host: spec.host, ...(r.headers ?? {}) } };
    if (r.body === undefined) return request;
    if (!r.body.includes("{n}")) return { ...request, body: r.body };
    // setupRequest runs before each send of this entry: a fresh counter value in the body.
    return { ...request, setupRequest: (req) => ({ ...req, body: r.body.replaceAll("{n}", String(++counter)) }) };
  });
}

async function run(duration) {
  return autocannon({ url: spec.url, connections: spec.connections, duration, requests: requests() });
}

if (spec.warmup_s > 0) await run(spec.warmup_s);
const result = await run(spec.duration_s);
const statuses = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, Number(s.count)]));
process.stdout.write(
  JSON.stringify({
    requests: result.requests.total,
    duration_s: result.duration,
    rps: result.requests.total / result.duration,
    latency_ms_p50: result.latency.p50,
    latency_ms_p99: result.latency.p99,
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
  }) + "\n",
);
