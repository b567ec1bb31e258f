import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Where a stream mapping resumes per shard: in memory, or in a file with `--persist`. */
export interface CheckpointStore {
  get(key: string): string | undefined;
  set(key: string, sequenceNumber: string): void;
}

/** A checkpoint store; with `file` it survives restarts so a persisted stream is not replayed. */
export function checkpointStore(file?: string): CheckpointStore {
  const data: Record<string, string> = file && existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  return {
    get: (key) => data[key],
    set(key, sequenceNumber) {
      data[key] = sequenceNumber;
      if (!file) return;
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(data, null, 2));
    },
  };
}
