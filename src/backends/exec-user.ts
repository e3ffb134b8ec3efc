import { ExecStartError } from '../errors.js';
import { sanitize } from '../util/sanitize.js';
import { findUser, parsePasswd } from '../host/passwd.js';

/**
 * The identity a process gets: what `docker exec -u` resolves. `groups` starts with the primary gid
 * (moby's getUser), so it is also the OCI process.user.additionalGids. Shared by every backend that
 * resolves users itself (runc, nsenter).
 */
export interface ExecUser {
  uid: number;
  gid: number;
  groups: number[];
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const f = line.split(':');
    const gid = Number(f[2]);
    if (f.length < 4 || !/^\d+$/.test(f[2] ?? '')) continue;
    out.push({ name: f[0] ?? '', gid, members: (f[3] ?? '').split(',').map((m) => m.trim()).filter(Boolean) });
  }
  return out;
}

const MAX_ID = 2 ** 31 - 1;

/**
 * `name|uid[:group|gid]` resolved against the container's own passwd and group, the way docker exec
 * does here (runc's user.GetExecUser + the primary gid in the supplementary list, verified against
 * `docker exec -u` on this engine): a numeric uid need not exist (gid 0, HOME /); an explicit group
 * replaces the primary gid and then only it is in the list; otherwise the groups that list the user.
 */
export function resolveUser(spec: string, passwdText: string | undefined, groupText: string | undefined): ExecUser {
  const [userArg = '', groupArg = ''] = spec.split(':');
  const users = passwdText ? parsePasswd(passwdText) : [];
  const groups = groupText ? parseGroup(groupText) : [];
  const numericUser = /^\d+$/.test(userArg);
  const matched = findUser(users, userArg);
  if (!matched && userArg !== '' && !numericUser) throw unknown('user', userArg);
  const uid = matched?.uid ?? (numericUser ? Number(userArg) : 0);
  if (uid > MAX_ID) throw unknown('user', userArg);
  let gid = matched?.gid ?? 0;
  let extra: number[] = [];
  if (groupArg !== '') {
    const g = /^\d+$/.test(groupArg) ? groups.find((x) => x.gid === Number(groupArg)) : groups.find((x) => x.name === groupArg);
    if (!g && !/^\d+$/.test(groupArg)) throw unknown('group', groupArg);
    gid = g?.gid ?? Number(groupArg);
    if (gid > MAX_ID) throw unknown('group', groupArg);
  } else if (matched) {
    extra = groups.filter((g) => g.members.includes(matched.name)).map((g) => g.gid);
  }
  return { uid, gid, groups: [...new Set([gid, ...extra])], home: matched?.home || '/' };
}

function unknown(kind: 'user' | 'group', name: string): ExecStartError {
  return new ExecStartError(`no ${kind} '${sanitize(name)}' in the container's /etc/${kind === 'user' ? 'passwd' : 'group'}`, {
    exitCode: 126,
    hint: 'use a numeric uid[:gid] or a name that exists in the container',
  });
}
