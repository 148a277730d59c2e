import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { z } from 'zod';

/** A seeded random source; every random draw in a simulation comes from one of these. */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
}

/** A deterministic generator (xoroshiro128+) for a seed. */
export function seededRandom(seed: number): Random {
  const rng = xoroshiro128plus(seed);
  return { next: () => uniformFloat64(rng) };
}

/** A scenario parameter: a fixed number or a distribution to draw each device's value from. */
export const distributionSchema = z.union([
  z.number(),
  z.strictObject({ uniform: z.tuple([z.number(), z.number()]) }),
  z.strictObject({
    normal: z.strictObject({ mean: z.number(), sd: z.number().nonnegative(), min: z.number().optional(), max: z.number().optional() }),
  }),
  z.strictObject({ choice: z.array(z.number()).min(1), weights: z.array(z.number().nonnegative()).optional() }),
], {
  error: (issue) =>
    `${issue.input === undefined ? 'required: ' : ''}expected a number or a distribution: { uniform: [a, b] } | { normal: { mean, sd, min?, max? } } | { choice: [...], weights?: [...] }`,
});
export type Distribution = z.infer<typeof distributionSchema>;

/** Draws one value of `dist`. */
export function draw(dist: Distribution, random: Random): number {
  if (typeof dist === 'number') return dist;
  if ('uniform' in dist) return dist.uniform[0] + (dist.uniform[1] - dist.uniform[0]) * random.next();
  if ('normal' in dist) {
    // Box-Muller; clipped to the optional bounds so a tail draw cannot make an unphysical device.
    const u = Math.max(random.next(), Number.MIN_VALUE);
    const value = dist.normal.mean + dist.normal.sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.next());
    return Math.min(dist.normal.max ?? Infinity, Math.max(dist.normal.min ?? -Infinity, value));
  }
  const weights = dist.weights ?? dist.choice.map(() => 1);
  if (weights.length !== dist.choice.length) throw new Error('choice and weights must have the same length');
  const total = weights.reduce((a, b) => a + b, 0);
  let pick = random.next() * total;
  for (let i = 0; i < dist.choice.length; i++) {
    pick -= weights[i];
    if (pick < 0) return dist.choice[i];
  }
  return dist.choice[dist.choice.length - 1];
}
