/**
 * The load generator process (pinned to its own core by the harness). It keeps running
 * between measurements so every measurement uses the same warmed-up autocannon; jobs arrive
 * over IPC as `{ type: 'run', id, options }` and answer `{ type: 'result', id, result }`.
 */
import autocannon from 'autocannon';
import { summariseLoad } from './load-summary.mjs';

process.on('message', async (message) => {
  if (message?.type === 'stop') process.exit(0);
  if (message?.type !== 'run') return;
  try {
    const result = await autocannon(message.options);
    process.send({ type: 'result', id: message.id, result: summariseLoad(result) });
  } catch (error) {
    process.send({ type: 'result', id: message.id, error: error instanceof Error ? error.message : String(error) });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready', url: null, info: { autocannon: true } });
