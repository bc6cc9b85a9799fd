import { z } from 'zod';
import {
  identityLinkResponseSchema,
  identityLinkSchema,
  identityViewSchema,
} from '../../domain/schemas/identity.schema.js';
import type { Services } from '../../domain/services.js';
import { defineRoute, type Route } from '../route.js';

const app = { via: 'key', roles: ['app'] } as const;

/** `POST /v1/identities` and `GET /v1/identities/:id`: one customer across devices. */
export function identitiesRoutes(services: Services): Route[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/identities',
      tag: 'identities',
      summary: 'Link an anonymous or device id to a customer id (idempotent)',
      description:
        "From the link on, assignments for either id answer the customer's variants (the customer's own where it has one, else the anonymous id's), and the exposures and events of both count for one unit. 201 for a new link, 200 when it existed already. An id that belongs to another customer is refused (`identity_conflict`): the first link stands and the refused claim is counted in the readouts.",
      access: app,
      body: identityLinkSchema,
      responses: { 200: identityLinkResponseSchema, 201: identityLinkResponseSchema },
      errors: ['identity_conflict', 'version_conflict'],
    }).handle(async ({ body }) => services.identities.link(body)),
    defineRoute({
      method: 'get',
      path: '/v1/identities/:id',
      tag: 'identities',
      summary: 'The customer an id resolves to, with sticky-bucket documents for GrowthBook SDKs',
      description:
        'An SDK evaluating the payload locally passes `customerId` (the resolved one) and these `stickyBucketAssignmentDocs`, so it answers the variants the customer keeps. An id never linked resolves to itself.',
      access: app,
      params: z.object({ id: z.string().min(1).max(200) }),
      responses: { 200: identityViewSchema },
    }).handle(async ({ params }) => ({ status: 200, body: await services.identities.view(params.id) })),
  ];
}
