// Free loopback ports for multi-instance tests: bound on port 0, then released (never 7900/7901,
// other test runs share the machine).
import { createServer } from 'node:net';

export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      async () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const a = s.address();
    if (a === null || typeof a === 'string') throw new Error('no port');
    return a.port;
  });
  await Promise.all(servers.map(async (s) => new Promise((r) => s.close(r))));
  return ports;
}

/** `count` server entries `sN@127.0.0.1:CLUSTER:HTTP` on free ports. */
export async function serverEntries(count: number, prefix = 's'): Promise<string[]> {
  const ports = await freePorts(count * 2);
  return Array.from(
    { length: count },
    (_, i) => `${prefix}${i + 1}@127.0.0.1:${ports[2 * i]}:${ports[2 * i + 1]}`,
  );
}
