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
    out.push({
      name: f[0] ?? '',
      gid,
      members: (f[3] ?? '')
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean),
    });
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
export function resolveUser(
  spec: string,
  passwdText: string | undefined,
  groupText: string | undefined,
  groupAdd: readonly string[] = [],
): ExecUser {
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
  // --group-add applies to every exec as well (moby's getUser): names resolved in the container's group.
  const added = groupAdd.map((g) => {
    if (/^\d+$/.test(g) && Number(g) <= MAX_ID) return Number(g);
    const found = groups.find((x) => x.name === g);
    if (!found) throw unknown('group', g);
    return found.gid;
  });
  return { uid, gid, groups: [...new Set([gid, ...extra, ...added])], home: matched?.home || '/' };
}

/**
 * The container's --group-add list: from its configuration when the daemon's record is known, else
 * what its bundle's additionalGids hold beyond the configured user's own groups (the runtime record
 * is all a daemon-less source has).
 */
export function containerGroupAdd(
  configured: readonly string[] | undefined,
  bundleGids: readonly number[] | undefined,
  configUser: string,
  passwdText: string | undefined,
  groupText: string | undefined,
): string[] {
  if (configured) return [...configured];
  if (!bundleGids) return [];
  let own: number[];
  try {
    own = resolveUser(configUser, passwdText, groupText).groups;
  } catch {
    return [];
  }
  return bundleGids.filter((g) => !own.includes(g)).map(String);
}

function unknown(kind: 'user' | 'group', name: string): ExecStartError {
  return new ExecStartError(`no ${kind} '${sanitize(name)}' in the container's /etc/${kind === 'user' ? 'passwd' : 'group'}`, {
    exitCode: 126,
    hint: 'use a numeric uid[:gid] or a name that exists in the container',
  });
}
