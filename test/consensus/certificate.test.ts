import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SafetyChecker, verifyCertificate, type CommitCertificate, type Vote } from '../../protocol/consensus/index.js';
import { runScenario } from './sim-network.js';

const TIMEOUTS = { proposeMs: 200, prevoteMs: 100, precommitMs: 100, roundIncrementMs: 100, resendMs: 300 };
const LINK = { minDelayMs: 5, maxDelayMs: 30, faultLoss: 0, faultExtraDelayMs: 0 };

const run = (n: number) =>
  runScenario({ name: 'certs', seed: 5, n, heights: 20, byzantine: { 0: { silent: true } }, faultUntilHeight: 0, link: LINK, timeouts: TIMEOUTS, maxSimMs: 400_000 });
const r4 = run(4);
const r7 = run(7);
const codeOf = (cert: CommitCertificate, ids: string[], f: number, verifyVote?: (v: Vote) => boolean): string => {
  const check = verifyCertificate(cert, ids, f, verifyVote);
  return check.ok ? 'ok' : check.code;
};

describe('verifyCertificate', () => {
  it('accepts every certificate of a decision (n=4 and n=7), also with the signature hook', () => {
    for (const r of [r4, r7]) {
      assert.ok(r.certificates.length >= 20 * (r.n - 1));
      for (const cert of r.certificates) {
        assert.equal(codeOf(cert, r.validatorIds, r.f, r.signedVote), 'ok');
        assert.ok(new Set(cert.precommits.map((v) => v.validator)).size >= 2 * r.f + 1);
      }
    }
  });

  it('rejects tampered certificates with a stable code', () => {
    const cert = r4.certificates[0];
    const ids = r4.validatorIds;
    const [p0, p1] = cert.precommits;
    const cases: [string, CommitCertificate][] = [
      ['CERT_DUPLICATE_VALIDATOR', { ...cert, precommits: [p0, p1, { ...p0 }] }],
      ['CERT_TOO_FEW', { ...cert, precommits: [p0, p1] }],
      ['CERT_UNKNOWN_VALIDATOR', { ...cert, precommits: [p0, p1, { ...p0, validator: 'mallory' }] }],
      ['CERT_VOTE_MISMATCH', { ...cert, precommits: [p0, p1, ...cert.precommits.slice(2), { ...p0, valueId: 'other-plan' }] }],
      ['CERT_VOTE_MISMATCH', { ...cert, precommits: cert.precommits.map((v, i) => (i === 0 ? { ...v, kind: 'prevote' as const } : v)) }],
      ['CERT_VOTE_MISMATCH', { ...cert, round: cert.round + 1 }],
      ['CERT_VOTE_MISMATCH', { ...cert, valueId: 'other-plan' }],
      ['CERT_MALFORMED', { ...cert, height: -1 }],
      ['CERT_MALFORMED', { ...cert, precommits: 'nope' as unknown as Vote[] }],
      ['CERT_MALFORMED', null as unknown as CommitCertificate],
    ];
    for (const [code, bad] of cases) assert.equal(codeOf(bad, ids, 1), code, JSON.stringify(bad)?.slice(0, 200));
    assert.equal(codeOf(cert, ids, 2), 'CERT_BAD_FAULT_BOUND', 'f=2 needs n ≥ 7');
    assert.equal(codeOf(cert, ids, 1, (v) => v.validator !== p1.validator), 'CERT_BAD_SIGNATURE');
    // A precommit in the name of the silent validator v0, which never signed anything, fails the signature hook.
    const forged = { ...cert, precommits: [{ ...p0, validator: 'v0' }, ...cert.precommits.slice(1)] };
    assert.equal(codeOf(forged, ids, 1), 'ok', 'structurally fine');
    assert.equal(codeOf(forged, ids, 1, r4.signedVote), 'CERT_BAD_SIGNATURE');
  });

  it('property: any ≥ 2f+1 distinct precommits of a decision verify, any fewer do not', () => {
    const cert = r7.certificates.find((c) => c.precommits.length >= 6) ?? r7.certificates[0];
    fc.assert(
      fc.property(fc.subarray(cert.precommits), (subset) => {
        const code = codeOf({ ...cert, precommits: subset }, r7.validatorIds, 2);
        assert.equal(code, subset.length >= 5 ? 'ok' : 'CERT_TOO_FEW');
      }),
      { numRuns: 200, seed: 42 },
    );
  });
});

describe('SafetyChecker', () => {
  it('counts heights with two different decided values, once per height', () => {
    const checker = new SafetyChecker();
    checker.record('a', 1, 'X');
    checker.record('b', 1, 'X');
    checker.record('a', 2, 'Y');
    assert.equal(checker.safetyViolations, 0);
    checker.record('c', 2, 'Z');
    checker.record('d', 2, 'W');
    checker.record('c', 5, 'P');
    checker.record('d', 5, 'Q');
    assert.equal(checker.safetyViolations, 2);
    assert.deepEqual(checker.violatingHeights(), [2, 5]);
    assert.equal(checker.decidedHeights, 3);
    assert.deepEqual([...checker.decisionsAt(1)], [['X', ['a', 'b']]]);
  });

  it('property: violations equal the heights with more than one distinct value', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd'), fc.integer({ min: 0, max: 9 }), fc.constantFrom('X', 'Y', 'Z')), { maxLength: 60 }), (records) => {
        const checker = new SafetyChecker();
        for (const [v, h, id] of records) checker.record(v, h, id);
        const values = new Map<number, Set<string>>();
        for (const [, h, id] of records) values.set(h, (values.get(h) ?? new Set()).add(id));
        assert.equal(checker.safetyViolations, [...values.values()].filter((s) => s.size > 1).length);
      }),
      { numRuns: 200, seed: 7 },
    );
  });
});
