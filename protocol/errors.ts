/**
 * Errors of the wire protocol layer. Decoding untrusted bytes never throws: it returns a
 * `WireError` value. Thrown errors (`ProtocolError` subclasses) are for local mistakes only: a bad
 * key file, a message the caller built wrongly, a misconfigured limit.
 */

/** Stable codes of a rejected wire message; see docs/protocol.md for when each is returned. */
export type WireErrorCode =
  | 'VPP_ERR_MALFORMED'
  | 'VPP_ERR_OVERSIZED'
  | 'VPP_ERR_CONTEXT'
  | 'VPP_ERR_WRONG_NETWORK'
  | 'VPP_ERR_UNKNOWN_TYPE'
  | 'VPP_ERR_WRONG_TYPE'
  | 'VPP_ERR_UNKNOWN_SENDER'
  | 'VPP_ERR_BAD_SIGNATURE'
  | 'VPP_ERR_SCHEMA'
  | 'VPP_ERR_REPLAY'
  | 'VPP_ERR_STALE'
  | 'VPP_ERR_FUTURE'
  | 'VPP_ERR_INTERNAL';

/** Why a wire message was rejected: a stable `code` to count and match on, and a human `reason`. */
export interface WireError {
  code: WireErrorCode;
  reason: string;
}

/**
 * An error with a stable machine-readable `code` (e.g. `VPP_ERR_KEY_FILE`) that callers and logs
 * match on without parsing the message; `name` is the concrete class. Each layer's error base
 * (`ProtocolError`, `ActorsError`, `ChainError`) extends it.
 */
export class CodedError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Base class of every error thrown from `protocol/`; `code` is stable across releases. */
export class ProtocolError extends CodedError {}

/** A key file is missing, unreadable, too permissive, or does not hold a valid ed25519 key pair. */
export class KeyFileError extends ProtocolError {
  constructor(message: string) {
    super('VPP_ERR_KEY_FILE', message);
  }
}

/** A message or envelope built locally does not satisfy the protocol (caller bug, never remote input). */
export class EncodeError extends ProtocolError {
  constructor(message: string) {
    super('VPP_ERR_ENCODE', message);
  }
}
