import { describe, expect, it } from 'vitest';
import { didYouMean, nearestNames } from '../../src/engine/nearestNames.js';

describe('nearestNames', () => {
  it('finds typos, case slips and partial names, closest first', () => {
    const templates = ['WebServer', 'KBRComputer', 'Machine', 'User', 'WebServerV2'];
    expect(nearestNames('WebSrever', templates)).toEqual(['WebServer']);
    expect(nearestNames('webserver', templates)).toEqual(['WebServer', 'WebServerV2']);
    expect(nearestNames('KBR', templates)).toEqual(['KBRComputer']);
    expect(nearestNames('Certificate', templates)).toEqual([]);
  });

  it('phrases the suggestion, or nothing', () => {
    expect(didYouMean('wbe', ['web', 'mail'])).toBe(' (did you mean "web"?)');
    expect(didYouMean('TestInstnat', ['TestInstant', 'TestPending', 'TestInstantRsa'])).toBe(' (did you mean "TestInstant"?)');
    expect(didYouMean('Web', ['WebServer', 'WebServerV2', 'Mail'])).toBe(' (did you mean "WebServer" or "WebServerV2"?)');
    expect(didYouMean('zzz', ['web'])).toBe('');
  });
});
