/**
 * The signed envelope every wire message travels in (layout: docs/protocol.md).
 *
 *   envelope     = msgpack array [ signedBytes: bin, signature: bin(64) ]
 *   signedBytes  = msgpack array [ "vpp/v1", networkId: str, type: str, sender: bin(32),
 *                                  seq: uint, issuedAtMs: uint, payload: bin ]
 *   payload      = msgpack map of the message (messages.ts)
 *   signature    = ed25519(sender's secret key, signedBytes)
 *
 * The signature covers the exact `signedBytes` as received; nothing is re-encoded to verify. The
 * context string, network id and message type sit inside the signed bytes, so a signature cannot
 * be replayed on another network, as another message type, or by another protocol version.
 */
import { Decoder, Encoder } from '@msgpack/msgpack';
import type { WireError, WireErrorCode } from './errors.js';
import { EncodeError } from './errors.js';
import { envelopeId, offerSetHash, planHash } from './hashes.js';
import { equalBytes, sign, type KeyPair, type SignatureVerifier } from './keys.js';
import { MESSAGE_SCHEMAS, fromWire, isMessageType, toWire, type Message, type MessageOf, type MessageType } from './messages.js';
import type { DecodeMemo } from './decode-memo.js';
import type { ReplayGuard } from './replay-guard.js';

/** First element of the signed bytes: the domain-separation context and protocol version. */
export const SIGNING_CONTEXT = 'vpp/v1';

/** Longest network id, characters (UTF-8 bytes for non-ASCII ids). */
export const MAX_NETWORK_ID_LENGTH = 64;

/** Size limits applied while decoding; every msgpack length is bounded before anything is allocated. */
export interface WireLimits {
  /** Largest whole envelope per message type, bytes. */
  maxEnvelopeBytes: Record<MessageType, number>;
  /** Longest string inside a payload, bytes. */
  maxStrLength: number;
  /** Longest binary inside a payload (keys, hashes, embedded precommit envelopes), bytes. */
  maxBinLength: number;
  /** Most elements of one array inside a payload. */
  maxArrayLength: number;
  /** Most entries of one map inside a payload. */
  maxMapLength: number;
}

/** Defaults sized for a 10,000-DER fleet with a few dozen plan periods. */
export const DEFAULT_WIRE_LIMITS: WireLimits = {
  maxEnvelopeBytes: {
    offer: 1024 * 1024,
    proposal: 16 * 1024 * 1024,
    prevote: 1024,
    precommit: 1024,
    // A commit may carry the plan for nodes catching up.
    commit: 16 * 1024 * 1024,
    setpoints: 16 * 1024,
    // A site gateway signs the readings of up to MAX_READINGS_PER_MESSAGE DERs at once.
    meter: 256 * 1024,
    heartbeat: 1024,
  },
  maxStrLength: 1024,
  maxBinLength: 4096,
  maxArrayLength: 100_000,
  maxMapLength: 100_000,
};

/** A decoded envelope whose signature checked out. Byte fields are views into the received bytes. */
export interface SignedEnvelope {
  networkId: string;
  type: MessageType;
  /** Sender's ed25519 public key, 32 bytes. */
  senderPublicKey: Uint8Array;
  /** Per-sender sequence number, a non-negative safe integer, rising. */
  seq: number;
  /** When the sender issued the message, UTC epoch ms. */
  issuedAtMs: number;
  /** The message's msgpack bytes as signed. */
  payload: Uint8Array;
  /** The exact bytes the signature covers. */
  signedBytes: Uint8Array;
  /** Ed25519 signature, 64 bytes. */
  signature: Uint8Array;
  /** `envelopeId(signedBytes)`: SHA-256, 32 bytes. */
  id: Uint8Array;
  /** The whole envelope as received (what a commit certificate embeds). */
  raw: Uint8Array;
}

/** Outcome of `decodeEnvelope`: a verified, schema-checked message or a typed error. */
export type DecodeResult<M extends Message = Message> = { ok: true; envelope: SignedEnvelope; message: M } | { ok: false; error: WireError };

/** What `decodeEnvelope` checks against. */
export interface DecodeOptions<T extends MessageType = MessageType> {
  /** The receiver's network id; envelopes for any other are rejected. */
  networkId: string;
  verifier: SignatureVerifier;
  /** Message types this receiver takes here; others are `VPP_ERR_WRONG_TYPE`. Default: all. */
  acceptTypes?: readonly T[];
  /** Sender admission (e.g. the validator set); a `false` is `VPP_ERR_UNKNOWN_SENDER`. Default: anyone. */
  isKnownSender?: (publicKey: Uint8Array) => boolean;
  /** When given, verified envelopes also pass its window and sequence checks (and are recorded). */
  replayGuard?: ReplayGuard;
  limits?: WireLimits;
  /** Payloads already decoded in this process, by envelope id (a simulation's nodes share one). */
  memo?: DecodeMemo;
}

/** Header fields a sender chooses for one envelope. */
export interface EnvelopeHeader {
  networkId: string;
  keyPair: KeyPair;
  seq: number;
  issuedAtMs: number;
}

const encoder = new Encoder({ ignoreUndefined: true });

// ed25519 group order L, little-endian: signatures must carry S < L. OpenSSL enforces it,
// tweetnacl does not; checking here makes every verifier agree and signatures non-malleable.
const GROUP_ORDER_LE = Buffer.from('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010', 'hex');

/** Run-length offer profiles may expand to this many times `maxArrayLength` numbers per message. */
const EXPANDED_VALUES_PER_ARRAY_LIMIT = 4;

/** Largest envelope of any type under `limits`, bytes. */
function maxAnyEnvelopeBytes(limits: WireLimits): number {
  return Math.max(...Object.values(limits.maxEnvelopeBytes));
}

/**
 * Encodes and signs `message`. Throws `EncodeError` when the message fails the checks a receiver
 * applies (schema, hashes, size limit): a local bug, never remote input.
 */
export function encodeEnvelope(message: Message, header: EnvelopeHeader, limits: WireLimits = DEFAULT_WIRE_LIMITS): Uint8Array {
  const { networkId, keyPair, seq, issuedAtMs } = header;
  if (networkId.length < 1 || Buffer.byteLength(networkId) > MAX_NETWORK_ID_LENGTH) throw new EncodeError(`networkId must be 1..${MAX_NETWORK_ID_LENGTH} bytes, got '${networkId}'`);
  if (!Number.isSafeInteger(seq) || seq < 0) throw new EncodeError(`seq must be a non-negative safe integer, got ${seq}`);
  if (!Number.isSafeInteger(issuedAtMs) || issuedAtMs < 0) throw new EncodeError(`issuedAtMs must be a non-negative safe integer, got ${issuedAtMs}`);
  if (!isMessageType(message.type)) throw new EncodeError(`unknown message type '${String(message.type)}'`);
  const checked = MESSAGE_SCHEMAS[message.type].safeParse(message);
  if (!checked.success) throw new EncodeError(`${message.type} message: ${describeIssue(checked.error.issues)}`);
  if (keyPair.publicKey.length !== 32) throw new EncodeError(`public key must be 32 bytes, got ${keyPair.publicKey.length}`);
  const inconsistency = inconsistencyOf(message, keyPair.publicKey);
  if (inconsistency) throw new EncodeError(`${message.type} message: ${inconsistency}`);
  const payload = encoder.encode(toWire(message));
  const signedBytes = encoder.encode([SIGNING_CONTEXT, networkId, message.type, keyPair.publicKey, seq, issuedAtMs, payload]);
  const bytes = encoder.encode([signedBytes, sign(signedBytes, keyPair.secretKey)]);
  const limit = limits.maxEnvelopeBytes[message.type];
  if (bytes.length > limit) throw new EncodeError(`${message.type} envelope is ${bytes.length} bytes, over the ${limit}-byte limit`);
  return bytes;
}

/**
 * Signs messages for one sender on one network with rising sequence numbers. The first sequence
 * number defaults to `clock() * 1000`, so a restarted sender keeps rising without stored state as
 * long as it averages under 1,000 messages per millisecond.
 */
export class EnvelopeSigner {
  private nextSeq: number;

  constructor(
    private readonly options: { networkId: string; keyPair: KeyPair; clock?: () => number; firstSeq?: number; limits?: WireLimits },
  ) {
    this.nextSeq = options.firstSeq ?? this.now() * 1000;
  }

  /** Encodes and signs `message` with the next sequence number and the clock's time. */
  seal(message: Message): Uint8Array {
    const bytes = encodeEnvelope(message, { networkId: this.options.networkId, keyPair: this.options.keyPair, seq: this.nextSeq, issuedAtMs: this.now() }, this.options.limits);
    this.nextSeq++;
    return bytes;
  }

  private now(): number {
    return (this.options.clock ?? Date.now)();
  }
}

/**
 * Decodes, authenticates and schema-checks untrusted bytes. Never throws: every failure is a
 * `{ ok: false, error: { code, reason } }`. Checks run cheapest first: size, structure, context,
 * network, type, sender, signature, payload schema, then the replay guard (which records the
 * message only when everything else passed).
 */
export function decodeEnvelope<T extends MessageType = MessageType>(bytes: unknown, options: DecodeOptions<T>): DecodeResult<MessageOf<T>> {
  try {
    return decodeUnsafe(bytes, options);
  } catch (error) {
    return fail('VPP_ERR_INTERNAL', `decoder failed unexpectedly: ${(error as Error)?.message ?? String(error)}`);
  }
}

/** What `peekEnvelope` reads without checking: NOT authenticated. */
export interface EnvelopePeek {
  /** `envelopeId` of the signed bytes (equal for every copy of one signed message). */
  id: Uint8Array;
  type: string;
  sender: Uint8Array;
  /** The msgpack-decoded payload, unvalidated. */
  payload: unknown;
}

/**
 * Reads an envelope's id, type, sender and payload WITHOUT verifying anything, or undefined when
 * the bytes are not shaped like an envelope. Only for dropping a copy of something already taken
 * before paying for a signature check; everything acted upon must come from `decodeEnvelope`.
 */
export function peekEnvelope(bytes: Uint8Array, limits: WireLimits = DEFAULT_WIRE_LIMITS): EnvelopePeek | undefined {
  try {
    const maxBytes = maxAnyEnvelopeBytes(limits);
    if (bytes.length > maxBytes) return undefined;
    const outer = decodeMsgpack(bytes, { maxStrLength: 0, maxBinLength: maxBytes, maxArrayLength: 2, maxMapLength: 0, maxExtLength: 0 });
    if ('error' in outer || !Array.isArray(outer.value) || !(outer.value[0] instanceof Uint8Array)) return undefined;
    const signedBytes = outer.value[0];
    const header = decodeMsgpack(signedBytes, { maxStrLength: MAX_NETWORK_ID_LENGTH, maxBinLength: maxBytes, maxArrayLength: 7, maxMapLength: 0, maxExtLength: 0 });
    if ('error' in header || !Array.isArray(header.value) || header.value.length !== 7) return undefined;
    const [, , type, sender, , , payload] = header.value as unknown[];
    if (typeof type !== 'string' || !(sender instanceof Uint8Array) || !(payload instanceof Uint8Array)) return undefined;
    const body = decodeMsgpack(payload, { maxStrLength: limits.maxStrLength, maxBinLength: limits.maxBinLength, maxArrayLength: Math.min(limits.maxArrayLength, payload.length), maxMapLength: Math.min(limits.maxMapLength, payload.length), maxExtLength: 0 });
    if ('error' in body) return undefined;
    return { id: envelopeId(signedBytes), type, sender, payload: body.value };
  } catch {
    return undefined;
  }
}

function decodeUnsafe<T extends MessageType>(bytes: unknown, options: DecodeOptions<T>): DecodeResult<MessageOf<T>> {
  const limits = options.limits ?? DEFAULT_WIRE_LIMITS;
  if (!(bytes instanceof Uint8Array)) return fail('VPP_ERR_MALFORMED', 'envelope: expected a Uint8Array');
  const maxBytes = maxAnyEnvelopeBytes(limits);
  if (bytes.length > maxBytes) return fail('VPP_ERR_OVERSIZED', `envelope is ${bytes.length} bytes, over the largest limit ${maxBytes}`);

  const outer = decodeMsgpack(bytes, { maxStrLength: 0, maxBinLength: maxBytes, maxArrayLength: 2, maxMapLength: 0, maxExtLength: 0 });
  if ('error' in outer) return fail('VPP_ERR_MALFORMED', `envelope: ${outer.error}`);
  const [signedBytes, signature] = Array.isArray(outer.value) && outer.value.length === 2 ? outer.value : [];
  if (!(signedBytes instanceof Uint8Array) || !(signature instanceof Uint8Array)) return fail('VPP_ERR_MALFORMED', 'envelope: expected array [signedBytes: bin, signature: bin]');
  if (signature.length !== 64) return fail('VPP_ERR_MALFORMED', `envelope: signature is ${signature.length} bytes, expected 64`);

  const header = decodeMsgpack(signedBytes, { maxStrLength: MAX_NETWORK_ID_LENGTH, maxBinLength: maxBytes, maxArrayLength: 7, maxMapLength: 0, maxExtLength: 0 });
  if ('error' in header) return fail('VPP_ERR_MALFORMED', `signed header: ${header.error}`);
  if (!Array.isArray(header.value) || header.value.length !== 7) return fail('VPP_ERR_MALFORMED', 'signed header: expected an array of 7 fields');
  const [context, networkId, type, sender, seq, issuedAtMs, payload] = header.value as unknown[];
  if (context !== SIGNING_CONTEXT) return fail('VPP_ERR_CONTEXT', `signed header[0]: expected '${SIGNING_CONTEXT}', got ${preview(context)}`);
  if (typeof networkId !== 'string') return fail('VPP_ERR_MALFORMED', 'signed header[1] networkId: expected a string');
  if (typeof type !== 'string') return fail('VPP_ERR_MALFORMED', 'signed header[2] type: expected a string');
  if (!(sender instanceof Uint8Array) || sender.length !== 32) return fail('VPP_ERR_MALFORMED', 'signed header[3] sender: expected 32 bytes');
  if (!Number.isSafeInteger(seq) || (seq as number) < 0) return fail('VPP_ERR_MALFORMED', 'signed header[4] seq: expected a non-negative safe integer');
  if (!Number.isSafeInteger(issuedAtMs) || (issuedAtMs as number) < 0) return fail('VPP_ERR_MALFORMED', 'signed header[5] issuedAtMs: expected a non-negative safe integer');
  if (!(payload instanceof Uint8Array)) return fail('VPP_ERR_MALFORMED', 'signed header[6] payload: expected bin');

  if (networkId !== options.networkId) return fail('VPP_ERR_WRONG_NETWORK', `network '${preview(networkId)}', this node is on '${options.networkId}'`);
  if (!isMessageType(type)) return fail('VPP_ERR_UNKNOWN_TYPE', `unknown message type ${preview(type)}`);
  if (options.acceptTypes && !(options.acceptTypes as readonly string[]).includes(type)) {
    return fail('VPP_ERR_WRONG_TYPE', `message type '${type}' not accepted here (expected ${options.acceptTypes.join(', ')})`);
  }
  const limit = limits.maxEnvelopeBytes[type];
  if (bytes.length > limit) return fail('VPP_ERR_OVERSIZED', `${type} envelope is ${bytes.length} bytes, over its ${limit}-byte limit`);
  if (options.isKnownSender && !options.isKnownSender(sender)) return fail('VPP_ERR_UNKNOWN_SENDER', `sender ${Buffer.from(sender).toString('hex')} is not admitted`);

  if (!isCanonicalS(signature) || !options.verifier.verify(signedBytes, signature, sender)) {
    return fail('VPP_ERR_BAD_SIGNATURE', `${type} from ${Buffer.from(sender).toString('hex')}: signature does not verify`);
  }

  const id = envelopeId(signedBytes);
  let message = options.memo?.get(id, limits);
  if (message === undefined) {
    const checked = checkedPayload(type, payload, sender, limits);
    if (!checked.ok) return checked;
    message = checked.message;
    options.memo?.set(id, limits, message);
  }

  if (options.replayGuard) {
    const admitted = options.replayGuard.admit(sender, seq as number, issuedAtMs as number);
    if (!admitted.ok) return admitted;
  }
  const envelope: SignedEnvelope = { networkId, type, senderPublicKey: sender, seq: seq as number, issuedAtMs: issuedAtMs as number, payload, signedBytes, signature, id, raw: bytes };
  return { ok: true, envelope, message: message as MessageOf<T> };
}

/** The payload decoded, schema-checked and consistent with its sender, or why not. */
function checkedPayload(type: MessageType, payload: Uint8Array, sender: Uint8Array, limits: WireLimits): { ok: true; message: Message } | { ok: false; error: WireError } {
  const body = decodeMsgpack(payload, {
    maxStrLength: limits.maxStrLength,
    maxBinLength: limits.maxBinLength,
    // A declared length can never exceed the bytes left; bounding by the payload size stops a
    // few header bytes from making the decoder allocate huge arrays.
    maxArrayLength: Math.min(limits.maxArrayLength, payload.length),
    maxMapLength: Math.min(limits.maxMapLength, payload.length),
    maxExtLength: 0,
  });
  if ('error' in body) return fail('VPP_ERR_MALFORMED', `${type} payload: ${body.error}`);
  const expanded = fromWire(type, body.value, EXPANDED_VALUES_PER_ARRAY_LIMIT * limits.maxArrayLength);
  if ('error' in expanded) return fail('VPP_ERR_SCHEMA', `${type} payload: ${expanded.error}`);
  const parsed = MESSAGE_SCHEMAS[type].safeParse(expanded.value);
  if (!parsed.success) return fail('VPP_ERR_SCHEMA', `${type} payload: ${describeIssue(parsed.error.issues)}`);
  const message = parsed.data;
  const inconsistency = inconsistencyOf(message, sender);
  if (inconsistency) return fail('VPP_ERR_SCHEMA', `${type} payload: ${inconsistency}`);
  return { ok: true, message };
}

/** What is wrong between fields of a schema-valid message (or with its sender), if anything. */
function inconsistencyOf(message: Message, sender: Uint8Array): string | undefined {
  if (message.type === 'proposal') {
    if (!equalBytes(message.proposer, sender)) return "field 'proposer' must equal the envelope's sender";
    if (!equalBytes(message.offerSetHash, offerSetHash(message.offerIds))) return "field 'offerSetHash' does not match 'offerIds'";
    if (message.plan.offerSetHash !== undefined && !equalBytes(message.plan.offerSetHash, message.offerSetHash)) return "field 'plan.offerSetHash' does not match 'offerSetHash'";
  }
  if ((message.type === 'proposal' || message.type === 'commit') && message.plan && !equalBytes(message.planHash, planHash(message.plan))) {
    return "field 'planHash' does not match 'plan'";
  }
  return undefined;
}

type Limits = { maxStrLength: number; maxBinLength: number; maxArrayLength: number; maxMapLength: number; maxExtLength: number };

/** Decoders by their limits: building one allocates its key cache, too costly per message. */
const decoders = new Map<string, Decoder>();

function decoderFor(limits: Limits): Decoder {
  const key = `${limits.maxStrLength}:${limits.maxBinLength}:${limits.maxArrayLength}:${limits.maxMapLength}:${limits.maxExtLength}`;
  let decoder = decoders.get(key);
  if (decoder === undefined) {
    // Payload-sized limits make many keys; an unbounded map would grow with every payload size seen.
    if (decoders.size >= 256) decoders.clear();
    decoder = new Decoder(limits);
    decoders.set(key, decoder);
  }
  return decoder;
}

function decodeMsgpack(bytes: Uint8Array, limits: Limits): { value: unknown } | { error: string } {
  try {
    return { value: decoderFor(limits).decode(bytes) };
  } catch (error) {
    return { error: `not valid msgpack within limits (${(error as Error)?.message ?? String(error)})` };
  }
}

function isCanonicalS(signature: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    const s = signature[32 + i];
    if (s !== GROUP_ORDER_LE[i]) return s < GROUP_ORDER_LE[i];
  }
  return false;
}

function describeIssue(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  const first = issues[0];
  const path = first?.path.length ? first.path.map(String).join('.') : '(root)';
  return `field '${path}': ${first?.message ?? 'invalid'}${issues.length > 1 ? ` (+${issues.length - 1} more)` : ''}`;
}

function preview(value: unknown): string {
  const text = typeof value === 'string' ? `'${value}'` : String(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

function fail(code: WireErrorCode, reason: string): { ok: false; error: WireError } {
  return { ok: false, error: { code, reason } };
}
