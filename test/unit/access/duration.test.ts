import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../../functions/access/domain/duration.js';

describe('parseDuration', () => {
  it.each([
    ['PT30M', 1800],
    ['PT2H', 7200],
    ['PT1H30M', 5400],
    ['PT90S', 90],
    ['P1D', 86400],
    ['P1DT2H', 93600],
  ])('reads the ISO 8601 duration %s as %i seconds', (text, seconds) => {
    // Act
    const parsed = parseDuration(text);

    // Assess
    expect(parsed).toBe(seconds);
  });

  it.each([
    ['30m', 1800],
    ['2h', 7200],
    ['1h30m', 5400],
    ['90s', 90],
    ['2H', 7200],
    [' 45m ', 2700],
  ])('reads the short form %j as %i seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(['', 'P', 'PT', 'PT0M', '0m', 'PT1.5H', '-30m', '30', 'thirty minutes', 'P1W', 'PT30M garbage', '30m2h'])(
    'rejects %j rather than guessing',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );
});

describe('formatDuration', () => {
  it.each([
    [1800, 'PT30M'],
    [7200, 'PT2H'],
    [5400, 'PT1H30M'],
    [45, 'PT45S'],
    [3661, 'PT1H1M1S'],
  ])('writes %i seconds canonically as %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('round-trips through parseDuration', () => {
    // Prepare
    const inputs = ['30m', '2h', '1h30m', 'PT4H', '90s'];

    // Act
    const roundTripped = inputs.map((i) => parseDuration(formatDuration(parseDuration(i)!)));

    // Assess
    expect(roundTripped).toEqual(inputs.map((i) => parseDuration(i)));
  });
});
