//! Harness for the syscall compatibility suite.
//!
//! Each C program under `tests/c` states what Linux does. A test builds it
//! (static, static-pie and dynamic), runs it natively, checks the native run
//! against the expectation, then runs it under our `runsc do` and requires
//! the same stdout and the same exit status.

pub mod compare;
pub mod compile;
pub mod diff;
pub mod docker;
pub mod memcg;
pub mod paths;
pub mod procs;
pub mod report;
pub mod run;
pub mod sandbox_watch;
pub mod skip;
pub mod status;
pub mod trinity;

pub use compare::{Expect, assert_same, assert_same_binary, assert_same_expect};
pub use compile::{Variant, program};
pub use run::{Output, SandboxOptions, run_native, run_sandboxed, run_sandboxed_with};
pub use skip::Skip;
pub use status::Status;
