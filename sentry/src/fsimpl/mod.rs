//! Filesystem implementations, outside the VFS core.

pub mod tmpfs;
