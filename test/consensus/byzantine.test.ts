import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { verifyCertificate } from '../../protocol/consensus/index.js';
import { runScenario, type Behaviour, type Scenario, type ScenarioResult } from './sim-network.js';

const TIMEOUTS = { proposeMs: 200, prevoteMs: 100, precommitMs: 100, roundIncrementMs: 100, resendMs: 300 };
const CALM = { minDelayMs: 5, maxDelayMs: 30, faultLoss: 0, faultExtraDelayMs: 0 };
const LOSSY = { minDelayMs: 5, maxDelayMs: 30, faultLoss: 0.15, faultExtraDelayMs: 250 };

function scenario(name: string, seed: number, n: number, heights: number, byzantine: Record<number, Behaviour>, lossy: boolean): Scenario {
  return {
    name,
    seed,
    n,
    heights,
    byzantine,
    faultUntilHeight: Math.floor(heights * 0.7),
    link: lossy ? LOSSY : CALM,
    timeouts: TIMEOUTS,
    maxSimMs: heights * 20_000,
  };
}

function report(t: TestContext, r: ScenarioResult): void {
  const rounds = r.roundOfHeight.filter((x) => x >= 0);
  const hist = new Map<number, number>();
  for (const x of rounds) hist.set(x, (hist.get(x) ?? 0) + 1);
  const histText = [...hist].sort((a, b) => a[0] - b[0]).map(([k, v]) => `r${k}:${v}`).join(' ');
  const accused = [...r.accused].map(([v, c]) => `${v}×${c}`).join(',') || 'none';
  t.diagnostic(
    `${r.name} seed=${r.seed} n=${r.n} f=${r.f}: heights ${r.decidedHeights}/${r.heights}, decisions ${r.honestDecisions}, ` +
      `rounds {${histText}}, roundChanges ${r.roundChanges}, safetyViolations ${r.safetyViolations}, evidence against ${accused}, ` +
      `msgs delivered ${r.delivered} dropped ${r.dropped}, sim ${(r.simMs / 1000).toFixed(1)} s`,
  );
}

/** Heights started after the fault phase (plus one to settle) must decide within a few rounds. */
function postFaultMaxRound(sc: Scenario, r: ScenarioResult): number {
  return Math.max(...r.roundOfHeight.slice(sc.faultUntilHeight + 1));
}

const SPLIT_BRAIN: Behaviour = { equivocate: true, doubleVote: true, withholdPrecommits: true };

interface Case {
  label: string;
  n: number;
  byzantine: Record<number, Behaviour>;
  lossy: boolean;
  /** Evidence must be collected (double votes or two proposals reach one honest validator). */
  expectEvidence: boolean;
  /** Only silent/invalid faults on reliable links: every height must decide by round f (at most f faulty proposers in a row). */
  benign?: boolean;
}

const CASES: Case[] = [
  { label: 'silent', n: 4, byzantine: { 1: { silent: true } }, lossy: false, expectEvidence: false, benign: true },
  { label: 'equivocating proposer', n: 4, byzantine: { 2: { equivocate: true } }, lossy: false, expectEvidence: true },
  { label: 'double voter', n: 4, byzantine: { 0: { doubleVote: true } }, lossy: false, expectEvidence: true },
  { label: 'invalid proposer', n: 4, byzantine: { 3: { invalidProposals: true } }, lossy: false, expectEvidence: false, benign: true },
  { label: 'delay+loss', n: 4, byzantine: {}, lossy: true, expectEvidence: false },
  { label: 'split brain: equivocate+double vote+withheld precommits', n: 4, byzantine: { 1: SPLIT_BRAIN }, lossy: false, expectEvidence: true },
  { label: 'mix split brain+delay+loss', n: 4, byzantine: { 1: SPLIT_BRAIN }, lossy: true, expectEvidence: true },
  { label: 'silent', n: 7, byzantine: { 2: { silent: true }, 3: { silent: true } }, lossy: false, expectEvidence: false, benign: true },
  { label: 'equivocating proposers', n: 7, byzantine: { 1: { equivocate: true }, 5: { equivocate: true } }, lossy: false, expectEvidence: true },
  { label: 'double voters', n: 7, byzantine: { 0: { doubleVote: true }, 4: { doubleVote: true } }, lossy: false, expectEvidence: true },
  { label: 'invalid proposers', n: 7, byzantine: { 3: { invalidProposals: true }, 4: { invalidProposals: true } }, lossy: false, expectEvidence: false, benign: true },
  { label: 'delay+loss', n: 7, byzantine: {}, lossy: true, expectEvidence: false },
  { label: 'colluding split brain', n: 7, byzantine: { 2: SPLIT_BRAIN, 3: SPLIT_BRAIN }, lossy: false, expectEvidence: true },
  { label: 'mix colluding split brain+delay+loss', n: 7, byzantine: { 2: SPLIT_BRAIN, 6: SPLIT_BRAIN }, lossy: true, expectEvidence: true },
  { label: 'mix silent+invalid+double vote', n: 7, byzantine: { 0: { silent: true }, 5: { invalidProposals: true, doubleVote: true } }, lossy: true, expectEvidence: false },
];

const SEEDS = [11, 29, 47, 83];
const HEIGHTS = 100;

describe('BFT round on a simulated network', () => {
  it('n=4, all honest: every height decides in round 0 and all agree', (t) => {
    const sc = scenario('honest', 7, 4, 200, {}, false);
    const r = runScenario(sc);
    report(t, r);
    assert.equal(r.decidedHeights, 200);
    assert.equal(r.honestDecisions, 200 * 4);
    assert.equal(r.safetyViolations, 0);
    assert.deepEqual([...new Set(r.roundOfHeight)], [0]);
    assert.equal(r.roundChanges, 0);
    assert.equal(r.accused.size, 0);
  });

  it('is deterministic: one seed gives one schedule and one outcome', () => {
    const sc = scenario('replay', 3, 4, 30, { 1: SPLIT_BRAIN }, true);
    const [x, y] = [runScenario(sc), runScenario(sc)];
    const figures = (r: ScenarioResult) => [r.roundOfHeight, r.delivered, r.dropped, r.simMs, r.certificates.map((c) => c.valueId)];
    assert.deepEqual(figures(x), figures(y));
    assert.notDeepEqual(figures(runScenario({ ...sc, seed: 4 })), figures(x));
  });

  const total = { runs: 0, heights: 0, decisions: 0, roundChanges: 0, heightsPastRound0: 0, maxRound: 0, evidence: 0, safetyViolations: 0 };
  for (const c of CASES) {
    for (const seed of SEEDS) {
      const byz = Object.keys(c.byzantine).map((i) => `v${i}`);
      it(`n=${c.n} ${c.label} (seed ${seed}): safe, live after faults, evidence only against Byzantine validators`, (t) => {
        const sc = scenario(c.label, seed, c.n, HEIGHTS, c.byzantine, c.lossy);
        const r = runScenario(sc);
        report(t, r);
        total.runs++;
        total.heights += r.decidedHeights;
        total.decisions += r.honestDecisions;
        total.roundChanges += r.roundChanges;
        total.heightsPastRound0 += r.roundOfHeight.filter((x) => x > 0).length;
        total.maxRound = Math.max(total.maxRound, ...r.roundOfHeight);
        total.evidence += [...r.accused.values()].reduce((a, b) => a + b, 0);
        total.safetyViolations += r.safetyViolations;
        assert.equal(r.safetyViolations, 0, 'two different values decided for one height');
        assert.equal(r.invalidDecisions, 0, 'an honest validator decided an invalid value');
        assert.equal(r.decidedHeights, HEIGHTS, `only ${r.decidedHeights}/${HEIGHTS} heights decided by every honest validator`);
        const bound = r.f + 2;
        assert.ok(postFaultMaxRound(sc, r) <= bound, `after the faults stop a height needed round ${postFaultMaxRound(sc, r)} > ${bound}`);
        for (const accused of r.accused.keys()) assert.ok(byz.includes(accused), `honest validator ${accused} was accused`);
        if (c.expectEvidence) assert.ok(r.accused.size > 0, 'no equivocation evidence was collected');
        if (c.benign) assert.ok(Math.max(...r.roundOfHeight) <= r.f, `a height needed round ${Math.max(...r.roundOfHeight)} > f=${r.f}`);
        for (const cert of r.certificates) assert.deepEqual(verifyCertificate(cert, r.validatorIds, r.f, r.signedVote), { ok: true });
      });
    }
  }

  it('covers at least 1,000 heights with faults in total', (t) => {
    t.diagnostic(
      `faulty scenarios: ${total.runs} runs, ${total.heights} heights decided by all honest validators, ${total.decisions} honest decisions, ` +
        `${total.heightsPastRound0} heights needed more than round 0 (max round ${total.maxRound}), ${total.roundChanges} round changes, ` +
        `${total.evidence} equivocations caught, safetyViolations ${total.safetyViolations}`,
    );
    assert.equal(total.runs, CASES.length * SEEDS.length, 'a scenario did not finish');
    assert.ok(total.heights >= 1000, `only ${total.heights} heights`);
    assert.equal(total.safetyViolations, 0);
  });
});
