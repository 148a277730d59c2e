import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Ledger } from '../../chain/index.js';
import { parseScenario } from '../../sim/scenario.js';
import { prepareRun, runPass, type PassOutcome } from '../../sim/run.js';
import { aemoScenario, tempDir } from '../sim/helpers.js';

const scenario = parseScenario(
  aemoScenario(1, {
    window: { start: '2022-09-05T06:00:00+10:00', end: '2022-09-05T08:00:00+10:00' },
    consensus: { validators: 4, peers: 5 },
    settlement: {
      feeFrac: 0.1,
      deviationPenalty: { toleranceFrac: 0.05, penaltyPerMWh: 50 },
      certificateUnitKWh: 0.5,
      carbonIntensity: { source: 'citylearn-carbon', align: { calendar: 'same-local-time-of-year', timeZone: 'Australia/Sydney', monthOffset: 6 } },
    },
  }),
  'sim-chain test scenario',
);

async function runWithChain(dir: string): Promise<PassOutcome> {
  const run = prepareRun(scenario, { scenarioDir: '.' });
  return runPass(run, 'vpp', { scenarioDir: '.', transport: 'memory', chainDir: dir });
}

describe('a simulation through the protocol keeps a settlement chain', () => {
  it('writes one verifiable block per committed interval, settles metered energy to the cent, and repeats exactly', async () => {
    const base = tempDir('sim-chain');
    const first = await runWithChain(join(base, 'a'));
    const second = await runWithChain(join(base, 'b'));
    const s = first.settlement!;
    assert.equal(s.chainHeight, first.consensus!.commits, 'one block per committed interval');
    assert.equal(s.chainHeight, 24);
    // What the market paid is split between owners and the aggregator, to the cent.
    assert.equal(Math.round(s.marketPaid * 100), Math.round(s.paidToOwners * 100) + Math.round(s.fee * 100) + Math.round(s.penalties * 100));
    assert.ok(s.marketPaid !== 0, 'the fleet traded energy');
    assert.ok(s.certificatesIssued > 0, 'PV and battery exports earned certificates');
    assert.equal(s.meterReadingsRejected, 0);
    const ledger = await Ledger.open(join(base, 'a'));
    try {
      const report = ledger.verify();
      assert.ok(report.ok, report.error?.reason);
      assert.equal(ledger.head.hash, s.headHash);
      const balances = [...ledger.balances().values()].reduce((a, b) => a + b, 0);
      assert.equal(balances, 0, 'balances sum to zero (the market account pays everyone)');
      // Each certificate avoided its unit × the grid's emission rate in its interval (the aligned CityLearn series).
      const carbon = prepareRun(scenario, { scenarioDir: '.' }).signals.onGrid(scenario.settlement!.carbonIntensity!, { startMs: Date.parse(scenario.window.start), intervalMs: 300_000, count: 24 }).values;
      const certificates = ledger.certificates();
      assert.equal(certificates.length, s.certificatesIssued);
      let co2Kg = 0;
      for (const { certificate } of certificates) {
        const expected = 0.5 * carbon[(certificate.intervalStartMs - Date.parse(scenario.window.start)) / 300_000];
        assert.ok(Math.abs(certificate.co2AvoidedKg! - expected) < 1e-12, `${certificate.id}: ${certificate.co2AvoidedKg} kg, expected ${expected}`);
        co2Kg += expected;
      }
      assert.ok(co2Kg > 0);
      assert.ok(Math.abs(s.co2AvoidedKg - co2Kg) < 1e-9, `summary co2AvoidedKg ${s.co2AvoidedKg}, certificates hold ${co2Kg}`);
    } finally {
      await ledger.close();
    }
    // Same seed, same scenario: the same chain, block for block.
    assert.equal(second.settlement!.headHash, s.headHash);
  });
});
