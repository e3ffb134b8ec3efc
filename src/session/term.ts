import type { ContainerFiles, ExecRequest, TermChoice } from '../backends/types.js';

/** Where ncurses looks for terminfo entries (the compiled-in defaults of the common distributions). */
export const TERMINFO_DIRS = ['/etc/terminfo', '/lib/terminfo', '/usr/share/terminfo', '/usr/lib/terminfo'];

/** Tried in order when the container cannot draw for the caller's TERM. */
export const TERM_FALLBACKS = ['xterm-256color', 'xterm'];

/** The two layouts of a terminfo database: x/xterm, and 78/xterm (macOS, some BSD-derived images). */
function entryPaths(dir: string, name: string): string[] {
  const first = name[0] ?? '';
  return [`${dir}/${first}/${name}`, `${dir}/${first.charCodeAt(0).toString(16)}/${name}`];
}

/**
 * The TERM a TTY session gets: the caller's when the container has a terminfo entry for it (a
 * tmux-256color, xterm-kitty or alacritty the container lacks breaks clear, less and vi), else the
 * first fallback it has. A container with no terminfo database at all (busybox-style images, whose
 * tools do not use terminfo) keeps the caller's TERM: there is nothing to check it against. All the
 * existence checks go to the backend in one call where it can batch them.
 */
export async function chooseTerm(files: ContainerFiles, wanted: string): Promise<TermChoice> {
  const names = [wanted, ...TERM_FALLBACKS.filter((t) => t !== wanted)];
  const entries = TERMINFO_DIRS.flatMap((dir) => names.map((n) => entryPaths(dir, n)));
  const paths = [...TERMINFO_DIRS, ...entries.flat()];
  const found = files.existing ? await files.existing(paths) : await Promise.all(paths.map((p) => files.exists(p)));
  const has = new Set(paths.filter((_, i) => found[i] === true));
  if (!TERMINFO_DIRS.some((d) => has.has(d)))
    return { value: wanted, why: "caller's TERM; the container has no terminfo database to check it" };
  const usable = names.find((n) => TERMINFO_DIRS.some((d) => entryPaths(d, n).some((p) => has.has(p))));
  if (usable === wanted) return { value: wanted, why: "caller's TERM" };
  if (usable === undefined)
    return { value: wanted, why: `caller's TERM; the container has no terminfo for it, nor for ${TERM_FALLBACKS.join(' or ')}` };
  return { value: usable, why: `fallback: the container has no terminfo for ${wanted}` };
}

/**
 * The request with its TERM settled for this container: only for a TTY session that carries the
 * caller's TERM and no -e TERM of the user's (which wins anyway, unchecked).
 */
export async function settleTerm(files: ContainerFiles, request: ExecRequest): Promise<ExecRequest> {
  if (!request.tty || !request.term || request.env.some((e) => e === 'TERM' || e.startsWith('TERM='))) return request;
  return { ...request, term: await chooseTerm(files, request.term.value) };
}
