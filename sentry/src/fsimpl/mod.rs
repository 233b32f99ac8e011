//! Filesystem implementations, outside the VFS core.

pub mod overlay;
pub mod tmpfs;
