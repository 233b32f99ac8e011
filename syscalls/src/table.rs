//! The syscall table: data that drives dispatch and the compatibility listing.

use std::sync::LazyLock;

use abi::sysno::{SYSCALL_COUNT, SYSCALL_NAMES};
use sentry::Errno;
use sentry::kernel::SyscallTable;
use sentry::task::Task;

use crate::args::{Args, Handler};

/// How much of a syscall the sandbox implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    Full,
    /// Implemented, with the limits the note describes.
    Partial(&'static str),
    /// Not implemented: the call returns the errno. The note says why or when.
    Unsupported(Errno, &'static str),
}

#[derive(Clone, Copy)]
pub struct Entry {
    pub nr: u32,
    pub name: &'static str,
    pub handler: Option<Handler>,
    pub support: Support,
}

impl Entry {
    pub fn support_label(&self) -> &'static str {
        match self.support {
            Support::Full => "full",
            Support::Partial(_) => "partial",
            Support::Unsupported(..) => "unsupported",
        }
    }
    pub fn note(&self) -> &'static str {
        match self.support {
            Support::Full => "",
            Support::Partial(n) | Support::Unsupported(_, n) => n,
        }
    }
}

/// Implemented and explicitly unsupported syscalls (everything else is
/// `Unsupported(ENOSYS, "not implemented")`), one line each, grouped by area.
fn implemented() -> Vec<(u32, Option<Handler>, Support)> {
    use Support::*;
    let mut v = Vec::new();
    v.extend(crate::fd::entries());
    v.extend(crate::fs::entries());
    v.extend(crate::path::entries());
    v.extend(crate::attr::entries());
    v.extend(crate::xattr::entries());
    v.extend(crate::transfer::entries());
    v.extend(crate::locks::entries());
    v.extend(crate::mount::entries());
    v.extend(crate::sleep::entries());
    v.extend(crate::poll::entries());
    v.extend(crate::select::entries());
    v.extend(crate::epoll::entries());
    v.extend(crate::eventfd::entries());
    v.extend(crate::inotify::entries());
    v.extend(crate::signalfd::entries());
    v.extend(crate::timerfd::entries());
    v.extend(crate::pidfd::entries());
    v.extend(crate::futex::entries());
    v.extend(crate::mm::entries());
    v.extend(crate::process::entries());
    v.extend(crate::clone::entries());
    v.extend(crate::exec::entries());
    v.extend(crate::wait::entries());
    v.extend(crate::session::entries());
    v.extend(crate::identity::entries());
    v.extend(crate::time::entries());
    v.extend(crate::timer::entries());
    v.extend(crate::random::entries());
    v.extend(crate::signal::entries());
    v.extend(crate::limits::entries());
    v.extend(crate::sched::entries());
    v.extend(crate::setid::entries());
    v.extend(crate::caps::entries());
    v.extend(crate::prctl::entries());
    v.extend(crate::priority::entries());
    v.extend(crate::membarrier::entries());
    v.extend(crate::sysinfo::entries());
    // Deliberately not implemented.
    v.push((
        abi::linux::__NR_rseq,
        None,
        Unsupported(
            Errno::ENOSYS,
            "restartable sequences; glibc falls back (refused without a log line)",
        ),
    ));
    v
}

/// Unsupported calls that programs make at every start and get on without
/// (glibc registers rseq for each thread): refused without a log line, which
/// would say nothing new.
const EXPECTED_REFUSALS: &[u32] = &[abi::linux::__NR_rseq];

pub struct Table {
    entries: Vec<Entry>,
}

impl Table {
    fn build() -> Table {
        let mut entries: Vec<Entry> = (0..SYSCALL_COUNT as u32)
            .map(|nr| Entry {
                nr,
                name: "",
                handler: None,
                support: Support::Unsupported(Errno::ENOSYS, "not implemented"),
            })
            .collect();
        for &(nr, name) in SYSCALL_NAMES {
            entries[nr as usize].name = name;
        }
        for (nr, handler, support) in implemented() {
            let e = &mut entries[nr as usize];
            assert!(e.handler.is_none(), "syscall {} registered twice", e.name);
            e.handler = handler;
            e.support = support;
        }
        Table { entries }
    }

    /// Entries for every syscall number that has a name, in number order.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| !e.name.is_empty())
    }

    pub fn lookup(&self, nr: u64) -> Option<&Entry> {
        self.entries.get(nr as usize).filter(|e| !e.name.is_empty())
    }
}

/// The table, built once.
pub static TABLE: LazyLock<Table> = LazyLock::new(Table::build);

impl SyscallTable for Table {
    fn dispatch(&self, task: &mut Task, nr: u64, raw: [u64; 6]) -> u64 {
        let args = Args(raw);
        let Some(entry) = self.lookup(nr) else {
            tracing::warn!(
                "unknown syscall {nr}({:#x}, {:#x}, {:#x}, {:#x}, {:#x}, {:#x})",
                raw[0],
                raw[1],
                raw[2],
                raw[3],
                raw[4],
                raw[5]
            );
            return Errno::ENOSYS.as_return();
        };
        let Some(handler) = entry.handler else {
            let errno = match entry.support {
                Support::Unsupported(e, _) => e,
                _ => Errno::ENOSYS,
            };
            if EXPECTED_REFUSALS.contains(&(nr as u32)) {
                return errno.as_return();
            }
            tracing::warn!(
                "unsupported syscall {}({:#x}, {:#x}, {:#x}, {:#x}, {:#x}, {:#x}) = {errno}",
                entry.name,
                raw[0],
                raw[1],
                raw[2],
                raw[3],
                raw[4],
                raw[5]
            );
            return errno.as_return();
        };
        let result = handler(task, &args);
        match result {
            Ok(v) => {
                tracing::trace!(
                    "{}({:#x}, {:#x}, {:#x}, ...) = {v:#x}",
                    entry.name,
                    raw[0],
                    raw[1],
                    raw[2]
                );
                v
            }
            Err(e) => {
                tracing::trace!(
                    "{}({:#x}, {:#x}, {:#x}, ...) = {e}",
                    entry.name,
                    raw[0],
                    raw[1],
                    raw[2]
                );
                e.as_return()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_syscall_has_an_entry_and_names_are_unique() {
        let names: std::collections::HashSet<_> = TABLE.entries().map(|e| e.name).collect();
        assert_eq!(names.len(), TABLE.entries().count());
        assert_eq!(TABLE.lookup(39).unwrap().name, "getpid");
        assert!(TABLE.lookup(39).unwrap().handler.is_some());
        assert!(TABLE.lookup(100_000).is_none());
    }

    #[test]
    fn unsupported_entries_have_no_handler_and_supported_ones_do() {
        for e in TABLE.entries() {
            match e.support {
                Support::Unsupported(..) => assert!(e.handler.is_none(), "{}", e.name),
                _ => assert!(e.handler.is_some(), "{}", e.name),
            }
        }
    }
}
