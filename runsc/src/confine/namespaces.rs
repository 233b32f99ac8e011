//! Starting `runsc boot` in namespaces of its own: a new user namespace where
//! the host allows it (`userns.rs`), new mount, PID, IPC and UTS namespaces,
//! and the network namespace the OCI spec asks for.
//!
//! Rust's `Command` cannot pass clone flags, and `unshare(CLONE_NEWPID)` only
//! moves the caller's *children*. So the forked child of `Command::spawn`
//! (before exec, in `pre_exec`) joins the container's cgroup and network
//! namespace, creates the PID namespace and forks once more: the grandchild
//! creates the other namespaces (owned by its new user namespace, if any) and
//! execs `runsc boot` as pid 1 of the new PID namespace, and the child stays
//! outside as a *keeper*: it writes the sandbox's uid and gid maps (which only
//! a process outside the user namespace may do; the sandbox waits for them on
//! a socket), then only waits for the sandbox and exits with its status
//! (re-raising a fatal signal). The `Child` the caller gets is
//! the keeper: waiting for it waits for the sandbox, a signal a process sends
//! it goes on to the sandbox (which forwards it to the container), and
//! SIGKILL kills the sandbox too (its parent-death signal is SIGKILL). When the sandbox,
//! pid 1, dies, the kernel kills every process of its PID namespace: every stub.
//!
//! Everything between fork and exec is raw, async-signal-safe system calls on
//! memory prepared before the fork.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicI32, Ordering};

use serde::{Deserialize, Serialize};

use super::keeper_filter::KeeperFilter;
use super::userns;

/// Which network namespace the sandbox runs in (runc's rules for the OCI spec's
/// `linux.namespaces` entry of type `network`).
#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
pub enum NetworkNamespace {
    /// The spec has no network namespace entry: the caller's (the host's).
    #[default]
    Host,
    /// An entry without a path: a new, empty namespace.
    New,
    /// An entry with a path: join that namespace (`setns`).
    Join(PathBuf),
}

/// The namespaces `runsc boot` starts in. Mount, PID, IPC and UTS namespaces
/// are always new; the network namespace is chosen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NamespacePlan {
    pub network: NetworkNamespace,
    /// A new user namespace whose root is host `nobody`, if the host allows
    /// it (`userns.rs`); without one, boot runs as host root.
    pub user: bool,
    /// `cgroup.procs` files the keeper joins before it forks the sandbox, so
    /// that everything the sandbox makes is in the container's cgroup.
    pub join_cgroup: Vec<RawFd>,
    /// The keeper, and with it the sandbox, dies (SIGKILL) when the process
    /// that spawned it does: for `do` and a foreground `run`, whose caller
    /// waits for the sandbox, so that killing the caller never leaves a
    /// sandbox running. A detached sandbox outlives its creator.
    pub die_with_caller: bool,
}

impl NamespacePlan {
    /// The `unshare` flags of the sandbox's own namespaces (the PID namespace
    /// is the keeper's to make: its child is pid 1).
    fn sandbox_flags(&self) -> libc::c_int {
        let mut flags = libc::CLONE_NEWNS | libc::CLONE_NEWIPC | libc::CLONE_NEWUTS;
        if self.network == NetworkNamespace::New {
            flags |= libc::CLONE_NEWNET;
        }
        flags
    }
}

/// What the forked processes need, all prepared before the fork.
struct Setup {
    netns: Option<i32>,
    flags: libc::c_int,
    cgroups: Vec<RawFd>,
    userns: Option<userns::ChildView>,
    /// What the keeper confines itself with once the sandbox is set up.
    keeper_filter: KeeperFilter,
    /// The caller's pid when the keeper must die with it (`die_with_caller`).
    die_with: Option<libc::pid_t>,
}

/// Spawns `cmd` (a `runsc boot` command line) as pid 1 of new namespaces per
/// `plan`. The returned child is the keeper described in the module comment:
/// its exit status is the sandbox's.
pub fn spawn_boot(mut cmd: Command, plan: &NamespacePlan) -> io::Result<Child> {
    // Opened before the fork (close-on-exec): pre_exec may not allocate or
    // touch paths.
    let netns: Option<OwnedFd> = match &plan.network {
        NetworkNamespace::Join(path) => Some(
            std::fs::File::open(path)
                .map_err(|e| {
                    io::Error::new(
                        e.kind(),
                        format!("network namespace {}: {e}", path.display()),
                    )
                })?
                .into(),
        ),
        _ => None,
    };
    let user = if plan.user {
        userns::prepare(cmd.get_program())
    } else {
        tracing::debug!("the sandbox runs without a user namespace (--userns=false)");
        None
    };
    let keeper_filter = KeeperFilter::build().map_err(|e| io::Error::other(format!("{e:#}")))?;
    let mut setup = Setup {
        netns: netns.as_ref().map(|fd| fd.as_raw_fd()),
        flags: plan.sandbox_flags(),
        cgroups: plan.join_cgroup.clone(),
        userns: user.as_ref().map(userns::Prepared::child_view),
        keeper_filter,
        die_with: plan
            .die_with_caller
            .then(|| std::process::id() as libc::pid_t),
    };
    // SAFETY: the closure makes only async-signal-safe raw system calls (see
    // `enter_namespaces`) on memory prepared here.
    unsafe {
        cmd.pre_exec(move || enter_namespaces(&mut setup));
    }
    let child = cmd.spawn();
    drop(netns);
    if let Some(user) = user {
        user.finish();
    }
    child
}

/// Bytes on the keeper's socket: the sandbox asks for its maps, or says it
/// needs none.
const WANT_MAPS: u8 = b'U';
const NO_MAPS: u8 = b'N';

/// In the forked child: join the cgroup, join/create the namespaces, fork the
/// sandbox, and become its keeper. Returns only in the sandbox (which then
/// execs).
fn enter_namespaces(setup: &mut Setup) -> io::Result<()> {
    if let Some(caller) = setup.die_with {
        // SAFETY: prctl and getppid take no pointers.
        unsafe {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            // The caller died before the death signal was armed.
            if libc::getppid() != caller {
                libc::_exit(1);
            }
        }
    }
    for &fd in &setup.cgroups {
        // "0": the writer. Still host root here, and before the fork, so the
        // sandbox and all it makes start inside.
        // SAFETY: write from a static buffer to an inherited descriptor.
        if unsafe { libc::write(fd, b"0".as_ptr().cast(), 1) } != 1 {
            return Err(io::Error::last_os_error());
        }
    }
    if let Some(fd) = setup.netns {
        // SAFETY: setns on a descriptor we opened; no memory is passed.
        if unsafe { libc::setns(fd, libc::CLONE_NEWNET) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    // SAFETY: unshare takes no pointers.
    if unsafe { libc::unshare(libc::CLONE_NEWPID) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let mut alive = [0; 2];
    // SAFETY: pipe2 writes two descriptors into the array.
    if unsafe { libc::pipe2(alive.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let mut sync = [0; 2];
    // SAFETY: socketpair writes two descriptors into the array.
    if unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_CLOEXEC,
            0,
            sync.as_mut_ptr(),
        )
    } != 0
    {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fork in a single-threaded process (the forked child of spawn);
    // both sides go on with async-signal-safe calls only.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid > 0 {
        // SAFETY: the keeper only writes the maps, closes descriptors, waits
        // and exits.
        unsafe {
            // The sandbox's end: so that the sandbox's death reads as EOF.
            libc::close(sync[1]);
            keep(pid, alive[0], alive[1], sync[0], &mut setup.keeper_filter)
        }
    }
    // SAFETY: closing descriptors of our own.
    unsafe {
        libc::close(alive[1]);
        libc::close(sync[0]);
    }
    let user = match &setup.userns {
        // SAFETY: this is the single-threaded forked sandbox.
        Some(view) => unsafe { userns::enter(view, setup.flags) },
        None => false,
    };
    // SAFETY: unshare takes no pointers.
    if !user && unsafe { libc::unshare(setup.flags) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // The keeper writes the maps (or nothing) and answers with an errno (0:
    // done).
    let ask = [if user { WANT_MAPS } else { NO_MAPS }];
    let mut answer = [0u8; 1];
    // SAFETY: one-byte reads and writes on our end of the socket, from and to
    // the stack.
    unsafe {
        if libc::write(sync[1], ask.as_ptr().cast(), 1) != 1 {
            return Err(io::Error::last_os_error());
        }
        if read_retrying(sync[1], &mut answer) != 1 {
            return Err(io::Error::from_raw_os_error(libc::ECHILD));
        }
        libc::close(sync[1]);
    }
    if answer[0] != 0 {
        return Err(io::Error::from_raw_os_error(answer[0] as i32));
    }
    if user {
        // SAFETY: this is the single-threaded forked sandbox.
        unsafe { userns::become_root()? };
    }
    // The sandbox: die with the keeper (armed after the credential change,
    // which clears it). If the keeper is already gone (its end of `alive`
    // closed before the death signal was armed), give up now.
    // SAFETY: prctl, close and poll on our own descriptors; no allocation.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        let mut p = libc::pollfd {
            fd: alive[0],
            events: 0,
            revents: 0,
        };
        if libc::poll(&mut p, 1, 0) > 0 && p.revents & libc::POLLHUP != 0 {
            libc::_exit(1);
        }
        libc::close(alive[0]);
    }
    Ok(())
}

/// read(2) of one buffer, again after EINTR.
///
/// # Safety
/// Only raw calls; `fd` is ours.
unsafe fn read_retrying(fd: i32, buf: &mut [u8]) -> isize {
    loop {
        // SAFETY: reads into a live buffer of buf.len() bytes.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        // SAFETY: reading this thread's errno.
        if n >= 0 || unsafe { *libc::__errno_location() } != libc::EINTR {
            return n;
        }
    }
}

/// The keeper's side of the sandbox's setup: write its maps if it asks.
///
/// # Safety
/// Only in the single-threaded forked keeper.
unsafe fn answer_sandbox(sandbox: libc::pid_t, sync: i32) {
    let mut ask = [0u8; 1];
    // SAFETY: raw calls on our end of the socket with stack buffers; the
    // maps are written with raw calls too.
    unsafe {
        if read_retrying(sync, &mut ask) != 1 {
            // The sandbox died before asking; waitpid will tell.
            return;
        }
        let errno = match ask[0] {
            WANT_MAPS => userns::write_maps(sandbox).err().unwrap_or(0),
            _ => 0,
        };
        let answer = [errno.clamp(0, 255) as u8];
        libc::write(sync, answer.as_ptr().cast(), 1);
    }
}

/// The keeper's whole life: answer the sandbox's setup (`answer_sandbox`),
/// hold the write end of `alive` (closed when it dies), drop every other
/// descriptor (spawn's error pipe among them, so that `spawn` returns once
/// the sandbox execs), confine itself (`keeper_filter.rs`), wait for the
/// sandbox and end as it ended.
///
/// # Safety
/// Only in the single-threaded forked child.
unsafe fn keep(
    sandbox: libc::pid_t,
    alive_read: i32,
    alive_write: i32,
    sync: i32,
    filter: &mut KeeperFilter,
) -> ! {
    // SAFETY: raw calls on our own process with stack memory only.
    unsafe {
        forward_signals_to(sandbox);
        answer_sandbox(sandbox, sync);
        libc::close(alive_read);
        if alive_write > 0 {
            libc::syscall(libc::SYS_close_range, 0, alive_write - 1, 0);
        }
        libc::syscall(libc::SYS_close_range, alive_write + 1, u32::MAX, 0);
        if !filter.arm(sandbox) {
            // Not confined: take the sandbox down rather than keep it.
            libc::kill(sandbox, libc::SIGKILL);
            libc::_exit(125);
        }
        let mut status = 0;
        loop {
            let r = libc::waitpid(sandbox, &mut status, 0);
            if r == sandbox {
                break;
            }
            if r < 0 && *libc::__errno_location() != libc::EINTR {
                libc::_exit(125);
            }
        }
        if libc::WIFSIGNALED(status) {
            let sig = libc::WTERMSIG(status);
            // No core file of the keeper for the sandbox's crash.
            let no_core = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::setrlimit(libc::RLIMIT_CORE, &no_core);
            libc::signal(sig, libc::SIG_DFL);
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, sig);
            libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
            libc::kill(libc::getpid(), sig);
            libc::_exit(128 + sig);
        }
        libc::_exit(libc::WEXITSTATUS(status))
    }
}

/// The sandbox the keeper passes signals on to.
static SANDBOX: AtomicI32 = AtomicI32::new(0);

/// Signals the keeper passes on: every catchable one but SIGCHLD (its own
/// child's news) and those a fault raises (a handler returning from one
/// would fault again).
fn forwarded(sig: i32) -> bool {
    !matches!(
        sig,
        libc::SIGKILL
            | libc::SIGSTOP
            | libc::SIGCHLD
            | libc::SIGSEGV
            | libc::SIGBUS
            | libc::SIGILL
            | libc::SIGFPE
            | libc::SIGTRAP
            | libc::SIGSYS
    )
}

/// Passes a signal a process sent to the keeper on to the sandbox. Signals
/// the kernel sends (a terminal's ^C to the foreground process group, a
/// hang-up) reach the sandbox directly, in the same group: not twice.
extern "C" fn pass_on(sig: i32, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel hands the handler a valid siginfo; kill is
    // async-signal-safe.
    unsafe {
        if (*info).si_code <= 0 {
            libc::kill(SANDBOX.load(Ordering::Relaxed), sig);
        }
    }
}

/// Installs `pass_on` for every forwarded signal (standard and real-time).
///
/// # Safety
/// Only in the single-threaded keeper.
unsafe fn forward_signals_to(sandbox: libc::pid_t) {
    SANDBOX.store(sandbox, Ordering::Relaxed);
    // SAFETY: sigaction with an action on our stack; the handler is
    // async-signal-safe.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = pass_on as *const () as usize;
        action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
        libc::sigfillset(&mut action.sa_mask);
        for sig in 1..=libc::SIGRTMAX() {
            if forwarded(sig) {
                libc::sigaction(sig, &action, std::ptr::null_mut());
            }
        }
    }
}

/// The network namespace for the OCI spec's `linux.namespaces`.
pub fn network_from_spec(spec: &oci_spec::runtime::Spec) -> NetworkNamespace {
    let entry = spec
        .linux()
        .as_ref()
        .and_then(|l| l.namespaces().as_ref())
        .and_then(|nss| {
            nss.iter()
                .find(|ns| ns.typ() == oci_spec::runtime::LinuxNamespaceType::Network)
        });
    match entry {
        None => NetworkNamespace::Host,
        Some(ns) => match ns.path() {
            Some(p) if !p.as_os_str().is_empty() => NetworkNamespace::Join(p.clone()),
            _ => NetworkNamespace::New,
        },
    }
}
