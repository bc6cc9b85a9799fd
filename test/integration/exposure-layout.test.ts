import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExposureRepository } from '../../src/db/exposure.repository.js';
import { type ExposureDoc, packExposure, readExposure } from '../../src/db/models/exposure.model.js';
import { seedExperiment, seedNudge, seedTouchpoint } from '../helpers/capture-fixtures.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';
import { exposure, hours } from '../helpers/readout-fixtures.js';

const harnesses: Harness[] = [];
afterAll(async () => {
  for (const h of harnesses) await h.close();
});

/** A service whose database holds one running experiment on `checkout.banner`; returns its id. */
async function service(env: Record<string, string>): Promise<{ h: Harness; experimentId: string }> {
  const h = await createHarness({ env });
  harnesses.push(h);
  await seedTouchpoint(h.connection, 'checkout.banner');
  await seedNudge(h.connection, 'banner-frame', 'checkout.banner');
  const experimentId = await seedExperiment(h.connection, 'banner-frame', 'checkout.banner', {
    key: 'banner',
  });
  await h.services.capture.assignments.refresh();
  return { h, experimentId };
}

/** Assigns one customer and returns the exposure document as stored. */
async function assignAndRead(h: Harness, experimentId: string, customerId: string) {
  const res = await h
    .request()
    .post('/v1/assignments')
    .set(auth(h.keys.app))
    .send({ customerId, touchpoint: 'checkout.banner', channel: 'web', attributes: { country: 'FR' } });
  expect(res.status).toBe(200);
  await h.services.capture.exposures.flush();
  const raw = await h.connection
    .collection('exposures')
    .findOne({ _id: `${experimentId}|1|${customerId}` } as never);
  return { raw, variant: res.body.assignments[0].variant as string };
}

describe('exposure layouts', () => {
  it('when no layout is set, then the embedded database gets packed exposures and MONGODB_URI field-by-field ones', async () => {
    const packed = await service({});
    const p = await assignAndRead(packed.h, packed.experimentId, 'c-packed');
    expect(Object.keys(p.raw ?? {}).sort()).toEqual(['_id', 'd', 'experimentId', 'phase']);
    expect(readExposure(p.raw as never)).toMatchObject({
      customerId: 'c-packed',
      variant: p.variant,
      channel: 'web',
      qa: false,
      attributes: { country: 'FR', channel: 'web' },
    });
    expect(readExposure(p.raw as never).exposedAt).toBeInstanceOf(Date);

    // Only the choice of layout reads MONGODB_URI: the harness's connection is the one used.
    const fields = await service({ MONGODB_URI: 'mongodb://the-teams-cluster:27017/nudgelab' });
    const f = await assignAndRead(fields.h, fields.experimentId, 'c-fields');
    expect(f.raw).toMatchObject({ customerId: 'c-fields', variant: f.variant, channel: 'web', qa: false });
    expect(f.raw?.exposedAt).toBeInstanceOf(Date);
    expect(f.raw?.d).toBeUndefined();

    const chosen = await service({ EXPOSURE_LAYOUT: 'fields' });
    const c = await assignAndRead(chosen.h, chosen.experimentId, 'c-chosen');
    expect(c.raw).toMatchObject({ customerId: 'c-chosen', variant: c.variant });
  });

  describe('a collection holding both layouts (the layout changed while exposures were stored)', () => {
    let h: Harness;
    const exp = { id: 'exp_mixed', key: 'mixed', phase: 2 };
    const docs: ExposureDoc[] = Array.from({ length: 6 }, (_, i) =>
      exposure(exp, `m${i}`, i % 2 ? 'treatment' : 'control', hours(i), {
        attributes: { segment: `s${i}` },
        ...(i === 1 ? { covariates: { spend: 12.5 } } : {}),
        ...(i === 5 ? { qa: true } : {}),
      }),
    );
    let packedRepo: ExposureRepository;
    let fieldsRepo: ExposureRepository;
    beforeAll(async () => {
      h = await createHarness();
      harnesses.push(h);
      packedRepo = new ExposureRepository(h.connection, 'packed');
      fieldsRepo = new ExposureRepository(h.connection, 'fields');
      await packedRepo.insertIgnoringDuplicates(docs.slice(0, 3));
      await fieldsRepo.insertIgnoringDuplicates(docs.slice(3));
    });

    it('then a phase is read whole, each exposure as it was given, whichever repository reads it', async () => {
      for (const repo of [packedRepo, fieldsRepo]) {
        const read: ExposureDoc[] = [];
        for await (const d of repo.ofPhase(exp.id, exp.phase)) read.push(d);
        read.sort((a, b) => a._id.localeCompare(b._id));
        expect(read).toEqual(docs);
        expect(read[1]?.covariates).toEqual({ spend: 12.5 });
        expect(read.every((d) => d.exposedAt instanceof Date)).toBe(true);
      }
      const other: ExposureDoc[] = [];
      for await (const d of packedRepo.ofPhase(exp.id, 1)) other.push(d);
      expect(other).toEqual([]);
    });

    it('then variants, existence and counts are found by id in both, QA exposures giving no variant', async () => {
      const ids = docs.map((d) => d._id);
      const shown = await packedRepo.variantsOf([...ids, 'exp_mixed|2|nobody']);
      expect([...shown.keys()].sort()).toEqual(ids.slice(0, 5));
      expect(shown.get(ids[0] as string)).toEqual({ variant: 'control', exposedAt: hours(0) });
      expect(shown.get(ids[3] as string)).toEqual({ variant: 'treatment', exposedAt: hours(3) });
      expect(await packedRepo.exists(ids[4] as string)).toBe(true);
      expect(await fieldsRepo.exists(ids[1] as string)).toBe(true);
      expect(await fieldsRepo.exists('exp_mixed|2|nobody')).toBe(false);
      expect(await packedRepo.countByIds(ids)).toBe(6);
    });

    it('then an exposure stored in one layout is refused as a duplicate in the other', async () => {
      const refused = await packedRepo.insertIgnoringDuplicates([
        docs[4] as ExposureDoc,
        exposure(exp, 'm-new', 'control', hours(9)),
      ]);
      expect([...refused]).toEqual([0]);
      expect(await fieldsRepo.insertIgnoringDuplicates([docs[0] as ExposureDoc])).toEqual(new Set([0]));
      expect(await packedRepo.countByIds([...docs.map((d) => d._id), 'exp_mixed|2|m-new'])).toBe(7);
    });
  });

  it('when a packed body is not JSON, then reading it fails and names the exposure', () => {
    const packed = packExposure(exposure({ id: 'exp_bad', key: 'bad', phase: 1 }, 'c1', 'control', hours(0)));
    expect(readExposure(packed).customerId).toBe('c1');
    expect(() => readExposure({ ...packed, d: '{"variant":' })).toThrow(
      /exp_bad\|1\|c1: its packed body is not JSON/,
    );
  });
});
