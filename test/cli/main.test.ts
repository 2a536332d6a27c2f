// main(): a command line loads only the command group it names (so `--version` and `log note`
// start without the image pipeline), and the table of groups matches what each module registers.
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { commandGroups, groupsFor, main } from '../../src/cli/main.js';

const noIo = { out: () => undefined, err: () => undefined, setExit: () => undefined };

describe('main: command groups', () => {
  it('names in the table are exactly the commands each module registers', async () => {
    for (const g of commandGroups) {
      const program = new Command('darkroom');
      (await g.load())(program, noIo);
      expect(program.commands.map((c) => c.name())).toEqual([g.name]);
    }
  });

  it('a command word loads its group only; bare options none; help and unknown words all', () => {
    const names = (args: string[]): string[] => groupsFor(args).map((g) => g.name);
    expect(names(['log', 'note', 'hello'])).toEqual(['log']);
    expect(names(['--json', 'process', 'a.jpg', 'b.jpg'])).toEqual(['process']);
    expect(names(['--version'])).toEqual([]);
    expect(names(['-V'])).toEqual([]);
    expect(names([])).toHaveLength(commandGroups.length);
    expect(names(['--help'])).toHaveLength(commandGroups.length);
    expect(names(['help'])).toHaveLength(commandGroups.length);
    expect(names(['lgo'])).toHaveLength(commandGroups.length);
  });
});

describe('main: output of the lazily loaded program', () => {
  async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await main(['node', 'darkroom', ...args], {
      out: (t) => (out += t),
      err: (t) => (err += t),
    });
    return { code, out, err };
  }

  it('--version prints the version', async () => {
    expect(await run('--version')).toMatchObject({ code: 0, out: '0.1.0\n' });
  });

  it('--help lists every command', async () => {
    const r = await run('--help');
    expect(r.code).toBe(0);
    for (const g of commandGroups) expect(r.out).toMatch(new RegExp(`^  ${g.name}\\b`, 'm'));
  });

  it('an unknown command is refused with a suggestion, exit 2', async () => {
    const r = await run('lgo');
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown command 'lgo'");
    expect(r.err).toContain('log');
  });
});
