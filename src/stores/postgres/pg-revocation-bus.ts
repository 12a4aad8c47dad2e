import { Client } from 'pg';
import type { Revocation } from '../../core/model.js';
import type { RevocationBus } from '../types.js';
import { decodeRevocation, encodeRevocation } from '../../core/revocation-codec.js';
import type { PgSettings } from './pg-config.js';

/** The PostgreSQL bus as the stores expose it: a `RevocationBus` whose status is always observable. */
export interface PostgresRevocationBus extends RevocationBus {
  onStatus(listener: (connected: boolean) => void): () => void;
  /** True while the LISTEN connection is up. */
  readonly connected: boolean;
}

/** The bus plus `close`, which only the stores' own `close()` calls. */
export interface PgRevocationBus extends PostgresRevocationBus {
  /** Stops listening and reconnecting; idempotent. */
  close(): Promise<void>;
}

/** What the bus needs: the channel and client config, and a way to run `pg_notify` on the pool. */
export interface PgRevocationBusOptions {
  readonly settings: PgSettings;
  /** Sends one payload with `SELECT pg_notify(channel, payload)` through the store's pool. */
  readonly notify: (payload: string) => Promise<void>;
  /** How often the idle LISTEN connection is probed with `SELECT 1` (default 10 s). */
  readonly heartbeatMs?: number;
}

const RECONNECT_BASE_MS = 100;
const RECONNECT_MAX_MS = 5_000;
const DEFAULT_HEARTBEAT_MS = 10_000;
const END_GRACE_MS = 1_000;

/**
 * Creates the LISTEN/NOTIFY revocation bus. Listening uses one dedicated `pg.Client` — never a
 * pooled one: LISTEN is per session, and a pooled connection would be handed to other work or
 * closed when idle. It starts on the first `subscribe`/`onStatus` and reconnects (and
 * re-LISTENs) by itself with capped exponential back-off. NOTIFY is not durable: entries
 * published while the listener was down are not replayed, so a subscriber that sees
 * `onStatus(true)` after a `false` must re-read the revocation store.
 */
export function createPgRevocationBus(options: PgRevocationBusOptions): PgRevocationBus {
  const { settings, notify } = options;
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const listeners = new Set<(entry: Revocation) => void>();
  const statusListeners = new Set<(connected: boolean) => void>();
  let started = false;
  let stopped = false;
  let connected = false;
  /** The live listener connection and the function that retires it. */
  let current: { readonly client: Client; readonly die: () => void } | undefined;
  let attempt = 0;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let probing = false;

  function setConnected(value: boolean): void {
    if (connected === value) return;
    connected = value;
    for (const listener of [...statusListeners]) {
      try {
        listener(value);
      } catch {
        // A broken status listener must not stop the others (or the reconnect loop).
      }
    }
  }

  function deliver(payload: string | undefined): void {
    const entry = decodeRevocation(payload);
    // Anyone who can connect can NOTIFY on this channel: drop what does not parse strictly.
    if (entry === null) return;
    for (const listener of [...listeners]) {
      try {
        listener(entry);
      } catch {
        // One failing subscriber must not keep the revocation from the others.
      }
    }
  }

  function scheduleReconnect(): void {
    if (stopped || reconnectTimer !== undefined) return;
    const ceiling = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** attempt);
    attempt = Math.min(attempt + 1, 16);
    // Jitter, so the nodes of a cluster do not reconnect in lock-step after a server restart.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      void connect();
    }, delay);
    reconnectTimer.unref();
  }

  async function connect(): Promise<void> {
    if (stopped) return;
    const client = new Client(settings.client);
    let dead = false;
    const die = (): void => {
      if (dead) return;
      dead = true;
      client.removeAllListeners('notification');
      void endClient(client);
      if (current?.client === client) {
        current = undefined;
        setConnected(false);
        scheduleReconnect();
      }
    };
    // 'error' must always have a handler (an unhandled one would crash the process).
    client.on('error', die);
    client.on('end', die);
    client.on('notification', (message) => {
      if (message.channel === settings.channel) deliver(message.payload);
    });
    current = { client, die };
    try {
      await client.connect();
      await client.query(`LISTEN "${settings.channel}"`);
    } catch {
      die();
      return;
    }
    if (dead) return;
    if (stopped) {
      die();
      return;
    }
    attempt = 0;
    setConnected(true);
  }

  function start(): void {
    if (started || stopped) return;
    started = true;
    void connect();
    // An idle LISTEN connection notices a vanished server only when it next talks to it (TCP
    // keep-alive takes minutes), so probe it; the client's query_timeout bounds the probe.
    heartbeat = setInterval(() => {
      const live = current;
      // One probe at a time: a probe still waiting on a silent server is the one that will fail.
      if (live === undefined || !connected || probing) return;
      probing = true;
      live.client
        .query('SELECT 1')
        .catch(live.die)
        .finally(() => {
          probing = false;
        });
    }, heartbeatMs);
    heartbeat.unref();
  }

  return {
    get connected(): boolean {
      return connected;
    },
    async publish(entry: Revocation): Promise<void> {
      // NOTIFY reaches every listener on the channel, this node's own included (DESIGN §2).
      await notify(encodeRevocation(entry));
    },
    subscribe(listener: (entry: Revocation) => void): () => void {
      if (stopped) return () => {};
      listeners.add(listener);
      start();
      return () => {
        listeners.delete(listener);
      };
    },
    onStatus(listener: (connected: boolean) => void): () => void {
      if (stopped) return () => {};
      statusListeners.add(listener);
      start();
      return () => {
        statusListeners.delete(listener);
      };
    },
    async close(): Promise<void> {
      if (stopped) return;
      stopped = true;
      clearTimeout(reconnectTimer);
      clearInterval(heartbeat);
      const live = current;
      current = undefined;
      setConnected(false);
      listeners.clear();
      statusListeners.clear();
      if (live !== undefined) await endClient(live.client);
    },
  };
}

/** Ends a client without ever rejecting or hanging: a dead socket may never say goodbye. */
async function endClient(client: Client): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, END_GRACE_MS);
    timer.unref();
  });
  await Promise.race([client.end().catch(() => {}), grace]);
  clearTimeout(timer);
}
