//! The virtual filesystem: inodes implemented by filesystems (`crate::fsimpl`),
//! mounts and mount namespaces, paths and their resolution, permission checks.
//!
//! Lock order: `MountNamespace::mounts` is taken alone (never while calling into a
//! filesystem); filesystems keep their own locks inside inode operations.

pub mod inode;
pub mod mount;
pub mod path;
pub mod perm;
pub mod write_access;

pub use inode::{DirEntry, Inode, InodeKey, SetAttr, TimeSet};
pub use mount::{Mount, MountFlags, MountNamespace};
pub use path::{ParentAndName, ResolveLimits, Resolver, VfsPath};
