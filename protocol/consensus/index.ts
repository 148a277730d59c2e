/** Tendermint-style BFT round: engine, certificate check, independent safety checker and types. */
export { ConsensusEngine, DEFAULT_TIMEOUTS } from './engine.js';
export type { ConsensusCallbacks, ConsensusConfig, EngineStats, RejectReason, Step, TimeoutConfig } from './engine.js';
export { verifyCertificate } from './certificate.js';
export type { CertificateCheck, CertificateErrorCode } from './certificate.js';
export { SafetyChecker } from './safety-checker.js';
export { ConsensusError } from './errors.js';
export { commitQuorum, maxFaulty } from './types.js';
export type { CommitCertificate, ConsensusMessage, Evidence, Proposal, TimeoutKind, Vote, VoteKind } from './types.js';
