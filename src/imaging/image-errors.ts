// Maps sharp's plain `Error` messages (no codes; libvips may append stale lines from earlier
// failures, so only the first line is trusted) to DarkroomError codes naming the file.
import { DarkroomError } from '../errors/darkroom-error.js';

/** Where in the pipeline the error happened: decoding input, or encoding output. */
export type ImagePhase = 'read' | 'write';

/** The first line of a sharp/libvips message, trimmed to a readable length. */
export function firstLine(message: string): string {
  const line = message.split('\n')[0] ?? message;
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

const truncatedWords = /premature end|truncated|unexpected end|end of file|EOF|not enough data|short read/i;
const checksumWords = /crc|checksum|adler/i;
const unsupportedWords = /unsupported image format|unsupported compression|not been built|no decoder/i;

/** Turns anything sharp threw into a DarkroomError; DarkroomErrors pass through unchanged. */
export function imageError(err: unknown, file: string, phase: ImagePhase): DarkroomError {
  if (err instanceof DarkroomError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const detail = firstLine(message);
  if (phase === 'write') return new DarkroomError('E_IMAGE_WRITE_FAILED', { file, detail }, { cause: err });
  if (/Input (buffer|file) is empty/i.test(detail)) return new DarkroomError('E_IMAGE_EMPTY', { file });
  if (/Input file is missing/i.test(detail)) return new DarkroomError('E_IMAGE_MISSING', { file });
  if (/exceeds pixel limit/i.test(detail)) {
    return new DarkroomError(
      'E_IMAGE_TOO_LARGE',
      { file, width: '?', height: '?', limit: '?' },
      { cause: err },
    );
  }
  if (/contains unsupported image format/i.test(detail)) {
    return new DarkroomError(
      'E_IMAGE_NOT_AN_IMAGE',
      { file, detail: 'no known image signature' },
      { cause: err },
    );
  }
  if (unsupportedWords.test(detail))
    return new DarkroomError('E_IMAGE_UNSUPPORTED', { file, detail }, { cause: err });
  if (checksumWords.test(detail))
    return new DarkroomError('E_IMAGE_CHECKSUM', { file, detail }, { cause: err });
  if (truncatedWords.test(detail))
    return new DarkroomError('E_IMAGE_TRUNCATED', { file, detail }, { cause: err });
  return new DarkroomError('E_IMAGE_CORRUPT', { file, detail }, { cause: err });
}
