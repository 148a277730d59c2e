/**
 * Named errors raised by the actors layer. Each carries a stable `code` that callers and logs can
 * match on without parsing the message.
 */
import { CodedError } from '../protocol/errors.js';

/** Base class of every error thrown from `actors/`; `code` is stable across releases. */
export class ActorsError extends CodedError {}

/** A simulated device was configured with a missing or out-of-range field. */
export class DeviceConfigError extends ActorsError {
  constructor(message: string) {
    super('VPP_ERR_DEVICE_CONFIG', message);
  }
}

/** A device was asked for a setpoint outside its rating or not finite (callers must clamp first). */
export class SetpointRejectedError extends ActorsError {
  constructor(message: string) {
    super('VPP_ERR_SETPOINT_REJECTED', message);
  }
}

/** A simulated device was asked to move backwards in time. */
export class TimeReversalError extends ActorsError {
  constructor(message: string) {
    super('VPP_ERR_TIME_REVERSED', message);
  }
}

/** A step profile returned a value or next-change time that cannot be integrated. */
export class ProfileError extends ActorsError {
  constructor(message: string) {
    super('VPP_ERR_PROFILE', message);
  }
}

/** The safety envelope or the offer builder got telemetry or a window that lacks a needed field. */
export class ActorInputError extends ActorsError {
  constructor(message: string) {
    super('VPP_ERR_ACTOR_INPUT', message);
  }
}

/** A real device did not answer in time, or its link is down. */
export class DeviceLinkError extends ActorsError {
  constructor(message: string) {
    super('VPP_ERR_DEVICE_LINK', message);
  }
}

/** A real device answered with data that breaks its protocol (malformed register map, frame or payload). */
export class DeviceProtocolError extends ActorsError {
  constructor(message: string) {
    super('VPP_ERR_DEVICE_PROTOCOL', message);
  }
}
