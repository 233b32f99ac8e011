//! /proc/PID: one directory per process.

use std::sync::{Arc, Weak};

use abi::Errno;

use super::node::{ProcNode, Reopen};
use crate::fs::OpenFile;
use crate::kernel::Kernel;
use crate::task::ProcessInfo;
use crate::vfs::inode::MagicTarget;
use crate::vfs::{Inode, VfsPath};

/// Clock ticks per second of /proc times (USER_HZ).
const HZ: u64 = 100;

fn alive(p: &Weak<ProcessInfo>) -> Result<Arc<ProcessInfo>, Errno> {
    p.upgrade().ok_or(Errno::ESRCH)
}

/// Generated file of process `p`.
fn pfile(p: &Weak<ProcessInfo>, f: fn(&ProcessInfo) -> Result<Vec<u8>, Errno>) -> Arc<dyn Inode> {
    let p = p.clone();
    ProcNode::file(move || f(&*alive(&p)?))
}

fn plink(p: &Weak<ProcessInfo>, f: fn(&ProcessInfo) -> Result<Vec<u8>, Errno>) -> Arc<dyn Inode> {
    let p = p.clone();
    ProcNode::link(move || f(&*alive(&p)?))
}

/// The NUL-separated strings between `start` and `end` of the process's memory.
fn memory_range(p: &ProcessInfo, start: u64, end: u64) -> Result<Vec<u8>, Errno> {
    let mut buf = vec![0u8; end.saturating_sub(start) as usize];
    p.mm().copy_in(start, &mut buf)?;
    Ok(buf)
}

/// What /proc/PID/fd/N reads as.
pub fn fd_target(file: &OpenFile) -> Vec<u8> {
    // A file reopened through an fd link of a pathless file is that file again.
    let reopened = file
        .path
        .as_ref()
        .is_some_and(|p| p.inode().as_any().is::<Reopen>());
    if let Some(path) = file.path.as_ref().filter(|_| !reopened) {
        let mut text = path.to_bytes();
        if path.is_unlinked() {
            text.extend_from_slice(b" (deleted)");
        }
        return text;
    }
    if let Some(name) = file.ops.anon_name() {
        return format!("anon_inode:{name}").into_bytes();
    }
    let st = file.ops.stat().unwrap_or_default();
    match st.mode & libc::S_IFMT {
        libc::S_IFIFO => format!("pipe:[{}]", st.ino).into_bytes(),
        libc::S_IFSOCK => format!("socket:[{}]", st.ino).into_bytes(),
        _ => format!("host:[{}]", st.ino).into_bytes(),
    }
}

/// A magic link to a directory of the process (cwd, root).
fn magic_dir(p: &Weak<ProcessInfo>, dir: fn(&ProcessInfo) -> VfsPath) -> Arc<dyn Inode> {
    let (p1, p2) = (p.clone(), p.clone());
    ProcNode::magic_link(
        move || Ok(dir(&*alive(&p1)?).to_bytes()),
        move || Some(MagicTarget::Path(dir(&*p2.upgrade()?))),
    )
}

fn fd_dir(p: &Weak<ProcessInfo>) -> Arc<dyn Inode> {
    let p = p.clone();
    ProcNode::numbered_dir(move || {
        let Some(proc_) = p.upgrade() else {
            return Vec::new();
        };
        proc_
            .fds
            .entries()
            .into_iter()
            .map(|(fd, file)| {
                let leads = match &file.path {
                    Some(path) if !path.inode().as_any().is::<Reopen>() => {
                        MagicTarget::Path(path.clone())
                    }
                    _ => MagicTarget::Inode(Reopen::inode(file.ops.clone())),
                };
                // The text is made when read (not when listed), from the
                // description while it is open.
                let file = Arc::downgrade(&file);
                (
                    fd.to_string().into_bytes(),
                    ProcNode::magic_link(
                        move || Ok(fd_target(&*file.upgrade().ok_or(Errno::ENOENT)?)),
                        move || Some(leads.clone()),
                    ),
                )
            })
            .collect()
    })
}

fn fdinfo_dir(p: &Weak<ProcessInfo>) -> Arc<dyn Inode> {
    let p = p.clone();
    ProcNode::numbered_dir(move || {
        let Some(proc_) = p.upgrade() else {
            return Vec::new();
        };
        proc_
            .fds
            .entries()
            .into_iter()
            .map(|(fd, file)| {
                let ino = file.ops.stat().map(|s| s.ino).unwrap_or(0);
                let text = format!(
                    "pos:\t{}\nflags:\t0{:o}\nmnt_id:\t{}\nino:\t{}\n",
                    *file.offset.lock(),
                    *file.flags.lock(),
                    file.path.as_ref().map_or(0, |p| p.mount().id),
                    ino
                );
                (fd.to_string().into_bytes(), ProcNode::text(text))
            })
            .collect()
    })
}

fn maps(p: &ProcessInfo) -> Result<Vec<u8>, Errno> {
    let mut out = String::new();
    for a in p.mm().areas() {
        let perms = format!(
            "{}{}{}{}",
            if a.prot.read { 'r' } else { '-' },
            if a.prot.write { 'w' } else { '-' },
            if a.prot.exec { 'x' } else { '-' },
            if a.shared { 's' } else { 'p' }
        );
        let line = format!(
            "{:08x}-{:08x} {perms} {:08x} 00:00 0",
            a.start, a.end, a.offset
        );
        match a.name {
            // Linux pads the name to column 74.
            Some(name) => out += &format!("{line:<73}{name}\n"),
            None => out += &format!("{line}\n"),
        }
    }
    Ok(out.into_bytes())
}

fn vm_kb(p: &ProcessInfo) -> (u64, u64) {
    let mm = p.mm();
    let size: u64 = mm.areas().iter().map(|a| a.end - a.start).sum();
    (size / 1024, mm.populated_bytes() / 1024)
}

/// /proc/PID/status, or /proc/PID/task/TID/status for thread `tid`.
fn status(p: &ProcessInfo, kernel: &Kernel, tid: i32) -> Result<Vec<u8>, Errno> {
    let cpus = kernel.cpus;
    let c = p.creds();
    let (vm, rss) = vm_kb(p);
    let groups: Vec<String> = c.groups.iter().map(|g| g.to_string()).collect();
    let caps = c.caps;
    let nnp = p.attrs.lock().no_new_privs as u8;
    let text = format!(
        "Name:\t{}\nUmask:\t{:04o}\nState:\tR (running)\nTgid:\t{pid}\nNgid:\t0\nPid:\t{tid}\nPPid:\t{}\nTracerPid:\t0\n\
         Uid:\t{}\t{}\t{}\t{}\nGid:\t{}\t{}\t{}\t{}\nFDSize:\t{}\nGroups:\t{}\n\
         VmPeak:\t{vm:8} kB\nVmSize:\t{vm:8} kB\nVmRSS:\t{rss:8} kB\nThreads:\t{threads}\n\
         CapInh:\t{:016x}\nCapPrm:\t{:016x}\nCapEff:\t{:016x}\nCapBnd:\t{:016x}\nCapAmb:\t{:016x}\n\
         NoNewPrivs:\t{nnp}\nSeccomp:\t0\nCpus_allowed_list:\t0-{}\n",
        p.comm_string(),
        p.fs.umask(),
        kernel.tree.parent(p.pid),
        c.uid,
        c.euid,
        c.suid,
        c.fsuid,
        c.gid,
        c.egid,
        c.sgid,
        c.fsgid,
        p.fds.count().max(64).next_power_of_two(),
        groups.join(" "),
        caps.inheritable,
        caps.permitted,
        caps.effective,
        caps.bounding,
        caps.ambient,
        cpus - 1,
        pid = p.pid,
        threads = p.threads.lock().len().max(1),
    );
    Ok(text.into_bytes())
}

fn cpu_ticks(p: &ProcessInfo) -> u64 {
    let t = p.mm().address_space().cpu_time().unwrap_or_default();
    t.as_millis() as u64 * HZ / 1000
}

/// /proc/PID/stat, or /proc/PID/task/TID/stat for thread `tid` (with the
/// process's CPU time: it is counted per address space).
fn stat(p: &ProcessInfo, kernel: &Kernel, tid: i32) -> Result<Vec<u8>, Errno> {
    let (vm, rss) = vm_kb(p);
    let start = p
        .started
        .saturating_duration_since(kernel.started)
        .as_millis() as u64
        * HZ
        / 1000;
    let (tty_nr, tpgid) = controlling_tty(p);
    // Fields 1-52 of proc(5); those the sandbox does not track are 0.
    let text = format!(
        "{pid} ({comm}) R {ppid} {pgid} {sid} {tty_nr} {tpgid} 4194560 0 0 0 0 {utime} 0 0 0 20 0 {threads} 0 {start} {vsize} {rss} {rlim} \
         0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
        pid = tid,
        comm = p.comm_string(),
        ppid = kernel.tree.parent(p.pid),
        pgid = kernel.tree.pgid(p.pid).unwrap_or(0),
        sid = kernel.tree.sid(p.pid).unwrap_or(0),
        utime = cpu_ticks(p),
        vsize = vm * 1024,
        rss = rss / 4,
        rlim = u64::MAX,
        threads = p.threads.lock().len().max(1),
    );
    Ok(text.into_bytes())
}

/// Fields 7 and 8 of /proc/PID/stat: the controlling terminal's device
/// number (Linux's new_encode_dev) and its foreground group; 0 and -1
/// without one.
fn controlling_tty(p: &ProcessInfo) -> (u32, i32) {
    let Some(tty) = p.ctty.lock().clone() else {
        return (0, -1);
    };
    let rdev = tty.rdev();
    let (major, minor) = (libc::major(rdev) as u32, libc::minor(rdev) as u32);
    let encoded = (minor & 0xff) | (major << 8) | ((minor & !0xff) << 12);
    (encoded, tty.job().get().pgrp.unwrap_or(0))
}

fn statm(p: &ProcessInfo) -> Result<Vec<u8>, Errno> {
    let (vm, rss) = vm_kb(p);
    Ok(format!("{} {} 0 0 0 {} 0\n", vm / 4, rss / 4, vm / 4).into_bytes())
}

fn limits(p: &ProcessInfo) -> Result<Vec<u8>, Errno> {
    const ROWS: [(&str, &str); 16] = [
        ("Max cpu time", "seconds"),
        ("Max file size", "bytes"),
        ("Max data size", "bytes"),
        ("Max stack size", "bytes"),
        ("Max core file size", "bytes"),
        ("Max resident set", "bytes"),
        ("Max processes", "processes"),
        ("Max open files", "files"),
        ("Max locked memory", "bytes"),
        ("Max address space", "bytes"),
        ("Max file locks", "locks"),
        ("Max pending signals", "signals"),
        ("Max msgqueue size", "bytes"),
        ("Max nice priority", ""),
        ("Max realtime priority", ""),
        ("Max realtime timeout", "us"),
    ];
    let limits = p.limits.lock().clone();
    let show = |v: u64| {
        if v == u64::MAX {
            "unlimited".to_string()
        } else {
            v.to_string()
        }
    };
    let mut out = format!(
        "{:<25} {:<20} {:<20} {:<10}\n",
        "Limit", "Soft Limit", "Hard Limit", "Units"
    );
    for (i, (name, unit)) in ROWS.iter().enumerate() {
        let l = limits
            .get(i)
            .unwrap_or(abi::types::Rlimit { cur: 0, max: 0 });
        out += &format!(
            "{:<25} {:<20} {:<20} {:<10}\n",
            name,
            show(l.cur),
            show(l.max),
            unit
        );
    }
    Ok(out.into_bytes())
}

pub fn mounts(kernel: &Kernel) -> Vec<u8> {
    let mut out = String::new();
    for m in kernel.mounts.all() {
        let opts = mount_options(&m);
        out += &format!(
            "{} {} {} {},relatime 0 0\n",
            m.source, m.path, m.fs_type, opts
        );
    }
    out.into_bytes()
}

/// "rw" or "ro", then the mount's other flags.
fn mount_options(m: &crate::vfs::Mount) -> String {
    let rw = if m.readonly { "ro" } else { "rw" };
    format!("{rw}{}", m.flags.options())
}

fn mountinfo(kernel: &Kernel) -> Vec<u8> {
    let mut out = String::new();
    for m in kernel.mounts.all() {
        let opts = mount_options(&m);
        let (dev, _) = m.root.key();
        out += &format!(
            "{} {} 0:{} / {} {},relatime - {} {} {}\n",
            m.id, m.parent, dev, m.path, opts, m.fs_type, m.source, opts
        );
    }
    out.into_bytes()
}

/// The directory of process `p`: its files and `task/`.
pub fn pid_dir(kernel: &Weak<Kernel>, p: &Arc<ProcessInfo>) -> Arc<dyn Inode> {
    thread_dir(kernel, p, p.pid)
}

/// /proc/TID for thread `tid` of `p`: the thread's files and its process's
/// `task/`, as Linux shows a thread looked up by its id.
pub fn thread_dir(kernel: &Weak<Kernel>, p: &Arc<ProcessInfo>, tid: i32) -> Arc<dyn Inode> {
    let w = Arc::downgrade(p);
    let mut entries = task_files(kernel, &w, tid);
    entries.push(("task", task_dir(kernel, &w)));
    ProcNode::fixed_dir(entries)
}

/// /proc/PID/task: a directory per thread.
fn task_dir(kernel: &Weak<Kernel>, p: &Weak<ProcessInfo>) -> Arc<dyn Inode> {
    let (k, p) = (kernel.clone(), p.clone());
    ProcNode::numbered_dir(move || {
        let Some(proc_) = p.upgrade() else {
            return Vec::new();
        };
        let tids: Vec<i32> = proc_.threads.lock().keys().copied().collect();
        tids.into_iter()
            .map(|tid| {
                let dir = ProcNode::fixed_dir(task_files(&k, &p, tid));
                (tid.to_string().into_bytes(), dir)
            })
            .collect()
    })
}

/// The files of thread `tid` of process `p` (the process's own when `tid` is
/// its pid). All but `stat` and `status` describe the whole process.
fn task_files(
    kernel: &Weak<Kernel>,
    p: &Weak<ProcessInfo>,
    tid: i32,
) -> Vec<(&'static str, Arc<dyn Inode>)> {
    let w = p.clone();
    let k = kernel.clone();
    let k2 = kernel.clone();
    let k3 = kernel.clone();
    let w2 = w.clone();
    vec![
        (
            "cmdline",
            pfile(&w, |p| {
                let a = *p.args.lock();
                memory_range(p, a.arg_start, a.arg_end)
            }),
        ),
        (
            "environ",
            pfile(&w, |p| {
                let a = *p.args.lock();
                memory_range(p, a.env_start, a.env_end)
            }),
        ),
        (
            "comm",
            pfile(&w, |p| Ok(format!("{}\n", p.comm_string()).into_bytes())),
        ),
        ("exe", plink(&w, |p| Ok(p.exe.lock().clone().into_bytes()))),
        ("cwd", magic_dir(&w, |p| p.fs.cwd())),
        ("root", magic_dir(&w, |p| p.fs.root())),
        ("fd", fd_dir(&w)),
        ("fdinfo", fdinfo_dir(&w)),
        ("maps", pfile(&w, maps)),
        ("status", {
            let (w, k) = (w.clone(), kernel.clone());
            ProcNode::file(move || status(&*alive(&w)?, &*k.upgrade().ok_or(Errno::ESRCH)?, tid))
        }),
        (
            "stat",
            ProcNode::file(move || stat(&*alive(&w2)?, &*k.upgrade().ok_or(Errno::ESRCH)?, tid)),
        ),
        ("statm", pfile(&w, statm)),
        ("limits", pfile(&w, limits)),
        (
            "mounts",
            ProcNode::file(move || Ok(mounts(&*k2.upgrade().ok_or(Errno::ESRCH)?))),
        ),
        (
            "mountinfo",
            ProcNode::file(move || Ok(mountinfo(&*k3.upgrade().ok_or(Errno::ESRCH)?))),
        ),
    ]
}
