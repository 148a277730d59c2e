import modbusSerial from 'modbus-serial';
import type { DeviceCapabilities } from '../../actors/index.js';
import type { SimulatedBattery, SimulatedPv } from '../../actors/index.js';
import {
  SUNSPEC_MARKER,
  SUNSPEC_POINTS,
  STOR_CTL_CHARGE,
  STOR_CTL_DISCHARGE,
  fromInt16,
  toInt16,
} from '../../actors/devices/sunspec-modbus.js';

const { ServerTCP } = modbusSerial;

/** How the test device lays out and breaks its map. */
export interface SunSpecServerOptions {
  port: number;
  /** Physics behind the registers; its time follows `now`. */
  device: SimulatedBattery | SimulatedPv;
  now: () => number;
  baseAddress?: number;
  /** Battery: state of charge in model 124 ChaState, or only in model 802 (ChaState not implemented). */
  socModel?: 124 | 802;
  /** A broken map: no 'SunS' marker, a model chain that never ends, or a not-implemented W scale factor. */
  malformed?: 'no-marker' | 'endless-chain' | 'bad-scale-factor';
}

type Vector = ConstructorParameters<typeof ServerTCP>[0];
const COMMON_LENGTH = 66;
// Scale factors a real device might choose: W in tens of watts, percentages in hundredths.
const W_SF = 1;
const PCT_SF = -2;

function str(text: string, registers: number): number[] {
  const bytes = Buffer.alloc(registers * 2);
  bytes.write(text, 'ascii');
  return Array.from({ length: registers }, (_, i) => bytes.readUInt16BE(i * 2));
}

/**
 * A SunSpec inverter (battery or PV) over Modbus TCP on 127.0.0.1, backed by the simulated
 * physics: every request first advances the device to `now()`. Writes are turned into a setpoint
 * the way a real device would read its control registers; any setpoint beyond the device's
 * rating, or pushing a full/empty battery further, is counted in `outOfLimitWrites` (and not
 * applied). `silent` makes it stop answering without closing; `stop`/`start` kill and restart it
 * (control registers reset, like a power cycle).
 */
export class SunSpecTestServer {
  readonly options: SunSpecServerOptions;
  readonly caps: DeviceCapabilities;
  outOfLimitWrites = 0;
  writes = 0;
  /** Setpoints the device accepted, kW, in order. */
  readonly applied: number[] = [];
  silent = false;
  private server: InstanceType<typeof ServerTCP> | undefined;
  private regs = new Map<number, number>();
  private readonly base: number;
  private readonly layout = new Map<number, number>(); // model id → start of its points

  constructor(options: SunSpecServerOptions) {
    this.options = options;
    this.caps = options.device.capabilities();
    this.base = options.baseAddress ?? 40000;
    this.buildMap();
  }

  async start(): Promise<void> {
    this.resetControls();
    const vector: Vector = {
      getMultipleHoldingRegisters: (addr: number, length: number, _unit: number, cb: (err: unknown, values: number[]) => void) => {
        if (this.silent) return;
        const values: number[] = [];
        this.sync();
        for (let a = addr; a < addr + length; a += 1) {
          const v = this.regs.get(a);
          if (v === undefined) return cb({ modbusErrorCode: 0x02, msg: `illegal address ${a}` }, []);
          values.push(v);
        }
        cb(null, values);
      },
      getHoldingRegister: (addr: number, _unit: number, cb: (err: unknown, value: number) => void) => {
        if (this.silent) return;
        this.sync();
        const v = this.regs.get(addr);
        if (v === undefined) return cb({ modbusErrorCode: 0x02 }, 0);
        cb(null, v);
      },
      setRegisterArray: (addr: number, values: number[], _unit: number, cb: (err: unknown) => void) => {
        if (this.silent) return;
        this.sync();
        for (let i = 0; i < values.length; i += 1) {
          if (!this.regs.has(addr + i)) return cb({ modbusErrorCode: 0x02 });
        }
        values.forEach((v, i) => this.regs.set(addr + i, v));
        this.writes += 1;
        this.applyControls();
        cb(null);
      },
    } as Vector;
    const server = new ServerTCP(vector, { host: '127.0.0.1', port: this.options.port, unitID: 1 });
    server.on('socketError', () => {});
    server.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      server.on('initialized', () => resolve());
      server.on('serverError', reject);
    });
    this.server = server;
  }

  /** Kill the server: every connection is dropped. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Setpoint the physics follows now, kW. */
  get setpointKW(): number {
    return this.options.device.telemetryNow().setpointKW;
  }

  private at(model: number, offset: number): number {
    return this.layout.get(model)! + offset;
  }

  private set(model: number, offset: number, value: number): void {
    this.regs.set(this.at(model, offset), value);
  }

  private get(model: number, offset: number): number {
    return this.regs.get(this.at(model, offset))!;
  }

  private buildMap(): void {
    const isPv = this.caps.kind === 'pv';
    const models: [number, number][] = [
      [1, COMMON_LENGTH],
      [103, 50],
      ...(isPv ? ([[121, 30], [123, 24]] as [number, number][]) : ([[124, 24]] as [number, number][])),
      ...(!isPv && this.options.socModel === 802 ? ([[802, 62]] as [number, number][]) : []),
    ];
    const { malformed } = this.options;
    if (malformed !== 'no-marker') SUNSPEC_MARKER.forEach((v, i) => this.regs.set(this.base + i, v));
    let addr = this.base + 2;
    for (const [id, length] of models) {
      this.regs.set(addr, id);
      this.regs.set(addr + 1, length);
      this.layout.set(id, addr + 2);
      for (let i = 0; i < length; i += 1) this.regs.set(addr + 2 + i, 0);
      addr += 2 + length;
    }
    if (malformed === 'endless-chain') {
      // A model whose length points back at itself: the chain never reaches 0xFFFF.
      for (let i = 0; i < 2000; i += 1) {
        this.regs.set(addr, 64000);
        this.regs.set(addr + 1, 0);
        addr += 2;
      }
    }
    this.regs.set(addr, 0xffff);
    this.regs.set(addr + 1, 0);
    const c = SUNSPEC_POINTS.common;
    str('VPP test devices', 16).forEach((v, i) => this.set(1, c.Mn + i, v));
    str(isPv ? 'PV-sim' : 'Battery-sim', 16).forEach((v, i) => this.set(1, c.Md + i, v));
    str(`SN-${this.options.device.id}`, 16).forEach((v, i) => this.set(1, c.SN + i, v));
    const inv = SUNSPEC_POINTS.inverter;
    this.set(103, inv.W_SF, malformed === 'bad-scale-factor' ? 0x8000 : fromInt16(W_SF));
    if (isPv) {
      this.set(121, SUNSPEC_POINTS.settings.WMax, Math.round((this.caps.maxExportKW * 1000) / 10 ** W_SF));
      this.set(121, SUNSPEC_POINTS.settings.WMax_SF, fromInt16(W_SF));
      this.set(123, SUNSPEC_POINTS.controls.WMaxLimPct_SF, fromInt16(PCT_SF));
    } else {
      const s = SUNSPEC_POINTS.storage;
      this.set(124, s.WChaMax, Math.round((this.caps.maxImportKW * 1000) / 10 ** W_SF));
      this.set(124, s.WChaMax_SF, fromInt16(W_SF));
      this.set(124, s.ChaState_SF, fromInt16(PCT_SF));
      this.set(124, s.InOutWRte_SF, fromInt16(PCT_SF));
      if (this.options.socModel === 802) {
        this.set(124, s.ChaState, 0xffff);
        this.set(802, SUNSPEC_POINTS.battery.SoC_SF, fromInt16(PCT_SF));
      }
    }
  }

  /** Power-on values of the control registers. */
  private resetControls(): void {
    if (this.caps.kind === 'pv') {
      const c = SUNSPEC_POINTS.controls;
      this.set(123, c.WMaxLimPct, 100 / 10 ** PCT_SF);
      this.set(123, c.WMaxLim_Ena, 0);
    } else {
      const s = SUNSPEC_POINTS.storage;
      this.set(124, s.StorCtl_Mod, 0);
      this.set(124, s.OutWRte, 0);
      this.set(124, s.InWRte, 0);
    }
    this.applyControls();
  }

  private sync(): void {
    const { device } = this.options;
    device.advanceTo(Math.max(this.options.now(), device.telemetryNow().timeMs));
    const t = device.telemetryNow();
    this.set(103, SUNSPEC_POINTS.inverter.W, fromInt16(Math.round((t.powerKW * 1000) / 10 ** W_SF)));
    if (this.caps.kind === 'battery') {
      const socPct = Math.round((t.socFrac! * 100) / 10 ** PCT_SF);
      if (this.options.socModel === 802) this.set(802, SUNSPEC_POINTS.battery.SoC, socPct);
      else this.set(124, SUNSPEC_POINTS.storage.ChaState, socPct);
    }
  }

  /** The setpoint the control registers ask for, counted when out of limits and applied otherwise. */
  private applyControls(): void {
    const { device } = this.options;
    let kW: number;
    if (this.caps.kind === 'pv') {
      const c = SUNSPEC_POINTS.controls;
      const pct = this.get(123, c.WMaxLim_Ena) === 1 ? this.get(123, c.WMaxLimPct) * 10 ** PCT_SF : 100;
      kW = (pct / 100) * this.caps.maxExportKW;
      if (pct < 0 || pct > 100) return this.reject();
    } else {
      const s = SUNSPEC_POINTS.storage;
      const mode = this.get(124, s.StorCtl_Mod);
      const rateKW = this.caps.maxImportKW;
      const out = toInt16(this.get(124, s.OutWRte)) * 10 ** PCT_SF;
      const into = toInt16(this.get(124, s.InWRte)) * 10 ** PCT_SF;
      kW = (mode & STOR_CTL_DISCHARGE && out > 0 ? (out / 100) * rateKW : 0) - (mode & STOR_CTL_CHARGE && into > 0 ? (into / 100) * rateKW : 0);
      const t = device.telemetryNow();
      const st = this.caps.storage!;
      const empty = t.energyKWh! <= st.minSocFrac * st.capacityKWh;
      const full = t.energyKWh! >= st.maxSocFrac * st.capacityKWh;
      if ((kW > 0 && empty) || (kW < 0 && full)) return this.reject();
    }
    if (kW > this.caps.maxExportKW + 1e-9 || kW < -this.caps.maxImportKW - 1e-9) return this.reject();
    device.applySetpointNow(kW);
    this.applied.push(kW);
  }

  private reject(): void {
    this.outOfLimitWrites += 1;
  }
}
