/**
 * Tessera's library entry: embed the core in your own process, or start the server from code.
 * Middleware, the verifier and the stores have their own entry points (see package.json).
 */
export { createTessera, type Tessera, type TesseraOptions } from './core/tessera.js';
export { startServer, type RunningServer, type StartOptions } from './server/start.js';
export { buildServer } from './server/app.js';
export { loadConfig } from './server/load-config.js';
export { openTessera } from './server/open-tessera.js';
export { openConfiguredStores } from './server/open-stores.js';
export { loadOrCreateMasterSecret } from './server/secrets.js';
export { createObservability } from './server/observability.js';
export { defaultConfig, validateConfig, type TesseraConfig, type ConfigOverrides } from './core/config.js';
export * from './core/errors.js';
export type { AuthContext } from './core/authenticate.js';
export type { AuthEvent, AuthEventSink } from './core/events.js';
export type { Carrier, PublicUser, Revocation, Session, User } from './core/model.js';
export type { AccessTokenClaims } from './core/tokens/access-token-claims.js';
