/**
 * The load generator process (pinned to its own core by the harness). It keeps running
 * between measurements so every measurement uses the same warmed-up autocannon; jobs arrive
 * over IPC as `{ type: 'run', id, options }` and answer `{ type: 'result', id, result }`.
 */
import autocannon from 'autocannon';

function summarise(result) {
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
  };
}

process.on('message', async (message) => {
  if (message?.type === 'stop') process.exit(0);
  if (message?.type !== 'run') return;
  try {
    const result = await autocannon(message.options);
    process.send({ type: 'result', id: message.id, result: summarise(result) });
  } catch (error) {
    process.send({ type: 'result', id: message.id, error: error instanceof Error ? error.message : String(error) });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready', url: null, info: { autocannon: true } });
