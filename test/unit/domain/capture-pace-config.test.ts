import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config.js';

describe('capture pace settings', () => {
  it('when unset, then the exposure flush interval is left to the log (undefined) and attribution gathers for a second', () => {
    const config = loadConfig({});
    expect(config.EXPOSURE_FLUSH_MS).toBeUndefined();
    expect(config.ATTRIBUTION_GATHER_MS).toBe(1000);
    expect(config.EXPOSURE_LOG_WRITES).toBe('thread');
    expect(config.ATTRIBUTION_THREAD_NICE).toBe(10);
  });

  it('when set within bounds, then they are read as numbers', () => {
    const config = loadConfig({ EXPOSURE_FLUSH_MS: '120', ATTRIBUTION_GATHER_MS: '0' });
    expect(config.EXPOSURE_FLUSH_MS).toBe(120);
    expect(config.ATTRIBUTION_GATHER_MS).toBe(0);
    expect(loadConfig({ EXPOSURE_LOG_WRITES: 'pool' }).EXPOSURE_LOG_WRITES).toBe('pool');
  });

  it('when out of bounds or not a number, then the start is refused with the variable named', () => {
    for (const [name, value] of [
      ['EXPOSURE_FLUSH_MS', '5'],
      ['EXPOSURE_FLUSH_MS', '60000'],
      ['EXPOSURE_FLUSH_MS', 'soon'],
      ['ATTRIBUTION_GATHER_MS', '-1'],
      ['ATTRIBUTION_GATHER_MS', '20000'],
      ['EXPOSURE_LOG_WRITES', 'threads'],
      ['ATTRIBUTION_THREAD_NICE', '20'],
    ] as const) {
      expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
      expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
    }
  });
});
