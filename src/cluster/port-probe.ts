// `probeClusterPort`: does a server's cluster port answer, as that server? For `darkroom cluster
// status`, from any machine: no secret is used or learnt and the instance logs nothing for it.
import { WebSocket } from 'ws';
import type { ServerEntry } from './conf.js';
import { hostsFile, resolveHost } from './peer-hosts.js';
import { decodePeerMessage } from './peer-messages.js';
import { frameText, PEER_MAX_PAYLOAD, urlHost } from './peer-socket.js';

/** What a cluster port answered to `probeClusterPort`. */
export type PortProbe = { readonly reachable: true } | { readonly reachable: false; readonly reason: string };

/**
 * Does the cluster port of `entry` answer, as that server? Opens a connection, waits for the
 * acceptor's challenge (which names the server) and closes without introducing itself: no
 * secret is used or learnt, and the instance logs nothing for it. For `darkroom cluster status`.
 */
export async function probeClusterPort(entry: ServerEntry, timeoutMs: number): Promise<PortProbe> {
  let addr: string;
  try {
    addr = await resolveHost(entry.host, hostsFile());
  } catch (err) {
    return { reachable: false, reason: `${entry.host} does not resolve: ${(err as Error).message}` };
  }
  return new Promise<PortProbe>((resolve) => {
    const ws = new WebSocket(`ws://${urlHost(addr)}:${entry.clusterPort}/`, {
      maxPayload: PEER_MAX_PAYLOAD,
      handshakeTimeout: timeoutMs,
      perMessageDeflate: false,
    });
    let done = false;
    const finish = (p: PortProbe): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      ws.terminate();
      resolve(p);
    };
    const timer = setTimeout(
      () => finish({ reachable: false, reason: `no answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
    ws.on('message', (data) => {
      const d = decodePeerMessage(frameText(data));
      if (!d.ok) return finish({ reachable: false, reason: `it answered, but ${d.why}` });
      if (d.message.t !== 'challenge')
        return finish({ reachable: false, reason: 'it did not send a challenge' });
      if (d.message.name !== entry.name) {
        return finish({ reachable: false, reason: `${d.message.name} answered there, not ${entry.name}` });
      }
      finish({ reachable: true });
    });
    ws.on('error', (err: NodeJS.ErrnoException) =>
      finish({ reachable: false, reason: err.code ?? err.message }),
    );
    ws.on('close', () => finish({ reachable: false, reason: 'closed before saying who it is' }));
  });
}
