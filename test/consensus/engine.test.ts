import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ConsensusEngine,
  ConsensusError,
  verifyCertificate,
  type CommitCertificate,
  type ConsensusMessage,
  type Evidence,
  type TimeoutKind,
  type Vote,
  type VoteKind,
} from '../../protocol/consensus/index.js';
import { idOfValue, makeValue, validateValue, type SimValue } from './sim-network.js';

const IDS = ['a', 'b', 'c', 'd'];
const TIMEOUTS = { proposeMs: 200, prevoteMs: 100, precommitMs: 100, roundIncrementMs: 50, resendMs: 300 };
// Height 1: proposers are b (round 0), c (1), d (2), a (3).
const H = 1;

interface Harness {
  engine: ConsensusEngine<SimValue>;
  sent: ConsensusMessage<SimValue>[];
  timers: { kind: TimeoutKind; height: number; round: number; ms: number }[];
  decisions: { cert: CommitCertificate; value: SimValue }[];
  evidence: Evidence<SimValue>[];
  getValueCalls: number;
}

function harness(selfId: string, onDecide?: (h: Harness, cert: CommitCertificate) => void): Harness {
  const h: Harness = { engine: undefined as unknown as ConsensusEngine<SimValue>, sent: [], timers: [], decisions: [], evidence: [], getValueCalls: 0 };
  h.engine = new ConsensusEngine<SimValue>(
    { validatorIds: IDS, selfId, timeouts: TIMEOUTS },
    {
      getValue: (height) => {
        h.getValueCalls++;
        return makeValue(height, selfId, 42);
      },
      validate: validateValue,
      idOf: idOfValue,
      broadcast: (msg) => h.sent.push(msg),
      scheduleTimeout: (kind, height, round, ms) => h.timers.push({ kind, height, round, ms }),
      onDecide: (cert, value) => {
        h.decisions.push({ cert, value });
        onDecide?.(h, cert);
      },
      onEvidence: (e) => h.evidence.push(e),
    },
  );
  return h;
}

const X = makeValue(H, 'b', 1);
const Y = makeValue(H, 'c', 2);
const BAD = makeValue(H, 'b', 3, false);
const proposal = (value: SimValue, round: number, proposer: string, validRound = -1): ConsensusMessage<SimValue> => ({
  type: 'proposal',
  proposal: { height: value.height, round, valueId: idOfValue(value), value, validRound, proposer },
});
const vote = (kind: VoteKind, round: number, value: SimValue | null, validator: string, height = H): ConsensusMessage<SimValue> => ({
  type: 'vote',
  vote: { kind, height, round, valueId: value === null ? null : idOfValue(value), validator },
});
const votesSent = (h: Harness, kind: VoteKind): Vote[] =>
  h.sent.flatMap((m) => (m.type === 'vote' && m.vote.kind === kind && m.vote.validator === h.engine.selfId ? [m.vote] : []));
const lastVote = (h: Harness, kind: VoteKind): Vote | undefined => votesSent(h, kind).at(-1);

/** Drives engine `a` at height 1 to a lock on X in round 0, then into round 1 via nil precommits of b and c. */
function lockedOnXThenRound1(): Harness {
  const h = harness('a');
  h.engine.startHeight(H);
  h.engine.receive(proposal(X, 0, 'b'), 'b');
  h.engine.receive(vote('prevote', 0, X, 'b'), 'b');
  h.engine.receive(vote('prevote', 0, X, 'c'), 'c');
  assert.equal(lastVote(h, 'precommit')?.valueId, idOfValue(X));
  h.engine.receive(vote('precommit', 0, null, 'b'), 'b');
  h.engine.receive(vote('precommit', 0, null, 'c'), 'c');
  assert.ok(h.timers.some((t) => t.kind === 'precommit' && t.round === 0));
  h.engine.timeout('precommit', H, 0);
  assert.equal(h.engine.round, 1);
  return h;
}

describe('ConsensusEngine: configuration', () => {
  it('rejects an empty or duplicated validator set, an unknown self id and bad timeouts with VPP_ERR_CONSENSUS_CONFIG', () => {
    const cb = { getValue: () => undefined, validate: () => true, idOf: () => 'x', broadcast: () => {}, scheduleTimeout: () => {}, onDecide: () => {} };
    for (const config of [
      { validatorIds: [], selfId: 'a' },
      { validatorIds: ['a', 'a'], selfId: 'a' },
      { validatorIds: ['a', 'b'], selfId: 'z' },
      { validatorIds: ['a'], selfId: 'a', timeouts: { proposeMs: -1 } },
      { validatorIds: ['a'], selfId: 'a', timeouts: { resendMs: 0 } },
    ]) {
      assert.throws(() => new ConsensusEngine(config, cb), (e: unknown) => e instanceof ConsensusError && e.code === 'VPP_ERR_CONSENSUS_CONFIG');
    }
  });

  it('refuses heights that do not increase', () => {
    const h = harness('a');
    h.engine.startHeight(3);
    assert.throws(() => h.engine.startHeight(3), (e: unknown) => e instanceof ConsensusError && e.code === 'VPP_ERR_CONSENSUS_HEIGHT');
    assert.throws(() => h.engine.startHeight(-1), (e: unknown) => e instanceof ConsensusError && e.code === 'VPP_ERR_CONSENSUS_HEIGHT');
  });

  it('computes f, the 2f+1 quorum and a rotating proposer', () => {
    const h = harness('a');
    assert.equal(h.engine.f, 1);
    assert.equal(h.engine.quorum, 3);
    assert.deepEqual([0, 1, 2, 3, 4].map((r) => h.engine.proposerOf(H, r)), ['b', 'c', 'd', 'a', 'b']);
  });
});

describe('ConsensusEngine: propose and prevote', () => {
  it('the proposer broadcasts a fresh value with validRound -1 and prevotes it', () => {
    const h = harness('b');
    h.engine.startHeight(H);
    const p = h.sent.find((m) => m.type === 'proposal');
    assert.ok(p !== undefined && p.type === 'proposal');
    assert.equal(p.proposal.validRound, -1);
    assert.equal(p.proposal.valueId, idOfValue(p.proposal.value));
    assert.equal(lastVote(h, 'prevote')?.valueId, p.proposal.valueId);
  });

  it('a non-proposer waits with a propose timeout that grows with the round, and prevotes nil when it fires', () => {
    const h = harness('a');
    h.engine.startHeight(H);
    const t0 = h.timers.find((t) => t.kind === 'propose');
    assert.deepEqual(t0, { kind: 'propose', height: H, round: 0, ms: 200 });
    h.engine.timeout('propose', H, 0);
    assert.equal(lastVote(h, 'prevote')?.valueId, null);
    assert.equal(h.engine.timeoutMs('propose', 3), 350);
    assert.ok(h.engine.timeoutMs('prevote', 2) > h.engine.timeoutMs('prevote', 1));
    assert.ok(h.engine.timeoutMs('precommit', 2) > h.engine.timeoutMs('precommit', 1));
  });

  it('prevotes a valid proposal and nil on an invalid one', () => {
    const ok = harness('a');
    ok.engine.startHeight(H);
    ok.engine.receive(proposal(X, 0, 'b'), 'b');
    assert.equal(lastVote(ok, 'prevote')?.valueId, idOfValue(X));
    const bad = harness('a');
    bad.engine.startHeight(H);
    bad.engine.receive(proposal(BAD, 0, 'b'), 'b');
    assert.equal(lastVote(bad, 'prevote')?.valueId, null);
  });

  it('drops proposals from the wrong proposer, with a wrong value id, or signed by someone else', () => {
    const h = harness('a');
    h.engine.startHeight(H);
    h.engine.receive(proposal(Y, 0, 'c'), 'c');
    h.engine.receive({ type: 'proposal', proposal: { height: H, round: 0, valueId: 'not-the-hash', value: X, validRound: -1, proposer: 'b' } }, 'b');
    h.engine.receive(proposal(X, 0, 'b'), 'c');
    h.engine.receive(proposal(X, 0, 'b', 0), 'b');
    assert.equal(votesSent(h, 'prevote').length, 0);
    assert.deepEqual(h.engine.stats().rejected, { 'wrong-proposer': 1, 'bad-value-id': 1, 'sender-mismatch': 1, malformed: 1 });
  });
});

describe('ConsensusEngine: counting', () => {
  it('counts a validator once: a repeated vote never completes a quorum', () => {
    const h = harness('a');
    h.engine.startHeight(H);
    h.engine.receive(proposal(X, 0, 'b'), 'b');
    h.engine.receive(vote('prevote', 0, X, 'b'), 'b');
    h.engine.receive(vote('prevote', 0, X, 'b'), 'b');
    h.engine.receive(vote('prevote', 0, X, 'b'), 'b');
    assert.equal(votesSent(h, 'precommit').length, 0);
    assert.equal(h.engine.stats().rejected.duplicate, 2);
    h.engine.receive(vote('prevote', 0, X, 'c'), 'c');
    assert.equal(lastVote(h, 'precommit')?.valueId, idOfValue(X));
  });

  it('ignores votes from outside the validator set and votes signed for another validator', () => {
    const h = harness('a');
    h.engine.startHeight(H);
    h.engine.receive(proposal(X, 0, 'b'), 'b');
    h.engine.receive(vote('prevote', 0, X, 'z'), 'z');
    h.engine.receive(vote('prevote', 0, X, 'c'), 'b');
    h.engine.receive(vote('prevote', 0, X, 'b'), 'b');
    assert.equal(votesSent(h, 'precommit').length, 0);
    assert.deepEqual(h.engine.stats().rejected, { 'unknown-sender': 1, 'sender-mismatch': 1 });
  });

  it('records equivocation evidence for two different votes and two different proposals, without double counting', () => {
    const h = harness('a');
    h.engine.startHeight(H);
    h.engine.receive(proposal(X, 0, 'b'), 'b');
    const X2 = makeValue(H, 'b', 99);
    h.engine.receive(proposal(X2, 0, 'b'), 'b');
    h.engine.receive(vote('prevote', 0, X, 'c'), 'c');
    h.engine.receive(vote('prevote', 0, null, 'c'), 'c');
    assert.deepEqual(
      h.evidence.map((e) => [e.kind, e.validator, e.round]),
      [
        ['proposal-equivocation', 'b', 0],
        ['vote-equivocation', 'c', 0],
      ],
    );
    assert.equal(h.engine.stats().evidence, 2);
    // a and c prevoted X, c also nil: 2 distinct validators, no quorum of any kind yet.
    assert.equal(votesSent(h, 'precommit').length, 0);
    assert.ok(!h.timers.some((t) => t.kind === 'prevote'));
    h.engine.receive(vote('prevote', 0, X, 'd'), 'd');
    assert.equal(lastVote(h, 'precommit')?.valueId, idOfValue(X));
  });

  it('precommits nil on 2f+1 nil prevotes and starts the prevote timeout on 2f+1 mixed prevotes', () => {
    const h = harness('a');
    h.engine.startHeight(H);
    h.engine.timeout('propose', H, 0);
    h.engine.receive(vote('prevote', 0, X, 'b'), 'b');
    h.engine.receive(vote('prevote', 0, null, 'c'), 'c');
    assert.ok(h.timers.some((t) => t.kind === 'prevote' && t.round === 0 && t.ms === 100));
    assert.equal(votesSent(h, 'precommit').length, 0);
    h.engine.receive(vote('prevote', 0, null, 'd'), 'd');
    assert.equal(lastVote(h, 'precommit')?.valueId, null);
  });

  it('skips to a higher round on f+1 messages from it, not on f', () => {
    const h = harness('a');
    h.engine.startHeight(H);
    h.engine.receive(vote('prevote', 5, null, 'c'), 'c');
    assert.equal(h.engine.round, 0);
    h.engine.receive(vote('precommit', 5, null, 'd'), 'd');
    assert.equal(h.engine.round, 5);
    assert.equal(h.engine.stats().roundChanges, 1);
  });
});

describe('ConsensusEngine: locking', () => {
  it('a validator locked on X prevotes nil on a fresh different proposal', () => {
    const h = lockedOnXThenRound1();
    assert.deepEqual(h.engine.lockState(), { lockedRound: 0, lockedValueId: idOfValue(X), validRound: 0, validValueId: idOfValue(X) });
    h.engine.receive(proposal(Y, 1, 'c'), 'c');
    assert.equal(lastVote(h, 'prevote')?.round, 1);
    assert.equal(lastVote(h, 'prevote')?.valueId, null);
  });

  it('unlocks only for a re-proposal justified by 2f+1 prevotes in its validRound, at or after its lock', () => {
    const h = lockedOnXThenRound1();
    h.engine.receive(vote('prevote', 2, null, 'b'), 'b');
    h.engine.receive(vote('prevote', 2, null, 'c'), 'c');
    assert.equal(h.engine.round, 2);
    h.engine.receive(proposal(Y, 2, 'd', 1), 'd');
    assert.equal(votesSent(h, 'prevote').filter((v) => v.round === 2).length, 0, 'not justified yet: wait');
    h.engine.receive(vote('prevote', 1, Y, 'b'), 'b');
    h.engine.receive(vote('prevote', 1, Y, 'c'), 'c');
    assert.equal(votesSent(h, 'prevote').filter((v) => v.round === 2).length, 0, 'two prevotes are not a polka');
    h.engine.receive(vote('prevote', 1, Y, 'd'), 'd');
    assert.equal(lastVote(h, 'prevote')?.round, 2);
    assert.equal(lastVote(h, 'prevote')?.valueId, idOfValue(Y));
  });

  it('keeps its lock against a re-proposal whose validRound is older than the lock', () => {
    // Lock on Y in round 1 (proposer c), then d re-proposes X justified only by a round-0 polka.
    const h = harness('a');
    h.engine.startHeight(H);
    h.engine.timeout('propose', H, 0);
    for (const v of ['b', 'c', 'd']) h.engine.receive(vote('prevote', 0, X, v), v);
    for (const v of ['b', 'c']) h.engine.receive(vote('precommit', 0, null, v), v);
    h.engine.timeout('prevote', H, 0);
    h.engine.timeout('precommit', H, 0);
    h.engine.receive(proposal(Y, 1, 'c'), 'c');
    for (const v of ['b', 'c']) h.engine.receive(vote('prevote', 1, Y, v), v);
    assert.deepEqual([h.engine.lockState().lockedRound, h.engine.lockState().lockedValueId], [1, idOfValue(Y)]);
    for (const v of ['b', 'c']) h.engine.receive(vote('precommit', 1, null, v), v);
    h.engine.timeout('precommit', H, 1);
    h.engine.receive(proposal(X, 2, 'd', 0), 'd');
    assert.equal(lastVote(h, 'prevote')?.round, 2);
    assert.equal(lastVote(h, 'prevote')?.valueId, null);
  });

  it('a locked proposer re-proposes its valid value with its validRound instead of building a new one', () => {
    const h = harness('c');
    h.engine.startHeight(H);
    h.engine.receive(proposal(X, 0, 'b'), 'b');
    h.engine.receive(vote('prevote', 0, X, 'a'), 'a');
    h.engine.receive(vote('prevote', 0, X, 'b'), 'b');
    h.engine.receive(vote('precommit', 0, null, 'a'), 'a');
    h.engine.receive(vote('precommit', 0, null, 'b'), 'b');
    h.engine.timeout('precommit', H, 0);
    const p = h.sent.filter((m) => m.type === 'proposal').at(-1);
    assert.ok(p !== undefined && p.type === 'proposal');
    assert.deepEqual([p.proposal.round, p.proposal.valueId, p.proposal.validRound], [1, idOfValue(X), 0]);
    assert.equal(h.getValueCalls, 0);
  });
});

describe('ConsensusEngine: decision', () => {
  it('decides on 2f+1 precommits with the proposal, in any round, and the certificate verifies', () => {
    const h = harness('a');
    h.engine.startHeight(H);
    h.engine.receive(vote('precommit', 0, X, 'b'), 'b');
    h.engine.receive(vote('precommit', 0, X, 'c'), 'c');
    h.engine.receive(vote('precommit', 0, X, 'd'), 'd');
    assert.equal(h.decisions.length, 0, 'no decision without the proposal');
    h.engine.receive(vote('prevote', 3, null, 'c'), 'c');
    h.engine.receive(vote('prevote', 3, null, 'd'), 'd');
    assert.equal(h.engine.round, 3);
    h.engine.receive(proposal(X, 0, 'b'), 'b');
    assert.equal(h.decisions.length, 1);
    const { cert, value } = h.decisions[0];
    assert.deepEqual([cert.height, cert.round, cert.valueId, idOfValue(value)], [H, 0, idOfValue(X), idOfValue(X)]);
    assert.deepEqual(verifyCertificate(cert, IDS, 1), { ok: true });
    assert.equal(h.engine.step, 'decided');
    h.engine.receive(vote('precommit', 0, X, 'a'), 'a');
    assert.equal(h.decisions.length, 1, 'decides once');
  });

  it('does not decide an invalid value even with 2f+1 precommits', () => {
    const h = harness('a');
    h.engine.startHeight(H);
    h.engine.receive(proposal(BAD, 0, 'b'), 'b');
    for (const v of ['b', 'c', 'd']) h.engine.receive(vote('precommit', 0, BAD, v), v);
    assert.equal(h.decisions.length, 0);
  });

  it('catches up from a commit message with a valid certificate, and rejects tampered ones', () => {
    const h = harness('a');
    h.engine.startHeight(H);
    const precommits = ['b', 'c', 'd'].map((v) => (vote('precommit', 0, X, v) as { vote: Vote }).vote);
    const cert: CommitCertificate = { height: H, round: 0, valueId: idOfValue(X), precommits };
    h.engine.receive({ type: 'commit', certificate: { ...cert, precommits: precommits.slice(0, 2) }, value: X }, 'b');
    h.engine.receive({ type: 'commit', certificate: cert, value: Y }, 'b');
    assert.equal(h.decisions.length, 0);
    assert.deepEqual(h.engine.stats().rejected, { 'bad-certificate': 1, 'bad-value-id': 1 });
    h.engine.receive({ type: 'commit', certificate: cert, value: X }, 'b');
    assert.equal(h.decisions.length, 1);
    assert.equal(h.decisions[0].cert.valueId, idOfValue(X));
  });

  it('buffers messages of the next height and uses them once it starts; re-entrant startHeight from onDecide is safe', () => {
    const h = harness('a', (hh, cert) => hh.engine.startHeight(cert.height + 1));
    h.engine.startHeight(H);
    const next = makeValue(H + 1, 'c', 5);
    h.engine.receive(proposal(next, 0, 'c'), 'c');
    for (const v of ['b', 'c', 'd']) h.engine.receive(vote('prevote', 0, next, v, H + 1), v);
    h.engine.receive(proposal(X, 0, 'b'), 'b');
    for (const v of ['b', 'c', 'd']) h.engine.receive(vote('precommit', 0, X, v), v);
    assert.equal(h.engine.height, H + 1);
    // At height 2 the buffered proposal and polka make us prevote and precommit at once.
    const mine = h.sent.filter((m) => m.type === 'vote' && m.vote.height === H + 1 && m.vote.validator === 'a');
    assert.deepEqual(
      mine.map((m) => (m.type === 'vote' ? [m.vote.kind, m.vote.valueId] : [])),
      [
        ['prevote', idOfValue(next)],
        ['precommit', idOfValue(next)],
      ],
    );
  });
});

describe('ConsensusEngine: lossy transports', () => {
  it('on the resend timer re-broadcasts every proposal and vote it holds for the height, its own and relayed', () => {
    const h = harness('a');
    h.engine.startHeight(H);
    h.engine.receive(proposal(X, 0, 'b'), 'b');
    h.engine.receive(vote('prevote', 0, X, 'c'), 'c');
    h.sent.length = 0;
    h.engine.timeout('resend', H, 0);
    const keys = h.sent.map((m) => (m.type === 'proposal' ? `p:${m.proposal.proposer}` : m.type === 'vote' ? `${m.vote.kind}:${m.vote.validator}` : m.type));
    assert.deepEqual(keys.sort(), ['p:b', 'prevote:a', 'prevote:c']);
    assert.equal(h.timers.filter((t) => t.kind === 'resend').length, 2, 'the resend timer is re-armed');
  });

  it('a decided validator answers a laggard re-sending old messages with the commit, a bounded number of times', () => {
    const h = harness('a');
    h.engine.startHeight(H);
    h.engine.receive(proposal(X, 0, 'b'), 'b');
    for (const v of ['b', 'c', 'd']) h.engine.receive(vote('precommit', 0, X, v), v);
    assert.equal(h.decisions.length, 1);
    h.sent.length = 0;
    for (let i = 0; i < 20; i++) h.engine.receive(vote('precommit', 0, X, 'd'), 'd');
    const commits = h.sent.filter((m) => m.type === 'commit');
    assert.equal(commits.length, 8);
    const c = commits[0];
    assert.ok(c.type === 'commit');
    assert.deepEqual(verifyCertificate(c.certificate, IDS, 1), { ok: true });
  });
});
