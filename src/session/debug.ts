import { missingPrivilege } from '../backends/nsenter/caps.js';
import type { ExecRequest } from '../backends/types.js';
import { CxError, PermissionError, UsageError } from '../errors.js';
import { locateDockerRoots } from '../host/docker-roots.js';
import { defaultToolbox, directoryToolbox, imageToolbox, ToolboxError, type Toolbox } from '../host/toolbox.js';
import { sanitize } from '../util/sanitize.js';
import { execRequest, type RequestShape, type SessionSpec } from './request.js';

/** Where a debug session's toolbox comes from: a directory, a local image, or (both empty) the host. */
export interface ToolboxSource {
  toolbox: string;
  image: string;
}

/**
 * The toolbox the source names, for `cx debug` and the TUI alike. A problem with it is a usage
 * error with one line and a hint. `socketPath`: the engine whose storage --image reads (from disk,
 * so a frozen or dead daemon does not matter).
 */
export async function resolveToolbox(source: ToolboxSource, socketPath: string): Promise<Toolbox> {
  if (source.toolbox !== '' && source.image !== '')
    throw new UsageError('--toolbox and --image exclude each other', 'give one toolbox source');
  try {
    if (source.toolbox !== '') return directoryToolbox(source.toolbox);
    if (source.image !== '') {
      const roots = await locateDockerRoots(socketPath);
      if (!roots) throw new ToolboxError('cannot find where the engine keeps its images', 'see `cx doctor` (state dirs)');
      return imageToolbox(source.image, roots.dataRoot);
    }
    return defaultToolbox();
  } catch (err) {
    if (err instanceof ToolboxError) throw new UsageError(sanitize(err.message), err.hint);
    throw err;
  }
}

/** A debug session mounts and enters namespaces itself: without root, say what is missing and the way out. */
export function assertDebugPrivilege(target: string): void {
  const missing = missingPrivilege();
  if (missing) {
    throw new PermissionError(`cx debug needs root: ${missing}`, {
      hint: `it mounts a toolbox in a private view of the container; without root, try: cx enter ${sanitize(target)}`,
    });
  }
}

/**
 * The request of a debug session: `shape.cmd` empty means the toolbox's shell (with a prompt that
 * says where the user is, unless -e PS1=... set one).
 */
export function debugRequest(spec: SessionSpec, toolbox: Toolbox, privileged: boolean, shape: RequestShape): ExecRequest {
  let cmd = shape.cmd;
  let env = spec.env;
  if (cmd.length === 0) {
    if (toolbox.shell === undefined) {
      throw new CxError(`the toolbox (${sanitize(toolbox.description)}) has no shell`, {
        exitCode: 2,
        hint: 'give a command after --, or another --toolbox/--image',
      });
    }
    cmd = [toolbox.shell];
    if (!env.some((e) => e.startsWith('PS1='))) env = ['PS1=cx-debug:\\w\\$ ', ...env];
  }
  return { ...execRequest({ ...spec, env }, { ...shape, cmd }), debug: { toolbox: toolbox.layers, path: toolbox.path, privileged } };
}
