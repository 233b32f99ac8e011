//! Docker driving an OCI runtime: a private containerd and dockerd started by
//! hand in a scratch directory ([`Daemon`]), a busybox image built from the
//! host's static busybox ([`image`]), and wrapper runtimes that record how
//! Docker calls the runtime ([`recorder`]).
//!
//! Nothing is installed at test time: `.ci/run` installs docker.io and
//! containerd. Nothing outside the scratch directory is touched, except what
//! containerd's shims keep in /run/containerd/s while a container runs.

mod command;
mod daemon;
pub mod image;
pub mod recorder;

pub use command::{Run, shell_quote};
pub use daemon::Daemon;
