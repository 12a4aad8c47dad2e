/** What the harness keeps of one autocannon result (both load generators answer in this shape). */
export function summariseLoad(result, extra = {}) {
  const seconds = result.duration;
  return {
    durationSeconds: seconds,
    requests: result.requests.total,
    ok: result['2xx'],
    non2xx: result.non2xx,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, s.count])),
    errors: result.errors,
    timeouts: result.timeouts,
    resets: result.resets,
    okPerSecond: seconds > 0 ? result['2xx'] / seconds : 0,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    bytesPerSecond: result.throughput.average,
    ...extra,
  };
}
