import { Cluster } from 'ioredis';
import type { Revocation } from '../../core/model.js';
import type { RevocationBus } from '../types.js';
import { decodeRevocation, encodeRevocation } from '../../core/revocation-codec.js';
import { quit } from './redis-connection.js';
import type { RedisClient, RedisConnection } from './redis-connection.js';

/** The Redis bus: a `RevocationBus` with observable status, plus `close`. */
export interface RedisRevocationBus extends RevocationBus {
  onStatus(listener: (connected: boolean) => void): () => void;
  /** True while the subscriber connection is up and subscribed. */
  readonly connected: boolean;
  /** Stops listening and reconnecting; idempotent. */
  close(): Promise<void>;
}

const HEARTBEAT_MS = 10_000;

/**
 * Creates the pub/sub revocation bus. Publishing goes through the store's connection (on a
 * cluster a plain PUBLISH reaches subscribers on every node). Listening uses a dedicated
 * subscriber connection, created on the first `subscribe`/`onStatus`, which ioredis
 * reconnects (and we re-subscribe on every `ready`). Pub/sub is not durable: entries published
 * while the subscriber was down are lost, so `onStatus(true)` after a `false` means "re-read
 * the revocation store". A standalone subscriber is probed with PING, because an idle
 * connection notices a vanished server only when it next talks to it.
 */
export function createRedisRevocationBus(
  connection: RedisConnection,
  channel: string,
  createSubscriber: () => RedisClient,
): RedisRevocationBus {
  const listeners = new Set<(entry: Revocation) => void>();
  const statusListeners = new Set<(connected: boolean) => void>();
  let subscriber: RedisClient | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let stopped = false;
  let connected = false;

  const setConnected = (value: boolean): void => {
    if (connected === value) return;
    connected = value;
    for (const listener of [...statusListeners]) {
      try {
        listener(value);
      } catch {
        // A broken status listener must not stop the others.
      }
    }
  };

  const deliver = (payload: string): void => {
    const entry = decodeRevocation(payload);
    if (entry === null) return;
    for (const listener of [...listeners]) {
      try {
        listener(entry);
      } catch {
        // One failing subscriber must not keep the revocation from the others.
      }
    }
  };

  const start = (): void => {
    if (subscriber !== undefined || stopped) return;
    const sub = createSubscriber();
    subscriber = sub;
    sub.on('error', () => undefined);
    sub.on('message', (from: string, payload: string) => {
      if (from === channel) deliver(payload);
    });
    sub.on('ready', () => {
      sub.subscribe(channel).then(
        () => setConnected(!stopped),
        // A failed SUBSCRIBE on a live connection: reconnect and try again from `ready`.
        () => sub.disconnect(true),
      );
    });
    for (const event of ['close', 'end', 'reconnecting']) sub.on(event, () => setConnected(false));
    if (!(sub instanceof Cluster)) {
      heartbeat = setInterval(() => {
        if (connected) sub.ping().catch(() => sub.disconnect(true));
      }, HEARTBEAT_MS);
      heartbeat.unref();
    }
  };

  return {
    get connected(): boolean {
      return connected;
    },
    async publish(entry: Revocation): Promise<void> {
      const payload = encodeRevocation(entry);
      await connection.run((c) => c.publish(channel, payload));
    },
    subscribe(listener: (entry: Revocation) => void): () => void {
      if (stopped) return () => undefined;
      listeners.add(listener);
      start();
      return () => {
        listeners.delete(listener);
      };
    },
    onStatus(listener: (connected: boolean) => void): () => void {
      if (stopped) return () => undefined;
      statusListeners.add(listener);
      start();
      return () => {
        statusListeners.delete(listener);
      };
    },
    async close(): Promise<void> {
      if (stopped) return;
      stopped = true;
      clearInterval(heartbeat);
      setConnected(false);
      listeners.clear();
      statusListeners.clear();
      if (subscriber !== undefined) await quit(subscriber);
    },
  };
}
