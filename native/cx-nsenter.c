/*
 * cx-nsenter: enter a running container the way `runc exec` does, without the daemon or runc.
 *
 * Why a helper at all: Node cannot call setns/capset/prctl/seccomp, and util-linux nsenter 2.38 has
 * neither --env nor --join-cgroup and keeps every host capability. This program is small on purpose:
 * cx (Node) decides everything (which user, groups, capabilities, environment, working directory)
 * from the container's own files and runtime records; the helper only applies it, in the order runc's
 * setns init uses (libcontainer/setns_init_linux.go + finalizeNamespace), and relays a terminal.
 *
 * It is NOT setuid: it only works for a caller that already has CAP_SYS_ADMIN (root), and it
 * validates every argument anyway. Nothing secret is on its command line: the environment arrives on
 * the control pipe (fd 3), so host `ps` never shows container values.
 *
 * SECURITY INVARIANTS (the container is hostile; these are what keep it from reaching the host):
 *
 *  I1 Non-dumpable throughout. The first thing main() does, in both modes and before any namespace
 *     is entered, is prctl(PR_SET_DUMPABLE, 0). The forked session child inherits it (the flag
 *     belongs to the memory map, which fork copies) and sets it again after its uid change; it lasts
 *     until execve(), which makes the command dumpable again exactly as for runc/docker exec. While
 *     non-dumpable, /proc/<pid>/{fd,fdinfo,cwd,root,environ,mem} and ptrace are refused to anyone
 *     without CAP_SYS_PTRACE in the HOST user namespace (the helper's memory map belongs to it),
 *     so the container's root cannot open the helper's handles even in the instants they exist.
 *     (Until its capset the child is also shielded by the kernel's rule that a tracer's permitted
 *     capabilities must include the target's; from capset to execve only I1 and I2 stand: that is
 *     the window in which a helper that was dumpable lost its handles.)
 *
 *  I2 Only the session's 0-2 reach the container. The child's first act after fork, before it
 *     waits for anything, reads anything or runs anything, is to put its stdio on 0-2 and CLOSE
 *     (close_range, not just mark close-on-exec) every other descriptor: the target's pidfd and
 *     /proc directory, namespace fds, cgroup.procs files, the host's /proc and /dev/null, the pty
 *     master, cx's control and status pipes, the signalfd and the relays' sockets. Two pipes to the
 *     helper itself survive, both close-on-exec: the start signal (read once, then closed) and the
 *     error pipe (one struct child_error if exec fails). They are pipes, not host files, and carry
 *     nothing the container could use. With --user-on-fd3 the child reads the session's user and
 *     environment after the start signal from memory shared with the parent (mapped before the fork,
 *     written by the parent before the signal, never after), not from a descriptor. A debug session
 *     (I7) also keeps the toolbox's detached,
 *     read-only mount (a handle that leads nowhere but the toolbox); right after the start signal
 *     it is moved into the session's own mount namespace and closed. The session's 0-2 are pipes or a pty slave from the
 *     container's own devpts; where cx had nothing to give (a host /dev/null), the child swaps in
 *     the container's /dev/null once it runs as the session user (docker exec leaves the host's).
 *
 *  I3 Nothing the container controls is used while host privilege or host handles are held. The
 *     child resolves the working directory and walks PATH only after I2's close, after setresuid to
 *     the session user and after capset to the container's capabilities: it sees the container's
 *     files as the session user does (runc resolves the binary inside the container the same way).
 *     The working directory is opened with RESOLVE_NO_MAGICLINKS, so a /proc/<pid>/cwd-style link
 *     cannot put the session's cwd on a host directory.
 *
 *  I4 Container files are read as the container, never as host root. `query` opens the init's root
 *     directory, enters the container's user and mount namespaces, closes every fd but 0-2 and the
 *     status pipe, drops to the uid/gid/capabilities cx passes (the container's root and its
 *     capability sets), and only then opens paths with openat2(RESOLVE_IN_ROOT |
 *     RESOLVE_NO_MAGICLINKS) below that root: absolute symlinks and ".." stay in the container, and
 *     a /proc/<host pid>/root/... link (reachable in a --pid host container) is refused. A path
 *     that cannot be resolved that way (ENOENT, ELOOP, ENOTDIR, EACCES, ...) is "absent". A kernel
 *     without openat2 (before 5.6) is refused rather than read unsafely.
 *
 *  I5 The supervising parent holds host handles (cgroup.procs, the host /proc, cx's pipes) but is
 *     never in the container's PID namespace (setns(CLONE_NEWPID) only moves children), so the
 *     container cannot name it in its /proc; with --pid host, where it can, I1 and its full host
 *     capability set (see the note under I1) protect it. It closes the target's pidfd and /proc
 *     directory as soon as the namespaces are entered, and opens the container's /dev/ptmx only
 *     through openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) and only if it is the pty
 *     multiplexer (char 5:2).
 *
 *  I6 `connect` joins only the container's network namespace (never its PID or mount namespace, so
 *     the container cannot name the process), closes every fd but 0-2 before it creates the socket,
 *     and drops every capability before it relays a single byte of what the container sends.
 *  I7 A debug session (exec --toolbox) changes nothing the container can see. The toolbox is taken
 *     as a detached, read-only, nosuid, nodev mount (open_tree clone of a directory, or an overlay
 *     of image layers) in the HOST mount namespace before any namespace is entered: cx chose and
 *     checked those host paths, and a detached mount's ".." ends at its own root, so the handle
 *     leads nowhere but the toolbox. The child unshares a mount namespace of its own (a copy of the
 *     container's, every mount made a slave so nothing propagates back), mounts a new tmpfs over its
 *     copy of "/", binds each top-level entry of the container's root onto it, adds the toolbox at
 *     /.cx and chroots there; the tmpfs is then made read-only. Nothing is created in the container's
 *     filesystem or mount table. This is done before the identity drop (it needs CAP_SYS_ADMIN)
 *     and so is the one place the child looks at container data with privilege: it reads only the
 *     names and link texts of the root directory's entries (at most MAX_ROOT_ENTRIES), uses them
 *     only as single components inside its own tmpfs, and never follows, opens or runs them
 *     (open_tree with AT_SYMLINK_NOFOLLOW; a symlink is recreated, not resolved).
 *
 * Usage (only ever run by cx):
 *   cx-nsenter exec  --pid P --start T --id ID (--uid U --gid G [--groups a,b] | --user-on-fd3) --cwd DIR
 *                    --cap-bnd X --cap-eff X --cap-prm X --cap-inh X --cap-amb X [--nnp] [--seccomp]
 *                    [--tty --rows R --cols C] [--umask OCT] [--oom N] [--rlimit RES:SOFT:HARD]... [--detach]
 *                    [--toolbox DIR]... -- cmd [args...]
 *       --toolbox (a debug session, I7): DIR is mounted read-only at /.cx in a private copy of the
 *       container's mount namespace; several are stacked as a read-only overlay, the first on top.
 *       fd 3 (control, from cx): "<len>\n" + NUL-separated K=V environment, then "R <rows> <cols>\n" resizes.
 *       With --user-on-fd3 the environment is preceded by "<len>\n" + "uid\0gid\0groups\0" (groups
 *       comma-separated), and both are read only once the session child has joined the cgroups: cx
 *       starts the helper while it still reads the container's passwd and group files. Closing fd 3
 *       instead (cx's own checks failed) makes the helper give up; the child, never started, exits.
 *       With --query-first (and --user-on-fd3, --query-cap-bnd/-eff/-prm X, --query-path SPEC...: up
 *       to 8 r:/path or s:/path entries, as query's, on the command line so that nothing waits for cx),
 *       a child the helper forks at once reads them as query does (the container's root user with those
 *       capabilities) and answers on fd 5, its own failure as an "E" line there instead of the answers.
 *       fd 4 (status, to cx):    "E <kind> <errno> <text>\n" when something fails before the command runs;
 *                                with --detach, "S\n" once it runs (the helper then stays on, quietly, as
 *                                its parent until it ends, with none of cx's descriptors).
 *       exit status: the command's, or 128+n when it was killed by signal n.
 *       Resource limits, umask and oom_score_adj are the container's CONFIGURED ones (what docker exec
 *       gives), never the init's current values: RES is the RLIMIT_* number, SOFT/HARD decimal or "inf";
 *       limits not given start from those of the init's parent (the runtime's shim, which an exec of the
 *       runtime would inherit); the umask is 0022 unless given.
 *   cx-nsenter query --pid P --start T --id ID --uid U --gid G --cap-bnd X --cap-eff X --cap-prm X
 *       fd 3 (from cx): "<len>\n" + NUL-terminated r:/path and s:/path entries (at most 65536).
 *       As uid U / gid G with those capabilities, inside the container's root: r: = read (file bytes
 *       or directory names), s: = stat only.
 *       Output per path: "F <len>\n<bytes>" | "D <len>\n<NUL-separated names>" | "S <f|d|o>\n" | "N\n"
 *       (missing) | "O\n" (not a regular file or directory) | "B\n" (larger than the 4 MiB limit).
 *   cx-nsenter connect --pid P --start T --id ID --port N
 *       Joins ONLY the container's network namespace, connects to 127.0.0.1:N there (the container's
 *       own sshd, for ssh's ProxyCommand) and relays stdin -> socket and socket -> stdout until both
 *       ends close. Non-dumpable, every other fd closed and every capability dropped before relaying.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/keyctl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <sys/mman.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef PTRACE_SECCOMP_GET_FILTER
#define PTRACE_SECCOMP_GET_FILTER 0x420c
#endif
#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#if defined(__has_include)
#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#endif
#endif
#ifndef RESOLVE_IN_ROOT
struct open_how {
  uint64_t flags;
  uint64_t mode;
  uint64_t resolve;
};
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_IN_ROOT 0x10
#endif
#include <sys/mount.h>
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#define SYS_move_mount 429
#define SYS_fsopen 430
#define SYS_fsconfig 431
#define SYS_fsmount 432
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef MOUNT_ATTR_SIZE_VER0
struct mount_attr {
  uint64_t attr_set;
  uint64_t attr_clr;
  uint64_t propagation;
  uint64_t userns_fd;
};
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

#define CTL_FD 3
#define STATUS_FD 4
#define QUERY_FD 5
#define MAX_FILE (4 * 1024 * 1024)
#define MAX_ENV (4 * 1024 * 1024)
#define MAX_GROUPS 256
#define MAX_FILTERS 16
#define MAX_SPECS 65536
/* exec --query-first: the few files a session is planned with, named on the command line. */
#define MAX_QUERY_PATHS 8
#define MAX_SPECS_BYTES (8 * 1024 * 1024)
#define MAX_TOOLBOX 128
#define MAX_ROOT_ENTRIES 4096

static int status_fd = -1;

/* One line for cx on the status pipe (or stderr when run by hand); kinds are cx's error table keys. */
static void report(const char *kind, int err, const char *fmt, ...) {
  char text[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  for (char *p = text; *p; p++)
    if (*p == '\n' || (unsigned char)*p < 0x20) *p = ' ';
  char line[640];
  int n = status_fd >= 0 ? snprintf(line, sizeof line, "E %s %d %s\n", kind, err, text)
                         : snprintf(line, sizeof line, "cx-nsenter: %s: %s%s%s\n", kind, text, err ? ": " : "", err ? strerror(err) : "");
  if (n > 0) (void)!write(status_fd >= 0 ? status_fd : 2, line, (size_t)(n < (int)sizeof line ? n : (int)sizeof line - 1));
}

/* Exit codes of the helper's own failures (the command's exit status is passed through as is). */
enum { EXIT_SETUP = 125, EXIT_CANNOT_EXEC = 126, EXIT_NOT_FOUND = 127 };

static _Noreturn void fail(const char *kind, int err, const char *fmt, ...) {
  char text[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  report(kind, err, "%s", text);
  exit(EXIT_SETUP);
}

/* ---- descriptors and paths the container controls ---- */

/*
 * Close every descriptor from 3 up except those in keep[] (I2): really close, so nothing is left for
 * the container to open through /proc/<pid>/fd. close_range(2) (5.9+) closes the gaps between the
 * kept ones; without it, every number up to the descriptor limit is closed one by one (the limit is
 * read here, never a directory listing of the container's /proc).
 */
static void close_all_except(const int *keep, int nkeep) {
  int sorted[4], n = 0;
  for (int i = 0; i < nkeep && n < 4; i++)
    if (keep[i] > 2) sorted[n++] = keep[i];
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
      int tmp = sorted[j];
      sorted[j] = sorted[j - 1];
      sorted[j - 1] = tmp;
    }
  unsigned lo = 3;
  int ok = 1;
  for (int i = 0; i <= n && ok; i++) {
    unsigned hi = i < n ? (unsigned)sorted[i] - 1 : ~0U;
    if (lo <= hi && syscall(SYS_close_range, lo, hi, 0) < 0) ok = 0;
    if (i < n) lo = (unsigned)sorted[i] + 1;
  }
  if (ok) return;
  struct rlimit rl;
  long max = 65536;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) max = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > (1 << 20) ? (1 << 20) : (long)rl.rlim_max;
  if (max < 65536) max = 65536;
  for (long fd = 3; fd < max; fd++) {
    int kept = 0;
    for (int i = 0; i < n; i++) kept |= sorted[i] == fd;
    if (!kept) close((int)fd);
  }
}

/*
 * openat2 below `root` (I4): absolute symlinks and ".." cannot leave it, /proc magic links are
 * refused (ELOOP). EAGAIN means a rename raced the lookup: try again a few times.
 */
static int open_in_root(int root, const char *path, int flags, uint64_t resolve) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = (uint64_t)(flags | O_CLOEXEC);
  how.resolve = resolve;
  for (int i = 0; i < 16; i++) {
    long fd = syscall(SYS_openat2, root, path, &how, sizeof how);
    if (fd >= 0 || errno != EAGAIN) return (int)fd;
  }
  return -1;
}

static int have_openat2(void) {
  int fd = open_in_root(AT_FDCWD, "/", O_PATH, RESOLVE_NO_MAGICLINKS);
  if (fd >= 0) close(fd);
  return fd >= 0 || errno != ENOSYS;
}

/* Drop to the given identity and capability sets (the container's), keeping nothing of host root's. */
enum { DROP_OK = 0, DROP_CAPS, DROP_USER };
static int drop_to(uid_t uid, gid_t gid, const gid_t *groups, int ngroups, uint64_t bnd, uint64_t eff, uint64_t prm, uint64_t inh, int lastcap) {
  for (int c = 0; c <= lastcap; c++)
    if (!(bnd & (1ULL << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) return DROP_CAPS;
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return DROP_CAPS;
  if (setgroups((size_t)ngroups, groups) < 0) return DROP_USER;
  if (setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0) return DROP_USER;
  /* A uid change resets dumpability to fs.suid_dumpable: make sure it stays off (I1). */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {
    {(uint32_t)eff, (uint32_t)prm, (uint32_t)inh},
    {(uint32_t)(eff >> 32), (uint32_t)(prm >> 32), (uint32_t)(inh >> 32)},
  };
  if (syscall(SYS_capset, &hdr, data) < 0) return DROP_CAPS;
  return DROP_OK;
}

static int last_cap(void) {
  int last = 40;
  int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    char buf[16];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (n > 0) {
      buf[n] = '\0';
      last = atoi(buf);
    }
    close(fd);
  }
  return last > 63 ? 63 : last;
}

/* ---- argument validation ---- */

static int parse_u64(const char *s, int base, uint64_t max, uint64_t *out) {
  if (!s || !*s || strlen(s) > 20) return -1;
  for (const char *p = s; *p; p++)
    if (!(base == 16 ? ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')) : (*p >= '0' && *p <= '9'))) return -1;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(s, &end, base);
  if (errno || *end || v > max) return -1;
  *out = v;
  return 0;
}

static int is_hex_id(const char *s) {
  if (!s || strlen(s) != 64) return 0;
  for (const char *p = s; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return 0;
  return 1;
}

static int is_abs_path(const char *s) { return s && s[0] == '/' && strlen(s) < PATH_MAX; }
/* A query path: "r:/abs/path" (read) or "s:/abs/path" (stat). */
static int valid_spec(const char *s) { return strlen(s) >= 3 && (s[0] == 'r' || s[0] == 's') && s[1] == ':' && is_abs_path(s + 2); }

struct opts {
  int exec_mode;
  int connect_mode;
  unsigned short port;
  pid_t pid;
  uint64_t start;
  const char *id;
  uid_t uid;
  gid_t gid;
  gid_t groups[MAX_GROUPS];
  int ngroups;
  const char *cwd;
  uint64_t bnd, eff, prm, inh, amb;
  int nnp, seccomp, tty, detach;
  int user_later; /* --user-on-fd3: uid, gid and groups arrive on fd 3 before the environment */
  int query_first; /* exec --query-first: the --query-path files are read (as query does), answers on fd 5 */
  uint64_t qbnd, qeff, qprm; /* the capabilities the query child reads with (the container root's) */
  char *qspecs[MAX_QUERY_PATHS + 1]; /* --query-path SPEC..., NULL-terminated */
  int nqspecs;
  unsigned short rows, cols;
  const char *toolbox[MAX_TOOLBOX]; /* debug session: host directories, the top one first (I7) */
  int ntoolbox;
  int umask_val;  /* -1: docker's 0022 */
  int have_oom;
  int oom;
  struct rlimit rlimits[RLIM_NLIMITS];
  int have_rlimit[RLIM_NLIMITS];
  char **argv; /* the command (exec) or the paths read from fd 3 (query) */
};

static uint64_t need_num(const char *name, const char *v, int base, uint64_t max) {
  uint64_t out;
  if (parse_u64(v, base, max, &out) < 0) fail("usage", 0, "invalid %s", name);
  return out;
}

static void parse_groups(struct opts *o, const char *v) {
  if (!*v) return;
  char buf[4096];
  if (strlen(v) >= sizeof buf) fail("usage", 0, "--groups too long");
  strcpy(buf, v);
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    if (o->ngroups >= MAX_GROUPS) fail("usage", 0, "too many groups");
    o->groups[o->ngroups++] = (gid_t)need_num("--groups", tok, 10, 0xfffffffeULL);
  }
}

static rlim_t need_limit(const char *v) {
  if (!strcmp(v, "inf")) return RLIM_INFINITY;
  return (rlim_t)need_num("--rlimit", v, 10, UINT64_MAX - 1);
}

/* "RES:SOFT:HARD" */
static void parse_rlimit(struct opts *o, const char *v) {
  char buf[96];
  if (strlen(v) >= sizeof buf) fail("usage", 0, "invalid --rlimit");
  strcpy(buf, v);
  char *save = NULL, *res = strtok_r(buf, ":", &save), *soft = strtok_r(NULL, ":", &save), *hard = strtok_r(NULL, ":", &save);
  if (!res || !soft || !hard || strtok_r(NULL, ":", &save)) fail("usage", 0, "invalid --rlimit");
  int r = (int)need_num("--rlimit", res, 10, RLIM_NLIMITS - 1);
  o->rlimits[r].rlim_cur = need_limit(soft);
  o->rlimits[r].rlim_max = need_limit(hard);
  if (o->rlimits[r].rlim_cur > o->rlimits[r].rlim_max) fail("usage", 0, "invalid --rlimit: soft above hard");
  o->have_rlimit[r] = 1;
}

static void parse_args(int argc, char **argv, struct opts *o) {
  memset(o, 0, sizeof *o);
  o->pid = -1;
  o->umask_val = -1;
  if (argc < 2) fail("usage", 0, "usage: cx-nsenter exec|query|connect --pid P --start T --id ID ... [-- args]");
  if (!strcmp(argv[1], "exec")) o->exec_mode = 1;
  else if (!strcmp(argv[1], "connect")) o->connect_mode = 1;
  else if (strcmp(argv[1], "query")) fail("usage", 0, "unknown mode");
  int have_caps = 0, have_user = 0;
  int i = 2;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--")) { i++; break; }
    if (!strcmp(a, "--nnp")) { o->nnp = 1; continue; }
    if (!strcmp(a, "--seccomp")) { o->seccomp = 1; continue; }
    if (!strcmp(a, "--tty")) { o->tty = 1; continue; }
    if (!strcmp(a, "--detach")) { o->detach = 1; continue; }
    if (!strcmp(a, "--user-on-fd3")) { o->user_later = 1; continue; }
    if (!strcmp(a, "--query-first")) { o->query_first = 1; continue; }
    if (i + 1 >= argc) fail("usage", 0, "%s needs a value", a);
    const char *v = argv[++i];
    if (!strcmp(a, "--pid")) o->pid = (pid_t)need_num(a, v, 10, 0x3fffffff);
    else if (!strcmp(a, "--start")) o->start = need_num(a, v, 10, UINT64_MAX);
    else if (!strcmp(a, "--id")) { if (!is_hex_id(v)) fail("usage", 0, "invalid --id"); o->id = v; }
    else if (!strcmp(a, "--uid")) { o->uid = (uid_t)need_num(a, v, 10, 0xfffffffeULL); have_user |= 1; }
    else if (!strcmp(a, "--gid")) { o->gid = (gid_t)need_num(a, v, 10, 0xfffffffeULL); have_user |= 2; }
    else if (!strcmp(a, "--groups")) parse_groups(o, v);
    else if (!strcmp(a, "--cwd")) { if (!is_abs_path(v)) fail("usage", 0, "invalid --cwd"); o->cwd = v; }
    else if (!strcmp(a, "--cap-bnd")) { o->bnd = need_num(a, v, 16, UINT64_MAX); have_caps |= 1; }
    else if (!strcmp(a, "--cap-eff")) { o->eff = need_num(a, v, 16, UINT64_MAX); have_caps |= 2; }
    else if (!strcmp(a, "--cap-prm")) { o->prm = need_num(a, v, 16, UINT64_MAX); have_caps |= 4; }
    else if (!strcmp(a, "--cap-inh")) { o->inh = need_num(a, v, 16, UINT64_MAX); have_caps |= 8; }
    else if (!strcmp(a, "--cap-amb")) { o->amb = need_num(a, v, 16, UINT64_MAX); have_caps |= 16; }
    else if (!strcmp(a, "--query-cap-bnd")) { o->qbnd = need_num(a, v, 16, UINT64_MAX); have_caps |= 32; }
    else if (!strcmp(a, "--query-cap-eff")) { o->qeff = need_num(a, v, 16, UINT64_MAX); have_caps |= 64; }
    else if (!strcmp(a, "--query-cap-prm")) { o->qprm = need_num(a, v, 16, UINT64_MAX); have_caps |= 128; }
    else if (!strcmp(a, "--rows")) o->rows = (unsigned short)need_num(a, v, 10, 65535);
    else if (!strcmp(a, "--cols")) o->cols = (unsigned short)need_num(a, v, 10, 65535);
    else if (!strcmp(a, "--port") && o->connect_mode) o->port = (unsigned short)need_num(a, v, 10, 65535);
    else if (!strcmp(a, "--toolbox")) {
      if (!is_abs_path(v) || strchr(v, ':') || strchr(v, ',')) fail("usage", 0, "invalid --toolbox");
      if (o->ntoolbox >= MAX_TOOLBOX) fail("usage", 0, "too many --toolbox layers");
      o->toolbox[o->ntoolbox++] = v;
    }
    else if (!strcmp(a, "--umask")) o->umask_val = (int)need_num(a, v, 8, 0777);
    else if (!strcmp(a, "--oom")) {
      /* -1000..1000, given as is (a leading '-' allowed) */
      int neg = v[0] == '-';
      o->oom = (int)need_num(a, v + neg, 10, 1000) * (neg ? -1 : 1);
      o->have_oom = 1;
    }
    else if (!strcmp(a, "--rlimit")) parse_rlimit(o, v);
    else if (!strcmp(a, "--query-path")) {
      if (!valid_spec(v)) fail("usage", 0, "invalid query path");
      if (o->nqspecs >= MAX_QUERY_PATHS) fail("usage", 0, "too many --query-path (at most %d)", MAX_QUERY_PATHS);
      o->qspecs[o->nqspecs++] = (char *)v;
    }
    else fail("usage", 0, "unknown option");
  }
  if (o->pid <= 0 || o->start == 0 || !o->id) fail("usage", 0, "--pid, --start and --id are required");
  if (o->connect_mode) {
    if (o->port == 0 || i < argc) fail("usage", 0, "connect needs --port (1-65535) and nothing else");
    return;
  }
  if (!o->exec_mode) {
    /* Container files are read with the container's identity and capabilities, never host root's. */
    if (have_user != 3 || (have_caps & 7) != 7) fail("usage", 0, "query needs --uid, --gid, --cap-bnd, --cap-eff and --cap-prm");
    if ((have_caps & ~7) || o->nnp || o->seccomp || o->tty || o->cwd || o->ntoolbox || o->detach || o->user_later || o->query_first || o->nqspecs)
      fail("usage", 0, "option not valid for query");
    if (o->eff & ~o->prm) fail("usage", 0, "inconsistent capability masks");
    if (o->ngroups == 0) o->groups[o->ngroups++] = o->gid;
    if (i < argc) fail("usage", 0, "query takes its paths on fd 3, not as arguments");
    return;
  }
  if (i >= argc) fail("usage", 0, "nothing after --");
  o->argv = argv + i;
  if ((have_caps & 31) != 31 || !o->cwd) fail("usage", 0, "exec needs --cwd and all five --cap-* masks");
  /* --query-first reads as query does: with the container root's identity and these capabilities. */
  if (o->query_first ? (have_caps & 224) != 224 || !o->user_later || (o->qeff & ~o->qprm) || o->nqspecs == 0 : (have_caps & 224) != 0 || o->nqspecs != 0)
    fail("usage", 0, "--query-first needs --user-on-fd3, the three --query-cap-* masks and a --query-path (and only it takes them)");
  if (o->user_later ? (have_user != 0 || o->ngroups != 0) : have_user != 3) fail("usage", 0, "exec needs --uid and --gid, or --user-on-fd3 and neither");
  /* Permitted must be within the bounding set, effective within permitted (capset would refuse). */
  if ((o->eff & ~o->prm) || (o->amb & ~(o->prm & o->inh))) fail("usage", 0, "inconsistent capability masks");
  if (o->argv[0][0] == '\0') fail("usage", 0, "empty command");
  if (o->detach && o->tty) fail("usage", 0, "--detach runs without a terminal");
}

/* ---- the target process: pinned, and proven to be the container's init ---- */

static ssize_t read_at(int dirfd, const char *name, char *buf, size_t size) {
  int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t off = 0;
  for (;;) {
    ssize_t n = read(fd, buf + off, size - 1 - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    off += (size_t)n;
    if (off >= size - 1) break;
  }
  int saved = errno;
  close(fd);
  errno = saved;
  buf[off] = '\0';
  return (ssize_t)off;
}

struct target {
  int procfd; /* /proc/PID, which stays bound to this very process (ESRCH once it is gone) */
  int pidfd;  /* pidfd_open(2), -1 on kernels before 5.3 */
  uint64_t ns_flags;
};

static const struct { const char *name; int flag; } NAMESPACES[] = {
  {"user", CLONE_NEWUSER}, {"mnt", CLONE_NEWNS}, {"uts", CLONE_NEWUTS}, {"ipc", CLONE_NEWIPC},
  {"net", CLONE_NEWNET},   {"pid", CLONE_NEWPID}, {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
};

/*
 * Open the target and check, through handles that cannot be redirected to another process, that it
 * is the one cx resolved: same start time (a reused PID has another), alive, in the container's cgroup.
 * The pidfd is opened FIRST and /proc/PID is checked after, so the pidfd refers to the checked process.
 */
static void open_target(const struct opts *o, struct target *t) {
  t->pidfd = (int)syscall(SYS_pidfd_open, o->pid, 0);
  if (t->pidfd < 0 && errno == ESRCH) fail("gone", ESRCH, "process %d no longer exists", o->pid);
  char path[64];
  snprintf(path, sizeof path, "/proc/%d", o->pid);
  t->procfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (t->procfd < 0) fail("gone", errno, "process %d no longer exists", o->pid);
  char buf[8192];
  if (read_at(t->procfd, "stat", buf, sizeof buf) <= 0) fail("gone", errno, "process %d no longer exists", o->pid);
  char *rp = strrchr(buf, ')');
  if (!rp) fail("internal", 0, "unreadable /proc/%d/stat", o->pid);
  /* After "comm)": state is field 3, starttime field 22. */
  char *fields[24] = {0};
  int nf = 0;
  for (char *save = NULL, *tok = strtok_r(rp + 1, " ", &save); tok && nf < 24; tok = strtok_r(NULL, " ", &save)) fields[nf++] = tok;
  if (nf < 20) fail("internal", 0, "unreadable /proc/%d/stat", o->pid);
  if (fields[0][0] == 'Z' || fields[0][0] == 'X') fail("gone", 0, "process %d has exited", o->pid);
  uint64_t start;
  if (parse_u64(fields[19], 10, UINT64_MAX, &start) < 0 || start != o->start)
    fail("reused", 0, "process %d is not the container's init any more (start time %s, expected %llu)", o->pid, fields[19],
         (unsigned long long)o->start);
  if (read_at(t->procfd, "cgroup", buf, sizeof buf) <= 0) fail("gone", errno, "process %d no longer exists", o->pid);
  if (!strstr(buf, o->id)) fail("reused", 0, "process %d is not in the container's cgroup", o->pid);
  if (t->pidfd >= 0 && syscall(SYS_pidfd_send_signal, t->pidfd, 0, NULL, 0) < 0 && errno == ESRCH)
    fail("gone", ESRCH, "process %d has exited", o->pid);
  /* Only namespaces that differ from ours: re-entering our own user namespace is an error. */
  for (size_t i = 0; i < sizeof NAMESPACES / sizeof NAMESPACES[0]; i++) {
    struct stat theirs, ours;
    char self[64], rel[32];
    snprintf(rel, sizeof rel, "ns/%s", NAMESPACES[i].name);
    snprintf(self, sizeof self, "/proc/self/ns/%s", NAMESPACES[i].name);
    if (fstatat(t->procfd, rel, &theirs, 0) < 0) {
      if (errno == ENOENT) continue; /* namespace type not in this kernel */
      fail("gone", errno, "cannot read the namespaces of process %d", o->pid);
    }
    if (stat(self, &ours) < 0 || theirs.st_ino != ours.st_ino || theirs.st_dev != ours.st_dev) t->ns_flags |= (uint64_t)NAMESPACES[i].flag;
  }
}

/* setns(pidfd, flags) joins all namespaces at once (5.8+); older kernels: one fd per namespace. */
static void enter_namespaces(const struct target *t, uint64_t flags) {
  if (!flags) return;
  if (t->pidfd >= 0 && setns(t->pidfd, (int)flags) == 0) return;
  if (t->pidfd >= 0 && errno != EINVAL) fail("ns", errno, "cannot enter the container's namespaces");
  int fds[8];
  size_t n = sizeof NAMESPACES / sizeof NAMESPACES[0];
  for (size_t i = 0; i < n; i++) {
    char rel[32];
    snprintf(rel, sizeof rel, "ns/%s", NAMESPACES[i].name);
    fds[i] = (flags & (uint64_t)NAMESPACES[i].flag) ? openat(t->procfd, rel, O_RDONLY | O_CLOEXEC) : -1;
    if ((flags & (uint64_t)NAMESPACES[i].flag) && fds[i] < 0) fail("gone", errno, "cannot open namespace %s", NAMESPACES[i].name);
  }
  /* user first (it grants the rights for the rest), as util-linux nsenter does */
  for (size_t i = 0; i < n; i++) {
    if (fds[i] < 0) continue;
    if (setns(fds[i], NAMESPACES[i].flag) < 0) fail("ns", errno, "cannot enter the container's %s namespace", NAMESPACES[i].name);
    close(fds[i]);
  }
}

/* ---- cgroups: open every hierarchy's cgroup.procs of the target, on the host, before setns ---- */

#define MAX_CGROUPS 32
struct cgroups {
  int fds[MAX_CGROUPS];
  int n;
};

static int safe_cgroup_path(const char *p) {
  if (p[0] != '/' || strlen(p) > 1024) return 0;
  return !strstr(p, "/../") && !strstr(p, "/./") && strcmp(p + (strlen(p) >= 3 ? strlen(p) - 3 : 0), "/..") && !strchr(p, '\n');
}

/* Does a cgroup v1 mount's super options name every controller of "cpu,cpuacct" / "name=systemd"? */
static int options_have(const char *superopts, const char *ctrls) {
  char want[256], have[1040];
  snprintf(want, sizeof want, "%s", ctrls);
  snprintf(have, sizeof have, ",%s,", superopts);
  for (char *save = NULL, *c = strtok_r(want, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
    char needle[300];
    snprintf(needle, sizeof needle, ",%s,", c);
    if (!strstr(have, needle)) return 0;
  }
  return 1;
}

/* The host mount point for a hierarchy (cgroup2 when ctrls is empty), or NULL. */
static int find_cgroup_mount(const char *ctrls, char *mnt, size_t size) {
  FILE *f = fopen("/proc/self/mountinfo", "re");
  if (!f) return -1;
  char line[4096];
  int found = -1;
  while (found < 0 && fgets(line, sizeof line, f)) {
    char *sep = strstr(line, " - ");
    if (!sep) continue;
    *sep = '\0';
    char fstype[64], source[256], superopts[1024];
    if (sscanf(sep + 3, "%63s %255s %1023s", fstype, source, superopts) != 3) continue;
    char root[1024], point[1024];
    if (sscanf(line, "%*s %*s %*s %1023s %1023s", root, point) != 2 || strcmp(root, "/")) continue;
    if (*ctrls ? (!strcmp(fstype, "cgroup") && options_have(superopts, ctrls)) : !strcmp(fstype, "cgroup2")) {
      snprintf(mnt, size, "%s", point);
      found = 0;
    }
  }
  fclose(f);
  return found;
}

static void open_cgroups(const struct target *t, const struct opts *o, struct cgroups *cg) {
  char buf[8192];
  cg->n = 0;
  if (read_at(t->procfd, "cgroup", buf, sizeof buf) <= 0) fail("gone", errno, "process %d no longer exists", o->pid);
  for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2) continue;
    *c2 = '\0';
    const char *ctrls = c1 + 1, *path = c2 + 1;
    char mnt[1024], file[2200];
    if (find_cgroup_mount(ctrls, mnt, sizeof mnt) < 0) continue; /* hierarchy not mounted on the host */
    if (!safe_cgroup_path(path)) fail("cgroup", 0, "unexpected cgroup path for %s", *ctrls ? ctrls : "cgroup2");
    snprintf(file, sizeof file, "%s%s/cgroup.procs", mnt, strcmp(path, "/") ? path : "");
    if (cg->n >= MAX_CGROUPS) break;
    int fd = open(file, O_WRONLY | O_CLOEXEC);
    if (fd < 0) fail("cgroup", errno, "cannot open %s", file);
    cg->fds[cg->n++] = fd;
  }
}

static void join_cgroups(struct cgroups *cg, pid_t child) {
  char num[32];
  int len = snprintf(num, sizeof num, "%d", child);
  for (int i = 0; i < cg->n; i++) {
    if (write(cg->fds[i], num, (size_t)len) != len) fail("cgroup", errno, "cannot move the process into the container's cgroup");
    close(cg->fds[i]);
  }
  cg->n = 0;
}

/*
 * Is the container frozen (docker pause, or runc pause behind the daemon's back)? A process that
 * joins its cgroup freezes at once, and the init cannot be stopped to copy its seccomp filter: the
 * session would hang forever. cgroup v1: freezer.state; v2: cgroup.freeze of its cgroup.
 */
static int container_frozen(const struct target *t) {
  char buf[8192];
  if (read_at(t->procfd, "cgroup", buf, sizeof buf) <= 0) return 0;
  for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2) continue;
    *c2 = '\0';
    const char *ctrls = c1 + 1, *path = c2 + 1;
    int v2 = !*ctrls;
    if (!v2) {
      char have[256];
      snprintf(have, sizeof have, ",%s,", ctrls);
      if (!strstr(have, ",freezer,")) continue;
    }
    char mnt[1024], file[2200], state[64];
    if (!safe_cgroup_path(path) || find_cgroup_mount(v2 ? "" : "freezer", mnt, sizeof mnt) < 0) continue;
    snprintf(file, sizeof file, "%s%s/%s", mnt, strcmp(path, "/") ? path : "", v2 ? "cgroup.freeze" : "freezer.state");
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ssize_t n = read(fd, state, sizeof state - 1);
    close(fd);
    if (n <= 0) continue;
    state[n] = '\0';
    if (v2 ? state[0] == '1' : (!strncmp(state, "FROZEN", 6) || !strncmp(state, "FREEZING", 8))) return 1;
  }
  return 0;
}

/* Milliseconds on the monotonic clock, for the helper's own deadlines. */
static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_us(long us) {
  struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
}

static void sleep_ms(long ms) { sleep_us(ms * 1000); }

/* Who traces the init now (TracerPid of its status), 0 for nobody. */
static long tracer_of(const struct target *t) {
  char buf[4096];
  if (read_at(t->procfd, "status", buf, sizeof buf) <= 0) return 0;
  char *p = strstr(buf, "\nTracerPid:");
  return p ? strtol(p + 11, NULL, 10) : 0;
}

/* ---- seccomp: copy the init's filters (PTRACE_SECCOMP_GET_FILTER), oldest first ---- */

struct filters {
  struct sock_fprog prog[MAX_FILTERS];
  int n;
};

#define SEIZE_DEADLINE_MS 20000
#define STOP_DEADLINE_MS 5000

static void fetch_seccomp(const struct target *t, pid_t pid, struct filters *f) {
  f->n = 0;
  /*
   * Only one tracer at a time: another session entering the same container holds the init for a
   * moment. Wait for it (with backoff, bounded) while someone else is the tracer; any other refusal
   * is final.
   */
  long long deadline = now_ms() + SEIZE_DEADLINE_MS;
  int untraced = 0; /* refusals with no tracer in sight (the other one may have just let go) */
  for (long delay = 1; ptrace(PTRACE_SEIZE, pid, 0, 0) < 0; delay = delay < 64 ? delay * 2 : 64) {
    int e = errno;
    if (e != EPERM || now_ms() > deadline || (tracer_of(t) == 0 && ++untraced > 3))
      fail("seccomp", e, "cannot attach to the container's init to copy its seccomp filter");
    sleep_ms(delay);
  }
  int passsig = 0, st = 0;
  int stopped = ptrace(PTRACE_INTERRUPT, pid, 0, 0) == 0;
  int e = stopped ? 0 : errno;
  /*
   * The stop takes the init the moment it is scheduled (tens of microseconds): polled from 10 us,
   * doubling to 1 ms (a fixed 1 ms sleep was most of what this took). A frozen or wedged init never
   * stops: give up, never hang.
   */
  for (long long stop_deadline = now_ms() + STOP_DEADLINE_MS, pause = 10; stopped; pause = pause < 1000 ? pause * 2 : 1000) {
    pid_t w = waitpid(pid, &st, __WALL | WNOHANG);
    if (w == pid) break;
    if ((w < 0 && errno != EINTR) || now_ms() > stop_deadline) {
      e = w < 0 ? errno : ETIMEDOUT;
      stopped = 0;
      break;
    }
    sleep_us(pause);
  }
  if (!stopped) {
    ptrace(PTRACE_DETACH, pid, 0, 0);
    fail("seccomp", e, "cannot stop the container's init briefly to copy its seccomp filter");
  }
  /* A signal that arrived at the same moment must be delivered on detach, not lost. */
  if (WIFSTOPPED(st) && WSTOPSIG(st) != SIGTRAP && (st >> 16) == 0) passsig = WSTOPSIG(st);
  struct sock_filter *tmp[MAX_FILTERS];
  unsigned short lens[MAX_FILTERS];
  int count = 0, err = 0;
  for (; count < MAX_FILTERS; count++) {
    long len = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, (void *)(long)count, NULL);
    if (len < 0) { err = errno == ENOENT ? 0 : errno; break; }
    tmp[count] = calloc((size_t)len, sizeof(struct sock_filter));
    if (!tmp[count] || ptrace(PTRACE_SECCOMP_GET_FILTER, pid, (void *)(long)count, tmp[count]) != len) { err = errno ? errno : EIO; break; }
    lens[count] = (unsigned short)len;
  }
  ptrace(PTRACE_DETACH, pid, 0, (void *)(long)passsig);
  if (err) fail("seccomp", err, "cannot copy the container's seccomp filter (kernel needs CONFIG_CHECKPOINT_RESTORE)");
  if (count == 0) fail("seccomp", 0, "the container's init reports seccomp but has no filter to copy");
  /* index 0 is the most recent filter: install in reverse so the stack ends up the same */
  for (int i = 0; i < count; i++) f->prog[i] = (struct sock_fprog){.len = lens[count - 1 - i], .filter = tmp[count - 1 - i]};
  f->n = count;
}

static int install_seccomp(const struct filters *f) {
  for (int i = 0; i < f->n; i++)
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &f->prog[i]) < 0) return -1;
  return 0;
}

/* ---- the environment, from the control pipe (never argv: host `ps` would show it) ---- */

/* "<len>\n" and that many bytes of NUL-terminated entries from the control pipe: a NULL-terminated list. */
static char **read_list(const char *what, uint64_t max) {
  char head[32];
  size_t h = 0;
  while (h < sizeof head - 1) {
    ssize_t n = read(CTL_FD, head + h, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("usage", errno, "no %s on the control pipe", what);
    if (head[h] == '\n') break;
    h++;
  }
  head[h] = '\0';
  uint64_t len;
  if (parse_u64(head, 10, max, &len) < 0) fail("usage", 0, "invalid %s length", what);
  char *blob = malloc(len + 1);
  if (!blob) fail("internal", ENOMEM, "out of memory");
  for (size_t off = 0; off < len;) {
    ssize_t n = read(CTL_FD, blob + off, len - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("usage", errno, "short %s on the control pipe", what);
    off += (size_t)n;
  }
  blob[len] = '\0';
  size_t count = 0;
  for (size_t i = 0; i < len; i++) count += blob[i] == '\0';
  if (len > 0 && blob[len - 1] != '\0') fail("usage", 0, "%s must end with NUL", what);
  char **list = calloc(count + 1, sizeof *list);
  if (!list) fail("internal", ENOMEM, "out of memory");
  size_t k = 0;
  for (char *p = blob; p < blob + len; p += strlen(p) + 1) list[k++] = p;
  return list;
}

static char **read_environment(void) {
  char **env = read_list("environment", MAX_ENV);
  for (char **e = env; *e; e++) {
    char *eq = strchr(*e, '=');
    if (!eq || eq == *e) fail("usage", 0, "invalid environment entry");
  }
  return env;
}

/*
 * exec --user-on-fd3: cx starts the helper before it has read the container's passwd and group
 * files, so the helper's checks and the cgroup join (whose first write waits for an RCU grace
 * period) overlap that work; the session's user arrives on fd 3 with the environment, before the
 * start signal. The session child was forked before that: it gets both from memory shared with
 * the parent (mapped before the fork, written once by the parent before the start signal, read by
 * the child only after it, after I2's close), never from a descriptor.
 */
struct late {
  uid_t uid;
  gid_t gid;
  int ngroups;
  gid_t groups[MAX_GROUPS];
  size_t env_len;
  char env[MAX_ENV + 1];
};

/* "<len>\n" + "uid\0gid\0groups\0" (groups comma-separated, may be empty), then the environment. */
static char **read_late_user(struct opts *o) {
  char **id = read_list("user", 4096);
  if (!id[0] || !id[1] || !id[2] || id[3]) fail("usage", 0, "the user on the control pipe must be uid, gid and groups");
  o->uid = (uid_t)need_num("uid", id[0], 10, 0xfffffffeULL);
  o->gid = (gid_t)need_num("gid", id[1], 10, 0xfffffffeULL);
  o->ngroups = 0;
  parse_groups(o, id[2]);
  return read_environment();
}

static void share_late(struct late *l, const struct opts *o, char **env) {
  l->uid = o->uid;
  l->gid = o->gid;
  l->ngroups = o->ngroups;
  memcpy(l->groups, o->groups, sizeof l->groups);
  size_t off = 0;
  for (char **e = env; *e; e++) {
    size_t n = strlen(*e) + 1;
    if (off + n > MAX_ENV) fail("usage", 0, "environment too large");
    memcpy(l->env + off, *e, n);
    off += n;
  }
  l->env_len = off;
}

/* The child's environment: its own array of pointers into the shared blob (execve copies the strings). */
static char **late_env(const struct late *l) {
  size_t count = 0;
  for (size_t i = 0; i < l->env_len; i++) count += l->env[i] == '\0';
  char **list = calloc(count + 1, sizeof *list);
  if (!list) return NULL;
  size_t k = 0;
  for (const char *p = l->env; p < l->env + l->env_len; p += strlen(p) + 1) list[k++] = (char *)p;
  return list;
}

/*
 * query's paths come on the control pipe, never argv: a container decides how many files its
 * /etc/container_environment holds, and one argument per file would hit the kernel's argv limit.
 */
static char **read_query_specs(void) {
  char **specs = read_list("path list", MAX_SPECS_BYTES);
  size_t n = 0;
  for (char **p = specs; *p; p++, n++)
    if (!valid_spec(*p)) fail("usage", 0, "invalid query path");
  if (n == 0) fail("usage", 0, "no paths to query");
  if (n > MAX_SPECS) fail("usage", 0, "too many paths to query (at most %d)", MAX_SPECS);
  return specs;
}

static const char *env_get(char **env, const char *name) {
  size_t n = strlen(name);
  for (char **e = env; *e; e++)
    if (!strncmp(*e, name, n) && (*e)[n] == '=') return *e + n + 1;
  return NULL;
}

/* ---- query mode: read container files from INSIDE its mount namespace ---- */

/* Where query answers go: stdout for `query`, fd 5 for exec --query-first's child. */
static int out_fd = 1;

static void put(const void *data, size_t len) {
  const char *p = data;
  while (len > 0) {
    ssize_t n = write(out_fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) exit(EXIT_SETUP);
    p += n;
    len -= (size_t)n;
  }
}

static void put_header(char kind, size_t len, int with_len) {
  char h[48];
  int n = with_len ? snprintf(h, sizeof h, "%c %zu\n", kind, len) : snprintf(h, sizeof h, "%c\n", kind);
  put(h, (size_t)n);
}

#define QUERY_RESOLVE (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)

/* One path, opened only below the container's root (I4); anything that does not resolve there is absent. */
static void query_one(int root, const char *arg) {
  int read_it = arg[0] == 'r';
  const char *path = arg + 2;
  /* O_PATH first: opening a device or FIFO for real could block or have side effects. */
  int pfd = open_in_root(root, path, O_PATH, QUERY_RESOLVE);
  struct stat st;
  if (pfd < 0 || fstat(pfd, &st) < 0) {
    if (pfd >= 0) close(pfd);
    put_header('N', 0, 0);
    return;
  }
  if (!read_it) {
    char h[8];
    int n = snprintf(h, sizeof h, "S %c\n", S_ISREG(st.st_mode) ? 'f' : S_ISDIR(st.st_mode) ? 'd' : 'o');
    put(h, (size_t)n);
    close(pfd);
    return;
  }
  if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) { close(pfd); put_header('O', 0, 0); return; }
  if (S_ISREG(st.st_mode) && st.st_size > MAX_FILE) { close(pfd); put_header('B', 0, 0); return; }
  /* Reopen for reading the same way, and make sure it is still the object that was checked. */
  int fd = open_in_root(root, path, S_ISDIR(st.st_mode) ? O_RDONLY | O_DIRECTORY : O_RDONLY | O_NONBLOCK | O_NOCTTY, QUERY_RESOLVE);
  struct stat st2;
  close(pfd);
  if (fd < 0 || fstat(fd, &st2) < 0 || st2.st_dev != st.st_dev || st2.st_ino != st.st_ino) {
    if (fd >= 0) close(fd);
    put_header('N', 0, 0);
    return;
  }
  if (S_ISDIR(st.st_mode)) {
    DIR *d = fdopendir(fd);
    size_t cap = 4096, len = 0;
    char *names = malloc(cap);
    struct dirent *de;
    while (d && names && (de = readdir(d))) {
      if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
      size_t l = strlen(de->d_name) + 1;
      if (len + l > MAX_FILE) break;
      if (len + l > cap) names = realloc(names, cap = (len + l) * 2);
      if (!names) break;
      memcpy(names + len, de->d_name, l);
      len += l;
    }
    if (d) closedir(d);
    else close(fd);
    if (!names) exit(EXIT_SETUP);
    put_header('D', len, 1);
    put(names, len);
    free(names);
    return;
  }
  char *buf = malloc((size_t)st.st_size + 1);
  size_t off = 0;
  while (buf && off <= (size_t)st.st_size) {
    ssize_t n = read(fd, buf + off, (size_t)st.st_size + 1 - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    off += (size_t)n;
  }
  close(fd);
  if (!buf) exit(EXIT_SETUP);
  if (off > (size_t)st.st_size) { put_header('B', 0, 0); free(buf); return; } /* grew while read */
  put_header('F', off, 1);
  put(buf, off);
  free(buf);
}

/*
 * query mode (I4): the container's root directory is taken from the init (so a chroot-style
 * container is right too), the user and mount namespaces are joined, every other handle is closed,
 * and the identity drops to the container's before the first container path is looked at.
 */
static int run_query(const struct opts *o, struct target *t) {
  if (!have_openat2()) fail("kernel", ENOSYS, "reading container files safely needs openat2 (Linux 5.6 or later)");
  int lc = last_cap();
  int root = openat(t->procfd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) fail("gone", errno, "cannot open the root directory of process %d", o->pid);
  enter_namespaces(t, t->ns_flags & (uint64_t)(CLONE_NEWNS | CLONE_NEWUSER));
  int keep[] = {root, status_fd};
  close_all_except(keep, status_fd >= 0 ? 2 : 1);
  t->procfd = t->pidfd = -1;
  if (drop_to(o->uid, o->gid, o->groups, o->ngroups, o->bnd, o->eff, o->prm, 0, lc) != DROP_OK)
    fail("user", errno, "cannot take the container's identity to read its files");
  for (char **p = o->argv; *p; p++) query_one(root, *p);
  return 0;
}

/*
 * exec --query-first: the container files cx plans the session with (its passwd and group) are read
 * by a child of this helper exactly as `query` reads them (I4: inside the container's root, with its
 * root user's identity and capabilities, every other descriptor closed), and answered on fd 5, while
 * this helper goes on with its own checks: one process less for cx to start. The child's own failure
 * goes to fd 5 too ("E ..." where the answers would be): fd 4 stays the session's.
 */
static pid_t start_query(const struct opts *o, struct target *t) {
  pid_t q = fork();
  if (q < 0) fail("internal", errno, "fork");
  if (q == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    status_fd = out_fd = QUERY_FD;
    /* None of cx's stdio (which may be the user's terminal or files, handed to the session) goes
     * with it into the container's namespaces: the host's /dev/null, opened while still in view. */
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0) fail("internal", errno, "cannot open /dev/null");
    for (int fd = 0; fd < 3; fd++)
      if (devnull != fd && dup2(devnull, fd) < 0) fail("internal", errno, "dup2");
    if (devnull > 2) close(devnull);
    struct opts qo = *o;
    qo.uid = 0;
    qo.gid = 0;
    qo.groups[0] = 0;
    qo.ngroups = 1;
    qo.bnd = o->qbnd;
    qo.eff = o->qeff;
    qo.prm = o->qprm;
    qo.argv = qo.qspecs;
    run_query(&qo, t);
    _exit(0);
  }
  close(QUERY_FD);
  return q;
}

/* ---- the child: runc's setns init order ---- */

/* What the child tells the parent when it cannot exec: the stage and errno. */
struct child_error {
  int stage;
  int err;
};
enum { ST_SETUP = 1, ST_TTY, ST_SECCOMP, ST_CAPS, ST_USER, ST_CHDIR, ST_NOT_FOUND, ST_EXEC, ST_DEBUG };

static _Noreturn void child_fail(int errfd, int stage, int err) {
  struct child_error ce = {stage, err};
  (void)!write(errfd, &ce, sizeof ce);
  _exit(stage == ST_NOT_FOUND || (stage == ST_EXEC && err == ENOENT) ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC);
}

/* exec.LookPath, as runc uses it: a name with a slash is taken as is, else the first executable regular file in PATH. */
static const char *look_path(const char *cmd, char **env, char *buf, size_t size, int *err) {
  if (strchr(cmd, '/')) return cmd;
  const char *path = env_get(env, "PATH");
  *err = ENOENT;
  if (!path) return NULL;
  for (const char *p = path;; p++) {
    const char *end = strchr(p, ':');
    size_t dl = end ? (size_t)(end - p) : strlen(p);
    if (dl == 0) snprintf(buf, size, "./%s", cmd);
    else snprintf(buf, size, "%.*s/%s", (int)dl, p, cmd);
    struct stat st;
    if (stat(buf, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111)) return buf;
    if (!end) break;
    p = end;
  }
  return NULL;
}

struct prepared {
  struct rlimit limits[RLIM_NLIMITS];
  int have_limits;
  char oom[32];
  int umask_val;
  int last_cap;
};

/*
 * A stdio that is /dev/null (cx had no input for the command) is the HOST's node: through
 * /proc/<pid>/fd/0 the container's root could reopen it and chmod or chown the host's /dev/null.
 * Swap it for the container's own /dev/null (opened as the session user, no magic links, and only if
 * it really is char 1:3), or for stdin, an empty pipe when the container has none.
 */
static void container_devnull(void) {
  int mine = -1;
  for (int fd = 0; fd < 3; fd++) {
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) continue;
    if (mine < 0) {
      mine = open_in_root(AT_FDCWD, "/dev/null", O_RDWR | O_NOCTTY, RESOLVE_NO_MAGICLINKS);
      struct stat cst;
      if (mine >= 0 && (fstat(mine, &cst) < 0 || !S_ISCHR(cst.st_mode) || cst.st_rdev != makedev(1, 3))) {
        close(mine);
        mine = -1;
      }
    }
    if (mine >= 0) {
      dup2(mine, fd);
    } else if (fd == 0) {
      int pp[2];
      if (pipe(pp) == 0) {
        close(pp[1]);
        dup2(pp[0], 0);
        if (pp[0] != 0) close(pp[0]);
      }
    }
  }
  if (mine > 2) close(mine);
}


/* ---- debug sessions: a toolbox only the session sees (I7) ---- */

/*
 * The toolbox as a detached mount, made in the host mount namespace before any setns: one directory
 * is cloned (open_tree), several image layers become a read-only overlay (the first on top). Either
 * way it is read-only, nosuid and nodev, and attached nowhere until the child moves it into its
 * own mount namespace.
 */
static int open_toolbox(const struct opts *o) {
  int fd = -1;
  if (o->ntoolbox == 1) {
    fd = (int)syscall(SYS_open_tree, AT_FDCWD, o->toolbox[0], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    if (fd < 0) fail("debug", errno, "cannot open the toolbox %s", o->toolbox[0]);
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV};
    if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0) fail("debug", errno, "cannot make the toolbox read-only");
    return fd;
  }
  int fs = (int)syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
  if (fs < 0) fail("debug", errno, "cannot stack the toolbox image's layers (overlayfs)");
  for (int i = 0; i < o->ntoolbox; i++)
    if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "lowerdir+", o->toolbox[i], 0) < 0) {
      /* Kernels before 6.8 take the layers as one "a:b:c" string (cx refuses paths with ':'). */
      if (errno != EINVAL || i > 0) fail("debug", errno, "cannot use the toolbox layer %s", o->toolbox[i]);
      char list[65536];
      size_t off = 0;
      for (int j = 0; j < o->ntoolbox; j++) {
        int n = snprintf(list + off, sizeof list - off, "%s%s", j ? ":" : "", o->toolbox[j]);
        if (n < 0 || (size_t)n >= sizeof list - off) fail("debug", E2BIG, "too many toolbox layers");
        off += (size_t)n;
      }
      if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "lowerdir", list, 0) < 0) fail("debug", errno, "cannot use the toolbox layers");
      break;
    }
  if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) fail("debug", errno, "cannot stack the toolbox image's layers");
  fd = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
  if (fd < 0) fail("debug", errno, "cannot mount the toolbox image's layers");
  close(fs);
  return fd;
}

/* Put one entry of the container's root (`name`, a single component) onto the session's new root. */
static int graft_entry(int oldroot, int newroot, const char *name) {
  struct stat st;
  if (fstatat(oldroot, name, &st, AT_SYMLINK_NOFOLLOW) < 0) return errno == ENOENT ? 0 : -1; /* gone meanwhile */
  if (S_ISLNK(st.st_mode)) {
    /* Recreated, never followed: the link means inside the session what it means in the container. */
    char target[PATH_MAX];
    ssize_t n = readlinkat(oldroot, name, target, sizeof target - 1);
    if (n < 0) return -1;
    target[n] = '\0';
    return symlinkat(target, newroot, name);
  }
  if (S_ISDIR(st.st_mode)) {
    if (mkdirat(newroot, name, 0755) < 0) return -1;
  } else {
    int f = openat(newroot, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (f < 0) return -1;
    close(f);
  }
  /* The container's own entry (and every mount below it), writes going through to the container. */
  int tree = (int)syscall(SYS_open_tree, oldroot, name, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_SYMLINK_NOFOLLOW);
  if (tree < 0) return -1;
  int r = (int)syscall(SYS_move_mount, tree, "", newroot, name, MOVE_MOUNT_F_EMPTY_PATH);
  int e = errno;
  close(tree);
  errno = e;
  return r;
}

/*
 * The session's root (I7): a private copy of the container's mount namespace, a new tmpfs over its
 * "/", the container's top-level entries bound onto it (so paths and writes are the container's), the
 * toolbox at /.cx, then chroot into it. The container's own mounts and files are never touched.
 */
static int debug_root(int toolbox, int *err) {
  /*
   * In a container with a user namespace, host root is not mapped there: files the session creates
   * on its own tmpfs (which belongs to that namespace) need an owner it knows. The namespace's root
   * is that owner; the real identity drop comes later.
   */
  setfsgid(0);
  setfsuid(0);
  if (unshare(CLONE_NEWNS) < 0) goto fail;
  /* Nothing the session mounts may propagate back into the container (or the host). */
  if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) goto fail;
  int oldroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (oldroot < 0) goto fail;
  int fs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
  if (fs < 0) goto fail;
  if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "mode", "0755", 0) < 0 || syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "size", "1m", 0) < 0 ||
      syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    goto fail;
  int newroot = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
  if (newroot < 0) goto fail;
  close(fs);
  /* Attached over our copy of "/" (a mount point that exists in every container, created by no one). */
  if (syscall(SYS_move_mount, newroot, "", oldroot, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) goto fail;
  int dfd = openat(oldroot, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) goto fail;
  DIR *d = fdopendir(dfd);
  if (!d) goto fail;
  int count = 0;
  struct dirent *de;
  errno = 0;
  while ((de = readdir(d))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || !strcmp(de->d_name, ".cx")) continue;
    if (++count > MAX_ROOT_ENTRIES) {
      errno = E2BIG;
      goto fail;
    }
    if (graft_entry(oldroot, newroot, de->d_name) < 0) goto fail;
    errno = 0;
  }
  if (errno) goto fail;
  closedir(d);
  if (mkdirat(newroot, ".cx", 0755) < 0) goto fail;
  if (syscall(SYS_move_mount, toolbox, "", newroot, ".cx", MOVE_MOUNT_F_EMPTY_PATH) < 0) goto fail;
  close(toolbox);
  if (fchdir(newroot) < 0 || chroot(".") < 0 || chdir("/") < 0) goto fail;
  /* The new root is the session's alone: read-only, so a file created in "/" fails rather than diverging. */
  struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
  if (syscall(SYS_mount_setattr, newroot, "", AT_EMPTY_PATH, &ro, sizeof ro) < 0) goto fail;
  close(newroot);
  close(oldroot);
  return 0;
fail:
  *err = errno ? errno : EIO;
  return -1;
}

static _Noreturn void child_main(const struct opts *o, char **env, const struct late *late, const struct prepared *pre,
                                 const struct filters *flt, int syncfd, int errfd, int slave, const int pipes[3], int toolbox) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL);
  setsid();
  /* I2: the session's stdio onto 0-2, then every other descriptor closed, before anything else. */
  for (int fd = 0; fd < 3; fd++)
    if (pipes[fd] >= 0 && dup2(pipes[fd], fd) < 0) child_fail(errfd, ST_SETUP, errno);
  if (o->tty) {
    if (ioctl(slave, TIOCSCTTY, 0) < 0) child_fail(errfd, ST_TTY, errno);
    for (int fd = 0; fd < 3; fd++)
      if (dup2(slave, fd) < 0) child_fail(errfd, ST_TTY, errno);
  }
  int keep[] = {syncfd, errfd, toolbox};
  close_all_except(keep, toolbox >= 0 ? 3 : 2);
  char go;
  if (read(syncfd, &go, 1) != 1) _exit(EXIT_SETUP); /* the parent died or could not join the cgroup */
  close(syncfd);
  struct opts mine;
  if (late) {
    /* The user and environment cx sent after the fork (written by the parent before "g"). */
    mine = *o;
    mine.uid = late->uid;
    mine.gid = late->gid;
    mine.ngroups = late->ngroups;
    memcpy(mine.groups, late->groups, sizeof mine.groups);
    o = &mine;
    env = late_env(late);
    if (!env) child_fail(errfd, ST_SETUP, ENOMEM);
  }
  /*
   * The CPUs: docker exec's process starts from the shim's affinity (every CPU) cut down to the
   * container's cpuset; ours would carry whatever cx's caller narrowed cx to (taskset). Ask for every
   * CPU: now that the child is in the container's cgroup, the kernel grants only its cpuset's.
   */
  cpu_set_t all;
  CPU_ZERO(&all);
  for (int c = 0; c < CPU_SETSIZE; c++) CPU_SET(c, &all);
  sched_setaffinity(0, sizeof all, &all);
  /* I7: with host root's capabilities still held, before seccomp (which may forbid mounts). */
  int derr = 0;
  if (toolbox >= 0 && debug_root(toolbox, &derr) < 0) child_fail(errfd, ST_DEBUG, derr);

  /* A fresh session keyring, so the container's processes do not share the host's (runc does the same). */
  syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL, 0, 0, 0);
  /* runc's fixStdioPermissions: the user must be able to reopen its own stdio (/dev/stdout). */
  for (int fd = 0; fd < 3; fd++) {
    struct stat st;
    if (fstat(fd, &st) == 0 && !(S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3)) && st.st_uid != o->uid) (void)!fchown(fd, o->uid, (gid_t)-1);
  }
  if (pre->have_limits)
    for (int r = 0; r < RLIM_NLIMITS; r++) setrlimit(r, &pre->limits[r]);
  umask((mode_t)pre->umask_val);
  /* A detached command outlives cx, as docker exec -d's does; otherwise it goes with its helper. */
  if (!o->detach) prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (o->nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) child_fail(errfd, ST_SETUP, errno);
  /* Without no_new_privs, installing a filter needs CAP_SYS_ADMIN: do it before the caps go. */
  if (o->seccomp && !o->nnp && install_seccomp(flt) < 0) child_fail(errfd, ST_SECCOMP, errno);
  int dropped = drop_to(o->uid, o->gid, o->groups, o->ngroups, o->bnd, o->eff, o->prm, o->inh, pre->last_cap);
  if (dropped != DROP_OK) child_fail(errfd, dropped == DROP_USER ? ST_USER : ST_CAPS, errno);
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  for (int c = 0; c <= pre->last_cap; c++)
    if ((o->amb & (1ULL << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0) child_fail(errfd, ST_CAPS, errno);
  prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
  /*
   * I3: from here on the container's own files are looked at, as the session user with the
   * container's capabilities only. The working directory may not pass through a /proc magic link
   * (a cwd on a host directory is the CVE-2024-21626 escape).
   */
  container_devnull();
  int cwd = open_in_root(AT_FDCWD, o->cwd, O_PATH | O_DIRECTORY, RESOLVE_NO_MAGICLINKS);
  if (cwd < 0 || fchdir(cwd) < 0) child_fail(errfd, ST_CHDIR, errno);
  close(cwd);
  char pathbuf[PATH_MAX];
  int lerr = 0;
  const char *file = look_path(o->argv[0], env, pathbuf, sizeof pathbuf, &lerr);
  if (!file) child_fail(errfd, ST_NOT_FOUND, lerr);
  /* With no_new_privs, the filter goes on as late as possible: fewer syscalls it must allow. */
  if (o->seccomp && o->nnp && install_seccomp(flt) < 0) child_fail(errfd, ST_SECCOMP, errno);
  execve(file, o->argv, env);
  child_fail(errfd, ST_EXEC, errno);
}

static void report_child_error(const struct opts *o, const struct child_error *ce) {
  switch (ce->stage) {
    case ST_NOT_FOUND: report("notfound", ce->err, "%s", o->argv[0]); break;
    case ST_EXEC: report(ce->err == ENOENT ? "notfound" : "noexec", ce->err, "%s", o->argv[0]); break;
    case ST_CHDIR: report("chdir", ce->err, "%s", o->cwd); break;
    case ST_USER: report("user", ce->err, "cannot switch to uid %u gid %u", (unsigned)o->uid, (unsigned)o->gid); break;
    case ST_CAPS: report("caps", ce->err, "cannot apply the container's capabilities"); break;
    case ST_SECCOMP: report("seccomp", ce->err, "cannot install the container's seccomp filter"); break;
    case ST_TTY: report("tty", ce->err, "cannot make the container pty the controlling terminal"); break;
    case ST_DEBUG: report("debug", ce->err, "cannot mount the toolbox in a private view of the container's filesystem"); break;
    default: report("internal", ce->err, "cannot prepare the process"); break;
  }
}

/* ---- the parent: relay the terminal, forward signals, pass on the exit status ---- */

static void write_all(int fd, const char *p, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return; /* the reader is gone: drop, as a closed terminal would */
    p += n;
    len -= (size_t)n;
  }
}

/* Resize lines on the control pipe: "R <rows> <cols>\n". Returns 0 at EOF. */
static int handle_control(int master, char *buf, size_t *have, size_t size) {
  ssize_t n = read(CTL_FD, buf + *have, size - *have - 1);
  if (n < 0) return errno == EINTR || errno == EAGAIN;
  if (n == 0) return 0;
  *have += (size_t)n;
  char *nl;
  while ((nl = memchr(buf, '\n', *have))) {
    *nl = '\0';
    unsigned rows, cols;
    if (master >= 0 && sscanf(buf, "R %u %u", &rows, &cols) == 2 && rows < 65536 && cols < 65536) {
      struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
      ioctl(master, TIOCSWINSZ, &ws);
    }
    size_t used = (size_t)(nl - buf) + 1;
    memmove(buf, nl + 1, *have - used);
    *have -= used;
  }
  if (*have >= size - 1) *have = 0; /* garbage without newlines: drop */
  return 1;
}

static int exit_code(int st) { return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1; }

/*
 * Without a TTY, cx hands the helper unix sockets (libuv's "pipes"), and a socket cannot be reopened
 * through /proc/self/fd or /dev/stdout (ENXIO), which programs in containers do (nginx logs to
 * /dev/stdout). docker exec gives real pipes, so the command gets real pipes here too and the helper
 * splices between them and cx's sockets, without copying through user space.
 */
struct relay {
  int from, to;
  int out_wait; /* the last splice found the output full: wait for POLLOUT on `to` */
  int open;
};

static void relay_close(struct relay *r) {
  if (!r->open) return;
  r->open = 0;
  close(r->to);
  close(r->from);
}

static void relay_step(struct relay *r) {
  ssize_t n = splice(r->from, NULL, r->to, NULL, 1 << 16, SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
  if (n > 0) r->out_wait = 0;
  else if (n == 0) relay_close(r); /* EOF: pass it on */
  else if (errno == EAGAIN) r->out_wait = !r->out_wait;
  else if (errno != EINTR) relay_close(r); /* the reader went away (EPIPE) or the writer reset */
}

static int supervise(pid_t child, int master, int sfd, struct relay *rl, int nrl) {
  char buf[65536], ctl[256];
  size_t ctl_have = 0;
  int stdin_open = master >= 0, master_open = master >= 0, ctl_open = 1, status = -1;
  /* The wait for the start may have taken the SIGCHLD of a command that is already gone. */
  int early;
  if (waitpid(child, &early, WNOHANG) == child) status = exit_code(early);
  for (;;) {
    int outputs_open = 0;
    for (int i = 0; i < nrl; i++)
      if (rl[i].open && rl[i].from != 0) outputs_open = 1;
    if (status >= 0) {
      /* The command is gone: its input no longer matters; the output is drained to EOF. */
      for (int i = 0; i < nrl; i++)
        if (rl[i].from == 0) relay_close(&rl[i]);
      stdin_open = 0;
      if (!master_open && !outputs_open) break;
    }
    struct pollfd p[8];
    int np = 0;
    p[np++] = (struct pollfd){sfd, POLLIN, 0};
    p[np++] = (struct pollfd){ctl_open ? CTL_FD : -1, POLLIN, 0};
    p[np++] = (struct pollfd){master_open ? master : -1, POLLIN, 0};
    p[np++] = (struct pollfd){stdin_open ? 0 : -1, POLLIN, 0};
    for (int i = 0; i < nrl; i++)
      p[np++] = (struct pollfd){rl[i].open ? (rl[i].out_wait ? rl[i].to : rl[i].from) : -1, (short)(rl[i].out_wait ? POLLOUT : POLLIN), 0};
    /* Once the command has exited, a terminal is only drained of what it still holds. */
    int r = poll(p, (nfds_t)np, status >= 0 && master_open ? 50 : -1);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      master_open = 0;
      continue;
    }
    if (p[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (read(sfd, &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGCHLD) {
          int st;
          if (waitpid(child, &st, WNOHANG) == child) status = exit_code(st);
        } else if (status < 0) {
          kill(child, (int)si.ssi_signo);
        }
      }
    }
    if (p[1].revents & (POLLIN | POLLHUP)) ctl_open = handle_control(master, ctl, &ctl_have, sizeof ctl);
    if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(master, buf, sizeof buf);
      if (n > 0) write_all(1, buf, (size_t)n);
      else if (!(n < 0 && errno == EINTR)) master_open = 0; /* EIO: every holder of the slave closed it */
    }
    if (p[3].revents & (POLLIN | POLLHUP)) {
      ssize_t n = read(0, buf, sizeof buf);
      if (n > 0) write_all(master, buf, (size_t)n);
      else if (!(n < 0 && errno == EINTR)) stdin_open = 0; /* never close the pty's input: that would end its output too */
    }
    for (int i = 0; i < nrl; i++)
      if (p[4 + i].revents) relay_step(&rl[i]);
  }
  if (status < 0) {
    int st;
    while (waitpid(child, &st, 0) < 0 && errno == EINTR) {}
    status = exit_code(st);
  }
  return status;
}

/* For each of fds 0-2 that is a socket: a pipe, the command's end in child_ends[fd], a relay for us. */
static int make_relays(struct relay *rl, int child_ends[3]) {
  int n = 0;
  for (int fd = 0; fd < 3; fd++) {
    child_ends[fd] = -1;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode)) continue;
    int pp[2];
    if (pipe2(pp, O_CLOEXEC) < 0) fail("internal", errno, "pipe");
    int ours = fd == 0 ? pp[1] : pp[0];
    child_ends[fd] = fd == 0 ? pp[0] : pp[1];
    int dup = fcntl(fd, F_DUPFD_CLOEXEC, 3); /* keep our copy of the socket off 0-2 */
    if (dup < 0) fail("internal", errno, "dup");
    fcntl(dup, F_SETFL, fcntl(dup, F_GETFL) | O_NONBLOCK);
    fcntl(ours, F_SETFL, fcntl(ours, F_GETFL) | O_NONBLOCK);
    rl[n++] = fd == 0 ? (struct relay){dup, ours, 0, 1} : (struct relay){ours, dup, 0, 1};
  }
  return n;
}

/* The init's parent (its runtime shim, outside the container), from its stat; 0 when unknown. */
static pid_t parent_of(const struct target *t) {
  char buf[8192];
  if (read_at(t->procfd, "stat", buf, sizeof buf) <= 0) return 0;
  char *rp = strrchr(buf, ')');
  long ppid = 0;
  if (!rp || sscanf(rp + 1, " %*c %ld", &ppid) != 1 || ppid <= 0) return 0;
  return (pid_t)ppid;
}

/*
 * What docker exec gives, never what the init has made of itself since (an init that ran
 * `ulimit -t 1` or `umask 077` must not shape the operator's session): the configured limits over
 * those of the init's parent (the shim a runtime exec starts from; ours when it cannot be read), the
 * configured umask or docker's 0022, the configured oom_score_adj (the init's only without a config).
 */
static void prepare(const struct target *t, const struct opts *o, struct prepared *pre) {
  memset(pre, 0, sizeof *pre);
  pre->have_limits = 1;
  pid_t shim = parent_of(t);
  for (int r = 0; r < RLIM_NLIMITS; r++) {
    if (o->have_rlimit[r]) pre->limits[r] = o->rlimits[r];
    else if ((shim <= 0 || prlimit(shim, r, NULL, &pre->limits[r]) < 0) && getrlimit(r, &pre->limits[r]) < 0) pre->have_limits = 0;
  }
  pre->umask_val = o->umask_val >= 0 ? o->umask_val : 022;
  char buf[4096];
  if (o->have_oom) snprintf(pre->oom, sizeof pre->oom, "%d", o->oom);
  else if (read_at(t->procfd, "oom_score_adj", buf, sizeof buf) > 0) snprintf(pre->oom, sizeof pre->oom, "%.*s", (int)strcspn(buf, "\n"), buf);
  pre->last_cap = last_cap();
}

/*
 * The container's /dev/ptmx (in Docker a symlink to pts/ptmx), resolved inside its root without
 * magic links, and used only if it is the pty multiplexer: the helper is host root here, so a node
 * the container planted there (a FIFO, a host disk) must not be opened for real.
 */
static int open_ptmx(int root) {
  const uint64_t res = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  int pfd = open_in_root(root, "/dev/ptmx", O_PATH, res);
  struct stat st, st2;
  if (pfd < 0 || fstat(pfd, &st) < 0) fail("tty", errno, "cannot open the container's /dev/ptmx");
  close(pfd);
  if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(5, 2)) fail("tty", 0, "the container's /dev/ptmx is not the pty multiplexer");
  int master = open_in_root(root, "/dev/ptmx", O_RDWR | O_NOCTTY, res);
  if (master < 0) fail("tty", errno, "cannot open the container's /dev/ptmx");
  if (fstat(master, &st2) < 0 || st2.st_dev != st.st_dev || st2.st_ino != st.st_ino) fail("tty", 0, "the container's /dev/ptmx changed while opening it");
  return master;
}

static void set_oom(int hostproc, pid_t child, const char *value) {
  if (!value[0]) return;
  char rel[64];
  snprintf(rel, sizeof rel, "%d/oom_score_adj", child);
  int fd = openat(hostproc, rel, O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    (void)!write(fd, value, strlen(value));
    close(fd);
  }
}

/*
 * docker exec -d: the command runs; tell cx (which then returns) and stay only as its parent, to reap
 * it when it ends (left to the container's init, it would stay a zombie under an init that never
 * reaps). Nothing of cx's is kept: not its pipes, not its session or its terminal's signals.
 */
static _Noreturn void detach_from_cx(pid_t child) {
  if (status_fd >= 0) (void)!write(status_fd, "S\n", 2);
  prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  /* Closed, not reopened: this is the container's mount namespace, its /dev/null is not to be trusted. */
  int keep[] = {-1};
  close_all_except(keep, 0);
  for (int fd = 0; fd < 3; fd++) close(fd);
  setsid();
  int st;
  while (waitpid(child, &st, 0) < 0 && errno == EINTR) {}
  _exit(0);
}

static int run_exec(struct opts *o, struct target *t) {
  pid_t query = o->query_first ? start_query(o, t) : -1;
  char **env = o->user_later ? NULL : read_environment();
  struct late *late = NULL;
  if (o->user_later) {
    late = mmap(NULL, sizeof *late, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (late == MAP_FAILED) fail("internal", errno, "cannot map memory for the session's user");
  }
  struct prepared pre;
  prepare(t, o, &pre);
  struct filters flt = {.n = 0};
  if (container_frozen(t)) {
    report("paused", 0, "cannot exec in a paused container");
    exit(EXIT_CANNOT_EXEC);
  }
  if (o->seccomp) fetch_seccomp(t, o->pid, &flt);
  struct cgroups cg;
  open_cgroups(t, o, &cg);
  struct relay rl[3];
  int pipes[3] = {-1, -1, -1};
  int nrl = o->tty ? 0 : make_relays(rl, pipes);
  /* The host's /dev/null, opened before the container's filesystem is in view. */
  int devnull = nrl > 0 ? open("/dev/null", O_RDWR | O_CLOEXEC) : -1;
  /* The host's /proc, for the child's oom_score_adj: the container's /proc is the container's to shape. */
  int hostproc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (hostproc < 0) fail("internal", errno, "cannot open /proc");
  int root = o->tty ? openat(t->procfd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
  if (o->tty && root < 0) fail("gone", errno, "cannot open the root directory of process %d", o->pid);
  /* I7: the toolbox is taken from the host's mount namespace, while we are still in it. */
  int toolbox = o->ntoolbox ? open_toolbox(o) : -1;
  enter_namespaces(t, t->ns_flags);
  /* I5: the target's handles are of no further use; the child must not inherit them. */
  close(t->procfd);
  if (t->pidfd >= 0) close(t->pidfd);
  t->procfd = t->pidfd = -1;

  int master = -1, slave = -1;
  if (o->tty) {
    /* The container's own devpts (we are in its mount namespace now): `tty` inside names a node that exists there. */
    master = open_ptmx(root);
    close(root);
    int unlock = 0;
    if (ioctl(master, TIOCSPTLCK, &unlock) < 0) fail("tty", errno, "cannot unlock the container pty");
    slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) fail("tty", errno, "cannot open the container pty");
    struct winsize ws = {.ws_row = o->rows, .ws_col = o->cols};
    if (o->rows && o->cols) ioctl(master, TIOCSWINSZ, &ws);
  }

  sigset_t mask;
  sigemptyset(&mask);
  int forwarded[] = {SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT};
  for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) sigaddset(&mask, forwarded[i]);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
  if (sfd < 0) fail("internal", errno, "signalfd");

  int sync[2], errp[2];
  if (pipe2(sync, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) fail("internal", errno, "pipe");
  pid_t child = fork();
  if (child < 0) fail("internal", errno, "fork");
  if (child == 0) {
    close(sync[1]);
    close(errp[0]);
    child_main(o, env, late, &pre, &flt, sync[0], errp[1], slave, pipes, toolbox);
  }
  close(sync[0]);
  close(errp[1]);
  if (toolbox >= 0) close(toolbox);
  if (slave >= 0) close(slave);
  for (int fd = 0; fd < 3; fd++)
    if (pipes[fd] >= 0) close(pipes[fd]);
  /* Our own 0-2 stay open until exit, but only the relays' duplicates carry data from here on. */
  for (int fd = 0; fd < 3; fd++)
    if (pipes[fd] >= 0 && devnull >= 0) dup2(devnull, fd);
  if (devnull >= 0) close(devnull);
  /* Into the container's cgroups before it runs anything: its pids and memory limits apply. */
  join_cgroups(&cg, child);
  set_oom(hostproc, child, pre.oom);
  close(hostproc);
  if (late) {
    /* cx's answer; if cx gives up instead (its own checks failed) the pipe closes, this fails, and the child, not started, exits. */
    env = read_late_user(o);
    share_late(late, o, env);
    /* cx answers only once it has read the query's answers to their end: the child is done. */
    if (query > 0)
      while (waitpid(query, NULL, 0) < 0 && errno == EINTR) {}
  }
  if (write(sync[1], "g", 1) != 1) fail("internal", errno, "cannot start the process");
  close(sync[1]);
  struct child_error ce;
  ssize_t n;
  /*
   * Until the command runs (or fails to), cx's signals still reach it: a start that hangs in the
   * container (a working directory on a stuck mount) can be interrupted like the command itself.
   */
  for (;;) {
    struct pollfd w[2] = {{errp[0], POLLIN, 0}, {sfd, POLLIN, 0}};
    if (poll(w, 2, -1) < 0) {
      if (errno == EINTR) continue;
      fail("internal", errno, "poll");
    }
    if (w[1].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (read(sfd, &si, sizeof si) == sizeof si && si.ssi_signo != SIGCHLD) kill(child, (int)si.ssi_signo);
    }
    if (w[0].revents) break;
  }
  while ((n = read(errp[0], &ce, sizeof ce)) < 0 && errno == EINTR) {}
  close(errp[0]);
  if (n == (ssize_t)sizeof ce) {
    int st;
    while (waitpid(child, &st, 0) < 0 && errno == EINTR) {}
    report_child_error(o, &ce);
    return ce.stage == ST_NOT_FOUND || (ce.stage == ST_EXEC && ce.err == ENOENT) ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC;
  }
  if (o->detach) detach_from_cx(child);
  if (status_fd >= 0) close(status_fd); /* the command runs: nothing more to report */
  status_fd = -1;
  fcntl(CTL_FD, F_SETFL, O_NONBLOCK);
  return supervise(child, master, sfd, rl, nrl);
}

/* ---- connect mode: a TCP connection made inside the container's network namespace ---- */

static int run_connect(const struct opts *o, struct target *t) {
  /* Nothing of this process (its memory, its fds) may be read through /proc by the container. */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  enter_namespaces(t, t->ns_flags & CLONE_NEWNET);
  /* The only fds kept: stdin, stdout, stderr (the target's handles and cx's pipes are closed). */
  if (syscall(SYS_close_range, 3, ~0U, 0) < 0)
    for (int fd = 3; fd < 65536; fd++) close(fd);
  status_fd = -1;
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) fail("connect", errno, "cannot create a socket in the container's network namespace");
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(o->port), .sin_addr = {.s_addr = htonl(INADDR_LOOPBACK)}};
  if (connect(s, (struct sockaddr *)&addr, sizeof addr) < 0) fail("connect", errno, "cannot connect to port %u inside the container", (unsigned)o->port);
  /* Relaying needs no privilege at all: drop every capability (the bounding set stays; no exec follows). */
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct none[2] = {{0, 0, 0}, {0, 0, 0}};
  if (syscall(SYS_capset, &hdr, none) < 0) fail("caps", errno, "cannot drop capabilities");
  signal(SIGPIPE, SIG_IGN);
  struct pollfd p[2] = {{.fd = 0, .events = POLLIN}, {.fd = s, .events = POLLIN}};
  char buf[65536];
  int in_open = 1, sock_open = 1;
  while (sock_open) {
    int n = poll(p, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("connect", errno, "poll");
    }
    if (in_open && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t r = read(0, buf, sizeof buf);
      if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (r <= 0) {
        in_open = 0;
        p[0].fd = -1;
        shutdown(s, SHUT_WR); /* stdin's EOF becomes the connection's */
      } else write_all(s, buf, (size_t)r);
    }
    if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t r = read(s, buf, sizeof buf);
      if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (r <= 0) sock_open = 0;
      else write_all(1, buf, (size_t)r);
    }
  }
  close(1);
  return 0;
}

static int has_cap(int cap) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  if (syscall(SYS_capget, &hdr, data) < 0) return 0;
  return (data[cap / 32].effective >> (cap % 32)) & 1;
}

int main(int argc, char **argv) {
  /* I1: before anything else, and so before any namespace is entered. */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  /*
   * A command that stops reading its input while cx still sends some must not kill the helper
   * (which holds its exit status): a write to a closed pipe is EPIPE here, handled where it happens.
   * The session child sets SIGPIPE back to default before exec.
   */
  signal(SIGPIPE, SIG_IGN);
  if (fcntl(STATUS_FD, F_GETFD) >= 0) status_fd = STATUS_FD;
  if (status_fd >= 0) fcntl(status_fd, F_SETFD, FD_CLOEXEC);
  if (fcntl(CTL_FD, F_GETFD) >= 0) fcntl(CTL_FD, F_SETFD, FD_CLOEXEC);
  if (fcntl(QUERY_FD, F_GETFD) >= 0) fcntl(QUERY_FD, F_SETFD, FD_CLOEXEC);
  /* If cx dies, the session gets a hangup (forwarded below), as when a terminal closes. */
  prctl(PR_SET_PDEATHSIG, SIGHUP, 0, 0, 0);
  struct opts o;
  parse_args(argc, argv, &o);
  if (!o.exec_mode && !o.connect_mode) o.argv = read_query_specs();
  if (!has_cap(CAP_SYS_ADMIN)) fail("perm", EPERM, "needs CAP_SYS_ADMIN (run cx as root)");
  if (o.exec_mode && (!has_cap(CAP_SYS_PTRACE) && o.seccomp)) fail("perm", EPERM, "needs CAP_SYS_PTRACE to copy the seccomp filter");
  struct target t = {-1, -1, 0};
  open_target(&o, &t);
  if (o.connect_mode) return run_connect(&o, &t);
  return o.exec_mode ? run_exec(&o, &t) : run_query(&o, &t);
}
