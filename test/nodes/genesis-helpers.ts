import { prepareRun } from '../../sim/run.js';
import { parseScenario } from '../../sim/scenario.js';

/** The scenario fleet's DERs a peer with `share` runs, registered under its meter key as a chain genesis lists them. */
export function registeredDers(scenarioObject: Record<string, unknown>, scenarioDir: string, share: { index: number; of: number }, meterPublicKeyHex: string): Record<string, unknown>[] {
  const fleet = prepareRun(parseScenario(scenarioObject, 'test genesis'), { scenarioDir }).newFleet();
  return fleet.members
    .filter((_, k) => k % share.of === share.index)
    .map((m) => {
      const caps = m.device.capabilities();
      return { derId: m.device.id, ownerId: m.ownerId, kind: caps.kind, meterPublicKey: meterPublicKeyHex, maxPowerKW: Math.max(caps.maxExportKW, caps.maxImportKW) };
    });
}
