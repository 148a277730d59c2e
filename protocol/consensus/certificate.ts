import type { CommitCertificate, Vote } from './types.js';

/** Stable codes of a certificate that fails `verifyCertificate`. */
export type CertificateErrorCode =
  | 'CERT_MALFORMED'
  | 'CERT_BAD_FAULT_BOUND'
  | 'CERT_VOTE_MISMATCH'
  | 'CERT_UNKNOWN_VALIDATOR'
  | 'CERT_DUPLICATE_VALIDATOR'
  | 'CERT_BAD_SIGNATURE'
  | 'CERT_TOO_FEW';

/** Outcome of `verifyCertificate`: ok, or a stable code and a reason naming the offending field or vote. */
export type CertificateCheck = { ok: true } | { ok: false; code: CertificateErrorCode; reason: string };

const isRoundNumber = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

/**
 * Structural check of a commit certificate: every precommit is a `precommit` for the certificate's
 * (height, round, valueId) from a distinct validator of `validatorIds`, there are at least
 * max(2f+1, n − f) of them, and each passes `verifyVote` (signature check, injected by the envelope
 * layer; without it signatures are not checked).
 * @param cert the certificate to check (untrusted input: any shape is handled)
 * @param validatorIds the fixed validator set, n = validatorIds.length
 * @param f tolerated Byzantine validators, with 3f+1 ≤ n
 * @param verifyVote optional per-vote signature check
 */
export function verifyCertificate(
  cert: CommitCertificate,
  validatorIds: readonly string[],
  f: number,
  verifyVote?: (vote: Vote) => boolean,
): CertificateCheck {
  const n = validatorIds.length;
  if (!Number.isSafeInteger(f) || f < 0 || 3 * f + 1 > n) {
    return { ok: false, code: 'CERT_BAD_FAULT_BOUND', reason: `f=${f} is not an integer with 3f+1 ≤ n=${n}` };
  }
  if (typeof cert !== 'object' || cert === null) return { ok: false, code: 'CERT_MALFORMED', reason: 'certificate is not an object' };
  if (!isRoundNumber(cert.height) || !isRoundNumber(cert.round)) {
    return { ok: false, code: 'CERT_MALFORMED', reason: 'height and round must be non-negative integers' };
  }
  if (typeof cert.valueId !== 'string' || cert.valueId.length === 0) {
    return { ok: false, code: 'CERT_MALFORMED', reason: 'valueId must be a non-empty string' };
  }
  if (!Array.isArray(cert.precommits)) return { ok: false, code: 'CERT_MALFORMED', reason: 'precommits must be an array' };
  const known = new Set(validatorIds);
  const seen = new Set<string>();
  for (const [i, vote] of cert.precommits.entries()) {
    if (typeof vote !== 'object' || vote === null) {
      return { ok: false, code: 'CERT_MALFORMED', reason: `precommits[${i}] is not an object` };
    }
    if (vote.kind !== 'precommit' || vote.height !== cert.height || vote.round !== cert.round || vote.valueId !== cert.valueId) {
      return {
        ok: false,
        code: 'CERT_VOTE_MISMATCH',
        reason: `precommits[${i}] is not a precommit for ${cert.valueId} at height ${cert.height} round ${cert.round}`,
      };
    }
    if (!known.has(vote.validator)) {
      return { ok: false, code: 'CERT_UNKNOWN_VALIDATOR', reason: `precommits[${i}].validator ${String(vote.validator)} is not in the validator set` };
    }
    if (seen.has(vote.validator)) {
      return { ok: false, code: 'CERT_DUPLICATE_VALIDATOR', reason: `precommits[${i}].validator ${vote.validator} appears twice` };
    }
    seen.add(vote.validator);
    if (verifyVote !== undefined && !verifyVote(vote)) {
      return { ok: false, code: 'CERT_BAD_SIGNATURE', reason: `precommits[${i}] from ${vote.validator} fails signature verification` };
    }
  }
  const needed = Math.max(2 * f + 1, n - f);
  if (seen.size < needed) {
    return { ok: false, code: 'CERT_TOO_FEW', reason: `${seen.size} distinct precommits, need ${needed} of ${n}` };
  }
  return { ok: true };
}
