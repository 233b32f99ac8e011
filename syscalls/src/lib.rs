//! The syscall table and the syscall handlers.
//!
//! [`table::TABLE`] is data: one entry per x86-64 syscall number with its name,
//! handler and support level. Dispatch, `runsc syscalls` and
//! `docs/compatibility.md` all come from it. Handlers live one file per area and
//! are built on sentry objects; none of them is unsafe.

#![forbid(unsafe_code)]

mod args;
mod attr;
mod blocking;
mod caps;
mod clone;
mod compat_doc;
mod epoll;
mod eventfd;
mod exec;
mod fd;
mod fs;
mod futex;
mod identity;
mod inotify;
mod limits;
mod locks;
mod membarrier;
mod mm;
mod mount;
mod path;
mod pidfd;
mod poll;
mod prctl;
mod priority;
mod process;
mod random;
mod sched;
mod select;
mod session;
mod setid;
mod sigmask;
mod signal;
mod signalfd;
mod sleep;
mod sysinfo;
mod table;
mod time;
mod timeout;
mod timer;
mod timerfd;
mod transfer;
mod tty;
mod wait;
mod xattr;

pub use compat_doc::{render_json, render_markdown, render_table};
pub use table::{Entry, Support, TABLE, Table};
