import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExposureDoc } from '../../../src/db/exposure.repository.js';
import type { ExposureForAttribution } from '../../../src/db/outcome.repository.js';
import { ExposureJournal } from '../../../src/domain/assignment/exposure-journal.js';
import { ExposureWriter } from '../../../src/domain/assignment/exposure-writer.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function doc(unitId: string, qa = false): ExposureDoc {
  return {
    _id: `exp_1|1|${unitId}`,
    experiment: 'e',
    experimentId: 'exp_1',
    phase: 1,
    variant: 'treatment',
    unit: 'customerId',
    unitId,
    customerId: unitId,
    touchpoint: 't',
    channel: 'web',
    exposedAt: new Date('2026-01-01T00:00:00Z'),
    attributes: {},
    qa,
    outcomes: {},
    tally: [{ k: 'treatment|exposures', v: 1 }],
  };
}

/** A writer over an in-memory store that already holds `stored` ids, recording what the sink is told. */
function setup(stored: string[]) {
  const dir = mkdtempSync(path.join(tmpdir(), 'writer-test-'));
  dirs.push(dir);
  const held = new Set(stored);
  const told = { inserted: [] as ExposureForAttribution[], reread: [] as string[] };
  const writer = new ExposureWriter({
    store: {
      async insertIgnoringDuplicates(docs) {
        const skipped = new Set<number>();
        docs.forEach((d, i) => {
          if (held.has(d._id)) skipped.add(i);
          held.add(d._id);
        });
        return skipped;
      },
    },
    journal: new ExposureJournal(dir, 1_000_000, 'exposures.test'),
    sink: () => ({
      async exposuresInserted(x) {
        told.inserted.push(...x);
      },
      async exposuresStored(ids) {
        told.reread.push(...ids);
      },
      async eventsStored() {},
    }),
    logger: pino({ level: 'silent' }),
    ping: async () => true,
    flushMs: 60_000,
  });
  return { writer, told, held };
}

describe('exposure writer', () => {
  it('hands freshly inserted exposures to attribution as they are, and earlier stored ones by id', async () => {
    const { writer, told, held } = setup(['exp_1|1|b']);
    for (const id of ['a', 'b', 'c']) writer.enqueue(doc(id));
    await writer.close();
    expect(told.inserted.map((x) => x.id)).toEqual(['exp_1|1|a', 'exp_1|1|c']);
    expect(told.inserted[0]).toMatchObject({ experimentId: 'exp_1', phase: 1, variant: 'treatment', rev: 0 });
    expect(told.reread).toEqual(['exp_1|1|b']);
    expect([...held].sort()).toEqual(['exp_1|1|a', 'exp_1|1|b', 'exp_1|1|c']);
    expect(writer.stats()).toMatchObject({ enqueued: 3, stored: 3, buffered: 0 });
  });

  it('queues a re-exposure of the same unit only once', async () => {
    const { writer, told } = setup([]);
    writer.enqueue(doc('a'));
    writer.enqueue(doc('a'));
    await writer.close();
    expect(told.inserted.map((x) => x.id)).toEqual(['exp_1|1|a']);
    expect(writer.stats().enqueued).toBe(1);
  });
});
