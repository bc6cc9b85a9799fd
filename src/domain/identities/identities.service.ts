import type { QueuedLink } from '../../db/attribution-queue.repository.js';
import type {
  ConflictExample,
  IdentityRecord,
  IdentityRepository,
  LinkEntry,
} from '../../db/identity.repository.js';
import { exposureId } from '../../db/models/exposure.model.js';
import type { CompiledPayload } from '../assignment/compiled.types.js';
import { DomainError, validationError } from '../errors.js';
import {
  type IdentityLinkResponse,
  type IdentityView,
  identityLinkSchema,
} from '../schemas/identity.schema.js';
import { parseOrThrow } from '../validate.js';
import type { IdentityDirectory } from './identity-directory.js';

/** A started experiment or holdout randomised by customer: where a customer can have a variant. */
export interface PhaseRef {
  id: string;
  key: string;
  phase: number;
}

export interface IdentitiesDeps {
  repo: Pick<
    IdentityRepository,
    | 'getMany'
    | 'get'
    | 'claimAlias'
    | 'completeAlias'
    | 'saveCustomer'
    | 'appendLog'
    | 'noteClaim'
    | 'recordConflict'
  >;
  directory: IdentityDirectory;
  /** Bumps the link log's version counter and answers the new value (the link's sequence number). */
  nextSequence(): Promise<number>;
  /** Started experiments and holdouts (running or paused) whose unit is the customer id. */
  phases(): Promise<PhaseRef[]>;
  exposures: { variantsOf(ids: readonly string[]): Promise<Map<string, { variant: string }>> };
  /**
   * Writes the exposures this instance answered but still buffers, so a link sent right after an
   * assignment sees it (another instance's buffer is written within its flush interval).
   */
  settle?: () => Promise<void>;
  /** Queues the merge of the two ids' units for the attributor. */
  attribute(link: QueuedLink): Promise<void>;
}

/** Started experiments randomised by customer, once each, from the compiled payload. */
export function phasesOf(compiled: CompiledPayload): PhaseRef[] {
  const out = new Map<string, PhaseRef>();
  for (const tp of compiled.touchpoints.values()) {
    for (const e of tp.experiments) {
      if (e.phase < 1 || e.unit !== 'customerId') continue;
      if (e.status !== 'running' && e.status !== 'paused') continue;
      out.set(e.id, { id: e.id, key: e.key, phase: e.phase });
    }
  }
  return [...out.values()];
}

export const phaseKey = (p: Pick<PhaseRef, 'id' | 'phase'>): string => `${p.id}|${p.phase}`;

function refused(path: 'anonymousId' | 'customerId', reason: string, message: string): DomainError {
  return new DomainError('identity_conflict', message, { fields: [{ path, reason }] });
}

/**
 * Links anonymous or device ids to customers. The customer's own variants stand; an alias brings
 * its variants to the experiments where the customer has none, and where both had one and they
 * differ the unit is reported as split. The claim of the alias's `_id` decides between two
 * concurrent links of one id; every later step is idempotent, so a retry finishes a link that a
 * crash left half done.
 */
export class IdentitiesService {
  constructor(private readonly deps: IdentitiesDeps) {}

  async link(body: unknown, now = new Date()): Promise<{ status: 200 | 201; body: IdentityLinkResponse }> {
    const input = parseOrThrow(identityLinkSchema, body);
    const { anonymousId: alias, customerId } = input;
    if (alias === customerId) {
      throw validationError([{ path: 'customerId', reason: 'must differ from anonymousId' }]);
    }
    for (let attempt = 0; attempt < 2; attempt++) {
      const found = await this.deps.repo.getMany([alias, customerId]);
      const a = found.get(alias);
      const c = found.get(customerId);
      this.check(a, c, alias, customerId);
      if (a?.customerId !== undefined && a.customerId !== customerId) {
        await this.refuseClaim(alias, a.customerId, customerId, now);
        throw refused(
          'anonymousId',
          'is linked to another customer',
          'This id belongs to another customer; the first link stands and the claim is reported in the readouts.',
        );
      }
      const phases = await this.deps.phases();
      if (a?.customerId === customerId && a.complete !== false) {
        return { status: 200, body: this.answer(input, a.linkedAt ?? now, false, phases, c, []) };
      }
      if (!a && !(await this.deps.repo.claimAlias(alias, customerId, now))) continue;
      const at = a?.linkedAt ?? now;
      await this.deps.settle?.();
      const { sticky, splits } = await this.keep(phases, alias, customerId, c);
      await this.deps.repo.saveCustomer(customerId, alias, sticky);
      for (const s of splits) {
        await this.deps.repo.recordConflict(phaseKey(s.phase), 0, {
          kind: 'split',
          anonymousId: alias,
          customerId,
          variants: { [customerId]: s.kept, [alias]: s.alsoShown },
          at: at.toISOString(),
        });
      }
      const entry: LinkEntry = { s: await this.deps.nextSequence(), a: alias, c: customerId };
      await this.deps.repo.appendLog(entry);
      this.deps.directory.learn(alias, customerId);
      await this.deps.attribute({ t: 'l', id: `link|${alias}`, a: alias, c: customerId, o: at.getTime() });
      await this.deps.repo.completeAlias(alias);
      const stored: IdentityRecord = { id: customerId, sticky };
      return { status: 201, body: this.answer(input, at, true, phases, stored, splits) };
    }
    throw new DomainError('version_conflict', 'The id was linked concurrently; send the link again.');
  }

  /** Links that could never be made, whatever else is stored. */
  private check(
    a: IdentityRecord | undefined,
    c: IdentityRecord | undefined,
    alias: string,
    customerId: string,
  ): void {
    if (c?.customerId !== undefined) {
      throw refused(
        'customerId',
        'is itself linked to another customer as an alias',
        `"${customerId}" is an alias of another customer; link "${alias}" to that customer instead.`,
      );
    }
    if ((a?.aliases?.length ?? 0) > 0) {
      throw refused(
        'anonymousId',
        'is a customer with linked ids of its own',
        `"${alias}" is a customer with linked ids; it cannot become an alias of another.`,
      );
    }
  }

  /** The variant the group keeps in each phase: the customer's (recorded or shown), else the alias's. */
  private async keep(phases: readonly PhaseRef[], alias: string, customerId: string, c?: IdentityRecord) {
    const shown = await this.deps.exposures.variantsOf(
      phases.flatMap((p) => [exposureId(p.id, p.phase, customerId), exposureId(p.id, p.phase, alias)]),
    );
    const sticky: Record<string, string> = { ...(c?.sticky ?? {}) };
    const splits: { phase: PhaseRef; experiment: string; kept: string; alsoShown: string }[] = [];
    for (const p of phases) {
      const k = phaseKey(p);
      const group = sticky[k] ?? shown.get(exposureId(p.id, p.phase, customerId))?.variant;
      const theirs = shown.get(exposureId(p.id, p.phase, alias))?.variant;
      const kept = group ?? theirs;
      if (kept === undefined) continue;
      sticky[k] = kept;
      if (theirs !== undefined && theirs !== kept) {
        splits.push({ phase: p, experiment: p.key, kept, alsoShown: theirs });
      }
    }
    return { sticky, splits };
  }

  /** Counts a refused claim once per claimer in each phase where one of the three ids was exposed. */
  private async refuseClaim(alias: string, owner: string, claimer: string, now: Date): Promise<void> {
    if (!(await this.deps.repo.noteClaim(alias, claimer))) return;
    await this.deps.settle?.();
    const phases = await this.deps.phases();
    const ids = (p: PhaseRef) => [alias, owner, claimer].map((id) => exposureId(p.id, p.phase, id));
    const shown = await this.deps.exposures.variantsOf(phases.flatMap(ids));
    const example: ConflictExample = {
      kind: 'claim',
      anonymousId: alias,
      customerId: owner,
      claimedBy: claimer,
      at: now.toISOString(),
    };
    for (const p of phases) {
      if (ids(p).some((id) => shown.has(id))) await this.deps.repo.recordConflict(phaseKey(p), 1, example);
    }
  }

  private answer(
    input: { anonymousId: string; customerId: string },
    at: Date,
    created: boolean,
    phases: readonly PhaseRef[],
    customer: IdentityRecord | undefined,
    splits: readonly { experiment: string; kept: string; alsoShown: string }[],
  ): IdentityLinkResponse {
    const sticky = customer?.sticky ?? {};
    return {
      ...input,
      linkedAt: at.toISOString(),
      created,
      kept: phases.flatMap((p) => {
        const variant = sticky[phaseKey(p)];
        return variant === undefined ? [] : [{ experiment: p.key, variant }];
      }),
      splits: splits.map(({ experiment, kept, alsoShown }) => ({ experiment, kept, alsoShown })),
    };
  }

  /** Where an id stands, with the sticky-bucket documents an SDK evaluating locally needs. */
  async view(id: string): Promise<IdentityView> {
    const record = await this.deps.repo.get(id);
    const customerId = record?.customerId ?? id;
    const customer = record?.customerId !== undefined ? await this.deps.repo.get(customerId) : record;
    const assignments: Record<string, string> = {};
    const sticky = customer?.sticky ?? {};
    for (const p of await this.deps.phases()) {
      const variant = sticky[phaseKey(p)];
      // The SDK's sticky key is `<experiment key>__<bucket version>`; the payload's bucket version is the phase.
      if (variant !== undefined) assignments[`${p.key}__${p.phase}`] = variant;
    }
    const docs: IdentityView['stickyBucketAssignmentDocs'] = {};
    if (Object.keys(assignments).length > 0) {
      docs[`customerId||${customerId}`] = {
        attributeName: 'customerId',
        attributeValue: customerId,
        assignments,
      };
    }
    return {
      id,
      customerId,
      aliases: customer?.aliases ?? [],
      linked: record !== null && (record.customerId !== undefined || (record.aliases?.length ?? 0) > 0),
      stickyBucketAssignmentDocs: docs,
    };
  }
}
