/**
 * The real `vpp coordinator` process, keeping the settlement chain, is SIGKILLed at random moments
 * while it commits, and restarted each time. A `vpp peer` process keeps offering and signing meter
 * readings over a real nats-server throughout. After every kill the chain verifies and holds every
 * block the coordinator reported (`event: block`, logged once the block is on stable storage).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { generateKeyPair, saveKeyFile, toHex } from '../../protocol/keys.js';
import { createNodeCryptoVerifier } from '../../protocol/verifier-node-crypto.js';
import { memoizingVerifier } from '../../protocol/round/memo-verifier.js';
import { prepareRun } from '../../sim/run.js';
import { seededRandom } from '../../sim/random.js';
import { parseScenario } from '../../sim/scenario.js';
import { assertChainSurvived } from '../chain/chain-helpers.js';
import { aemoScenario, tempDir, writeScenario } from '../sim/helpers.js';
import { forEachLine, freePort, killProcess, startNatsServer } from '../transport/net-helpers.js';

const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
const KILLS = 50;
/** Scenario seconds per wall second: a 5-minute interval every 0.5 s. */
const SPEEDUP = 600;

interface CoordinatorRun {
  /** Blocks the process reported committed: height → hash. */
  reported: Map<number, string>;
  /** Meter readings settled in those blocks. */
  settlements: number;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Starts `vpp coordinator`, SIGKILLs it `delayMs` after its first reported block (or after start), and waits until it is gone. */
async function runAndKill(config: string, delayMs: number, afterFirstBlock: boolean): Promise<CoordinatorRun> {
  const child = spawn(process.execPath, [CLI, 'coordinator', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  const run: CoordinatorRun = { reported: new Map(), settlements: 0, signal: null, stderr: '' };
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (run.stderr += chunk));
  let timer: NodeJS.Timeout | undefined;
  const killLater = () => (timer ??= setTimeout(() => child.kill('SIGKILL'), delayMs));
  forEachLine(child.stdout, (line) => {
    const event = JSON.parse(line) as { event: string; height?: number; hash?: string; settlements?: number };
    if (event.event !== 'block') return;
    run.reported.set(event.height!, event.hash!);
    run.settlements += event.settlements!;
    if (afterFirstBlock) killLater();
  });
  if (!afterFirstBlock) killLater();
  // 'close', not 'exit': every line the process wrote has been read by then.
  run.signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
  clearTimeout(timer);
  return run;
}

describe('vpp coordinator under kill -9 while it commits', () => {
  const dir = tempDir('coordinator-kill');
  let nats: ChildProcess;
  let peer: ChildProcess;
  let coordinatorConfig: string;

  before(async () => {
    const port = await freePort();
    nats = await startNatsServer(port);
    const scenarioObject = aemoScenario(3, {
      planning: { horizonH: 4 },
      fleet: { batteries: [{ name: 'b', count: 6, capacityKWh: 10, maxChargeKW: 5, maxDischargeKW: 5, initialSocFrac: { uniform: [0.3, 0.7] } }] },
    });
    const scenario = writeScenario(dir, 'scenario.json', scenarioObject);
    const coordinatorKey = generateKeyPair();
    saveKeyFile(join(dir, 'coordinator.json'), coordinatorKey);
    const peerKey = generateKeyPair();
    saveKeyFile(join(dir, 'peer.json'), peerKey);
    const validators = [toHex(coordinatorKey.publicKey)];
    const common = {
      networkId: 'kill-test',
      // One validator: every restart commits on its own at once, so the kills land while it commits.
      validators,
      transports: [{ kind: 'nats', servers: `nats://127.0.0.1:${port}` }],
      scenario,
      // The same wall time maps to the window start in every run, so scenario time goes on across restarts.
      clock: { speedup: SPEEDUP, wallStart: new Date(Date.now() + 3_000).toISOString() },
    };
    const fleet = prepareRun(parseScenario(scenarioObject, 'kill test'), { scenarioDir: dir }).newFleet();
    const ders = fleet.members.map((m) => {
      const caps = m.device.capabilities();
      return { derId: m.device.id, ownerId: m.ownerId, kind: caps.kind, meterPublicKey: toHex(peerKey.publicKey), maxPowerKW: Math.max(caps.maxExportKW, caps.maxImportKW) };
    });
    writeFileSync(join(dir, 'genesis.json'), JSON.stringify({ networkId: common.networkId, validators, currency: 'AUD', feeFrac: 0.1, certificateUnitKWh: 0.1, ders }));
    coordinatorConfig = join(dir, 'coordinator.yaml');
    writeFileSync(coordinatorConfig, JSON.stringify({ ...common, key: 'coordinator.json', chain: { dir: 'chain', genesis: 'genesis.json' } }));
    const peerConfig = join(dir, 'peer.yaml');
    writeFileSync(peerConfig, JSON.stringify({ ...common, key: 'peer.json', fleet: { index: 0, of: 1 } }));
    peer = spawn(process.execPath, [CLI, 'peer', '--config', peerConfig], { stdio: 'ignore', env: process.env });
  });
  after(async () => {
    await killProcess(peer);
    await killProcess(nats);
    rmSync(dir, { recursive: true, force: true });
  });

  it(`after each of ${KILLS} kills the chain verifies and holds every block reported committed`, async () => {
    const random = seededRandom(11);
    // Blocks verified once need not have their signatures checked again after the next kill.
    const verifier = memoizingVerifier(createNodeCryptoVerifier(), 200_000);
    const everReported = new Map<number, string>();
    let settlements = 0;
    let repairs = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      // Most kills land while blocks are being committed; every fifth lands anywhere from start-up on.
      const whileCommitting = kill % 5 !== 4;
      const run = await runAndKill(coordinatorConfig, whileCommitting ? random.next() * 1_500 : random.next() * 2_500, whileCommitting);
      assert.equal(run.signal, 'SIGKILL', `run ${kill}: the coordinator ended on its own: ${run.stderr}`);
      for (const [height, hash] of run.reported) everReported.set(height, hash);
      settlements += run.settlements;
      if ((await assertChainSurvived(join(dir, 'chain'), everReported, verifier, `after kill ${kill}`)).repaired) repairs++;
    }
    assert.ok(everReported.size >= KILLS, `the coordinator reported only ${everReported.size} blocks over ${KILLS} runs`);
    assert.ok(settlements > 0, 'the peer\'s signed meter readings were settled');
    console.log(`# coordinator kill -9 test: ${KILLS} kills, ${everReported.size} blocks reported, ${settlements} readings settled, torn tails repaired on ${repairs} reopenings`);
  });
});
