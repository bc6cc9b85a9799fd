/**
 * The keys command line: `npm run keys -- create --role app --name web-shop` prints a new key
 * once (and, for app keys, the GrowthBook client key); `npm run keys -- list`;
 * `npm run keys -- revoke --name web-shop`.
 */
import { parseArgs } from 'node:util';
import { apiKeyInputSchema } from '../domain/api-keys.service.js';
import { DomainError } from '../domain/errors.js';
import type { Services } from '../domain/services.js';
import { issuesOf } from '../domain/validate.js';
import { cliActor } from './cli-context.js';

export const USAGE = `usage:
  npm run keys -- create --role <admin|strategist|app|viewer> --name <name>
  npm run keys -- list
  npm run keys -- revoke --name <name>`;

export const KEYS_OPTIONS = { role: { type: 'string' }, name: { type: 'string' } } as const;

/** Runs one keys command and returns the lines to print; throws DomainError on refused input. */
export async function runKeysCommand(services: Services, args: string[]): Promise<string[]> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: KEYS_OPTIONS,
  });
  const [command, ...rest] = positionals;
  const actor = cliActor('cli');
  if (command === 'create' && rest.length === 0) {
    const parsed = apiKeyInputSchema.safeParse({ name: values.name, role: values.role });
    if (!parsed.success) {
      throw new DomainError('validation_failed', 'Invalid key.', { fields: issuesOf(parsed.error) });
    }
    const { key, secret } = await services.apiKeys.create(actor, parsed.data);
    return [
      `created ${key.role} key "${key.name}" (${key.id})`,
      `key:        ${secret}`,
      ...(key.clientKey
        ? [`client key: ${key.clientKey}  (GrowthBook SDKs: /api/features/${key.clientKey})`]
        : []),
      'The key is shown once; store it now.',
    ];
  }
  if (command === 'list' && rest.length === 0) {
    const keys = await services.apiKeys.list();
    if (keys.length === 0) return ['no keys'];
    return keys.map((k) =>
      [k.name.padEnd(24), k.role.padEnd(10), k.prefix, k.revokedAt ? `revoked ${k.revokedAt}` : 'active']
        .join('  ')
        .trimEnd(),
    );
  }
  if (command === 'revoke' && rest.length <= 1) {
    const name = values.name ?? rest[0];
    if (!name) throw new DomainError('validation_failed', 'revoke needs --name <name>.');
    const key = await services.apiKeys.revoke(actor, name);
    return [`revoked ${key.role} key "${key.name}"`];
  }
  throw new DomainError('validation_failed', USAGE);
}
