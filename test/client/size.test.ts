import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

/**
 * The SDK stays small (docs/client.md reports the numbers). Measured on the compiled output in
 * dist/client (tsc, comments kept, not minified), which `npm test` builds first.
 */
const dist = new URL('../../dist/client/', import.meta.url);

// `npm test` builds dist/ first (pretest); a missing build is a failure, never a skip.
if (!existsSync(new URL('index.js', dist))) throw new Error('dist/client/index.js is missing: run `npm run build` (npm test does it for you).');

describe('client size budget', () => {
  it('dist/client/*.js: under 7 KB gzip in all, no Node imports', () => {
    const files = readdirSync(dist).filter((name) => name.endsWith('.js'));
    const source = files.map((name) => readFileSync(new URL(name, dist), 'utf8')).join('\n');
    expect(source).not.toMatch(/from ['"](node:|fs|path|crypto)/);
    expect(gzipSync(source).length).toBeLessThan(7 * 1024);
    expect(gzipSync(readFileSync(new URL('index.js', dist))).length).toBeLessThan(5 * 1024);
  });
});
