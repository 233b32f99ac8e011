//! procfs: /proc as the sandbox's processes and kernel see themselves.
//!
//! Everything is generated from sentry state when opened or listed; nothing comes
//! from the host's /proc except the CPU description (read once at mount time:
//! the application runs on those CPUs).

mod node;
mod pid;
mod system;

use std::sync::{Arc, Weak};

use abi::Errno;

use crate::kernel::Kernel;
use crate::vfs::{Inode, VfsPath};
pub use node::ProcNode;
pub use pid::fd_target;

/// The pid and tid of the task asking (what /proc/self and /proc/thread-self
/// name); 0 outside a task.
fn current_ids() -> (i32, i32) {
    crate::task::current::with(|p, t| (p.pid, t.tid)).unwrap_or((0, 0))
}

/// The root directory of a procfs for `kernel`.
pub fn new_root(kernel: &Arc<Kernel>) -> Arc<dyn Inode> {
    let weak = Arc::downgrade(kernel);
    let fixed = system::entries(kernel);
    let threads = weak.clone();
    let list = move || {
        let mut entries: Vec<(Vec<u8>, Arc<dyn Inode>)> = vec![
            (
                b"self".to_vec(),
                ProcNode::link(|| Ok(current_ids().0.to_string().into_bytes())),
            ),
            (
                b"thread-self".to_vec(),
                ProcNode::link(|| {
                    let (pid, tid) = current_ids();
                    Ok(format!("{pid}/task/{tid}").into_bytes())
                }),
            ),
        ];
        entries.extend(
            fixed
                .iter()
                .map(|(n, i)| (n.as_bytes().to_vec(), i.clone())),
        );
        entries.extend(pid_dirs(&weak));
        entries
    };
    ProcNode::dir_with_hidden(list, move |name| thread_dir(&threads, name))
}

/// /proc/TID of a thread that does not lead its process: found by name,
/// never listed.
fn thread_dir(kernel: &Weak<Kernel>, name: &[u8]) -> Option<Arc<dyn Inode>> {
    let tid: i32 = std::str::from_utf8(name).ok()?.parse().ok()?;
    let k = kernel.upgrade()?;
    let pid = k.tree.process_of(tid).filter(|&pid| pid != tid)?;
    let process = k.process(pid)?;
    process
        .threads
        .lock()
        .contains_key(&tid)
        .then(|| pid::thread_dir(kernel, &process, tid))
}

fn pid_dirs(kernel: &Weak<Kernel>) -> Vec<(Vec<u8>, Arc<dyn Inode>)> {
    let Some(k) = kernel.upgrade() else {
        return Vec::new();
    };
    let processes: Vec<_> = k
        .processes
        .lock()
        .iter()
        .filter_map(|(pid, p)| Some((*pid, p.upgrade()?)))
        .collect();
    processes
        .into_iter()
        .map(|(pid, p)| (pid.to_string().into_bytes(), pid::pid_dir(kernel, &p)))
        .collect()
}

/// Mounts procfs over `point`.
pub fn mount(kernel: &Arc<Kernel>, point: &VfsPath) -> Result<(), Errno> {
    kernel
        .mounts
        .mount(point, new_root(kernel), false, "proc", "proc".into())
        .map(|_| ())
}
