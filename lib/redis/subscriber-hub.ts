import type { RedisConnection, SubscriberConnection } from './redis-connection.js';

/** A channel's messages for one listener, and what to do after a reconnection. */
export interface ChannelListener {
  message(message: string): void;
  /** The subscription is in place (first time or after a reconnection): read what may have been missed. */
  subscribed?(): void;
}

/** One pub/sub connection per client, shared by every session of the process that uses that client. */
export interface SubscriberHub {
  /** Listens on `channel` until the returned function is called; SUBSCRIBEs on the first listener. */
  listen(channel: string, listener: ChannelListener): () => void;
  /** Gives back one reference; the connection closes when the last one is given back. */
  release(): void;
}

interface HubEntry {
  refs: number;
  connection: SubscriberConnection | undefined;
  readonly channels: Map<string, Set<ChannelListener>>;
  readonly toSubscribe: Set<string>;
  readonly toUnsubscribe: Set<string>;
  flushQueued: boolean;
}

const RESUBSCRIBE_DELAY = 500;

// Keyed by the app's client object: sessions built on the same client share one subscriber.
const hubs = new WeakMap<object, HubEntry>();

/** What the specs and the benchmark read: open subscriber connections and channels listened to. */
export function subscriberStats(client: object): { readonly connections: number; readonly channels: number; readonly listeners: number } {
  const entry = hubs.get(client);
  if (!entry) return { connections: 0, channels: 0, listeners: 0 };
  let listeners = 0;
  for (const set of entry.channels.values()) listeners += set.size;
  return { connections: entry.connection ? 1 : 0, channels: entry.channels.size, listeners };
}

/** Takes a reference on the hub of `client`, creating it (lazily connected) when it is the first. */
export function acquireHub(client: object, connection: RedisConnection): SubscriberHub {
  const hub = hubOf(client);
  hub.refs += 1;
  let released = false;
  return {
    listen(channel, listener) {
      if (released) return () => undefined; // a disposed session's lock polls instead
      return listen(hub, connection, channel, listener);
    },
    release() {
      if (released) return;
      released = true;
      releaseHub(client, hub);
    },
  };
}

/** The hub of `client`, created (with no connection yet) by the first session on that client. */
function hubOf(client: object): HubEntry {
  let entry = hubs.get(client);
  if (!entry) {
    entry = { refs: 0, connection: undefined, channels: new Map(), toSubscribe: new Set(), toUnsubscribe: new Set(), flushQueued: false };
    hubs.set(client, entry);
  }
  return entry;
}

/** Adds `listener` on `channel`; the first listener of a channel opens the connection and queues its SUBSCRIBE. */
function listen(hub: HubEntry, connection: RedisConnection, channel: string, listener: ChannelListener): () => void {
  let listeners = hub.channels.get(channel);
  if (!listeners) {
    listeners = new Set();
    hub.channels.set(channel, listeners);
    open(hub, connection);
    if (!hub.toUnsubscribe.delete(channel)) hub.toSubscribe.add(channel);
    scheduleFlush(hub);
  }
  listeners.add(listener);
  return () => {
    const set = hub.channels.get(channel);
    if (!set?.delete(listener) || set.size > 0) return;
    hub.channels.delete(channel);
    if (!hub.toSubscribe.delete(channel)) hub.toUnsubscribe.add(channel);
    scheduleFlush(hub);
  };
}

/** Gives back one reference; the last one closes the connection and forgets the hub. */
function releaseHub(client: object, hub: HubEntry): void {
  hub.refs -= 1;
  if (hub.refs > 0) return;
  hubs.delete(client);
  hub.channels.clear();
  hub.connection?.close();
  hub.connection = undefined;
}

/** The hub's pub/sub connection, opened on first use; after a reconnection every listener catches up. */
function open(hub: HubEntry, connection: RedisConnection): void {
  if (hub.connection) return;
  const opened = connection.openSubscriber((channel, message) => {
    for (const listener of [...(hub.channels.get(channel) ?? [])]) listener.message(message);
  });
  opened.onReconnect(() => {
    for (const listeners of hub.channels.values()) for (const listener of [...listeners]) listener.subscribed?.();
  });
  hub.connection = opened;
}

// Sessions come and go in bursts (a BFF starting 1,000 of them): one SUBSCRIBE per tick, not per session.
function scheduleFlush(hub: HubEntry, delay = 0): void {
  if (hub.flushQueued) return;
  hub.flushQueued = true;
  setTimeout(() => {
    hub.flushQueued = false;
    flush(hub);
  }, delay);
}

/** Sends the queued UNSUBSCRIBE and SUBSCRIBE, each for all its channels at once. */
function flush(hub: HubEntry): void {
  const subscriber = hub.connection;
  if (!subscriber) return;
  const subscribe = [...hub.toSubscribe];
  const unsubscribe = [...hub.toUnsubscribe];
  hub.toSubscribe.clear();
  hub.toUnsubscribe.clear();
  if (unsubscribe.length > 0) subscriber.unsubscribe(unsubscribe).catch(() => undefined);
  if (subscribe.length === 0) return;
  subscriber.subscribe(subscribe).then(
    () => {
      for (const channel of subscribe) for (const listener of [...(hub.channels.get(channel) ?? [])]) listener.subscribed?.();
    },
    () => {
      // Refused or lost (Redis down): the clients resubscribe only what was subscribed, so
      // try again while someone still listens; onReconnect catches up on what was missed.
      if (hub.connection !== subscriber) return;
      for (const channel of subscribe) if (hub.channels.has(channel)) hub.toSubscribe.add(channel);
      if (hub.toSubscribe.size > 0) scheduleFlush(hub, RESUBSCRIBE_DELAY);
    },
  );
}
