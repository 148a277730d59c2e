import { seededRandom, type Random } from '../../sim/random.js';
import { BaseTransport, type BaseTransportOptions } from './base-transport.js';
import { TransportError } from './transport.js';

/** Faults injected on a directed link between two hub members. */
export interface LinkFaults {
  /** Delivery delay, ms (≥ 0); default 0. */
  delayMs?: number;
  /** Probability in [0, 1] that a payload is lost on this link; default 0. */
  lossProb?: number;
}

/** Runs `fn` after `delayMs` ms; injected so a simulation can drive delivery from its own clock. */
export type DeliveryScheduler = (fn: () => void, delayMs: number) => void;

/** Options of a {@link MemoryHub}. */
export interface MemoryHubOptions {
  /** Seed of the loss draws; default 1. */
  seed?: number;
  /** Faults on every link without its own setting; default none. */
  defaultLink?: LinkFaults;
  /** Delivery scheduler; default: a microtask for 0 ms, setTimeout otherwise. */
  schedule?: DeliveryScheduler;
}

const defaultSchedule: DeliveryScheduler = (fn, delayMs) => {
  if (delayMs === 0) queueMicrotask(fn);
  else setTimeout(fn, delayMs);
};

function checkFaults(faults: LinkFaults, field: string): Required<LinkFaults> {
  const delayMs = faults.delayMs ?? 0;
  const lossProb = faults.lossProb ?? 0;
  if (!Number.isFinite(delayMs) || delayMs < 0) {
    throw new TransportError('VPP_ERR_TRANSPORT_CONFIG', `${field}.delayMs: expected a finite number ≥ 0, got ${delayMs}`);
  }
  if (!(lossProb >= 0 && lossProb <= 1)) {
    throw new TransportError('VPP_ERR_TRANSPORT_CONFIG', `${field}.lossProb: expected a probability in [0, 1], got ${lossProb}`);
  }
  return { delayMs, lossProb };
}

/**
 * An in-process message bus shared by several {@link MemoryTransport}s. Recipients are visited in
 * join order and payloads with equal delay arrive in publish order, so a run is reproducible for a
 * given seed. Loss is drawn per (link, payload) from the seeded generator, only on lossy links.
 */
export class MemoryHub {
  private readonly members: MemoryTransport[] = [];
  private readonly links = new Map<string, Required<LinkFaults>>();
  private defaultLink: Required<LinkFaults>;
  private readonly random: Random;
  private readonly schedule: DeliveryScheduler;

  constructor(options: MemoryHubOptions = {}) {
    this.random = seededRandom(options.seed ?? 1);
    this.defaultLink = checkFaults(options.defaultLink ?? {}, 'memory hub defaultLink');
    this.schedule = options.schedule ?? defaultSchedule;
  }

  /** Sets the faults on the directed link `from` → `to` (member names); `undefined` restores the default. */
  setLink(from: string, to: string, faults: LinkFaults | undefined): void {
    const key = linkKey(from, to);
    if (faults === undefined) this.links.delete(key);
    else this.links.set(key, checkFaults(faults, `memory hub link ${from} -> ${to}`));
  }

  /** Sets the faults on every link without its own setting. */
  setDefaultLink(faults: LinkFaults): void {
    this.defaultLink = checkFaults(faults, 'memory hub defaultLink');
  }

  /** Adds a started transport; names are unique on a hub. */
  join(member: MemoryTransport): void {
    if (this.members.some((m) => m.name === member.name)) {
      throw new TransportError('VPP_ERR_TRANSPORT_CONFIG', `memory hub: a transport named ${JSON.stringify(member.name)} already joined`);
    }
    this.members.push(member);
  }

  /** Removes a stopped transport. */
  leave(member: MemoryTransport): void {
    const index = this.members.indexOf(member);
    if (index >= 0) this.members.splice(index, 1);
  }

  /** Sends a payload from `sender` to every other member of its network subscribed to `topic`. */
  route(sender: MemoryTransport, topic: string, data: Uint8Array): void {
    for (const member of this.members) {
      if (member === sender || member.network !== sender.network || !member.receives(topic)) continue;
      const link = this.links.get(linkKey(sender.name, member.name)) ?? this.defaultLink;
      if (link.lossProb > 0 && this.random.next() < link.lossProb) {
        member.lose();
        continue;
      }
      // Each recipient gets its own copy, as it would from a socket.
      const copy = data.slice();
      this.schedule(() => member.receive(topic, copy, sender.name), link.delayMs);
    }
  }
}

function linkKey(from: string, to: string): string {
  return `${from}\u0000${to}`;
}

/** Options of a {@link MemoryTransport}. */
export interface MemoryTransportOptions extends BaseTransportOptions {
  /** The hub it joins on start. */
  hub: MemoryHub;
}

/** A transport on a {@link MemoryHub}: always connected while started; `from` is the sender's name. */
export class MemoryTransport extends BaseTransport {
  private readonly hub: MemoryHub;

  constructor(options: MemoryTransportOptions) {
    super(options);
    if (!(options.hub instanceof MemoryHub)) {
      throw new TransportError('VPP_ERR_TRANSPORT_CONFIG', `transport ${options.name}: hub: expected a MemoryHub`);
    }
    this.hub = options.hub;
  }

  /** True when a payload on `topic` would reach a local handler (used by the hub). */
  receives(topic: string): boolean {
    return this.isSubscribed(topic);
  }

  /** Delivers a payload routed by the hub. */
  receive(topic: string, data: Uint8Array, from: string): void {
    if (this.state === 'connected') this.deliver(topic, data, from);
  }

  /** Counts a payload the hub dropped on an injected lossy link. */
  lose(): void {
    this.countDropped();
  }

  protected async open(): Promise<void> {
    this.hub.join(this);
    this.markConnected();
  }

  protected async close(): Promise<void> {
    this.hub.leave(this);
  }

  protected async send(topic: string, data: Uint8Array): Promise<void> {
    this.hub.route(this, topic, data);
  }

  protected openTopic(): void {
    // The hub asks receives() at publish time; nothing to register.
  }

  protected closeTopic(): void {
    // See openTopic.
  }
}
