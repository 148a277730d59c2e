import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { DataMissingError } from './errors.js';

/** Environment variable naming the recorded-data folder. */
export const DATA_DIR_ENV = 'VPP_DATA';

function isDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

/**
 * The recorded-data folder, absolute. Order: `flag` (the CLI's --data), env VPP_DATA, then
 * `../shared/data` relative to the process cwd when it exists. Throws DataMissingError otherwise.
 */
export function resolveDataDir(flag?: string): string {
  if (flag !== undefined && flag !== '') {
    const abs = path.resolve(flag);
    if (!isDir(abs)) throw new DataMissingError(`recorded-data folder given by the --data flag does not exist: ${abs}`);
    return abs;
  }
  const env = process.env[DATA_DIR_ENV];
  if (env !== undefined && env !== '') {
    const abs = path.resolve(env);
    if (!isDir(abs)) throw new DataMissingError(`recorded-data folder given by env ${DATA_DIR_ENV} does not exist: ${abs}`);
    return abs;
  }
  const fallback = path.resolve(process.cwd(), '../shared/data');
  if (isDir(fallback)) return fallback;
  throw new DataMissingError(
    `no recorded-data folder: no --data flag given, env ${DATA_DIR_ENV} not set, and the default ${fallback} ` +
      `(../shared/data from the working directory) does not exist. Pass --data <folder> or set ${DATA_DIR_ENV}=<folder>.`,
  );
}

/** Absolute path of `relPath` inside `dataDir`; throws DataMissingError naming the file and the folder when it is absent. */
export function dataFile(dataDir: string, relPath: string): string {
  const full = path.resolve(dataDir, relPath);
  if (!existsSync(full)) {
    throw new DataMissingError(`missing data file "${relPath}" in recorded-data folder ${path.resolve(dataDir)} (looked for ${full})`);
  }
  return full;
}
