#!/usr/bin/env node
/**
 * Summarises a V8 .cpuprofile (from `BENCH_CPU_PROF=<server>`): the functions with the most
 * self time and the most inclusive time, as shares of the profile's busy (non-idle) time.
 *
 *   node bench/lib/cpuprofile-summary.mjs bench/results/profiles/tessera-….cpuprofile [top] [filter]
 *
 * `filter` keeps only functions whose name or file contains it (e.g. `dist/` for Tessera's own).
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

const [file, topArg = '30', filter = ''] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/lib/cpuprofile-summary.mjs <file.cpuprofile> [top] [filter]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const top = Number(topArg);

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

const keyOf = (node) => {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${relative(process.cwd(), url.replace(/^file:\/\//, ''))}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
};

/** Who owns a frame: Tessera's build, a package, Node's JS internals, or native code. */
const ownerOf = (node) => {
  const { url, functionName } = node.callFrame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native: syscalls, crypto, SQLite, …)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.includes('/dist/')) return 'tessera (dist/)';
  if (url.startsWith('node:')) return 'node: (JS internals)';
  return url;
};
const owners = new Map();
const self = new Map();
const inclusive = new Map();
let busy = 0;
let idle = 0;
const { samples, timeDeltas } = profile;
for (let i = 0; i < samples.length; i++) {
  const dt = timeDeltas[i + 1] ?? 0; // the delta after a sample is the time spent in it
  const node = byId.get(samples[i]);
  const name = node.callFrame.functionName;
  if (name === '(idle)') {
    idle += dt;
    continue;
  }
  busy += dt;
  const key = keyOf(node);
  owners.set(ownerOf(node), (owners.get(ownerOf(node)) ?? 0) + dt);
  self.set(key, (self.get(key) ?? 0) + dt);
  const seen = new Set();
  for (let id = node.id; id !== undefined; id = parent.get(id)) {
    const k = keyOf(byId.get(id));
    if (seen.has(k)) continue;
    seen.add(k);
    inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
  }
}

const show = (title, map) => {
  console.log(`\n${title}`);
  [...map.entries()]
    .filter(([k]) => !filter || k.includes(filter))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .forEach(([k, us]) => console.log(`${((100 * us) / busy).toFixed(1).padStart(6)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`));
};
console.log(`busy ${(busy / 1e6).toFixed(2)} s, idle ${(idle / 1e6).toFixed(2)} s (shares below are of busy time; "(program)" is native code V8 cannot attribute: libuv, llhttp, the compiler)`);
show('self time by owner', owners);
show('self time', self);
show('inclusive time', inclusive);
