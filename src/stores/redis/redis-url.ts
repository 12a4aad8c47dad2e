import { ConfigurationError } from '../../core/errors.js';

/**
 * Redis store URLs: `redis://[user:pass@]host:port[/db]`, `rediss://…` (TLS),
 * `redis-cluster://[user:pass@]host:port,host:port,…` and `rediss-cluster://…` (TLS). Parsed by
 * hand because WHATWG URL cannot hold a host list, and because every message about a URL must
 * be built from a redacted copy: the password never reaches an error, a log line or a cause.
 */

/** One host and port. */
export interface RedisNodeAddress {
  readonly host: string;
  readonly port: number;
}

/** Where and how to connect, parsed from a store URL. */
export interface RedisTarget {
  /** A Redis Cluster (startup nodes) or one standalone server. */
  readonly cluster: boolean;
  /** One address for a standalone server; any number of startup nodes for a cluster. */
  readonly nodes: readonly RedisNodeAddress[];
  readonly tls: boolean;
  readonly username: string | undefined;
  readonly password: string | undefined;
  /** Logical database (standalone only; a cluster has only database 0). */
  readonly db: number;
}

const DEFAULT_PORT = 6379;
const SCHEMES: Readonly<Record<string, { cluster: boolean; tls: boolean }>> = {
  redis: { cluster: false, tls: false },
  rediss: { cluster: false, tls: true },
  'redis-cluster': { cluster: true, tls: false },
  'rediss-cluster': { cluster: true, tls: true },
};

/**
 * Returns `url` with its credentials replaced: `redis://user:***@host`. Everything between
 * `://` and the LAST `@` counts as credentials, so an unescaped `@` or `/` in a password
 * over-redacts rather than leaks; text without `://` is replaced entirely.
 */
export function redactRedisUrl(url: string): string {
  const start = url.indexOf('://');
  if (start < 0) return '[unparseable URL]';
  const at = url.lastIndexOf('@');
  if (at < start) return url;
  const userinfo = url.slice(start + 3, at);
  const colon = userinfo.indexOf(':');
  // Without a colon the whole userinfo may be a password (`redis://secret@host`).
  const shown = colon < 0 ? '***' : `${userinfo.slice(0, colon)}:***`;
  return `${url.slice(0, start + 3)}${shown}${url.slice(at)}`;
}

/**
 * Parses a store URL. `forceCluster` treats a `redis://` / `rediss://` URL as a cluster's
 * startup nodes. Throws `ConfigurationError` (with the URL redacted) for anything malformed.
 */
export function parseRedisUrl(url: string, forceCluster = false): RedisTarget {
  const fail = (why: string): never => {
    throw new ConfigurationError(`Invalid Redis URL ${redactRedisUrl(url)}: ${why}`);
  };
  const schemeEnd = url.indexOf('://');
  const scheme = SCHEMES[schemeEnd < 0 ? '' : url.slice(0, schemeEnd).toLowerCase()];
  if (scheme === undefined) return fail('use redis://, rediss://, redis-cluster:// or rediss-cluster://.');
  const cluster = scheme.cluster || forceCluster;
  let rest = url.slice(schemeEnd + 3);
  if (/[?#]/.test(rest)) fail('query parameters and fragments are not supported.');

  let username: string | undefined;
  let password: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = userinfo.indexOf(':');
    username = decode(colon < 0 ? userinfo : userinfo.slice(0, colon), fail) || undefined;
    password = colon < 0 ? undefined : decode(userinfo.slice(colon + 1), fail);
  }

  const slash = rest.indexOf('/');
  const hostList = slash < 0 ? rest : rest.slice(0, slash);
  const dbText = slash < 0 ? '' : rest.slice(slash + 1);
  if (dbText !== '' && !/^(0|[1-9]\d{0,4})$/.test(dbText)) fail('the database must be a number, as in /0.');
  const db = dbText === '' ? 0 : Number(dbText);
  if (cluster && db !== 0) fail('a Redis Cluster has only database 0.');

  const nodes = hostList.split(',').map((entry) => parseHostPort(entry, fail));
  if (!cluster && nodes.length !== 1) fail('list several hosts only with redis-cluster://.');
  return { cluster, nodes, tls: scheme.tls, username, password, db };
}

function decode(text: string, fail: (why: string) => never): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return fail('the credentials are not correctly percent-encoded.');
  }
}

function parseHostPort(entry: string, fail: (why: string) => never): RedisNodeAddress {
  // [v6]:port, [v6], host:port or host.
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9._-]+))(?::(\d{1,5}))?$/.exec(entry);
  if (match === null) return fail(`"${entry}" is not host:port.`);
  const port = match[3] === undefined ? DEFAULT_PORT : Number(match[3]);
  if (port < 1 || port > 65_535) fail(`port ${port} is out of range.`);
  return { host: match[1] ?? match[2] ?? '', port };
}
