import type { DefinitionRepository } from '../../db/definition.repository.js';
import { activePolicies } from '../assignment/fatigue-rules.js';
import type { AuditService } from '../audit.service.js';
import { DefinitionsService } from '../definitions.service.js';
import { validationError } from '../errors.js';
import {
  type FatiguePolicy,
  type FatigueState,
  fatiguePolicyInputSchema,
} from '../schemas/fatigue-policy.schema.js';
import type { Journey } from '../schemas/journey.schema.js';
import { atCap, contactsInWindow, dayOf } from './contact-window.js';
import type { FatigueGate } from './fatigue-gate.js';

export type FatiguePoliciesService = DefinitionsService<typeof fatiguePolicyInputSchema, FatiguePolicy>;

export function createFatiguePoliciesService(
  repo: DefinitionRepository<FatiguePolicy>,
  journeys: DefinitionRepository<Journey>,
  audit: AuditService,
): FatiguePoliciesService {
  return new DefinitionsService('fatigue', fatiguePolicyInputSchema, repo, audit, {
    async checkReferences(input) {
      if (input.journey && !(await journeys.getByKey(input.journey))) {
        throw validationError([{ path: 'journey', reason: `no journey with key "${input.journey}"` }]);
      }
    },
  });
}

/** Where a customer stands against every active policy, and the attribute an SDK needs for it. */
export async function fatigueState(
  policies: readonly FatiguePolicy[],
  gate: FatigueGate,
  customerId: string,
  now = new Date(),
): Promise<FatigueState> {
  const contacts = await gate.contacts(customerId, now);
  const today = dayOf(now);
  const rows = activePolicies(policies).map((p) => ({
    key: p.key,
    journey: p.journey ?? null,
    contacts: contactsInWindow(contacts, p, today),
    maxContacts: p.maxContacts,
    windowDays: p.windowDays,
    capped: atCap(contacts, p, today),
  }));
  return {
    customerId,
    policies: rows,
    attributes: { fatigueCapped: rows.filter((r) => r.capped).map((r) => r.key) },
  };
}
