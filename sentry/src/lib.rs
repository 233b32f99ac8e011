//! The sentry: the sandbox's user-space kernel.
//!
//! Tasks run application code on a [`platform`] and serve its system calls through
//! the syscall table installed at boot ([`kernel::SyscallTable`]). Memory is the
//! [`memfile::MemoryFile`] managed per address space by [`mm::MemoryManager`];
//! programs are loaded by [`loader`].

pub mod fs;
pub mod fsimpl;
pub mod futex;
pub mod host;
pub mod kernel;
pub mod loader;
pub mod memfile;
pub mod mm;
pub mod notify;
pub mod task;
pub mod timer;
pub mod vfs;
pub mod waiter;

pub use abi::Errno;
