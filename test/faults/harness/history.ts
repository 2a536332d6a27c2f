// The recorded history of client operations, Jepsen style: each operation is invoked, then ends
// ok, fail (a named refusal: it did not happen) or unknown (no answer: it may have happened).
export type OpKind = 'drop' | 'edit' | 'upload';
export type OpResult = 'ok' | 'fail' | 'unknown';

export interface Op {
  readonly id: number;
  readonly kind: OpKind;
  readonly data: Readonly<Record<string, string | number>>;
  readonly invokedAt: number;
  endedAt?: number;
  result?: OpResult;
  detail?: string;
}

export class History {
  readonly ops: Op[] = [];

  invoke(kind: OpKind, data: Record<string, string | number>): Op {
    const op: Op = { id: this.ops.length + 1, kind, data, invokedAt: performance.now() };
    this.ops.push(op);
    return op;
  }

  ok(op: Op): void {
    this.#end(op, 'ok');
  }

  fail(op: Op, detail: string): void {
    this.#end(op, 'fail', detail);
  }

  unknown(op: Op, detail: string): void {
    this.#end(op, 'unknown', detail);
  }

  #end(op: Op, result: OpResult, detail?: string): void {
    op.endedAt = performance.now();
    op.result = result;
    if (detail !== undefined) op.detail = detail;
  }

  /** Operations by kind and result: {"drop ok": 120, "edit fail": 2, ...}. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const op of this.ops) {
      const key = `${op.kind} ${op.result ?? 'pending'}`;
      out[key] = (out[key] ?? 0) + 1;
    }
    return out;
  }
}
