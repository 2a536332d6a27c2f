// Preloaded (`node --import`) into the instances `npm start` runs: file descriptor 3 is a pipe from
// the launcher. When it closes — the launcher exited, even by SIGKILL — the instance sends itself
// SIGTERM and drains as on Ctrl-C, so no instance outlives its launcher.
import { Socket } from 'node:net';

const lifeline = new Socket({ fd: 3, readable: true, writable: false });
let signalled = false;
const parentGone = () => {
  if (signalled) return;
  signalled = true;
  process.kill(process.pid, 'SIGTERM');
};
lifeline.on('end', parentGone);
lifeline.on('close', parentGone);
lifeline.on('error', parentGone);
lifeline.resume();
// The pipe alone never keeps the instance alive.
lifeline.unref();
