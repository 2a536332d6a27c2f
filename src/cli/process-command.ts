// `darkroom process <input> <output>`: runs the image pipeline on one file, the output format
// following the output's extension; --report prints the analysis and corrections as JSON.
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { DarkroomError } from '../errors/darkroom-error.js';
import { formatFromName } from '../imaging/output-format.js';
import { runPipeline } from '../imaging/pipeline.js';
import { parsePipelineSettings, type PipelineSettings } from '../imaging/pipeline-settings.js';
import { action, type CliContext } from './cli-context.js';

interface ProcessOptions {
  settings?: string;
  report?: boolean;
  json?: boolean;
}

async function loadSettings(file: string | undefined): Promise<PipelineSettings> {
  if (file === undefined) return parsePipelineSettings({});
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(err);
    throw new DarkroomError('E_CONF_UNREADABLE', { file, reason }, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DarkroomError('E_SETTINGS_INVALID', {
      field: file,
      detail: `not valid JSON (${(err as Error).message})`,
    });
  }
  return parsePipelineSettings(json, file);
}

/** Writes through a temp name in the same folder, then renames: no half-written output. */
async function writeOutput(file: string, data: Buffer): Promise<void> {
  const tmp = `${file}.darkroom-${process.pid}.tmp`;
  try {
    await writeFile(tmp, data, { flag: 'wx' });
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    const detail = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new DarkroomError('E_IMAGE_WRITE_FAILED', { file, detail }, { cause: err });
  }
}

export function registerProcessCommand(program: Command, ctx: CliContext): void {
  program
    .command('process')
    .description('enhance one image (default settings: automatic corrections, no resize)')
    .argument('<input>', 'image to read (JPEG, PNG, TIFF, WebP, AVIF, GIF)')
    .argument('<output>', 'file to write; its extension picks the format (.jpg .png .tif .webp .avif)')
    .option('--settings <file>', 'pipeline settings as JSON (docs/imaging.md); missing keys take defaults')
    .option('--report', 'print the analysis and the corrections applied as JSON')
    .option('--json', 'print errors as JSON')
    .action(
      action(ctx, async (input: string, output: string, opts: ProcessOptions) => {
        const settings = await loadSettings(opts.settings);
        const format = formatFromName(output);
        const r = await runPipeline(input, settings, { outputFormat: format, fileName: input });
        await writeOutput(output, r.data);
        if (opts.report) {
          ctx.out(
            JSON.stringify(
              {
                input,
                output,
                format: r.format,
                width: r.width,
                height: r.height,
                space: r.space,
                analysis: r.analysis,
                corrections: r.corrections,
                geometry: r.geometry,
                verdict: r.verdict,
                stamp: r.stamp,
                previousStamp: r.previousStamp,
                timingsMs: r.timingsMs,
              },
              null,
              2,
            ),
          );
        } else {
          const steps = r.stamp?.steps ?? [];
          ctx.out(
            `wrote ${output} (${r.format} ${r.width}x${r.height} ${r.space}); ` +
              `corrections: ${steps.length > 0 ? steps.join(', ') : 'none needed'}; ` +
              `quality check: ${r.verdict.pass ? 'pass' : `would reject (${r.verdict.reasons.join('; ')})`}` +
              (r.previousStamp !== undefined ? '; note: the input was already processed by darkroom' : ''),
          );
        }
        return 0;
      }),
    );
}
