/** The BFT consensus engine run over signed envelopes and a transport. */
export { SignedRound, realTimeScheduler } from './signed-round.js';
export type { RoundDecision, RoundRejectCode, RoundScheduler, RoundStats, SignedRoundOptions } from './signed-round.js';
export { fromWireMessage, heightOf, intervalStartOf, isSignedKind, messageKey, toWireMessage, valueIdOf } from './wire-adapter.js';
export type { HeightGrid, RoundValue } from './wire-adapter.js';
export { RoundError, type RoundErrorCode } from './errors.js';
export { roundFaultSchema, faultActiveAt, type LinkFault, type RoundFault, type RoundFaultKind } from './faults.js';
export { memoizingVerifier } from './memo-verifier.js';
