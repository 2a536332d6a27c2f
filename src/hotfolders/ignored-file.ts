// Which names in a hotfolder are never jobs: hidden and temporary files, and a channel's skip
// pattern (a glob like `*.txt` or a regex written `/.../flags`). Pure.
import { DarkroomError } from '../errors/darkroom-error.js';

/** Names hidden or temporary on macOS, Windows, browsers and copy tools. */
const temporaryName = [
  /^\./, // dotfiles, including .DS_Store and ._* AppleDouble files
  /^~\$/, // Office lock files
  /^thumbs\.db$/i,
  /^desktop\.ini$/i,
  /^icon\r$/i,
  /\.(tmp|temp|part|partial|crdownload|download|filepart|swp)$/i,
  /~$/, // editor backups
];

/** True for a file or folder name that is hidden or temporary. */
export function isHiddenOrTemporary(name: string): boolean {
  return temporaryName.some((re) => re.test(name));
}

/**
 * Compiles a skip pattern: `/regex/flags`, or a glob (`*`, `?`, `[...]`, `{a,b}`) matched against
 * the file name, or against the relative path when the glob holds a `/` (`**` crosses folders).
 * Throws E_SETTINGS_INVALID naming the setting when it does not compile.
 */
export function compileSkipPattern(pattern: string, field = 'skipPattern'): (relPath: string) => boolean {
  const re = /^\/(.*)\/([a-z]*)$/s.exec(pattern);
  if (re) {
    let regex: RegExp;
    try {
      regex = new RegExp(re[1]!, re[2]);
    } catch (err) {
      const detail = `regular expression ${pattern} does not compile (${err instanceof Error ? err.message : String(err)})`;
      throw new DarkroomError('E_SETTINGS_INVALID', { field, detail });
    }
    return (relPath) => regex.test(relPath);
  }
  const onPath = pattern.includes('/');
  const regex = new RegExp(`^${globToRegex(pattern)}$`, 'i');
  return (relPath) => regex.test(onPath ? relPath : (relPath.split('/').pop() ?? relPath));
}

function globToRegex(glob: string): string {
  let out = '';
  let inGroup = false;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        out += '.*';
        i++;
        if (glob[i + 1] === '/') i++;
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) out += '\\[';
      else {
        const body = glob
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        out += `[${body}]`;
        i = end;
      }
    } else if (c === '{') {
      inGroup = true;
      out += '(?:';
    } else if (c === '}' && inGroup) {
      inGroup = false;
      out += ')';
    } else if (c === ',' && inGroup) out += '|';
    else out += c.replace(/[.+^$()|\\{}]/g, '\\$&');
  }
  return out;
}
