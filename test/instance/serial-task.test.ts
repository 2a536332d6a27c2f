import { describe, expect, it } from 'vitest';
import { SerialTask } from '../../src/instance/serial-task.js';

describe('SerialTask', () => {
  it('runs one at a time; kicks while running make exactly one more run', async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    let release: () => void = () => undefined;
    const task = new SerialTask(
      async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        runs++;
        if (runs === 1) await new Promise<void>((r) => (release = r));
        running--;
      },
      (err) => {
        throw err;
      },
    );
    task.kick();
    task.kick();
    task.kick();
    release();
    await task.idle();
    expect(runs).toBe(2);
    expect(maxRunning).toBe(1);
  });

  it('reports errors and keeps working; close stops further runs', async () => {
    const errors: unknown[] = [];
    let runs = 0;
    const task = new SerialTask(
      async () => {
        runs++;
        if (runs === 1) throw new Error('boom');
      },
      (err) => errors.push(err),
    );
    task.kick();
    await task.idle();
    task.kick();
    await task.idle();
    expect(runs).toBe(2);
    expect(errors).toHaveLength(1);
    await task.close();
    task.kick();
    await task.idle();
    expect(runs).toBe(2);
  });
});
