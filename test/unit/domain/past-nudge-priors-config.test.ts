import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config.js';

describe('PAST_NUDGE_PRIORS', () => {
  it('when it lists nudge types, then they are parsed as a list, and when unset, no type takes a prior', () => {
    expect(loadConfig({ PAST_NUDGE_PRIORS: 'framing, default' }).PAST_NUDGE_PRIORS).toEqual([
      'framing',
      'default',
    ]);
    expect(loadConfig({}).PAST_NUDGE_PRIORS).toEqual([]);
  });

  it('when it names a type that does not exist, then the start is refused with the variable named', () => {
    expect(() => loadConfig({ PAST_NUDGE_PRIORS: 'framing,guilt' })).toThrow(ConfigError);
    expect(() => loadConfig({ PAST_NUDGE_PRIORS: 'framing,guilt' })).toThrow(/PAST_NUDGE_PRIORS\.1/);
  });
});
