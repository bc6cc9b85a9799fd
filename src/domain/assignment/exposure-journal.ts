import {
  closeSync,
  existsSync,
  fdatasyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/**
 * A bounded, append-only local file of exposures the database could not take. Each append is one
 * write of whole lines followed by fdatasync, so an appended line survives a crash of this process.
 * Replay renames the file first: new appends go to a fresh file while the old one is written to the
 * database, and the old one is deleted only once every line in it is stored.
 */
export class ExposureJournal {
  readonly file: string;
  readonly replayFile: string;
  private bytes: number;

  constructor(
    dir: string,
    readonly maxBytes: number,
    name = 'exposures',
  ) {
    mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, `${name}.journal`);
    this.replayFile = `${this.file}.replaying`;
    this.bytes = sizeOf(this.file) + sizeOf(this.replayFile);
  }

  get size(): number {
    return this.bytes;
  }

  get pending(): boolean {
    return this.bytes > 0 || existsSync(this.replayFile);
  }

  /** Appends whole lines; false (and nothing written) when they would pass the size bound. */
  append(lines: readonly string[]): boolean {
    if (lines.length === 0) return true;
    const data = Buffer.from(`${lines.join('\n')}\n`);
    if (this.bytes + data.length > this.maxBytes) return false;
    const fd = openSync(this.file, 'a', 0o600); // customer ids: readable by the service's user only
    try {
      writeSync(fd, data);
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.bytes += data.length;
    return true;
  }

  /** The lines to replay (an earlier unfinished replay first), or null when there is nothing. */
  takeForReplay(): string[] | null {
    if (!existsSync(this.replayFile)) {
      if (sizeOf(this.file) === 0) return null;
      renameSync(this.file, this.replayFile);
    }
    return readFileSync(this.replayFile, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0);
  }

  /** Deletes the replayed file once all its lines are stored. */
  finishReplay(): void {
    try {
      unlinkSync(this.replayFile);
    } catch {
      // already gone
    }
    this.bytes = sizeOf(this.file);
  }
}
