import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Ledger, type ServiceSettlementRecord } from '../../chain/index.js';
import { loadScenario } from '../../sim/scenario.js';
import { runSimulation } from '../../sim/run.js';
import type { SettlementSummary } from '../../sim/consensus-network.js';
import type { ServicesSummary } from '../../services/pass.js';
import { tempDir } from '../sim/helpers.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));
const FILE = 'pjm-regd-cooptimised.yaml';

describe('grid-service payments on the simulation chain', () => {
  it(`${FILE}: the regulation hour is paid at the capacity price × the PJM score, the chain verifies, and owner balances are the sum of their records`, async () => {
    const scenario = loadScenario(join(EXAMPLES, FILE));
    assert.notEqual(scenario.consensus.transport, 'direct', 'the example keeps a chain');
    const chainDir = join(tempDir('svc-sim'), 'chain');
    const result = await runSimulation(scenario, { scenarioDir: EXAMPLES, chainDir });
    const summary = result.summary as { settlement: SettlementSummary; services: ServicesSummary; consensus: { commits: number } };
    const s = summary.settlement;
    assert.ok(s.servicePaid > 0, `servicePaid ${s.servicePaid}`);
    assert.equal(s.chainHeight, summary.consensus.commits + 1, 'one block per committed interval, then the service block');
    assert.equal(Math.round(s.marketPaid * 100), Math.round(s.paidToOwners * 100) + Math.round(s.fee * 100) + Math.round(s.penalties * 100));

    const ledger = await Ledger.open(chainDir);
    try {
      const report = ledger.verify();
      assert.ok(report.ok, report.error?.reason);
      assert.equal(ledger.head.hash, s.headHash);
      const owed = new Map<string, number>();
      const services: ServiceSettlementRecord[] = [];
      for (let h = 1; h <= ledger.head.height; h++) {
        const block = ledger.block(h);
        const records = block.kind === 'interval' ? block.settlements : block.kind === 'service-settlement' ? block.services : [];
        for (const r of records) owed.set(r.ownerId, (owed.get(r.ownerId) ?? 0) + r.ownerMinor);
        if (block.kind === 'service-settlement') services.push(...block.services);
      }
      const balances = ledger.balances();
      for (const [owner, minor] of owed) assert.equal(balances.get(owner), minor, owner);
      assert.equal(Math.round(s.servicePaid * 100), services.reduce((sum, r) => sum + r.marketPaidMinor, 0));

      // What was paid is what the pass measured: the planner's MW for the hour, the hour's PJM score, the scenario's price.
      const regulation = summary.services.regulation!;
      const hour = regulation.hourly[0];
      assert.ok(services.length > 0 && services.every((r) => r.service === 'regulation' && r.capacityPricePerMWh === scenario.market.capacity!.regulationPerMWh));
      assert.ok(services.every((r) => r.performanceScore === hour.score && r.performanceScore > 0 && r.performanceScore < 1));
      const committedKW = services.reduce((sum, r) => sum + r.committedKW, 0);
      assert.ok(Math.abs(committedKW - summary.services.commitments.committedMW.regulation![0].mw * 1000) < 1e-6, `${committedKW} kW`);
      const hours = (services[0].endMs - services[0].startMs) / 3_600_000;
      assert.equal(hours, regulation.durationMin / 60, 'paid for the part of the hour the test ran');
      const creditMinor = (committedKW / 1000) * hours * 60 * hour.score * 100;
      assert.ok(Math.abs(Math.round(s.servicePaid * 100) - creditMinor) <= services.length * 0.5, `${s.servicePaid} vs capability credit ${creditMinor / 100}`);
    } finally {
      await ledger.close();
    }
  });
});
