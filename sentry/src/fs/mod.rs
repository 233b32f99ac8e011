//! Open files and descriptor tables. (The VFS proper arrives with the gofer.)

pub mod fd_table;
pub mod file;
pub mod host_fd;
pub mod host_notifier;
pub mod host_tty;
pub mod locks;
pub mod path_only;

pub use fd_table::FdTable;
pub use file::{FileOps, OpenFile};
