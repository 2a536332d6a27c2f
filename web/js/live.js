// The live event stream (Server-Sent Events, /api/events/stream): one EventSource per page, shared
// by the views. An "event: bye" (the instance is stopping) or a broken stream asks the shell to check
// the instance and fail over; the browser's own reconnect resumes with Last-Event-ID otherwise.

const subscribers = new Set();
let source;
let lastSeq = 0;
let onTrouble = () => {};

/** Starts the stream (idempotent). `trouble(reason)` is called on bye or a broken stream. */
export function startLive(trouble) {
  onTrouble = trouble;
  if (source !== undefined) return;
  source = new EventSource('/api/events/stream');
  source.addEventListener('record', (ev) => {
    let rec;
    try {
      rec = JSON.parse(ev.data);
    } catch {
      return;
    }
    if (typeof rec.seq === 'number') lastSeq = Math.max(lastSeq, rec.seq);
    for (const fn of subscribers) {
      try {
        fn(rec);
      } catch (err) {
        console.error('live subscriber failed', err);
      }
    }
  });
  source.addEventListener('bye', () => {
    stopLive();
    onTrouble('bye');
  });
  source.addEventListener('error', () => {
    // CLOSED: the browser gave up (e.g. 401 or 503); CONNECTING: it retries by itself.
    if (source?.readyState === EventSource.CLOSED) {
      stopLive();
      onTrouble('closed');
    } else onTrouble('reconnecting');
  });
}

export function stopLive() {
  source?.close();
  source = undefined;
}

/** The seq of the newest record seen (0 before any). */
export function liveSeq() {
  return lastSeq;
}

/** subscribe(fn(record)) → undo. Records carry `job` / `channel` views where they concern one. */
export function subscribe(fn) {
  subscribers.add(fn);
  return () => subscribers.delete(fn);
}
