import modbusSerial from 'modbus-serial';
import type { DeviceCapabilities, DeviceTelemetry } from '../device-adapter.js';
import { DeviceConfigError, DeviceLinkError, DeviceProtocolError } from '../errors.js';
import { MS_PER_HOUR } from './simulated-device.js';
import { errorMessage, offlineTelemetry, withTimeout, type DeviceClock, type LinkedDeviceAdapter } from './device-link.js';

// modbus-serial is CommonJS: its class is both module.exports and module.exports.default.
const ModbusRTU = modbusSerial.default;
type ModbusClient = InstanceType<typeof ModbusRTU>;

/** Register addresses where a SunSpec map may start, in the order they are probed. */
export const SUNSPEC_BASE_ADDRESSES: readonly number[] = [40000, 0, 50000];
/** 'SunS' as two big-endian registers. */
export const SUNSPEC_MARKER: readonly number[] = [0x5375, 0x6e53];
/** Model id that ends the model chain. */
export const SUNSPEC_END_ID = 0xffff;

/**
 * Offsets (registers after the model's ID and L) of the points this adapter uses, and the least
 * model length that holds them. Values from the SunSpec information models (common 1, inverter
 * 101–103, nameplate 120, settings 121, immediate controls 123, storage 124, battery 802).
 */
export const SUNSPEC_POINTS = {
  common: { minLength: 65, Mn: 0, Md: 16, SN: 48, strLength: 16 },
  inverter: { minLength: 50, W: 12, W_SF: 13, WH: 22, WH_SF: 24, St: 36 },
  nameplate: { minLength: 26, WRtg: 1, WRtg_SF: 2 },
  settings: { minLength: 30, WMax: 0, WMax_SF: 20 },
  controls: { minLength: 24, WMaxLimPct: 3, WMaxLimPct_RvrtTms: 5, WMaxLim_Ena: 7, WMaxLimPct_SF: 21 },
  storage: { minLength: 24, WChaMax: 0, StorCtl_Mod: 3, ChaState: 6, OutWRte: 10, InWRte: 11, InOutWRte_RvrtTms: 13, WChaMax_SF: 16, ChaState_SF: 20, InOutWRte_SF: 23 },
  battery: { minLength: 62, WHRtg: 1, SoC: 9, WHRtg_SF: 51, SoC_SF: 54 },
} as const;

/** Inverter models (single, split, three phase; integer with scale factors). */
export const SUNSPEC_INVERTER_MODELS: readonly number[] = [101, 102, 103];
/** StorCtl_Mod bits: a charge (bit 0) or discharge (bit 1) rate limit is in force. */
export const STOR_CTL_CHARGE = 1;
export const STOR_CTL_DISCHARGE = 2;

// "Not implemented" values of the SunSpec register types.
const NOT_IMPLEMENTED_INT16 = 0x8000;
const NOT_IMPLEMENTED_UINT16 = 0xffff;
// Scale factors outside this range are not plausible for power or percent points.
const MAX_ABS_SCALE_FACTOR = 10;
// A map longer than this many models is malformed (a chain that never ends).
const MAX_MODELS = 64;
// Modbus allows at most 125 registers per read.
const MAX_READ_REGISTERS = 125;

/** One model of a discovered map: `start` is the address of its first point (after ID and L). */
export interface SunSpecModel {
  id: number;
  start: number;
  length: number;
}

/** What discovery learnt about a device. */
export interface SunSpecMap {
  baseAddress: number;
  manufacturer: string;
  model: string;
  serial: string;
  models: SunSpecModel[];
}

/** How to reach and treat a SunSpec device. */
export interface SunSpecConfig {
  id: string;
  host: string;
  port: number;
  /** Modbus unit id, 1–247. */
  unitId: number;
  /** A request without an answer for this long marks the device offline, ms > 0. */
  timeoutMs: number;
  /** The device's limits as its owner states them; discovery may only lower the power limits. */
  capabilities: DeviceCapabilities;
  /**
   * Seconds the device holds a written setpoint before reverting on its own (SunSpec RvrtTms):
   * the device-side fail-safe when this node dies. 0 = hold forever.
   */
  revertS: number;
  /** Clock stamping telemetry; `Date.now` when omitted. */
  now?: DeviceClock;
}

/** int16 from a register. */
export function toInt16(reg: number): number {
  return reg >= 0x8000 ? reg - 0x10000 : reg;
}

/** A register holding `value` as int16 (two's complement). */
export function fromInt16(value: number): number {
  return value < 0 ? value + 0x10000 : value;
}

/**
 * A battery or PV inverter over Modbus TCP with SunSpec models. `open` finds the 'SunS' marker
 * (40000, then 0, then 50000), walks the model chain and checks it offers what the device kind
 * needs: an inverter model (101–103) for power; for PV the controls model 123 (WMaxLimPct of
 * WMax from model 121, or WRtg from 120); for a battery the storage model 124 (charge/discharge
 * rates as % of WChaMax) and its state of charge (124 ChaState or 802 SoC). Scale factors are
 * read with every reading. A request that times out or fails marks the device offline and drops
 * the connection; the next read reconnects and discovers again.
 */
export class SunSpecModbusAdapter implements LinkedDeviceAdapter {
  readonly id: string;
  private readonly config: SunSpecConfig;
  private readonly now: DeviceClock;
  private client: ModbusClient | undefined;
  private map: SunSpecMap | undefined;
  private caps: DeviceCapabilities;
  private last: DeviceTelemetry | undefined;
  private meterNetKWh = 0;
  private lastError: string | undefined;

  constructor(config: SunSpecConfig) {
    const kind = config.capabilities.kind;
    if (kind !== 'battery' && kind !== 'pv') {
      throw new DeviceConfigError(`device ${config.id}: SunSpec drives a battery or a pv inverter, not ${kind}`);
    }
    this.id = config.id;
    this.config = config;
    this.now = config.now ?? Date.now;
    this.caps = config.capabilities;
  }

  capabilities(): DeviceCapabilities {
    const { storage } = this.caps;
    return storage ? { ...this.caps, storage: { ...storage } } : { ...this.caps };
  }

  /** The map found by the last discovery. */
  get discovered(): SunSpecMap | undefined {
    return this.map;
  }

  /** Why the device was last marked offline. */
  get lastFailure(): string | undefined {
    return this.lastError;
  }

  async open(): Promise<void> {
    const client = new ModbusRTU();
    client.setTimeout(this.config.timeoutMs);
    this.client = client;
    try {
      await withTimeout(client.connectTCP(this.config.host, { port: this.config.port }), this.config.timeoutMs, this.where('connect'));
      client.setID(this.config.unitId);
      this.map = await this.discover();
      await this.learnRatings();
    } catch (err) {
      await this.drop();
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.drop();
  }

  async readTelemetry(): Promise<DeviceTelemetry> {
    const timeMs = this.now();
    try {
      if (!this.client || !this.map) await this.open();
      const telemetry = await this.read(timeMs);
      this.last = telemetry;
      return telemetry;
    } catch (err) {
      this.lastError = errorMessage(err);
      await this.drop();
      this.last = offlineTelemetry(this.caps, this.last, timeMs);
      return this.last;
    }
  }

  async applySetpoint(powerKW: number): Promise<void> {
    if (!this.client || !this.map) throw new DeviceLinkError(`${this.where('setpoint')}: not connected`);
    if (!Number.isFinite(powerKW) || powerKW > this.caps.maxExportKW || powerKW < -this.caps.maxImportKW) {
      throw new DeviceProtocolError(`${this.where('setpoint')}: ${powerKW} kW is outside [${-this.caps.maxImportKW}, ${this.caps.maxExportKW}] kW`);
    }
    try {
      if (this.caps.kind === 'pv') await this.writePvLimit(powerKW);
      else await this.writeStorageRate(powerKW);
    } catch (err) {
      this.lastError = errorMessage(err);
      await this.drop();
      throw err instanceof DeviceProtocolError || err instanceof DeviceLinkError ? err : new DeviceLinkError(`${this.where('setpoint')}: ${errorMessage(err)}`);
    }
  }

  private where(what: string): string {
    return `device ${this.id} (SunSpec ${this.config.host}:${this.config.port} unit ${this.config.unitId}) ${what}`;
  }

  private async drop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.map = undefined;
    if (client?.isOpen) await new Promise<void>((resolve) => client.close(() => resolve()));
  }

  private async registers(address: number, length: number): Promise<number[]> {
    if (!this.client) throw new DeviceLinkError(`${this.where('read')}: not connected`);
    const result = await withTimeout(this.client.readHoldingRegisters(address, length), this.config.timeoutMs, this.where(`read ${address}+${length}`));
    if (result.data.length !== length) {
      throw new DeviceProtocolError(`${this.where(`read ${address}+${length}`)}: got ${result.data.length} registers`);
    }
    return result.data;
  }

  private async write(address: number, values: number[]): Promise<void> {
    if (!this.client) throw new DeviceLinkError(`${this.where('write')}: not connected`);
    await withTimeout(this.client.writeRegisters(address, values), this.config.timeoutMs, this.where(`write ${address}`));
  }

  private async discover(): Promise<SunSpecMap> {
    let base: number | undefined;
    for (const address of SUNSPEC_BASE_ADDRESSES) {
      const marker = await this.registers(address, 2).catch((err: unknown) => {
        if (err instanceof DeviceLinkError) throw err; // no answer at all: do not probe on
        return undefined; // an exception (illegal address): probe the next base
      });
      if (marker && marker[0] === SUNSPEC_MARKER[0] && marker[1] === SUNSPEC_MARKER[1]) {
        base = address;
        break;
      }
    }
    if (base === undefined) {
      throw new DeviceProtocolError(`${this.where('discovery')}: no 'SunS' marker at ${SUNSPEC_BASE_ADDRESSES.join(', ')}`);
    }
    const models: SunSpecModel[] = [];
    let address = base + 2;
    for (;;) {
      const [id, length] = await this.registers(address, 2);
      if (id === SUNSPEC_END_ID) break;
      if (models.length >= MAX_MODELS || address + 2 + length > 0xffff) {
        throw new DeviceProtocolError(`${this.where('discovery')}: model chain from ${base} does not end (model ${id} at ${address}, L = ${length})`);
      }
      models.push({ id, start: address + 2, length });
      address += 2 + length;
    }
    const common = models[0];
    if (!common || common.id !== 1 || common.length < SUNSPEC_POINTS.common.minLength) {
      throw new DeviceProtocolError(`${this.where('discovery')}: first model is ${common ? `${common.id} (L = ${common.length})` : 'missing'}, expected common model 1 with L >= ${SUNSPEC_POINTS.common.minLength}`);
    }
    const c = SUNSPEC_POINTS.common;
    const regs = await this.registers(common.start, c.SN + c.strLength);
    const map: SunSpecMap = {
      baseAddress: base,
      manufacturer: registersToString(regs.slice(c.Mn, c.Mn + c.strLength)),
      model: registersToString(regs.slice(c.Md, c.Md + c.strLength)),
      serial: registersToString(regs.slice(c.SN, c.SN + c.strLength)),
      models,
    };
    this.requireModel(map, 'inverter', SUNSPEC_INVERTER_MODELS);
    if (this.caps.kind === 'pv') {
      this.requireModel(map, 'controls', [123]);
      if (!this.find(map, [121]) && !this.find(map, [120])) {
        throw new DeviceProtocolError(`${this.where('discovery')}: a pv inverter needs model 121 (WMax) or 120 (WRtg) to scale WMaxLimPct`);
      }
    } else {
      this.requireModel(map, 'storage', [124]);
    }
    return map;
  }

  private find(map: SunSpecMap, ids: readonly number[]): SunSpecModel | undefined {
    return map.models.find((m) => ids.includes(m.id));
  }

  private requireModel(map: SunSpecMap, points: keyof typeof SUNSPEC_POINTS, ids: readonly number[]): SunSpecModel {
    const model = this.find(map, ids);
    const minLength = SUNSPEC_POINTS[points].minLength;
    if (!model || model.length < minLength || model.length > MAX_READ_REGISTERS) {
      const found = map.models.map((m) => `${m.id} (L = ${m.length})`).join(', ');
      throw new DeviceProtocolError(`${this.where('discovery')}: needs model ${ids.join('/')} with ${minLength} <= L <= ${MAX_READ_REGISTERS}; the map offers ${found}`);
    }
    return model;
  }

  private async block(ids: readonly number[], points: keyof typeof SUNSPEC_POINTS): Promise<number[]> {
    const model = this.requireModel(this.map!, points, ids);
    return this.registers(model.start, SUNSPEC_POINTS[points].minLength);
  }

  /** The rated power the device states (WMax, else WRtg; WChaMax for storage) may only lower the owner's limits. */
  private async learnRatings(): Promise<void> {
    const owner = this.config.capabilities;
    if (this.caps.kind === 'pv') {
      const ratedKW = await this.pvRatedKW();
      this.caps = { ...owner, maxExportKW: Math.min(owner.maxExportKW, ratedKW) };
    } else {
      const rateKW = this.storageRateKW(await this.block([124], 'storage'));
      this.caps = { ...owner, maxExportKW: Math.min(owner.maxExportKW, rateKW), maxImportKW: Math.min(owner.maxImportKW, rateKW) };
    }
  }

  private async pvRatedKW(): Promise<number> {
    if (this.find(this.map!, [121])) {
      const s = SUNSPEC_POINTS.settings;
      const regs = await this.block([121], 'settings');
      return scaled(regs[s.WMax], regs[s.WMax_SF], false, this.where('WMax')) / 1000;
    }
    const n = SUNSPEC_POINTS.nameplate;
    const regs = await this.block([120], 'nameplate');
    return scaled(regs[n.WRtg], regs[n.WRtg_SF], false, this.where('WRtg')) / 1000;
  }

  /** Storage rate base, kW: the device's WChaMax (OutWRte and InWRte are percent of it). */
  private storageRateKW(regs: number[]): number {
    const s = SUNSPEC_POINTS.storage;
    return scaled(regs[s.WChaMax], regs[s.WChaMax_SF], false, this.where('WChaMax')) / 1000;
  }

  private async read(timeMs: number): Promise<DeviceTelemetry> {
    const map = this.map!;
    const i = SUNSPEC_POINTS.inverter;
    const inv = await this.block(SUNSPEC_INVERTER_MODELS, 'inverter');
    const powerKW = scaled(toInt16(inv[i.W]), inv[i.W_SF], true, this.where('W')) / 1000;
    const base: DeviceTelemetry = { timeMs, online: true, powerKW, setpointKW: 0, meterNetKWh: this.meterNetKWh };
    const telemetry = this.caps.kind === 'pv' ? await this.readPv(base) : await this.readStorage(base, map);
    // The meter is what the node saw: the mean of two readings over the time between them.
    if (this.last?.online && timeMs > this.last.timeMs) {
      this.meterNetKWh += ((this.last.powerKW + powerKW) / 2) * ((timeMs - this.last.timeMs) / MS_PER_HOUR);
    }
    return { ...telemetry, meterNetKWh: this.meterNetKWh };
  }

  private async readPv(base: DeviceTelemetry): Promise<DeviceTelemetry> {
    const c = SUNSPEC_POINTS.controls;
    const ctl = await this.block([123], 'controls');
    const ratedKW = await this.pvRatedKW();
    const limited = ctl[c.WMaxLim_Ena] === 1;
    const pct = limited ? scaled(ctl[c.WMaxLimPct], ctl[c.WMaxLimPct_SF], false, this.where('WMaxLimPct')) : 100;
    const setpointKW = Math.min(this.caps.maxExportKW, (pct / 100) * ratedKW);
    // A curtailed inverter does not say what the sun would give: at least what it makes now.
    return { ...base, setpointKW, availableKW: Math.max(0, base.powerKW) };
  }

  private async readStorage(base: DeviceTelemetry, map: SunSpecMap): Promise<DeviceTelemetry> {
    const s = SUNSPEC_POINTS.storage;
    const regs = await this.block([124], 'storage');
    const rateKW = this.storageRateKW(regs);
    const mode = regs[s.StorCtl_Mod];
    const out = scaled(toInt16(regs[s.OutWRte]), regs[s.InOutWRte_SF], false, this.where('OutWRte'));
    const into = scaled(toInt16(regs[s.InWRte]), regs[s.InOutWRte_SF], false, this.where('InWRte'));
    const setpointKW = (mode & STOR_CTL_DISCHARGE && out > 0 ? (out / 100) * rateKW : 0) - (mode & STOR_CTL_CHARGE && into > 0 ? (into / 100) * rateKW : 0);
    let socPct: number;
    if (regs[s.ChaState] !== NOT_IMPLEMENTED_UINT16) {
      socPct = scaled(regs[s.ChaState], regs[s.ChaState_SF], false, this.where('ChaState'));
    } else if (this.find(map, [802])) {
      const b = SUNSPEC_POINTS.battery;
      const bat = await this.block([802], 'battery');
      socPct = scaled(bat[b.SoC], bat[b.SoC_SF], false, this.where('SoC'));
    } else {
      throw new DeviceProtocolError(`${this.where('read')}: storage model 124 has no ChaState and there is no battery model 802`);
    }
    if (!(socPct >= 0 && socPct <= 100)) throw new DeviceProtocolError(`${this.where('read')}: state of charge ${socPct} %, expected 0–100`);
    const socFrac = socPct / 100;
    return { ...base, setpointKW, socFrac, energyKWh: socFrac * this.caps.storage!.capacityKWh };
  }

  private async writePvLimit(powerKW: number): Promise<void> {
    const c = SUNSPEC_POINTS.controls;
    const model = this.requireModel(this.map!, 'controls', [123]);
    const ctl = await this.registers(model.start, c.minLength);
    const ratedKW = await this.pvRatedKW();
    const pct = Math.min(100, Math.max(0, (powerKW / ratedKW) * 100));
    // Round down: the written cap never exceeds the one asked for.
    const raw = Math.floor(pct / 10 ** scaleFactor(ctl[c.WMaxLimPct_SF], this.where('WMaxLimPct_SF')));
    // WMaxLimPct, WinTms, RvrtTms, RmpTms, WMaxLim_Ena in one request.
    await this.write(model.start + c.WMaxLimPct, [raw, 0, this.config.revertS, 0, 1]);
  }

  private async writeStorageRate(powerKW: number): Promise<void> {
    const s = SUNSPEC_POINTS.storage;
    const model = this.requireModel(this.map!, 'storage', [124]);
    const regs = await this.registers(model.start, s.minLength);
    const rateKW = this.storageRateKW(regs);
    const sf = scaleFactor(regs[s.InOutWRte_SF], this.where('InOutWRte_SF'));
    // Round toward zero: the written rate never exceeds the one asked for.
    const raw = Math.floor(Math.min(100, (Math.abs(powerKW) / rateKW) * 100) / 10 ** sf);
    const discharge = powerKW > 0 ? raw : 0;
    const charge = powerKW < 0 ? raw : 0;
    // OutWRte, InWRte, WinTms, RvrtTms, then the mode that puts them in force.
    await this.write(model.start + s.OutWRte, [fromInt16(discharge), fromInt16(charge), 0, this.config.revertS]);
    await this.write(model.start + s.StorCtl_Mod, [STOR_CTL_CHARGE | STOR_CTL_DISCHARGE]);
  }
}

/** A SunSpec string (two ASCII bytes per register, NUL padded). */
function registersToString(regs: number[]): string {
  return String.fromCharCode(...regs.flatMap((r) => [r >> 8, r & 0xff]))
    .replace(/\0.*$/s, '')
    .trim();
}

/** A sunssf register as a power of ten; throws when not implemented or implausible. */
function scaleFactor(reg: number, where: string): number {
  const sf = toInt16(reg);
  if (reg === NOT_IMPLEMENTED_INT16 || Math.abs(sf) > MAX_ABS_SCALE_FACTOR) {
    throw new DeviceProtocolError(`${where}: scale factor register ${reg} is not a sunssf in [-${MAX_ABS_SCALE_FACTOR}, ${MAX_ABS_SCALE_FACTOR}]`);
  }
  return sf;
}

/** `value` × 10^sf; throws when the value is the type's "not implemented". `signed` says `value` is already an int16. */
function scaled(value: number, sfReg: number, signed: boolean, where: string): number {
  const notImplemented = signed ? value === -NOT_IMPLEMENTED_INT16 : value === NOT_IMPLEMENTED_UINT16;
  if (notImplemented) throw new DeviceProtocolError(`${where}: not implemented by the device`);
  return value * 10 ** scaleFactor(sfReg, where);
}
