//! The gofer: serves a container's filesystems to the sentry.
//!
//! One gofer process per container holds the container's root (and bind
//! mounts) open and answers the sentry's filesystem requests over a unix
//! socket. The sentry never opens a host path itself; it asks the gofer, which
//! hands over real host descriptors (`SCM_RIGHTS`) so that reads and writes go
//! straight to the host file without another round trip.
//!
//! The protocol is descriptor-based: the sentry holds handles ([`Fid`]s) to
//! nodes and walks from a node one component at a time, never sending a path.
//! The server resolves each component from a directory descriptor it holds,
//! with `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)`
//! and `O_NOFOLLOW`, so every handle stays inside the mount root whatever
//! symlinks or names a compromised sentry throws at it; symlinks are data the
//! sentry's VFS follows itself.
//!
//! - [`protocol`]: the messages; [`Client`]: the sentry's side;
//!   [`serve`]: the gofer's side; [`seccomp`]: the gofer process's allowlist.

mod client;
mod confine;
mod error;
pub mod protocol;
mod scm;
pub mod seccomp;
mod server;
mod sys;
mod types;
mod wire;

#[cfg(test)]
mod test_util;

pub use client::Client;
pub use error::{DecodeError, Error};
pub use scm::socket_pair;
pub use server::{serve, serve_file};
pub use types::{Attr, Dirent, Fid, SetAttr, StatFs, TimeSet, Timespec};
