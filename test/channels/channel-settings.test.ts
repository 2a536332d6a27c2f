// The channel settings schema: defaults and folders filled, bad values named by field path,
// unknown keys refused, each channel type, and folder resolution against the shared drive.
import { describe, expect, it } from 'vitest';
import {
  channelFolders,
  parseChannelSettings,
  resolveChannelFolder,
} from '../../src/channels/channel-settings.js';
import { isDarkroomError } from '../../src/errors/darkroom-error.js';
import { defaultPipelineSettings } from '../../src/imaging/pipeline-settings.js';

function refusal(json: unknown, name = 'press'): string {
  try {
    parseChannelSettings(json, name);
  } catch (err) {
    if (isDarkroomError(err, 'E_SETTINGS_INVALID')) return err.message;
    throw err;
  }
  throw new Error(`accepted ${JSON.stringify(json)}`);
}

describe('parseChannelSettings: a process channel', () => {
  it('fills the folders under hotfolders/NAME and every default', () => {
    const s = parseChannelSettings({ type: 'process' }, 'press');
    expect(s).toMatchObject({
      type: 'process',
      inputDir: 'hotfolders/press/in',
      outputDir: 'hotfolders/press/out',
      badDir: 'hotfolders/press/bad',
      originalsDir: 'hotfolders/press/originals',
      originals: 'keep',
      scanSubfolders: false,
      jobTicketsOnly: false,
      priority: 50,
      workflow: 'all-to-output',
      onOutputExists: 'counter',
      stamp: { whenAlreadyProcessed: 'skip' },
      resultTickets: false,
    });
    expect(s.type === 'process' && s.pipeline).toEqual(defaultPipelineSettings);
    expect(Object.isFrozen(s)).toBe(true);
  });

  it('keeps folders as given, absolute or relative', () => {
    const s = parseChannelSettings({ type: 'process', inputDir: '/mnt/in', outputDir: 'out/press' }, 'press');
    expect(s).toMatchObject({ inputDir: '/mnt/in', outputDir: 'out/press', badDir: 'hotfolders/press/bad' });
  });

  it('is idempotent: parsing its own output gives the same settings', () => {
    const once = parseChannelSettings({ type: 'process', priority: 80, group: 'news' }, 'press');
    expect(parseChannelSettings(JSON.parse(JSON.stringify(once)), 'press')).toEqual(once);
  });

  it('names the field path of a bad value, with the channel', () => {
    expect(refusal({ type: 'process', pipeline: { output: { jpegQuality: 101 } } })).toContain(
      'channel press: pipeline.output.jpegQuality: must be <= 100',
    );
    expect(refusal({ type: 'process', priority: -1 })).toContain('channel press: priority: must be >= 0');
    expect(refusal({ type: 'process', originals: 'archive' })).toContain(
      'originals: must be one of "keep", "delete", "leave"',
    );
    expect(refusal({ type: 'process', fileReadyDelayMs: 'soon' })).toContain(
      'fileReadyDelayMs: must be number',
    );
  });

  it('refuses an unknown key, naming it', () => {
    expect(refusal({ type: 'process', colour: 'red' })).toContain('channel press: colour: unknown setting');
    expect(refusal({ type: 'process', stamp: { write: true } })).toContain('stamp.write: unknown setting');
  });

  it('refuses an unknown type and a missing one', () => {
    expect(refusal({ type: 'print' })).toContain('type: must be one of "process", "routing", "purging"');
    expect(refusal({})).toContain('type: must be one of');
    expect(refusal('process')).toContain('(settings)');
  });

  it('refuses a skip pattern that does not compile and a route without its folder', () => {
    expect(refusal({ type: 'process', skipPattern: '/[/' })).toContain('skipPattern: regular expression');
    expect(refusal({ type: 'process', stamp: { whenAlreadyProcessed: 'route' } })).toContain(
      'stamp.routeDir: is required when whenAlreadyProcessed is route',
    );
  });

  it('refuses a channel name that cannot be a folder name', () => {
    expect(refusal({ type: 'process' }, '../etc')).toContain('channel name "../etc"');
    expect(refusal({ type: 'process' }, '')).toContain('channel name');
  });
});

describe('parseChannelSettings: routing and purging channels', () => {
  it('a routing channel takes ordered rules and a fallback', () => {
    const s = parseChannelSettings(
      {
        type: 'routing',
        rules: [{ when: { formats: ['tiff'] }, to: { channel: 'print' } }],
        otherwise: { folder: 'hotfolders/web/in' },
      },
      'router',
    );
    expect(s).toMatchObject({
      inputDir: 'hotfolders/router/in',
      badDir: 'hotfolders/router/bad',
      priority: 50,
    });
    expect(s.type === 'routing' && s.rules).toHaveLength(1);
    expect(refusal({ type: 'routing', rules: [{ when: {}, to: { printer: 'x' } }] })).toContain('rules.0.to');
    expect(refusal({ type: 'routing', outputDir: 'x' })).toContain('outputDir: unknown setting');
  });

  it('a purging channel needs its folder and at least one rule', () => {
    const s = parseChannelSettings({ type: 'purging', folder: 'archive', rules: { maxFiles: 100 } }, 'sweep');
    expect(s).toEqual({
      type: 'purging',
      folder: 'archive',
      rules: { maxFiles: 100 },
      scheduleMs: 3_600_000,
    });
    expect(refusal({ type: 'purging', rules: { maxFiles: 1 } })).toContain('folder: is required');
    expect(refusal({ type: 'purging', folder: 'a', rules: {} })).toContain('rules: give at least one');
    expect(refusal({ type: 'purging', folder: 'a', rules: { maxFiles: 1 }, scheduleMs: 10 })).toContain(
      'scheduleMs: must be >= 1000',
    );
  });
});

describe('channel folders', () => {
  it('relative folders resolve against the shared drive, absolute ones stay', () => {
    expect(resolveChannelFolder('/srv/shared', 'hotfolders/a/in')).toBe('/srv/shared/hotfolders/a/in');
    expect(resolveChannelFolder('/srv/shared', '/mnt/x')).toBe('/mnt/x');
    const s = parseChannelSettings({ type: 'process', outputDir: '/mnt/out' }, 'press');
    expect(channelFolders('/srv/shared', s)).toEqual({
      inputDir: '/srv/shared/hotfolders/press/in',
      outputDir: '/mnt/out',
      badDir: '/srv/shared/hotfolders/press/bad',
      originalsDir: '/srv/shared/hotfolders/press/originals',
    });
  });
});
