// Clock: injected time. `now()` is monotonic milliseconds (for timeouts and durations);
// `wallTime()` is the wall clock, only for timestamps shown to people.
export interface Clock {
  now(): number;
  wallTime(): Date;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  wallTime: () => new Date(),
};
