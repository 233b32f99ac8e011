//! The sandbox side of the control socket (`runsc boot --control-fd`): starts
//! the container's process when told, signals processes, starts `exec`
//! processes and reports their exits, lists processes.

use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::Arc;
use std::sync::mpsc::Sender;

use abi::types::SigInfo;
use parking_lot::Mutex;
use sentry::kernel::Kernel;
use sentry::task::{Limits, StdioFd, Task, tree};

use super::wire;
use super::{ProcessEntry, Request, Response, Target};
use crate::boot_spec::ProcessConfig;

pub struct Server {
    pub kernel: Arc<Kernel>,
    /// Exec'd processes without HOME get their passwd home (as runc).
    pub default_home: bool,
    /// Taken by the first `Start`; the init task thread waits on it.
    pub start: Mutex<Option<Sender<()>>>,
    /// What the sandbox does when a signal kills the container before it
    /// started: record the status and end.
    pub exit: fn(i32) -> !,
    /// Set when a request ended the container: the sandbox exits with this
    /// status once it has answered.
    pub ending: Mutex<Option<i32>>,
}

/// Signals whose default action ends a process (all but the ignored and the
/// job-control ones), for a container killed before it started.
fn kills_by_default(signo: i32) -> bool {
    use libc::{SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG, SIGWINCH};
    !matches!(
        signo,
        SIGCHLD | SIGCONT | SIGURG | SIGWINCH | SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU
    )
}

impl Server {
    /// Serves connections on `listener` on threads of their own, for the
    /// sandbox's whole life.
    pub fn spawn(self: Arc<Self>, listener: OwnedFd) -> anyhow::Result<()> {
        std::thread::Builder::new()
            .name("control".into())
            .spawn(move || {
                loop {
                    match nix::sys::socket::accept4(
                        listener.as_raw_fd(),
                        nix::sys::socket::SockFlag::SOCK_CLOEXEC,
                    ) {
                        Ok(fd) => {
                            // SAFETY: accept4 returned a new descriptor this
                            // process owns alone.
                            let conn =
                                unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) };
                            let me = self.clone();
                            let _ = std::thread::Builder::new()
                                .name("control-conn".into())
                                .spawn(move || me.serve(conn));
                        }
                        Err(nix::errno::Errno::EINTR) => {}
                        Err(e) => {
                            tracing::error!("control socket: accept: {e}");
                            return;
                        }
                    }
                }
            })?;
        Ok(())
    }

    fn serve(&self, conn: OwnedFd) {
        loop {
            let (req, fds) = match wire::recv::<Request>(&conn) {
                Ok(Some(m)) => m,
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!("control socket: {e:#}");
                    return;
                }
            };
            tracing::debug!(?req, "control request");
            let resp = self.handle(req, fds);
            let sent = wire::send(&conn, &resp, &[]);
            if let Some(code) = *self.ending.lock() {
                (self.exit)(code);
            }
            if let Err(e) = sent {
                tracing::debug!("control socket: answering: {e:#}");
                return;
            }
        }
    }

    fn handle(&self, req: Request, fds: Vec<OwnedFd>) -> Response {
        match req {
            Request::Start => match self.start.lock().take() {
                Some(tx) if tx.send(()).is_ok() => Response::Ok,
                _ => Response::Error("the container was already started".into()),
            },
            Request::Signal { target, signo } => self.signal(target, signo),
            Request::Exec(p) => self.exec(p, fds),
            Request::Wait { pid } => match self.kernel.tree.wait_for_exit(pid) {
                Some(exited) => {
                    self.kernel.tree.remove(pid);
                    Response::Exited {
                        status: exited.status.shell_code(),
                    }
                }
                None => Response::Error(format!("no process {pid} in the sandbox")),
            },
            Request::Ps => Response::Processes(self.processes()),
            Request::SetPidsLimit { limit } => {
                let tasks = limit.map_or(usize::MAX, |n| n as usize);
                self.kernel.tree.set_limit(tasks);
                Response::Ok
            }
            Request::SetMemoryLimit { limit } => {
                self.kernel.memfile.set_container_limit(limit);
                Response::Ok
            }
            Request::OomKills => Response::Count(
                self.kernel
                    .oom_kills
                    .load(std::sync::atomic::Ordering::Relaxed),
            ),
        }
    }

    fn signal(&self, target: Target, signo: i32) -> Response {
        let started = self.start.lock().is_none();
        if !started {
            // Nothing runs yet: a fatal signal ends the container as it would
            // have ended its process; others have no one to reach.
            if matches!(
                target,
                Target::Init | Target::All | Target::Pid(tree::INIT_PID)
            ) && kills_by_default(signo)
            {
                tracing::info!(signo, "container killed before it started");
                *self.ending.lock() = Some(128 + signo);
            }
            return Response::Ok;
        }
        let info = SigInfo::new(signo, abi::signal::SI_USER).with_sender(0, 0);
        let pids = match target {
            Target::Init => vec![tree::INIT_PID],
            Target::Pid(p) => vec![p],
            Target::Terminal(p) => self.foreground_of(p),
            Target::All => self.kernel.tree.live_pids(),
        };
        let mut reached = false;
        for pid in pids {
            reached |= sentry::task::signal_process(&self.kernel, pid, signo, info).is_ok()
                && !self.kernel.tree.is_zombie(pid);
        }
        if reached {
            Response::Ok
        } else {
            Response::Error("container not running".into())
        }
    }

    /// The foreground group of `pid`'s controlling terminal, or `pid` alone.
    fn foreground_of(&self, pid: i32) -> Vec<i32> {
        let pgrp = self
            .kernel
            .process(pid)
            .and_then(|p| p.ctty.lock().clone())
            .and_then(|t| t.job().get().pgrp);
        match pgrp.map(|g| self.kernel.tree.group_members(g)) {
            Some(members) if !members.is_empty() => members,
            _ => vec![pid],
        }
    }

    fn exec(&self, p: ProcessConfig, fds: Vec<OwnedFd>) -> Response {
        let Ok::<[OwnedFd; 3], _>(stdio) = fds.try_into() else {
            return Response::Error("exec needs stdin, stdout and stderr".into());
        };
        let limits = self
            .kernel
            .process(tree::INIT_PID)
            .map(|init| init.limits.lock().clone())
            .unwrap_or_else(Limits::from_host);
        let spec = crate::commands::boot::process_spec(
            &self.kernel,
            &p,
            self.default_home,
            limits,
            stdio.map(StdioFd::Owned),
        );
        let pid = match self.kernel.tree.add_session_leader() {
            Ok(pid) => pid,
            Err(e) => return Response::Error(format!("no pid for a new process: {e}")),
        };
        // The thread that creates a task's stub must run it.
        let (tx, rx) = std::sync::mpsc::channel();
        let kernel = self.kernel.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("task-{pid}"))
            .spawn(move || match Task::new_process(kernel.clone(), spec, pid) {
                Ok(task) => {
                    let _ = tx.send(Ok(()));
                    task.run_until_gone();
                }
                Err(e) => {
                    kernel.tree.remove(pid);
                    let _ = tx.send(Err(e));
                }
            });
        if let Err(e) = spawned {
            self.kernel.tree.remove(pid);
            return Response::Error(format!("no thread for a new process: {e}"));
        }
        match rx.recv() {
            Ok(Ok(())) => Response::Started { pid },
            Ok(Err(e)) => Response::Error(crate::commands::boot::start_error_message(&e)),
            Err(_) => Response::Error("the new process's thread panicked".into()),
        }
    }

    fn processes(&self) -> Vec<ProcessEntry> {
        let k = &self.kernel;
        let base = k.started;
        k.tree
            .live_pids()
            .into_iter()
            .filter_map(|pid| {
                let p = k.process(pid)?;
                let comm = *p.comm.lock();
                let len = comm.iter().position(|&b| b == 0).unwrap_or(comm.len());
                Some(ProcessEntry {
                    pid,
                    ppid: k.tree.parent(pid),
                    uid: p.creds.lock().uid,
                    started: p.started.saturating_duration_since(base).as_secs_f64(),
                    cmd: String::from_utf8_lossy(&comm[..len]).into_owned(),
                })
            })
            .collect()
    }
}
