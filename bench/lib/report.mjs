/** Console output: one table of figures and one of ratios per suite. */

const fmtInt = (n) => Math.round(n).toLocaleString('en-US');
const fmtPct = (x) => (x === null || x === undefined ? '–' : `${Math.round(x * 100)}%`);
const fmtRatio = (x) => `${x >= 10 ? x.toFixed(1) : x.toFixed(2)}×`;

function table(rows, align) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (align[i] === 'r' ? String(cell).padStart(widths[i]) : String(cell).padEnd(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .map((line) => `  ${line}`)
    .join('\n');
}

/** How the numbers were taken, in one or two lines. */
export function describeMethod(meta) {
  const o = meta.options;
  const pin = meta.pinning.enabled ? 'servers pinned to core 0, load generator (autocannon) to core 1' : `UNPINNED — ${meta.pinning.warning}`;
  return [
    `${o.connections} connections, pipelining ${o.pipelining}; ${o.rounds} round(s) × ${o.duration} s interleaved after a ${o.warmup} s warm-up; medians of 2xx responses/s${o.quick ? ' (QUICK smoke run: figures are not meaningful)' : ''}`,
    `${pin}; Node ${meta.node}, ${meta.cpus} × ${meta.cpuModel}`,
  ];
}

/** Formats one suite's outcome. */
export function formatSuite(suite) {
  const lines = [`== ${suite.name}${suite.description ? `: ${suite.description}` : ''}`];
  if (suite.error) {
    lines.push(`  ERROR: ${suite.error}`);
    return lines.join('\n');
  }
  const hasCpu = suite.results.some((r) => r.detail?.cpu);
  const cpuNames = [...new Set(suite.results.flatMap((r) => Object.keys(r.detail?.cpu ?? {})))];
  const hasCost = suite.results.some((r) => typeof r.detail?.serverCpuUsPerRequest === 'number');
  const header = ['result', 'median', 'unit', 'rounds min–max', 'p99 ms', ...(hasCost ? ['server µs/req'] : []), ...(hasCpu ? cpuNames.map((n) => `${n} CPU`) : [])];
  const rows = suite.results.map((r) => [
    r.label,
    fmtInt(r.value),
    r.unit,
    r.detail ? `${fmtInt(r.detail.min)}–${fmtInt(r.detail.max)}` : '',
    r.detail?.latencyMs ? r.detail.latencyMs.p99 : '',
    ...(hasCost ? [typeof r.detail?.serverCpuUsPerRequest === 'number' ? r.detail.serverCpuUsPerRequest.toFixed(1) : '–'] : []),
    ...(hasCpu ? cpuNames.map((n) => fmtPct(r.detail?.cpu?.[n])) : []),
  ]);
  lines.push(table([header, ...rows], ['l', 'r', 'l', 'r', 'r', ...(hasCost ? ['r'] : []), ...cpuNames.map(() => 'r')]));
  if (suite.ratios.length > 0) {
    lines.push('');
    const ratioRows = suite.ratios.map((r) => [r.label, fmtRatio(r.value), `target ≥ ${fmtRatio(r.target)}`, r.pass ? 'PASS' : 'MISSED']);
    lines.push(table([['ratio (from medians)', 'value', 'target', ''], ...ratioRows], ['l', 'r', 'l', 'l']));
  }
  for (const note of suite.notes ?? []) lines.push(`  note: ${note}`);
  return lines.join('\n');
}
