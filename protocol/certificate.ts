/**
 * Checking a commit certificate: what a DER (or a lagging validator) runs before it trusts that a
 * plan committed. Each embedded precommit is a full signed envelope and is verified on its own.
 */
import type { WireError } from './errors.js';
import type { DecodeMemo } from './decode-memo.js';
import { decodeEnvelope, type WireLimits } from './envelope.js';
import { equalBytes, toHex, type SignatureVerifier } from './keys.js';
import type { CommitMessage } from './messages.js';

/** Precommits needed among `validatorCount` validators: ⌊2n/3⌋ + 1 (2f+1 when n = 3f+1). */
export function quorumSize(validatorCount: number): number {
  return Math.floor((2 * validatorCount) / 3) + 1;
}

/** Outcome of `verifyCommitCertificate`: the distinct validators whose precommits counted. */
export type CertificateResult = { ok: true; signers: Uint8Array[] } | { ok: false; error: WireError };

/**
 * True (with the signers) when `commit` holds valid precommits from at least a quorum of distinct
 * `validators`, all for the certificate's interval, round and plan hash. No replay guard applies:
 * precommits inside a certificate are old by design.
 */
export function verifyCommitCertificate(
  commit: CommitMessage,
  options: { networkId: string; verifier: SignatureVerifier; validators: readonly Uint8Array[]; limits?: WireLimits; memo?: DecodeMemo },
): CertificateResult {
  const validatorSet = new Set(options.validators.map(toHex));
  const signers = new Map<string, Uint8Array>();
  for (const [index, bytes] of commit.precommits.entries()) {
    const decoded = decodeEnvelope(bytes, {
      networkId: options.networkId,
      verifier: options.verifier,
      acceptTypes: ['precommit'],
      isKnownSender: (key) => validatorSet.has(toHex(key)),
      limits: options.limits,
      memo: options.memo,
    });
    if (!decoded.ok) return { ok: false, error: { code: decoded.error.code, reason: `certificate precommits[${index}]: ${decoded.error.reason}` } };
    const vote = decoded.message;
    if (vote.intervalStartMs !== commit.intervalStartMs || vote.round !== commit.round || !vote.planHash || !equalBytes(vote.planHash, commit.planHash)) {
      return { ok: false, error: { code: 'VPP_ERR_SCHEMA', reason: `certificate precommits[${index}]: votes for another interval, round or plan than the certificate` } };
    }
    signers.set(toHex(decoded.envelope.senderPublicKey), decoded.envelope.senderPublicKey);
  }
  const needed = quorumSize(validatorSet.size);
  if (signers.size < needed) {
    return { ok: false, error: { code: 'VPP_ERR_SCHEMA', reason: `certificate has precommits from ${signers.size} distinct validators, needs ${needed} of ${validatorSet.size}` } };
  }
  return { ok: true, signers: [...signers.values()] };
}
