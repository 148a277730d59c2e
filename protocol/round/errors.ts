import { ProtocolError } from '../errors.js';

/** Stable codes of `RoundError`. */
export type RoundErrorCode = 'VPP_ERR_ROUND_CONFIG' | 'VPP_ERR_ROUND_ENCODE' | 'VPP_ERR_ROUND_STATE';

/** A local mistake in the signed round: bad configuration, an engine id that is not a key, or a call in the wrong state. */
export class RoundError extends ProtocolError {
  constructor(code: RoundErrorCode, message: string) {
    super(code, message);
  }
}
