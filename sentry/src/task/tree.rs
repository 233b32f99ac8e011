//! The process tree: pids, parents and children, process groups and sessions,
//! and the zombies that parents wait for.
//!
//! One mutex guards the whole tree; `changed` is notified whenever a process
//! exits, so that `wait` can look again (a signal wakes the waiter directly).

use std::collections::BTreeMap;
use std::time::Duration;

use abi::Errno;
use parking_lot::Mutex;

use super::ExitStatus;
use crate::waiter::{Blocker, Queue};

/// Linux's default `kernel.pid_max` on 64-bit machines.
pub const PID_MAX: i32 = 4_194_304;
/// The sandbox's init: orphans are reparented to it.
pub const INIT_PID: i32 = 1;

/// How a process ended, kept until its parent waits for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exited {
    pub status: ExitStatus,
    /// Its real user ID (waitid's `si_uid`).
    pub uid: u32,
    /// CPU time the process used (its rusage).
    pub cpu: Duration,
}

struct Node {
    parent: i32,
    pgid: i32,
    sid: i32,
    /// Has called execve since it was forked (its parent may no longer move it
    /// to another process group).
    execed: bool,
    /// PR_SET_CHILD_SUBREAPER: orphaned descendants are reparented here.
    subreaper: bool,
    exited: Option<Exited>,
    /// A stop or continue the parent has not collected yet.
    job: Option<JobEvent>,
}

/// Job control's news for a parent (WUNTRACED, WCONTINUED).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobEvent {
    /// Stopped by this signal.
    Stopped(i32),
    Continued,
}

/// What `wait` found about a child.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitEvent {
    Exited(Exited),
    Job(JobEvent),
}

/// Which children `wait` looks at (wait4's `pid` argument).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitFor {
    Pid(i32),
    Group(i32),
    Any,
}

/// How `wait` looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitOptions {
    /// Report exited children (WEXITED; wait4 always does).
    pub exited: bool,
    /// Report stopped children (WUNTRACED, WSTOPPED).
    pub stopped: bool,
    /// Report continued children (WCONTINUED).
    pub continued: bool,
    /// Return at once when none is ready (WNOHANG).
    pub nohang: bool,
    /// Leave the child waitable (WNOWAIT).
    pub keep: bool,
}

impl WaitOptions {
    pub const BLOCK: WaitOptions = WaitOptions {
        exited: true,
        stopped: false,
        continued: false,
        nohang: false,
        keep: false,
    };
}

/// A child `wait` found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Waited {
    pub pid: i32,
    pub event: WaitEvent,
}

pub struct ProcessTree {
    inner: Mutex<Tree>,
    /// At most this many tasks (processes, zombies included, and threads):
    /// the container's pids limit, which the sandbox enforces itself since
    /// its host tasks are not the container's.
    limit: std::sync::atomic::AtomicUsize,
    changed: std::sync::Arc<Queue>,
}

struct Tree {
    last_pid: i32,
    nodes: BTreeMap<i32, Node>,
    /// Threads other than the first of their process: tid -> pid. They take
    /// numbers from the same space as processes.
    threads: BTreeMap<i32, i32>,
}

impl Default for ProcessTree {
    fn default() -> Self {
        let init = Node {
            parent: 0,
            pgid: INIT_PID,
            sid: INIT_PID,
            execed: true,
            subreaper: false,
            exited: None,
            job: None,
        };
        ProcessTree {
            inner: Mutex::new(Tree {
                last_pid: INIT_PID,
                nodes: BTreeMap::from([(INIT_PID, init)]),
                threads: BTreeMap::new(),
            }),
            changed: Default::default(),
            limit: std::sync::atomic::AtomicUsize::new(usize::MAX),
        }
    }
}

impl Tree {
    /// The next unused number for a process or thread (after the last one
    /// given, wrapping as Linux's pid allocation does); EAGAIN past `limit`
    /// tasks, as the pids cgroup refuses a fork.
    fn free_number(&mut self, limit: usize) -> Result<i32, Errno> {
        if self.nodes.len() + self.threads.len() >= limit {
            return Err(Errno::EAGAIN);
        }
        let mut pid = self.last_pid;
        for _ in 0..PID_MAX {
            pid = if pid >= PID_MAX - 1 { 2 } else { pid + 1 };
            let used = self.nodes.contains_key(&pid)
                || self.threads.contains_key(&pid)
                || self.nodes.values().any(|n| n.pgid == pid || n.sid == pid);
            if !used {
                self.last_pid = pid;
                return Ok(pid);
            }
        }
        Err(Errno::EAGAIN)
    }
}

impl Tree {
    /// Who adopts the orphans of a child of `ancestor`: the nearest living
    /// subreaper from `ancestor` up, or init.
    fn reaper_for(&self, mut ancestor: i32) -> i32 {
        while ancestor > 0 && ancestor != INIT_PID {
            let Some(n) = self.nodes.get(&ancestor) else {
                break;
            };
            if n.subreaper && n.exited.is_none() {
                return ancestor;
            }
            ancestor = n.parent;
        }
        INIT_PID
    }
}

impl ProcessTree {
    /// Gives a new child of `parent` a pid (in its parent's group and session).
    /// With `sibling` (CLONE_PARENT) the child gets `parent`'s parent instead.
    pub fn add_child(&self, parent: i32, sibling: bool) -> Result<i32, Errno> {
        let mut tree = self.inner.lock();
        let p = tree.nodes.get(&parent).ok_or(Errno::ESRCH)?;
        let (pgid, sid) = (p.pgid, p.sid);
        let real_parent = if sibling { p.parent } else { parent };
        let pid = tree.free_number(self.limit())?;
        tree.nodes.insert(
            pid,
            Node {
                parent: real_parent,
                pgid,
                sid,
                execed: false,
                subreaper: false,
                exited: None,
                job: None,
            },
        );
        Ok(pid)
    }

    /// Sets the most tasks the sandbox may have (the container's pids limit).
    pub fn set_limit(&self, tasks: usize) {
        self.limit
            .store(tasks, std::sync::atomic::Ordering::Relaxed);
    }

    fn limit(&self) -> usize {
        self.limit.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Gives a process with no parent (one `runsc exec` starts) a pid; it
    /// leads a new session and group of its own.
    pub fn add_session_leader(&self) -> Result<i32, Errno> {
        let mut tree = self.inner.lock();
        let pid = tree.free_number(self.limit())?;
        tree.nodes.insert(
            pid,
            Node {
                parent: 0,
                pgid: pid,
                sid: pid,
                execed: true,
                subreaper: false,
                exited: None,
                job: None,
            },
        );
        Ok(pid)
    }

    /// Gives a new thread of process `pid` its tid.
    pub fn add_thread(&self, pid: i32) -> Result<i32, Errno> {
        let mut tree = self.inner.lock();
        let tid = tree.free_number(self.limit())?;
        tree.threads.insert(tid, pid);
        Ok(tid)
    }

    /// The process thread `tid` belongs to (a pid is its own first thread).
    pub fn process_of(&self, tid: i32) -> Option<i32> {
        let tree = self.inner.lock();
        if tree.nodes.get(&tid).is_some_and(|n| n.exited.is_none()) {
            return Some(tid);
        }
        tree.threads.get(&tid).copied()
    }

    /// A thread (not the first of its process) is gone; its tid is free again.
    pub fn remove_thread(&self, tid: i32) {
        self.inner.lock().threads.remove(&tid);
    }

    /// Blocks until process `pid` has exited (the sandbox waiting for its init,
    /// which has no parent to reap it).
    pub fn wait_for_exit(&self, pid: i32) -> Option<Exited> {
        let b = crate::waiter::Uninterruptible::new();
        let _watch = self.changed.watch(!0, b.waker());
        loop {
            match self.inner.lock().nodes.get(&pid) {
                None => return None,
                Some(n) if n.exited.is_some() => return n.exited,
                Some(_) => {}
            }
            let _ = b.block(None);
        }
    }

    /// The queue notified at every exit (pidfds wait on it).
    pub fn changes(&self) -> std::sync::Arc<Queue> {
        self.changed.clone()
    }

    /// Whether `pid` names a process that exited and was not reaped yet.
    pub fn is_zombie(&self, pid: i32) -> bool {
        self.inner
            .lock()
            .nodes
            .get(&pid)
            .is_some_and(|n| n.exited.is_some())
    }

    /// Forgets a process that never ran (a fork that failed half-way).
    pub fn remove(&self, pid: i32) {
        self.inner.lock().nodes.remove(&pid);
    }

    pub fn exists(&self, pid: i32) -> bool {
        self.inner.lock().nodes.contains_key(&pid)
    }

    /// The parent of `pid` (0 for init or an unknown pid).
    pub fn parent(&self, pid: i32) -> i32 {
        self.inner.lock().nodes.get(&pid).map_or(0, |n| n.parent)
    }

    pub fn pgid(&self, pid: i32) -> Result<i32, Errno> {
        self.inner
            .lock()
            .nodes
            .get(&pid)
            .map(|n| n.pgid)
            .ok_or(Errno::ESRCH)
    }

    pub fn sid(&self, pid: i32) -> Result<i32, Errno> {
        self.inner
            .lock()
            .nodes
            .get(&pid)
            .map(|n| n.sid)
            .ok_or(Errno::ESRCH)
    }

    /// Live (not yet exited) members of process group `pgid`.
    pub fn group_members(&self, pgid: i32) -> Vec<i32> {
        let tree = self.inner.lock();
        tree.nodes
            .iter()
            .filter(|(_, n)| n.pgid == pgid && n.exited.is_none())
            .map(|(&pid, _)| pid)
            .collect()
    }

    /// Every live process.
    pub fn live_pids(&self) -> Vec<i32> {
        let tree = self.inner.lock();
        tree.nodes
            .iter()
            .filter(|(_, n)| n.exited.is_none())
            .map(|(&pid, _)| pid)
            .collect()
    }

    /// Zombies (exited, not yet reaped) whose real user was `uid`.
    pub fn zombies_of(&self, uid: u32) -> usize {
        let tree = self.inner.lock();
        tree.nodes
            .values()
            .filter(|n| n.exited.is_some_and(|e| e.uid == uid))
            .count()
    }

    /// PR_SET_CHILD_SUBREAPER.
    pub fn set_subreaper(&self, pid: i32, on: bool) {
        if let Some(n) = self.inner.lock().nodes.get_mut(&pid) {
            n.subreaper = on;
        }
    }

    /// PR_GET_CHILD_SUBREAPER.
    pub fn is_subreaper(&self, pid: i32) -> bool {
        self.inner
            .lock()
            .nodes
            .get(&pid)
            .is_some_and(|n| n.subreaper)
    }

    /// Records that `pid` ran execve.
    pub fn mark_execed(&self, pid: i32) {
        if let Some(n) = self.inner.lock().nodes.get_mut(&pid) {
            n.execed = true;
        }
    }

    /// setpgid(pid, pgid) called by `caller`, with Linux's rules: a process may move
    /// itself or a child that has not exec'd, within its session, to an existing
    /// group of that session or to a new group named after itself.
    pub fn setpgid(&self, caller: i32, pid: i32, pgid: i32) -> Result<(), Errno> {
        if pgid < 0 || pid < 0 {
            return Err(Errno::EINVAL);
        }
        let mut tree = self.inner.lock();
        let pid = if pid == 0 { caller } else { pid };
        let pgid = if pgid == 0 { pid } else { pgid };
        let caller_sid = tree.nodes.get(&caller).ok_or(Errno::ESRCH)?.sid;
        let target = tree.nodes.get(&pid).ok_or(Errno::ESRCH)?;
        if pid != caller {
            if target.parent != caller || target.exited.is_some() {
                return Err(Errno::ESRCH);
            }
            if target.sid != caller_sid {
                return Err(Errno::EPERM);
            }
            if target.execed {
                return Err(Errno::EACCES);
            }
        }
        if target.sid == pid {
            // A session leader stays in its group.
            return Err(Errno::EPERM);
        }
        if pgid != pid
            && !tree
                .nodes
                .values()
                .any(|n| n.pgid == pgid && n.sid == caller_sid && n.exited.is_none())
        {
            return Err(Errno::EPERM);
        }
        tree.nodes.get_mut(&pid).expect("looked up above").pgid = pgid;
        Ok(())
    }

    /// setsid: `pid` leads a new session and group, unless it leads a group already.
    pub fn setsid(&self, pid: i32) -> Result<i32, Errno> {
        let mut tree = self.inner.lock();
        if tree
            .nodes
            .iter()
            .any(|(&other, n)| n.pgid == pid && (other == pid || n.exited.is_none()))
        {
            return Err(Errno::EPERM);
        }
        let n = tree.nodes.get_mut(&pid).ok_or(Errno::ESRCH)?;
        n.pgid = pid;
        n.sid = pid;
        Ok(pid)
    }

    /// `pid` has exited: it becomes a zombie for its parent to wait for (or is
    /// forgotten at once when `autoreap`, the parent ignoring SIGCHLD), and its
    /// children are reparented to the nearest living subreaper ancestor, or to
    /// init. `notify(parent)` runs before any waiter wakes, so that SIGCHLD is
    /// pending by the time wait returns, as on Linux. Returns the live children
    /// that were reparented (their parent-death signals are due).
    pub fn exit(
        &self,
        pid: i32,
        exited: Exited,
        autoreap: impl FnOnce(i32) -> bool,
        notify: impl FnOnce(i32),
    ) -> Vec<i32> {
        let mut tree = self.inner.lock();
        let Some(node) = tree.nodes.get_mut(&pid) else {
            return Vec::new();
        };
        node.exited = Some(exited);
        let parent = node.parent;
        if autoreap(parent) {
            tree.nodes.remove(&pid);
        }
        let adopter = if pid == INIT_PID {
            0
        } else {
            tree.reaper_for(parent)
        };
        let mut orphans = Vec::new();
        for (&child, n) in tree.nodes.iter_mut() {
            if n.parent == pid {
                n.parent = adopter;
                if n.exited.is_none() {
                    orphans.push(child);
                }
            }
        }
        if parent > 0 {
            notify(parent);
        }
        drop(tree);
        self.changed.notify(crate::waiter::events::POLLIN);
        orphans
    }

    /// Records that `pid` stopped or continued, for its parent's wait; returns
    /// the parent (0 for none).
    pub fn job_event(&self, pid: i32, event: JobEvent) -> i32 {
        let parent = {
            let mut tree = self.inner.lock();
            let Some(n) = tree.nodes.get_mut(&pid) else {
                return 0;
            };
            n.job = Some(event);
            n.parent
        };
        self.changed.notify(crate::waiter::events::POLLIN);
        parent
    }

    /// wait4/waitid for `waiter`: the first exited child matching `which`, reaped
    /// unless `opts.keep` (WNOWAIT). `Ok(None)` when children match but none
    /// exited and `opts.nohang`; `ECHILD` when none match; `EINTR` when the
    /// blocker gives up.
    pub fn wait(
        &self,
        waiter: i32,
        which: WaitFor,
        opts: WaitOptions,
        b: &dyn Blocker,
    ) -> Result<Option<Waited>, Errno> {
        let _watch = self.changed.watch(!0, b.waker());
        loop {
            let mut tree = self.inner.lock();
            let mut matched = false;
            let mut found = None;
            for (&pid, n) in tree.nodes.iter() {
                let wanted = n.parent == waiter
                    && match which {
                        WaitFor::Pid(p) => p == pid,
                        WaitFor::Group(g) => n.pgid == g,
                        WaitFor::Any => true,
                    };
                if !wanted {
                    continue;
                }
                matched = true;
                let event = match (n.exited, n.job) {
                    (Some(e), _) if opts.exited => Some(WaitEvent::Exited(e)),
                    (None, Some(j @ JobEvent::Stopped(_))) if opts.stopped => {
                        Some(WaitEvent::Job(j))
                    }
                    (None, Some(JobEvent::Continued)) if opts.continued => {
                        Some(WaitEvent::Job(JobEvent::Continued))
                    }
                    _ => None,
                };
                if let Some(event) = event {
                    found = Some(Waited { pid, event });
                    break;
                }
            }
            if let Some(w) = found {
                if !opts.keep {
                    match w.event {
                        WaitEvent::Exited(_) => {
                            tree.nodes.remove(&w.pid);
                        }
                        WaitEvent::Job(_) => {
                            if let Some(n) = tree.nodes.get_mut(&w.pid) {
                                n.job = None;
                            }
                        }
                    }
                }
                return Ok(Some(w));
            }
            if !matched {
                return Err(Errno::ECHILD);
            }
            if opts.nohang {
                return Ok(None);
            }
            drop(tree);
            b.block(None)?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A blocker that gives up at once, as a task with a signal pending.
    struct Interrupted(std::sync::Arc<crate::waiter::Waker>);
    impl Blocker for Interrupted {
        fn waker(&self) -> std::sync::Arc<crate::waiter::Waker> {
            self.0.clone()
        }
        fn block(&self, _: Option<std::time::Instant>) -> Result<(), Errno> {
            Err(Errno::EINTR)
        }
    }

    fn exited(code: i32) -> Exited {
        Exited {
            status: ExitStatus::Exited(code),
            uid: 0,
            cpu: Duration::ZERO,
        }
    }

    #[test]
    fn zombies_are_reaped_once_and_orphans_go_to_init() {
        let t = ProcessTree::default();
        let a = t.add_child(INIT_PID, false).unwrap();
        let b = t.add_child(a, false).unwrap();
        assert_eq!(t.parent(b), a);
        let nohang = WaitOptions {
            nohang: true,
            ..WaitOptions::BLOCK
        };
        let keep = WaitOptions {
            keep: true,
            ..WaitOptions::BLOCK
        };
        assert_eq!(
            t.wait(
                a,
                WaitFor::Any,
                nohang,
                &crate::waiter::Uninterruptible::new()
            ),
            Ok(None)
        );
        let mut notified = 0;
        t.exit(a, exited(3), |_| false, |p| notified = p);
        assert_eq!(notified, INIT_PID);
        assert_eq!(t.parent(b), INIT_PID, "orphan adopted by init");
        let w = t.wait(
            INIT_PID,
            WaitFor::Pid(a),
            keep,
            &crate::waiter::Uninterruptible::new(),
        );
        assert_eq!(
            w,
            Ok(Some(Waited {
                pid: a,
                event: WaitEvent::Exited(exited(3))
            }))
        );
        let w = t.wait(
            INIT_PID,
            WaitFor::Pid(a),
            WaitOptions::BLOCK,
            &crate::waiter::Uninterruptible::new(),
        );
        assert_eq!(w.unwrap().unwrap().pid, a, "WNOWAIT left it waitable");
        assert_eq!(
            t.wait(
                INIT_PID,
                WaitFor::Pid(a),
                nohang,
                &crate::waiter::Uninterruptible::new()
            ),
            Err(Errno::ECHILD)
        );
        assert_eq!(
            t.wait(
                INIT_PID,
                WaitFor::Any,
                WaitOptions::BLOCK,
                &Interrupted(crate::waiter::Waker::new())
            ),
            Err(Errno::EINTR)
        );
    }

    #[test]
    fn orphans_go_to_the_nearest_subreaper() {
        let t = ProcessTree::default();
        let a = t.add_child(INIT_PID, false).unwrap();
        let b = t.add_child(a, false).unwrap();
        let c = t.add_child(b, false).unwrap();
        t.set_subreaper(a, true);
        assert!(t.is_subreaper(a));
        assert_eq!(t.exit(b, exited(0), |_| false, |_| {}), vec![c]);
        assert_eq!(t.parent(c), a);
        assert_eq!(t.zombies_of(0), 1);
    }

    #[test]
    fn groups_and_sessions() {
        let t = ProcessTree::default();
        let a = t.add_child(INIT_PID, false).unwrap();
        let b = t.add_child(INIT_PID, false).unwrap();
        assert_eq!(t.pgid(a), Ok(INIT_PID));
        t.setpgid(INIT_PID, a, 0).unwrap();
        assert_eq!(t.pgid(a), Ok(a));
        t.setpgid(INIT_PID, b, a).unwrap();
        assert_eq!(t.group_members(a), vec![a, b]);
        assert_eq!(t.setsid(a), Err(Errno::EPERM), "a group leader");
        let c = t.add_child(b, false).unwrap();
        assert_eq!(t.setsid(c), Ok(c));
        assert_eq!(t.sid(c), Ok(c));
        assert_eq!(t.setpgid(b, c, 0), Err(Errno::EPERM), "another session");
        assert_eq!(t.setpgid(a, c, 0), Err(Errno::ESRCH), "not a child");
        t.mark_execed(b);
        assert_eq!(t.setpgid(INIT_PID, b, 0), Err(Errno::EACCES));
    }
}
