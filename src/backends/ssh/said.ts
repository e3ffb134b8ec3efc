/**
 * ssh's last `count` meaningful stderr lines on one line: blank lines and the '@' frame of its
 * warnings dropped, and the `ssh: ` ssh puts before its own words (callers say "(ssh: ...)"). Raw:
 * sanitize before printing.
 */
export function sshSaid(stderr: string, count: number): string {
  return stderr
    .split(/\r?\n/)
    .map((l) => l.trim().replace(/^ssh: /, ''))
    .filter((l) => l !== '' && !/^@+$/.test(l) && !/^@ *WARNING/.test(l))
    .slice(-count)
    .join('; ');
}
