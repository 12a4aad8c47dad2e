/**
 * Types of server.mjs for the repository's TypeScript tests (test/examples, test/browser). The
 * example itself is plain JavaScript over the built dist/; these types point at src/ so the tests
 * type-check before a build.
 */
import type { ConfigOverrides, Tessera } from '../../src/index.js';

/** Options of `startSpaExample`. */
export interface SpaExampleOptions {
  /** 0 (the default) takes a free port; the public URL names the real one. */
  readonly port?: number;
  /** Tessera's data directory (default: env.TESSERA_DATA_DIR, else ./.tessera-spa). */
  readonly dataDir?: string;
  /** The whole environment Tessera reads (not merged with process.env), e.g. `{ TESSERA_ACCESS_TOKEN_TTL: '5s' }`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Settings without a variable (e.g. rate limits). */
  readonly overrides?: ConfigOverrides;
}

/** A running SPA example. */
export interface RunningSpaExample {
  /** Where it listens, e.g. `http://127.0.0.1:40123` (also its public URL unless TESSERA_PUBLIC_URL says otherwise). */
  readonly url: string;
  /** The embedded Tessera (register users, revoke sessions, read the config). */
  readonly tessera: Tessera;
  /** Stops the server and closes the stores (idempotent). */
  close(): Promise<void>;
}

/** Starts Tessera, the SPA and its API on one origin. */
export function startSpaExample(options?: SpaExampleOptions): Promise<RunningSpaExample>;
