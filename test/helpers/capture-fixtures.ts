import type { Connection } from 'mongoose';
import { DefinitionRepository, type Stored } from '../../src/db/definition.repository.js';

/** Seeds definitions straight through the repositories (the stored shape), bypassing the lifecycle rules. */
export interface ExperimentSeed {
  key: string;
  variants?: { key: string; weight: number }[];
  status?: string;
  phase?: number;
  coverage?: number;
  targeting?: Record<string, unknown>;
  unit?: string;
  overlap?: boolean;
  qaOverrides?: { customerId: string; variant: string }[];
  startedAt?: string;
}

let counter = 0;

function stamp(prefix: string) {
  counter++;
  const now = new Date().toISOString();
  return { id: `${prefix}${Date.now().toString(36)}${counter}`, version: 1, createdAt: now, updatedAt: now };
}

export async function seedTouchpoint(
  connection: Connection,
  key: string,
  channel = 'web',
  journey = 'home-loan',
): Promise<void> {
  const repo = new DefinitionRepository<Stored>(connection, 'touchpoint');
  await repo.insert({
    ...stamp('tpt_'),
    key,
    journey,
    stage: 'apply',
    channel,
    name: key,
  } as Stored);
}

/** A framing nudge with variants `control`, `a`, `b`, ... (or a timing nudge with the given payloads). */
export async function seedNudge(
  connection: Connection,
  key: string,
  touchpoint: string,
  variants: string[] = ['control', 'treatment'],
  timing?: Record<string, unknown>[],
): Promise<void> {
  const repo = new DefinitionRepository<Stored>(connection, 'nudge');
  await repo.insert({
    ...stamp('ndg_'),
    key,
    touchpoint,
    name: key,
    principle: 'loss aversion',
    type: timing ? 'timing' : 'framing',
    variants: variants.map((v, i) => ({
      key: v,
      name: v,
      payload: timing ? timing[i] : { frame: i === 0 ? 'neutral' : 'loss', message: `${key}:${v}` },
    })),
  } as Stored);
}

export async function seedExperiment(
  connection: Connection,
  nudge: string,
  touchpoint: string,
  seed: ExperimentSeed,
): Promise<string> {
  const repo = new DefinitionRepository<Stored>(connection, 'experiment');
  const base = stamp('exp_');
  const variants = seed.variants ?? [
    { key: 'control', weight: 0.5 },
    { key: 'treatment', weight: 0.5 },
  ];
  await repo.insert({
    ...base,
    key: seed.key,
    name: seed.key,
    nudge,
    touchpoint,
    owner: 'cx-team',
    hypothesis: 'it helps',
    control: variants[0]?.key ?? 'control',
    variants,
    coverage: seed.coverage ?? 1,
    ...(seed.targeting ? { targeting: seed.targeting } : {}),
    unit: seed.unit ?? 'customerId',
    overlap: seed.overlap ?? false,
    qaOverrides: seed.qaOverrides ?? [],
    metrics: [
      {
        key: 'conv',
        kind: 'conversion',
        role: 'primary',
        event: 'applied',
        windowHours: 168,
        lowerIsBetter: false,
        margin: 0,
      },
    ],
    decision: {},
    status: seed.status ?? 'running',
    phase: seed.phase ?? 1,
    startedAt: seed.startedAt ?? new Date(Date.now() - 1000 * counter).toISOString(),
  } as Stored);
  return base.id;
}

/** Replaces fields of a stored experiment (as a lifecycle change would). */
export async function patchExperiment(
  connection: Connection,
  key: string,
  patch: Record<string, unknown>,
): Promise<void> {
  const repo = new DefinitionRepository<Stored>(connection, 'experiment');
  const current = await repo.getByKey(key);
  if (!current) throw new Error(`no experiment ${key}`);
  await repo.replace({ ...current, ...patch, version: current.version + 1 } as Stored, current.version);
}
