// Checkpoints on disk: the format (checkpoint-format.ts) plus atomic writing (atomic-file.ts).
// Node.js and Deno only; exported from 'selfish-rnn/node'.
import { decodeCheckpoint, encodeCheckpoint, type CheckpointContents, type DecodeCheckpointOptions } from './checkpoint-format.js';
import { readFileBytes, writeFileAtomic } from './atomic-file.js';

/** Writes a checkpoint file atomically: a crash mid-save leaves the previous checkpoint intact. */
export async function writeCheckpointFile(path: string, contents: CheckpointContents): Promise<void> {
  await writeFileAtomic(path, encodeCheckpoint(contents));
}

/** Reads and verifies a checkpoint file; errors name the file. See decodeCheckpoint. */
export async function readCheckpointFile<M = unknown>(path: string, options: DecodeCheckpointOptions = {}): Promise<CheckpointContents<M>> {
  return decodeCheckpoint<M>(await readFileBytes(path), { source: path, ...options });
}
