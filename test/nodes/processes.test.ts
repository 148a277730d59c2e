import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { generateKeyPair, saveKeyFile, toHex } from '../../protocol/keys.js';
import { Ledger } from '../../chain/index.js';
import { registeredDers } from './genesis-helpers.js';
import { aemoScenario, tempDir, writeScenario } from '../sim/helpers.js';
import { forEachLine, freePort, killProcess, startNatsServer } from '../transport/net-helpers.js';

const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
const INTERVALS = 8;
/** Scenario seconds per wall second: a 5-minute interval every 2.5 s. */
const SPEEDUP = 120;

interface NodeRun {
  child: ChildProcess;
  events: Record<string, unknown>[];
  exited: Promise<number | null>;
}

function startNode(role: 'coordinator' | 'peer', config: string): NodeRun {
  const child = spawn(process.execPath, [CLI, role, '--config', config], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  const events: Record<string, unknown>[] = [];
  forEachLine(child.stdout!, (line) => {
    if (line.trim()) events.push(JSON.parse(line) as Record<string, unknown>);
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      if (code !== 0) process.stderr.write(`${role} ${config} exited ${code}: ${stderr}\n`);
      resolve(code);
    }),
  );
  return { child, events, exited };
}

describe('coordinator and peer nodes as processes over NATS', () => {
  let nats: ChildProcess;
  const dir = tempDir('nodes');
  const nodes: NodeRun[] = [];

  before(async () => {
    const port = await freePort();
    nats = await startNatsServer(port);
    const scenarioObject = aemoScenario(1, { window: { start: '2022-09-05T00:00:00+10:00', end: `2022-09-05T00:${String(INTERVALS * 5).padStart(2, '0')}:00+10:00` } });
    const scenario = writeScenario(dir, 'scenario.json', scenarioObject);
    const validatorKeys = [0, 1, 2, 3].map((i) => {
      const keyPair = generateKeyPair();
      saveKeyFile(join(dir, `coordinator-${i}.json`), keyPair);
      return toHex(keyPair.publicKey);
    });
    const common = {
      networkId: 'process-test',
      validators: validatorKeys,
      transports: [{ kind: 'nats', servers: `nats://127.0.0.1:${port}` }],
      scenario,
      // Every node maps the same wall time to the window start, far enough ahead for five processes to start on a loaded machine.
      clock: { speedup: SPEEDUP, wallStart: new Date(Date.now() + 20_000).toISOString() },
    };
    const peerKey = generateKeyPair();
    saveKeyFile(join(dir, 'peer-0.json'), peerKey);
    // The chain's genesis registers the peer's DERs (every 2nd of the scenario fleet) under its meter key.
    const ders = registeredDers(scenarioObject, dir, { index: 0, of: 2 }, toHex(peerKey.publicKey));
    writeFileSync(join(dir, 'genesis.json'), JSON.stringify({ networkId: common.networkId, validators: validatorKeys, currency: 'AUD', feeFrac: 0.1, certificateUnitKWh: 0.1, ders }));
    for (let i = 0; i < 4; i++) {
      const config = join(dir, `coordinator-${i}.yaml`);
      const chain = i === 0 ? { chain: { dir: 'chain', genesis: 'genesis.json' } } : {};
      writeFileSync(config, JSON.stringify({ ...common, key: `coordinator-${i}.json`, ...chain }));
      nodes.push(startNode('coordinator', config));
    }
    const peerConfig = join(dir, 'peer-0.yaml');
    writeFileSync(peerConfig, JSON.stringify({ ...common, key: 'peer-0.json', fleet: { index: 0, of: 2 } }));
    nodes.push(startNode('peer', peerConfig));
    await Promise.all(nodes.map((n) => n.exited));
  });
  after(async () => {
    for (const n of nodes) await killProcess(n.child);
    await killProcess(nats);
  });

  it('the four coordinators commit the same plan for every interval the peer offered, and the peer follows each one', async () => {
    for (const n of nodes) assert.equal(await n.exited, 0);
    const coordinators = nodes.slice(0, 4);
    const peer = nodes[4];
    const commits = coordinators.map((c) => new Map(c.events.filter((e) => e.event === 'commit').map((e) => [e.height as number, e.planHash as string])));
    const intervals = peer.events.filter((e) => e.event === 'interval');
    const offered = intervals.filter((e) => e.certified === true);
    assert.ok(offered.length >= 3, `peer followed ${offered.length} certified plans: ${JSON.stringify(intervals)}`);
    // From the first interval it had offered for on, every interval came with a certified plan.
    const first = intervals.findIndex((e) => e.certified === true);
    assert.deepEqual(intervals.slice(first).map((e) => e.certified), intervals.slice(first).map(() => true));
    for (const interval of offered) {
      assert.equal(interval.safeDefault, 0);
      assert.ok((interval.followed as number) > 0);
    }
    for (const [height, hash] of commits[0]) {
      for (const other of commits.slice(1)) if (other.has(height)) assert.equal(other.get(height), hash, `height ${height}`);
    }
    const ders = commits[0].size > 0 ? coordinators[0].events.filter((e) => e.event === 'commit').map((e) => e.ders as number) : [];
    assert.ok(ders.some((n) => n > 0), 'some commit carried setpoints for the peer\'s DERs');
    const stopped = peer.events.find((e) => e.event === 'stopped') as { stats: { conflictingCommits: number; certified: number } };
    assert.equal(stopped.stats.conflictingCommits, 0);
    // The first coordinator kept the chain: a block per commit, the peer's signed readings settled, all verifiable.
    const blocks = coordinators[0].events.filter((e) => e.event === 'block');
    assert.equal(blocks.length, commits[0].size);
    assert.ok(blocks.reduce((n, b) => n + (b.settlements as number), 0) > 0, 'meter readings were settled');
    assert.equal(blocks.reduce((n, b) => n + (b.rejected as number), 0), 0);
    const ledger = await Ledger.open(join(dir, 'chain'));
    try {
      assert.ok(ledger.verify().ok);
      assert.equal(ledger.head.height, blocks.length);
      const totals = ledger.totals;
      assert.equal(totals.marketPaidMinor, totals.paidToOwnersMinor + totals.feeMinor + totals.penaltyMinor);
    } finally {
      await ledger.close();
    }
    // Every certified plan the peer reached the interval of was followed; the last one may come after the window.
    assert.ok(stopped.stats.certified >= offered.length && stopped.stats.certified <= offered.length + 1, `certified ${stopped.stats.certified}, followed ${offered.length}`);
  });
});

describe('peer config', () => {
  it('takes devices through the adapter registry, only in real time, and names what is wrong', async () => {
    const { loadNodeConfig, peerConfigSchema } = await import('../../nodes/config.js');
    const dir = tempDir('peer-config');
    const base = { networkId: 'n', key: 'k.json', validators: ['ab'.repeat(32)], transports: [{ kind: 'nats', servers: 'nats://127.0.0.1:4222' }], scenario: 's.yaml' };
    const battery = { type: 'simulated', id: 'b1', limits: { kind: 'battery', capacityKWh: 10, maxChargeKW: 5, maxDischargeKW: 5, minSocFrac: 0.1, maxSocFrac: 0.9, chargeEfficiency: 0.95, dischargeEfficiency: 0.95 } };
    const write = (name: string, config: unknown) => {
      const path = join(dir, name);
      writeFileSync(path, JSON.stringify(config));
      return path;
    };
    const ok = loadNodeConfig(write('ok.json', { ...base, devices: [battery] }), peerConfigSchema);
    assert.equal(ok.devices?.[0].type, 'simulated');
    assert.equal(ok.key, join(dir, 'k.json'));
    assert.throws(() => loadNodeConfig(write('fast.json', { ...base, devices: [battery], clock: { speedup: 60 } }), peerConfigSchema), /fast\.json[\s\S]*clock\.speedup: devices run in real time/);
    assert.throws(() => loadNodeConfig(write('both.json', { ...base, devices: [battery], fleet: { index: 0, of: 1 } }), peerConfigSchema), /both\.json[\s\S]*devices: give exactly one of fleet/);
    assert.throws(() => loadNodeConfig(write('bad.json', { ...base, devices: [{ ...battery, limits: { ...battery.limits, maxSocFrac: 2 } }] }), peerConfigSchema), /bad\.json[\s\S]*devices\.0\.limits\.maxSocFrac/);
  });
});
