import { createHash } from 'node:crypto';
import { TypeOverrides } from 'pg';
import type { ClientConfig, PoolConfig } from 'pg';
import { ConfigurationError } from '../../core/errors.js';
import { redactPostgresUrl } from './pg-errors.js';

/** Connection settings derived once from the options, shared by the pool and the bus listener. */
export interface PgSettings {
  /** The schema name, validated; safe to interpolate in double quotes. */
  readonly schema: string;
  /** `"schema"`, ready to prefix table names. */
  readonly quotedSchema: string;
  /** The LISTEN/NOTIFY channel of this schema's revocation bus. */
  readonly channel: string;
  /** Config for one client (the bus listener); the pool config adds pool fields to it. */
  readonly client: ClientConfig;
  readonly pool: PoolConfig;
}

/** What `createPgSettings` needs: the user-facing options, defaults already applied or not. */
export interface PgSettingsInput {
  readonly url: string;
  readonly schema: string;
  readonly poolSize: number;
  readonly applicationName: string;
  readonly connectTimeoutMs: number;
  readonly statementTimeoutMs: number;
}

/** Lower-case identifiers only: no quoting surprises, and the name fits PostgreSQL's 63 bytes. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
/** PostgreSQL truncates identifiers (channel names included) past 63 bytes. */
const MAX_IDENTIFIER = 63;
const INT8_OID = 20;

/**
 * BIGINT columns arrive as strings (int8 can exceed 2^53). Every BIGINT Tessera writes is a JS
 * number — a millisecond instant, a count, a generation — so reading it back as a number is
 * exact. A per-pool parser, not `pg.types.setTypeParser`, so other pg users in the process keep
 * their own behaviour.
 */
function createTypes(): TypeOverrides {
  const types = new TypeOverrides();
  types.setTypeParser(INT8_OID, 'text', (text: string) => Number(text));
  return types;
}

/**
 * Validates the options and derives the pool and listener configuration. Throws
 * `ConfigurationError` with a message that says how to fix it and never echoes a password.
 */
export function createPgSettings(input: PgSettingsInput): PgSettings {
  assertUrl(input.url);
  if (!SCHEMA_NAME.test(input.schema)) {
    throw new ConfigurationError(
      'The PostgreSQL schema name must match /^[a-z_][a-z0-9_]{0,62}$/ (lower-case letters, digits, underscores).',
    );
  }
  assertPositiveInteger(input.poolSize, 'poolSize');
  assertPositiveInteger(input.connectTimeoutMs, 'connectTimeoutMs');
  assertPositiveInteger(input.statementTimeoutMs, 'statementTimeoutMs');
  if (!/^[\x20-\x7e]{1,63}$/.test(input.applicationName)) {
    throw new ConfigurationError('The PostgreSQL application name must be 1 to 63 printable ASCII characters.');
  }

  const client: ClientConfig = {
    connectionString: input.url,
    application_name: input.applicationName,
    // A dead or unreachable server must fail within seconds, not hang a login: the connect
    // timeout bounds the TCP + startup handshake, statement_timeout is enforced by the server,
    // and query_timeout (a little longer) is enforced here for a server that stopped answering.
    connectionTimeoutMillis: input.connectTimeoutMs,
    statement_timeout: input.statementTimeoutMs,
    query_timeout: input.statementTimeoutMs + 1000,
    // A transaction left open by a crashed request must not hold row locks for ever.
    idle_in_transaction_session_timeout: input.statementTimeoutMs * 2,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    types: createTypes(),
  };
  return {
    schema: input.schema,
    quotedSchema: `"${input.schema}"`,
    channel: channelName(input.schema),
    client,
    pool: { ...client, max: input.poolSize, idleTimeoutMillis: 30_000 },
  };
}

/** `<schema>_revocations`, shortened with a hash when it would exceed an identifier's length. */
export function channelName(schema: string): string {
  const plain = `${schema}_revocations`;
  if (plain.length <= MAX_IDENTIFIER) return plain;
  const hash = createHash('sha256').update(schema).digest('hex').slice(0, 8);
  return `${schema.slice(0, MAX_IDENTIFIER - 21)}_${hash}_revocations`;
}

function assertUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // No cause: Node's ERR_INVALID_URL carries the whole input, password included.
    throw new ConfigurationError(
      'The PostgreSQL store URL does not parse; expected postgres://user:password@host:5432/database.',
    );
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ConfigurationError(
      `The PostgreSQL store URL must start with postgres:// or postgresql:// (got ${redactPostgresUrl(url)}).`,
    );
  }
}

function assertPositiveInteger(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ConfigurationError(`The PostgreSQL store option ${name} must be a positive integer.`);
  }
}
