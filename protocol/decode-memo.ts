/**
 * Decoded payloads remembered by envelope id. Nodes sharing one process (a simulation's
 * coordinators and peers) receive the same envelopes: each would otherwise decode and
 * schema-check the same large offer, proposal and commit payloads again. Only messages that passed
 * every payload check are kept, under the limits they passed with, so a remembered answer is
 * exactly what decoding again would give. Callers treat decoded messages as read-only.
 */
import type { WireLimits } from './envelope.js';
import type { Message } from './messages.js';

export class DecodeMemo {
  private readonly entries = new Map<string, { limits: WireLimits; message: Message }>();

  constructor(private readonly maxEntries: number) {}

  get(id: Uint8Array, limits: WireLimits): Message | undefined {
    const key = Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('base64');
    const entry = this.entries.get(key);
    return entry !== undefined && entry.limits === limits ? entry.message : undefined;
  }

  set(id: Uint8Array, limits: WireLimits, message: Message): void {
    const key = Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('base64');
    this.entries.set(key, { limits, message });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }
}
