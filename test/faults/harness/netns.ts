// Network namespaces for partition faults: every instance of a test runs in a namespace of its
// own (`ip netns exec NS node …`: `ip` execs node, so the pid signalled is node's own), plugged
// by a veth pair into a bridge that lives in one more namespace (the hub). Faults are nftables
// rules inside an instance's namespace: a port blocked, a peer cut off both ways, one direction
// of connection set-up refused. Nothing here touches the root namespace's network: both ends of
// every connection are in namespaces this file made (TOOLCHAIN.md: a connect from the root
// namespace to 10.x would leave by the default route). Names carry the test's pid and a counter;
// `teardown()` deletes every namespace it made, also after a failure, and `process.on('exit')`
// is a last resort for a test that never reached its teardown.
import { spawn, spawnSync } from 'node:child_process';
import { repoRoot, type CliResult } from '../../fixtures/instance-drive.js';
import { join } from 'node:path';

const bin = join(repoRoot, 'bin/darkroom.js');
let made = 0;
const live = new Set<string>();
process.on('exit', () => {
  for (const ns of live) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
});

function run(args: readonly string[], input?: string): void {
  const r = spawnSync(args[0]!, args.slice(1), {
    encoding: 'utf8',
    ...(input !== undefined ? { input } : {}),
  });
  if (r.status !== 0)
    throw new Error(`${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout}`);
}

/**
 * Why network namespaces cannot be used here, or undefined when they can: root, `ip` and `nft`
 * present, and a namespace with a veth pair can really be made (containers may refuse it).
 */
export function netnsRefused(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: ip netns needs CAP_SYS_ADMIN';
  for (const tool of ['ip', 'nft']) {
    if (spawnSync(tool, ['-V'], { stdio: 'ignore' }).status !== 0)
      return `${tool} is not installed (apt-get install iproute2 nftables)`;
  }
  const a = `drprobe${process.pid}a`;
  const b = `drprobe${process.pid}b`;
  try {
    run(['ip', 'netns', 'add', a]);
    live.add(a);
    run(['ip', 'netns', 'add', b]);
    live.add(b);
    run(['ip', 'link', 'add', 'x0', 'netns', a, 'type', 'veth', 'peer', 'name', 'x1', 'netns', b]);
    run(['ip', 'netns', 'exec', a, 'nft', 'add', 'table', 'inet', 'probe']);
    return undefined;
  } catch (err) {
    return `network namespaces are refused here: ${(err as Error).message.trim()}`;
  } finally {
    for (const ns of [a, b]) {
      spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      live.delete(ns);
    }
  }
}

export interface Member {
  readonly name: string;
  readonly ns: string;
  readonly addr: string;
}

/**
 * A small LAN of namespaces: `members` (an instance each, or an observer such as the CLI),
 * 10.79.0.0/24 on a bridge in the hub namespace. The addresses exist only inside these
 * namespaces, so two tests' LANs never meet.
 */
export class NetnsLan {
  readonly members = new Map<string, Member>();
  readonly hub: string;
  readonly #tag: string;
  #down = false;

  private constructor(tag: string) {
    this.#tag = tag;
    this.hub = `dr${tag}h`;
  }

  static create(names: readonly string[]): NetnsLan {
    const lan = new NetnsLan(`${process.pid}x${++made}`);
    try {
      lan.#build(names);
    } catch (err) {
      lan.teardown();
      throw err;
    }
    return lan;
  }

  #build(names: readonly string[]): void {
    run(['ip', 'netns', 'add', this.hub]);
    live.add(this.hub);
    run(['ip', '-n', this.hub, 'link', 'add', 'br0', 'type', 'bridge']);
    run(['ip', '-n', this.hub, 'link', 'set', 'br0', 'up']);
    names.forEach((name, i) => {
      const ns = `dr${this.#tag}m${i}`;
      const addr = `10.79.0.${i + 2}`;
      run(['ip', 'netns', 'add', ns]);
      live.add(ns);
      run([
        'ip',
        'link',
        'add',
        'eth0',
        'netns',
        ns,
        'type',
        'veth',
        'peer',
        'name',
        `p${i}`,
        'netns',
        this.hub,
      ]);
      run(['ip', '-n', this.hub, 'link', 'set', `p${i}`, 'master', 'br0']);
      run(['ip', '-n', this.hub, 'link', 'set', `p${i}`, 'up']);
      run(['ip', '-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0']);
      run(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
      run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
      // One table per member for the faults; flushed by heal().
      run(['ip', 'netns', 'exec', ns, 'nft', '-f', '-'], tableRules());
      this.members.set(name, { name, ns, addr });
    });
  }

  member(name: string): Member {
    const m = this.members.get(name);
    if (m === undefined) throw new Error(`${name} is not on this LAN`);
    return m;
  }

  /** The namespaces exist (checked before anything connects, as TOOLCHAIN.md asks). */
  exists(): boolean {
    const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    const listed = new Set(r.stdout.split('\n').map((l) => l.split(' ')[0]));
    return [this.hub, ...[...this.members.values()].map((m) => m.ns)].every((ns) => listed.has(ns));
  }

  /** The command prefix that runs a program inside `name`'s namespace. */
  exec(name: string): string[] {
    return ['ip', 'netns', 'exec', this.member(name).ns];
  }

  #nft(name: string, rule: string): void {
    run(['ip', 'netns', 'exec', this.member(name).ns, 'nft', rule]);
  }

  /** `name` drops every packet to its TCP `port` (new and established connections alike). */
  blockPort(name: string, port: number): void {
    this.#nft(name, `add rule inet darkroom_faults input tcp dport ${port} drop`);
  }

  /** `name` and each of `others` exchange no packet at all (a full partition between them). */
  isolate(name: string, others: readonly string[]): void {
    for (const o of others) {
      const addr = this.member(o).addr;
      this.#nft(name, `add rule inet darkroom_faults input ip saddr ${addr} drop`);
      this.#nft(name, `add rule inet darkroom_faults output ip daddr ${addr} drop`);
    }
  }

  /**
   * One way: `from` cannot open or keep a connection to `to`'s TCP `port` (its packets to that
   * port are dropped), while `to` still reaches `from` — a firewall open in one direction only.
   */
  blockOneWay(from: string, to: string, port: number): void {
    this.#nft(
      from,
      `add rule inet darkroom_faults output ip daddr ${this.member(to).addr} tcp dport ${port} drop`,
    );
  }

  /** Every fault rule removed. */
  heal(): void {
    for (const m of this.members.values()) {
      run(['ip', 'netns', 'exec', m.ns, 'nft', 'flush', 'table', 'inet', 'darkroom_faults']);
    }
  }

  /** Runs `darkroom ARGS` inside `name`'s namespace (e.g. `cluster status` as seen from there). */
  async cli(name: string, args: readonly string[], timeoutMs = 60_000): Promise<CliResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(...splitCmd([...this.exec(name), process.execPath, bin, ...args]), {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, out, err });
      });
    });
  }

  /** Deletes every namespace of this LAN (their veths and rules go with them). Idempotent. */
  teardown(): void {
    if (this.#down) return;
    this.#down = true;
    for (const ns of [...[...this.members.values()].map((m) => m.ns), this.hub]) {
      spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      live.delete(ns);
    }
    // Members that failed half way through #build are not in `members` yet.
    for (const ns of [...live]) {
      if (ns.startsWith(`dr${this.#tag}`)) {
        spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
        live.delete(ns);
      }
    }
  }
}

function tableRules(): string {
  return [
    'table inet darkroom_faults {',
    '  chain input { type filter hook input priority 0; policy accept; }',
    '  chain output { type filter hook output priority 0; policy accept; }',
    '}',
    '',
  ].join('\n');
}

function splitCmd(cmd: readonly string[]): [string, string[]] {
  return [cmd[0]!, cmd.slice(1)];
}
