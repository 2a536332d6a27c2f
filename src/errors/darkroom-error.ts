// DarkroomError: the one error class; its message is the catalogue template filled with fields.
import { catalogue, type ErrorCode, type ErrorKind } from './catalogue.js';

export type ErrorFields = Readonly<Record<string, string | number | boolean | undefined>>;

/** Fills `{name}` placeholders; a missing field is shown as `?` rather than hiding the message. */
export function formatMessage(template: string, fields: ErrorFields): string {
  return template.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const v = fields[name];
    return v === undefined ? '?' : String(v);
  });
}

export class DarkroomError extends Error {
  readonly code: ErrorCode;
  readonly fields: ErrorFields;

  constructor(code: ErrorCode, fields: ErrorFields = {}, options?: { cause?: unknown }) {
    super(formatMessage(catalogue[code].message, fields), options);
    this.name = 'DarkroomError';
    this.code = code;
    this.fields = fields;
  }

  get kind(): ErrorKind {
    return catalogue[this.code].kind;
  }
  get status(): number {
    return catalogue[this.code].status;
  }
  get exit(): number {
    return catalogue[this.code].exit;
  }
  get fix(): string {
    return catalogue[this.code].fix;
  }

  toJSON(): { code: ErrorCode; message: string; fix: string; fields: ErrorFields } {
    return { code: this.code, message: this.message, fix: this.fix, fields: this.fields };
  }
}

export function isDarkroomError(err: unknown, code?: ErrorCode): err is DarkroomError {
  return err instanceof DarkroomError && (code === undefined || err.code === code);
}

/** A file system's "no space" errors: the drive is full (ENOSPC) or the share's quota is used up (EDQUOT). */
export function isDriveFull(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/**
 * Wraps anything thrown into a DarkroomError: E_DRIVE_FULL for a full drive, E_INTERNAL for
 * anything else that is not one already.
 */
export function asDarkroomError(err: unknown): DarkroomError {
  if (err instanceof DarkroomError) return err;
  if (isDriveFull(err)) {
    const e = err as NodeJS.ErrnoException;
    return new DarkroomError(
      'E_DRIVE_FULL',
      { what: e.path ?? `a file (${e.syscall ?? 'write'})`, reason: e.message },
      { cause: err },
    );
  }
  const detail = err instanceof Error ? err.message : String(err);
  return new DarkroomError('E_INTERNAL', { detail }, { cause: err });
}
