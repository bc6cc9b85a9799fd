import type { z } from 'zod';
import { type DefinitionRepository, DuplicateKeyError, type Stored } from '../db/definition.repository.js';
import type { DefinitionKind } from '../db/models/definition.model.js';
import type { AuditService } from './audit.service.js';
import { DomainError } from './errors.js';
import { newId } from './ids.js';
import type { Actor } from './roles.js';
import { parseOrThrow } from './validate.js';

export interface DefinitionRules<I, T> {
  /** Checks references to other definitions; throws a DomainError when one is missing. */
  checkReferences?(input: I): Promise<void>;
  /** Checks what may change on an existing definition (e.g. a running experiment's variants). */
  checkUpdate?(current: T, next: I): Promise<void> | void;
  /** Throws `in_use` when another definition still points at this one. */
  checkDelete?(current: T): Promise<void>;
  /** Fields derived from the input and stored with it (e.g. an experiment's touchpoint). */
  derive?(input: I, current: T | null): Promise<Partial<T>> | Partial<T>;
}

export type ChangeListener = (kind: DefinitionKind, key: string) => void;

/**
 * What only sync passes: the definitions file that manages the definition from now on, or null
 * when no file declares it any more. Left out, an update keeps the stored source, so an edit
 * through the API does not make a file-managed definition look browser-made.
 */
export interface WriteOptions {
  source?: string | null;
}

/**
 * Create, replace, delete and read one kind of definition. Every change is validated with the
 * kind's zod schema, checked against its rules, audited (before and after) and announced to
 * listeners such as the assignment payload compiler.
 */
export class DefinitionsService<S extends z.ZodType<{ key: string }>, T extends Stored & z.infer<S>> {
  private readonly listeners: ChangeListener[] = [];

  constructor(
    readonly kind: DefinitionKind,
    private readonly schema: S,
    readonly repo: DefinitionRepository<T>,
    private readonly audit: AuditService,
    private readonly rules: DefinitionRules<z.infer<S>, T> = {},
  ) {}

  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  protected changed(key: string): void {
    for (const listener of this.listeners) listener(this.kind, key);
  }

  parse(body: unknown): z.infer<S> {
    return parseOrThrow(this.schema, body);
  }

  async list(filter: Record<string, string | number | boolean> = {}): Promise<T[]> {
    return this.repo.list(filter);
  }

  async get(key: string): Promise<T> {
    const found = await this.repo.getByKey(key);
    if (!found) throw new DomainError('not_found', `No ${this.kind} with key "${key}".`);
    return found;
  }

  async create(actor: Actor, body: unknown, opts: WriteOptions = {}): Promise<T> {
    const input = this.parse(body);
    await this.rules.checkReferences?.(input);
    const now = new Date().toISOString();
    const derived = (await this.rules.derive?.(input, null)) ?? {};
    const value = {
      ...input,
      ...derived,
      ...(opts.source ? { source: opts.source } : {}),
      id: newId(this.kind),
      version: 1,
      createdAt: now,
      updatedAt: now,
    } as T;
    try {
      await this.repo.insert(value);
    } catch (err) {
      if (err instanceof DuplicateKeyError) {
        throw new DomainError('conflict', `A ${this.kind} with key "${input.key}" already exists.`, {
          fields: [{ path: 'key', reason: 'already taken' }],
        });
      }
      throw err;
    }
    await this.recheck(
      () => this.rules.checkReferences?.(input),
      () => this.repo.deleteById(value.id),
    );
    await this.audit.record(actor, 'create', this.kind, value.key, null, value);
    this.changed(value.key);
    return value;
  }

  /** Replaces the definition with `key` by the body (the key itself cannot change). */
  async update(
    actor: Actor,
    key: string,
    body: unknown,
    expectedVersion?: number,
    opts: WriteOptions = {},
  ): Promise<T> {
    const current = await this.get(key);
    const input = this.parse(body);
    if (input.key !== key) {
      throw new DomainError('validation_failed', 'The key in the body must match the key in the path.', {
        fields: [{ path: 'key', reason: `must be "${key}"` }],
      });
    }
    if (expectedVersion !== undefined && expectedVersion !== current.version) {
      throw new DomainError('version_conflict', `The ${this.kind} is at version ${current.version}.`);
    }
    await this.rules.checkReferences?.(input);
    await this.rules.checkUpdate?.(current, input);
    const derived = (await this.rules.derive?.(input, current)) ?? {};
    // A replace: optional fields left out of the body are removed, so only the stored metadata is
    // carried over (rules.derive carries over anything else, such as an experiment's lifecycle).
    const { id, createdAt, updatedAt, version } = current;
    const source = opts.source === undefined ? current.source : opts.source;
    const next = {
      id,
      createdAt,
      updatedAt,
      version,
      ...(source ? { source } : {}),
      ...input,
      ...derived,
    } as T;
    return this.write(actor, 'update', current, next, async () => {
      await this.rules.checkReferences?.(input);
      await this.rules.checkUpdate?.(current, input);
    });
  }

  /**
   * Records which file manages the definition (sync), or that none does any more; nothing else
   * changes. Audited as `file-managed` or `released`; a source that is already stored is a no-op.
   */
  async setSource(actor: Actor, key: string, source: string | null): Promise<T> {
    const current = await this.get(key);
    if ((current.source ?? null) === source) return current;
    const { source: _previous, ...rest } = current;
    const next = (source ? { ...rest, source } : rest) as T;
    return this.write(actor, source ? 'file-managed' : 'released', current, next);
  }

  /**
   * Stores `next` in place of `current` if nobody changed it meanwhile, audits and announces it.
   * `checks` run again once it is stored (see `recheck`); when they fail, `current` is put back.
   */
  async write(actor: Actor, action: string, current: T, next: T, checks?: () => Promise<void>): Promise<T> {
    const value = { ...next, version: current.version + 1, updatedAt: new Date().toISOString() } as T;
    if (!(await this.repo.replace(value, current.version))) {
      throw new DomainError(
        'version_conflict',
        `The ${this.kind} "${current.key}" changed meanwhile; retry.`,
      );
    }
    if (checks) {
      // Put back under a new version, so an edit made from the refused one conflicts.
      const restored = { ...current, version: value.version + 1, updatedAt: new Date().toISOString() } as T;
      await this.recheck(checks, () => this.repo.replace(restored, value.version));
    }
    await this.audit.record(actor, action, this.kind, value.key, current, value);
    this.changed(value.key);
    return value;
  }

  /** Throws what `delete` would refuse with, deleting nothing: for a step that asks to confirm. */
  async checkDeletable(key: string): Promise<T> {
    const current = await this.get(key);
    await this.rules.checkDelete?.(current);
    return current;
  }

  async delete(actor: Actor, key: string): Promise<void> {
    const current = await this.checkDeletable(key);
    if (!(await this.repo.deleteByKey(key)))
      throw new DomainError('not_found', `No ${this.kind} with key "${key}".`);
    await this.recheck(
      () => this.rules.checkDelete?.(current),
      // A definition made meanwhile under the same key stays; the reference then points at it.
      () =>
        this.repo.insert(current).catch((err: unknown) => {
          if (!(err instanceof DuplicateKeyError)) throw err;
        }),
    );
    await this.audit.record(actor, 'delete', this.kind, key, current, null);
    this.changed(key);
  }

  /**
   * The checks of another kind's definitions run again after the write, and a failure undoes it.
   * Without transactions (the embedded database has none), a check and a write are two steps, so
   * two requests at once could each pass their check before the other's write: a nudge created on
   * a touchpoint being deleted, an experiment on a nudge being deleted. Each side writes first and
   * checks afterwards, so at least one of them sees the other's write: it undoes its own and is
   * refused with the error its first check would have given (both may be refused; nothing is left
   * half-done).
   */
  private async recheck(
    checks: () => Promise<void> | undefined,
    undo: () => Promise<unknown>,
  ): Promise<void> {
    try {
      await checks();
    } catch (err) {
      await undo();
      throw err;
    }
  }
}
