//! Syscall arguments and handler results.

use sentry::Errno;
use sentry::task::Task;

/// A handler's result: the value for `rax`, or an errno.
pub type SysResult = Result<u64, Errno>;

/// A syscall handler.
pub type Handler = fn(&mut Task, &Args) -> SysResult;

/// The six raw arguments, with typed views.
#[derive(Clone, Copy, Debug)]
pub struct Args(pub [u64; 6]);

impl Args {
    pub fn u64(&self, i: usize) -> u64 {
        self.0[i]
    }
    /// An `int` argument (the kernel looks at the low 32 bits only).
    pub fn i32(&self, i: usize) -> i32 {
        self.0[i] as u32 as i32
    }
    pub fn u32(&self, i: usize) -> u32 {
        self.0[i] as u32
    }
    /// A `long`/`off_t` argument.
    pub fn i64(&self, i: usize) -> i64 {
        self.0[i] as i64
    }
    /// A user pointer.
    pub fn ptr(&self, i: usize) -> u64 {
        self.0[i]
    }
    /// A `size_t` argument.
    pub fn usize(&self, i: usize) -> usize {
        self.0[i] as usize
    }
}
