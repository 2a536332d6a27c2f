// Geometry: from the settings (pixels, or mm/inches at a resolution; fit; aspect crop) to one
// sharp resize call, and the predicted output size (used to scale sharpening). Pure.
import type { PipelineSettings } from './pipeline-settings.js';

type Geometry = PipelineSettings['geometry'];

export interface ResizePlan {
  /** Undefined: no resize or crop at all. */
  readonly resize?: {
    width?: number;
    height?: number;
    fit: 'inside' | 'fill' | 'cover';
    position: 'centre' | 'attention' | 'entropy';
    withoutEnlargement: boolean;
  };
  readonly width: number;
  readonly height: number;
  /** Output resolution to record (pixels per inch) when sizes were given in mm or inches. */
  readonly density?: number;
}

export function toPixels(value: number, unit: Geometry['unit'], dpi: number): number {
  if (unit === 'px') return Math.max(1, Math.round(value));
  return Math.max(1, Math.round(unit === 'mm' ? (value / 25.4) * dpi : value * dpi));
}

function parseAspect(aspect: string): number {
  const [w, h] = aspect.split(':').map(Number);
  return w! / h!;
}

/** Plans the resize for an oriented input of width x height. */
export function planGeometry(g: Geometry, width: number, height: number): ResizePlan {
  let tw = g.width === undefined ? undefined : toPixels(g.width, g.unit, g.dpi);
  let th = g.height === undefined ? undefined : toPixels(g.height, g.unit, g.dpi);
  const density = g.unit === 'px' ? undefined : g.dpi;
  const smart = g.fit === 'crop' ? g.cropStrategy : 'centre';
  if (g.aspect !== undefined) {
    const ratio = parseAspect(g.aspect);
    // The box of that aspect: from the target when given, else the largest one inside the image.
    if (tw === undefined && th === undefined) {
      if (width / height > ratio) [tw, th] = [Math.round(height * ratio), height];
      else [tw, th] = [width, Math.round(width / ratio)];
    } else if (th === undefined) th = Math.round(tw! / ratio);
    else if (tw === undefined) tw = Math.round(th * ratio);
    else if (tw / th > ratio) tw = Math.round(th * ratio);
    else th = Math.round(tw / ratio);
    const boxW = tw!;
    const boxH = th;
    // Cover scale: the image must fill the box; without enlargement the box shrinks instead.
    const cover = Math.max(boxW / width, boxH / height);
    const shrinkBox = g.withoutEnlargement && cover > 1;
    const w = shrinkBox ? Math.round(boxW / cover) : boxW;
    const h = shrinkBox ? Math.round(boxH / cover) : boxH;
    return {
      resize: { width: w, height: h, fit: 'cover', position: g.cropStrategy, withoutEnlargement: false },
      width: w,
      height: h,
      ...(density !== undefined ? { density } : {}),
    };
  }
  if (tw === undefined && th === undefined) return { width, height };
  const fit = g.fit === 'crop' ? 'cover' : g.fit;
  let w: number;
  let h: number;
  if (fit === 'inside' || tw === undefined || th === undefined) {
    let s = Math.min(tw === undefined ? Infinity : tw / width, th === undefined ? Infinity : th / height);
    if (g.withoutEnlargement) s = Math.min(1, s);
    [w, h] = [Math.max(1, Math.round(width * s)), Math.max(1, Math.round(height * s))];
  } else if (g.withoutEnlargement && (tw > width || th > height)) {
    const s = Math.min(1, width / tw, height / th);
    [w, h] = [Math.round(tw * s), Math.round(th * s)];
  } else [w, h] = [tw, th];
  return {
    resize: {
      width: w,
      height: h,
      fit: fit === 'inside' ? 'fill' : fit,
      position: smart,
      withoutEnlargement: false,
    },
    width: w,
    height: h,
    ...(density !== undefined ? { density } : {}),
  };
}
