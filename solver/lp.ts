/**
 * A backend-neutral linear program and its CPLEX LP text form.
 *
 * Variables and constraints are addressed by index; names are only for people and for export.
 * Bounds may be `-Infinity` / `Infinity`; a constraint with `lb === ub` is an equality.
 */

/** Whether the objective is maximised or minimised. */
export type LpSense = 'max' | 'min';

/** One column: bounds and objective coefficient. */
export interface LpVariable {
  name: string;
  lb: number;
  ub: number;
  objective: number;
}

/** One row: `lb <= sum(coefs[k] * x[indices[k]]) <= ub`. */
export interface LpConstraint {
  name: string;
  indices: number[];
  coefs: number[];
  lb: number;
  ub: number;
}

/** A complete linear program, ready for any `LpBackend` or for `toCplexLp`. */
export interface LinearProgram {
  name: string;
  sense: LpSense;
  variables: LpVariable[];
  constraints: LpConstraint[];
}

/** Raised when a model is built with malformed data (NaN coefficient, lb > ub, bad index). */
export class LpModelError extends Error {
  /** Stable machine-readable code. */
  readonly code = 'VPP_ERR_LP_MODEL';
  constructor(message: string) {
    super(message);
    this.name = 'LpModelError';
  }
}

function checkBounds(what: string, lb: number, ub: number): void {
  if (Number.isNaN(lb) || Number.isNaN(ub) || lb > ub || lb === Infinity || ub === -Infinity) {
    throw new LpModelError(`${what}: bounds must satisfy lb <= ub (finite or open), got [${lb}, ${ub}]`);
  }
}

/** Incremental builder of a `LinearProgram`; validates every addition. */
export class LpBuilder {
  private readonly variables: LpVariable[] = [];
  private readonly constraints: LpConstraint[] = [];

  constructor(
    private readonly name: string,
    private readonly sense: LpSense,
  ) {}

  /** Adds a column and returns its index. */
  addVariable(name: string, lb: number, ub: number, objective = 0): number {
    checkBounds(`variable ${name}`, lb, ub);
    if (!Number.isFinite(objective)) {
      throw new LpModelError(`variable ${name}: objective coefficient must be finite, got ${objective}`);
    }
    this.variables.push({ name, lb, ub, objective });
    return this.variables.length - 1;
  }

  /** Adds a row `lb <= sum(coefs[k] * x[indices[k]]) <= ub` and returns its index. */
  addConstraint(name: string, indices: number[], coefs: number[], lb: number, ub: number): number {
    checkBounds(`constraint ${name}`, lb, ub);
    if (indices.length !== coefs.length) {
      throw new LpModelError(`constraint ${name}: ${indices.length} indices but ${coefs.length} coefficients`);
    }
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k];
      if (!Number.isInteger(i) || i < 0 || i >= this.variables.length || !Number.isFinite(coefs[k])) {
        throw new LpModelError(`constraint ${name}: term ${k} has index ${i}, coefficient ${coefs[k]}`);
      }
    }
    this.constraints.push({ name, indices, coefs, lb, ub });
    return this.constraints.length - 1;
  }

  /** The finished model (the builder must not be used afterwards). */
  build(): LinearProgram {
    return { name: this.name, sense: this.sense, variables: this.variables, constraints: this.constraints };
  }
}

// CPLEX LP reserved words and section keywords that must not be used as names.
const RESERVED = new Set([
  'free', 'inf', 'infinity', 'st', 'st.', 's.t.', 'subject', 'such', 'bounds', 'bound', 'end',
  'maximize', 'maximise', 'maximum', 'max', 'minimize', 'minimise', 'minimum', 'min',
  'general', 'generals', 'gen', 'binary', 'binaries', 'bin', 'integer', 'integers', 'int',
]);
const MAX_NAME_LENGTH = 200;
const MAX_LINE_LENGTH = 200;

function sanitizeName(raw: string): string {
  let s = raw.replace(/[^A-Za-z0-9_.]/g, '_').slice(0, MAX_NAME_LENGTH);
  // A name may not start with a digit or '.', and 'e'/'E' followed by a digit reads as an exponent.
  if (s === '' || /^[0-9.]/.test(s) || /^[eE][0-9]/.test(s) || RESERVED.has(s.toLowerCase())) s = `_${s}`;
  return s;
}

function uniqueNames(raw: string[], taken: Set<string>): string[] {
  return raw.map((r) => {
    const base = sanitizeName(r);
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
    taken.add(name);
    return name;
  });
}

/** Shortest decimal that reads back as the same double (full precision). */
function num(x: number): string {
  if (x === Infinity) return '+inf';
  if (x === -Infinity) return '-inf';
  return String(x);
}

/** The CPLEX LP text of a model plus the exported column names, in variable order. */
export interface CplexLpText {
  text: string;
  columnNames: string[];
}

function writeLinear(out: string[], head: string, indices: number[], coefs: number[], names: string[], tail: string): void {
  let line = head;
  const emit = (part: string): void => {
    if (line.length + part.length > MAX_LINE_LENGTH) {
      out.push(line);
      line = ' ';
    }
    line += part;
  };
  if (indices.length === 0) emit(` 0 ${names[0]}`);
  for (let k = 0; k < indices.length; k++) {
    const c = coefs[k];
    emit(` ${c < 0 ? '-' : '+'} ${num(Math.abs(c))} ${names[indices[k]]}`);
  }
  emit(tail);
  out.push(line);
}

/**
 * Writes `lp` in CPLEX LP format together with the column names used. Names are sanitized and made
 * unique; numbers are printed as shortest round-trip decimals, so a reader gets the same doubles.
 * Every column appears in the objective (coefficient 0 if unused) so the column order is kept.
 * A ranged row (finite lb < ub) becomes two rows `<name>_lo` / `<name>_hi`, because GLPK's reader
 * does not accept double-sided rows; a row free on both sides is dropped.
 */
export function writeCplexLp(lp: LinearProgram): CplexLpText {
  if (lp.variables.length === 0) throw new LpModelError(`LP ${lp.name}: has no variables`);
  const taken = new Set<string>(['obj']);
  const columnNames = uniqueNames(lp.variables.map((v) => v.name), taken);
  const rows: { c: LpConstraint; name: string; op: '=' | '<=' | '>='; rhs: number }[] = [];
  for (const c of lp.constraints) {
    if (c.lb === c.ub) rows.push({ c, name: c.name, op: '=', rhs: c.lb });
    else if (c.lb === -Infinity && c.ub !== Infinity) rows.push({ c, name: c.name, op: '<=', rhs: c.ub });
    else if (c.ub === Infinity && c.lb !== -Infinity) rows.push({ c, name: c.name, op: '>=', rhs: c.lb });
    else if (c.lb !== -Infinity) {
      rows.push({ c, name: `${c.name}_lo`, op: '>=', rhs: c.lb }, { c, name: `${c.name}_hi`, op: '<=', rhs: c.ub });
    }
  }
  const rowNames = uniqueNames(rows.map((r) => r.name), taken);
  const out: string[] = [`\\ Problem: ${lp.name.replace(/[\r\n]/g, ' ')}`, lp.sense === 'max' ? 'Maximize' : 'Minimize'];
  writeLinear(out, ' obj:', lp.variables.map((_, i) => i), lp.variables.map((v) => v.objective), columnNames, '');
  out.push('Subject To');
  rows.forEach((r, j) => writeLinear(out, ` ${rowNames[j]}:`, r.c.indices, r.c.coefs, columnNames, ` ${r.op} ${num(r.rhs)}`));
  out.push('Bounds');
  lp.variables.forEach((v, i) => {
    const name = columnNames[i];
    if (v.lb === -Infinity && v.ub === Infinity) out.push(` ${name} free`);
    else if (v.lb === v.ub) out.push(` ${name} = ${num(v.lb)}`);
    else out.push(` ${num(v.lb)} <= ${name} <= ${num(v.ub)}`);
  });
  out.push('End', '');
  return { text: out.join('\n'), columnNames };
}

/** `lp` as CPLEX LP text (see `writeCplexLp`). */
export function toCplexLp(lp: LinearProgram): string {
  return writeCplexLp(lp).text;
}

/** Objective value of `values` in `lp` (sum of objective coefficient times value). */
export function lpObjective(lp: LinearProgram, values: ArrayLike<number>): number {
  let z = 0;
  lp.variables.forEach((v, i) => {
    z += v.objective * values[i];
  });
  return z;
}
