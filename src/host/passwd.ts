/** One /etc/passwd entry. Fields come from the container: untrusted. */
export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const f = line.split(':');
    if (f.length < 7) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) continue;
    out.push({ name: f[0] ?? '', uid, gid, home: f[5] ?? '', shell: (f[6] ?? '').trim() });
  }
  return out;
}

/** The passwd entry for a `user[:group]` spec (name or uid); '' means root, as in runc. */
export function findUser(entries: readonly PasswdEntry[], userSpec: string): PasswdEntry | undefined {
  const user = userSpec.split(':')[0] ?? '';
  if (user === '') return entries.find((e) => e.uid === 0);
  if (/^\d+$/.test(user)) return entries.find((e) => e.uid === Number(user));
  return entries.find((e) => e.name === user);
}
