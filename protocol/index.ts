/**
 * Public API of the signed wire protocol: message types, the signed envelope, keys and verifiers,
 * replay protection, content hashes and commit-certificate checks. Wire format: docs/protocol.md.
 */
export type { FlexibilityOffer } from './offer.js';
export type { DispatchPlan, PlanPeriod } from './plan.js';
export { KeyFileError, EncodeError, ProtocolError, type WireError, type WireErrorCode } from './errors.js';
export {
  MESSAGE_SCHEMAS,
  MESSAGE_TYPES,
  PROTOCOL_VERSION,
  isMessageType,
  type CertificateRef,
  type CommitMessage,
  type HeartbeatMessage,
  type Message,
  type MessageOf,
  type MessageType,
  MAX_READINGS_PER_MESSAGE,
  type MeterReading,
  type MeterReadingMessage,
  type OfferMessage,
  type PrecommitMessage,
  type PrevoteMessage,
  type ProposalMessage,
  type SetpointsMessage,
} from './messages.js';
export {
  DEFAULT_WIRE_LIMITS,
  EnvelopeSigner,
  MAX_NETWORK_ID_LENGTH,
  SIGNING_CONTEXT,
  decodeEnvelope,
  encodeEnvelope,
  type DecodeOptions,
  type DecodeResult,
  type EnvelopeHeader,
  type SignedEnvelope,
  type WireLimits,
} from './envelope.js';
export {
  KEY_FILE_TYPE,
  equalBytes,
  fromHex,
  generateKeyPair,
  keyPairFromSeed,
  loadKeyFile,
  saveKeyFile,
  sign,
  toHex,
  type KeyPair,
  type SignatureVerifier,
} from './keys.js';
export { tweetnaclVerifier } from './verifier-tweetnacl.js';
export { ED25519_SPKI_PREFIX, createNodeCryptoVerifier, nodePublicKey } from './verifier-node-crypto.js';
export { DEFAULT_REPLAY_GUARD_OPTIONS, ReplayGuard, type AdmitResult, type ReplayGuardOptions } from './replay-guard.js';
export { envelopeId, offerSetHash, planHash, sha256 } from './hashes.js';
export { quorumSize, verifyCommitCertificate, type CertificateResult } from './certificate.js';
