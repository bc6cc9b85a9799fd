import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { describe, expect, it, vi } from 'vitest';
import { checkCondition, unsafeRegexReason } from '../../src/domain/assignment/condition-check.js';
import { ExposureJournal } from '../../src/domain/assignment/exposure-journal.js';
import { DomainError } from '../../src/domain/errors.js';
import { checkJsonText, checkValueShape } from '../../src/domain/shape-limits.js';
import { findOperatorKeys } from '../../src/domain/validate.js';
import { createPdfPrinter } from '../../src/http/dashboard/pdf-printer.js';
import { createLogger } from '../../src/logger.js';
import { installCrashHandlers } from '../../src/process-guards.js';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return null;
  } catch (err) {
    return err instanceof DomainError ? err.code : String(err);
  }
};

describe('shape limits', () => {
  it('refuses deep or wide JSON text and ignores brackets inside strings', () => {
    expect(codeOf(() => checkJsonText(`${'['.repeat(33)}${']'.repeat(33)}`))).toBe('validation_failed');
    expect(codeOf(() => checkJsonText(`${'['.repeat(32)}${']'.repeat(32)}`))).toBeNull();
    expect(codeOf(() => checkJsonText(JSON.stringify({ s: '['.repeat(100) })))).toBeNull();
    expect(codeOf(() => checkJsonText(JSON.stringify({ s: '\\"[[[[' })))).toBeNull();
    expect(codeOf(() => checkJsonText(`[${'0,'.repeat(20_001)}0]`))).toBe('validation_failed');
  });

  it('refuses a deep parsed value without recursion', () => {
    let v: unknown = 1;
    for (let i = 0; i < 10_000; i++) v = [v];
    expect(codeOf(() => checkValueShape(v))).toBe('validation_failed');
  });

  it('walks a 100,000-deep value for $ keys without exhausting the stack', () => {
    let v: unknown = { $bad: 1 };
    for (let i = 0; i < 100_000; i++) v = { a: v };
    expect(findOperatorKeys(v)).toHaveLength(1);
  });
});

describe('targeting conditions', () => {
  it('refuses patterns that can take exponential time and accepts ordinary ones', () => {
    expect(unsafeRegexReason('^(a+)+$')).toMatch(/nested quantifiers/);
    expect(unsafeRegexReason('(x|xy)*z')).toMatch(/alternatives/);
    expect(unsafeRegexReason('(a)\\1')).toMatch(/back-references/);
    expect(unsafeRegexReason('[')).toMatch(/not a valid/);
    expect(unsafeRegexReason('a'.repeat(201))).toMatch(/longer than/);
    expect(unsafeRegexReason('^(gold|silver)$')).toBeNull();
    expect(unsafeRegexReason('@example\\.com$')).toBeNull();
  });

  it('names every unknown operator and every ill-typed argument with its path', () => {
    const issues = checkCondition({
      country: { $in: 'NL' },
      plan: { $exists: 'yes' },
      $or: [{ segment: { $regexi: '(a*)*' } }, { age: { $gt: 30, $between: [1, 2] } }],
      tags: { $elemMatch: { $eq: 'x' } },
    });
    expect(issues.map((i) => i.path)).toEqual([
      'targeting.country.$in',
      'targeting.plan.$exists',
      'targeting.$or[0].segment.$regexi',
      'targeting.$or[1].age.$between',
    ]);
  });
});

describe('PDF printer', () => {
  function fakeBrowser(gate: Promise<void>, cookiesAt: number[]): Browser {
    const page = {
      setDefaultTimeout: () => undefined,
      goto: async () => {
        await gate;
        return { status: () => 200 };
      },
      waitForSelector: async () => undefined,
      emulateMedia: async () => undefined,
      pdf: async () => Buffer.from('%PDF'),
    };
    const context = {
      addCookies: async () => {
        cookiesAt.push(Date.now());
      },
      newPage: async () => page,
      close: async () => undefined,
    };
    return { newContext: async () => context, on: () => undefined, close: async () => undefined } as never;
  }

  it('asks for the print session only when the print has its slot, and refuses beyond the queue bound', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const cookiesAt: number[] = [];
    const printer = createPdfPrinter({
      concurrency: 1,
      maxQueue: 1,
      launch: async () => fakeBrowser(gate, cookiesAt),
    });
    const asked: string[] = [];
    const cookie = (name: string) => () => {
      asked.push(name);
      return { name: 'nl_session', value: name };
    };
    const first = printer.print('http://127.0.0.1:1/x', cookie('first'));
    const second = printer.print('http://127.0.0.1:1/x', cookie('second'));
    await expect(printer.print('http://127.0.0.1:1/x', cookie('third'))).rejects.toMatchObject({
      code: 'pdf_busy',
    });
    await vi.waitFor(() => expect(asked).toEqual(['first']));
    open();
    await Promise.all([first, second]);
    expect(asked).toEqual(['first', 'second']);
    await printer.close();
  });

  it('answers pdf_unavailable when no browser can start', async () => {
    const printer = createPdfPrinter({
      launch: async () => {
        throw new Error('no chromium here');
      },
    });
    await expect(
      printer.print('http://127.0.0.1:1/x', () => ({ name: 'a', value: 'b' })),
    ).rejects.toMatchObject({
      code: 'pdf_unavailable',
    });
  });
});

describe('process-level failures', () => {
  it('drains and exits non-zero on an uncaught exception or an unhandled rejection', async () => {
    for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
      const proc = new EventEmitter() as EventEmitter & { exit: (code: number) => undefined };
      const exits: number[] = [];
      proc.exit = (code: number) => {
        exits.push(code);
        return undefined;
      };
      const drain = vi.fn(async () => undefined);
      installCrashHandlers(proc as never, createLogger('silent'), drain);
      proc.emit(event, new Error('boom'));
      await vi.waitFor(() => expect(exits).toEqual([1]));
      expect(drain).toHaveBeenCalledTimes(1);
    }
  });

  it('exits at once on a second failure while draining', async () => {
    const proc = new EventEmitter() as EventEmitter & { exit: (code: number) => undefined };
    const exits: number[] = [];
    proc.exit = (code: number) => {
      exits.push(code);
      return undefined;
    };
    installCrashHandlers(proc as never, createLogger('silent'), () => new Promise<void>(() => undefined));
    proc.emit('uncaughtException', new Error('first'));
    proc.emit('uncaughtException', new Error('second'));
    expect(exits).toEqual([1]);
  });
});

describe('exposure journal', () => {
  it('is readable and writable by its owner only', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nudgelab-journal-'));
    try {
      const journal = new ExposureJournal(dir, 1024 * 1024);
      expect(journal.append(['{"a":1}'])).toBe(true);
      expect(statSync(journal.file).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('definition files', () => {
  it('reports a YAML file whose aliases expand past the member bound, without walking it further', async () => {
    const { loadDefinitionFiles } = await import('../../src/domain/sync/load-files.js');
    const { writeFileSync } = await import('node:fs');
    const dir = mkdtempSync(path.join(tmpdir(), 'nudgelab-yaml-'));
    try {
      const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
      for (let i = 0; i < 6; i++) {
        lines.push(
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
            .fill(`*${String.fromCharCode(97 + i)}`)
            .join(', ')}]`,
        );
      }
      writeFileSync(path.join(dir, 'bomb.yaml'), `${lines.join('\n')}\n`);
      const loaded = await loadDefinitionFiles(dir);
      expect(loaded.issues.map((i) => i.reason).join(' ')).toMatch(/more than 20000 members|alias/i);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
