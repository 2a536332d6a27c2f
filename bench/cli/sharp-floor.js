// The floor of `darkroom process` for bench/cli: the same resize, sharpen and JPEG encoding as a
// bare sharp script, started the same way (`node FILE in out`), nothing else loaded.
import { writeFile } from 'node:fs/promises';
import sharp from 'sharp';

const [input, output, longSide = '2000', quality = '85'] = process.argv.slice(2);
const data = await sharp(input)
  .resize(Number(longSide), Number(longSide), { fit: 'inside', withoutEnlargement: true })
  .sharpen({ sigma: 1 })
  .jpeg({ quality: Number(quality) })
  .toBuffer();
await writeFile(output, data);
