import { ExecStartError } from '../../errors.js';
import { sanitize } from '../../util/sanitize.js';
import { parsePasswd } from '../passwd.js';

/** The numeric identity a process runs with (OCI process.user). */
export interface ExecUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string | undefined;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (line.startsWith('#') || f.length < 4) continue;
    const gid = Number(f[2]);
    if (!Number.isInteger(gid) || f[2] === '') continue;
    out.push({ name: f[0] ?? '', gid, members: (f[3] ?? '').split(',').map((m) => m.trim()).filter(Boolean) });
  }
  return out;
}

/**
 * `user[:group]` to ids the way docker exec does it (moby getUser -> runc libcontainer/user
 * GetExecUser): names are looked up in the container's own passwd/group; a numeric uid need not
 * exist; supplementary groups come from /etc/group membership only when no group was given, after
 * the primary gid (HostConfig.GroupAdd is not applied: it is not in the bundle).
 */
export function resolveExecUser(spec: string, passwdText: string | undefined, groupText: string | undefined): ExecUser {
  const [userPart = '', groupPart] = spec.split(':', 2);
  const users = parsePasswd(passwdText ?? '');
  const groups = parseGroup(groupText ?? '');
  const numericUser = /^\d+$/.test(userPart);
  const entry = userPart === '' ? users.find((u) => u.uid === 0) : users.find((u) => (numericUser ? u.uid === Number(userPart) : u.name === userPart));
  if (!entry && userPart !== '' && !numericUser) {
    throw new ExecStartError(`no user '${sanitize(userPart)}' in the container's /etc/passwd`, {
      exitCode: 126,
      hint: 'use a numeric uid[:gid] or a name that exists in the container',
    });
  }
  const uid = entry?.uid ?? (numericUser ? Number(userPart) : 0);
  let gid = entry?.gid ?? (numericUser ? Number(userPart) : 0);
  let additionalGids: number[] = [];
  if (groupPart !== undefined && groupPart !== '') {
    const g = /^\d+$/.test(groupPart) ? { gid: Number(groupPart) } : groups.find((x) => x.name === groupPart);
    if (!g) {
      throw new ExecStartError(`no group '${sanitize(groupPart)}' in the container's /etc/group`, {
        exitCode: 126,
        hint: 'use a numeric gid or a group that exists in the container',
      });
    }
    gid = g.gid;
  } else if (entry) {
    additionalGids = groups.filter((g) => g.members.includes(entry.name)).map((g) => g.gid);
  }
  // moby getUser: the primary gid is always the first additional gid, then the passwd/group ones.
  return { uid, gid, additionalGids: [gid, ...additionalGids.filter((g) => g !== gid)], home: entry?.home };
}
